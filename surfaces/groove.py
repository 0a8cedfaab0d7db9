"""A narrow groove beside a broad bowl: where Adam's early σ estimate misleads (warm-up)."""
from __future__ import annotations

import math

import numpy as np

from surfaces.base import CriticalPoint, Param, Surface
from surfaces.registry import register


@register
class Groove(Surface):
    """L = a·x² + q·(y + Y)² − D·exp(−y²/(2w²)).

    A groove of width w and depth D along θ₁ (at θ₂ = 0) holds the global minimum; outside
    it, a broad, gentle bowl centred at θ₂ = −Y holds a worse one.
    """

    name = "groove"
    title = "Narrow groove (warm-up)"
    description = (
        "A narrow, deep groove along θ₁ holds the global minimum; beside it a broad, gentle "
        "bowl holds a worse one, at θ₂ ≈ −Y. Adam's first update is exactly η along every "
        "axis, however small or large the gradient, because its σ is then estimated from a "
        "single gradient (lecture 000: σ is a statistic, unreliable at first). With η wider "
        "than the groove, that first step throws a run started in the groove out of it, and "
        "it ends in the worse bowl. Warm-up takes small steps while σ is unreliable: the run "
        "settles in the groove, and once σ has seen many gradients, the full η only moves it "
        "along the groove, to the global minimum."
    )
    param_specs = (
        Param("groove_width", 0.1, "w: width of the groove (standard deviation of its "
              "Gaussian profile across θ₂).", low=1e-6),
        Param("groove_depth", 1.0, "D: depth of the groove.", low=0.0),
        Param("bowl_curvature", 0.2, "q: curvature of the broad bowl across θ₂.", low=1e-9),
        Param("bowl_offset", 2.0, "Y: the broad bowl's centre lies at θ₂ = −Y.", low=0.0),
        Param("along", 0.1, "a: curvature along the groove (θ₁).", low=1e-9),
    )

    def setup(self, groove_width, groove_depth, bowl_curvature, bowl_offset, along):
        self.w, self.D, self.q, self.Y, self.a = (groove_width, groove_depth, bowl_curvature,
                                                  bowl_offset, along)
        self._k = 0.5 / (groove_width * groove_width)
        self._critical = self._find_critical()

    def value(self, p):
        x, y = p[:, 0], p[:, 1]
        return self.a * x * x + self.q * (y + self.Y) ** 2 - self.D * np.exp(-self._k * y * y)

    def grad(self, p):
        x, y = p[:, 0], p[:, 1]
        g = np.empty_like(p)
        np.multiply(x, 2.0 * self.a, out=g[:, 0])
        g[:, 1] = 2.0 * self.q * (y + self.Y) + 2.0 * self._k * self.D * y * np.exp(
            -self._k * y * y)
        return g

    def hessian(self, p):
        y = p[:, 1]
        e = np.exp(-self._k * y * y)
        h = np.zeros((len(p), 2, 2))
        h[:, 0, 0] = 2.0 * self.a
        h[:, 1, 1] = 2.0 * self.q + 2.0 * self._k * self.D * e * (1.0 - 2.0 * self._k * y * y)
        return h

    def _dy(self, y: float) -> float:
        return 2.0 * self.q * (y + self.Y) + 2.0 * self._k * self.D * y * math.exp(
            -self._k * y * y)

    def _find_critical(self) -> tuple[CriticalPoint, ...]:
        """Roots of ∂L/∂θ₂ on θ₁ = 0: sign changes on a fine grid, refined by bisection."""
        lo, hi = -self.Y - 3.0 * self.w - 1.0, 3.0 * self.w + 1.0
        ys = np.linspace(lo, hi, 4001)
        d = np.array([self._dy(v) for v in ys])
        pts = []
        for i in np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0):
            a, b = ys[i], ys[i + 1]
            for _ in range(80):
                m = 0.5 * (a + b)
                if np.sign(self._dy(m)) == np.sign(self._dy(a)):
                    a = m
                else:
                    b = m
            y = 0.5 * (a + b)
            hyy = self.hessian(np.array([[0.0, y]]))[0, 1, 1]
            pts.append((y, hyy))
        out = []
        mins = [(self.value(np.array([[0.0, y]]))[0], y) for y, h in pts if h > 0]
        best = min(mins)[1] if mins else None
        for y, hyy in pts:
            loss = self.value(np.array([[0.0, y]]))[0]
            if hyy > 0:
                what = "global minimum, in the groove" if y == best else "worse minimum, in the bowl"
                out.append(CriticalPoint(0.0, float(y), "minimum", f"{what}, L ≈ {loss:.4g}"))
            else:
                out.append(CriticalPoint(0.0, float(y), "saddle",
                                         f"the groove's rim, L ≈ {loss:.4g}"))
        return tuple(out)

    @property
    def critical_points(self):
        return self._critical

    @property
    def view(self):
        return (-1.0, 4.0, -self.Y - 1.0, 1.0)

    @property
    def start(self):
        return (3.0, 0.5 * self.w)
