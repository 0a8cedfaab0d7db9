"""The analysis widgets: critical-point table, step-size panel, sweep panel, point overlays and
the 3-D view's fallback without OpenGL (pytest-qt, offscreen)."""
from __future__ import annotations

import math
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402

from engine.analysis import run_rates  # noqa: E402
from engine.optimizers import OPTIMIZERS  # noqa: E402
from engine.simulation import RunSpec, Simulation  # noqa: E402
from engine.sweep import SweepConfig, run_sweep  # noqa: E402
from gui.analysis_panel import (AnalysisPanel, CriticalPointTable, StepSizePanel,  # noqa: E402
                                eta_multiple_text)
from gui.point_overlay import (ESCAPE_COLOR, PointOverlay, RunGradientArrows,  # noqa: E402
                               arrow_segments)
from gui.sweep_panel import SweepPanel  # noqa: E402
from gui.view3d import Surface3DView, height_field, opengl_status  # noqa: E402
from surfaces import Surface, make_surface  # noqa: E402


class TwoWells(Surface):
    """(x² − 1)² + y²: minima (±1, 0), saddle (0, 0)."""

    name = "test-two-wells"

    def value(self, p):
        return (p[:, 0] ** 2 - 1) ** 2 + p[:, 1] ** 2

    def grad(self, p):
        return np.column_stack([4 * p[:, 0] * (p[:, 0] ** 2 - 1), 2 * p[:, 1]])

    def hessian(self, p):
        h = np.zeros((len(p), 2, 2))
        h[:, 0, 0] = 12 * p[:, 0] ** 2 - 4
        h[:, 1, 1] = 2
        return h


def _quad():
    return make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})


# ----------------------------------------------------------------- 3-D view fallback
def test_3d_view_offscreen_shows_a_message_and_the_rest_works(qtbot):
    ok, reason = opengl_status(force_check=True)
    assert not ok and "offscreen" in reason and "OpenGL" in reason
    view = Surface3DView(_quad())
    qtbot.addWidget(view)
    view.show()
    assert not view.available and view.view is None
    assert view.message.isVisible() and "OpenGL" in view.message.text()
    sim = Simulation(_quad(), [RunSpec("gd", "gd", {"lr": 0.1}, (1.0, 1.0))])
    sim.advance(10)
    view.set_simulation(sim, ["#ff0000"])  # no effect, no error
    assert view.lines == []


def test_3d_view_reports_a_missing_opengl_library(qtbot, monkeypatch):
    import builtins

    from gui import view3d

    real_import = builtins.__import__

    def no_gl(name, *args, **kwargs):
        if name.startswith("OpenGL") or name.startswith("pyqtgraph.opengl"):
            raise ImportError("No module named 'OpenGL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_gl)
    monkeypatch.setattr(view3d.QGuiApplication if hasattr(view3d, "QGuiApplication") else
                        __import__("PySide6.QtGui", fromlist=["QGuiApplication"]).QGuiApplication,
                        "platformName", staticmethod(lambda: "xcb"))
    ok, reason = opengl_status(force_check=True)
    monkeypatch.undo()
    opengl_status(force_check=True)  # restore the real status for other tests
    assert not ok and "PyOpenGL" in reason


def test_height_field_scales_and_maps_trajectory_losses():
    surf = _quad()
    xs, ys, z, transform = height_field(surf, grid=21)
    assert z.shape == (21, 21) and xs[0] == -2.5 and ys[-1] == 2.5
    assert z.min() == pytest.approx(0.0)  # the minimum at the bottom
    assert z.max() <= 0.6 * 5.0 + 1e-12
    # the same map for a trajectory point as for the mesh vertex under it
    assert transform(surf.value(np.array([[xs[3], ys[5]]])))[0] == pytest.approx(z[3, 5])


# ----------------------------------------------------------------- critical-point table
def test_table_lists_points_and_click_emits_the_point(qtbot):
    table = CriticalPointTable(TwoWells())
    qtbot.addWidget(table)
    table.show()
    assert table.rowCount() == 3
    assert [table.item(r, 0).text() for r in range(3)] == ["minimum", "minimum", "saddle"]
    assert [table.horizontalHeaderItem(c).text() for c in range(7)] == \
        ["kind", "x", "y", "loss", "λ₁", "λ₂", "κ"]
    assert table.item(2, 4).text() == "-4" and table.item(2, 6).text() == "2"
    assert table.item(0, 6).text() == "4"
    rect = table.visualItemRect(table.item(2, 0))
    with qtbot.waitSignal(table.pointActivated) as sig:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args[0] == pytest.approx(0.0, abs=1e-9) and sig.args[1] == pytest.approx(0.0)


def test_analysis_panel_combines_table_and_theory(qtbot):
    sim = Simulation(_quad(), [RunSpec("GD", "gd", {"lr": 0.5}, (1.0, 1.0))])
    sim.advance(20)
    panel = AnalysisPanel(sim)
    qtbot.addWidget(panel)
    assert panel.table.rowCount() == 1 and panel.table.item(0, 6).text() == "3"
    assert "best single step 2/(λmax+λmin) = 0.5" in panel.step_size.text.toPlainText()


# ----------------------------------------------------------------- step-size panel
def test_step_size_panel_predictions_beside_measured_rates(qtbot):
    sim = Simulation(_quad(), [RunSpec("slow", "gd", {"lr": 0.25}, (1.0, 1.0)),
                               RunSpec("adam", "adam",
                                       {**OPTIMIZERS["adam"].defaults(), "lr": 0.05}, (1.0, 1.0))])
    sim.advance(40)
    panel = StepSizePanel(sim, ["#0072b2", "#d55e00"])
    qtbot.addWidget(panel)
    text = " ".join(panel.text.toPlainText().split())
    assert "η_opt per direction 1/λ: 1, 0.33333" in text
    assert "largest convergent step 2/λmax = 0.66667" in text
    assert "κ = 3" in text
    # the GD run's row: η, η/η_opt, |1 − ηλᵢ|, predicted R, regime
    assert "slow 0.25 0.75 0.75, 0.25 0.5625 converges monotonically" in text
    assert panel.predicted_rates() == {0: pytest.approx(0.5625)}
    assert len(panel.predicted) == 1
    assert panel.predicted[0].value() == pytest.approx(math.log10(0.5625))
    x, y = panel.measured[0].getOriginalDataset()
    r = run_rates(sim, 0, 0.0)
    np.testing.assert_allclose(y, r[np.isfinite(r) & (r > 0)])
    assert y[-1] == pytest.approx(0.5625, rel=1e-6)  # measured meets predicted
    sim.advance(10)
    panel.refresh()
    assert len(panel.measured[0].getOriginalDataset()[0]) == 50


def test_eta_multiple_text_for_the_run_editor():
    text = eta_multiple_text(_quad(), "gd", 0.5, (1.0, 1.0))
    assert text == ("Local curvature at the start (1, 1): λ = 1, 3. η = 1.5 × η_opt (1/λmax = "
                    "0.333). On a quadratic with this curvature, GD: converges with "
                    "oscillation.")
    assert "plain gradient descent" in eta_multiple_text(_quad(), "adam", 0.5)


def _valley_sim():
    from engine.experiment import loads
    exp = loads('expression = "(1 - x*y)**2"\nsteps = 10\n[[runs]]\nlabel = "GD"\n'
                'optimizer = "gd"\nlr = 0.01\nstart = [2.0, 1.0]\n')
    return Simulation(exp.surface.build(), [RunSpec("GD", "gd", {"lr": 0.01}, (2.0, 1.0))])


def test_analysis_panel_on_a_valley_of_minima_does_not_contradict_itself(qtbot):
    sim = _valley_sim()
    sim.advance(10)
    panel = AnalysisPanel(sim)
    qtbot.addWidget(panel)
    kinds = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]
    assert kinds == ["valley of minima", "valley of minima", "saddle"]
    assert "valley of minima along a curve" in panel.table.item(0, 0).toolTip()
    text = " ".join(panel.step_size.text.toPlainText().split())
    assert "degenerate" in text and "2/λ = 0.5" in text
    assert "converges monotonically" not in text and "converges with" not in text
    assert "GD 0.01 the minimum it heads for, (1, 1), is degenerate" in text
    assert "no rate predicted" in text
    assert panel.step_size.predicted_rates() == {} and panel.step_size.predicted == []


def test_each_gd_run_gets_the_theory_of_the_minimum_it_heads_for(qtbot):
    # spoiler: the lowest minimum (5.48, −0.14) would make η = 66.7 "diverge", but a descent
    # from (−2, 2) reaches the upper minimum (5.48, 3.60), where η·λmax = 0.0041
    from engine.experiment import load
    from engine.presets import preset_path
    exp = load(preset_path("spoiler"))
    sim = exp.simulation()
    panel = AnalysisPanel(sim)
    qtbot.addWidget(panel)
    text = " ".join(panel.step_size.text.toPlainText().split())
    assert "the minimum (5.48336, -0.136309)" in text  # the surface's lowest minimum
    assert "diverges" not in text
    assert "converges monotonically (at the minimum (5.483, 3.595))" in text
    assert panel.step_size.predicted_rates() == {0: pytest.approx(0.993477, rel=1e-5)}


def test_critical_point_table_is_bounded(qtbot):
    from engine.analysis import MAX_TABLE_ROWS
    table = CriticalPointTable(make_surface("rastrigin"))
    qtbot.addWidget(table)
    assert table.rowCount() == MAX_TABLE_ROWS + 1
    assert len(table.points) == MAX_TABLE_ROWS
    assert table.item(MAX_TABLE_ROWS, 0).text().startswith("… and 341 more, not listed")


# ----------------------------------------------------------------- sweep panel
def _sweep_panel(qtbot, count=12, steps=150):
    panel = SweepPanel(_quad(), chunk=50)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    panel.set_optimizer("gd")
    panel.lr_low.setText("0.01")
    panel.lr_high.setText("1")
    panel.count.setValue(count)
    panel.steps.setValue(steps)
    panel.start_x.setText("1")
    panel.start_y.setText("1")
    return panel


def test_sweep_panel_refuses_a_sweep_that_would_not_fit_in_memory(qtbot, monkeypatch):
    from engine import limits

    monkeypatch.setattr(limits, "available_memory", lambda: 2 * 10**7)  # a 10 MB budget
    panel = _sweep_panel(qtbot, count=100_000, steps=10)
    assert panel.count.value() == 100_000
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert not panel.running and panel.sweep is None
    # a sweep keeps per-run summaries only: 512 bytes a run
    assert panel.message.text().startswith(
        "⚠ running 100,000 run(s) × 10 steps needs about 51.2 MB")
    assert panel.run_button.isEnabled()


def test_sweep_panel_runs_and_matches_the_engine(qtbot):
    panel = _sweep_panel(qtbot)
    assert list(panel.hyper_fields) == []  # gd has no other hyperparameter
    with qtbot.waitSignal(panel.finished, timeout=10000) as sig:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        assert not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    res = sig.args[0]
    assert panel.progress.value() == 100 and not res.cancelled
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    expect = run_sweep(_quad(), SweepConfig("gd", {}, 0.01, 1.0, 12, 150, (1.0, 1.0)))
    assert np.array_equal(res.final_theta, expect.final_theta)
    n_div = int(expect.diverged.sum())
    assert n_div > 0
    assert len(panel.loss_diverged.data) == n_div  # diverged ones marked
    assert f"{n_div} of 12 diverged" in panel.message.text()


def test_sweep_panel_cancel_keeps_the_part_done(qtbot):
    panel = _sweep_panel(qtbot, count=50, steps=100000)
    panel.chunk = 10
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress.value() > 0 or panel.steps_done >= 20,
                    timeout=5000)
    with qtbot.waitSignal(panel.finished, timeout=5000) as sig:
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    res = sig.args[0]
    assert res.cancelled and 0 < res.steps_done < 100000
    assert not panel.running and panel.run_button.isEnabled()
    assert "cancelled" in panel.message.text()


def test_sweep_panel_bad_input_shows_the_problem(qtbot):
    panel = _sweep_panel(qtbot)
    panel.lr_low.setText("abc")
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert "lr_low: must be a number" in panel.message.text()
    assert not panel.running and panel.run_button.isEnabled()
    panel.set_optimizer("adam")
    panel.lr_low.setText("1e-3")
    panel.hyper_fields["beta1"].setText("1.5")
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert "beta1" in panel.message.text() and not panel.running


def test_click_on_the_sweep_plot_emits_the_nearest_eta(qtbot):
    panel = _sweep_panel(qtbot)
    with qtbot.waitSignal(panel.finished, timeout=10000):
        panel.start()
    qtbot.waitExposed(panel)
    qtbot.wait(100)  # let the plot lay out and auto-range
    res = panel.result
    i = 4
    target = float(res.lr[i])
    vb = panel.steps_plot.getPlotItem().getViewBox()
    (y0, y1) = vb.viewRange()[1]
    scene = vb.mapViewToScene(pg.Point(math.log10(target), (y0 + y1) / 2))
    pos = panel.steps_plot.mapFromScene(scene)
    picked, runs = [], []
    panel.lrPicked.connect(picked.append)
    panel.runRequested.connect(runs.append)
    qtbot.mouseClick(panel.steps_plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(int(pos.x()), int(pos.y())))
    assert picked == [target]
    (run,) = runs
    assert run == {"optimizer": "gd", "hyper": {"lr": target}, "start": (1.0, 1.0)}
    assert panel.picked_line.isVisible()


# ----------------------------------------------------------------- point overlays
_keep: list = []


def _plot(qtbot, surface):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(600, 600)
    x0, x1, y0, y1 = surface.view
    w.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
    w.show()
    _keep.append(w)  # the PlotItem dies with its widget
    return w.getPlotItem()


def test_point_overlay_gradient_normal_to_contour_and_eigenvectors(qtbot):
    surf = _quad()
    pi = _plot(qtbot, surf)
    ov = PointOverlay(pi)
    a = ov.show(surf, 1.0, 1.0)
    assert all(item in pi.items for item in ov.items)
    curves = [it for it in ov.items if isinstance(it, pg.PlotCurveItem)]
    # gradient arrow: shaft from the point along (1, 3)/√10
    x, y = curves[0].getData()
    shaft = np.array([x[1] - x[0], y[1] - y[0]])
    assert (x[0], y[0]) == (1.0, 1.0)
    assert shaft @ np.array([-3.0, 1.0]) == pytest.approx(0.0, abs=1e-12)
    assert shaft @ np.array([1.0, 3.0]) > 0
    # the dotted tangent is perpendicular to the gradient
    tx, ty = curves[1].getData()
    assert (tx[1] - tx[0]) * 1.0 + (ty[1] - ty[0]) * 3.0 == pytest.approx(0.0, abs=1e-12)
    # two eigenvector segments, the steep one (λ = 3) three times the flat one
    ex1, _ = curves[2].getData()
    _, ey2 = curves[3].getData()
    assert abs(ey2[1] - ey2[0]) == pytest.approx(3 * abs(ex1[1] - ex1[0]))
    assert a.escape_direction is None and len(curves) == 4
    ov.clear()
    assert ov.items == [] and not any(isinstance(i, pg.TextItem) for i in pi.items)


def test_point_overlay_escape_arrow_at_a_saddle(qtbot):
    surf = TwoWells()
    pi = _plot(qtbot, surf)
    ov = PointOverlay(pi)
    a = ov.show(surf, 0.0, 0.0)
    np.testing.assert_allclose(np.abs(a.escape_direction), [1.0, 0.0], atol=1e-12)
    escape = [it for it in ov.items if isinstance(it, pg.PlotCurveItem)
              and it.opts["pen"].color().name() == ESCAPE_COLOR]
    assert len(escape) == 1
    x, y = escape[0].getData()
    assert abs(x[1] - x[0]) > 0 and y[1] - y[0] == pytest.approx(0.0, abs=1e-12)


def test_run_gradient_arrows_point_downhill_and_toggle(qtbot):
    surf = _quad()
    pi = _plot(qtbot, surf)
    arrows = RunGradientArrows(pi)
    thetas = np.array([[1.0, 1.0], [-1.0, 0.5], [2.0, -1.0]])
    arrows.update(surf, thetas, ["#ff0000", "#00ff00", "#ff0000"])
    assert len(arrows.items) == 2  # one curve per colour
    g = surf.grad(thetas)
    np.testing.assert_allclose(arrows.directions, -g / np.linalg.norm(g, axis=1)[:, None])
    x, y = arrows.items[0].getData()
    assert len(x) == 12  # two arrows × (shaft + two barbs) × 2 points
    d = np.array([x[1] - x[0], y[1] - y[0]])
    assert d @ g[0] < 0
    arrows.set_visible(False)
    assert not any(i.isVisible() for i in arrows.items)
    arrows.update(surf, thetas[:1], ["#0000ff"])
    assert len(arrows.items) == 1 and not arrows.items[0].isVisible()
    arrows.clear()
    assert arrows.items == []


def test_arrow_segments_shape_and_barbs():
    seg = arrow_segments(np.array([[0.0, 0.0]]), np.array([[10.0, 0.0]]), (1.0, 1.0), 2.0)
    assert seg.shape == (6, 2)
    np.testing.assert_allclose(seg[:2], [[0, 0], [10, 0]])
    # barbs go back from the tip, 2 px long, symmetric about the shaft
    np.testing.assert_allclose(np.linalg.norm(seg[3] - seg[2]), 2.0)
    assert seg[3, 0] < 10 and seg[3, 1] == pytest.approx(-seg[5, 1])
