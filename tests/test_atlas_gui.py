"""The Atlas tab through real clicks: compute in the background, the layer on the map and its
switch, hover read-out, click-to-add, the hyperparameter map, Cancel, and the cache."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from engine.experiment import loads

HIM = """
title = "Basins"
surface = "himmelblau"
steps = 60
tolerance = 1e-12
[[runs]]
label = "GD"
optimizer = "gd"
lr = 0.01
"""

QUADM = """
surface = { name = "quadratic", lambda1 = 1.0, lambda2 = 10.0 }
steps = 120
[[runs]]
label = "M"
optimizer = "momentum"
lr = 0.05
momentum = 0.5
"""


def _compute(qtbot, win, grid_index=0):
    tools = win.atlas_tools
    win.tabs.setCurrentIndex(tools.tab)
    tools.panel.grid_box.setCurrentIndex(grid_index)  # 32 × 32
    with qtbot.waitSignal(tools.worker.finished, timeout=120_000):
        qtbot.mouseClick(tools.panel.compute, Qt.MouseButton.LeftButton)
    return tools


def _map_point(win, x, y):
    return win.map_view.data_to_widget(x, y)


def test_compute_shows_a_layer_that_toggles_and_reads_on_hover(qtbot, make_window):
    win = make_window(HIM)
    tools = _compute(qtbot, win)
    r = tools.result
    assert r.complete and r.basin.shape == (32, 32)
    assert tools.layer.isVisible() and tools.legend.isVisible()
    assert "minimum 0 at (3, 2)" in tools.panel.legend_label.text()
    # hover over the cell at the minimum (3, 2): the read-out names that cell
    vp = win.map_view.plot.viewport()
    qtbot.mouseMove(vp, _map_point(win, 3.0, 2.0))
    qtbot.waitUntil(lambda: "reached minimum 0" in tools.panel.readout.text(), timeout=3000)
    # switch the layer off: hidden, and a map click moves the runs again
    qtbot.mouseClick(tools.panel.show_layer, Qt.MouseButton.LeftButton,
                     pos=QPoint(4, tools.panel.show_layer.height() // 2))
    assert not tools.layer.isVisible() and not tools.legend.isVisible()
    n = len(win.experiment().runs)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=_map_point(win, 1.0, 1.0))
    assert len(win.experiment().runs) == n
    assert win.experiment().runs[0].start == pytest.approx((1.0, 1.0), abs=0.05)


def test_click_on_a_cell_adds_a_run_starting_there(qtbot, make_window):
    win = make_window(HIM)
    tools = _compute(qtbot, win)
    win.pause()
    vp = win.map_view.plot.viewport()
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=_map_point(win, -3.0, -3.0))
    runs = win.experiment().runs
    assert len(runs) == 2
    r = tools.result
    i, j = tools.panel.cell_at(-3.0, -3.0)
    assert runs[1].start == (float(r.xs[j]), float(r.ys[i]))
    assert runs[1].optimizer == "gd" and runs[1].hyper["lr"] == 0.01
    assert runs[0].start is None  # the other run did not move


def test_hyperparameter_map_draws_theory_and_adds_runs(qtbot, make_window):
    win = make_window(QUADM)
    tools = win.atlas_tools
    p = tools.panel
    p.mode.setCurrentIndex(1)
    p.outcome.setCurrentIndex(3)  # rate
    box, lo, hi, log = p.axes["x"]
    assert box.currentData() == "lr"
    lo.setText("0.01")
    hi.setText("0.3")
    ybox, ylo, yhi, ylog = p.axes["y"]
    assert ybox.currentData() == "momentum"
    tools = _compute(qtbot, win)
    r = tools.result
    assert not r.config.over_starts and not tools.layer.isVisible()
    names = [item.name() for item in p.plot.listDataItems()]
    assert "stability border η = 2(1 + μ)/λ_max" in names
    assert "optimal momentum (η*, μ*)" in names
    p.cellClicked.emit(3, 5)
    run = win.experiment().runs[-1]
    assert run.hyper["lr"] == pytest.approx(float(r.xs[5]))
    assert run.hyper["momentum"] == pytest.approx(float(r.ys[3]))


def test_cancel_keeps_the_cells_done_and_frees_the_button(qtbot, make_window):
    win = make_window(HIM.replace("steps = 60", "steps = 3000"))
    tools = win.atlas_tools
    win.tabs.setCurrentIndex(tools.tab)
    tools.panel.grid_box.setCurrentIndex(3)  # 256 × 256 × 3,000 steps: long
    qtbot.mouseClick(tools.panel.compute, Qt.MouseButton.LeftButton)
    assert tools.worker.running and not tools.panel.compute.isEnabled()
    with qtbot.waitSignal(tools.worker.finished, timeout=120_000):
        qtbot.mouseClick(tools.panel.cancel, Qt.MouseButton.LeftButton)
    assert not tools.result.complete
    assert tools.panel.compute.isEnabled() and not tools.panel.cancel.isEnabled()
    assert "Cancelled" in tools.panel.readout.text()
    assert not tools.cache  # a partial atlas is not cached


def test_same_settings_come_from_the_cache(qtbot, make_window):
    win = make_window(HIM)
    tools = _compute(qtbot, win)
    first = tools.result
    qtbot.mouseClick(tools.panel.compute, Qt.MouseButton.LeftButton)
    assert not tools.worker.running and tools.result is first
    # another outcome only recolours: no new computation either
    tools.panel.outcome.setCurrentIndex(1)
    assert tools.result is first and "log₁₀" in tools.panel.legend_label.text()


def test_the_event_loop_stays_free_while_computing(qtbot, make_window):
    """A GUI-thread timer keeps firing while a long atlas is computed."""
    from PySide6.QtCore import QTimer

    win = make_window(HIM.replace("steps = 60", "steps = 400"))
    tools = win.atlas_tools
    win.tabs.setCurrentIndex(tools.tab)
    tools.panel.grid_box.setCurrentIndex(1)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    with qtbot.waitSignal(tools.worker.finished, timeout=120_000):
        qtbot.mouseClick(tools.panel.compute, Qt.MouseButton.LeftButton)
    timer.stop()
    assert len(ticks) >= 5  # the GUI thread kept running its timers during the computation


def test_the_basin_radius_is_an_option(qtbot, make_window):
    win = make_window(HIM)
    tools = win.atlas_tools
    tools.panel.radius.setText("0.5")
    cfg = tools.panel.config((-5.5, 5.5, -5.5, 5.5))
    assert cfg.basin_radius == 0.5
    tools.panel.radius.setText("wide")
    win.tabs.setCurrentIndex(tools.tab)
    qtbot.mouseClick(tools.panel.compute, Qt.MouseButton.LeftButton)
    assert not tools.worker.running and "basin radius" in tools.panel.readout.text()
    tools.panel.radius.setText("-1")
    qtbot.mouseClick(tools.panel.compute, Qt.MouseButton.LeftButton)
    assert not tools.worker.running and "--basin-radius" in tools.panel.readout.text()
