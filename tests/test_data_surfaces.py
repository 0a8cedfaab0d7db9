"""Data-defined losses (linear-regression, logistic-spoiler) and mini-batching in the engine."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine import csvio
from engine.experiment import ExperimentError, loads
from engine.optimizers import optimizer_spec
from engine.simulation import RunSpec, Simulation
from engine.step_tables import batches
from surfaces import SURFACES, make_surface

LR_CASES = [{}, {"scaled": False}, {"n": 7, "noise": 0.0, "true_w": -1.5, "true_b": 3.0},
            {"n": 25, "data_seed": 4, "scaled": False, "noise": 3.0}]
SPOILER_CASES = [{}, {"spoiler_t": 5.0}, {"spoiler_t": 10.0}, {"eps": 0.1, "spoiler_t": 2.0},
                 {"bias": 1.0, "spoiler_t": 10.0}, {"bias": -0.5}, {"eps": 0.0}]
CASES = ([("linear-regression", c) for c in LR_CASES]
         + [("logistic-spoiler", c) for c in SPOILER_CASES])


def case_id(case):
    name, params = case
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def random_points(surface, n, seed):
    x0, x1, y0, y1 = surface.view
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def gd_spec(surface, lr, batch_size=None, label="gd", start=None):
    return RunSpec(label, "gd", {"lr": lr}, start or surface.start, batch_size=batch_size)


# ------------------------------------------------------------------ derivatives and values
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradient_and_hessian_match_central_differences(case):
    s = make_surface(*case)
    p = random_points(s, 40, seed=1)
    h = 1e-5
    num_g = np.empty_like(p)
    num_h = np.empty((len(p), 2, 2))
    for k in range(2):
        d = np.zeros(2)
        d[k] = h
        num_g[:, k] = (s.value(p + d) - s.value(p - d)) / (2 * h)
        num_h[:, :, k] = (s.grad(p + d) - s.grad(p - d)) / (2 * h)
    g, H = s.grad(p), s.hessian(p)
    scale_g = 1.0 + np.abs(g).max()
    scale_h = 1.0 + np.abs(H).max()
    np.testing.assert_allclose(g, num_g, atol=1e-6 * scale_g, rtol=1e-5)
    np.testing.assert_allclose(H, num_h, atol=1e-6 * scale_h, rtol=1e-5)
    assert g.shape == (40, 2) and H.shape == (40, 2, 2) and s.value(p).shape == (40,)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_full_data_value_and_gradient_are_the_mean_over_examples(case):
    s = make_surface(*case)
    p = random_points(s, 30, seed=2)
    np.testing.assert_allclose(s.value(p), s.example_losses(p).mean(axis=1), rtol=1e-12,
                               atol=1e-12)
    per_example = s.example_gradients(p)
    assert per_example.shape == (30, s.n_examples, 2)
    np.testing.assert_allclose(s.grad(p), per_example.mean(axis=1), rtol=1e-12, atol=1e-14)
    # grad is exactly batch_grad over every example in natural order with weights 1/N
    N = s.n_examples
    idx = np.tile(np.arange(N), (30, 1))
    w = np.full((30, N), 1.0 / N)
    assert np.array_equal(s.grad(p), s.batch_grad(p, idx, w))


def test_linear_regression_against_hand_computed_formulas():
    s = make_surface("linear-regression", {"n": 5, "scaled": False})
    x, y = s.features, s.targets
    p = np.array([[0.5, -2.0], [3.0, 1.0]])
    for row, (w, b) in enumerate(p):
        r = [w * xi + b - yi for xi, yi in zip(x, y)]
        assert s.value(p)[row] == pytest.approx(sum(ri * ri for ri in r) / 5, rel=1e-12)
        gw = sum(2 * ri * xi for ri, xi in zip(r, x)) / 5
        gb = sum(2 * ri for ri in r) / 5
        assert s.grad(p)[row] == pytest.approx([gw, gb], rel=1e-12)
    H = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    assert np.array_equal(s.hessian(p)[0], H)
    # a batch of examples 1 and 3 with weights ½ each: the gradient of their mean loss
    w, b = p[0]
    r1, r3 = w * x[1] + b - y[1], w * x[3] + b - y[3]
    g = s.batch_grad(p[:1], np.array([[1, 3, 0]]), np.array([[0.5, 0.5, 0.0]]))
    assert g[0] == pytest.approx([r1 * x[1] + r3 * x[3], r1 + r3], rel=1e-12)


def test_logistic_spoiler_against_hand_computed_formulas():
    s = make_surface("logistic-spoiler", {"spoiler_t": 3.0, "eps": 0.1, "bias": 0.5})
    sig = lambda z: 1.0 / (1.0 + math.exp(-z))  # noqa: E731
    w1, w2 = 0.7, -0.4
    pts = [((1, 0), 0.9), ((0, 1), 0.9), ((-1, 0), 0.1), ((0, -3), 0.9)]
    loss = sum((y - sig(w1 * a + w2 * c + 0.5)) ** 2 for (a, c), y in pts) / 4
    gx = sum(-2 * (y - sig(w1 * a + w2 * c + 0.5)) * sig(w1 * a + w2 * c + 0.5)
             * (1 - sig(w1 * a + w2 * c + 0.5)) * a for (a, c), y in pts) / 4
    gy = sum(-2 * (y - sig(w1 * a + w2 * c + 0.5)) * sig(w1 * a + w2 * c + 0.5)
             * (1 - sig(w1 * a + w2 * c + 0.5)) * c for (a, c), y in pts) / 4
    p = np.array([[w1, w2]])
    assert s.value(p)[0] == pytest.approx(loss, rel=1e-13)
    assert s.grad(p)[0] == pytest.approx([gx, gy], rel=1e-12)
    assert s.n_examples == 4
    assert make_surface("logistic-spoiler").n_examples == 3


def test_values_stay_finite_far_out():
    s = make_surface("logistic-spoiler", {"spoiler_t": 100.0})
    p = np.array([[1e6, -1e6], [-800.0, 900.0], [0.0, 0.0]])
    assert np.isfinite(s.value(p)).all() and np.isfinite(s.grad(p)).all()
    assert np.isfinite(s.hessian(p)).all()


# ------------------------------------------------------------------ critical points
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_listed_critical_points_are_critical(case):
    s = make_surface(*case)
    for c in s.critical_points:
        p = c.point[None]
        assert np.linalg.norm(s.grad(p)) < 1e-10, c
        ev = np.linalg.eigvalsh(s.hessian(p)[0])
        expected = {"minimum": [1, 1], "saddle": [-1, 1], "maximum": [-1, -1]}[c.kind]
        assert list(np.sign(ev)) == expected, (c, ev)
        x0, x1, y0, y1 = s.view
        assert x0 < c.x < x1 and y0 < c.y < y1
    x0, x1, y0, y1 = s.view
    assert x0 < s.start[0] < x1 and y0 < s.start[1] < y1


def test_linear_regression_minimum_is_the_least_squares_solution():
    for params in LR_CASES:
        s = make_surface("linear-regression", params)
        x, y = s.features, s.targets
        A = np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), len(x)]])
        w_b = np.linalg.solve(A, [np.sum(x * y), np.sum(y)])  # normal equations
        (m,) = s.minima
        assert (m.x, m.y) == pytest.approx(tuple(w_b), rel=1e-10, abs=1e-12)
        assert s.value(m.point[None])[0] == pytest.approx(s.min_loss, rel=1e-12)
    exact = make_surface("linear-regression", {"noise": 0.0, "true_w": 2.5, "true_b": -1.0})
    assert (exact.minima[0].x, exact.minima[0].y) == pytest.approx((2.5, -1.0), abs=1e-12)
    assert exact.min_loss == pytest.approx(0.0, abs=1e-20)


def test_feature_scaling_sets_the_condition_number():
    scaled = make_surface("linear-regression", {"scaled": True})
    raw = make_surface("linear-regression", {"scaled": False})
    assert np.mean(scaled.features) == pytest.approx(0.0, abs=1e-12)
    assert np.var(scaled.features) == pytest.approx(1.0, rel=1e-12)
    assert scaled.condition_number == pytest.approx(1.0, rel=1e-9)
    assert scaled.eta_max == pytest.approx(1.0, rel=1e-9)  # H = 2I
    assert raw.features.min() >= 0.0 and raw.features.max() <= 10.0
    # H = 2[[mean x², mean x], [mean x, 1]]; x uniform on [0, 10] gives κ of order 140
    H = raw.hessian(np.zeros((1, 2)))[0]
    ev = np.linalg.eigvalsh(H)
    assert raw.condition_number == pytest.approx(ev[1] / ev[0], rel=1e-12)
    assert raw.condition_number > 100
    assert raw.eta_max == pytest.approx(2.0 / ev[1], rel=1e-12)
    # the same data_seed draws the same raw x and noise, so both fit the same generating line
    assert scaled.min_loss == pytest.approx(raw.min_loss, rel=1e-10)


def test_scaled_regression_gd_with_half_step_lands_on_the_minimum_in_one_step():
    s = make_surface("linear-regression")  # H = 2I: η = 1/λ = 0.5 is Newton's step
    sim = Simulation(s, [gd_spec(s, 0.5)])
    sim.advance(1)
    assert sim.history(0).theta[1] == pytest.approx(s.optimum, abs=1e-12)
    assert sim.history(0).loss[1] == pytest.approx(s.min_loss, rel=1e-12)


def test_logistic_three_point_optimum_is_the_slides_closed_form():
    s = make_surface("logistic-spoiler")  # ε = 0.01, no spoiler, bias 0
    L = math.log(0.99 / 0.01)
    (m,) = s.critical_points
    assert m.kind == "minimum"
    assert (m.x, m.y) == pytest.approx((L, L), abs=1e-9)
    assert s.value(m.point[None])[0] == pytest.approx(0.0, abs=1e-20)
    assert s.three_point_optimum == (L, L)
    assert s.separates(m.point)


def test_targets_one_and_zero_put_the_optimum_at_infinity():
    s = make_surface("logistic-spoiler", {"eps": 0.0})
    assert s.critical_points == ()
    assert "infinity" in s.describe()
    far = np.array([[10.0, 10.0], [20.0, 20.0]])
    assert s.value(far)[1] < s.value(far)[0]  # the loss keeps falling along the diagonal
    assert (s.grad(far)[:, 0] < 0).all() and (s.grad(far)[:, 1] < 0).all()


def test_spoiler_keeps_the_three_point_optimum_as_a_non_separating_local_minimum():
    L = math.log(99.0)
    s = make_surface("logistic-spoiler", {"spoiler_t": 10.0})
    local = [c for c in s.minima if c.y > 1]
    glob = [c for c in s.minima if c.y < 1]
    assert len(local) == 1 and len(glob) == 1 and len(s.saddles) == 1
    assert (local[0].x, local[0].y) == pytest.approx((L, L), abs=1e-8)  # barely moves
    assert not s.separates(local[0].point)
    assert s.value(glob[0].point[None])[0] < s.value(local[0].point[None])[0]
    # with bias 0, (0, 1) and (0, −t) lie on opposite sides of every line through the origin
    assert s.separator is None
    assert not s.separates(glob[0].point)


def test_separates_and_separator():
    plain = make_surface("logistic-spoiler")
    assert plain.separates((1.0, 1.0)) and not plain.separates((-1.0, 1.0))
    assert not plain.separates((1.0, 0.0))  # (0, 1) lies on the line: counts as wrong
    assert list(plain.separates(np.array([[1.0, 1.0], [1.0, -1.0]]))) == [True, False]
    assert plain.separates(plain.separator)
    spoiled = make_surface("logistic-spoiler", {"spoiler_t": 10.0, "bias": 1.0})
    assert spoiled.separates(spoiled.separator)
    # w₁ > b and −b < w₂ < b/t: (2, 0.05) works, (2, 0.2) misses the spoiler
    assert spoiled.separates((2.0, 0.05)) and not spoiled.separates((2.0, 0.2))
    glob = min(spoiled.minima, key=lambda c: spoiled.value(c.point[None])[0])
    assert spoiled.separates(glob.point)


def test_data_comes_from_data_seed_only():
    np.random.seed(1)
    a = make_surface("linear-regression", {"data_seed": 3})
    np.random.seed(2)
    b = make_surface("linear-regression", {"data_seed": 3})
    c = make_surface("linear-regression", {"data_seed": 4})
    assert np.array_equal(a.features, b.features) and np.array_equal(a.targets, b.targets)
    assert not np.array_equal(a.targets, c.targets)


@pytest.mark.parametrize("name, params, fragment", [
    ("linear-regression", {"n": 1}, "parameter 'n' must be ≥ 2"),
    ("linear-regression", {"n": 2.5}, "whole number"),
    ("linear-regression", {"scaled": "yes"}, "true or false"),
    ("linear-regression", {"noise": -1.0}, "≥ 0"),
    ("logistic-spoiler", {"spoiler_t": -3.0}, "parameter 'spoiler_t' must be ≥ 0"),
    ("logistic-spoiler", {"eps": 0.7}, "parameter 'eps' must be ≤ 0.45"),
])
def test_bad_parameters_name_the_problem(name, params, fragment):
    with pytest.raises(ValueError, match=fragment):
        make_surface(name, params)


def test_registered_and_described():
    for name in ("linear-regression", "logistic-spoiler"):
        s = SURFACES[name]()
        assert s.is_data and s.title and len(s.description) > 200
        assert s.axis_names == (("w", "b") if name == "linear-regression" else ("w₁", "w₂"))


# ------------------------------------------------------------------ the lecture's claims
def test_gd_without_spoiler_separates_and_the_spoiler_does_not_change_that_run():
    """Slides 12–20: the L2 optimum separates three points; with a spoiler (0, −10) GD from
    the same start follows the same path to the same place, which no longer separates. (The
    loss is a mean over N = 3 or 4 examples, so the spoiler run needs η·4/3 for the same
    steps.)"""
    L = math.log(99.0)
    runs = {}
    for t, lr in ((0.0, 50.0), (10.0, 50.0 * 4 / 3)):
        s = make_surface("logistic-spoiler", {"spoiler_t": t})
        sim = Simulation(s, [gd_spec(s, lr=lr)])
        sim.advance(3000)
        runs[t] = sim.history(0).theta
        assert runs[t][-1] == pytest.approx((L, L), abs=1e-4)
    plain = make_surface("logistic-spoiler")
    spoiled = make_surface("logistic-spoiler", {"spoiler_t": 10.0})
    assert plain.separates(runs[0.0][-1]) and not spoiled.separates(runs[10.0][-1])
    assert np.abs(runs[10.0] - runs[0.0]).max() < 1e-6  # the spoiler changes nothing


def test_with_a_fixed_bias_a_separator_exists_but_gd_does_not_find_it():
    s = make_surface("logistic-spoiler", {"spoiler_t": 10.0, "bias": 1.0})
    local = max(s.minima, key=lambda c: c.y)
    sim = Simulation(s, [gd_spec(s, lr=50.0), gd_spec(s, lr=5.0, label="below",
                                                       start=(-2.0, -1.0))])
    sim.advance(3000)
    top, below = sim.history(0).theta[-1], sim.history(1).theta[-1]
    assert top == pytest.approx(local.point, abs=1e-3)
    assert not s.separates(top) and s.separator is not None and s.separates(s.separator)
    assert s.separates(below)  # started below the axis, GD reaches the separating minimum


# ------------------------------------------------------------------ mini-batches in the engine
def small_regression(n=10):
    return make_surface("linear-regression", {"n": n, "data_seed": 1})


def test_full_batch_run_uses_the_analytic_full_data_gradient():
    s = small_regression(20)
    sim = Simulation(s, [gd_spec(s, 0.1)], seed=5)
    sim.advance(30)
    h = sim.history(0)
    assert np.array_equal(h.grad, s.grad(h.theta))
    assert np.array_equal(h.loss, s.value(h.theta))
    # mixed with a mini-batch run (the batched code path) the full-batch run is unchanged
    mixed = Simulation(s, [gd_spec(s, 0.1), gd_spec(s, 0.1, batch_size=3, label="b3")], seed=5)
    mixed.advance(30)
    assert np.array_equal(mixed.history(0).theta, h.theta)
    assert np.array_equal(mixed.history(0).grad, h.grad)


def test_batches_cover_every_example_once_per_epoch_and_reshuffle():
    N, B = 10, 3
    s = small_regression(N)
    sim = Simulation(s, [gd_spec(s, 0.1, batch_size=B), gd_spec(s, 0.1, label="full")])
    epochs, per_epoch = 5, math.ceil(N / B)
    idx, w = batches(sim, 0, epochs * per_epoch)
    orders = []
    for e in range(epochs):
        seen = []
        for j in range(e * per_epoch, (e + 1) * per_epoch):
            size = B if j % per_epoch < per_epoch - 1 else N - B * (per_epoch - 1)
            assert np.array_equal(w[j, 0, :size], np.full(size, 1.0 / size))
            assert (w[j, 0, size:] == 0).all() and (idx[j, 0, size:] == 0).all()
            seen.extend(idx[j, 0, :size].tolist())
            # the full-batch run: every example in natural order, weight 1/N
            assert np.array_equal(idx[j, 1], np.arange(N))
            assert np.array_equal(w[j, 1], np.full(N, 1.0 / N))
        assert sorted(seen) == list(range(N))
        orders.append(seen)
    assert len({tuple(o) for o in orders}) == epochs  # shuffled anew every epoch


def test_batch_size_one_steps_on_one_example_each_epoch_a_permutation():
    N = 8
    s = small_regression(N)
    sim = Simulation(s, [gd_spec(s, 0.05, batch_size=1)], seed=11)
    sim.advance(3 * N - 1)
    h = sim.history(0)
    per_example = s.example_gradients(h.theta)  # (steps, N, 2)
    used = []
    for t in range(3 * N):
        match = [i for i in range(N) if np.array_equal(h.grad[t], per_example[t, i])]
        assert len(match) == 1, t
        used.append(match[0])
        # the loss column is the full-data loss, not that one example's loss
        assert h.loss[t] == s.value(h.theta[t:t + 1])[0]
    for e in range(3):
        assert sorted(used[e * N:(e + 1) * N]) == list(range(N))
    assert used[:N] != used[N:2 * N]


def test_same_seed_same_trajectory_other_seed_another():
    s = small_regression(12)
    specs = [gd_spec(s, 0.05, batch_size=1), gd_spec(s, 0.05, batch_size=5, label="b5")]

    def theta(seed):
        sim = Simulation(s, specs, seed=seed)
        sim.advance(60)
        return [sim.history(i).theta.copy() for i in range(2)]

    a, b, c = theta(3), theta(3), theta(4)
    for i in range(2):
        assert np.array_equal(a[i], b[i])
        assert not np.array_equal(a[i], c[i])
    # a run's stream does not depend on the other runs
    alone = Simulation(s, specs[:1], seed=3)
    alone.advance(60)
    assert np.array_equal(alone.history(0).theta, a[0])


def test_advancing_in_uneven_chunks_gives_the_same_bytes():
    s = small_regression(10)
    specs = [gd_spec(s, 0.05, batch_size=1), gd_spec(s, 0.05, batch_size=4, label="b4"),
             gd_spec(s, 0.05, label="full"),
             RunSpec("adam", "adam", optimizer_spec("adam").resolve({"lr": 0.05}), s.start,
                     batch_size=3)]
    steps = 2100  # crosses the simulation's internal chunk of 2048 rows
    one = Simulation(s, specs, seed=9)
    one.advance(steps)
    chunked = Simulation(s, specs, seed=9)
    while chunked.step < steps:
        chunked.advance(min(7, steps - chunked.step))
    assert csvio.to_string(one) == csvio.to_string(chunked)


def test_csv_loss_is_full_data_and_gradient_is_the_batch_gradient():
    s = small_regression(6)
    sim = Simulation(s, [gd_spec(s, 0.05, batch_size=2)], seed=1)
    sim.advance(9)
    rows = [r.split(",") for r in csvio.to_string(sim).splitlines()]
    head, body = rows[0], rows[1:]
    col = {name: head.index(name) for name in ("x", "y", "loss", "grad_x", "grad_y")}
    h = sim.history(0)
    for t, r in enumerate(body):
        theta = np.array([[float(r[col["x"]]), float(r[col["y"]])]])
        assert float(r[col["loss"]]) == s.value(theta)[0]
        g = np.array([float(r[col["grad_x"]]), float(r[col["grad_y"]])])
        assert np.array_equal(g, h.grad[t])
        assert not np.allclose(g, s.grad(theta)[0])  # a batch of 2 is not the full data
        # it is the mean gradient of two of the six examples
        ex = s.example_gradients(theta)[0]
        pairs = [(i, j) for i in range(6) for j in range(i + 1, 6)
                 if np.allclose(g, 0.5 * (ex[i] + ex[j]), rtol=1e-12, atol=1e-14)]
        assert len(pairs) == 1


def test_batch_size_larger_than_n_is_full_batch():
    s = small_regression(10)
    full = Simulation(s, [gd_spec(s, 0.1)], seed=2)
    big = Simulation(s, [gd_spec(s, 0.1, batch_size=11)], seed=2)
    mixed = Simulation(s, [gd_spec(s, 0.1, batch_size=500), gd_spec(s, 0.1, batch_size=1,
                                                                     label="b1")], seed=2)
    for sim in (full, big, mixed):
        sim.advance(25)
    assert np.array_equal(big.history(0).theta, full.history(0).theta)
    assert np.array_equal(mixed.history(0).theta, full.history(0).theta)


EXPERIMENT = """
surface = {{ name = "linear-regression", n = 10, data_seed = 1 }}
steps = 40
seed = 7
{top}
[[runs]]
label = "default"
optimizer = "gd"
lr = 0.05
[[runs]]
label = "own"
optimizer = "gd"
lr = 0.05
{own}
"""


def test_batch_size_from_the_experiment_file_top_level_and_per_run():
    exp = loads(EXPERIMENT.format(top="batch_size = 2", own="batch_size = 5"))
    assert exp.batch_size == 2
    assert [r.batch_size for r in exp.run_specs()] == [2, 5]
    sim = exp.simulation()
    sim.advance(exp.steps)
    s = sim.surface
    # each step of run 1 uses two examples, of run 2 five: the recorded gradients match
    for i, B in ((0, 2), (1, 5)):
        h = sim.history(i)
        idx, w = batches(Simulation(s, sim.runs, seed=7), 0, 3)
        for t in range(3):
            sel = idx[t, i, :B]
            expect = s.example_gradients(h.theta[t:t + 1])[0, sel].mean(axis=0)
            assert h.grad[t] == pytest.approx(expect, rel=1e-12)
    # no top-level batch size: the first run is full batch, the second uses its own
    exp = loads(EXPERIMENT.format(top="", own="batch_size = 3"))
    assert [r.batch_size for r in exp.run_specs()] == [None, 3]
    sim = exp.simulation()
    sim.advance(10)
    h = sim.history(0)
    assert np.array_equal(h.grad, sim.surface.grad(h.theta))


@pytest.mark.parametrize("top, own, key", [("batch_size = 4", "", "batch_size"),
                                           ("", "batch_size = 4", "batch_size")])
def test_batch_size_on_an_analytic_surface_is_an_error(top, own, key):
    text = EXPERIMENT.format(top=top, own=own).replace(
        '{ name = "linear-regression", n = 10, data_seed = 1 }', '"rosenbrock"')
    with pytest.raises(ExperimentError, match="data-defined surface") as err:
        loads(text, "demo.toml")
    assert str(err.value).startswith("demo.toml: batch_size:")


def test_batch_size_must_be_a_positive_whole_number():
    with pytest.raises(ExperimentError, match="runs\\[2\\].batch_size: must be ≥ 1"):
        loads(EXPERIMENT.format(top="", own="batch_size = 0"))
    with pytest.raises(ExperimentError, match="batch_size: must be a whole number"):
        loads(EXPERIMENT.format(top="batch_size = 2.5", own=""))
