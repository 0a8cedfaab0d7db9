"""QuickProp (lecture 002; Fahlman 1988): a per-parameter Newton step with a finite-difference
second derivative, Δθ ← Δθ_prev · g / (g_prev − g).

Fahlman's cap: where g and g_prev share a sign and the step would grow more than μ times (or
point uphill), the step is μ·Δθ_prev. The first step, and any step whose previous step is 0,
whose derivative did not change or whose result is not finite, is a gradient step −η^t g.
"""
import numpy as np

from engine.optimizers.base import HyperParam, OptimizerSpec, Update, lr_param, zeros


def init(h, n):
    return {"g_prev": zeros(n), "prev": zeros(n)}


def update(g, state, h, lr, ctx):
    g_prev, prev, mu = state["g_prev"], state["prev"], h.max_growth
    denom = g_prev - g
    ratio = g / denom
    capped = (g * g_prev > 0) & (np.abs(g) >= np.abs(g_prev) * mu / (1.0 + mu))
    secant = prev * np.where(capped, mu, ratio)
    fallback = (prev == 0) | (denom == 0) | ~np.isfinite(secant)
    moved = np.where(fallback, -lr * g, secant)
    return Update(step=-moved, state={"g_prev": g, "prev": moved})


SPEC = OptimizerSpec(
    "quickprop", "QuickProp",
    "per-parameter Newton step with a finite-difference second derivative: "
    "Δθ ← Δθ_prev · g / (g_prev − g)",
    (lr_param(0.01, " Used for the first step and whenever the QuickProp step is undefined."),
     HyperParam("max_growth", 1.75, "Maximum growth factor μ: a step is at most μ times the "
                "previous one (Fahlman's cap).", "growth")),
    update=update, init=init, eff="", reference="lecture 002; Fahlman 1988 (no torch.optim)")
