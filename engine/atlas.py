"""The convergence atlas: one run of an experiment repeated over a W × H grid of start points
or of two hyperparameters, every cell the run exactly as ``main.py run`` would do it from
that start (or with those hyperparameters): the experiment's steps, tolerance, seed and
schedule. No Qt.

    config = AtlasConfig(run="GD", width=128, height=128)            # start points, the view
    atlas = Atlas(experiment, config)
    for done, total in atlas.iter_batches():                        # progress, Cancel
        ...
    result = atlas.result()                                          # AtlasResult

Cells are computed in batches of runs in one lock-step, record-free ``Simulation`` each (so
a batch costs about as much as one run per step, and only per-run summaries are kept). Each cell
is a ``RunSpec`` with the run's own label, so its random stream (mini-batches, gradient noise)
is the one the run has alone.

Outcomes per cell (``AtlasResult``): status ("converged", "diverged" or "finished") and its
step, the final point and loss, the lowest loss, the basin (the index of the minimum, in
``main.py analyze``'s list of critical points, that the final point lies within
``basin_radius`` of; −1 none), the steps to tolerance (the step a "converged" run stopped at)
and the rate: the measured per-step contraction of L − L* over the last quarter of the run,
((L_n − L*)/(L_q − L*))^(1/(n − q)) with q = n − ⌊n/4⌋ and L* the lowest known minimum.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator

import numpy as np

from engine.limits import check_run_steps
from engine.simulation import CONVERGED, DIVERGED, RunSpec, Simulation, Tolerance

OUTCOMES = ("basin", "loss", "steps", "rate")
MAX_SIDE = 1024
MAX_CELLS = 512 * 512
DEFAULT_SIDE = 128
DEFAULT_BASIN_FRACTION = 1e-3
#: bytes a batch may record (trajectories are kept only for one batch at a time)
BATCH_BYTES = 192 * 2**20
ROW_BYTES = 11 * 8  # float64 per run per row of a chunk: θ 2, L, g 2, ‖g‖, η, σ 2, η/σ 2
CHUNK_ROWS = 64  # rows a record-free simulation keeps per chunk (an upper estimate)
CSV_HEADER = ("x", "y", "status", "stop_step", "final_x", "final_y", "final_loss", "min_loss",
              "basin", "steps_to_tol")
START_AXES = ("x", "y")


class AtlasError(ValueError):
    """Invalid atlas settings: ``str()`` is one line naming the option and the problem."""


@dataclass(frozen=True)
class Axis:
    """One grid axis: ``name`` is "x"/"y" (start coordinates) or a hyperparameter of the run's
    optimizer or schedule; ``n`` cells from ``low`` to ``high``, log-spaced with ``log``.
    Cell values sit at the cells' centres, so the image of the grid covers [low, high]."""

    name: str
    low: float
    high: float
    log: bool = False

    def values(self, n: int) -> np.ndarray:
        f = (np.arange(n) + 0.5) / n
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            return np.exp(a + f * (b - a))
        return self.low + f * (self.high - self.low)

    def edges(self) -> tuple[float, float]:
        return float(self.low), float(self.high)


def parse_range(text: str, option: str) -> tuple[float, float, bool]:
    """'A:B' or 'A:B:log' → (A, B, log); AtlasError naming ``option`` otherwise."""
    parts = text.split(":")
    log = len(parts) == 3 and parts[2].strip().lower() == "log"
    lin = len(parts) == 3 and parts[2].strip().lower() == "lin"
    if len(parts) not in (2, 3) or (len(parts) == 3 and not (log or lin)):
        raise AtlasError(f"{option}: expected A:B or A:B:log, got {text!r}")
    try:
        a, b = float(parts[0]), float(parts[1])
    except ValueError:
        raise AtlasError(f"{option}: expected two numbers A:B, got {text!r}") from None
    if not (math.isfinite(a) and math.isfinite(b)) or not a < b:
        raise AtlasError(f"{option}: needs finite A < B, got {text!r}")
    if log and a <= 0:
        raise AtlasError(f"{option}: a log axis needs A > 0, got {text!r}")
    return a, b, log


def parse_grid(text: str) -> tuple[int, int]:
    from engine.arguments import parse_pair

    pair = parse_pair(text)
    if pair is None:
        raise AtlasError(f"--grid: expected WxH such as 128x128, got {text!r}")
    return pair


@dataclass(frozen=True)
class AtlasConfig:
    """What to map. ``run``: the label of the experiment's run to repeat. ``x``/``y`` None: the
    start points over ``view`` (default: the surface's view). ``steps`` None: the
    experiment's. ``basin_radius`` None: ``DEFAULT_BASIN_FRACTION`` of the view's width.
    ``tolerance`` None: the experiment's (the ``steps`` outcome needs one)."""

    run: str
    width: int = DEFAULT_SIDE
    height: int = DEFAULT_SIDE
    outcome: str = "basin"
    x: Axis | None = None
    y: Axis | None = None
    view: tuple[float, float, float, float] | None = None
    steps: int | None = None
    basin_radius: float | None = None
    tolerance: Tolerance | None = None

    @property
    def over_starts(self) -> bool:
        return self.x is None or self.x.name in START_AXES

    @property
    def cells(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class AtlasResult:
    """Per cell, row-major (height, width) arrays with x fastest: ``xs``/``ys`` the axis
    values (width,)/(height,); status codes (0 finished, 1 converged, 2 diverged), stop step
    (−1: ran to the end), final θ (h, w, 2), final and lowest loss, basin (−1 none), steps to
    tolerance (−1 not met), rate (nan where undefined). ``minima`` are the critical points
    (analyze's list) the basins index; ``done`` cells are filled (all unless cancelled)."""

    config: AtlasConfig
    xs: np.ndarray
    ys: np.ndarray
    status: np.ndarray
    stop_step: np.ndarray
    final_theta: np.ndarray
    final_loss: np.ndarray
    min_loss: np.ndarray
    basin: np.ndarray
    steps_to_tol: np.ndarray
    rate: np.ndarray
    critical_points: tuple
    loss_star: float
    steps: int
    done: int
    x_name: str
    y_name: str

    STATUS = ("finished", "converged", "diverged")

    @property
    def complete(self) -> bool:
        return self.done == self.config.cells

    def values(self, outcome: str | None = None) -> np.ndarray:
        """(h, w) the numbers an outcome colours by (nan: no value, e.g. diverged)."""
        outcome = outcome or self.config.outcome
        if outcome == "basin":
            return self.basin.astype(float)
        if outcome == "loss":
            v = self.final_loss.copy()
            v[self.status == 2] = np.nan
            return v
        if outcome == "steps":
            return np.where(self.steps_to_tol >= 0, self.steps_to_tol, np.nan).astype(float)
        return self.rate.copy()

    def cell(self, i: int, j: int) -> dict[str, Any]:
        """Cell (row i, column j) in words and numbers (for a hover read-out)."""
        status = self.STATUS[int(self.status[i, j])]
        b = int(self.basin[i, j])
        return {
            self.x_name: float(self.xs[j]), self.y_name: float(self.ys[i]),
            "status": status, "stop_step": int(self.stop_step[i, j]),
            "final": tuple(float(v) for v in self.final_theta[i, j]),
            "final_loss": float(self.final_loss[i, j]), "min_loss": float(self.min_loss[i, j]),
            "basin": b, "steps_to_tol": int(self.steps_to_tol[i, j]),
            "rate": float(self.rate[i, j]),
        }

    def csv_rows(self) -> Iterator[tuple[str, ...]]:
        f = _fmt
        for i in range(len(self.ys)):
            for j in range(len(self.xs)):
                if i * len(self.xs) + j >= self.done:
                    return
                s = int(self.status[i, j])
                yield (f(self.xs[j]), f(self.ys[i]), self.STATUS[s],
                       str(int(self.stop_step[i, j])) if self.stop_step[i, j] >= 0 else "",
                       f(self.final_theta[i, j, 0]), f(self.final_theta[i, j, 1]),
                       f(self.final_loss[i, j]), f(self.min_loss[i, j]),
                       str(int(self.basin[i, j])) if self.basin[i, j] >= 0 else "",
                       str(int(self.steps_to_tol[i, j])) if self.steps_to_tol[i, j] >= 0 else "")

    def write_csv(self, path) -> None:
        """One row per cell, x fastest, header ``CSV_HEADER``; written atomically. Floats in
        shortest round-trip form; empty = not defined (never nan or inf)."""
        import csv

        from engine.atomic import atomic_open

        with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(CSV_HEADER)
            w.writerows(self.csv_rows())


def _fmt(v) -> str:
    v = float(v)
    return repr(v) if math.isfinite(v) else ""


# ---------------------------------------------------------------------------------- setup
def _numeric_param(spec_params, name: str):
    for p in spec_params:
        if p.name == name:
            return p
    return None


def hyper_axis_names(run_config) -> list[str]:
    """The numeric hyperparameters of a run an axis can vary: its optimizer's, then its
    schedule's (as ``schedule.NAME``)."""
    from engine.optimizers import optimizer_spec

    out = [h.name for h in optimizer_spec(run_config.optimizer).hyperparams
           if h.check not in ("bool", "choice")]
    for p in getattr(run_config.schedule.kind, "params", ()):
        if not isinstance(p.default, (bool, str)):
            out.append(f"schedule.{p.name}")
    return out


def _validate_value(run_config, name: str, value: float):
    """The run config with hyperparameter ``name`` = ``value``; ValueError if not allowed."""
    from engine.optimizers import optimizer_spec
    from engine.schedules import make_schedule

    if name.startswith("schedule."):
        key = name.split(".", 1)[1]
        table = {"name": run_config.schedule.name, **run_config.schedule.params}
        kinds = {p.name: p for p in run_config.schedule.kind.params}
        if isinstance(kinds[key].default, int) and not isinstance(kinds[key].default, bool):
            value = int(round(value))
        table[key] = value
        return replace(run_config, schedule=make_schedule(table))
    spec = optimizer_spec(run_config.optimizer)
    hyper = dict(run_config.hyper)
    hyper[name] = value
    return replace(run_config, hyper=spec.resolve(hyper))


def check_config(exp, config: AtlasConfig, surface) -> AtlasConfig:
    """Validate ``config`` against ``exp`` before any memory is allocated; returns it with the
    defaults filled in (axes, steps, basin radius). Raises AtlasError (one line)."""
    from engine.experiment import ExperimentError

    labels = [r.label for r in exp.runs]
    if config.run not in labels:
        raise AtlasError(f"--run: no run labelled {config.run!r}; the experiment has: "
                         f"{', '.join(labels)}")
    run = exp.runs[labels.index(config.run)]
    if config.outcome not in OUTCOMES:
        raise AtlasError(f"--outcome: must be one of {', '.join(OUTCOMES)}, "
                         f"got {config.outcome!r}")
    for side, v in (("width", config.width), ("height", config.height)):
        if isinstance(v, bool) or not isinstance(v, int) or not 2 <= v <= MAX_SIDE:
            raise AtlasError(f"--grid: the {side} must be from 2 to {MAX_SIDE}, got {v!r}")
    if config.cells > MAX_CELLS:
        raise AtlasError(f"--grid: {config.width}x{config.height} is {config.cells:,} cells, "
                         f"more than the limit of {MAX_CELLS:,} (e.g. 512x512)")
    steps = exp.steps if config.steps is None else config.steps
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise AtlasError(f"--steps: must be a whole number ≥ 1, got {steps!r}")
    try:
        from engine.limits import MAX_STEPS as max_steps
    except ImportError:
        max_steps = 10**7
    if steps > max_steps:
        raise AtlasError(f"--steps: must be at most {max_steps:,}, got {steps:,}")
    try:
        check_run_steps(config.cells, steps, "cells")
    except ValueError as exc:
        raise AtlasError(f"--steps/--grid: {exc}") from None
    x, y = config.x, config.y
    if (x is None) != (y is None):
        raise AtlasError("--x-param and --y-param: give both, or neither for start points")
    if x is None or x.name in START_AXES:
        if x is not None and (x.name, y.name) != START_AXES:
            raise AtlasError("start-point axes must be x then y")
        if x is None:
            x0, x1, y0, y1 = config.view or surface.view
            x, y = Axis("x", x0, x1), Axis("y", y0, y1)
    else:
        names = hyper_axis_names(run)
        for axis, option in ((x, "--x-param"), (y, "--y-param")):
            if axis.name not in names:
                raise AtlasError(f"{option}: {axis.name!r} is not a numeric hyperparameter of "
                                 f"run {run.label!r} ({run.optimizer}); it has: "
                                 f"{', '.join(names) or 'none'}")
            for v in (axis.low, axis.high):
                try:
                    _validate_value(run, axis.name, float(v))
                except (KeyError, ValueError, ExperimentError) as exc:
                    msg = str(exc.args[0]) if exc.args else str(exc)
                    raise AtlasError(f"{option.replace('param', 'range')}: {axis.name} = {v:g} "
                                     f"is not allowed: {msg}") from None
        if x.name == y.name:
            raise AtlasError("--x-param and --y-param must differ")
    for axis, option in ((x, "--x-range"), (y, "--y-range")):
        if not (math.isfinite(axis.low) and math.isfinite(axis.high) and axis.low < axis.high):
            raise AtlasError(f"{option}: needs finite A < B, got {axis.low}:{axis.high}")
        if axis.log and axis.low <= 0:
            raise AtlasError(f"{option}: a log axis needs A > 0")
    view = config.view or surface.view
    radius = config.basin_radius
    if radius is None:
        radius = DEFAULT_BASIN_FRACTION * (view[1] - view[0])
    if not (isinstance(radius, (int, float)) and math.isfinite(radius) and radius > 0):
        raise AtlasError(f"--basin-radius: must be a number > 0, got {radius!r}")
    tol = config.tolerance if config.tolerance is not None else exp.tolerance
    if config.outcome == "steps" and tol.loss_change is None and tol.grad_norm is None:
        raise AtlasError("--outcome steps: the experiment has no tolerance; add e.g. "
                         "'tolerance = 1e-8' to the file or pass --tol")
    return replace(config, x=x, y=y, steps=steps, basin_radius=float(radius), tolerance=tol,
                   view=tuple(float(v) for v in view))




# ---------------------------------------------------------------------------------- running
class Atlas:
    """An atlas in progress: ``iter_batches`` computes it batch by batch (progress, Cancel);
    ``result`` reads it at any time."""

    def __init__(self, exp, config: AtlasConfig, surface=None, critical_points=None):
        self.exp = exp
        self.surface = surface if surface is not None else exp.surface.build()
        self.config = check_config(exp, config, self.surface)
        c = self.config
        labels = [r.label for r in exp.runs]
        self.run_config = exp.runs[labels.index(c.run)]
        self.xs, self.ys = c.x.values(c.width), c.y.values(c.height)
        if critical_points is None:
            from engine.analysis import find_critical_points
            critical_points = find_critical_points(self.surface)
        self.critical_points = tuple(critical_points)
        from engine.analysis import MINIMUM
        self._minima = [(k, cp.point) for k, cp in enumerate(self.critical_points)
                        if cp.kind == MINIMUM]
        from engine.sweep import lowest_minimum_loss
        self.loss_star = lowest_minimum_loss(self.surface)
        shape = (c.height, c.width)
        self.status = np.zeros(shape, dtype=np.int8)
        self.stop_step = np.full(shape, -1, dtype=np.int64)
        self.final_theta = np.full(shape + (2,), np.nan)
        self.final_loss = np.full(shape, np.nan)
        self.min_loss = np.full(shape, np.nan)
        self.basin = np.full(shape, -1, dtype=np.int64)
        self.steps_to_tol = np.full(shape, -1, dtype=np.int64)
        self.rate = np.full(shape, np.nan)
        self.done = 0
        self.cancelled = False
        self._template = exp.run_specs(self.surface)[
            [r.label for r in exp.runs if r.enabled].index(c.run)] if self.run_config.enabled else None
        if self._template is None:
            spec_exp = replace(exp, runs=tuple(replace(r, enabled=(r.label == c.run))
                                               for r in exp.runs))
            self._template = spec_exp.run_specs(self.surface)[0]

    # -- cells
    def cell_specs(self, lo: int, hi: int) -> list[RunSpec]:
        """RunSpecs of cells lo..hi−1 (x fastest)."""
        c, w = self.config, self.config.width
        t = self._template
        out = []
        if c.over_starts:
            for k in range(lo, hi):
                i, j = divmod(k, w)
                out.append(replace(t, start=(float(self.xs[j]), float(self.ys[i]))))
            return out
        for k in range(lo, hi):
            i, j = divmod(k, w)
            rc = _validate_value(self.run_config, c.x.name, float(self.xs[j]))
            rc = _validate_value(rc, c.y.name, float(self.ys[i]))
            out.append(replace(t, hyper=dict(rc.hyper), schedule=rc.schedule))
        return out

    def batch_size(self) -> int:
        """Cells per simulation: record-free runs cost a few hundred bytes each, and a chunk
        of steps records ``CHUNK_ROWS`` rows of every run; about 8 batches in all give the
        progress bar and Cancel something to work with."""
        per_run = CHUNK_ROWS * ROW_BYTES + 512
        most = max(1, BATCH_BYTES // per_run)
        return int(max(1, min(self.config.cells, most, max(4096, -(-self.config.cells // 8)))))

    def iter_batches(self) -> Iterator[tuple[int, int]]:
        """Compute batch after batch, yielding (cells done, cells) after each; stop iterating
        (or ``cancel``) to cancel."""
        total, b = self.config.cells, self.batch_size()
        while self.done < total and not self.cancelled:
            lo, hi = self.done, min(total, self.done + b)
            self._run_batch(lo, hi)
            self.done = hi
            yield self.done, total

    def run(self, progress: Callable[[int, int], bool | None] | None = None) -> AtlasResult:
        for done, total in self.iter_batches():
            if progress is not None and progress(done, total) is False:
                self.cancel()
                break
        return self.result()

    def cancel(self) -> None:
        self.cancelled = True

    def _run_batch(self, lo: int, hi: int) -> None:
        """Cells lo..hi−1 in one record-free simulation: per-run summaries only, read once
        at q = n − ⌊n/4⌋ (for the rate) and once at the end."""
        c = self.config
        sim = Simulation(self.surface, self.cell_specs(lo, hi), seed=self.exp.seed,
                         tolerance=c.tolerance, record=False)
        n = c.steps
        q = n - n // 4
        sim.run_to(q)
        at_q = sim.summary()
        alive_q = sim.live
        sim.run_to(n)
        end = sim.summary()
        rows, cols = np.divmod(np.arange(lo, hi), c.width)
        status = end.status
        self.status[rows, cols] = np.where(status == CONVERGED, 1,
                                           np.where(status == DIVERGED, 2, 0))
        stopped = (status == CONVERGED) | (status == DIVERGED)
        self.stop_step[rows, cols] = np.where(stopped, end.stop_step, -1)
        self.steps_to_tol[rows, cols] = np.where(status == CONVERGED, end.stop_step, -1)
        self.final_theta[rows, cols] = end.final_theta
        self.final_loss[rows, cols] = end.final_loss
        self.min_loss[rows, cols] = end.lowest_loss
        self._classify(rows, cols)
        self._rates(rows, cols, at_q.final_loss, alive_q, n - q)

    def _classify(self, rows, cols) -> None:
        th = self.final_theta[rows, cols]
        out = np.full(len(rows), -1, dtype=np.int64)
        best = np.full(len(rows), np.inf)
        for k, p in self._minima:
            d = np.hypot(th[:, 0] - p[0], th[:, 1] - p[1])
            hit = (d <= self.config.basin_radius) & (d < best)
            out[hit], best[hit] = k, d[hit]
        out[self.status[rows, cols] == 2] = -1
        self.basin[rows, cols] = out

    def _rates(self, rows, cols, loss_q, alive_q, span: int) -> None:
        star = self.loss_star if math.isfinite(self.loss_star) else 0.0
        with np.errstate(all="ignore"):
            num = self.final_loss[rows, cols] - star
            den = loss_q - star
            rate = (num / den) ** (1.0 / max(span, 1))
        ok = (alive_q & (self.status[rows, cols] != 2) & np.isfinite(rate) & (den > 0)
              & (num >= 0))
        self.rate[rows, cols] = np.where(ok, rate, np.nan)

    def result(self) -> AtlasResult:
        c = self.config
        return AtlasResult(c, self.xs, self.ys, self.status.copy(), self.stop_step.copy(),
                           self.final_theta.copy(), self.final_loss.copy(),
                           self.min_loss.copy(), self.basin.copy(), self.steps_to_tol.copy(),
                           self.rate.copy(), self.critical_points, self.loss_star, c.steps,
                           self.done, c.x.name, c.y.name)


def _last(a: np.ndarray) -> float:
    return float(a[-1]) if len(a) else math.nan


def run_atlas(exp, config: AtlasConfig, progress=None, **kwargs) -> AtlasResult:
    """Build an ``Atlas`` and compute it to the end (see ``Atlas.run``)."""
    return Atlas(exp, config, **kwargs).run(progress)


# ---------------------------------------------------------------------------------- theory
def quadratic_rate(eigenvalues, lr: float, momentum: float = 0.0) -> float:
    """The asymptotic per-step contraction of L − L* for gradient descent (heavy-ball
    momentum m ← λm − ηg when ``momentum`` > 0) on a quadratic with Hessian eigenvalues
    ``eigenvalues``: the squared spectral radius of the iteration (the loss is quadratic in
    the distance). ≥ 1 means no convergence."""
    rho = 0.0
    for lam in np.asarray(eigenvalues, dtype=float):
        # θ_{t+1} = θ_t + m_{t+1},  m_{t+1} = λ m_t − η λ_i θ_t  (per eigen-direction)
        a = np.array([[1.0 - lr * lam, momentum], [-lr * lam, momentum]])
        rho = max(rho, float(np.max(np.abs(np.linalg.eigvals(a)))))
    return rho * rho
