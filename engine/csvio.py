"""The trajectory CSV: one row per run per step, written atomically.

Header (exactly; more columns may follow in later versions):
run,label,optimizer,step,x,y,loss,grad_x,grad_y,grad_norm,lr,sigma_x,sigma_y,eff_lr_x,eff_lr_y

``run`` is the run's 1-based position among the simulated runs. Row t holds θ^t, L(θ^t), the
gradient used at step t, η^t, σ^t and the effective rate of the update θ^t → θ^(t+1). Floats are
written in Python's shortest round-trip form; an empty field means "not defined for this
optimizer"; nan and inf are never written (a diverged run's rows end at its last finite step).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable, Iterable, TextIO

import numpy as np

from engine.atomic import atomic_open
from engine.optimizers import OPTIMIZERS

HEADER = ("run", "label", "optimizer", "step", "x", "y", "loss", "grad_x", "grad_y",
          "grad_norm", "lr", "sigma_x", "sigma_y", "eff_lr_x", "eff_lr_y")


def _floats(a: np.ndarray) -> list[str]:
    return [repr(v) for v in a.tolist()]


def write_rows(fh: TextIO, sim, indices: Iterable[int] | None = None, header: bool = True) -> None:
    """Write the CSV of ``sim``'s runs ``indices`` (default: all) to an open text file."""
    w = csv.writer(fh, lineterminator="\n")
    if header:
        w.writerow(HEADER)
    for i in (range(sim.n) if indices is None else indices):
        run = sim.runs[i]
        spec = OPTIMIZERS[run.optimizer]
        h = sim.history(i)
        n = len(h.loss)
        if n == 0:
            continue
        empty = [""] * n
        cols = [[str(i + 1)] * n, [run.label] * n, [run.optimizer] * n,
                [str(t) for t in range(n)],
                _floats(h.theta[:, 0]), _floats(h.theta[:, 1]), _floats(h.loss),
                _floats(h.grad[:, 0]), _floats(h.grad[:, 1]), _floats(h.grad_norm),
                _floats(h.lr) if spec.has_lr else empty,
                _floats(h.sigma[:, 0]) if spec.has_sigma else empty,
                _floats(h.sigma[:, 1]) if spec.has_sigma else empty,
                _floats(h.eff_lr[:, 0]) if spec.eff else empty,
                _floats(h.eff_lr[:, 1]) if spec.eff else empty]
        w.writerows(zip(*cols))


def to_string(sim, indices: Iterable[int] | None = None) -> str:
    buf = io.StringIO()
    write_rows(buf, sim, indices)
    return buf.getvalue()


def write_csv(path: str | Path, sim, indices: Iterable[int] | None = None,
              progress: Progress | None = None) -> None:
    """Write the trajectories of ``sim`` (runs ``indices``, default all) to ``path`` atomically.
    ``progress(rows written, rows in all)`` is called every few thousand rows; an exception it
    raises stops the write and leaves no file."""
    indices = None if indices is None else list(indices)
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        write_rows(fh if progress is None else _Counting(fh, sim, indices, progress), sim,
                   indices)


def write_csv_per_run(folder: str | Path, sim, progress: Progress | None = None) -> list[Path]:
    """One CSV per run into ``folder`` (created if needed), named after the labels.
    ``progress`` as for ``write_csv``, counted over all the files; when a write fails or is
    stopped, the files this call already wrote are removed too."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out, used = [], set()
    counter = None if progress is None else _Counting(None, sim, None, progress, headers=sim.n)
    try:
        for i, run in enumerate(sim.runs):
            stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in run.label) \
                or f"run{i+1}"
            name, k = stem, 2
            while name in used:
                name, k = f"{stem}_{k}", k + 1
            used.add(name)
            path = folder / f"{i + 1:02d}_{name}.csv"
            if counter is None:
                write_csv(path, sim, [i])
            else:
                with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
                    counter.fh = fh
                    write_rows(counter, sim, [i])
            out.append(path)
    except BaseException:
        for path in out:
            path.unlink(missing_ok=True)
        raise
    return out


Progress = Callable[[int, int], object]


class _Counting:
    """A text file that counts the rows written through it and calls ``progress``."""

    EVERY = 1000  # rows between calls

    def __init__(self, fh, sim, indices, progress: Progress, headers: int = 1):
        self.fh, self.progress = fh, progress
        runs = range(sim.n) if indices is None else indices
        self.total = headers + sum(len(sim.history(i).loss) for i in runs)
        self.rows, self._next = 0, 0

    def write(self, text: str) -> int:
        self.rows += text.count("\n")
        if self.rows >= self._next:
            self._next = self.rows + self.EVERY
            self.progress(min(self.rows, self.total), self.total)
        return self.fh.write(text)


def read_csv(path: str | Path) -> list[dict[str, str]]:
    """Read a trajectory CSV back as a list of row dicts (strings; empty = undefined)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
