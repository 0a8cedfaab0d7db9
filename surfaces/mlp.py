"""A small two-layer network and its training: the maths behind the ``mlp-plane`` surface.

The network maps an input x (2,) to a probability

    p(x) = σ(w₂ · tanh(W₁ x + b₁) + b₂)

with W₁ (h, 2), b₁ (h,), w₂ (h,), b₂ (scalar); its loss on N examples is the mean binary
cross-entropy ℓ = −y log p − (1 − y) log(1 − p). All P = 4h + 1 parameters live in one flat
vector w laid out as [W₁ (row-major), b₁, w₂, b₂] (``unpack``).

- ``loss_and_grad(w, x, y)``: the loss and its exact gradient (P,) by backpropagation.
- ``train(x, y, hidden, seed)``: w* by full-batch Adam from a seeded initialisation, a fixed
  number of steps (deterministic), recording the trajectory for the PCA plane.
- ``random_direction``, ``filter_normalize``, ``pca_directions``: the plane's directions as in
  Li et al. 2018 ("Visualizing the Loss Landscape of Neural Nets").

Pure NumPy, no Qt. Randomness only through ``numpy.random.default_rng(seed)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

#: full-batch Adam steps that train w*, its learning rate (× 0.1 after 60 % of the steps,
#: × 0.01 after 85 %), and how often the path is recorded
TRAIN_STEPS = 2000
TRAIN_LR = 0.05
RECORD_EVERY = 10


def train_lr(t: int) -> float:
    """The learning rate of training step t (1-based): a step decay that lets Adam settle."""
    if t < 0.6 * TRAIN_STEPS:
        return TRAIN_LR
    return 0.1 * TRAIN_LR if t < 0.85 * TRAIN_STEPS else 0.01 * TRAIN_LR


def n_params(hidden: int) -> int:
    return 4 * hidden + 1


def unpack(w: np.ndarray, hidden: int):
    """(W₁ (..., h, 2), b₁ (..., h), w₂ (..., h), b₂ (...,)) views of w (..., P)."""
    h = hidden
    W1 = w[..., :2 * h].reshape(w.shape[:-1] + (h, 2))
    return W1, w[..., 2 * h:3 * h], w[..., 3 * h:4 * h], w[..., 4 * h]


def softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + eᶻ) without overflow."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) without overflow."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def bce(o: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of the logit o against the target y: softplus(o) − y·o."""
    return softplus(o) - y * o


def loss_and_grad(w: np.ndarray, x: np.ndarray, y: np.ndarray, hidden: int,
                  weight_decay: float = 0.0) -> tuple[float, np.ndarray]:
    """Mean BCE of the network w (P,) on x (N, 2), y (N,) plus (λ/2)‖w‖² (λ =
    ``weight_decay``) and its gradient (P,) by backpropagation."""
    W1, b1, w2, b2 = unpack(w, hidden)
    t = np.tanh(x @ W1.T + b1)            # (N, h)
    o = t @ w2 + b2                       # (N,)
    N = len(y)
    d_o = (sigmoid(o) - y) / N            # ∂L/∂o
    d_z = np.outer(d_o, w2) * (1.0 - t * t)  # ∂L/∂z (N, h)
    g = np.concatenate([(d_z.T @ x).ravel(), d_z.sum(axis=0), t.T @ d_o, [d_o.sum()]])
    return (float(bce(o, y).mean() + 0.5 * weight_decay * (w @ w)),
            g + weight_decay * w)


def _train_grad(w, x, y, hidden, weight_decay, out):
    """The gradient of ``loss_and_grad`` written into out (P,), without the loss (the
    training loop's hot path)."""
    h = hidden
    t = np.tanh(x @ w[:2 * h].reshape(h, 2).T + w[2 * h:3 * h])
    w2 = w[3 * h:4 * h]
    d_o = sigmoid(t @ w2 + w[4 * h])
    d_o -= y
    d_o *= 1.0 / len(y)
    d_z = np.multiply.outer(d_o, w2)
    d_z *= 1.0 - t * t
    out[:2 * h] = (d_z.T @ x).ravel()
    out[2 * h:3 * h] = d_z.sum(axis=0)
    out[3 * h:4 * h] = t.T @ d_o
    out[4 * h] = d_o.sum()
    out += weight_decay * w
    return out


def init_params(hidden: int, rng: np.random.Generator) -> np.ndarray:
    """Glorot-style start: W₁ ~ N(0, 1/2), w₂ ~ N(0, 1/h), biases 0."""
    w = np.zeros(n_params(hidden))
    W1, _, w2, _ = unpack(w, hidden)
    W1[...] = rng.standard_normal((hidden, 2)) * np.sqrt(0.5)
    w2[...] = rng.standard_normal(hidden) / np.sqrt(hidden)
    return w


@dataclass(frozen=True)
class Training:
    """w* (P,), its loss and gradient norm, and the recorded path (k, P) from the start to
    w* (every ``RECORD_EVERY`` steps, w* last)."""

    w: np.ndarray
    loss: float
    grad_norm: float
    path: np.ndarray


class Cancelled(Exception):
    """Raised when a build's ``cancelled()`` callback answers True."""


def train(x: np.ndarray, y: np.ndarray, hidden: int, seed: int, weight_decay: float = 0.0,
          progress: Callable[[float], None] | None = None,
          cancelled: Callable[[], bool] | None = None) -> Training:
    """w* by ``TRAIN_STEPS`` full-batch Adam steps (η = ``train_lr(t)``, β = (0.9, 0.999),
    ε = 1e-8) on the loss with ``weight_decay`` from ``init_params(hidden,
    default_rng(seed))``. ``progress(fraction)`` is called now and then; ``cancelled()`` returning True raises ``Cancelled``."""
    w = init_params(hidden, np.random.default_rng(seed))
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    b1, b2, eps = 0.9, 0.999, 1e-8
    path = [w.copy()]
    g = np.empty_like(w)
    for t in range(1, TRAIN_STEPS + 1):
        _train_grad(w, x, y, hidden, weight_decay, g)
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        w = w - train_lr(t) * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        if t % RECORD_EVERY == 0:
            path.append(w.copy())
            if t % (20 * RECORD_EVERY) == 0:
                if cancelled is not None and cancelled():
                    raise Cancelled()
                if progress is not None:
                    progress(t / TRAIN_STEPS)
    loss, g = loss_and_grad(w, x, y, hidden, weight_decay)
    if not np.array_equal(path[-1], w):
        path.append(w.copy())
    return Training(w, loss, float(np.linalg.norm(g)), np.array(path))


# ------------------------------------------------------------------------------ directions
def filter_normalize(d: np.ndarray, w: np.ndarray, hidden: int) -> np.ndarray:
    """Li et al.'s filter normalisation: each filter (a hidden unit's incoming weights, a row
    of W₁; the output unit's incoming weights w₂) of d is rescaled to the norm of the same
    filter of w; the bias entries of d are set to 0 (as in their code's default)."""
    d = np.array(d, dtype=float, copy=True)
    dW1, db1, dw2, db2 = unpack(d, hidden)
    W1, _, w2, _ = unpack(w, hidden)
    rows = np.linalg.norm(dW1, axis=1)
    dW1 *= (np.linalg.norm(W1, axis=1) / np.where(rows > 0, rows, 1.0))[:, None]
    n2 = np.linalg.norm(dw2)
    dw2 *= np.linalg.norm(w2) / (n2 if n2 > 0 else 1.0)
    db1[...] = 0.0
    d[-1] = 0.0
    return d


def random_direction(w: np.ndarray, hidden: int, rng: np.random.Generator) -> np.ndarray:
    """A Gaussian direction, filter-normalised to w."""
    return filter_normalize(rng.standard_normal(len(w)), w, hidden)


def pca_directions(path: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                            np.ndarray]:
    """The first two principal directions (unit vectors (P,), (P,)) of the training path
    (k, P) taken relative to w*, and the path's coordinates (k, 2) in them. Signs are fixed
    so that the start of the path has non-positive coordinates."""
    rel = path - w
    _, _, vt = np.linalg.svd(rel, full_matrices=False)
    d1, d2 = vt[0].copy(), vt[1].copy()
    coords = np.column_stack([rel @ d1, rel @ d2])
    for k, d in ((0, d1), (1, d2)):
        if coords[0, k] > 0:
            d *= -1.0
            coords[:, k] *= -1.0
    return d1, d2, coords
