"""``main.py atlas FILE.toml --run LABEL``: the convergence atlas on the command line.

    main.py atlas FILE.toml --run LABEL [--grid 256x256] [--steps N]
        [--outcome basin|loss|steps|rate]
        [--x-param NAME --x-range A:B[:log] --y-param NAME --y-range A:B[:log]]
        [--csv out.csv] [--png out.png]

Without ``--x-param`` the grid is over start points: the surface's default view, or
``--x-range``/``--y-range`` as coordinates (negative ranges as ``--x-range=-5:5``). A file's
``[atlas]`` table (``run``, ``grid``, ``outcome``, ``x_param``, ``x_range``, ``y_param``,
``y_range``, ``steps``, ``basin_radius``) gives defaults for every option. Plugged into
``engine.cli`` through ``COMMANDS``; Qt is imported only to draw ``--png``. Invalid input exits
with status 2 and one line; a file that cannot be written exits 1.
"""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

from engine.arguments import add_progress, experiment_parser, experiment_path


def _parser():
    from engine.atlas import DEFAULT_SIDE, MAX_CELLS, MAX_SIDE, OUTCOMES

    p = experiment_parser("main.py atlas", (
        "Map one run of an experiment over a grid of start points or of two "
        "hyperparameters; every cell is the run as 'main.py run' would do it from there."),
        preset_help="use a built-in preset instead of a file")
    p.add_argument("--run", metavar="LABEL", help="the run to repeat (default: the file's "
                   "[atlas] run, else the first run)")
    p.add_argument("--grid", metavar="WxH", help=f"cells, each side 2..{MAX_SIDE}, at most "
                   f"{MAX_CELLS:,} in all (default {DEFAULT_SIDE}x{DEFAULT_SIDE})")
    p.add_argument("--steps", type=int, metavar="N", help="steps per cell (default: the "
                   "experiment's)")
    p.add_argument("--outcome", choices=OUTCOMES, help="what the PNG colours by (default "
                   "basin)")
    p.add_argument("--x-param", metavar="NAME", help="hyperparameter on the x axis (e.g. lr)")
    p.add_argument("--x-range", metavar="A:B[:log]", help="x axis range")
    p.add_argument("--y-param", metavar="NAME", help="hyperparameter on the y axis")
    p.add_argument("--y-range", metavar="A:B[:log]", help="y axis range")
    p.add_argument("--basin-radius", type=float, metavar="R", help="distance to a minimum "
                   "that counts as reaching it (default 1e-3 of the view's width)")
    p.add_argument("--tol", type=float, metavar="TOL", help="tolerance |ΔL| < TOL for the "
                   "steps outcome (default: the experiment's)")
    p.add_argument("--csv", metavar="OUT.csv", help="one row per cell, x fastest")
    p.add_argument("--png", metavar="OUT.png", help="the map as an image with a legend or "
                   "colour bar")
    add_progress(p, "'cells I/N'")
    return p


def config_from(args, exp) -> "AtlasConfig":  # noqa: F821
    """The AtlasConfig of the command-line options over the file's ``[atlas]`` table."""
    from engine.atlas import AtlasConfig, AtlasError, Axis, parse_grid, parse_range
    from engine.simulation import Tolerance

    table = dict(getattr(exp, "atlas", None) or {})

    def pick(name, key=None):
        v = getattr(args, name)
        return v if v is not None else table.get(key or name)

    run = pick("run") or exp.runs[0].label
    grid = pick("grid")
    if isinstance(grid, list):
        grid = "x".join(str(v) for v in grid)
    w, h = parse_grid(grid) if grid else (None, None)
    kw = {}
    if w is not None:
        kw.update(width=w, height=h)
    outcome = pick("outcome")
    if outcome:
        kw["outcome"] = outcome
    xp, yp = pick("x_param"), pick("y_param")
    xr, yr = pick("x_range"), pick("y_range")
    for r, option in ((xr, "--x-range"), (yr, "--y-range")):
        if r is not None and not isinstance(r, str):
            raise AtlasError(f"{option}: expected a text A:B[:log], got {r!r}")
    if xp is None and yp is None:
        if (xr is None) != (yr is None):
            raise AtlasError("--x-range and --y-range: give both for a start-point view")
        if xr is not None:
            (a, b, lx), (c, d, ly) = parse_range(xr, "--x-range"), parse_range(yr, "--y-range")
            if lx or ly:
                raise AtlasError("--x-range/--y-range: start coordinates are linear")
            kw["view"] = (a, b, c, d)
    else:
        if not (xp and yp and xr and yr):
            raise AtlasError("--x-param, --x-range, --y-param and --y-range: give all four "
                             "for a hyperparameter atlas")
        a, b, lx = parse_range(xr, "--x-range")
        c, d, ly = parse_range(yr, "--y-range")
        kw["x"], kw["y"] = Axis(xp, a, b, lx), Axis(yp, c, d, ly)
    steps = pick("steps")
    if steps is not None:
        kw["steps"] = steps
    radius = pick("basin_radius")
    if radius is not None:
        kw["basin_radius"] = radius
    if args.tol is not None:
        if not (math.isfinite(args.tol) and args.tol > 0):
            raise AtlasError(f"--tol: must be a number > 0, got {args.tol!r}")
        kw["tolerance"] = Tolerance(loss_change=args.tol)
    return AtlasConfig(run=str(run), **kw)


def summary_lines(result) -> list[str]:
    import numpy as np

    c = result.config
    n = result.done
    st = result.status.ravel()[:n]
    out = [f"atlas of run {c.run!r}: {c.width}x{c.height} cells over "
           f"{result.x_name} ∈ [{c.x.low:g}, {c.x.high:g}]{' (log)' if c.x.log else ''}, "
           f"{result.y_name} ∈ [{c.y.low:g}, {c.y.high:g}]{' (log)' if c.y.log else ''}, "
           f"{result.steps} steps"]
    out.append(f"  converged {int((st == 1).sum()):,}, diverged {int((st == 2).sum()):,}, "
               f"ran to the end {int((st == 0).sum()):,}")
    basins = result.basin.ravel()[:n]
    for k, cp in enumerate(result.critical_points):
        if cp.kind == "minimum":
            out.append(f"  basin {k}: minimum at ({cp.x:.6g}, {cp.y:.6g}), "
                       f"{int((basins == k).sum()):,} cells")
    out.append(f"  in no basin: {int((basins < 0).sum()):,} cells")
    if c.outcome == "rate":
        r = result.rate.ravel()[:n]
        r = r[np.isfinite(r)]
        if len(r):
            out.append(f"  rate: best {r.min():.6g}, median {np.median(r):.6g}")
    return out


def cmd_atlas(argv: list[str]) -> int:
    from engine.atlas import Atlas, AtlasError
    from engine.experiment import ExperimentError, load

    args = _parser().parse_args(argv)
    try:
        path = experiment_path(args, "main.py atlas")
        exp = load(path)
        for out, option in ((args.csv, "--csv"), (args.png, "--png")):
            if out is not None and Path(out).resolve() == path.resolve():
                raise AtlasError(f"{option}: names the experiment file itself; choose another")
        if args.png is not None and not args.png.lower().endswith(".png"):
            raise AtlasError(f"--png: the file must end in .png, got {args.png!r}")
        atlas = Atlas(exp, config_from(args, exp))
    except (ExperimentError, AtlasError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. a memory estimate refused by the engine
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def progress(done, total):
        if args.progress:
            print(f"cells {done}/{total}", file=sys.stderr, flush=True)

    try:
        result = atlas.run(progress)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: not enough memory for this atlas; use a coarser --grid", file=sys.stderr)
        return 1
    print("\n".join(summary_lines(result)))
    try:
        if args.csv:
            result.write_csv(args.csv)
            print(f"wrote {args.csv}")
        if args.png:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
            from gui.atlas_image import write_png

            write_png(result, atlas.surface, args.png, exp.title or "")
            print(f"wrote {args.png}")
    except OSError as exc:
        print(f"error: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


COMMANDS = {"atlas": cmd_atlas}
