"""Learning-rate schedules η^t, as plain functions of the step t (t = 0, 1, 2, ...).

A schedule is written in an experiment file as ``schedule = { name = "...", ... }``. Every
schedule scales the run's base learning rate η (the ``lr`` key). ``plateau`` depends on the loss,
so the simulation keeps its state; here it is only validated and described.
"""
from __future__ import annotations

from engine.names import did_you_mean
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np


@dataclass(frozen=True)
class SchedParam:
    name: str
    default: Any
    doc: str
    check: str = "positive"  # positive | nonneg | int_positive | shrink | choice
    choices: tuple[str, ...] = ()

    def validate(self, value: Any) -> Any:
        if self.check == "choice":
            if value not in self.choices:
                raise ValueError(f"must be one of {', '.join(self.choices)}, got {value!r}"
                                 f"{did_you_mean(value, self.choices)}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number, got {value!r}")
        if not math.isfinite(float(value)):
            raise ValueError(f"must be a finite number, got {value!r}")
        if self.check == "int_positive":
            if float(value) != int(value) or int(value) < 1:
                raise ValueError(f"must be a whole number ≥ 1, got {value!r}")
            return int(value)
        v = float(value)
        if self.check == "positive" and not v > 0:
            raise ValueError(f"must be > 0, got {value!r}")
        if self.check == "nonneg" and not v >= 0:
            raise ValueError(f"must be ≥ 0, got {value!r}")
        if self.check == "shrink" and not 0 < v < 1:
            raise ValueError(f"must be between 0 and 1 (exclusive), got {value!r}")
        return v


def _after_warmup(kind: str, lr: float, s: np.ndarray, span: float) -> np.ndarray:
    """η after the warm-up, s = steps since it ended, span = total − warmup."""
    if kind == "constant":
        return np.full(s.shape, lr)
    if kind == "inv_sqrt":
        return lr / np.sqrt(s + 1.0)
    frac = np.minimum(s / span, 1.0)
    if kind == "linear":
        return lr * (1.0 - frac)
    return lr * 0.5 * (1.0 + np.cos(np.pi * frac))  # cosine


def _warmup(lr, t, warmup, then, total):
    w = float(warmup)
    rise = lr * (t + 1.0) / w
    after = _after_warmup(then, lr, np.maximum(t - w, 0.0), max(float(total) - w, 1.0))
    return np.where(t < w, rise, after)


def _cosine(lr, t, total, min_lr):
    frac = np.minimum(t / float(total), 1.0)
    return min_lr + (lr - min_lr) * 0.5 * (1.0 + np.cos(np.pi * frac))


def _transformer(lr, t, d_model, warmup):
    s = t + 1.0
    return lr * d_model ** -0.5 * np.minimum(s ** -0.5, s * float(warmup) ** -1.5)


@dataclass(frozen=True)
class ScheduleKind:
    name: str
    formula: str
    doc: str
    params: tuple[SchedParam, ...]
    fn: Callable[..., np.ndarray] | None  # (lr, t, **params) -> values; None: stateful


_TOTAL = SchedParam("total", 1000, "Step at which the decay ends.", "int_positive")

SCHEDULES: dict[str, ScheduleKind] = {
    k.name: k
    for k in (
        ScheduleKind("constant", "η", "The same η at every step.", (),
                     lambda lr, t: np.full(t.shape, float(lr))),
        ScheduleKind("inv_sqrt", "η/√(t+1)", "1/t decay (lecture 003). With Adagrad this is the "
                     "classic Adagrad that PyTorch implements.", (),
                     lambda lr, t: lr / np.sqrt(t + 1.0)),
        ScheduleKind("inverse", "η/(t+1)", "'Linear' decay (lecture 002).", (),
                     lambda lr, t: lr / (t + 1.0)),
        ScheduleKind("inverse_square", "η/(t+1)²", "'Quadratic' decay (lecture 002).", (),
                     lambda lr, t: lr / (t + 1.0) ** 2),
        ScheduleKind("exponential", "η·e^(−rate·t)", "Exponential decay (lecture 002).",
                     (SchedParam("rate", 1e-3, "Decay rate β per step."),),
                     lambda lr, t, rate: lr * np.exp(-rate * t)),
        ScheduleKind("step", "η·factor^⌊t/every⌋", "Step decay: multiply η by factor every "
                     "'every' steps.",
                     (SchedParam("factor", 0.1, "Multiplier applied at each decay.", "shrink"),
                      SchedParam("every", 1000, "Steps between decays.", "int_positive")),
                     lambda lr, t, factor, every: lr * factor ** np.floor(t / every)),
        ScheduleKind("plateau", "η·factor^k", "Step decay on plateau (lecture 002): train at a "
                     "fixed η until the loss stagnates, then η ← factor·η and continue.",
                     (SchedParam("factor", 0.1, "Multiplier applied when the loss stagnates.",
                                 "shrink"),
                      SchedParam("patience", 100, "Steps without improvement before η drops.",
                                 "int_positive"),
                      SchedParam("threshold", 1e-4, "Relative improvement that counts: the loss "
                                 "must fall below best·(1 − threshold).", "nonneg")),
                     None),
        ScheduleKind("warmup", "η·(t+1)/W, then 'then'", "Warm-up (lecture 000): η rises "
                     "linearly over the first W steps, because σ is unreliable at first; then "
                     "constant, inv_sqrt, linear or cosine decay until 'total'.",
                     (SchedParam("warmup", 100, "Warm-up steps W.", "int_positive"),
                      SchedParam("then", "constant", "What follows the warm-up.", "choice",
                                 ("constant", "inv_sqrt", "linear", "cosine")),
                      _TOTAL),
                     _warmup),
        ScheduleKind("transformer", "η·d^−0.5·min(s^−0.5, s·W^−1.5), s = t+1",
                     "The Transformer's warm-up schedule (lecture 000). Set lr = 1 for the "
                     "paper's formula; lr scales it.",
                     (SchedParam("d_model", 512, "Model width d.", "int_positive"),
                      SchedParam("warmup", 4000, "Warm-up steps W.", "int_positive")),
                     _transformer),
        ScheduleKind("cosine", "min_lr + (η−min_lr)·½(1+cos(π·t/total))",
                     "Cosine decay from η to min_lr over 'total' steps.",
                     (_TOTAL, SchedParam("min_lr", 0.0, "Learning rate at the end.", "nonneg")),
                     _cosine),
    )
}


@dataclass(frozen=True)
class Schedule:
    """A validated schedule: ``name`` and its full ``params`` (defaults filled in)."""

    name: str = "constant"
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> ScheduleKind:
        return SCHEDULES[self.name]

    @property
    def stateful(self) -> bool:
        return self.kind.fn is None

    def values(self, lr: float, t: np.ndarray) -> np.ndarray:
        """η^t for the steps ``t`` (int array) with base rate ``lr``. For ``plateau`` this is
        the rate before any reduction."""
        t = np.asarray(t, dtype=float)
        if self.kind.fn is None:
            return np.full(t.shape, float(lr))
        return np.asarray(self.kind.fn(lr, t, **self.params), dtype=float)

    def to_table(self) -> dict[str, Any]:
        """The TOML table form, with only non-default parameters."""
        out: dict[str, Any] = {"name": self.name}
        for p in self.kind.params:
            if self.params.get(p.name, p.default) != p.default:
                out[p.name] = self.params[p.name]
        return out


CONSTANT = Schedule()


def make_schedule(spec: Mapping[str, Any] | str | None) -> Schedule:
    """Validate a schedule table (or a bare name). Raises KeyError/ValueError with a message
    naming the key."""
    if spec is None:
        return CONSTANT
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, Mapping):
        raise ValueError(f"must be a table like {{ name = \"inv_sqrt\" }}, got {spec!r}")
    spec = dict(spec)
    name = spec.pop("name", None)
    if name is None:
        raise KeyError("needs a 'name' (one of: " + ", ".join(SCHEDULES) + ")")
    if name not in SCHEDULES:
        raise KeyError(f"unknown schedule '{name}'{did_you_mean(name, SCHEDULES)}; "
                       f"known: {', '.join(SCHEDULES)}")
    kind = SCHEDULES[name]
    known = {p.name: p for p in kind.params}
    params = {p.name: p.default for p in kind.params}
    for key, value in spec.items():
        if key not in known:
            takes = ", ".join(known) or "no parameters"
            raise KeyError(f"'{key}' is not a parameter of schedule {name}"
                           f"{did_you_mean(key, known)}; it takes: {takes}")
        try:
            params[key] = known[key].validate(value)
        except ValueError as exc:
            raise ValueError(f"'{key}' {exc}") from None
    if name == "warmup" and params["then"] in ("linear", "cosine") and params["total"] <= params["warmup"]:
        raise ValueError(f"'total' ({params['total']}) must be larger than 'warmup' ({params['warmup']})")
    return Schedule(name, params)
