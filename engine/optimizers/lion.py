"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): the sign of an
interpolation of momentum and gradient, so every parameter moves by exactly η^t.

    c = β₁m + (1−β₁)g;  θ ← θ − η^t (sign(c) + λθ);  m ← β₂m + (1−β₂)g
"""
import numpy as np

from engine.optimizers.base import HyperParam, OptimizerSpec, Update, lr_param, weight_decay
from engine.optimizers.base import zeros


def init(h, n):
    return {"m": zeros(n)}


def update(g, state, h, lr, ctx):
    c = h.beta1 * state["m"] + (1.0 - h.beta1) * g
    m = h.beta2 * state["m"] + (1.0 - h.beta2) * g
    return Update(step=lr * (np.sign(c) + h.weight_decay * ctx.theta), state={"m": m})


SPEC = OptimizerSpec(
    "lion", "Lion", "θ ← θ − η^t sign(β₁m + (1−β₁)g);  m ← β₂m + (1−β₂)g",
    (lr_param(1e-4, " Every parameter moves by exactly η per step (sign update): Lion's η is "
              "typically 3–10× smaller than Adam's."),
     HyperParam("beta1", 0.9, "β₁: weight of the momentum in the direction c = β₁m + (1−β₁)g.",
                "unit_closed"),
     HyperParam("beta2", 0.99, "β₂: decay of the momentum m ← β₂m + (1−β₂)g.", "unit_closed"),
     weight_decay(0.0, "decoupled: θ ← θ − η^t λθ")),
    update=update, init=init, reference="Chen et al. 2023 (no torch.optim counterpart)")
