"""The step plots' cursor: a dashed vertical line at the shown step.

While the runs play it moves every frame in each of the four plots. A pyqtgraph
``InfiniteLine`` runs Python on every move and paint (its position hooks, its bounding
rectangle from the view); this plain Qt line item moves and paints in Qt alone, spanning the
plot's y range (set again when the range changes), and looks the same.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsLineItem

__all__ = ["StepCursor"]


class StepCursor(QGraphicsLineItem):
    """A vertical line at x = ``value()`` across ``view_box``'s y range, drawn with ``pen``
    (cosmetic: its width and dashes in pixels)."""

    def __init__(self, view_box: pg.ViewBox, pen):
        super().__init__()
        self._view_box = view_box
        self._x = 0.0
        self.setPen(pen)
        view_box.sigYRangeChanged.connect(self._span)
        self._span()

    def value(self) -> float:
        return self._x

    def setValue(self, x: float) -> None:  # noqa: N802 (InfiniteLine's name)
        x = float(x)
        if x != self._x:
            self._x = x
            self.setPos(x, 0.0)

    def setPen(self, pen) -> None:  # noqa: N802 (Qt)
        self._pen = QPen(pg.mkPen(pen))
        super().setPen(self._pen)

    @property
    def pen(self) -> QPen:
        """The pen (an attribute, as on pyqtgraph's lines)."""
        return QPen(self._pen)

    def _span(self, *_args) -> None:
        y0, y1 = self._view_box.viewRange()[1]
        self.setLine(0.0, y0, 0.0, y1)
