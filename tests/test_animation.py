"""Animation export: frame count and size, refusals before any work, Cancel leaves no file,
and the app's File → Export animation… through a real dialog and a child process."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPushButton

from engine.experiment import load, loads
from engine.presets import preset_path
from gui.animation import (AnimationCancelled, AnimationError, AnimationSettings,
                           check_settings, render_animation)

from conftest import QUAD, action

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args, timeout=120):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _gif_frames(path):
    from PIL import Image

    with Image.open(path) as im:
        return im.n_frames, im.size


def test_frame_steps_are_0_k_2k_to_n():
    s = AnimationSettings(steps_per_frame=10)
    assert s.frame_steps(40).tolist() == [0, 10, 20, 30, 40]  # N/K + 1 frames
    assert s.frame_steps(45).tolist() == [0, 10, 20, 30, 40, 45]  # the last step always
    s = AnimationSettings(first_step=5, steps_per_frame=5)
    assert s.frame_steps(20).tolist() == [5, 10, 15, 20]


@pytest.mark.parametrize("settings, out, problem", [
    (AnimationSettings(), "race.avi", "--out"),
    (AnimationSettings(size=(100000, 720)), "race.gif", "--size"),
    (AnimationSettings(size=(10, 10)), "race.gif", "--size"),
    (AnimationSettings(fps=0), "race.gif", "--fps"),
    (AnimationSettings(fps=1000), "race.gif", "--fps"),
    (AnimationSettings(layout="both"), "race.gif", "--layout"),
    (AnimationSettings(last_step=41), "race.gif", "--steps"),
    (AnimationSettings(steps_per_frame=0), "race.gif", "--steps-per-frame"),
])
def test_settings_out_of_range_are_refused(settings, out, problem):
    with pytest.raises(AnimationError, match=problem):
        check_settings(settings, out, 40)


def test_too_many_frames_are_refused_before_any_work():
    with pytest.raises(AnimationError, match="frames is more than the limit"):
        check_settings(AnimationSettings(steps_per_frame=1), "race.gif", 10**6)


def test_cli_gif_has_requested_frames_and_size(tmp_path):
    exp = tmp_path / "quad.toml"
    exp.write_text(QUAD)
    out = tmp_path / "race.gif"
    r = _cli("animate", str(exp), "--out", str(out), "--size", "320x180",
             "--steps-per-frame", "10", "--fps", "10")
    assert r.returncode == 0, r.stderr
    assert _gif_frames(out) == (5, (320, 180))  # steps 0, 10, 20, 30, 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quad.toml", "race.gif"]


def test_cli_mp4_full_layout(tmp_path):
    import imageio.v2 as imageio

    out = tmp_path / "race.mp4"
    r = _cli("animate", "--preset", "quadratic-step-sizes", "--out", str(out), "--size",
             "640x360", "--steps", "30", "--steps-per-frame", "3", "--layout", "full")
    assert r.returncode == 0, r.stderr
    reader = imageio.get_reader(str(out))
    try:
        assert reader.count_frames() == 11
        assert reader.get_data(0).shape == (360, 640, 3)
    finally:
        reader.close()


@pytest.mark.parametrize("args, words", [
    (["--out", "x.gif", "--fps", "0"], "--fps"),
    (["--out", "x.gif", "--size", "huge"], "--size"),
    (["--out", "x.mov"], "--out"),
    (["--out", "x.gif", "--steps", "-3"], "--steps"),
])
def test_cli_refuses_bad_options_in_one_line(tmp_path, args, words):
    r = _cli("animate", "--preset", "warmup", *args)
    assert r.returncode == 2
    assert words in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_animation_pixels_change_with_the_race(qapp, tmp_path):
    from PIL import Image

    out = tmp_path / "race.gif"
    render_animation(loads(QUAD), out, AnimationSettings(size=(320, 200), steps_per_frame=20))
    with Image.open(out) as im:
        first = np.asarray(im.convert("RGB")).copy()
        im.seek(im.n_frames - 1)
        last = np.asarray(im.convert("RGB")).copy()
    assert first.shape == (200, 320, 3)
    assert (first != last).any(axis=-1).sum() > 50  # the paths grew and the caption changed


def test_cancel_leaves_no_file(qapp, tmp_path):
    out = tmp_path / "race.mp4"
    seen = []

    def progress(done, total):
        seen.append(done)
        return done < 2

    with pytest.raises(AnimationCancelled):
        render_animation(loads(QUAD), out, AnimationSettings(size=(320, 180),
                                                             steps_per_frame=5), progress)
    assert seen == [1, 2]
    assert list(tmp_path.iterdir()) == []


def _answer_options(qtbot, first=0, per_frame=10, size_index=0):
    """Fill the modal options dialog once it shows, then click Export…"""
    def fill():
        from gui.animation_dialog import AnimationOptions

        dlg = QApplication.activeModalWidget()
        assert isinstance(dlg, AnimationOptions)
        dlg.first.setValue(first)
        dlg.per_frame.setValue(per_frame)
        dlg.size_box.setCurrentIndex(size_index)
        dlg.layout_box.setCurrentIndex(0)
        qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)
    QTimer.singleShot(100, fill)


def test_gui_export_animation_writes_the_requested_frames(qtbot, win, dialogs, tmp_path):
    out = tmp_path / "gui.gif"
    dialogs.paths.append(str(out))
    _answer_options(qtbot, per_frame=10)
    action(win, "Export animation (GIF/MP4)…").trigger()
    exporter = win._animation_export
    with qtbot.waitSignal(exporter.finished, timeout=90_000) as blocker:
        pass
    assert blocker.args[0] is True, blocker.args
    assert _gif_frames(out) == (5, (640, 360))
    assert "Wrote" in win.statusBar().currentMessage()


def test_gui_cancel_leaves_no_file(qtbot, make_window, dialogs, tmp_path):
    win = make_window(QUAD.replace("steps = 40", "steps = 2000"))
    out = tmp_path / "gui.mp4"
    dialogs.paths.append(str(out))
    _answer_options(qtbot, per_frame=1, size_index=2)
    action(win, "Export animation (GIF/MP4)…").trigger()
    exporter = win._animation_export
    qtbot.waitUntil(lambda: exporter.dialog.value() >= 1, timeout=60_000)
    with qtbot.waitSignal(exporter.finished, timeout=30_000) as blocker:
        qtbot.mouseClick(exporter.dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
    assert blocker.args[0] is False
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".mp4"] == []


def test_notes_show_in_the_animation_frames(qapp):
    from gui.animation import RaceCanvas

    exp = loads(QUAD + '\n[[notes]]\nstep = 20\ntext = "Adam overtakes here"\n')
    sim = exp.simulation()
    sim.run_to(40)
    canvas = RaceCanvas(exp, sim, (320, 200), "map")
    try:
        canvas.frame(0, 40)
        assert canvas.notes.texts() == []
        canvas.frame(20, 40)
        assert canvas.notes.texts() == ["Adam overtakes here"]
    finally:
        canvas.close()


def test_full_layout_of_a_data_surface_draws_each_runs_model(qapp):
    from gui.animation import RaceCanvas

    exp = load(preset_path("batch-size"))
    sim = exp.simulation()
    sim.run_to(20)
    canvas = RaceCanvas(exp, sim, (960, 540), "full")
    try:
        assert canvas.model is not None
        canvas.frame(20, 20)
        theta = sim.history(0).theta[20]  # the full batch's line at step 20
        line = canvas.model.drawn_curves()[0]
        xs = line[:, 0]
        assert np.allclose(line[:, 1], theta[0] * xs + theta[1], rtol=1e-12)  # ŷ = w·x + b
    finally:
        canvas.close()


def test_gif_palette_keeps_every_run_colour_exactly(qapp, tmp_path):
    from PIL import Image

    from gui.colors import run_color

    out = tmp_path / "race.gif"
    render_animation(loads(QUAD), out, AnimationSettings(size=(320, 200), steps_per_frame=20))
    with Image.open(out) as im:
        pal = np.array(im.getpalette()[: 3 * 256]).reshape(-1, 3)
    for i in range(2):
        c = run_color(i).lstrip("#")
        rgb = [int(c[k:k + 2], 16) for k in (0, 2, 4)]
        assert (pal == rgb).all(axis=1).any(), run_color(i)
