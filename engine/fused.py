"""The fast path: the lecture's "full version" fused over every run that has one.

    m ← a·m + b^t·g          (momentum state)
    s ← c·s + d^t·g²         (second-moment state)
    σ = sqrt(C^t·s + D)      (σ ≡ 1 for optimizers without one: C = 0, D = 1)
    step = K^t/(σ + ε) · m   (θ ← θ − step)

Each optimizer that fits gives its coefficients in ``OptimizerSpec.full_version(h, lr, t)``
(h: hyperparameters as (n,) arrays, lr: η^t as (k, n), t: (k, 1) update counts); rows of
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
        const = self.coefficients(np.zeros((1, n)), 0, 1)
        col = lambda v: np.repeat(np.asarray(v, dtype=float)[0][:, None], 2, axis=1)  # noqa: E731
        self.a, self.c, self.D, self.eps = (col(const[k]) for k in ("a", "c", "D", "eps"))
        self.gamma = col(const["gamma"])
        self.nesterov = bool(np.any(self.gamma != 0.0))
        self.m, self.s = np.zeros((n, 2)), np.zeros((n, 2))
        self.tmp, self.inv = np.empty((n, 2)), np.empty((n, 2))

    def coefficients(self, lr: np.ndarray, t0: int, k: int) -> dict[str, np.ndarray]:
        """(k, n) tables of every coefficient for steps t0..t0+k−1; lr (k, n) is η^t."""
        t = np.arange(t0, t0 + k, dtype=float)[:, None]
        out = {key: np.full((k, self.n), v) for key, v in _DEFAULT.items()}
        for key in ("b", "C", "K"):  # non-fused rows: a zero fused step
            out[key][:, ~self.mask] = 0.0
        for spec, ix, h in self.groups:
            for key, v in spec.full_version(h, lr[:, ix], t).items():
                out[key][:, ix] = v
        return out

    def freeze(self, i: int) -> None:
        """Run ``i`` stopped: zero state and σ ≡ 1 (its rates are zeroed per chunk)."""
        self.m[i] = self.s[i] = 0.0
        self.a[i] = 0.0
        self.D[i] = 1.0


def fused_groups(specs_ix):
    """(spec, indices, Hyper) with the Hyper's columns flattened to (n,) for full_version."""
    return [(spec, ix, Hyper({k: v[:, 0] for k, v in h.__dict__.items()}))
            for spec, ix, h in specs_ix]
