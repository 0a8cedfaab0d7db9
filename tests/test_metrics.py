"""Surface metrics (the flat-vs-sharp surface's test loss): the engine's per-run table, the
command line's summary columns, and the app's Metrics panel driven by real key presses."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.experiment import loads
from engine.metrics import TRAINING_LOSS, metric_table
from surfaces import SURFACES, make_surface

ROOT = Path(__file__).resolve().parent.parent

FLAT = """
title = "Two runs, flat vs sharp"
description = "A short flat-vs-sharp race."
surface = "flat-vs-sharp"
steps = 30
[[runs]]
label = "sharp"
optimizer = "gd"
lr = 0.02
start = [1.3, 0.35]
[[runs]]
label = "flat"
optimizer = "gd"
lr = 0.1
start = [-1.0, 0.5]
"""


def test_flat_vs_sharp_declares_its_test_loss_as_a_metric():
    s = make_surface("flat-vs-sharp")
    assert s.metric_names == ("test loss",)
    p = np.array([[1.5, 0.0], [-1.36, 0.0], [0.3, -0.7]])
    m = s.metrics(p)
    assert set(m) == {"test loss"}
    # the test loss is the training loss shifted by 0.25 along θ₁: L(θ − 0.25·e₁)
    np.testing.assert_allclose(m["test loss"], s.value(p - [0.25, 0.0]), rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_every_surface_returns_exactly_the_metrics_it_declares(name):
    s = make_surface(name)
    x0, x1, y0, y1 = s.view
    p = np.array([[x0 + 0.3 * (x1 - x0), y0 + 0.6 * (y1 - y0)], [0.5 * (x0 + x1), 0.5 * (y0 + y1)]])
    m = s.metrics(p)
    assert tuple(m) == s.metric_names
    for v in m.values():
        assert np.shape(v) == (2,)


def test_metric_table_at_a_step_and_for_a_stopped_run():
    exp = loads(FLAT)
    sim = exp.simulation()
    sim.run_to(30)
    surf = sim.surface
    t = metric_table(sim, 7)
    assert t.names == (TRAINING_LOSS, "test loss") and t.metric_names == ("test loss",)
    for i in range(2):
        th = sim.history(i).theta[7]
        assert t.values[i, 0] == sim.history(i).loss[7]
        assert t.values[i, 1] == surf.value((th - [0.25, 0.0])[None])[0]
    assert list(t.steps) == [7, 7]
    newest = metric_table(sim)
    assert list(newest.steps) == [30, 30]
    assert newest.values[0, 1] == surf.test_value(sim.history(0).theta[-1][None])[0]
    # a surface without metrics: the training loss alone
    quad = loads(FLAT.replace('surface = "flat-vs-sharp"', 'surface = "quadratic"')).simulation()
    assert metric_table(quad).names == (TRAINING_LOSS,)


def run_cli(*args):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True,
                          text=True)


def test_run_summary_prints_the_test_loss_column(tmp_path):
    r = run_cli("run", "--preset", "flat-vs-sharp")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    header = lines[1]
    assert "final loss" in header and "final test loss" in header
    assert header.index("final loss") < header.index("final test loss") < header.index(
        "final point")
    col = header.index("final test loss")
    from engine.experiment import load
    from engine.presets import preset_path

    exp = load(preset_path("flat-vs-sharp"))
    sim = exp.simulation()
    sim.run_to(exp.steps)
    rows = lines[2:8]
    assert len(rows) == 6
    for i, row in enumerate(rows):
        assert row.startswith(sim.runs[i].label)
        end = sim.history(i).theta[-1]
        printed = float(row[col:].split()[0])
        assert printed == pytest.approx(sim.surface.test_value(end[None])[0], rel=1e-5)
        if sim.runs[i].label.startswith("large"):
            assert printed == pytest.approx(-0.196, abs=1e-3)  # the sharp canyon's wall
        else:
            assert printed < -0.8  # the flat basin
    # a surface without metrics: no extra column
    plain = tmp_path / "plain.toml"
    plain.write_text(FLAT.replace('surface = "flat-vs-sharp"', 'surface = "quadratic"'),
                     encoding="utf-8")
    r = run_cli("run", str(plain))
    assert r.returncode == 0, r.stderr
    assert "test loss" not in r.stdout and "final loss" in r.stdout.splitlines()[1]


# ---------------------------------------------------------------------------- the widget
def test_metrics_view_shows_every_run_at_the_given_step(qtbot):
    from gui.metrics_view import MetricsView

    view = MetricsView()
    qtbot.addWidget(view)
    view.show()
    sim = loads(FLAT).simulation()
    sim.run_to(30)
    view.set_simulation(sim, colors=["#ff0000", "#00ff00"])
    assert view.names == (TRAINING_LOSS, "test loss") and view.has_metrics
    view.show_step(5)
    rows = view.values()
    assert [r[0] for r in rows] == ["sharp", "flat"]
    for i, row in enumerate(rows):
        th = sim.history(i).theta[5]
        assert float(row[1]) == pytest.approx(sim.history(i).loss[5], rel=1e-3)
        assert float(row[2]) == pytest.approx(sim.surface.test_value(th[None])[0], rel=1e-3)
    assert "step 5" in view.caption.text()
    view.set_simulation(loads(FLAT.replace('"flat-vs-sharp"', '"quadratic"')).simulation())
    assert view.names == (TRAINING_LOSS,) and not view.has_metrics
    assert "no metrics" in view.caption.text()


def test_metrics_view_waits_while_hidden(qtbot):
    from gui.metrics_view import MetricsView

    view = MetricsView()
    qtbot.addWidget(view)
    sim = loads(FLAT).simulation()
    sim.run_to(10)
    view.set_simulation(sim)
    view.show_step(10)  # hidden: nothing computed yet
    assert view.values()[0][1] == "—"
    view.show()
    qtbot.waitExposed(view)
    assert float(view.values()[0][1]) == pytest.approx(sim.history(0).loss[10], rel=1e-3)


def test_metrics_dock_follows_key_presses_and_the_timeline(qtbot, make_window):
    from gui.metrics_view import install_metrics_view

    win = make_window(FLAT)
    view = install_metrics_view(win)
    assert win.metrics_dock.isVisible()  # the surface has a metric of its own
    sim = win.simulation()

    def expect(step):
        rows = view.values()
        for i, row in enumerate(rows):
            h = sim.history(i)
            assert float(row[1]) == pytest.approx(h.loss[step], rel=1e-3)
            test = sim.surface.test_value(h.theta[step][None])[0]
            assert float(row[2]) == pytest.approx(test, rel=1e-3)
        assert f"step {step}" in view.caption.text()

    expect(0)
    for _ in range(3):
        qtbot.keyClick(win, Qt.Key.Key_Right)
    assert sim.step == 3
    expect(3)
    win.playback.timeline.setValue(1)  # scrub back
    expect(1)
    qtbot.keyClick(win, Qt.Key.Key_R)  # reset: a new simulation at step 0
    sim = win.simulation()
    expect(0)
    # a surface without metrics: the dock hides itself
    from conftest import QUAD
    win.load_experiment(loads(QUAD))
    assert not win.metrics_dock.isVisible()
    assert view.names == (TRAINING_LOSS,)
