"""Undo and redo of experiment edits: a stack of immutable ``Experiment`` snapshots (no Qt).

Every edit records the new experiment; ``undo()`` returns the one before it and ``redo()``
the one after. A burst of edits to the same thing (typing "0.25" into one field, key by
key) within ``coalesce_s`` seconds is one step. ``change_kind(old, new)`` says how much of
the race an edit invalidates, so the window restarts only what it must.
"""
from __future__ import annotations

import time
from dataclasses import fields, replace
from typing import Callable

from engine.experiment import Experiment, RunConfig

MAX_UNDO = 200
COALESCE_S = 1.0


def change_key(old: Experiment, new: Experiment) -> tuple | None:
    """What a single edit changed, e.g. ``("run", 0, "hyper", "lr")``, ``("surface",)``
    or ``("steps",)``; None when several things changed (never coalesced)."""
    changed = [f.name for f in fields(Experiment) if getattr(old, f.name) != getattr(new, f.name)]
    if changed == ["runs"] and len(old.runs) == len(new.runs):
        diffs = [i for i, (a, b) in enumerate(zip(old.runs, new.runs)) if a != b]
        if len(diffs) != 1:
            return None
        i = diffs[0]
        a, b = old.runs[i], new.runs[i]
        attrs = [f.name for f in fields(RunConfig) if getattr(a, f.name) != getattr(b, f.name)]
        if attrs == ["hyper"]:
            keys = sorted(k for k in set(a.hyper) | set(b.hyper)
                          if a.hyper.get(k) != b.hyper.get(k))
            return ("run", i, "hyper", *keys)
        return ("run", i, *attrs)
    if changed == ["surface"]:
        a, b = old.surface, new.surface
        if a.expression is not None and b.expression is not None:
            return ("surface", "expression")
        if a.expression is None and b.expression is None and a.name == b.name:
            return ("surface", a.name, *sorted(k for k in set(a.params) | set(b.params)
                                               if a.params.get(k) != b.params.get(k)))
        return None  # another surface: its own step
    return tuple(changed) if changed else None


#: Experiment fields that never change a trajectory (the runs are compared one by one);
#: a field not named here restarts the race when it changes, to be safe
NOT_RACE = ("title", "description", "steps", "runs", "notes", "atlas")


_RUN_ATTRS = {"color": "colour", "enabled": "tick", "start": "start", "label": "label",
              "optimizer": "optimizer", "schedule": "schedule", "batch_size": "batch size",
              "gradient_noise": "gradient noise"}
_TOP = {"surface": "surface", "steps": "step limit", "seed": "seed",
        "batch_size": "batch size", "notes": "notes"}


def describe_change(old: Experiment, new: Experiment) -> str:
    """A few words for the Edit menu: what the edit from ``old`` to ``new`` changed."""
    if len(new.runs) != len(old.runs):
        plural = "s" if abs(len(new.runs) - len(old.runs)) > 1 else ""
        return f"new run{plural}" if len(new.runs) > len(old.runs) else f"removed run{plural}"
    key = change_key(old, new)
    if key and key[0] == "run":
        label = new.runs[key[1]].label
        if key[2:] == ("enabled",):
            return f"{'ticking' if new.runs[key[1]].enabled else 'unticking'} {label}"
        what = ", ".join(key[3:]) if key[2:3] == ("hyper",) else \
            ", ".join(_RUN_ATTRS.get(k, k) for k in key[2:])
        return f"{what} of {label}"
    if key and key[0] == "surface":
        return "surface"
    if key and len(key) == 1:
        return _TOP.get(key[0], key[0].replace("_", " "))
    if old.surface != new.surface:
        return "surface"
    starts = [a.start != b.start for a, b in zip(old.runs, new.runs)]
    if any(starts) and all(
            replace(a, start=None) == replace(b, start=None) for a, b in zip(old.runs, new.runs)):
        return "start points"
    return "changes"


def _race_fields(exp: Experiment) -> dict:
    """``exp``'s fields that can change a trajectory (not the texts or the step limit)."""
    return {f.name: getattr(exp, f.name) for f in fields(exp) if f.name not in NOT_RACE}


def _trajectory(run: RunConfig) -> RunConfig:
    return replace(run, color=None, enabled=True)


def change_kind(old: Experiment, new: Experiment) -> str:
    """How an edit from ``old`` to ``new`` affects a race in progress:

    - ``"none"``: nothing the race shows (the texts, the step limit);
    - ``"style"``: only run colours: restyle, keep every step;
    - ``"relabel"``: only labels (and colours): rename the simulated runs, keep every step;
    - ``"runs"``: runs added, removed, renamed, enabled or disabled, each remaining run's
      trajectory unchanged: rebuild and replay to the step reached;
    - ``"restart"``: anything else (a hyperparameter, a start, the surface): from step 0.
    """
    if _race_fields(old) != _race_fields(new):
        return "restart"
    if old.runs == new.runs:
        return "none"
    if len(old.runs) == len(new.runs) and all(
            replace(a, color=None) == replace(b, color=None) for a, b in zip(old.runs, new.runs)):
        return "style"
    if len(old.runs) == len(new.runs) and all(
            replace(a, color=None, label="") == replace(b, color=None, label="")
            for a, b in zip(old.runs, new.runs)):
        return "relabel"
    before = {r.label: _trajectory(r) for r in old.runs}
    after = {r.label: _trajectory(r) for r in new.runs}
    renamed = len(old.runs) == len(new.runs) and all(
        replace(_trajectory(a), label="") == replace(_trajectory(b), label="")
        for a, b in zip(old.runs, new.runs))  # renamed and ticked or unticked at once
    if renamed or all(before[k] == after[k] for k in before.keys() & after.keys()):
        return "runs"
    return "restart"


class UndoStack:
    """Snapshots of an immutable experiment. ``reset(exp)`` starts a new history (a file
    was opened); ``record(exp)`` after every edit; ``undo()``/``redo()`` return the
    experiment to show, or None when there is nothing to undo/redo."""

    def __init__(self, limit: int = MAX_UNDO, coalesce_s: float = COALESCE_S,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self.coalesce_s, self.clock = limit, coalesce_s, clock
        self._undo: list[Experiment] = []
        self._redo: list[Experiment] = []
        self._current: Experiment | None = None
        self._last_key: tuple | None = None
        self._last_time = -float("inf")

    def reset(self, exp: Experiment) -> None:
        self._undo, self._redo = [], []
        self._current = exp
        self._last_key = None

    @property
    def current(self) -> Experiment | None:
        return self._current

    def record(self, exp: Experiment) -> None:
        """``exp`` is the experiment after an edit."""
        if self._current is None:
            self.reset(exp)
            return
        if exp == self._current:
            return
        key = change_key(self._current, exp)
        now = self.clock()
        burst = (key is not None and key == self._last_key and self._undo
                 and now - self._last_time < self.coalesce_s)
        if not burst:
            self._undo.append(self._current)
            del self._undo[:-self.limit]
        self._redo = []
        self._current = exp
        self._last_key, self._last_time = key, now

    def undo_text(self) -> str:
        """What ``undo()`` would undo ('' when nothing)."""
        return describe_change(self._undo[-1], self._current) if self._undo else ""

    def redo_text(self) -> str:
        """What ``redo()`` would redo ('' when nothing)."""
        return describe_change(self._current, self._redo[-1]) if self._redo else ""

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> Experiment | None:
        if not self._undo:
            return None
        self._redo.append(self._current)
        self._current = self._undo.pop()
        self._last_key = None
        return self._current

    def redo(self) -> Experiment | None:
        if not self._redo:
            return None
        self._undo.append(self._current)
        self._current = self._redo.pop()
        self._last_key = None
        return self._current
