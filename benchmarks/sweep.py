"""Learning-rate sweep speed: 1,000 runs × 1,000 steps in one Simulation (target: < 2 s).

    python benchmarks/sweep.py

Prints the sweep's time and two ratios against baselines measured in the same run:
1 run × 1,000 steps (what one lock-step row of the sweep costs compared with a single run), and
separate single-run simulations (timed on a sample of 50 and scaled to 1,000), i.e. what the
sweep saves over running every η on its own.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.optimizers import OPTIMIZERS  # noqa: E402
from engine.simulation import RunSpec, Simulation  # noqa: E402
from engine.sweep import Sweep, SweepConfig  # noqa: E402
from surfaces import make_surface  # noqa: E402
from timing import best_of  # noqa: E402 (benchmarks/timing.py)

RUNS, STEPS, TARGET = 1000, 1000, 2.0


def main() -> int:
    surf = make_surface("rosenbrock")
    worst = 0.0
    for optimizer in ("gd", "adam"):
        cfg = SweepConfig(optimizer, lr_low=1e-5, lr_high=1.0, count=RUNS, steps=STEPS,
                          start=(-1.5, 2.0))
        sweep_t = best_of(3, lambda: Sweep(surf, cfg).run(chunk=100))
        hyper = {**OPTIMIZERS[optimizer].defaults(), "lr": 1e-3}

        def single():
            Simulation(surf, [RunSpec("one", optimizer, hyper, (-1.5, 2.0))]).run_to(STEPS)

        one_t = best_of(3, single)
        sample = 50
        sep_t = best_of(1, lambda: [single() for _ in range(sample)]) * RUNS / sample
        worst = max(worst, sweep_t)
        print(f"{optimizer:5s} sweep {RUNS} runs × {STEPS} steps: {sweep_t:.3f} s "
              f"({'ok' if sweep_t < TARGET else 'SLOW'}, target < {TARGET:g} s)")
        print(f"      1 run × {STEPS} steps: {one_t:.3f} s  -> sweep/one-run = "
              f"{sweep_t / one_t:.1f}× for {RUNS}× the runs")
        print(f"      {RUNS} separate simulations (est.): {sep_t:.2f} s  -> separate/sweep = "
              f"{sep_t / sweep_t:.1f}×")
    return 0 if worst < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
