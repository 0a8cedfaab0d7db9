"""Every optimizer against hand-computed steps, and the lecture's facts about each one.

The expected numbers are computed here independently, with plain Python floats, following the
formulas of ../shared/docs/lecture-digest.md ("Update rules") or the optimizer's paper
(tests/reference_optimizers.py); the engine computes the same updates vectorized over all runs
(engine/optimizers/, engine/fused.py). The contract every registered optimizer meets
(freezing, chunking, CSV, fast path) is in tests/test_optimizer_registry.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.optimizers import OPTIMIZERS
from engine.schedules import make_schedule
from engine.simulation import RunSpec, Simulation
from surfaces import make_surface

from reference_optimizers import (SURF, QUAD_PARAMS, quad_grad, quad_loss, ref_adabelief,  # noqa: E402
                                  ref_adadelta, ref_adagrad, ref_adam, ref_adamw, ref_amsgrad,
                                  ref_gd, ref_lion, ref_momentum, ref_nadam, ref_newton,
                                  ref_quickprop, ref_rmsprop, ref_rprop, rosen_grad)


# ------------------------------------------------------------------ engine helpers
def simulate(surface, optimizer, start, steps, schedule=None, **hyper):
    run = RunSpec(optimizer, optimizer, OPTIMIZERS[optimizer].resolve(hyper), tuple(start),
                  make_schedule(schedule))
    sim = Simulation(surface, [run])
    sim.run_to(steps)
    return sim, sim.history(0)


def close(a, b, rel=1e-12, abs_=1e-14):
    return a == pytest.approx(b, rel=rel, abs=abs_)


def assert_matches(h, rows, optimizer, loss):
    spec = OPTIMIZERS[optimizer]
    assert h.steps == len(rows) - 1
    for t, r in enumerate(rows):
        where = f"{optimizer} row {t}"
        assert close(list(h.theta[t]), r["theta"]), where
        assert close(list(h.grad[t]), r["grad"]), where
        assert close(float(h.loss[t]), loss(*r["theta"])), where
        assert close(float(h.grad_norm[t]), math.hypot(*r["grad"])), where
        if r["lr"] is None:
            assert not spec.has_lr
        else:
            assert close(float(h.lr[t]), r["lr"]), where
        if r["sigma"] is None:
            assert not spec.has_sigma
        else:
            assert close(list(h.sigma[t]), r["sigma"]), where
        if r["eff"] is None:
            assert spec.eff == ""
        else:
            assert close(list(h.eff_lr[t]), r["eff"]), where


CASES = {
    # optimizer: (reference, {surface: hyperparameters})
    "gd": (ref_gd, {"quadratic": dict(lr=0.1), "rosenbrock": dict(lr=1e-3)}),
    "momentum": (ref_momentum, {"quadratic": dict(lr=0.1, momentum=0.9),
                                "rosenbrock": dict(lr=1e-3, momentum=0.8)}),
    "nesterov": (lambda *a, **k: ref_momentum(*a, nesterov=True, **k),
                 {"quadratic": dict(lr=0.1, momentum=0.9),
                  "rosenbrock": dict(lr=1e-3, momentum=0.8)}),
    "adagrad": (ref_adagrad, {"quadratic": dict(lr=0.5, eps=1e-8),
                              "rosenbrock": dict(lr=0.1, eps=0.0)}),
    "rmsprop": (ref_rmsprop, {"quadratic": dict(lr=0.1, alpha=0.9, eps=1e-8,
                                                init="first_gradient"),
                              "rosenbrock": dict(lr=0.01, alpha=0.7, eps=1e-8, init="zero")}),
    "adam": (ref_adam, {"quadratic": dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8),
                        "rosenbrock": dict(lr=0.05, beta1=0.8, beta2=0.99, eps=0.0)}),
    "rprop": (ref_rprop, {"quadratic": dict(step_init=0.5, eta_plus=1.2, eta_minus=0.5,
                                            step_min=1e-6, step_max=1.0, backtrack=True),
                          "rosenbrock": dict(step_init=0.1, eta_plus=1.2, eta_minus=0.5,
                                             step_min=1e-6, step_max=1.0, backtrack=False)}),
    "quickprop": (ref_quickprop, {"quadratic": dict(lr=0.2, max_growth=1.75),
                                  "rosenbrock": dict(lr=1e-3, max_growth=1.75)}),
    "newton": (None, {"quadratic": dict(lr=0.5, damping=0.0),
                      "rosenbrock": dict(lr=1.0, damping=0.5)}),
    "adamw": (ref_adamw, {"quadratic": dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8,
                                            weight_decay=0.5),
                          "rosenbrock": dict(lr=0.05, beta1=0.8, beta2=0.99, eps=0.0,
                                             weight_decay=0.01)}),
    "amsgrad": (ref_amsgrad, {"quadratic": dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8),
                              "rosenbrock": dict(lr=0.05, beta1=0.8, beta2=0.99, eps=0.0)}),
    "nadam": (ref_nadam, {"quadratic": dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8,
                                            momentum_decay=4e-3),
                          "rosenbrock": dict(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-8,
                                             momentum_decay=0.1)}),
    "adadelta": (ref_adadelta, {"quadratic": dict(lr=1.0, rho=0.9, eps=1e-6),
                                "rosenbrock": dict(lr=5.0, rho=0.5, eps=1e-4)}),
    "lion": (ref_lion, {"quadratic": dict(lr=0.1, beta1=0.9, beta2=0.99, weight_decay=0.0),
                        "rosenbrock": dict(lr=0.01, beta1=0.5, beta2=0.9, weight_decay=1.0)}),
    "adabelief": (ref_adabelief, {"quadratic": dict(lr=0.1, beta1=0.9, beta2=0.999,
                                                    eps=1e-16),
                                  "rosenbrock": dict(lr=0.05, beta1=0.8, beta2=0.99,
                                                     eps=1e-8)}),
}


def test_cases_cover_every_optimizer():
    assert set(CASES) == set(OPTIMIZERS)


@pytest.mark.parametrize("surface_name", ["quadratic", "rosenbrock"])
@pytest.mark.parametrize("optimizer", list(CASES))
def test_three_hand_computed_steps(optimizer, surface_name):
    params, grad, loss, hess, start = SURF[surface_name]
    ref, per_surface = CASES[optimizer]
    hyper = per_surface[surface_name]
    if optimizer == "newton":
        rows = ref_newton(grad, hess, start, 3, **hyper)
    else:
        rows = ref(grad, start, 3, **hyper)
    _, h = simulate(make_surface(surface_name, params), optimizer, start, 3, **hyper)
    assert_matches(h, rows, optimizer, loss)
    # the run moved (a test on a frozen run would pass trivially)
    assert rows[3]["theta"] != rows[0]["theta"]


def test_rprop_quadratic_case_exercises_growth_and_backtracking():
    """The hand-computed rprop case above contains both a growth and a sign flip."""
    rows = ref_rprop(quad_grad, (-1.5, 1.0), 3, **CASES["rprop"][1]["quadratic"])
    deltas = [r["eff"] for r in rows]
    assert deltas[1] == [0.6, 0.6]          # grew by 1.2
    assert deltas[2] == [0.72, 0.3]         # y flipped: 0.6 · 0.5


@pytest.mark.parametrize("optimizer,schedule,hyper", [
    ("gd", {"name": "inv_sqrt"}, dict(lr=0.2)),
    ("momentum", {"name": "step", "factor": 0.5, "every": 2}, dict(lr=0.1, momentum=0.9)),
    ("nesterov", {"name": "exponential", "rate": 0.3}, dict(lr=0.1, momentum=0.5)),
    ("adagrad", {"name": "inverse"}, dict(lr=0.5, eps=0.0)),
])
def test_schedule_feeds_the_update(optimizer, schedule, hyper):
    """η^t of the schedule is the rate of update t (the lecture's η^t inside m for momentum)."""
    lr = hyper["lr"]
    etas = {"inv_sqrt": [lr / math.sqrt(t + 1) for t in range(5)],
            "step": [lr * 0.5 ** (t // 2) for t in range(5)],
            "exponential": [lr * math.exp(-0.3 * t) for t in range(5)],
            "inverse": [lr / (t + 1) for t in range(5)]}[schedule["name"]]
    ref, _ = CASES[optimizer]
    rows = ref(quad_grad, (-1.5, 1.0), 4, lrs=etas, **hyper)
    _, h = simulate(make_surface("quadratic", QUAD_PARAMS), optimizer, (-1.5, 1.0), 4,
                    schedule=schedule, **hyper)
    assert_matches(h, rows, optimizer, quad_loss)


# ------------------------------------------------------------------ closed forms
@pytest.mark.parametrize("angle,lr", [(0.0, 0.3), (30.0, 0.55), (-70.0, 0.1)])
def test_gd_on_quadratic_matches_closed_form(angle, lr):
    """θ^t = c + (I − ηA)^t (θ⁰ − c)."""
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0, "angle": angle,
                                      "cx": 0.4, "cy": -0.3})
    start = np.array([-1.6, 1.2])
    _, h = simulate(surf, "gd", start, 200, lr=lr)
    c, M = surf.c, np.eye(2) - lr * surf.A
    for t in range(0, 201, 7):
        expected = c + np.linalg.matrix_power(M, t) @ (start - c)
        np.testing.assert_allclose(h.theta[t], expected, rtol=1e-10, atol=1e-13)
    assert np.linalg.norm(h.theta[200] - c) < 1e-6 * np.linalg.norm(start - c)


def test_adagrad_first_step_is_exactly_plus_minus_eta():
    surf = make_surface("rosenbrock", {})
    for start in [(-1.2, 1.0), (0.3, -2.0), (1.7, 0.2)]:
        _, h = simulate(surf, "adagrad", start, 1, lr=0.05, eps=0.0)
        # θ¹ = θ⁰ − η·sign(g⁰) exactly (σ⁰ = |g⁰|, so g⁰/σ⁰ = ±1 with no rounding)
        assert list(h.theta[1]) == list(h.theta[0] - 0.05 * np.sign(h.grad[0]))
        assert list(h.eff_lr[0]) == list(0.05 / np.abs(h.grad[0]))
        _, h = simulate(surf, "adagrad", start, 1, lr=0.05)  # default ε = 1e-8
        step = h.theta[1] - h.theta[0]
        np.testing.assert_allclose(np.abs(step), [0.05, 0.05], rtol=1e-8)
        assert list(np.sign(step)) == list(-np.sign(h.grad[0]))


def test_rmsprop_sigma0_is_abs_first_gradient_and_zero_init_is_pytorch():
    surf = make_surface("rosenbrock", {})
    _, h = simulate(surf, "rmsprop", (-1.2, 1.0), 2, lr=0.01, alpha=0.9)
    assert list(h.sigma[0]) == list(np.abs(h.grad[0]))
    g0, g1 = h.grad[0], h.grad[1]
    np.testing.assert_allclose(h.sigma[1], np.sqrt(0.9 * g0 ** 2 + 0.1 * g1 ** 2), rtol=1e-15)
    # the first step of the lecture form moves ±η (σ⁰ = |g⁰|, ε = 0)
    _, h0 = simulate(surf, "rmsprop", (-1.2, 1.0), 1, lr=0.01, alpha=0.9, eps=0.0)
    assert list(np.abs(h0.theta[1] - h0.theta[0])) == pytest.approx([0.01, 0.01], rel=1e-15)
    # PyTorch's v₀ = 0: σ⁰ = sqrt((1−α)) |g⁰|, a first step of η/sqrt(1−α)
    _, hz = simulate(surf, "rmsprop", (-1.2, 1.0), 1, lr=0.01, alpha=0.9, eps=0.0, init="zero")
    np.testing.assert_allclose(hz.sigma[0], math.sqrt(0.1) * np.abs(hz.grad[0]), rtol=1e-15)
    np.testing.assert_allclose(np.abs(hz.theta[1] - hz.theta[0]), 0.01 / math.sqrt(0.1),
                               rtol=1e-14)


@pytest.mark.parametrize("surface_name", ["quadratic", "rosenbrock"])
def test_momentum_recursion(surface_name):
    """m = λm − ηg, θ += m: θ^{t+1} − θ^t = λ(θ^t − θ^{t−1}) − η g^t."""
    params, grad, *_ = SURF[surface_name]
    lam, eta = 0.9, 0.01 if surface_name == "quadratic" else 2e-4
    _, h = simulate(make_surface(surface_name, params), "momentum", (-1.2, 1.0), 300,
                    lr=eta, momentum=lam)
    d = np.diff(h.theta, axis=0)
    np.testing.assert_allclose(d[0], -eta * h.grad[0], rtol=1e-12)
    np.testing.assert_allclose(d[1:], lam * d[:-1] - eta * h.grad[1:-1], rtol=1e-9, atol=1e-15)
    assert np.abs(d[1:] - (-eta * h.grad[1:-1])).max() > 1e-3  # momentum really contributes


def test_nesterov_takes_the_gradient_at_the_look_ahead_point():
    surf = make_surface("rosenbrock", {})
    lam, eta = 0.9, 5e-4
    _, h = simulate(surf, "nesterov", (-1.2, 1.0), 50, lr=eta, momentum=lam)
    d = np.diff(h.theta, axis=0)  # d[t] = θ^{t+1} − θ^t = the lecture's Δw
    for t in range(1, 50):
        look = h.theta[t] + lam * d[t - 1]
        np.testing.assert_allclose(h.grad[t], surf.grad(look[None])[0], rtol=1e-9)
        assert not np.allclose(h.grad[t], surf.grad(h.theta[t][None])[0], rtol=1e-6)
        np.testing.assert_allclose(d[t], lam * d[t - 1] - eta * h.grad[t], rtol=1e-9,
                                   atol=1e-15)


def test_newton_lands_on_a_rotated_quadratic_minimum_in_one_step():
    surf = make_surface("quadratic", {"lambda1": 0.2, "lambda2": 7.0, "angle": 30.0,
                                      "cx": 0.7, "cy": -0.4})
    _, h = simulate(surf, "newton", (-1.9, 2.1), 3, lr=1.0)
    np.testing.assert_allclose(h.theta[1], [0.7, -0.4], rtol=0, atol=1e-12)
    assert np.linalg.norm(h.grad[0]) > 1.0
    # η = 0.5 halves the distance each step
    _, h = simulate(surf, "newton", (-1.9, 2.1), 3, lr=0.5)
    for t in range(1, 4):
        np.testing.assert_allclose(h.theta[t] - surf.c, 0.5 ** t * (h.theta[0] - surf.c),
                                   atol=1e-12)


def test_rprop_grows_by_1_2_shrinks_by_0_5_and_returns_to_the_previous_location():
    """1-D picture on a separable quadratic: x alone (y starts at its minimum, g_y = 0)."""
    surf = make_surface("quadratic", QUAD_PARAMS)
    _, h = simulate(surf, "rprop", (-1.0, 0.0), 6, step_init=0.3)
    x, delta = h.theta[:, 0], h.eff_lr[:, 0]
    # steps 0..2 keep the sign: Δ grows 0.3 → 0.36 → 0.432
    assert delta[:3] == pytest.approx([0.3, 0.36, 0.432], rel=1e-15)
    assert x[:4] == pytest.approx([-1.0, -0.7, -0.34, 0.092], rel=1e-14)
    # row 3: the derivative changed sign: Δ = 0.432·0.5, and the run returns to x² = −0.34
    # before taking the smaller step: x⁴ = −0.34 + 0.216
    assert delta[3] == pytest.approx(0.216, rel=1e-15)
    assert x[4] == pytest.approx(-0.34 + 0.216, rel=1e-14)
    # after the return the derivative is forgotten: row 4 neither grows nor shrinks Δ
    assert delta[4] == pytest.approx(0.216, rel=1e-15)
    assert np.all(h.theta[:, 1] == 0.0)
    # without backtracking the step is taken from where the run is
    _, h = simulate(surf, "rprop", (-1.0, 0.0), 4, step_init=0.3, backtrack=False)
    assert h.theta[4, 0] == pytest.approx(0.092 - 0.216, rel=1e-14)
    # bounds: Δ never exceeds step_max and never falls below step_min
    _, h = simulate(surf, "rprop", (-1.9, 1.3), 300, step_init=0.3, step_max=0.4,
                    step_min=1e-3)
    assert h.eff_lr.max() == pytest.approx(0.4) and h.eff_lr.min() == pytest.approx(1e-3)


def test_quickprop_secant_step_hits_each_coordinate_minimum_after_two_steps():
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0, "cx": 0.5, "cy": -0.25})
    _, h = simulate(surf, "quickprop", (-1.5, 1.0), 4, lr=0.5)
    np.testing.assert_allclose(h.theta[1], [-1.5 + 0.5 * 2.0, 1.0 - 0.5 * 3.0 * 1.25])
    np.testing.assert_allclose(h.theta[2], [0.5, -0.25], atol=1e-14)
    np.testing.assert_allclose(h.theta[4], [0.5, -0.25], atol=1e-14)


def test_quickprop_growth_is_capped():
    """With a small first step the secant ratio exceeds max_growth; the step grows by μ."""
    surf = make_surface("quadratic", QUAD_PARAMS)
    _, h = simulate(surf, "quickprop", (-1.0, 0.0), 3, lr=0.01, max_growth=1.75)
    d = np.diff(h.theta[:, 0])
    assert d[0] == pytest.approx(0.01)
    assert d[1] == pytest.approx(1.75 * d[0], rel=1e-14)
    assert d[2] == pytest.approx(1.75 * d[1], rel=1e-14)


def test_newton_damping_and_divergence_at_a_non_convex_point():
    """Rosenbrock's Hessian at (0, 1) is diag(−398, 200), indefinite: the pure Newton step
    moves x uphill (along +g_x); diagonal loading H + 500·I makes both coordinates descend."""
    surf = make_surface("rosenbrock", {})
    g = np.array(rosen_grad(0.0, 1.0))  # (−2, 200)
    _, h = simulate(surf, "newton", (0.0, 1.0), 1, lr=1.0)
    step = h.theta[1] - h.theta[0]
    np.testing.assert_allclose(step, [-(-2.0) / -398.0, -1.0], rtol=1e-14)
    assert step[0] * g[0] > 0  # uphill in x
    _, h = simulate(surf, "newton", (0.0, 1.0), 1, lr=1.0, damping=500.0)
    step = h.theta[1] - h.theta[0]
    np.testing.assert_allclose(step, [2.0 / 102.0, -200.0 / 700.0], rtol=1e-14)
    assert np.all(step * g < 0)
    assert h.loss[1] < h.loss[0]


def test_newton_and_quickprop_follow_the_schedule():
    """η^t of a schedule scales Newton's step and QuickProp's gradient steps (the recorded lr
    is the rate used)."""
    surf = make_surface("quadratic", QUAD_PARAMS)
    _, h = simulate(surf, "newton", (-1.0, 1.0), 3, schedule={"name": "inverse"}, lr=0.5)
    # on a quadratic θ^{t+1} − c = (1 − η^t)(θ^t − c)
    for t in range(3):
        np.testing.assert_allclose(h.theta[t + 1], (1 - 0.5 / (t + 1)) * h.theta[t], rtol=1e-14)
    assert list(h.lr) == [0.5, 0.25, 0.5 / 3, 0.125]
    # QuickProp on Rosenbrock from (0, 0): g⁰ = (−2, 0), so row 0 is a gradient step in x
    # only; in row 1 y has no previous step, so it takes the fallback gradient step with η¹
    surf = make_surface("rosenbrock", {})
    _, h = simulate(surf, "quickprop", (0.0, 0.0), 2, schedule={"name": "inverse"}, lr=1e-3)
    assert list(h.theta[1]) == [2e-3, 0.0]
    assert h.grad[1, 1] == pytest.approx(200 * (0.0 - 2e-3 ** 2), rel=1e-14)
    assert h.theta[2, 1] == pytest.approx(-0.5e-3 * h.grad[1, 1], rel=1e-14)


# ------------------------------------------------------------------ the newer optimizers
def test_lion_moves_every_parameter_by_exactly_eta():
    """Lion's step is η·sign(c): on Rosenbrock from (−1.2, 1) (g⁰ = (−215.6, −88)) the first
    three steps are +η in x and +η in y to the last bit, while the gradient's size varies."""
    surf = make_surface("rosenbrock", {})
    _, h = simulate(surf, "lion", (-1.2, 1.0), 3, lr=0.01)
    assert list(h.grad[0]) == pytest.approx([-215.6, -88.0], rel=1e-14)
    assert [list(r) for r in h.theta] == [[-1.2, 1.0], [-1.19, 1.01], [-1.18, 1.02],
                                          [-1.17, 1.03]]
    # with weight decay λ = 1: θ ← θ − η(sign(c) + λθ), x¹ = −1.2 − 0.01·(−1 − 1.2)
    _, h = simulate(surf, "lion", (-1.2, 1.0), 1, lr=0.01, weight_decay=1.0)
    assert h.theta[1, 0] == pytest.approx(-1.2 + 0.01 * 2.2, rel=1e-15)
    assert h.theta[1, 1] == pytest.approx(1.0 - 0.01 * (-1 + 1.0), abs=1e-17)


def test_lion_sign_follows_the_interpolation_not_the_gradient():
    """c = β₁m + (1−β₁)g: after a gradient sign flip the momentum can still win. On the
    quadratic ½(x² + 3y²), x starting at 0.05 with η = 0.1 overshoots to −0.05 at step 1;
    there g = −0.05 but c = 0.9·(0.01·0.05) + 0.1·(−0.05) = −0.00455 < 0: the step follows g.
    With β₁ = 0.99, c = 0.99·0.0005 − 0.01·0.05 < 0 as well; with β₂ = 0.0 (m = g) and
    β₁ = 0.99, c = 0.99·0.05 − 0.01·0.05 > 0: the momentum wins and x moves on to −0.15."""
    surf = make_surface("quadratic", QUAD_PARAMS)
    _, h = simulate(surf, "lion", (0.05, 0.0), 2, lr=0.1, beta1=0.9, beta2=0.99)
    assert list(h.theta[:, 0]) == pytest.approx([0.05, -0.05, 0.05], rel=1e-14)
    _, h = simulate(surf, "lion", (0.05, 0.0), 2, lr=0.1, beta1=0.99, beta2=0.0)
    assert list(h.theta[:, 0]) == pytest.approx([0.05, -0.05, -0.15], rel=1e-14)


def test_adabelief_first_step_is_eta_over_beta1():
    """At t = 0: m = (1−β₁)g, s = (1−β₂)(β₁g)² + ε, so m̂ = g and σ = sqrt(β₁²g² + ε/(1−β₂)):
    with ε → 0 the first step is η/β₁ per parameter (1.111·η for β₁ = 0.9), not Adam's η."""
    surf = make_surface("rosenbrock", {})
    _, h = simulate(surf, "adabelief", (-1.2, 1.0), 1, lr=0.01)
    g = h.grad[0]
    np.testing.assert_allclose(h.sigma[0], 0.9 * np.abs(g), rtol=1e-15)
    np.testing.assert_allclose(h.theta[1] - h.theta[0], -0.01 / 0.9 * np.sign(g), rtol=1e-14)
    # the second step on a straight slope: g¹ ≈ g⁰, so (g − m)² is small and σ shrinks: the
    # belief in a steady gradient makes steps larger than Adam's
    _, a = simulate(surf, "adam", (-1.2, 1.0), 2, lr=0.01)
    _, b = simulate(surf, "adabelief", (-1.2, 1.0), 2, lr=0.01)
    assert np.all(np.abs(b.theta[2] - b.theta[1]) > np.abs(a.theta[2] - a.theta[1]))


def test_amsgrad_sigma_never_shrinks_while_adams_does():
    """Past a steep start v decays, so Adam's σ falls; AMSGrad keeps the running max of v."""
    surf = make_surface("rosenbrock", {})
    _, a = simulate(surf, "adam", (-1.2, 1.0), 300, lr=0.01)
    _, m = simulate(surf, "amsgrad", (-1.2, 1.0), 300, lr=0.01)
    v_max = np.maximum.accumulate((m.sigma ** 2) * (1 - 0.999 ** np.arange(1, 302))[:, None],
                                  axis=0)
    np.testing.assert_allclose(m.sigma ** 2 * (1 - 0.999 ** np.arange(1, 302))[:, None], v_max,
                               rtol=1e-12)
    assert np.any(np.diff(a.sigma[:, 0] ** 2 * (1 - 0.999 ** np.arange(1, 302))) < 0)


def test_adadelta_needs_no_learning_rate_tuning_but_starts_tiny():
    """The first step is η·sqrt(ε)/sqrt((1−ρ)g² + ε)·g ≈ η·sqrt(ε/(1−ρ)) per parameter."""
    surf = make_surface("quadratic", QUAD_PARAMS)
    _, h = simulate(surf, "adadelta", (-1.5, 1.0), 1)
    g = h.grad[0]
    expected = -np.sqrt(1e-6) / np.sqrt(0.1 * g * g + 1e-6) * g
    np.testing.assert_allclose(h.theta[1] - h.theta[0], expected, rtol=1e-12)
    assert np.all(np.abs(h.theta[1] - h.theta[0]) < 4e-3)
