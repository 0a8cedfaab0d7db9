"""Drawing while playing: segments in screen pixels (clipping, dashes), the peak envelope per
pixel column, the plots' and the map's images that only gain the new points each frame, and
the step plots' steady view ranges."""
import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QImage, QPen, QTransform

from gui.curve_layer import batch_peaks, column_peaks
from gui.fast_curve import clip_segments, dash_segments, device_segments
from gui.plot_range import FIRST_X, GROWTH, HEADROOM, grown, next_x, y_bounds

LONG = """
title = "Three long runs"
surface = "rosenbrock"
steps = 4000
[[runs]]
label = "gd"
optimizer = "gd"
lr = 0.0005
start = [-1.5, 2.5]
[[runs]]
label = "adam"
optimizer = "adam"
lr = 0.01
start = [-1.0, 2.0]
[[runs]]
label = "rmsprop"
optimizer = "rmsprop"
lr = 0.001
start = [1.5, 0.5]
"""


# ---------------------------------------------------------------------------- geometry
def test_clip_segments_keeps_the_visible_part_of_each_segment():
    seg = np.array([[-10.0, 5.0, 20.0, 5.0],    # crosses the box left to right
                    [2.0, 2.0, 4.0, 8.0],       # inside
                    [50.0, 50.0, 60.0, 60.0],   # outside
                    [-5.0, -5.0, 15.0, 15.0]])  # the diagonal
    out = clip_segments(seg, 0.0, 0.0, 10.0, 10.0)
    assert out == pytest.approx(np.array([[0.0, 5.0, 10.0, 5.0],
                                          [2.0, 2.0, 4.0, 8.0],
                                          [0.0, 0.0, 10.0, 10.0]]))


def test_dashes_are_cut_by_arc_length_and_run_on_across_segments():
    # a 30 px line in two segments (0..10, 10..30), dashes of 8 on, 4 off
    seg = np.array([[0.0, 0.0, 10.0, 0.0], [10.0, 0.0, 30.0, 0.0]])
    out = dash_segments(seg, np.array([0.0, 10.0]), np.array([8.0, 4.0]))
    assert out == pytest.approx(np.array([[0, 0, 8, 0], [12, 0, 20, 0], [24, 0, 30, 0]],
                                         dtype=float))
    # a vertical segment starting 10 px along: on 10–12 off, 12–20 on, 20–24 off
    out = dash_segments(np.array([[0.0, 0.0, 0.0, 14.0]]), np.array([10.0]),
                        np.array([8.0, 4.0]))
    assert out == pytest.approx(np.array([[0, 2, 0, 10]], dtype=float))


def test_device_segments_map_break_at_gaps_and_between_lines():
    t = QTransform(2.0, 0.0, 0.0, -3.0, 5.0, 100.0)  # x·2 + 5, −y·3 + 100
    x = np.array([0.0, 1.0, 2.0, np.nan, 4.0, 5.0, 0.0, 1.0])
    y = np.array([0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 0.0, 0.0])
    ids = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    pen = QPen()
    pen.setWidthF(2.0)
    seg, sid = device_segments(x, y, pen, t, None, ids=ids)
    assert seg == pytest.approx(np.array([[5, 100, 7, 97], [7, 97, 9, 97],
                                          [13, 94, 15, 94], [5, 100, 7, 100]], dtype=float))
    assert sid.tolist() == [0, 0, 0, 1]  # no segment across the gap or from line 0 to 1


def test_dash_phase_goes_on_where_the_last_part_stopped():
    pen = QPen()
    pen.setWidthF(2.0)
    pen.setStyle(Qt.PenStyle.DashLine)  # Qt's pattern: 4 on, 2 off (× the width: 8, 4)
    x, y = np.array([0.0, 5.0]), np.zeros(2)
    whole = device_segments(np.array([0.0, 10.0]), np.zeros(2), pen, QTransform(), None)
    seg, _sid, length = device_segments(x, y, pen, QTransform(), None,
                                        ids=np.zeros(2, dtype=int), phases=[0.0])
    assert length.tolist() == [5.0]
    rest, _sid, _l = device_segments(np.array([5.0, 10.0]), np.zeros(2), pen, QTransform(),
                                     None, ids=np.zeros(2, dtype=int), phases=[5.0])
    # the two parts together draw exactly the dashes of the whole line
    assert np.concatenate((seg, rest)) == pytest.approx(np.array(
        [[0, 0, 5, 0], [5, 0, 8, 0]], dtype=float))
    assert whole == pytest.approx(np.array([[0, 0, 8, 0]], dtype=float))


def test_column_peaks_keep_each_columns_lowest_and_highest_value():
    x = np.arange(12, dtype=float)
    y = np.array([5, 1, 9, 2, 2, 2, 0, np.nan, 3, np.nan, np.nan, 4], dtype=float)
    # 3 columns of 4 steps over [0, 12)
    px, py = column_peaks(x, y, 0.0, 12.0, 3)
    assert px.tolist() == [2.0, 2.0, 6.0, 6.0, 10.0, 10.0]
    assert py.tolist() == [1.0, 9.0, 0.0, 2.0, 3.0, 4.0]
    # sparse data (a point per column at most) is kept as it is
    sx, sy = column_peaks(x[::4], y[::4], 0.0, 12.0, 3)
    assert sx.tolist() == [0.0, 4.0, 8.0] and sy.tolist() == [5.0, 2.0, 3.0]


def test_batch_peaks_never_merge_two_lines():
    x = np.array([0.1, 0.2, 0.3, 0.1, 0.2])
    y = np.array([1.0, 5.0, 3.0, 7.0, 8.0])
    ids = np.array([0, 0, 0, 1, 1])
    px, py, pid = batch_peaks(x, y, ids, 0.0, 1.0)
    assert pid.tolist() == [0, 0, 1, 1]
    assert py.tolist() == [1.0, 5.0, 7.0, 8.0]


def test_steady_ranges_grow_by_a_quarter_and_round_out_to_half_decades():
    assert next_x(FIRST_X, 5) == FIRST_X
    assert next_x(FIRST_X, 11) == math.ceil(11 * GROWTH)
    assert next_x(100.0, 80) == 100.0
    assert y_bounds(-3.2, 0.4) == (-3.5, 0.5)
    lo, hi = y_bounds(1.0, 1.0)  # a flat curve still spans 1.5 decades at least
    assert hi - lo >= 1.5 and lo < 1.0 < hi
    # shown: kept while the data stay inside, grown past them on the side they left
    assert grown((-3.5, 0.5), -3.4, 0.2) == (-3.5, 0.5)
    assert grown((-3.5, 0.5), -3.6, 0.2) == (-4.0 - HEADROOM, 0.5)
    assert grown(None, -3.2, 0.4) == (-3.5, 0.5)


# ---------------------------------------------------------------------------- the window
def _pixels(widget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    buf = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    # Format_RGB32 is 0xffRRGGBB: B, G, R, 255 in memory on little-endian machines
    bgr = buf[:, :img.width() * 4].reshape(img.height(), img.width(), 4)[..., :3]
    return bgr[..., ::-1].copy()


def _window_at(make_window, qtbot, step, size=None):
    """The LONG experiment's window, run to ``step`` and drawn."""
    win = make_window(LONG)
    if size:
        win.resize(*size)
        qtbot.wait(50)
    win.simulation().advance(step)
    win.redraw()
    qtbot.wait(20)
    return win


def _play(win, qtbot, frames, per):
    win.timer.setInterval(10 ** 7)  # playing, but frames are driven here
    win.timer.start()
    try:
        for _ in range(frames):
            win.simulation().advance(per)
            win.redraw()
            qtbot.wait(1)
    finally:
        win.timer.stop()


def test_playing_draws_only_new_points_and_matches_a_full_redraw(qtbot, make_window):
    win = _window_at(make_window, qtbot, 2000, (1400, 900))
    canvases = list(win.plots.canvases.values())
    full = [c.full_draws for c in canvases]
    part = [c.partial_draws for c in canvases]
    paths_full = win.map_view.path_canvas.full_draws
    _play(win, qtbot, 40, 10)  # 2000 → 2400: within the x range of 1.25 × 2000
    # only the new points are drawn (a plot whose y range grew is drawn whole once)
    assert sum(c.full_draws for c in canvases) - sum(full) <= len(canvases)
    assert all(c.partial_draws - p >= 30 for c, p in zip(canvases, part))
    assert win.map_view.path_canvas.full_draws == paths_full
    assert win.map_view.path_canvas.partial_draws > 0
    live_plots, live_map = _pixels(win.plots.layout_widget), _pixels(win.map_view.plot)
    for c in canvases:
        c.redraw_all()
    win.map_view.path_canvas.redraw_all()
    qtbot.wait(20)
    whole_plots, whole_map = _pixels(win.plots.layout_widget), _pixels(win.map_view.plot)
    # the images built frame by frame are the picture drawn at once, but for a few pixels:
    # where two parts of a curve met, and where paths cross (the newer one on top)
    for live, whole in ((live_plots, whole_plots), (live_map, whole_map)):
        differ = (live != whole).any(axis=2).sum()
        assert differ <= 0.001 * live.shape[0] * live.shape[1]
    assert (live_map != _pixels(win.map_view.plot)).any()  # (the check can see a change)


def test_the_paths_run_colour_lies_over_its_dark_outline(qtbot, make_window):
    win = _window_at(make_window, qtbot, 300)
    mv = win.map_view
    img = _pixels(mv.plot)
    path = mv.paths[0]
    color = np.array(path.opts["pen"].color().getRgb()[:3])
    x, y = path.getData()
    i = len(x) // 2
    scene = mv.view_box.mapViewToScene(QRectF(x[i], y[i], 0, 0).topLeft())
    p = mv.plot.mapFromScene(scene)
    near = img[p.y() - 1:p.y() + 2, p.x() - 1:p.x() + 2].reshape(-1, 3)
    assert (np.abs(near.astype(int) - color).sum(axis=1) < 30).any()  # the run's colour on top
    halo = np.array(mv.halos[0].opts["pen"].color().getRgb()[:3])
    ring = img[p.y() - 4:p.y() + 5, p.x() - 4:p.x() + 5].reshape(-1, 3)
    assert (np.abs(ring.astype(int) - halo).sum(axis=1) < 30).any()  # its outline around it


def test_a_wheel_zoom_keeps_the_view_and_a_double_click_fits_it_again(qtbot, make_window):
    win = _window_at(make_window, qtbot, 200)
    plots = win.plots
    vb = plots.plots["loss"].getViewBox()
    (x0, x1), _ = vb.viewRange()
    assert x1 >= 200 and x1 <= 200 * GROWTH * 1.1
    view = plots.layout_widget
    centre = view.mapFromScene(vb.mapViewToScene(vb.viewRect().center()))
    qtbot.mouseMove(view.viewport(), centre)
    # wheel-zoom the loss plot: the range is the user's now, and playing keeps it
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    ev = QWheelEvent(QPointF(centre), QPointF(view.viewport().mapToGlobal(centre)),
                     QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    from PySide6.QtWidgets import QApplication
    QApplication.sendEvent(view.viewport(), ev)
    qtbot.wait(20)
    zoomed = vb.viewRange()[0]
    assert zoomed[1] - zoomed[0] < x1 - x0
    _play(win, qtbot, 10, 50)
    assert vb.viewRange()[0] == pytest.approx(zoomed)
    left, vp = Qt.MouseButton.LeftButton, view.viewport()
    qtbot.mouseClick(vp, left, pos=centre)  # a double-click as Qt delivers it:
    qtbot.mouseDClick(vp, left, pos=centre)  # press, release, double-click, release
    qtbot.mouseRelease(vp, left, pos=centre)
    qtbot.wait(20)
    (f0, f1), _ = vb.viewRange()
    newest = win.simulation().step
    assert f0 <= 0 and newest <= f1 <= newest * GROWTH * 1.1


def test_the_step_count_follows_at_most_20_times_a_second_while_playing(qtbot, make_window):
    from gui.playback import LIVE_HZ

    win = _window_at(make_window, qtbot, 100)
    label = win.playback.step_label
    win.timer.setInterval(10 ** 7)
    win.timer.start()
    qtbot.wait(int(1000 / LIVE_HZ) + 20)
    win.simulation().advance(5)
    win.redraw()  # the first live frame after a while: shown
    win.simulation().advance(5)
    win.redraw()  # right after it: the label waits
    assert LIVE_HZ == 20 and label.text() == "step 105 / 4,000"
    qtbot.wait(int(1000 / LIVE_HZ) + 20)
    win.simulation().advance(5)
    win.redraw()
    assert label.text() == "step 115 / 4,000"
    win.simulation().advance(1)
    win.pause()  # the exact frame after a pause shows the last step at once
    assert label.text() == "step 116 / 4,000"


def test_on_off_dashes_equal_the_general_pattern_cut():
    from gui import fast_curve

    rng = np.random.default_rng(1)
    for trial in range(200):
        n = int(rng.integers(1, 30))
        seg = rng.normal(size=(n, 4)) * rng.choice([0.5, 5, 50])
        if trial % 5 == 0:
            seg[0, 2:] = seg[0, :2]  # a zero-length segment
        length = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])
        start = np.concatenate(([0.0], np.cumsum(length)[:-1])) + rng.random() * 20
        pattern = np.array([rng.choice([1.0, 2.0, 8.0]), rng.choice([2.0, 4.0, 6.0])])
        fast, fast_of = fast_curve._on_off(seg, start, pattern[0], pattern.sum())
        # the same pattern twice takes the general path
        general, general_of = fast_curve._dashes(seg, start, np.r_[pattern, pattern])
        assert fast == pytest.approx(general) and fast_of.tolist() == general_of.tolist()


def test_a_path_thinned_by_a_stride_gains_only_new_points_while_it_grows(qtbot, make_window):
    """A zigzag keeps every step after thinning by arc length, so past MAX_DRAWN_POINTS the
    map drops points by a stride. The stride changes only when the points double: growing
    from 8,800 to 9,400 points (3 × 3,000 passed) draws only the new segments."""
    from gui.map_view import MAX_DRAWN_POINTS, drawn_stride

    win = make_window()
    mv = win.map_view
    x0, x1 = mv.view_box.viewRange()[0]
    rows = np.arange(9400)
    theta = np.column_stack([np.where(rows % 2, x1, x0) * 0.5, np.linspace(-0.5, 0.5, 9400)])
    mv.update_frame([theta[:8800], theta[:8800]])
    qtbot.wait(20)
    full = mv.path_canvas.full_draws
    for n in range(8850, 9401, 50):
        mv.update_frame([theta[:n], theta[:n]])
        qtbot.wait(1)
    assert mv.path_canvas.full_draws == full
    assert len(mv.paths[0].getData()[0]) <= MAX_DRAWN_POINTS
    assert [drawn_stride(n) for n in (3000, 3001, 6000, 6001, 9001, 12001)] == [1, 2, 2, 4, 4, 8]


def test_solid_dashed_and_dotted_lines_cut_in_one_pass_equal_one_pass_per_style():
    from gui.fast_curve import on_off_pattern

    rng = np.random.default_rng(2)
    t = QTransform(3.0, 0.0, 0.0, -2.0, 10.0, 300.0)
    pens = []
    for style in (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine,
                  Qt.PenStyle.DashLine):
        pen = QPen()
        pen.setWidthF(2.0)
        pen.setStyle(style)
        pens.append(pen)
    lines = [(np.sort(rng.random(int(rng.integers(2, 40)))) * 100, rng.normal(size=40) * 20)
             for _ in pens]
    lines = [(x, y[:len(x)]) for x, y in lines]
    phases = [0.0, 3.5, 1.0, 7.25]
    x = np.concatenate([lx for lx, _ly in lines])
    y = np.concatenate([ly for _lx, ly in lines])
    ids = np.repeat(np.arange(len(lines)), [len(lx) for lx, _ly in lines])
    seg, sid, length = device_segments(x, y, pens[0], t, None, ids=ids, phases=phases,
                                       dashes=[on_off_pattern(p) for p in pens])
    for k, (pen, (lx, ly)) in enumerate(zip(pens, lines)):
        alone, _sid, alone_len = device_segments(lx, ly, pen, t, None,
                                                 ids=np.zeros(len(lx), dtype=int),
                                                 phases=[phases[k]])
        assert seg[sid == k] == pytest.approx(alone)
        if pen.style() != Qt.PenStyle.SolidLine:
            assert length[k] == pytest.approx(alone_len[0])
    assert on_off_pattern(pens[1]) == (8.0, 12.0)  # Qt's dashes: 4 on, 2 off, × 2 px
    custom = QPen(pens[1])
    custom.setDashPattern([3.0, 1.0, 1.0, 1.0])
    assert on_off_pattern(custom) is None and on_off_pattern(pens[0]) == (np.inf, np.inf)


def test_a_step_curves_part_found_by_arithmetic_equals_the_search():
    from gui.curve_layer import _left, _right

    for n in (1, 2, 7):
        x = np.arange(n, dtype=float)
        for v in (-math.inf, -1.0, -0.5, 0.0, 0.25, 1.0, 2.5, n - 1.0, n - 0.5, n, n + 3.0,
                  math.inf):
            assert _left(v, n) == np.searchsorted(x, v, "left")
            assert _right(v, n) == np.searchsorted(x, v, "right")


def test_a_new_step_count_repaints_the_label_without_redoing_the_windows_layout(qtbot,
                                                                              make_window):
    from PySide6.QtCore import QEvent, QObject

    win = make_window()
    bar, label = win.playback, win.playback.step_label
    requests = []

    class Spy(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt)
            if event.type() == QEvent.Type.LayoutRequest:
                requests.append(obj)
            return False

    spy = Spy()
    bar.installEventFilter(spy)  # a label that may change size asks its parent's layout first
    qtbot.wait(50)
    requests.clear()
    size = label.size()
    for n in (5, 50_000, 999_999):
        bar.set_position(n, n, 1_000_000)
        qtbot.wait(5)
    assert label.text() == "step 999,999 / 1,000,000"
    assert requests == [] and label.size() == size
    bar.set_position(9_999_999, 10_000_000, 10_000_000)  # wider than any text before
    qtbot.wait(5)
    longest = label.fontMetrics().horizontalAdvance("step 9,999,999 of 10,000,000")
    assert label.width() > size.width() and longest <= label.contentsRect().width()
    size, requests[:] = label.size(), []
    for n in (7, 5_000_000):  # it keeps its size: no layout again
        bar.set_position(n, n, 10_000_000)
        qtbot.wait(5)
    assert requests == [] and label.size() == size
    font = win.font()
    font.setPointSizeF(font.pointSizeF() * 2)  # the zoom: the label grows with its text
    win.setFont(font)
    qtbot.wait(20)
    assert label.height() > size.height()
    assert label.fontMetrics().horizontalAdvance("step 5,000,000 / 10,000,000") <= \
        label.contentsRect().width()


def test_a_runs_curves_logged_in_one_pass_equal_one_update_each():
    from gui.log_series import LogSeries, update_all

    rng = np.random.default_rng(3)
    values = [rng.lognormal(size=500) for _ in range(4)]
    values[1][[3, 40, 41]] = [0.0, -1.0, np.inf]  # gaps: log₁₀ of ≤ 0 or inf is nan
    values[2] = values[2] - 0.5
    one, each = [LogSeries() for _ in values], [LogSeries() for _ in values]
    for log in (one[2], each[2]):
        log.set_offset(-0.6, floor=1e-3)  # an offset and floor (the loss): not batched
    for n in (1, 2, 50, 51, 300, 500, 120, 500):  # 120: the history restarted
        got = update_all(one, [v[:n] for v in values])
        want = [log.update(v[:n]) for log, v in zip(each, values)]
        for a, b, la, lb in zip(got, want, one, each):
            assert np.array_equal(a, b, equal_nan=True)
            assert (la.lo, la.hi) == (lb.lo, lb.hi)
    assert np.isnan(one[1].buf[[3, 40, 41]]).all()


BOWL = """
title = "A run swinging across the minimum"
surface = { name = "quadratic", lambda1 = 1.0, lambda2 = 3.0 }
steps = 200
[[runs]]
label = "swing"
optimizer = "gd"
lr = 0.6
start = [0.05, 0.3]
"""


def test_a_path_growing_over_a_minimum_does_not_draw_its_marker_again(qtbot, make_window,
                                                                    monkeypatch):
    import pyqtgraph as pg

    painted = []
    paint = pg.ScatterPlotItem.paint

    def counted(self, *args):
        painted.append(self)
        return paint(self, *args)

    monkeypatch.setattr(pg.ScatterPlotItem, "paint", counted)
    win = make_window(BOWL)
    minima = win.map_view.minima
    assert len(minima.data) == 1  # the bowl's minimum, marked at the origin
    qtbot.wait(20)
    partial = win.map_view.path_canvas.partial_draws
    painted.clear()
    _play(win, qtbot, 10, 1)  # the run swings across the marker, a step a frame
    assert win.map_view.path_canvas.partial_draws - partial >= 5
    assert painted.count(minima) <= 1  # drawn once (into its pixmap), then re-used


def test_a_curve_logged_whole_then_grown_keeps_its_buffer_while_the_record_has_room():
    """A simulation's record grows by doubling; the plots' log₁₀ buffers take its room at
    the first full pass, so the next frame (e.g. the first one after Play) copies nothing."""
    from gui.log_series import LogSeries, update_all

    record = np.full((131_072, 3), 2.0)  # rows × runs, as engine.simulation keeps them
    one, many = LogSeries(), [LogSeries(), LogSeries()]
    one.update(record[:100_001, 0])
    update_all(many, [record[:100_001, 1], record[:100_001, 2]])
    buffers = [one.buf] + [log.buf for log in many]
    one.update(record[:100_279, 0])
    update_all(many, [record[:100_279, 1], record[:100_279, 2]])
    now = [one.buf] + [log.buf for log in many]
    assert all(a is b for a, b in zip(now, buffers))  # the same arrays: nothing copied
    assert np.allclose(one.buf[:100_279], math.log10(2.0))
    alone = LogSeries()  # an array of its own: doubling as before
    alone.update(np.ones(5000))
    assert len(alone.buf) == 5000


def test_the_step_cursor_spans_each_plot_at_the_shown_step(qtbot, make_window):
    win = _window_at(make_window, qtbot, 300)
    for key, cursor in win.plots.cursors.items():
        vb = win.plots.plots[key].getViewBox()
        assert cursor.value() == 300 == win.plots.cursor_step
        top = cursor.mapToParent(cursor.line().p1())
        bottom = cursor.mapToParent(cursor.line().p2())
        (y0, y1) = vb.viewRange()[1]
        assert (top.x(), bottom.x()) == (300, 300)
        assert sorted((top.y(), bottom.y())) == pytest.approx([y0, y1])
    vb = win.plots.plots["loss"].getViewBox()
    vb.setYRange(-7, 3, padding=0)  # a new y range: the cursor spans it
    line = win.plots.cursors["loss"].line()
    assert sorted((line.y1(), line.y2())) == pytest.approx([-7, 3])
    # drawn over the curves in the plot's own pixels: dark grey in the cursor's column
    img = _pixels(win.plots.layout_widget)
    p = win.plots.layout_widget.mapFromScene(vb.mapViewToScene(QRectF(300, 0, 0, 0).topLeft()))
    column = img[:, p.x() - 1:p.x() + 2].reshape(-1, 3)
    assert (np.abs(column.astype(int) - 0x44).sum(axis=1) < 30).any()


def test_kinds_of_critical_point_the_map_does_not_mark_leave_no_item_to_repaint(qtbot,
                                                                              make_window):
    from types import SimpleNamespace

    mv = make_window().map_view  # a bowl: one minimum, no saddle, maximum or valley
    assert mv.minima.isVisible() and len(mv.minima.data) == 1
    assert not any(item.isVisible() for item in (mv.saddles, mv.maxima, mv.curves))
    mv.mark_critical_points([SimpleNamespace(x=0.5, y=0.5, kind="saddle", curve=None)])
    assert mv.saddles.isVisible() and not mv.minima.isVisible()
    assert list(mv.saddles.getData()[0]) == [0.5]
