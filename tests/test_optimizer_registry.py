"""The contract every registered optimizer meets, parametrized over the registry: a new
optimizer is tested here the moment its module exists, with no glue anywhere else.

(Hand-computed steps per optimizer: tests/test_optimizers.py, whose CASES must cover the
registry.)
"""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from engine import csvio
from engine.optimizers import OPTIMIZERS
from engine.schedules import make_schedule
from engine.simulation import DIVERGED, FINISHED, RUNNING, RunSpec, Simulation
from surfaces import make_surface
from surfaces.base import Surface

ALL = list(OPTIMIZERS)
FIELDS = ("theta", "loss", "grad", "grad_norm", "lr", "sigma", "eff_lr")
#: rates that move every optimizer a visible distance on Rosenbrock within 100 steps
MOVING = {"gd": 1e-3, "momentum": 2e-4, "nesterov": 2e-4, "quickprop": 1e-3, "lion": 1e-2,
          "adam": 1e-2, "adamw": 1e-2, "amsgrad": 1e-2, "nadam": 1e-2, "adabelief": 1e-2}


def spec_run(optimizer, label=None, start=(-1.2, 1.0), noise=0.0, schedule=None,
             max_steps=None, **hyper):
    if optimizer in MOVING and "lr" not in hyper:
        hyper["lr"] = MOVING[optimizer]
    return RunSpec(label or optimizer, optimizer, OPTIMIZERS[optimizer].resolve(hyper),
                   tuple(start), make_schedule(schedule), gradient_noise=noise,
                   max_steps=max_steps)


def same_history(a, b):
    for f in FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        assert x.shape == y.shape, f
        assert np.array_equal(x, y, equal_nan=True), f


class PoisonedBowl(Surface):
    """½((x − 2)² + y²), except that everything is nan for x > 0.5: a run that crosses
    x = 0.5 turns non-finite at that step."""

    name = "poisoned"

    def value(self, p):
        v = 0.5 * ((p[:, 0] - 2.0) ** 2 + p[:, 1] ** 2)
        return np.where(p[:, 0] > 0.5, np.nan, v)

    def grad(self, p):
        g = np.stack([p[:, 0] - 2.0, p[:, 1]], axis=1)
        return np.where(p[:, :1] > 0.5, np.nan, g)

    def hessian(self, p):
        return np.broadcast_to(np.eye(2), (len(p), 2, 2)).copy()


@pytest.mark.parametrize("optimizer", ALL)
def test_the_definition_moves_the_run(optimizer):
    sim = Simulation(make_surface("rosenbrock"), [spec_run(optimizer)])
    sim.run_to(100)
    h = sim.history(0)
    assert sim.status == [RUNNING] and h.steps == 100
    assert np.linalg.norm(h.theta[-1] - h.theta[0]) > 1e-3
    assert np.isfinite(h.theta).all() and np.isfinite(h.loss).all()


@pytest.mark.parametrize("optimizer", ALL)
def test_divergence_is_marked_at_its_step_and_the_stopped_run_stays_put(optimizer):
    """Every optimizer crosses into the poisoned half on its first step (from 1e-6 before
    it); it is marked diverged at step 1, keeps its start, and a healthy run goes on."""
    surf = PoisonedBowl()
    sim = Simulation(surf, [spec_run(optimizer, "bad", start=(0.5 - 1e-6, 0.3)),
                            spec_run("gd", "ok", start=(-1.0, 0.3), lr=0.01)])
    sim.run_to(10)
    assert sim.status[0] == DIVERGED and sim.stop_step[0] == 1
    assert sim.history(0).steps == 0
    assert list(sim.current_theta()[0]) == [0.5 - 1e-6, 0.3]
    sim.run_to(30)
    assert list(sim.current_theta()[0]) == [0.5 - 1e-6, 0.3]
    assert sim.status[1] == RUNNING and sim.history(1).steps == 30
    text = csvio.to_string(sim)
    assert "nan" not in text.lower()
    assert [r.split(",")[3] for r in text.splitlines()[1:] if r.split(",")[1] == "bad"] == ["0"]


@pytest.mark.parametrize("optimizer", ALL)
def test_a_finished_run_is_frozen_while_the_others_go_on(optimizer):
    """A run with its own step limit stops there, and its record equals the same run alone."""
    surf = make_surface("rosenbrock")
    sim = Simulation(surf, [spec_run(optimizer, "short", max_steps=7),
                            spec_run(optimizer, "long")])
    sim.run_to(40)
    assert sim.status == [FINISHED, RUNNING] and sim.stop_step[0] == 7
    short, long_ = sim.history(0), sim.history(1)
    assert short.steps == 7 and long_.steps == 40
    alone = Simulation(surf, [spec_run(optimizer, "short")])
    alone.run_to(7)
    same_history(short, alone.history(0))
    assert np.array_equal(sim.current_theta()[0], alone.history(0).theta[7])
    # and the long run is exactly the one of the first 7 steps, continued
    same_history(Simulation_prefix(long_, 7), alone.history(0))


def Simulation_prefix(h, n):  # noqa: N802 - a small helper returning a history prefix
    return type(h)(*(getattr(h, f)[:n + 1] for f in FIELDS), status=h.status,
                   stop_step=h.stop_step)


@pytest.mark.parametrize("optimizer", ALL)
def test_how_steps_are_split_into_advance_calls_does_not_matter(optimizer):
    surf = make_surface("rosenbrock")
    runs = [spec_run(optimizer, "noisy", noise=0.5), spec_run(optimizer, "plain")]
    whole = Simulation(surf, runs, seed=5)
    whole.run_to(120)
    parts = Simulation(surf, runs, seed=5)
    for k in (1, 7, 1, 33, 78):
        parts.advance(k)
    assert parts.step == 120
    for i in range(2):
        same_history(whole.history(i), parts.history(i))


@pytest.mark.parametrize("optimizer", ALL)
def test_csv_fields_follow_the_registry(optimizer):
    """Columns the optimizer does not define are empty; the others hold finite round-trip
    floats equal to the record."""
    spec = OPTIMIZERS[optimizer]
    sim = Simulation(make_surface("rosenbrock"), [spec_run(optimizer)])
    sim.run_to(5)
    rows = list(csv.DictReader(io.StringIO(csvio.to_string(sim))))
    h = sim.history(0)
    assert len(rows) == 6
    defined = {"lr": spec.has_lr, "sigma_x": spec.has_sigma, "sigma_y": spec.has_sigma,
               "eff_lr_x": bool(spec.eff), "eff_lr_y": bool(spec.eff)}
    source = {"lr": h.lr, "sigma_x": h.sigma[:, 0], "sigma_y": h.sigma[:, 1],
              "eff_lr_x": h.eff_lr[:, 0], "eff_lr_y": h.eff_lr[:, 1]}
    for col, on in defined.items():
        values = [r[col] for r in rows]
        if on:
            assert [float(v) for v in values] == source[col].tolist(), col
        else:
            assert values == [""] * 6, col
    assert spec.eff in ("lr", "adaptive", "delta", "")
    assert [float(r["x"]) for r in rows] == h.theta[:, 0].tolist()


@pytest.mark.parametrize("optimizer", [o for o in ALL if OPTIMIZERS[o].full_version])
@pytest.mark.parametrize("surface_name", ["rosenbrock", "quadratic"])
def test_the_fused_fast_path_equals_the_definitions_bit_for_bit(optimizer, surface_name):
    """The fused "full version" (engine/fused.py) against the optimizer's own update, with a
    schedule, gradient noise and two hyperparameter sets side by side."""
    surf = make_surface(surface_name, {"lambda1": 0.5, "lambda2": 4.0, "angle": 20.0}
                        if surface_name == "quadratic" else {})
    spec = OPTIMIZERS[optimizer]
    other = {h.name: (h.default * 0.5 if h.check in ("unit", "unit_closed") else
                      h.default * 2 if h.check == "positive" else h.default)
             for h in spec.hyperparams if h.name != "lr"}
    runs = [spec_run(optimizer, "a"), spec_run(optimizer, "b", noise=0.3, **other),
            spec_run(optimizer, "c", schedule={"name": "warmup", "warmup": 10,
                                               "then": "cosine", "total": 200})]
    if optimizer == "rmsprop":
        runs.append(spec_run(optimizer, "zero", init="zero"))
    fast = Simulation(surf, runs, seed=2)
    slow = Simulation(surf, runs, seed=2, fused=False)
    assert fast._fused is not None and slow._fused is None
    fast.run_to(300)
    slow.run_to(300)
    for i in range(len(runs)):
        assert fast.status[i] == slow.status[i]
        same_history(fast.history(i), slow.history(i))


@pytest.mark.parametrize("optimizer", ALL)
def test_record_free_summary_equals_the_recorded_run(optimizer):
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    runs = [spec_run(optimizer, "a", start=(-2.0, 1.5)),
            spec_run(optimizer, "b", start=(-2.0, 1.5), noise=2.0),
            spec_run(optimizer, "out", start=(6000.0, 0.0))]
    rec = Simulation(surf, runs, seed=1, target=(0.0, 1e-2))
    free = Simulation(surf, runs, seed=1, target=(0.0, 1e-2), record=False)
    for sim in (rec, free):
        for k in (1, 10, 289):
            sim.advance(k)
    a, b = rec.summary(), free.summary()
    for f in ("final_theta", "final_loss", "lowest_loss", "steps_to_target", "status",
              "stop_step"):
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=f != "status"), f
    assert a.status[2] == DIVERGED and a.stop_step[2] == 0 and np.isnan(a.final_loss[2])
    for i in range(2):
        h = rec.history(i)
        assert a.final_loss[i] == h.loss[-1] and a.lowest_loss[i] == h.loss.min()
        assert np.array_equal(a.final_theta[i], h.theta[-1])
        hit = np.flatnonzero(np.abs(h.loss) < 1e-2)
        assert a.steps_to_target[i] == (hit[0] if len(hit) else -1)
    with pytest.raises(RuntimeError, match="summaries only"):
        free.history(0)


def test_the_docs_table_is_the_registry():
    from pathlib import Path

    from engine.optimizers import docs_table

    text = (Path(__file__).resolve().parents[1] / "docs" / "optimizers.md").read_text("utf-8")
    assert docs_table() in text
    for name in OPTIMIZERS:
        assert f"### `{name}`" in text, name


def test_the_documented_example_is_a_working_optimizer(tmp_path, monkeypatch):
    """The "Adding an optimizer" example, written as a module of the package, registers and
    runs through the simulation and the CSV with no other change."""
    import re
    import sys
    from pathlib import Path

    import engine.optimizers as package

    text = (Path(__file__).resolve().parents[1] / "docs" / "optimizers.md").read_text("utf-8")
    code = re.search(r"## Adding an optimizer.*?```python\n(.*?)```", text, re.S).group(1)
    assert 15 <= len(code.strip().splitlines()) <= 25
    (tmp_path / "signum.py").write_text(code)
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path)])
    try:
        found = package._discover()
        assert list(found)[-1] == "signum" and list(found)[:-1] == list(OPTIMIZERS)
        monkeypatch.setitem(OPTIMIZERS, "signum", found["signum"])
        spec = package.optimizer_spec("signum")
        sim = Simulation(make_surface("rosenbrock"),
                         [RunSpec("s", "signum", spec.resolve({"lr": 0.01}), (-1.2, 1.0))])
        sim.run_to(3)
        h = sim.history(0)
        # m = 0.1·g has the sign of g on the first step: θ¹ = θ⁰ − η·sign(g⁰)
        assert list(h.theta[1]) == list(h.theta[0] - 0.01 * np.sign(h.grad[0]))
        assert ",signum,3," in csvio.to_string(sim)
    finally:
        sys.modules.pop("engine.optimizers.signum", None)
