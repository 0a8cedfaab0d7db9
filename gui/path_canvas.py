"""The runs' paths on the map, drawn onto one image that only gains ink while they grow.

Each path is a 2 px line in its run's colour over a 4 px dark outline (its halo); all halos
lie under all paths. Drawn as two pyqtgraph items per run, every frame re-stroked a grown
path and its halo into pixmaps of their own and blended all sixteen (8 runs: 10–15 ms a
frame). Here one ``PathCanvas`` keeps an image of them at screen resolution:

- the halos and the paths are kept on two images, shown one over the other, so every halo
  stays under every path however the lines were added;
- a frame in which paths only grew (``setData(..., live=True)``) draws the new segments'
  halos onto the one and the new segments of the paths onto the other;
- anything else (a new view or size, a re-set path, a pen, a run removed) clears both
  images and draws every line again.

Where two paths cross, the one drawn last is on top: while playing, the newer segment.
Exports to SVG draw vector lines.

``PathLine`` looks like a pyqtgraph data item to the rest of the app: ``opts["pen"]``,
``setPen``, ``setData``, ``getData``, ``setVisible``/``isVisible``.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore

from gui.fast_curve import device_segments, draw_by_line, join_lines, solid_pen
from gui.image_canvas import ImageCanvas

__all__ = ["PathCanvas", "PathLine"]

ROLES = ("halo", "path")  # drawn in this order


class PathLine:
    """A run's path or its halo (``role``: "path" or "halo") on a ``PathCanvas``."""

    def __init__(self, canvas: "PathCanvas", role: str, pen):
        self.canvas, self.role = canvas, role
        self.opts = {"pen": pg.mkPen(pen)}
        self.solid = solid_pen(self.opts["pen"])
        self.xData = self.yData = None
        self._visible = True
        self._drawn = 0  # points on the canvas's image
        canvas.lines.append(self)
        canvas.redraw_all()

    def setPen(self, pen) -> None:  # noqa: N802 (pyqtgraph's name)
        self.opts["pen"] = pg.mkPen(pen)
        self.solid = solid_pen(self.opts["pen"])
        self.canvas.redraw_all()

    def setVisible(self, visible: bool) -> None:  # noqa: N802
        self._visible = bool(visible)
        self.canvas.redraw_all()

    def isVisible(self) -> bool:  # noqa: N802
        return self._visible

    def getData(self):  # noqa: N802
        return self.xData, self.yData

    def setData(self, x, y, live: bool = False) -> None:  # noqa: N802
        """The whole path. ``live``: the path only gained points at its end since the last
        call (the canvas then draws just those). Its last point may move (the map draws
        the current position, which thinning may later drop): the points before it must
        stay."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        old_x, old_y, k = self.xData, self.yData, self._drawn - 1  # k: points that stay
        self.xData, self.yData = x, y
        appended = (live and old_x is not None and 0 < k < len(old_x) and len(x) > k
                    and x[k - 1] == old_x[k - 1] and y[k - 1] == old_y[k - 1])
        if not appended:
            self.canvas.redraw_all()
        else:
            self.canvas.grew(x[k - 1:], y[k - 1:], self.opts["pen"].widthF())

    def take(self, full: bool):
        """The (x, y) to draw now: everything after a clear, else the points from the last
        one that stayed on (a path also some drawn before it); None: nothing."""
        x, y = self.xData, self.yData
        if x is None or len(x) < 2 or not self._visible:
            self._drawn = 0 if x is None else len(x)
            return None
        start = 0 if full else max(self._drawn - 2, 0)  # from the last point that stayed
        self._drawn = len(x)
        return x[start:], y[start:]


class PathCanvas(ImageCanvas):
    """Draws its ``lines`` onto two images kept between frames: halos under paths."""

    LAYERS = ROLES

    def __init__(self):
        super().__init__()
        self.lines: list[PathLine] = []

    def clear(self) -> None:
        self.lines = []
        self.redraw_all()

    def grew(self, x: np.ndarray, y: np.ndarray, width: float) -> None:
        """Points (x, y) were added to a line of ``width`` px: repaint around them only."""
        vb = self.getViewBox()
        ok = np.isfinite(x) & np.isfinite(y)
        if vb is None or not ok.any():
            return self.update()
        px, py = vb.viewPixelSize()
        mx, my = (width + 4) * px, (width + 4) * py
        x0, x1 = float(x[ok].min()), float(x[ok].max())
        y0, y1 = float(y[ok].min()), float(y[ok].max())
        self.update(QtCore.QRectF(x0 - mx, y0 - my, x1 - x0 + 2 * mx, y1 - y0 + 2 * my))

    def draw(self, painters, full: bool, transform, clip) -> None:
        parts = [(line, line.take(full)) for line in self.lines]
        for role in ROLES:
            self._draw(painters[role], [(line, xy) for line, xy in parts if line.role == role],
                       transform, clip)

    @staticmethod
    def _draw(p, parts, transform, clip) -> None:
        """Draw lines of one role (one pen width) in one NumPy pass."""
        members = [(line, xy) for line, xy in parts if xy is not None]
        if members:
            x, y, ids = join_lines([xy for _line, xy in members])
            seg, sid = device_segments(x, y, members[0][0].opts["pen"], transform, clip,
                                       ids=ids)
            draw_by_line(p, seg, sid, [line.solid for line, _xy in members])
