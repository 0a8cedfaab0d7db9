"""Run colours: one colour per run, the same in every plot.

A run without an explicit colour takes the palette's colour of its position (so files without
colours look as they always did); the run editor pins those colours before any change that
would move a run, and gives each new run a palette colour no other run uses, so a colour
sticks to its run."""
from __future__ import annotations

# The first 8 stay apart for the common colour-vision deficiencies: Okabe–Ito's blue,
# vermillion and bluish green, Paul Tol's cyan (vibrant) and wine (muted), Okabe–Ito's orange
# and reddish purple, Tol's green (muted). Chosen among those palettes' mid-light colours
# (none so light it fades on the light map, none black like the paths' outline) to maximize
# the smallest CIELAB distance between any two, in normal vision and simulated protanopia and
# deuteranopia (Machado et al. 2009): 17.5, against 9.7 for the earlier palette. In this
# order the first 4, 5 and 6 colours are even further apart (25.5, 23.2, 18.3).
# Beyond 8 runs, Tableau colours.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#33bbee", "#882255", "#e69f00", "#cc79a7",
           "#117733", "#7f7f7f", "#8c564b", "#bcbd22", "#9467bd")


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


def hex_rgb(color: str) -> tuple[int, int, int]:
    """'#rrggbb' → (r, g, b) as 0..255 integers."""
    h = color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
