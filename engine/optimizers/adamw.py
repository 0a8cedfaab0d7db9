"""AdamW (Loshchilov & Hutter 2019; torch.optim.AdamW): Adam with decoupled weight decay.

    θ ← θ − η^t λ θ                          (decay, not part of the gradient)
    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
    θ ← θ − η^t/(1−β₁^(t+1)) · m/(sqrt(v/(1−β₂^(t+1))) + ε)
"""
import numpy as np

from engine.optimizers.base import (BETA1, BETA2, EPS, OptimizerSpec, Update, lr_param,
                                    weight_decay, zeros)


def init(h, n):
    return {"m": zeros(n), "v": zeros(n)}


def update(g, state, h, lr, ctx):
    t = ctx.t + 1.0
    m = h.beta1 * state["m"] + (1.0 - h.beta1) * g
    v = h.beta2 * state["v"] + (1.0 - h.beta2) * (g * g)
    sigma = np.sqrt(v / (1.0 - h.beta2 ** t))
    adam = lr / (1.0 - h.beta1 ** t) * m / (sigma + h.eps)
    return Update(step=lr * h.weight_decay * ctx.theta + adam, state={"m": m, "v": v},
                  sigma=sigma, eff=lr / (sigma + h.eps))


SPEC = OptimizerSpec(
    "adamw", "AdamW", "Adam with decoupled weight decay: θ ← θ − η^t λθ − η^t m̂/(√v̂ + ε)",
    (lr_param(1e-3), BETA1, BETA2, EPS,
     weight_decay(0.01, "decoupled: θ ← θ − η^t λθ, outside Adam's normalisation")),
    update=update, init=init, has_sigma=True, eff="adaptive",
    reference="Loshchilov & Hutter 2019; torch.optim.AdamW")
