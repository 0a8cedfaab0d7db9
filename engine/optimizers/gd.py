"""Gradient descent: θ ← θ − η^t g (lecture digest, "Update rules"; torch.optim.SGD)."""
from engine.optimizers.base import OptimizerSpec, Update, lr_param


def update(g, state, h, lr, ctx):
    return Update(step=lr * g, state=state)


def full_version(h, lr, t):
    return {"K": lr}


SPEC = OptimizerSpec(
    "gd", "Gradient descent", "θ ← θ − η^t g", (lr_param(0.01),),
    update=update, reference="lecture (all); torch.optim.SGD", full_version=full_version)
