"""Lock-step simulation of many optimizer runs on one surface, recorded or summary-only.

All runs advance together. Each optimizer is one definition in ``engine.optimizers`` (its
state and a vectorized ``update`` over the arrays (runs, 2) of its own runs); the simulation
takes the gradient of every run at once, hands each optimizer's runs to its update, and
records what happened. Optimizers with a "full version" (gd, momentum, nesterov, adagrad,
rmsprop, adam) share one fused update instead (``engine.fused``, proven equal to their
definitions bit for bit), because with a handful of runs NumPy's per-call cost dominates.

Row t of the record holds θ^t, L(θ^t), the gradient g^t used at t, η^t, σ^t and the effective
rate of the update θ^t → θ^(t+1); after ``advance(k)`` every live run has rows 0..k (the last
row is what the next update would use). The record grows geometrically with the rows actually
recorded. With ``record=False`` only per-run summaries are kept (``summary()``: final θ, final
and lowest loss, steps to the target, status, stop step), in memory proportional to the runs.

A run whose record turns non-finite, or that leaves ``surface.divergence_bound``, is marked
``diverged`` at that step (its rows end at the step before); a run meeting the tolerance is
``converged`` at that step; a run reaching its own ``max_steps`` is ``finished``. Stopped runs
stay where they are while the others go on.
"""
from __future__ import annotations

import math
from operator import itemgetter
from typing import Sequence

import numpy as np

from engine import streams
from engine.step_tables import batches, learning_rates
from engine.compiled import plan as compiled_plan
from engine.fused import FusedPlan, fused_groups
from engine.limits import check_record_memory
from engine.optimizers import OPTIMIZERS, Context, Hyper
from engine.runs import (CONVERGED, DIVERGED, FINISHED, RUNNING, RunHistory,  # noqa: F401
                         RunSpec, Summary, Tolerance, run_columns)
from engine.schedules import CONSTANT

_CHUNK = 2048          # most steps computed per chunk
_CHUNK_CELLS = 1 << 20  # most run-steps per chunk (bounds the per-chunk tables' memory)
_FIRST_ROWS = 16        # the record starts this small and doubles as needed
#: bytes per recorded run-step: θ 2, loss, g 2, ‖g‖, η, σ 2, eff 2 (float64)
ROW_BYTES = 11 * 8


_FIELDS = (("theta", 2), ("loss", 0), ("grad", 2), ("grad_norm", 0), ("lr", 0), ("sigma", 2),
           ("eff_lr", 2))


class _Group:
    """The runs of one optimizer that go through its definition."""

    def __init__(self, spec, ix: np.ndarray, n: int, runs):
        self.spec = spec
        self.ix = slice(None) if len(ix) == n else ix
        self.h = Hyper.of(spec, [runs[i].hyper for i in ix])
        self.state = spec.init(self.h, len(ix))


class Simulation:
    """Advance ``runs`` on ``surface`` in lock-step; ``advance(k)`` moves every live run k steps.

    ``seed`` feeds the random streams (mini-batch shuffles, gradient noise), which exist only
    for runs that use them and are keyed by (seed, run key) (``engine.streams``): a run's
    trajectory does not depend on the other runs, on its position among them, or on how the
    steps are split into ``advance`` calls. ``record=False`` keeps per-run summaries only.
    ``target = (loss, tol)`` counts the steps until |L − loss| < tol (L < tol for a nan loss).
    ``fused=False`` sends every run through its optimizer's definition (the tests compare the
    two paths). ``compiled``: the compiled fast path (engine/compiled.py) where it applies —
    None: for big ``advance`` calls, or once loaded; True: always; False: never.
    """

    def __init__(self, surface, runs: Sequence[RunSpec], seed: int = 0,
                 tolerance: Tolerance | None = None, record: bool = True,
                 target: tuple[float, float] | None = None, fused: bool = True,
                 compiled: bool | None = None):
        if not runs:
            raise ValueError("an experiment needs at least one run")
        self.surface = surface
        self.runs = tuple(runs)
        self.seed = int(seed)
        self.tolerance = tolerance or Tolerance()
        self.record = bool(record)
        self.target = target
        n = self.n = len(self.runs)
        names, hypers, starts, schedules, noise, limits = run_columns(self.runs)
        kinds = sorted(set(names))
        opt = np.full(n, kinds[0]) if len(kinds) == 1 else np.array(names)
        self._opt = opt
        every = np.ones(n, dtype=bool)
        runs_of = (lambda o: every) if len(kinds) == 1 else (lambda o: opt == o)  # noqa: E731
        self.status = [RUNNING] * n
        self.stop_step: list[int | None] = [None] * n
        self._last = np.zeros(n, dtype=np.int64)  # last valid row per run
        self._live = np.ones(n, dtype=bool)
        self.theta = np.array(starts, dtype=float).reshape(n, 2)
        self._step = np.zeros((n, 2))
        self._point = np.empty((n, 2))  # where the gradient is taken (look-ahead)
        self.rows = 0

        # learning rates: η, and which runs need a per-step schedule
        spec_of = {o: OPTIMIZERS[o] for o in kinds}
        has_lr = np.ones(n, dtype=bool)
        for o, spec in spec_of.items():
            if not spec.has_lr:
                has_lr[runs_of(o)] = False
        self._has_lr = has_lr
        nonconst = [] if schedules.count(CONSTANT) == n else \
            [i for i, sc in enumerate(schedules) if sc.name != "constant"]
        self._scheduled = [i for i in nonconst if has_lr[i] and not self.runs[i].schedule.stateful]
        self._pl = np.array([i for i in nonconst if self.runs[i].schedule.stateful], dtype=np.int64)
        if len(self._pl):
            p = [self.runs[i].schedule.params for i in self._pl]
            self._pl_factor = np.array([x["factor"] for x in p], dtype=float)
            self._pl_patience = np.array([x["patience"] for x in p], dtype=np.int64)
            self._pl_thr = np.array([x["threshold"] for x in p], dtype=float)
            self._pl_best = np.full(len(p), np.inf)
            self._pl_bad = np.zeros(len(p), dtype=np.int64)
            self._pscale = np.ones(len(p))

        # optimizers: the fused fast path, and one group per other optimizer
        stateful = np.zeros(n, dtype=bool)
        stateful[self._pl] = True
        fast, self._groups = [], []
        for o, spec in spec_of.items():
            mine = runs_of(o)
            if fused and spec.full_version is not None:
                ix = np.flatnonzero(mine & ~stateful)
                if len(ix):
                    mine_h = hypers if len(ix) == n else [hypers[i] for i in ix]
                    fast.append((spec, ix, Hyper.of(spec, mine_h)))
                mine = mine & stateful  # a plateau schedule changes η within a chunk
            ix = np.flatnonzero(mine)
            if len(ix):
                self._groups.append(_Group(spec, ix, n, self.runs))
        self._fused = FusedPlan(n, fused_groups(fast)) if fast else None
        if len(fast) == 1 and len(fast[0][1]) == n and hasattr(fast[0][2], "lr"):
            self._lr0 = np.broadcast_to(fast[0][2].lr[:, 0], (n,)).copy()  # read already
        else:
            try:
                self._lr0 = np.fromiter(map(itemgetter("lr"), hypers), float, n)
            except KeyError:
                self._lr0 = np.array([r.hyper["lr"] if "lr" in r.hyper else r.lr
                                      for r in self.runs], dtype=float)
        self._lookahead = [g for g in self._groups if g.spec.lookahead is not None]
        masks = [np.zeros(n, dtype=bool) for _ in range(3)]
        for o, spec in spec_of.items():
            mine = runs_of(o)
            masks[0][mine] = spec.has_sigma
            masks[1][mine] = spec.eff in ("lr", "adaptive", "delta")
            masks[2][mine] = spec.has_lr
        self._check_masks = tuple(masks)

        # randomness: only for runs that use batches or noise
        self._noise = np.fromiter(noise, float, n)
        self._noisy = np.flatnonzero(self._noise > 0)
        nex = getattr(surface, "n_examples", 0)
        bsize = [min(r.batch_size or nex, nex) for r in self.runs] if nex else []
        self._shuffled = np.flatnonzero(np.array(bsize) < nex) if nex else np.zeros(0, int)
        self._batched = len(self._shuffled) > 0
        uses_keys = np.zeros(n, dtype=bool)  # (np.union1d: the same, but it loads numpy.ma)
        uses_keys[self._noisy] = True
        uses_keys[self._shuffled] = True
        keys_for = np.flatnonzero(uses_keys)
        self._keys = np.zeros(n, dtype=np.uint64)
        if len(keys_for):
            self._keys[keys_for] = streams.run_keys([self.runs[i] for i in keys_for])
        if self._batched:
            self._nex = nex
            self._bsize = np.array(bsize, dtype=np.int64)
            self._bmax = int(self._bsize.max())
            self._perm = np.tile(np.arange(nex), (len(self._shuffled), 1))
            self._epoch = np.full(len(self._shuffled), -1, dtype=np.int64)

        never = np.iinfo(np.int64).max
        self._has_limits = limits.count(None) < n
        self._limit = np.array([never if m is None else m for m in limits], dtype=np.int64) \
            if self._has_limits else np.full(n, never, dtype=np.int64)
        self._center = np.array(self.surface.view_center)
        self._bound = float(self.surface.divergence_bound)

        # summaries
        self._final_theta = self.theta.copy()
        self._final_loss = np.full(n, np.nan)
        self._lowest = np.full(n, np.nan)
        self._to_target = np.full(n, -1, dtype=np.int64)
        self._prev_loss = np.full(n, np.nan)

        self._buf: dict[str, np.ndarray] = {}
        self._cap = 0
        self._base = 0  # row number of the buffers' first row (record-free: the chunk's first)
        self._compiled = compiled_plan(self, compiled)
        self._rows(1, 1)

    # ------------------------------------------------------------------ public API
    @property
    def step(self) -> int:
        """Number of updates done (the newest row's step)."""
        return self.rows - 1

    @property
    def live(self) -> np.ndarray:
        return self._live.copy()

    @staticmethod
    def memory_needed(n_runs: int, steps: int, record: bool = True) -> int:
        """Bytes the record of ``n_runs`` × ``steps`` needs (record-free: the working set)."""
        chunk = max(1, min(_CHUNK, _CHUNK_CELLS // max(n_runs, 1)))
        work = n_runs * (chunk * (ROW_BYTES + 12 * 8) + 40 * 8)
        return work + (n_runs * (steps + 1) * ROW_BYTES if record else 0)

    def advance(self, k: int = 1) -> int:
        """Move every live run ``k`` steps (fewer if all stop). Returns steps done."""
        done = 0
        per_chunk = max(1, min(_CHUNK, _CHUNK_CELLS // self.n))
        while done < k and self._live.any():
            c = min(per_chunk, k - done)
            r0 = self.rows
            self._rows(c, k)
            if not self._live.any():  # the last run stopped inside this chunk: end there
                self.rows = max(r0, max(s for s in self.stop_step if s is not None) + 1)
                done += self.rows - r0
                break
            done += c
        return done

    def run_to(self, steps: int) -> None:
        """Advance until ``steps`` updates are done (or every run has stopped)."""
        if steps > self.step:
            # refused at once, naming the bytes needed, before anything is allocated
            check_record_memory(self.n, steps, recorded=self.record)
            self.advance(steps - self.step)

    def history(self, i: int, upto: int | None = None) -> RunHistory:
        """Record of run ``i``: rows 0..last (or 0..min(last, upto))."""
        if not self.record:
            raise RuntimeError("this simulation keeps summaries only (record=False): "
                               "use summary()")
        end = int(self._last[i]) + 1
        if upto is not None:
            end = min(end, upto + 1)
        b = self._buf
        return RunHistory(*(b[f][:end, i] for f, _ in _FIELDS), status=self.status[i],
                          stop_step=self.stop_step[i])

    def current_theta(self) -> np.ndarray:
        """(runs, 2): each run's newest valid position."""
        return self._final_theta.copy()

    def summary(self) -> Summary:
        return Summary(self._final_theta.copy(), self._final_loss.copy(), self._lowest.copy(),
                       self._to_target.copy(), np.array(self.status),
                       np.array([-1 if s is None else s for s in self.stop_step],
                                dtype=np.int64))

    def status_text(self, i: int) -> str:
        s = self.status[i]
        return s if s == RUNNING else f"{s} at step {self.stop_step[i]}"

    # ------------------------------------------------------------------ internals
    def _ensure(self, rows: int) -> None:
        """Room for rows up to ``rows`` − 1 (record-free: for rows self.rows..rows − 1)."""
        if not self.record:
            self._base = self.rows
            need = rows - self.rows
        else:
            need = rows
        if need <= self._cap:
            return
        cap = need if not self.record else max(need, 2 * self._cap, _FIRST_ROWS)
        n, old = self.n, self._buf
        new = {}
        for f, w in _FIELDS:
            shape = (cap, n, w) if w else (cap, n)
            new[f] = np.empty(shape)
            if self.record and f in old:
                new[f][: self.rows] = old[f][: self.rows]
        self._buf, self._cap = new, cap

    def _rows(self, c: int, steps: int) -> None:
        """Compute and check rows self.rows..self.rows+c−1, through the compiled kernel where
        it applies (``steps``: those of the whole ``advance``), else through NumPy."""
        r0 = self.rows
        kernel = self._compiled.kernel(steps, c) if self._compiled is not None else None
        if kernel is not None:
            if self.record:
                self._ensure(r0 + c)
            self._compiled.run(self, kernel, r0, c)
            self.rows = r0 + c
            return
        self._ensure(r0 + c)
        with np.errstate(all="ignore"):
            self._run_rows(c)
        self._check(r0, r0 + c)

    def _run_rows(self, k: int) -> None:
        """Compute rows self.rows .. self.rows+k−1 (applying the pending step first, except
        for row 0)."""
        r0, base = self.rows, self._base
        lr_k = learning_rates(self, r0, k)
        fz = self._fused
        if fz is not None:
            co = fz.coefficients(lr_k, r0, k)
            if self.n <= 64:  # few runs: same-shape operands are the cheapest NumPy calls
                B, Dd, Cc, K = (np.repeat(co[key][:, :, None], 2, axis=2)
                                for key in ("b", "d", "C", "K"))
            else:
                B, Dd, Cc, K = (co[key][:, :, None] for key in ("b", "d", "C", "K"))
            m, s, tmp, inv = fz.m, fz.s, fz.tmp, fz.inv
            a, c, D, eps, gam = fz.a, fz.c, fz.D, fz.eps, fz.gamma
        noisy = self._noisy if len(self._noisy) else None
        if noisy is not None:
            noise = streams.normals(self.seed, self._keys[noisy], r0, k)
            noise *= self._noise[noisy][None, :, None]
        batched = self._batched
        if batched:
            bidx, bw = batches(self, r0, k)
        surf, buf, step = self.surface, self._buf, self._step
        h_th, h_g, h_sig, h_eff = buf["theta"], buf["grad"], buf["sigma"], buf["eff_lr"]
        groups, pl = self._groups, self._pl
        plateau = len(pl) > 0
        nest = fz is not None and fz.nesterov
        look = self._lookahead
        frozen = None if self._live.all() else ~self._live[:, None]
        prev = self.theta
        for j in range(k):
            row = r0 + j
            at = row - base  # the row's place in the buffers
            th = h_th[at]
            if row:
                np.subtract(prev, step, out=th)
            else:
                th[...] = prev
            p = th
            if nest or look:
                p = self._point
                if nest:
                    np.multiply(gam, m, out=p)
                    p += th
                else:
                    p[...] = th
                for grp in look:
                    p[grp.ix] = grp.spec.lookahead(th[grp.ix], grp.state, grp.h)
            g = surf.batch_grad(p, bidx[j], bw[j]) if batched else surf.grad(p)
            if noisy is not None:
                g[noisy] += noise[j]
            h_g[at] = g
            sig = h_sig[at]
            if plateau:  # the plateau schedule needs the loss now
                lr_k[j, pl] *= self._pscale
                self._plateau(surf.value(th[pl]))
            if fz is not None:
                # m ← a·m + b·g
                m *= a
                np.multiply(g, B[j], out=tmp)
                m += tmp
                # s ← c·s + d·g²
                s *= c
                np.multiply(g, g, out=tmp)
                tmp *= Dd[j]
                s += tmp
                # σ = sqrt(C·s + D)
                np.multiply(s, Cc[j], out=sig)
                sig += D
                np.sqrt(sig, out=sig)
                # step = K·m/(σ+ε)
                np.add(sig, eps, out=inv)
                np.divide(K[j], inv, out=step)
                step *= m
            for grp in groups:
                ix = grp.ix
                lr = lr_k[j, ix][:, None]
                up = grp.spec.update(g[ix], grp.state, grp.h, lr, Context(row, th[ix], surf))
                grp.state = up.state
                step[ix] = up.step
                sig[ix] = 1.0 if up.sigma is None else up.sigma
                h_eff[at, ix] = lr if up.eff is None else up.eff
            if frozen is not None:  # stopped runs stay where they are
                np.copyto(step, 0.0, where=frozen)
            prev = th
        self.theta = prev.copy()
        a0, a1 = r0 - base, r0 - base + k
        buf["lr"][a0:a1] = lr_k
        # L(θ^t) for the whole chunk at once (element-wise maths: each point's value does not
        # depend on how the steps were split into chunks)
        buf["loss"][a0:a1] = surf.value(h_th[a0:a1].reshape(-1, 2)).reshape(k, self.n)
        g = h_g[a0:a1]
        np.hypot(g[..., 0], g[..., 1], out=buf["grad_norm"][a0:a1])
        if fz is not None:
            if fz.all:
                np.divide(lr_k[:, :, None], h_sig[a0:a1] + eps, out=h_eff[a0:a1])
            else:
                ix = fz.ix
                h_eff[a0:a1, ix] = lr_k[:, ix, None] / (h_sig[a0:a1, ix] + eps[ix])
        self.rows = r0 + k

    def _plateau(self, loss: np.ndarray) -> None:
        cur = loss
        best = self._pl_best
        improved = cur < best - self._pl_thr * np.abs(best)
        improved |= ~np.isfinite(best)
        self._pl_best = np.where(improved, cur, best)
        self._pl_bad = np.where(improved, 0, self._pl_bad + 1)
        drop = self._pl_bad >= self._pl_patience
        self._pscale = np.where(drop, self._pscale * self._pl_factor, self._pscale)
        self._pl_bad = np.where(drop, 0, self._pl_bad)

    def _check(self, r0: int, r1: int) -> None:
        """Mark runs diverged/converged within rows r0..r1−1; update last valid rows and the
        summaries."""
        b, base = self._buf, self._base
        a0, a1 = r0 - base, r1 - base
        th = b["theta"][a0:a1]
        loss = b["loss"][a0:a1]
        both = lambda a: np.isfinite(a[..., 0]) & np.isfinite(a[..., 1])  # noqa: E731
        # ‖g‖ = hypot(g) is finite exactly when g is: it stands for the gradient
        fin = np.isfinite(loss) & np.isfinite(b["grad_norm"][a0:a1])
        meaningful, eff_ok, lr_ok = self._check_masks
        if meaningful.any():
            fin &= both(b["sigma"][a0:a1]) | ~meaningful
        if eff_ok.any():
            fin &= both(b["eff_lr"][a0:a1]) | ~eff_ok
        if lr_ok.any():
            fin &= np.isfinite(b["lr"][a0:a1]) | ~lr_ok
        with np.errstate(invalid="ignore"):  # nan θ fails the bound too
            d = np.abs(th - self._center)
            fin &= (d[..., 0] <= self._bound) & (d[..., 1] <= self._bound)
        bad = ~fin
        tol = self.tolerance
        conv = np.zeros_like(bad)
        if tol.grad_norm is not None:
            conv |= b["grad_norm"][a0:a1] < tol.grad_norm
        if tol.loss_change is not None:
            prev = np.concatenate([self._prev_loss[None], loss[:-1]])
            with np.errstate(invalid="ignore"):
                conv |= np.abs(loss - prev) < tol.loss_change
        if self._has_limits:  # rows past a run's own step limit do not count
            past = np.arange(r0, r1)[:, None] > self._limit[None, :]
            bad &= ~past
            conv &= ~past
        # first bad / first converged row per run, all runs at once
        any_bad, any_conv = bad.any(axis=0), conv.any(axis=0)
        first_bad, first_conv = np.argmax(bad, axis=0), np.argmax(conv, axis=0)
        live = self._live.copy()
        diverged = live & any_bad & (~any_conv | (first_bad <= first_conv))
        converged = live & ~diverged & any_conv
        self._last[live & ~diverged & ~converged] = r1 - 1
        for i in np.flatnonzero(diverged | converged):
            if diverged[i]:
                row = r0 + int(first_bad[i])
                self._stop(i, DIVERGED, row, row - 1)
            else:
                row = r0 + int(first_conv[i])
                self._stop(i, CONVERGED, row, row)
        if self._has_limits:
            for i in np.flatnonzero(self._live & (self._limit <= r1 - 1)):
                self._stop(i, FINISHED, int(self._limit[i]), int(self._limit[i]))
        self._summarize(live, r0, r1, loss, th)

    def _summarize(self, was_live, r0, r1, loss, th) -> None:
        """Fold rows r0..r1−1 of the runs live before this chunk into the summaries."""
        ix = np.flatnonzero(was_live)
        if not len(ix):
            return
        last = self._last[ix]
        rows = np.arange(r0, r1)[:, None]
        valid = rows <= last[None, :]
        lv = np.where(valid, loss[:, ix], np.nan)
        with np.errstate(invalid="ignore"):
            low = np.fmin.reduce(lv, axis=0)
        self._lowest[ix] = np.fmin(self._lowest[ix], low)
        inside = last >= r0
        sel, at = ix[inside], last[inside] - r0
        self._final_loss[sel] = loss[at, sel]
        self._final_theta[sel] = th[at, sel]
        self._prev_loss[ix] = loss[-1, ix]
        if self.target is not None:
            want = ix[self._to_target[ix] < 0]
            if len(want):
                star, tol = self.target
                lw = np.where(rows <= self._last[want][None, :], loss[:, want], np.nan)
                with np.errstate(invalid="ignore"):
                    hit = (np.abs(lw - star) if math.isfinite(star) else lw) < tol
                first = np.argmax(hit, axis=0)
                got = hit.any(axis=0)
                self._to_target[want[got]] = r0 + first[got]

    def _stop(self, i: int, status: str, step: int, last: int) -> None:
        self.status[i], self.stop_step[i] = status, step
        self._live[i] = False
        self._last[i] = last
        if last >= self._base:
            keep = self._buf["theta"][last - self._base, i]
        else:  # record-free: the previous chunk's last row, or the start
            keep = self._final_theta[i] if last >= 0 else np.asarray(self.runs[i].start)
        self.theta[i] = keep if np.isfinite(keep).all() else np.asarray(self.runs[i].start)
        self._step[i] = 0.0
        if self._fused is not None and self._fused.mask[i]:
            self._fused.freeze(i)
