"""The convergence atlas: every cell is the run done alone, the rate map of a quadratic is
the closed form, basins index analyze's minima, the CSV contract, and one-line refusals."""
import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine.analysis import find_critical_points
from engine.atlas import (CSV_HEADER, MAX_CELLS, AtlasConfig, AtlasError, Axis, check_config,
                          quadratic_rate, run_atlas)
from engine.experiment import ExperimentError, loads

ROOT = Path(__file__).resolve().parent.parent

HIMMELBLAU = """
title = "Basins"
surface = "himmelblau"
steps = 120
tolerance = 1e-12
[[runs]]
label = "GD"
optimizer = "gd"
lr = 0.01
[[runs]]
label = "Momentum"
optimizer = "momentum"
lr = 0.01
momentum = 0.8
"""

QUAD = """
surface = { name = "quadratic", lambda1 = 1.0, lambda2 = 10.0 }
steps = 2000
[[runs]]
label = "GD"
optimizer = "gd"
lr = 0.05
[[runs]]
label = "M"
optimizer = "momentum"
lr = 0.05
momentum = 0.5
"""


def _alone(exp, label, **changes):
    """The run ``label`` changed by ``changes`` simulated on its own, as main.py run does."""
    run = replace(next(r for r in exp.runs if r.label == label), **changes)
    sim = replace(exp, runs=(run,)).simulation()
    sim.run_to(exp.steps)
    return sim


def test_every_sampled_start_cell_equals_the_run_alone():
    exp = loads(HIMMELBLAU)
    r = run_atlas(exp, AtlasConfig(run="Momentum", width=12, height=9))
    rng = np.random.default_rng(1)
    for _ in range(12):
        i, j = int(rng.integers(9)), int(rng.integers(12))
        sim = _alone(exp, "Momentum", start=(float(r.xs[j]), float(r.ys[i])))
        h = sim.history(0)
        assert np.array_equal(r.final_theta[i, j], h.theta[-1])  # bit for bit
        assert r.final_loss[i, j] == h.loss[-1]
        assert r.min_loss[i, j] == np.min(h.loss)
        assert r.STATUS[r.status[i, j]] == {"running": "finished"}.get(sim.status[0],
                                                                         sim.status[0])
        assert r.stop_step[i, j] == (sim.stop_step[0] if sim.stop_step[0] is not None else -1)


def test_every_sampled_hyperparameter_cell_equals_the_run_alone():
    exp = loads(QUAD.replace("steps = 2000", "steps = 150"))
    cfg = AtlasConfig(run="M", width=7, height=5, x=Axis("lr", 0.01, 0.3, log=True),
                      y=Axis("momentum", 0.0, 0.9))
    r = run_atlas(exp, cfg)
    for i, j in ((0, 0), (4, 6), (2, 3), (1, 5)):
        hyper = {"lr": float(r.xs[j]), "momentum": float(r.ys[i])}
        sim = _alone(exp, "M", hyper=hyper)
        assert np.array_equal(r.final_theta[i, j], sim.history(0).theta[-1])


def test_axis_values_sit_at_cell_centres():
    assert np.allclose(Axis("x", 0, 4).values(4), [0.5, 1.5, 2.5, 3.5])
    v = Axis("lr", 1e-3, 1e-1, log=True).values(2)
    assert np.allclose(np.log10(v), [-2.5, -1.5])


@pytest.mark.parametrize("label", ["GD", "M"])
def test_rate_map_of_a_quadratic_matches_the_closed_form(label):
    exp = loads(QUAD.replace("steps = 2000", "steps = 400"))  # L − L* stays above underflow
    y = Axis("momentum", 0.0, 0.6) if label == "M" else Axis("schedule.warmup", 1, 2)
    if label == "GD":  # gd has one hyperparameter: vary lr against a neutral second axis
        exp = loads(QUAD.replace("steps = 2000", "steps = 400").replace('lr = 0.05\n[[runs]]', 'lr = 0.05\nschedule = { name = '
                                 '"warmup", warmup = 1, then = "constant" }\n[[runs]]', 1))
    cfg = AtlasConfig(run=label, width=9, height=4, outcome="rate",
                      x=Axis("lr", 0.02, 0.19), y=y)
    r = run_atlas(exp, cfg)
    for i in range(4):
        for j in range(9):
            mu = float(r.ys[i]) if label == "M" else 0.0
            want = quadratic_rate([1.0, 10.0], float(r.xs[j]), mu)
            got = r.rate[i, j]
            if want < 0.97:  # slow cells have not reached their asymptote yet
                assert abs(got - want) < 0.02, (i, j, got, want)


def test_closed_form_rates():
    # plain GD: (1 − ηλ)² worst over the eigenvalues; 2/λ_max is the border
    assert quadratic_rate([1, 10], 0.1) == pytest.approx(0.81)
    assert quadratic_rate([1, 10], 2 / 11) == pytest.approx((9 / 11) ** 2)
    assert quadratic_rate([1, 10], 0.2) == pytest.approx(1.0)
    # heavy ball at its optimum: ((√κ − 1)/(√κ + 1))²
    k = 10.0
    lr = (2 / (1 + math.sqrt(10))) ** 2
    mu = ((math.sqrt(k) - 1) / (math.sqrt(k) + 1)) ** 2
    assert quadratic_rate([1, 10], lr, mu) == pytest.approx(mu, rel=1e-6)


def test_basins_index_the_minima_analyze_lists():
    exp = loads(HIMMELBLAU)
    r = run_atlas(exp, AtlasConfig(run="GD", width=10, height=10))
    cps = find_critical_points(exp.surface.build())
    assert [(c.x, c.y) for c in r.critical_points] == [(c.x, c.y) for c in cps]
    radius = r.config.basin_radius
    assert radius == pytest.approx(1e-3 * 11.0)
    reached = set()
    for i in range(10):
        for j in range(10):
            b = r.basin[i, j]
            if b >= 0:
                assert cps[b].kind == "minimum"
                assert np.hypot(*(r.final_theta[i, j] - cps[b].point)) <= radius
                reached.add(b)
            else:
                for c in cps:
                    if c.kind == "minimum":
                        assert np.hypot(*(r.final_theta[i, j] - c.point)) > radius
    assert len(reached) == 4  # Himmelblau: the start decides which of the four minima


def test_csv_rows_x_fastest_and_empty_never_nan(tmp_path):
    exp = loads(HIMMELBLAU.replace("lr = 0.01\n[[runs]]", "lr = 0.3\n[[runs]]", 1))
    r = run_atlas(exp, AtlasConfig(run="GD", width=3, height=2))
    out = tmp_path / "a.csv"
    r.write_csv(out)
    lines = out.read_text().splitlines()
    assert lines[0] == ",".join(CSV_HEADER)
    assert lines[0] == "x,y,status,stop_step,final_x,final_y,final_loss,min_loss,basin,steps_to_tol"
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == 6
    assert [float(x) for x, *_ in rows[:3]] == list(r.xs)
    assert {row[1] for row in rows[:3]} == {repr(float(r.ys[0]))}
    assert any(row[2] == "diverged" for row in rows)
    for row in rows:
        assert "nan" not in row and "inf" not in row
        if row[2] == "diverged":
            assert row[8] == ""


@pytest.mark.parametrize("change, words", [
    (dict(run="Nope"), "no run labelled"),
    (dict(width=1), "from 2 to"),
    (dict(width=1024, height=1024), "more than the limit"),
    (dict(outcome="colour"), "--outcome"),
    (dict(x=Axis("lr", 0.1, 1), y=None), "give both"),
    (dict(x=Axis("beta9", 0.1, 1), y=Axis("lr", 0.1, 1)), "not a numeric hyperparameter"),
    (dict(x=Axis("momentum", 0.5, 1.5), y=Axis("lr", 0.1, 1)), "is not allowed"),
    (dict(outcome="steps", tolerance=None), None),
    (dict(steps=0), "--steps"),
])
def test_bad_settings_are_refused_before_any_work(change, words):
    exp = loads(HIMMELBLAU)
    surface = exp.surface.build()
    cfg = replace(AtlasConfig(run="Momentum"), **change)
    if words is None:  # the steps outcome needs a tolerance: the file has one, so it works
        check_config(exp, cfg, surface)
        exp = replace(exp, tolerance=type(exp.tolerance)())
        words = "no tolerance"
    with pytest.raises(AtlasError, match=words):
        check_config(exp, cfg, surface)
    assert MAX_CELLS == 512 * 512


def test_atlas_table_is_checked_and_saved_back():
    exp = loads(HIMMELBLAU + '\n[atlas]\nrun = "GD"\ngrid = [32, 16]\noutcome = "loss"\n')
    assert exp.atlas == {"run": "GD", "grid": [32, 16], "outcome": "loss"}
    again = loads(exp.to_toml())
    assert again.atlas == exp.atlas
    with pytest.raises(ExperimentError, match="atlas.grid"):
        loads(HIMMELBLAU + "\n[atlas]\ngrid = [32]\n")
    with pytest.raises(ExperimentError, match="atlas.colour"):
        loads(HIMMELBLAU + "\n[atlas]\ncolour = 1\n")
    with pytest.raises(ExperimentError, match="atlas.run"):
        loads(HIMMELBLAU + '\n[atlas]\nrun = "Adam"\n')


def _cli(*args):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "main.py", "atlas", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_writes_csv_and_png_with_labels(tmp_path):
    f = tmp_path / "h.toml"
    f.write_text(HIMMELBLAU)
    r = _cli(str(f), "--run", "GD", "--grid", "8x6", "--csv", str(tmp_path / "a.csv"),
             "--png", str(tmp_path / "a.png"))
    assert r.returncode == 0, r.stderr
    assert "basin 0: minimum at (3, 2)" in r.stdout
    assert (tmp_path / "a.csv").read_text().count("\n") == 1 + 48
    from PIL import Image

    with Image.open(tmp_path / "a.png") as im:
        assert im.size[0] >= 800


@pytest.mark.parametrize("args, words", [
    (["--grid", "0x5"], "--grid"),
    (["--grid", "big"], "--grid"),
    (["--grid", "600x600"], "more than the limit"),
    (["--run", "Adam"], "--run"),
    (["--x-param", "lr"], "give all four"),
    (["--x-range=-5:5"], "give both"),
    (["--x-param", "lr", "--x-range=-1:1:log", "--y-param", "momentum", "--y-range",
      "0:0.9"], "log axis"),
    (["--x-param", "lr", "--x-range", "1:0", "--y-param", "momentum", "--y-range",
      "0:0.9"], "A < B"),
    (["--steps", "-1"], "--steps"),
    (["--steps", "10000000", "--grid", "256x256"], "limit"),
    (["--outcome", "nope"], "--outcome"),
])
def test_cli_refuses_bad_input_in_one_line(tmp_path, args, words):
    f = tmp_path / "h.toml"
    f.write_text(HIMMELBLAU)
    r = _cli(str(f), "--run", "Momentum", *args) if "--run" not in args else _cli(str(f), *args)
    assert r.returncode == 2, r.stdout
    assert words in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_cli_refuses_to_overwrite_the_experiment(tmp_path):
    f = tmp_path / "h.toml"
    f.write_text(HIMMELBLAU)
    r = _cli(str(f), "--csv", str(f))
    assert r.returncode == 2 and "experiment file itself" in r.stderr
    assert f.read_text() == HIMMELBLAU


@pytest.mark.parametrize("line, key", [
    ("steps = 1000000000000000", "atlas.steps"),
    ("grid = [0, 5000]", "atlas.grid"),
    ("basin_radius = -1.0", "atlas.basin_radius"),
    ("basin_radius = nan", "atlas.basin_radius"),
])
def test_atlas_table_counts_are_bounded_when_the_file_loads(line, key):
    with pytest.raises(ExperimentError, match=key):
        loads(HIMMELBLAU + f"\n[atlas]\n{line}\n")
