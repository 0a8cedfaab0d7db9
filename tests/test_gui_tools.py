"""The Lecture menu and the analysis tools inside the main window, driven as a user would."""
import numpy as np
import pytest
from PySide6.QtCore import Qt

from conftest import action
from engine.presets import preset_names, preset_title


def test_lecture_menu_lists_every_preset_in_lecture_order(win):
    menu = win.add_menu("Lecture")
    titles = [a.text() for a in menu.actions()]
    assert titles == [preset_title(n) for n in preset_names()]
    assert titles[0] == "Training stuck ≠ small gradient"


def test_loading_a_preset_shows_its_text_and_runs_it(qtbot, win, dialogs):
    win.lecture_actions["quadratic-step-sizes"].trigger()
    exp = win.experiment()
    assert exp.title == "Learning-rate regimes on a quadratic"
    assert [r.label for r in win.run_editor.runs()][-1] == "2.1 × η₂,opt"
    text = win.description.toPlainText()
    assert "What the test checks" in text and "η₂,opt = 1/λ₂ = 1/3" in text
    assert win.windowTitle().startswith("Learning-rate regimes on a quadratic")
    assert win.path is None  # the built-in file is never overwritten by Save
    for _ in range(5):
        qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.simulation().step == 5
    h = win.simulation().history(1)
    assert h.theta[1, 1] == 0.0  # one step along θ₂ at η₂,opt, as the text says


def test_loading_a_preset_asks_before_losing_unsaved_edits(qtbot, win, dialogs):
    win.run_editor.set_start([0], (0.5, 0.5))  # an unsaved edit
    assert win.is_dirty()
    dialogs.answers.append("cancel")
    win.lecture_actions["warmup"].trigger()
    assert win.experiment().title == "Two runs in a bowl"


def test_right_click_draws_the_point_analysis(qtbot, win):
    tools = win.analysis_tools
    pos = win.map_view.data_to_widget(1.0, 0.5)
    qtbot.mouseClick(win.map_view.plot.viewport(), Qt.MouseButton.RightButton, pos=pos)
    a = tools.point_overlay.analysis
    assert a is not None and tools.point_overlay.items
    # quadratic ½(x² + 3y²): the gradient at (1, 0.5) is (1, 1.5)
    assert np.allclose(a.grad, [1.0, 1.5], atol=0.02)
    action(win, "Clear point analysis").trigger()
    assert tools.point_overlay.items == []


def test_gradient_arrows_toggle_with_g(qtbot, win):
    tools = win.analysis_tools
    qtbot.keyClick(win, Qt.Key.Key_G)
    assert tools.arrows_action.isChecked()
    assert tools.grad_arrows.items
    qtbot.keyClick(win, Qt.Key.Key_G)
    assert not tools.arrows_action.isChecked()


def test_gd_run_shows_eta_as_multiple_of_eta_opt(qtbot, win):
    editor = win.run_editor
    editor.select(0)  # "slow": GD with η = 0.1 on λ = (1, 3): η_opt = 1/3 for the steep axis
    assert not editor.hint.isHidden()
    assert "η = 0.3 × η_opt" in editor.hint.text()


def test_sweep_click_adds_that_eta_as_a_run(qtbot, win):
    tools = win.analysis_tools
    before = len(win.experiment().runs)
    tools.sweep.runRequested.emit({"optimizer": "gd", "hyper": {"lr": 0.25}, "start": (1.0, 1.0)})
    runs = win.experiment().runs
    assert len(runs) == before + 1
    assert runs[-1].optimizer == "gd" and runs[-1].hyper["lr"] == 0.25
    assert runs[-1].start == (1.0, 1.0)
    assert win.simulation().n == before + 1


def test_analysis_tab_lists_the_critical_points(qtbot, win):
    tools = win.analysis_tools
    win.tabs.setCurrentIndex(tools.analysis_tab)
    table = tools.analysis.table
    assert table.rowCount() == 1
    assert "minimum" in table.item(0, 0).text().lower() or any(
        "minimum" in (table.item(0, c).text().lower() if table.item(0, c) else "")
        for c in range(table.columnCount()))


def test_found_critical_points_are_marked_on_the_map_for_a_typed_expression(qtbot, make_window):
    win = make_window('expression = "(x**2 - 1)**2 + y**2"\nsteps = 5\n'
                      '[[runs]]\noptimizer = "gd"\nstart = [0.5, 0.5]\n')
    xs, ys = win.map_view.minima.getData()
    assert sorted(np.round(xs, 6)) == [-1.0, 1.0] and np.allclose(ys, 0.0)
    sx, sy = win.map_view.saddles.getData()
    assert np.allclose(sx, [0.0]) and np.allclose(sy, [0.0])
    labels = [label.text for _, label in win.map_view.legend.items]
    assert "minimum" in labels and "saddle" in labels and "maximum" not in labels


def test_hint_follows_the_local_curvature_of_the_run(qtbot, win, dialogs):
    editor = win.run_editor
    win.lecture_actions["stuck-large-gradient"].trigger()
    editor.select(0)
    text = editor.hint.text()
    assert not editor.hint.isHidden()
    assert "at the start (4, 2)" in text and "no prediction" in text
    assert "diverges" not in text
    win.lecture_actions["spoiler"].trigger()
    editor.select(0)
    assert "negative eigenvalue" in editor.hint.text()
    assert "diverges" not in editor.hint.text()


def test_hint_changes_when_eta_is_typed(qtbot, win, dialogs):
    from conftest import retype
    editor = win.run_editor
    win.lecture_actions["quadratic-step-sizes"].trigger()
    editor.select(4)  # 2.1 × η₂,opt on λ = (1, 3)
    assert editor.hint.text().endswith("GD: diverges.")
    retype(qtbot, editor._hyper_fields["lr"].edit, "0.25")
    assert "η = 0.75 × η_opt" in editor.hint.text()
    assert editor.hint.text().endswith("GD: converges monotonically.")


def test_hint_on_an_expression_without_a_minimum(qtbot, win):
    from engine.experiment import loads
    win.load_experiment(loads('expression = "log(x)+y**2"\nsteps = 10\n[[runs]]\n'
                              'optimizer = "gd"\nlr = 0.1\n'))
    win.run_editor.select(0)
    text = win.run_editor.hint.text()
    assert "λ = -0.25, 2" in text and "converges" not in text


def test_map_draws_a_valley_of_minima_as_its_points(qtbot, win):
    from engine.experiment import loads
    win.load_experiment(loads('expression = "(1 - x*y)**2"\nsteps = 10\n[[runs]]\n'
                              'optimizer = "gd"\nlr = 0.01\n'))
    mv = win.map_view
    x, y = mv.curves.getData()
    assert len(x) >= 20
    np.testing.assert_allclose(x * y, 1.0, atol=1e-6)
    assert len(mv.minima.getData()[0]) == 0  # no lone × for a valley
    assert list(mv.saddles.getData()[0]) == [pytest.approx(0.0, abs=1e-9)]
    labels = [label.text for _, label in mv.legend.items]
    assert "valley of minima" in labels and "minimum" not in labels
