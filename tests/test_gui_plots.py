"""The plots, the map and the playback bar say what the data say: losses ≤ 0, undefined
regions, gradient arrows, finished runs, the timeline, the sweep plots."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from tests.conftest import QUAD, action


def test_a_run_at_the_step_limit_says_finished_like_the_command_line(qtbot, win):
    win.playback.set_speed(1000)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not win.is_playing, timeout=5000)
    sim = win.simulation()
    assert sim.step == 40 and sim.status == ["running", "running"]
    text = win.playback.status_label.text()
    assert text.count("finished at step 40") == 2 and "running" not in text


def test_a_run_below_the_step_limit_still_says_running(qtbot, win):
    qtbot.keyClick(win, Qt.Key.Key_Right)
    text = win.playback.status_label.text()
    assert text.count("running") == 2 and "finished" not in text


def test_a_click_on_the_timeline_track_jumps_to_the_clicked_step(qtbot, win):
    win.playback.limit_spin.setValue(400)
    win.simulation().run_to(400)
    win.redraw()
    tl = win.playback.timeline
    assert tl.maximum() == 400 and tl.value() == 400
    y = tl.height() // 2
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=QPoint(tl.width() // 4, y))
    # a page step would have moved 10 steps (to 390); the click lands near a quarter
    assert 60 <= win.shown_step() <= 140
    assert win.plots.cursor_step == win.shown_step()
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=QPoint(tl.width() - 2, y))
    assert win.shown_step() == 400


LOG_X = 'expression = "log(x) + y**2"\nsteps = 5\n[[runs]]\noptimizer = "gd"\nstart = [1.0, 0.5]\n'


def _pixel(win, x, y):
    img = win.map_view.plot.grab().toImage()
    return img.pixelColor(win.map_view.data_to_widget(x, y))


def test_where_the_formula_is_undefined_the_map_is_grey_and_the_legend_says_so(qtbot,
                                                                              make_window):
    from gui.surface_layer import UNDEFINED_FILL, surface_image

    win = make_window(LOG_X)
    surf = win.simulation().surface
    z, *_ = surface_image(surf)
    x0, x1, _, _ = surf.view
    xs = np.linspace(x0, x1, z.shape[1])
    assert np.isnan(z[:, xs < 0]).all() and np.isfinite(z[:, xs > 0]).all()
    # not the colour of the highest loss (yellow): the light grey of "undefined"
    grey = [_pixel(win, -1.5, y).name() for y in (-0.7, 0.0, 0.9)]
    assert UNDEFINED_FILL in grey
    for c in (_pixel(win, -1.5, y) for y in (-0.7, 0.0, 0.9)):
        assert abs(c.red() - c.green()) < 8 and abs(c.green() - c.blue()) < 8  # grey
    labels = [label.text for _, label in win.map_view.legend.items]
    assert any(t.startswith("undefined") for t in labels)
    # the legend entry survives a rebuild of the runs, and goes with a defined surface
    qtbot.keyClick(win, Qt.Key.Key_R)
    assert any(label.text.startswith("undefined") for _, label in win.map_view.legend.items)
    win.load_experiment(__import__("engine.experiment", fromlist=["loads"]).loads(QUAD))
    assert not any(label.text.startswith("undefined")
                   for _, label in win.map_view.legend.items)
    assert not win.map_view.undefined.isVisible()


def test_colour_bar_shows_plain_numbers_without_a_scale_factor(qtbot, win):
    win.lecture_actions["spoiler"].trigger()
    axis = win.map_view.color_bar.axis
    assert axis.autoSIPrefixScale == 1.0
    assert "x0" not in axis.labelString() and "×" not in axis.labelString()


def _legend_texts(win):
    return [label.text for _, label in win.map_view.legend.items]


def test_g_arrows_point_downhill_and_the_words_and_legend_say_so(qtbot, win):
    from gui.point_overlay import RUN_ARROWS_TEXT

    tools = win.analysis_tools
    qtbot.keyClick(win, Qt.Key.Key_G)
    # bowl ½(x² + 3y²): each run's arrow is −∇L/‖∇L‖ at its position
    theta = win.simulation().current_theta()
    g = np.column_stack([theta[:, 0], 3 * theta[:, 1]])
    expected = -g / np.linalg.norm(g, axis=1)[:, None]
    assert np.allclose(tools.grad_arrows.directions, expected)
    tip = tools.arrows_action.statusTip()
    assert "−∇L" in tip and "downhill" in tip and "uphill" not in tip
    assert RUN_ARROWS_TEXT in _legend_texts(win) and "−∇L" in RUN_ARROWS_TEXT
    qtbot.keyClick(win, Qt.Key.Key_R)  # a rebuild keeps the legend entry while shown
    assert RUN_ARROWS_TEXT in _legend_texts(win)
    qtbot.keyClick(win, Qt.Key.Key_G)
    assert RUN_ARROWS_TEXT not in _legend_texts(win)
    from gui.help_texts import SHORTCUTS_HTML
    assert "−∇L" in SHORTCUTS_HTML and "downhill" in SHORTCUTS_HTML


def test_right_click_arrow_is_plus_gradient_uphill_and_named_in_the_legend(qtbot, win):
    from gui.point_overlay import GRADIENT_TEXT, POSITIVE_TEXT

    pos = win.map_view.data_to_widget(1.0, 0.5)
    qtbot.mouseClick(win.map_view.plot.viewport(), Qt.MouseButton.RightButton, pos=pos)
    overlay = win.analysis_tools.point_overlay
    # the black arrow: from the point along +∇L = (1, 1.5) (uphill)
    arrow = overlay.items[1]
    xs, ys = arrow.getData()
    d = np.array([xs[1] - xs[0], ys[1] - ys[0]])
    assert d @ np.array([1.0, 1.5]) > 0.99 * np.linalg.norm(d) * np.hypot(1.0, 1.5)
    assert "uphill" in GRADIENT_TEXT and "−" not in GRADIENT_TEXT
    texts = _legend_texts(win)
    assert GRADIENT_TEXT in texts and POSITIVE_TEXT in texts
    assert "uphill" in win.statusBar().currentMessage()
    action(win, "Clear point analysis").trigger()
    assert GRADIENT_TEXT not in _legend_texts(win)


# ---------------------------------------------------------------------- losses ≤ 0
def _loss_curve(win, i):
    item = win.plots.curves[i]["loss"][0]  # the data set, before clipping to the view
    return np.asarray(item.xData), np.asarray(item.yData)


def _run_preset(win, name):
    win.lecture_actions[name].trigger()
    sim = win.simulation()
    sim.run_to(win.experiment().steps)
    win.redraw()
    return sim


@pytest.mark.parametrize("preset", ["warmup", "flat-vs-sharp"])
def test_negative_losses_are_drawn_as_loss_above_the_known_minimum(qtbot, win, preset):
    sim = _run_preset(win, preset)
    surf = sim.surface
    lmin = min(float(surf.value(np.array([[m.x, m.y]]))[0]) for m in surf.minima)
    assert lmin < 0
    plots = win.plots
    assert plots.loss_offset == pytest.approx(lmin)
    title = plots.plots["loss"].titleLabel.text
    assert "L<sub>min</sub>" in title and f"{lmin:.6g}" in title and "known minimum" in title
    floor = 4 * np.finfo(float).eps * abs(lmin)
    for i in range(sim.n):
        loss = sim.history(i).loss
        assert (loss <= 0).any()
        x, y = _loss_curve(win, i)
        assert np.isfinite(y).all()  # no recorded step is hidden
        steps = x.astype(int)
        expected = np.log10(np.maximum(loss[steps] - lmin, floor))
        assert y == pytest.approx(expected, abs=1e-9)


def test_the_readme_expression_draws_every_step(qtbot, make_window):
    win = make_window('expression = "sin(x)*cos(y)+0.1*(x**2+y**2)"\nsteps = 200\n'
                      '[[runs]]\noptimizer = "gd"\nlr = 0.1\nstart = [1.0, 0.5]\n')
    win.simulation().run_to(200)
    win.redraw()
    loss = win.simulation().history(0).loss
    assert (loss < 0).sum() > 150
    x, y = _loss_curve(win, 0)
    assert len(x) == 201 and np.isfinite(y).all()
    assert win.plots.loss_offset < 0 and win.plots.loss_offset <= loss.min() + 1e-9


def test_positive_losses_keep_the_plain_log_loss_plot(qtbot, win):
    for _ in range(5):
        qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.plots.loss_offset == 0 and win.plots.loss_source == ""
    assert win.plots.plots["loss"].titleLabel.text.startswith("Loss")
    x, y = _loss_curve(win, 0)
    assert y == pytest.approx(np.log10(win.simulation().history(0).loss))


def _history(loss):
    from types import SimpleNamespace

    loss = np.asarray(loss, dtype=float)
    n = len(loss)
    return SimpleNamespace(loss=loss, grad_norm=np.ones(n), sigma=np.ones((n, 2)),
                           lr=np.ones(n), eff_lr=np.ones((n, 2)))


def test_without_a_known_minimum_the_lowest_recorded_loss_is_the_reference(qtbot):
    from gui.plots import RECORDED, RunPlots, RunStyle

    plots = RunPlots()
    qtbot.addWidget(plots)
    plots.set_runs([RunStyle("a", "#0072b2", False, True, False),
                    RunStyle("b", "#d55e00", False, True, False)])
    a, b = _history([1.0, -0.5, -2.0, -2.5]), _history([3.0, 0.5, -1.0])
    plots.update_frame([a, b])
    assert plots.loss_offset == -2.5 and plots.loss_source == RECORDED
    assert "lowest loss recorded" in plots.plots["loss"].titleLabel.text
    floor = 4 * np.finfo(float).eps * 2.5
    ya = plots.curves[0]["loss"][0].yData
    yb = plots.curves[1]["loss"][0].yData
    assert ya == pytest.approx(np.log10([3.5, 2.0, 0.5, floor]))
    assert yb == pytest.approx(np.log10([5.5, 3.0, 1.5]))
    # while playing, a lower loss moves L_min below it (at most a re-set now and then) ...
    a2 = _history([1.0, -0.5, -2.0, -2.5, -3.0])
    plots.update_frame([a2, b], exact=False)
    assert plots.loss_offset < -3.0
    ya = plots.curves[0]["loss"][0].yData
    assert np.isfinite(ya).all() and len(ya) == 5
    # ... and the exact frame after a pause uses the lowest recorded again
    plots.update_frame([a2, b])
    assert plots.loss_offset == -3.0
    # a known minimum below every loss is the reference instead
    plots.set_known_minimum(-4.0)
    assert plots.loss_offset == -4.0 and "known minimum" in plots.plots["loss"].titleLabel.text
    ya = plots.curves[0]["loss"][0].yData
    assert ya == pytest.approx(np.log10([5.0, 3.5, 2.0, 1.5, 1.0]))


def test_a_loss_of_exactly_zero_is_drawn_below_the_smallest_positive_loss(qtbot, win):
    sim = _run_preset(win, "second-order")  # Newton reaches the quadratic's minimum: L = 0
    loss = sim.history(0).loss
    assert (loss == 0).sum() > 100 and (loss >= 0).all()
    every = np.concatenate([sim.history(i).loss for i in range(sim.n)])
    smallest = every[every > 0].min()  # over every run
    floor = 10.0 ** (np.floor(np.log10(smallest)) - 1)
    assert win.plots.loss_offset == 0 and win.plots.loss_floor == pytest.approx(floor)
    x, y = _loss_curve(win, 0)
    assert len(y) == len(loss) and np.isfinite(y).all()
    assert y[loss == 0] == pytest.approx(np.log10(floor))
    assert y[loss > 0] == pytest.approx(np.log10(loss[loss > 0]))
    assert f"L = 0 drawn at {floor:.0e}" in win.plots.plots["loss"].titleLabel.text


# ---------------------------------------------------------------------- the LR sweep plots
def _sweep(qtbot, surface, low, high, count=24, steps=200, start=(1.0, 1.0)):
    from gui.sweep_panel import SweepPanel

    panel = SweepPanel(surface, chunk=50)
    qtbot.addWidget(panel)
    panel.resize(600, 800)
    panel.show()
    panel.set_optimizer("gd")
    panel.lr_low.setText(str(low))
    panel.lr_high.setText(str(high))
    panel.count.setValue(count)
    panel.steps.setValue(steps)
    panel.start_x.setText(str(start[0]))
    panel.start_y.setText(str(start[1]))
    with qtbot.waitSignal(panel.finished, timeout=20000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    return panel


def test_final_loss_display_shows_losses_at_or_below_zero():
    from gui.sweep_panel import final_loss_display

    eps4 = 4 * np.finfo(float).eps
    y, ref, source, floor = final_loss_display(np.array([0.5, -0.25, -1.0]), -2.0)
    assert (ref, source) == (-2.0, "lowest known minimum") and y == pytest.approx([2.5, 1.75, 1.0])
    y, ref, source, floor = final_loss_display(np.array([0.5, -0.25, -1.0]))
    assert (ref, source) == (-1.0, "lowest final loss")
    assert y == pytest.approx([1.5, 0.75, eps4]) and floor == pytest.approx(eps4)
    y, ref, source, floor = final_loss_display(np.array([0.5, 0.0, 3e-7]), 0.0)
    assert (ref, source, floor) == (0.0, "", pytest.approx(1e-8))
    assert y == pytest.approx([0.5, 1e-8, 3e-7])
    y, ref, source, floor = final_loss_display(np.array([0.5, 2.0]), 0.1)
    assert (ref, source, floor) == (0.0, "", 0.0) and y == pytest.approx([0.5, 2.0])


def test_sweep_final_loss_plot_shows_every_run_when_losses_are_negative(qtbot):
    from engine.experiment import loads

    surf = loads('expression = "sin(x)*cos(y)+0.1*(x**2+y**2)"\n[[runs]]\noptimizer = "gd"\n'
                 ).surface.build()
    panel = _sweep(qtbot, surf, 1e-3, 1.0, start=(1.0, 0.5))
    res = panel.result
    ok = ~res.diverged & np.isfinite(res.final_loss)
    assert (res.final_loss[ok] < 0).sum() >= 10
    y = np.asarray(panel.loss_curve.yData)
    assert len(y) == ok.sum() and (y > 0).all()  # every finite run is on the log axis
    ref, source, _ = panel.loss_reference
    assert ref == pytest.approx(res.loss_star) and source == "lowest known minimum"
    assert y == pytest.approx(np.maximum(res.final_loss[ok] - ref, 4e-16 * abs(ref)), rel=1e-9)
    pi = panel.loss_plot.getPlotItem()
    assert "L<sub>min</sub>" in pi.getAxis("left").labelText
    assert f"{ref:.6g}" in pi.titleLabel.text


def test_sweep_steps_plot_puts_diverged_runs_apart_with_a_legend(qtbot):
    from surfaces import make_surface

    # gd on λ = (1, 3): η > 2/3 diverges; small η do not meet the tolerance in 60 steps
    panel = _sweep(qtbot, make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0}),
                   0.001, 1.0, count=20, steps=60)
    res = panel.result
    div = res.diverged
    missed = (res.steps_to_tol < 0) & ~div
    assert div.sum() > 0 and missed.sum() > 0
    _, dy = panel.steps_diverged.getData()
    assert len(dy) == div.sum() and (np.asarray(dy) > 60).all()  # above the step limit, not 0
    mx, my = panel.steps_missed.getData()
    assert len(my) == missed.sum() and np.allclose(my, 60)
    texts = [label.text for _, label in panel.steps_legend.items]
    assert any("diverged" in t for t in texts) and any("not within 60" in t for t in texts)
    assert any("diverged" in label.text for _, label in panel.loss_legend.items)
    # the legends sit under the plots, outside the data area
    qtbot.wait(100)  # let the layout place them
    vb = panel.steps_plot.getPlotItem().getViewBox()
    assert not vb.sceneBoundingRect().intersects(panel.steps_legend.sceneBoundingRect())


def test_sweep_legends_take_the_columns_the_plots_width_holds(qtbot):
    """A legend row wider than its plot widened the plot past the 300 px tab of a 1024 px
    window, cutting off its right side: the entries now take 3, 2 or 1 columns."""
    from surfaces import make_surface

    panel = _sweep(qtbot, make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0}),
                   0.001, 1.0, count=20, steps=60)
    assert len(panel.steps_legend.items) == 3
    assert panel.steps_legend.columnCount == 3  # 600 px: one row
    panel.resize(300, 800)
    qtbot.wait(50)
    for widget, legend in ((panel.loss_plot, panel.loss_legend),
                           (panel.steps_plot, panel.steps_legend)):
        assert widget.getPlotItem().geometry().width() <= widget.width()
        assert len(legend.items) in (2, 3)
    assert panel.steps_legend.columnCount < 3
    panel.resize(700, 800)
    qtbot.wait(50)
    assert panel.steps_legend.columnCount == 3 and len(panel.steps_legend.items) == 3


# ---------------------------------------------------------------------- legend and contrast
def test_step_plots_have_a_legend_of_the_runs_outside_the_curves(qtbot, win):
    legend = win.plots.legend
    assert legend.isVisible()
    text = legend.text()
    for label, color in zip(["slow", "adam"], win._colors()):
        assert label in text and color in text
    qtbot.keyClick(win, Qt.Key.Key_Right)
    # above the plots, in a row of its own: it cannot cover a curve
    lw = win.plots.layout_widget
    assert legend.geometry().bottom() < lw.geometry().top()
    # a renamed run is renamed in the legend
    win.run_editor.select(0)
    from tests.conftest import retype
    retype(qtbot, win.run_editor.label_field.edit, "plain GD")
    qtbot.waitUntil(lambda: "plain GD" in win.plots.legend.text(), timeout=3000)


def _text_colors(plot_item):
    out = [plot_item.titleLabel.opts["color"]]
    for side in ("left", "bottom"):
        ax = plot_item.getAxis(side)
        out += [ax.textPen().color().name(), ax.labelStyle["color"]]
    return out


def test_axis_titles_and_tick_labels_meet_wcag_aa_contrast(qtbot, win):
    from pyqtgraph import mkColor

    from gui.plot_style import contrast_ratio

    items = list(win.plots.plots.values()) + [win.map_view.plot_item]
    tools = win.analysis_tools
    items += [tools.sweep.loss_plot.getPlotItem(), tools.sweep.steps_plot.getPlotItem(),
              tools.analysis.step_size.plot_item]
    colors = [c for p in items for c in _text_colors(p)]
    bar = win.map_view.color_bar.axis
    colors += [bar.textPen().color().name(), bar.labelStyle["color"]]
    for c in colors:
        assert contrast_ratio(mkColor(c).name()) >= 4.5, c
    assert contrast_ratio("#969696") < 4.5  # pyqtgraph's default grey would fail


def test_map_legend_sits_under_the_map_and_keeps_the_colour_bar_in_view(qtbot, win):
    qtbot.keyClick(win, Qt.Key.Key_G)
    pos = win.map_view.data_to_widget(1.0, 0.5)
    qtbot.mouseClick(win.map_view.plot.viewport(), Qt.MouseButton.RightButton, pos=pos)
    mv = win.map_view
    assert len(mv.legend.items) >= 7  # 2 runs, minimum, −∇L, ∇L, tangent, eigenvector
    for width in (900, 340):
        win.splitter.setSizes([width, 1280 - width])
        qtbot.wait(100)
        # in a strip of its own under the map, every entry inside it
        assert mv.legend_view.geometry().top() >= mv.plot.geometry().bottom()
        strip = mv.legend_view.viewport().rect()
        for sample, label in mv.legend.items:
            r = mv.legend_view.mapFromScene(label.sceneBoundingRect()).boundingRect()
            assert r.bottom() <= strip.bottom() + 2 and r.left() >= 0
        bar = mv.color_bar.sceneBoundingRect()
        assert bar.right() <= mv.plot.width() + 1 and bar.width() > 5


def test_a_long_title_is_clipped_in_a_narrow_panel_not_the_plot_widened(qtbot, win):
    """pyqtgraph sets a title's minimum width to its text's at every setText (a zoom change,
    a new title): the step-size plot, a step plot and the map keep inside their widgets."""
    from gui.plot_style import clip_title
    import pyqtgraph as pg

    panel = win.analysis_tools.analysis.step_size
    win.zoom.set_factor(2.0)  # re-sets every title
    for plot_item in (panel.plot_item, win.plots.plots["loss"], win.map_view.plot_item):
        assert plot_item.titleLabel.minimumWidth() <= 10
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(200, 150)
    item = widget.getPlotItem()
    clip_title(item)
    item.setTitle("a title far longer than the two hundred pixels this plot is given, surely",
                  size="12pt")
    widget.show()
    qtbot.waitExposed(widget)
    assert item.geometry().width() <= 200
    assert item.titleLabel.minimumWidth() <= 10


def test_the_step_size_legend_text_is_dark(qtbot, win):
    """pyqtgraph's default legend text (#969696) has a contrast of 2.9:1 on white."""
    from PySide6.QtGui import QColor

    from gui.plot_style import TEXT_COLOR

    panel = win.analysis_tools.analysis.step_size
    win.simulation().run_to(20)
    win.redraw()
    panel.refresh()
    labels = [label for _sample, label in panel.legend.items]
    assert labels and all(QColor(label.opts["color"]).name() == TEXT_COLOR for label in labels)


def test_the_sweep_form_fits_a_narrow_tab(qtbot):
    """The optimizer list's longest name made the sweep's form 340 px wide, clipped in the
    300 px tab of a 1024 px window; now the list shows the start of a name, and a form that
    is still too wide (a high zoom) scrolls."""
    from PySide6.QtWidgets import QScrollArea

    from gui.sweep_panel import SweepPanel

    panel = SweepPanel()
    qtbot.addWidget(panel)
    panel.resize(300, 570)
    panel.show()
    qtbot.waitExposed(panel)
    scroll = panel.findChild(QScrollArea)
    assert scroll.widget().minimumSizeHint().width() <= 290
    assert scroll.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
    panel.set_optimizer("adabelief")
    assert panel.optimizer.currentData() == "adabelief"
    assert "AdaBelief" in panel.optimizer.itemText(panel.optimizer.currentIndex())
