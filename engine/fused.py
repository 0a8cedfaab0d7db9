"""The fast path: the lecture's "full version" fused over every run that has one.

    m ← a·m + b^t·g          (momentum state)
    s ← c·s + d^t·g²         (second-moment state)
    σ = sqrt(C^t·s + D)      (σ ≡ 1 for optimizers without one: C = 0, D = 1)
    step = K^t/(σ + ε) · m   (θ ← θ − step)

Each optimizer that fits gives its coefficients in ``OptimizerSpec.full_version(h, lr, t)``
(h: hyperparameters as (n,) arrays or single values, lr: η^t as (k, n), t: (k, 1) update
counts); rows of
other optimizers get a = b = c = d = C = K = 0, D = 1, so their fused step is 0 and their own
definition fills it in. One step costs the same dozen NumPy calls however many runs share it:
with a handful of runs, NumPy's per-call cost dominates, and one fused update is several
times faster than one definition per optimizer. The definitions stay the reference:
tests/test_optimizers.py proves this path equal to them bit for bit.
"""
from __future__ import annotations

import numpy as np

from engine.optimizers import Hyper

_KEYS = ("a", "b", "c", "d", "C", "D", "K", "eps", "gamma")
_DEFAULT = {"a": 0.0, "b": 1.0, "c": 0.0, "d": 0.0, "C": 0.0, "D": 1.0, "K": 0.0, "eps": 0.0,
            "gamma": 0.0}
_CONSTANT = ("a", "c", "D", "eps", "gamma")  # per run, the same at every step
_STEPWISE = ("b", "d", "C", "K")


class FusedPlan:
    """The fused runs of a simulation: ``groups`` is a list of (spec, indices, Hyper of (n,)
    arrays); ``n`` the number of runs in the simulation."""

    def __init__(self, n: int, groups):
        self.n, self.groups = n, groups
        self.mask = np.zeros(n, dtype=bool)
        for _, ix, _ in groups:
            self.mask[ix] = True
        self.all = bool(self.mask.all())
        self.ix = np.flatnonzero(self.mask)
        const = self.constants()
        col = lambda v: np.repeat(v[:, None], 2, axis=1)  # noqa: E731
        self.a, self.c, self.D, self.eps = (col(const[k]) for k in ("a", "c", "D", "eps"))
        self.gamma = col(const["gamma"])
        self.nesterov = bool(np.any(self.gamma != 0.0))
        self.m, self.s = np.zeros((n, 2)), np.zeros((n, 2))
        self.tmp, self.inv = np.empty((n, 2)), np.empty((n, 2))

    def coefficients(self, lr: np.ndarray, t0: int, k: int) -> dict[str, np.ndarray]:
        """The per-step coefficients b, d, C, K for steps t0..t0+k−1, each broadcastable to
        (k, n); lr (k, n) is η^t. (a, c, D, ε, γ are constant per run: ``self.a`` …)"""
        t = np.arange(t0, t0 + k, dtype=float)[:, None]
        if self.all and len(self.groups) == 1:  # one optimizer: broadcasting, no tables
            spec, _, h = self.groups[0]
            got = spec.full_version(h, lr, t)
            return {key: np.broadcast_to(np.asarray(got.get(key, _DEFAULT[key]), dtype=float),
                                         (k, self.n)) for key in _STEPWISE}
        out = {key: np.full((k, self.n), 0.0 if key in ("b", "C", "K") else _DEFAULT[key])
               for key in _STEPWISE}  # non-fused rows: a zero fused step
        for spec, ix, h in self.groups:
            got = spec.full_version(h, lr[:, ix], t)
            for key in _STEPWISE:
                out[key][:, ix] = got.get(key, _DEFAULT[key])
        return out

    def constants(self) -> dict[str, np.ndarray]:
        """(n,) the per-run constants a, c, D, ε, γ."""
        out = {key: np.full(self.n, _DEFAULT[key]) for key in _CONSTANT}
        zero_lr, t = np.zeros((1, self.n)), np.zeros((1, 1))
        for spec, ix, h in self.groups:
            got = spec.full_version(h, zero_lr[:, ix], t)
            for key in _CONSTANT:
                out[key][ix] = np.broadcast_to(np.asarray(got.get(key, _DEFAULT[key]),
                                                          dtype=float), (len(ix),))
        return out

    def freeze(self, i: int) -> None:
        """Run ``i`` stopped: zero state and σ ≡ 1 (its rates are zeroed per chunk)."""
        self.m[i] = self.s[i] = 0.0
        self.a[i] = 0.0
        self.D[i] = 1.0


def fused_groups(specs_ix):
    """(spec, indices, Hyper) with the Hyper's columns flattened for full_version: (n,), or
    a single value where every run has the same."""
    return [(spec, ix, Hyper({k: v[:, 0] if v.shape[0] > 1 else v[0, 0]
                              for k, v in h.__dict__.items()}))
            for spec, ix, h in specs_ix]
