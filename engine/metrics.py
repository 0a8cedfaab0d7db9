"""Per-run figures at one step: the training loss and the surface's extra metrics (e.g. the
flat-vs-sharp surface's test loss). Shared by the command line's summary and the app's table.
No Qt."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRAINING_LOSS = "training loss"


@dataclass(frozen=True)
class MetricTable:
    """``names``: the columns, the training loss first, then ``surface.metric_names``;
    ``values``: (runs, columns), nan where a run has no recorded row; ``steps``: (runs,) the
    step each row was taken at (a stopped run's last recorded step, -1 for none)."""

    names: tuple[str, ...]
    values: np.ndarray
    steps: np.ndarray

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The surface's own metrics (every column but the training loss)."""
        return self.names[1:]


def metric_names(surface) -> tuple[str, ...]:
    """The columns a table for ``surface`` has: the training loss, then its metrics."""
    return (TRAINING_LOSS,) + tuple(getattr(surface, "metric_names", ()))


def metric_table(sim, step: int | None = None) -> MetricTable:
    """Every run's training loss and surface metrics at ``step`` (None: the newest step). A run
    that stopped earlier (converged, finished, diverged) is shown at its last recorded step,
    where θ is still finite."""
    surface = sim.surface
    names = metric_names(surface)
    values = np.full((sim.n, len(names)), np.nan)
    steps = np.full(sim.n, -1, dtype=np.int64)
    points = np.zeros((sim.n, 2))
    have = np.zeros(sim.n, dtype=bool)
    for i in range(sim.n):
        h = sim.history(i, step)
        if len(h.loss):
            steps[i] = len(h.loss) - 1
            values[i, 0] = h.loss[-1]
            points[i] = h.theta[-1]
            have[i] = True
    if len(names) > 1 and have.any():
        with np.errstate(all="ignore"):
            extra = surface.metrics(points[have])
        for c, name in enumerate(names[1:], start=1):
            values[have, c] = np.asarray(extra[name], dtype=float)
    return MetricTable(names, values, steps)
