"""The model view: for each data surface, scrubbing to step t draws θ^t's line or decision
boundary (checked numerically on the drawn items); analytic surfaces say there is no model."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.experiment import loads
from gui.colors import run_color
from gui.model_view import GRID, ModelView

RUNS = """
[[runs]]
label = "first"
optimizer = "gd"
lr = {lr}
[[runs]]
label = "second"
optimizer = "adam"
lr = {lr2}
start = {start}
"""


def simulate(surface_line, steps, lr, lr2, start):
    exp = loads(f"{surface_line}\nsteps = {steps}\n" + RUNS.format(lr=lr, lr2=lr2,
                                                                   start=start))
    sim = exp.simulation()
    sim.run_to(steps)
    return sim


def make_view(qtbot, sim):
    view = ModelView()
    qtbot.addWidget(view)
    view.set_surface(sim.surface)
    view.set_runs([r.label for r in sim.runs], [run_color(i) for i in range(sim.n)], 0)
    view.resize(600, 450)
    view.show()
    return view


def scrub(view, sim, t):
    view.update_frame([sim.history(i).theta[t] for i in range(sim.n)], t)


def test_linear_regression_lines_follow_the_scrubbed_step(qtbot):
    sim = simulate('surface = { name = "linear-regression", n = 30 }', 40, 0.05, 0.1,
                   "[3.0, -2.0]")
    view = make_view(qtbot, sim)
    assert view.has_model() and view.stack.currentIndex() == 1
    x0, x1 = sim.surface.model_data().view[:2]
    for t in (0, 7, 40):
        scrub(view, sim, t)
        for i, drawn in enumerate(view.drawn_curves()):
            w, b = sim.history(i).theta[t]
            np.testing.assert_allclose(drawn, [[x0, w * x0 + b], [x1, w * x1 + b]],
                                       rtol=1e-12, atol=1e-12)
            xd, yd = view._curves[i].getData()  # what pyqtgraph was given
            np.testing.assert_allclose(np.column_stack([xd, yd]), drawn)
    # the data are the examples
    xs, ys = view.scatter[0].getData()
    np.testing.assert_allclose(xs, sim.surface.features)
    np.testing.assert_allclose(ys, sim.surface.targets)
    assert view.shaded_probability() is None and not view.shade_combo.isVisible()


def test_spoiler_boundaries_lie_on_the_lines_of_theta_t_and_the_spoiler_is_marked(qtbot):
    sim = simulate('surface = { name = "logistic-spoiler", spoiler_t = 3.0, bias = 0.5 }', 60,
                   5.0, 0.1, "[-2.0, -1.0]")
    view = make_view(qtbot, sim)
    hx, hy = view.highlight.getData()
    assert list(hx) == [0.0] and list(hy) == [-3.0]
    assert "spoiler" in view.highlight_text.toPlainText()
    for t in (1, 20, 60):
        scrub(view, sim, t)
        for i, seg in enumerate(view.drawn_curves()):
            w1, w2 = sim.history(i).theta[t]
            assert seg is not None and len(seg) >= 2 * (GRID - 1) // 2
            # every drawn vertex is on the line w·x + b = 0 (the logit is linear: exact)
            z = w1 * seg[:, 0] + w2 * seg[:, 1] + 0.5
            assert np.abs(z).max() < 1e-9 * (abs(w1) + abs(w2))
    # a different step draws a different boundary
    scrub(view, sim, 1)
    early = view.drawn_curves()[0]
    scrub(view, sim, 60)
    assert not np.allclose(early[:4], view.drawn_curves()[0][:4])


def test_mlp_boundaries_are_the_half_probability_contours_and_the_shading_follows(qtbot):
    sim = simulate('surface = { name = "mlp-plane", directions = "interpolation" }', 120,
                   0.01, 0.01, "[0.3, 0.1]")
    s = sim.surface
    view = make_view(qtbot, sim)
    xs, ys = view.scatter[1].getData()  # class 1 points
    assert len(xs) == 100
    scrub(view, sim, 0)
    assert view.drawn_curves()[0] is not None
    for t in (5, 120):
        scrub(view, sim, t)
        for i, seg in enumerate(view.drawn_curves()):
            th = sim.history(i).theta[t]
            p = s.predict(th, seg)
            # linear interpolation on a 90 × 90 grid: the vertices are at probability 0.5
            assert np.abs(p - 0.5).max() < 0.02, (i, t)
        shade = view.shaded_probability()
        gx, gy = np.meshgrid(view._grid_x, view._grid_y)
        want = s.predict(sim.history(0).theta[t], np.column_stack([gx.ravel(), gy.ravel()]))
        np.testing.assert_allclose(shade.ravel(), want, rtol=1e-12, atol=1e-15)
    # the user picks the second run to shade (a real click on the combo box's popup)
    combo = view.shade_combo
    assert combo.isVisible()
    with qtbot.waitSignal(view.selectedChanged) as sig:
        qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
        qtbot.keyClick(combo.view(), Qt.Key.Key_Down)
        qtbot.keyClick(combo.view(), Qt.Key.Key_Return)
    assert sig.args == [1] and view.selected() == 1
    gx, gy = np.meshgrid(view._grid_x, view._grid_y)
    want = s.predict(sim.history(1).theta[120], np.column_stack([gx.ravel(), gy.ravel()]))
    np.testing.assert_allclose(view.shaded_probability().ravel(), want, rtol=1e-12,
                               atol=1e-15)


def test_zero_network_has_no_boundary_and_missing_runs_draw_nothing(qtbot):
    sim = simulate('surface = { name = "mlp-plane", directions = "interpolation" }', 2, 0.01,
                   0.01, "[0.0, 0.0]")
    view = make_view(qtbot, sim)
    view.update_frame([np.zeros(2), None])
    curves = view.drawn_curves()
    assert len(curves[0]) == 0 and curves[1] is None  # every output is exactly 0.5
    np.testing.assert_allclose(view.shaded_probability(), 0.5)
    view.update_frame([np.array([np.nan, 1.0]), np.zeros(2)])  # a diverged run
    assert view.drawn_curves()[0] is None and view.shaded_probability() is None


@pytest.mark.parametrize("surface", ['surface = "rosenbrock"',
                                     'expression = "x**2 + 3*y**2"'])
def test_analytic_surfaces_say_there_is_no_model(qtbot, surface):
    sim = simulate(surface, 3, 0.001, 0.001, "[0.5, 0.5]")
    view = make_view(qtbot, sim)
    assert not view.has_model() and view.stack.currentIndex() == 0
    assert "no model to show" in view.message.text()
    scrub(view, sim, 2)  # harmless
    assert view.drawn_curves() == [None, None]


def test_switching_surfaces_and_runs(qtbot):
    reg = simulate('surface = { name = "linear-regression", n = 10 }', 5, 0.05, 0.1,
                   "[1.0, 1.0]")
    view = make_view(qtbot, reg)
    scrub(view, reg, 5)
    spo = simulate('surface = "logistic-spoiler"', 5, 1.0, 0.1, "[1.0, 1.0]")
    view.set_surface(spo.surface)
    view.set_runs(["only"], ["#000000"])
    view.update_frame([spo.history(0).theta[5]])
    assert len(view.drawn_curves()) == 1 and view.drawn_curves()[0] is not None
    assert view._curves[1].getData()[0] is None or len(view._curves[1].getData()[0]) == 0
    view.set_surface(None)
    assert not view.has_model() and "No surface" in view.message.text()
