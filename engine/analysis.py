"""Critical points, the Hessian at a point, and the step-size theory of quadratics.

Everything here is plain NumPy on a ``surfaces.base.Surface`` (no Qt):

- ``find_critical_points(surface)`` (from ``engine.critical_points``): Newton on ∇L = 0 from
  a grid of seeds, classified by the Hessian; degenerate points on one curve grouped.
- ``analyze_point(surface, point)``: gradient, Hessian eigenvalues/eigenvectors and, where an
  eigenvalue is negative, the escape direction (the lecture: a saddle is left along the
  eigenvector of its negative eigenvalue).
- ``StepSizeTheory``: for E = ½ (θ−c)ᵀA(θ−c) (or the local Hessian anywhere) the optimal
  step per eigen-direction η_i,opt = 1/λᵢ, the largest convergent GD step 2/λmax, the best
  single step 2/(λmax+λmin), κ = λmax/λmin, and GD's per-step contraction |1 − ηλᵢ|.
- ``convergence_rates(loss, loss_star)``: the measured rate R_k = |L^(k+1) − L*| / |L^k − L*|.

Formulas: ../shared/docs/lecture-digest.md, "Quadratic theory" and "Critical points".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.critical_points import (DEGENERATE_RTOL, MAX_SEEDS_PER_AXIS,  # noqa: F401
                                    MAX_TABLE_ROWS, MAXIMUM, MINIMUM, SADDLE,
                                    CriticalPointInfo, classify, condition_number,
                                    critical_point_table, curvature_scale, find_critical_points,
                                    grid_points, newton_solve)
from engine.critical_points import eigh_sym as _eigh


# ------------------------------------------------------------------------------ point analysis
@dataclass(frozen=True)
class PointAnalysis:
    """The local picture at one point.

    point (2,), loss, grad (2,), grad_norm, hessian (2, 2), eigenvalues (2,) ascending,
    eigenvectors (2, 2) with eigenvector i in column i (unit length), escape_direction (2,)
    unit vector of the most negative eigenvalue's eigenvector (pointing downhill when the
    gradient picks a side), or None when no eigenvalue is negative.
    """

    point: np.ndarray
    loss: float
    grad: np.ndarray
    grad_norm: float
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    escape_direction: np.ndarray | None

    @property
    def condition_number(self) -> float:
        return condition_number(self.eigenvalues)

    @property
    def contour_tangent(self) -> np.ndarray | None:
        """(2,) unit vector along the contour line (perpendicular to the gradient), or None
        where the gradient vanishes."""
        if not self.grad_norm > 0:
            return None
        g = self.grad / self.grad_norm
        return np.array([-g[1], g[0]])


def analyze_point(surface, point) -> PointAnalysis:
    """Gradient, Hessian and its eigen-decomposition of ``surface`` at ``point`` (2,)."""
    p = np.asarray(point, dtype=float).reshape(1, 2)
    loss = float(surface.value(p)[0])
    g = np.asarray(surface.grad(p), dtype=float)[0].copy()
    h = np.asarray(surface.hessian(p), dtype=float)[0]
    h = 0.5 * (h + h.T)
    vals, vecs = _eigh(h[None])
    vals, vecs = vals[0], vecs[0]
    escape = None
    if np.isfinite(vals).all() and vals[0] < 0:
        v = vecs[:, 0].copy()
        # point the escape direction downhill where the gradient picks a side
        if float(g @ v) > 0 or (float(g @ v) == 0 and (v[0] < 0 or (v[0] == 0 and v[1] < 0))):
            v = -v
        escape = v
    return PointAnalysis(p[0], loss, g, float(np.hypot(*g)), h, vals, vecs, escape)


def _fmt(v: float) -> str:
    return f"{v:.6g}"


# ------------------------------------------------------------------------------ step-size theory
@dataclass(frozen=True)
class StepSizeTheory:
    """Gradient descent on the quadratic with Hessian eigenvalues ``eigenvalues`` (2,).

    For eigenvalues λ₁ ≤ λ₂ (ascending) and eigenvectors (2, 2) in columns. Quantities that
    need positive curvature are nan where it is missing (a saddle or a maximum).
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    point: np.ndarray | None = None

    @property
    def lam_min(self) -> float:
        return float(self.eigenvalues[0])

    @property
    def lam_max(self) -> float:
        return float(self.eigenvalues[1])

    @property
    def positive_definite(self) -> bool:
        return self.lam_min > 0

    @property
    def eta_opt(self) -> np.ndarray:
        """(2,) the optimal step along each eigen-direction, 1/λᵢ (nan where λᵢ ≤ 0)."""
        lam = self.eigenvalues
        with np.errstate(divide="ignore"):
            return np.where(lam > 0, 1.0 / np.where(lam > 0, lam, 1.0), np.nan)

    @property
    def eta_max(self) -> float:
        """The largest convergent GD step is below 2/λmax (GD at exactly 2/λmax oscillates
        forever along the steep direction)."""
        return 2.0 / self.lam_max if self.lam_max > 0 else math.nan

    @property
    def eta_best(self) -> float:
        """The best single step 2/(λmax + λmin): it equalizes the two contractions."""
        return 2.0 / (self.lam_max + self.lam_min) if self.positive_definite else math.nan

    @property
    def condition_number(self) -> float:
        """κ = λmax / λmin (nan unless positive definite)."""
        return self.lam_max / self.lam_min if self.positive_definite else math.nan

    def contraction(self, eta: float) -> np.ndarray:
        """(2,) GD's per-step factor |1 − ηλᵢ| on the distance along each eigen-direction."""
        return np.abs(1.0 - float(eta) * self.eigenvalues)

    def predicted_rate(self, eta: float) -> float:
        """The asymptotic loss rate R = max_i (1 − ηλᵢ)² of GD with step η: the slower
        direction dominates. R < 1 converges; R ≥ 1 does not."""
        return float(np.max(self.contraction(eta)) ** 2)

    def eta_multiple(self, eta: float) -> float:
        """η as a multiple of the smallest η_opt (= 1/λmax), as the lecture writes
        "η = 1.5 η₂,opt"; 2 is the divergence limit."""
        return float(eta) * self.lam_max if self.lam_max > 0 else math.nan

    @property
    def flat(self) -> bool:
        """An eigenvalue ≈ 0 (|λ| ≤ DEGENERATE_RTOL × λmax) or below: no bowl to converge in
        along that direction (a valley of minima, a degenerate minimum)."""
        return not self.lam_min > DEGENERATE_RTOL * abs(self.lam_max)

    def regime(self, eta: float) -> str:
        """Words for what GD with step η does; never "converges" when the predicted rate R
        is ≥ 1 (a flat or negative direction)."""
        m = self.eta_multiple(eta)
        if not np.isfinite(m):
            return "no positive curvature here"
        if m > 2.0 + 1e-12:
            return "diverges"
        if m >= 2.0 - 1e-12:
            return "oscillates without converging"
        if self.flat or not self.predicted_rate(eta) < 1.0:
            return ("does not converge to this point: R = 1 along the flat direction "
                    "(λ₁ ≈ 0)")
        if m < 1.0 - 1e-12:
            return "converges monotonically"
        if m <= 1.0 + 1e-12:
            return "one-step along the steep direction"
        if m < 2.0 - 1e-12:
            return "converges with oscillation"
        if m <= 2.0 + 1e-12:
            return "oscillates without converging"
        return "diverges"

    def summary_lines(self, eta_values: dict[str, float] | None = None) -> list[str]:
        e1, e2 = self.eta_opt
        lines = [f"λ₁ = {_fmt(self.lam_min)}, λ₂ = {_fmt(self.lam_max)}, "
                 f"κ = {_fmt(self.condition_number)}",
                 f"η_opt per eigen-direction: 1/λ₁ = {_fmt(e1)}, 1/λ₂ = {_fmt(e2)}",
                 f"largest convergent GD step 2/λmax = {_fmt(self.eta_max)}",
                 f"best single step 2/(λmax+λmin) = {_fmt(self.eta_best)}"]
        for label, eta in (eta_values or {}).items():
            c = self.contraction(eta)
            lines.append(f"{label}: η = {_fmt(eta)} = {_fmt(self.eta_multiple(eta))} × η_opt "
                         f"(1/λmax); |1 − ηλ| = {_fmt(c[0])}, {_fmt(c[1])}; predicted R = "
                         f"{_fmt(self.predicted_rate(eta))} ({self.regime(eta)})")
        return lines


def step_size_theory(surface, point=None) -> StepSizeTheory:
    """The theory for ``surface``: its own eigenvalues for a quadratic bowl, otherwise the
    Hessian at ``point`` (default: the first known minimum, else the default start)."""
    if point is None and hasattr(surface, "eigenvalues") and hasattr(surface, "eigenvectors"):
        lam = np.asarray(surface.eigenvalues, dtype=float)
        vec = np.asarray(surface.eigenvectors, dtype=float)
        order = np.argsort(lam)
        c = getattr(surface, "c", None)
        return StepSizeTheory(lam[order], vec[:, order], None if c is None else np.array(c))
    if point is None:
        mins = surface.minima
        point = mins[0].point if mins else surface.start
    a = analyze_point(surface, point)
    return StepSizeTheory(a.eigenvalues, a.eigenvectors, a.point)


def theory_for_surface(surface, points=None) -> tuple[StepSizeTheory | None, str, str]:
    """(theory, where it comes from, note) for the Analysis tab and ``main.py analyze``.

    A quadratic bowl: its own eigenvalues. Otherwise the local Hessian at the lowest isolated,
    non-degenerate minimum among ``points`` (``find_critical_points``' entries; default: the
    surface's own list of minima). theory is None when there is none, and the note says why
    (e.g. only a valley of minima: no rate can be predicted, but across the valley the
    stability limit 2/λ still holds).
    """
    if hasattr(surface, "eigenvalues") and hasattr(surface, "eigenvectors"):
        return step_size_theory(surface), "the quadratic", ""
    if points is None:
        cands = [(c.point, False) for c in surface.minima]
    else:
        cands = [(c.point, c.degenerate or getattr(c, "curve", None) is not None)
                 for c in points if c.kind == MINIMUM]
    flat = None
    for point, degenerate in cands:
        with np.errstate(all="ignore"):
            a = analyze_point(surface, point)
        t = StepSizeTheory(a.eigenvalues, a.eigenvectors, a.point)
        if not np.isfinite(t.eigenvalues).all():
            continue
        if not degenerate and t.positive_definite and not t.flat:
            return t, f"the local Hessian at the minimum ({_fmt(point[0])}, {_fmt(point[1])})", ""
        if flat is None and t.lam_max > 0:
            flat = t
    if flat is not None:
        p = flat.point
        return None, "", (f"The minima found are degenerate (a Hessian eigenvalue ≈ 0, e.g. a "
                          "valley of minima along a curve), so the quadratic theory predicts no "
                          "convergence rate (R = 1 along the flat direction: no linear rate). "
                          f"Across it, at ({_fmt(p[0])}, {_fmt(p[1])}), λ = "
                          f"{_fmt(flat.lam_max)}: GD is stable across the valley for η < "
                          f"2/λ = {_fmt(flat.eta_max)}.")
    if cands:
        return None, "", ("No minimum with a positive-definite Hessian: no step-size theory "
                          "here.")
    return None, "", "No minimum found in the view: no step-size theory here."


def eta_multiple(surface, eta: float, point=None) -> float:
    """η as a multiple of η_opt = 1/λmax at ``point`` (default as ``step_size_theory``); for
    the run editor's "η = 1.5 × η_opt". nan where there is no positive curvature."""
    return step_size_theory(surface, point).eta_multiple(eta)


# ------------------------------------------------------------------------------ measured rates
def convergence_rates(loss, loss_star: float) -> np.ndarray:
    """Measured rate R_k = |L^(k+1) − L*| / |L^k − L*| for k = 0..n−1.

    loss (n+1,) -> (n,); nan where |L^k − L*| is 0 or a value is not finite.
    """
    gap = np.abs(np.asarray(loss, dtype=float) - float(loss_star))
    with np.errstate(all="ignore"):
        r = gap[1:] / gap[:-1]
    r[~np.isfinite(r) | (gap[:-1] == 0)] = np.nan
    return r


def reference_loss(surface, theta) -> float:
    """L* for a run ending at ``theta`` (2,): the loss of the nearest known minimum, else of
    the nearest minimum found by ``find_critical_points``; nan when there is none."""
    theta = np.asarray(theta, dtype=float).reshape(1, 2)
    best, _ = surface.nearest_minimum(theta)
    if best is not None:
        return float(surface.value(best.point[None])[0])
    mins = [c for c in find_critical_points(surface) if c.kind == MINIMUM]
    if not mins:
        return math.nan
    d = [float(np.hypot(*(c.point - theta[0]))) for c in mins]
    return mins[int(np.argmin(d))].loss


def run_rates(sim, i: int, loss_star: float | None = None) -> np.ndarray:
    """Measured R_k of run ``i`` of a Simulation (L* from ``reference_loss`` by default)."""
    h = sim.history(i)
    if not len(h.loss):
        return np.empty(0)
    if loss_star is None:
        loss_star = reference_loss(sim.surface, h.theta[-1])
    return convergence_rates(h.loss, loss_star)
