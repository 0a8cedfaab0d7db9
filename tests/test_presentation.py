"""Presentation mode, the zoom of every view, legible paths, the run palette under simulated
colour-vision deficiencies, and the 3-D view's height scale."""
import itertools

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from gui.colors import PALETTE
from tests.conftest import action

CTRL = Qt.KeyboardModifier.ControlModifier


def _zoom_in(qtbot, win, times=1):
    for _ in range(times):
        qtbot.keyClick(win, Qt.Key.Key_Equal, CTRL)


def _tick_pt(axis):
    return axis.style["tickFont"].pointSizeF()


def _widths(win):
    return ([p.opts["pen"].widthF() for p in win.map_view.paths],
            [h.opts["pen"].widthF() for h in win.map_view.halos],
            [c.opts["pen"].widthF() for run in win.plots.curves for items in run.values()
             for c in items])


# ------------------------------------------------------------------------- zoom
def test_ctrl_equals_scales_fonts_pens_markers_and_legends_together(qtbot, win):
    paths, halos, curves = _widths(win)
    assert paths == [2.0, 2.0] and halos == [4.0, 4.0] and set(curves) == {2.0}
    font = win.font().pointSizeF()
    _zoom_in(qtbot, win, 3)  # 110 %, 125 %, 150 %
    assert win.zoom.factor == 1.5
    paths, halos, curves = _widths(win)
    assert paths == [3.0, 3.0] and halos == [6.0, 6.0] and set(curves) == {3.0}
    mv = win.map_view
    assert _tick_pt(mv.plot_item.getAxis("bottom")) == pytest.approx(13.5)
    assert _tick_pt(mv.color_bar.axis) == pytest.approx(13.5)
    assert mv.plot_item.getAxis("left").labelStyle["font-size"] == "15pt"
    assert mv.plot_item.titleLabel.opts["size"] == "15pt"
    assert mv.legend.opts["labelTextSize"] == "13.5pt"
    assert all(label.opts["size"] == "13.5pt" for _, label in mv.legend.items)
    assert mv.minima.opts["size"] == pytest.approx(22.5)
    assert mv.starts[0].scale == pytest.approx(19.5)
    loss = win.plots.plots["loss"]
    assert _tick_pt(loss.getAxis("left")) == pytest.approx(13.5)
    assert loss.titleLabel.opts["size"] == "13.5pt"
    assert win.plots.cursors["loss"].pen.widthF() == pytest.approx(1.5)
    assert win.font().pointSizeF() == pytest.approx(1.5 * font)  # the widgets' text
    assert win.run_editor.font().pointSizeF() == pytest.approx(1.5 * font)
    # the analysis tabs' plots follow too
    sweep = win.analysis_tools.sweep
    items = [i for v in sweep.findChildren(pg.GraphicsView) for i in v.scene().items()
             if isinstance(i, pg.PlotItem)]
    assert items and all(_tick_pt(i.getAxis("bottom")) == pytest.approx(13.5) for i in items)
    # … and their legends (8 pt at 100 %)
    assert sweep.loss_legend.opts["labelTextSize"] == "12pt"
    qtbot.keyClick(win, Qt.Key.Key_Minus, CTRL)
    assert win.zoom.factor == 1.25 and _widths(win)[0] == [2.5, 2.5]
    qtbot.keyClick(win, Qt.Key.Key_0, CTRL)
    assert win.zoom.factor == 1.0 and _widths(win) == ([2.0] * 2, [4.0] * 2, curves_at(win, 2))
    assert win.font().pointSizeF() == pytest.approx(font)


def curves_at(win, width):
    return [float(width)] * sum(len(items) for run in win.plots.curves for items in run.values())


def test_zoom_goes_to_at_least_250_percent_and_new_runs_are_drawn_at_it(qtbot, win):
    _zoom_in(qtbot, win, 20)
    assert win.zoom.factor >= 2.5
    f = win.zoom.factor
    win.load_experiment(win.experiment())  # runs drawn anew keep the zoom
    paths, halos, curves = _widths(win)
    assert paths == [2.0 * f] * 2 and halos == [4.0 * f] * 2 and set(curves) == {2.0 * f}
    assert win.plots.plots["sigma"].titleLabel.opts["size"] == f"{9 * f:.3g}pt"


def test_zoom_is_remembered_by_a_new_window_with_the_same_config_folder(qtbot, make_window,
                                                                        tmp_path, dialogs):
    win = make_window()
    _zoom_in(qtbot, win, 4)
    assert win.zoom.factor == 1.75
    win.close()
    from gui.main_window import MainWindow

    again = MainWindow(config_dir=tmp_path / "config", dialogs=dialogs)
    qtbot.addWidget(again)
    assert again.zoom.factor == 1.75
    again.restore_last()
    assert [p.opts["pen"].widthF() for p in again.map_view.paths] == [3.5, 3.5]


def test_a_damaged_zoom_in_the_session_is_ignored_and_noted():
    from gui.session import parse_session

    out, notes = parse_session('{"zoom": "huge", "recent": []}')
    assert out["zoom"] == 1.0 and any("zoom" in n for n in notes)
    out, notes = parse_session('{"zoom": 2.5}')
    assert out["zoom"] == 2.5 and not notes


# ------------------------------------------------------------------------- presentation
def test_f11_hides_the_panels_and_esc_restores_them_as_they_were(qtbot, win):
    win.about_dock.hide()  # a panel the user closed stays closed afterwards
    qtbot.wait(10)
    before = {d.windowTitle(): (d.isVisible(), win.dockWidgetArea(d))
              for d in win.presentation.docks()}
    state = win.saveState()
    assert before["Runs"][0] and before["Surface"][0]
    qtbot.keyClick(win, Qt.Key.Key_F11)
    assert win.presentation.active and win.isFullScreen()
    assert not any(d.isVisible() for d in win.presentation.docks())
    assert win.map_view.isVisible() and win.plots.isVisible()
    assert action(win, "Presentation mode").isChecked()
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not win.isFullScreen())
    assert not win.presentation.active
    after = {d.windowTitle(): (d.isVisible(), win.dockWidgetArea(d))
             for d in win.presentation.docks()}
    assert after == before and win.saveState() == state
    assert not action(win, "Presentation mode").isChecked()
    qtbot.keyClick(win, Qt.Key.Key_Escape)  # outside the mode Esc changes nothing
    assert after == {d.windowTitle(): (d.isVisible(), win.dockWidgetArea(d))
                     for d in win.presentation.docks()}


def test_the_view_menu_offers_presentation_mode_and_zoom(win):
    texts = [a.text().replace("&", "") for a in win.view_menu.actions()]
    for t in ("Presentation mode", "Zoom in", "Zoom out", "Actual size (100 %)"):
        assert t in texts
    action(win, "Zoom in").trigger()
    assert win.zoom.factor == 1.1
    action(win, "Presentation mode").trigger()
    assert win.presentation.active
    action(win, "Presentation mode").trigger()
    assert not win.presentation.active and win.runs_dock.isVisible()


# ------------------------------------------------------------------------- legible paths
def test_paths_are_at_least_2px_over_a_wider_dark_outline(win):
    mv = win.map_view
    for path, halo in zip(mv.paths, mv.halos):
        assert path.opts["pen"].widthF() >= 2
        assert halo.opts["pen"].widthF() > path.opts["pen"].widthF()
        assert (halo.role, path.role) == ("halo", "path")  # drawn under it: test_fast_drawing
        assert halo.opts["pen"].color().lightness() < 60
    win.step_once()
    for path, halo in zip(mv.paths, mv.halos):
        x, y = path.getData()
        hx, hy = halo.getData()
        assert len(x) == 2 and np.array_equal(x, hx) and np.array_equal(y, hy)
    assert all(c.opts["pen"].widthF() >= 2 for run in win.plots.curves
               for items in run.values() for c in items)


def test_the_map_colours_are_viridis_lightened():
    from gui.surface_layer import LIGHTEN, surface_colormap

    t = np.linspace(0, 1, 5)
    light = surface_colormap().map(t, mode="float")[:, :3]
    base = pg.colormap.get("viridis").map(t, mode="float")[:, :3]
    assert np.allclose(light, base * (1 - LIGHTEN) + LIGHTEN, atol=2 / 255)


# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])


def _linear(hex_color):
    c = np.array([int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear):
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                  [0.0193, 0.1192, 0.9505]])
    xyz = m @ np.clip(linear, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_lab_of_white_and_a_known_colour():
    assert np.allclose(_lab(_linear("#ffffff")), [100, 0, 0], atol=0.05)
    assert np.allclose(_lab(_linear("#ff0000")), [53.24, 80.09, 67.20], atol=0.1)


@pytest.mark.parametrize("vision", [None, PROTANOPIA, DEUTERANOPIA],
                         ids=["normal", "protanopia", "deuteranopia"])
def test_eight_run_colours_stay_apart(vision):
    eight = PALETTE[:8]
    assert len({c.lower() for c in eight}) == 8
    lab = [_lab(_linear(c) if vision is None else vision @ _linear(c)) for c in eight]
    closest = min(np.linalg.norm(a - b) for a, b in itertools.combinations(lab, 2))
    assert closest >= 15  # CIELAB ΔE; the earlier palette's closest pair was 9.7 apart


# ------------------------------------------------------------------------- 3-D view
def test_3d_height_is_log_scaled_where_the_map_colours_are():
    from gui.surface_layer import surface_image
    from gui.view3d import axis_ticks, height_field

    class Steep:  # no log_scale flag, but the loss spans many decades: the map uses log
        view = (-1.0, 1.0, -1.0, 1.0)
        log_scale = False

        def value(self, p):
            p = np.asarray(p, dtype=float)
            return 10.0 ** (4 * (p[:, 0] ** 2 + p[:, 1] ** 2))

    s = Steep()
    assert surface_image(s, 21)[2]  # the map: log colours
    xs, ys, z, transform = height_field(s, grid=21)
    lo, hi, height, label = transform.axis
    assert label == "log₁₀ loss" and lo == pytest.approx(0.0)
    # the height is linear in log10 L: halfway in log10 L is halfway up (below the clip)
    mid = transform(np.array([10.0 ** (lo + (hi - lo) / 2)]))[0]
    assert mid == pytest.approx(height / 2)
    assert axis_ticks(-2.0, 2.5) == [-1.0, 0.0, 1.0, 2.0]


def test_small_print_with_a_pixel_size_grows_with_the_zoom(qtbot, win):
    hint = win.run_editor.hint
    assert "font-size: 11px" in hint.styleSheet()
    _zoom_in(qtbot, win, 5)  # 110, 125, 150, 175, 200 %
    assert win.zoom.factor == 2.0
    assert "font-size: 22px" in hint.styleSheet() and "color: #0b5394" in hint.styleSheet()
    qtbot.keyClick(win, Qt.Key.Key_0, CTRL)
    assert "font-size: 11px" in hint.styleSheet()
