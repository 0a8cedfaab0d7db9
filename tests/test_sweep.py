"""Learning-rate sweeps (engine.sweep) and `main.py sweep`."""
from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.optimizers import OPTIMIZERS
from engine.simulation import RunSpec, Simulation
from engine.sweep import CSV_HEADER, Sweep, SweepConfig, rate_key, run_sweep
from surfaces import make_surface

ROOT = Path(__file__).resolve().parents[1]


def test_rates_are_log_spaced_and_inclusive():
    cfg = SweepConfig("gd", lr_low=1e-4, lr_high=1.0, count=5)
    np.testing.assert_allclose(cfg.lrs(), [1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    assert SweepConfig("gd", lr_low=0.1, lr_high=0.1, count=1).lrs().tolist() == [0.1]


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov", "adagrad", "rmsprop",
                                       "adam", "rprop", "quickprop", "newton"])
def test_sweep_equals_individual_runs_bitwise(optimizer):
    surf = make_surface("rosenbrock")
    extra = {"momentum": 0.8} if optimizer in ("momentum", "nesterov") else {}
    cfg = SweepConfig(optimizer, extra, lr_low=1e-4, lr_high=0.5, count=7, steps=300,
                      start=(-1.2, 1.5))
    res = run_sweep(surf, cfg)
    key = rate_key(optimizer)
    for i, lr in enumerate(cfg.lrs()):
        hyper = {**OPTIMIZERS[optimizer].defaults(), **extra, key: float(lr)}
        sim = Simulation(surf, [RunSpec("one", optimizer, hyper, (-1.2, 1.5))])
        sim.run_to(300)
        assert np.array_equal(res.final_theta[i], sim.current_theta()[0]), (optimizer, lr)
        h = sim.history(0)
        assert res.final_loss[i] == h.loss[-1] or (np.isnan(res.final_loss[i]) and not len(h.loss))
        assert (res.status[i] == "diverged") == (sim.status[0] == "diverged")
        if sim.status[0] == "diverged":
            assert res.status_step[i] == sim.stop_step[0]


def test_gd_on_quadratic_diverges_exactly_above_two_over_lambda_max():
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    cfg = SweepConfig("gd", lr_low=0.1, lr_high=1.0, count=31, steps=400, start=(1.0, 1.0))
    res = run_sweep(surf, cfg)
    # the divergence test is |θ − centre| > 1000 × view size, reached in finitely many steps
    # only for η clearly above 2/3; at or below it every run stays bounded
    assert not res.diverged[cfg.lrs() < 2 / 3].any()
    assert res.diverged[cfg.lrs() > 0.75].all()
    assert set(res.status) <= {"finished", "diverged"}
    assert (res.status_step[res.diverged] > 0).all()
    assert (res.status_step[~res.diverged] == -1).all()


def test_steps_to_tolerance_matches_closed_form():
    # GD on ½·λ·x² from x0 along the flat axis: L_k = ½ λ x0² (1 − ηλ)^(2k)
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    cfg = SweepConfig("gd", lr_low=0.05, lr_high=0.8, count=6, steps=500, start=(2.0, 0.0),
                      tol=1e-6)
    res = run_sweep(surf, cfg)
    assert res.loss_star == 0.0
    for i, eta in enumerate(cfg.lrs()):
        q = (1 - eta) ** 2
        k = 0
        while 0.5 * 4.0 * q ** k >= 1e-6 and k <= 500:
            k += 1
        expected = k if k <= 500 else -1
        assert res.steps_to_tol[i] == expected, (eta, res.steps_to_tol[i], expected)


def test_progress_and_cancel():
    surf = make_surface("rosenbrock")
    cfg = SweepConfig("adam", lr_low=1e-3, lr_high=0.1, count=20, steps=1000)
    seen = []

    def progress(done, total):
        seen.append((done, total))
        return len(seen) < 3  # cancel after the third chunk

    sweep = Sweep(surf, cfg)
    res = sweep.run(progress, chunk=100)
    assert seen == [(100, 1000), (200, 1000), (300, 1000)]
    assert res.cancelled and res.steps_done == 300
    # the part-way result is still complete per run
    assert np.isfinite(res.final_loss).all() and res.final_theta.shape == (20, 2)

    sweep = Sweep(surf, cfg)
    steps = [done for done, _ in sweep.iter_chunks(chunk=400)]
    assert steps == [400, 800, 1000] and not sweep.result().cancelled


@pytest.mark.parametrize("kwargs,needle", [
    ({"count": 0}, "count"), ({"count": 100_001}, "count"), ({"lr_low": 0.0}, "lr_low"),
    ({"lr_low": 1.0, "lr_high": 0.1}, "above the high end"), ({"steps": 0}, "steps"),
    ({"hyper": {"beta1": 1.5}}, "beta1"), ({"hyper": {"nope": 1}}, "nope"),
    ({"optimizer": "adamm"}, "did you mean 'adam'"), ({"start": (0.0, math.inf)}, "start"),
])
def test_invalid_config_names_the_field(kwargs, needle):
    args = {"optimizer": "adam", **kwargs}
    with pytest.raises(ValueError, match=needle):
        SweepConfig(**args).validate()


def test_csv_round_trip(tmp_path):
    surf = make_surface("quadratic")
    res = run_sweep(surf, SweepConfig("gd", lr_low=0.1, lr_high=1.0, count=4, steps=50))
    out = tmp_path / "sweep.csv"
    res.write_csv(out)
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_HEADER
    assert len(rows) == 5
    for row, lr, loss, x in zip(rows[1:], res.lr, res.final_loss, res.final_theta[:, 0]):
        assert float(row[0]) == lr and float(row[1]) == loss and float(row[5]) == x
    assert rows[-1][3] == "diverged" and rows[-1][4] != ""
    assert rows[1][3] == "finished" and rows[1][4] == ""


# ----------------------------------------------------------------- command line
def _main(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


TOML = """surface = "rosenbrock"
steps = 400
[[runs]]
optimizer = "adam"
lr = 0.01
beta1 = 0.8
"""


def test_cli_sweep_writes_csv_equal_to_engine(tmp_path):
    f = tmp_path / "e.toml"
    f.write_text(TOML)
    out = tmp_path / "out.csv"
    res = _main("sweep", str(f), "--optimizer", "adam", "--lr", "1e-4:1", "--count", "9",
                "--steps", "200", "--start=-1,2", "--csv", str(out))
    assert res.returncode == 0, res.stderr
    assert "adam: 9 values of lr from 0.0001 to 1, 200 steps" in res.stdout
    assert f"wrote {out}" in res.stdout
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 9
    # beta1 comes from the file's adam run
    expect = run_sweep(make_surface("rosenbrock"),
                       SweepConfig("adam", {"beta1": 0.8}, 1e-4, 1.0, 9, 200, (-1.0, 2.0)))
    for row, x, loss in zip(rows, expect.final_theta[:, 0], expect.final_loss):
        assert float(row["final_x"]) == x and float(row["final_loss"]) == loss


@pytest.mark.parametrize("args,needle", [
    (("--lr", "abc"), "--lr: must be LOW:HIGH"),
    (("--lr", "1:0.1"), "--lr: the low end"),
    (("--lr", "1e-3:1", "--count", "0"), "--count: must be from 1 to 100,000"),
    (("--lr", "1e-3:1", "--optimizer", "adamm"), "--optimizer: unknown optimizer 'adamm'"),
    (("--lr", "1e-3:1", "--set", "beta9=1"), "--set: 'beta9' is not a hyperparameter"),
    (("--lr", "1e-3:1", "--set", "beta1=2"), "--set: hyperparameter 'beta1' must be in [0, 1)"),
    (("--lr", "1e-3:1", "--start", "x"), "--start: must be a point"),
    (("--lr", "1e-3:1", "--steps", "0"), "--steps: must be from 1 to 10,000,000, got 0"),
])
def test_cli_sweep_errors_exit_2_with_one_line(tmp_path, args, needle):
    f = tmp_path / "e.toml"
    f.write_text(TOML)
    res = _main("sweep", str(f), *args)
    assert res.returncode == 2, res.stdout
    assert needle in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


def test_cli_sweep_missing_file_and_unwritable_csv(tmp_path):
    res = _main("sweep", str(tmp_path / "none.toml"), "--lr", "1e-3:1")
    assert res.returncode == 2 and "none.toml: no such file" in res.stderr
    f = tmp_path / "e.toml"
    f.write_text(TOML)
    res = _main("sweep", str(f), "--lr", "1e-3:1", "--count", "3", "--steps", "10", "--csv",
                str(tmp_path / "no_dir" / "o.csv"))
    assert res.returncode == 1 and "cannot write" in res.stderr


def test_csv_has_empty_fields_not_nan_for_runs_that_diverge_at_step_0(tmp_path):
    from surfaces.expression import ExpressionSurface

    # log(x) is undefined at the start x = -1: every run diverges at step 0, with no finite row
    res = run_sweep(ExpressionSurface("log(x) + y**2"),
                    SweepConfig("gd", lr_low=0.01, lr_high=0.1, count=2, steps=10,
                                start=(-1.0, 0.0)))
    assert res.status == ("diverged", "diverged") and list(res.status_step) == [0, 0]
    out = tmp_path / "s.csv"
    res.write_csv(out)
    text = out.read_text()
    assert "nan" not in text.lower() and "inf" not in text.lower()
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row, lr in zip(rows, (0.01, 0.1)):
        assert float(row["lr"]) == lr and row["status"] == "diverged" and row["status_step"] == "0"
        assert row["final_loss"] == "" and row["steps_to_tol"] == ""


def test_a_noisy_sweep_run_is_the_run_alone_keyed_by_its_index():
    """Sweeps key their runs' random streams by their index: run i of a noisy sweep equals a
    single run with key i (and so does not depend on the sweep's other rates)."""
    surf = make_surface("rosenbrock")
    cfg = SweepConfig("gd", lr_low=1e-4, lr_high=1e-3, count=4, steps=150, start=(-1.0, 1.0),
                      gradient_noise=0.5, seed=3)
    res = run_sweep(surf, cfg)
    for i, lr in enumerate(cfg.lrs()):
        run = RunSpec("alone", "gd", {"lr": float(lr)}, (-1.0, 1.0), gradient_noise=0.5, key=i)
        sim = Simulation(surf, [run], seed=3)
        sim.run_to(150)
        assert np.array_equal(res.final_theta[i], sim.current_theta()[0])
    assert len(set(res.final_theta[:, 0].tolist())) == 4


def test_a_sweep_of_100000_rates_keeps_summaries_only():
    """The cap is 100,000 rates; such a sweep is record-free (memory ∝ count, not steps)."""
    import tracemalloc

    surf = make_surface("rosenbrock")
    cfg = SweepConfig("adam", lr_low=1e-5, lr_high=1.0, count=100_000, steps=20,
                      start=(-1.2, 1.0))
    tracemalloc.start()
    try:
        sweep = Sweep(surf, cfg)
        res = sweep.run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not sweep.simulation.record
    assert len(res.lr) == 100_000 and res.steps_done == 20
    assert peak < 400e6  # a record of 21 rows alone would be 185 MB; 2,049 rows 18 GB
    i = 50_000
    one = Simulation(surf, [RunSpec("one", "adam", {**OPTIMIZERS["adam"].defaults(),
                                                    "lr": float(cfg.lrs()[i])}, (-1.2, 1.0))])
    one.run_to(20)
    assert np.array_equal(res.final_theta[i], one.current_theta()[0])
    assert res.final_loss[i] == one.history(0).loss[-1]


def test_large_sweeps_advance_in_smaller_chunks():
    """At most CHUNK_RUN_STEPS run-steps per chunk: a GUI tick stays short at any count."""
    from engine.sweep import CHUNK_RUN_STEPS

    surf = make_surface("rosenbrock")
    count = CHUNK_RUN_STEPS // 4
    sweep = Sweep(surf, SweepConfig("gd", lr_low=1e-6, lr_high=1e-5, count=count, steps=10,
                                    start=(-1.2, 1.0)))
    assert [d for d, _ in sweep.iter_chunks(100)] == [4, 8, 10]
