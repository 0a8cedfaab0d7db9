"""Zoom: one factor that scales every view's fonts, line widths, markers and legends together
(for a lecture hall), in steps from 75 % to 300 %.

A ``Zoom`` holds the factor and emits ``changed(factor)``; a view registers with
``zoom.register(view)`` and gets ``view.set_zoom(factor)`` at once and on every change. A view
draws its own items at ``base × factor`` (see ``MapView.set_zoom``, ``RunPlots.set_zoom``);
``zoom_plots_in(widget, factor)`` does it for any widget of plain pyqtgraph plots (the
analysis, sweep and atlas tabs): tick and axis-title fonts, titles, and the width of every
curve's pen (each item's width at zoom 1 is remembered on the item the first time it is seen).

The window's factor is kept in the session (``session.json`` in the config folder), so it is
the same after a restart.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFont

LEVELS = (0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
MIN_ZOOM, MAX_ZOOM = LEVELS[0], LEVELS[-1]

TICK_PT = 9.0    # tick labels at zoom 1
LABEL_PT = 10.0  # axis titles at zoom 1
TITLE_PT = 10.0  # plot titles at zoom 1


def clamp_zoom(factor) -> float:
    """``factor`` as a usable zoom (1.0 when it is not a finite number), within the limits."""
    try:
        f = float(factor)
    except (TypeError, ValueError):
        return 1.0
    if not math.isfinite(f):
        return 1.0
    return min(MAX_ZOOM, max(MIN_ZOOM, round(f, 3)))


def pt(base: float, factor: float) -> str:
    """A CSS font size: ``base`` points at zoom ``factor``."""
    return f"{base * factor:.3g}pt"


class Zoom(QObject):
    """The zoom factor of one window; views register to follow it."""

    changed = Signal(float)

    def __init__(self, factor: float = 1.0, parent: QObject | None = None):
        super().__init__(parent)
        self._factor = clamp_zoom(factor)

    @property
    def factor(self) -> float:
        return self._factor

    def set_factor(self, factor: float) -> None:
        f = clamp_zoom(factor)
        if f != self._factor:
            self._factor = f
            self.changed.emit(f)

    def zoom_in(self) -> None:
        self.set_factor(next((v for v in LEVELS if v > self._factor + 1e-9), MAX_ZOOM))

    def zoom_out(self) -> None:
        self.set_factor(next((v for v in reversed(LEVELS) if v < self._factor - 1e-9),
                             MIN_ZOOM))

    def reset(self) -> None:
        self.set_factor(1.0)

    def register(self, view) -> None:
        """Call ``view.set_zoom(factor)`` now and whenever the factor changes."""
        view.set_zoom(self._factor)
        self.changed.connect(view.set_zoom)


# ---------------------------------------------------------------------- pyqtgraph helpers
def zoom_axis(axis: pg.AxisItem, factor: float, tick_pt: float = TICK_PT,
              label_pt: float = LABEL_PT) -> None:
    """Tick labels and the axis title of ``axis`` at their size × ``factor``."""
    font = QFont()
    font.setPointSizeF(tick_pt * factor)
    axis.setStyle(tickFont=font, tickTextOffset=max(2, round(3 * factor)),
                  tickLength=round(5 * factor))
    axis.labelStyle = dict(axis.labelStyle, **{"font-size": pt(label_pt, factor)})
    axis._updateLabel()


def zoom_title(plot_item: pg.PlotItem, factor: float, title_pt: float = TITLE_PT) -> None:
    """The plot's title at its size × ``factor`` (later ``setTitle`` calls without a size
    keep it)."""
    label = plot_item.titleLabel
    label.opts["size"] = pt(title_pt, factor)
    if label.text:
        label.setText(label.text)


def zoom_pen(item, factor: float) -> None:
    """The pen of a curve-like item (PlotDataItem, PlotCurveItem) at its zoom-1 width ×
    ``factor``; the zoom-1 width is remembered on the item."""
    if isinstance(item, pg.PlotDataItem):
        pen = item.opts.get("pen")
        setter = item.setPen
    elif isinstance(item, pg.PlotCurveItem):
        pen = item.opts.get("pen")
        setter = item.setPen
    else:
        return
    if pen is None:
        return
    pen = pg.mkPen(pen)
    if not hasattr(item, "_zoom_base_width"):
        item._zoom_base_width = max(pen.widthF(), 1.0)
    pen.setWidthF(item._zoom_base_width * factor)
    setter(pen)


def zoom_legend(legend: pg.LegendItem, factor: float) -> None:
    """A legend's labels at their zoom-1 size × ``factor`` (remembered on the legend)."""
    if not hasattr(legend, "_zoom_base_pt"):
        size = str(legend.opts.get("labelTextSize") or "9pt")
        legend._zoom_base_pt = float(size.rstrip("ptx") or 9.0)
    legend.setLabelTextSize(pt(legend._zoom_base_pt, factor))
    for _sample, label in legend.items:
        label.setText(label.text)
    legend.updateSize()


def zoom_plot_item(plot_item: pg.PlotItem, factor: float) -> None:
    """Axes, title and curves of one PlotItem."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        if axis is not None and axis.isVisible():
            zoom_axis(axis, factor)
    zoom_title(plot_item, factor)
    for item in plot_item.listDataItems():
        zoom_pen(item, factor)


def zoom_plots_in(widget, factor: float) -> None:
    """Every pyqtgraph PlotItem shown in ``widget`` (and its children) at ``factor``."""
    from PySide6.QtWidgets import QGraphicsView

    for view in [widget, *widget.findChildren(QGraphicsView)]:
        scene = view.scene() if isinstance(view, QGraphicsView) else None
        if scene is None:
            continue
        for item in scene.items():
            if isinstance(item, pg.PlotItem):
                zoom_plot_item(item, factor)
            elif isinstance(item, pg.ColorBarItem):
                zoom_axis(item.axis, factor)
            elif isinstance(item, pg.LegendItem):
                zoom_legend(item, factor)
