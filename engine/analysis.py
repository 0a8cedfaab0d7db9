"""Critical points, the Hessian at a point, and the step-size theory of quadratics.

Everything here is plain NumPy on a ``surfaces.base.Surface`` (no Qt):

- ``find_critical_points(surface)``: Newton's method on ∇L = 0 from a grid of seeds in the
  view, all seeds at once; converged points inside the view are merged and classified by their
  Hessian eigenvalues (minimum: both > 0, maximum: both < 0, saddle: mixed signs). An
  eigenvalue ≈ 0 relative to the surface's curvature scale makes the point *degenerate*: the
  second-derivative test says nothing, so the kind is read from the loss on a small circle
  around the point (the monkey saddle's origin: degenerate saddle).
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

MINIMUM, MAXIMUM, SADDLE = "minimum", "maximum", "saddle"
#: an eigenvalue with |λ| ≤ DEGENERATE_RTOL × (the surface's curvature scale) counts as 0
DEGENERATE_RTOL = 1e-6


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


def _eigh(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of symmetric 2×2 matrices h (n, 2, 2) -> (values (n, 2) ascending,
    vectors (n, 2, 2) columns); non-finite matrices give nan."""
    h = 0.5 * (h + np.swapaxes(h, 1, 2))
    ok = np.isfinite(h).all(axis=(1, 2))
    vals = np.full(h.shape[:2], np.nan)
    vecs = np.full(h.shape, np.nan)
    if ok.any():
        vals[ok], vecs[ok] = np.linalg.eigh(h[ok])
    return vals, vecs


def condition_number(eigenvalues) -> float:
    """|λ|max / |λ|min (inf when an eigenvalue is 0, nan when undefined)."""
    a = np.abs(np.asarray(eigenvalues, dtype=float))
    if not np.isfinite(a).all():
        return math.nan
    lo, hi = float(a.min()), float(a.max())
    if hi == 0.0:
        return math.nan
    return math.inf if lo == 0.0 else hi / lo


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


# ------------------------------------------------------------------------------ critical points
@dataclass(frozen=True)
class CriticalPointInfo:
    """One critical point found by ``find_critical_points``.

    point (2,), loss, grad_norm (at the point, should be ≈ 0), eigenvalues (2,) ascending,
    eigenvectors (2, 2) columns; ``kind`` is "minimum", "maximum" or "saddle";
    ``degenerate`` is True when an eigenvalue is ≈ 0 (the kind then comes from the loss
    around the point, not from the Hessian), ``note`` says so in words.
    """

    point: np.ndarray
    loss: float
    grad_norm: float
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    kind: str
    degenerate: bool = False
    note: str = ""

    @property
    def x(self) -> float:
        return float(self.point[0])

    @property
    def y(self) -> float:
        return float(self.point[1])

    @property
    def condition_number(self) -> float:
        return condition_number(self.eigenvalues)

    @property
    def kind_text(self) -> str:
        return f"{self.kind} (degenerate)" if self.degenerate else self.kind


def curvature_scale(surface, view=None, n: int = 24) -> float:
    """A typical Hessian size on the view: the median spectral norm over an n × n grid (≥ a
    tiny positive floor). Used to decide when an eigenvalue counts as 0."""
    pts = grid_points(view or surface.view, n)
    with np.errstate(all="ignore"):
        vals, _ = _eigh(np.asarray(surface.hessian(pts), dtype=float))
    norms = np.abs(vals).max(axis=1)
    norms = norms[np.isfinite(norms)]
    scale = float(np.median(norms)) if len(norms) else 1.0
    return scale if scale > 0 else 1.0


def grid_points(view, n: int) -> np.ndarray:
    """An n × n grid of points covering ``view`` (xmin, xmax, ymin, ymax) -> (n*n, 2); the
    points sit at cell centres (never exactly on the boundary)."""
    x0, x1, y0, y1 = (float(v) for v in view)
    fx = (np.arange(n) + 0.5) / n
    xs, ys = x0 + fx * (x1 - x0), y0 + fx * (y1 - y0)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def newton_solve(surface, seeds: np.ndarray, max_step: float, iterations: int = 100,
                 gtol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method on ∇L = 0 from every seed at once.

    seeds (n, 2) -> (points (n, 2), grad_norm (n,)). The step H⁻¹g uses the pseudo-inverse
    of the Hessian (eigenvalues ≈ 0 are skipped) and is clipped to ``max_step`` in length, so
    a seed near an inflection does not jump far away. A point stops once its gradient norm
    is ≤ ``gtol`` or its step is at rounding level; non-finite points are left as nan.
    """
    p = np.array(seeds, dtype=float, copy=True)
    active = np.ones(len(p), dtype=bool)
    gnorm = np.full(len(p), np.inf)
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            idx = np.flatnonzero(active)
            if not len(idx):
                break
            q = p[idx]
            g = np.asarray(surface.grad(q), dtype=float)
            gn = np.hypot(g[:, 0], g[:, 1])
            gnorm[idx] = gn
            done = ~(gn > gtol)  # includes nan
            vals, vecs = _eigh(np.asarray(surface.hessian(q), dtype=float))
            big = np.abs(vals).max(axis=1, keepdims=True)
            inv = np.where(np.abs(vals) > 1e-13 * big, 1.0 / vals, 0.0)
            coef = np.einsum("nij,ni->nj", vecs, g) * inv  # Vᵀg / λ
            step = np.einsum("nij,nj->ni", vecs, coef)
            length = np.hypot(step[:, 0], step[:, 1])
            step *= np.where(length > max_step, max_step / length, 1.0)[:, None]
            moved = q - step
            tiny = length <= 1e-14 * np.maximum(
                max_step, np.abs(q).max(axis=1))
            done |= tiny  # Newton has stalled at rounding level
            bad = ~np.isfinite(moved).all(axis=1)
            moved[bad] = np.nan
            p[idx] = np.where(done[:, None], q, moved)
            active[idx[done | bad]] = False
        left = np.flatnonzero(active)
        if len(left):
            g = np.asarray(surface.grad(p[left]), dtype=float)
            gnorm[left] = np.hypot(g[:, 0], g[:, 1])
    gnorm[~np.isfinite(p).all(axis=1)] = np.nan
    return p, gnorm


def _kind_from_loss(surface, point: np.ndarray, loss: float, radius: float) -> str:
    """Classify a degenerate critical point by the sign of L − L(point) on circles around it."""
    ang = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
    ring = np.column_stack([np.cos(ang), np.sin(ang)])
    with np.errstate(all="ignore"):
        pts = np.concatenate([point + r * ring for r in (radius, radius * 1e-1, radius * 1e-2)])
        d = np.asarray(surface.value(pts), dtype=float) - loss
    d = d[np.isfinite(d)]
    scale = float(np.abs(d).max()) if len(d) else 0.0
    eps = 1e-9 * scale
    up, down = bool((d > eps).any()), bool((d < -eps).any())
    if up and down:
        return SADDLE
    if down:
        return MAXIMUM
    return MINIMUM  # rising or flat all round: a (possibly non-strict) minimum


def classify(eigenvalues: np.ndarray, scale: float) -> tuple[str | None, bool]:
    """(kind or None when degenerate, degenerate) from Hessian eigenvalues (2,)."""
    lo, hi = float(eigenvalues[0]), float(eigenvalues[1])
    zero = DEGENERATE_RTOL * scale
    if abs(lo) <= zero or abs(hi) <= zero:
        return None, True  # the second-derivative test says nothing: the loss decides
    if lo > 0:
        return MINIMUM, False
    if hi < 0:
        return MAXIMUM, False
    return SADDLE, False


def find_critical_points(surface, view=None, seeds_per_axis: int | None = None,
                         iterations: int | None = None) -> list[CriticalPointInfo]:
    """Critical points of ``surface`` inside ``view`` (default: the surface's view).

    Newton from a ``seeds_per_axis`` × ``seeds_per_axis`` grid of seeds, plus the surface's
    listed critical points; a surface whose every evaluation is costly (a real network) sets
    ``analysis_seeds`` and ``analysis_iterations`` for the defaults (else 40 and 100), and may
    offer a dict ``analysis_cache`` in which the result is kept per (view, seeds, iterations),
    so a search done once (e.g. in a worker thread) is not repeated. A point counts when
    its gradient norm is below 1e-7 × the typical gradient on the view (or it stopped moving
    with a tiny gradient), it lies in the view, and it is not within 1e-5 × the view size of
    a point already kept. Sorted by loss (lowest first).
    """
    if seeds_per_axis is None:
        seeds_per_axis = int(getattr(surface, "analysis_seeds", 40))
    if iterations is None:
        iterations = int(getattr(surface, "analysis_iterations", 100))
    view = tuple(float(v) for v in (view or surface.view))
    cache = getattr(surface, "analysis_cache", None)
    key = (view, seeds_per_axis, iterations)
    if cache is not None and key in cache:
        return list(cache[key])
    found = _search(surface, view, seeds_per_axis, iterations)
    if cache is not None:
        cache[key] = tuple(found)
    return found


def _search(surface, view, seeds_per_axis: int, iterations: int) -> list[CriticalPointInfo]:
    x0, x1, y0, y1 = view
    span = max(x1 - x0, y1 - y0)
    seeds = grid_points(view, seeds_per_axis)
    listed = [c.point for c in getattr(surface, "critical_points", ())]
    if listed:
        seeds = np.concatenate([seeds, np.array(listed, dtype=float)])
    with np.errstate(all="ignore"):
        g0 = np.asarray(surface.grad(seeds), dtype=float)
    gtypical = np.hypot(g0[:, 0], g0[:, 1])
    gtypical = gtypical[np.isfinite(gtypical) & (gtypical > 0)]
    gscale = float(np.median(gtypical)) if len(gtypical) else 1.0
    gtol = 0.0  # iterate to rounding level: degenerate points converge only linearly
    pts, gnorm = newton_solve(surface, seeds, max_step=0.25 * span, iterations=iterations,
                              gtol=gtol)
    accept = 1e-7 * gscale
    margin = 1e-9 * span
    ok = (np.isfinite(pts).all(axis=1) & (gnorm <= accept)
          & (pts[:, 0] >= x0 - margin) & (pts[:, 0] <= x1 + margin)
          & (pts[:, 1] >= y0 - margin) & (pts[:, 1] <= y1 + margin))
    pts, gnorm = pts[ok], gnorm[ok]
    order = np.argsort(gnorm, kind="stable")
    kept: list[int] = []
    merge = 1e-5 * span
    for i in order:
        if not kept or np.min(np.abs(pts[kept] - pts[i]).max(axis=1)) > merge:
            kept.append(int(i))
    if not kept:
        return []
    scale = curvature_scale(surface, view)
    p = pts[kept]
    with np.errstate(all="ignore"):
        losses = np.asarray(surface.value(p), dtype=float)
        vals, vecs = _eigh(np.asarray(surface.hessian(p), dtype=float))
    out = []
    for j in range(len(p)):
        kind, degenerate = classify(vals[j], scale)
        note = ""
        if degenerate:
            by_loss = _kind_from_loss(surface, p[j], float(losses[j]), 1e-3 * span)
            kind = kind or by_loss
            note = ("degenerate: a Hessian eigenvalue is ≈ 0, so the second-derivative test "
                    f"says nothing; the loss around it makes it a {kind}")
        out.append(CriticalPointInfo(p[j].copy(), float(losses[j]), float(gnorm[kept[j]]),
                                     vals[j].copy(), vecs[j].copy(), kind, degenerate, note))
    out.sort(key=lambda c: (c.loss if np.isfinite(c.loss) else np.inf, c.x, c.y))
    return out


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def critical_point_table(points: list[CriticalPointInfo]) -> list[str]:
    """Aligned text rows (header first): kind, point, loss, eigenvalues, condition number."""
    rows = [("kind", "x", "y", "loss", "λ₁", "λ₂", "κ")]
    for c in points:
        k = c.condition_number
        rows.append((c.kind_text, _fmt(c.x), _fmt(c.y), _fmt(c.loss), _fmt(c.eigenvalues[0]),
                     _fmt(c.eigenvalues[1]), "inf" if k == math.inf else _fmt(k)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]


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

    def regime(self, eta: float) -> str:
        """Words for what GD with step η does along the steep direction."""
        m = self.eta_multiple(eta)
        if not np.isfinite(m):
            return "no positive curvature here"
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
