"""The run editor and the surface chooser, driven with real clicks and key presses."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt

from engine.experiment import SurfaceConfig, loads
from engine.optimizers import OPTIMIZERS
from gui.fields import ERROR_STYLE
from gui.run_editor import RunEditor
from gui.surface_panel import SurfacePanel

EXP = loads("""
surface = "rosenbrock"
steps = 10
[[runs]]
label = "GD"
optimizer = "gd"
lr = 0.001
[[runs]]
optimizer = "adam"
start = [0.5, 0.5]
""")


@pytest.fixture
def editor(qtbot):
    ed = RunEditor()
    qtbot.addWidget(ed)
    ed.set_runs(EXP.runs)
    ed.show()
    return ed


def retype_edit(qtbot, edit, text):
    """Select all, delete, type ``text``: as a user would."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key_Backspace)
    qtbot.keyClicks(edit, text)


def retype(qtbot, field, text):
    retype_edit(qtbot, field.edit, text)


def test_typing_a_hyperparameter_changes_the_run(qtbot, editor):
    with qtbot.waitSignal(editor.runsChanged):
        retype(qtbot, editor._hyper_fields["lr"], "0.25")
    assert editor.runs()[0].hyper["lr"] == 0.25
    assert editor.errors() == []


def test_invalid_value_turns_red_with_reason_and_is_listed(qtbot, editor):
    field = editor._hyper_fields["lr"]
    retype(qtbot, field, "-3")
    assert field.edit.styleSheet() == ERROR_STYLE
    assert not field.error_label.isHidden()
    assert "must be > 0" in field.error_label.text()
    assert editor.errors() == ["GD: lr must be > 0, got -3.0"]
    assert editor.runs()[0].hyper["lr"] == 0.001  # the last valid value is kept
    retype(qtbot, field, "abc")
    assert editor.errors() == ["GD: lr 'abc' is not a number"]
    retype(qtbot, field, "1e-2")
    assert editor.errors() == [] and field.edit.styleSheet() == ""
    assert editor.runs()[0].hyper["lr"] == 0.01


def test_hyperparameter_fields_follow_the_optimizer_and_carry_tooltips(qtbot, editor):
    editor.select(1)
    assert set(editor._hyper_fields) == {"lr", "beta1", "beta2", "eps"}
    tip = editor._hyper_fields["beta2"].edit.toolTip()
    assert "default 0.999" in tip and "squared" in tip
    box = editor.optimizer_box
    box.setCurrentIndex(box.findData("rprop"))
    box.activated.emit(box.currentIndex())
    assert editor.runs()[1].optimizer == "rprop"
    assert editor.runs()[1].hyper == OPTIMIZERS["rprop"].defaults()
    assert "backtrack" in editor._hyper_fields


def test_add_duplicate_remove_and_enable_with_clicks(qtbot, editor):
    qtbot.mouseClick(editor.add_button, Qt.LeftButton)
    assert [r.label for r in editor.runs()] == ["GD", "adam", "gd"]
    editor.select(0)
    qtbot.mouseClick(editor.dup_button, Qt.LeftButton)
    runs = editor.runs()
    assert [r.label for r in runs] == ["GD", "GD 2", "adam", "gd"]
    assert runs[1].hyper == runs[0].hyper
    editor.select(3)
    qtbot.mouseClick(editor.remove_button, Qt.LeftButton)
    assert [r.label for r in editor.runs()] == ["GD", "GD 2", "adam"]
    item = editor.list.item(2)
    item.setCheckState(Qt.Unchecked)
    assert editor.runs()[2].enabled is False


def test_duplicate_label_and_half_start_are_errors(qtbot, editor):
    retype(qtbot, editor.label_field, "adam")
    assert "used by another run" in editor.errors()[0]
    retype(qtbot, editor.label_field, "plain GD")
    assert editor.runs()[0].label == "plain GD"
    retype(qtbot, editor.start_x, "0.5")
    assert any("both coordinates" in e for e in editor.errors())
    retype(qtbot, editor.start_y, "-1")
    assert editor.errors() == [] and editor.runs()[0].start == (0.5, -1.0)


def test_set_start_of_selected_runs(qtbot, editor):
    with qtbot.waitSignal(editor.runsChanged):
        editor.set_start([1], (0.1, 0.2))
    assert editor.runs()[1].start == (0.1, 0.2)
    assert editor.runs()[0].start is None


def test_schedule_params_validate(qtbot, editor):
    box = editor.schedule_box
    box.setCurrentIndex(box.findData("step"))
    box.activated.emit(box.currentIndex())
    assert editor.runs()[0].schedule.name == "step"
    retype(qtbot, editor._sched_fields["factor"], "2")
    assert any("factor" in e and "between 0 and 1" in e for e in editor.errors())
    retype(qtbot, editor._sched_fields["factor"], "0.5")
    assert editor.errors() == []
    assert editor.runs()[0].schedule.params["factor"] == 0.5


@pytest.fixture
def panel(qtbot):
    p = SurfacePanel()
    qtbot.addWidget(p)
    p.set_config(SurfaceConfig("quadratic", {}), None, 3)
    p.show()
    return p


def test_surface_parameters_and_seed(qtbot, panel):
    assert panel.seed() == 3 and panel.error() == ""
    with qtbot.waitSignal(panel.surfaceChanged):
        retype(qtbot, panel._param_fields["lambda2"], "10")
    assert panel.config() == SurfaceConfig("quadratic", {"lambda2": 10.0})
    assert panel.surface().condition_number == 10.0
    retype(qtbot, panel._param_fields["lambda2"], "-1")
    assert "lambda2" in panel.error()
    assert panel.config().params == {"lambda2": 10.0}  # the last valid surface is kept


def test_typed_bad_expression_shows_error_at_position(qtbot, panel):
    combo = panel.combo
    combo.setCurrentIndex(combo.findData("expression"))
    combo.activated.emit(combo.currentIndex())
    assert panel.config().expression == "x**2 + 10*y**2"
    assert not panel.expr_edit.isHidden()
    retype_edit(qtbot, panel.expr_edit, "x**2 + z*y")
    qtbot.keyClick(panel.expr_edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: not panel.preparing(), timeout=10_000)
    assert "unknown name 'z'" in panel.error()
    assert "^" in panel.expr_error.text() and not panel.expr_error.isHidden()
    assert panel.config().expression == "x**2 + 10*y**2"  # the old surface keeps working
    retype_edit(qtbot, panel.expr_edit, "x**2 + 3*y**2")
    qtbot.keyClick(panel.expr_edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: not panel.preparing(), timeout=10_000)
    assert panel.error() == "" and panel.config().expression == "x**2 + 3*y**2"


def test_a_slow_formula_is_prepared_off_the_gui_thread(qtbot, panel, monkeypatch):
    """While sympy works out a formula's derivatives the event loop keeps running, and the
    formula is applied when it is ready."""
    import threading
    import time

    from PySide6.QtCore import QTimer

    import functools

    import surfaces.expression as expression

    real_compile = expression.compile_expression.__wrapped__
    threads = set()

    @functools.lru_cache(maxsize=16)  # cached by text, as the real one is
    def slow_compile(text):
        if text == "x**2 + 5*y**2":
            threads.add(threading.get_ident())
            time.sleep(0.6)  # as sympy takes on a long formula
        return real_compile(text)

    monkeypatch.setattr(expression, "compile_expression", slow_compile)
    combo = panel.combo
    combo.setCurrentIndex(combo.findData("expression"))
    combo.activated.emit(combo.currentIndex())
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    retype_edit(qtbot, panel.expr_edit, "x**2 + 5*y**2")
    qtbot.keyClick(panel.expr_edit, Qt.Key_Return)
    assert panel.preparing() and "Working out" in panel.expr_error.text()
    qtbot.waitUntil(lambda: not panel.preparing(), timeout=10_000)
    timer.stop()
    assert panel.config().expression == "x**2 + 5*y**2" and panel.error() == ""
    assert threading.get_ident() not in threads
    assert len(ticks) >= 10  # the GUI thread ran its timers meanwhile


def test_typing_on_cancels_the_preparation(qtbot, panel):
    combo = panel.combo
    combo.setCurrentIndex(combo.findData("expression"))
    combo.activated.emit(combo.currentIndex())
    retype_edit(qtbot, panel.expr_edit, "x**2 + 7*y**2")
    qtbot.keyClick(panel.expr_edit, Qt.Key_Return)
    first = panel.expr_job
    qtbot.keyClicks(panel.expr_edit, " + x")
    qtbot.waitUntil(lambda: not first.running, timeout=10_000)
    qtbot.waitUntil(lambda: panel.config().expression == "x**2 + 7*y**2 + x", timeout=10_000)
