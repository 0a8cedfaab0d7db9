"""Engine speed: ns per optimizer-step beside a compiled loop, building 100,000 runs, and the
headless target against a torch.optim loop.

Run on demand (not part of the test suite):

    python benchmarks/engine_throughput.py            # full target: 6 × 100,000 steps
    python benchmarks/engine_throughput.py --steps 20000   # a quicker, smaller target

It prints
0. the engine's compiled kernel (engine/compiled.py): the first call's compile time with an
   empty cache, and a cached start (importing numba and reading the cache), each in a fresh
   process;
1. ns per optimizer-step (wall time / (runs × steps), building the Simulation included) of
   Adam on Rosenbrock for 6, 600, 10,000 and 100,000 runs, recorded and record-free (the
   engine as it runs: through its compiled kernel), the record-free NumPy path beside it
   (``compiled=False``, what runs without numba), and a compiled reference loop of the same
   Adam update on the same surface (numba, which the engine depends on; the column is skipped
   without it). The reference does what the record-free engine does per run and step:
   gradient, update, loss, lowest loss, divergence test. Target (issue 10): record-free at
   ≥ 10,000 runs within 3× of the reference;
2. building 100,000 runs: ``Simulation(...)`` from ready RunSpecs, and a 100,000-rate sweep's
   RunSpecs plus Simulation (target ≤ 0.5 s for the former);
3. the target, benchmarks/rosenbrock6.toml (six first-order optimizers × 100,000 steps on
   Rosenbrock, full recording): the engine's time (build + run, best of 3; budget 1.5 s on a
   2-core machine), and the NumPy path's for comparison;
4. when torch is importable: the same work as a torch.optim loop (one float64 parameter tensor
   per optimizer, the analytic Rosenbrock gradient written with torch operations and set as
   ``.grad`` by hand, no autograd; θ and g of every step copied into preallocated tensors,
   the loss is not recorded, which favours torch), and the ratios torch time / engine time
   and torch time / ``python main.py run rosenbrock6.toml`` (a whole subprocess, imports
   included; best of 3; target ≥ 10×), plus the same command with ``--csv`` for information.

Every ratio is between figures measured in this run. The torch optimizers do not all compute
exactly our formulas (see docs/optimizers.md: Nesterov's form, classic Adagrad, RMSProp's v₀),
but each does the same amount of work per step.
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from engine.experiment import load  # noqa: E402
from engine.optimizers import OPTIMIZERS  # noqa: E402
from engine.simulation import RunSpec, Simulation  # noqa: E402
from engine.sweep import SweepConfig  # noqa: E402
from surfaces import make_surface  # noqa: E402
from timing import best_of  # noqa: E402 (benchmarks/timing.py)

TARGET = ROOT / "benchmarks" / "rosenbrock6.toml"


#: (runs, steps) per size: a few million optimizer-steps each
SIZES = ((6, 100_000), (600, 2_000), (10_000, 200), (100_000, 30), (100_000, 300))
#: sizes whose record would not fit in memory: record-free only
FREE_ONLY = {(100_000, 300)}


def adam_runs(n: int) -> list[RunSpec]:
    """``n`` Adam runs from (−1.2, 1) at rates 1e-4..1e-3 (none diverges)."""
    base = OPTIMIZERS["adam"].defaults()
    lrs = np.geomspace(1e-4, 1e-3, n).tolist()
    return [RunSpec(f"adam {i}", "adam", {**base, "lr": lr}, (-1.2, 1.0), key=i)
            for i, lr in enumerate(lrs)]


def compiled_reference():
    """The same Adam update on Rosenbrock as a numba loop (None without numba)."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False, fastmath=False)
    def adam(theta, lr, steps, b1, b2, eps, a, b, bound):
        n = theta.shape[0]
        low = np.full(n, np.inf)
        last = np.empty(n)
        for i in range(n):
            x, y = theta[i, 0], theta[i, 1]
            mx = my = vx = vy = 0.0
            p1 = p2 = 1.0
            for t in range(steps + 1):
                r = y - x * x
                loss = (a - x) ** 2 + b * r * r
                gx = -2.0 * (a - x) - 4.0 * b * x * r
                gy = 2.0 * b * r
                if not (np.isfinite(loss) and abs(x) <= bound and abs(y) <= bound):
                    break
                low[i] = min(low[i], loss)
                last[i] = loss
                p1 *= b1
                p2 *= b2
                mx = b1 * mx + (1.0 - b1) * gx
                my = b1 * my + (1.0 - b1) * gy
                vx = b2 * vx + (1.0 - b2) * gx * gx
                vy = b2 * vy + (1.0 - b2) * gy * gy
                k = lr[i] / (1.0 - p1)
                c = 1.0 / (1.0 - p2)
                x -= k * mx / (np.sqrt(vx * c) + eps)
                y -= k * my / (np.sqrt(vy * c) + eps)
            theta[i, 0], theta[i, 1] = x, y
        return low, last

    surf = make_surface("rosenbrock", {})

    def run(n: int, steps: int) -> None:
        theta = np.tile([-1.2, 1.0], (n, 1))
        lr = np.geomspace(1e-4, 1e-3, n)
        adam(theta, lr, steps, 0.9, 0.999, 1e-8, surf.a, surf.b, surf.divergence_bound)

    run(2, 2)  # compile outside the timing
    return run


_KERNEL_TIME = """
import time
t0 = time.perf_counter()
from engine import compiled
ok = compiled.load() is not None
print(ok, time.perf_counter() - t0)
"""


def kernel_times() -> None:
    """The kernel's compile time (empty cache) and cached start, each in a fresh process."""
    print("0. The engine's compiled kernel (a fresh process each)")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DESCENT_LAB_CACHE_DIR": tmp, "PYTHONPATH": str(ROOT)}
        env.pop("DESCENT_LAB_NO_COMPILE", None)
        got = []
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", _KERNEL_TIME], env=env, cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.split()
            got.append((out[0] == "True", float(out[1])))
    if not got[0][0]:
        print("   numba is not installed or the kernel does not compile: NumPy path only")
        return
    print(f"   first call, empty cache (import numba + compile)  {got[0][1]:8.3f} s")
    print(f"   cached start (import numba + read the cache)       {got[1][1]:8.3f} s")


def throughput() -> None:
    surface = make_surface("rosenbrock", {})
    reference = compiled_reference()
    print("1. ns per optimizer-step, Adam on Rosenbrock (best of 2)")
    print(f"   {'runs':>7} {'steps':>7} {'recorded':>9} {'record-free':>12} {'NumPy free':>11} "
          f"{'compiled':>9} {'free/compiled':>14} {'NumPy/free':>11}")
    for n, steps in SIZES:
        runs = adam_runs(n)

        def go(record: bool, compiled: bool | None = None):
            sim = Simulation(surface, runs, record=record, compiled=compiled)
            sim.run_to(steps)
            assert sim.step == steps and all(s == "running" for s in sim.status)

        work = n * steps * 1e-9
        rec = math.nan if (n, steps) in FREE_ONLY else best_of(2, lambda: go(True)) / work
        free = best_of(2, lambda: go(False)) / work
        slow = best_of(2, lambda: go(False, compiled=False)) / work
        if reference is not None:
            comp = best_of(2, lambda: reference(n, steps)) / work
            extra = f"{comp:>9.1f} {free / comp:>13.1f}×"
        else:
            extra = f"{'(no numba)':>9} {'':>14}"
        print(f"   {n:>7,} {steps:>7,} {rec:>9.1f} {free:>12.1f} {slow:>11.1f} {extra} "
              f"{slow / free:>10.1f}×")
    print("   target: record-free within 3× of the compiled loop at ≥ 10,000 runs (a time")
    print("   includes building the Simulation, about 0.1 s for 100,000 runs: with 30 steps")
    print("   that is a third of it, with 300 a twentieth; nan: the record would not fit)")


def build_times() -> None:
    surface = make_surface("rosenbrock", {})
    runs = adam_runs(100_000)
    sim_t = best_of(3, lambda: Simulation(surface, runs, record=False))
    cfg = SweepConfig("adam", lr_low=1e-5, lr_high=1.0, count=100_000, steps=1000)
    sweep_t = best_of(3, lambda: Simulation(surface, cfg.run_specs(surface), record=False))
    print("2. Building 100,000 runs (best of 3)")
    print(f"   Simulation from ready RunSpecs           {sim_t:8.3f} s   (target ≤ 0.5 s)")
    print(f"   a 100,000-rate sweep's RunSpecs + Simulation {sweep_t:8.3f} s")


def engine_target(steps: int, compiled: bool | None = None) -> float:
    exp = load(TARGET)

    def go():
        if compiled is None:
            sim = exp.simulation()
        else:
            surface = exp.surface.build()
            sim = Simulation(surface, exp.run_specs(surface), seed=exp.seed,
                             tolerance=exp.tolerance, compiled=compiled)
        sim.run_to(steps)
        assert sim.step == steps and all(s == "running" for s in sim.status), sim.status

    return best_of(3, go)


def command_target(steps: int, csv: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, str(ROOT / "main.py"), "run", str(TARGET), "--steps", str(steps)]
        if csv:
            args += ["--csv", os.path.join(tmp, "out.csv")]

        def go():
            subprocess.run(args, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)

        return best_of(3, go)


def torch_target(torch, steps: int) -> float:
    """The six optimizers as a torch.optim loop doing the same work; wall time (one run)."""
    exp = load(TARGET)
    specs = exp.run_specs()
    f64 = torch.float64
    params, optimizers = [], []
    for r in specs:
        p = torch.tensor(r.start, dtype=f64, requires_grad=True)
        h, o = r.hyper, r.optimizer
        opt = {
            "gd": lambda: torch.optim.SGD([p], lr=h["lr"]),
            "momentum": lambda: torch.optim.SGD([p], lr=h["lr"], momentum=h["momentum"]),
            "nesterov": lambda: torch.optim.SGD([p], lr=h["lr"], momentum=h["momentum"],
                                                nesterov=True),
            "adagrad": lambda: torch.optim.Adagrad([p], lr=h["lr"], eps=h["eps"]),
            "rmsprop": lambda: torch.optim.RMSprop([p], lr=h["lr"], alpha=h["alpha"],
                                                   eps=h["eps"]),
            "adam": lambda: torch.optim.Adam([p], lr=h["lr"], betas=(h["beta1"], h["beta2"]),
                                             eps=h["eps"]),
        }[o]()
        params.append(p)
        optimizers.append(opt)
    surface = make_surface("rosenbrock", {})
    a, b = surface.a, surface.b

    def grad(p):
        x, y = p[0], p[1]
        r = y - x * x
        return torch.stack((-2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r))

    n = len(params)
    theta = torch.empty((steps + 1, n, 2), dtype=f64)
    grads = torch.empty((steps + 1, n, 2), dtype=f64)
    pairs = list(enumerate(zip(params, optimizers)))
    t0 = time.perf_counter()
    with torch.no_grad():
        for t in range(steps):
            for i, (p, opt) in pairs:
                g = grad(p)
                theta[t, i].copy_(p)
                grads[t, i].copy_(g)
                p.grad = g
                opt.step()
    elapsed = time.perf_counter() - t0
    assert torch.isfinite(theta[steps - 1]).all()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=100_000,
                    help="steps of the target experiment (default 100000, the issue's target)")
    ap.add_argument("--no-throughput", action="store_true", help="skip parts 1 and 2")
    args = ap.parse_args()
    steps = args.steps
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if not args.no_throughput:
        kernel_times()
        print()
        throughput()
        print()
        build_times()
    print()
    print(f"3. Target: {TARGET.name}: 6 optimizers × {steps:,} steps on Rosenbrock, full recording")
    eng = engine_target(steps)
    print(f"   engine (build + run, best of 3)        {eng:8.3f} s   "
          f"({6 * steps / eng:,.0f} optimizer-steps/s; budget for 100,000 steps: 1.5 s)")
    slow = engine_target(steps, compiled=False)
    print(f"   its NumPy path (compiled=False)         {slow:8.3f} s   "
          f"({slow / eng:.1f}× the engine's time)")
    cmd = command_target(steps, csv=False)
    print(f"   python main.py run (subprocess)         {cmd:8.3f} s")
    cmd_csv = command_target(steps, csv=True)
    print(f"   python main.py run --csv (subprocess)   {cmd_csv:8.3f} s")
    print()
    try:
        import torch
    except ImportError:
        print("4. torch is not installed: the torch.optim comparison is skipped")
        return
    torch_t = torch_target(torch, steps)
    print(f"4. torch {torch.__version__} loop, same work ({torch.get_num_threads()} threads)"
          f"        {torch_t:8.3f} s")
    print(f"   torch / engine                          {torch_t / eng:8.1f} ×")
    print(f"   torch / main.py run                     {torch_t / cmd:8.1f} ×   (target ≥ 10×)")
    print(f"   torch / main.py run --csv               {torch_t / cmd_csv:8.1f} ×")


if __name__ == "__main__":
    main()
