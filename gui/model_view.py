"""The model view: what each run's current θ means for the data.

For a data surface with a model (``surfaces.model``) it draws the examples and, for every run
in its colour, the model its θ^t defines:

- ``line`` (linear regression): the points (x, y) and each run's line ŷ = w·x + b;
- ``classifier`` (logistic spoiler, mlp-plane): the points by class, each run's decision
  boundary (the zero set of its logit, where the probability is 0.5) and, shaded, the
  probability the selected run predicts; a highlighted example (the spoiler) is ringed and
  named.

For any other surface it says that there is no model to show. The window drives it:

    view.set_surface(surface)                  # once per surface
    view.set_runs(labels, colors, selected)    # when the runs change
    view.update_frame(thetas, step)            # per frame / scrub: θ^t (2,) per run, or None

Per frame only the runs' curves and the shading are recomputed (a 90 × 90 grid of inputs per
run for a classifier). ``drawn_curves()`` and ``shaded_probability()`` return what is drawn,
for tests.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, \
    QWidget

from gui.surface_layer import contour_segments
from surfaces.model import CLASSIFIER, LINE

GRID = 90                 # inputs per axis on which a classifier's logit is contoured
CLASS_COLORS = ("#b35806", "#542788")  # class 0, class 1: dark orange, dark purple
CLASS_SYMBOLS = ("o", "t1")  # circle, triangle pointing up
LINE_DATA_COLOR = "#555555"
SHADE_LOW, SHADE_HIGH = (252, 212, 160), (206, 200, 236)  # probability 0 and 1, light


def _probability_lut(n: int = 256) -> np.ndarray:
    """(n, 4) RGBA from SHADE_LOW (p = 0) through white (p = 0.5) to SHADE_HIGH (p = 1)."""
    f = np.linspace(0.0, 1.0, n)[:, None]
    low, high, white = (np.array(c, dtype=float) for c in (SHADE_LOW, SHADE_HIGH,
                                                            (255, 255, 255)))
    rgb = np.where(f < 0.5, low + (white - low) * (f / 0.5), white + (high - white)
                   * ((f - 0.5) / 0.5))
    return np.column_stack([rgb, np.full(n, 255.0)]).astype(np.ubyte)


class ModelView(QWidget):
    """See the module docstring. ``selectedChanged(index)`` is emitted when the user picks
    another run to shade."""

    selectedChanged = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.surface = None
        self._kind = ""
        self._labels: list[str] = []
        self._colors: list[str] = []
        self._selected = 0
        self._thetas: list = []
        self._curves: list[pg.PlotDataItem] = []
        self._drawn: list[np.ndarray | None] = []
        self._shade: np.ndarray | None = None
        self._grid_x = self._grid_y = self._grid_pts = None

        self.message = QLabel(self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #555; font-size: 13px; padding: 24px;")

        self.plot_widget = pg.PlotWidget(self, background="w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(_probability_lut())
        self.image.setLevels((0.0, 1.0))
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.scatter = [pg.ScatterPlotItem(size=7, pen=pg.mkPen(c, width=1),
                                           brush=pg.mkBrush(c + "b0"), symbol=sym)
                        for c, sym in zip(CLASS_COLORS, CLASS_SYMBOLS)]
        for s in self.scatter:
            s.setZValue(5)
            self.plot.addItem(s)
        self.highlight = pg.ScatterPlotItem(size=22, pen=pg.mkPen("#d62728", width=2),
                                            brush=pg.mkBrush(None), symbol="o")
        self.highlight.setZValue(6)
        self.plot.addItem(self.highlight)
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextColor="#222",
                                    brush=pg.mkBrush(255, 255, 255, 200))
        self.legend.setParentItem(self.plot.getViewBox())
        self.highlight_text = pg.TextItem(color="#d62728", anchor=(0, 1))
        self.highlight_text.setZValue(6)
        self.plot.addItem(self.highlight_text)

        self.shade_combo = QComboBox(self)
        self.shade_combo.setToolTip("The run whose predicted probability of class 1 is "
                                    "shaded (orange: class 0, purple: class 1, white: 0.5).")
        self.shade_combo.activated.connect(self._on_shade_picked)
        self.shade_label = QLabel("Shade", self)
        self.shade_label.setToolTip(self.shade_combo.toolTip())
        self.caption = QLabel(self)
        self.caption.setStyleSheet("color: #444;")
        self.caption.setToolTip("Each run's model at the shown step, in the run's colour: a "
                                "line's prediction ŷ = w·x + b, or a classifier's decision "
                                "boundary, where its predicted probability is 0.5.")
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.shade_label)
        bar.addWidget(self.shade_combo)
        page = QWidget(self)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.plot_widget, 1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message)
        self.stack.addWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self.set_surface(None)

    # ------------------------------------------------------------------ public interface
    def has_model(self) -> bool:
        return self._kind in (LINE, CLASSIFIER)

    def set_surface(self, surface) -> None:
        """Show ``surface``'s data (or say there is no model); clears the runs' curves."""
        self.surface = surface
        kind = getattr(surface, "model_kind", "") if surface is not None else ""
        self._kind = kind if kind in (LINE, CLASSIFIER) else ""
        self._drawn = [None] * len(self._labels)
        self._shade = None
        if not self.has_model():
            what = "No surface is loaded." if surface is None else (
                f"There is no model to show: {surface.title or surface.name} is an analytic "
                "surface, a formula in θ₁ and θ₂ with no data behind it. Pick a data-defined "
                "surface (linear-regression, logistic-spoiler or mlp-plane) to see the line "
                "or decision boundary each run's parameters define.")
            self.message.setText(what)
            self.stack.setCurrentIndex(0)
            return
        data = surface.model_data()
        self.stack.setCurrentIndex(1)
        x0, x1, y0, y1 = data.view
        self.plot.setLabel("bottom", data.axis_names[0])
        self.plot.setLabel("left", data.axis_names[1])
        first = LINE_DATA_COLOR if self._kind == LINE else CLASS_COLORS[0]
        self.scatter[0].setPen(pg.mkPen(first, width=1))
        self.scatter[0].setBrush(pg.mkBrush(first + "b0"))
        if self._kind == LINE:
            self.scatter[0].setData(data.inputs[:, 0], data.targets)
            self.scatter[1].setData([], [])
        else:
            for c in (0, 1):
                m = data.classes == c
                self.scatter[c].setData(data.inputs[m, 0], data.inputs[m, 1])
        if data.highlight:
            pts = data.inputs[list(data.highlight)]
            ys = data.targets[list(data.highlight)] if self._kind == LINE else pts[:, 1]
            self.highlight.setData(pts[:, 0], ys)
            self.highlight_text.setText(data.highlight_label)
            self.highlight_text.setPos(float(pts[0, 0]), float(ys[0]))
            self.highlight_text.show()
        else:
            self.highlight.setData([], [])
            self.highlight_text.hide()
        self._view = data.view
        if self._kind == CLASSIFIER:
            self._grid_x = np.linspace(x0, x1, GRID)
            self._grid_y = np.linspace(y0, y1, GRID)
            gx, gy = np.meshgrid(self._grid_x, self._grid_y)
            self._grid_pts = np.column_stack([gx.ravel(), gy.ravel()])
            dx, dy = (x1 - x0) / (GRID - 1), (y1 - y0) / (GRID - 1)
            # the rect maps pixels to inputs; it is applied after every setImage because
            # ImageItem scales by the current image's size
            self._rect = (x0 - dx / 2, y0 - dy / 2, (x1 - x0) + dx, (y1 - y0) + dy)
        self.image.setVisible(False)
        shade = self._kind == CLASSIFIER
        self.shade_combo.setVisible(shade)
        self.shade_label.setVisible(shade)
        self.plot.setXRange(x0, x1, padding=0)
        self.plot.setYRange(y0, y1, padding=0)
        for c in self._curves:
            c.setData([], [])
        self.caption.setText(self._legend_text())

    def set_runs(self, labels: Sequence[str], colors: Sequence[str],
                 selected: int | None = None) -> None:
        """The runs in order, their colours, and the run whose probability is shaded (None:
        keep the current one, or the first)."""
        self._labels, self._colors = list(labels), list(colors)
        while len(self._curves) < len(labels):
            c = pg.PlotDataItem()
            c.setZValue(8)
            self.plot.addItem(c)
            self._curves.append(c)
        self.legend.clear()
        for i, c in enumerate(self._curves):
            if i < len(labels):
                c.setPen(pg.mkPen(self._colors[i], width=2))
                self.legend.addItem(c, self._labels[i])
            else:
                c.setData([], [])
        if selected is not None:
            self._selected = int(selected)
        if not 0 <= self._selected < max(len(labels), 1):
            self._selected = 0
        self.shade_combo.blockSignals(True)
        self.shade_combo.clear()
        self.shade_combo.addItems(self._labels)
        if labels:
            self.shade_combo.setCurrentIndex(self._selected)
        self.shade_combo.blockSignals(False)
        self._drawn = [None] * len(labels)

    def selected(self) -> int:
        return self._selected

    def select(self, index: int) -> None:
        """Shade run ``index`` (as if picked in the view)."""
        if 0 <= index < len(self._labels) and index != self._selected:
            self.shade_combo.setCurrentIndex(index)
            self._on_shade_picked(index)

    def update_frame(self, thetas: Sequence, step: int | None = None) -> None:
        """Draw each run's model at its θ (2,) (None: not drawn, e.g. no run yet)."""
        self._thetas = list(thetas)
        if not self.has_model():
            return
        n = len(self._labels)
        self._drawn = [None] * n
        for i in range(n):
            th = self._thetas[i] if i < len(self._thetas) else None
            if th is None or not np.all(np.isfinite(th)):
                self._curves[i].setData([], [])
                continue
            pts = self._line(th) if self._kind == LINE else self._boundary(th)
            self._drawn[i] = pts
            if self._kind == LINE:
                self._curves[i].setData(pts[:, 0], pts[:, 1])
            else:
                self._curves[i].setData(pts[:, 0], pts[:, 1], connect="pairs")
        self._update_shade()
        where = f"step {step} · " if step is not None else ""
        self.caption.setText(where + self._legend_text())

    def export_image(self, path: str) -> None:
        """The plot as PNG or SVG (by extension), written atomically."""
        import pyqtgraph.exporters as exporters

        from engine.atomic import atomic_path

        svg = str(path).lower().endswith(".svg")
        with atomic_path(path) as tmp:
            exp = (exporters.SVGExporter if svg else exporters.ImageExporter)(self.plot)
            if not svg:
                exp.parameters()["width"] = max(1200, self.plot_widget.width())
            exp.export(str(tmp))

    # ------------------------------------------------------------------ accessors for tests
    def drawn_curves(self) -> list[np.ndarray | None]:
        """Per run what is drawn: a line's two end points (2, 2), a classifier's boundary as
        segments (2k, 2) (consecutive pairs), None when nothing is drawn."""
        return list(self._drawn)

    def shaded_probability(self) -> np.ndarray | None:
        """The selected run's probability on the GRID × GRID inputs (rows = x₂), or None."""
        return self._shade

    # ------------------------------------------------------------------ internals
    def _line(self, theta) -> np.ndarray:
        x0, x1 = self._view[0], self._view[1]
        xs = np.array([[x0], [x1]])
        return np.column_stack([xs[:, 0], self.surface.model_output(theta, xs)])

    def _logit_grid(self, theta) -> np.ndarray:
        z = np.asarray(self.surface.model_output(theta, self._grid_pts), dtype=float)
        return z.reshape(GRID, GRID)

    def _boundary(self, theta) -> np.ndarray:
        return contour_segments(self._logit_grid(theta), self._grid_x, self._grid_y, [0.0])

    def _update_shade(self) -> None:
        th = self._thetas[self._selected] if self._selected < len(self._thetas) else None
        if self._kind != CLASSIFIER or th is None or not np.all(np.isfinite(th)):
            self._shade = None
            self.image.setVisible(False)
            return
        z = self._logit_grid(th)
        e = np.exp(-np.abs(z))
        self._shade = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        self.image.setImage(self._shade, levels=(0.0, 1.0), autoLevels=False)
        self.image.setRect(*self._rect)
        self.image.setVisible(True)

    def _on_shade_picked(self, index: int) -> None:
        self._selected = index
        self._update_shade()
        self.selectedChanged.emit(index)

    def _legend_text(self) -> str:
        if self._kind == LINE:
            return "lines ŷ = w·x + b"
        return "○ class 0  △ class 1  lines: p = 0.5"
