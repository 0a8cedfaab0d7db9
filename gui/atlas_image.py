"""Colours of an atlas (``engine.atlas.AtlasResult``) and its picture as a PNG.

``atlas_colors(result, outcome)`` turns the cells into an RGBA image plus what its legend or
colour bar must say: one colour per basin (with "no minimum reached" and "diverged" distinct),
or a colour map for loss (log₁₀ of L − L*), steps to tolerance and rate (0 … 1; ≥ 1 means no
convergence). ``theory_lines`` gives the quadratic theory's borders for a hyperparameter atlas
(2/λ_max, η_opt, and the optimal momentum), drawn over the map.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gui.colors import hex_rgb

#: basins: a qualitative palette (Paul Tol's "muted"), unlike the runs' and the surface's
BASIN_COLORS = ("#88ccee", "#cc6677", "#ddcc77", "#117733", "#332288", "#aa4499", "#44aa99",
                "#999933", "#882255", "#661100")
NONE_COLOR = "#dddddd"     # ran to the end without reaching a known minimum / no value
DIVERGED_COLOR = "#3b3b3b"
COLORMAP = "cividis"


@dataclass(frozen=True)
class AtlasColors:
    """rgba (h, w, 4) uint8 with row 0 at the bottom (y ascending); ``legend`` is a list of
    (colour, text) for categorical outcomes; ``levels``/``label`` describe the colour bar of
    continuous ones (None for basins)."""

    rgba: np.ndarray
    legend: list[tuple[str, str]]
    levels: tuple[float, float] | None
    label: str



def atlas_colors(result, outcome: str | None = None) -> AtlasColors:
    import pyqtgraph as pg

    outcome = outcome or result.config.outcome
    h, w = result.status.shape
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[..., :3] = hex_rgb(NONE_COLOR)
    done = np.zeros(h * w, dtype=bool)
    done[:result.done] = True
    done = done.reshape(h, w)
    diverged = (result.status == 2) & done
    legend: list[tuple[str, str]] = []
    levels, label = None, ""
    if outcome == "basin":
        for k, cp in enumerate(result.critical_points):
            if cp.kind != "minimum":
                continue
            color = BASIN_COLORS[len(legend) % len(BASIN_COLORS)]
            cells = (result.basin == k) & done
            rgba[cells, :3] = hex_rgb(color)
            legend.append((color, f"minimum {k} at ({cp.x:.3g}, {cp.y:.3g})"))
        legend.append((NONE_COLOR, "no minimum reached"))
    else:
        v = result.values(outcome)
        if outcome == "loss":
            star = result.loss_star if math.isfinite(result.loss_star) else 0.0
            with np.errstate(all="ignore"):
                gap = v - star
                tiny = np.nanmax(np.abs(gap[np.isfinite(gap)])) * 1e-16 if np.isfinite(gap).any() else 1e-300
                v = np.log10(np.maximum(gap, max(tiny, 1e-300)))
            label = "log₁₀(L − L*) at the end" if math.isfinite(result.loss_star) and star \
                else "log₁₀ L at the end"
        elif outcome == "steps":
            label = "steps to tolerance"
            legend.append((NONE_COLOR, "tolerance not met"))
        else:
            v = np.where(v < 1.0, v, np.nan)
            label = "rate: L − L* shrinks by this factor per step"
            legend.append((NONE_COLOR, "not converging (rate ≥ 1)"))
        ok = np.isfinite(v) & done & ~diverged
        if ok.any():
            lo, hi = float(np.min(v[ok])), float(np.max(v[ok]))
            if outcome == "rate":
                lo, hi = 0.0, 1.0
            if hi <= lo:
                hi = lo + 1.0
            levels = (lo, hi)
            cmap = pg.colormap.get(COLORMAP)
            lut = cmap.getLookupTable(0.0, 1.0, 256, alpha=False)
            idx = np.clip(((v[ok] - lo) / (hi - lo) * 255).round(), 0, 255).astype(int)
            rgba[ok, :3] = lut[idx]
        else:
            levels = (0.0, 1.0)
    rgba[diverged, :3] = hex_rgb(DIVERGED_COLOR)
    legend.append((DIVERGED_COLOR, "diverged"))
    rgba[~done, 3] = 0  # cells not computed yet stay transparent
    return AtlasColors(rgba, legend, levels, label)


def theory_lines(result, surface) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(text, xs, ys) of the quadratic theory for a hyperparameter atlas over ``lr`` (x) —
    gd: the border η = 2/λ_max and η_opt = 2/(λ_min + λ_max); momentum over (lr, momentum):
    the border η = 2(1 + μ)/λ_max and the optimum (η*, μ*). Empty where it does not apply."""
    c = result.config
    if c.over_starts or c.x.name != "lr":
        return []
    lam = _eigenvalues(surface, result)
    if lam is None:
        return []
    lmin, lmax = float(lam[0]), float(lam[1])
    ys = np.array([c.y.low, c.y.high])
    out = []
    if c.y.name == "momentum":
        mu = np.linspace(c.y.low, c.y.high, 200)
        out.append(("stability border η = 2(1 + μ)/λ_max", 2.0 * (1.0 + mu) / lmax, mu))
        sk = math.sqrt(lmax / lmin)
        mu_opt = ((sk - 1.0) / (sk + 1.0)) ** 2
        eta_opt = (2.0 / (math.sqrt(lmax) + math.sqrt(lmin))) ** 2
        out.append(("optimal momentum (η*, μ*)", np.array([eta_opt]), np.array([mu_opt])))
        out.append(("η_opt of plain GD = 2/(λ_min + λ_max)",
                    np.full(2, 2.0 / (lmin + lmax)), ys))
    else:
        out.append(("divergence border η = 2/λ_max", np.full(2, 2.0 / lmax), ys))
        out.append(("η_opt = 2/(λ_min + λ_max)", np.full(2, 2.0 / (lmin + lmax)), ys))
    return out


def _eigenvalues(surface, result):
    lam = getattr(surface, "eigenvalues", None)
    if lam is not None:
        lam = np.sort(np.asarray(lam, dtype=float))
    else:
        mins = [cp for cp in result.critical_points if cp.kind == "minimum"]
        if not mins:
            return None
        lam = np.sort(np.asarray(mins[0].eigenvalues, dtype=float))
    return lam if lam[0] > 0 else None


def image_rect(result):
    """(x0, y0, width, height) of the image in plot coordinates (log₁₀ on log axes)."""
    c = result.config
    f = [math.log10 if a.log else float for a in (c.x, c.y)]
    x0, x1 = f[0](c.x.low), f[0](c.x.high)
    y0, y1 = f[1](c.y.low), f[1](c.y.high)
    return x0, y0, x1 - x0, y1 - y0


def write_png(result, surface, path: str, title: str = "", size=(1100, 800)) -> None:
    """The atlas as a PNG (written atomically) with axis labels, a title and a legend or a
    colour bar; for a start-point atlas the surface's contours are drawn over it."""
    import pyqtgraph as pg
    import pyqtgraph.exporters as exporters
    from PySide6.QtWidgets import QApplication

    from engine.atomic import atomic_path

    app = QApplication.instance() or QApplication([])  # noqa: F841
    widget = pg.GraphicsLayoutWidget()
    widget.setBackground("w")
    widget.resize(*size)
    plot = widget.addPlot(row=0, col=0, axisItems=_axes(result))
    legend = pg.LegendItem(labelTextColor="#202020", labelTextSize="10pt",
                           brush=pg.mkBrush(255, 255, 255, 255), pen=pg.mkPen("#888888"))
    draw_atlas(plot, result, surface, title, legend)
    colors = atlas_colors(result)
    col = 1
    if colors.levels is not None:
        bar = pg.ColorBarItem(values=colors.levels, colorMap=pg.colormap.get(COLORMAP),
                              interactive=False, width=16)
        bar.axis.enableAutoSIPrefix(False)
        bar.axis.setLabel(colors.label, color="#202020")
        bar.axis.setTextPen(pg.mkPen("#202020"))
        widget.addItem(bar, row=0, col=col)
        col += 1
    legend.setColumnCount(3)
    widget.addItem(legend, row=1, col=0, colspan=col)
    widget.ci.layout.setRowStretchFactor(0, 20)
    widget.ci.layout.setRowStretchFactor(1, 1)
    widget.show()
    QApplication.processEvents()
    with atomic_path(path) as tmp:
        exp = exporters.ImageExporter(widget.scene())
        exp.parameters()["width"] = size[0]
        exp.export(str(tmp))
    widget.close()


def _axes(result) -> dict:
    """Log axes labelled at whole decades only (as the step plots are)."""
    from gui.plots import DecadeAxis

    c = result.config
    return {side: DecadeAxis(side) for side, axis in (("bottom", c.x), ("left", c.y))
            if axis.log}


def draw_atlas(plot, result, surface, title: str = "", legend=None) -> list:
    """Draw ``result`` into a pyqtgraph PlotItem (image, contours or theory lines, legend,
    labels); returns the items added. ``legend``: a LegendItem to fill (default: one inside
    the plot's top-right corner)."""
    import pyqtgraph as pg
    from PySide6.QtCore import QRectF

    c = result.config
    colors = atlas_colors(result)
    items = []
    img = pg.ImageItem(axisOrder="row-major")
    img.setImage(colors.rgba, autoLevels=False, levels=(0, 255))
    img.setRect(QRectF(*image_rect(result)))
    plot.addItem(img)
    items.append(img)
    ink = "#202020"
    for side in ("left", "bottom"):
        ax = plot.getAxis(side)
        ax.enableAutoSIPrefix(False)
        ax.setPen(pg.mkPen(ink))
        ax.setTextPen(pg.mkPen(ink))
    plot.setLogMode(x=c.x.log, y=c.y.log)
    names = getattr(surface, "axis_names", ("x", "y"))
    xl = names[0] + " (start)" if c.over_starts else c.x.name
    yl = names[1] + " (start)" if c.over_starts else c.y.name
    plot.setLabel("bottom", xl + (" (log)" if c.x.log else ""), color=ink)
    plot.setLabel("left", yl + (" (log)" if c.y.log else ""), color=ink)
    what = {"basin": "which minimum each cell reaches", "loss": "final loss",
            "steps": "steps to tolerance", "rate": "convergence rate"}[c.outcome]
    head = f"{title} — " if title else ""
    plot.setTitle(f"{head}run {c.run}: {what} ({c.width}×{c.height}, {result.steps:,} steps)",
                  color=ink, size="11pt")
    if legend is None:
        legend = plot.addLegend(offset=(-8, 8), labelTextColor=ink, labelTextSize="9pt",
                                brush=pg.mkBrush(255, 255, 255, 230), pen=pg.mkPen("#888888"))
    for color, text in colors.legend:
        swatch = pg.ScatterPlotItem(symbol="s", size=12, brush=pg.mkBrush(color),
                                    pen=pg.mkPen("#555555"))
        legend.addItem(swatch, text)
    if c.over_starts:
        from gui.surface_layer import contour_segments, surface_image

        z, rect, *_ = surface_image(surface)
        x0, x1, y0, y1 = surface.view
        zmin, zmax = float(np.nanmin(z)), float(np.nanmax(z))
        seg = contour_segments(z, np.linspace(x0, x1, z.shape[1]),
                               np.linspace(y0, y1, z.shape[0]),
                               np.linspace(zmin, zmax, 17)[1:-1])
        cont = pg.PlotDataItem(seg[:, 0], seg[:, 1], connect="pairs",
                               pen=pg.mkPen(0, 0, 0, 90, width=1))
        plot.addItem(cont)
        items.append(cont)
        mins = [cp for cp in result.critical_points if cp.kind == "minimum"]
        if mins:
            marks = pg.ScatterPlotItem([m.x for m in mins], [m.y for m in mins], symbol="x",
                                       size=14, pen=pg.mkPen("k", width=2),
                                       brush=pg.mkBrush("w"))
            plot.addItem(marks)
            items.append(marks)
    else:
        for text, xs, ys in theory_lines(result, surface):
            if len(xs) == 1:  # a PlotDataItem, so that log axes transform it too
                item = pg.PlotDataItem(xs, ys, pen=None, symbol="star", symbolSize=22,
                                       symbolBrush=pg.mkBrush("#ffffff"),
                                       symbolPen=pg.mkPen("k", width=1.5), name=text)
            elif "border" in text:
                item = pg.PlotDataItem(xs, ys, pen=pg.mkPen("#d62728", width=3), name=text)
            else:
                item = pg.PlotDataItem(xs, ys, pen=pg.mkPen(
                    "#000000", width=2, style=pg.QtCore.Qt.PenStyle.DashLine), name=text)
            plot.addItem(item)
            legend.addItem(item, text)
            items.append(item)
    x0, y0, w, h = image_rect(result)
    plot.setRange(xRange=(x0, x0 + w), yRange=(y0, y0 + h), padding=0)
    return items
