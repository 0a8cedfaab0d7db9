"""The run editor's step-size hint: η compared with the local curvature where a run starts,
and only where the quadratic theory of gradient descent applies.

The lecture's theory (lecture 002) is exact for GD with a constant step on a quadratic bowl:
along eigen-direction i the distance shrinks by |1 − ηλᵢ| per step, so η·λmax < 2 converges
and η·λmax > 2 diverges. Away from a quadratic it is a local statement, so the hint says what
it is based on (the Hessian at the start point) and predicts nothing where it cannot hold:

- the optimizer is not plain GD (momentum, adaptive and second-order methods have other
  stability limits, or none);
- a Hessian eigenvalue there is negative or ≈ 0 (not locally convex: no bowl to converge in);
- one step η‖g‖ reaches beyond where the loss is quadratic (the quadratic model's loss after
  the step is off by more than ``MODEL_RTOL``, or the Hessian changes by more than
  ``HESSIAN_RTOL`` over the step: e.g. the canyon's cliffs, straight slopes with a curved rim);
- a safeguarded Newton descent from there reaches no minimum (eˣ + y²: no minimum nearby).

No Qt: ``step_size_hint(surface, optimizer, lr, point)`` -> ``StepHint``.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np

from engine.analysis import StepSizeTheory, analyze_point
from engine.critical_points import DEGENERATE_RTOL

#: the quadratic model's loss after one GD step may be off by this fraction of the change
MODEL_RTOL = 0.25
#: the Hessian may change by this fraction (spectral norm) over one GD step
HESSIAN_RTOL = 0.5
#: descent iterations used to look for a minimum near the point
DESCENT_ITERATIONS = 300
#: per surface: {start point: whether a minimum is near it} (it does not depend on η)
_NEARBY: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class StepHint:
    """What the hint says and what it rests on.

    ``applies``: the quadratic theory predicts ``regime`` ("diverges", ...) for η·λmax =
    ``multiple``; otherwise ``reason`` says why it predicts nothing: "not plain GD", "no
    Hessian", "negative curvature", "flat direction", "not quadratic over one step" or "no
    minimum nearby" (``text`` says it in words). ``eigenvalues`` (2,)
    ascending at ``point`` (nan when not computed).
    """

    text: str
    applies: bool
    point: tuple[float, float]
    eigenvalues: np.ndarray
    multiple: float = math.nan
    regime: str = ""
    reason: str = ""


def _g(v: float) -> str:
    return f"{v:.3g}"


def _at(point) -> str:
    return f"({_g(point[0])}, {_g(point[1])})"


def _no(point, eig, code: str, text: str, head: str = "") -> StepHint:
    return StepHint(f"{head}{text}", False, point, eig, reason=code)


def _quadratic_over_step(surface, p: np.ndarray, loss: float, g: np.ndarray, h: np.ndarray,
                         lr: float) -> tuple[bool, float]:
    """(the loss is quadratic over one GD step from p, the step's length)."""
    d = -lr * g
    length = float(np.hypot(*d))
    if length == 0.0:
        return True, 0.0
    q = p + d
    with np.errstate(all="ignore"):
        actual = float(surface.value(q[None])[0])
        h1 = np.asarray(surface.hessian(q[None]), dtype=float)[0]
    model = loss + float(g @ d) + 0.5 * float(d @ h @ d)
    change = max(abs(model - loss), abs(actual - loss))
    if not (math.isfinite(actual) and np.isfinite(h1).all()):
        return False, length
    if change <= 1e-9 * max(abs(loss), 1e-300):
        return True, length  # a step too small to tell: locally quadratic
    hnorm = float(np.linalg.norm(h, 2))
    dh = float(np.linalg.norm(0.5 * (h1 + h1.T) - h, 2))
    ok = abs(actual - model) <= MODEL_RTOL * change and dh <= HESSIAN_RTOL * hnorm
    return ok, length


def descend(surface, p, iterations: int = DESCENT_ITERATIONS, gtol_rel: float = 1e-8):
    """A safeguarded Newton descent from p (2,): the step uses |λᵢ| of the Hessian (so it
    always goes downhill, also where the curvature is negative) and halves until the loss
    falls. Returns (the point reached, True when ‖∇L‖ ≤ gtol_rel × the starting ‖∇L‖)."""
    x0, x1, y0, y1 = surface.view
    span = max(x1 - x0, y1 - y0, 1e-12)
    q = np.array(p, dtype=float)
    with np.errstate(all="ignore"):
        loss = float(surface.value(q[None])[0])
        g = np.asarray(surface.grad(q[None]), dtype=float)[0]
        gtol = gtol_rel * float(np.hypot(*g))
        for _ in range(iterations):
            gn = float(np.hypot(*g))
            if not math.isfinite(gn):
                return q, False
            if gn <= gtol:
                return q, True
            vals, vecs = np.linalg.eigh(np.asarray(surface.hessian(q[None]), dtype=float)[0])
            if not np.isfinite(vals).all():
                return q, False
            lam = np.maximum(np.abs(vals), 1e-8 * max(float(np.abs(vals).max()), 1e-300))
            step = vecs @ ((vecs.T @ g) / lam)
            length = float(np.hypot(*step))
            if length > span:
                step *= span / length
            t = 1.0
            while t > 1e-12:
                cand = q - t * step
                new = float(surface.value(cand[None])[0])
                if math.isfinite(new) and new < loss:
                    break
                t *= 0.5
            else:
                return q, gn <= gtol  # no descent possible: stalled
            q, loss = cand, new
            g = np.asarray(surface.grad(q[None]), dtype=float)[0]
    return q, bool(np.hypot(*g) <= gtol)


def minimum_nearby(surface, p) -> bool:
    """A descent from p (2,) reaches a point with ∇L ≈ 0 within the view (grown by its size
    on every side): the loss has a minimum near, not only a slope down to infinity."""
    key = (float(p[0]), float(p[1]))
    cache = _NEARBY.setdefault(surface, {})
    if key not in cache:
        q, ok = descend(surface, p)
        x0, x1, y0, y1 = surface.view
        w, h = x1 - x0, y1 - y0
        inside = x0 - w <= q[0] <= x1 + w and y0 - h <= q[1] <= y1 + h
        if len(cache) > 64:
            cache.clear()
        cache[key] = bool(ok and inside)
    return cache[key]


def step_size_hint(surface, optimizer: str, lr: float, point, *,
                   schedule: str = "constant") -> StepHint:
    """The hint for a run of ``optimizer`` with step ``lr`` starting at ``point`` (x, y)."""
    point = (float(point[0]), float(point[1]))
    nan2 = np.full(2, np.nan)
    if optimizer != "gd":
        return _no(point, nan2, "not plain GD", f"The η × η_opt theory is for plain gradient descent; "
                   f"{optimizer} changes its steps (momentum, per-parameter or second-order "
                   "scaling), so it predicts nothing here.")
    lr = float(lr)
    p = np.array(point, dtype=float)
    with np.errstate(all="ignore"):
        a = analyze_point(surface, p)
    lam = a.eigenvalues
    if not np.isfinite(lam).all() or not math.isfinite(a.loss):
        return _no(point, lam, "no Hessian", f"No finite Hessian at the start {_at(point)}: no prediction.")
    lo, hi = float(lam[0]), float(lam[1])
    head = f"Local curvature at the start {_at(point)}: λ = {_g(lo)}, {_g(hi)}. "
    zero = DEGENERATE_RTOL * max(abs(lo), abs(hi), 1e-300)
    if lo < -zero:
        return _no(point, lam, "negative curvature", "A negative eigenvalue: the loss curves downward here (not "
                   "locally convex), so the quadratic theory of GD does not apply: no "
                   "prediction.", head)
    if lo <= zero:
        return _no(point, lam, "flat direction", "An eigenvalue ≈ 0: the loss is flat in one direction here, so "
                   "the quadratic theory of GD predicts no convergence rate: no prediction.",
                   head)
    theory = StepSizeTheory(lam, a.eigenvectors, a.point)
    m = theory.eta_multiple(lr)
    mult = f"η = {_g(m)} × η_opt (1/λmax = {_g(1.0 / hi)}). "
    quadratic, length = _quadratic_over_step(surface, p, a.loss, a.grad, a.hessian, lr)
    if not quadratic:
        return StepHint(head + mult + f"But one step moves {_g(length)}, farther than the loss "
                        "stays quadratic (its curvature changes along the step), so the "
                        "quadratic theory does not apply: no prediction.", False, point, lam,
                        m, reason="not quadratic over one step")
    if not minimum_nearby(surface, p):
        return StepHint(head + mult + "A descent from here reaches no minimum (none "
                        "nearby), so the quadratic theory does not apply: no prediction.",
                        False, point, lam, m, reason="no minimum nearby")
    regime = theory.regime(lr)
    text = head + mult + f"On a quadratic with this curvature, GD: {regime}."
    if schedule != "constant":
        text += f" (For the base η: the {schedule} schedule changes η^t over the run.)"
    return StepHint(text, True, point, lam, m, regime)
