"""Name -> surface class registry, and building a surface from an experiment's settings."""
from __future__ import annotations

from typing import Any, Mapping

from surfaces.base import Surface, closest_name

SURFACES: dict[str, type[Surface]] = {}


def register(cls: type[Surface]) -> type[Surface]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    SURFACES[cls.name] = cls
    return cls


class UnknownSurface(KeyError):
    """Raised for a surface name that is not registered; str() is the user message."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want plain text
        return str(self.args[0])


def make_surface(name: str, params: Mapping[str, Any] | None = None) -> Surface:
    """Build the registered surface ``name`` with ``params`` (validated; defaults fill in)."""
    if name not in SURFACES:
        raise UnknownSurface(
            f"unknown surface '{name}'{closest_name(name, list(SURFACES))}; "
            f"known: {', '.join(sorted(SURFACES))}"
        )
    return SURFACES[name](**dict(params or {}))
