"""Run colours: one colour per run, the same in every plot.

A run without an explicit colour takes the palette's colour of its position (so files without
colours look as they always did); the run editor pins those colours before any change that
would move a run, and gives each new run a palette colour no other run uses, so a colour
sticks to its run."""
from __future__ import annotations

# Colour-blind-friendly (Okabe–Ito, then Tableau) palette
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f",
           "#8c564b", "#bcbd22", "#17becf", "#9467bd", "#d62728")


def run_color(index: int, explicit: str | None = None) -> str:
    """The colour of run ``index``: its own ``explicit`` colour if set, else the palette's."""
    return explicit or PALETTE[index % len(PALETTE)]


def resolved_colors(colors) -> list[str]:
    """Every run's colour (``colors``: each run's explicit colour or None), by position."""
    return [run_color(i, c) for i, c in enumerate(colors)]


def free_color(used) -> str:
    """The first palette colour not in ``used`` (case-insensitive); when all are taken, the
    one used least often."""
    taken = [c.lower() for c in used]
    for c in PALETTE:
        if c not in taken:
            return c
    return min(PALETTE, key=taken.count)
