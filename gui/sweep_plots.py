"""What the learning-rate sweep's plots show (gui/sweep_panel.py): its colours, a loss ≤ 0 drawn
on a log axis (``final_loss_display``), and legends in a row under each plot that never make
the plot wider than its widget (``fill_legend``)."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

DIVERGED_COLOR = "#d62728"
OK_COLOR = "#0072b2"
MISSED_COLOR = "#6a6a6a"  # swept runs that never met the tolerance
ULP_FLOOR = 4 * np.finfo(float).eps


def final_loss_display(final: np.ndarray, loss_star: float = math.nan
                       ) -> tuple[np.ndarray, float, str, float]:
    """What the log-scaled final-loss plot draws for the finite losses ``final`` (k,):
    (values > 0, L_min, what L_min is, floor). A log axis cannot show a loss ≤ 0: when the
    lowest loss known (the surface's lowest minimum ``loss_star`` or the lowest final loss)
    is negative, the values are L − L_min, those within rounding of it drawn at 4 ulp of
    L_min; a loss of exactly 0 (none negative) is drawn a decade below the smallest positive
    one. Otherwise (L_min ≥ 0) the values are the losses themselves ("" for what L_min is)."""
    final = np.asarray(final, dtype=float)
    recorded = float(final.min()) if len(final) else math.inf
    known = float(loss_star)
    if math.isfinite(known) and known < 0 and known <= recorded + 1e-9 * max(1.0, abs(known)):
        ref, source = known, "lowest known minimum"
    elif recorded < 0:
        ref, source = recorded, "lowest final loss"
    else:
        floor = 0.0
        if recorded == 0:
            pos = final[final > 0]
            decade = math.floor(math.log10(pos.min())) if len(pos) else -15
            floor = 10.0 ** (decade - 1)
        return np.maximum(final, floor), 0.0, "", floor
    floor = ULP_FLOOR * abs(ref)
    return np.maximum(final - ref, floor), ref, source, floor


def fill_legend(legend: pg.LegendItem, entries, widget) -> None:
    """``entries`` [(item, text)] in ``legend`` (a row under ``widget``'s plot), in 3, 2 or 1
    columns: the most that fit beside the plot's left axis. A legend row wider than the plot
    would widen the plot past its widget, cutting off its right side."""
    room = widget.width() - widget.getPlotItem().getAxis("left").width() - 12
    for columns in (3, 2, 1):
        legend.clear()  # also empties its layout: the column count may change
        legend.columnCount, legend.rowCount = columns, 1
        for item, text in entries:
            legend.addItem(item, text)
        if legend.boundingRect().width() <= room:
            break
