"""Which quadratic theory speaks about one GD run: the Hessian at the minimum that a descent
from the run's start reaches (not simply the surface's lowest minimum, which the run may never
visit: the `spoiler` run ends at the upper minimum, not at the deeper one below).

No Qt. ``theory_for_run(surface, start, points)`` -> (StepSizeTheory or None, where, note).
"""
from __future__ import annotations

import numpy as np

from engine.analysis import MINIMUM, StepSizeTheory, analyze_point, step_size_theory
from engine.step_hint import descend

#: a descent's end point belongs to a listed minimum within this fraction of the view's size
MATCH_RTOL = 0.02


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _distance(entry, q: np.ndarray) -> float:
    pts = entry.curve if getattr(entry, "curve", None) is not None else entry.point[None]
    return float(np.min(np.hypot(*(np.asarray(pts, dtype=float) - q).T)))


def theory_for_run(surface, start, points) -> tuple[StepSizeTheory | None, str, str]:
    """The theory for a GD run starting at ``start`` on ``surface`` whose critical points are
    ``points`` (``find_critical_points``' entries). A quadratic bowl: its own eigenvalues."""
    if hasattr(surface, "eigenvalues") and hasattr(surface, "eigenvectors"):
        return step_size_theory(surface), "the quadratic", ""
    start = np.asarray(start if start is not None else surface.start, dtype=float)
    q, ok = descend(surface, start)
    x0, x1, y0, y1 = surface.view
    span = max(x1 - x0, y1 - y0)
    mins = [c for c in points if c.kind == MINIMUM]
    near = min(mins, key=lambda c: _distance(c, q)) if mins and ok else None
    if near is None or _distance(near, q) > MATCH_RTOL * span:
        return None, "", ("a descent from its start reaches no minimum found in the view: "
                          "no prediction")
    at = f"({_fmt(near.x)}, {_fmt(near.y)})"
    if getattr(near, "degenerate", False) or getattr(near, "curve", None) is not None:
        return None, "", (f"the minimum it heads for, {at}, is degenerate (an eigenvalue ≈ 0): "
                          "no rate predicted")
    a = analyze_point(surface, near.point)
    t = StepSizeTheory(a.eigenvalues, a.eigenvectors, a.point)
    if not t.positive_definite or t.flat:
        return None, "", f"no positive-definite Hessian at the minimum {at}: no prediction"
    return t, f"the local Hessian at the minimum {at}", ""
