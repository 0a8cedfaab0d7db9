"""The main window, driven with real mouse clicks and key presses (offscreen, no dialogs)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine import cli
from engine.experiment import load, save
from gui.app import create_window
from gui.main_window import default_experiment

from conftest import QUAD, action, retype  # noqa: F401  (shared GUI helpers)




def test_title_names_the_experiment(win):
    assert win.windowTitle().startswith("Two runs in a bowl")
    assert "A test bowl." in win.description.toPlainText()


def test_click_on_map_sets_start_of_all_runs_within_a_pixel(qtbot, win):
    target = (0.7, -0.4)
    win.run_editor.list.clearSelection()  # no run selected: the click moves every run
    pos = win.map_view.data_to_widget(*target)
    qtbot.mouseClick(win.map_view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    win.pause()
    vb = win.map_view.view_box
    (x0, x1), (y0, y1) = vb.viewRange()
    px = max((x1 - x0) / vb.width(), (y1 - y0) / vb.height())
    for run in win.experiment().runs:
        assert abs(run.start[0] - target[0]) <= px and abs(run.start[1] - target[1]) <= px
    sim = win.simulation()
    assert np.allclose(sim.history(0).theta[0], win.experiment().runs[0].start)


def test_click_sets_start_of_selected_run_only(qtbot, win):
    win.run_editor.select(1)
    pos = win.map_view.data_to_widget(-1.0, 1.0)
    qtbot.mouseClick(win.map_view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    win.pause()
    runs = win.experiment().runs
    assert runs[0].start is None
    assert runs[1].start == pytest.approx((-1.0, 1.0), abs=0.05)


def test_right_click_reports_the_data_point(qtbot, win):
    with qtbot.waitSignal(win.map_view.pointRequested) as sig:
        pos = win.map_view.data_to_widget(0.5, 0.25)
        qtbot.mouseClick(win.map_view.plot.viewport(), Qt.MouseButton.RightButton, pos=pos)
    assert sig.args == pytest.approx([0.5, 0.25], abs=0.05)
    assert all(r.start is None for r in win.experiment().runs)  # no start change


def test_space_plays_and_space_pauses(qtbot, win):
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert win.is_playing
    qtbot.waitUntil(lambda: win.simulation().step > 0, timeout=3000)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert not win.is_playing
    stopped_at = win.simulation().step
    qtbot.wait(100)
    assert win.simulation().step == stopped_at
    assert win.playback.play_button.text().endswith("Play")


def test_play_stops_at_the_step_limit(qtbot, win):
    win.playback.set_speed(7)
    qtbot.mouseClick(win.playback.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.is_playing, timeout=5000)
    assert win.simulation().step == 40
    assert "step 40 / 40" in win.playback.step_label.text()


def test_right_arrow_steps_exactly_one_step(qtbot, win):
    qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.simulation().step == 1
    qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.simulation().step == 2
    assert len(win.simulation().history(0).loss) == 3
    # gd, lr 0.1 on E = ½θᵀdiag(1, 3)θ from the default start (−2, 1.5): g⁰ = (−2, 4.5)
    assert win.simulation().history(0).theta[1] == pytest.approx((-1.8, 1.05))
    qtbot.keyClick(win, Qt.Key.Key_R)
    assert win.simulation().step == 0


def test_editing_a_hyperparameter_changes_the_next_run(qtbot, win):
    win.run_editor.select(0)
    retype(qtbot, win.run_editor._hyper_fields["lr"].edit, "0.2")
    assert win.experiment().runs[0].hyper["lr"] == 0.2
    sim = win.simulation()
    assert sim.step == 0 and sim.runs[0].hyper["lr"] == 0.2
    qtbot.keyClick(win, Qt.Key.Key_Right)
    # θ¹ = θ⁰ − 0.2·(−2, 4.5) = (−1.6, 0.6)
    assert win.simulation().history(0).theta[1] == pytest.approx((-1.6, 0.6))


def test_invalid_field_blocks_the_run_and_shows_why(qtbot, win):
    win.run_editor.select(0)
    retype(qtbot, win.run_editor._hyper_fields["lr"].edit, "-1")
    assert not win.playback.play_button.isEnabled()
    assert not win.playback.step_button.isEnabled()
    shown = win.playback.status_label.text()
    assert "Cannot run" in shown and "slow" in shown and "lr" in shown and "&gt; 0" in shown
    assert "lr" in win.statusBar().currentMessage()
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.simulation() is None and not win.is_playing
    retype(qtbot, win.run_editor._hyper_fields["lr"].edit, "0.1")  # fixed: runs again
    assert win.playback.play_button.isEnabled()
    qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.simulation().step == 1


def test_typed_bad_expression_shows_error_and_app_keeps_working(qtbot, make_window):
    win = make_window(QUAD.replace('surface = { name = "quadratic", lambda1 = 1.0, lambda2 = 3.0 }',
                                   'expression = "x**2 + 3*y**2"'))
    panel = win.surface_panel
    retype(qtbot, panel.expr_edit, "x**2 + (y")
    qtbot.keyClick(panel.expr_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.preparing(), timeout=10_000)
    assert panel.error()
    assert panel.expr_error.isVisible() and panel.expr_error.text()
    assert win.experiment().surface.expression == "x**2 + 3*y**2"  # last valid one kept
    qtbot.mouseClick(win.playback.step_button, Qt.MouseButton.LeftButton)
    assert win.simulation().step == 1
    retype(qtbot, panel.expr_edit, "x**2 + y**2")
    qtbot.keyClick(panel.expr_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.preparing(), timeout=10_000)
    assert win.experiment().surface.expression == "x**2 + y**2"
    assert win.simulation().step == 0  # a new surface restarts


def test_diverging_run_is_marked_and_others_continue(qtbot, make_window):
    # gd with η = 1 on λ₂ = 3: |1 − ηλ₂| = 2 > 1, the θ₂ error doubles every step
    win = make_window(QUAD.replace("lr = 0.1", "lr = 1.0"))
    win.playback.set_speed(1000)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert win.is_playing
    qtbot.waitUntil(lambda: not win.is_playing, timeout=5000)
    sim = win.simulation()
    assert sim.status[0] == "diverged"
    assert sim.status[1] == "running" and sim.step == 40
    assert len(sim.history(1).loss) == 41
    text = win.playback.status_label.text()
    assert f"diverged at step {sim.stop_step[0]}" in text


def test_gui_csv_export_equals_command_line_bytes(qtbot, win, dialogs, tmp_path):
    exp_file = tmp_path / "bowl.toml"
    exp_file.write_text(QUAD, encoding="utf-8")
    assert win.open_file(exp_file)
    win.playback.limit_spin.setValue(25)
    gui_csv, cli_csv = tmp_path / "gui.csv", tmp_path / "cli.csv"
    dialogs.paths.append(str(gui_csv))
    action(win, "Export trajectories as CSV…").trigger()
    qtbot.waitUntil(lambda: not win.export_running(), timeout=10000)
    assert win.export_job.outcome == "succeeded"
    assert cli.main(["run", str(exp_file), "--csv", str(cli_csv), "--steps", "25"]) == 0
    assert gui_csv.read_bytes() == cli_csv.read_bytes()
    assert win.simulation().step == 25


def test_export_per_run_and_images(qtbot, win, dialogs, tmp_path):
    dialogs.paths.append(str(tmp_path / "per_run"))
    action(win, "Export trajectories, one CSV per run…").trigger()
    qtbot.waitUntil(lambda: not win.export_running(), timeout=10000)
    assert sorted(p.name for p in (tmp_path / "per_run").iterdir()) == ["01_slow.csv",
                                                                         "02_adam.csv"]
    for name, what in (("map.png", "map"), ("map.svg", "map"), ("win.png", "window"),
                       ("win.svg", "window")):
        win.export_image(tmp_path / name, what)
        assert (tmp_path / name).stat().st_size > 1000
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "map.svg").read_bytes()[:2000]
    # written atomically: no temporary files are left beside them
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config", "map.png", "map.svg",
                                                           "per_run", "win.png", "win.svg"]
    assert dialogs.errors == []


def test_save_then_open_round_trips(qtbot, win, dialogs, tmp_path):
    win.run_editor.select(1)
    retype(qtbot, win.run_editor._hyper_fields["lr"].edit, "0.3")
    assert win.is_dirty()
    before = win.experiment()
    path = tmp_path / "saved.toml"
    dialogs.paths.append(str(path))
    action(win, "Save As…").trigger()
    assert not win.is_dirty() and load(path) == before
    action(win, "New").trigger()  # clean: no question asked
    assert win.experiment() == default_experiment()
    dialogs.paths.append(str(path))
    action(win, "Open…").trigger()  # read in the background, then loaded
    qtbot.waitUntil(lambda: win.path is not None, timeout=10000)
    assert win.experiment() == before
    assert win.path == path.resolve()
    assert str(path.resolve()) in win.recent_files()


def test_unsaved_changes_prompt_before_they_are_lost(qtbot, win, dialogs):
    win.run_editor.select(0)
    retype(qtbot, win.run_editor._hyper_fields["lr"].edit, "0.05")
    edited = win.experiment()
    dialogs.answers.append("cancel")
    action(win, "New").trigger()
    assert win.experiment() == edited
    dialogs.answers.append("discard")
    action(win, "New").trigger()
    assert win.experiment() == default_experiment()


def test_last_experiment_is_restored_on_next_start(qtbot, win, dialogs, tmp_path):
    win.run_editor.select(0)
    retype(qtbot, win.run_editor._hyper_fields["lr"].edit, "0.07")
    edited = win.experiment()
    # no close event: the autosave happened on the edit itself (as if the app were killed)
    second = create_window(None, config_dir=tmp_path / "config", dialogs=dialogs)
    qtbot.addWidget(second)
    assert second.experiment() == edited
    assert second.is_dirty()


def test_invalid_file_on_command_line_shows_error_and_falls_back(qtbot, tmp_path, dialogs):
    bad = tmp_path / "bad.toml"
    bad.write_text('surface = "rosenbrok"\n[[runs]]\noptimizer = "gd"\n', encoding="utf-8")
    win = create_window(bad, config_dir=tmp_path / "empty", dialogs=dialogs)
    qtbot.addWidget(win)
    assert len(dialogs.errors) == 1
    assert "bad.toml" in dialogs.errors[0] and "rosenbrock" in dialogs.errors[0]
    assert win.experiment() == default_experiment()


def test_timeline_scrubs_markers_and_cursor_lines(qtbot, win):
    for _ in range(10):
        qtbot.keyClick(win, Qt.Key.Key_Right)
    win.playback.timeline.setValue(4)
    assert win.shown_step() == 4
    theta4 = win.simulation().history(0).theta[4]
    assert win.map_view.current.positions()[0] == pytest.approx(tuple(theta4))
    assert win.plots.cursor_step == 4
    assert "step 4 of 10" in win.playback.step_label.text()
    win.playback.timeline.setValue(10)
    assert win.plots.cursor_step == 10


def test_plots_hover_shows_values_at_step(qtbot, win):
    for _ in range(3):
        qtbot.keyClick(win, Qt.Key.Key_Right)
    lines = win.plots.values_at("loss", 2)
    loss2 = win.simulation().history(0).loss[2]
    assert f"{loss2:.5g}" in lines[0]
    assert win.plots.values_at("sigma", 2)[0].count("σ") == 2  # only adam has σ
    assert len(win.plots.values_at("sigma", 2)) == 1


def test_help_and_lecture_menu_extension(qtbot, win, dialogs):
    action(win, "How to read σ and the effective rate").trigger()
    assert "effective rate" in dialogs.infos[-1]
    lecture = win.add_menu("Lecture")
    titles = [a.text().replace("&", "") for a in win.menuBar().actions()]
    assert titles.index("Lecture") == titles.index("Help") - 1
    assert win.add_menu("Lecture") is lecture


def test_a_vanished_recent_file_is_reported_and_dropped(qtbot, win, dialogs, tmp_path):
    path = tmp_path / "gone.toml"
    save(win.experiment(), path)
    win.open_file(path)
    recent = win.recent_files()[0]
    assert recent.endswith("gone.toml")
    path.unlink()
    win._open_recent(recent)
    assert dialogs.errors and "no such file" in dialogs.errors[-1]
    assert recent not in win.recent_files()
