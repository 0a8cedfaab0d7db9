"""The typed configuration of an experiment file: its surface, its runs and the experiment
itself (``Experiment.to_toml`` writes it back), and ``ExperimentError``, the one-line message
every invalid file gets. engine/experiment_parse.py builds these from a TOML document;
engine/experiment.py reads and writes the files."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from engine.notes import Note
from engine.schedules import CONSTANT, Schedule
from engine.simulation import RunSpec, Simulation, Tolerance

class ExperimentError(ValueError):
    """An invalid experiment: ``str()`` is one line naming the file, the key and the problem."""

    def __init__(self, problem: str, key: str = "", source: str = ""):
        self.problem, self.key, self.source = problem, key, source
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [p for p in (self.source, self.key) if p]
        return ": ".join(parts + [self.problem])

    def located(self, source: str) -> "ExperimentError":
        return ExperimentError(self.problem, self.key, source)


TOP_KEYS = ("title", "description", "surface", "expression", "steps", "epochs", "seed",
            "batch_size", "gradient_noise", "tolerance", "runs", "atlas", "notes")
#: the optional [atlas] table: defaults of the convergence atlas (engine/atlas_cli.py)
ATLAS_KEYS = {"run": str, "grid": list, "outcome": str, "x_param": str, "x_range": str,
              "y_param": str, "y_range": str, "steps": int, "basin_radius": float}
RUN_KEYS = ("label", "optimizer", "start", "schedule", "batch_size", "gradient_noise", "color",
            "enabled")
DEFAULT_STEPS = 1000


@dataclass(frozen=True)
class SurfaceConfig:
    """A built-in surface by ``name`` with ``params``, or a typed ``expression``."""

    name: str = "rosenbrock"
    params: Mapping[str, Any] = field(default_factory=dict)
    expression: str | None = None

    def build(self):
        """The Surface object; raises ExperimentError (key ``surface``/``expression``)."""
        if self.expression is not None:
            from surfaces.expression import ExpressionError, ExpressionSurface
            try:
                return ExpressionSurface(self.expression)
            except ExpressionError as exc:
                raise ExperimentError(str(exc), "expression") from None
        from surfaces import make_surface
        try:
            return make_surface(self.name, self.params)
        except KeyError as exc:
            raise ExperimentError(str(exc.args[0]), "surface") from None
        except ValueError as exc:
            raise ExperimentError(str(exc), "surface") from None

    def to_toml(self) -> dict[str, Any]:
        if self.expression is not None:
            return {"expression": self.expression}
        if self.params:
            return {"surface": {"name": self.name, **self.params}}
        return {"surface": self.name}


@dataclass(frozen=True)
class RunConfig:
    """One ``[[runs]]`` entry, validated. ``hyper`` holds every hyperparameter (defaults filled
    in); ``start`` None means the surface's default start; ``batch_size``/``gradient_noise``
    None mean the experiment's."""

    label: str
    optimizer: str
    hyper: Mapping[str, Any]
    start: tuple[float, float] | None = None
    schedule: Schedule = CONSTANT
    batch_size: int | None = None
    gradient_noise: float | None = None
    color: str | None = None
    enabled: bool = True

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "optimizer": self.optimizer}
        out.update(self.hyper)
        if self.start is not None:
            out["start"] = [float(self.start[0]), float(self.start[1])]
        if self.schedule != CONSTANT:
            out["schedule"] = self.schedule.to_table()
        for key in ("batch_size", "gradient_noise", "color"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if not self.enabled:
            out["enabled"] = False
        return out


@dataclass(frozen=True)
class Experiment:
    surface: SurfaceConfig
    runs: tuple[RunConfig, ...]
    steps: int = DEFAULT_STEPS
    seed: int = 0
    title: str = ""
    description: str = ""
    batch_size: int | None = None
    gradient_noise: float = 0.0
    tolerance: Tolerance = Tolerance()
    #: data surfaces: each run stops after this many epochs (ceil(N/B) steps each)
    epochs: int | None = None
    #: the [atlas] table (defaults for the convergence atlas), None without one
    atlas: Mapping[str, Any] | None = None
    #: step-anchored notes, sorted by step (engine/notes.py)
    notes: tuple[Note, ...] = ()

    def run_specs(self, surface=None) -> list[RunSpec]:
        """The enabled runs as engine RunSpecs (start points resolved)."""
        surface = surface if surface is not None else self.surface.build()
        out = []
        for r in self.runs:
            if not r.enabled:
                continue
            batch = r.batch_size if r.batch_size is not None else self.batch_size
            out.append(RunSpec(
                label=r.label, optimizer=r.optimizer, hyper=dict(r.hyper),
                start=tuple(r.start) if r.start is not None else tuple(surface.start),
                schedule=r.schedule, batch_size=batch,
                gradient_noise=(r.gradient_noise if r.gradient_noise is not None
                                else self.gradient_noise),
                max_steps=epoch_steps(surface, batch, self.epochs),
            ))
        return out

    def simulation(self, surface=None) -> Simulation:
        surface = surface if surface is not None else self.surface.build()
        specs = self.run_specs(surface)
        if not specs:
            raise ExperimentError("every run is disabled; enable at least one", "runs")
        return Simulation(surface, specs, seed=self.seed, tolerance=self.tolerance)

    def to_toml(self) -> str:
        import tomli_w

        doc: dict[str, Any] = {}
        if self.title:
            doc["title"] = self.title
        if self.description:
            doc["description"] = self.description
        doc.update(self.surface.to_toml())
        doc["steps"] = self.steps
        doc["seed"] = self.seed
        if self.epochs is not None:
            doc["epochs"] = self.epochs
        if self.batch_size is not None:
            doc["batch_size"] = self.batch_size
        if self.gradient_noise:
            doc["gradient_noise"] = self.gradient_noise
        tol = {k: v for k, v in (("loss_change", self.tolerance.loss_change),
                                 ("grad_norm", self.tolerance.grad_norm)) if v is not None}
        if tol:
            doc["tolerance"] = tol
        doc["runs"] = [r.to_toml() for r in self.runs]
        if self.atlas:
            doc["atlas"] = dict(self.atlas)
        if self.notes:
            doc["notes"] = [n.to_toml() for n in self.notes]
        text = tomli_w.dumps(doc, multiline_strings=True)
        # short arrays of numbers on one line: start = [-1.5, 2.0]
        return re.sub(r"\[\n((?: {4}[-+0-9.eE]+,\n)+)\]",
                      lambda m: "[" + ", ".join(v.strip().rstrip(",")
                                                for v in m.group(1).splitlines()) + "]", text)

    def with_runs(self, runs) -> "Experiment":
        return replace(self, runs=tuple(runs))


def epoch_steps(surface, batch_size: int | None, epochs: int | None) -> int | None:
    """Steps that ``epochs`` epochs take with this batch size (None without epochs)."""
    n = getattr(surface, "n_examples", 0)
    if epochs is None or not n:
        return None
    b = n if batch_size is None else min(batch_size, n)
    return epochs * -(-n // b)
