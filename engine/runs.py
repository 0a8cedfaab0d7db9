"""What a simulation takes and gives: ``RunSpec`` (one run), ``Tolerance`` (stopping rules),
``RunHistory`` (one run's record) and ``Summary`` (per-run results, also without a record).
``engine.simulation`` re-exports them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from engine.schedules import CONSTANT, Schedule

RUNNING, CONVERGED, DIVERGED, FINISHED = "running", "converged", "diverged", "finished"


@dataclass(frozen=True)
class RunSpec:
    """One run: an optimizer with resolved hyperparameters from a start point.

    ``batch_size`` (data surfaces; None = full batch) and ``gradient_noise`` (std of seeded
    Gaussian noise added to every gradient) model mini-batch noise. ``key`` names the run's
    random streams (default: a stable hash of ``label``), so a run's noise does not depend on
    the other runs or on its position among them.
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
    key: int | None = None

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
    there is no σ, eff_lr = η^t where there is no effective rate, lr = nan for rprop): read
    them only where the optimizer's ``OptimizerSpec`` has_sigma / eff / has_lr say so, as the
    CSV writer does.
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


@dataclass(frozen=True)
class Summary:
    """Per-run results, arrays over the n runs (kept in both modes).

    final_theta (n, 2) and final_loss (n,) at each run's last valid row (a diverged run's last
    finite one; nan loss if there is none), lowest_loss (n,), steps_to_target (n,) the first
    step with |L − target loss| < target tol (−1: never, or no target), status (n,) strings,
    stop_step (n,) (−1 while running)."""

    final_theta: np.ndarray
    final_loss: np.ndarray
    lowest_loss: np.ndarray
    steps_to_target: np.ndarray
    status: np.ndarray
    stop_step: np.ndarray


def run_columns(runs):
    """The runs' optimizer, hyper, start (flattened), schedule, gradient_noise and max_steps
    as lists, in one pass: with 100,000 runs every pass over the RunSpec objects is cache
    misses, and one loop costs half of six ``map(attrgetter)`` passes."""
    cols = names, hypers, starts, schedules, noise, limits = [], [], [], [], [], []
    add = names.append, hypers.append, starts.extend, schedules.append, noise.append, \
        limits.append
    for r in runs:
        add[0](r.optimizer)
        add[1](r.hyper)
        add[2](r.start)
        add[3](r.schedule)
        add[4](r.gradient_noise)
        add[5](r.max_steps)
    return cols
