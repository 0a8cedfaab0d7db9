"""Playback: a frame-budgeted stepper (no Qt) and the playback bar (buttons, speed, step
limit, timeline, run status).

``Stepper.advance_frame`` moves a Simulation by one frame's steps, in chunks sized from the
measured cost per step, and stops once about ``budget`` seconds are spent, the step limit or
the next pausing note is reached, so a frame's work stays bounded at any speed. At the Auto
speed a frame's steps follow the measured time between frames, so the whole run plays in
about ``TARGET_S`` seconds.
"""
from __future__ import annotations

import html
import time
from typing import Sequence

from gui.speed_control import AUTO, TARGET_S, SpeedCombo

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider,
                               QSpinBox, QStyle, QStyleOptionSlider, QVBoxLayout, QWidget)

from engine.limits import MAX_STEPS  # the experiment's limit on steps

MAX_SPEED = 10_000
FRAME_BUDGET_S = 0.010
AUTO_BUDGET_S = 0.030     # stepping time per frame at the Auto speed, at least …
AUTO_SHARE = 0.5          # … or this share of the time between frames when frames are slow,
MAX_AUTO_BUDGET_S = 0.100  # … but never more than this (the window stays responsive)
MAX_FRAME_GAP_S = 0.5     # a longer pause between frames (a stall) counts as this long
LIVE_HZ = 20              # while playing, the timeline and step count update this often


class Stepper:
    """Advances a simulation frame by frame within a time budget (plain Python, no Qt).

    ``speed`` is the number of steps per frame, or ``AUTO``: then each frame takes as many
    steps as the time since the previous frame is worth at ``limit / target`` steps per
    second, so the whole run plays in about ``target`` seconds however long the frames take
    (slow frames take more steps each, and may spend up to half the time between frames,
    at most ``MAX_AUTO_BUDGET_S``, computing them). ``stops`` are steps a frame never goes past (notes
    that pause playback): a frame ends exactly on the next stop. ``clock`` is injectable.
    """

    def __init__(self, speed: int = AUTO, limit: int = 1000, budget: float = FRAME_BUDGET_S,
                 clock=time.perf_counter, target: float = TARGET_S,
                 auto_budget: float = AUTO_BUDGET_S):
        self.speed, self.limit, self.budget, self.clock = speed, limit, budget, clock
        self.target, self.auto_budget = target, auto_budget
        self.stops: tuple[int, ...] = ()
        self._seconds_per_step = 2e-5
        self._last_frame: float | None = None
        self._credit = 0.0
        self._gap = 0.0

    def remaining(self, sim) -> int:
        return max(0, self.limit - sim.step) if sim.live.any() else 0

    def start(self) -> None:
        """Playback (re)starts: the next frame's time is measured from now."""
        self._last_frame = self.clock()
        self._credit = 0.0

    def rate(self) -> float:
        """Steps per second at the Auto speed."""
        return max(int(self.limit), 1) / self.target

    def next_stop(self, sim) -> int | None:
        """The first stop after the simulation's current step (None: none ahead)."""
        later = [s for s in self.stops if s > sim.step]
        return min(later) if later else None

    def at_stop(self, sim) -> bool:
        return sim.step in self.stops

    def frame_steps(self) -> int:
        """Steps this frame should take (before the limit, the stops and the budget)."""
        if self.speed != AUTO:
            return int(self.speed)
        now = self.clock()
        if self._last_frame is None:
            self._last_frame = now
        gap = self._gap = min(max(now - self._last_frame, 0.0), MAX_FRAME_GAP_S)
        self._last_frame = now
        self._credit = min(self._credit + gap * self.rate(), self.rate() * MAX_FRAME_GAP_S)
        return int(self._credit)

    def advance_frame(self, sim) -> int:
        """Advance ``sim`` by this frame's steps (never past ``limit`` or the next stop)
        within the budget. Returns the steps done (0 when finished: limit reached or every
        run stopped; at the Auto speed also when less than a step is due yet)."""
        want = min(self.frame_steps(), self.remaining(sim))
        stop = self.next_stop(sim)
        if stop is not None:
            want = min(want, stop - sim.step)
        budget = self.budget
        if self.speed == AUTO:  # slow frames: the steps they owe may take longer to compute
            budget = min(max(self.auto_budget, AUTO_SHARE * self._gap), MAX_AUTO_BUDGET_S)
        done, t0 = 0, self.clock()
        while done < want:
            spent = self.clock() - t0
            if done and spent >= budget:
                break
            chunk = int((budget - spent) / self._seconds_per_step)
            chunk = max(1, min(chunk, want - done))
            t1 = self.clock()
            did = sim.advance(chunk)
            dt = self.clock() - t1
            if did:
                self._seconds_per_step = 0.5 * self._seconds_per_step + 0.5 * max(dt / did, 1e-7)
            done += did
            if did < chunk:  # every run stopped
                break
        if self.speed == AUTO:
            self._credit = max(self._credit - done, 0.0)
        return done


class JumpSlider(QSlider):
    """A slider whose track jumps to the clicked value (a plain QSlider moves one page per
    click); the handle can then be dragged on in the same press."""

    def mousePressEvent(self, event):  # noqa: N802 (Qt)
        if event.button() == Qt.MouseButton.LeftButton and self.maximum() > self.minimum():
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                                 QStyle.SubControl.SC_SliderHandle, self)
            if not handle.contains(event.position().toPoint()):
                groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                                     QStyle.SubControl.SC_SliderGroove, self)
                if self.orientation() == Qt.Orientation.Horizontal:
                    span = groove.width() - handle.width()
                    pos = event.position().x() - groove.x() - handle.width() / 2
                else:
                    span = groove.height() - handle.height()
                    pos = event.position().y() - groove.y() - handle.height() / 2
                value = QStyle.sliderValueFromPosition(
                    self.minimum(), self.maximum(), int(round(pos)), max(int(span), 1),
                    opt.upsideDown)
                self.setValue(value)
                # the handle is under the pointer now: the same press can drag it on
        super().mousePressEvent(event)


class GrowingLabel(QLabel):
    """A label of fixed size that only grows: as wide as the widest of ``widest`` and the
    texts it has shown (sized again when its font changes, e.g. with the zoom). A new text
    that fits repaints the label only: a label that may change size makes every layout up
    to the window's be redone at each new text, the docks included (while playing, 20
    times a second)."""

    def __init__(self, widest: str, text: str = "", parent: QWidget | None = None):
        super().__init__(text, parent)
        self._widest = widest
        self._fit(reset=True)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt)
        super().setText(text)
        self._fit()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit(reset=True)

    def _fit(self, reset: bool = False) -> None:
        m = self.contentsMargins()
        fm = self.fontMetrics()
        w = max(fm.horizontalAdvance(self._widest), fm.horizontalAdvance(self.text()))
        w += 6 + m.left() + m.right() + 2 * self.margin()
        h = fm.height() + m.top() + m.bottom() + 2 * self.margin()
        if reset or w > self.maximumWidth() or h != self.maximumHeight():
            self.setFixedSize(w if reset else max(w, self.maximumWidth()), h)


class PlaybackBar(QWidget):
    """Play/Pause, Step, Reset, speed, step limit, current step, timeline and run status.

    Signals: ``playClicked``, ``stepClicked``, ``resetClicked``, ``speedChanged(int)``,
    ``limitChanged(int)``, ``timelineMoved(int)`` (the user scrubbed to a step).
    """

    playClicked = Signal()
    stepClicked = Signal()
    resetClicked = Signal()
    speedChanged = Signal(int)
    limitChanged = Signal(int)
    timelineMoved = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.play_button = QPushButton("▶ Play", self)
        self.play_button.setToolTip("Play / pause the race (Space)")
        self.step_button = QPushButton("Step ›", self)
        self.step_button.setToolTip("Advance every run by exactly one step (→)")
        self.reset_button = QPushButton("⟲ Reset", self)
        self.reset_button.setToolTip("Back to step 0 (R)")
        for b in (self.play_button, self.step_button, self.reset_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space and → stay window shortcuts
        self.play_button.setMinimumWidth(self.play_button.fontMetrics().horizontalAdvance(
            "❚❚ Pause") + 24)
        self.speed_combo = SpeedCombo(self)
        self.limit_spin = QSpinBox(self)
        self.limit_spin.setRange(1, MAX_STEPS)
        self.limit_spin.setGroupSeparatorShown(True)
        self.limit_spin.setToolTip("Playback stops at this step (the experiment's 'steps')")
        self.limit_spin.setKeyboardTracking(False)
        self.step_label = GrowingLabel("step 1,000,000 of 1,000,000", "step 0", self)
        self.timeline = JumpSlider(Qt.Orientation.Horizontal, self)
        self.timeline.setRange(0, 0)
        self.timeline.setToolTip("Scrub back to any recorded step: click or drag")
        self._newest, self._limit = 0, 0
        self._shown_at = -1.0  # when the timeline was last redrawn (set_position)
        self.status_label = QLabel(self)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.setWordWrap(True)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Preferred)

        row1 = QHBoxLayout()
        row1.setContentsMargins(0, 0, 0, 0)
        for w in (self.play_button, self.step_button, self.reset_button):
            row1.addWidget(w)
        row1.addSpacing(12)
        row1.addWidget(QLabel("Speed", self))
        row1.addWidget(self.speed_combo)
        row1.addSpacing(12)
        row1.addWidget(QLabel("Stop at step", self))
        row1.addWidget(self.limit_spin)
        row1.addStretch(1)
        row2 = QHBoxLayout()
        row2.setContentsMargins(0, 0, 0, 0)
        row2.addWidget(self.step_label)
        row2.addWidget(self.timeline, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        lay.setSpacing(2)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addWidget(self.status_label)

        self.play_button.clicked.connect(self.playClicked)
        self.step_button.clicked.connect(self.stepClicked)
        self.reset_button.clicked.connect(self.resetClicked)
        self.speed_combo.speedChanged.connect(self.speedChanged)
        self.limit_spin.valueChanged.connect(self.limitChanged)
        self.timeline.valueChanged.connect(self._on_timeline)
        self.set_speed(AUTO)

    # ------------------------------------------------------------------ state in
    def set_speed(self, speed: int) -> None:
        """``AUTO`` (0) or a fixed number of steps per frame; emits ``speedChanged``."""
        self.speed_combo.set_speed(speed)

    def speed(self) -> int:
        return self.speed_combo.speed()

    def set_limit(self, steps: int) -> None:
        self.limit_spin.blockSignals(True)
        self.limit_spin.setValue(int(steps))
        self.limit_spin.blockSignals(False)

    def set_playing(self, playing: bool) -> None:
        self.play_button.setText("❚❚ Pause" if playing else "▶ Play")

    def set_runnable(self, ok: bool) -> None:
        self.play_button.setEnabled(ok)
        self.step_button.setEnabled(ok)

    def set_position(self, shown: int, newest: int, limit: int, live: bool = False) -> None:
        """The timeline spans 0..newest with the handle at ``shown``; ``newest`` and
        ``limit`` also tell ``set_status`` whether the step limit has been reached.
        ``live`` (while playing): the timeline and step count are redrawn at most
        ``LIVE_HZ`` times a second (the next call that is not live shows the last)."""
        self._newest, self._limit = int(newest), int(limit)
        now = time.perf_counter()
        if live and now - self._shown_at < 1.0 / LIVE_HZ:
            return
        self._shown_at = now
        self.timeline.blockSignals(True)
        self.timeline.setRange(0, max(newest, 0))
        self.timeline.setValue(shown)
        self.timeline.blockSignals(False)
        if shown == newest:
            self.step_label.setText(f"step {newest:,} / {limit:,}")
        else:
            self.step_label.setText(f"step {shown:,} of {newest:,}")

    def set_status(self, labels: Sequence[str], colors: Sequence[str],
                   statuses: Sequence[str], problem: str = "") -> None:
        """One coloured entry per run: running / converged at step k / diverged at step k /
        finished at step k; ``problem`` (why nothing can run) is shown in red instead when
        given. A run still "running" when the simulation has reached the step limit of
        ``set_position`` is shown as "finished at step <limit>", as the command line does."""
        if problem:
            self.status_label.setText(
                f"<span style='color:#c00000'><b>Cannot run:</b> {html.escape(problem)}</span>")
            return
        parts = []
        for label, color, status in zip(labels, colors, statuses):
            if status.startswith("diverged"):
                st = f"<b style='color:#c00000'>✗ {html.escape(status)}</b>"
            elif status.startswith("converged"):
                st = f"<b style='color:#007a33'>✓ {html.escape(status)}</b>"
            else:
                if status == "running" and self._limit and self._newest >= self._limit:
                    status = f"finished at step {self._newest}"
                st = html.escape(status)
            parts.append(f"<span style='color:{color}'>■</span> {html.escape(label)}: {st}")
        self.status_label.setText("&nbsp;&nbsp; ".join(parts))

    # ------------------------------------------------------------------ internals
    def _on_timeline(self, value: int) -> None:
        self.timelineMoved.emit(int(value))
