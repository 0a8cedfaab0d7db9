"""Notes on the map, the speed menu and Help → About, driven through the window with key
presses and clicks (offscreen)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtWidgets import QApplication

from engine.experiment import load
from gui.speed_control import AUTO, SPEEDS

from conftest import QUAD

NOTED = QUAD.replace("steps = 40", "steps = 100") + """
[[notes]]
step = 23
text = "Step 23: the slow run is halfway down"
pause = true

[[notes]]
step = 60
text = "A note that only shows"
at = [0.5, -0.5]
"""


def callout_texts(win):
    return [c.text for c in win.notes_overlay.callouts
            if c.isVisible() and c.scene() is win.map_view.plot.scene()]


def test_a_note_pauses_playback_exactly_at_its_step_and_shows_its_callout(qtbot, make_window):
    win = make_window(NOTED)
    win.playback.set_speed(7)  # 23 is no multiple of 7: the frame must end at 23 anyway
    assert callout_texts(win) == []
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert win.is_playing
    qtbot.waitUntil(lambda: not win.is_playing, timeout=5000)
    assert win.simulation().step == 23
    assert callout_texts(win) == ["Step 23: the slow run is halfway down"]
    (callout,) = win.notes_overlay.callouts
    assert callout.anchor == pytest.approx(tuple(win.simulation().history(0).theta[23]))
    assert "Paused at step 23" in win.statusBar().currentMessage()
    # Space goes on past the note, to the next note (no pause) and the end
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not win.is_playing, timeout=5000)
    assert win.simulation().step == 100
    assert callout_texts(win) == []  # the step-60 note was shown for 20 steps, then hidden
    win.playback.timeline.setValue(61)
    assert callout_texts(win) == ["A note that only shows"]
    assert win.notes_overlay.callouts[0].anchor == (0.5, -0.5)


def test_scrubbing_shows_the_notes_of_the_shown_step(qtbot, make_window):
    win = make_window(NOTED)
    win.playback.set_speed(1000)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not win.is_playing, timeout=5000)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.simulation().step == 100 and not win.is_playing, timeout=5000)
    timeline = win.playback.timeline
    for step, texts in ((22, []), (23, ["Step 23: the slow run is halfway down"]),
                        (42, ["Step 23: the slow run is halfway down"]),  # held 20 steps
                        (43, []), (60, ["A note that only shows"]), (5, [])):
        timeline.setValue(step)
        assert win.shown_step() == step
        assert callout_texts(win) == texts, step


def test_reset_hides_the_note_and_a_note_at_step_zero_shows_at_once(qtbot, make_window):
    win = make_window(NOTED.replace("step = 23", "step = 0"))
    assert callout_texts(win) == ["Step 23: the slow run is halfway down"]
    win.playback.set_speed(10)
    qtbot.keyClick(win, Qt.Key.Key_Right)
    qtbot.keyClick(win, Qt.Key.Key_R)
    assert win.simulation().step == 0
    assert len(callout_texts(win)) == 1


def test_lowering_the_step_limit_drops_later_notes_so_the_file_stays_valid(
        qtbot, make_window, tmp_path, dialogs):
    win = make_window(NOTED)
    spin = win.playback.limit_spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "50")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert win.experiment().steps == 50
    assert [n.step for n in win.experiment().notes] == [23]
    assert "Removed 1 note(s) after step 50" in win.statusBar().currentMessage()
    out = tmp_path / "saved.toml"
    dialogs.paths.append(str(out))
    win.save_as()
    assert [n.text for n in load(out).notes] == ["Step 23: the slow run is halfway down"]


def test_the_speed_menu_offers_auto_and_fixed_speeds(qtbot, make_window):
    win = make_window(NOTED)
    combo = win.playback.speed_combo
    assert combo.currentText() == "Auto (≈12 s)" and win.stepper.speed == AUTO
    assert [combo.itemData(i) for i in range(combo.count())] == list(SPEEDS)
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=2000)
    for _ in range(SPEEDS.index(100)):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert combo.currentText() == "100 steps/frame"
    assert win.stepper.speed == 100
    win.playback.set_speed(7)  # any other speed is added in order
    assert combo.currentText() == "7 steps/frame" and win.stepper.speed == 7
    assert combo.itemData(combo.currentIndex() - 1) == 5
    win.load_experiment(win.experiment())  # a loaded experiment plays at the default: Auto
    assert win.stepper.speed == AUTO


def test_help_about_opens_from_the_menu_with_version_docs_and_licence(qtbot, win):
    bar = win.menuBar()
    help_action = win.help_menu.menuAction()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                     pos=bar.actionGeometry(help_action).center())
    qtbot.waitUntil(win.help_menu.isVisible, timeout=2000)
    (about,) = [a for a in win.help_menu.actions() if a.text() == "&About Descent Lab"]
    qtbot.mouseClick(win.help_menu, Qt.MouseButton.LeftButton,
                     pos=win.help_menu.actionGeometry(about).center())
    qtbot.waitUntil(lambda: getattr(win, "about_dialog", None) is not None
                    and win.about_dialog.isVisible(), timeout=2000)
    browser = win.about_dialog.browser
    text = browser.toPlainText()
    assert "Descent Lab 0.1.0" in text and "Licence: MIT" in text
    for lib in ("PySide6-Essentials", "pyqtgraph", "numpy", "sympy"):
        assert lib in text
    html = browser.toHtml()
    links = [QUrl(h) for h in __import__("re").findall(r'href="([^"]+)"', html)]
    files = [u.toLocalFile() for u in links]
    assert any(f.endswith("/README.md") for f in files)
    assert any(f.endswith("/docs/optimizers.md") for f in files)
    assert all(u.isLocalFile() and os.path.isfile(u.toLocalFile()) for u in links)
    assert browser.openExternalLinks()
    win.about_dialog.reject()
    assert not win.about_dialog.isVisible()


def test_the_overlay_draws_on_any_map_and_keeps_its_box_on_the_map(qtbot):
    # what an exported animation does with its own map: set_notes, then show_step per frame
    from engine.presets import preset_path
    from gui.map_view import MapView
    from gui.notes_overlay import NotesOverlay

    exp = load(preset_path("spoiler"))
    sim = exp.simulation()
    sim.run_to(exp.steps)
    view = MapView()
    qtbot.addWidget(view)
    view.resize(420, 380)
    view.show()
    qtbot.waitExposed(view)
    view.set_surface(sim.surface)
    overlay = NotesOverlay(view)
    overlay.set_notes(exp.notes, exp.steps)
    thetas = [sim.history(0).theta]
    overlay.show_step(0, thetas)
    assert overlay.texts() == [exp.notes[0].text]
    overlay.show_step(exp.steps // 5 + 1, thetas)  # held a fifth of the steps, then gone
    assert overlay.texts() == []
    overlay.show_step(exp.steps, thetas)
    (callout,) = overlay.callouts
    assert callout.anchor == pytest.approx(tuple(thetas[0][-1]))
    gv = view.plot  # the callout ignores the data transform: compare in viewport pixels
    vb_rect = gv.mapFromScene(view.view_box.sceneBoundingRect()).boundingRect().toRectF()
    for x_frac in (0.02, 0.5, 0.98):  # points near either edge and in the middle
        (x0, x1), (y0, y1) = view.view_box.viewRange()
        overlay.notes = (type(exp.notes[0])(1, "a long enough text " * 6,
                                            (x0 + x_frac * (x1 - x0), y0 + x_frac * (y1 - y0))),)
        overlay.show_step(1, thetas)
        (c,) = overlay.callouts
        box = c.deviceTransform(gv.viewportTransform()).mapRect(c.box)
        assert box.width() > 100
        assert vb_rect.adjusted(-1, -1, 1, 1).contains(box), (x_frac, box, vb_rect)
