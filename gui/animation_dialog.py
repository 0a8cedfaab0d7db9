"""File → Export animation…: the race as a GIF or MP4, for slides.

The dialog collects the options (the map alone or map + plots, the step range, steps per
frame, frames per second, the size) and the export runs ``main.py animate`` in a separate
process, so the app stays responsive: its ``frame I/N`` lines drive a progress dialog whose
Cancel stops the process, which then removes its partial file (nothing is left behind).
"""
from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QProcess, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
                               QLabel, QProgressDialog, QSpinBox, QWidget)

from gui.animation import (DEFAULT_FRAMES, MAX_FPS, MAX_FRAMES, AnimationError,
                           AnimationSettings, check_settings)

SIZES = (("640 × 360 (small GIF)", (640, 360)), ("1280 × 720 (HD)", (1280, 720)),
         ("1920 × 1080 (full HD)", (1920, 1080)))
ANIMATION_FILTER = "MP4 video (*.mp4);;GIF animation (*.gif)"


class AnimationOptions(QDialog):
    """The options of one animation export; ``settings()`` reads them."""

    def __init__(self, steps: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.steps = max(1, int(steps))
        form = QFormLayout(self)
        self.layout_box = QComboBox()
        self.layout_box.addItem("Map only", "map")
        self.layout_box.addItem("Map and step plots", "full")
        self.layout_box.setToolTip("What each frame shows")
        form.addRow("&Show:", self.layout_box)
        row = QHBoxLayout()
        self.first = QSpinBox()
        self.last = QSpinBox()
        for box in (self.first, self.last):
            box.setRange(0, min(self.steps, 2**31 - 1))
            box.setGroupSeparatorShown(True)
        self.first.setValue(0)
        self.last.setRange(1, min(self.steps, 2**31 - 1))
        self.last.setValue(min(self.steps, 2**31 - 1))
        self.first.setToolTip("The first step drawn")
        self.last.setToolTip("The last step drawn (at most the experiment's step limit)")
        row.addWidget(self.first)
        row.addWidget(QLabel("to"))
        row.addWidget(self.last, 1)
        form.addRow("&Steps:", row)
        self.per_frame = QSpinBox()
        self.per_frame.setRange(1, min(self.steps, 2**31 - 1))
        self.per_frame.setGroupSeparatorShown(True)
        self.per_frame.setValue(max(1, math.ceil(self.steps / (DEFAULT_FRAMES - 1))))
        self.per_frame.setToolTip("Steps between two frames: larger values make a shorter "
                                  f"animation (at most {MAX_FRAMES:,} frames)")
        form.addRow("Steps per &frame:", self.per_frame)
        self.fps = QSpinBox()
        self.fps.setRange(1, MAX_FPS)
        self.fps.setValue(30)
        self.fps.setSuffix(" fps")
        form.addRow("Frames per s&econd:", self.fps)
        self.size_box = QComboBox()
        for text, size in SIZES:
            self.size_box.addItem(text, size)
        self.size_box.setCurrentIndex(1)
        form.addRow("Si&ze:", self.size_box)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        form.addRow(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export…")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        for box in (self.first, self.last, self.per_frame, self.fps):
            box.valueChanged.connect(self._update_summary)
        self._update_summary()

    def settings(self) -> AnimationSettings:
        return AnimationSettings(fps=self.fps.value(), size=self.size_box.currentData(),
                                 first_step=self.first.value(), last_step=self.last.value(),
                                 steps_per_frame=self.per_frame.value(),
                                 layout=self.layout_box.currentData())

    def problem(self) -> str:
        """Why these settings cannot be exported ('' when they can)."""
        try:
            check_settings(self.settings(), "x.mp4", self.steps)
        except AnimationError as exc:
            return str(exc).split(": ", 1)[-1]
        return ""

    def _update_summary(self) -> None:
        s = self.settings()
        problem = self.problem()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not problem)
        if problem:
            self.summary.setText(f"<span style='color:#b00020'>{problem}</span>")
            return
        frames = len(s.frame_steps(s.last_step))
        self.summary.setText(f"{frames:,} frames, {frames / s.fps:.1f} s at {s.fps} fps")


class AnimationExport(QWidget):
    """Runs one export in a child process with a progress dialog; ``finished(ok, message)``."""

    finished = Signal(bool, str)

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.hide()
        self.process: QProcess | None = None
        self._tmp: Path | None = None
        self._cancelled = False
        self._err = ""

    def start(self, toml_text: str, out: str, settings: AnimationSettings) -> None:
        fd = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, encoding="utf-8")
        with fd:
            fd.write(toml_text)
        self._tmp = Path(fd.name)
        args = ["-m", "engine.cli", "animate", str(self._tmp), "--out", out, "--progress",
                "--fps", str(settings.fps), "--size", f"{settings.size[0]}x{settings.size[1]}",
                "--first-step", str(settings.first_step), "--layout", settings.layout]
        if settings.last_step is not None:
            args += ["--steps", str(settings.last_step)]
        if settings.steps_per_frame is not None:
            args += ["--steps-per-frame", str(settings.steps_per_frame)]
        self.dialog = QProgressDialog("Drawing the animation…", "Cancel", 0, 0, self.parentWidget())
        self.dialog.setWindowTitle("Export animation")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.canceled.connect(self.cancel)
        self.process = QProcess(self)
        self.process.setWorkingDirectory(str(Path(__file__).resolve().parent.parent))
        self.process.readyReadStandardError.connect(self._on_stderr)
        self.process.finished.connect(self._on_finished)
        self._cancelled, self._err = False, ""
        self.process.start(sys.executable, args)
        self.dialog.show()

    def cancel(self) -> None:
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self._cancelled = True
            self.process.terminate()  # the child stops after its current frame and cleans up
            proc = self.process
            # with the process as context: dropped if the process is deleted before it fires
            QTimer.singleShot(10_000, proc,
                              lambda: proc.state() != QProcess.ProcessState.NotRunning
                              and proc.kill())

    def is_running(self) -> bool:
        return self.process is not None and \
            self.process.state() != QProcess.ProcessState.NotRunning

    def _on_stderr(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.startswith("frame ") and "/" in line:
                done, total = line[6:].split("/", 1)
                try:
                    self.dialog.setMaximum(int(total))
                    self.dialog.setValue(int(done))
                    self.dialog.setLabelText(f"Drawing frame {int(done):,} of {int(total):,}…")
                except ValueError:
                    pass
            elif line.strip():
                self._err = line.strip()

    def _on_finished(self, code: int, _status) -> None:
        self._on_stderr()
        self.dialog.reset()
        self.dialog.hide()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
        if self._cancelled:
            self.finished.emit(False, "Animation export cancelled; no file written")
        elif code == 0:
            self.finished.emit(True, "")
        else:
            self.finished.emit(False, self._err.removeprefix("error: ") or
                               f"the export stopped with status {code}")


def export_animation_dialog(window) -> None:
    """File → Export animation…: ask for the options and a file name, then export."""
    exporter = getattr(window, "_animation_export", None)
    if exporter is not None and exporter.is_running():
        window.statusBar().showMessage("An animation export is already running", 5000)
        return
    if window.simulation() is None:
        window.dialogs.error(window, "Export animation", f"Nothing to export: {window.problem}")
        return
    window.pause()
    exp = window.experiment()
    opts = AnimationOptions(exp.steps, window)
    if opts.exec() != QDialog.DialogCode.Accepted:
        return
    path = window.dialogs.save_path(window, "Export animation",
                                    f"{window._suggested_stem()}.mp4", ANIMATION_FILTER)
    if not path:
        return
    if not path.lower().endswith((".gif", ".mp4")):
        path += ".mp4"
    if exporter is None:
        exporter = window._animation_export = AnimationExport(window)
        exporter.finished.connect(lambda ok, msg: _done(window, ok, msg))
    exporter.out = path
    exporter.start(exp.to_toml(), path, opts.settings())


def _done(window, ok: bool, message: str) -> None:
    exporter = window._animation_export
    if ok:
        window.statusBar().showMessage(f"Wrote {exporter.out}", 8000)
    elif message.startswith("Animation export cancelled"):
        window.statusBar().showMessage(message, 8000)
    else:
        window.dialogs.error(window, "Export animation failed", message)


def install_animation_export(window) -> None:
    """Add File → Export animation… (Ctrl+Shift+E) after the image exports."""
    from PySide6.QtGui import QAction, QKeySequence

    file_menu = window.file_menu
    act = QAction("Export &animation (GIF/MP4)…", window)
    act.setShortcut(QKeySequence("Ctrl+Shift+E"))
    act.setStatusTip("The race as a GIF or MP4 for slides: map alone or with the plots")
    act.triggered.connect(lambda checked=False: export_animation_dialog(window))
    quit_action = next((a for a in file_menu.actions() if a.text().replace("&", "") == "Quit"),
                       None)
    separator = None
    if quit_action is not None:
        actions = file_menu.actions()
        idx = actions.index(quit_action)
        separator = actions[idx - 1] if idx and actions[idx - 1].isSeparator() else quit_action
    file_menu.insertAction(separator, act) if separator is not None else file_menu.addAction(act)
    window.addAction(act)
    window.export_animation_action = act
