"""Learning-rate sweeps: one optimizer at many η, all runs in one lock-step Simulation.

    config = SweepConfig("adam", {"beta1": 0.9}, lr_low=1e-5, lr_high=1.0, count=200,
                         steps=1000, start=(-1.5, 2.0))
    sweep = Sweep(surface, config)
    for done, total in sweep.iter_chunks():   # a GUI advances chunk by chunk (progress, Cancel)
        ...
    result = sweep.result()                     # or simply: run_sweep(surface, config)

Every η is a ``RunSpec`` of its own in ONE record-free ``engine.simulation.Simulation`` (only
per-run summaries are kept), so up to ``MAX_COUNT`` = 100,000 rates run in memory proportional
to the count, and each run's trajectory is exactly the one it would have alone (the simulation
keeps runs independent; a run's random streams are keyed by its index in the sweep).

Results per η: the final loss, steps to tolerance (the first step with |L − L*| < tol, where L*
is the lowest known minimum's loss; or L < tol where no minimum is known), whether and when
the run diverged, and the final point.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from engine.limits import check_record_memory
from engine.optimizers import OPTIMIZERS, optimizer_spec
from engine.schedules import CONSTANT, Schedule
from engine.simulation import CONVERGED, DIVERGED, RunSpec, Simulation, Tolerance

MAX_COUNT = 100_000
CHUNK_RUN_STEPS = 200_000  # most run-steps per ``iter_chunks`` chunk
DEFAULT_TOL = 1e-6
CSV_HEADER = ("lr", "final_loss", "steps_to_tol", "status", "status_step", "final_x",
              "final_y")


def rate_key(optimizer: str) -> str:
    """The hyperparameter a sweep varies: ``lr``, or Rprop's initial step ``step_init``."""
    spec = optimizer_spec(optimizer)
    names = [h.name for h in spec.hyperparams]
    return "lr" if "lr" in names else "step_init"


@dataclass(frozen=True)
class SweepConfig:
    """What to sweep: ``optimizer`` with its other hyperparameters ``hyper`` (defaults fill
    in; a ``lr`` given here is ignored), ``count`` rates log-spaced from ``lr_low`` to
    ``lr_high`` (both included), ``steps`` per run, all from ``start`` (None: the surface's
    default start). ``tol`` is the tolerance for steps-to-tolerance. Invalid values raise
    ValueError naming the field (see ``validate``)."""

    optimizer: str
    hyper: Mapping[str, Any] = field(default_factory=dict)
    lr_low: float = 1e-4
    lr_high: float = 1.0
    count: int = 100
    steps: int = 1000
    start: tuple[float, float] | None = None
    tol: float = DEFAULT_TOL
    schedule: Schedule = CONSTANT
    gradient_noise: float = 0.0
    batch_size: int | None = None
    seed: int = 0

    def validate(self) -> "SweepConfig":
        """Raise ValueError("field: problem") for the first invalid field; return self."""
        if self.optimizer not in OPTIMIZERS:
            try:
                optimizer_spec(self.optimizer)
            except KeyError as exc:
                raise ValueError(f"optimizer: {exc.args[0]}") from None
        for name in ("lr_low", "lr_high", "tol"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                    or v <= 0:
                raise ValueError(f"{name}: must be a finite number > 0, got {v!r}")
        if self.lr_low > self.lr_high:
            raise ValueError(f"lr: the low end {self.lr_low:g} is above the high end "
                             f"{self.lr_high:g}")
        if isinstance(self.count, bool) or not isinstance(self.count, int) \
                or not 1 <= self.count <= MAX_COUNT:
            raise ValueError(f"count: must be a whole number from 1 to {MAX_COUNT}, "
                             f"got {self.count!r}")
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"steps: must be a whole number ≥ 1, got {self.steps!r}")
        from engine.limits import check_run_steps

        try:
            check_run_steps(self.count, self.steps, "rates")
        except ValueError as exc:
            raise ValueError(f"count × steps: {exc}") from None
        if self.start is not None:
            if len(self.start) != 2 or not all(
                    isinstance(v, (int, float)) and math.isfinite(v) for v in self.start):
                raise ValueError(f"start: must be two finite numbers x, y, got {self.start!r}")
        self.resolved_hyper()
        return self

    def lrs(self) -> np.ndarray:
        """(count,) the swept rates, log-spaced, ascending."""
        if self.count == 1:
            return np.array([float(self.lr_low)])
        return np.geomspace(float(self.lr_low), float(self.lr_high), self.count)

    def resolved_hyper(self) -> dict[str, Any]:
        """Every hyperparameter but the swept one (validated; ValueError names the key)."""
        key = rate_key(self.optimizer)
        given = {k: v for k, v in self.hyper.items() if k != key}
        try:
            return optimizer_spec(self.optimizer).resolve(given)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"hyperparameter {exc.args[0]}") from None

    def run_specs(self, surface) -> list[RunSpec]:
        key = rate_key(self.optimizer)
        base = self.resolved_hyper()
        start = tuple(float(v) for v in (self.start if self.start is not None
                                         else surface.start))
        return [RunSpec(label=f"{key}={lr:.6g}", optimizer=self.optimizer,
                        hyper={**base, key: lr}, start=start, schedule=self.schedule,
                        batch_size=self.batch_size, gradient_noise=self.gradient_noise, key=i)
                for i, lr in enumerate(self.lrs().tolist())]


@dataclass(frozen=True)
class SweepResult:
    """Per swept rate (all arrays (count,), final_theta (count, 2)).

    ``steps_to_tol`` is −1 where the tolerance was never met; ``status`` is "finished",
    "converged" (the simulation's tolerance) or "diverged", ``status_step`` the step of the
    divergence/convergence (−1 for "finished"). ``final_loss`` is the loss at each run's last
    valid row (a diverged run's last finite one). ``steps_done`` < ``steps`` when cancelled.
    """

    lr: np.ndarray
    final_loss: np.ndarray
    steps_to_tol: np.ndarray
    status: tuple[str, ...]
    status_step: np.ndarray
    final_theta: np.ndarray
    loss_star: float
    tol: float
    steps: int
    steps_done: int
    cancelled: bool = False

    @property
    def diverged(self) -> np.ndarray:
        return np.array([s == DIVERGED for s in self.status], dtype=bool)

    def best(self) -> int | None:
        """Index of the lowest final loss among runs that did not diverge (None if all did)."""
        ok = ~self.diverged & np.isfinite(self.final_loss)
        if not ok.any():
            return None
        idx = np.flatnonzero(ok)
        return int(idx[np.argmin(self.final_loss[idx])])

    def fastest(self) -> int | None:
        """Index of the fewest steps to tolerance (None if no run met it)."""
        ok = self.steps_to_tol >= 0
        if not ok.any():
            return None
        idx = np.flatnonzero(ok)
        return int(idx[np.argmin(self.steps_to_tol[idx])])

    def csv_rows(self) -> list[tuple[str, ...]]:
        """The CSV rows as text; like the trajectory CSV, a value that is not finite (a run
        that diverged at step 0 has no finite loss) is an empty field, never nan or inf."""
        def num(v) -> str:
            v = float(v)
            return repr(v) if math.isfinite(v) else ""

        rows = []
        for i in range(len(self.lr)):
            rows.append((num(self.lr[i]), num(self.final_loss[i]),
                         str(int(self.steps_to_tol[i])) if self.steps_to_tol[i] >= 0 else "",
                         self.status[i],
                         str(int(self.status_step[i])) if self.status_step[i] >= 0 else "",
                         num(self.final_theta[i, 0]), num(self.final_theta[i, 1])))
        return rows

    def write_csv(self, path) -> None:
        """Write one row per rate (header ``CSV_HEADER``) atomically; empty = not reached or
        not finite."""
        import csv

        from engine.atomic import atomic_open

        with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(CSV_HEADER)
            w.writerows(self.csv_rows())


def lowest_minimum_loss(surface) -> float:
    """L* for steps-to-tolerance: the lowest loss among the known minima, else among the
    minima ``engine.analysis.find_critical_points`` finds in the view; nan if none."""
    mins = surface.minima
    if mins:
        pts = np.array([m.point for m in mins])
        return float(np.min(surface.value(pts)))
    from engine.analysis import MINIMUM, find_critical_points

    found = [c.loss for c in find_critical_points(surface) if c.kind == MINIMUM]
    return float(min(found)) if found else math.nan


class Sweep:
    """A learning-rate sweep in progress. ``iter_chunks`` advances it; ``result`` reads it
    at any time (also part-way, e.g. after a Cancel)."""

    def __init__(self, surface, config: SweepConfig, tolerance: Tolerance | None = None,
                 loss_star: float | None = None):
        self.config = config.validate()
        self.surface = surface
        # refused at once, naming the bytes needed, before anything is allocated
        check_record_memory(config.count, config.steps, recorded=False)
        self.loss_star = lowest_minimum_loss(surface) if loss_star is None else float(loss_star)
        self.simulation = Simulation(surface, config.run_specs(surface), seed=config.seed,
                                     tolerance=tolerance, record=False,
                                     target=(self.loss_star, float(config.tol)))
        self.cancelled = False

    @property
    def steps_done(self) -> int:
        return self.simulation.step

    @property
    def total_steps(self) -> int:
        return self.config.steps

    def iter_chunks(self, chunk: int = 100) -> Iterator[tuple[int, int]]:
        """Advance ``chunk`` steps at a time, yielding (steps done, total steps) after each;
        stop iterating (or call ``cancel``) to cancel. Ends early when every run stopped.
        A chunk holds at most ``CHUNK_RUN_STEPS`` run-steps (fewer steps for large sweeps),
        so a GUI advancing one chunk per timer tick stays responsive at 100,000 rates."""
        chunk = max(1, min(int(chunk), CHUNK_RUN_STEPS // self.config.count))
        sim = self.simulation
        while sim.step < self.total_steps and not self.cancelled:
            k = min(chunk, self.total_steps - sim.step)
            if sim.advance(k) == 0:
                break
            yield sim.step, self.total_steps

    def run(self, progress: Callable[[int, int], bool | None] | None = None,
            chunk: int = 250) -> SweepResult:
        """Run to the end; ``progress(done, total)`` is called after each chunk and cancels
        the sweep by returning False."""
        for done, total in self.iter_chunks(chunk):
            if progress is not None and progress(done, total) is False:
                self.cancel()
                break
        return self.result()

    def cancel(self) -> None:
        self.cancelled = True

    def result(self) -> SweepResult:
        sim = self.simulation
        summary = sim.summary()
        stopped = np.isin(summary.status, (DIVERGED, CONVERGED))
        status = tuple(np.where(stopped, summary.status, "finished").tolist())
        status_step = np.where(stopped, summary.stop_step, -1)
        return SweepResult(self.config.lrs(), summary.final_loss, summary.steps_to_target,
                           status, status_step, summary.final_theta, self.loss_star,
                           self.config.tol, self.config.steps, sim.step, self.cancelled)


def run_sweep(surface, config: SweepConfig, progress=None, **kwargs) -> SweepResult:
    """Build a ``Sweep`` and run it to the end (see ``Sweep.run``)."""
    return Sweep(surface, config, **kwargs).run(progress)
