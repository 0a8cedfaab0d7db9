"""Critical points, point analysis and step-size theory (engine.analysis), and `main.py analyze`."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.analysis import (MAXIMUM, MINIMUM, SADDLE, analyze_point, convergence_rates,
                             critical_point_table, eta_multiple, find_critical_points,
                             run_rates, step_size_theory)
from engine.simulation import RunSpec, Simulation
from surfaces import SURFACES, Surface, make_surface

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------- small analytic test surfaces
class _Poly(Surface):
    """A surface from value/grad/hessian lambdas (for classification tests)."""

    name = "test-poly"

    def __init__(self, f, g, h, view=(-2.0, 2.0, -2.0, 2.0)):
        super().__init__()
        self._f, self._g, self._h, self._view = f, g, h, view

    def value(self, p):
        return self._f(p[:, 0], p[:, 1])

    def grad(self, p):
        return np.column_stack(self._g(p[:, 0], p[:, 1]))

    def hessian(self, p):
        a, b, c = self._h(p[:, 0], p[:, 1])
        h = np.empty((len(p), 2, 2))
        h[:, 0, 0], h[:, 0, 1], h[:, 1, 0], h[:, 1, 1] = a, b, b, c
        return h

    @property
    def view(self):
        return self._view


one = np.ones_like
SADDLE_XY = _Poly(lambda x, y: x * x - y * y, lambda x, y: (2 * x, -2 * y),
                  lambda x, y: (2 * one(x), 0 * x, -2 * one(x)))
MONKEY = _Poly(lambda x, y: x ** 3 - 3 * x * y * y,
               lambda x, y: (3 * x * x - 3 * y * y, -6 * x * y),
               lambda x, y: (6 * x, -6 * y, -6 * x))
TWO_WELLS = _Poly(lambda x, y: (x * x - 1) ** 2 + y * y, lambda x, y: (4 * x * (x * x - 1), 2 * y),
                  lambda x, y: (12 * x * x - 4, 0 * x, 2 * one(x)))
QUARTIC = _Poly(lambda x, y: x ** 4 + y ** 4, lambda x, y: (4 * x ** 3, 4 * y ** 3),
                lambda x, y: (12 * x * x, 0 * x, 12 * y * y))
CAP = _Poly(lambda x, y: -(x * x + 2 * y * y), lambda x, y: (-2 * x, -4 * y),
            lambda x, y: (-2 * one(x), 0 * x, -4 * one(x)))


def _found(cps, x, y, tol=1e-6):
    hits = [c for c in cps if abs(c.x - x) <= tol and abs(c.y - y) <= tol]
    assert len(hits) == 1, f"expected one critical point at ({x}, {y}), found {cps}"
    return hits[0]


# ----------------------------------------------------------------- every registered surface
@pytest.mark.parametrize("name", sorted(SURFACES))
def test_known_critical_points_are_found_with_their_kind(name):
    surf = make_surface(name)
    cps = find_critical_points(surf)
    x0, x1, y0, y1 = surf.view
    span = max(x1 - x0, y1 - y0)
    # every point found is critical (tiny gradient) and inside the view
    for c in cps:
        g = surf.grad(c.point[None])[0]
        assert np.hypot(*g) <= 1e-6 * max(1.0, np.abs(surf.grad(
            np.array([[x0, y0], [x1, y1]]))).max()), (name, c)
        assert x0 - 1e-9 <= c.x <= x1 + 1e-9 and y0 - 1e-9 <= c.y <= y1 + 1e-9
        assert c.kind in (MINIMUM, MAXIMUM, SADDLE)
    # no duplicates
    pts = np.array([c.point for c in cps]).reshape(-1, 2)
    if len(pts) > 1:
        d = np.abs(pts[:, None] - pts[None]).max(-1) + np.eye(len(pts)) * span
        assert d.min() > 1e-6 * span
    # the surface's own list: every known point well inside the view is found, same kind
    margin = 0.01 * span
    for known in surf.critical_points:
        if not (x0 + margin < known.x < x1 - margin and y0 + margin < known.y < y1 - margin):
            continue
        near = [c for c in cps if max(abs(c.x - known.x), abs(c.y - known.y)) < 2e-3 * span]
        assert near, f"{name}: known {known.kind} at ({known.x}, {known.y}) not found"
        assert any(c.kind == known.kind for c in near), (name, known, near)


# ----------------------------------------------------------------- classification
def test_saddle_is_classified_with_escape_direction_along_negative_curvature():
    (c,) = find_critical_points(SADDLE_XY)
    assert c.kind == SADDLE and not c.degenerate
    np.testing.assert_allclose(c.point, [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(c.eigenvalues, [-2.0, 2.0])
    assert c.condition_number == pytest.approx(1.0)
    a = analyze_point(SADDLE_XY, (0.0, 0.0))
    np.testing.assert_allclose(np.abs(a.escape_direction), [0.0, 1.0], atol=1e-12)
    # off the axis the escape direction points downhill: at (0, 0.1) the loss falls as y grows
    a = analyze_point(SADDLE_XY, (0.3, 0.1))
    np.testing.assert_allclose(a.escape_direction, [0.0, 1.0], atol=1e-12)
    a = analyze_point(SADDLE_XY, (0.3, -0.1))
    np.testing.assert_allclose(a.escape_direction, [0.0, -1.0], atol=1e-12)


def test_monkey_saddle_is_a_degenerate_saddle_and_says_so():
    (c,) = find_critical_points(MONKEY)
    assert c.kind == SADDLE
    assert c.degenerate
    assert "degenerate" in c.note and "degenerate" in c.kind_text
    assert np.hypot(*c.point) < 1e-6
    assert np.abs(c.eigenvalues).max() < 1e-6


def test_two_wells_two_minima_and_a_saddle_between():
    cps = find_critical_points(TWO_WELLS)
    assert len(cps) == 3
    for x in (-1.0, 1.0):
        m = _found(cps, x, 0.0)
        assert m.kind == MINIMUM and m.loss == pytest.approx(0.0, abs=1e-20)
        np.testing.assert_allclose(m.eigenvalues, [2.0, 8.0])  # 12x² − 4 = 8, and 2
        assert m.condition_number == pytest.approx(4.0)
    s = _found(cps, 0.0, 0.0)
    assert s.kind == SADDLE and s.loss == pytest.approx(1.0)
    np.testing.assert_allclose(s.eigenvalues, [-4.0, 2.0])
    np.testing.assert_allclose(np.abs(analyze_point(TWO_WELLS, (0, 0)).escape_direction),
                               [1.0, 0.0], atol=1e-12)
    assert [c.kind for c in cps] == [MINIMUM, MINIMUM, SADDLE]  # sorted by loss


def test_degenerate_minimum_and_plain_maximum():
    (q,) = find_critical_points(QUARTIC)
    assert q.kind == MINIMUM and q.degenerate
    (m,) = find_critical_points(CAP)
    assert m.kind == MAXIMUM and not m.degenerate
    np.testing.assert_allclose(m.eigenvalues, [-4.0, -2.0])
    assert analyze_point(CAP, (0.5, 0.5)).escape_direction is not None


@pytest.mark.parametrize("name,point,kind,degenerate", [
    ("saddle", (0.0, 0.0), SADDLE, False),
    ("monkey-saddle", (0.0, 0.0), SADDLE, True),
])
def test_registered_saddle_surfaces(name, point, kind, degenerate):
    if name not in SURFACES:
        pytest.skip(f"{name} is not registered")
    surf = make_surface(name)
    c = _found(find_critical_points(surf), *point, tol=1e-5)
    assert c.kind == kind and c.degenerate == degenerate


def test_registered_two_wells_has_minima_and_a_saddle():
    if "two-wells" not in SURFACES:
        pytest.skip("two-wells is not registered")
    cps = find_critical_points(make_surface("two-wells"))
    kinds = [c.kind for c in cps]
    assert kinds.count(MINIMUM) == 2 and kinds.count(SADDLE) >= 1


def test_table_lists_kind_loss_eigenvalues_and_condition_number():
    lines = critical_point_table(find_critical_points(TWO_WELLS))
    assert lines[0].split() == ["kind", "x", "y", "loss", "λ₁", "λ₂", "κ"]
    assert lines[1].split()[0] == "minimum" and lines[1].split()[-1] == "4"
    assert lines[3].split()[0] == "saddle" and lines[3].split()[4:] == ["-4", "2", "2"]


# ----------------------------------------------------------------- point analysis
def test_gradient_is_normal_to_the_contour():
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    a = analyze_point(surf, (1.0, 1.0))
    np.testing.assert_allclose(a.grad, [1.0, 3.0])
    assert a.grad_norm == pytest.approx(math.sqrt(10.0))
    assert a.loss == pytest.approx(2.0)
    assert float(a.contour_tangent @ a.grad) == pytest.approx(0.0, abs=1e-15)
    assert a.escape_direction is None
    # moving along the tangent keeps the loss to second order
    step = 1e-4 * a.contour_tangent
    assert abs(surf.value((a.point + step)[None])[0] - a.loss) < 1e-7


def test_rosenbrock_hessian_at_the_minimum_matches_closed_form():
    surf = make_surface("rosenbrock")
    t = step_size_theory(surf)  # at the known minimum (1, 1): H = [[802, −400], [−400, 200]]
    disc = math.sqrt(1002.0 ** 2 - 4 * 400.0)
    np.testing.assert_allclose(t.eigenvalues, [(1002 - disc) / 2, (1002 + disc) / 2])
    assert t.eta_max == pytest.approx(4.0 / (1002 + disc))


# ----------------------------------------------------------------- step-size theory
def test_slide_52_quadratic_numbers():
    t = step_size_theory(make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0}))
    np.testing.assert_allclose(t.eta_opt, [1.0, 1.0 / 3.0])
    assert t.eta_max == pytest.approx(2.0 / 3.0)
    assert t.eta_best == pytest.approx(0.5)
    assert t.condition_number == pytest.approx(3.0)
    np.testing.assert_allclose(t.contraction(0.5), [0.5, 0.5])
    np.testing.assert_allclose(t.contraction(0.25), [0.75, 0.25])
    assert t.predicted_rate(0.25) == pytest.approx(0.5625)
    assert t.eta_multiple(0.5) == pytest.approx(1.5)
    assert t.regime(0.25) == "converges monotonically"
    assert t.regime(1 / 3) == "one-step along the steep direction"
    assert t.regime(0.5) == "converges with oscillation"
    assert t.regime(2 / 3) == "oscillates without converging"
    assert t.regime(0.7) == "diverges"


def test_rotated_quadratic_same_numbers_rotated_eigenvectors():
    surf = make_surface("quadratic", {"lambda1": 3.0, "lambda2": 1.0, "angle": 30.0})
    t = step_size_theory(surf)
    np.testing.assert_allclose(t.eigenvalues, [1.0, 3.0])
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    np.testing.assert_allclose(np.abs(t.eigenvectors[:, 1]), [c, s])  # λ = 3 along the 30° axis
    # the local Hessian gives the same at any point
    local = step_size_theory(surf, (0.7, -0.2))
    np.testing.assert_allclose(local.eigenvalues, [1.0, 3.0])
    assert eta_multiple(surf, 0.2) == pytest.approx(0.6)


def test_theory_at_a_saddle_has_no_positive_definite_numbers():
    t = step_size_theory(SADDLE_XY, (0.0, 0.0))
    assert not t.positive_definite
    assert math.isnan(t.eta_best) and math.isnan(t.condition_number)
    assert t.eta_opt[0] != t.eta_opt[0] and t.eta_opt[1] == pytest.approx(0.5)


# ----------------------------------------------------------------- measured convergence rate
def test_convergence_rates_hand_values():
    np.testing.assert_allclose(convergence_rates([5.0, 3.0, 2.0], 1.0), [0.5, 0.5])
    r = convergence_rates([1.0, 1.0, 3.0], 1.0)
    assert np.isnan(r).all()  # |L^0 − L*| = 0 and |L^1 − L*| = 0: undefined


@pytest.mark.parametrize("start,eta,expected", [
    ((2.0, 0.0), 0.3, (1 - 0.3 * 1.0) ** 2),    # on the flat axis λ = 1
    ((0.0, 2.0), 0.3, (1 - 0.3 * 3.0) ** 2),    # on the steep axis λ = 3
    ((0.0, 2.0), 0.6, (1 - 0.6 * 3.0) ** 2),    # oscillating
])
def test_gd_rate_on_one_eigen_axis_equals_prediction(start, eta, expected):
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    sim = Simulation(surf, [RunSpec("gd", "gd", {"lr": eta}, start)])
    sim.advance(12)
    r = run_rates(sim, 0)
    assert len(r) == 12
    np.testing.assert_allclose(r, expected, rtol=1e-12)


def test_gd_rate_on_both_axes_tends_to_the_slower_direction():
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    t = step_size_theory(surf)
    sim = Simulation(surf, [RunSpec("gd", "gd", {"lr": 0.25}, (1.0, 1.0))])
    sim.advance(60)
    r = run_rates(sim, 0, loss_star=0.0)
    assert r[0] < t.predicted_rate(0.25) - 0.01  # the fast direction still counts at first
    assert r[-1] == pytest.approx(t.predicted_rate(0.25), rel=1e-9)  # (1 − 0.25)² = 0.5625


# ----------------------------------------------------------------- command line
def _main(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


QUAD_TOML = """title = "Slide 52"
surface = { name = "quadratic", lambda1 = 1.0, lambda2 = 3.0 }
steps = 100
[[runs]]
label = "GD half"
optimizer = "gd"
lr = 0.5
"""


def test_cli_analyze_prints_table_and_theory(tmp_path):
    f = tmp_path / "q.toml"
    f.write_text(QUAD_TOML)
    res = _main("analyze", str(f), "--point", "1,1")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.split()[:1] == ["kind"])
    assert lines[header + 1].split() == ["minimum", "0", "0", "0", "1", "3", "3"]
    assert "largest convergent GD step 2/λmax = 0.666667" in res.stdout
    assert "best single step 2/(λmax+λmin) = 0.5" in res.stdout
    assert "GD half: η = 0.5 = 1.5 × η_opt" in res.stdout
    assert "∇L = (1, 3)" in res.stdout


@pytest.mark.parametrize("args,needle", [
    (("analyze", "missing.toml"), "missing.toml: no such file"),
    (("analyze",), "give an experiment file"),
    (("analyze", "{f}", "--point", "1"), "--point: must be a point"),
    (("analyze", "{f}", "--seeds", "1"), "--seeds: must be from 2 to 100"),
])
def test_cli_analyze_errors_exit_2_with_one_line(tmp_path, args, needle):
    f = tmp_path / "q.toml"
    f.write_text(QUAD_TOML)
    res = _main(*(a.format(f=f) for a in args))
    assert res.returncode == 2
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr
