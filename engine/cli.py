"""The command line: ``main.py [FILE.toml]`` (the app), ``main.py run``, ``main.py list``
(and ``analyze``, ``sweep`` from ``engine.analysis_cli``).

The headless commands never import Qt. Invalid input exits with status 2 and one line naming
the file, the key and the problem; other failures exit 1. Ctrl+C exits 2 with the line
"interrupted"; output piped into a program that stops reading (``| head``) ends quietly.
Everything the headless commands print is escaped (``engine.safe_text``): a shared file cannot
send control characters to the terminal.
"""
from __future__ import annotations

import argparse
import re
import sys
import textwrap

from engine import limits
from engine.arguments import OneLineParser, count, experiment_parser, experiment_path

COMMANDS = ("run", "list")


def _run_parser() -> argparse.ArgumentParser:
    p = experiment_parser("main.py run", "Run an experiment headless and print a per-run "
                          "summary.", preset_help="run a built-in lecture preset instead of a file")
    p.add_argument("--csv", metavar="OUT.csv", help="write the trajectories to this CSV")
    p.add_argument("--steps", type=count(1, limits.MAX_STEPS),
                   help=f"number of steps, 1 to {limits.MAX_STEPS:,} (overrides the file's "
                   "'steps')")
    return p


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def summary_lines(exp, sim) -> list[str]:
    """The per-run summary table: label, optimizer, status, final loss, a column per metric
    the surface declares (e.g. "final test loss"), final point, distance to the nearest
    minimum."""
    from engine.metrics import metric_table
    from engine.safe_text import escape

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
        rows.append((escape(run.label), run.optimizer, status, loss, *metrics, point, d))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]


def cmd_run(argv: list[str]) -> int:
    from engine import csvio
    from engine.experiment import ExperimentError, load

    args = _run_parser().parse_args(argv)
    try:
        path = experiment_path(args, "main.py run")
        if args.csv:
            refuse_overwriting_input(args.csv, [path], "--csv")
        exp = load(path)
        steps = args.steps if args.steps is not None else exp.steps
        check_memory(sum(r.enabled for r in exp.runs), steps,
                     "--steps" if args.steps is not None else "steps")
        sim = exp.simulation()
    except ExperimentError as exc:
        if not exc.source and args.file is not None:  # e.g. raised while building the runs
            exc = exc.located(str(args.file))
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        sim.run_to(steps)
    except ValueError as exc:  # engine.limits: the memory it would need
        print(f"error: {exc}", file=sys.stderr)
        return 2
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


def refuse_overwriting_input(output: str, inputs, option: str) -> None:
    """ExperimentError when the output file ``output`` is one of the ``inputs`` (the same
    file, also through a link)."""
    from engine.atomic import same_file
    from engine.experiment import ExperimentError

    if any(same_file(output, inp) for inp in inputs):
        raise ExperimentError(f"'{output}' is the input file; writing it would overwrite "
                              "the experiment: choose another name", option, "main.py")


def check_memory(n_runs: int, steps: int, option: str) -> None:
    from engine.experiment import check_memory as check

    check(n_runs, steps, option)


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


def _command_usages() -> str:
    """Each sub-command's usage line (its options), for ``main.py --help``."""
    parsers = [_run_parser()]
    try:
        from engine import analysis_cli
        parsers += [analysis_cli._analyze_parser(), analysis_cli._sweep_parser()]
        from engine import atlas_cli
        from gui import animate_cli  # its parser imports no Qt
        parsers += [atlas_cli._parser(), animate_cli._parser()]
    except (ImportError, AttributeError):
        pass
    out = []
    for p in parsers:
        usage = " ".join(p.format_usage().split()).removeprefix("usage: ")
        usage = re.sub(r"\[[^\]]*\]", lambda m: m.group(0).replace(" ", "\0"), usage)
        out.append(textwrap.fill(usage, 90, initial_indent="  ", subsequent_indent="      ",
                                 break_on_hyphens=False).replace("\0", " "))
    return "\n".join(out)


def _gui_description() -> str:
    """``main.py --help``: every command with its options (their parsers are built, and
    what they import loaded, only for the help)."""
    return textwrap.dedent("""\
        Descent Lab: watch gradient-descent optimizers race on a 2-D loss surface.

        main.py [FILE.toml]        open the app (with that experiment)
        main.py run FILE.toml      run headless, print a summary, --csv the trajectories
        main.py list               list surfaces, optimizers, schedules and presets
        main.py analyze FILE.toml  critical points of the surface, step-size theory
        main.py sweep FILE.toml    learning-rate sweep of one optimizer
        main.py atlas FILE.toml    convergence atlas: a grid of starts or hyperparameters
        main.py animate FILE.toml  the race as a GIF or MP4 animation, for slides

        Options of each command (details: main.py COMMAND --help):
        """) + _command_usages() + "\n\n" + textwrap.fill(
            f"Limits: steps ≤ {limits.MAX_STEPS:,}, epochs ≤ {limits.MAX_EPOCHS:,}, runs ≤ "
            f"{limits.MAX_RUNS:,}, files ≤ {limits.MAX_FILE_BYTES:,} bytes; a run that would "
            "not fit in memory is refused (README, 'Limits'). Invalid input exits with status 2 "
            "and one line; Ctrl+C exits 2 with 'interrupted'.", 90)


class _GuiParser(OneLineParser):
    """The app's parser: its description is made when the help is printed, so opening the
    app does not wait for it."""

    def format_help(self) -> str:
        self.description = _gui_description()
        return super().format_help()


def cmd_gui(argv: list[str]) -> int:
    p = _GuiParser(prog="main.py", formatter_class=argparse.RawDescriptionHelpFormatter)
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
        return headless(handlers[argv[0]], argv[1:])
    return cmd_gui(argv)


class _EscapingWriter:
    """A text stream wrapper that prints control characters of what it is given as escapes
    (newlines stay newlines)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from engine.safe_text import escape

        self._stream.write("\n".join(escape(part) for part in text.split("\n")))
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def headless(handler, argv: list[str]) -> int:
    """Run a headless command: its output escaped, Ctrl+C as one line with status 2, a closed
    pipe on standard output without a traceback."""
    import os

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _EscapingWriter(out), _EscapingWriter(err)
    try:
        try:
            status = handler(argv)
            sys.stdout.flush()
            return status
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 2
        except BrokenPipeError:
            # the reader stopped (``| head``): nothing more to say, and nowhere to say it
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), out.fileno())
            return 0
    finally:
        sys.stdout, sys.stderr = out, err


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
