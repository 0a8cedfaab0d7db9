"""Guided notes on the map: a callout (a ring at the point, a leader line and a text box) for
each note visible at the shown step (``engine.notes.notes_at``).

``NotesOverlay(map_view)`` draws into any ``MapView`` through ``add_overlay``: give it the
notes with ``set_notes(notes, steps)`` and call ``show_step(step, thetas)`` whenever another
step is shown (``thetas``: each run's recorded path, for notes without ``at``). The main
window does so through ``install_notes(win)``; an exported animation can do the same with its
own map. The callout is drawn in pixels (it keeps its size whatever the zoom); its box sits
beside the point, on the side where it fits, and always inside the visible map.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from engine.notes import Note, note_anchor, notes_at, pause_steps

BOX_WIDTH = 300       # the text box's width at most, in pixels
LEADER = 26           # the leader line's length along each axis, in pixels
PADDING = 7
RING = 6
INK = QColor("#111111")
PAPER = QColor(255, 253, 235, 238)
FRAME = QColor("#333333")


class NoteCallout(pg.GraphicsObject):
    """One callout at data point ``pos`` with ``text``; drawn in pixel units around it."""

    def __init__(self, text: str, pos: tuple[float, float], point_size: float = 10.0):
        super().__init__()
        self.text = text
        self.anchor = (float(pos[0]), float(pos[1]))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setZValue(60)  # above paths, markers and analysis arrows
        self.font = QFont()
        self.font.setPointSizeF(point_size)
        self._room = None
        self._layout()
        self.setPos(QPointF(*self.anchor))

    # ------------------------------------------------------------------ geometry
    def _text_size(self, width: float) -> tuple[float, float]:
        fm = QFontMetricsF(self.font)
        r = fm.boundingRect(QRectF(0, 0, max(width - 2 * PADDING, 40), 10_000),
                            int(Qt.TextFlag.TextWordWrap), self.text)
        return r.width() + 2 * PADDING, r.height() + 2 * PADDING

    def _layout(self, room: QRectF | None = None) -> None:
        """Place the box beside the point: to the right and above where it fits, else on the
        other side, else shifted to stay inside ``room`` (the view, in pixels around the
        point; None: unbounded)."""
        width = BOX_WIDTH if room is None else min(BOX_WIDTH, max(room.width() - 8, 60))
        w, h = self._text_size(width)
        if room is None:
            x, y = LEADER, -LEADER - h
        else:
            if room.right() - LEADER - w >= 0:
                x = LEADER
            elif room.left() + LEADER + w <= 0:
                x = -LEADER - w
            else:  # neither side has room: as far from the point as the view allows
                x = room.right() - w - 4 if room.right() > -room.left() else room.left() + 4
            if room.top() + LEADER + h <= 0:
                y = -LEADER - h
            elif room.bottom() - LEADER - h >= 0:
                y = LEADER
            else:
                y = room.top() + 4 if -room.top() > room.bottom() else room.bottom() - h - 4
        self.prepareGeometryChange()
        self.box = QRectF(x, y, w, h)
        # the leader runs from the point to the nearest point of the box
        self.corner = QPointF(min(max(0.0, x), x + w), min(max(0.0, y), y + h))
        self.update()

    def fit_into(self, room: QRectF) -> None:
        """Lay the box out inside ``room``: the view's rectangle in pixels relative to the
        point (so the point is at (0, 0))."""
        key = (round(room.left()), round(room.top()), round(room.right()), round(room.bottom()))
        if key != self._room:
            self._room = key
            self._layout(room)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt)
        ring = QRectF(-RING - 2, -RING - 2, 2 * RING + 4, 2 * RING + 4)
        return self.box.united(ring).adjusted(-2, -2, 2, 2)

    def dataBounds(self, axis, frac=1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph)
        v = self.anchor[axis]
        return v, v

    # ------------------------------------------------------------------ drawing
    def paint(self, p, *args) -> None:
        p.setRenderHint(p.RenderHint.Antialiasing, True)
        halo = QPen(QColor(255, 255, 255, 230), 4.5)
        ink = QPen(FRAME, 2)
        leader = QPainterPath(QPointF(0, 0))
        leader.lineTo(self.corner)
        for pen in (halo, ink):
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(QPointF(0, 0), RING, RING)
            p.drawPath(leader)
        p.setPen(QPen(FRAME, 1.5))
        p.setBrush(PAPER)
        p.drawRoundedRect(self.box, 5, 5)
        p.setPen(INK)
        p.setFont(self.font)
        p.drawText(self.box.adjusted(PADDING, PADDING, -PADDING, -PADDING),
                   int(Qt.TextFlag.TextWordWrap), self.text)


class NotesOverlay:
    """The callouts of the notes visible at the shown step of one map."""

    def __init__(self, map_view):
        self.map_view = map_view
        self.notes: tuple[Note, ...] = ()
        self.steps = 1
        self.callouts: list[NoteCallout] = []
        self._shown: tuple | None = None
        map_view.view_box.sigRangeChanged.connect(lambda *a: self._place())
        map_view.view_box.sigResized.connect(lambda *a: self._place())

    def set_notes(self, notes: Sequence[Note], steps: int) -> None:
        if tuple(notes) != self.notes or steps != self.steps:
            self.notes, self.steps = tuple(notes), int(steps)
            self.clear()

    def visible_notes(self, step: int) -> tuple[Note, ...]:
        return notes_at(self.notes, step, self.steps)

    def show_step(self, step: int, thetas: Sequence[np.ndarray] = ()) -> None:
        """Show the callouts of the notes visible at ``step``; ``thetas`` are the runs'
        paths (first run first) for notes that point at the first run."""
        groups: dict[tuple[float, float], list[str]] = {}
        for note in self.visible_notes(step):
            pos = note_anchor(note, thetas)
            if pos is not None:
                groups.setdefault(pos, []).append(note.text)
        key = tuple((pos, tuple(texts)) for pos, texts in groups.items())
        if key == self._shown:
            return
        self.clear()
        for pos, texts in groups.items():
            callout = NoteCallout("\n\n".join(texts), pos)
            self.map_view.add_overlay(callout)
            self.callouts.append(callout)
        self._shown = key
        self._place()

    def clear(self) -> None:
        for c in self.callouts:
            self.map_view.remove_overlay(c)
        self.callouts = []
        self._shown = None

    def texts(self) -> list[str]:
        """The texts of the callouts shown (for tests and the status bar)."""
        return [c.text for c in self.callouts]

    def _place(self) -> None:
        """Keep every box inside the visible map, beside its point."""
        if not self.callouts:
            return
        vb = self.map_view.view_box
        rect = vb.sceneBoundingRect()
        if rect.width() < 10 or rect.height() < 10:
            return
        for c in self.callouts:
            p = vb.mapViewToScene(QPointF(*c.anchor))
            c.fit_into(rect.translated(-p.x(), -p.y()))


def install_notes(win) -> NotesOverlay:
    """Show the experiment's notes on ``win``'s map at every drawn step, and make playback
    pause at the notes marked ``pause``."""
    overlay = NotesOverlay(win.map_view)
    win.notes_overlay = overlay

    def on_frame(step: int) -> None:
        exp = win.experiment()
        overlay.set_notes(exp.notes, exp.steps)
        win.stepper.stops = pause_steps(exp.notes)
        sim = win.simulation()
        if sim is None or not exp.notes:
            overlay.clear()
            return
        visible = overlay.visible_notes(step)
        thetas = [sim.history(0).theta] if any(n.at is None for n in visible) else []
        overlay.show_step(step, thetas)

    win.frameDrawn.connect(on_frame)
    win.simulationRebuilt.connect(overlay.clear)
    return overlay
