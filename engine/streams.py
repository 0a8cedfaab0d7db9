"""Counter-based random streams: gradient noise and mini-batch shuffles as pure functions of
(seed, run key, step), vectorized over runs.

A run's stream is keyed by its own ``key`` (``run_keys``: the run's ``RunSpec.key`` if set,
else a stable hash of its label), never by its position in the run list: inserting, removing
or reordering other runs leaves a run's noise and batches unchanged, and so does splitting the
steps into ``advance`` calls differently. No generator object exists per run, so building
100,000 noisy runs costs a few array operations.

The bits come from the SplitMix64 finalizer applied to (seed, key, purpose, counter); normals
from Box–Muller on two 53-bit uniforms; a shuffle is the argsort of one hash per example.
"""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(v) for v in (30, 27, 31, 11))
_NOISE, _BATCH = 1, 2


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def label_key(label: str) -> int:
    """A stable 63-bit key from a run's label (the same in every session and platform)."""
    return int.from_bytes(hashlib.blake2b(label.encode("utf-8"), digest_size=8).digest(),
                          "little") >> 1


def run_keys(runs: Sequence) -> np.ndarray:
    """(n,) uint64 keys: ``run.key`` where given, else the label's hash; a repeated label gets
    its occurrence number mixed in (the second "GD" differs from the first)."""
    seen: dict[str, int] = {}
    out = np.empty(len(runs), dtype=np.uint64)
    for i, r in enumerate(runs):
        key = getattr(r, "key", None)
        if key is None:
            k = seen.get(r.label, 0)
            seen[r.label] = k + 1
            key = label_key(r.label) + k * 0x632BE59BD9B4E019
        out[i] = np.uint64(int(key) % (1 << 64))
    return out


def _base(seed: int, keys: np.ndarray, purpose: int) -> np.ndarray:
    s = _mix(np.array([int(seed) % (1 << 64)], dtype=np.uint64))
    return _mix(_mix(keys ^ s) + np.uint64(purpose * int(_GOLDEN) % (1 << 64)))


def _uniform(h: np.ndarray) -> np.ndarray:
    """53-bit uniforms in (0, 1]."""
    return ((h >> _S11) + np.uint64(1)).astype(np.float64) * 2.0 ** -53


def normals(seed: int, keys: np.ndarray, t0: int, k: int) -> np.ndarray:
    """(k, n, 2) standard normals for steps t0..t0+k−1 of the runs ``keys`` (n,)."""
    base = _base(seed, keys, _NOISE)[None, :]
    t = np.arange(t0, t0 + k, dtype=np.uint64)[:, None] * np.uint64(2)
    u1 = _uniform(_mix(base + (t + np.uint64(1)) * _GOLDEN))
    u2 = _uniform(_mix(base + (t + np.uint64(2)) * _GOLDEN))
    r = np.sqrt(-2.0 * np.log(u1))
    angle = 2.0 * np.pi * u2
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=-1)


def permutations(seed: int, keys: np.ndarray, epochs: np.ndarray, n_examples: int) -> np.ndarray:
    """(n, N) one shuffle of range(N) per run ``keys`` (n,) for its epoch ``epochs`` (n,)."""
    base = _base(seed, keys, _BATCH)[:, None]
    counter = (epochs.astype(np.uint64)[:, None] * np.uint64(n_examples)
               + np.arange(n_examples, dtype=np.uint64)[None, :] + np.uint64(1))
    return np.argsort(_mix(base + counter * _GOLDEN), axis=1, kind="stable")
