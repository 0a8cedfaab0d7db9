"""The trajectory CSV: header, exact round trip, empty fields, row order, atomic writes."""
from __future__ import annotations

import csv
import os

import numpy as np
import pytest

from engine import atomic, compiled, csvio
from engine.optimizers import OPTIMIZERS
from engine.schedules import make_schedule
from engine.simulation import RunSpec, Simulation
from surfaces import make_surface

HEADER = ("run,label,optimizer,step,x,y,loss,grad_x,grad_y,grad_norm,lr,sigma_x,sigma_y,"
          "eff_lr_x,eff_lr_y")
STEPS = 40


@pytest.fixture(scope="module")
def sim():
    surf = make_surface("rosenbrock", {})
    slow = {"gd": 1e-3, "momentum": 2e-4, "nesterov": 2e-4, "quickprop": 1e-3}
    runs = [RunSpec(f"run {o}", o,
                    OPTIMIZERS[o].resolve({"lr": slow[o]} if o in slow else {}), (-1.2, 1.0),
                    make_schedule({"name": "inv_sqrt"} if o == "adagrad" else None))
            for o in OPTIMIZERS]
    s = Simulation(surf, runs)
    s.run_to(STEPS)
    assert all(st == "running" for st in s.status)
    return s


def test_exact_header(sim, tmp_path):
    out = tmp_path / "t.csv"
    csvio.write_csv(out, sim)
    text = out.read_text("utf-8")
    assert text.splitlines()[0] == HEADER
    assert ",".join(csvio.HEADER) == HEADER
    assert "\r" not in text


def test_rows_per_run_in_file_order_and_steps_0_to_n(sim, tmp_path):
    out = tmp_path / "t.csv"
    csvio.write_csv(out, sim)
    rows = csvio.read_csv(out)
    assert len(rows) == len(OPTIMIZERS) * (STEPS + 1)
    expected = [(str(i + 1), f"run {o}", o, str(t)) for i, o in enumerate(OPTIMIZERS)
                for t in range(STEPS + 1)]
    assert [(r["run"], r["label"], r["optimizer"], r["step"]) for r in rows] == expected


def test_floats_round_trip_exactly(sim, tmp_path):
    out = tmp_path / "t.csv"
    csvio.write_csv(out, sim)
    rows = csvio.read_csv(out)
    columns = {"x": ("theta", 0), "y": ("theta", 1), "loss": ("loss", None),
               "grad_x": ("grad", 0), "grad_y": ("grad", 1), "grad_norm": ("grad_norm", None),
               "lr": ("lr", None), "sigma_x": ("sigma", 0), "sigma_y": ("sigma", 1),
               "eff_lr_x": ("eff_lr", 0), "eff_lr_y": ("eff_lr", 1)}
    checked = 0
    for i in range(sim.n):
        h = sim.history(i)
        for t in range(STEPS + 1):
            row = rows[i * (STEPS + 1) + t]
            for col, (field, k) in columns.items():
                if row[col] == "":
                    continue
                rec = getattr(h, field)[t] if k is None else getattr(h, field)[t, k]
                assert float(row[col]) == rec, (i, t, col)
                checked += 1
    assert checked > 9 * 41 * 6


@pytest.mark.parametrize("optimizer,empty", [
    ("gd", {"sigma_x", "sigma_y"}),
    ("momentum", {"sigma_x", "sigma_y"}),
    ("nesterov", {"sigma_x", "sigma_y"}),
    ("adagrad", set()),
    ("rmsprop", set()),
    ("adam", set()),
    ("rprop", {"lr", "sigma_x", "sigma_y"}),
    ("quickprop", {"sigma_x", "sigma_y", "eff_lr_x", "eff_lr_y"}),
    ("newton", {"sigma_x", "sigma_y", "eff_lr_x", "eff_lr_y"}),
])
def test_empty_fields_mean_not_defined(sim, optimizer, empty):
    rows = [r for r in csv.DictReader(csvio.to_string(sim).splitlines())
            if r["optimizer"] == optimizer]
    assert len(rows) == STEPS + 1
    for r in rows:
        assert {k for k, v in r.items() if v == ""} == empty
    h = sim.history(list(OPTIMIZERS).index(optimizer))
    if optimizer == "rprop":  # the effective rate of rprop is its step size Δ
        assert float(rows[0]["eff_lr_x"]) == OPTIMIZERS["rprop"].defaults()["step_init"]
    if optimizer in ("gd", "momentum", "nesterov"):  # η^t
        assert [float(r["eff_lr_x"]) for r in rows] == list(h.lr)
    if optimizer in ("adagrad", "rmsprop", "adam"):  # η^t / (σ^t + ε)
        eps = OPTIMIZERS[optimizer].defaults()["eps"]
        assert [float(r["eff_lr_y"]) for r in rows] == list(h.lr / (h.sigma[:, 1] + eps))


def test_csv_per_run(sim, tmp_path):
    paths = csvio.write_csv_per_run(tmp_path / "per", sim)
    assert [p.name for p in paths][:2] == ["01_run_gd.csv", "02_run_momentum.csv"]
    whole = csvio.to_string(sim).splitlines()
    joined = [whole[0]] + [line for p in paths for line in p.read_text().splitlines()[1:]]
    assert joined == whole


def test_written_atomically_and_no_temporary_file_remains(sim, tmp_path):
    out = tmp_path / "t.csv"
    out.write_text("old contents\n")
    csvio.write_csv(out, sim)
    assert out.read_text().startswith(HEADER)
    assert os.listdir(tmp_path) == ["t.csv"]


@pytest.mark.parametrize("path", ["compiled", "orjson", "repr"])
def test_a_failure_midway_leaves_the_old_file_intact(sim, tmp_path, monkeypatch, path):
    out = tmp_path / "t.csv"
    out.write_text("old contents\n")
    calls = {"n": 0}
    name = {"compiled": "_compiled_blocks", "orjson": "_fast_blocks", "repr": "_floats"}[path]
    real = getattr(csvio, name)
    if path == "repr":
        monkeypatch.setattr(csvio, "_orjson", None)
    kernel = None
    if path == "compiled":
        pytest.importorskip("numba")
        kernel = compiled.csv_kernel()
        assert kernel is not None
    monkeypatch.setattr(csvio, "_kernel", lambda sim, indices: kernel)
    fast = path != "repr"

    def failing(*args):
        calls["n"] += 1
        if calls["n"] > (3 if fast else 30):  # after some rows are written
            raise OSError("disk full")
        return real(*args)

    monkeypatch.setattr(csvio, name, failing)
    with pytest.raises(OSError, match="disk full"):
        csvio.write_csv(out, sim)
    assert calls["n"] > (3 if fast else 30)
    assert out.read_text() == "old contents\n"
    assert os.listdir(tmp_path) == ["t.csv"]


def test_a_failing_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    out = tmp_path / "t.txt"
    out.write_text("old")

    def broken_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic.atomic_write_text(out, "new")
    assert out.read_text() == "old" and os.listdir(tmp_path) == ["t.txt"]


def test_no_nan_or_inf_in_a_csv_with_a_diverged_run(tmp_path):
    surf = make_surface("quadratic", {})
    sim = Simulation(surf, [RunSpec("a", "adam", OPTIMIZERS["adam"].resolve({"lr": 0.1}),
                                    (-2.0, 1.5)),
                            RunSpec("b", "gd", {"lr": 5.0}, (-2.0, 1.5))])
    sim.run_to(300)
    assert sim.status == ["running", "diverged"]
    out = tmp_path / "t.csv"
    csvio.write_csv(out, sim)
    text = out.read_text()
    assert "nan" not in text and "inf" not in text
    rows = csvio.read_csv(out)
    b = [r for r in rows if r["label"] == "b"]
    assert len(b) == sim.stop_step[1] and int(b[-1]["step"]) == sim.stop_step[1] - 1
    assert all(np.isfinite(float(v)) for r in rows for k, v in r.items()
               if k not in ("run", "label", "optimizer", "step") and v != "")
