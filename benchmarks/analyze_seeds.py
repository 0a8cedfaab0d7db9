"""`main.py analyze --seeds` at its limit: the critical-point search with the largest allowed
seed grid on every built-in surface and a few typed expressions (curves of minima among them).

    python benchmarks/analyze_seeds.py

Prints, per surface, the time at MAX_SEEDS_PER_AXIS and its ratio to the default 40 seeds per
axis measured in the same run; the slowest must stay within a few seconds (target 3 s).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.critical_points import MAX_SEEDS_PER_AXIS, find_critical_points  # noqa: E402
from engine.experiment import loads  # noqa: E402
from surfaces import SURFACES, make_surface  # noqa: E402

DEFAULT, TARGET = 40, 3.0
EXPRESSIONS = ("(1 - x*y)**2", "(x**2+y**2-1)**2", "log(x)+y**2",
               "sin(3*x)*cos(3*y) + 0.1*(x**2+y**2)")


def _time(surface, seeds: int) -> float:
    t0 = time.perf_counter()
    find_critical_points(surface, seeds_per_axis=seeds)
    return time.perf_counter() - t0


def main() -> int:
    cases = [(name, make_surface(name)) for name in sorted(SURFACES)]
    for text in EXPRESSIONS:
        exp = loads(f'expression = "{text}"\nsteps = 1\n[[runs]]\noptimizer = "gd"\nlr = 0.1\n')
        cases.append((text, exp.surface.build()))
    worst, worst_name = 0.0, ""
    print(f"{'surface':40s} {'max seeds':>10s} {'× default':>10s}")
    for name, surface in cases:
        base = _time(surface, DEFAULT)
        big = _time(surface, MAX_SEEDS_PER_AXIS)
        print(f"{name:40s} {big:9.2f}s {big / base:9.1f}×")
        if big > worst:
            worst, worst_name = big, name
    print(f"slowest at --seeds {MAX_SEEDS_PER_AXIS}: {worst_name}, {worst:.2f} s "
          f"({worst / TARGET:.2f} × the {TARGET:g} s target)")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
