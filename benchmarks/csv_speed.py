"""`main.py run --csv` against `main.py run` on the engine's target experiment
(benchmarks/rosenbrock6.toml: 6 optimizers × 100,000 steps on Rosenbrock), measured in the
same run, best of 3 each. Target: the CSV run takes at most 2.5 × as long.

    python benchmarks/csv_speed.py [--steps N]

Prints wall time and CPU time (the children's user + system time, which other work on a shared
machine disturbs less) of both commands, their ratios, and the CSV formatting alone (in
process: the fast path against the per-field ``repr`` path it replaces, same bytes checked).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET = ROOT / "benchmarks" / "rosenbrock6.toml"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def command(steps: int, csv_path: str | None) -> tuple[float, float]:
    """Best of 3 (wall s, CPU s) of ``main.py run`` (with ``--csv`` when csv_path is given)."""
    args = [sys.executable, str(ROOT / "main.py"), "run", str(TARGET), "--steps", str(steps)]
    if csv_path:
        args += ["--csv", csv_path]
    best = (float("inf"), float("inf"))
    for _ in range(3):
        c0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
        best = (min(best[0], wall), min(best[1], cpu))
    return best


def formatting(steps: int) -> tuple[float, float, bool]:
    """CPU s of csvio.to_string on the fast path and on the per-field repr path; same text?"""
    from engine import csvio
    from engine.experiment import load

    sim = load(TARGET).simulation()
    sim.run_to(steps)
    t0 = time.process_time()
    fast = csvio.to_string(sim)
    t1 = time.process_time()
    saved, csvio._orjson = csvio._orjson, None
    try:
        slow = csvio.to_string(sim)
    finally:
        csvio._orjson = saved
    t2 = time.process_time()
    return t1 - t0, t2 - t1, fast == slow


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100000)
    steps = ap.parse_args().steps
    with tempfile.TemporaryDirectory() as tmp:
        plain = command(steps, None)
        with_csv = command(steps, os.path.join(tmp, "out.csv"))
        size = os.path.getsize(os.path.join(tmp, "out.csv"))
    print(f"{TARGET.name}: 6 runs × {steps:,} steps; CSV {size / 1e6:.0f} MB")
    print(f"  main.py run          wall {plain[0]:7.2f} s   CPU {plain[1]:7.2f} s")
    print(f"  main.py run --csv    wall {with_csv[0]:7.2f} s   CPU {with_csv[1]:7.2f} s")
    print(f"  --csv / plain        wall {with_csv[0] / plain[0]:7.2f} ×   "
          f"CPU {with_csv[1] / plain[1]:7.2f} ×   (target ≤ 2.5 ×)")
    fast, slow, same = formatting(steps)
    print(f"  formatting alone (CPU): fast {fast:.2f} s, per-field repr {slow:.2f} s "
          f"({slow / fast:.1f} × faster), same bytes: {same}")
    return 0 if same and with_csv[1] / plain[1] <= 2.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
