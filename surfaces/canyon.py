"""The lecture's convex, elongated valley (lecture 000, experiments 1–4), built as a canyon.

L(x, y) = k·x⁴ + (s/2)·[√((u−w)² + ε²) + √((u+w)² + ε²) − 2√(w² + ε²)],   u = y − τ·x

Across the valley (u) the profile is a flat floor of half-width w between two straight cliffs
of slope s, joined with rounded edges of size ε (the sum of two smoothed |·| functions, so it is
convex and smooth). Along the floor the loss rises as k·x⁴: very flat near the minimum (0, 0).
The floor runs at a slight tilt τ across the axes, so travelling along it keeps feeding small
gradients into θ₂. The design rationale and the numbers of the four experiments are in
docs/surfaces.md.
"""
from __future__ import annotations

import math

import numpy as np

from surfaces.base import CriticalPoint, Param, Surface
from surfaces.registry import register


@register
class Canyon(Surface):
    """L = k x⁴ + (s/2)[√((u−w)²+ε²) + √((u+w)²+ε²) − 2√(w²+ε²)], u = y − τx."""

    name = "canyon"
    title = "Canyon (the lecture's elongated valley)"
    description = (
        "The lecture's convex, elongated valley: a canyon with steep cliffs (slope s = 400) "
        "across θ₂ and a floor that rises only as x⁴ along θ₁ towards the minimum X at (0, 0). "
        "From the default start (4, 2): gradient descent with η = 1e-2 bounces from cliff to "
        "cliff for ever (the loss stops falling at ≈ 660 while ‖g‖ stays ≈ 400: 'training "
        "stuck ≠ small gradient'); with η = 1e-7 it slides down the cliff, reaches the floor "
        "and turns towards the minimum, but after 100,000 steps is still 2.7 away, because the "
        "floor is so flat. Adagrad (lecture form, constant η = 0.08) gives every parameter its "
        "own step and reaches the minimum, but on the floor θ₂'s σ (the mean of all its "
        "squared gradients) keeps shrinking until the step across the floor is too large: "
        "sudden jumps onto the cliffs, which raise σ again and die out, then recur. With the "
        "1/√(t+1) decay (classic Adagrad) the effective rates never grow: no jumps, but with the "
        "same η a slower approach along the floor."
    )
    param_specs = (
        Param("wall_slope", 400.0, "s: slope of the canyon's cliffs across the valley (θ₂). "
              "Steep cliffs give large gradients across the valley.", low=1e-9),
        Param("floor_width", 0.25, "w: half-width of the canyon's flat floor.", low=1e-9),
        Param("rounding", 0.25, "ε: how round the edges between floor and cliffs are; smaller "
              "makes the floor flatter and the edges sharper.", low=1e-9),
        Param("floor_rise", 1.0, "k: the floor rises as k·θ₁⁴ towards the start; small k "
              "makes the floor flatter (slower travel along the valley).", low=1e-12),
        Param("tilt", 0.02, "τ: the floor runs along θ₂ = τ·θ₁, slightly across the axes, so "
              "moving along it feeds small gradients into θ₂."),
    )
    axis_names = ("θ₁ (along the valley)", "θ₂ (across the valley)")

    def setup(self, wall_slope, floor_width, rounding, floor_rise, tilt):
        self.s, self.w, self.k, self.tau = wall_slope, floor_width, floor_rise, tilt
        self.e2 = rounding * rounding
        self._half_s = 0.5 * wall_slope
        self._offset = 2.0 * math.sqrt(floor_width ** 2 + self.e2)

    # derived numbers used by the documentation and the tests
    @property
    def floor_curvature(self) -> float:
        """c₀ = L''(u) at the floor's centre: s·ε²/(w²+ε²)^{3/2}."""
        return self.s * self.e2 / (self.w ** 2 + self.e2) ** 1.5

    def across(self, p: np.ndarray) -> np.ndarray:
        """u = θ₂ − τθ₁, the signed distance across the valley from the floor's centre line
        (measured along θ₂); p: (n, 2) -> (n,)."""
        return p[:, 1] - self.tau * p[:, 0]

    def value(self, p):
        x = p[:, 0]
        u = p[:, 1] - self.tau * x
        w, e2 = self.w, self.e2
        x2 = x * x
        return (self.k * x2 * x2
                + self._half_s * (np.sqrt((u - w) ** 2 + e2) + np.sqrt((u + w) ** 2 + e2)
                                  - self._offset))

    def grad(self, p):
        x = p[:, 0]
        u = p[:, 1] - self.tau * x
        w, e2 = self.w, self.e2
        a, b = u - w, u + w
        g = np.empty_like(p)
        gu = g[:, 1]
        # ∂L/∂u = (s/2)[(u−w)/√((u−w)²+ε²) + (u+w)/√((u+w)²+ε²)]
        np.add(a / np.sqrt(a * a + e2), b / np.sqrt(b * b + e2), out=gu)
        gu *= self._half_s
        # ∂L/∂x = 4k x³ − τ ∂L/∂u
        np.multiply(x * x * x, 4.0 * self.k, out=g[:, 0])
        g[:, 0] -= self.tau * gu
        return g

    def scalar_kernel(self):
        return "canyon", (self.tau, self.w, self.e2, self.k, self._half_s, self._offset)

    def hessian(self, p):
        x = p[:, 0]
        u = p[:, 1] - self.tau * x
        w, e2 = self.w, self.e2
        fuu = self._half_s * e2 * ((((u - w) ** 2 + e2) ** -1.5) + (((u + w) ** 2 + e2) ** -1.5))
        h = np.empty((len(p), 2, 2))
        t = self.tau
        h[:, 0, 0] = 12.0 * self.k * x * x + t * t * fuu
        h[:, 0, 1] = h[:, 1, 0] = -t * fuu
        h[:, 1, 1] = fuu
        return h

    @property
    def view(self):
        return (-1.0, 5.0, -2.5, 2.5)

    @property
    def start(self):
        return (4.0, 2.0)

    @property
    def critical_points(self):
        return (CriticalPoint(0.0, 0.0, "minimum",
                              "global minimum, L = 0; degenerate along the floor (it rises as "
                              "θ₁⁴, so one Hessian eigenvalue is 0 here)"),)


# ------------------------------------------------------------------ scalar kernels
# compiled by the engine (engine/compiled.py): the operations of value/grad in their order
def canyon_value_grad(x, y, c):
    tau, w, e2, k, half_s, offset = c[0], c[1], c[2], c[3], c[4], c[5]
    u = y - tau * x
    x2 = x * x
    a, b = u - w, u + w
    value = k * x2 * x2 + half_s * (math.sqrt(a * a + e2) + math.sqrt(b * b + e2) - offset)
    gu = (a / math.sqrt(a * a + e2) + b / math.sqrt(b * b + e2)) * half_s
    return value, x * x * x * (4.0 * k) - tau * gu, gu
