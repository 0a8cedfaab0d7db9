"""Experiment files (TOML): reading and writing them. The typed configuration lives in
engine/experiment_model.py and the parsing, with clear messages, in engine/experiment_parse.py;
both are importable from here.

    title = "Adagrad on the canyon"   # optional
    surface = "rosenbrock"            # or a table { name = "quadratic", lambda1 = 1.0 }
                                      # or instead: expression = "x**2 + 10*y**2"
    steps = 2000
    seed = 0                          # optional
    [[runs]]
    label = "GD"                      # optional, unique
    optimizer = "gd"
    lr = 0.001
    start = [-1.5, 2.0]               # optional: the surface's default start
    schedule = { name = "inv_sqrt" }  # optional

Also accepted: top-level ``description`` (text shown with the experiment), ``epochs`` (data
surfaces: every run stops after that many epochs; ``steps`` then defaults to what the slowest
run needs), ``batch_size`` and
``gradient_noise`` (defaults for every run, which may override them; ``gradient_noise`` may
also stand in the surface table), ``tolerance`` (a number:
stop when |ΔL| falls below it, the lecture's rule; or a table ``{ loss_change = ..., grad_norm =
... }``); per run ``batch_size``, ``gradient_noise``, ``color`` ("#rrggbb") and ``enabled``;
``[[notes]]`` tables (``step``, ``text``, optional ``at`` and ``pause``: see engine/notes.py).
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from engine import limits
from engine.experiment_model import (DEFAULT_STEPS, Experiment, ExperimentError,  # noqa: F401
                                     RunConfig, SurfaceConfig, epoch_steps)
from engine.experiment_parse import (check_memory, parse_atlas_table,  # noqa: F401
                                     parse_experiment, parse_run, parse_surface)


def loads(text: str, source: str = "<text>") -> Experiment:
    from engine.inputs import check_document

    if len(text) > limits.MAX_FILE_BYTES:
        raise ExperimentError(f"too large ({len(text):,} characters; at most "
                              f"{limits.MAX_FILE_BYTES:,})", "", source)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"not valid TOML: {exc}", "", source) from None
    except RecursionError:
        raise ExperimentError(f"not valid TOML: arrays or tables nested too deeply (at most "
                              f"{limits.MAX_NESTING})", "", source) from None
    except (ValueError, MemoryError) as exc:  # e.g. an integer with over 4300 digits
        raise ExperimentError(f"not valid TOML: {str(exc).splitlines()[0][:200]}", "",
                              source) from None
    try:
        check_document(doc)
    except ValueError as exc:
        raise ExperimentError(str(exc), "", source) from None
    try:
        return parse_experiment(doc)
    except ExperimentError as exc:
        raise exc.located(source) from None
    except (RecursionError, OverflowError, MemoryError) as exc:  # defensive: limits above
        raise ExperimentError(f"cannot use it ({type(exc).__name__})", "", source) from None


def load(path: str | Path) -> Experiment:
    """Read and validate an experiment file: only a regular file of at most
    ``limits.MAX_FILE_BYTES`` bytes is read."""
    from engine.inputs import InputFileError, read_text

    path = Path(path)
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise ExperimentError("no such file", "", str(path)) from None
    except InputFileError as exc:
        raise ExperimentError(f"cannot read it ({exc})", "", str(path)) from None
    except OSError as exc:
        raise ExperimentError(f"cannot read it ({exc.strerror or exc})", "", str(path)) from None
    return loads(text, str(path))


def save(exp: Experiment, path: str | Path) -> None:
    """Write ``exp`` as TOML, atomically."""
    from engine.atomic import atomic_write_text

    atomic_write_text(path, exp.to_toml())
