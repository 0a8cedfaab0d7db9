"""What a data surface's parameters mean: the model a point θ defines, for the model view.

A data surface that can show its model sets ``model_kind`` and implements ``model_data`` and
``model_output`` (see ``surfaces.data.DataSurface``):

- ``"line"``: one input x, a prediction ŷ = f_θ(x) drawn as a curve over the data (x, y);
- ``"classifier"``: two inputs (x₁, x₂), a logit f_θ(x) whose zero set is the decision
  boundary (probability σ(f) = 0.5), drawn over the data coloured by class.

Analytic surfaces have ``model_kind == ""``: there is no model to show. No Qt here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LINE, CLASSIFIER = "line", "classifier"


@dataclass(frozen=True)
class ModelData:
    """The examples as the model view draws them.

    inputs (N, d) with d = 1 for a line, 2 for a classifier; targets (N,) (a line's y, a
    classifier's target probability); classes (N,) 0/1 for a classifier (None for a line);
    highlight: indices of examples to mark (the spoiler), with ``highlight_label``;
    ``view`` (x0, x1, y0, y1) in input space; ``axis_names`` the two axis titles.
    """

    inputs: np.ndarray
    targets: np.ndarray
    classes: np.ndarray | None
    view: tuple[float, float, float, float]
    axis_names: tuple[str, str]
    highlight: tuple[int, ...] = ()
    highlight_label: str = ""


def padded_view(points: np.ndarray, margin: float = 0.15,
                minimum: float = 1.0) -> tuple[float, float, float, float]:
    """A rectangle (x0, x1, y0, y1) around points (n, 2) with ``margin`` × the span on every
    side (each side at least ``minimum`` wide)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.maximum(hi - lo, minimum)
    mid = 0.5 * (lo + hi)
    half = 0.5 * span * (1.0 + 2.0 * margin)
    return (float(mid[0] - half[0]), float(mid[0] + half[0]),
            float(mid[1] - half[1]), float(mid[1] + half[1]))
