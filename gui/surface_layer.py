"""The map's surface layer: the loss sampled on the view as a lightened-viridis image (log
scale when it spans many decades, hatching where it is undefined) and its contour lines.
Also used by the 3-D tab, the atlas image and the model view."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

GRID = 240            # samples per axis of the filled surface image
SPANS_DECADES = 100.0  # loss ratio (range / lower decile) above which colours are log-scaled
UNDEFINED_COLOR = "#7a7a7a"  # hatching of the cells where the loss is undefined
UNDEFINED_FILL = "#e4e4e4"   # under the hatching
LIGHTEN = 0.35       # the map's colours are viridis mixed with this much white (see docs)


def surface_colormap(lighten: float = LIGHTEN) -> pg.ColorMap:
    """viridis mixed with ``lighten`` of white: the surface stays readable (the same order of
    lightness) while the saturated run colours, each in a dark outline, stand out on it."""
    base = pg.colormap.get("viridis")
    pos, colors = base.getStops(mode="float")
    light = np.array(colors, dtype=float)
    light[:, :3] = light[:, :3] * (1.0 - lighten) + lighten
    return pg.ColorMap(pos, np.round(light * 255).astype(np.ubyte))


def undefined_brush() -> QBrush:
    """Grey diagonal hatching: where the formula has no finite value."""
    return QBrush(QColor(UNDEFINED_COLOR), Qt.BrushStyle.BDiagPattern)


def surface_image(surface, grid: int = GRID):
    """Sample ``surface`` on its view. Returns (z (grid, grid) row-major with rows = y,
    rect (x0, y0, w, h), log_scaled, label, shift) where z = log10(L − shift) or L.

    Where the loss is not a finite number (the formula is undefined there, e.g. x < 0 in
    log(x), or infinite) z is nan: the map paints those cells as "undefined", never as a
    colour of the scale."""
    x0, x1, y0, y1 = surface.view
    xs = np.linspace(x0, x1, grid)
    ys = np.linspace(y0, y1, grid)
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        loss = np.asarray(surface.value(np.column_stack([gx.ravel(), gy.ravel()])),
                          dtype=float).reshape(grid, grid)
    finite = np.isfinite(loss)
    dx = (x1 - x0) / (grid - 1)
    dy = (y1 - y0) / (grid - 1)
    rect = (x0 - dx / 2, y0 - dy / 2, (x1 - x0) + dx, (y1 - y0) + dy)
    if not finite.any():
        return np.full_like(loss, np.nan), rect, False, "loss", 0.0
    lo, hi = float(loss[finite].min()), float(loss[finite].max())
    span = hi - lo
    low_decile = lower_decile(loss[finite] - lo) if span > 0 else 0.0
    log = bool(getattr(surface, "log_scale", False)) or (
        span > 0 and span / max(low_decile, 1e-300) > SPANS_DECADES)
    shift = 0.0
    with np.errstate(all="ignore"):
        if log and span > 0:
            if lo > 0:
                z = np.log10(loss)
                label = "log₁₀ loss"
            else:
                shift = lo - max(span * 1e-6, 1e-12)
                z = np.log10(loss - shift)
                label = f"log₁₀(loss − {shift:.3g})"
        else:
            log = False
            z = loss.copy()
            label = "loss"
    z[~finite] = np.nan
    return z, rect, log, label, shift


def lower_decile(values: np.ndarray) -> float:
    """``np.percentile(values, 10)`` (its default, linear interpolation; the same number)
    from a partial sort, without what ``np.percentile`` loads and sorts at its first call
    (about 40 ms of the app's start-up). ``values``: a non-empty 1-D array of finite
    numbers."""
    n = values.size
    pos = (n - 1) * 0.1
    i = int(np.floor(pos))
    j = min(i + 1, n - 1)
    part = np.partition(values, (i, j))
    a, b = part[i], part[j]
    t = pos - i
    diff = b - a
    return float(b - diff * (1 - t) if t >= 0.5 else a + diff * t)


def contour_segments(z: np.ndarray, xs: np.ndarray, ys: np.ndarray, levels) -> np.ndarray:
    """Contour lines of ``z`` (ny, nx), sampled at x = xs (nx,), y = ys (ny,), by marching
    squares: (2k, 2) points, each consecutive pair one straight segment. A cell that a
    level crosses joins its first two crossed edges, and where all four are crossed (a
    saddle cell) also the other two; edges in the order bottom, right, top, left."""
    out = []
    dx, dy = np.diff(xs), np.diff(ys)
    for c in levels:
        above = z >= c
        with np.errstate(all="ignore"):
            th = (c - z[:, :-1]) / (z[:, 1:] - z[:, :-1])   # along x, (ny, nx-1)
            tv = (c - z[:-1, :]) / (z[1:, :] - z[:-1, :])   # along y, (ny-1, nx)
        hx = xs[:-1] + th * dx
        vy = ys[:-1, None] + tv * dy[:, None]
        h = above[:, :-1] != above[:, 1:]
        v = above[:-1, :] != above[1:, :]
        # crossed edges of cell (i, j) in order bottom, right, top, left: (4, ny-1, nx-1)
        mask = np.stack([h[:-1], v[:, 1:], h[1:], v[:, :-1]])
        count = mask.sum(axis=0)
        for pair, cells in ((0, count >= 2), (1, count == 4)):
            ii, jj = np.nonzero(cells)
            if not len(ii):
                continue
            if pair == 0:  # the first two crossed edges of each cell
                crossed = mask[:, ii, jj]
                k = np.arange(len(ii))
                ia = crossed.argmax(axis=0)
                crossed[ia, k] = False
                ib = crossed.argmax(axis=0)
            else:  # all four crossed: the top and left edges
                ia, ib = np.full(len(ii), 2), np.full(len(ii), 3)
                k = np.arange(len(ii))
            ex = np.stack([hx[ii, jj], xs[jj + 1], hx[ii + 1, jj], xs[jj]])
            ey = np.stack([ys[ii], vy[ii, jj + 1], ys[ii + 1], vy[ii, jj]])
            seg = np.empty((len(ii) * 2, 2))
            seg[0::2, 0], seg[0::2, 1] = ex[ia, k], ey[ia, k]
            seg[1::2, 0], seg[1::2, 1] = ex[ib, k], ey[ib, k]
            out.append(seg)
    if not out:
        return np.zeros((0, 2))
    seg = np.concatenate(out)
    ok = np.isfinite(seg).all(axis=1).reshape(-1, 2).all(axis=1)  # both ends defined
    return seg[np.repeat(ok, 2)]
