"""`main.py run --csv` against `main.py run` on the engine's target experiment
(benchmarks/rosenbrock6.toml: 6 optimizers × 100,000 steps on Rosenbrock), measured in the
same run, best of 5 each (loading numba's cache varies by up to a factor of two on a shared
machine). Target: the CSV run takes at most 2.5 × as long.

    python benchmarks/csv_speed.py [--steps N]

Prints wall time and CPU time (the children's user + system time, which other work on a shared
machine disturbs less) of both commands, their ratios, and the CSV formatting alone (in
process: the compiled pass, orjson with Python's fixes, and the per-field ``repr`` path they
replace; same bytes checked).
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
    """Best of 5 (wall s, CPU s) of ``main.py run`` (with ``--csv`` when csv_path is given)."""
    args = [sys.executable, str(ROOT / "main.py"), "run", str(TARGET), "--steps", str(steps)]
    if csv_path:
        args += ["--csv", csv_path]
    best = (float("inf"), float("inf"))
    for _ in range(5):
        c0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
        best = (min(best[0], wall), min(best[1], cpu))
    return best


def formatting(steps: int) -> dict[str, float]:
    """CPU s of csvio.to_string on each path (compiled pass, orjson fixed in Python, per-field
    repr); raises if their texts differ."""
    from engine import compiled, csvio
    from engine.experiment import load

    sim = load(TARGET).simulation()
    sim.run_to(steps)
    kernel = compiled.csv_kernel()
    chosen = csvio._kernel
    paths = {"compiled pass": kernel, "orjson + Python fixes": None}
    times, texts = {}, []
    try:
        for name, k in paths.items():
            if name == "compiled pass" and k is None:
                continue
            csvio._kernel = lambda sim, indices, k=k: k
            t0 = time.process_time()
            texts.append(csvio.to_string(sim))
            times[name] = time.process_time() - t0
    finally:
        csvio._kernel = chosen
    saved, csvio._orjson = csvio._orjson, None
    try:
        t0 = time.process_time()
        texts.append(csvio.to_string(sim))
        times["per-field repr"] = time.process_time() - t0
    finally:
        csvio._orjson = saved
    if any(t != texts[0] for t in texts):
        raise SystemExit("the paths wrote different bytes")
    return times


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
    times = formatting(steps)
    base = times["per-field repr"]
    print("  formatting alone (CPU, in process; every path wrote the same bytes):")
    for name, t in times.items():
        print(f"    {name:24s} {t:6.2f} s   {base / t:5.1f} × the per-field repr path")
    return 0 if with_csv[1] / plain[1] <= 2.5 else 1

if __name__ == "__main__":
    raise SystemExit(main())
