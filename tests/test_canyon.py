"""The lecture's four canyon experiments (lecture 000; digest experiments 1–4), run through the
real engine from the canyon's default start with the lecture's own learning rates."""
from __future__ import annotations

import numpy as np
import pytest

from engine.optimizers import OPTIMIZERS
from engine.schedules import make_schedule
from engine.simulation import RunSpec, Simulation
from surfaces import make_surface

N_LONG = 100_000  # the lecture's count of updates


@pytest.fixture(scope="module")
def canyon():
    return make_surface("canyon")


def spec(surface, optimizer, lr, schedule=None):
    return RunSpec(f"{optimizer} {lr}", optimizer, OPTIMIZERS[optimizer].resolve({"lr": lr}),
                   surface.start, make_schedule(schedule))


@pytest.fixture(scope="module")
def long_runs(canyon):
    """GD η = 1e-7, Adagrad η = 0.08 and Adagrad η = 0.5/√(t+1), 100,000 steps each."""
    sim = Simulation(canyon, [spec(canyon, "gd", 1e-7), spec(canyon, "adagrad", 0.08),
                              spec(canyon, "adagrad", 0.5, "inv_sqrt")])
    sim.advance(N_LONG)
    assert sim.status == ["running"] * 3
    return [sim.history(i) for i in range(3)]


def test_default_start_and_design_numbers(canyon):
    assert canyon.start == (4.0, 2.0)
    x0, x1, y0, y1 = canyon.view
    assert x0 < 0 < 4 < x1 and y0 < -2 < 2 < y1  # the minimum, the start and both bounce points
    # floor curvature c₀ = sε²/(w²+ε²)^{3/2} = 400·0.0625/0.125^{1.5} = 200·√8 ≈ 565.7
    assert canyon.floor_curvature == pytest.approx(200 * np.sqrt(8.0))
    assert canyon.hessian(np.zeros((1, 2)))[0, 1, 1] == pytest.approx(canyon.floor_curvature)
    # GD with η = 1e-2 cannot settle on the floor: η·c₀ ≈ 5.7 > 2
    assert 1e-2 * canyon.floor_curvature > 2


def test_experiment1_gd_large_rate_bounces_between_the_cliffs(canyon):
    sim = Simulation(canyon, [spec(canyon, "gd", 1e-2)])
    n = 2000
    sim.advance(n)
    h = sim.history(0)
    tail = slice(int(0.9 * n), n + 1)
    loss, gnorm = h.loss[tail], h.grad_norm[tail]
    u = canyon.across(h.theta[tail])
    # the loss has stopped falling: it changes by less than 1 % over the last 10 % ...
    assert np.ptp(loss) / loss.mean() < 0.01
    # ... while the gradient stays large: ‖g‖ ≥ 390 (the cliffs' slope is 400)
    assert gnorm.min() > 390.0
    # it bounces: θ₂ jumps from one cliff (u ≈ +2) to the other (u ≈ −2) at every step
    assert np.all(np.sign(u[1:]) == -np.sign(u[:-1]))
    assert np.abs(u).min() > 1.9
    # the loss did fall at first (from ≈ 889 to ≈ 659) and then stopped
    assert h.loss[0] > 1.3 * loss.mean()
    assert h.loss.min() > 0.99 * loss.mean()


def test_experiment2_gd_tiny_rate_reaches_the_floor_but_not_the_minimum(canyon, long_runs):
    h = long_runs[0]
    x, y = h.theta[:, 0], h.theta[:, 1]
    u = canyon.across(h.theta)
    # no oscillation: θ₂ never changes direction (it only goes down), θ₁ only goes left
    assert np.all(np.diff(y) <= 0)
    assert np.all(np.diff(x) <= 0)
    # it slides down the cliff and reaches the floor (|u| < w = 0.25) before step 60,000 ...
    reached = int(np.argmax(np.abs(u) < 0.25))
    assert 0 < reached < 60_000
    assert abs(u[-1]) < 0.025
    # ... and turns towards the minimum: θ₁ moves by more than a quarter of the way
    assert x[-1] < 0.75 * x[0]
    # but after 100,000 steps it is still far from the minimum (0, 0): distance > 2.5
    assert np.hypot(x[-1], y[-1]) > 2.5
    assert len(h.loss) == N_LONG + 1


def jumps(u: np.ndarray, threshold: float, after: int) -> list[np.ndarray]:
    """Index groups where |u| > threshold (after step ``after``), split at gaps > 50."""
    idx = np.flatnonzero(np.abs(u) > threshold)
    idx = idx[idx > after]
    return np.split(idx, np.flatnonzero(np.diff(idx) > 50) + 1) if len(idx) else []


def test_experiment3_adagrad_reaches_the_minimum_with_late_recurring_jumps(canyon, long_runs):
    h = long_runs[1]
    d = np.hypot(h.theta[:, 0], h.theta[:, 1])
    u = canyon.across(h.theta)
    sig_y = h.sigma[:, 1]
    # it gets close to the minimum (the start is 4.47 away)
    assert d[2000] < 0.2 and d[20_000] < 0.05
    assert d[-1] < 0.01
    # long after arriving, it jumps across the valley onto the cliffs (|u| > 2w = 0.5) ...
    groups = jumps(u, 0.5, after=2000)
    assert len(groups) >= 3
    starts = [int(g[0]) for g in groups]
    assert starts[0] > 5000
    for g in groups:
        s = int(g[0])
        # ... each time after θ₂'s σ shrank (it fell over the 1000 steps before the jump) ...
        assert sig_y[s - 1] < sig_y[s - 1000]
        # ... the jump raises σ again, and the jump dies out: 1000 steps later |u| < 1e-3
        end = int(g[-1])
        assert sig_y[end] > sig_y[s - 1]
        if end + 1000 < len(u):
            assert np.abs(u[end + 500:end + 1000]).max() < 0.05
            assert abs(u[end + 1000]) < 1e-3
    # recurring: the jumps come back again and again, ever more rarely
    gaps = np.diff(starts)
    assert np.all(gaps > 0) and gaps[-1] > gaps[0]


def test_experiment4_adagrad_with_decay_arrives_smoothly(canyon, long_runs):
    h = long_runs[2]
    d = np.hypot(h.theta[:, 0], h.theta[:, 1])
    u = canyon.across(h.theta)
    assert d[-1] < 0.05
    # no jumps: after the descent, it never leaves the floor's centre by more than 1e-3
    assert np.abs(u[2000:]).max() < 1e-3
    # why: with η^t = η/√(t+1) the effective rate across the valley η^t/σ^t = η/√(Σg²)
    # never grows
    eff = h.eff_lr[:, 1]
    assert np.all(np.diff(eff[1:]) <= 1e-12 * eff[1:-1])
    # while constant-η Adagrad's effective rate grows on the floor (σ^t shrinks)
    eff_const = long_runs[1].eff_lr[:, 1]
    assert eff_const[5000] > 2 * eff_const[500]
