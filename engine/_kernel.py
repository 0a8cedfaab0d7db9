"""The compiled kernel of the fused fast path (numba). Imported only by engine/compiled.py,
lazily, when a simulation is about to use it: it imports numba at the top.

``advance`` does what ``Simulation._run_rows`` followed by ``Simulation._check`` do for a
chunk of rows, in one pass over each block of runs: θ ← θ − step, the gradient (at the
look-ahead point for Nesterov), the fused update of engine/fused.py, the loss, the record's
row (when recording), the divergence and convergence tests, the step limit and the
summaries. Every
floating-point operation is the one NumPy does, in the same order, so both give the same bits;
the per-step coefficients (b, d, C, K) and η^t come in as tables NumPy computed.

The surfaces' scalar ``*_value_grad`` functions (beside each surface) are compiled into it;
``SURFACES`` gives their numbers (``kind``).
"""
from __future__ import annotations

import math

from numba import njit

from surfaces.canyon import canyon_value_grad
from surfaces.classic import quadratic_value_grad, rosenbrock_value_grad
from surfaces.saddles import saddle_value_grad
from surfaces.standard_functions import himmelblau_value_grad

#: the surfaces this kernel knows, in the order of ``kind``
SURFACES = ("rosenbrock", "quadratic", "himmelblau", "saddle", "canyon")
_rosenbrock = njit(inline="always")(rosenbrock_value_grad)
_quadratic = njit(inline="always")(quadratic_value_grad)
_himmelblau = njit(inline="always")(himmelblau_value_grad)
_saddle = njit(inline="always")(saddle_value_grad)
_canyon = njit(inline="always")(canyon_value_grad)

RUNNING, CONVERGED, DIVERGED, FINISHED = 0, 1, 2, 3
_SAFE = 1e150  # |g| below this in both coordinates: ‖g‖ = hypot(g) cannot overflow
_BLOCK = 64    # runs advanced step by step together


@njit(inline="always")
def _ratio_finite(a, b):
    """a/b is finite: without dividing where |a| < 1e10 and 1e-290 < b < ∞ (|a/b| < 1e300)."""
    if abs(a) < 1e10 and 1e-290 < b < math.inf:
        return True
    return math.isfinite(a / b)


@njit(inline="always")
def _norm_finite(x, y):
    """‖(x, y)‖ = hypot(x, y) is finite, without calling hypot. Exact below 1.2e308 (where
    ‖g‖ ≤ √2·max(|x|, |y|) cannot overflow); above, decided on squares scaled by 2^−600, which
    agrees with hypot unless ‖g‖ lies within about an ulp of the largest double."""
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    if abs(x) <= 1.2e308 and abs(y) <= 1.2e308:
        return True
    x, y = x * 2.0 ** -600, y * 2.0 ** -600
    return math.sqrt(x * x + y * y) <= 1.7976931348623157e308 * 2.0 ** -600


@njit(inline="always")
def _value_grad(kind, x, y, c):
    if kind == 0:
        return _rosenbrock(x, y, c)
    if kind == 1:
        return _quadratic(x, y, c)
    if kind == 2:
        return _himmelblau(x, y, c)
    if kind == 3:
        return _saddle(x, y, c)
    return _canyon(x, y, c)


@njit(cache=True, nogil=True)
def advance(kind, c, r0, k, nest, record,
            theta, step, m, s, a, cc, D, eps, gam,
            tb, td, tC, tK, lr,
            start, limit, live, status, stop, last,
            final_theta, final_loss, lowest, to_target, prev_loss,
            chk_sigma, chk_eff, chk_lr, flags, num,
            h_th, h_loss, h_g, h_gn, h_lr, h_sig, h_eff, base):
    """Rows r0..r0+k−1 of every live run. The tables tb, td, tC, tK and lr (η^t) are (1 or k,
    1 or n); flags = (has a grad-norm tolerance, has a target); num = (centre x, centre y,
    bound, grad-norm tol, loss-change tol, target loss, target tol). Returns the number of
    runs that stopped.

    Runs go in blocks of ``_BLOCK``: step by step within a block, so the block's state stays
    in the cache and each step's row of the tables is read in one piece."""
    n = theta.shape[0]
    stopped = 0
    for i0 in range(0, n, _BLOCK):
        i1 = min(n, i0 + _BLOCK)
        if record or flags[0]:  # ‖g‖ is needed
            stopped += _block_general(
                kind, c, r0, k, nest, record, i0, i1, theta, step, m, s, a, cc, D, eps, gam,
                tb, td, tC, tK, lr, start, limit, live, status, stop, last,
                final_theta, final_loss, lowest, to_target, prev_loss,
                chk_sigma, chk_eff, chk_lr, flags, num,
                h_th, h_loss, h_g, h_gn, h_lr, h_sig, h_eff, base)
        else:
            stopped += _block_plain(
                kind, c, r0, k, nest, record, i0, i1, theta, step, m, s, a, cc, D, eps, gam,
                tb, td, tC, tK, lr, start, limit, live, status, stop, last,
                final_theta, final_loss, lowest, to_target, prev_loss,
                chk_sigma, chk_eff, chk_lr, flags, num,
                h_th, h_loss, h_g, h_gn, h_lr, h_sig, h_eff, base)
    return stopped


def _make_block(general):
    """The loop over one block of runs. ``general``, a constant of the compiled code: it
    computes ‖g‖ (with hypot) and writes the record when asked; the plain loop (record-free,
    no gradient-norm tolerance) has neither stores into the record nor a call, either of which
    would keep the compiler from holding its values in registers."""
    return njit(nogil=True)(_block_source(general))


def _block_source(general):
    def _block(kind, c, r0, k, nest, record, i0, i1,
               theta, step, m, s, a, cc, D, eps, gam, tb, td, tC, tK, lr,
               start, limit, live, status, stop, last,
               final_theta, final_loss, lowest, to_target, prev_loss,
               chk_sigma, chk_eff, chk_lr, flags, num,
               h_th, h_loss, h_g, h_gn, h_lr, h_sig, h_eff, base):
        cx, cy, bound, tol_g, tol_l, star, ttol = num[0], num[1], num[2], num[3], num[4], num[5], \
            num[6]
        want_gn = general
        has_g, has_target = flags[0], flags[1]
        star_finite = math.isfinite(star)
        wb, wd, wC, wK = tb.shape[1] > 1, td.shape[1] > 1, tC.shape[1] > 1, tK.shape[1] > 1
        wl = lr.shape[1] > 1
        stopped = 0
        for j in range(k):
            row = r0 + j
            jb, jd, jC, jK = (j if tb.shape[0] > 1 else 0), (j if td.shape[0] > 1 else 0), \
                (j if tC.shape[0] > 1 else 0), (j if tK.shape[0] > 1 else 0)
            jl = j if lr.shape[0] > 1 else 0
            at = row - base
            for i in range(i0, i1):
                if not live[i]:
                    continue
                x, y = theta[i, 0], theta[i, 1]
                if row:
                    nx, ny = x - step[i, 0], y - step[i, 1]
                else:
                    nx, ny = x, y
                mx, my = m[i, 0], m[i, 1]
                # L at θ; ∇L at θ, or for Nesterov at the look-ahead point (a second pass
                # through the same code: one copy of the surfaces' code is compiled, not two)
                px, py = nx, ny
                loss = gx = gy = 0.0
                for q in range(2 if nest else 1):
                    v, gx, gy = _value_grad(kind, px, py, c)
                    if q == 0:
                        loss = v
                        px, py = gam[i, 0] * mx + nx, gam[i, 1] * my + ny
                # the fused update (engine/fused.py)
                b, d = tb[jb, i if wb else 0], td[jd, i if wd else 0]
                C, K = tC[jC, i if wC else 0], tK[jK, i if wK else 0]
                mx = mx * a[i, 0] + gx * b
                my = my * a[i, 1] + gy * b
                vx = s[i, 0] * cc[i, 0] + gx * gx * d
                vy = s[i, 1] * cc[i, 1] + gy * gy * d
                sgx = math.sqrt(vx * C + D[i, 0])
                sgy = math.sqrt(vy * C + D[i, 1])
                ix_, iy_ = sgx + eps[i, 0], sgy + eps[i, 1]
                eta = lr[jl, i if wl else 0]
                gn = math.hypot(gx, gy) if want_gn else 0.0
                if general and record:
                    h_th[at, i, 0], h_th[at, i, 1] = nx, ny
                    h_loss[at, i] = loss
                    h_g[at, i, 0], h_g[at, i, 1] = gx, gy
                    h_gn[at, i] = gn
                    h_lr[at, i] = eta
                    h_sig[at, i, 0], h_sig[at, i, 1] = sgx, sgy
                    h_eff[at, i, 0], h_eff[at, i, 1] = eta / ix_, eta / iy_
                # the divergence test (Simulation._check): first a test without branches
                # that every value of an ordinary row passes, then the exact one
                fine = ((abs(gx) < _SAFE) & (abs(gy) < _SAFE) & (abs(loss) < math.inf)
                        & (sgx < math.inf) & (sgy < math.inf) & (abs(eta) < 1e10)
                        & (ix_ > 1e-290) & (ix_ < math.inf) & (iy_ > 1e-290) & (iy_ < math.inf)
                        & (abs(nx - cx) <= bound) & (abs(ny - cy) <= bound))
                if fine and not want_gn:
                    fin = True
                else:
                    if want_gn:
                        fin = math.isfinite(gn)
                    else:
                        fin = _norm_finite(gx, gy)
                    fin = fin and math.isfinite(loss)
                    if chk_sigma[i]:
                        fin = fin and math.isfinite(sgx) and math.isfinite(sgy)
                    if chk_eff[i]:  # the effective rate η^t/(σ+ε)
                        fin = fin and math.isfinite(eta / ix_) and math.isfinite(eta / iy_)
                    if chk_lr[i]:
                        fin = fin and math.isfinite(eta)
                    fin = fin and abs(nx - cx) <= bound and abs(ny - cy) <= bound
                code = RUNNING
                if not fin:
                    code = DIVERGED
                    # θ^(row−1) (the start at row 0) and its loss are the summary's final ones
                    kx, ky = x, y
                    final_theta[i, 0], final_theta[i, 1], final_loss[i] = x, y, prev_loss[i]
                else:
                    conv = has_g and gn < tol_g
                    conv = conv or abs(loss - prev_loss[i]) < tol_l
                    # a valid row: the summaries
                    low = lowest[i]
                    if loss < low or math.isnan(low):
                        lowest[i] = loss
                    if has_target and to_target[i] < 0:
                        if (abs(loss - star) if star_finite else loss) < ttol:
                            to_target[i] = row
                    kx, ky = nx, ny
                    if conv:
                        code = CONVERGED
                    elif row == limit[i]:
                        code = FINISHED
                    if code != RUNNING:
                        final_theta[i, 0], final_theta[i, 1], final_loss[i] = nx, ny, loss
                prev_loss[i] = loss
                if code == RUNNING:
                    theta[i, 0], theta[i, 1] = nx, ny
                    step[i, 0] = K / ix_ * mx
                    step[i, 1] = K / iy_ * my
                    m[i, 0], m[i, 1], s[i, 0], s[i, 1] = mx, my, vx, vy
                    continue
                # Simulation._stop
                stopped += 1
                live[i] = False
                status[i] = code
                stop[i] = row
                last[i] = row - 1 if code == DIVERGED else row
                if not (math.isfinite(kx) and math.isfinite(ky)):
                    kx, ky = start[i, 0], start[i, 1]
                theta[i, 0], theta[i, 1] = kx, ky
                step[i, 0] = step[i, 1] = 0.0
                # FusedPlan.freeze
                m[i, 0] = m[i, 1] = s[i, 0] = s[i, 1] = 0.0
                a[i, 0] = a[i, 1] = 0.0
                D[i, 0] = D[i, 1] = 1.0
        # the runs still going: their newest row is the last valid one
        for i in range(i0, i1):
            if live[i]:
                last[i] = r0 + k - 1
                final_theta[i, 0], final_theta[i, 1], final_loss[i] = theta[i, 0], theta[i, 1], \
                    prev_loss[i]
        return stopped
    return _block


_block_general = _make_block(True)
_block_plain = _make_block(False)
