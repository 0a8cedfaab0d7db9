"""Map overlays that explain a point: the gradient arrow ∇L (uphill, normal to the contour
line), the Hessian's eigenvectors scaled by their eigenvalues, the escape direction at a
saddle, and the descent arrow −∇L (downhill, where a gradient step goes) at every run's
current position. Each kind of arrow gets a legend entry on the map while it is drawn.

The maths comes from ``engine.analysis.analyze_point``; this module only draws it into a given
pyqtgraph ``PlotItem`` (the map's). Arrows are drawn as line segments in data coordinates; their
heads are shaped in pixel space so they look right whatever the axes' aspect ratio.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg

from engine.analysis import PointAnalysis, analyze_point

GRADIENT_COLOR = "#000000"
POSITIVE_COLOR = "#0072b2"   # eigenvector with λ > 0 (curving up)
NEGATIVE_COLOR = "#d55e00"   # eigenvector with λ < 0 (curving down)
ESCAPE_COLOR = "#009e73"
ARROW_FRACTION = 0.12        # arrow length as a fraction of the smaller view side
RUN_ARROW_KEY_COLOR = "#404040"  # legend sample of the per-run arrows (drawn in run colours)

# legend texts (rich text): what each arrow is
GRADIENT_TEXT = "∇L, uphill"
TANGENT_TEXT = "contour tangent"
POSITIVE_TEXT = "eigenvector, λ &gt; 0"
NEGATIVE_TEXT = "eigenvector, λ &lt; 0"
ESCAPE_TEXT = "escape, downhill"
RUN_ARROWS_TEXT = "−∇L at runs, downhill"


def legend_sample(color: str, width: float = 2.0, style=None) -> pg.PlotDataItem:
    """A line item that only serves as a legend sample (never added to a plot)."""
    pen = pg.mkPen(color, width=width)
    if style is not None:
        pen.setStyle(style)
    return pg.PlotDataItem(pen=pen)


def _view_size(plot_item, surface) -> tuple[float, float]:
    """(width, height) of the visible data range (the surface's view before layout)."""
    try:
        (x0, x1), (y0, y1) = plot_item.getViewBox().viewRange()
        if x1 > x0 and y1 > y0:
            return x1 - x0, y1 - y0
    except (AttributeError, RuntimeError):
        pass
    x0, x1, y0, y1 = surface.view
    return x1 - x0, y1 - y0


def _pixel_size(plot_item) -> tuple[float, float]:
    """Data units per pixel along x and y (1, 1 if the view has no size yet)."""
    try:
        px, py = plot_item.getViewBox().viewPixelSize()
        if px > 0 and py > 0 and np.isfinite(px) and np.isfinite(py):
            return float(px), float(py)
    except (AttributeError, RuntimeError, ZeroDivisionError):
        pass
    return 1.0, 1.0


def arrow_segments(tails: np.ndarray, tips: np.ndarray, pixel=(1.0, 1.0),
                   head_px: float = 9.0) -> np.ndarray:
    """Line segments drawing arrows from tails (n, 2) to tips (n, 2): shaft plus two barbs,
    as (6n, 2) points to be drawn with ``connect="pairs"``. Barbs are ``head_px`` pixels long
    for ``pixel`` = data units per pixel (x, y)."""
    tails, tips = np.atleast_2d(tails).astype(float), np.atleast_2d(tips).astype(float)
    s = np.asarray(pixel, dtype=float)
    d = (tips - tails) / s  # in pixels
    n = np.hypot(d[:, 0], d[:, 1])[:, None]
    u = np.divide(d, n, out=np.zeros_like(d), where=n > 0)
    c, si = np.cos(np.radians(25.0)), np.sin(np.radians(25.0))
    back = -u * head_px
    b1 = np.column_stack([back[:, 0] * c - back[:, 1] * si, back[:, 0] * si + back[:, 1] * c])
    b2 = np.column_stack([back[:, 0] * c + back[:, 1] * si, -back[:, 0] * si + back[:, 1] * c])
    out = np.empty((len(tails), 6, 2))
    out[:, 0], out[:, 1] = tails, tips
    out[:, 2], out[:, 3] = tips, tips + b1 * s
    out[:, 4], out[:, 5] = tips, tips + b2 * s
    return out.reshape(-1, 2)


def _curve(points: np.ndarray, color: str, width: float = 2.0, style=None):
    pen = pg.mkPen(color, width=width)
    if style is not None:
        pen.setStyle(style)
    item = pg.PlotCurveItem(points[:, 0], points[:, 1], pen=pen, connect="pairs")
    item.setZValue(50)
    return item


def point_items(surface, x: float, y: float, plot_item=None,
                analysis: PointAnalysis | None = None) -> list:
    """The pyqtgraph items explaining point (x, y) of ``surface``:

    - a black arrow along +∇L (uphill; normal to the contour line) and a dotted contour
      tangent,
    - the Hessian's eigenvectors as double-headed segments scaled by |λᵢ|/|λ|max (blue λ > 0,
      orange λ < 0),
    - for a negative eigenvalue, the green escape arrow (downhill along that eigenvector),
    - a text label with L, ‖∇L‖, λ₁, λ₂.

    ``plot_item`` (optional) sets the scale (visible range and pixel size); the items are not
    added to it (use ``PointOverlay``).
    """
    a = analysis or analyze_point(surface, (x, y))
    w, h = _view_size(plot_item, surface) if plot_item is not None else (
        surface.view[1] - surface.view[0], surface.view[3] - surface.view[2])
    pixel = _pixel_size(plot_item) if plot_item is not None else (w / 600.0, h / 600.0)
    scale = np.array([w, h]) * ARROW_FRACTION
    p = a.point
    items = []
    dot = pg.ScatterPlotItem([p[0]], [p[1]], size=8, brush=pg.mkBrush("#ffffff"),
                             pen=pg.mkPen(GRADIENT_COLOR, width=1.5))
    dot.setZValue(52)
    items.append(dot)
    if a.grad_norm > 0 and np.isfinite(a.grad_norm):
        g = a.grad / a.grad_norm
        items.append(_curve(arrow_segments(p[None], (p + g * scale)[None], pixel),
                            GRADIENT_COLOR))
        t = a.contour_tangent * scale * 0.6
        tangent = np.array([p - t, p + t])
        from PySide6.QtCore import Qt

        items.append(_curve(tangent, GRADIENT_COLOR, 1.0, Qt.PenStyle.DotLine))
    lam = a.eigenvalues
    if np.isfinite(lam).all():
        big = float(np.abs(lam).max()) or 1.0
        for i in range(2):
            v = a.eigenvectors[:, i] * scale * (abs(lam[i]) / big)
            if not np.any(v):
                continue
            color = POSITIVE_COLOR if lam[i] > 0 else NEGATIVE_COLOR
            seg = arrow_segments(np.array([p, p]), np.array([p + v, p - v]), pixel, 6.0)
            items.append(_curve(seg, color, 2.0))
    if a.escape_direction is not None:
        e = a.escape_direction * scale * 1.2
        items.append(_curve(arrow_segments(p[None], (p + e)[None], pixel, 11.0),
                            ESCAPE_COLOR, 3.0))
    text = (f"L = {a.loss:.4g}\n‖∇L‖ = {a.grad_norm:.3g}\n"
            f"λ₁ = {lam[0]:.3g}, λ₂ = {lam[1]:.3g}")
    if a.escape_direction is not None:
        text += "\nescape: green arrow"
    label = pg.TextItem(text, color="#000000", fill=pg.mkBrush(255, 255, 255, 210),
                        anchor=(0, 1))
    label.setPos(float(p[0]), float(p[1]))
    label.setZValue(53)
    items.append(label)
    return items


class PointOverlay:
    """Owns the point-explanation items on a PlotItem: ``show(surface, x, y)`` replaces them,
    ``clear()`` removes them. ``analysis`` holds the last PointAnalysis (or None).
    ``legend`` (optional: anything with ``set_legend_entry(text, item, shown)``, e.g. the
    MapView) names the arrows shown."""

    def __init__(self, plot_item, legend=None):
        self.plot_item = plot_item
        self.legend = legend
        self.items: list = []
        self.analysis: PointAnalysis | None = None
        from PySide6.QtCore import Qt

        self.keys = {GRADIENT_TEXT: legend_sample(GRADIENT_COLOR),
                     TANGENT_TEXT: legend_sample(GRADIENT_COLOR, 1.0, Qt.PenStyle.DotLine),
                     POSITIVE_TEXT: legend_sample(POSITIVE_COLOR),
                     NEGATIVE_TEXT: legend_sample(NEGATIVE_COLOR),
                     ESCAPE_TEXT: legend_sample(ESCAPE_COLOR, 3.0)}
        self.shown_keys: list[str] = []

    def show(self, surface, x: float, y: float) -> PointAnalysis:
        self.clear()
        a = self.analysis = analyze_point(surface, (x, y))
        self.items = point_items(surface, x, y, self.plot_item, self.analysis)
        for item in self.items:
            self.plot_item.addItem(item)
        keys = []
        if a.grad_norm > 0 and np.isfinite(a.grad_norm):
            keys += [GRADIENT_TEXT, TANGENT_TEXT]
        lam = a.eigenvalues
        if np.isfinite(lam).all():
            keys += [POSITIVE_TEXT] * bool((lam > 0).any()) + [NEGATIVE_TEXT] * bool((lam < 0).any())
        if a.escape_direction is not None:
            keys.append(ESCAPE_TEXT)
        self._set_keys(keys)
        return a

    def clear(self) -> None:
        for item in self.items:
            self.plot_item.removeItem(item)
        self.items = []
        self.analysis = None
        self._set_keys([])

    def _set_keys(self, keys: list[str]) -> None:
        self.shown_keys = list(keys)
        if self.legend is not None:
            for text, sample in self.keys.items():
                self.legend.set_legend_entry(text, sample, text in keys)


class RunGradientArrows:
    """The descent arrow at every run's current position (toggle with ``set_visible``).

    ``update(surface, thetas (n, 2), colors)`` redraws: one arrow per run along −∇L (the
    direction a gradient step moves: downhill, normal to the contour line), in the run's
    colour, of fixed length. ``legend`` as for PointOverlay: "−∇L at each run" while shown.
    """

    def __init__(self, plot_item, legend=None):
        self.plot_item = plot_item
        self.legend = legend
        self.key = legend_sample(RUN_ARROW_KEY_COLOR)
        self.items: list = []
        self.visible = True
        self.directions = np.empty((0, 2))

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        for item in self.items:
            item.setVisible(self.visible)
        if self.legend is not None:
            self.legend.set_legend_entry(RUN_ARROWS_TEXT, self.key, self.visible)

    def update(self, surface, thetas, colors: Sequence[str]) -> None:
        thetas = np.asarray(thetas, dtype=float).reshape(-1, 2)
        with np.errstate(all="ignore"):
            g = np.asarray(surface.grad(thetas), dtype=float) if len(thetas) else np.empty((0, 2))
            n = np.hypot(g[:, 0], g[:, 1])[:, None]
            d = np.where((n > 0) & np.isfinite(n), -g / n, 0.0)
        self.directions = d
        w, h = _view_size(self.plot_item, surface)
        tips = thetas + d * np.array([w, h]) * ARROW_FRACTION * 0.7
        pixel = _pixel_size(self.plot_item)
        # reuse one curve per colour
        by_color: dict[str, list[int]] = {}
        for i, c in enumerate(colors):
            if np.isfinite(thetas[i]).all() and np.any(d[i]):
                by_color.setdefault(c, []).append(i)
        while len(self.items) > len(by_color):
            self.plot_item.removeItem(self.items.pop())
        for k, (color, idx) in enumerate(by_color.items()):
            seg = arrow_segments(thetas[idx], tips[idx], pixel, 8.0)
            if k < len(self.items):
                item = self.items[k]
                item.setData(seg[:, 0], seg[:, 1], connect="pairs")
                item.setPen(pg.mkPen(color, width=2))
            else:
                item = _curve(seg, color, 2.0)
                self.plot_item.addItem(item)
                self.items.append(item)
            item.setVisible(self.visible)

    def clear(self) -> None:
        for item in self.items:
            self.plot_item.removeItem(item)
        self.items = []
