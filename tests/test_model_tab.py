"""The model view inside the real main window (installed through its public signals), image
export, and building mlp-plane in a worker thread with progress and Cancel."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from engine.experiment import SurfaceConfig
from gui.surface_worker import build_in_worker, needs_worker
from surfaces import mlp_plane

REGRESSION = """
title = "Lines"
surface = { name = "linear-regression", n = 20 }
steps = 30
[[runs]]
label = "GD"
optimizer = "gd"
lr = 0.05
[[runs]]
label = "Adam"
optimizer = "adam"
lr = 0.2
start = [3.0, -1.0]
"""


def test_scrubbing_the_timeline_shows_the_lines_of_that_step(make_window, qtbot):
    win = make_window(REGRESSION)
    tab = win.model_tab  # the window installs it (gui/extensions.py)
    win.tabs.setCurrentIndex(tab.index)
    win.playback.set_speed(1000)  # a fixed speed: not the ~12 s of Auto
    qtbot.keyClick(win, Qt.Key.Key_Space)  # play to the end
    qtbot.waitUntil(lambda: win.simulation().step == 30, timeout=10000)
    sim = win.simulation()
    x0, x1 = sim.surface.model_data().view[:2]
    for t in (0, 12, 30):
        win.show_step(t)  # what the timeline does
        for i, drawn in enumerate(tab.view.drawn_curves()):
            w, b = sim.history(i).theta[t]
            np.testing.assert_allclose(drawn, [[x0, w * x0 + b], [x1, w * x1 + b]],
                                       rtol=1e-12, atol=1e-12)
    assert "step 12" not in tab.view.caption.text() and "step 30" in tab.view.caption.text()


def test_hidden_tab_is_not_drawn_and_catches_up_when_shown(make_window):
    win = make_window(REGRESSION)
    tab = win.model_tab  # the window installs it (gui/extensions.py)
    win.tabs.setCurrentIndex(0)
    win.show_step(0)
    win.step_once()
    win.step_once()
    assert tab.view.caption.text().startswith("lines")  # nothing drawn while hidden
    win.tabs.setCurrentIndex(tab.index)
    w, b = win.simulation().history(0).theta[2]
    x0 = win.simulation().surface.model_data().view[0]
    assert tab.view.drawn_curves()[0][0, 1] == pytest.approx(w * x0 + b, rel=1e-12)


def test_an_analytic_surface_says_there_is_no_model(win):
    tab = win.model_tab  # the default fixture: a quadratic bowl
    assert not tab.view.has_model() and "no model to show" in tab.view.message.text()


def test_model_view_image_export(make_window, tmp_path):
    win = make_window(REGRESSION)
    tab = win.model_tab  # the window installs it (gui/extensions.py)
    win.tabs.setCurrentIndex(tab.index)
    for name in ("model.png", "model.svg"):
        tab.view.export_image(str(tmp_path / name))
        assert (tmp_path / name).stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()
                  if p.name.startswith("model") or p.name.startswith(".model")) == \
        ["model.png", "model.svg"]


def test_mlp_plane_builds_in_a_worker_with_progress(qtbot):
    config = SurfaceConfig("mlp-plane", {"n": 40, "hidden": 3, "train_seed": 21})
    assert needs_worker(config)
    assert not needs_worker(SurfaceConfig("rosenbrock"))
    done = []
    job = build_in_worker(None, config, lambda ok, msg: done.append((ok, msg)))
    same = build_in_worker(None, config, lambda ok, msg: done.append(("again", ok)))
    assert same is job  # a second request joins the running build
    seen = []
    qtbot.waitUntil(lambda: seen.append(job.dialog.value()) or len(done) == 2,
                    timeout=60000)
    assert done == [(True, ""), ("again", True)]
    assert max(seen) > 0 and not needs_worker(config)
    s = config.build()
    assert s._b.analysis  # the critical points are ready for the Analysis tab


def test_cancelling_the_worker_build(qtbot):
    config = SurfaceConfig("mlp-plane", {"n": 400, "hidden": 8, "train_seed": 22})
    done = []
    job = build_in_worker(None, config, lambda ok, msg: done.append((ok, msg)))
    qtbot.waitUntil(lambda: job.dialog.isVisible(), timeout=10000)
    button = job.dialog.findChild(QPushButton)
    assert button.text() == "Cancel"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(done), timeout=60000)
    assert done == [(False, "building mlp-plane was cancelled")]
    assert needs_worker(config) and not mlp_plane.is_built(config.params)


def test_an_invalid_table_reports_one_line(qtbot):
    config = SurfaceConfig("mlp-plane", {"n": 5000, "hidden": 64})
    done = []
    build_in_worker(None, config, lambda ok, msg: done.append((ok, msg)))
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    ok, msg = done[0]
    assert not ok and msg.startswith("surface: ") and "hidden" in msg and "\n" not in msg


def test_selecting_a_run_in_the_run_list_shades_it(make_window, qtbot):
    text = REGRESSION.replace('name = "linear-regression", n = 20', 'name = "logistic-spoiler"')
    win = make_window(text)
    tab = win.model_tab  # the window installs it (gui/extensions.py)
    win.tabs.setCurrentIndex(tab.index)
    win.step_once()
    assert tab.view.selected() == 0
    lst = win.run_editor.list
    rect = lst.visualItemRect(lst.item(1))
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.view.selected() == 1
    s = win.simulation().surface
    gx, gy = np.meshgrid(tab.view._grid_x, tab.view._grid_y)
    want = s.predict(win.simulation().history(1).theta[1], np.column_stack([gx.ravel(),
                                                                           gy.ravel()]))
    np.testing.assert_allclose(tab.view.shaded_probability().ravel(), want, rtol=1e-12)


def test_file_menu_exports_the_model_image(make_window, dialogs, tmp_path):
    from conftest import action

    win = make_window(REGRESSION)
    win.step_once()
    dialogs.paths += [str(tmp_path / "lines"), str(tmp_path / "lines.svg")]
    act = action(win, "Export model image (PNG/SVG)…")
    act.trigger()
    act.trigger()
    assert (tmp_path / "lines.png").stat().st_size > 1000
    assert "<svg" in (tmp_path / "lines.svg").read_text("utf-8")[:2000]
    assert dialogs.errors == []


def test_exporting_an_analytic_surface_says_why(win, dialogs, tmp_path):
    from conftest import action

    dialogs.paths.append(str(tmp_path / "bowl.png"))
    action(win, "Export model image (PNG/SVG)…").trigger()
    assert not (tmp_path / "bowl.png").exists()
    assert any("no model to export" in e for e in dialogs.errors)
