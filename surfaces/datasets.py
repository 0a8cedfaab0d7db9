"""Generated two-class data sets for the network surface: moons, circles and spirals.

Pure NumPy (no scikit-learn). ``make_dataset(name, n, noise, seed) -> (inputs (n, 2),
targets (n,))`` with targets 0.0 or 1.0. Class 0 gets ⌈n/2⌉ examples, class 1 ⌊n/2⌋, so an
even n is exactly balanced. The shapes lie on fixed curves; ``noise`` is the standard deviation
of Gaussian noise added to both coordinates, drawn from ``numpy.random.default_rng(seed)``
only, so the same arguments always give the same data. Examples are ordered class 0 first.

- ``moons``: two interleaving half circles of radius 1 (as scikit-learn's ``make_moons``),
  shifted by (−0.5, −0.25) so that they are centred on the origin.
- ``circles``: an outer circle of radius 1 (class 0) around an inner one of radius 0.5
  (class 1), both centred on the origin (``make_circles`` with ``factor = 0.5``).
- ``spirals``: two interleaved spiral arms of 1.5 turns, radius growing from 0.1 to 1; arm 1
  is arm 0 rotated by 180°.
"""
from __future__ import annotations

import numpy as np

DATASETS = ("moons", "circles", "spirals")


def _moons(n0: int, n1: int) -> tuple[np.ndarray, np.ndarray]:
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    return outer, inner


def _circles(n0: int, n1: int) -> tuple[np.ndarray, np.ndarray]:
    t0 = np.linspace(0.0, 2.0 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2.0 * np.pi, n1, endpoint=False)
    return (np.column_stack([np.cos(t0), np.sin(t0)]),
            0.5 * np.column_stack([np.cos(t1), np.sin(t1)]))


def _spiral_arm(m: int, turn: float) -> np.ndarray:
    s = np.linspace(0.0, 1.0, m)
    r = 0.1 + 0.9 * s
    a = 3.0 * np.pi * s + turn  # 1.5 turns
    return np.column_stack([r * np.cos(a), r * np.sin(a)])


def _spirals(n0: int, n1: int) -> tuple[np.ndarray, np.ndarray]:
    return _spiral_arm(n0, 0.0), _spiral_arm(n1, np.pi)


_SHAPES = {"moons": _moons, "circles": _circles, "spirals": _spirals}
_SHIFT = {"moons": np.array([-0.5, -0.25]), "circles": np.zeros(2), "spirals": np.zeros(2)}


def make_dataset(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (n, 2), targets (n,) in {0.0, 1.0}) of the data set ``name``; see the module
    docstring. Raises ValueError for an unknown name or n < 2."""
    if name not in _SHAPES:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    if n < 2:
        raise ValueError(f"a data set needs at least 2 examples, got {n}")
    n0 = (n + 1) // 2
    n1 = n - n0
    a, b = _SHAPES[name](n0, n1)
    x = np.concatenate([a, b]) + _SHIFT[name]
    rng = np.random.default_rng(seed)
    x = x + noise * rng.standard_normal(x.shape)
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    return x, y
