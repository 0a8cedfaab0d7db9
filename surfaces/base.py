"""The loss-surface interface every surface implements.

A surface is a scalar function L(θ) of two parameters θ = (θ₁, θ₂), evaluated on many points
at once. Points always have shape ``(n, 2)``; values ``(n,)``; gradients ``(n, 2)``;
Hessians ``(n, 2, 2)``. Surfaces never import Qt.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np


@dataclass(frozen=True)
class Param:
    """One parameter a surface accepts in an experiment file.

    ``kind`` is ``float``, ``int``, ``bool`` or ``str``; ``low``/``high`` are inclusive bounds
    (None: unbounded); ``choices`` lists the accepted values of a ``str`` parameter; ``doc`` is
    the tooltip text.
    """

    name: str
    default: Any
    doc: str
    kind: type = float
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to ``kind``; raise ValueError naming the problem."""
        if self.kind is str:
            if not isinstance(value, str) or value not in self.choices:
                raise ValueError(f"must be one of {', '.join(repr(c) for c in self.choices)}, "
                                 f"got {value!r}")
            return value
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"must be true or false, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number, got {value!r}")
        if self.kind is int:
            if float(value) != int(value):
                raise ValueError(f"must be a whole number, got {value!r}")
            value = int(value)
        else:
            value = float(value)
            if not np.isfinite(value):
                raise ValueError(f"must be a finite number, got {value!r}")
        if self.low is not None and value < self.low:
            raise ValueError(f"must be ≥ {self.low:g}, got {value:g}")
        if self.high is not None and value > self.high:
            raise ValueError(f"must be ≤ {self.high:g}, got {value:g}")
        return value


@dataclass(frozen=True)
class CriticalPoint:
    """A known critical point: ``kind`` is "minimum", "saddle" or "maximum"."""

    x: float
    y: float
    kind: str = "minimum"
    note: str = ""

    @property
    def point(self) -> np.ndarray:
        return np.array([self.x, self.y])


class Surface:
    """Base class. Subclasses set the class attributes and implement ``value``, ``grad``
    and ``hessian`` (and may override ``value_and_grad`` to share work).

    Instances are immutable after construction; ``params`` holds the validated values.
    """

    name: str = ""
    title: str = ""
    description: str = ""
    param_specs: tuple[Param, ...] = ()
    axis_names: tuple[str, str] = ("θ₁", "θ₂")
    #: True when the loss spans orders of magnitude (the map uses log-scaled colours)
    log_scale: bool = False

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = resolve_params(self.param_specs, params)
        self.setup(**self.params)

    # -- to override -------------------------------------------------------------------
    def setup(self, **params: Any) -> None:
        """Compute derived constants from the validated parameters."""

    def value(self, p: np.ndarray) -> np.ndarray:
        """value(p: (n, 2)) -> (n,)"""
        raise NotImplementedError

    def grad(self, p: np.ndarray) -> np.ndarray:
        """grad(p: (n, 2)) -> (n, 2)"""
        raise NotImplementedError

    def hessian(self, p: np.ndarray) -> np.ndarray:
        """hessian(p: (n, 2)) -> (n, 2, 2)"""
        raise NotImplementedError

    def value_and_grad(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(value (n,), grad (n, 2)); override to share work on the hot path."""
        return self.value(p), self.grad(p)

    def scalar_kernel(self) -> tuple[str, tuple[float, ...]] | None:
        """(name, constants) of a scalar ``name_value_grad(x, y, c) -> (L, ∂L/∂x, ∂L/∂y)``
        the engine may compile (engine/compiled.py), doing exactly the floating-point
        operations of ``value`` and ``grad`` (a test compares them bit for bit); None: this
        surface has none and always runs through NumPy."""
        return None

    @property
    def view(self) -> tuple[float, float, float, float]:
        """Default view rectangle (xmin, xmax, ymin, ymax)."""
        return (-2.0, 2.0, -2.0, 2.0)

    @property
    def start(self) -> tuple[float, float]:
        """Default start point."""
        return (-1.5, 1.5)

    @property
    def critical_points(self) -> tuple[CriticalPoint, ...]:
        """Known minima, saddles and maxima (where known)."""
        return ()

    # -- extra per-point figures (e.g. a test loss) -----------------------------------------
    #: names of the figures ``metrics`` returns, in display order; () for most surfaces
    metric_names: tuple[str, ...] = ()

    def metrics(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """Figures the surface defines at each point besides the training loss, e.g. a test
        loss: metrics(p: (n, 2)) -> {name: (n,)}, one entry per name in ``metric_names``. The
        command line's summary prints a column per metric and the app shows them per run."""
        return {}

    # -- data surfaces (mini-batches) override these ---------------------------------------
    #: number of examples N for a data-defined loss; 0 for an analytic surface
    n_examples: int = 0

    def batch_grad(self, p: np.ndarray, idx: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """Gradient of a weighted sum of per-example losses.

        p: (n, 2); idx: (n, B) example indices per point; weight: (n, B) weights (1/B for a
        batch of B, 0 for padding) -> (n, 2).
        """
        raise NotImplementedError(f"{self.name} is not a data surface")

    # -- derived ---------------------------------------------------------------------------
    @property
    def minima(self) -> tuple[CriticalPoint, ...]:
        return tuple(c for c in self.critical_points if c.kind == "minimum")

    @property
    def saddles(self) -> tuple[CriticalPoint, ...]:
        return tuple(c for c in self.critical_points if c.kind == "saddle")

    @property
    def is_data(self) -> bool:
        return self.n_examples > 0

    @property
    def divergence_bound(self) -> float:
        """A run is diverged once |θ − view centre| exceeds this in either coordinate."""
        x0, x1, y0, y1 = self.view
        return 1000.0 * max(x1 - x0, y1 - y0)

    @property
    def view_center(self) -> tuple[float, float]:
        x0, x1, y0, y1 = self.view
        return ((x0 + x1) / 2.0, (y0 + y1) / 2.0)

    def nearest_minimum(self, p: np.ndarray) -> tuple[CriticalPoint | None, np.ndarray]:
        """For points (n, 2): the nearest known minimum overall and the distances (n,) to the
        nearest one per point (nan when the surface lists none)."""
        mins = self.minima
        p = np.atleast_2d(np.asarray(p, dtype=float))
        if not mins:
            return None, np.full(len(p), np.nan)
        m = np.array([c.point for c in mins])
        d = np.linalg.norm(p[:, None, :] - m[None, :, :], axis=2)
        return mins[int(np.argmin(d.min(axis=0)))], d.min(axis=1)

    def describe(self) -> str:
        return self.description

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


def resolve_params(specs: tuple[Param, ...], given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``given``, each validated. Unknown names raise KeyError with the
    closest known name suggested (the message is the KeyError's first argument)."""
    known = {s.name: s for s in specs}
    out = {s.name: s.default for s in specs}
    for key, value in given.items():
        if key not in known:
            names = ", ".join(known) or "none"
            raise KeyError(f"unknown parameter '{key}'{closest_name(key, list(known), 0.6)}; "
                           f"this surface takes: {names}")
        try:
            out[key] = known[key].validate(value)
        except ValueError as exc:
            raise ValueError(f"parameter '{key}' {exc}") from None
    return out


def closest_name(name: str, names: list[str], cutoff: float = 0.5) -> str:
    """" (did you mean 'x'?)" for the name in ``names`` closest to ``name``, or ""."""
    close = difflib.get_close_matches(name, names, n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""


def as_points(p: Any) -> np.ndarray:
    """Coerce a point or points to a float array of shape (n, 2)."""
    a = np.asarray(p, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {a.shape}")
    return a
