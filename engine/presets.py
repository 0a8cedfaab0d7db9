"""The built-in lecture presets: ordinary experiment files in the top-level ``presets/``."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from engine.names import did_you_mean

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"

#: the lecture's experiments in the order the lecture digest lists them
LECTURE_ORDER = (
    "stuck-large-gradient", "tiny-learning-rate", "adagrad-explodes", "adagrad-decay",
    "crescent-rmsprop", "quadratic-step-sizes", "batch-size", "saddle-escape",
    "momentum-rolls-over", "flat-vs-sharp", "warmup", "second-order", "second-order-rosenbrock",
    "momentum-vs-nesterov", "no-spoiler", "spoiler",
)


def preset_names() -> list[str]:
    """Every preset: the lecture's in lecture order, then any others alphabetically."""
    found = {p.stem for p in PRESET_DIR.glob("*.toml")}
    return [n for n in LECTURE_ORDER if n in found] + sorted(found - set(LECTURE_ORDER))


#: what a preset name looks like: it never names a path
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def preset_path(name: str) -> Path:
    """The file of the preset ``name``; ExperimentError (key ``--preset``) for an unknown
    name, including an empty or path-like one ("", "../x", "/etc/passwd")."""
    path = PRESET_DIR / f"{name}.toml"
    if not _NAME.fullmatch(name) or not path.is_file():
        names = preset_names()
        from engine.experiment import ExperimentError
        shown = name if _NAME.fullmatch(name) else repr(name)[1:-1][:80]
        raise ExperimentError(f"unknown preset '{shown}'{did_you_mean(name, names)}; known: "
                              f"{', '.join(names)}",
                              "--preset")
    return path


def preset_title(name: str) -> str:
    try:
        return str(tomllib.loads(preset_path(name).read_text("utf-8")).get("title", name))
    except (OSError, tomllib.TOMLDecodeError):
        return name
