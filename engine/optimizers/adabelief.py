"""AdaBelief (Zhuang et al. 2020): Adam whose second moment is the variance of g around its
running mean m, the "belief" in the gradient.

    m ← β₁m + (1−β₁)g;  s ← β₂s + (1−β₂)(g − m)² + ε
    σ = sqrt(s/(1−β₂^(t+1)));  θ ← θ − η^t/(1−β₁^(t+1)) · m/(σ + ε)
"""
import numpy as np

from engine.optimizers.base import BETA1, BETA2, HyperParam, OptimizerSpec, Update, lr_param
from engine.optimizers.base import zeros


def init(h, n):
    return {"m": zeros(n), "s": zeros(n)}


def update(g, state, h, lr, ctx):
    t = ctx.t + 1.0
    m = h.beta1 * state["m"] + (1.0 - h.beta1) * g
    s = h.beta2 * state["s"] + (1.0 - h.beta2) * ((g - m) * (g - m)) + h.eps
    sigma = np.sqrt(s / (1.0 - h.beta2 ** t))
    step = lr / (1.0 - h.beta1 ** t) * m / (sigma + h.eps)
    return Update(step=step, state={"m": m, "s": s}, sigma=sigma, eff=lr / (sigma + h.eps))


SPEC = OptimizerSpec(
    "adabelief", "AdaBelief", "Adam with s ← β₂s + (1−β₂)(g − m)² + ε: large steps where the "
    "gradient is predictable",
    (lr_param(1e-3), BETA1, BETA2,
     HyperParam("eps", 1e-16, "ε added to s every step and to σ in the denominator.",
                "nonneg")),
    update=update, init=init, has_sigma=True, eff="adaptive",
    reference="Zhuang et al. 2020 (no torch.optim counterpart)")
