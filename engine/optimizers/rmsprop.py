"""RMSProp, the lecture's form (000, 001): σᵢ⁰ = |gᵢ⁰|, then σᵢ² ← α σᵢ² + (1−α) gᵢ².

    θᵢ ← θᵢ − η^t/(σᵢ^t + ε) · gᵢ^t

``init = "zero"`` starts from v₀ = 0 as torch.optim.RMSprop does.
"""
import numpy as np

from engine.optimizers.base import EPS, HyperParam, OptimizerSpec, Update, lr_param, zeros


def init(h, n):
    return {"sq": zeros(n)}  # σ²


def update(g, state, h, lr, ctx):
    first = (h.init == "first_gradient") & (ctx.t == 0)  # σ⁰ = |g⁰|
    keep = np.where(first, 0.0, h.alpha)
    sq = keep * state["sq"] + (1.0 - keep) * (g * g)
    sigma = np.sqrt(sq)
    eff = lr / (sigma + h.eps)
    return Update(step=eff * g, state={"sq": sq}, sigma=sigma, eff=eff)


def full_version(h, lr, t):
    first = (h.init == "first_gradient") & (t == 0)
    return {"c": h.alpha, "d": np.where(first, 1.0, 1.0 - h.alpha), "C": 1.0, "D": 0.0,
            "K": lr, "eps": h.eps}


SPEC = OptimizerSpec(
    "rmsprop", "RMSProp (lecture form)",
    "σᵢ² ← α σᵢ² + (1−α) gᵢ²;  θᵢ ← θᵢ − η^t/(σᵢ+ε) gᵢ",
    (lr_param(0.01),
     HyperParam("alpha", 0.9, "α: how much of the old σ² is kept each step. A smaller α "
                "forgets faster, so σ reacts faster when the slope changes (a faster brake).",
                "unit"),
     EPS,
     HyperParam("init", "first_gradient", "How σ starts: 'first_gradient' sets σ⁰ = |g⁰| as "
                "in the lecture; 'zero' starts from v₀ = 0 as PyTorch does.", "choice",
                ("first_gradient", "zero"))),
    update=update, init=init, has_sigma=True, eff="adaptive", full_version=full_version,
    reference="lecture 000/001; torch.optim.RMSprop with init = \"zero\"")
