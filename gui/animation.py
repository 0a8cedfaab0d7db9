"""Animations of the race (GIF or MP4), drawn offscreen by Qt: one frame at each of the steps
``first, first + K, …, last`` (so (last − first)/K + 1 frames when K divides the range; the last
step is always drawn).

``render_animation(exp, out, settings, progress)`` runs the experiment to the last step, then
draws every frame with the app's own map (and, with ``layout="full"``, its step plots) into a
widget of exactly the requested size and hands the frames to a writer:

* GIF: Pillow, one palette for the whole animation taken from the first frame and no
  dithering, so consecutive frames differ only where the paths grew and the file stays small;
* MP4: imageio with imageio-ffmpeg (H.264, yuv420p, which every player and slide program reads).

With ``layout="full"`` a data-defined surface also shows its model (the line or decision
boundary of every run at the step drawn), above the step plots.

The file is written to a temporary name beside the target and renamed at the end: a cancelled
or failed export leaves no file behind. Every count is checked before any frame is drawn
(``check_settings``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from gui.colors import hex_rgb

FORMATS = (".gif", ".mp4")
LAYOUTS = ("map", "full")
MIN_SIZE, MAX_SIZE = (160, 90), (3840, 2160)
MAX_FPS = 60
MAX_FRAMES = 3000  # 100 s at 30 frames per second
DEFAULT_FRAMES = 300  # without --steps-per-frame: about 10 s at 30 frames per second
GIF_COLORS = 256


class AnimationError(ValueError):
    """Invalid animation settings: ``str()`` is one line naming the option and the problem."""


@dataclass(frozen=True)
class AnimationSettings:
    """What to draw. ``last_step`` None: the experiment's steps; ``steps_per_frame`` None: as
    many as keep the animation at about ``DEFAULT_FRAMES`` frames."""

    fps: int = 30
    size: tuple[int, int] = (1280, 720)
    first_step: int = 0
    last_step: int | None = None
    steps_per_frame: int | None = None
    layout: str = "map"

    def frame_steps(self, last: int) -> np.ndarray:
        """The steps drawn, first..last every K steps, the last step always included."""
        k = self.stride(last)
        steps = np.arange(self.first_step, last + 1, k, dtype=np.int64)
        if steps[-1] != last:
            steps = np.append(steps, last)
        return steps

    def stride(self, last: int) -> int:
        if self.steps_per_frame is not None:
            return self.steps_per_frame
        return max(1, math.ceil((last - self.first_step) / (DEFAULT_FRAMES - 1)))


def parse_size(text: str) -> tuple[int, int]:
    """'1280x720' → (1280, 720); AnimationError naming the problem otherwise."""
    from engine.arguments import parse_pair

    pair = parse_pair(text)
    if pair is None:
        raise AnimationError(f"--size: expected WIDTHxHEIGHT such as 1280x720, got {text!r}")
    return pair


def check_settings(settings: AnimationSettings, out: str | Path, max_step: int) -> int:
    """Raise AnimationError (one line) for any setting out of its documented range; returns
    the last step. ``max_step`` is the experiment's step limit."""
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise AnimationError(f"--out: the file must end in .gif or .mp4, got {str(out)!r}")
    w, h = settings.size
    if not (MIN_SIZE[0] <= w <= MAX_SIZE[0] and MIN_SIZE[1] <= h <= MAX_SIZE[1]):
        raise AnimationError(f"--size: must be between {MIN_SIZE[0]}x{MIN_SIZE[1]} and "
                             f"{MAX_SIZE[0]}x{MAX_SIZE[1]}, got {w}x{h}")
    if not 1 <= settings.fps <= MAX_FPS:
        raise AnimationError(f"--fps: must be between 1 and {MAX_FPS}, got {settings.fps}")
    if settings.layout not in LAYOUTS:
        raise AnimationError(f"--layout: must be map or full, got {settings.layout!r}")
    last = max_step if settings.last_step is None else settings.last_step
    if last < 1:
        raise AnimationError(f"--steps: must be ≥ 1, got {last}")
    if last > max_step:
        raise AnimationError(f"--steps: must be at most the experiment's limit "
                             f"{max_step:,}, got {last:,}")
    if not 0 <= settings.first_step < last:
        raise AnimationError(f"first step: must be between 0 and {last - 1}, "
                             f"got {settings.first_step}")
    k = settings.steps_per_frame
    if k is not None and k < 1:
        raise AnimationError(f"--steps-per-frame: must be ≥ 1, got {k}")
    frames = (last - settings.first_step) // settings.stride(last) + 1
    if frames > MAX_FRAMES:
        raise AnimationError(f"--steps-per-frame: {frames:,} frames is more than the limit of "
                             f"{MAX_FRAMES:,}; draw every {math.ceil((last - settings.first_step) / (MAX_FRAMES - 1)):,} "
                             "steps or more")
    return last


# ---------------------------------------------------------------------------------- writers
class _GifWriter:
    """All frames share the first frame's palette (the surface dominates every frame)."""

    def __init__(self, path: str, fps: int):
        self.path, self.duration = path, max(20, round(1000 / fps))
        self.frames: list = []
        self.palette = None

    def prepare(self, rgb: np.ndarray, colors=()) -> None:
        """Take the palette from ``rgb``, the last frame, with a band of every run's exact
        colour added, so each run keeps its colour however few pixels it covers."""
        from PIL import Image

        if colors:
            band = np.repeat(np.array([hex_rgb(c) for c in colors], dtype=np.uint8),
                             max(1, rgb.shape[1] // len(colors)), axis=0)[: rgb.shape[1]]
            band = np.broadcast_to(band[None, :, :], (max(8, rgb.shape[0] // 10),) + band.shape)
            rgb = np.concatenate([rgb[:, : band.shape[1]], band], axis=0)
        self.palette = Image.fromarray(np.ascontiguousarray(rgb), "RGB").quantize(
            colors=GIF_COLORS, method=Image.Quantize.MEDIANCUT)

    def append(self, rgb: np.ndarray) -> None:
        from PIL import Image

        img = Image.fromarray(rgb, "RGB")
        if self.palette is None:
            self.prepare(rgb)
        self.frames.append(img.quantize(palette=self.palette, dither=Image.Dither.NONE))

    def close(self) -> None:
        if not self.frames:
            return
        first, rest = self.frames[0], self.frames[1:]
        first.save(self.path, format="GIF", save_all=True, append_images=rest,
                   duration=self.duration, loop=0, optimize=False, disposal=1)

    def abort(self) -> None:
        self.frames = []


class _Mp4Writer:
    def __init__(self, path: str, fps: int):
        import imageio.v2 as imageio

        self.writer = imageio.get_writer(path, format="FFMPEG", mode="I", fps=fps,
                                         codec="libx264", pixelformat="yuv420p", quality=8,
                                         macro_block_size=2, ffmpeg_log_level="error")

    def prepare(self, rgb: np.ndarray, colors=()) -> None:
        pass

    def append(self, rgb: np.ndarray) -> None:
        self.writer.append_data(rgb)

    def close(self) -> None:
        self.writer.close()

    def abort(self) -> None:
        try:
            self.writer.close()
        except Exception:  # noqa: BLE001 (the partial file is removed anyway)
            pass



def _writer(path: str, fps: int):
    return _GifWriter(path, fps) if path.lower().endswith(".gif") else _Mp4Writer(path, fps)


# ---------------------------------------------------------------------------------- frames
class RaceCanvas:
    """The widgets one frame is drawn from: a caption, the map, and (``full``) the step
    plots, laid out in a widget of exactly ``size`` pixels that is never shown."""

    def __init__(self, exp, sim, size: tuple[int, int], layout: str):
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

        from engine.optimizers import OPTIMIZERS
        from gui.colors import run_color
        from gui.map_view import MapView
        from gui.plots import RunPlots, RunStyle

        self.sim = sim
        self.widget = QWidget()
        self.widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.widget.setStyleSheet("background: white;")
        self.widget.setFixedSize(*size)
        outer = QVBoxLayout(self.widget)
        outer.setContentsMargins(8, 4, 8, 4)
        outer.setSpacing(2)
        self.caption = QLabel()
        font = self.caption.font()
        font.setPointSizeF(max(9.0, size[1] / 55))
        self.caption.setFont(font)
        self.caption.setStyleSheet("color: #111111;")
        outer.addWidget(self.caption)
        row = QHBoxLayout()
        outer.addLayout(row, 1)
        self.map_view = MapView()
        row.addWidget(self.map_view, 5)
        self.map_view.set_surface(sim.surface)
        enabled = [i for i, r in enumerate(exp.runs) if r.enabled]
        colors = self.colors = [run_color(i, exp.runs[i].color) for i in enabled]
        self.map_view.set_runs([r.label for r in sim.runs], colors, [r.start for r in sim.runs])
        for t in self.map_view.starts:
            t.movable = False
        self.plots = self.model = None
        if layout == "full":
            self.plots = RunPlots()
            self.plots.readout.hide()
            side = QVBoxLayout()
            if getattr(sim.surface, "model_kind", None):  # a data surface: its model too
                from gui.model_view import ModelView

                self.model = ModelView()
                self.model.set_surface(sim.surface)
                self.model.set_runs([r.label for r in sim.runs], colors, 0)
                side.addWidget(self.model, 1)
            side.addWidget(self.plots, 1)
            row.addLayout(side, 4)
            self.plots.set_runs([
                RunStyle(r.label, c, OPTIMIZERS[r.optimizer].has_sigma,
                         OPTIMIZERS[r.optimizer].has_lr,
                         OPTIMIZERS[r.optimizer].eff in ("adaptive", "delta"))
                for r, c in zip(sim.runs, colors)])
        self.title = exp.title or sim.surface.title or sim.surface.name
        from gui.notes_overlay import NotesOverlay

        self.notes = NotesOverlay(self.map_view)  # the experiment's guided notes, as in the app
        self.notes.set_notes(exp.notes, exp.steps)
        self.widget.ensurePolished()
        self.widget.adjustSize()
        self.widget.resize(*size)

    def frame(self, step: int, last: int) -> np.ndarray:
        """The RGB image (height, width, 3) of the race at ``step``."""
        from PySide6.QtWidgets import QApplication

        sim = self.sim
        self.caption.setText(f"{self.title}  —  step {step:,} of {last:,}")
        thetas = [sim.history(i).theta for i in range(sim.n)]
        self.map_view.update_frame(thetas, step)
        self.notes.show_step(step, thetas)
        if self.model is not None:  # each run's line or boundary at this step
            self.model.update_frame([t[min(step, len(t) - 1)] if len(t) else None
                                     for t in thetas], step)
        if self.plots is not None:  # the curves grow with the race
            self.plots.update_frame([sim.history(i, step) for i in range(sim.n)], step,
                                    exact=True)
        QApplication.processEvents()  # layouts and ranges settle before the grab
        image = self.widget.grab().toImage()
        return qimage_to_rgb(image)

    def close(self) -> None:
        """Delete the widgets now, while the QApplication exists (left to interpreter
        shutdown, Qt objects may be destroyed in an order that crashes)."""
        import gc

        from PySide6.QtCore import QCoreApplication, QEvent

        self.notes.clear()
        self.widget.close()
        self.widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.map_view = self.plots = self.model = self.notes = self.caption = None
        self.widget = None
        gc.collect()


def qimage_to_rgb(image) -> np.ndarray:
    """A QImage as an (h, w, 3) uint8 array (a copy)."""
    from PySide6.QtGui import QImage

    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return buf[:, : w * 3].reshape(h, w, 3).copy()


def render_animation(exp, out: str | Path, settings: AnimationSettings,
                     progress: Callable[[int, int], bool] | None = None) -> int:
    """Draw the race of ``exp`` into ``out`` (.gif or .mp4); returns the number of frames.

    ``progress(done, total)`` is called after each frame; returning False cancels (raises
    ``AnimationCancelled``, nothing is written). Needs a QApplication (any platform,
    ``offscreen`` included).
    """
    from engine.atomic import atomic_path

    last = check_settings(settings, out, exp.steps)
    sim = exp.simulation()
    sim.run_to(last)
    steps = settings.frame_steps(last)
    w, h = (v - v % 2 for v in settings.size)  # H.264 wants even sizes
    canvas = RaceCanvas(exp, sim, (w, h), settings.layout)
    try:
        with atomic_path(out) as tmp:
            writer = _writer(str(tmp), settings.fps)
            try:
                writer.prepare(canvas.frame(last, last), canvas.colors)
                for i, step in enumerate(steps):
                    writer.append(canvas.frame(int(step), last))
                    if progress is not None and progress(i + 1, len(steps)) is False:
                        raise AnimationCancelled(f"cancelled after {i + 1} of {len(steps)} frames")
                writer.close()
            except BaseException:
                writer.abort()
                raise
    finally:
        canvas.close()
    return len(steps)


class AnimationCancelled(RuntimeError):
    """The export was cancelled; no file was written."""
