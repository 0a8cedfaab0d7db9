"""The command line: ``main.py [FILE.toml]`` (the app), ``main.py run``, ``main.py list``.

``run`` and ``list`` never import Qt. Invalid input exits with status 2 and one line naming
the file, the key and the problem; other failures exit 1.
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from engine.arguments import OneLineParser

COMMANDS = ("run", "list")


def _run_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="main.py run", description="Run an experiment headless and print a "
                "per-run summary.")
    p.add_argument("file", nargs="?", help="experiment file (TOML)")
    p.add_argument("--preset", help="run a built-in lecture preset instead of a file")
    p.add_argument("--csv", metavar="OUT.csv", help="write the trajectories to this CSV")
    p.add_argument("--steps", type=int, help="number of steps (overrides the file's 'steps')")
    return p


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def summary_lines(exp, sim) -> list[str]:
    """The per-run summary table: label, optimizer, status, final loss, a column per metric
    the surface declares (e.g. "final test loss"), final point, distance to the nearest
    minimum."""
    from engine.metrics import metric_table

    surf = sim.surface
    table = metric_table(sim)
    extra = [f"final {name}" for name in table.metric_names]
    rows = [("label", "optimizer", "status", "final loss", *extra, "final point",
             "to nearest min")]
    _, dist = surf.nearest_minimum(sim.current_theta())
    for i, run in enumerate(sim.runs):
        h = sim.history(i)
        status = sim.status_text(i)
        if status == "running":
            status = f"finished {sim.step} steps"
        if len(h.loss):
            x, y = h.theta[-1]
            loss, point = _fmt(h.loss[-1]), f"({_fmt(x)}, {_fmt(y)})"
            d = "" if dist[i] != dist[i] else _fmt(dist[i])
            metrics = ["" if v != v else _fmt(v) for v in table.values[i, 1:]]
        else:
            loss = point = d = "-"
            metrics = ["-"] * len(extra)
        rows.append((run.label, run.optimizer, status, loss, *metrics, point, d))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]


def cmd_run(argv: list[str]) -> int:
    from engine import csvio
    from engine.experiment import ExperimentError, load
    from engine.presets import preset_path

    args = _run_parser().parse_args(argv)
    try:
        if (args.file is None) == (args.preset is None):
            raise ExperimentError("give an experiment file or --preset NAME (one of them)",
                                  "main.py run")
        path = preset_path(args.preset) if args.preset else Path(args.file)
        exp = load(path)
        if args.steps is not None and args.steps < 1:
            raise ExperimentError(f"must be ≥ 1, got {args.steps}", "--steps")
        steps = args.steps if args.steps is not None else exp.steps
        sim = exp.simulation()
    except ExperimentError as exc:
        if not exc.source and args.file is not None:  # e.g. raised while building the runs
            exc = exc.located(str(args.file))
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        sim.run_to(steps)
    except MemoryError:
        print(f"error: not enough memory to record {steps:,} steps of {sim.n} runs "
              "(every step is kept for the CSV); use fewer --steps", file=sys.stderr)
        return 1
    title = exp.title or path.stem
    print(f"{title} — {sim.surface.title or sim.surface.name}, {steps} steps")
    for line in summary_lines(exp, sim):
        print(line)
    if args.csv:
        try:
            csvio.write_csv(args.csv, sim)
        except OSError as exc:
            print(f"error: cannot write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"wrote {args.csv}")
    return 0


def cmd_list(argv: list[str]) -> int:
    from engine.optimizers import OPTIMIZERS
    from engine.presets import preset_names, preset_title
    from engine.schedules import SCHEDULES
    from surfaces import SURFACES

    OneLineParser(prog="main.py list", description="List surfaces, optimizers, schedules and "
            "presets.").parse_args(argv)
    out = ["Surfaces (surface = \"NAME\" or { name = \"NAME\", param = value }):"]
    for name, cls in SURFACES.items():
        params = ", ".join(f"{p.name}={p.default!r}" for p in cls.param_specs)
        out.append(f"  {name:18s} {cls.title}" + (f"  [{params}]" if params else ""))
    out.append("  (or expression = \"...\" in x and y)")
    out.append("")
    out.append("Optimizers (keys and defaults):")
    for name, spec in OPTIMIZERS.items():
        keys = ", ".join(f"{h.name}={h.default!r}" for h in spec.hyperparams)
        out.append(f"  {name:10s} {keys}")
    out.append("")
    out.append("Schedules (schedule = { name = \"NAME\", ... }):")
    for name, kind in SCHEDULES.items():
        keys = ", ".join(f"{p.name}={p.default!r}" for p in kind.params)
        out.append(f"  {name:15s} {kind.formula}" + (f"  [{keys}]" if keys else ""))
    out.append("")
    out.append("Presets (main.py run --preset NAME):")
    for name in preset_names():
        out.append(f"  {name:25s} {preset_title(name)}")
    print("\n".join(out))
    return 0


def cmd_gui(argv: list[str]) -> int:
    p = OneLineParser(prog="main.py", description=textwrap.dedent("""\
        Descent Lab: watch gradient-descent optimizers race on a 2-D loss surface.

        main.py [FILE.toml]     open the app (with that experiment)
        main.py run FILE.toml   run headless (see main.py run --help)
        main.py list            list surfaces, optimizers, schedules and presets"""),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", help="experiment file to open")
    args = p.parse_args(argv)
    from gui.app import run_app

    return run_app(args.file)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    handlers = {"run": cmd_run, "list": cmd_list}
    extra = _extra_commands()
    handlers.update(extra)
    if argv and argv[0] in handlers:
        return handlers[argv[0]](argv[1:])
    return cmd_gui(argv)


def _extra_commands() -> dict:
    """Sub-commands contributed by the analysis tools (``engine.analysis_cli``), the atlas
    (``engine.atlas_cli``) and the animation export (``gui.animate_cli``, which imports Qt
    only when it runs)."""
    commands = {}
    for module in ("engine.analysis_cli", "engine.atlas_cli", "gui.animate_cli"):
        try:
            commands.update(__import__(module, fromlist=["COMMANDS"]).COMMANDS)
        except ImportError:
            pass
    return commands


if __name__ == "__main__":
    sys.exit(main())
