"""Momentum, the lecture's form: m ← λm − η^t g; θ ← θ + m (lecture 002, 004).

The state keeps v = −m (v ← λv + η^t g; θ ← θ − v), the same numbers with the sign that
makes the step the subtracted quantity.
"""
from engine.optimizers.base import MOMENTUM, OptimizerSpec, Update, lr_param, zeros


def init(h, n):
    return {"v": zeros(n)}


def update(g, state, h, lr, ctx):
    v = h.momentum * state["v"] + lr * g
    return Update(step=v, state={"v": v})


def full_version(h, lr, t):
    return {"a": h.momentum, "b": lr, "K": 1.0}


SPEC = OptimizerSpec(
    "momentum", "Momentum", "m ← λm − η^t g;  θ ← θ + m", (lr_param(0.01), MOMENTUM),
    update=update, init=init, full_version=full_version,
    reference="lecture 002/004; torch.optim.SGD(momentum=λ) (lr placement differs)")
