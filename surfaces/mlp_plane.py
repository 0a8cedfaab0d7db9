"""``mlp-plane``: a real network's loss on a plane through its parameter space.

The network (``surfaces.mlp``) is 2 inputs → ``hidden`` tanh units → 1 sigmoid output, with
the mean binary cross-entropy on a generated data set (``surfaces.datasets``) plus
(λ/2)‖θ‖² (λ = ``weight_decay``). Its P = 4·hidden + 1 parameters are trained once to w*
(deterministically from ``train_seed``) and the surface is the loss on the plane

    θ(a, b) = c + a·d₁ + b·d₂

- ``random``: c = w*, d₁ and d₂ Gaussian directions filter-normalised to w* (Li et al. 2018);
- ``pca``: c = w*, d₁ and d₂ the first two principal directions (unit length) of w*'s own
  training path;
- ``interpolation``: c = 0, d₁ = w* (so (0, 0) is the all-zero network and (1, 0) the trained
  one), d₂ a filter-normalised random direction made orthogonal to d₁ (then rescaled to its
  norm before the projection).

Gradients are exact: backpropagation gives the full gradient (P,) at θ(a, b) for every point
and batch, and it is projected on (d₁, d₂). The 2 × 2 Hessian is exact too (second
directional derivatives along the plane). Building (training w*, finding the critical
points on the plane) is cached per parameter set, in memory, so the same table builds once;
``build(params, progress, cancelled)`` does it with progress reports and a way to cancel, for a
worker thread. Pure NumPy, no Qt.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Mapping

import numpy as np

from surfaces import mlp
from surfaces.base import CriticalPoint, Param, resolve_params
from surfaces.data import DataSurface
from surfaces.datasets import DATASETS
from surfaces.mlp_cache import (CACHE, LOCK, MAX_WORK, bilinear, cache_key, check_work, digest,
                                get_build, grid)
from surfaces.model import CLASSIFIER, ModelData, padded_view
from surfaces.registry import register

DIRECTIONS = ("random", "pca", "interpolation")
MAX_HIDDEN = 64
MAX_N = 5000
#: elements (points × examples × hidden units) per evaluated chunk
CHUNK_ELEMENTS = 1 << 19
#: point sets at least this large are remembered when ``build`` pre-samples them
MEMO_MIN_POINTS = 4096
#: grids with at most this many lines per axis are pictured at every point, larger ones on
#: every other line and interpolated
EXACT_PICTURE = 120


def build(params: Mapping[str, Any] | None = None,
          progress: Callable[[float], None] | None = None,
          cancelled: Callable[[], bool] | None = None,
          grids=((240, "xy"), (90, "ij"))) -> "MlpPlane":
    """Build an ``mlp-plane`` surface off the GUI thread (pure NumPy, thread-safe).

    Validates ``params`` (ValueError/KeyError as ``make_surface``), trains w* (progress
    0 → 0.8), then samples the loss on each (size, indexing) grid of ``grids`` over the view
    (``picture_grid``: single precision, large grids on every other line, interpolated;
    progress 0.8 → 1.0) and remembers the values, so that a later ``make_surface("mlp-plane",
    params)`` on the GUI thread and its map and 3-D view are instant. ``progress(fraction)``
    is called from the calling thread; ``cancelled()`` returning True raises
    ``surfaces.mlp.Cancelled``."""
    resolved = resolve_params(MlpPlane.param_specs, dict(params or {}))
    check_work(resolved["n"], resolved["hidden"])
    part = (lambda f: progress(0.8 * f)) if progress is not None else None
    get_build(resolved, part, cancelled)
    surface = MlpPlane(**resolved)
    for k, (size, indexing) in enumerate(grids):
        if cancelled is not None and cancelled():
            raise mlp.Cancelled()
        surface.remember(grid(surface.view, size, indexing),
                         surface.picture_grid(size, indexing))
        if progress is not None:
            progress(0.8 + 0.2 * (k + 1) / len(grids))
    surface._b.ready = True
    if progress is not None:
        progress(1.0)
    return surface


def is_built(params: Mapping[str, Any] | None = None) -> bool:
    """True when ``build(params)`` has finished (constructing is then instant and the map's
    grids are remembered)."""
    try:
        resolved = resolve_params(MlpPlane.param_specs, dict(params or {}))
    except (KeyError, ValueError):
        return True  # invalid: constructing fails at once
    with LOCK:
        b = CACHE.get(cache_key(resolved))
        return b is not None and b.ready


@register
class MlpPlane(DataSurface):
    """The loss of a trained 2-layer tanh network on a plane through its parameters."""

    name = "mlp-plane"
    title = "A real network on a plane (MLP, cross-entropy)"
    description = (
        "A real network's loss: a small neural network (2 inputs → hidden tanh units → 1 "
        "sigmoid output) classifies a generated two-class data set (moons, circles or "
        "spirals) with binary cross-entropy plus a small L2 penalty. It has 4·hidden + 1 "
        "parameters (33 for 8 hidden units), far too many to draw, so it is first trained to "
        "convergence (w*), and the map shows the loss on a plane through parameter space, "
        "θ(a, b) = c + a·d₁ + b·d₂. directions = random: two random directions around w*, "
        "rescaled filter by filter as in Li et al. 2018 (Visualizing the Loss Landscape of "
        "Neural Nets); pca: the two directions along which w*'s own training moved most; "
        "interpolation: (0, 0) is the all-zero network, (1, 0) the trained one, b a random "
        "direction. On balanced data the all-zero network is a critical point with loss "
        "ln 2 — on the interpolation plane a saddle: a plateau where the gradient is small "
        "although the loss is not. Gradients are exact (backpropagation, projected on the "
        "plane); mini-batches work as on the other data surfaces."
    )
    param_specs = (
        Param("hidden", 8, f"Number of tanh hidden units (1–{MAX_HIDDEN}); the network has "
              "4·hidden + 1 parameters.", kind=int, low=1, high=MAX_HIDDEN),
        Param("dataset", "moons", "The generated two-class data set: moons, circles or "
              "spirals.", kind=str, choices=DATASETS),
        Param("n", 200, f"Number of examples N (4–{MAX_N}; n × hidden ≤ {MAX_WORK:,}). An even "
              "n gives balanced classes.", kind=int, low=4, high=MAX_N),
        Param("noise", 0.2, "Standard deviation of the Gaussian noise added to the inputs.",
              low=0.0, high=1.0),
        Param("data_seed", 0, "Seed of the generated data set.", kind=int, low=0,
              high=2**31 - 1),
        Param("train_seed", 0, "Seed of the network's initial weights (and of the random "
              "directions): the same seed gives the same w*.", kind=int, low=0,
              high=2**31 - 1),
        Param("directions", "random", "The plane: random (filter-normalised, around w*), pca "
              "(of w*'s training path) or interpolation (from the zero network to w*).",
              kind=str, choices=DIRECTIONS),
        Param("weight_decay", 1e-3, "λ of the L2 penalty (λ/2)‖θ‖² added to the loss; it keeps "
              "w* finite (0: pure cross-entropy).", low=0.0, high=0.1),
    )
    axis_names = ("a", "b")
    model_kind = CLASSIFIER
    #: critical-point search (engine.analysis): every evaluation runs the network on all N
    #: examples, so fewer Newton seeds and iterations than on an analytic surface
    analysis_seeds = 10
    analysis_iterations = 40

    def setup(self, hidden, dataset, n, noise, data_seed, train_seed, directions,
              weight_decay):
        check_work(n, hidden)  # before anything is allocated
        self._b = b = get_build(self.params)
        self.hidden, self.n_examples = hidden, n
        self.inputs, self.targets = b.x, b.y
        self.weight_decay = float(weight_decay)
        self.w_star = b.training.w
        self.c, self.d1, self.d2 = b.c, b.d1, b.d2
        h = hidden
        cW1, cb1, self._cw2, self._cb2 = mlp.unpack(b.c, h)
        self._Zc = b.x @ cW1.T + cb1  # pre-activations at c (N, h)
        self._Z, self._dw2, self._db2 = [], [], []
        for d in (b.d1, b.d2):
            dW1, db1, dw2, db2 = mlp.unpack(d, h)
            self._Z.append(b.x @ dW1.T + db1)  # change of the pre-activations along d (N, h)
            self._dw2.append(dw2)
            self._db2.append(float(db2))
        self._D = (b.d1, b.d2)
        self._dirs = [mlp.unpack(d, h) for d in self._D]
        # constants of the Hessian's second logit derivatives, per pair (0,0), (0,1), (1,1)
        self._hz = {(i, j): (self._dw2[i] * self._Z[j] + self._dw2[j] * self._Z[i],
                             -2.0 * self._Z[i] * self._Z[j])
                    for i, j in ((0, 0), (0, 1), (1, 1))}
        self._gram = np.array([[b.d1 @ b.d1, b.d1 @ b.d2], [b.d2 @ b.d1, b.d2 @ b.d2]])
        self._view = self._make_view()
        self._start = self._make_start()
        if not b.critical:
            b.critical = self._find_critical_points()

    # -- the plane ----------------------------------------------------------------------------
    def theta(self, p) -> np.ndarray:
        """The network parameters θ(a, b) = c + a·d₁ + b·d₂ for points p (n, 2) -> (n, P)."""
        p = np.atleast_2d(np.asarray(p, dtype=float))
        return self.c + p[:, 0:1] * self.d1 + p[:, 1:2] * self.d2

    @property
    def training_path(self) -> np.ndarray:
        """w*'s training path (k, 2) in plane coordinates (least-squares projection; exact
        for ``pca`` up to the part off the plane)."""
        return self._b.path

    def _layers(self, p):
        """(a (n,1,1), b (n,1,1), w₂ (n, h), b₂ (n,)) at points p (n, 2)."""
        a, b = p[:, 0:1], p[:, 1:2]
        w2 = self._cw2 + a * self._dw2[0] + b * self._dw2[1]
        b2 = self._cb2 + p[:, 0] * self._db2[0] + p[:, 1] * self._db2[1]
        return a[:, :, None], b[:, :, None], w2, b2

    def _hidden(self, p, idx=None):
        """(t (n, B, h), w₂, b₂, logit o (n, B)) for every example (idx None) or the
        examples idx (n, B) of each point."""
        a, b, w2, b2 = self._layers(p)
        if idx is None:
            z = self._Zc + a * self._Z[0] + b * self._Z[1]
        else:
            z = self._Zc[idx] + a * self._Z[0][idx] + b * self._Z[1][idx]
        t = np.tanh(z)
        o = (t * w2[:, None, :]).sum(axis=2) + b2[:, None]
        return t, w2, b2, o

    def _penalty(self, p):
        """(½λ‖θ‖² (n,), λ θ·d₁ and λ θ·d₂ (n, 2))."""
        th = self.theta(p)
        lam = self.weight_decay
        return (0.5 * lam * (th * th).sum(axis=1),
                np.column_stack([lam * (th * d).sum(axis=1) for d in self._D]))

    def _chunks(self, n: int, examples: int | None = None):
        """Slices of n points so that points × examples × hidden ≤ ``CHUNK_ELEMENTS``."""
        size = max(1, CHUNK_ELEMENTS // ((examples or self.n_examples) * self.hidden))
        for i in range(0, n, size):
            yield slice(i, min(n, i + size))

    # -- the loss ---------------------------------------------------------------------------
    def example_losses(self, p):
        """example_losses(p: (n, 2)) -> (n, N): BCE of each example plus ½λ‖θ‖²."""
        p = np.asarray(p, dtype=float)
        out = np.empty((len(p), self.n_examples))
        for s in self._chunks(len(p)):
            o = self._hidden(p[s])[3]
            out[s] = mlp.bce(o, self.targets) + self._penalty(p[s])[0][:, None]
        return out

    def value(self, p):
        """value(p: (n, 2)) -> (n,): mean BCE over the N examples + ½λ‖θ(a, b)‖²."""
        p = np.asarray(p, dtype=float)
        if len(p) >= MEMO_MIN_POINTS:
            hit = self._b.memo.get(digest(p))
            if hit is not None:
                return hit.copy()
        out = np.empty(len(p))
        for s in self._chunks(len(p)):
            o = self._hidden(p[s])[3]
            out[s] = mlp.bce(o, self.targets).mean(axis=1) + self._penalty(p[s])[0]
        return out

    def picture_values(self, p: np.ndarray) -> np.ndarray:
        """picture_values(p: (n, 2)) -> (n,): ``value`` for drawing: the hidden layer in
        single precision (relative error about 1e-6, invisible on a map), split over two
        threads; about 5× faster than ``value`` on a big grid."""
        p = np.asarray(p, dtype=float)
        Zc, Z1, Z2 = (z.astype(np.float32) for z in (self._Zc, *self._Z))
        out = np.empty(len(p))

        def work(s):
            a, b, w2, b2 = self._layers(p[s])
            z = np.multiply(a.astype(np.float32), Z1)
            z += Zc
            z += b.astype(np.float32) * Z2
            np.tanh(z, out=z)
            o = np.matmul(z, w2.astype(np.float32)[:, :, None])[:, :, 0].astype(float)
            o += b2[:, None]
            out[s] = mlp.bce(o, self.targets).mean(axis=1) + self._penalty(p[s])[0]

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(work, self._chunks(len(p))))
        return out

    def remember(self, p: np.ndarray, values: np.ndarray | None = None) -> None:
        """Keep ``values`` (default: ``picture_values(p)``) for the points p (n, 2), so a
        later ``value`` call with the same points (≥ ``MEMO_MIN_POINTS`` of them: the map's
        and the 3-D view's grids) returns them at once."""
        p = np.ascontiguousarray(p, dtype=float)
        if len(p) >= MEMO_MIN_POINTS:
            v = self.picture_values(p) if values is None else np.asarray(values, dtype=float)
            with LOCK:
                self._b.memo[digest(p)] = v

    def picture_grid(self, size: int, indexing: str = "xy") -> np.ndarray:
        """``value`` on ``grid(self.view, size, indexing)`` for drawing: evaluated with
        ``picture_values`` on a grid of half the resolution (every other line) and
        interpolated bilinearly in between — 4× cheaper; the loss varies little between
        neighbouring lines of the map (grids up to ``EXACT_PICTURE`` lines are evaluated
        at every point). -> (size², ) in the grid's order."""
        x0, x1, y0, y1 = self.view
        if size <= EXACT_PICTURE:
            return self.picture_values(grid(self.view, size, indexing))
        m = max(2, (size + 1) // 2)
        cx, cy = np.linspace(x0, x1, m), np.linspace(y0, y1, m)
        gx, gy = np.meshgrid(cx, cy)
        coarse = self.picture_values(np.column_stack([gx.ravel(), gy.ravel()])).reshape(m, m)
        fx, fy = np.linspace(x0, x1, size), np.linspace(y0, y1, size)
        fine = bilinear(coarse, cx, cy, fx, fy)  # (size along y, size along x)
        return (fine if indexing == "xy" else fine.T).ravel()

    def batch_grad(self, p, idx, weight):
        """batch_grad(p: (n, 2), idx: (n, B) int, weight: (n, B)) -> (n, 2).

        Backpropagation at θ(a, b): output error δ₂ = weight·(σ(o) − y), hidden error
        δ₁ = δ₂ w₂ (1 − t²); gradients ∂/∂W₁ = Σ δ₁ xᵀ, ∂/∂b₁ = Σ δ₁, ∂/∂w₂ = Σ δ₂ t,
        ∂/∂b₂ = Σ δ₂, plus (Σ weight)·λθ; projected on d₁ and d₂."""
        p = np.asarray(p, dtype=float)
        idx = np.asarray(idx)
        weight = np.asarray(weight, dtype=float)
        out = np.empty((len(p), 2))
        for s in self._chunks(len(p), idx.shape[1]):
            out[s] = self._backprop(p[s], idx[s], weight[s])
        return out

    def grad(self, p):
        """grad(p: (n, 2)) -> (n, 2): ``batch_grad`` over every example in natural order with
        weights 1/N (the same numbers, without gathering the examples)."""
        p = np.asarray(p, dtype=float)
        N = self.n_examples
        weight = np.broadcast_to(np.full(N, 1.0 / N), (len(p), N))
        out = np.empty((len(p), 2))
        for s in self._chunks(len(p)):
            out[s] = self._backprop(p[s], None, weight[s])
        return out

    def _backprop(self, p, idx, weight):
        t, w2, _, o = self._hidden(p, idx)
        y = self.targets if idx is None else self.targets[idx]
        x = self.inputs[None] if idx is None else self.inputs[idx]  # (n or 1, B, 2)
        d2 = (mlp.sigmoid(o) - y) * weight                   # (n, B)
        d1 = d2[:, :, None] * w2[:, None, :] * (1.0 - t * t)  # (n, B, h)
        gW1 = np.stack([(d1 * x[:, :, k:k + 1]).sum(axis=1) for k in (0, 1)], axis=2)
        gb1 = d1.sum(axis=1)
        gw2 = (d2[:, :, None] * t).sum(axis=1)
        gb2 = d2.sum(axis=1)
        _, pen = self._penalty(p)
        total = weight.sum(axis=1)
        g = np.empty((len(p), 2))
        for k, (dW1, db1, dw2, db2) in enumerate(self._dirs):
            g[:, k] = ((gW1 * dW1).sum(axis=(1, 2)) + (gb1 * db1).sum(axis=1)
                       + (gw2 * dw2).sum(axis=1) + gb2 * db2 + total * pen[:, k])
        return g

    def hessian(self, p):
        """hessian(p: (n, 2)) -> (n, 2, 2): mean over examples of ℓ″ o_α o_β + ℓ′ o_αβ
        (ℓ′ = σ(o) − y, ℓ″ = σ(o)(1 − σ(o)), o_α, o_αβ the logit's derivatives along the
        plane) plus λ·[dᵢ·dⱼ]."""
        p = np.asarray(p, dtype=float)
        out = np.empty((len(p), 2, 2))
        Z, dw2 = self._Z, self._dw2
        for s in self._chunks(len(p)):
            t, w2, _, o = self._hidden(p[s])
            sd = 1.0 - t * t
            ws = w2[:, None, :] * sd                   # (n, N, h)
            oa = [(t * dw2[k]).sum(axis=2) + (ws * Z[k]).sum(axis=2) + self._db2[k]
                  for k in (0, 1)]
            wts = ws * t
            sig = mlp.sigmoid(o)
            l1, l2 = sig - self.targets, sig * (1.0 - sig)
            for i in (0, 1):
                for j in (i, 1):
                    A, B = self._hz[i, j]
                    oab = (sd * A + wts * B).sum(axis=2)
                    h = (l2 * oa[i] * oa[j] + l1 * oab).mean(axis=1)
                    out[s, i, j] = out[s, j, i] = h + self.weight_decay * self._gram[i, j]
        return out

    # -- the model: the network's decision boundary -----------------------------------------
    def model_data(self) -> ModelData:
        return ModelData(self.inputs.copy(), self.targets.copy(), self.targets.astype(int),
                         padded_view(self.inputs, 0.1), ("x₁", "x₂"))

    def model_output(self, theta, inputs):
        """The network's logit o(x) at θ(a, b) for inputs (m, 2) -> (m,)."""
        W1, b1, w2, b2 = mlp.unpack(self.theta(np.asarray(theta, dtype=float).reshape(1, 2))[0],
                                    self.hidden)
        x = np.asarray(inputs, dtype=float)
        return np.tanh(x @ W1.T + b1) @ w2 + b2

    def accuracy(self, theta) -> float:
        """Fraction of the examples that the network at θ(a, b) classifies correctly."""
        o = self.model_output(theta, self.inputs)
        return float(((o > 0) == (self.targets > 0.5)).mean())

    # -- view, start, critical points -------------------------------------------------------
    def _make_view(self):
        kind = self.params["directions"]
        if kind == "random":
            return (-1.0, 1.0, -1.0, 1.0)
        if kind == "interpolation":
            return (-1.5, 1.5, -1.0, 1.0)
        pts = np.concatenate([self._b.path, [[0.0, 0.0]]])
        x0, x1, y0, y1 = padded_view(pts, 0.2, 1e-9)
        half = 0.5 * max(x1 - x0, y1 - y0)  # a square view: both axes are unit directions
        cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
        return (cx - half, cx + half, cy - half, cy + half)

    def _make_start(self):
        kind = self.params["directions"]
        if kind == "random":
            return (-0.6, 0.5)
        if kind == "interpolation":
            return (0.02, 0.02)
        a, b = self._b.path[0]
        return (float(a), float(b))

    def _find_critical_points(self) -> tuple[CriticalPoint, ...]:
        """Newton on the plane from w* (and, on the interpolation plane, from the zero
        network); kept when it converges inside the view, classified by the Hessian."""
        seeds = [(0.0, 0.0)] if self.params["directions"] != "interpolation" else \
            [(1.0, 0.0), (0.0, 0.0)]
        x0, x1, y0, y1 = self._view
        out = []
        for seed in seeds:
            q = np.array([seed], dtype=float)
            for _ in range(50):
                g = self.grad(q)[0]
                if not np.abs(g).max() > 1e-13:
                    break
                H = self.hessian(q)[0]
                try:
                    step = np.linalg.solve(H, g)
                except np.linalg.LinAlgError:
                    break
                if not np.isfinite(step).all():
                    break
                q = q - step
            g = self.grad(q)[0]
            a, b = (float(v) for v in q[0])
            if not (np.abs(g).max() <= 1e-10 and x0 <= a <= x1 and y0 <= b <= y1):
                continue
            ev = np.linalg.eigvalsh(self.hessian(q)[0])
            kind = "minimum" if ev[0] > 0 else "maximum" if ev[1] < 0 else "saddle"
            loss = float(self.value(q)[0])
            what = ("the all-zero network" if seed == (0.0, 0.0)
                    and self.params["directions"] == "interpolation" else
                    "the trained network on this plane")
            acc = self.accuracy(q[0])
            out.append(CriticalPoint(a, b, kind, f"{what}: L = {loss:.4g}, accuracy "
                                                 f"{acc:.0%}"))
        return tuple(out)

    @property
    def critical_points(self):
        return self._b.critical

    @property
    def analysis_cache(self) -> dict:
        """Where ``engine.analysis.find_critical_points`` keeps its result for this parameter
        set (shared by every surface built from the same table)."""
        return self._b.analysis

    @property
    def view(self):
        return self._view

    @property
    def start(self):
        return self._start

    def describe(self) -> str:
        tr = self._b.training
        acc = self.accuracy((0.0, 0.0) if self.params["directions"] != "interpolation"
                            else (1.0, 0.0))
        pts = "; ".join(f"{c.kind} at ({c.x:.3g}, {c.y:.3g}): {c.note}"
                        for c in self.critical_points)
        return (f"{self.description} Here: N = {self.n_examples} {self.params['dataset']}, "
                f"{mlp.n_params(self.hidden)} parameters; w* has loss {tr.loss:.4g} (gradient "
                f"norm {tr.grad_norm:.2g}) and classifies {acc:.0%} of the examples. "
                + (pts + "." if pts else ""))
