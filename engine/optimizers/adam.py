"""Adam (lecture 000; Kingma & Ba 2015; torch.optim.Adam): RMSProp + momentum.

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
    σ = sqrt(v̂) = sqrt(v / (1−β₂^(t+1)));  θ ← θ − η^t/(1−β₁^(t+1)) · m/(σ + ε)
"""
import numpy as np

from engine.optimizers.base import BETA1, BETA2, EPS, OptimizerSpec, Update, lr_param, zeros


def init(h, n):
    return {"m": zeros(n), "v": zeros(n)}


def update(g, state, h, lr, ctx):
    t = ctx.t + 1.0
    m = h.beta1 * state["m"] + (1.0 - h.beta1) * g
    v = h.beta2 * state["v"] + (1.0 - h.beta2) * (g * g)
    sigma = np.sqrt(v * (1.0 / (1.0 - h.beta2 ** t)))
    step = lr / (1.0 - h.beta1 ** t) / (sigma + h.eps) * m
    return Update(step=step, state={"m": m, "v": v}, sigma=sigma, eff=lr / (sigma + h.eps))


def full_version(h, lr, t):
    return {"a": h.beta1, "b": 1.0 - h.beta1, "c": h.beta2, "d": 1.0 - h.beta2,
            "C": 1.0 / (1.0 - h.beta2 ** (t + 1.0)), "D": 0.0,
            "K": lr / (1.0 - h.beta1 ** (t + 1.0)), "eps": h.eps}


SPEC = OptimizerSpec(
    "adam", "Adam",
    "RMSProp + momentum: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η^t m̂/(√v̂ + ε)",
    (lr_param(1e-3, " The lecture: use PyTorch's defaults."), BETA1, BETA2, EPS),
    update=update, init=init, has_sigma=True, eff="adaptive", full_version=full_version,
    reference="lecture 000; Kingma & Ba 2015; torch.optim.Adam")
