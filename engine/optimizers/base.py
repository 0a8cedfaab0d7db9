"""What an optimizer definition is: hyperparameters, state, a vectorized update.

An optimizer is one ``OptimizerSpec`` (one module per optimizer in this package), in the spirit
of optax's ``init``/``update`` pairs:

    init(h, n) -> state                       # a dict of arrays over the n runs
    update(g, state, h, lr, ctx) -> Update    # one step of every run at once

``g`` is (n, 2), the gradient each run uses at step ``ctx.t``; ``h`` holds the resolved
hyperparameters as columns that broadcast against (n, 2) (``h.beta1``: (n, 1), or (1, 1) when
all runs share the value), ``lr`` is η^t as an (n, 1) column (schedule
applied; nan for optimizers without a learning rate). ``Update.step`` is what is subtracted:
θ^(t+1) = θ^t − step. ``Update.sigma`` and ``Update.eff`` are the σ^t and effective-rate
columns of the record, where the optimizer defines them (``has_sigma``, ``eff``). Updates do
not modify their inputs: they return a new state. Stopped runs are frozen by the simulation
(their step is zeroed), so a definition never needs to know about them.
"""
from __future__ import annotations

import math
from operator import itemgetter
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from engine.names import did_you_mean


@dataclass(frozen=True)
class HyperParam:
    """One hyperparameter. ``check`` names the allowed range:

    ``positive`` (> 0), ``nonneg`` (≥ 0), ``unit`` (0 < v < 1), ``unit_closed`` (0 ≤ v < 1),
    ``growth`` (> 1), ``shrink`` (0 < v < 1), ``bool`` or ``choice`` (one of ``choices``).
    ``doc`` is the tooltip text of the GUI's run editor.
    """

    name: str
    default: Any
    doc: str
    check: str = "positive"
    choices: tuple[str, ...] = ()

    def validate(self, value: Any) -> Any:
        if self.check == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"must be true or false, got {value!r}")
            return value
        if self.check == "choice":
            if value not in self.choices:
                raise ValueError(f"must be one of {', '.join(self.choices)}, got {value!r}"
                                 f"{did_you_mean(value, self.choices)}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number, got {value!r}")
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"must be a finite number, got {value!r}")
        ok, what = {
            "positive": (v > 0, "> 0"),
            "nonneg": (v >= 0, "≥ 0"),
            "unit": (0 < v < 1, "between 0 and 1 (exclusive)"),
            "unit_closed": (0 <= v < 1, "in [0, 1)"),
            "growth": (v > 1, "> 1"),
            "shrink": (0 < v < 1, "between 0 and 1 (exclusive)"),
        }[self.check]
        if not ok:
            raise ValueError(f"must be {what}, got {value!r}")
        return v

    @property
    def allowed(self) -> str:
        """The allowed range in words (docs, ``main.py list``)."""
        return {"positive": "> 0", "nonneg": "≥ 0", "unit": "(0, 1)", "unit_closed": "[0, 1)",
                "growth": "> 1", "shrink": "(0, 1)", "bool": "true/false",
                "choice": " or ".join(self.choices)}[self.check]


class Hyper:
    """Resolved hyperparameters of n runs as columns: ``h.lr``, ``h.beta1``.

    Numbers are float64 columns, ``bool`` ones bool columns, ``choice`` ones string columns.
    """

    def __init__(self, columns: Mapping[str, np.ndarray]):
        self.__dict__.update(columns)

    @classmethod
    def of(cls, spec: "OptimizerSpec", hypers: list[Mapping[str, Any]]) -> "Hyper":
        """Columns (n, 1), or (1, 1) where every run has the same value (they broadcast
        alike; a sweep's shared β then costs one power per step, not n)."""
        cols = {}
        for hp in spec.hyperparams:
            vals = map(itemgetter(hp.name), hypers)
            if hp.check in ("bool", "choice"):
                col = np.array(list(vals), dtype=bool if hp.check == "bool" else object)
            else:
                col = np.fromiter(vals, float, len(hypers))
            col = col.reshape(-1, 1)
            if len(col) > 1 and (col == col[0, 0]).all():
                col = col[:1]
            cols[hp.name] = col
        return cls(cols)

    def take(self, ix) -> "Hyper":
        return Hyper({k: v[ix] for k, v in self.__dict__.items()})


@dataclass(frozen=True)
class Context:
    """What an update may need beyond the gradient: ``t`` (the update's count, from 0),
    ``theta`` (n, 2) θ^t of these runs, and the surface (``hessian()`` at θ^t)."""

    t: int
    theta: np.ndarray
    surface: Any = None

    def hessian(self) -> np.ndarray:
        """(n, 2, 2) the surface's Hessian at θ^t."""
        return self.surface.hessian(self.theta)


@dataclass(frozen=True)
class Update:
    """One step of n runs: θ ← θ − ``step``; the new ``state``; the recorded σ^t and effective
    rate (n, 2) where the optimizer defines them (None: the column is left empty)."""

    step: np.ndarray
    state: dict
    sigma: np.ndarray | None = None
    eff: np.ndarray | None = None


def _no_state(h: Hyper, n: int) -> dict:
    return {}


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer: its keys and the update that defines it (see the module docstring).

    ``has_sigma``: the σ columns mean something; ``eff``: what the eff_lr columns hold —
    "lr" (η^t), "adaptive" (η^t/(σ^t+ε)), "delta" (Rprop's Δ) or "" (none, left empty);
    ``has_lr``: False when η^t has no meaning (Rprop), so the lr column is empty and a
    schedule is rejected. ``reference`` names the lecture slide, paper or torch.optim class.
    ``lookahead(theta, state, h)`` (optional) is the point where the gradient is taken
    (Nesterov). ``full_version`` (optional) gives the coefficients of the engine's fused fast
    path (engine/fused.py); a test proves it equal to ``update`` bit for bit.
    """

    name: str
    title: str
    summary: str
    hyperparams: tuple[HyperParam, ...]
    update: Callable[..., Update] = None  # type: ignore[assignment]
    init: Callable[[Hyper, int], dict] = _no_state
    has_sigma: bool = False
    eff: str = "lr"
    has_lr: bool = True
    reference: str = ""
    lookahead: Callable[..., np.ndarray] | None = None
    full_version: Callable[..., dict] | None = field(default=None, repr=False)

    def defaults(self) -> dict[str, Any]:
        return {h.name: h.default for h in self.hyperparams}

    def param(self, name: str) -> HyperParam:
        for h in self.hyperparams:
            if h.name == name:
                return h
        raise KeyError(name)

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``given``; raises KeyError/ValueError naming the key."""
        out = self.defaults()
        names = [h.name for h in self.hyperparams]
        for key, value in given.items():
            if key not in names:
                raise KeyError(f"'{key}' is not a hyperparameter of {self.name}"
                               f"{did_you_mean(key, names)}; "
                               f"it takes: {', '.join(names)}")
            try:
                out[key] = self.param(key).validate(value)
            except ValueError as exc:
                raise ValueError(f"'{key}' {exc}") from None
        return out


# ------------------------------------------------------------------ shared hyperparameters
def lr_param(default: float, extra: str = "") -> HyperParam:
    return HyperParam("lr", default, "Learning rate η: how far each update moves along the "
                      "negative gradient. Too large and the run oscillates or diverges; too "
                      "small and it crawls." + extra)


EPS = HyperParam("eps", 1e-8, "ε added to σ in the denominator η/(σ+ε) to avoid division by "
                 "zero. 0 gives the lecture's pure formula.", "nonneg")
MOMENTUM = HyperParam("momentum", 0.9, "Momentum λ: the fraction of the previous update kept "
                      "in the next, m ← λm − ηg. A ball rolling downhill: with enough momentum "
                      "it rolls through saddle points and over small hills.", "unit_closed")
BETA1 = HyperParam("beta1", 0.9, "β₁: decay of the running mean of gradients (the momentum "
                   "part).", "unit_closed")
BETA2 = HyperParam("beta2", 0.999, "β₂: decay of the running mean of squared gradients (the σ "
                   "part).", "unit_closed")


def weight_decay(default: float, how: str) -> HyperParam:
    return HyperParam("weight_decay", default, "Weight decay λ: pulls θ towards 0 each step "
                      f"({how}). 0 turns it off.", "nonneg")


def zeros(n: int) -> np.ndarray:
    return np.zeros((n, 2))
