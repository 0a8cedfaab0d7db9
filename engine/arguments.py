"""Argument parsing shared by the command line's sub-commands.

A sub-command that reads one experiment builds its parser with ``experiment_parser`` (the
positional FILE and ``--preset NAME``), adds ``--progress`` with ``add_progress`` where it
reports progress, and finds the file with ``experiment_path``, which refuses anything but
exactly one of FILE and ``--preset`` with the same line for every command.
"""
from __future__ import annotations

import argparse
from pathlib import Path


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line with exit status 2, like every other input
    error of the command line (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message}\n")


def experiment_parser(prog: str, description: str, preset_help: str,
                      file_help: str = "experiment file (TOML)") -> OneLineParser:
    """A parser for ``prog`` whose experiment is the positional FILE or ``--preset NAME``."""
    p = OneLineParser(prog=prog, description=description)
    p.add_argument("file", nargs="?", help=file_help)
    p.add_argument("--preset", help=preset_help)
    return p


def add_progress(parser: argparse.ArgumentParser, lines: str) -> None:
    """``--progress``: the command prints ``lines`` (e.g. "'cells I/N'") on stderr."""
    parser.add_argument("--progress", action="store_true", help=f"print {lines} on stderr")


def experiment_path(args: argparse.Namespace, prog: str) -> Path:
    """The experiment file of ``args.file`` or ``args.preset``. ExperimentError (located at
    ``prog``) unless exactly one is given; for an unknown preset (an empty name too), the
    error of ``engine.presets.preset_path``."""
    from engine.experiment import ExperimentError
    from engine.presets import preset_path

    preset = getattr(args, "preset", None)
    if (args.file is None) == (preset is None):
        raise ExperimentError("give an experiment file or --preset NAME (one of them)", prog)
    return preset_path(preset) if preset is not None else Path(args.file)


def _n(v: int) -> str:
    return f"{v:,}" if abs(v) >= 10_000 else str(v)


def count(low: int, high: int):
    """An argparse ``type`` for a whole number from ``low`` to ``high``, checked while the
    arguments are parsed (before anything is allocated)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip().replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {_n(low)} to {_n(high)}, got {text[:40]!r}") from None
        if not low <= value <= high:
            shown = _n(value) if len(text) < 40 else f"a {len(text.strip())}-digit number"
            raise argparse.ArgumentTypeError(f"must be from {_n(low)} to {_n(high)}, got {shown}")
        return value

    parse.__name__ = "count"
    return parse


def parse_pair(text: str) -> tuple[int, int] | None:
    """'WxH' (also 'W×H', any case) as two whole numbers, e.g. a grid or an image size; None
    when the text is not that (the caller names the option in its message)."""
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        return None
    return w, h
