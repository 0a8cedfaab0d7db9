"""Which points of a run's path the map draws: thinned by arc length to about a line width,
then by a stride when still too many (``gui.map_view``; the 3-D tab thins the same way).
The recorded data itself is never touched."""
from __future__ import annotations

import numpy as np

__all__ = ["DRAWN_RESOLUTION", "MAX_DRAWN_POINTS", "drawn_stride", "thin_indices"]

MAX_DRAWN_POINTS = 3000  # per trajectory on the map, after thinning
DRAWN_RESOLUTION = 600   # a drawn point every 1/600 of the view: about a 2 px line's width


def thin_indices(theta: np.ndarray, pixel: float, max_points: int = MAX_DRAWN_POINTS
                 ) -> np.ndarray:
    """Indices of the points of a path ``theta`` (n, 2) worth drawing: the first, every point
    after the path has moved another ``pixel`` of arc length, and the last; then at most
    ``max_points`` by a uniform stride (keeping first and last)."""
    n = len(theta)
    if n <= 2:
        return np.arange(n)
    seg = np.hypot(np.diff(theta[:, 0]), np.diff(theta[:, 1]))
    seg = np.where(np.isfinite(seg), seg, 0.0)
    cell = np.floor(np.concatenate(([0.0], np.cumsum(seg))) / pixel)
    keep = np.flatnonzero(np.diff(cell) > 0) + 1
    idx = np.concatenate(([0], keep, [n - 1]))
    idx = np.unique(idx)
    if len(idx) > max_points:
        stride = -(-len(idx) // max_points)
        idx = np.unique(np.concatenate((idx[::stride], [n - 1])))
    return idx


def drawn_stride(count: int) -> int:
    """The stride that leaves at most MAX_DRAWN_POINTS of ``count`` thinned points: a power
    of two, so that while a path grows it changes once per doubling (each change redraws
    the map's paths whole), and the points kept before stay kept in between."""
    stride = 1
    while count > MAX_DRAWN_POINTS * stride:
        stride *= 2
    return stride
