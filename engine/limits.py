"""Upper limits on every count an input can set, and the memory check made before a run.

Each limit is checked where the input is read (experiment files, command-line options), before
any memory is allocated, and a value past it is refused with one line naming the key and the
limit. The record of a run needs memory in proportion to runs × steps, so besides the plain
limits ``check_record_memory`` estimates the bytes a run would keep and refuses what would not
fit (see README.md, "Limits").
"""
from __future__ import annotations

import os

#: steps of one experiment (file key ``steps``, ``--steps`` of run and sweep)
MAX_STEPS = 10_000_000
#: epochs of a data-defined experiment (file key ``epochs``)
MAX_EPOCHS = 1_000_000
#: [[runs]] in one experiment file
MAX_RUNS = 1000
#: mini-batch size (file keys ``batch_size``); a data surface also caps it at its N examples
MAX_BATCH_SIZE = 1_000_000
#: |x| and |y| of a start point (file key ``start``, ``--start``, ``--point``)
MAX_COORDINATE = 1e9
#: the random seed (file key ``seed``): any whole number from 0 to this
MAX_SEED = 2**63 - 1
#: size of an experiment file that is read at all, in bytes
MAX_FILE_BYTES = 1_000_000
#: nesting of arrays and tables in an experiment file
MAX_NESTING = 20
#: sweeps and atlases: runs × steps (about a minute of record-free work on two cores)
MAX_RUN_STEPS = 5 * 10**9
#: fixed cap on the memory a recorded experiment may use, in bytes
MAX_RECORD_BYTES = 4 * 1024**3
#: the share of the available memory (MemAvailable) a record may use
MEMORY_SHARE = 0.5
#: a recorded run keeps 11 float64 per step: θ (2), loss, gradient (2), ‖∇L‖, η, σ (2) and the
#: effective rate (2)
RECORD_FLOATS_PER_ROW = 11
RECORD_BYTES_PER_ROW = 8 * RECORD_FLOATS_PER_ROW
#: the record grows by doubling, so while it grows it may hold up to this many times the rows
#: it needs (old and new buffer together)
RECORD_GROWTH = 3
#: a run that keeps no record (only its current state) needs about this many bytes
RECORD_FREE_BYTES_PER_RUN = 512


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (MemAvailable), None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_budget() -> int:
    """Bytes a record may use: MEMORY_SHARE of the available memory, at most MAX_RECORD_BYTES."""
    avail = available_memory()
    if avail is None:
        return MAX_RECORD_BYTES
    return max(0, min(MAX_RECORD_BYTES, int(avail * MEMORY_SHARE)))


def record_bytes(n_runs: int, steps: int, recorded: bool = True) -> int:
    """Bytes that ``n_runs`` runs of ``steps`` steps need at the peak (the record's rows 0..steps
    while it grows, or the record-free state)."""
    if not recorded:
        return int(n_runs) * RECORD_FREE_BYTES_PER_RUN
    return int(n_runs) * (int(steps) + 1) * RECORD_BYTES_PER_ROW * RECORD_GROWTH


def _size(n: int) -> str:
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def check_record_memory(n_runs: int, steps: int, recorded: bool = True) -> None:
    """Raise ValueError (one line naming the bytes needed and the budget) when ``n_runs`` runs
    of ``steps`` steps would not fit in the memory budget; checked before anything is
    allocated."""
    need = record_bytes(n_runs, steps, recorded)
    budget = memory_budget()
    if need > budget:
        what = "recording" if recorded else "running"
        raise ValueError(
            f"{what} {int(n_runs):,} run(s) × {int(steps):,} steps needs about {_size(need)} "
            f"({need:,} bytes) of memory; the limit here is {_size(budget)}: use fewer steps "
            "or runs")


def check_count(value: int, limit: int, what: str = "") -> None:
    """Raise ValueError when a count exceeds its limit."""
    if value > limit:
        raise ValueError(f"{what + ' ' if what else ''}must be at most {limit:,}, got {value:,}")


def check_run_steps(n_runs: int, steps: int, what: str = "runs") -> None:
    """Raise ValueError when ``n_runs`` × ``steps`` exceeds ``MAX_RUN_STEPS`` (many runs that
    keep no record: the limit is the work, not the memory)."""
    work = int(n_runs) * int(steps)
    if work > MAX_RUN_STEPS:
        raise ValueError(f"{int(n_runs):,} {what} × {int(steps):,} steps is {work:.3g} "
                         f"optimizer steps, more than the limit of {MAX_RUN_STEPS:.0e}; use "
                         f"fewer steps or {what}")
