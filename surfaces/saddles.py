"""Saddle points, local minima and the flat-vs-sharp picture (lectures 002 and 004).

``saddle``, ``hyperbolic-saddle``, ``monkey-saddle``: critical points that are not minima.
``two-wells``, ``bumpy-slope``: poor local minima beside better ones. ``flat-vs-sharp``: a wide
basin and a narrow canyon of similar depth, with a shifted "test" loss.
"""
from __future__ import annotations

import math

import numpy as np

from surfaces.base import CriticalPoint, Param, Surface
from surfaces.registry import register


def roots_1d(f, df, lo: float, hi: float, n: int = 4001) -> np.ndarray:
    """All sign changes of the scalar function f on [lo, hi] (vectorized f, df: (m,) -> (m,)),
    located on an n-point grid and polished by bisection then Newton. Returns sorted (k,)."""
    xs = np.linspace(lo, hi, n)
    fx = f(xs)
    idx = np.flatnonzero(np.sign(fx[:-1]) * np.sign(fx[1:]) <= 0)
    idx = idx[fx[idx] != 0.0] if len(idx) else idx
    a, b = xs[idx], xs[idx + 1]
    fa = f(a)
    for _ in range(60):
        m = 0.5 * (a + b)
        fm = f(m)
        left = np.sign(fm) == np.sign(fa)
        a, fa = np.where(left, m, a), np.where(left, fm, fa)
        b = np.where(left, b, m)
    r = 0.5 * (a + b)
    for _ in range(3):
        d = df(r)
        ok = d != 0
        r = np.where(ok, r - f(r) / np.where(ok, d, 1.0), r)
    exact = xs[fx == 0.0]
    return np.unique(np.round(np.concatenate([r, exact]), 14))


@register
class Saddle(Surface):
    """L = (x² − a²)² / a² + b·y²: minima (±a, 0), a saddle at the origin."""

    name = "saddle"
    title = "Saddle between two minima"
    description = (
        "Two minima at (±a, 0) and a saddle point between them at the origin, where the "
        "gradient is zero and the Hessian has one negative eigenvalue (−4 along θ₁) and one "
        "positive (2b along θ₂). Gradient descent started exactly on the θ₂ axis slides into "
        "the saddle and stops there: 'stuck at a critical point'. A start a little off the axis, "
        "momentum or noisy (small-batch) gradients escape along the negative-eigenvalue "
        "direction θ₁ and land in one of the minima, since the surface is bounded below."
    )
    param_specs = (
        Param("a", 1.0, "Distance of the two minima from the saddle: minima at (±a, 0).",
              low=1e-6),
        Param("b", 1.0, "Curvature across: L grows as b·θ₂² (Hessian eigenvalue 2b).", low=1e-9),
    )

    def setup(self, a, b):
        self.a, self.b = a, b
        self._a2 = a * a

    def value(self, p):
        x, y = p[:, 0], p[:, 1]
        d = x * x - self._a2
        return d * d / self._a2 + self.b * y * y

    def grad(self, p):
        x = p[:, 0]
        g = np.empty_like(p)
        np.multiply(x, x, out=g[:, 0])
        g[:, 0] -= self._a2
        g[:, 0] *= x
        g[:, 0] *= 4.0 / self._a2
        np.multiply(p[:, 1], 2.0 * self.b, out=g[:, 1])
        return g

    def scalar_kernel(self):
        return "saddle", (self._a2, self.b)

    def hessian(self, p):
        x = p[:, 0]
        h = np.zeros((len(p), 2, 2))
        h[:, 0, 0] = (12.0 * x * x - 4.0 * self._a2) / self._a2
        h[:, 1, 1] = 2.0 * self.b
        return h

    @property
    def view(self):
        a = self.a
        return (-2.0 * a, 2.0 * a, -2.0 * a, 2.0 * a)

    @property
    def start(self):
        return (0.0, 1.6 * self.a)

    @property
    def critical_points(self):
        a = self.a
        return (CriticalPoint(-a, 0.0, "minimum", "L = 0"),
                CriticalPoint(a, 0.0, "minimum", "L = 0"),
                CriticalPoint(0.0, 0.0, "saddle",
                              f"L = {a * a:g}; escape direction θ₁ (Hessian eigenvalue −4)"))


@register
class HyperbolicSaddle(Surface):
    """L = a·x² − b·y² (the textbook saddle, unbounded below)."""

    name = "hyperbolic-saddle"
    title = "Hyperbolic saddle x² − y²"
    description = (
        "The textbook picture of a saddle point: L = a·θ₁² − b·θ₂² curves up along θ₁ and down "
        "along θ₂. The gradient vanishes at the origin, but it is no minimum: the Hessian's "
        "eigenvalues 2a > 0 and −2b < 0 have mixed signs, and the eigenvector of the negative "
        "one (θ₂) is the way out. A run started on the θ₁ axis converges to the saddle; any "
        "offset in θ₂ grows geometrically and the run slides away for ever (the surface has no "
        "minimum)."
    )
    param_specs = (
        Param("a", 1.0, "Upward curvature along θ₁ (Hessian eigenvalue 2a).", low=0.0),
        Param("b", 1.0, "Downward curvature along θ₂ (Hessian eigenvalue −2b).", low=0.0),
    )

    def setup(self, a, b):
        self.a, self.b = a, b
        self._k = np.array([2.0 * a, -2.0 * b])

    def value(self, p):
        return self.a * p[:, 0] ** 2 - self.b * p[:, 1] ** 2

    def grad(self, p):
        return p * self._k

    def hessian(self, p):
        return np.broadcast_to(np.diag(self._k), (len(p), 2, 2)).copy()

    @property
    def view(self):
        return (-2.0, 2.0, -2.0, 2.0)

    @property
    def start(self):
        return (-1.8, 0.05)

    @property
    def critical_points(self):
        return (CriticalPoint(0.0, 0.0, "saddle", "L = 0; escape direction θ₂"),)


@register
class MonkeySaddle(Surface):
    """L = x³ − 3xy²."""

    name = "monkey-saddle"
    title = "Monkey saddle x³ − 3xy²"
    description = (
        "A degenerate critical point: at the origin the gradient and the whole Hessian are "
        "zero, so the second-order test says nothing. The surface goes down in three valleys "
        "(a monkey needs a third one for its tail) and up on three ridges. Gradient descent "
        "near the origin moves very slowly (the gradient is quadratic in the distance) and "
        "Newton's method fails there (singular Hessian)."
    )

    def value(self, p):
        x, y = p[:, 0], p[:, 1]
        return x * x * x - 3.0 * x * y * y

    def grad(self, p):
        x, y = p[:, 0], p[:, 1]
        g = np.empty_like(p)
        g[:, 0] = 3.0 * (x * x - y * y)
        g[:, 1] = -6.0 * x * y
        return g

    def hessian(self, p):
        x, y = p[:, 0], p[:, 1]
        h = np.empty((len(p), 2, 2))
        h[:, 0, 0] = 6.0 * x
        h[:, 0, 1] = h[:, 1, 0] = -6.0 * y
        h[:, 1, 1] = -6.0 * x
        return h

    @property
    def view(self):
        return (-1.5, 1.5, -1.5, 1.5)

    @property
    def start(self):
        return (0.9, 0.6)

    @property
    def critical_points(self):
        return (CriticalPoint(0.0, 0.0, "saddle",
                              "degenerate: gradient and Hessian are both zero; L falls in "
                              "three directions and rises in three"),)


@register
class TwoWells(Surface):
    """L = (x² − 1)² + t·x + b·y²: a shallow well at x ≈ +1 beside a deeper one at x ≈ −1."""

    name = "two-wells"
    title = "Two wells"
    description = (
        "A shallow local minimum (right, near θ₁ = +1) beside a deeper global one (left, near "
        "θ₁ = −1), separated by a saddle point. The tilt t sets how much deeper the left well "
        "is. Gradient descent started on the right settles in the poor local minimum: the "
        "gradient is zero there, nothing pushes it on. Momentum, noise or a large step can "
        "carry a run over the saddle into the better well."
    )
    param_specs = (
        Param("tilt", 0.5, "t: tilts the double well; the left well is about 2t deeper. "
              "Must stay below 1.5 so that both wells exist.", low=0.0, high=1.5),
        Param("b", 1.0, "Curvature across: L grows as b·θ₂².", low=1e-9),
    )

    def setup(self, tilt, b):
        self.t, self.b = tilt, b
        # critical points: 4x³ − 4x + t = 0
        xs = np.sort(np.roots([4.0, 0.0, -4.0, tilt]).real)
        self._xs = xs

    def value(self, p):
        x, y = p[:, 0], p[:, 1]
        d = x * x - 1.0
        return d * d + self.t * x + self.b * y * y

    def grad(self, p):
        x = p[:, 0]
        g = np.empty_like(p)
        g[:, 0] = 4.0 * x * (x * x - 1.0) + self.t
        np.multiply(p[:, 1], 2.0 * self.b, out=g[:, 1])
        return g

    def hessian(self, p):
        x = p[:, 0]
        h = np.zeros((len(p), 2, 2))
        h[:, 0, 0] = 12.0 * x * x - 4.0
        h[:, 1, 1] = 2.0 * self.b
        return h

    @property
    def view(self):
        return (-2.0, 2.0, -1.5, 1.5)

    @property
    def start(self):
        return (1.8, 1.0)

    @property
    def critical_points(self):
        xs = self._xs
        v = lambda x: (x * x - 1.0) ** 2 + self.t * x  # noqa: E731
        return (
            CriticalPoint(float(xs[0]), 0.0, "minimum", f"global minimum, L ≈ {v(xs[0]):.4f}"),
            CriticalPoint(float(xs[2]), 0.0, "minimum", f"poor local minimum, L ≈ {v(xs[2]):.4f}"),
            CriticalPoint(float(xs[1]), 0.0, "saddle", f"the pass between the wells, L ≈ {v(xs[1]):.4f}"),
        )


@register
class BumpySlope(Surface):
    """L = c·x² + h·(1 − cos(2πx/P)) + b·y²: a bowl whose slope is covered with small hills."""

    name = "bumpy-slope"
    title = "Bumpy slope"
    description = (
        "A long slope down to the global minimum at the origin, covered with small hills "
        "(height h, spacing P): between them lie poor local minima. Gradient descent from the "
        "default start rolls into the first hollow and stops, gradient zero. Momentum (λ = 0.9) "
        "is a ball rolling downhill: the speed it gathered carries it over the next small hill "
        "into a lower hollow — lecture 004's picture of momentum escaping a poor local minimum."
    )
    param_specs = (
        Param("slope", 0.05, "c: the overall bowl c·θ₁²; its slope 2cθ₁ is what the hills "
              "interrupt.", low=0.0),
        Param("hill_height", 0.15, "h: height of the small hills (peak to hollow 2h).", low=0.0),
        Param("hill_spacing", 1.0, "P: distance between neighbouring hills.", low=1e-3),
        Param("b", 1.0, "Curvature across: L grows as b·θ₂².", low=1e-9),
    )

    def setup(self, slope, hill_height, hill_spacing, b):
        self.c, self.h, self.P, self.b = slope, hill_height, hill_spacing, b
        self._w = 2.0 * math.pi / hill_spacing
        self._hw = hill_height * self._w

    def value(self, p):
        x, y = p[:, 0], p[:, 1]
        return self.c * x * x + self.h * (1.0 - np.cos(self._w * x)) + self.b * y * y

    def grad(self, p):
        x = p[:, 0]
        g = np.empty_like(p)
        np.sin(self._w * x, out=g[:, 0])
        g[:, 0] *= self._hw
        g[:, 0] += 2.0 * self.c * x
        np.multiply(p[:, 1], 2.0 * self.b, out=g[:, 1])
        return g

    def hessian(self, p):
        x = p[:, 0]
        h = np.zeros((len(p), 2, 2))
        h[:, 0, 0] = 2.0 * self.c + self._hw * self._w * np.cos(self._w * x)
        h[:, 1, 1] = 2.0 * self.b
        return h

    @property
    def view(self):
        return (-1.5, 6.5, -2.0, 2.0)

    @property
    def start(self):
        return (5.4, 1.0)

    @property
    def critical_points(self):
        if not hasattr(self, "_crit"):
            c, hw, w = self.c, self._hw, self._w
            x0, x1 = self.view[:2]
            xs = roots_1d(lambda x: 2 * c * x + hw * np.sin(w * x),
                          lambda x: 2 * c + hw * w * np.cos(w * x), x0, x1)
            out = []
            for x in xs:
                curv = 2 * c + hw * w * math.cos(w * x)
                val = c * x * x + self.h * (1 - math.cos(w * x))
                if abs(x) < 1e-12:
                    out.append(CriticalPoint(0.0, 0.0, "minimum", "global minimum, L = 0"))
                elif curv > 0:
                    out.append(CriticalPoint(float(x), 0.0, "minimum", f"poor local minimum, L ≈ {val:.4f}"))
                elif curv < 0:
                    out.append(CriticalPoint(float(x), 0.0, "saddle", f"top of a small hill, L ≈ {val:.4f}"))
            self._crit = tuple(out)
        return self._crit


@register
class FlatVsSharp(Surface):
    """L = r|θ|²/2 − D_w exp(−|θ−c_w|²/(2W²)) − D_s exp(−|θ−c_s|²/(2S²)): wide basin, narrow
    canyon. The test loss is the same surface shifted by ``test_shift`` along θ₁."""

    name = "flat-vs-sharp"
    title = "Flat vs sharp minimum"
    description = (
        "A wide, flat basin (left) and a narrow, sharp canyon (right) of about the same depth. "
        "Lecture 004's picture of generalisation: if the test loss is the training loss shifted "
        "a little (test_shift), a run that ends in the flat basin still has a low test loss, "
        "while one that ends in the sharp canyon finds the test loss far higher. Noisy, "
        "small-batch gradients (gradient_noise) bounce out of the narrow canyon and settle in "
        "the wide basin; large batches (little noise) stay wherever they first fall."
    )
    param_specs = (
        Param("basin_width", 1.0, "W: width of the flat basin (Gaussian standard deviation).",
              low=1e-3),
        Param("canyon_width", 0.15, "S: width of the sharp canyon.", low=1e-3),
        Param("basin_depth", 1.0, "D_w: depth of the flat basin.", low=0.0),
        Param("canyon_depth", 1.05, "D_s: depth of the sharp canyon.", low=0.0),
        Param("separation", 3.0, "Distance between the basin's centre (−sep/2, 0) and the "
              "canyon's centre (+sep/2, 0).", low=0.0),
        Param("bowl", 0.1, "r: a gentle bowl r|θ|²/2 that keeps runs from wandering off.",
              low=0.0),
        Param("test_shift", 0.25, "Shift of the test loss along θ₁: test(θ) = L(θ − shift·e₁). "
              "The lecture's generalisation picture: a small shift hardly changes a flat "
              "minimum's loss but raises a sharp one's a lot."),
    )

    def setup(self, basin_width, canyon_width, basin_depth, canyon_depth, separation, bowl,
              test_shift):
        self.W, self.S = basin_width, canyon_width
        self.Dw, self.Ds, self.r = basin_depth, canyon_depth, bowl
        self.cw = np.array([-separation / 2.0, 0.0])
        self.cs = np.array([separation / 2.0, 0.0])
        self.shift = np.array([test_shift, 0.0])

    def _terms(self, p):
        dw = p - self.cw
        ds = p - self.cs
        ew = self.Dw * np.exp(-(dw * dw).sum(axis=1) / (2.0 * self.W ** 2))
        es = self.Ds * np.exp(-(ds * ds).sum(axis=1) / (2.0 * self.S ** 2))
        return dw, ds, ew, es

    def value(self, p):
        _, _, ew, es = self._terms(p)
        return 0.5 * self.r * (p * p).sum(axis=1) - ew - es

    def grad(self, p):
        dw, ds, ew, es = self._terms(p)
        return (self.r * p + dw * (ew / self.W ** 2)[:, None]
                + ds * (es / self.S ** 2)[:, None])

    def value_and_grad(self, p):
        dw, ds, ew, es = self._terms(p)
        v = 0.5 * self.r * (p * p).sum(axis=1) - ew - es
        g = self.r * p + dw * (ew / self.W ** 2)[:, None] + ds * (es / self.S ** 2)[:, None]
        return v, g

    def hessian(self, p):
        dw, ds, ew, es = self._terms(p)
        eye = np.eye(2)[None]
        hw = (ew / self.W ** 2)[:, None, None] * (
            eye - dw[:, :, None] * dw[:, None, :] / self.W ** 2)
        hs = (es / self.S ** 2)[:, None, None] * (
            eye - ds[:, :, None] * ds[:, None, :] / self.S ** 2)
        return self.r * eye + hw + hs

    def test_value(self, p: np.ndarray) -> np.ndarray:
        """The shifted "test" loss L(θ − shift·e₁): p (n, 2) -> (n,)."""
        return self.value(np.asarray(p, dtype=float) - self.shift)

    metric_names = ("test loss",)

    def metrics(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """{"test loss": the shifted loss at p (n, 2) -> (n,)}."""
        return {"test loss": self.test_value(p)}

    def test_gap(self, p: np.ndarray) -> np.ndarray:
        """Test loss minus training loss at p (n, 2) -> (n,)."""
        p = np.asarray(p, dtype=float)
        return self.test_value(p) - self.value(p)

    @property
    def view(self):
        h = abs(self.cs[0]) + 2.5 * self.W
        return (-h, h, -0.6 * h, 0.6 * h)

    @property
    def start(self):
        # inside the canyon's catchment: noise-free GD falls into the sharp minimum
        return (1.3, 0.35)

    @property
    def critical_points(self):
        if not hasattr(self, "_crit"):
            # along θ₁ (θ₂ = 0 by symmetry): polish the basin, canyon and the pass between them
            def f(x):
                return self.grad(np.stack([x, np.zeros_like(x)], 1))[:, 0]

            def df(x):
                return self.hessian(np.stack([x, np.zeros_like(x)], 1))[:, 0, 0]

            x0, x1 = self.view[:2]
            out = []
            for x in roots_1d(f, df, x0, x1, n=20001):
                p = np.array([[x, 0.0]])
                ev = np.linalg.eigvalsh(self.hessian(p)[0])
                val = float(self.value(p)[0])
                if ev.min() > 0:
                    sharp = abs(x - self.cs[0]) < abs(x - self.cw[0])
                    kind = "sharp minimum (narrow canyon)" if sharp else "flat minimum (wide basin)"
                    out.append(CriticalPoint(float(x), 0.0, "minimum", f"{kind}, L ≈ {val:.4f}"))
                elif ev.max() > 0:
                    out.append(CriticalPoint(float(x), 0.0, "saddle", f"pass, L ≈ {val:.4f}"))
                else:
                    out.append(CriticalPoint(float(x), 0.0, "maximum", f"L ≈ {val:.4f}"))
            self._crit = tuple(out)
        return self._crit


# ------------------------------------------------------------------ scalar kernels
# compiled by the engine (engine/compiled.py): the operations of value/grad in their order
def saddle_value_grad(x, y, c):
    a2, b = c[0], c[1]
    d = x * x - a2
    return d * d / a2 + b * y * y, (d * x) * (4.0 / a2), y * (2.0 * b)
