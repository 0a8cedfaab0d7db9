"""Curves of degenerate critical points (a valley of minima) are one entry, the table is
bounded, the step-size theory never calls a rate of 1 convergence, and --seeds is bounded."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.analysis import (MAX_SEEDS_PER_AXIS, MAX_TABLE_ROWS, MAXIMUM, MINIMUM, SADDLE,
                             StepSizeTheory, critical_point_table, find_critical_points,
                             theory_for_surface)
from engine.analysis_cli import analysis_lines
from engine.experiment import loads
from surfaces import make_surface

ROOT = Path(__file__).resolve().parents[1]


def _exp(expression: str, lr: float = 0.01):
    return loads(f'expression = "{expression}"\nsteps = 10\n[[runs]]\nlabel = "GD"\n'
                 f'optimizer = "gd"\nlr = {lr}\n')


def test_hyperbola_minima_are_two_valleys_and_one_saddle():
    # (1 − xy)²: minima on both branches of xy = 1; the origin is a saddle with H = [[0, −2],
    # [−2, 0]]: λ = −2, 2
    surf = _exp("(1 - x*y)**2").surface.build()
    cps = find_critical_points(surf)
    assert len(cps) == 3
    valleys = [c for c in cps if c.is_curve]
    assert len(valleys) == 2 and all(c.kind == MINIMUM for c in valleys)
    assert all(c.kind_text == "valley of minima" for c in valleys)
    for c in valleys:
        assert len(c.curve) >= 10
        np.testing.assert_allclose(c.curve[:, 0] * c.curve[:, 1], 1.0, atol=1e-6)
        assert c.loss == pytest.approx(0.0, abs=1e-12)
        x0, x1, y0, y1 = c.extent
        # the branch in the view [-3, 3]²: |x| from 1/3 to 3
        assert abs(x0) == pytest.approx(3.0 if x0 < 0 else 1 / 3, abs=0.1)
        assert abs(x1) == pytest.approx(1 / 3 if x1 < 0 else 3.0, abs=0.1)
        assert "valley of minima along a curve" in c.note
    signs = sorted(np.sign(c.x) for c in valleys)
    assert signs == [-1.0, 1.0]
    (saddle,) = [c for c in cps if not c.is_curve]
    assert saddle.kind == SADDLE
    np.testing.assert_allclose(saddle.point, [0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(saddle.eigenvalues, [-2.0, 2.0])


def test_ring_of_minima_is_one_valley_around_a_maximum():
    # (x² + y² − 1)²: minima on the unit circle, a maximum at 0 with H = −4 I
    surf = _exp("(x**2+y**2-1)**2").surface.build()
    cps = find_critical_points(surf)
    assert [c.kind_text for c in cps] == ["valley of minima", MAXIMUM]
    np.testing.assert_allclose(np.hypot(*cps[0].curve.T), 1.0, atol=1e-6)
    np.testing.assert_allclose(cps[1].eigenvalues, [-4.0, -4.0])


def test_isolated_degenerate_points_stay_points():
    for name in ("monkey-saddle", "canyon"):
        cps = find_critical_points(make_surface(name))
        assert len(cps) == 1 and cps[0].degenerate and not cps[0].is_curve


def test_flat_theory_never_calls_a_rate_of_one_convergence():
    # the numbers `analyze` printed for a point on xy = 1: λ = 2.8e-17, 18.2
    t = StepSizeTheory(np.array([2.77556e-17, 18.2222]), np.eye(2))
    assert t.flat
    assert t.predicted_rate(0.01) == pytest.approx(1.0)
    regime = t.regime(0.01)
    assert not regime.startswith("converges") and "R = 1" in regime
    assert t.regime(0.2) == "diverges"  # 0.2 × 18.2 > 2
    assert all("converges" not in ln for ln in t.summary_lines({"GD": 0.01}))


def test_theory_comes_from_a_non_degenerate_minimum_only():
    surf = _exp("(1 - x*y)**2").surface.build()
    theory, where, note = theory_for_surface(surf, find_critical_points(surf))
    assert theory is None
    # across the valley at (±1, ±1) λ = 4: stable for η < 2/4
    assert "degenerate" in note and "2/λ = 0.5" in note
    quad = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    theory, where, note = theory_for_surface(quad)
    assert where == "the quadratic" and theory.eta_max == pytest.approx(2 / 3)
    rosen = make_surface("rosenbrock")
    theory, where, _ = theory_for_surface(rosen, find_critical_points(rosen))
    assert "(1, 1)" in where and theory.lam_max == pytest.approx(1001.6, rel=1e-4)


def test_analyze_report_on_a_curve_of_minima_is_short_and_consistent():
    exp = _exp("(1 - x*y)**2")
    lines = analysis_lines(exp, exp.surface.build())
    text = "\n".join(lines)
    assert len(lines) < 15
    assert text.count("valley of minima  ") == 2
    assert "predicted R" not in text and "converges" not in text
    assert "Step-size theory: The minima found are degenerate" in text


def test_table_is_bounded_and_says_how_many_more():
    cps = find_critical_points(make_surface("rastrigin"))
    assert len(cps) > MAX_TABLE_ROWS
    rows = critical_point_table(cps)
    assert len(rows) == 1 + MAX_TABLE_ROWS + 1
    assert rows[-1].startswith(f"… and {len(cps) - MAX_TABLE_ROWS} more critical points")


def test_seed_count_is_checked_before_any_work():
    with pytest.raises(ValueError, match=f"from 2 to {MAX_SEEDS_PER_AXIS}"):
        find_critical_points(make_surface("quadratic"), seeds_per_axis=10 ** 7)


def _main(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_cli_seeds_limit(tmp_path):
    f = tmp_path / "v.toml"
    f.write_text('expression = "(1 - x*y)**2"\nsteps = 10\n[[runs]]\noptimizer = "gd"\n'
                 'lr = 0.01\n')
    res = _main("analyze", str(f), "--seeds", str(MAX_SEEDS_PER_AXIS + 1))
    assert res.returncode == 2
    assert res.stderr.strip() == (f"error: --seeds: must be from 2 to {MAX_SEEDS_PER_AXIS}, "
                                  f"got {MAX_SEEDS_PER_AXIS + 1}")
    res = _main("analyze", str(f), "--seeds", str(MAX_SEEDS_PER_AXIS))
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("valley of minima  ") == 2


def test_analyze_judges_each_gd_run_at_the_minimum_it_heads_for():
    from engine.experiment import load
    from engine.presets import preset_path
    exp = load(preset_path("spoiler"))
    text = "\n".join(analysis_lines(exp, exp.surface.build()))
    assert "Step-size theory (the local Hessian at the minimum (5.48336, -0.136309))" in text
    assert "diverges" not in text  # it did, judged at the lowest minimum the run never visits
    assert ("GD: η = 66.6667 = 0.00413516 × η_opt (1/λmax); |1 − ηλ| = 0.996733, 0.995865; "
            "predicted R = 0.993477 (converges monotonically); based on the local Hessian at "
            "the minimum (5.48336, 3.59512)") in text


def test_parabola_of_minima_is_one_valley_also_where_it_is_steep():
    # (y − x²)²: minima on y = x²; in the view the curve gets steep (slope 3.5 at |x| = 1.7)
    surf = _exp("(y - x**2)**2").surface.build()
    cps = find_critical_points(surf)
    assert [c.kind_text for c in cps] == ["valley of minima"]
    c = cps[0].curve
    np.testing.assert_allclose(c[:, 1], c[:, 0] ** 2, atol=1e-6)
    assert c[:, 0].min() < -1.5 and c[:, 0].max() > 1.5
