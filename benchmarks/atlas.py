"""Atlas speed (issue budget: 256 × 256 start points × 500 steps of Adam on Himmelblau in
≤ 10 s on 2 cores and ≤ 1 GB peak memory), beside a compiled reference of the same work
measured in the same run: the same Adam update on the same surface, one cell after another,
compiled with numba (install it with: pip install -e ".[bench]").

Run: python benchmarks/atlas.py [--grid 256] [--steps 500]
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.atlas import AtlasConfig, run_atlas  # noqa: E402
from engine.experiment import loads  # noqa: E402

EXP = """
surface = "himmelblau"
steps = {steps}
[[runs]]
label = "Adam"
optimizer = "adam"
lr = 0.05
"""


def compiled_reference(grid: int, steps: int, view) -> tuple[float, np.ndarray]:
    import numba

    @numba.njit(cache=False, fastmath=False)
    def adam_cells(xs, ys, steps, lr, b1, b2, eps):
        out = np.empty((len(ys), len(xs), 2))
        for i in range(len(ys)):
            for j in range(len(xs)):
                x, y = xs[j], ys[i]
                mx = my = vx = vy = 0.0
                for t in range(steps):
                    a = x * x + y - 11.0
                    b = x + y * y - 7.0
                    gx = 4.0 * x * a + 2.0 * b
                    gy = 2.0 * a + 4.0 * y * b
                    mx = b1 * mx + (1 - b1) * gx
                    my = b1 * my + (1 - b1) * gy
                    vx = b2 * vx + (1 - b2) * gx * gx
                    vy = b2 * vy + (1 - b2) * gy * gy
                    c1 = 1.0 - b1 ** (t + 1.0)
                    c2 = 1.0 / (1.0 - b2 ** (t + 1.0))
                    x -= lr / c1 / (np.sqrt(vx * c2) + eps) * mx  # the engine's expression
                    y -= lr / c1 / (np.sqrt(vy * c2) + eps) * my
                out[i, j, 0], out[i, j, 1] = x, y
        return out

    x0, x1, y0, y1 = view
    f = (np.arange(grid) + 0.5) / grid
    xs, ys = x0 + f * (x1 - x0), y0 + f * (y1 - y0)
    adam_cells(xs[:2], ys[:2], 2, 0.05, 0.9, 0.999, 1e-8)  # compile outside the timing
    t0 = time.perf_counter()
    out = adam_cells(xs, ys, steps, 0.05, 0.9, 0.999, 1e-8)
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=256)
    ap.add_argument("--steps", type=int, default=500)
    a = ap.parse_args()
    exp = loads(EXP.format(steps=a.steps))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = run_atlas(exp, AtlasConfig(run="Adam", width=a.grid, height=a.grid))
    took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    cells = a.grid * a.grid
    print(f"atlas: {a.grid}x{a.grid} starts × {a.steps} steps of Adam on Himmelblau "
          f"({cells * a.steps:.3g} optimizer steps)")
    print(f"  engine (record-free, with the critical-point search) {took:7.2f} s  "
          f"(budget 10 s), peak memory {peak / 2**30:.2f} GB (budget 1 GB; "
          f"{before * 1024 / 2**30:.2f} GB before)")
    try:
        ref, final = compiled_reference(a.grid, a.steps, result.config.view)
    except ImportError:
        print("  compiled reference: numba is not installed (pip install -e '.[bench]')")
        return
    diff = float(np.nanmax(np.abs(final - result.final_theta)))
    print(f"  compiled reference (numba, one cell after another)  {ref:7.2f} s")
    print(f"  engine / compiled = {took / ref:.1f}x   (largest difference of a final point: {diff:.2g})")


if __name__ == "__main__":
    main()
