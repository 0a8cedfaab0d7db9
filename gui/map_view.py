"""The contour map: the surface drawn once, live trajectories drawn from the recorded history.

The surface (filled colours, contour lines, minima ×, saddles, colour bar) is drawn by
``set_surface`` only, never per frame. ``update_frame`` moves the trajectories and markers
with ``setData``; long trajectories are thinned for display by arc length (a point is kept
once the path has moved 1/DRAWN_RESOLUTION of the view since the last kept one), then by a
stride (a power of two, steady while the path grows) if still too long
(``gui.path_thinning``). The recorded data itself is never touched.

Each path is 2 px wide (× the zoom, ``set_zoom``) over a 4 px dark outline (``halos``), on
viridis lightened with white (``surface_colormap``), so every run colour stands out on
every part of the map. The paths are thinned to about a line width and drawn by
``gui.path_canvas`` on images that gain only each frame's new points (a path is re-set only
once its run has moved a pixel); the current positions are one small item per run
(``gui.markers``). ``benchmarks/gui_frame.py`` prints the frame times.
"""
from __future__ import annotations

import html
import math
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QVBoxLayout, QWidget

from gui.fast_curve import ensure_pixmap_cache
from gui.markers import PositionMarkers
from gui.path_canvas import PathCanvas, PathLine
from gui.path_thinning import DRAWN_RESOLUTION, MAX_DRAWN_POINTS, drawn_stride, thin_indices
from gui.plot_style import TEXT_COLOR, clip_title, dark_axis, dark_text
from gui.surface_layer import (UNDEFINED_COLOR, UNDEFINED_FILL, contour_segments,
                                surface_colormap, surface_image, undefined_brush)
from gui.zoom import pt, zoom_axis

N_CONTOURS = 14       # contour lines
UNDEFINED_LABEL = "undefined (no finite loss)"
LEGEND_COLUMNS = 3  # at most; fewer when the map is narrow (``_fit_legend``)
PATH_WIDTH = 2.0     # px at zoom 1: a trajectory
HALO_WIDTH = 4.0     # px at zoom 1: the dark outline under it (1 px each side)
# opaque: Qt then draws the wide pen as separate segments, much faster than a stroked path
HALO_COLOR = (38, 38, 38, 255)  # stands out on the light colour map, and frames every run colour
LEGEND_PT = 9.0
MARKER_SIZES = {"minima": 15, "saddles": 11, "maxima": 11, "curves": 4, "current": 9}
START_SIZE = 13


class MapView(QWidget):
    """Contour map of one surface with the runs' trajectories.

    Signals: ``startRequested(x, y)`` on a left click (not a drag) on the map;
    ``startDragged(run, x, y)`` when run ``run``'s start marker is dropped at (x, y);
    ``pointRequested(x, y)`` on a right click; ``hovered(x, y, loss)`` when the mouse moves
    over the map (loss nan outside the surface's domain); ``minimaChanged(loss)`` when the
    marked minima change, with the lowest one's loss (nan when none is marked).
    """

    startRequested = Signal(float, float)
    startDragged = Signal(int, float, float)
    pointRequested = Signal(float, float)
    hovered = Signal(float, float, float)
    minimaChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        ensure_pixmap_cache()  # the surface layer and the paths are drawn from pixmaps
        self.surface = None
        self.plot = pg.PlotWidget(self, background="w")
        self.plot_item: pg.PlotItem = self.plot.getPlotItem()
        self.view_box: pg.ViewBox = self.plot_item.getViewBox()
        self.view_box.setMenuEnabled(False)
        self.view_box.setAspectLocked(False)
        self.plot_item.showGrid(False, False)
        dark_text(self.plot_item)  # dark axis titles, tick labels and title on white
        self.plot_item.setTitle("")
        clip_title(self.plot_item)  # a long surface title is clipped, not the map widened
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot)

        self.image = pg.ImageItem(axisOrder="row-major")  # nan cells are transparent
        self.image.setZValue(-100)
        self.plot_item.addItem(self.image)
        # under the image: grey hatching, seen only through its undefined (nan) cells
        self.undefined = QGraphicsRectItem(0, 0, 1, 1)
        self.undefined.setBrush(QBrush(QColor(UNDEFINED_FILL)))
        self.undefined.setPen(QPen(Qt.PenStyle.NoPen))
        self._hatch = QGraphicsRectItem(0, 0, 1, 1, self.undefined)
        self._hatch.setBrush(undefined_brush())
        self._hatch.setPen(QPen(Qt.PenStyle.NoPen))
        self.undefined.setVisible(False)
        self.plot_item.addItem(self.undefined, ignoreBounds=True)
        self.undefined.setZValue(self.image.zValue() - 1)  # after addItem, which raises it
        # its legend entry (a sample square with the same hatching; never drawn on the map)
        self.undefined_key = pg.BarGraphItem(x=[0], height=[1], width=1,
                                             brush=undefined_brush(), pen=UNDEFINED_COLOR)
        self.undefined_key.opts["pen"] = pg.mkPen(UNDEFINED_FILL)  # the sample's base line
        self.undefined_fraction = 0.0
        self.colormap = surface_colormap()
        self.color_bar = pg.ColorBarItem(values=(0, 1), colorMap=self.colormap,
                                         interactive=False, width=14)
        self.color_bar.setImageItem(self.image, insert_in=self.plot_item)
        # plain numbers on the colour bar: no "(x0.001)" scale factor in its label
        self.color_bar.axis.enableAutoSIPrefix(False)
        dark_axis(self.color_bar.axis)
        self.contours = pg.PlotDataItem(pen=pg.mkPen(255, 255, 255, 120, width=1),
                                        connect="pairs")
        self.contours.setZValue(-50)
        self.plot_item.addItem(self.contours)
        # the surface layer is static between view changes: render it once into a pixmap at
        # screen resolution and re-use it each frame (the trajectories above stay live)
        for item in (self.image, self.contours.curve):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.minima = pg.ScatterPlotItem(symbol="x", size=15, pen=pg.mkPen("k", width=1),
                                         brush=pg.mkBrush("#ffffff"))
        self.saddles = pg.ScatterPlotItem(symbol="d", size=11, pen=pg.mkPen("k", width=1),
                                          brush=pg.mkBrush("#ffffff"))
        self.maxima = pg.ScatterPlotItem(symbol="t1", size=11, pen=pg.mkPen("k", width=1),
                                         brush=pg.mkBrush("#ffffff"))
        # curves of degenerate critical points (a valley of minima): the points found on them
        self.curves = pg.ScatterPlotItem(symbol="o", size=4, pen=pg.mkPen("k", width=1),
                                         brush=pg.mkBrush("#ffffff"))
        for item in (self.minima, self.saddles, self.maxima, self.curves):
            item.setZValue(5)
            self.plot_item.addItem(item)
            # drawn from a pixmap too: a path that grows over a marker (runs end at minima)
            # repaints it every frame, and a scatter item draws itself slowly
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # the legend in a strip of its own under the map: it never hides the map, and a long
        # legend cannot squeeze the map or push the colour bar out of the window
        self._zoom = 1.0
        self.legend = pg.LegendItem(colCount=LEGEND_COLUMNS, labelTextSize=pt(LEGEND_PT, 1.0),
                                    labelTextColor=TEXT_COLOR, verSpacing=-6, horSpacing=14)
        self.legend_view = pg.GraphicsView(self, background="w")
        self.legend_view.setCentralItem(self.legend)
        self.legend_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.legend_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.legend_view.setFixedHeight(0)
        lay.addWidget(self.legend_view)
        self._legend_keys = [("minimum", self.minima), ("saddle", self.saddles),
                             ("maximum", self.maxima), ("curve of critical points", self.curves)]
        self._extra_keys: list[tuple[str, object]] = []  # (text, item): e.g. "undefined"
        # the runs' paths, each over a dark outline (its halo), on one image (path_canvas.py)
        self.path_canvas = PathCanvas()
        self.path_canvas.setZValue(10)
        self.plot_item.addItem(self.path_canvas, ignoreBounds=True)
        self.paths: list[PathLine] = []
        self.halos: list[PathLine] = []  # each path's dark outline, drawn beneath it
        self._samples: list[pg.PlotDataItem] = []  # each path's legend sample
        self.starts: list[pg.TargetItem] = []
        self.current = PositionMarkers(self.view_box, MARKER_SIZES["current"],
                                       pg.mkPen("k", width=1), z=20)
        self._overlays: list[pg.GraphicsObject] = []
        self._cache: list[tuple[int, np.ndarray]] = []
        self._strayed: dict[int, tuple[int, float]] = {}
        self._pixel = 1.0
        self._colors: list[str] = []
        self._image_shift = 0.0
        self.lowest_minimum = float("nan")  # loss of the lowest marked minimum
        self._log = False
        self._grid_z: np.ndarray | None = None

        scene = self.plot.scene()
        scene.sigMouseClicked.connect(self._on_click)
        scene.sigMouseMoved.connect(self._on_move)

    # ------------------------------------------------------------------ surface
    def set_surface(self, surface) -> None:
        """Draw ``surface`` (image, contours, critical points, axis labels) and fit the view."""
        self.surface = surface
        z, rect, log, label, shift = surface_image(surface)
        self._grid_z, self._log, self._image_shift = z, log, shift
        defined = np.isfinite(z)
        zmin = float(z[defined].min()) if defined.any() else 0.0
        zmax = float(z[defined].max()) if defined.any() else 1.0
        if zmax <= zmin:
            zmax = zmin + 1.0
        self.image.setImage(z, levels=(zmin, zmax), autoLevels=False)
        self.image.setRect(QRectF(*rect))
        self.undefined_fraction = 1.0 - float(defined.mean())
        self.undefined.setRect(QRectF(*rect))
        self._hatch.setRect(QRectF(*rect))
        self.undefined.setVisible(self.undefined_fraction > 0)
        self.set_legend_entry(UNDEFINED_LABEL, self.undefined_key, self.undefined_fraction > 0)
        self.color_bar.setLevels((zmin, zmax))
        self.color_bar.axis.setLabel(label)
        x0, x1, y0, y1 = surface.view
        seg = contour_segments(z, np.linspace(x0, x1, z.shape[1]), np.linspace(y0, y1, z.shape[0]),
                               np.linspace(zmin, zmax, N_CONTOURS + 2)[1:-1])
        self.contours.setData(seg[:, 0], seg[:, 1])
        self.mark_critical_points(surface.critical_points)
        xn, yn = surface.axis_names
        self.plot_item.setLabel("bottom", xn)
        self.plot_item.setLabel("left", yn)
        self.plot_item.setTitle(surface.title or surface.name, size=pt(10, self._zoom))
        self._pixel = max(x1 - x0, y1 - y0) / DRAWN_RESOLUTION
        self.view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self._cache = [(0, np.zeros(0, dtype=np.int64)) for _ in self._cache]
        self._drawn = [None] * len(self._cache)
        self._strayed = {}

    def mark_critical_points(self, points) -> None:
        """Mark ``points`` (each with x, y and kind "minimum" | "saddle" | "maximum") on the
        map: × minima, ◇ saddles, △ maxima. An entry with a ``curve`` (n, 2) of points (a
        valley of minima) is drawn as those points, small dots, not as one marker."""
        curves = [p.curve for p in points if getattr(p, "curve", None) is not None]
        single = [p for p in points if getattr(p, "curve", None) is None]
        for kind, item in (("minimum", self.minima), ("saddle", self.saddles),
                           ("maximum", self.maxima)):
            pts = [p for p in single if p.kind == kind]
            item.setData([p.x for p in pts], [p.y for p in pts])
            # an empty scatter item hidden: Qt then skips it (and its slow bounding box)
            # whenever a path repaints the area it spans
            item.setVisible(bool(pts))
            self.legend.removeItem(item)
            if pts:  # the legend names only the kinds the map shows
                self.legend.addItem(item, kind)
        dots = np.concatenate(curves) if curves else np.empty((0, 2))
        self.curves.setData(dots[:, 0], dots[:, 1])
        self.curves.setVisible(bool(len(dots)))
        kinds = {p.kind_text for p in points if getattr(p, "curve", None) is not None}
        label = kinds.pop() if len(kinds) == 1 else "curve of critical points"
        self._legend_keys[-1] = (label, self.curves)
        self.legend.removeItem(self.curves)
        if len(dots):
            self.legend.addItem(self.curves, label)
        self._fit_legend()
        self.lowest_minimum = float("nan")
        mins = [(p.x, p.y) for p in points if p.kind == "minimum"]
        if mins and self.surface is not None:
            with np.errstate(all="ignore"):
                loss = np.asarray(self.surface.value(np.array(mins, dtype=float)), dtype=float)
            loss = loss[np.isfinite(loss)]
            if len(loss):
                self.lowest_minimum = float(loss.min())
        self.minimaChanged.emit(self.lowest_minimum)

    def set_legend_entry(self, text: str, item, shown: bool = True) -> None:
        """Show (or with ``shown`` False remove) a legend entry ``text`` drawn like ``item``
        (e.g. the undefined region or the gradient arrows); entries survive ``set_runs``."""
        known = any(it is item for _, it in self._extra_keys)
        if shown and not known:
            self._extra_keys.append((text, item))
            self.legend.addItem(item, text)
        elif not shown and known:
            self._extra_keys = [(t, it) for t, it in self._extra_keys if it is not item]
            self.legend.removeItem(item)
        self._fit_legend()

    def _fit_legend(self) -> None:
        """As many legend columns as fit under the map (1 to LEGEND_COLUMNS), and a strip
        just tall enough for its rows."""
        items = self.legend.items
        if not items:
            self.legend_view.setFixedHeight(0)
            return
        widest = max(label.item.boundingRect().width() for _, label in items) + 20 + 24
        fit = int(max(self.width() - 12, 1) // max(widest, 1.0))
        cols = max(1, min(LEGEND_COLUMNS, fit, len(items)))
        if cols != self.legend.columnCount:
            self.legend.setColumnCount(cols)
        rows = -(-len(items) // cols)
        row_h = max(label.item.boundingRect().height() for _, label in items) - 4
        self.legend_view.setFixedHeight(int(rows * row_h) + 10)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self._fit_legend()

    def loss_at(self, x: float, y: float) -> float:
        if self.surface is None:
            return float("nan")
        with np.errstate(all="ignore"):
            return float(self.surface.value(np.array([[x, y]], dtype=float))[0])

    # ------------------------------------------------------------------ runs
    def set_runs(self, labels: Sequence[str], colors: Sequence[str],
                 starts: Sequence[tuple[float, float]], same_paths: bool = False) -> None:
        """One trajectory, start marker and legend entry per simulated run. ``same_paths``:
        the runs' recorded paths are the ones drawn now (a new colour or label), so the
        points chosen to draw them are kept (choosing them again takes a pass over every
        recorded step)."""
        cache = self._cache if same_paths and len(self._cache) == len(labels) else None
        for item in self.starts:
            self.plot_item.removeItem(item)
        self.legend.clear()
        self.path_canvas.clear()
        self.paths, self.halos, self.starts, self._colors = [], [], [], list(colors)
        self._samples = []
        f = self._zoom
        for i, (label, color, start) in enumerate(zip(labels, colors, starts)):
            self.halos.append(PathLine(self.path_canvas, "halo",
                                       pg.mkPen(HALO_COLOR, width=HALO_WIDTH * f)))
            pen = pg.mkPen(color, width=PATH_WIDTH * f)
            self.paths.append(PathLine(self.path_canvas, "path", pen))
            sample = pg.PlotDataItem(pen=pen, name=label)  # never shown on the map
            self._samples.append(sample)
            self.legend.addItem(sample, html.escape(label))  # a legend label is rich text
            target = pg.TargetItem(pos=start, size=START_SIZE * f, symbol="o", movable=True,
                                   pen=pg.mkPen("k", width=1), brush=pg.mkBrush(color),
                                   hoverBrush=pg.mkBrush("#ffffff"))
            target.setZValue(15)
            target.setToolTip(f"start of {label}: drag to move it")
            target.sigPositionChangeFinished.connect(
                lambda t, i=i: self._on_drag_finished(i, t))
            self.plot_item.addItem(target)
            self.starts.append(target)
        for text, item in self._legend_keys:
            if len(item.data):
                self.legend.addItem(item, text)
        for text, item in self._extra_keys:
            self.legend.addItem(item, text)
        self._fit_legend()
        self.current.setData([], [])
        self._cache = cache or [(0, np.zeros(0, dtype=np.int64)) for _ in labels]
        self._drawn: list[tuple[int, int] | None] = [None] * len(labels)  # (rows, end) drawn
        self._strayed: dict[int, tuple[int, float]] = {}
        self._brushes = [pg.mkBrush(c) for c in colors]
        self._current_drawn = None

    def _thinned(self, i: int, theta: np.ndarray) -> np.ndarray:
        """Indices to draw of run ``i``'s path ``theta`` (n, 2), extended incrementally."""
        done, idx = self._cache[i]
        n = len(theta)
        if n < done or done == 0:
            idx = thin_indices(theta, self._pixel, 10 ** 9)
        elif n > done:
            tail = thin_indices(theta[done - 1:], self._pixel, 10 ** 9)[1:] + (done - 1)
            idx = np.concatenate((idx, tail))
        self._cache[i] = (n, idx)
        return idx

    def update_frame(self, thetas: Sequence[np.ndarray], upto: int | None = None) -> None:
        """Draw each run's path ``thetas[i]`` (rows 0..n, (n+1, 2)) up to row ``upto``
        (default: all rows) with its current-position marker."""
        cur_x, cur_y, brushes = [], [], []
        for i, theta in enumerate(thetas):
            if not len(theta):
                self.paths[i].setData([], [])
                self.halos[i].setData([], [])
                self._drawn[i] = None
                continue
            end = len(theta) - 1 if upto is None else min(upto, len(theta) - 1)
            if self._drawn[i] != (len(theta), end) and not self._within_a_pixel(i, theta, end):
                drawn = self._drawn[i]
                # growing at its newest row: only new points are drawn (path_canvas.py)
                live = drawn is not None and drawn[1] == drawn[0] - 1 and end == len(theta) - 1
                idx = self._thinned(i, theta)
                idx = idx[: np.searchsorted(idx, end, side="right")]
                if not len(idx) or idx[-1] != end:
                    idx = np.append(idx, end)
                if len(idx) > MAX_DRAWN_POINTS:
                    idx = np.append(idx[:-1:drawn_stride(len(idx))], end)
                pts = theta[idx]
                self.halos[i].setData(pts[:, 0], pts[:, 1], live=live)
                self.paths[i].setData(pts[:, 0], pts[:, 1], live=live)
                self._drawn[i] = (len(theta), end)
                self._strayed.pop(i, None)
            cur_x.append(theta[end, 0])
            cur_y.append(theta[end, 1])
            brushes.append(self._brushes[i])
        if (cur_x, cur_y) != self._current_drawn:
            self.current.setData(cur_x, cur_y, brush=brushes)
            self._current_drawn = (cur_x, cur_y)

    def _within_a_pixel(self, i: int, theta: np.ndarray, end: int) -> bool:
        """While a run grows, its drawn path is kept until the new points stray a pixel
        from the drawn end (the current-position marker is always exact). The rows are
        looked at once each: ``_strayed[i]`` is (rows checked, largest distance so far)."""
        drawn = self._drawn[i]
        if drawn is None or drawn[1] != drawn[0] - 1 or end != len(theta) - 1:
            return False
        checked, far = self._strayed.get(i, (drawn[1], 0.0))
        if checked < drawn[1]:
            checked, far = drawn[1], 0.0
        if end > checked:
            new = theta[checked + 1:end + 1]
            far = max(far, float(np.abs(new - theta[drawn[1]]).max()))
            self._strayed[i] = (end, far)
        return far < self._pixel

    # ------------------------------------------------------------------ zoom
    def set_zoom(self, factor: float) -> None:
        """Fonts, line widths, markers and the legend at their zoom-1 size × ``factor``."""
        self._zoom = f = float(factor)
        for side in ("left", "bottom"):
            zoom_axis(self.plot_item.getAxis(side), f)
        zoom_axis(self.color_bar.axis, f)
        # pyqtgraph's fixed 45 px for the tick values, grown with them (a fixed width: an
        # automatic one would change at the first paint and move the map under the mouse)
        self.color_bar.axis.setWidth(round(45 * f))
        title = self.plot_item.titleLabel
        title.opts["size"] = pt(10, f)
        if title.text:
            title.setText(title.text)
        for name, size in MARKER_SIZES.items():
            getattr(self, name).setSize(size * f)
        for item in (self.minima, self.saddles, self.maxima, self.curves, self.current):
            item.setPen(pg.mkPen("k", width=f))
        self.contours.setPen(pg.mkPen(255, 255, 255, 120, width=f))
        for path, halo, sample in zip(self.paths, self.halos, self._samples):
            pen = pg.mkPen(path.opts["pen"])
            pen.setWidthF(PATH_WIDTH * f)
            path.setPen(pen)
            sample.setPen(pen)
            halo.setPen(pg.mkPen(HALO_COLOR, width=HALO_WIDTH * f))
        for target in self.starts:  # TargetItem has no setter for its size
            target.scale = START_SIZE * f
            target._shape = None
            target.prepareGeometryChange()
            target.update()
        self.legend.setLabelTextSize(pt(LEGEND_PT, f))
        for _, label in self.legend.items:
            label.setText(label.text)
        self.legend.updateSize()
        self._fit_legend()

    # ------------------------------------------------------------------ overlays
    def add_overlay(self, item) -> None:
        """Add a graphics item drawn in data coordinates (for analysis tools)."""
        self._overlays.append(item)
        self.plot_item.addItem(item)

    def remove_overlay(self, item) -> None:
        if item in self._overlays:
            self._overlays.remove(item)
            self.plot_item.removeItem(item)

    def clear_overlays(self) -> None:
        for item in list(self._overlays):
            self.remove_overlay(item)

    # ------------------------------------------------------------------ coordinates
    def data_to_widget(self, x: float, y: float):
        """The viewport pixel (QPoint) of data point (x, y)."""
        scene_pt = self.view_box.mapViewToScene(QPointF(x, y))
        return self.plot.mapFromScene(scene_pt)

    def tidy(self, x: float, y: float) -> tuple[float, float]:
        """Round a clicked point to a power of ten below one pixel, so a start typed by a
        click reads (0.5, 1.2) rather than (0.50013421, 1.19987) and stays within a pixel."""
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        rect = self.view_box.sceneBoundingRect()
        out = []
        for v, span, pixels in ((x, x1 - x0, rect.width()), (y, y1 - y0, rect.height())):
            px = span / max(pixels, 1.0)
            if not (px > 0 and math.isfinite(px)):
                out.append(v)
                continue
            step = 10.0 ** math.floor(math.log10(px))
            digits = max(0, -math.floor(math.log10(step)))
            out.append(round(round(v / step) * step, digits))
        return out[0], out[1]

    def _in_view_box(self, scene_pos) -> bool:
        return self.view_box.sceneBoundingRect().contains(scene_pos)

    def _on_click(self, ev) -> None:
        pos = ev.scenePos()
        if not self._in_view_box(pos):
            return
        for t in self.starts:  # clicks on a start marker belong to the marker
            if t.sceneBoundingRect().contains(pos):
                return
        p = self.view_box.mapSceneToView(pos)
        if ev.button() == Qt.MouseButton.LeftButton:
            self.startRequested.emit(*self.tidy(float(p.x()), float(p.y())))
        elif ev.button() == Qt.MouseButton.RightButton:
            self.pointRequested.emit(float(p.x()), float(p.y()))

    def _on_move(self, scene_pos) -> None:
        if not self._in_view_box(scene_pos):
            return
        p = self.view_box.mapSceneToView(scene_pos)
        x, y = float(p.x()), float(p.y())
        self.hovered.emit(x, y, self.loss_at(x, y))

    def _on_drag_finished(self, i: int, target) -> None:
        p = target.pos()
        self.startDragged.emit(i, *self.tidy(float(p.x()), float(p.y())))
