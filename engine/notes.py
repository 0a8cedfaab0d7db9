"""Guided notes: step-anchored texts an experiment file may hold (no Qt).

    [[notes]]
    step = 6858                  # shown from this step on
    text = "σ₂ fell below η·c₀/2: the floor is unstable for this step"
    at = [0.05, 0.3]             # optional: where the callout points (default: the first
                                 # enabled run's position at that step)
    pause = true                 # optional: playback pauses exactly at this step

A note is visible from its step until the next note's step, and for at most
``HOLD_FRACTION`` of the experiment's steps (at least one step): ``notes_at`` says which notes
a view (the map during playback or scrubbing, an exported animation) shows at a step, and
``note_anchor`` where each one points.

Limits, checked when the file is read: at most ``MAX_NOTES`` notes, each text at most
``MAX_TEXT`` characters and ``MAX_LINES`` lines, no control characters other than line
breaks and tabs, steps between 0 and the experiment's steps.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

MAX_NOTES = 50
MAX_TEXT = 1000
MAX_LINES = 20
HOLD_FRACTION = 0.2
NOTE_KEYS = ("step", "text", "at", "pause")


class NoteError(ValueError):
    """An invalid note: ``problem`` for the key ``key`` (e.g. ``notes[2].step``)."""

    def __init__(self, problem: str, key: str):
        self.problem, self.key = problem, key
        super().__init__(f"{key}: {problem}")


@dataclass(frozen=True)
class Note:
    """One note: shown from ``step`` on; ``at`` None points at the first run's position."""

    step: int
    text: str
    at: tuple[float, float] | None = None
    pause: bool = False

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "text": self.text}
        if self.at is not None:
            out["at"] = [float(self.at[0]), float(self.at[1])]
        if self.pause:
            out["pause"] = True
        return out


def _bad_character(text: str) -> str | None:
    """The first control or format character a note may not hold (line breaks and tabs are
    fine), as U+XXXX, else None."""
    for ch in text:
        if ch in "\n\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in "\u200d":
            return f"U+{ord(ch):04X}"
    return None


def _point(value: Any, key: str) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise NoteError(f"must be a point [x, y], got {value!r}", key)
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise NoteError(f"must be a point [x, y] of finite numbers, got {value!r}", key)
        out.append(float(v))
    return out[0], out[1]


def parse_note(entry: Any, index: int, steps: int) -> Note:
    """Validate one ``[[notes]]`` table (``index`` counts from 1) for an experiment of
    ``steps`` steps. Raises NoteError naming the key."""
    where = f"notes[{index}]"
    if not isinstance(entry, Mapping):
        raise NoteError("each [[notes]] entry must be a table with a step and a text", where)
    for key in entry:
        if key not in NOTE_KEYS:
            raise NoteError(f"unknown key; a note takes: {', '.join(NOTE_KEYS)}",
                            f"{where}.{key}")
    if "step" not in entry:
        raise NoteError("needs a 'step' (the step at which the note appears)", f"{where}.step")
    step = entry["step"]
    if isinstance(step, bool) or not isinstance(step, int):
        raise NoteError(f"must be a whole number, got {step!r}", f"{where}.step")
    if not 0 <= step <= steps:
        raise NoteError(f"must be between 0 and the experiment's steps ({steps:,}), "
                        f"got {step:,}", f"{where}.step")
    text = entry.get("text")
    if not isinstance(text, str) or not text.strip():
        raise NoteError("needs a non-empty 'text'", f"{where}.text")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise NoteError(f"is {len(text):,} characters long; at most {MAX_TEXT:,}",
                        f"{where}.text")
    if text.count("\n") >= MAX_LINES:
        raise NoteError(f"has {text.count(chr(10)) + 1} lines; at most {MAX_LINES}",
                        f"{where}.text")
    bad = _bad_character(text)
    if bad:
        raise NoteError(f"holds the control character {bad}; use plain text (line breaks "
                        "are fine)", f"{where}.text")
    at = entry.get("at")
    if at is not None:
        at = _point(at, f"{where}.at")
    pause = entry.get("pause", False)
    if not isinstance(pause, bool):
        raise NoteError(f"must be true or false, got {pause!r}", f"{where}.pause")
    return Note(int(step), text, at, pause)


def parse_notes(value: Any, steps: int) -> tuple[Note, ...]:
    """The ``notes`` array of an experiment file (None: no notes), sorted by step (stable)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise NoteError("must be an array of [[notes]] tables", "notes")
    if len(value) > MAX_NOTES:  # checked before any note is looked at
        raise NoteError(f"{len(value):,} notes; at most {MAX_NOTES}", "notes")
    notes = [parse_note(e, i + 1, steps) for i, e in enumerate(value)]
    return tuple(sorted(notes, key=lambda n: n.step))


def hold_steps(steps: int) -> int:
    """How many steps a note stays visible at most (unless the next note replaces it)."""
    return max(1, math.ceil(HOLD_FRACTION * max(int(steps), 1)))


def notes_at(notes: Sequence[Note], step: int, steps: int) -> tuple[Note, ...]:
    """The notes visible at ``step`` of an experiment of ``steps`` steps: those of the latest
    note step s ≤ ``step``, while ``step`` < s + hold_steps(steps). Notes sharing a step show
    together. ``notes`` in any order."""
    shown = [n.step for n in notes if n.step <= step]
    if not shown:
        return ()
    s = max(shown)
    if step >= s + hold_steps(steps):
        return ()
    return tuple(n for n in notes if n.step == s)


def pause_steps(notes: Sequence[Note]) -> tuple[int, ...]:
    """The sorted steps at which playback pauses."""
    return tuple(sorted({n.step for n in notes if n.pause}))


def note_anchor(note: Note, thetas: Sequence[np.ndarray]) -> tuple[float, float] | None:
    """Where ``note`` points: its ``at``, else the first run's position at its step (its last
    recorded position if it stopped earlier), from ``thetas`` (each run's (n+1, 2) path).
    None when there is nothing to point at (no run, or no finite position)."""
    if note.at is not None:
        return note.at
    if not len(thetas) or not len(thetas[0]):
        return None
    theta = thetas[0]
    p = theta[min(note.step, len(theta) - 1)]
    if not np.all(np.isfinite(p)):
        return None
    return float(p[0]), float(p[1])
