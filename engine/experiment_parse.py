"""Parsing an experiment file's TOML document into the typed configuration
(engine/experiment_model.py), with a one-line ``ExperimentError`` naming the key and the
problem for anything invalid."""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

from engine import limits
from engine.experiment_model import (ATLAS_KEYS, DEFAULT_STEPS, RUN_KEYS, TOP_KEYS, Experiment,
                                     ExperimentError, RunConfig, SurfaceConfig, epoch_steps)
from engine.names import did_you_mean
from engine.notes import NoteError, parse_notes
from engine.optimizers import OPTIMIZERS, optimizer_spec
from engine.schedules import CONSTANT, make_schedule
from engine.simulation import Tolerance

def _number(value: Any, key: str, *, positive=False, nonneg=False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExperimentError(f"must be a number, got {value!r}", key)
    v = float(value)
    if not math.isfinite(v):
        raise ExperimentError(f"must be a finite number, got {value!r}", key)
    if positive and v <= 0:
        raise ExperimentError(f"must be > 0, got {value!r}", key)
    if nonneg and v < 0:
        raise ExperimentError(f"must be ≥ 0, got {value!r}", key)
    return v


def _int(value: Any, key: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and (not math.isfinite(value) or value != int(value))):
        raise ExperimentError(f"must be a whole number, got {value!r}", key)
    if int(value) < low:
        raise ExperimentError(f"must be ≥ {low}, got {value!r}", key)
    if high is not None and int(value) > high:
        raise ExperimentError(f"must be at most {high:,}, got {int(value):,}", key)
    return int(value)


def parse_surface(doc: Mapping[str, Any]) -> SurfaceConfig:
    has_expr, has_surf = "expression" in doc, "surface" in doc
    if has_expr and has_surf:
        raise ExperimentError("give either 'surface' or 'expression', not both", "expression")
    if has_expr:
        expr = doc["expression"]
        if not isinstance(expr, str) or not expr.strip():
            raise ExperimentError("must be a non-empty string like \"x**2 + 10*y**2\"",
                                  "expression")
        return SurfaceConfig(name="expression", expression=expr)
    spec = doc.get("surface", "rosenbrock")
    if isinstance(spec, str):
        cfg = SurfaceConfig(spec, {})
    elif isinstance(spec, Mapping):
        spec = dict(spec)
        spec.pop("gradient_noise", None)  # allowed here too: the experiment's default noise
        name = spec.pop("name", None)
        if not isinstance(name, str):
            raise ExperimentError("the table needs a 'name', e.g. { name = \"quadratic\" }",
                                  "surface")
        cfg = SurfaceConfig(name, spec)
    else:
        raise ExperimentError(f"must be a surface name or a table, got {spec!r}", "surface")
    cfg.build()  # validates name and parameters
    return cfg


def parse_run(entry: Any, index: int, labels: set[str]) -> RunConfig:
    where = f"runs[{index}]"
    if not isinstance(entry, Mapping):
        raise ExperimentError("each [[runs]] entry must be a table", where)
    entry = dict(entry)
    opt = entry.pop("optimizer", None)
    if opt is None:
        raise ExperimentError("needs an 'optimizer' (one of: " + ", ".join(OPTIMIZERS) + ")",
                              f"{where}.optimizer")
    try:
        spec = optimizer_spec(opt)
    except KeyError as exc:
        raise ExperimentError(str(exc.args[0]), f"{where}.optimizer") from None
    label = entry.pop("label", None)
    if label is not None:
        if not isinstance(label, str) or not label.strip():
            raise ExperimentError("must be a non-empty string", f"{where}.label")
        if label in labels:
            raise ExperimentError(f"'{label}' is used by another run; labels must be unique",
                                  f"{where}.label")
    else:
        label, k = spec.name, 2
        while label in labels:
            label, k = f"{spec.name} {k}", k + 1
    labels.add(label)
    start = entry.pop("start", None)
    if start is not None:
        if (not isinstance(start, (list, tuple)) or len(start) != 2):
            raise ExperimentError(f"must be a point [x, y], got {start!r}", f"{where}.start")
        start = (_number(start[0], f"{where}.start"), _number(start[1], f"{where}.start"))
        if max(abs(start[0]), abs(start[1])) > limits.MAX_COORDINATE:
            raise ExperimentError(f"coordinates must be at most {limits.MAX_COORDINATE:g} in "
                                  f"absolute value, got {list(start)!r}", f"{where}.start")
    try:
        schedule = make_schedule(entry.pop("schedule", None))
    except (KeyError, ValueError) as exc:
        raise ExperimentError(str(exc.args[0]), f"{where}.schedule") from None
    if not spec.has_lr and schedule != CONSTANT:
        raise ExperimentError(f"{opt} has no learning rate, so a schedule would have no effect; "
                              "remove it", f"{where}.schedule")
    batch = entry.pop("batch_size", None)
    if batch is not None:
        batch = _int(batch, f"{where}.batch_size", 1, limits.MAX_BATCH_SIZE)
    noise = entry.pop("gradient_noise", None)
    if noise is not None:
        noise = _number(noise, f"{where}.gradient_noise", nonneg=True)
    color = entry.pop("color", None)
    if color is not None and (not isinstance(color, str)
                              or not re.fullmatch(r"#[0-9a-fA-F]{6}", color)):
        raise ExperimentError(f"must be a colour like \"#1f77b4\", got {color!r}",
                              f"{where}.color")
    enabled = entry.pop("enabled", True)
    if not isinstance(enabled, bool):
        raise ExperimentError(f"must be true or false, got {enabled!r}", f"{where}.enabled")
    names = [h.name for h in spec.hyperparams]
    for key in entry:
        if key not in names:
            raise ExperimentError(
                f"unknown key{did_you_mean(key, names + list(RUN_KEYS))}; {opt} takes: "
                f"{', '.join(names + list(RUN_KEYS))}", f"{where}.{key}")
    hyper = spec.defaults()
    for key, value in entry.items():  # every key is a hyperparameter of ``spec`` (checked above)
        try:
            hyper[key] = spec.param(key).validate(value)
        except ValueError as exc:
            raise ExperimentError(str(exc), f"{where}.{key}") from None
    return RunConfig(label, opt, hyper, start, schedule, batch, noise, color, enabled)


def parse_experiment(doc: Mapping[str, Any]) -> Experiment:
    """Validate a parsed TOML document. Raises ExperimentError (without the file name)."""
    for key in doc:
        if key not in TOP_KEYS:
            raise ExperimentError(f"unknown key{did_you_mean(key, TOP_KEYS)}; an experiment takes: "
                                  f"{', '.join(TOP_KEYS)}", key)
    title = doc.get("title", "")
    if not isinstance(title, str):
        raise ExperimentError("must be a string", "title")
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise ExperimentError("must be a string", "description")
    surface = parse_surface(doc)
    steps = _int(doc.get("steps", DEFAULT_STEPS), "steps", 1, limits.MAX_STEPS)
    seed = _int(doc.get("seed", 0), "seed", 0, limits.MAX_SEED)
    batch = doc.get("batch_size")
    if batch is not None:
        batch = _int(batch, "batch_size", 1, limits.MAX_BATCH_SIZE)
    surf_table = doc.get("surface") if isinstance(doc.get("surface"), Mapping) else {}
    if "gradient_noise" in doc:
        noise = _number(doc["gradient_noise"], "gradient_noise", nonneg=True)
    else:  # `surface = { name = "saddle", gradient_noise = 0.1 }` sets the same default
        noise = _number(surf_table.get("gradient_noise", 0.0), "surface.gradient_noise",
                        nonneg=True)
    tol = doc.get("tolerance")
    if tol is None:
        tolerance = Tolerance()
    elif isinstance(tol, Mapping):
        for key in tol:
            if key not in ("loss_change", "grad_norm"):
                raise ExperimentError(f"unknown key{did_you_mean(key, ('loss_change', 'grad_norm'))}; "
                                      "takes loss_change, grad_norm", f"tolerance.{key}")
        tolerance = Tolerance(
            *(None if tol.get(k) is None else _number(tol[k], f"tolerance.{k}", positive=True)
              for k in ("loss_change", "grad_norm")))
    else:
        tolerance = Tolerance(loss_change=_number(tol, "tolerance", positive=True))
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs:
        raise ExperimentError("needs at least one [[runs]] table with an optimizer", "runs")
    if len(runs) > limits.MAX_RUNS:
        raise ExperimentError(f"at most {limits.MAX_RUNS:,} runs, got {len(runs):,}", "runs")
    labels: set[str] = set()
    parsed = tuple(parse_run(r, i + 1, labels) for i, r in enumerate(runs))
    epochs = doc.get("epochs")
    if epochs is not None:
        epochs = _int(epochs, "epochs", 1, limits.MAX_EPOCHS)
    surf = surface.build()
    if batch is not None or any(r.batch_size is not None for r in parsed):
        if not getattr(surf, "n_examples", 0):
            raise ExperimentError(f"needs a data-defined surface (like linear-regression); "
                                  f"'{surface.name}' is analytic: use gradient_noise instead",
                                  "batch_size")
    if epochs is not None:
        if not getattr(surf, "n_examples", 0):
            raise ExperimentError(f"needs a data-defined surface (like linear-regression); "
                                  f"'{surface.name}' is analytic: use steps instead", "epochs")
        if "steps" not in doc:  # enough for the slowest run
            steps = max(epoch_steps(surf, r.batch_size if r.batch_size is not None else batch,
                                    epochs) for r in parsed)
            if steps > limits.MAX_STEPS:
                raise ExperimentError(f"{epochs:,} epochs take {steps:,} steps; at most "
                                      f"{limits.MAX_STEPS:,}", "epochs")
    check_memory(sum(r.enabled for r in parsed), steps, "steps")
    atlas = parse_atlas_table(doc.get("atlas"), [r.label for r in parsed])
    try:
        notes = parse_notes(doc.get("notes"), steps)
    except NoteError as exc:
        raise ExperimentError(exc.problem, exc.key) from None
    return Experiment(surface, parsed, steps, seed, title, description, batch, noise, tolerance,
                      epochs, atlas=atlas, notes=notes)


def parse_atlas_table(table: Any, labels: list[str]) -> dict[str, Any] | None:
    """Check the optional [atlas] table's keys and value types (the atlas checks the values
    themselves when it runs)."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ExperimentError("must be a table like [atlas] with run = \"GD\"", "atlas")
    out = {}
    for key, value in table.items():
        kind = ATLAS_KEYS.get(key)
        if kind is None:
            raise ExperimentError(f"unknown key{did_you_mean(key, ATLAS_KEYS)}; takes: "
                                  f"{', '.join(ATLAS_KEYS)}", f"atlas.{key}")
        ok = isinstance(value, kind) and not isinstance(value, bool)
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind is list:
            ok = (isinstance(value, list) and len(value) == 2
                  and all(isinstance(v, int) and not isinstance(v, bool) for v in value))
        if not ok:
            want = {str: "a string", int: "a whole number", float: "a number",
                    list: "two whole numbers [W, H]"}[kind]
            raise ExperimentError(f"must be {want}, got {value!r}", f"atlas.{key}")
        out[key] = value
    # counts within their limits now, so a file that loads can always be shown
    if "steps" in out and not 1 <= out["steps"] <= limits.MAX_STEPS:
        raise ExperimentError(f"must be from 1 to {limits.MAX_STEPS:,}, got {out['steps']}",
                              "atlas.steps")
    if "grid" in out and not all(2 <= v <= 1024 for v in out["grid"]):
        raise ExperimentError(f"each side must be from 2 to 1024, got {out['grid']}",
                              "atlas.grid")
    if "basin_radius" in out and not (math.isfinite(out["basin_radius"])
                                      and out["basin_radius"] > 0):
        raise ExperimentError(f"must be a number > 0, got {out['basin_radius']!r}",
                              "atlas.basin_radius")
    if "run" in out and out["run"] not in labels:
        raise ExperimentError(f"no run labelled {out['run']!r}; runs: {', '.join(labels)}",
                              "atlas.run")
    return out


def check_memory(n_runs: int, steps: int, key: str = "steps") -> None:
    """ExperimentError (naming ``key``) when ``n_runs`` recorded runs of ``steps`` steps would
    not fit in memory (``engine.limits.check_record_memory``)."""
    try:
        limits.check_record_memory(n_runs, steps)
    except ValueError as exc:
        raise ExperimentError(str(exc), key) from None
