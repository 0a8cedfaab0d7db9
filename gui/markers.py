"""The runs' current-position markers on the map: one small round item per run.

One scatter item for all runs spans every marker, so each frame repainted the whole area
between them (the surface image, the contours and the paths under it); one item per marker
repaints a few pixels around each. The markers keep their size in pixels at any view zoom.
"""
from __future__ import annotations

import math
from typing import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem

__all__ = ["PositionMarkers"]


class PositionMarkers:
    """Markers in ``view_box`` (a pyqtgraph ViewBox) at z ``z``; ``setData(xs, ys, brush)``
    moves them (a list of brushes, one per marker), ``positions()`` reads them back."""

    def __init__(self, view_box: pg.ViewBox, size: float, pen, z: float):
        self.view_box, self.z = view_box, z
        self._size, self._pen = float(size), pg.mkPen(pen)
        self._items: list[QGraphicsEllipseItem] = []

    def positions(self) -> list[tuple[float, float]]:
        return [(item.pos().x(), item.pos().y()) for item in self._items if item.isVisible()]

    def setData(self, xs: Sequence[float], ys: Sequence[float], brush=None) -> None:  # noqa: N802
        n = len(xs)
        while len(self._items) < n:
            item = QGraphicsEllipseItem(self._rect())
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            item.setPen(self._pen)
            item.setZValue(self.z)
            self.view_box.addItem(item, ignoreBounds=True)
            self._items.append(item)
        for i, item in enumerate(self._items):
            x, y = (float(xs[i]), float(ys[i])) if i < n else (math.nan, math.nan)
            if not (math.isfinite(x) and math.isfinite(y)):  # none, or a diverged run's
                item.setVisible(False)
                continue
            item.setPos(x, y)
            if brush is not None:
                b = brush[i] if isinstance(brush, (list, tuple)) else brush
                b = b if isinstance(b, QBrush) else pg.mkBrush(b)
                if item.brush() != b:
                    item.setBrush(b)
            item.setVisible(True)

    def setSize(self, size: float) -> None:  # noqa: N802
        self._size = float(size)
        for item in self._items:
            item.setRect(self._rect())

    def setPen(self, pen) -> None:  # noqa: N802
        self._pen = pg.mkPen(pen)
        for item in self._items:
            item.setPen(self._pen)

    def _rect(self) -> QRectF:
        r = self._size / 2.0
        return QRectF(-r, -r, 2 * r, 2 * r)
