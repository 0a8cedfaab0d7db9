"""Rprop with backtracking (the slide's rule, lecture 002; Riedmiller's Rprop+).

Per parameter, with g_prev the derivative remembered from the previous step:
g·g_prev > 0: Δ ← min(η₊Δ, Δmax), step −sign(g)Δ; g·g_prev < 0: Δ ← max(η₋Δ, Δmin) and,
with ``backtrack``, return to the previous location and take the smaller step in the previous
direction, then forget the derivative; g·g_prev = 0: Δ unchanged, step −sign(g)Δ.
Where-masks, not branches (as optax's scale_by_rprop).
"""
import numpy as np

from engine.optimizers.base import HyperParam, OptimizerSpec, Update, zeros


def init(h, n):
    return {"delta": np.full((n, 2), h.step_init), "g_prev": zeros(n), "fwd": zeros(n)}


def update(g, state, h, lr, ctx):
    delta, g_prev = state["delta"], state["g_prev"]
    same, flip = g * g_prev > 0, g * g_prev < 0
    delta = np.where(same, np.minimum(delta * h.eta_plus, h.step_max),
                     np.where(flip, np.maximum(delta * h.eta_minus, h.step_min), delta))
    back = flip & h.backtrack
    fwd = -np.sign(np.where(back, g_prev, g)) * delta  # the new forward step
    moved = fwd - np.where(back, state["fwd"], 0.0)    # undo the last step where returning
    # after a return, forget the derivative (Rprop+): the next step follows the fresh gradient
    state = {"delta": delta, "g_prev": np.where(back, 0.0, g), "fwd": fwd}
    return Update(step=-moved, state=state, eff=delta)


SPEC = OptimizerSpec(
    "rprop", "Rprop",
    "sign-based: grow Δ while the derivative keeps its sign, return and shrink it when the "
    "sign flips",
    (HyperParam("step_init", 0.01, "Initial step size Δ⁰ of every parameter."),
     HyperParam("eta_plus", 1.2, "a: Δ grows by this factor while the derivative keeps its "
                "sign.", "growth"),
     HyperParam("eta_minus", 0.5, "b: Δ shrinks by this factor when the derivative changes "
                "sign.", "shrink"),
     HyperParam("step_min", 1e-6, "Floor on Δ.", "nonneg"),
     HyperParam("step_max", 1.0, "Ceiling on Δ."),
     HyperParam("backtrack", True, "On a sign change, return to the previous location before "
                "taking the smaller step (the slide's rule).", "bool")),
    update=update, init=init, eff="delta", has_lr=False,
    reference="lecture 002; Riedmiller & Braun 1993 (torch.optim.Rprop is iRprop−)")
