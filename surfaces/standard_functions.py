"""Classic optimization test functions: Himmelblau, Beale, Booth, Rastrigin, six-hump camel.

Standard definitions (as in the optimization test-function literature); critical points were
located by Newton's method from a grid over each view and are refined to machine precision
when the surface is built (``refine_critical_points``).
"""
from __future__ import annotations

import math

import numpy as np

from surfaces.base import CriticalPoint, Param, Surface
from surfaces.registry import register


def refine_critical_points(surface: Surface, approx: list[tuple[float, float, str, str]],
                           iterations: int = 8) -> tuple[CriticalPoint, ...]:
    """Polish approximate critical points (x, y, kind, note) with Newton steps on ∇L = 0.

    Used so that listed points satisfy ∇L ≈ 0 to rounding precision; a point whose Newton
    iteration fails (singular Hessian) is kept as given.
    """
    out = []
    for x, y, kind, note in approx:
        p = np.array([[x, y]], dtype=float)
        for _ in range(iterations):
            h = surface.hessian(p)[0]
            g = surface.grad(p)[0]
            if not np.all(np.isfinite(h)) or abs(np.linalg.det(h)) < 1e-12:
                break
            p = p - np.linalg.solve(h, g)[None, :]
        if not np.all(np.isfinite(p)) or np.max(np.abs(p[0] - (x, y))) > 1e-3:
            p = np.array([[x, y]])  # Newton wandered off: keep the given point
        out.append(CriticalPoint(float(p[0, 0]), float(p[0, 1]), kind, note))
    return tuple(out)


@register
class Himmelblau(Surface):
    """L = (x² + y − 11)² + (x + y² − 7)²."""

    name = "himmelblau"
    title = "Himmelblau's function"
    description = (
        "Four minima of equal depth (L = 0), one local maximum and four saddle points. Which "
        "minimum a run reaches depends on the start and on the optimizer: gradient descent "
        "follows the steepest slope into the nearest basin, momentum can carry a run past a "
        "saddle into another. A map of critical points: at each one the gradient is zero and "
        "the Hessian's eigenvalue signs tell minimum (+,+), saddle (+,−) and maximum (−,−)."
    )
    log_scale = True

    def value(self, p):
        x, y = p[:, 0], p[:, 1]
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    def grad(self, p):
        x, y = p[:, 0], p[:, 1]
        a = x * x + y - 11.0
        b = x + y * y - 7.0
        g = np.empty_like(p)
        g[:, 0] = 4.0 * x * a + 2.0 * b
        g[:, 1] = 2.0 * a + 4.0 * y * b
        return g

    def scalar_kernel(self):
        return "himmelblau", ()

    def hessian(self, p):
        x, y = p[:, 0], p[:, 1]
        h = np.empty((len(p), 2, 2))
        h[:, 0, 0] = 12.0 * x * x + 4.0 * y - 42.0
        h[:, 0, 1] = h[:, 1, 0] = 4.0 * (x + y)
        h[:, 1, 1] = 4.0 * x + 12.0 * y * y - 26.0
        return h

    @property
    def view(self):
        return (-5.5, 5.5, -5.5, 5.5)

    @property
    def start(self):
        return (-0.5, 0.5)

    @property
    def critical_points(self):
        if not hasattr(self, "_crit"):
            self._crit = refine_critical_points(self, [
                (3.0, 2.0, "minimum", "L = 0"),
                (-2.805118086953, 3.131312518251, "minimum", "L = 0"),
                (-3.779310253378, -3.283185991286, "minimum", "L = 0"),
                (3.584428340330, -1.848126526964, "minimum", "L = 0"),
                (-0.270844590667, -0.923038556480, "maximum", "local maximum, L ≈ 181.62"),
                (-3.073025750764, -0.081353044288, "saddle", "L ≈ 104.02"),
                (-0.127961346731, -1.953714980245, "saddle", "L ≈ 178.34"),
                (0.086677504555, 2.884254701175, "saddle", "L ≈ 67.72"),
                (3.385154183607, 0.073851879838, "saddle", "L ≈ 13.31"),
            ])
        return self._crit


@register
class Beale(Surface):
    """L = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²."""

    name = "beale"
    title = "Beale's function"
    description = (
        "A flat plateau with sharp ridges towards the corners; the loss spans many orders of "
        "magnitude (log-scaled colours). The minimum at (3, 0.5) sits in a long, curved, very "
        "flat valley (Hessian eigenvalues ≈ 0.3 and 49, κ ≈ 160): a fixed learning rate small "
        "enough for the ridges crawls on the plateau, which is where adaptive rates help."
    )
    log_scale = True
    _C = (1.5, 2.25, 2.625)

    def value(self, p):
        x, y = p[:, 0], p[:, 1]
        out = np.zeros(len(p))
        yk = np.ones(len(p))
        for c in self._C:
            yk = yk * y
            out += (c - x + x * yk) ** 2
        return out

    def grad(self, p):
        x, y = p[:, 0], p[:, 1]
        y2 = y * y
        y3 = y2 * y
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y2
        t3 = 2.625 - x + x * y3
        g = np.empty_like(p)
        g[:, 0] = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
        g[:, 1] = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
        return g

    def hessian(self, p):
        x, y = p[:, 0], p[:, 1]
        y2 = y * y
        y3 = y2 * y
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y2
        t3 = 2.625 - x + x * y3
        h = np.empty((len(p), 2, 2))
        h[:, 0, 0] = 2.0 * ((y - 1.0) ** 2 + (y2 - 1.0) ** 2 + (y3 - 1.0) ** 2)
        # ∂²/∂x∂y: d/dy of 2[t1(y−1) + t2(y²−1) + t3(y³−1)]
        h[:, 0, 1] = h[:, 1, 0] = 2.0 * (
            x * (y - 1.0) + t1 + 2.0 * x * y * (y2 - 1.0) + 2.0 * y * t2
            + 3.0 * x * y2 * (y3 - 1.0) + 3.0 * y2 * t3)
        h[:, 1, 1] = 2.0 * x * (x + 2.0 * t2 + 4.0 * x * y2 + 6.0 * y * t3 + 9.0 * x * y2 * y2)
        return h

    @property
    def view(self):
        return (-4.5, 4.5, -4.5, 4.5)

    @property
    def start(self):
        return (-1.0, -1.5)

    @property
    def critical_points(self):
        if not hasattr(self, "_crit"):
            self._crit = refine_critical_points(self, [
                (3.0, 0.5, "minimum", "global minimum, L = 0"),
                (0.0, 1.0, "saddle", "L ≈ 14.20"),
                (0.100537937324, -2.644513585023, "saddle", "L ≈ 9.86"),
            ])
        return self._crit


@register
class Booth(Surface):
    """L = (x + 2y − 7)² + (2x + y − 5)²."""

    name = "booth"
    title = "Booth's function"
    description = (
        "A quadratic bowl in disguise: L = (x + 2y − 7)² + (2x + y − 5)² has the constant "
        "Hessian [[10, 8], [8, 10]] (eigenvalues 2 and 18, κ = 9), so its contours are ellipses "
        "rotated by 45°. Gradient descent needs η < 2/18 ≈ 0.111 and zig-zags across the "
        "narrow direction; Newton's method (η = 1) reaches the minimum (1, 3) in one step."
    )

    def value(self, p):
        x, y = p[:, 0], p[:, 1]
        return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2

    def grad(self, p):
        x, y = p[:, 0], p[:, 1]
        g = np.empty_like(p)
        g[:, 0] = 10.0 * x + 8.0 * y - 34.0
        g[:, 1] = 8.0 * x + 10.0 * y - 38.0
        return g

    def hessian(self, p):
        return np.broadcast_to(np.array([[10.0, 8.0], [8.0, 10.0]]), (len(p), 2, 2)).copy()

    @property
    def view(self):
        return (-4.0, 6.0, -2.0, 8.0)

    @property
    def start(self):
        return (-3.0, -1.0)

    @property
    def critical_points(self):
        return (CriticalPoint(1.0, 3.0, "minimum", "global minimum, L = 0"),)


@register
class Rastrigin(Surface):
    """L = 2A + x² + y² − A (cos 2πx + cos 2πy)."""

    name = "rastrigin"
    title = "Rastrigin's function"
    description = (
        "An egg-crate: a bowl x² + y² covered with a regular grid of bumps of height set by A. "
        "There is a local minimum near every integer point, so gradient descent stops in the "
        "first one it meets; momentum and noise can hop over a few bumps, but finding the "
        "global minimum (0, 0) from afar is luck. Only the global minimum is listed: the "
        "others lie near the integer points (for the default A = 10, within 0.05 of them)."
    )
    param_specs = (
        Param("A", 10.0, "Height of the bumps (A = 0 leaves the plain bowl x² + y²).", low=0.0),
    )

    def setup(self, A):
        self.A = A
        self._w = 2.0 * math.pi

    def value(self, p):
        w = self._w
        return (2.0 * self.A + (p * p).sum(axis=1)
                - self.A * (np.cos(w * p[:, 0]) + np.cos(w * p[:, 1])))

    def grad(self, p):
        g = np.sin(self._w * p)
        g *= self.A * self._w
        g += 2.0 * p
        return g

    def hessian(self, p):
        d = 2.0 + self.A * self._w ** 2 * np.cos(self._w * p)
        h = np.zeros((len(p), 2, 2))
        h[:, 0, 0] = d[:, 0]
        h[:, 1, 1] = d[:, 1]
        return h

    @property
    def view(self):
        return (-5.12, 5.12, -5.12, 5.12)

    @property
    def start(self):
        return (3.6, -2.7)

    @property
    def critical_points(self):
        return (CriticalPoint(0.0, 0.0, "minimum",
                              "global minimum, L = 0; many local minima near the integer "
                              "points are not listed"),)


@register
class SixHumpCamel(Surface):
    """L = (4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y²."""

    name = "six-hump-camel"
    title = "Six-hump camel"
    description = (
        "Six minima: two global ones (L ≈ −1.0316 at ±(0.0898, −0.7127)), two deeper-than-"
        "average local ones and two shallow ones near the humps, with saddles between them and "
        "a saddle at the origin. A small map of a non-convex landscape: where a run ends depends "
        "on where it starts and on whether momentum carries it over a saddle."
    )

    def value(self, p):
        x, y = p[:, 0], p[:, 1]
        x2, y2 = x * x, y * y
        return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2

    def grad(self, p):
        x, y = p[:, 0], p[:, 1]
        x2 = x * x
        g = np.empty_like(p)
        g[:, 0] = 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y
        g[:, 1] = x - 8.0 * y + 16.0 * y * y * y
        return g

    def hessian(self, p):
        x, y = p[:, 0], p[:, 1]
        x2 = x * x
        h = np.empty((len(p), 2, 2))
        h[:, 0, 0] = 8.0 - 25.2 * x2 + 10.0 * x2 * x2
        h[:, 0, 1] = h[:, 1, 0] = 1.0
        h[:, 1, 1] = -8.0 + 48.0 * y * y
        return h

    @property
    def view(self):
        return (-2.2, 2.2, -1.2, 1.2)

    @property
    def start(self):
        return (-1.9, 1.1)

    @property
    def critical_points(self):
        if not hasattr(self, "_crit"):
            pts = []
            for s in (1.0, -1.0):
                pts += [
                    (s * 0.089842013100, -s * 0.712656403021, "minimum", "global minimum, L ≈ −1.0316"),
                    (s * 1.703606714970, -s * 0.796083568673, "minimum", "local minimum, L ≈ −0.2155"),
                    (s * 1.607104752920, s * 0.568651454884, "minimum", "local minimum, L ≈ 2.1043"),
                    (s * 1.230229876517, s * 0.162334584459, "maximum", "local maximum, L ≈ 2.4963"),
                    (s * 1.109205336805, -s * 0.768268092510, "saddle", "L ≈ 0.5437"),
                    (s * 1.296070267167, s * 0.605084388039, "saddle", "L ≈ 2.2295"),
                    (s * 1.638067984190, s * 0.228674069044, "saddle", "L ≈ 2.2294"),
                ]
            pts.append((0.0, 0.0, "saddle", "L = 0"))
            self._crit = refine_critical_points(self, pts)
        return self._crit


# ------------------------------------------------------------------ scalar kernels
# compiled by the engine (engine/compiled.py): the operations of value/grad in their order
def himmelblau_value_grad(x, y, c):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b, 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b
