"""Suggesting the closest known name in error messages."""
from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(name: object, known: Iterable[str], cutoff: float = 0.6) -> str:
    """" (did you mean 'x'?)" for the known name closest to ``name``, or "" if none is."""
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""
