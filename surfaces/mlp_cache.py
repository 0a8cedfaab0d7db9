"""Building ``mlp-plane``'s ingredients once per parameter set: the data, the trained network
w*, the plane's directions, and an in-memory cache of them (thread-safe, the last
``CACHE_SIZE`` sets), plus the grid helpers the map pictures use. Pure NumPy, no Qt.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from surfaces import mlp
from surfaces.datasets import make_dataset

#: limit on n × hidden: the work of every loss evaluation (and of training) grows with it
MAX_WORK = 12_800
CACHE_SIZE = 8


@dataclass
class Build:
    """Everything a parameter set needs, computed once (see ``make_build``)."""

    x: np.ndarray
    y: np.ndarray
    training: mlp.Training
    c: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    path: np.ndarray  # the training path's coordinates on the plane (k, 2), least squares
    memo: dict = field(default_factory=dict)
    critical: tuple = ()
    analysis: dict = field(default_factory=dict)  # engine.analysis results, per search
    ready: bool = False  # ``build`` finished (trained and the grids pictured)


CACHE: "OrderedDict[tuple, Build]" = OrderedDict()
LOCK = threading.Lock()


def cache_key(params: Mapping[str, Any]) -> tuple:
    return tuple(sorted(params.items()))


def check_work(n: int, hidden: int) -> None:
    if n * hidden > MAX_WORK:
        raise ValueError(f"parameters n × hidden = {n} × {hidden} = {n * hidden:,} exceed the "
                         f"limit {MAX_WORK:,} (each loss evaluation costs n × hidden)")


def make_build(params: Mapping[str, Any], progress=None, cancelled=None) -> Build:
    hidden, n = params["hidden"], params["n"]
    check_work(n, hidden)
    x, y = make_dataset(params["dataset"], n, params["noise"], params["data_seed"])
    tr = mlp.train(x, y, hidden, params["train_seed"], params["weight_decay"],
                   progress=progress, cancelled=cancelled)
    w = tr.w
    rng = np.random.default_rng([params["train_seed"], 1])
    kind = params["directions"]
    if kind == "random":
        c, d1, d2 = w.copy(), mlp.random_direction(w, hidden, rng), \
            mlp.random_direction(w, hidden, rng)
    elif kind == "pca":
        d1, d2, _ = mlp.pca_directions(tr.path, w)
        c = w.copy()
    else:
        c, d1 = np.zeros_like(w), w.copy()
        r = mlp.random_direction(w, hidden, rng)
        norm = np.linalg.norm(r)
        r = r - (r @ d1) / (d1 @ d1) * d1
        d2 = r * (norm / np.linalg.norm(r))
    basis = np.column_stack([d1, d2])
    path = np.linalg.lstsq(basis, (tr.path - c).T, rcond=None)[0].T
    return Build(x, y, tr, c, d1, d2, path)


def get_build(params: Mapping[str, Any], progress=None, cancelled=None) -> Build:
    key = cache_key(params)
    with LOCK:
        if key in CACHE:
            CACHE.move_to_end(key)
            return CACHE[key]
    b = make_build(params, progress, cancelled)
    with LOCK:
        b = CACHE.setdefault(key, b)
        CACHE.move_to_end(key)
        while len(CACHE) > CACHE_SIZE:
            CACHE.popitem(last=False)
    return b


def grid(view, size: int, indexing: str = "xy") -> np.ndarray:
    """The points (size², 2) of a size × size grid over ``view`` built the way the map
    (``indexing="xy"``) and the 3-D view (``"ij"``) sample a surface: linspace per axis,
    meshgrid, ravel."""
    x0, x1, y0, y1 = view
    gx, gy = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size),
                         indexing=indexing)
    return np.column_stack([gx.ravel(), gy.ravel()])


def bilinear(z: np.ndarray, xs: np.ndarray, ys: np.ndarray, fx: np.ndarray,
              fy: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of z (len(ys), len(xs)) sampled at xs, ys onto the grid
    fx × fy -> (len(fy), len(fx))."""
    def weights(a, fa):
        i = np.clip(np.searchsorted(a, fa, side="right") - 1, 0, len(a) - 2)
        return i, (fa - a[i]) / (a[i + 1] - a[i])
    ix, tx = weights(xs, fx)
    iy, ty = weights(ys, fy)
    rows = z[:, ix] * (1.0 - tx) + z[:, ix + 1] * tx          # (len(ys), len(fx))
    return rows[iy] * (1.0 - ty)[:, None] + rows[iy + 1] * ty[:, None]


def digest(p: np.ndarray) -> tuple:
    return (p.shape, hashlib.blake2b(np.ascontiguousarray(p).tobytes(), digest_size=16)
            .hexdigest())
