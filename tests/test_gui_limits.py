"""The app refuses what would not fit before recording anything: a step limit whose record
exceeds the memory budget, and a CSV export over the open experiment file."""
import pytest
from PySide6.QtCore import Qt

from engine.experiment import save


def test_a_step_limit_that_would_not_fit_is_refused(qtbot, win):
    before = win.stepper.limit
    spin = win.playback.limit_spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "10000000")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    # 2 runs × 10,000,000 rows × 88 bytes (grown by doubling) is over the 4 GiB budget
    assert win.stepper.limit == before and win.experiment().steps == before
    assert spin.value() == before
    assert "Step limit not changed" in win.statusBar().currentMessage()


def test_export_over_the_open_experiment_is_refused(qtbot, win, tmp_path):
    path = tmp_path / "exp.toml"
    save(win.experiment(), path)
    win.open_file(path)
    qtbot.waitUntil(lambda: win.path is not None, timeout=10_000)
    text = path.read_text()
    with pytest.raises(ValueError, match="open experiment file"):
        win.export_csv(path)
    assert path.read_text() == text
