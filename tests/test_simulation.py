"""The lock-step simulation: divergence beside healthy runs, stopping rules, determinism."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine import csvio
from engine.experiment import loads
from engine.optimizers import OPTIMIZERS
from engine.schedules import make_schedule
from engine.simulation import CONVERGED, DIVERGED, RUNNING, RunSpec, Simulation, Tolerance
from surfaces import make_surface
from surfaces.base import Surface


def run(optimizer, start, label=None, schedule=None, noise=0.0, **hyper):
    return RunSpec(label or optimizer, optimizer, OPTIMIZERS[optimizer].resolve(hyper),
                   tuple(start), make_schedule(schedule), gradient_noise=noise)


QUAD = {"lambda1": 1.0, "lambda2": 3.0}


# ------------------------------------------------------------------ divergence
def test_too_large_lr_diverges_where_it_leaves_the_bound_while_a_healthy_run_goes_on():
    surf = make_surface("quadratic", QUAD)  # view ±2.5 → bound 5000 around (0, 0)
    assert surf.divergence_bound == 5000.0
    sim = Simulation(surf, [run("gd", (-2.0, 1.5), "big", lr=1.0),
                            run("gd", (-2.0, 1.5), "ok", lr=0.1)])
    sim.run_to(100)
    # η = 1: x lands on 0 at once, y ← (1 − 3)·y = −2y: |y^t| = 1.5·2^t > 5000 first at t = 12
    big, ok = sim.history(0), sim.history(1)
    assert sim.status[0] == DIVERGED and sim.stop_step[0] == 12
    assert sim.status_text(0) == "diverged at step 12"
    assert big.steps == 11 and big.theta[-1, 1] == 1.5 * (-2.0) ** 11
    assert list(sim.current_theta()[0]) == [0.0, 1.5 * (-2.0) ** 11]
    # the healthy run went on to the end with a finite record
    assert sim.status[1] == RUNNING and sim.stop_step[1] is None
    assert ok.steps == 100 and sim.step == 100
    for f in ("theta", "loss", "grad", "grad_norm", "lr", "eff_lr"):
        assert np.isfinite(getattr(ok, f)).all() and np.isfinite(getattr(big, f)).all()
    np.testing.assert_allclose(ok.theta[100], [-2.0 * 0.9 ** 100, 1.5 * 0.7 ** 100], rtol=1e-10)
    # the diverged run's CSV rows end at its last finite step; no nan/inf anywhere
    text = csvio.to_string(sim)
    rows = [line.split(",") for line in text.splitlines()[1:]]
    assert [int(r[3]) for r in rows if r[1] == "big"] == list(range(12))
    assert [int(r[3]) for r in rows if r[1] == "ok"] == list(range(101))
    assert "nan" not in text.lower() and "inf" not in text.lower()


def test_newton_on_a_singular_hessian_turns_non_finite_and_is_marked_diverged():
    """Rosenbrock's Hessian is singular where y − x² = 0.005: at (0, 0.005) H = [[0, 0],
    [0, 200]] and the Newton step in x is −(−2)/0."""
    surf = make_surface("rosenbrock", {})
    sim = Simulation(surf, [run("newton", (0.0, 0.005), "newton"),
                            run("adam", (0.0, 0.005), "adam", lr=0.01)])
    sim.run_to(50)
    assert sim.status == [DIVERGED, RUNNING] and sim.stop_step[0] == 1
    assert sim.history(0).steps == 0 and sim.history(1).steps == 50
    assert list(sim.current_theta()[0]) == [0.0, 0.005]
    text = csvio.to_string(sim)
    assert len(text.splitlines()) == 1 + 1 + 51
    assert "nan" not in text.lower() and "inf" not in text.lower()


class HoleySurface(Surface):
    """½‖θ‖², except that the gradient is nan for x > 0.5 (a surface that breaks)."""

    name = "holey"

    def value(self, p):
        return 0.5 * (p ** 2).sum(axis=1)

    def grad(self, p):
        return np.where(p[:, :1] > 0.5, np.nan, p)


def test_a_non_finite_gradient_marks_the_run_diverged_at_that_step():
    sim = Simulation(HoleySurface(), [run("momentum", (-1.0, 0.5), "m", lr=0.5, momentum=0.9),
                                      run("gd", (-1.0, 0.5), "gd", lr=0.5)])
    sim.run_to(40)
    h = sim.history(0)
    # momentum overshoots past x = 0.5 (within the bound): the first row with x > 0.5 is bad
    x = [-1.0]
    m = 0.0
    while x[-1] <= 0.5 and len(x) < 40:
        m = 0.9 * m - 0.5 * x[-1]
        x.append(x[-1] + m)
    assert sim.status[0] == DIVERGED and sim.stop_step[0] == len(x) - 1
    assert list(h.theta[:, 0]) == pytest.approx(x[:-1], rel=1e-14)
    assert sim.status[1] == RUNNING and sim.history(1).steps == 40


def test_a_start_outside_the_bound_diverges_at_step_0():
    surf = make_surface("quadratic", QUAD)
    sim = Simulation(surf, [run("gd", (6000.0, 0.0), "out", lr=0.1),
                            run("gd", (1.0, 0.0), "in", lr=0.1)])
    sim.run_to(5)
    assert sim.status[0] == DIVERGED and sim.stop_step[0] == 0
    assert sim.history(0).steps == -1
    assert "out" not in csvio.to_string(sim)


def test_advance_stops_when_every_run_has_stopped():
    sim = Simulation(make_surface("quadratic", QUAD), [run("gd", (-2.0, 1.5), lr=1.0)])
    assert sim.advance(100) == 12  # diverged at step 12 (see above)
    assert sim.status == [DIVERGED] and sim.step == 12
    assert sim.advance(10) == 0 and sim.step == 12


# ------------------------------------------------------------------ tolerance
def test_grad_norm_tolerance_marks_converged_at_the_first_step_below_it():
    surf = make_surface("quadratic", QUAD)
    tol = 1e-3
    sim = Simulation(surf, [run("gd", (-2.0, 1.5), "slow", lr=0.1),
                            run("gd", (-2.0, 1.5), "fast", lr=0.3)],
                     tolerance=Tolerance(grad_norm=tol))
    sim.run_to(5000)
    for i, eta in enumerate((0.1, 0.3)):
        # g^t = (−2(1−η)^t, 3·1.5(1−3η)^t)
        norms = [math.hypot(-2 * (1 - eta) ** t, 4.5 * (1 - 3 * eta) ** t) for t in range(500)]
        expected = next(t for t, g in enumerate(norms) if g < tol)
        assert sim.status[i] == CONVERGED and sim.stop_step[i] == expected
        assert sim.history(i).steps == expected  # the converged row is the last one
        assert sim.history(i).grad_norm[-1] < tol <= sim.history(i).grad_norm[-2]
    assert sim.step == max(sim.stop_step)  # every run stopped, so the simulation stopped
    assert sim.status_text(0) == f"converged at step {sim.stop_step[0]}"


def test_loss_change_tolerance():
    """The lecture's stopping rule: iterate while |L^t − L^(t−1)| > ε."""
    surf = make_surface("quadratic", QUAD)
    sim = Simulation(surf, [run("gd", (-2.0, 1.5), lr=0.05)],
                     tolerance=Tolerance(loss_change=1e-6))
    sim.run_to(10000)
    loss = [0.5 * ((2 * 0.95 ** t) ** 2 + 3 * (1.5 * 0.85 ** t) ** 2) for t in range(2000)]
    expected = next(t for t in range(1, 2000) if abs(loss[t] - loss[t - 1]) < 1e-6)
    assert sim.status[0] == CONVERGED and sim.stop_step[0] == expected
    # the same stop whatever the chunking
    sim2 = Simulation(surf, [run("gd", (-2.0, 1.5), lr=0.05)],
                      tolerance=Tolerance(loss_change=1e-6))
    for _ in range(expected + 5):
        sim2.advance(1)
    assert sim2.stop_step == [expected]


def test_tolerance_from_an_experiment_file():
    exp = loads('surface = { name = "quadratic", lambda1 = 1.0, lambda2 = 3.0 }\nsteps = 900\n'
                'tolerance = { grad_norm = 1e-4 }\n'
                '[[runs]]\noptimizer = "gd"\nlr = 0.3\nstart = [-2.0, 1.5]\n')
    sim = exp.simulation()
    sim.run_to(exp.steps)
    norms = [math.hypot(-2 * 0.7 ** t, 4.5 * 0.1 ** t) for t in range(100)]
    assert sim.stop_step == [next(t for t, g in enumerate(norms) if g < 1e-4)]


# ------------------------------------------------------------------ determinism
NOISY = """
title = "determinism"
surface = "rosenbrock"
steps = 5000
seed = 11
gradient_noise = 0.3
[[runs]]
optimizer = "gd"
lr = 0.0005
[[runs]]
optimizer = "momentum"
lr = 0.0002
schedule = { name = "plateau", patience = 20, factor = 0.5, threshold = 0.0 }
[[runs]]
optimizer = "nesterov"
lr = 0.0002
gradient_noise = 0.0
[[runs]]
optimizer = "adagrad"
lr = 0.3
schedule = { name = "inv_sqrt" }
[[runs]]
optimizer = "rmsprop"
lr = 0.01
schedule = { name = "plateau", patience = 5, factor = 0.7 }
[[runs]]
optimizer = "adam"
lr = 0.05
schedule = { name = "warmup", warmup = 50, then = "cosine", total = 3000 }
[[runs]]
optimizer = "rprop"
[[runs]]
optimizer = "quickprop"
lr = 0.0005
[[runs]]
optimizer = "newton"
damping = 1.0
[[runs]]
label = "too fast"
optimizer = "gd"
lr = 0.01
"""


def _csv(text, chunks=None, steps=5000):
    exp = loads(text)
    sim = exp.simulation()
    if chunks is None:
        sim.run_to(steps)
    else:
        for k in chunks:
            sim.advance(k)
        assert sim.step == steps or not sim.live.any()
    return csvio.to_string(sim), sim


def test_same_experiment_gives_the_same_bytes():
    a, sim = _csv(NOISY)
    b, _ = _csv(NOISY)
    assert a == b
    assert "diverged" in sim.status and "running" in sim.status
    # the noise is really there: another seed gives other bytes
    c, _ = _csv(NOISY.replace("seed = 11", "seed = 12"))
    assert c != a


def test_uneven_chunks_give_the_same_bytes_as_one_go():
    whole, _ = _csv(NOISY)
    chunks = [1, 7, 2048 + 5, 1, 1, 300, 2049, 1, 5000 - (1 + 7 + 2053 + 1 + 1 + 300 + 2049 + 1)]
    assert sum(chunks) == 5000
    parts, _ = _csv(NOISY, chunks)
    assert parts == whole
    steps, _ = _csv(NOISY, [1] * 600, steps=600)
    prefix = _prefix(whole, 600)
    assert steps == prefix


def _prefix(text, last_step):
    lines = text.splitlines(keepends=True)
    return lines[0] + "".join(line for line in lines[1:] if int(line.split(",")[3]) <= last_step)


def test_uneven_chunks_on_a_rotated_quadratic():
    text = ('surface = { name = "quadratic", lambda1 = 0.5, lambda2 = 4.0, angle = 25.0, '
            'cx = 0.3, cy = -0.2 }\nseed = 3\ngradient_noise = 0.05\n' +
            "".join(f'[[runs]]\noptimizer = "{o}"\n' for o in OPTIMIZERS))
    whole, _ = _csv(text, steps=3000)
    parts, _ = _csv(text, [1, 7, 2053, 939], steps=3000)
    assert parts == whole


def test_a_runs_trajectory_does_not_depend_on_the_runs_after_it():
    surf = make_surface("rosenbrock", {})
    a = run("gd", (-1.0, 1.0), "a", lr=1e-3, noise=0.5)
    sims = [Simulation(surf, [a, other], seed=4)
            for other in (run("adam", (0.0, 0.0), "b", lr=0.01, noise=0.2),
                          run("newton", (0.5, 0.5), "c"))]
    for s in sims:
        s.run_to(500)
    np.testing.assert_array_equal(sims[0].history(0).theta, sims[1].history(0).theta)


# ------------------------------------------------------------------ random streams
def test_inserting_a_run_before_a_noisy_run_leaves_its_trajectory_unchanged():
    """Issue 9, item 22: streams are keyed by the run's label, not its position."""
    surf = make_surface("rosenbrock", {})
    noisy = run("gd", (-1.0, 1.0), "noisy", lr=1e-3, noise=0.5)
    other = run("adam", (0.0, 0.0), "other", lr=0.01, noise=0.2)
    alone = Simulation(surf, [noisy], seed=4)
    after = Simulation(surf, [other, run("gd", (0.5, 0.5), "new", lr=1e-3, noise=1.0), noisy],
                       seed=4)
    for s in (alone, after):
        s.run_to(300)
    np.testing.assert_array_equal(alone.history(0).theta, after.history(2).theta)
    np.testing.assert_array_equal(alone.history(0).grad, after.history(2).grad)
    # the noise is really there, and another label gets another stream
    renamed = Simulation(surf, [run("gd", (-1.0, 1.0), "renamed", lr=1e-3, noise=0.5)], seed=4)
    renamed.run_to(300)
    assert not np.array_equal(renamed.history(0).theta, alone.history(0).theta)
    quiet = Simulation(surf, [run("gd", (-1.0, 1.0), "noisy", lr=1e-3)], seed=4)
    quiet.run_to(300)
    assert not np.array_equal(quiet.history(0).theta, alone.history(0).theta)


def test_inserting_a_run_before_a_mini_batch_run_leaves_its_batches_unchanged():
    text = ('surface = { name = "linear-regression" }\nsteps = 250\nseed = 2\n'
            '[[runs]]\nlabel = "B = 5"\noptimizer = "gd"\nlr = 0.05\nbatch_size = 5\n')
    extra = '[[runs]]\nlabel = "first"\noptimizer = "momentum"\nlr = 0.01\nbatch_size = 3\n'
    a = loads(text).simulation()
    b = loads(text.replace("[[runs]]", extra + "[[runs]]", 1)).simulation()
    for s in (a, b):
        s.run_to(250)
    assert b.runs[1].label == "B = 5"
    np.testing.assert_array_equal(a.history(0).theta, b.history(1).theta)


def test_the_same_label_twice_gets_two_streams():
    surf = make_surface("rosenbrock", {})
    twins = [run("gd", (-1.0, 1.0), "twin", lr=1e-3, noise=0.5)] * 2
    sim = Simulation(surf, twins, seed=1)
    sim.run_to(50)
    assert not np.array_equal(sim.history(0).theta, sim.history(1).theta)


def test_noise_is_standard_normal_scaled_by_gradient_noise():
    """On a flat surface the recorded gradient is the noise alone: mean 0, std σ_noise."""
    exp = loads('expression = "0*x + 0*y"\nsteps = 4000\n[[runs]]\noptimizer = "gd"\n'
                'lr = 0.0\ngradient_noise = 0.3\n'.replace("lr = 0.0", "lr = 1e-9"))
    sim = exp.simulation()
    sim.run_to(4000)
    g = sim.history(0).grad
    assert abs(g.mean()) < 0.03 and abs(g.std() - 0.3) < 0.01
    assert abs(np.corrcoef(g[:, 0], g[:, 1])[0, 1]) < 0.05


# ------------------------------------------------------------------ memory follows the work
def test_the_record_grows_with_the_rows_recorded():
    """20,000 runs × 10 steps: the record holds a few rows per run, not 2,049 (3.6 GB)."""
    import tracemalloc

    surf = make_surface("rosenbrock", {})
    runs = [run("adam", (-1.2, 1.0), f"r{i}", lr=1e-3 * (1 + i % 7)) for i in range(20_000)]
    tracemalloc.start()
    try:
        sim = Simulation(surf, runs)
        sim.run_to(10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sim.history(19_999).steps == 10
    assert peak < 150e6, peak  # 16 rows × 20,000 runs × 88 B = 28 MB, plus working arrays
    # and it keeps growing as needed (geometrically, so copies stay amortized)
    sim = Simulation(surf, runs[:3])
    for _ in range(100):
        sim.advance(1)
    assert sim.history(2).steps == 100 and 101 <= sim._cap <= 256


def test_record_free_100000_runs_stay_far_below_1_2_gb():
    import tracemalloc

    surf = make_surface("rosenbrock", {})
    base = OPTIMIZERS["adam"].defaults()
    runs = [RunSpec(f"r{i}", "adam", {**base, "lr": 1e-4 * (1 + i % 100)}, (-1.2, 1.0), key=i)
            for i in range(100_000)]
    tracemalloc.start()
    try:
        sim = Simulation(surf, runs, record=False)
        sim.run_to(30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 600e6, peak
    s = sim.summary()
    assert s.final_theta.shape == (100_000, 2) and np.isfinite(s.final_loss).all()
    assert (s.lowest_loss <= s.final_loss).all() and sim.step == 30
