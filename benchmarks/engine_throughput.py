"""Engine speed: optimizer-steps per second, and the headless target against a torch.optim loop.

Run on demand (not part of the test suite):

    python benchmarks/engine_throughput.py            # full target: 6 × 100,000 steps
    python benchmarks/engine_throughput.py --steps 20000   # a quicker, smaller target

It prints
1. throughput: optimizer-steps per second (runs × steps / wall time) with full recording, for
   6, 60 and 600 runs, a mix of the six first-order optimizers (gd, momentum, nesterov,
   adagrad, rmsprop, adam) on Rosenbrock; fewer steps for more runs to bound memory (every
   step records 11 floats per run);
2. the target, benchmarks/rosenbrock6.toml (the six optimizers × 100,000 steps on Rosenbrock):
   the engine's time (building the simulation and running it, best of 3; the issue's budget
   is 1.5 s on a 2-core machine);
3. when torch is importable: the same work as a torch.optim loop (one float64 parameter tensor
   per optimizer, the analytic Rosenbrock gradient written with torch operations and set as
   ``.grad`` by hand, no autograd; θ and g of every step copied into preallocated tensors,
   the loss is not recorded, which favours torch), and the ratios torch time / engine time
   and torch time / ``python main.py run rosenbrock6.toml`` (a whole subprocess, imports
   included; best of 3), plus the same command with ``--csv`` for information.

Every ratio is between figures measured in this run. The torch optimizers do not all compute
exactly our formulas (see docs/optimizers.md: Nesterov's form, classic Adagrad, RMSProp's v₀),
but each does the same amount of work per step.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.experiment import load  # noqa: E402
from engine.simulation import RunSpec, Simulation  # noqa: E402
from surfaces import make_surface  # noqa: E402

TARGET = ROOT / "benchmarks" / "rosenbrock6.toml"


def best_of(repeats: int, fn) -> float:
    """Smallest wall time of ``repeats`` calls of ``fn`` (seconds)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def mixed_runs(n: int) -> list[RunSpec]:
    """``n`` runs cycling through the target's six optimizers, starts spread a little."""
    exp = load(TARGET)
    base = exp.run_specs()
    out = []
    for i in range(n):
        r = base[i % len(base)]
        dx = 0.01 * (i // len(base))
        out.append(RunSpec(f"{r.label} {i}", r.optimizer, dict(r.hyper),
                           (r.start[0] + dx, r.start[1] - dx), r.schedule))
    return out


def throughput() -> None:
    surface = make_surface("rosenbrock", {})
    print("1. Throughput (full recording, Rosenbrock, mix of the 6 first-order optimizers)")
    print(f"   {'runs':>5} {'steps':>7} {'time s':>8} {'optimizer-steps/s':>18}")
    for n, steps in ((6, 20000), (60, 5000), (600, 1000)):
        runs = mixed_runs(n)

        def go():
            sim = Simulation(surface, runs)
            sim.run_to(steps)
            assert all(s == "running" for s in sim.status), sim.status

        t = best_of(3, go)
        print(f"   {n:>5} {steps:>7} {t:>8.3f} {n * steps / t:>18,.0f}")


def engine_target(steps: int) -> float:
    exp = load(TARGET)

    def go():
        sim = exp.simulation()
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
    ap.add_argument("--no-throughput", action="store_true", help="skip part 1")
    args = ap.parse_args()
    steps = args.steps
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if not args.no_throughput:
        throughput()
    print()
    print(f"2. Target: {TARGET.name}: 6 optimizers × {steps:,} steps on Rosenbrock, full recording")
    eng = engine_target(steps)
    print(f"   engine (build + run, best of 3)        {eng:8.3f} s   "
          f"({6 * steps / eng:,.0f} optimizer-steps/s; budget for 100,000 steps: 1.5 s)")
    cmd = command_target(steps, csv=False)
    print(f"   python main.py run (subprocess)         {cmd:8.3f} s")
    cmd_csv = command_target(steps, csv=True)
    print(f"   python main.py run --csv (subprocess)   {cmd_csv:8.3f} s")
    print()
    try:
        import torch
    except ImportError:
        print("3. torch is not installed: the torch.optim comparison is skipped")
        return
    torch_t = torch_target(torch, steps)
    print(f"3. torch {torch.__version__} loop, same work ({torch.get_num_threads()} threads)"
          f"        {torch_t:8.3f} s")
    print(f"   torch / engine                          {torch_t / eng:8.1f} ×")
    print(f"   torch / main.py run                     {torch_t / cmd:8.1f} ×   (target ≥ 10×)")
    print(f"   torch / main.py run --csv               {torch_t / cmd_csv:8.1f} ×")


if __name__ == "__main__":
    main()
