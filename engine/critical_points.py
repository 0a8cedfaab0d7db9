"""Critical points of a surface: Newton on ∇L = 0 from a grid of seeds, classified by the
Hessian, with degenerate points that lie on one curve grouped into one entry.

- ``find_critical_points(surface)``: Newton's method from a grid of seeds in the view, all
  seeds at once; converged points inside the view are merged and classified by their Hessian
  eigenvalues (minimum: both > 0, maximum: both < 0, saddle: mixed signs). An eigenvalue ≈ 0
  relative to the surface's curvature scale makes the point *degenerate*: the second-
  derivative test says nothing, so the kind is read from the loss on small circles around
  the point (the monkey saddle's origin: a degenerate saddle).
- Degenerate points of one kind that follow each other along their flat direction (the
  eigenvector of the eigenvalue ≈ 0) form a *curve* of critical points, e.g. the minima of
  (1 − xy)² along xy = 1: one entry, "a valley of minima", with the points found on it and
  their extent, instead of hundreds of rows.
- ``critical_point_table(points)``: aligned text rows, at most ``MAX_TABLE_ROWS``.

No Qt. Formulas: ../shared/docs/lecture-digest.md, "Critical points".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MINIMUM, MAXIMUM, SADDLE = "minimum", "maximum", "saddle"
#: an eigenvalue with |λ| ≤ DEGENERATE_RTOL × (the surface's curvature scale) counts as 0
DEGENERATE_RTOL = 1e-6
#: at least this many degenerate points along one flat direction make a curve of them
CURVE_MIN_POINTS = 3
#: ``main.py analyze`` and the Analysis tab list at most this many critical points (lowest
#: loss first) and say how many more there are
MAX_TABLE_ROWS = 100
#: the largest allowed number of Newton seeds per axis (``main.py analyze --seeds``): the
#: search costs seeds² Newton runs; at this limit it takes about 2 s on the slowest built-in
#: surface on a small machine
MAX_SEEDS_PER_AXIS = 100
MIN_SEEDS_PER_AXIS = 2

_CURVE_NAMES = {MINIMUM: "valley of minima", MAXIMUM: "ridge of maxima",
                SADDLE: "curve of degenerate saddles"}


def eigh_sym(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of symmetric 2×2 matrices h (n, 2, 2) -> (values (n, 2) ascending,
    vectors (n, 2, 2) columns); non-finite matrices give nan."""
    h = 0.5 * (h + np.swapaxes(h, 1, 2))
    ok = np.isfinite(h).all(axis=(1, 2))
    vals = np.full(h.shape[:2], np.nan)
    vecs = np.full(h.shape, np.nan)
    if ok.any():
        vals[ok], vecs[ok] = np.linalg.eigh(h[ok])
    return vals, vecs


def eigh_fast(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As ``eigh_sym`` in closed form (no LAPACK call per matrix: ~10× faster for many
    points); eigenvector signs may differ from ``eigh_sym``'s. For Newton's inner loop."""
    a, c = h[:, 0, 0], h[:, 1, 1]
    b = 0.5 * (h[:, 0, 1] + h[:, 1, 0])
    m, d = 0.5 * (a + c), 0.5 * (a - c)
    r = np.hypot(d, b)
    vals = np.stack([m - r, m + r], axis=1)
    t = 0.5 * np.arctan2(b, d)  # angle of the eigenvector of the larger eigenvalue
    cs, sn = np.cos(t), np.sin(t)
    vecs = np.empty(h.shape)
    vecs[:, 0, 0], vecs[:, 1, 0] = -sn, cs
    vecs[:, 0, 1], vecs[:, 1, 1] = cs, sn
    bad = ~np.isfinite(h).all(axis=(1, 2))
    vals[bad] = np.nan
    vecs[bad] = np.nan
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


@dataclass(frozen=True)
class CriticalPointInfo:
    """One critical point, or one curve of them, found by ``find_critical_points``.

    point (2,), loss, grad_norm (at the point, should be ≈ 0), eigenvalues (2,) ascending,
    eigenvectors (2, 2) columns; ``kind`` is "minimum", "maximum" or "saddle";
    ``degenerate`` is True when an eigenvalue is ≈ 0 (the kind then comes from the loss
    around the point, not from the Hessian), ``note`` says so in words.

    ``curve`` is None for a single point; for a curve of degenerate critical points (a valley
    of minima, ...) it holds the points found on it, (m, 2) ordered along the curve, and
    ``point`` is the one of them nearest their centre (its loss and eigenvalues are given).
    """

    point: np.ndarray
    loss: float
    grad_norm: float
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    kind: str
    degenerate: bool = False
    note: str = ""
    curve: np.ndarray | None = None

    @property
    def x(self) -> float:
        return float(self.point[0])

    @property
    def y(self) -> float:
        return float(self.point[1])

    @property
    def is_curve(self) -> bool:
        return self.curve is not None

    @property
    def condition_number(self) -> float:
        return condition_number(self.eigenvalues)

    @property
    def kind_text(self) -> str:
        if self.curve is not None:
            return _CURVE_NAMES[self.kind]
        return f"{self.kind} (degenerate)" if self.degenerate else self.kind

    @property
    def extent(self) -> tuple[float, float, float, float] | None:
        """(xmin, xmax, ymin, ymax) of the points found on a curve; None for a point."""
        if self.curve is None:
            return None
        c = self.curve
        return (float(c[:, 0].min()), float(c[:, 0].max()),
                float(c[:, 1].min()), float(c[:, 1].max()))


def curvature_scale(surface, view=None, n: int = 24) -> float:
    """A typical Hessian size on the view: the median spectral norm over an n × n grid (≥ a
    tiny positive floor). Used to decide when an eigenvalue counts as 0."""
    pts = grid_points(view or surface.view, n)
    with np.errstate(all="ignore"):
        vals, _ = eigh_sym(np.asarray(surface.hessian(pts), dtype=float))
    norms = np.abs(vals).max(axis=1)
    norms = norms[np.isfinite(norms)]
    scale = median(norms) if len(norms) else 1.0
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
                 gtol: float = 0.0, bounds=None) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method on ∇L = 0 from every seed at once.

    seeds (n, 2) -> (points (n, 2), grad_norm (n,)). The step H⁻¹g uses the pseudo-inverse
    of the Hessian (eigenvalues ≈ 0 are skipped) and is clipped to ``max_step`` in length, so
    a seed near an inflection does not jump far away. A point stops once its gradient norm
    is ≤ ``gtol`` or its step is at rounding level; non-finite points are left as nan, and so
    are points that leave ``bounds`` (xmin, xmax, ymin, ymax) if given.
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
            vals, vecs = eigh_fast(np.asarray(surface.hessian(q), dtype=float))
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
            if bounds is not None:
                bad |= ((moved[:, 0] < bounds[0]) | (moved[:, 0] > bounds[1])
                        | (moved[:, 1] < bounds[2]) | (moved[:, 1] > bounds[3]))
            moved[bad] = np.nan
            p[idx] = np.where(done[:, None], q, moved)
            active[idx[done | bad]] = False
        left = np.flatnonzero(active)
        if len(left):
            g = np.asarray(surface.grad(p[left]), dtype=float)
            gnorm[left] = np.hypot(g[:, 0], g[:, 1])
    gnorm[~np.isfinite(p).all(axis=1)] = np.nan
    return p, gnorm


def kinds_from_loss(surface, points: np.ndarray, losses: np.ndarray,
                    radius: float) -> list[str]:
    """Classify degenerate critical points (n, 2) by the sign of L − L(point) on circles of
    radius r, r/10, r/100 around each: rising and falling: saddle; only falling: maximum;
    otherwise (rising or flat all round) a possibly non-strict minimum."""
    if not len(points):
        return []
    ang = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
    ring = np.column_stack([np.cos(ang), np.sin(ang)])
    offsets = np.concatenate([r * ring for r in (radius, radius * 1e-1, radius * 1e-2)])
    with np.errstate(all="ignore"):
        pts = (points[:, None, :] + offsets[None]).reshape(-1, 2)
        d = (np.asarray(surface.value(pts), dtype=float).reshape(len(points), -1)
             - losses[:, None])
    finite = np.isfinite(d)
    scale = np.where(finite, np.abs(d), 0.0).max(axis=1, keepdims=True)
    eps = 1e-9 * scale
    up = (finite & (d > eps)).any(axis=1)
    down = (finite & (d < -eps)).any(axis=1)
    return [SADDLE if u and w else MAXIMUM if w else MINIMUM for u, w in zip(up, down)]


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


def _merge_close(pts: np.ndarray, order: np.ndarray, merge: float) -> list[int]:
    """Indices of ``pts`` kept when walking ``order`` and dropping every point within
    ``merge`` (max-norm) of one already kept (a cell hash: O(n))."""
    cells: dict[tuple[int, int], list[int]] = {}
    kept: list[int] = []
    keys = np.floor(pts / merge).astype(np.int64).tolist()
    xy = pts.tolist()
    for i in order.tolist():
        cx, cy = keys[i]
        px, py = xy[i]
        near = False
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in cells.get((cx + dx, cy + dy), ()):
                    if abs(xy[j][0] - px) <= merge and abs(xy[j][1] - py) <= merge:
                        near = True
                        break
                if near:
                    break
            if near:
                break
        if not near:
            kept.append(i)
            cells.setdefault((cx, cy), []).append(i)
    return kept


def group_curves(points: np.ndarray, flat_dirs: np.ndarray, kinds: list[str],
                 link: float) -> list[list[int]]:
    """Group degenerate critical points into curves.

    points (n, 2), flat_dirs (n, 2) unit eigenvectors of each point's eigenvalue ≈ 0, kinds
    (n,). Two points are linked when they have the same kind, lie within ``link`` of each
    other and the chord between them runs along the flat direction of both (within 45°).
    Returns the connected groups (lists of indices), each ordered along its curve.
    """
    n = len(points)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cells: dict[tuple[int, int], list[int]] = {}
    keys = np.floor(points / link).astype(np.int64)
    for i in range(n):
        cells.setdefault((int(keys[i, 0]), int(keys[i, 1])), []).append(i)
    cos45 = math.sqrt(0.5)
    for i in range(n):
        cx, cy = int(keys[i, 0]), int(keys[i, 1])
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in cells.get((cx + dx, cy + dy), ()):
                    if j <= i or kinds[j] != kinds[i]:
                        continue
                    d = points[j] - points[i]
                    dist = float(np.hypot(*d))
                    if dist == 0.0 or dist > link:
                        continue
                    u = d / dist
                    if abs(u @ flat_dirs[i]) >= cos45 and abs(u @ flat_dirs[j]) >= cos45:
                        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    out = []
    for g in groups.values():
        if len(g) > 2:  # order along the curve's main axis
            c = points[g] - points[g].mean(axis=0)
            axis = np.linalg.svd(c, full_matrices=False)[2][0]
            g = [g[k] for k in np.argsort(c @ axis, kind="stable")]
        out.append(g)
    return out


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _curve_note(kind: str, curve: np.ndarray, loss: float) -> str:
    x0, y0 = curve.min(axis=0)
    x1, y1 = curve.max(axis=0)
    return (f"a {_CURVE_NAMES[kind]} along a curve; the points found on it in the view lie "
            f"in x ∈ [{_fmt(x0)}, {_fmt(x1)}], y ∈ [{_fmt(y0)}, {_fmt(y1)}], L ≈ "
            f"{_fmt(loss)}; the Hessian is ≈ 0 along the curve, so no point of it is an "
            "isolated critical point")


def find_critical_points(surface, view=None, seeds_per_axis: int | None = None,
                         iterations: int | None = None) -> list[CriticalPointInfo]:
    """Critical points of ``surface`` inside ``view`` (default: the surface's view).

    Newton from a ``seeds_per_axis`` × ``seeds_per_axis`` grid of seeds (at most
    ``MAX_SEEDS_PER_AXIS``: checked before anything is allocated), plus the surface's listed
    critical points; a surface whose every evaluation is costly (a real network) sets
    ``analysis_seeds`` and ``analysis_iterations`` for the defaults (else 40 and 100), and may
    offer a dict ``analysis_cache`` in which results are kept per (view, seeds, iterations).
    A point counts when its
    gradient norm is below 1e-7 × the typical gradient on the view, it lies in the view, and
    it is not within 1e-5 × the view size of a point already kept. Degenerate points on one
    curve become one entry (``CriticalPointInfo.curve``). Sorted by loss (lowest first).
    """
    if seeds_per_axis is None:  # a costly surface (a real network) sets fewer
        seeds_per_axis = int(getattr(surface, "analysis_seeds", 40))
    if iterations is None:
        iterations = int(getattr(surface, "analysis_iterations", 100))
    seeds_per_axis = int(seeds_per_axis)
    if not MIN_SEEDS_PER_AXIS <= seeds_per_axis <= MAX_SEEDS_PER_AXIS:
        raise ValueError(f"seeds per axis must be from {MIN_SEEDS_PER_AXIS} to "
                         f"{MAX_SEEDS_PER_AXIS}, got {seeds_per_axis}")
    view = tuple(float(v) for v in (view or surface.view))
    cache = getattr(surface, "analysis_cache", None)  # a search done once is not repeated
    key = (view, seeds_per_axis, iterations)
    if cache is not None and key in cache:
        return list(cache[key])
    found = _search(surface, view, seeds_per_axis, iterations)
    if cache is not None:
        cache[key] = tuple(found)
    return found


def median(values: np.ndarray) -> float:
    """``np.median`` of a non-empty 1-D array without NaNs (the same number), without the
    ``numpy.ma`` that ``np.median`` loads at its first call (30 ms of the app's start-up)."""
    n = len(values)
    if n % 2:
        return float(np.partition(values, n // 2)[n // 2])
    part = np.partition(values, (n // 2 - 1, n // 2))
    return float((part[n // 2 - 1] + part[n // 2]) / 2)


def _search(surface, view, seeds_per_axis: int, iterations: int) -> list[CriticalPointInfo]:
    x0, x1, y0, y1 = view
    span = max(x1 - x0, y1 - y0)
    seeds = grid_points(view, seeds_per_axis)
    listed = [c.point for c in getattr(surface, "critical_points", ())]
    if listed:  # the surface's own critical points seed the search too
        seeds = np.concatenate([seeds, np.array(listed, dtype=float)])
    with np.errstate(all="ignore"):
        g0 = np.asarray(surface.grad(seeds), dtype=float)
    gtypical = np.hypot(g0[:, 0], g0[:, 1])
    gtypical = gtypical[np.isfinite(gtypical) & (gtypical > 0)]
    gscale = median(gtypical) if len(gtypical) else 1.0
    # iterate to rounding level (gtol 0): degenerate points converge only linearly
    # a seed that wanders a view's size away from the view is dropped (it would not count)
    far = (x0 - span, x1 + span, y0 - span, y1 + span)
    pts, gnorm = newton_solve(surface, seeds, max_step=0.25 * span, iterations=iterations,
                              bounds=far)
    accept = 1e-7 * gscale
    margin = 1e-9 * span
    ok = (np.isfinite(pts).all(axis=1) & (gnorm <= accept)
          & (pts[:, 0] >= x0 - margin) & (pts[:, 0] <= x1 + margin)
          & (pts[:, 1] >= y0 - margin) & (pts[:, 1] <= y1 + margin))
    pts, gnorm = pts[ok], gnorm[ok]
    if not len(pts):
        return []
    kept = _merge_close(pts, np.argsort(gnorm, kind="stable"), 1e-5 * span)
    scale = curvature_scale(surface, view)
    p, gn = pts[kept], gnorm[kept]
    with np.errstate(all="ignore"):
        losses = np.asarray(surface.value(p), dtype=float)
        vals, vecs = eigh_sym(np.asarray(surface.hessian(p), dtype=float))
    classes = [classify(v, scale) for v in vals]
    degen = np.array([d for _, d in classes], dtype=bool)
    by_loss = iter(kinds_from_loss(surface, p[degen], losses[degen], 1e-3 * span))
    kinds = [k if not d else next(by_loss) for k, d in classes]
    out = [CriticalPointInfo(p[j].copy(), float(losses[j]), float(gn[j]), vals[j].copy(),
                             vecs[j].copy(), kinds[j]) for j in np.flatnonzero(~degen)]
    di = np.flatnonzero(degen)
    if len(di) > 1:  # thin a dense curve to ~4 points per seed spacing before grouping
        di = di[_merge_close(p[di], np.arange(len(di)), 0.25 * span / seeds_per_axis)]
    if len(di):
        # the flat direction: the eigenvector of the eigenvalue nearest 0
        small = np.argmin(np.abs(vals[di]), axis=1)
        flat = vecs[di, :, small]  # (k, 2)
        link = 6.0 * span / seeds_per_axis
        for g in group_curves(p[di], flat, [kinds[j] for j in di], link):
            members = di[g]
            kind = kinds[members[0]]
            if len(members) >= CURVE_MIN_POINTS:
                curve = p[members].copy()
                centre = curve.mean(axis=0)
                j = members[int(np.argmin(np.hypot(*(curve - centre).T)))]
                out.append(CriticalPointInfo(p[j].copy(), float(losses[j]), float(gn[j]),
                                             vals[j].copy(), vecs[j].copy(), kind, True,
                                             _curve_note(kind, curve, float(losses[j])), curve))
                continue
            for j in members:
                note = ("degenerate: a Hessian eigenvalue is ≈ 0, so the second-derivative "
                        f"test says nothing; the loss around it makes it a {kind}")
                out.append(CriticalPointInfo(p[j].copy(), float(losses[j]), float(gn[j]),
                                             vals[j].copy(), vecs[j].copy(), kind, True, note))
    out.sort(key=lambda c: (c.loss if np.isfinite(c.loss) else np.inf, c.x, c.y))
    return out


def critical_point_table(points: list[CriticalPointInfo],
                         max_rows: int = MAX_TABLE_ROWS) -> list[str]:
    """Aligned text rows (header first): kind, point, loss, eigenvalues, condition number;
    at most ``max_rows`` points (the list's order), then one line saying how many more."""
    rows = [("kind", "x", "y", "loss", "λ₁", "λ₂", "κ")]
    for c in points[:max_rows]:
        k = c.condition_number
        rows.append((c.kind_text, _fmt(c.x), _fmt(c.y), _fmt(c.loss), _fmt(c.eigenvalues[0]),
                     _fmt(c.eigenvalues[1]), "inf" if k == math.inf else _fmt(k)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    if len(points) > max_rows:
        out.append(f"… and {len(points) - max_rows} more critical points, not listed (the "
                   f"table shows the {max_rows} with the lowest loss)")
    return out
