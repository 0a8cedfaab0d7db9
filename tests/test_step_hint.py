"""The run editor's step-size hint (engine.step_hint): it predicts from the local curvature at
the run's start and only where the quadratic theory of GD applies; otherwise it says why not.
Numbers against closed forms."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.experiment import load, loads
from engine.presets import preset_path
from engine.step_hint import descend, minimum_nearby, step_size_hint
from surfaces import make_surface


def _expression(text: str):
    exp = loads(f'expression = "{text}"\nsteps = 10\n[[runs]]\noptimizer = "gd"\nlr = 0.1\n')
    return exp.surface.build()


def _preset_run(name: str, index: int = 0):
    exp = load(preset_path(name))
    surface = exp.surface.build()
    run = exp.runs[index]
    return surface, run, run.start or surface.start


@pytest.mark.parametrize("lr,regime", [
    (0.25, "converges monotonically"),
    (1 / 3, "one-step along the steep direction"),
    (0.5, "converges with oscillation"),
    (2 / 3, "oscillates without converging"),
    (0.7, "diverges"),
])
def test_quadratic_bowl_predicts_the_lecture_regimes(lr, regime):
    # ½(x² + 3y²): λ = 1, 3 everywhere, so η_opt = 1/λmax = 1/3 and η/η_opt = 3η
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    h = step_size_hint(surf, "gd", lr, (-2.0, 1.5))
    assert h.applies and h.regime == regime
    np.testing.assert_allclose(h.eigenvalues, [1.0, 3.0])
    assert h.multiple == pytest.approx(3 * lr)
    assert "at the start (-2, 1.5): λ = 1, 3" in h.text
    assert f"η = {3 * lr:.3g} × η_opt (1/λmax = 0.333)" in h.text
    assert h.text.endswith(f"GD: {regime}.")


def test_stuck_large_gradient_is_not_predicted_to_diverge():
    # the canyon's cliffs are straight: the curvature at (4, 2) (λmax = 192, so η = 1.92 ×
    # η_opt) says nothing about a step of length η‖g‖ = 4.68, which lands on the other cliff
    surf, run, start = _preset_run("stuck-large-gradient")
    h = step_size_hint(surf, "gd", run.hyper["lr"], start)
    u = 2.0 - 0.02 * 4.0
    s, w, e2 = 400.0, 0.25, 0.0625
    fuu = 0.5 * s * e2 * (((u - w) ** 2 + e2) ** -1.5 + ((u + w) ** 2 + e2) ** -1.5)
    lam = np.linalg.eigvalsh([[12 * 16.0 + 0.02 ** 2 * fuu, -0.02 * fuu], [-0.02 * fuu, fuu]])
    np.testing.assert_allclose(h.eigenvalues, lam, rtol=1e-9)
    assert h.multiple == pytest.approx(0.01 * lam[1])
    assert not h.applies and h.reason == "not quadratic over one step"
    assert "diverges" not in h.text and "no prediction" in h.text
    assert "one step moves 4.68" in h.text


def test_spoiler_is_not_predicted_to_diverge():
    # at the start (−2, 2) the L2 loss of the saturated neuron curves downward
    surf, run, start = _preset_run("spoiler")
    h = step_size_hint(surf, "gd", run.hyper["lr"], start)
    assert h.eigenvalues[0] < 0
    assert not h.applies and h.reason == "negative curvature"
    assert "diverges" not in h.text and "negative eigenvalue" in h.text


def test_log_has_no_minimum_and_no_convergence_is_claimed():
    # log x + y²: Hessian diag(−1/x², 2): at (2, 2) λ = −0.25, 2
    surf = _expression("log(x)+y**2")
    h = step_size_hint(surf, "gd", 0.1, surf.start)
    assert surf.start == (2.0, 2.0)
    np.testing.assert_allclose(h.eigenvalues, [-0.25, 2.0])
    assert not h.applies and "converges" not in h.text


def test_convex_without_minimum_says_so():
    # eˣ + y²: convex everywhere (λ = e^x, 2), but it falls towards x = −∞
    surf = _expression("exp(x)+y**2")
    h = step_size_hint(surf, "gd", 0.1, (-2.0, 2.0))
    np.testing.assert_allclose(h.eigenvalues, [math.exp(-2.0), 2.0])
    assert not h.applies and h.reason == "no minimum nearby"
    assert "converges" not in h.text and "no minimum" in h.text
    assert not minimum_nearby(surf, (-2.0, 2.0))


def test_valley_point_has_a_zero_eigenvalue_and_no_prediction():
    # (1 − xy)² at (1, 1): Hessian [[2, 2], [2, 2]]: λ = 0, 4
    surf = _expression("(1 - x*y)**2")
    h = step_size_hint(surf, "gd", 0.1, (1.0, 1.0))
    np.testing.assert_allclose(h.eigenvalues, [0.0, 4.0], atol=1e-12)
    assert not h.applies and h.reason == "flat direction"
    assert "≈ 0" in h.text and "converges" not in h.text


@pytest.mark.parametrize("optimizer", ["adam", "adagrad", "rmsprop", "momentum", "nesterov",
                                       "newton", "quickprop"])
def test_other_optimizers_get_no_gd_prediction(optimizer):
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    h = step_size_hint(surf, optimizer, 0.7, (-2.0, 1.5))
    assert not h.applies and h.reason == "not plain GD"
    assert "plain gradient descent" in h.text
    assert "diverges" not in h.text and "converges" not in h.text


def test_near_a_non_quadratic_minimum_a_small_step_is_local():
    # Rosenbrock next to (1, 1): the Hessian there is [[802, −400], [−400, 200]]
    surf = make_surface("rosenbrock")
    h = step_size_hint(surf, "gd", 1e-3, (1.001, 1.0))
    lam = np.linalg.eigvalsh(surf.hessian(np.array([[1.001, 1.0]]))[0])
    np.testing.assert_allclose(h.eigenvalues, lam)
    assert h.applies and h.regime == "converges with oscillation"  # 1e-3 × λmax ≈ 1.0


def test_schedule_is_mentioned():
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    h = step_size_hint(surf, "gd", 0.25, (1.0, 1.0), schedule="inv_sqrt")
    assert h.applies and "inv_sqrt schedule" in h.text


def test_descend_reaches_the_quadratic_minimum_in_one_newton_step():
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    q, ok = descend(surf, (-2.0, 1.5))
    assert ok
    np.testing.assert_allclose(q, [0.0, 0.0], atol=1e-12)
