"""Readable plot text: axis titles, tick labels and plot titles in dark grey on the white
plot background (pyqtgraph's default light grey, #969696, has a contrast of 2.9:1 on white;
WCAG AA asks for at least 4.5:1)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem

TEXT_COLOR = "#202020"   # contrast 16.1:1 on white
AXIS_COLOR = "#505050"   # axis lines and ticks, 8.1:1 on white


def dark_text(plot_item, sides=("left", "bottom")) -> None:
    """Give ``plot_item``'s axes on ``sides`` and its title dark text and axis lines."""
    for side in sides:
        dark_axis(plot_item.getAxis(side))
    plot_item.titleLabel.opts["color"] = TEXT_COLOR  # kept by every later setTitle
    if plot_item.titleLabel.text:
        plot_item.titleLabel.setText(plot_item.titleLabel.text)


def dark_axis(axis) -> None:
    """The same for a lone axis (e.g. a colour bar's). The axis is also drawn from a pixmap
    between changes: a frame that repaints the plot next to it does not lay out and draw
    every tick label again."""
    axis.setPen(AXIS_COLOR)
    axis.setTextPen(TEXT_COLOR)
    axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def _luminance(hex_color: str) -> float:
    c = hex_color.lstrip("#")[-6:]
    rgb = [int(c[i:i + 2], 16) / 255.0 for i in (0, 2, 4)]
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(fg: str, bg: str = "#ffffff") -> float:
    """WCAG 2 contrast ratio of two "#rrggbb" colours (1 to 21)."""
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def clip_title(plot_item, min_width: float = 10) -> None:
    """The plot's title never makes the plot wider than its widget: a narrow panel clips the
    title's text, not the plot. (pyqtgraph's label sets its minimum width to its text's at
    every ``setText``, e.g. each zoom change or ``setTitle``; this keeps it at ``min_width``.)"""
    label = plot_item.titleLabel
    if getattr(label, "_clipped", False):
        return
    own = label.updateMin

    def update_min() -> None:
        own()
        label.setMinimumWidth(min_width)
        w, h = label._sizeHint[Qt.SizeHint.MinimumSize]
        label._sizeHint[Qt.SizeHint.MinimumSize] = (min(w, min_width), h)

    label.updateMin = update_min
    label._clipped = True
    update_min()
