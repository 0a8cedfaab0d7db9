"""Data-defined losses: the loss is the average of N per-example losses (lecture 004).

    L(θ) = (1/N) Σ_i ℓ_i(θ)

``value``, ``grad`` and ``hessian`` are the full-data loss and its exact derivatives. For
mini-batches the simulation calls ``batch_grad(p, idx, weight)``, the weighted sum
Σ_b weight[r, b] · ∇ℓ_{idx[r, b]}(p_r) per point r; ``grad`` is exactly that sum over all N
examples in natural order with weights 1/N (the same code path, so a full-batch run is the same
whichever way the simulation asks for its gradient). The data set is generated once, at
construction, from the surface's own ``data_seed`` — never from global random state — so the
same parameters always give the same data.

Every computation is element-wise per point (no matrix products across points), so a point's
value or gradient does not depend on how many points are evaluated together.
"""
from __future__ import annotations

import math

import numpy as np

from surfaces.base import CriticalPoint, Param, Surface
from surfaces.model import CLASSIFIER, LINE, ModelData, padded_view
from surfaces.registry import register


class DataSurface(Surface):
    """Base for data surfaces: ``n_examples`` is N (set in ``setup``); subclasses implement
    ``batch_grad``; ``grad`` is the full batch through ``batch_grad``.

    The model view (``surfaces.model``): a subclass that can show the model its θ defines
    sets ``model_kind`` ("line" or "classifier") and implements ``model_data`` and
    ``model_output``."""

    #: "" (no model to show), "line" or "classifier"; see ``surfaces.model``
    model_kind: str = ""

    def model_data(self) -> ModelData:
        """The examples, their classes and the input-space view (see ``ModelData``)."""
        raise NotImplementedError(f"{self.name} has no model view")

    def model_output(self, theta, inputs: np.ndarray) -> np.ndarray:
        """model_output(theta (2,), inputs (m, d)) -> (m,): a line's prediction ŷ, a
        classifier's logit (the decision boundary is its zero set)."""
        raise NotImplementedError(f"{self.name} has no model view")

    def predict(self, theta, inputs: np.ndarray) -> np.ndarray:
        """predict(theta (2,), inputs (m, d)) -> (m,): a line's ŷ, a classifier's
        probability of class 1."""
        out = self.model_output(theta, inputs)
        if self.model_kind == CLASSIFIER:
            s, _ = _sigmoid_parts(out)
            return s
        return out

    def full_batch(self, n_points: int) -> tuple[np.ndarray, np.ndarray]:
        """(idx (n_points, N), weight (n_points, N)): every example in natural order, weight
        1/N — what the simulation uses for a full-batch run."""
        N = self.n_examples
        idx = np.broadcast_to(np.arange(N, dtype=np.int64), (n_points, N))
        weight = np.broadcast_to(np.full(N, 1.0 / N), (n_points, N))
        return idx, weight

    def grad(self, p):
        """grad(p: (n, 2)) -> (n, 2): the full-data gradient (mean of the N example gradients)."""
        return self.batch_grad(p, *self.full_batch(len(p)))

    def example_gradients(self, p: np.ndarray) -> np.ndarray:
        """example_gradients(p: (n, 2)) -> (n, N, 2): ∇ℓ_i at each point, one per example."""
        n, N = len(p), self.n_examples
        rep = np.repeat(p, N, axis=0)  # (n·N, 2): each point once per example
        idx = np.tile(np.arange(N, dtype=np.int64), n)[:, None]
        return self.batch_grad(rep, idx, np.ones((n * N, 1))).reshape(n, N, 2)


# ------------------------------------------------------------------------------ regression
@register
class LinearRegression(DataSurface):
    """L(w, b) = (1/N) Σ_i (w·x_i + b − y_i)², a least-squares line fit."""

    name = "linear-regression"
    title = "Linear regression (mean squared error)"
    description = (
        "Fitting a line y = w·x + b to N noisy examples by mean squared error: the loss is the "
        "average of the N per-example losses (w·xᵢ + b − yᵢ)², so the full gradient is the "
        "average of N example gradients. With a batch size B the run steps on the gradient of "
        "B examples only; one epoch is ⌈N/B⌉ steps that together see every example once, and "
        "the examples are shuffled into new batches every epoch. Full batch (B = N) takes one "
        "steady step per epoch; B = 1 takes N noisy, zig-zag steps. The loss is an exact "
        "quadratic bowl with its minimum at the least-squares solution. With scaled = true the "
        "feature is standardised (mean 0, variance 1) and the bowl is round (condition number "
        "≈ 1); with scaled = false the raw feature x ∈ [0, 10] has a large mean, the bowl "
        "becomes a long, narrow valley (condition number 174 for the default data, 100–190 "
        "for other data seeds) and plain gradient descent crawls along it: the case for "
        "adaptive learning rates."
    )
    param_specs = (
        Param("n", 100, "Number of examples N in the generated data set.", kind=int, low=2,
              high=1000),
        Param("noise", 1.0, "Standard deviation of the Gaussian noise added to each label y.",
              low=0.0),
        Param("true_w", 2.0, "Slope of the line that generates the labels."),
        Param("true_b", 1.0, "Intercept of the line that generates the labels."),
        Param("data_seed", 0, "Seed of the generated data set (the same seed gives the same "
              "examples).", kind=int, low=0),
        Param("scaled", True, "Standardise the feature x to mean 0 and variance 1 (round "
              "bowl); false keeps the raw x ∈ [0, 10] (a long, narrow valley).", kind=bool),
    )
    axis_names = ("w", "b")

    def setup(self, n, noise, true_w, true_b, data_seed, scaled):
        rng = np.random.default_rng(data_seed)
        raw = rng.uniform(0.0, 10.0, n)
        label_noise = rng.standard_normal(n)
        x = (raw - raw.mean()) / raw.std() if scaled else raw
        #: feature x_i (N,) as the model sees it, and label y_i (N,)
        self.features = x
        self.targets = true_w * x + true_b + noise * label_noise
        self.n_examples = int(n)
        design = np.stack([x, np.ones(n)], axis=1)
        solution = np.linalg.lstsq(design, self.targets, rcond=None)[0]
        #: the least-squares solution (w*, b*) (2,)
        self.optimum = solution
        self.min_loss = float(np.mean((design @ solution - self.targets) ** 2))
        self._sxx = float(np.mean(x * x))
        self._sx = float(np.mean(x))
        # constant Hessian of the mean squared error: 2·[[mean x², mean x], [mean x, 1]]
        self._H = 2.0 * np.array([[self._sxx, self._sx], [self._sx, 1.0]])
        self.eigenvalues = np.linalg.eigvalsh(self._H)  # ascending
        # view: round bowl for scaled features; for raw features the valley runs mostly
        # along b (shifting b by Δ and w by −Δ/mean x keeps the predictions), so widen b
        w0, b0 = float(solution[0]), float(solution[1])
        if scaled:
            half_w, half_b = 4.0, 4.0
        else:
            half_w, half_b = 3.0, 3.0 + 2.0 * self._sx
        self._view = (w0 - half_w, w0 + half_w, b0 - half_b, b0 + half_b)
        self._start = (w0 - 0.6 * half_w, b0 + 0.7 * half_b)

    # step-size theory (the loss is an exact quadratic)
    @property
    def condition_number(self) -> float:
        """κ = λmax/λmin of the (constant) Hessian."""
        return float(self.eigenvalues[-1] / self.eigenvalues[0])

    @property
    def eta_max(self) -> float:
        """Largest η for which full-batch GD converges: 2/λmax."""
        return 2.0 / float(self.eigenvalues[-1])

    def value(self, p):
        """value(p: (n, 2)) -> (n,): the full-data mean squared error, written as the exact
        quadratic L* + ½ dᵀHd around the least-squares solution (d = p − (w*, b*)), so the
        cost does not grow with N."""
        dw = p[:, 0] - self.optimum[0]
        db = p[:, 1] - self.optimum[1]
        return self.min_loss + (self._sxx * dw * dw + 2.0 * self._sx * dw * db + db * db)

    def example_losses(self, p: np.ndarray) -> np.ndarray:
        """example_losses(p: (n, 2)) -> (n, N): (w·x_i + b − y_i)² per point and example."""
        r = p[:, 0:1] * self.features + p[:, 1:2] - self.targets
        return r * r

    def batch_grad(self, p, idx, weight):
        """batch_grad(p: (n, 2), idx: (n, B) int, weight: (n, B)) -> (n, 2):
        Σ_b weight·2 r (x, 1) with r = w·x + b − y of example idx[r, b]."""
        x = self.features[idx]
        c = p[:, 0:1] * x
        c += p[:, 1:2]
        c -= self.targets[idx]
        c *= weight
        c *= 2.0
        g = np.empty((len(p), 2))
        g[:, 1] = c.sum(axis=1)
        c *= x
        g[:, 0] = c.sum(axis=1)
        return g

    def hessian(self, p):
        return np.broadcast_to(self._H, (len(p), 2, 2)).copy()

    # -- the model: the fitted line -------------------------------------------------------
    model_kind = LINE

    def model_data(self) -> ModelData:
        x, y = self.features, self.targets
        return ModelData(x[:, None].copy(), y.copy(), None,
                         padded_view(np.column_stack([x, y]), 0.08),
                         ("x (scaled)" if self.params["scaled"] else "x", "y"))

    def model_output(self, theta, inputs):
        """ŷ = w·x + b for inputs (m, 1) -> (m,)."""
        w, b = (float(v) for v in np.asarray(theta, dtype=float).reshape(2))
        return w * np.asarray(inputs, dtype=float)[:, 0] + b

    @property
    def view(self):
        return self._view

    @property
    def start(self):
        return self._start

    @property
    def critical_points(self):
        w, b = self.optimum
        return (CriticalPoint(float(w), float(b), "minimum",
                              f"least-squares solution, L = {self.min_loss:.4g}"),)

    def describe(self) -> str:
        return (f"{self.description} Here: N = {self.n_examples}, minimum at w = "
                f"{self.optimum[0]:.4g}, b = {self.optimum[1]:.4g}, condition number "
                f"κ = {self.condition_number:.3g}, full-batch GD converges for η < "
                f"{self.eta_max:.3g}.")


# ------------------------------------------------------------------------------ spoiler
def _sigmoid_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(σ(z), σ′(z) = σ(1 − σ)) for any array z, without overflow or cancellation."""
    e = np.exp(-np.abs(z))
    inv = 1.0 / (1.0 + e)
    s = np.where(z >= 0, inv, e * inv)
    return s, e * inv * inv


@register
class LogisticSpoiler(DataSurface):
    """L(w) = (1/N) Σ_i (y_i − σ(w·x_i + b))², a logistic neuron with L2 divergence."""

    name = "logistic-spoiler"
    title = "Logistic neuron with a spoiler"
    description = (
        "Backprop versus the perceptron (Brady, Raghavan and Slawny, 1989): one logistic neuron "
        "σ(w₁x₁ + w₂x₂ + b) trained with the L2 divergence (y − σ)² on three points, (1,0) and "
        "(0,1) of class +1 and (−1,0) of class −1. As on the slides, the targets are the "
        "achievable outputs 1 − ε for class +1 and ε for class −1, so with b = 0 the "
        "three-point optimum is w₁ = w₂ = ln((1−ε)/ε) (4.6 for ε = 0.01), where the loss is 0 "
        "and the classes are separated. A spoiler "
        "(0, −t) of class +1 far out (large t) hardly changes the loss near that optimum: the "
        "neuron is saturated there, so the spoiler's gradient is nearly zero and the old "
        "optimum stays a broad local minimum, which misclassifies the spoiler. The loss is "
        "an average over the N = 3 or 4 examples, so batch size 1 visits them one at a time. "
        "The bias b is fixed (not trained). With b = 0 no line through the origin can put "
        "both (0,1) and (0,−t) in class +1; with a fixed b > 0 a separator exists "
        "(w₁ > b, −b < w₂ < b/t) and the global minimum is one, while the three-point "
        "optimum remains a non-separating local minimum."
    )
    param_specs = (
        Param("spoiler_t", 0.0, "Distance t of the spoiler (0, −t), class +1; 0 = no spoiler.",
              low=0.0, high=100.0),
        Param("eps", 0.01, "Target margin ε: class +1 has target 1 − ε, class −1 target ε "
              "(0 = targets 1 and 0, whose optimum lies at infinity).", low=0.0, high=0.45),
        Param("bias", 0.0, "The neuron's fixed bias b (not trained).", low=-10.0, high=10.0),
    )
    axis_names = ("w₁", "w₂")

    def setup(self, spoiler_t, eps, bias):
        pts = [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)]
        labels = [1, 1, -1]
        if spoiler_t > 0:
            pts.append((0.0, -spoiler_t))
            labels.append(1)
        #: inputs x_i (N, 2), class labels ±1 (N,), L2 targets ε or 1 − ε (N,)
        self.inputs = np.array(pts)
        self.labels = np.array(labels)
        self.targets = np.where(self.labels > 0, 1.0 - eps, eps)
        self.bias = float(bias)
        self.n_examples = len(pts)
        self._x1 = np.ascontiguousarray(self.inputs[:, 0])
        self._x2 = np.ascontiguousarray(self.inputs[:, 1])
        self._three_point = math.log((1.0 - eps) / eps) if eps > 0 else math.inf
        self._critical = self._find_critical_points()
        self._view = self._make_view()

    # -- the classifier ---------------------------------------------------------------------
    def separates(self, w) -> bool | np.ndarray:
        """Does the linear classifier sign(w·x + b) put every point in its class (a point on
        the line counts as wrong)? w: (2,) -> bool, or (n, 2) -> (n,) bool."""
        w = np.asarray(w, dtype=float)
        pts = np.atleast_2d(w)
        z = pts[:, 0:1] * self._x1 + pts[:, 1:2] * self._x2 + self.bias
        ok = (np.sign(z) == self.labels).all(axis=1)
        return bool(ok[0]) if w.ndim == 1 else ok

    @property
    def separator(self) -> tuple[float, float] | None:
        """A separating w (w·x + b has the sign of every label), or None when no separator
        exists in this plane (with a spoiler and b ≤ 0: (0,1) and (0,−t) lie on opposite sides
        of every line through the fixed offset)."""
        b, t = self.bias, float(self.params["spoiler_t"])
        w1 = abs(b) + 1.0  # (1,0) needs w₁ + b > 0, (−1,0) needs −w₁ + b < 0
        if t > 0:
            if b <= 0:  # (0,1) needs w₂ > −b, (0,−t) needs w₂ < b/t
                return None
            return (w1, 0.5 * (b / t - b))
        return (w1, abs(b) + 1.0)

    # -- the model: the neuron's decision boundary w·x + b = 0 -------------------------------
    model_kind = CLASSIFIER

    def model_data(self) -> ModelData:
        highlight = (3,) if self.n_examples == 4 else ()
        pts = np.concatenate([self.inputs, [[0.0, 0.0]]])
        return ModelData(self.inputs.copy(), self.targets.copy(),
                         (self.labels > 0).astype(int), padded_view(pts, 0.25, 2.0),
                         ("x₁", "x₂"), highlight,
                         f"spoiler (0, −{self.params['spoiler_t']:g})" if highlight else "")

    def model_output(self, theta, inputs):
        """The logit w₁x₁ + w₂x₂ + b for inputs (m, 2) -> (m,)."""
        w1, w2 = (float(v) for v in np.asarray(theta, dtype=float).reshape(2))
        x = np.asarray(inputs, dtype=float)
        return w1 * x[:, 0] + w2 * x[:, 1] + self.bias

    @property
    def three_point_optimum(self) -> tuple[float, float]:
        """The slides' solution w₁ = w₂ = ln((1−ε)/ε) of the three points with b = 0 (inf
        when ε = 0)."""
        return (self._three_point, self._three_point)

    # -- the loss ---------------------------------------------------------------------------
    def _z(self, p, x1, x2):
        z = p[:, 0:1] * x1
        z += p[:, 1:2] * x2
        z += self.bias
        return z

    def example_losses(self, p: np.ndarray) -> np.ndarray:
        """example_losses(p: (n, 2)) -> (n, N): (y_i − σ(w·x_i + b))²."""
        s, _ = _sigmoid_parts(self._z(p, self._x1, self._x2))
        r = self.targets - s
        return r * r

    def value(self, p):
        return self.example_losses(p).mean(axis=1)

    def batch_grad(self, p, idx, weight):
        """batch_grad(p: (n, 2), idx: (n, B) int, weight: (n, B)) -> (n, 2):
        Σ_b weight · (−2 (y − σ) σ′) x of example idx[r, b]."""
        x1, x2 = self._x1[idx], self._x2[idx]
        s, ds = _sigmoid_parts(self._z(p, x1, x2))
        c = self.targets[idx] - s
        c *= ds
        c *= weight
        c *= -2.0
        g = np.empty((len(p), 2))
        g[:, 0] = (c * x1).sum(axis=1)
        g[:, 1] = (c * x2).sum(axis=1)
        return g

    def hessian(self, p):
        """hessian(p: (n, 2)) -> (n, 2, 2): (1/N) Σ ℓ″(z_i) x_i x_iᵀ with
        ℓ″ = 2σ′² − 2(y − σ)σ′(1 − 2σ)."""
        x1, x2 = self._x1, self._x2
        s, ds = _sigmoid_parts(self._z(p, x1, x2))
        d2 = 2.0 * ds * ds - 2.0 * (self.targets - s) * ds * (1.0 - 2.0 * s)
        d2 /= self.n_examples
        h = np.empty((len(p), 2, 2))
        h[:, 0, 0] = (d2 * (x1 * x1)).sum(axis=1)
        h[:, 0, 1] = h[:, 1, 0] = (d2 * (x1 * x2)).sum(axis=1)
        h[:, 1, 1] = (d2 * (x2 * x2)).sum(axis=1)
        return h

    # -- critical points --------------------------------------------------------------------
    def _axis_derivatives(self, k: int, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """N·∂L/∂w_k and N·∂²L/∂w_k² along axis k for (m,) values w_k. Every example lies on a
        coordinate axis, so the loss separates: L = f₁(w₁) + f₂(w₂)."""
        a = self.inputs[:, k]
        on = (a != 0) & (self.inputs[:, 1 - k] == 0)
        a, y = a[on], self.targets[on]
        z = w[:, None] * a + self.bias
        s, ds = _sigmoid_parts(z)
        d1 = (-2.0 * (y - s) * ds * a).sum(axis=1)
        d2 = ((2.0 * ds * ds - 2.0 * (y - s) * ds * (1.0 - 2.0 * s)) * a * a).sum(axis=1)
        return d1, d2

    def _axis_roots(self, k: int) -> list[tuple[float, float]]:
        """Roots of f_k′ as (w_k, f_k″) pairs: sign changes on a fine grid, then bisection."""
        reach = (self._three_point if math.isfinite(self._three_point) else 0.0)
        half = 2.0 * reach + 2.0 * abs(self.bias) + 20.0
        grid = np.linspace(-half, half, 40_001)
        d1, _ = self._axis_derivatives(k, grid)
        sg = np.sign(d1)
        lo = np.flatnonzero(sg[:-1] * sg[1:] < 0)
        if not len(lo):
            return []
        a, b = grid[lo], grid[lo + 1]
        fa = self._axis_derivatives(k, a)[0]
        for _ in range(80):
            mid = 0.5 * (a + b)
            fm = self._axis_derivatives(k, mid)[0]
            left = np.sign(fm) == np.sign(fa)
            a, fa = np.where(left, mid, a), np.where(left, fm, fa)
            b = np.where(left, b, mid)
        root = 0.5 * (a + b)
        _, curv = self._axis_derivatives(k, root)
        return [(float(r), float(c)) for r, c in zip(root, curv) if c != 0.0]

    def _find_critical_points(self) -> tuple[CriticalPoint, ...]:
        out = []
        for w1, c1 in self._axis_roots(0):
            for w2, c2 in self._axis_roots(1):
                kind = ("minimum" if c1 > 0 and c2 > 0 else
                        "maximum" if c1 < 0 and c2 < 0 else "saddle")
                pt = np.array([[w1, w2]])
                loss = float(self.value(pt)[0])
                sep = "separates" if self.separates(pt[0]) else "does not separate"
                out.append(CriticalPoint(w1, w2, kind, f"L = {loss:.4g}; {sep}"))
        mins = [c for c in out if c.kind == "minimum"]
        if len(mins) > 1:  # name the global and the local minima
            best = min(mins, key=lambda c: float(self.value(c.point[None])[0]))
            out = [CriticalPoint(c.x, c.y, c.kind, ("global minimum, " if c is best else
                                                    "local minimum, ") + c.note)
                   if c.kind == "minimum" else c for c in out]
        return tuple(out)

    @property
    def critical_points(self):
        return self._critical

    # -- view -------------------------------------------------------------------------------
    def _make_view(self):
        pts = [(0.0, 0.0), self.start] + [(c.x, c.y) for c in self._critical]
        if math.isfinite(self._three_point):
            pts.append(self.three_point_optimum)
        else:
            pts.append((6.0, 6.0))  # show the trend towards the optimum at infinity
        a = np.array(pts)
        lo, hi = a.min(axis=0) - 2.0, a.max(axis=0) + 2.0
        return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))

    @property
    def view(self):
        return self._view

    @property
    def start(self):
        # upper left: w₂ > 0 keeps a far spoiler saturated (no gradient) all the way, as on
        # the slides; from w₂ < 0 the spoiler is satisfied and the run ends at the other minimum
        return (-2.0, 2.0)

    def describe(self) -> str:
        mins = self.minima
        if not mins and self.params["eps"] == 0:
            where = ("No minimum at a finite w: with targets 1 and 0 (ε = 0) the loss keeps "
                     "falling as the weights grow, so runs drift off towards infinity.")
        elif not mins:
            where = "No minimum at a finite w was found."
        else:
            where = "; ".join(f"{c.kind} at ({c.x:.3g}, {c.y:.3g}): {c.note}"
                              for c in self._critical) + "."
        return f"{self.description} Here: N = {self.n_examples}. {where}"
