"""Newton's method (lecture 002): θ ← θ − η^t (H + dI)⁻¹ g with the surface's analytic
Hessian, solved in closed form for 2×2. The diagonal loading d (Levenberg–Marquardt) keeps the
step a descent step where H is not positive definite; a singular H + dI gives a non-finite
step, and the run is marked diverged."""
import numpy as np

from engine.optimizers.base import HyperParam, OptimizerSpec, Update


def update(g, state, h, lr, ctx):
    H, d = ctx.hessian(), h.damping[:, 0]
    a, b, c, e = H[:, 0, 0] + d, H[:, 0, 1], H[:, 1, 0], H[:, 1, 1] + d
    det = a * e - b * c
    solved = np.stack([(e * g[:, 0] - b * g[:, 1]) / det,
                       (a * g[:, 1] - c * g[:, 0]) / det], axis=1)  # (H + dI)⁻¹ g
    return Update(step=lr * solved, state=state)


SPEC = OptimizerSpec(
    "newton", "Newton's method", "θ ← θ − η (H + dI)⁻¹ g",
    (HyperParam("lr", 1.0, "Step scale η: η = 1 is the exact Newton step (one step to a "
                "quadratic's minimum); η should not exceed 2."),
     HyperParam("damping", 0.0, "Diagonal loading d: uses H + d·I (as in Levenberg–Marquardt) "
                "so the step stays a descent step where the Hessian is not positive definite.",
                "nonneg")),
    update=update, eff="", reference="lecture 002 (no torch.optim counterpart)")
