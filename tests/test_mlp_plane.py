"""mlp-plane (a trained tanh network's loss on a plane), its data sets and training, the model
protocol of every data surface, and the derivative checks every data surface must pass."""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from engine.analysis import find_critical_points
from engine.experiment import ExperimentError, loads
from surfaces import SURFACES, make_surface, mlp, mlp_cache, mlp_plane
from surfaces.data import DataSurface
from surfaces.datasets import DATASETS, make_dataset

# every registered data surface with its defaults (so one registered later is checked the
# moment it exists), plus variants
DATA_CASES = [(name, {}) for name, cls in sorted(SURFACES.items())
              if issubclass(cls, DataSurface)] + [
    ("linear-regression", {"scaled": False}),
    ("logistic-spoiler", {"spoiler_t": 10.0, "bias": 1.0}),
    ("mlp-plane", {"directions": "pca"}),
    ("mlp-plane", {"directions": "interpolation"}),
    ("mlp-plane", {"dataset": "circles", "hidden": 3, "n": 60}),
    ("mlp-plane", {"dataset": "spirals", "hidden": 12, "n": 101, "weight_decay": 0.0,
                   "directions": "interpolation"}),
]


def case_id(case):
    name, params = case
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def points_in_view(surface, n, seed):
    x0, x1, y0, y1 = surface.view
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def test_every_data_surface_is_checked():
    data = {n for n, cls in SURFACES.items() if n != "expression" and cls().is_data}
    assert data == {name for name, _ in DATA_CASES}
    assert {"linear-regression", "logistic-spoiler", "mlp-plane"} <= data


def central(f, p, h):
    """Central differences of f (points (n, 2) -> (n, ...)) along both axes with Richardson
    extrapolation, (4·D(h/2) − D(h))/3, whose error is O(h⁴): (n, ..., 2)."""
    out = []
    for k in range(2):
        e = np.zeros(2)
        e[k] = 1.0

        def d(step):
            return (f(p + step * e) - f(p - step * e)) / (2 * step)
        out.append((4 * d(h / 2) - d(h)) / 3)
    return np.stack(out, axis=-1)


@pytest.mark.parametrize("case", DATA_CASES, ids=case_id)
def test_gradient_agrees_with_central_differences_to_1e6_relative(case):
    s = make_surface(*case)
    p = points_in_view(s, 20, seed=7)
    x0, x1, y0, y1 = s.view
    fd = central(s.value, p, 1e-4 * max(x1 - x0, y1 - y0))
    g = s.grad(p)
    err = np.linalg.norm(g - fd, axis=1)
    assert np.all(err <= 1e-6 * np.linalg.norm(g, axis=1) + 1e-12), err.max()


@pytest.mark.parametrize("case", DATA_CASES, ids=case_id)
def test_hessian_agrees_with_central_differences_to_1e6_relative(case):
    s = make_surface(*case)
    p = points_in_view(s, 20, seed=8)
    x0, x1, y0, y1 = s.view
    fd = central(s.grad, p, 1e-4 * max(x1 - x0, y1 - y0))
    H = s.hessian(p)
    err = np.linalg.norm(H - fd, axis=(1, 2))
    assert np.all(err <= 1e-6 * np.linalg.norm(H, axis=(1, 2)) + 1e-12), err.max()
    np.testing.assert_allclose(H, np.swapaxes(H, 1, 2), rtol=0, atol=1e-13)


# ------------------------------------------------------------------ the network
def test_backprop_matches_central_differences_in_all_parameters():
    x, y = make_dataset("moons", 30, 0.2, 3)
    w = mlp.init_params(5, np.random.default_rng(2)) + 0.3
    _, g = mlp.loss_and_grad(w, x, y, 5, 0.01)
    fd = np.empty_like(w)
    for i in range(len(w)):
        e = np.zeros_like(w)
        e[i] = 1e-6
        fd[i] = (mlp.loss_and_grad(w + e, x, y, 5, 0.01)[0]
                 - mlp.loss_and_grad(w - e, x, y, 5, 0.01)[0]) / 2e-6
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_loss_by_hand_for_a_one_unit_network():
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    y = np.array([1.0, 0.0])
    w = np.array([0.3, -0.2, 0.1, 2.0, -0.5])  # W1 = [[0.3, -0.2]], b1 = 0.1, w2 = 2, b2 = -0.5
    o = [2.0 * math.tanh(0.3 * 1 - 0.2 * 2 + 0.1) - 0.5,
         2.0 * math.tanh(-0.3 - 0.1 + 0.1) - 0.5]
    p = [1 / (1 + math.exp(-v)) for v in o]
    want = -(math.log(p[0]) + math.log(1 - p[1])) / 2 + 0.5 * 0.1 * float(w @ w)
    assert mlp.loss_and_grad(w, x, y, 1, 0.1)[0] == pytest.approx(want, rel=1e-14)


def test_surface_is_the_network_loss_on_the_plane():
    s = make_surface("mlp-plane", {"directions": "pca"})
    p = np.array([[0.3, -0.7], [2.0, 1.0]])
    for row, th in zip(p, s.theta(p)):
        np.testing.assert_allclose(th, s.c + row[0] * s.d1 + row[1] * s.d2, rtol=0, atol=0)
        loss, g = mlp.loss_and_grad(th, s.inputs, s.targets, s.hidden, s.weight_decay)
        assert s.value(row[None])[0] == pytest.approx(loss, rel=1e-12)
        np.testing.assert_allclose(s.grad(row[None])[0], [g @ s.d1, g @ s.d2], rtol=1e-10,
                                   atol=1e-13)


def test_full_gradient_is_batch_grad_over_every_example_and_the_mean_of_examples():
    s = make_surface("mlp-plane", {"n": 40})
    p = points_in_view(s, 9, seed=1)
    N = s.n_examples
    idx = np.tile(np.arange(N), (9, 1))
    assert np.array_equal(s.grad(p), s.batch_grad(p, idx, np.full((9, N), 1.0 / N)))
    np.testing.assert_allclose(s.grad(p), s.example_gradients(p).mean(axis=1), rtol=1e-10,
                               atol=1e-14)
    np.testing.assert_allclose(s.value(p), s.example_losses(p).mean(axis=1), rtol=1e-13)
    # a batch is the weighted sum of its examples' gradients
    sub = np.array([[3, 17, 5]] * 9)
    w = np.full((9, 3), 1 / 3)
    np.testing.assert_allclose(s.batch_grad(p, sub, w),
                               s.example_gradients(p)[:, [3, 17, 5]].mean(axis=1),
                               rtol=1e-10, atol=1e-14)
    # one point alone gives the same numbers as in a crowd
    assert np.array_equal(s.grad(p[4:5])[0], s.grad(p)[4])


def test_datasets_are_balanced_seeded_and_shaped():
    for name in DATASETS:
        x, y = make_dataset(name, 200, 0.2, 5)
        assert x.shape == (200, 2) and y.shape == (200,)
        assert y.sum() == 100 and set(np.unique(y)) == {0.0, 1.0}
        x2, _ = make_dataset(name, 200, 0.2, 5)
        assert np.array_equal(x, x2)
        assert not np.array_equal(x, make_dataset(name, 200, 0.2, 6)[0])
    clean, _ = make_dataset("circles", 8, 0.0, 0)
    np.testing.assert_allclose(np.hypot(*clean.T), [1, 1, 1, 1, .5, .5, .5, .5])
    moons, ym = make_dataset("moons", 3, 0.0, 0)  # the outer moon's ends, the inner's start
    np.testing.assert_allclose(moons, [[0.5, -0.25], [-1.5, -0.25], [-0.5, 0.25]], atol=1e-15)
    assert list(ym) == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="stars"):
        make_dataset("stars", 10, 0.1, 0)


def test_training_converges_and_is_deterministic():
    s = make_surface("mlp-plane")
    tr = s._b.training
    assert tr.grad_norm < 1e-4
    assert s.accuracy((0.0, 0.0)) >= 0.95
    x, y = make_dataset("moons", 200, 0.2, 0)
    again = mlp.train(x, y, 8, 0, 1e-3)
    assert np.array_equal(again.w, tr.w)
    other = mlp.train(x, y, 8, 1, 1e-3)
    assert not np.array_equal(other.w, tr.w)


def test_directions():
    rnd = make_surface("mlp-plane")
    w, h = rnd.w_star, rnd.hidden
    W1, _, w2, _ = mlp.unpack(w, h)
    for d in (rnd.d1, rnd.d2):  # filter-normalised, biases 0
        dW1, db1, dw2, db2 = mlp.unpack(d, h)
        np.testing.assert_allclose(np.linalg.norm(dW1, axis=1), np.linalg.norm(W1, axis=1))
        assert np.linalg.norm(dw2) == pytest.approx(np.linalg.norm(w2))
        assert not db1.any() and db2 == 0
    np.testing.assert_array_equal(rnd.c, w)
    pca = make_surface("mlp-plane", {"directions": "pca"})
    assert pca.d1 @ pca.d1 == pytest.approx(1) and pca.d2 @ pca.d2 == pytest.approx(1)
    assert abs(pca.d1 @ pca.d2) < 1e-12
    # the first principal direction carries most of the path: its spread exceeds the second's
    spread = pca.training_path.std(axis=0)
    assert spread[0] > spread[1] > 0
    x0, x1, y0, y1 = pca.view
    assert (pca.training_path[:, 0] > x0).all() and (pca.training_path[:, 0] < x1).all()
    itp = make_surface("mlp-plane", {"directions": "interpolation"})
    assert not itp.c.any() and np.array_equal(itp.d1, itp.w_star)
    assert abs(itp.d1 @ itp.d2) < 1e-10 * np.linalg.norm(itp.d1) * np.linalg.norm(itp.d2)
    np.testing.assert_allclose(itp.theta([[1.0, 0.0]])[0], itp.w_star, rtol=0, atol=0)
    assert itp.value(np.zeros((1, 2)))[0] == pytest.approx(math.log(2), rel=1e-15)


def test_interpolation_plane_holds_the_zero_network_saddle():
    s = make_surface("mlp-plane", {"directions": "interpolation"})
    assert np.array_equal(s.grad(np.zeros((1, 2))), np.zeros((1, 2)))
    ev = np.linalg.eigvalsh(s.hessian(np.zeros((1, 2)))[0])
    assert ev[0] < 0 < ev[1]
    def kind_near(x, y):
        return [c.kind for c in s.critical_points if abs(c.x - x) + abs(c.y - y) < 1e-4]
    assert kind_near(0, 0) == ["saddle"] and kind_near(1, 0) == ["minimum"]
    # odd n: the classes are not balanced and the zero network is no longer critical; only
    # the output bias feels it: ∂L/∂b₂ = mean(σ(0) − y) = 0.5 − 100/201
    odd = make_surface("mlp-plane", {"directions": "interpolation", "n": 201})
    want = (0.5 - 100 / 201) * np.array([odd.d1[-1], odd.d2[-1]])
    np.testing.assert_allclose(odd.grad(np.zeros((1, 2)))[0], want, rtol=1e-12)
    assert np.abs(want).max() > 1e-6


@pytest.mark.parametrize("directions", ["random", "pca", "interpolation"])
def test_analyze_finds_and_classifies_the_critical_points_in_the_view(directions):
    s = make_surface("mlp-plane", {"directions": directions})
    found = find_critical_points(s)
    mins = [c for c in found if c.kind == "minimum"]
    assert mins and min(c.loss for c in mins) == pytest.approx(s._b.training.loss, abs=1e-6)
    for c in found:  # each is critical, and its kind agrees with the Hessian
        assert np.abs(s.grad(c.point[None])[0]).max() < 1e-8
        ev = np.linalg.eigvalsh(s.hessian(c.point[None])[0])
        assert c.kind == ("minimum" if ev[0] > 0 else "maximum" if ev[1] < 0 else "saddle")
    if directions == "interpolation":
        zero = [c for c in found if np.abs(c.point).max() < 1e-9]
        assert len(zero) == 1 and zero[0].kind == "saddle"
        assert zero[0].loss == pytest.approx(math.log(2))


def test_cli_analyze_prints_the_saddle(tmp_path, capsys):
    from engine.cli import main

    f = tmp_path / "net.toml"
    f.write_text('surface = { name = "mlp-plane", directions = "interpolation" }\n'
                 '[[runs]]\noptimizer = "gd"\nlr = 0.01\n')
    assert main(["analyze", str(f)]) == 0
    out = capsys.readouterr().out
    assert "saddle" in out and "minimum" in out and "0.693147" in out


# ------------------------------------------------------------------ parameters and limits
@pytest.mark.parametrize("params, fragment", [
    ({"hidden": 0}, "hidden"), ({"hidden": 65}, "hidden"), ({"n": 3}, "'n'"),
    ({"n": 5001}, "'n'"), ({"noise": -0.1}, "noise"), ({"noise": 1.5}, "noise"),
    ({"dataset": "stars"}, "dataset"), ({"directions": "sideways"}, "directions"),
    ({"dataset": 3}, "dataset"), ({"weight_decay": 0.5}, "weight_decay"),
    ({"train_seed": -1}, "train_seed"), ({"hidden": 2.5}, "hidden"),
    ({"n": 5000, "hidden": 8}, "n × hidden"),
])
def test_bad_parameters_name_the_problem(params, fragment):
    with pytest.raises(ValueError, match=fragment):
        make_surface("mlp-plane", params)


def test_work_limit_is_checked_before_anything_is_built(monkeypatch):
    calls = []
    monkeypatch.setattr(mlp_cache, "make_dataset", lambda *a: calls.append(a))
    with pytest.raises(ValueError, match="12,800"):
        make_surface("mlp-plane", {"n": 1000, "hidden": 13})
    with pytest.raises(ValueError, match="12,800"):
        mlp_plane.build({"n": 1000, "hidden": 13})
    assert calls == []


def test_experiment_file_table_and_round_trip():
    text = ('surface = { name = "mlp-plane", hidden = 8, dataset = "moons", n = 200, '
            'noise = 0.2, data_seed = 0, train_seed = 0, directions = "random" }\n'
            '[[runs]]\noptimizer = "gd"\nlr = 0.1\n')
    exp = loads(text)
    s = exp.surface.build()
    assert s.name == "mlp-plane" and s.params["dataset"] == "moons"
    again = loads(exp.to_toml())
    assert dict(again.surface.params) == dict(exp.surface.params)
    with pytest.raises(ExperimentError, match="surface: parameter 'dataset' must be one of"):
        loads(text.replace('"moons"', '"moon"'))


# ------------------------------------------------------------------ building and caching
def test_build_reports_progress_caches_and_remembers_the_map_grid():
    params = {"n": 64, "hidden": 4, "train_seed": 11}
    seen = []
    s = mlp_plane.build(params, progress=seen.append, grids=((70, "xy"), (150, "ij")))
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 3
    assert mlp_plane.is_built(params)
    again = make_surface("mlp-plane", params)  # from the cache: the same trained network
    assert again._b is s._b
    pts = mlp_plane.grid(s.view, 70)
    remembered = again.value(pts)
    exact = np.concatenate([again.value(pts[i:i + 1000]) for i in range(0, len(pts), 1000)])
    np.testing.assert_allclose(remembered, exact, rtol=2e-6)
    assert not np.array_equal(remembered, exact)  # it really came from the memo
    # a large grid is pictured on every other line and interpolated: close, not exact
    big = mlp_plane.grid(s.view, 150, "ij")
    pictured, exact = again.value(big), again.value(big[:-1])
    assert np.abs(pictured[:-1] - exact).max() < 2e-3 * np.ptp(exact)
    two = np.array([[0.1, 0.2], [0.3, -0.4]])  # ordinary calls are exact
    np.testing.assert_array_equal(again.value(two), [again.value(q[None])[0] for q in two])


def test_build_can_be_cancelled_and_then_built_again():
    params = {"n": 50, "hidden": 3, "train_seed": 12}
    with pytest.raises(mlp.Cancelled):
        mlp_plane.build(params, cancelled=lambda: True)
    assert not mlp_plane.is_built(params)
    assert mlp_plane.build(params, grids=()).n_examples == 50


def test_build_runs_in_another_thread():
    params = {"n": 48, "hidden": 2, "train_seed": 13}
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("s", mlp_plane.build(params,
                                                                            grids=())))
    t.start()
    t.join(60)
    assert box["s"].n_examples == 48 and mlp_plane.is_built(params)


# ------------------------------------------------------------------ the model protocol
def test_model_protocol_of_each_data_surface():
    lr = make_surface("linear-regression", {"n": 5})
    assert lr.model_kind == "line"
    d = lr.model_data()
    assert d.inputs.shape == (5, 1) and d.classes is None
    np.testing.assert_allclose(lr.predict((2.0, -1.0), np.array([[0.0], [3.0]])), [-1.0, 5.0])
    sp = make_surface("logistic-spoiler", {"spoiler_t": 10.0})
    d = sp.model_data()
    assert sp.model_kind == "classifier" and d.highlight == (3,)
    assert "spoiler" in d.highlight_label and list(d.classes) == [1, 1, 0, 1]
    assert sp.model_output((1.0, 2.0), np.array([[3.0, 4.0]]))[0] == pytest.approx(11.0)
    assert sp.predict((0.0, 0.0), np.array([[3.0, 4.0]]))[0] == pytest.approx(0.5)
    net = make_surface("mlp-plane", {"directions": "interpolation"})
    d = net.model_data()
    assert d.inputs.shape == (200, 2) and d.classes.sum() == 100
    np.testing.assert_allclose(net.predict((0.0, 0.0), d.inputs), 0.5)  # the zero network
    o = net.model_output((1.0, 0.0), d.inputs)
    W1, b1, w2, b2 = mlp.unpack(net.w_star, net.hidden)
    np.testing.assert_allclose(o, np.tanh(d.inputs @ W1.T + b1) @ w2 + b2, rtol=1e-12)
    assert make_surface("rosenbrock").__class__.__dict__.get("model_kind", "") == ""
    assert getattr(make_surface("rosenbrock"), "model_kind", "") == ""


def test_critical_point_search_is_kept_per_parameter_set(monkeypatch):
    import engine.critical_points as analysis

    params = {"n": 40, "hidden": 2, "train_seed": 14}
    first = find_critical_points(make_surface("mlp-plane", params))
    monkeypatch.setattr(analysis, "_search", lambda *a: pytest.fail("searched again"))
    again = find_critical_points(make_surface("mlp-plane", params))  # a new instance
    assert [c.point.tolist() for c in again] == [c.point.tolist() for c in first]
    with pytest.raises(pytest.fail.Exception):  # another view is another search
        find_critical_points(make_surface("mlp-plane", params), view=(-2, 2, -2, 2))
