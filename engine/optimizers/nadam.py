"""NAdam (Dozat 2016; torch.optim.NAdam): Adam with Nesterov momentum and a momentum schedule.

With s = t+1 and the momentum decay ψ:
    μ_s = β₁(1 − ½·0.96^(sψ));  Π_s = μ_1⋯μ_s
    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  σ = sqrt(v/(1−β₂^s))
    θ ← θ − η^t [ (1−μ_s)/(1−Π_s) · g + μ_(s+1)/(1−Π_s·μ_(s+1)) · m ] / (σ + ε)
"""
import numpy as np

from engine.optimizers.base import (BETA1, BETA2, EPS, HyperParam, OptimizerSpec, Update,
                                    lr_param, zeros)


def init(h, n):
    return {"m": zeros(n), "v": zeros(n), "mu_product": np.ones((n, 1))}


def update(g, state, h, lr, ctx):
    s = ctx.t + 1.0
    mu = h.beta1 * (1.0 - 0.5 * 0.96 ** (s * h.momentum_decay))
    mu_next = h.beta1 * (1.0 - 0.5 * 0.96 ** ((s + 1.0) * h.momentum_decay))
    mu_product = state["mu_product"] * mu
    m = h.beta1 * state["m"] + (1.0 - h.beta1) * g
    v = h.beta2 * state["v"] + (1.0 - h.beta2) * (g * g)
    sigma = np.sqrt(v / (1.0 - h.beta2 ** s))
    step = lr * ((1.0 - mu) / (1.0 - mu_product) * g
                 + mu_next / (1.0 - mu_product * mu_next) * m) / (sigma + h.eps)
    return Update(step=step, state={"m": m, "v": v, "mu_product": mu_product}, sigma=sigma,
                  eff=lr / (sigma + h.eps))


SPEC = OptimizerSpec(
    "nadam", "NAdam", "Adam with Nesterov momentum: the step mixes g and m with the scheduled "
    "momentum μ_t",
    (lr_param(2e-3), BETA1, BETA2, EPS,
     HyperParam("momentum_decay", 4e-3, "ψ: the momentum schedule μ_t = β₁(1 − ½·0.96^(tψ)); "
                "larger ψ approaches β₁ sooner.", "nonneg")),
    update=update, init=init, has_sigma=True, eff="adaptive",
    reference="Dozat 2016; torch.optim.NAdam")
