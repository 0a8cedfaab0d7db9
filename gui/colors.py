"""Run colours: one colour per run, the same in every plot."""
from __future__ import annotations

# Colour-blind-friendly (Okabe–Ito, then Tableau) palette
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f",
           "#8c564b", "#bcbd22", "#17becf", "#9467bd", "#d62728")


def run_color(index: int, explicit: str | None = None) -> str:
    """The colour of run ``index``: its own ``explicit`` colour if set, else the palette's."""
    return explicit or PALETTE[index % len(PALETTE)]
