"""Nesterov momentum, the lecture's form (002): the gradient is taken at the look-ahead point.

    Δw^t = λΔw^(t−1) − η^t ∇L(θ^t + λΔw^(t−1));  θ^(t+1) = θ^t + Δw^t

The state keeps v = −Δw, so the look-ahead point is θ − λv.
"""
from engine.optimizers.base import MOMENTUM, OptimizerSpec, Update, lr_param, zeros


def init(h, n):
    return {"v": zeros(n)}


def lookahead(theta, state, h):
    return theta - h.momentum * state["v"]


def update(g, state, h, lr, ctx):  # g was taken at lookahead(θ)
    v = h.momentum * state["v"] + lr * g
    return Update(step=v, state={"v": v})


def full_version(h, lr, t):
    return {"a": h.momentum, "b": lr, "K": 1.0, "gamma": -h.momentum}


SPEC = OptimizerSpec(
    "nesterov", "Nesterov momentum",
    "m ← λm − η^t ∇L(θ + λm);  θ ← θ + m (gradient at the look-ahead point)",
    (lr_param(0.01), MOMENTUM), update=update, init=init, lookahead=lookahead,
    full_version=full_version,
    reference="lecture 002; torch.optim.SGD(nesterov=True) stores the look-ahead point")
