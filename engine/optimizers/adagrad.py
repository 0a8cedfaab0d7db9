"""Adagrad, the lecture's form (000, 003): σᵢ^t is the RMS of all past gradients gᵢ^0..gᵢ^t.

    σᵢ^t = sqrt( Σ_k (gᵢ^k)² / (t+1) );  θᵢ ← θᵢ − η^t/(σᵢ^t + ε) · gᵢ^t

With a constant η the first step is exactly ±η per parameter. With the inv_sqrt schedule it
is the classic Adagrad of torch.optim.Adagrad.
"""
import numpy as np

from engine.optimizers.base import EPS, OptimizerSpec, Update, lr_param, zeros


def init(h, n):
    return {"sum_sq": zeros(n)}


def update(g, state, h, lr, ctx):
    sum_sq = state["sum_sq"] + g * g
    sigma = np.sqrt(sum_sq * (1.0 / (ctx.t + 1.0)))
    eff = lr / (sigma + h.eps)
    return Update(step=eff * g, state={"sum_sq": sum_sq}, sigma=sigma, eff=eff)


def full_version(h, lr, t):
    return {"c": 1.0, "d": 1.0, "C": 1.0 / (t + 1.0), "D": 0.0, "K": lr, "eps": h.eps}


SPEC = OptimizerSpec(
    "adagrad", "Adagrad (lecture form)",
    "σᵢ = RMS of all past gradients gᵢ;  θᵢ ← θᵢ − η^t/(σᵢ+ε) gᵢ",
    (lr_param(0.1, " With constant η the first step is exactly ±η per parameter."), EPS),
    update=update, init=init, has_sigma=True, eff="adaptive", full_version=full_version,
    reference="lecture 000/003; torch.optim.Adagrad with the inv_sqrt schedule")
