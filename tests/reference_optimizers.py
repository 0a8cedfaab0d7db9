"""Plain-Python reference optimizers for the hand-computed tests (tests/test_optimizers.py).

Each follows the formulas of ../shared/docs/lecture-digest.md ("Update rules") or the paper
it names, one parameter at a time with plain floats, independently of the engine. Each
returns rows t = 0..steps: dict(theta, grad, lr, sigma, eff); sigma/eff None where the
optimizer has none. Row t holds θ^t, the gradient used at t, and σ^t/eff of update t → t+1.
"""
from __future__ import annotations

import math

# ------------------------------------------------------------------ plain-float surfaces
QUAD_PARAMS = {"lambda1": 1.0, "lambda2": 3.0}


def quad_grad(x, y):
    return [1.0 * x, 3.0 * y]  # E = ½(x² + 3y²)


def quad_loss(x, y):
    return 0.5 * (x * x + 3.0 * y * y)


def quad_hess(x, y):
    return [[1.0, 0.0], [0.0, 3.0]]


def rosen_grad(x, y):
    return [-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)]


def rosen_loss(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosen_hess(x, y):
    return [[2.0 - 400.0 * (y - x * x) + 800.0 * x * x, -400.0 * x], [-400.0 * x, 200.0]]


SURF = {
    "quadratic": (QUAD_PARAMS, quad_grad, quad_loss, quad_hess, (-1.5, 1.0)),
    "rosenbrock": ({}, rosen_grad, rosen_loss, rosen_hess, (-1.2, 1.0)),
}


def sign(v):
    return (v > 0) - (v < 0)


# ------------------------------------------------------------------ reference optimizers
# Each returns rows t = 0..steps: dict(theta, grad, lr, sigma, eff); sigma/eff None where the
# optimizer has none. Row t holds θ^t, the gradient used at t, and σ^t/eff of update t → t+1.
def ref_gd(grad, start, steps, lr, lrs=None):
    th, rows = list(start), []
    for t in range(steps + 1):
        eta = lrs[t] if lrs else lr
        g = grad(*th)
        rows.append(dict(theta=list(th), grad=g, lr=eta, sigma=None, eff=[eta, eta]))
        th = [th[i] - eta * g[i] for i in range(2)]
    return rows


def ref_momentum(grad, start, steps, lr, momentum, nesterov=False, lrs=None):
    th, m, rows = list(start), [0.0, 0.0], []
    for t in range(steps + 1):
        eta = lrs[t] if lrs else lr
        at = [th[i] + momentum * m[i] for i in range(2)] if nesterov else th
        g = grad(*at)
        rows.append(dict(theta=list(th), grad=g, lr=eta, sigma=None, eff=[eta, eta]))
        m = [momentum * m[i] - eta * g[i] for i in range(2)]  # m ← λm − ηg
        th = [th[i] + m[i] for i in range(2)]
    return rows


def ref_adagrad(grad, start, steps, lr, eps, lrs=None):
    th, sq, rows = list(start), [0.0, 0.0], []
    for t in range(steps + 1):
        eta = lrs[t] if lrs else lr
        g = grad(*th)
        sq = [sq[i] + g[i] ** 2 for i in range(2)]
        sig = [math.sqrt(sq[i] / (t + 1)) for i in range(2)]  # RMS of g^0..g^t
        eff = [eta / (sig[i] + eps) for i in range(2)]
        rows.append(dict(theta=list(th), grad=g, lr=eta, sigma=sig, eff=eff))
        th = [th[i] - eff[i] * g[i] for i in range(2)]
    return rows


def ref_rmsprop(grad, start, steps, lr, alpha, eps, init):
    th, rows, sig = list(start), [], None
    for t in range(steps + 1):
        g = grad(*th)
        if t == 0:
            if init == "first_gradient":
                sig = [abs(g[i]) for i in range(2)]  # σ⁰ = |g⁰|
            else:  # PyTorch: v₀ = 0, then one ordinary update
                sig = [math.sqrt((1 - alpha) * g[i] ** 2) for i in range(2)]
        else:
            sig = [math.sqrt(alpha * sig[i] ** 2 + (1 - alpha) * g[i] ** 2) for i in range(2)]
        eff = [lr / (sig[i] + eps) for i in range(2)]
        rows.append(dict(theta=list(th), grad=g, lr=lr, sigma=sig, eff=eff))
        th = [th[i] - eff[i] * g[i] for i in range(2)]
    return rows


def ref_adam(grad, start, steps, lr, beta1, beta2, eps):
    th, m, v, rows = list(start), [0.0, 0.0], [0.0, 0.0], []
    for t in range(steps + 1):
        g = grad(*th)
        m = [beta1 * m[i] + (1 - beta1) * g[i] for i in range(2)]
        v = [beta2 * v[i] + (1 - beta2) * g[i] ** 2 for i in range(2)]
        mhat = [m[i] / (1 - beta1 ** (t + 1)) for i in range(2)]
        vhat = [v[i] / (1 - beta2 ** (t + 1)) for i in range(2)]
        sig = [math.sqrt(vhat[i]) for i in range(2)]
        rows.append(dict(theta=list(th), grad=g, lr=lr, sigma=sig,
                         eff=[lr / (sig[i] + eps) for i in range(2)]))
        th = [th[i] - lr * mhat[i] / (sig[i] + eps) for i in range(2)]
    return rows


def ref_rprop(grad, start, steps, step_init, eta_plus, eta_minus, step_min, step_max,
              backtrack):
    """The slide's rule: grow Δ while the sign holds; on a flip return to the previous
    location, shrink Δ and take the smaller step from there; forget the derivative after a
    return (Rprop+)."""
    th, rows = list(start), []
    delta, dprev, last = [step_init] * 2, [0.0, 0.0], [0.0, 0.0]
    for t in range(steps + 1):
        g = grad(*th)
        new = list(th)
        for i in range(2):
            p = g[i] * dprev[i]
            if p > 0:
                delta[i] = min(delta[i] * eta_plus, step_max)
            elif p < 0:
                delta[i] = max(delta[i] * eta_minus, step_min)
            if p < 0 and backtrack:
                previous = th[i] - last[i]  # the location before the last step
                last[i] = -sign(dprev[i]) * delta[i]
                new[i] = previous + last[i]
                dprev[i] = 0.0
            else:
                last[i] = -sign(g[i]) * delta[i]
                new[i] = th[i] + last[i]
                dprev[i] = g[i]
        rows.append(dict(theta=list(th), grad=g, lr=None, sigma=None, eff=list(delta)))
        th = new
    return rows


def ref_quickprop(grad, start, steps, lr, max_growth):
    th, rows = list(start), []
    gprev, prev = [0.0, 0.0], [0.0, 0.0]
    for t in range(steps + 1):
        g = grad(*th)
        step = [0.0, 0.0]
        for i in range(2):
            if prev[i] == 0.0 or gprev[i] == g[i]:
                step[i] = -lr * g[i]  # first step (and fallback): a gradient step
                continue
            ratio = g[i] / (gprev[i] - g[i])  # secant: Δ = Δprev · g / (gprev − g)
            if g[i] * gprev[i] > 0 and not (0.0 <= ratio < max_growth):
                ratio = max_growth  # Fahlman's cap
            step[i] = prev[i] * ratio
        rows.append(dict(theta=list(th), grad=g, lr=lr, sigma=None, eff=None))
        gprev, prev = g, step
        th = [th[i] + step[i] for i in range(2)]
    return rows


def ref_newton(grad, hess, start, steps, lr, damping):
    th, rows = list(start), []
    for t in range(steps + 1):
        g = grad(*th)
        (a, b), (c, d) = hess(*th)
        a, d = a + damping, d + damping
        det = a * d - b * c
        inv = [[d / det, -b / det], [-c / det, a / det]]
        rows.append(dict(theta=list(th), grad=g, lr=lr, sigma=None, eff=None))
        th = [th[i] - lr * (inv[i][0] * g[0] + inv[i][1] * g[1]) for i in range(2)]
    return rows


def _adam_like(grad, start, steps, lr, beta1, beta2, eps, weight_decay=0.0, amsgrad=False):
    th, m, v, vmax, rows = list(start), [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], []
    for t in range(steps + 1):
        g = grad(*th)
        m = [beta1 * m[i] + (1 - beta1) * g[i] for i in range(2)]
        v = [beta2 * v[i] + (1 - beta2) * g[i] ** 2 for i in range(2)]
        vmax = [max(vmax[i], v[i]) for i in range(2)]
        use = vmax if amsgrad else v
        sig = [math.sqrt(use[i] / (1 - beta2 ** (t + 1))) for i in range(2)]
        mhat = [m[i] / (1 - beta1 ** (t + 1)) for i in range(2)]
        rows.append(dict(theta=list(th), grad=g, lr=lr, sigma=sig,
                         eff=[lr / (sig[i] + eps) for i in range(2)]))
        th = [th[i] - lr * weight_decay * th[i] - lr * mhat[i] / (sig[i] + eps)
              for i in range(2)]
    return rows


def ref_adamw(grad, start, steps, lr, beta1, beta2, eps, weight_decay):
    """Loshchilov & Hutter: θ ← θ − ηλθ − η m̂/(√v̂ + ε)."""
    return _adam_like(grad, start, steps, lr, beta1, beta2, eps, weight_decay=weight_decay)


def ref_amsgrad(grad, start, steps, lr, beta1, beta2, eps):
    """Adam with v_max = max(v_max, v), bias-corrected afterwards (torch's amsgrad=True)."""
    return _adam_like(grad, start, steps, lr, beta1, beta2, eps, amsgrad=True)


def ref_nadam(grad, start, steps, lr, beta1, beta2, eps, momentum_decay):
    """torch.optim.NAdam's algorithm, one float at a time."""
    th, m, v, prod, rows = list(start), [0.0, 0.0], [0.0, 0.0], 1.0, []
    for t in range(steps + 1):
        s = t + 1
        g = grad(*th)
        mu = beta1 * (1 - 0.5 * 0.96 ** (s * momentum_decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((s + 1) * momentum_decay))
        prod *= mu
        m = [beta1 * m[i] + (1 - beta1) * g[i] for i in range(2)]
        v = [beta2 * v[i] + (1 - beta2) * g[i] ** 2 for i in range(2)]
        sig = [math.sqrt(v[i] / (1 - beta2 ** s)) for i in range(2)]
        rows.append(dict(theta=list(th), grad=g, lr=lr, sigma=sig,
                         eff=[lr / (sig[i] + eps) for i in range(2)]))
        th = [th[i] - lr * (1 - mu) / (1 - prod) * g[i] / (sig[i] + eps)
              - lr * mu_next / (1 - prod * mu_next) * m[i] / (sig[i] + eps) for i in range(2)]
    return rows


def ref_adadelta(grad, start, steps, lr, rho, eps):
    """Zeiler 2012 (torch.optim.Adadelta): Δ = RMS[Δ]/RMS[g] · g."""
    th, eg, ed, rows = list(start), [0.0, 0.0], [0.0, 0.0], []
    for t in range(steps + 1):
        g = grad(*th)
        eg = [rho * eg[i] + (1 - rho) * g[i] ** 2 for i in range(2)]
        sig = [math.sqrt(eg[i] + eps) for i in range(2)]
        rate = [math.sqrt(ed[i] + eps) / sig[i] for i in range(2)]
        d = [rate[i] * g[i] for i in range(2)]
        ed = [rho * ed[i] + (1 - rho) * d[i] ** 2 for i in range(2)]
        rows.append(dict(theta=list(th), grad=g, lr=lr, sigma=sig,
                         eff=[lr * rate[i] for i in range(2)]))
        th = [th[i] - lr * d[i] for i in range(2)]
    return rows


def ref_lion(grad, start, steps, lr, beta1, beta2, weight_decay):
    """Chen et al. 2023, Algorithm 2: c = β₁m + (1−β₁)g; θ ← θ − η(sign(c) + λθ);
    m ← β₂m + (1−β₂)g."""
    th, m, rows = list(start), [0.0, 0.0], []
    for t in range(steps + 1):
        g = grad(*th)
        c = [beta1 * m[i] + (1 - beta1) * g[i] for i in range(2)]
        rows.append(dict(theta=list(th), grad=g, lr=lr, sigma=None, eff=[lr, lr]))
        th = [th[i] - lr * (sign(c[i]) + weight_decay * th[i]) for i in range(2)]
        m = [beta2 * m[i] + (1 - beta2) * g[i] for i in range(2)]
    return rows


def ref_adabelief(grad, start, steps, lr, beta1, beta2, eps):
    """Zhuang et al. 2020, Algorithm 2: s ← β₂s + (1−β₂)(g − m)² + ε, bias-corrected."""
    th, m, s, rows = list(start), [0.0, 0.0], [0.0, 0.0], []
    for t in range(steps + 1):
        g = grad(*th)
        m = [beta1 * m[i] + (1 - beta1) * g[i] for i in range(2)]
        s = [beta2 * s[i] + (1 - beta2) * (g[i] - m[i]) ** 2 + eps for i in range(2)]
        sig = [math.sqrt(s[i] / (1 - beta2 ** (t + 1))) for i in range(2)]
        mhat = [m[i] / (1 - beta1 ** (t + 1)) for i in range(2)]
        rows.append(dict(theta=list(th), grad=g, lr=lr, sigma=sig,
                         eff=[lr / (sig[i] + eps) for i in range(2)]))
        th = [th[i] - lr * mhat[i] / (sig[i] + eps) for i in range(2)]
    return rows
