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
