"""A step plot's curve data: log₁₀ of a growing recorded array, extended incrementally, with
a peak envelope per block of steps for drawing long curves whole."""
from __future__ import annotations

import math

import numpy as np

BLOCK = 256  # steps per min/max block of a long curve's display envelope


class LogSeries:
    """log₁₀ of a growing recorded array minus ``offset``, extended incrementally:
    ``update(values)`` with the full array (n,) returns a view of length n. Values − offset
    ≤ 0 become nan (gaps), or ``floor`` when a floor > 0 is set (``set_offset``).

    For display it also keeps, per block of BLOCK steps, the minimum and maximum (a peak
    envelope, extended as blocks complete): ``display(n)`` gives 2 points per block plus the
    raw tail, so a 100,000-step curve is drawn from ~800 points without losing a spike.
    The recorded data (hover read-out, export) are never thinned.
    """

    def __init__(self):
        self.buf = np.empty(0)
        self.n = 0
        self.env = np.empty((0, 2))  # (blocks, [min, max])
        self.blocks = 0
        self.offset = 0.0
        self.floor = 0.0
        self.key = ""  # the plot it is drawn in
        self.lo, self.hi = math.inf, -math.inf  # the finite values' extremes

    def _restart(self) -> None:
        self.n = self.blocks = 0
        self.lo, self.hi = math.inf, -math.inf

    def set_offset(self, offset: float, floor: float = 0.0) -> None:
        """Show log₁₀(values − offset), differences below ``floor`` at the floor; a change
        recomputes everything at the next ``update``."""
        if (offset, floor) != (self.offset, self.floor):
            self.offset, self.floor = float(offset), float(floor)
            self._restart()

    def update(self, values: np.ndarray) -> np.ndarray:
        n = len(values)
        if n < self.n:
            self._restart()
        if n > self.n:
            with np.errstate(all="ignore"):
                part = values[self.n:n] - self.offset if self.offset else values[self.n:n]
                if self.floor > 0:
                    part = np.fmax(part, self.floor, where=np.isfinite(part),
                                   out=np.array(part, dtype=float))
                part = np.log10(part)
            part[~np.isfinite(part)] = np.nan
            self._append(part, np.fmin.reduce(part), np.fmax.reduce(part), _room(values))
        return self.buf[:n]

    def _append(self, part: np.ndarray, lo, hi, room: int = 0) -> None:
        """Add the log₁₀ values ``part`` of the next rows; ``lo``, ``hi``: their extremes
        (nan: all nan); ``room``: the rows the recorded array has room for (``_room``)."""
        n = self.n + len(part)
        if n > len(self.buf):
            new = np.empty(max(n, 2 * len(self.buf), 1024, min(room, 2 * n)))
            new[: self.n] = self.buf[: self.n]
            self.buf = new
        self.buf[self.n:n] = part
        if lo == lo:
            lo, hi = float(lo), float(hi)
            if lo < self.lo:
                self.lo = lo
            if hi > self.hi:
                self.hi = hi
        self.n = n

    def display(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) to draw the first n values at full view: the envelope, then the raw tail."""
        done = n // BLOCK
        if done > len(self.env):
            new = np.empty((max(done, 2 * len(self.env)), 2))
            new[: self.blocks] = self.env[: self.blocks]
            self.env = new
        if done > self.blocks:
            part = self.buf[self.blocks * BLOCK:done * BLOCK].reshape(-1, BLOCK)
            self.env[self.blocks:done, 0] = np.fmin.reduce(part, axis=1)
            self.env[self.blocks:done, 1] = np.fmax.reduce(part, axis=1)
            self.blocks = done
        centers = np.arange(done) * BLOCK + (BLOCK - 1) / 2.0
        x = np.concatenate([np.repeat(centers, 2), steps(n)[done * BLOCK:]])
        y = np.concatenate([self.env[:done].ravel(), self.buf[done * BLOCK:n]])
        return x, y


def _room(values: np.ndarray) -> int:
    """The rows the array that ``values`` is a view of has room for (a simulation's record
    grows by doubling; 0: not a view): a buffer sized to it after a first full pass (the
    whole history) does not grow again, copying it all, at the next frame."""
    base = values.base
    return int(base.shape[0]) if isinstance(base, np.ndarray) and base.ndim else 0


def update_all(logs: list[LogSeries], arrays: list[np.ndarray]) -> list[np.ndarray]:
    """``[log.update(a) for log, a in zip(logs, arrays)]`` (arrays of one length): the new
    rows of the series that have reached the same row, with no offset or floor (a run's
    curves, frame after frame), in one NumPy pass over all of them."""
    n = len(arrays[0]) if arrays else 0
    m = max((log.n for log in logs), default=0)
    batch = [k for k, log in enumerate(logs)
             if log.n == m and not log.offset and not log.floor and len(arrays[k]) == n]
    if n > m and len(batch) > 1:
        with np.errstate(all="ignore"):
            block = np.log10(np.stack([arrays[k][m:n] for k in batch]))
        block[~np.isfinite(block)] = np.nan
        # Python floats: cheaper than NumPy scalars for the comparisons in _append
        lows = np.fmin.reduce(block, axis=1).tolist()
        highs = np.fmax.reduce(block, axis=1).tolist()
        room = _room(arrays[batch[0]])
        for j, k in enumerate(batch):
            logs[k]._append(block[j], lows[j], highs[j], room)
    return [log.update(a) for log, a in zip(logs, arrays)]


_STEPS = np.arange(0, dtype=float)


def steps(n: int) -> np.ndarray:
    """0..n−1 as floats (a view of a shared, growing array)."""
    global _STEPS
    if n > len(_STEPS):
        _STEPS = np.arange(max(n, 2 * len(_STEPS)), dtype=float)
    return _STEPS[:n]
