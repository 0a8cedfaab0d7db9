"""Many growing curves in one plot, drawn onto one image that only ever gains ink while they
grow.

While the runs play, every curve grows by a few steps each frame. Drawn as one pyqtgraph
item per curve, each frame re-set, downsampled and stroked every curve again (40 wide
curves of 100,000 steps: 30–90 ms a frame). Here a plot's curves share one ``CurveCanvas``
item that keeps an image of them at screen resolution:

- a frame in which curves only grew (``setData(..., live=True)``) draws just the segments
  they gained onto the image, then shows the image;
- anything else (a new view or size, a re-set curve, a pen, a curve removed) clears the
  image and draws every curve again.

Curves are drawn as the lowest and highest value of each pixel column (a peak envelope: no
spike is lost) in screen pixels (``gui.fast_curve``), dashes included; a plot's solid,
dashed and dotted curves share one NumPy pass (a frame draws a few points of each of up to
40 curves: the cost is in the number of NumPy calls, not in the data).

``LayerCurve`` looks like a pyqtgraph data item to the rest of the app: ``opts["pen"]``,
``setPen``, ``setData``, ``getData``, and ``xData``/``yData`` (the data set, before
decimation to the view).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore

from gui.fast_curve import (device_segments, draw_by_line, join_lines, on_off_pattern,
                            solid_pen)
from gui.image_canvas import ImageCanvas

__all__ = ["CurveCanvas", "LayerCurve", "column_peaks"]


def column_peaks(x: np.ndarray, y: np.ndarray, x0: float, x1: float,
                 columns: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) (x ascending) decimated to the lowest and highest y of each pixel column
    (``columns`` across [x0, x1]); see ``batch_peaks``."""
    px, py, _ = batch_peaks(x, y, np.zeros(len(x), dtype=np.int64), x0, (x1 - x0) / columns)
    return px, py


def batch_peaks(x, y, ids, x0: float, w: float):
    """Several lines (points sorted by ``ids``, then by x) decimated to pixel columns of
    width ``w`` from ``x0``: a column holding one point keeps it; one holding more gives
    two points at its centre, the lowest and the highest y (nan when all are nan). Returns
    (x, y, ids) of the points to draw."""
    if len(x) < 2 or not w > 0:
        return x, y, ids
    col = np.floor((x - x0) / w)
    new = np.empty(len(x), dtype=bool)
    new[0] = True
    np.not_equal(col[1:], col[:-1], out=new[1:])
    new[1:] |= ids[1:] != ids[:-1]
    starts = np.flatnonzero(new)
    if len(starts) == len(x):  # at most a point per column: nothing to merge
        return x, y, ids
    count = np.diff(np.append(starts, len(x)))
    with np.errstate(invalid="ignore"):
        low = np.fmin.reduceat(y, starts)
        high = np.fmax.reduceat(y, starts)
    many = count > 1
    reps = np.where(many, 2, 1)
    out_x = np.repeat(np.where(many, x0 + (col[starts] + 0.5) * w, x[starts]), reps)
    out_ids = np.repeat(ids[starts], reps)
    first = np.cumsum(reps) - reps  # each column's first output point
    out_y = np.empty(len(out_x))
    out_y[first] = np.where(many, low, y[starts])
    out_y[first[many] + 1] = high[many]
    return out_x, out_y, out_ids


class CurveCanvas(ImageCanvas):
    """Draws its ``curves`` onto an image kept between frames (see the module)."""

    LAYERS = ("curves",)

    def __init__(self):
        super().__init__()
        self.curves: list[LayerCurve] = []
        self._view = None  # (x0, x1, columns, y0, y1), until the view changes
        self._asked = None  # (x from, x to) of the strip to repaint asked for, until painted

    def view_changed(self) -> None:
        self._view = self._asked = None

    def grew(self, x_from: float, x_to: float) -> None:
        """A curve gained points between ``x_from`` and ``x_to``: repaint that strip only
        (the rest of the plot, its axes and labels stay as they are on screen). Curves
        that grow within the strip already asked for since the last paint (the runs of a
        frame gain the same steps) ask for nothing more."""
        asked = self._asked
        if asked is not None and asked[0] <= x_from and x_to <= asked[1]:
            return
        view = self._view_and_height()
        if view is None:
            return self.update()
        if asked is not None:
            x_from, x_to = min(x_from, asked[0]), max(x_to, asked[1])
        self._asked = (x_from, x_to)
        x0, x1, cols, y0, y1 = view
        w = (x1 - x0) / cols * 3  # a few pixels either side: the pen's width
        self.update(QtCore.QRectF(x_from - w, y0, x_to - x_from + 2 * w, y1 - y0))

    def paint(self, p, *args) -> None:
        self._asked = None
        super().paint(p, *args)

    def _view_and_height(self):
        if self._view is None:
            vb = self.getViewBox()
            if vb is None:
                return None
            (x0, x1), (y0, y1) = vb.viewRange()
            self._view = (x0, x1, max(int(vb.width()), 1), y0, y1)
        return self._view

    def view(self) -> tuple[float, float, int]:
        """(x0, x1, pixel columns) of the view the canvas is in."""
        view = self._view_and_height()
        return (0.0, 1.0, 1) if view is None else view[:3]

    def draw(self, painters, full: bool, transform, clip) -> None:
        x0, x1, cols = self.view()
        w = (x1 - x0) / cols
        groups: dict = {}
        for c in self.curves:
            part = c.take(x0 - w, x1 + w, full)
            if part is not None and c.visible:
                groups.setdefault(c.style, []).append((c, *part))
        # solid, dashed and dotted curves in one pass, drawn in that order (each style's
        # curves after the other's, as when they were drawn style by style); a pen with
        # another dash pattern (none in the plots) has a pass of its own
        one = [m for members in groups.values() for m in members if m[0].dashes is not None]
        rest = [[m for m in members if m[0].dashes is None] for members in groups.values()]
        for members in [one] + rest:
            if members:
                _draw_group(painters["curves"], members, transform, clip, x0, w)


def _draw_group(p, members, transform, clip, x0: float, w: float) -> None:
    """Draw curves with one NumPy pass over all of them: curves whose dashes are on/off
    (``LayerCurve.dashes``), or curves that share a pen style."""
    x, y, ids = batch_peaks(*join_lines([(x, y) for _c, x, y in members]), x0, w)
    phases = [c.phase for c, _x, _y in members]
    dashes = None
    if members[0][0].dashes is not None:
        dashes = [c.dashes for c, _x, _y in members]
    pen = max(members, key=lambda m: m[0].width)[0].opts["pen"]
    seg, sid, length = device_segments(x, y, pen, transform, clip, ids=ids, phases=phases,
                                       dashes=dashes)
    for k, (c, _x, _y) in enumerate(members):
        c.phase += length[k]
    draw_by_line(p, seg, sid, [c.solid for c, _x, _y in members])


def _left(v: float, n: int) -> int:
    """``np.searchsorted(arange(n), v, "left")``: how many of 0..n−1 are below v."""
    return 0 if v <= 0 else n if v >= n else math.ceil(v)


def _right(v: float, n: int) -> int:
    """``np.searchsorted(arange(n), v, "right")``: how many of 0..n−1 are at most v."""
    return 0 if v < 0 else n if v >= n - 1 else math.floor(v) + 1


class LayerCurve:
    """One curve of a plot, drawn by a ``CurveCanvas`` (see the module)."""

    def __init__(self, canvas: CurveCanvas, pen):
        self.canvas = canvas
        self.opts = {"pen": pg.mkPen(pen)}
        self.solid = solid_pen(self.opts["pen"])
        self.dashes = on_off_pattern(self.opts["pen"])  # (on, period) px, None: other
        self.style, self.width = self.opts["pen"].style(), self.opts["pen"].widthF()
        self.xData = self.yData = None
        self.visible = True
        self.phase = 0.0               # the dash pattern's position where drawing stopped
        self._drawn_x = -np.inf        # x of the last point on the canvas (−inf: none)
        self._envelope = None
        self._indexed = False
        canvas.curves.append(self)
        canvas.redraw_all()

    def setPen(self, pen) -> None:  # noqa: N802 (pyqtgraph's name)
        self.opts["pen"] = pg.mkPen(pen)
        self.solid = solid_pen(self.opts["pen"])
        self.dashes = on_off_pattern(self.opts["pen"])
        self.style, self.width = self.opts["pen"].style(), self.opts["pen"].widthF()
        self.canvas.redraw_all()

    def getData(self):  # noqa: N802
        return self.xData, self.yData

    def setData(self, x, y, live: bool = False, envelope=None,  # noqa: N802
                indexed: bool = False) -> None:
        """The whole curve (x ascending). ``live``: it only grew since the last call (the
        canvas then draws just the new part). ``envelope``: a function giving a coarser
        (x, y) of the same curve to draw it whole from (e.g. min and max per block).
        ``indexed``: x is 0, 1, …, n − 1 (steps), so a part is found without a search."""
        self._envelope = envelope
        self._indexed = indexed
        old = self.xData
        self.xData, self.yData = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        grew = (live and old is not None and len(self.xData)
                and self.xData[-1] >= self._drawn_x)
        if not grew:
            self.canvas.redraw_all()
        elif self.xData[-1] > self._drawn_x:
            self.canvas.grew(self._drawn_x, float(self.xData[-1]))

    def take(self, lo: float, hi: float, full: bool):
        """The raw (x, y) within [lo, hi] the canvas should draw now: everything (after a
        clear) or what was added since the last draw (None: nothing)."""
        x, y = self.xData, self.yData
        if x is None or len(x) < 1:
            self._drawn_x = -np.inf
            return None
        if full:
            self.phase = 0.0
            start = 0
            if self._envelope is not None:
                self._drawn_x = float(x[-1])
                x, y = self._envelope()
        else:
            if x[-1] <= self._drawn_x:
                return None
            if self._indexed:  # x[i] = i: the searches below, by arithmetic
                n = len(x)
                start = max(_left(self._drawn_x, n) - 1, 0)
                self._drawn_x = float(x[-1])
                a = max(_left(lo, n) - 1, start)
                b = min(_right(hi, n) + 1, n)
                return (x[a:b], y[a:b]) if b - a > 1 else None
            # from the last drawn point on (the caller may pass a coarser version of the
            # same curve as it grows, e.g. an envelope: found by x, not by index)
            start = max(int(np.searchsorted(x, self._drawn_x, "left")) - 1, 0)
        self._drawn_x = max(self._drawn_x, float(x[-1])) if full else float(x[-1])
        a = max(int(np.searchsorted(x, lo, "left")) - 1, start)
        b = min(int(np.searchsorted(x, hi, "right")) + 1, len(x))
        return (x[a:b], y[a:b]) if b - a > 1 else None

    def remove(self) -> None:
        """Leave the canvas."""
        if self in self.canvas.curves:
            self.canvas.curves.remove(self)
        self.canvas.redraw_all()
