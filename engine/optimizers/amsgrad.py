"""AMSGrad (Reddi et al. 2018; torch.optim.Adam(amsgrad=True)): Adam whose denominator uses
the running maximum of v, bias-corrected afterwards as torch does.

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  v_max ← max(v_max, v)
    σ = sqrt(v_max/(1−β₂^(t+1)));  θ ← θ − η^t/(1−β₁^(t+1)) · m/(σ + ε)
"""
import numpy as np

from engine.optimizers.base import BETA1, BETA2, EPS, OptimizerSpec, Update, lr_param, zeros


def init(h, n):
    return {"m": zeros(n), "v": zeros(n), "v_max": zeros(n)}


def update(g, state, h, lr, ctx):
    t = ctx.t + 1.0
    m = h.beta1 * state["m"] + (1.0 - h.beta1) * g
    v = h.beta2 * state["v"] + (1.0 - h.beta2) * (g * g)
    v_max = np.maximum(state["v_max"], v)
    sigma = np.sqrt(v_max / (1.0 - h.beta2 ** t))
    step = lr / (1.0 - h.beta1 ** t) * m / (sigma + h.eps)
    return Update(step=step, state={"m": m, "v": v, "v_max": v_max}, sigma=sigma,
                  eff=lr / (sigma + h.eps))


SPEC = OptimizerSpec(
    "amsgrad", "AMSGrad", "Adam with the running maximum of v: σ never shrinks",
    (lr_param(1e-3), BETA1, BETA2, EPS),
    update=update, init=init, has_sigma=True, eff="adaptive",
    reference="Reddi, Kale & Kumar 2018; torch.optim.Adam(amsgrad=True)")
