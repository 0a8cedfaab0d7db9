"""Rosenbrock's crescent and the quadratic bowl of the lecture's step-size theory."""
from __future__ import annotations

import math

import numpy as np

from surfaces.base import CriticalPoint, Param, Surface
from surfaces.registry import register


@register
class Rosenbrock(Surface):
    """L = (a − x)² + b (y − x²)²."""

    name = "rosenbrock"
    title = "Rosenbrock's crescent"
    description = (
        "A curved, crescent-shaped valley (the lecture's 'crescent'): steep walls, a nearly flat "
        "floor that bends towards the minimum at (a, a²). The same parameter needs a small "
        "learning rate on the steep stretches and a large one on the flat floor, so plain "
        "gradient descent either crawls or oscillates; RMSProp's σ adapts faster than Adagrad's."
    )
    param_specs = (
        Param("a", 1.0, "Position of the minimum: (a, a²)."),
        Param("b", 100.0, "Steepness of the valley walls (curvature across the valley).", low=0.0),
    )
    log_scale = True

    def setup(self, a: float, b: float) -> None:
        self.a, self.b = a, b

    def value(self, p):
        x, y = p[:, 0], p[:, 1]
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def grad(self, p):
        # the simulation's hot path: few NumPy calls, in place
        x = p[:, 0]
        g = np.empty_like(p)
        gx, gy = g[:, 0], g[:, 1]
        np.multiply(x, x, out=gy)
        np.subtract(p[:, 1], gy, out=gy)
        gy *= 2.0 * self.b  # ∂L/∂y = 2b(y − x²)
        np.subtract(1.0, gy, out=gx)
        gx *= x
        gx -= self.a
        gx *= 2.0  # ∂L/∂x = 2(x(1 − 2b(y − x²)) − a) = −2(a − x) − 4bx(y − x²)
        return g

    def scalar_kernel(self):
        return "rosenbrock", (self.a, self.b)

    def hessian(self, p):
        x, y = p[:, 0], p[:, 1]
        h = np.empty((len(p), 2, 2))
        h[:, 0, 0] = 2.0 - 4.0 * self.b * (y - x * x) + 8.0 * self.b * x * x
        h[:, 0, 1] = h[:, 1, 0] = -4.0 * self.b * x
        h[:, 1, 1] = 2.0 * self.b
        return h

    @property
    def view(self):
        a = self.a
        return (a - 3.0, a + 1.5, a * a - 2.0, a * a + 2.5)

    @property
    def start(self):
        return (self.a - 2.5, self.a * self.a + 1.5)

    @property
    def critical_points(self):
        return (CriticalPoint(self.a, self.a * self.a, "minimum", "global minimum, L = 0"),)


@register
class Quadratic(Surface):
    """E = ½ (θ − c)ᵀ A (θ − c), A = R(angle) diag(λ₁, λ₂) R(angle)ᵀ."""

    name = "quadratic"
    title = "Quadratic bowl"
    description = (
        "The lecture's model of every loss near a minimum: E = ½ (θ−c)ᵀA(θ−c). Along each "
        "eigen-direction of A gradient descent has its own optimal step η_opt = 1/λ: below it "
        "the run converges monotonically, between η_opt and 2η_opt it oscillates while "
        "converging, above 2η_opt it diverges. One shared η must stay below 2/λmax, so the flat "
        "direction is slow; the condition number κ = λmax/λmin measures how slow."
    )
    param_specs = (
        Param("lambda1", 1.0, "Curvature (eigenvalue) along the first axis: η₁,opt = 1/λ₁.", low=1e-12),
        Param("lambda2", 3.0, "Curvature (eigenvalue) along the second axis: η₂,opt = 1/λ₂.", low=1e-12),
        Param("angle", 0.0, "Rotation of the ellipse's axes, in degrees."),
        Param("cx", 0.0, "x coordinate of the minimum c."),
        Param("cy", 0.0, "y coordinate of the minimum c."),
    )

    def setup(self, lambda1, lambda2, angle, cx, cy):
        t = math.radians(angle)
        r = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        self.eigenvalues = np.array([lambda1, lambda2])
        self.eigenvectors = r  # columns
        self.A = r @ np.diag(self.eigenvalues) @ r.T
        self.A = 0.5 * (self.A + self.A.T)
        self.c = np.array([cx, cy])

    # step-size theory (lecture 002)
    @property
    def eta_opt(self) -> np.ndarray:
        """Optimal GD step per eigen-direction, 1/λᵢ (same order as ``eigenvalues``)."""
        return 1.0 / self.eigenvalues

    @property
    def eta_max(self) -> float:
        """Largest η for which GD converges: 2/λmax (GD at exactly 2/λmax does not converge)."""
        return 2.0 / float(self.eigenvalues.max())

    @property
    def condition_number(self) -> float:
        return float(self.eigenvalues.max() / self.eigenvalues.min())

    def value(self, p):
        d = p - self.c
        return 0.5 * np.einsum("ni,ij,nj->n", d, self.A, d)

    def grad(self, p):
        # element-wise, not ``(p − c) @ A``: a matrix product's rounding depends on the BLAS
        # kernel and on how many points share the call, and a run's path must not
        d = p - self.c
        A = self.A
        g = np.empty_like(p)
        g[:, 0] = d[:, 0] * A[0, 0] + d[:, 1] * A[1, 0]
        g[:, 1] = d[:, 0] * A[0, 1] + d[:, 1] * A[1, 1]
        return g

    def value_and_grad(self, p):
        d = p - self.c
        g = self.grad(p)
        return 0.5 * np.einsum("ni,ni->n", d, g), g

    def scalar_kernel(self):
        A = self.A
        return "quadratic", (float(self.c[0]), float(self.c[1]), float(A[0, 0]),
                             float(A[0, 1]), float(A[1, 0]), float(A[1, 1]))

    def hessian(self, p):
        return np.broadcast_to(self.A, (len(p), 2, 2)).copy()

    @property
    def view(self):
        cx, cy = self.c
        return (cx - 2.5, cx + 2.5, cy - 2.5, cy + 2.5)

    @property
    def start(self):
        return (float(self.c[0]) - 2.0, float(self.c[1]) + 1.5)

    @property
    def critical_points(self):
        return (CriticalPoint(float(self.c[0]), float(self.c[1]), "minimum", "E = 0"),)


# ------------------------------------------------------------------ scalar kernels
# The engine compiles these (engine/compiled.py); each does the floating-point operations of
# its surface's ``value`` and ``grad`` in the same order, so both give the same bits
# (tests/test_compiled.py).
def rosenbrock_value_grad(x, y, c):
    a, b = c[0], c[1]
    r = y - x * x
    gy = r * (2.0 * b)
    gx = ((1.0 - gy) * x - a) * 2.0
    d = a - x
    return d * d + b * (r * r), gx, gy


def quadratic_value_grad(x, y, c):
    d0, d1 = x - c[0], y - c[1]
    a00, a01, a10, a11 = c[2], c[3], c[4], c[5]
    value = 0.5 * ((((d0 * a00) * d0 + (d0 * a01) * d1) + (d1 * a10) * d0) + (d1 * a11) * d1)
    return value, d0 * a00 + d1 * a10, d0 * a01 + d1 * a11
