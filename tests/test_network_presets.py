"""The two real-network presets show what their texts promise, with the numbers they state."""
from functools import lru_cache

import math

import numpy as np
import pytest

from engine.analysis import analyze_point
from engine.experiment import load
from engine.presets import preset_path


@lru_cache(maxsize=None)
def run(name):
    exp = load(preset_path(name))
    sim = exp.simulation()
    sim.run_to(exp.steps)
    return exp, sim, {r.label: sim.history(i) for i, r in enumerate(sim.runs)}


def grad_norm(h):
    return np.hypot(h.grad[:, 0], h.grad[:, 1])


def test_network_landscape_plateau_at_the_zero_network_saddle():
    exp, sim, runs = run("network-landscape")
    s = sim.surface
    saddle = analyze_point(s, (0.0, 0.0))
    assert saddle.loss == pytest.approx(math.log(2), rel=1e-15)
    assert saddle.grad_norm == 0.0
    np.testing.assert_allclose(saddle.eigenvalues, [-18.2, 10.0], atol=0.05)
    escape = saddle.escape_direction
    start = analyze_point(s, exp.runs[0].start)
    assert start.grad_norm < 0.008 and start.loss > 0.69
    plateau = {"GD": 33, "Momentum": 13}
    leaves = {"GD": 67, "Momentum": 24, "Adam": 17}
    for label, h in runs.items():
        gn = grad_norm(h)
        on = np.flatnonzero((h.loss > 0.6) & (gn < 0.05))
        if label in plateau:  # one stretch, from the start
            assert np.array_equal(on, np.arange(plateau[label])), label
        else:
            assert on.max() < 8
        assert gn.max() > 1.5
        r = np.hypot(h.theta[:, 0], h.theta[:, 1])
        k = int(np.flatnonzero(r > 0.05)[0])
        assert k == leaves[label], label
        assert abs(h.theta[k] @ escape) / r[k] > 0.99, label  # along the negative eigenvector
    assert np.hypot(*(runs["GD"].theta[-1] - (1, 0))) < 0.01
    w_star = [c.point for c in s.critical_points if c.kind == "minimum"][0]
    assert np.hypot(*(w_star - (1, 0))) < 1e-4
    assert np.hypot(*(runs["Momentum"].theta[-1] - w_star)) < 1e-6
    assert np.hypot(*(runs["Adam"].theta[-1] - (-1, 0))) < 0.01
    twin = s.value(np.array([[-1.0, 0.0], [1.0, 0.0]]))
    assert abs(twin[0] - twin[1]) < 1e-5
    # the preset's own saddle shows on the map's critical points
    assert any(c.kind == "saddle" and abs(c.x) + abs(c.y) < 1e-12 for c in s.critical_points)


def test_network_batch_noise_full_batch_against_b8():
    exp, sim, runs = run("network-batch-noise")
    full, small = runs["full batch"], runs["B = 8"]
    assert len(full.loss) - 1 == 20 and len(small.loss) - 1 == 500
    assert np.all(np.diff(full.loss) < 0)
    assert full.loss[1] > 1.8
    assert full.loss[-1] == pytest.approx(0.1278, abs=5e-4)
    assert small.loss[25] < full.loss[-1]
    assert int((np.diff(small.loss) > 0).sum()) > 200
    w_star = [c.point for c in sim.surface.critical_points if c.kind == "minimum"][0]
    assert np.hypot(*(small.theta[-1] - w_star)) < 0.05
    assert np.hypot(*(full.theta[-1] - w_star)) > 0.1
