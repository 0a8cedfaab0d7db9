"""Adadelta (Zeiler 2012; torch.optim.Adadelta): the rate is the RMS of past updates over the
RMS of past gradients, so η = 1 needs no tuning.

    E[g²] ← ρE[g²] + (1−ρ)g²;  σ = sqrt(E[g²] + ε)
    Δ = sqrt(E[Δ²] + ε)/σ · g;  E[Δ²] ← ρE[Δ²] + (1−ρ)Δ²;  θ ← θ − η^t Δ
"""
import numpy as np

from engine.optimizers.base import HyperParam, OptimizerSpec, Update, lr_param, zeros


def init(h, n):
    return {"sq_grad": zeros(n), "sq_delta": zeros(n)}


def update(g, state, h, lr, ctx):
    sq_grad = h.rho * state["sq_grad"] + (1.0 - h.rho) * (g * g)
    sigma = np.sqrt(sq_grad + h.eps)
    rate = np.sqrt(state["sq_delta"] + h.eps) / sigma
    delta = rate * g
    sq_delta = h.rho * state["sq_delta"] + (1.0 - h.rho) * (delta * delta)
    return Update(step=lr * delta, state={"sq_grad": sq_grad, "sq_delta": sq_delta},
                  sigma=sigma, eff=lr * rate)


SPEC = OptimizerSpec(
    "adadelta", "Adadelta", "θ ← θ − η^t · RMS[Δ]/RMS[g] · g (no hand-tuned rate)",
    (lr_param(1.0, " Adadelta's rate comes from its own statistics: η = 1 is the paper's."),
     HyperParam("rho", 0.9, "ρ: decay of the running means of g² and of the squared updates.",
                "unit"),
     HyperParam("eps", 1e-6, "ε inside both square roots; it also sets the size of the very "
                "first steps (about η·sqrt(ε)).", "positive")),
    update=update, init=init, has_sigma=True, eff="adaptive",
    reference="Zeiler 2012; torch.optim.Adadelta")
