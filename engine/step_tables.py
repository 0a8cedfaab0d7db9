"""Per-step tables of a simulation for a chunk of steps: η^t of every run (its schedule
applied), and the mini-batches (which examples, with which weights, each run's gradient uses,
shuffled per epoch by the run's own stream, engine.streams)."""
from __future__ import annotations

import numpy as np

from engine import streams


def learning_rates(sim, t0: int, k: int) -> np.ndarray:
    """(k, n) η^t for steps t0..t0+k−1 (the plateau factor is applied step by step)."""
    lr = np.empty((k, sim.n))
    lr[:] = sim._lr0
    lr[:, ~sim._has_lr] = np.nan
    if sim._scheduled:
        t = np.arange(t0, t0 + k, dtype=float)
        for i in sim._scheduled:
            r = sim.runs[i]
            lr[:, i] = r.schedule.values(r.lr, t)
    return lr


def batches(sim, t0: int, k: int):
    """Mini-batch indices and weights for steps t0..t0+k−1: (k, n, B) each; runs that use
    the full batch see every example in natural order."""
    nex, n, bmax = sim._nex, sim.n, sim._bmax
    idx = np.zeros((k, n, bmax), dtype=np.int64)
    w = np.zeros((k, n, bmax))
    full = sim._bsize >= nex
    if full.any():  # then bmax = nex
        idx[:, full] = np.arange(nex)
        w[:, full] = 1.0 / nex
    sh = sim._shuffled
    B = sim._bsize[sh]
    nb = -(-nex // B)
    cols = np.arange(bmax)
    for j, t in enumerate(range(t0, t0 + k)):
        e, bi = np.divmod(t, nb)
        new = e != sim._epoch
        if new.any():
            sim._perm[new] = streams.permutations(sim.seed, sim._keys[sh[new]], e[new],
                                                  nex)
            sim._epoch[new] = e[new]
        lo = bi * B
        size = np.minimum(B, nex - lo)
        pos = np.minimum(lo[:, None] + cols[None, :], nex - 1)
        ok = cols[None, :] < size[:, None]
        idx[j, sh] = np.where(ok, np.take_along_axis(sim._perm, pos, axis=1), 0)
        w[j, sh] = np.where(ok, 1.0 / size[:, None], 0.0)
    return idx, w
