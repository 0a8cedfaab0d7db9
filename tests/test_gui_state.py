"""The window keeps the user's work and place: edits never move the focus or restart the race
needlessly, colours stick to runs, labels follow the optimizer, shared start markers move
together, and undo/redo restores exactly the previous experiment, through the widgets."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication, QColorDialog, QTabBar

from engine.experiment import loads
from gui.colors import PALETTE

from conftest import QUAD, retype


def _steps(qtbot, win, n):
    for _ in range(n):
        qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.simulation().step == n


def _click_dock_tab(qtbot, win, title):
    for bar in win.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.tabText(i) == title:
                qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(i).center())
                return
    raise KeyError(title)


def _on_screen(widget) -> bool:
    """Visible and not covered (a dock behind another tab keeps isVisible())."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def _toggle_check(qtbot, editor, row):
    """Click the tick box of run ``row`` in the run list."""
    lst = editor.list
    rect = lst.visualItemRect(lst.item(row))
    before = lst.item(row).checkState()
    for dx in range(4, 30, 2):  # the indicator's place depends on the style
        qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(rect.left() + dx, rect.center().y()))
        if lst.item(row).checkState() != before:
            return
    raise AssertionError("no tick box found")


def _ctrl(qtbot, win, key, shift=False):
    mods = Qt.KeyboardModifier.ControlModifier
    if shift:
        mods |= Qt.KeyboardModifier.ShiftModifier
    win.run_editor.list.setFocus()  # not a text field: Ctrl+Z there undoes its typing
    qtbot.keyClick(win.run_editor.list, key, mods)


# ------------------------------------------------------------------------- the About panel
def test_choosing_a_typed_expression_keeps_the_surface_panel_in_front(qtbot, win):
    assert _on_screen(win.description)  # the test bowl has a text: it is shown on loading
    _click_dock_tab(qtbot, win, "Surface")
    panel = win.surface_panel
    assert _on_screen(panel.combo) and not _on_screen(win.description)
    panel.combo.setFocus()
    qtbot.keyClick(panel.combo, Qt.Key.Key_End)  # "Typed expression in x and y…"
    assert win.experiment().surface.expression == "x**2 + 10*y**2"
    assert _on_screen(panel.expr_edit) and not _on_screen(win.description)
    panel.expr_edit.setFocus()
    panel.expr_edit.selectAll()
    qtbot.keyClicks(panel.expr_edit, "x**2 + y**2")
    qtbot.waitUntil(lambda: win.experiment().surface.expression == "x**2 + y**2", timeout=3000)
    qtbot.wait(50)
    assert _on_screen(panel.expr_edit) and panel.expr_edit.hasFocus()
    assert not _on_screen(win.description)
    qtbot.keyClicks(panel.expr_edit, " + 1")  # the keystrokes still land in the field
    assert panel.expr_edit.text() == "x**2 + y**2 + 1"
    # the old text described the quadratic bowl: no longer the title or the description
    exp = win.experiment()
    assert exp.title == "" and exp.description == ""
    assert "Two runs in a bowl" not in win.windowTitle()
    assert "x**2 + y**2" in win.windowTitle()
    about = win.description.toPlainText()
    assert "A test bowl." not in about and "set aside" in about and "quadratic" in about


def test_the_set_aside_text_returns_with_its_surface(qtbot, make_window):
    win = make_window(QUAD.replace(", lambda1 = 1.0, lambda2 = 3.0", ""))
    _click_dock_tab(qtbot, win, "Surface")
    combo = win.surface_panel.combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)
    assert win.experiment().surface.name != "quadratic" and win.experiment().title == ""
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert win.experiment().surface.name == "quadratic"
    assert win.experiment().title == "Two runs in a bowl"
    assert win.windowTitle().startswith("Two runs in a bowl")
    assert "A test bowl." in win.description.toPlainText()


def test_changing_only_the_seed_keeps_the_text(qtbot, win):
    _click_dock_tab(qtbot, win, "Surface")
    win.surface_panel.seed_box.setFocus()
    qtbot.keyClick(win.surface_panel.seed_box, Qt.Key.Key_Up)
    assert win.experiment().seed == 1 and win.experiment().title == "Two runs in a bowl"


# ------------------------------------------------------------------------- the race goes on
def test_changing_a_colour_restyles_without_restarting(qtbot, win, monkeypatch):
    _steps(qtbot, win, 5)
    sim = win.simulation()
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#123456")))
    win.run_editor.select(1)
    qtbot.mouseClick(win.run_editor.color_button, Qt.MouseButton.LeftButton)
    assert win.experiment().runs[1].color == "#123456"
    assert win.simulation() is sim and sim.step == 5
    assert win.map_view.paths[1].opts["pen"].color().name() == "#123456"
    assert len(win.map_view.paths[1].getData()[0]) == 6  # the path is still drawn
    assert win.analysis_tools.analysis.step_size.colors[1] == "#123456"
    assert "#123456" in win.playback.status_label.text()


def test_a_colour_change_keeps_what_was_computed_for_the_drawing(qtbot, win, monkeypatch):
    """A new colour re-pens the step plots' curves and the map's path: their log10 values and
    the map's chosen points are kept (taking them again is seconds at a million steps)."""
    _steps(qtbot, win, 5)
    plots, series = win.plots, win.plots._series[1]
    logs = [log for _item, log, _get in series]
    cached = win.map_view._cache[1]
    taken = []
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#123456")))
    import gui.map_view as map_view
    real = map_view.thin_indices
    monkeypatch.setattr(map_view, "thin_indices", lambda *a: taken.append(1) or real(*a))
    win.run_editor.select(1)
    qtbot.mouseClick(win.run_editor.color_button, Qt.MouseButton.LeftButton)
    assert [log for _item, log, _get in plots._series[1]] == logs
    assert all(item.opts["pen"].color().name() == "#123456" for item, _l, _g in series)
    assert plots._series[0][0][0].opts["pen"].color().name() != "#123456"
    assert "color:#123456" in plots.legend.text()
    assert win.map_view._cache[1][1] is cached[1] and not taken
    assert win.map_view.paths[1].opts["pen"].color().name() == "#123456"
    assert len(win.map_view.paths[1].getData()[0]) == 6


def test_a_colour_change_keeps_the_measured_step_size_rates(qtbot, win, monkeypatch):
    """With the Analysis tab built, a new colour re-pens the measured rates' curves (the
    rates are not computed again) and the theory table shows the colour."""
    panel = win.analysis_tools.analysis.step_size  # builds the tab
    _steps(qtbot, win, 5)
    panel.refresh()
    measured = list(panel.measured)
    assert len(measured) == 2
    import gui.analysis_panel as analysis_panel
    computed = []
    real = analysis_panel.run_rates
    monkeypatch.setattr(analysis_panel, "run_rates", lambda *a: computed.append(1) or real(*a))
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#123456")))
    win.run_editor.select(1)
    qtbot.mouseClick(win.run_editor.color_button, Qt.MouseButton.LeftButton)
    assert panel.measured == measured and not computed
    assert measured[1].opts["pen"].color().name() == "#123456"
    assert measured[0].opts["pen"].color().name() != "#123456"
    assert panel.colors[1] == "#123456"


def test_unticking_and_ticking_a_run_keeps_the_others_progress(qtbot, win):
    _steps(qtbot, win, 5)
    slow = win.simulation().history(0).theta.copy()
    adam = win.simulation().history(1).theta.copy()
    _toggle_check(qtbot, win.run_editor, 1)
    assert not win.experiment().runs[1].enabled
    sim = win.simulation()
    assert sim.n == 1 and sim.step == 5
    assert np.array_equal(sim.history(0).theta, slow)
    _toggle_check(qtbot, win.run_editor, 1)  # ticked again: it catches up
    sim = win.simulation()
    assert sim.n == 2 and sim.step == 5
    assert np.array_equal(sim.history(0).theta, slow)
    assert np.array_equal(sim.history(1).theta, adam)
    assert "step 5 / 40" in win.playback.step_label.text()


def test_a_long_replay_shows_progress_and_can_be_cancelled(qtbot, make_window, monkeypatch):
    from gui import replay

    win = make_window(QUAD.replace("steps = 40", "steps = 3000"))
    win.simulation().run_to(3000)
    win.redraw()
    monkeypatch.setattr(replay, "SHOW_AFTER_S", 0.0)  # any replay counts as long
    seen = []

    class CancelledAtOnce:
        """A progress dialog whose Cancel the user presses at once."""

        def __init__(self, label, *args):
            seen.append(label)

        def wasCanceled(self):  # noqa: N802 (Qt)
            return True

        def __getattr__(self, name):
            return lambda *a: None
    monkeypatch.setattr(replay, "QProgressDialog", CancelledAtOnce)
    _toggle_check(qtbot, win.run_editor, 1)
    assert seen and "3,000" in seen[0]
    assert 0 < win.simulation().step < 3000  # cancelled: it stays where it got to
    assert not win.is_playing


def test_renaming_a_run_keeps_the_race(qtbot, win):
    _steps(qtbot, win, 4)
    sim = win.simulation()
    win.run_editor.select(0)
    retype(qtbot, win.run_editor.label_field.edit, "plain GD")
    assert win.simulation() is sim and sim.step == 4
    assert sim.runs[0].label == "plain GD"
    assert "plain GD" in win.playback.status_label.text()
    assert "plain GD" in [label.text for _, label in win.map_view.legend.items]
    assert "plain GD" in win.plots.legend.text()


def test_a_field_made_invalid_and_fixed_keeps_the_race(qtbot, win):
    _steps(qtbot, win, 4)
    sim = win.simulation()
    win.run_editor.select(0)
    lr = win.run_editor._hyper_fields["lr"].edit
    lr.setFocus()
    lr.selectAll()
    qtbot.keyClick(lr, Qt.Key.Key_Backspace)  # empty: invalid, nothing can run
    assert win.simulation() is None and not win.playback.step_button.isEnabled()
    qtbot.keyClicks(lr, "0.1")  # the value it had: the paused race goes on
    assert win.simulation() is sim and sim.step == 4
    assert win.playback.step_button.isEnabled() and win.map_view.paths[0].getData()[0] is not None
    qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.simulation().step == 5


def test_changing_a_hyperparameter_still_restarts(qtbot, win):
    _steps(qtbot, win, 3)
    win.run_editor.select(0)
    retype(qtbot, win.run_editor._hyper_fields["lr"].edit, "0.2")
    assert win.simulation().step == 0


# ------------------------------------------------------------------------- colours stick
def test_files_without_colours_keep_todays_colours(win):
    assert win._colors() == [PALETTE[0], PALETTE[1]]
    assert [r.color for r in win.experiment().runs] == [None, None]


def test_removing_a_run_does_not_recolour_the_others(qtbot, make_window):
    win = make_window(QUAD + '[[runs]]\nlabel = "third"\noptimizer = "momentum"\nlr = 0.05\n')
    before = win._colors()
    win.run_editor.select(0)
    qtbot.mouseClick(win.run_editor.remove_button, Qt.MouseButton.LeftButton)
    assert [r.label for r in win.experiment().runs] == ["adam", "third"]
    assert win._colors() == before[1:]
    assert win.map_view.paths[0].opts["pen"].color().name() == before[1]
    qtbot.mouseClick(win.run_editor.add_button, Qt.MouseButton.LeftButton)
    colors = win._colors()
    assert len(set(colors)) == 3 and colors[2] not in before[1:]
    win.run_editor.select(0)
    qtbot.mouseClick(win.run_editor.dup_button, Qt.MouseButton.LeftButton)
    colors = win._colors()
    assert colors[0] == before[1] and colors[2] == before[2] and len(set(colors)) == 4


def test_a_run_added_from_outside_gets_a_free_colour(qtbot, make_window):
    from engine.experiment import RunConfig
    from engine.optimizers import OPTIMIZERS

    win = make_window(QUAD.replace('lr = 0.1', f'lr = 0.1\ncolor = "{PALETTE[2]}"'))
    win.run_editor.append_run(RunConfig("new", "gd", OPTIMIZERS["gd"].defaults()))
    assert win._colors() == [PALETTE[2], PALETTE[1], PALETTE[0]]


# ------------------------------------------------------------------------- labels, markers
def test_an_automatic_label_follows_the_optimizer_a_typed_one_stays(qtbot, make_window):
    win = make_window(QUAD.replace('label = "slow"', 'label = "GD"'))
    ed = win.run_editor
    ed.select(0)
    box = ed.optimizer_box
    box.setFocus()
    box.setCurrentIndex(box.findData("momentum"))
    box.activated.emit(box.currentIndex())
    assert win.experiment().runs[0].label == "Momentum"
    assert ed.list.item(0).text().startswith("Momentum — momentum")
    retype(qtbot, ed.label_field.edit, "mine")
    box.setCurrentIndex(box.findData("nesterov"))
    box.activated.emit(box.currentIndex())
    assert win.experiment().runs[0].label == "mine"
    assert win.experiment().runs[0].optimizer == "nesterov"


def test_the_click_hint_follows_a_rename(qtbot, win):
    ed = win.run_editor
    ed.select(0)
    ed.list.item(0).setSelected(True)
    assert "slow" in ed.target_label.text()
    retype(qtbot, ed.label_field.edit, "renamed")
    assert "renamed" in ed.target_label.text() and "slow" not in ed.target_label.text()


def _drag(qtbot, view, start, end):
    """Press on ``start``, move in steps, release on ``end`` (data coordinates)."""
    vp = view.plot.viewport()
    p0, p1 = view.data_to_widget(*start), view.data_to_widget(*end)

    def send(kind, pos, buttons):
        ev = QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)),
                         Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, ev)

    send(QEvent.Type.MouseButtonPress, p0, Qt.MouseButton.LeftButton)
    for k in range(1, 11):
        p = p0 + (p1 - p0) * (k / 10)
        send(QEvent.Type.MouseMove, p, Qt.MouseButton.LeftButton)
        qtbot.wait(5)
    send(QEvent.Type.MouseButtonRelease, p1, Qt.MouseButton.NoButton)


def test_dragging_a_shared_start_marker_moves_every_run_there(qtbot, make_window):
    win = make_window(QUAD + '[[runs]]\nlabel = "elsewhere"\noptimizer = "gd"\nlr = 0.1\n'
                      'start = [1.0, 1.0]\n')
    start = tuple(win.simulation().runs[0].start)
    _drag(qtbot, win.map_view, start, (0.5, -0.5))
    runs = win.experiment().runs
    assert runs[0].start == pytest.approx((0.5, -0.5), abs=0.05)
    assert runs[1].start == runs[0].start
    assert runs[2].start == (1.0, 1.0)


def test_dragging_a_shared_marker_moves_only_the_selected_runs_there(qtbot, win):
    win.run_editor.select(1)
    win.run_editor.list.item(1).setSelected(True)
    start = tuple(win.simulation().runs[0].start)
    _drag(qtbot, win.map_view, start, (0.5, -0.5))
    runs = win.experiment().runs
    assert runs[0].start is None
    assert runs[1].start == pytest.approx((0.5, -0.5), abs=0.05)


# ------------------------------------------------------------------------- undo / redo
def test_undo_restores_a_typed_value_in_one_step_and_redo_reapplies(qtbot, win):
    original = win.experiment()
    win.run_editor.select(0)
    retype(qtbot, win.run_editor._hyper_fields["lr"].edit, "0.25")  # 4 keystrokes, 1 step
    edited = win.experiment()
    assert edited.runs[0].hyper["lr"] == 0.25
    assert win.undo_action.text() == "&Undo lr of slow"
    _ctrl(qtbot, win, Qt.Key.Key_Z)
    assert win.experiment() == original
    assert win.run_editor._hyper_fields["lr"].edit.text() == "0.1"
    assert win.simulation().runs[0].hyper["lr"] == 0.1
    assert not win.isWindowModified()
    assert win.redo_action.text() == "&Redo lr of slow"
    _ctrl(qtbot, win, Qt.Key.Key_Z, shift=True)
    assert win.experiment() == edited
    assert win.run_editor._hyper_fields["lr"].edit.text() == "0.25"


def test_undo_through_the_edit_menu_covers_every_kind_of_change(qtbot, win, monkeypatch):
    states = [win.experiment()]
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#abcdef")))
    win.run_editor.select(1)
    qtbot.mouseClick(win.run_editor.color_button, Qt.MouseButton.LeftButton)  # colour
    states.append(win.experiment())
    win.run_editor.list.clearSelection()
    pos = win.map_view.data_to_widget(0.5, 0.5)
    qtbot.mouseClick(win.map_view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)  # starts
    win.pause()
    states.append(win.experiment())
    win.playback.limit_spin.setFocus()
    win.playback.limit_spin.selectAll()
    qtbot.keyClicks(win.playback.limit_spin, "77")
    qtbot.keyClick(win.playback.limit_spin, Qt.Key.Key_Return)  # step limit
    states.append(win.experiment())
    _click_dock_tab(qtbot, win, "Surface")
    win.surface_panel.combo.setFocus()
    qtbot.keyClick(win.surface_panel.combo, Qt.Key.Key_End)  # surface
    states.append(win.experiment())
    win.run_editor.select(0)
    qtbot.mouseClick(win.run_editor.remove_button, Qt.MouseButton.LeftButton)  # a run
    states.append(win.experiment())
    assert all(a != b for k, a in enumerate(states) for b in states[k + 1:])
    assert [s.steps for s in states][3] == 77
    assert win.undo_action.text() == "&Undo removed run"
    for k in range(len(states) - 1, 0, -1):
        win.undo_action.trigger()
        assert win.experiment() == states[k - 1]
    assert not win.undo_action.isEnabled()
    # the widgets show the restored experiment
    assert [r.label for r in win.run_editor.runs()] == ["slow", "adam"]
    assert win.surface_panel.config() == states[0].surface
    assert win.surface_panel.combo.currentData() == "quadratic"
    assert win.surface_panel._param_fields["lambda2"].edit.text() == "3.0"
    assert win.experiment().title == "Two runs in a bowl"  # the set-aside text is back
    assert "A test bowl." in win.description.toPlainText()
    assert win.playback.limit_spin.value() == 40
    assert win.map_view.paths[1].opts["pen"].color().name() == PALETTE[1]
    for k in range(1, len(states)):
        win.redo_action.trigger()
        assert win.experiment() == states[k]
    assert win.surface_panel.config().expression == "x**2 + 10*y**2"
    assert win.surface_panel.expr_edit.text() == "x**2 + 10*y**2"
    assert win.playback.limit_spin.value() == 77
    assert [r.label for r in win.run_editor.runs()] == ["adam"]


def test_a_new_edit_after_undo_drops_the_redo(qtbot, win):
    win.run_editor.select(0)
    retype(qtbot, win.run_editor._hyper_fields["lr"].edit, "0.3")
    win.undo_action.trigger()
    retype(qtbot, win.run_editor.label_field.edit, "other")
    assert not win.redo_action.isEnabled()
    win.undo_action.trigger()
    assert win.experiment().runs[0].label == "slow"


def test_opening_a_file_shows_its_first_run_and_selects_none(qtbot, win):
    win.run_editor.select(1)
    win.run_editor.list.item(1).setSelected(True)
    win.load_experiment(loads(QUAD))
    assert win.run_editor.selected_indices() == [] and win.run_editor._current == 0


def test_opening_a_file_starts_a_new_history(qtbot, win):
    win.run_editor.select(0)
    retype(qtbot, win.run_editor._hyper_fields["lr"].edit, "0.3")
    win.load_experiment(loads(QUAD))
    assert not win.undo_action.isEnabled()
