"""Wide lines drawn in screen pixels: the geometry under the step plots' curves
(``gui.curve_layer``) and the map's paths (``gui.path_canvas``).

Qt strokes a wide (≥ 2 px) cosmetic pen 3–4× slower when the painter carries a scaling
transform (data → pixels), as every pyqtgraph item's painter does, and a dashed wide pen
goes through the slow path stroker whatever the transform. Here points are mapped to pixels
with NumPy (``device_segments``): what lies outside the painted area is dropped, dashes are
cut by arc length, and ``draw_lines`` draws plain segments on a painter whose transform is
reset: the same picture at about the cost of a 1 px line.

Also ``ensure_pixmap_cache``: Qt's pixmap cache, from which the map's surface layer and the
plots' axes are drawn, made large enough to hold them.
"""
from __future__ import annotations

import numpy as np
import shiboken6
from pyqtgraph.Qt import QtCore, QtGui

__all__ = ["clip_segments", "dash_segments", "device_segments", "draw_lines",
           "draw_by_line", "ensure_pixmap_cache", "join_lines", "on_off_pattern", "solid_pen"]

#: room for the pixmaps of items drawn from a cache (the map's surface image and contour
#: lines, every plot's axes): Qt's default of 10 MB holds two full-screen map layers at most,
#: and a cache that evicts what the next frame needs draws everything again, every frame
PIXMAP_CACHE_KB = 64 * 1024


def ensure_pixmap_cache() -> None:
    """Raise QPixmapCache's limit to ``PIXMAP_CACHE_KB`` (needs a QGuiApplication)."""
    from PySide6.QtGui import QPixmapCache

    if QPixmapCache.cacheLimit() < PIXMAP_CACHE_KB:
        QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)


_SOLID = QtCore.Qt.PenStyle.SolidLine
FAR = 1e5  # pixels: segments beyond this are clipped to the painted area before drawing
CULL_FROM = 64  # segments: shorter lines are drawn whole (culling would cost more)


def clip_segments(seg: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Segments ``seg`` (k, 4: xa, ya, xb, yb) clipped to the rectangle [x0, x1] × [y0, y1]
    (Liang–Barsky); segments wholly outside are dropped."""
    return _clip(seg, x0, y0, x1, y1)[0]


def _clip(seg, x0, y0, x1, y1):
    """(clipped segments, mask of the input segments kept)."""
    if not len(seg):
        return seg, np.zeros(0, dtype=bool)
    xa, ya, xb, yb = seg.T
    dx, dy = xb - xa, yb - ya
    t0 = np.zeros(len(seg))
    t1 = np.ones(len(seg))
    keep = np.ones(len(seg), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, xa - x0), (dx, x1 - xa), (-dy, ya - y0), (dy, y1 - ya)):
            parallel = p == 0
            keep &= ~(parallel & (q < 0))  # parallel to this edge and outside it
            r = q / p
            entering = p < 0
            t0 = np.where(~parallel & entering, np.maximum(t0, r), t0)
            t1 = np.where(~parallel & ~entering, np.minimum(t1, r), t1)
    keep &= t0 <= t1
    out = np.empty((int(keep.sum()), 4))
    t0, t1 = t0[keep], t1[keep]
    xa, ya, dx, dy = xa[keep], ya[keep], dx[keep], dy[keep]
    out[:, 0] = xa + t0 * dx
    out[:, 1] = ya + t0 * dy
    out[:, 2] = xa + t1 * dx
    out[:, 3] = ya + t1 * dy
    return out, keep


def dash_segments(seg: np.ndarray, start: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """The "on" pieces of segments ``seg`` (k, 4) whose first point lies ``start[i]`` pixels
    along the line, for a dash ``pattern`` in pixels (on, off, on, off, …) repeated from
    0. Cutting the drawn line into dashes by arc length reproduces Qt's dashed pen."""
    return _dashes(seg, start, pattern)[0]


def _dashes(seg, start, pattern):
    """(the dash pieces, the index of the segment each comes from)."""
    if not len(seg):
        return seg, np.zeros(0, dtype=np.int64)
    if len(pattern) == 2:  # Qt's dashes and dots: on, off
        return _on_off(seg, start, float(pattern[0]), float(pattern.sum()))
    m = len(pattern)
    period = float(pattern.sum())
    edges = np.concatenate(([0.0], np.cumsum(pattern)[:-1]))  # where each element begins
    length = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])
    a, b = start, start + length

    def index(pos, side):  # the number of element starts at or before (or before) pos
        q = np.floor(pos / period)
        return (q * m + np.searchsorted(edges, pos - q * period, side=side)).astype(np.int64)

    g_lo = index(a, "right")  # first element start after a
    g_hi = index(b, "left")   # one past the last element start before b
    count = np.maximum(g_hi - g_lo, 0)
    # pieces: [a, p_lo, …, p_hi-1, b] per segment; piece j of segment i starts at element
    # (g_lo - 1 + j) and is "on" when that element's index is even
    n_pieces = count + 1
    seg_of = np.repeat(np.arange(len(seg)), n_pieces)
    first = np.cumsum(n_pieces) - n_pieces
    j = np.arange(int(n_pieces.sum())) - np.repeat(first, n_pieces)
    g = g_lo[seg_of] - 1 + j  # element index of each piece's start
    on = (g % m) % 2 == 0
    starts = np.where(j == 0, a[seg_of], (g // m) * period + edges[g % m])
    last = j == count[seg_of]
    g_next = g + 1
    ends = np.where(last, b[seg_of], (g_next // m) * period + edges[g_next % m])
    keep = on & (ends > starts)
    seg_of, starts, ends = seg_of[keep], starts[keep], ends[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(length > 0, 1.0 / length, 0.0)[seg_of]
    ta = (starts - a[seg_of]) * inv
    tb = (ends - a[seg_of]) * inv
    s = seg[seg_of]
    dx, dy = s[:, 2] - s[:, 0], s[:, 3] - s[:, 1]
    out = np.empty((len(s), 4))
    out[:, 0], out[:, 1] = s[:, 0] + ta * dx, s[:, 1] + ta * dy
    out[:, 2], out[:, 3] = s[:, 0] + tb * dx, s[:, 1] + tb * dy
    return out, seg_of


def _on_off(seg, start, on, period):
    """``_dashes`` for a pattern (on, period − on): the pieces [k·period, k·period + on) of
    each segment's arc [start, start + length), in fewer NumPy calls (a frame's short parts
    of dashed curves are many small arrays). ``on`` and ``period`` are numbers, or arrays
    with one per segment (segments of lines with different dashes, cut together)."""
    x0, y0 = seg[:, 0], seg[:, 1]
    dx, dy = seg[:, 2] - x0, seg[:, 3] - y0
    length = np.hypot(dx, dy)
    a = start
    k0 = np.floor(a / period)
    n = (np.floor((a + length) / period) - k0).astype(np.int64) + 1  # periods it touches
    seg_of = np.repeat(np.arange(len(seg)), n)
    k = np.arange(len(seg_of)) - np.repeat(np.cumsum(n) - n, n) + k0[seg_of]
    if np.ndim(period):
        on, period = on[seg_of], period[seg_of]
    lo = np.maximum(k * period, a[seg_of])
    hi = np.minimum(k * period + on, (a + length)[seg_of])
    keep = hi > lo
    seg_of, lo, hi = seg_of[keep], lo[keep], hi[keep]
    inv = 1.0 / length[seg_of]  # a kept piece has a positive length
    ta, tb = (lo - a[seg_of]) * inv, (hi - a[seg_of]) * inv
    sx, sy, sdx, sdy = x0[seg_of], y0[seg_of], dx[seg_of], dy[seg_of]
    out = np.empty((len(seg_of), 4))
    out[:, 0], out[:, 1] = sx + ta * sdx, sy + ta * sdy
    out[:, 2], out[:, 3] = sx + tb * sdx, sy + tb * sdy
    return out, seg_of


def on_off_pattern(pen) -> tuple[float, float] | None:
    """(on, period) in pixels of a pen whose dashes are one on and one off length (Qt's
    dashes and dots), (inf, inf) for a solid pen, None for any other pattern."""
    if pen.style() == _SOLID:
        return (np.inf, np.inf)
    pattern = np.asarray(pen.dashPattern(), dtype=float) * max(pen.widthF(), 1.0)
    if len(pattern) != 2 or not pattern.sum() > 0:
        return None
    return float(pattern[0]), float(pattern.sum())


def device_segments(x, y, pen, transform, clip: QtCore.QRectF | None,
                    ids: np.ndarray | None = None, phases=None, dashes=None):
    """The polyline (x, y) as segments (k, 4) in the pixels of ``transform`` (data →
    device): non-finite points break it, segments outside ``clip`` (device pixels, widened
    by the pen) are dropped, far ones clipped, and a dashed ``pen``'s dashes are cut.

    With ``ids`` (one per point, 0, 1, …, ascending: several lines one after the other,
    see ``gui.curve_layer``) it returns (segments, the id of each segment's line); with
    ``phases`` too (per line: where its dash pattern starts, in pixels) also each line's
    length in pixels, so the next part of a line can go on with its dashes. ``dashes``
    (with ``ids`` and ``phases``): per line its own (on, period) from ``on_off_pattern``
    instead of ``pen``'s style, so lines with different dashes are cut in one pass (the
    segments then come sorted by line only within the solid and the dashed ones); ``pen``
    then gives the widest line's width."""
    if x is None or len(x) < 2:
        empty = np.zeros((0, 4))
        if ids is None:
            return empty
        none = np.zeros(0, dtype=np.int64)
        return (empty, none) if phases is None else (empty, none, np.zeros(len(phases)))
    t = transform
    if t.m21() == 0.0 and t.m12() == 0.0:  # a plot's view: scaled and shifted axes
        px = x * t.m11() + t.m31()
        py = y * t.m22() + t.m32()
    else:
        px = t.m11() * x + t.m21() * y + t.m31()
        py = t.m12() * x + t.m22() * y + t.m32()
    n = len(px) - 1
    seg = np.empty((n, 4))
    seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3] = px[:-1], py[:-1], px[1:], py[1:]
    ok = np.isfinite(px) & np.isfinite(py)
    finite = ok[:-1] & ok[1:]
    sid = None if ids is None else ids[:-1]
    if ids is not None:  # no segment joins two lines
        finite &= ids[:-1] == ids[1:]
    if dashes is not None:
        on, period = (np.array(v, dtype=float) for v in zip(*dashes))
        dashed = bool(np.isfinite(period).any())
    else:
        dashed = pen.style() != _SOLID
    totals = None
    if dashed:  # arc length along the whole line, so dashes run on across segments
        length = np.where(finite, np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]), 0)
        start = np.concatenate(([0.0], np.cumsum(length)[:-1]))
        if phases is not None:  # each line's own arc length, from its phase
            totals = np.bincount(sid, weights=length, minlength=len(phases))
            before = np.cumsum(totals) - totals
            start += (np.asarray(phases, dtype=float) - before)[sid]
    if not finite.all():
        seg = seg[finite]
        sid = None if sid is None else sid[finite]
        start = start[finite] if dashed else None
    if clip is not None and n > CULL_FROM:
        margin = pen.widthF() * 2 + 2
        x0, y0 = clip.left() - margin, clip.top() - margin
        x1, y1 = clip.right() + margin, clip.bottom() + margin
        xa, ya, xb, yb = seg.T
        inside = ~(((xa < x0) & (xb < x0)) | ((xa > x1) & (xb > x1))
                   | ((ya < y0) & (yb < y0)) | ((ya > y1) & (yb > y1)))
        if not inside.all():
            seg = seg[inside]
            sid = None if sid is None else sid[inside]
            start = start[inside] if dashed else None
        far = (np.abs(seg) > FAR).any(axis=1)  # reaching far off screen: clip exactly
        if far.any():
            clipped, kept = _clip(seg[far], x0, y0, x1, y1)
            seg = np.concatenate((seg[~far], clipped))
            if sid is not None:
                sid = np.concatenate((sid[~far], sid[far][kept]))
            if dashed:  # the visible part of a far segment starts its own dashes
                start = np.concatenate((start[~far], np.zeros(len(clipped))))
    if dashes is not None and dashed:  # only the dashed lines' segments are cut
        cut = np.isfinite(period)[sid]
        if cut.any():
            c_sid = sid[cut]
            pieces, of = _on_off(seg[cut], start[cut], on[c_sid], period[c_sid])
            seg = np.concatenate((seg[~cut], pieces))
            sid = np.concatenate((sid[~cut], c_sid[of]))
    elif dashed:
        w = max(pen.widthF(), 1.0)
        pattern = np.asarray(pen.dashPattern(), dtype=float) * w
        if len(pattern) >= 2 and pattern.sum() > 0:
            seg, of = _dashes(seg, start, pattern)
            sid = None if sid is None else sid[of]
    if ids is None:
        return seg
    if phases is None:
        return seg, sid
    return seg, sid, (totals if totals is not None else np.zeros(len(phases)))


def solid_pen(pen) -> QtGui.QPen:
    """``pen`` as drawn by ``draw_segments``: solid (dashes are cut beforehand), flat caps
    for dashes."""
    solid = QtGui.QPen(pen)
    if pen.style() != _SOLID:
        solid.setStyle(_SOLID)
        solid.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
    return solid


def draw_lines(p, seg: np.ndarray, solid) -> None:
    """Draw device-pixel segments (k, 4) with the solid pen ``solid`` on a painter whose
    transform is already reset."""
    if not len(seg):
        return
    # QLineF is four doubles: Qt reads the rows of a C-contiguous float64 array in place
    # (as pyqtgraph's PrimitiveArray does, without its copy)
    seg = np.ascontiguousarray(seg, dtype=np.float64)
    p.setPen(solid)
    p.drawLines(shiboken6.wrapInstance(seg.ctypes.data, QtCore.QLineF), len(seg))


def join_lines(lines) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Several lines [(x, y), …] as one (x, y, ids) for ``device_segments``."""
    ids = np.repeat(np.arange(len(lines)), [len(x) for x, _y in lines])
    return (np.concatenate([x for x, _y in lines]), np.concatenate([y for _x, y in lines]),
            ids)


def draw_by_line(p, seg: np.ndarray, sid: np.ndarray, solids) -> None:
    """Draw segments of several lines, line ``sid[i]`` of segment i with ``solids[sid[i]]``
    (solid pens; the painter's transform reset)."""
    if not len(seg):
        return
    if len(sid) > 1 and (np.diff(sid) < 0).any():  # far segments were appended at the end
        order = np.argsort(sid, kind="stable")
        seg, sid = seg[order], sid[order]
    # as draw_lines, with the array's address taken once (numpy's ``ctypes`` costs more
    # than a short line's drawing)
    seg = np.ascontiguousarray(seg, dtype=np.float64)
    address = seg.ctypes.data
    bounds = np.searchsorted(sid, np.arange(len(solids) + 1)).tolist()
    for k, solid in enumerate(solids):
        a, b = bounds[k], bounds[k + 1]
        if b > a:
            p.setPen(solid)
            p.drawLines(shiboken6.wrapInstance(address + a * seg.itemsize * 4, QtCore.QLineF),
                        b - a)
