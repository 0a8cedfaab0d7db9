"""Lock-step simulation of many optimizer runs on one surface, with full recording.

All runs advance together. The six first-order optimizers (gd, momentum, nesterov, adagrad,
rmsprop, adam) are one fused update over arrays of shape (runs, 2) written as the lecture's
"full version" θ ← θ − K^t/(σ^t+ε) · m^t:

    m ← a·m + b^t·g          (momentum state; m = g when a = 0, b = 1)
    s ← c·s + d^t·g²         (second-moment state)
    σ = sqrt(C^t·s + D)      (σ ≡ 1 for optimizers without one: C = 0, D = 1)
    step = −K^t · m / (σ + ε)

with per-run coefficients (see ``_coefficients``), so one step costs the same handful of
NumPy calls however the runs are mixed. Rprop, QuickProp and Newton overwrite the step of their
own rows with where-masks. Row t of the record holds θ^t, L(θ^t), the gradient g^t used at t,
η^t, σ^t and the effective rate of the update θ^t → θ^(t+1); after ``advance(k)`` every live
run has rows 0..k (the last row is what the next update would use).

A run whose record turns non-finite, or that leaves ``surface.divergence_bound``, is marked
``diverged`` at that step (its rows end at the step before); a run meeting the tolerance is
``converged`` at that step. Stopped runs stay where they are while the others go on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from engine.optimizers import OPTIMIZERS
from engine.schedules import CONSTANT, Schedule

RUNNING, CONVERGED, DIVERGED, FINISHED = "running", "converged", "diverged", "finished"
_CHUNK = 2048


@dataclass(frozen=True)
class RunSpec:
    """One run: an optimizer with resolved hyperparameters from a start point.

    ``batch_size`` (data surfaces; None = full batch) and ``gradient_noise`` (std of seeded
    Gaussian noise added to every gradient) model mini-batch noise.
    """

    label: str
    optimizer: str
    hyper: Mapping[str, Any]
    start: tuple[float, float]
    schedule: Schedule = CONSTANT
    batch_size: int | None = None
    gradient_noise: float = 0.0
    #: the run stops ("finished") after this many steps; None: when the simulation stops
    max_steps: int | None = None

    @property
    def lr(self) -> float:
        return float(self.hyper.get("lr", self.hyper.get("step_init", 0.0)))


@dataclass(frozen=True)
class Tolerance:
    """Stopping rules: |L^t − L^(t−1)| < loss_change or ‖g^t‖ < grad_norm marks converged."""

    loss_change: float | None = None
    grad_norm: float | None = None


@dataclass(frozen=True)
class RunHistory:
    """The record of one run, rows 0..n (views into the simulation's buffers).

    theta (n+1, 2), loss (n+1,), grad (n+1, 2), grad_norm (n+1,), lr (n+1,), sigma (n+1, 2),
    eff_lr (n+1, 2). Columns without meaning for the optimizer hold placeholders (σ = 1 where
    there is no σ, eff_lr = η^t for quickprop/newton, lr = nan for rprop): read them only where
    the optimizer's ``OptimizerSpec`` has_sigma / eff / has_lr say so, as the CSV writer does.
    """

    theta: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    sigma: np.ndarray
    eff_lr: np.ndarray
    status: str
    stop_step: int | None

    @property
    def steps(self) -> int:
        return len(self.loss) - 1


_FIELDS = (("theta", 2), ("loss", 0), ("grad", 2), ("grad_norm", 0), ("lr", 0), ("sigma", 2),
           ("eff_lr", 2))


class Simulation:
    """Advance ``runs`` on ``surface`` in lock-step; ``advance(k)`` moves every live run k steps.

    ``seed`` feeds every random stream (mini-batch shuffles, gradient noise); each run has its
    own streams, so a run's trajectory does not depend on the other runs or on how the steps
    are split into ``advance`` calls.
    """

    def __init__(self, surface, runs: Sequence[RunSpec], seed: int = 0,
                 tolerance: Tolerance | None = None):
        if not runs:
            raise ValueError("an experiment needs at least one run")
        self.surface = surface
        self.runs = tuple(runs)
        self.seed = int(seed)
        self.tolerance = tolerance or Tolerance()
        n = self.n = len(self.runs)
        opt = [r.optimizer for r in self.runs]
        self._opt = np.array(opt)
        self.status = [RUNNING] * n
        self.stop_step: list[int | None] = [None] * n
        self._last = np.zeros(n, dtype=np.int64)  # last valid row per run
        self._live = np.ones(n, dtype=bool)

        # state
        self.theta = np.array([r.start for r in self.runs], dtype=float).reshape(n, 2)
        self._m = np.zeros((n, 2))
        self._s = np.zeros((n, 2))
        self._step = np.zeros((n, 2))
        self._tmp = np.empty((n, 2))
        self._inv = np.empty((n, 2))  # σ + ε
        self.rows = 0

        # constant per-run coefficients (n, 2)
        col = lambda v: np.repeat(np.asarray(v, dtype=float)[:, None], 2, axis=1)  # noqa: E731
        h = [r.hyper for r in self.runs]
        self._a = col([x.get("momentum", 0.0) if o in ("momentum", "nesterov")
                       else x["beta1"] if o == "adam" else 0.0 for o, x in zip(opt, h)])
        self._c = col([1.0 if o == "adagrad" else x["alpha"] if o == "rmsprop"
                       else x["beta2"] if o == "adam" else 0.0 for o, x in zip(opt, h)])
        self._D = col([0.0 if OPTIMIZERS[o].has_sigma else 1.0 for o in opt])
        self._eps = col([x.get("eps", 0.0) if OPTIMIZERS[o].has_sigma else 0.0
                         for o, x in zip(opt, h)])
        self._gamma = col([-x["momentum"] if o == "nesterov" else 0.0 for o, x in zip(opt, h)])
        self._has_nesterov = bool(np.any(self._gamma != 0.0))
        self._has_plateau = any(r.schedule.stateful for r in self.runs)
        self._momentum_like = np.isin(self._opt, ("momentum", "nesterov"))[:, None]
        if self._has_plateau:
            self._pl = [i for i, r in enumerate(self.runs) if r.schedule.stateful]
            p = [self.runs[i].schedule.params for i in self._pl]
            self._pl_factor = np.array([q["factor"] for q in p])
            self._pl_patience = np.array([q["patience"] for q in p])
            self._pl_thr = np.array([q["threshold"] for q in p])
            self._pl_best = np.full(len(p), np.inf)
            self._pl_bad = np.zeros(len(p), dtype=np.int64)
            self._pscale = np.ones(n)
        self._specials = {name: np.flatnonzero(self._opt == name)
                          for name in ("rprop", "quickprop", "newton")}
        self._specials = {k: v for k, v in self._specials.items() if len(v)}
        if "rprop" in self._specials:
            ix = self._specials["rprop"]
            hp = [self.runs[i].hyper for i in ix]
            pcol = lambda key: np.repeat(np.array([float(x[key]) for x in hp])[:, None], 2, 1)  # noqa: E731
            self._rp = {
                "delta": pcol("step_init"), "plus": pcol("eta_plus"), "minus": pcol("eta_minus"),
                "min": pcol("step_min"), "max": pcol("step_max"),
                "bt": np.repeat(np.array([bool(x["backtrack"]) for x in hp])[:, None], 2, 1),
                "dprev": np.zeros((len(ix), 2)), "fwd": np.zeros((len(ix), 2)),
            }
        if "quickprop" in self._specials:
            ix = self._specials["quickprop"]
            hp = [self.runs[i].hyper for i in ix]
            self._qp = {"lr": np.array([x["lr"] for x in hp])[:, None],
                        "mu": np.array([x["max_growth"] for x in hp])[:, None],
                        "gprev": np.zeros((len(ix), 2)), "prev": np.zeros((len(ix), 2))}
        if "newton" in self._specials:
            hp = [self.runs[i].hyper for i in self._specials["newton"]]
            self._nt = {"lr": np.array([x["lr"] for x in hp])[:, None],
                        "damp": np.array([x["damping"] for x in hp])}

        # randomness: mini-batches and gradient noise, one stream per run and purpose
        self._noise = np.array([r.gradient_noise for r in self.runs], dtype=float)
        self._has_noise = bool(np.any(self._noise > 0))
        nex = getattr(surface, "n_examples", 0)
        self._batched = bool(nex) and any(
            r.batch_size is not None and r.batch_size < nex for r in self.runs)
        if self._batched:
            self._bsize = np.array([min(r.batch_size or nex, nex) for r in self.runs])
            self._bmax = int(self._bsize.max())
            self._perm = [None] * n
            self._epoch = np.full(n, -1)
        self._rng_batch = [self._stream(i, 0) for i in range(n)]
        self._rng_noise = [self._stream(i, 1) for i in range(n)]

        self._limit = np.array([r.max_steps if r.max_steps is not None else np.iinfo(np.int64).max
                                for r in self.runs], dtype=np.int64)
        self._has_limits = any(r.max_steps is not None for r in self.runs)
        c = np.array(self.surface.view_center)
        self._center, self._bound = c, float(self.surface.divergence_bound)
        self._buf: dict[str, np.ndarray] = {}
        self._alloc(_CHUNK + 1)
        with np.errstate(all="ignore"):
            self._run_rows(1)
        self._check(0, 1)

    # ------------------------------------------------------------------ public API
    @property
    def step(self) -> int:
        """Number of updates done (the newest row's step)."""
        return self.rows - 1

    @property
    def live(self) -> np.ndarray:
        return self._live.copy()

    def advance(self, k: int = 1) -> int:
        """Move every live run ``k`` steps (fewer if all stop). Returns steps done."""
        done = 0
        while done < k and self._live.any():
            c = min(_CHUNK, k - done)
            r0 = self.rows
            self._ensure(r0 + c)
            with np.errstate(all="ignore"):
                self._run_rows(c)
            self._check(r0, r0 + c)
            if not self._live.any():  # the last run stopped inside this chunk: end there
                self.rows = max(r0, max(s for s in self.stop_step if s is not None) + 1)
                done += self.rows - r0
                break
            done += c
        return done

    def run_to(self, steps: int) -> None:
        """Advance until ``steps`` updates are done (or every run has stopped)."""
        if steps > self.step:
            self.advance(steps - self.step)

    def history(self, i: int, upto: int | None = None) -> RunHistory:
        """Record of run ``i``: rows 0..last (or 0..min(last, upto))."""
        end = int(self._last[i]) + 1
        if upto is not None:
            end = min(end, upto + 1)
        b = self._buf
        return RunHistory(*(b[f][:end, i] for f, _ in _FIELDS), status=self.status[i],
                          stop_step=self.stop_step[i])

    def current_theta(self) -> np.ndarray:
        """(runs, 2): each run's newest valid position."""
        return self._buf["theta"][np.maximum(self._last, 0), np.arange(self.n)]

    def status_text(self, i: int) -> str:
        s = self.status[i]
        return s if s == RUNNING else f"{s} at step {self.stop_step[i]}"

    # ------------------------------------------------------------------ internals
    def _stream(self, i: int, purpose: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(i, purpose)))

    def _alloc(self, cap: int) -> None:
        n, old = self.n, self._buf
        new = {}
        for f, w in _FIELDS:
            shape = (cap, n, w) if w else (cap, n)
            new[f] = np.full(shape, np.nan)
            if f in old:
                new[f][: self.rows] = old[f][: self.rows]
        self._buf, self._cap = new, cap

    def _ensure(self, rows: int) -> None:
        if rows > self._cap:
            self._alloc(max(rows, 2 * self._cap))

    def _coefficient_plan(self) -> dict:
        """Per-run constants for ``_coefficients``, gathered once (arrays over runs)."""
        opt, runs = self._opt, self.runs
        h = [r.hyper for r in runs]
        is_ = lambda *names: np.isin(opt, names)  # noqa: E731
        rms, adam = is_("rmsprop"), is_("adam")
        has_lr = np.array([OPTIMIZERS[o].has_lr for o in opt], dtype=bool)
        flat = np.array([r.schedule.stateful or r.schedule.name == "constant" for r in runs])
        return {
            "lr": np.array([r.lr for r in runs], dtype=float),
            "has_lr": has_lr,
            "flat": flat & has_lr,  # η^t = η: a plain broadcast
            "scheduled": np.flatnonzero(~flat & has_lr),  # per-run Schedule.values
            "gd": is_("gd"), "mom": is_("momentum", "nesterov"), "ada": is_("adagrad"),
            "rms": rms, "adam": adam,
            "other": is_("rprop", "quickprop", "newton"),
            "alpha": np.array([x["alpha"] if r else 0.0 for x, r in zip(h, rms)], dtype=float),
            "first": np.array([bool(r) and x["init"] == "first_gradient"
                               for x, r in zip(h, rms)], dtype=bool),
            "beta1": np.array([x["beta1"] if a else 0.0 for x, a in zip(h, adam)], dtype=float),
            "beta2": np.array([x["beta2"] if a else 0.0 for x, a in zip(h, adam)], dtype=float),
        }

    def _coefficients(self, t0: int, k: int):
        """Per-step coefficient rows for steps t0..t0+k−1, each (k, n, 2).

        Vectorized over runs; every entry is computed by the same floating-point expression
        as the per-run formulas (adam's β^(t+1) once per distinct β), so results are
        bit-identical to a run-by-run loop.
        """
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self._plan = self._coefficient_plan()
        n = self.n
        t = np.arange(t0, t0 + k, dtype=float)
        lr = np.empty((k, n))
        b = np.ones((k, n))
        d = np.zeros((k, n))
        C = np.zeros((k, n))
        K = np.zeros((k, n))
        lr[:, ~plan["has_lr"]] = np.nan
        lr[:, plan["flat"]] = plan["lr"][plan["flat"]]
        for i in plan["scheduled"]:
            r = self.runs[i]
            lr[:, i] = r.schedule.values(r.lr, t)
        gd, mom, ada, rms, adam = (plan[key] for key in ("gd", "mom", "ada", "rms", "adam"))
        K[:, gd] = lr[:, gd]
        b[:, mom] = lr[:, mom]
        K[:, mom] = 1.0
        d[:, ada] = 1.0
        C[:, ada] = (1.0 / (t + 1.0))[:, None]
        K[:, ada] = lr[:, ada]
        if rms.any():
            d[:, rms] = 1.0 - plan["alpha"][rms]
            if t0 == 0:
                d[0, plan["first"]] = 1.0  # σ⁰ = |g⁰|
            C[:, rms] = 1.0
            K[:, rms] = lr[:, rms]
        if adam.any():
            b[:, adam] = 1.0 - plan["beta1"][adam]
            d[:, adam] = 1.0 - plan["beta2"][adam]
            for v in np.unique(plan["beta2"][adam]):
                cols = adam & (plan["beta2"] == v)
                C[:, cols] = (1.0 / (1.0 - float(v) ** (t + 1.0)))[:, None]
            for v in np.unique(plan["beta1"][adam]):
                cols = adam & (plan["beta1"] == v)
                K[:, cols] = lr[:, cols] / (1.0 - float(v) ** (t + 1.0))[:, None]
        b[:, plan["other"]] = 0.0  # rprop, quickprop, newton: the fused part yields a zero step
        dead = ~self._live
        if dead.any():
            lr[:, dead] = b[:, dead] = d[:, dead] = C[:, dead] = K[:, dead] = 0.0
        two = lambda a: np.repeat(a[:, :, None], 2, axis=2)  # noqa: E731
        return lr, two(b), two(d), two(C), two(K)

    def _batches(self, t0: int, k: int):
        """Mini-batch indices and weights for steps t0..t0+k−1: (k, n, B) each."""
        nex = self.surface.n_examples
        idx = np.zeros((k, self.n, self._bmax), dtype=np.int64)
        w = np.zeros((k, self.n, self._bmax))
        for i in range(self.n):
            B = int(self._bsize[i])
            if B >= nex:  # full batch, natural order
                idx[:, i, :nex] = np.arange(nex)
                w[:, i, :nex] = 1.0 / nex
                continue
            nb = -(-nex // B)
            for j, t in enumerate(range(t0, t0 + k)):
                e, bi = divmod(t, nb)
                if e != self._epoch[i]:
                    self._perm[i] = self._rng_batch[i].permutation(nex)
                    self._epoch[i] = e
                sel = self._perm[i][bi * B:(bi + 1) * B]
                idx[j, i, :len(sel)] = sel
                w[j, i, :len(sel)] = 1.0 / len(sel)
        return idx, w

    def _run_rows(self, k: int) -> None:
        """Compute rows self.rows .. self.rows+k−1 (applying the pending step first, except
        for row 0)."""
        r0 = self.rows
        lr_k, B, Dd, Cc, K = self._coefficients(r0, k)
        if "rprop" in self._specials:
            self._rp_delta = np.empty((k, len(self._specials["rprop"]), 2))
            self._rp_row0 = r0
        if self._has_noise:
            noise = np.stack([g.standard_normal((k, 2)) for g in self._rng_noise], axis=1)
            noise *= self._noise[None, :, None]
        if self._batched:
            bidx, bw = self._batches(r0, k)
        surf = self.surface
        buf = self._buf
        m, s, step, tmp, inv = self._m, self._s, self._step, self._tmp, self._inv
        a, c, D, eps, gam = self._a, self._c, self._D, self._eps, self._gamma
        h_th, h_g, h_sig = buf["theta"], buf["grad"], buf["sigma"]
        specials = self._specials
        nest, plat = self._has_nesterov, self._has_plateau
        batched, noisy = self._batched, self._has_noise
        prev = self.theta
        for j in range(k):
            row = r0 + j
            th = h_th[row]
            if row:
                np.subtract(prev, step, out=th)
            else:
                th[...] = prev
            if nest:
                np.multiply(gam, m, out=tmp)
                tmp += th
                p = tmp
            else:
                p = th
            if batched:
                g = surf.batch_grad(p, bidx[j], bw[j])
            else:
                g = surf.grad(p)
            if noisy:
                g += noise[j]
            h_g[row] = g
            if plat:  # the plateau schedule needs the loss now; otherwise it is computed per chunk
                loss = surf.value(th)
            bj, Kj = B[j], K[j]
            if plat:
                ps = self._pscale[:, None]
                bj, Kj = bj * np.where(self._momentum_like, ps, 1.0), Kj * np.where(
                    self._momentum_like, 1.0, ps)
                lr_k[j] *= self._pscale
                self._plateau(loss)
            # m ← a·m + b·g
            m *= a
            np.multiply(g, bj, out=tmp)
            m += tmp
            # s ← c·s + d·g²
            s *= c
            np.multiply(g, g, out=tmp)
            tmp *= Dd[j]
            s += tmp
            # σ = sqrt(C·s + D)
            sig = h_sig[row]
            np.multiply(s, Cc[j], out=sig)
            sig += D
            np.sqrt(sig, out=sig)
            # step = K·m/(σ+ε)
            np.add(sig, eps, out=inv)
            np.divide(Kj, inv, out=step)
            step *= m
            if specials:
                self._special_steps(row, th, g, step, lr_k[j])
            prev = th
        self.theta = prev.copy()
        r1 = r0 + k
        buf["lr"][r0:r1] = lr_k
        # L(θ^t) for the whole chunk at once (element-wise maths: each point's value does not
        # depend on how the steps were split into chunks)
        buf["loss"][r0:r1] = surf.value(h_th[r0:r1].reshape(-1, 2)).reshape(k, self.n)
        g = h_g[r0:r1]
        np.hypot(g[..., 0], g[..., 1], out=buf["grad_norm"][r0:r1])
        with np.errstate(all="ignore"):
            np.divide(lr_k[:, :, None], h_sig[r0:r1] + eps, out=buf["eff_lr"][r0:r1])
        if "rprop" in specials:
            buf["eff_lr"][r0:r1, specials["rprop"]] = self._rp_delta[:k]
        self.rows = r1

    def _plateau(self, loss: np.ndarray) -> None:
        ix = self._pl
        cur = loss[ix]
        best = self._pl_best
        improved = cur < best - self._pl_thr * np.abs(best)
        improved |= ~np.isfinite(best)
        self._pl_best = np.where(improved, cur, best)
        self._pl_bad = np.where(improved, 0, self._pl_bad + 1)
        drop = self._pl_bad >= self._pl_patience
        self._pscale[ix] = np.where(drop, self._pscale[ix] * self._pl_factor, self._pscale[ix])
        self._pl_bad = np.where(drop, 0, self._pl_bad)

    def _special_steps(self, row: int, th, g, step, lr_row) -> None:
        """Overwrite ``step`` for the rprop/quickprop/newton rows; ``lr_row`` (n,) is η^t of
        this row (schedule and plateau applied)."""
        live = self._live
        if "rprop" in self._specials:
            ix, st = self._specials["rprop"], self._rp
            gi = g[ix]
            prod = gi * st["dprev"]
            grow, flip = prod > 0, prod < 0
            delta = np.where(grow, np.minimum(st["delta"] * st["plus"], st["max"]),
                             np.where(flip, np.maximum(st["delta"] * st["minus"], st["min"]),
                                      st["delta"]))
            back = flip & st["bt"]
            direction = np.where(back, st["dprev"], gi)
            fwd = -np.sign(direction) * delta
            stp = fwd - np.where(back, st["fwd"], 0.0)
            keep = live[ix][:, None]
            st["delta"] = np.where(keep, delta, st["delta"])
            # after a return, forget the old derivative (Riedmiller's Rprop+): the next step's
            # direction comes from the fresh gradient, so a stale sign cannot lock the run
            st["dprev"] = np.where(keep, np.where(back, 0.0, gi), st["dprev"])
            st["fwd"] = np.where(keep, fwd, st["fwd"])
            step[ix] = np.where(keep, -stp, 0.0)  # ``step`` is subtracted from θ
            self._rp_delta[row - self._rp_row0] = delta
        if "quickprop" in self._specials:
            ix, st = self._specials["quickprop"], self._qp
            gi, gp, prev, mu = g[ix], st["gprev"], st["prev"], st["mu"]
            denom = gp - gi
            ratio = gi / denom
            capped = (gi * gp > 0) & (np.abs(gi) >= np.abs(gp) * mu / (1.0 + mu))
            ratio = np.where(capped, mu, ratio)
            qp = prev * ratio
            fallback = (prev == 0) | (denom == 0) | ~np.isfinite(qp)
            stp = np.where(fallback, -lr_row[ix][:, None] * gi, qp)
            keep = live[ix][:, None]
            stp = np.where(keep, stp, 0.0)
            st["gprev"], st["prev"] = np.where(keep, gi, gp), np.where(keep, stp, prev)
            step[ix] = -stp
        if "newton" in self._specials:
            ix, st = self._specials["newton"], self._nt
            H = self.surface.hessian(th[ix])
            a_, b_, c_, d_ = (H[:, 0, 0] + st["damp"], H[:, 0, 1], H[:, 1, 0],
                              H[:, 1, 1] + st["damp"])
            det = a_ * d_ - b_ * c_
            gi = g[ix]
            sol = np.stack([(d_ * gi[:, 0] - b_ * gi[:, 1]) / det,
                            (a_ * gi[:, 1] - c_ * gi[:, 0]) / det], axis=1)
            step[ix] = np.where(live[ix][:, None], lr_row[ix][:, None] * sol, 0.0)

    def _check(self, r0: int, r1: int) -> None:
        """Mark runs diverged/converged within rows r0..r1−1; update last valid rows."""
        b = self._buf
        th = b["theta"][r0:r1]
        fin = (np.isfinite(b["loss"][r0:r1]) & np.isfinite(th).all(-1)
               & np.isfinite(b["grad"][r0:r1]).all(-1) & np.isfinite(b["grad_norm"][r0:r1]))
        masks = self.__dict__.get("_check_masks")
        if masks is None:
            spec = [OPTIMIZERS[o] for o in self._opt]
            masks = self._check_masks = (
                np.array([s.has_sigma for s in spec], dtype=bool),
                np.array([s.eff in ("lr", "adaptive", "delta") for s in spec], dtype=bool),
                np.array([s.has_lr for s in spec], dtype=bool))
        meaningful, eff_ok, lr_ok = masks
        fin &= np.where(meaningful, np.isfinite(b["sigma"][r0:r1]).all(-1), True)
        fin &= np.where(eff_ok, np.isfinite(b["eff_lr"][r0:r1]).all(-1), True)
        fin &= np.where(lr_ok, np.isfinite(b["lr"][r0:r1]), True)
        with np.errstate(invalid="ignore"):
            fin &= (np.abs(th - self._center) <= self._bound).all(-1)
        bad = ~fin
        tol = self.tolerance
        conv = np.zeros_like(bad)
        if tol.grad_norm is not None:
            conv |= b["grad_norm"][r0:r1] < tol.grad_norm
        if tol.loss_change is not None:
            lo = max(r0, 1)
            if lo < r1:
                dl = np.abs(b["loss"][lo:r1] - b["loss"][lo - 1:r1 - 1])
                conv[lo - r0:] |= dl < tol.loss_change
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

    def _stop(self, i: int, status: str, step: int, last: int) -> None:
        self.status[i], self.stop_step[i] = status, step
        self._live[i] = False
        self._last[i] = last
        keep = self._buf["theta"][max(last, 0), i]
        self.theta[i] = keep if np.isfinite(keep).all() else np.asarray(self.runs[i].start)
        # freeze: zero state, σ ≡ 1 and (in _coefficients) zero rates, so the fused step is 0
        self._m[i] = self._s[i] = self._step[i] = 0.0
        self._a[i] = 0.0
        self._D[i] = 1.0
