"""Headless analysis commands: ``main.py analyze FILE.toml`` and ``main.py sweep FILE.toml``.

Plugged into ``engine.cli`` through ``COMMANDS``; no Qt. As with ``main.py run``, invalid input
exits with status 2 and one line naming the file or option, the key and the problem; a file
that cannot be written exits 1.
"""
from __future__ import annotations

import math
import sys

from engine import limits
from engine.arguments import count, experiment_parser, experiment_path


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _load(args, prog: str):
    """(experiment, its path or preset name as text) from ``file``/``--preset``."""
    from engine.experiment import load

    path = experiment_path(args, prog)
    return load(path), path


def _point(text: str, option: str) -> tuple[float, float]:
    from engine.experiment import ExperimentError

    parts = text.replace(" ", "").split(",")
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        raise ExperimentError(f"must be a point X,Y like -1.5,2, got {text!r}", option) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ExperimentError(f"must be finite numbers, got {text!r}", option)
    if max(abs(x), abs(y)) > limits.MAX_COORDINATE:
        raise ExperimentError(f"coordinates must be at most {limits.MAX_COORDINATE:g} in "
                              f"absolute value, got {text!r}", option)
    return x, y


# ------------------------------------------------------------------------------ analyze
def _analyze_parser():
    p = experiment_parser("main.py analyze", "Print the critical points of an experiment's "
                          "surface in its view (Newton from a grid of seeds, classified by the "
                          "Hessian eigenvalues) and the step-size theory for its "
                          "gradient-descent runs.",
                          preset_help="analyze a built-in lecture preset instead of a file")
    p.add_argument("--point", metavar="X,Y", help="also analyze this point (e.g. "
                   "--point=-1,0.5): gradient, Hessian eigenvalues and eigenvectors, escape "
                   "direction")
    p.add_argument("--seeds", type=int, default=None, help="Newton seeds per axis: SEEDS² "
                   "starting points (2..100; default 40, 10 on mlp-plane, whose every "
                   "evaluation runs a network on its data)")
    return p


def analysis_lines(exp, surface, point=None, seeds: int | None = None) -> list[str]:
    """The report ``main.py analyze`` prints (a list of lines)."""
    from engine.analysis import (MAX_TABLE_ROWS, analyze_point, critical_point_table,
                                 find_critical_points, theory_for_surface)
    from engine.run_theory import theory_for_run

    x0, x1, y0, y1 = surface.view
    out = [f"{exp.title or surface.title or surface.name}: critical points in the view "
           f"x ∈ [{_fmt(x0)}, {_fmt(x1)}], y ∈ [{_fmt(y0)}, {_fmt(y1)}]"]
    cps = find_critical_points(surface, seeds_per_axis=seeds)
    if cps:
        out += critical_point_table(cps)
        for c in cps[:MAX_TABLE_ROWS]:
            if c.degenerate:
                out.append(f"  ({_fmt(c.x)}, {_fmt(c.y)}): {c.note}")
    else:
        out.append("  none found in the view")
    theory, where, note = theory_for_surface(surface, cps)
    if theory is not None:
        out.append("")
        out.append(f"Step-size theory ({where}):")
        out += ["  " + line for line in theory.summary_lines()]
    elif note:
        out.append("")
        out.append(f"Step-size theory: {note}")
    gd = [r for r in exp.runs if r.optimizer == "gd"]
    if gd and (theory is not None or note):
        out.append("  GD runs:" if where == "the quadratic" else
                   "  GD runs, each at the minimum that a descent from its start reaches:")
    for r in gd:
        t, w, why = theory_for_run(surface, r.start, cps)
        if t is None:
            out.append(f"  {r.label}: {why}")
            continue
        line = t.summary_lines({r.label: float(r.hyper["lr"])})[-1]
        out.append(f"  {line}" + ("" if w == where else f"; based on {w}"))
    if point is not None:
        a = analyze_point(surface, point)
        out.append("")
        out.append(f"At ({_fmt(a.point[0])}, {_fmt(a.point[1])}): L = {_fmt(a.loss)}, "
                   f"∇L = ({_fmt(a.grad[0])}, {_fmt(a.grad[1])}), "
                   f"‖∇L‖ = {_fmt(a.grad_norm)}")
        for i in range(2):
            v = a.eigenvectors[:, i]
            out.append(f"  λ{i + 1} = {_fmt(a.eigenvalues[i])}, eigenvector "
                       f"({_fmt(v[0])}, {_fmt(v[1])})")
        if a.escape_direction is not None:
            e = a.escape_direction
            out.append(f"  escape direction (negative curvature): ({_fmt(e[0])}, {_fmt(e[1])})")
    return out


def cmd_analyze(argv: list[str]) -> int:
    from engine.critical_points import MAX_SEEDS_PER_AXIS, MIN_SEEDS_PER_AXIS
    from engine.experiment import ExperimentError

    args = _analyze_parser().parse_args(argv)
    try:
        exp, _ = _load(args, "main.py analyze")
        if args.seeds is not None and not MIN_SEEDS_PER_AXIS <= args.seeds <= MAX_SEEDS_PER_AXIS:
            raise ExperimentError(f"must be from {MIN_SEEDS_PER_AXIS} to "
                                  f"{MAX_SEEDS_PER_AXIS}, got {args.seeds}", "--seeds")
        point = _point(args.point, "--point") if args.point else None
        surface = exp.surface.build()
    except ExperimentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(analysis_lines(exp, surface, point, args.seeds)))
    return 0


# ------------------------------------------------------------------------------ sweep
def _sweep_parser():
    p = experiment_parser("main.py sweep", "Learning-rate sweep: run one optimizer at COUNT "
                          "log-spaced learning rates together, on the experiment's surface, and "
                          "report final loss, steps to tolerance and divergence per rate.",
                          preset_help="use a built-in lecture preset instead of a file",
                          file_help="experiment file (TOML): surface, steps, seed")
    p.add_argument("--optimizer", help="optimizer to sweep (default: the file's first run's)")
    p.add_argument("--lr", required=True, metavar="LOW:HIGH",
                   help="learning-rate range, e.g. 1e-5:1 (Rprop: its initial step)")
    from engine.sweep import MAX_COUNT

    p.add_argument("--count", type=count(1, MAX_COUNT), default=100,
                   help=f"number of rates (1..{MAX_COUNT:,}; the runs keep per-run summaries "
                        "only)")
    p.add_argument("--steps", type=count(1, limits.MAX_STEPS),
                   help=f"steps per run, 1 to {limits.MAX_STEPS:,} (default: the file's "
                   "'steps'); runs × steps must also fit in memory")
    p.add_argument("--start", metavar="X,Y", help="start point, e.g. --start=-1.5,2 "
                   "(default: the file's first run with this optimizer, else the surface's "
                   "default start)")
    p.add_argument("--tol", type=float, default=None, help="tolerance for steps-to-tolerance: "
                   "|L − L*| < TOL with L* the lowest known minimum (default 1e-6)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="another hyperparameter, e.g. --set beta1=0.8 (repeatable)")
    p.add_argument("--csv", metavar="OUT.csv", help="write one row per rate to this CSV")
    p.add_argument("--table", action="store_true", help="print every rate (default: only when "
                   "COUNT ≤ 50)")
    return p


def _range(text: str) -> tuple[float, float]:
    from engine.experiment import ExperimentError

    parts = text.split(":")
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise ExperimentError(f"must be LOW:HIGH like 1e-5:1, got {text!r}", "--lr") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or hi <= 0:
        raise ExperimentError(f"both ends must be finite numbers > 0, got {text!r}", "--lr")
    if lo > hi:
        raise ExperimentError(f"the low end {lo:g} is above the high end {hi:g}", "--lr")
    return lo, hi


def _setting(text: str) -> tuple[str, object]:
    import tomllib

    from engine.experiment import ExperimentError

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ExperimentError(f"must be KEY=VALUE like beta1=0.8, got {text!r}", "--set")
    from engine.inputs import check_document

    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()  # a bare word such as init=zero
    except (RecursionError, ValueError, MemoryError):
        raise ExperimentError(f"cannot read the value of {key.strip()!r}", "--set") from None
    try:
        check_document({key.strip(): parsed})
    except ValueError as exc:
        raise ExperimentError(str(exc), "--set") from None
    return key.strip(), parsed


def sweep_config_from_args(exp, surface, args):
    """The SweepConfig for parsed ``main.py sweep`` arguments; raises ExperimentError."""
    from engine.experiment import ExperimentError
    from engine.optimizers import OPTIMIZERS, optimizer_spec
    from engine.schedules import CONSTANT
    from engine.sweep import DEFAULT_TOL, MAX_COUNT, SweepConfig

    optimizer = args.optimizer or exp.runs[0].optimizer
    try:
        optimizer_spec(optimizer)
    except KeyError as exc:
        raise ExperimentError(str(exc.args[0]), "--optimizer") from None
    lo, hi = _range(args.lr)
    if not 1 <= args.count <= MAX_COUNT:
        raise ExperimentError(f"must be from 1 to {MAX_COUNT}, got {args.count}", "--count")
    if args.steps is not None and args.steps < 1:
        raise ExperimentError(f"must be ≥ 1, got {args.steps}", "--steps")
    if args.tol is not None and not (math.isfinite(args.tol) and args.tol > 0):
        raise ExperimentError(f"must be a finite number > 0, got {args.tol}", "--tol")
    same = [r for r in exp.runs if r.optimizer == optimizer]
    hyper = dict(same[0].hyper) if same else OPTIMIZERS[optimizer].defaults()
    names = [h.name for h in OPTIMIZERS[optimizer].hyperparams]
    for text in args.set:
        key, value = _setting(text)
        if key not in names:
            raise ExperimentError(f"'{key}' is not a hyperparameter of {optimizer}; it takes: "
                                  f"{', '.join(names)}", "--set")
        hyper[key] = value
    start = _point(args.start, "--start") if args.start else (
        same[0].start if same and same[0].start is not None else None)
    cfg = SweepConfig(optimizer, hyper, lo, hi, args.count,
                      args.steps if args.steps is not None else exp.steps, start,
                      DEFAULT_TOL if args.tol is None else args.tol,
                      schedule=same[0].schedule if same else CONSTANT,
                      gradient_noise=exp.gradient_noise, seed=exp.seed)
    try:  # the work a sweep may ask for, before its other checks
        limits.check_run_steps(cfg.count, cfg.steps, "rates")
    except ValueError as exc:
        raise ExperimentError(str(exc), "--count × --steps") from None
    try:
        cfg.validate()
    except ValueError as exc:
        raise ExperimentError(str(exc), "--set") from None
    try:  # every rate keeps a summary only (the sweep runs record-free)
        limits.check_record_memory(cfg.count, cfg.steps, recorded=False)  # summaries only
    except ValueError as exc:
        raise ExperimentError(str(exc), "--steps" if args.steps is not None else "steps") \
            from None
    return cfg


def sweep_lines(result, config, table: bool) -> list[str]:
    """The report ``main.py sweep`` prints."""
    from engine.sweep import rate_key

    key = rate_key(config.optimizer)
    n = len(result.lr)
    div = int(result.diverged.sum())
    reached = int((result.steps_to_tol >= 0).sum())
    star = ("L < tol" if not math.isfinite(result.loss_star)
            else f"|L − {_fmt(result.loss_star)}| < tol")
    out = [f"{config.optimizer}: {n} values of {key} from {_fmt(config.lr_low)} to "
           f"{_fmt(config.lr_high)}, {result.steps_done} steps"
           + (" (cancelled)" if result.cancelled else ""),
           f"diverged: {div} of {n}; reached the tolerance ({star}, tol = "
           f"{_fmt(result.tol)}): {reached} of {n}"]
    b, f = result.best(), result.fastest()
    if b is not None:
        out.append(f"lowest final loss {_fmt(result.final_loss[b])} at {key} = "
                   f"{_fmt(result.lr[b])}")
    if f is not None:
        out.append(f"fewest steps to tolerance {int(result.steps_to_tol[f])} at {key} = "
                   f"{_fmt(result.lr[f])}")
    ok = ~result.diverged
    if div and ok.any():
        out.append(f"largest {key} that did not diverge: {_fmt(result.lr[ok].max())}")
    if table:
        rows = [(key, "final loss", "steps to tol", "status", "final point")]
        for i in range(n):
            st = result.status[i] + (f" at {result.status_step[i]}"
                                     if result.status_step[i] >= 0 else "")
            rows.append((_fmt(result.lr[i]), _fmt(result.final_loss[i]),
                         str(result.steps_to_tol[i]) if result.steps_to_tol[i] >= 0 else "-",
                         st, f"({_fmt(result.final_theta[i, 0])}, "
                             f"{_fmt(result.final_theta[i, 1])})"))
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return out


def cmd_sweep(argv: list[str]) -> int:
    from engine.experiment import ExperimentError
    from engine.sweep import Sweep

    from engine.cli import refuse_overwriting_input

    args = _sweep_parser().parse_args(argv)
    try:
        exp, path = _load(args, "main.py sweep")
        if args.csv:
            refuse_overwriting_input(args.csv, [path], "--csv")
        surface = exp.surface.build()
        config = sweep_config_from_args(exp, surface, args)
        sweep = Sweep(surface, config, tolerance=exp.tolerance)
    except (ExperimentError, ValueError) as exc:  # ValueError: the memory it would need
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = sweep.run()
    print("\n".join(sweep_lines(result, config, args.table or len(result.lr) <= 50)))
    if args.csv:
        try:
            result.write_csv(args.csv)
        except OSError as exc:
            print(f"error: cannot write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"wrote {args.csv}")
    return 0


COMMANDS = {"analyze": cmd_analyze, "sweep": cmd_sweep}
