"""The Atlas tab: the controls of a convergence atlas (start points or two hyperparameters),
its progress with Cancel, the hyperparameter map with the quadratic theory drawn on it, and a
read-out of the cell under the mouse. The window side (the layer on the contour map, clicks
that add runs) is ``gui.atlas_tools``."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from engine.atlas import OUTCOMES, AtlasConfig, AtlasError, Axis, hyper_axis_names
from gui.atlas_image import atlas_colors, draw_atlas, image_rect
from gui.plot_style import clip_title

GRIDS = (32, 64, 128, 256)
OUTCOME_TEXT = {"basin": "Basin: which minimum is reached", "loss": "Final loss (log)",
                "steps": "Steps to tolerance", "rate": "Convergence rate"}


class AtlasPanel(QWidget):
    """Controls and the hyperparameter map. Signals: ``computeRequested()``,
    ``cancelRequested()``, ``outcomeChanged(str)``, ``layerToggled(bool)``,
    ``cellClicked(i, j)`` (a click on the hyperparameter map)."""

    computeRequested = Signal()
    cancelRequested = Signal()
    outcomeChanged = Signal(str)
    layerToggled = Signal(bool)
    cellClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._runs: list = []
        self.result = None
        self.surface = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        grid = QGridLayout()
        lay.addLayout(grid)
        self.mode = QComboBox()
        self.mode.addItem("Start points (a layer on the map)", "start")
        self.mode.addItem("Two hyperparameters (from the run's start)", "hyper")
        self.mode.setToolTip("Vary the start point over the map's view, or two "
                             "hyperparameters of the run")
        self.run_box = QComboBox()
        self.run_box.setToolTip("The run repeated in every cell, exactly as it runs alone")
        self.outcome = QComboBox()
        for key in OUTCOMES:
            self.outcome.addItem(OUTCOME_TEXT[key], key)
        self.outcome.setToolTip("What colours the cells; switching it needs no new "
                                "computation")
        self.grid_box = QComboBox()
        for n in GRIDS:
            self.grid_box.addItem(f"{n} × {n}", (n, n))
        self.grid_box.setCurrentIndex(GRIDS.index(128))
        self.steps = QSpinBox()
        self.steps.setRange(1, 10**7)
        self.steps.setGroupSeparatorShown(True)
        self.steps.setToolTip("Steps per cell (the experiment's by default)")
        grid.addWidget(QLabel("&Map:"), 0, 0)
        grid.itemAtPosition(0, 0).widget().setBuddy(self.mode)
        grid.addWidget(self.mode, 0, 1, 1, 3)
        grid.addWidget(QLabel("Run:"), 1, 0)
        grid.addWidget(self.run_box, 1, 1)
        grid.addWidget(QLabel("Colour by:"), 1, 2)
        grid.addWidget(self.outcome, 1, 3)
        grid.addWidget(QLabel("Grid:"), 2, 0)
        grid.addWidget(self.grid_box, 2, 1)
        grid.addWidget(QLabel("Steps:"), 2, 2)
        grid.addWidget(self.steps, 2, 3)
        self.radius = QLineEdit()
        self.radius.setPlaceholderText("1e-3 × the view's width")
        self.radius.setToolTip("A final point this close to a minimum counts as reaching it "
                               "(the basin outcome); empty: 1e-3 of the view's width")
        self._radius_label = QLabel("Basin radius:")
        grid.addWidget(self._radius_label, 5, 0)
        grid.addWidget(self.radius, 5, 1, 1, 3)
        self.axes: dict[str, tuple[QComboBox, QLineEdit, QLineEdit, QCheckBox]] = {}
        for row, name in ((3, "x"), (4, "y")):
            box, lo, hi, log = QComboBox(), QLineEdit(), QLineEdit(), QCheckBox("log")
            lo.setPlaceholderText("from")
            hi.setPlaceholderText("to")
            line = QHBoxLayout()
            line.addWidget(box, 2)
            line.addWidget(lo, 1)
            line.addWidget(hi, 1)
            line.addWidget(log)
            label = QLabel(f"{name.upper()} axis:")
            grid.addWidget(label, row, 0)
            grid.addLayout(line, row, 1, 1, 3)
            self.axes[name] = (box, lo, hi, log)
            self._axis_rows = getattr(self, "_axis_rows", []) + [label, box, lo, hi, log]
            box.currentIndexChanged.connect(lambda _i, n=name: self._default_range(n))
        buttons = QHBoxLayout()
        self.compute = QPushButton("&Compute atlas")
        self.compute.setToolTip("Run every cell (in the background); results are kept per "
                                "settings")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v of %m cells")
        self.show_layer = QCheckBox("Show on map")
        self.show_layer.setChecked(True)
        self.show_layer.setToolTip("Switch the atlas layer on the contour map on or off")
        buttons.addWidget(self.compute)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.show_layer)
        lay.addLayout(buttons)
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.getViewBox().setMenuEnabled(False)
        self.plot.hideButtons()
        clip_title(self.plot)  # a long title is clipped in a narrow tab, not the map widened
        lay.addWidget(self.plot_widget, 10)
        self.legend_label = QLabel()
        self.legend_label.setWordWrap(True)
        self.legend_label.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.legend_label)
        self.readout = QLabel("Compute an atlas, then hover over a cell to read it; a click "
                              "adds a run with that start or those hyperparameters.")
        self.readout.setWordWrap(True)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setMinimumHeight(self.readout.fontMetrics().height() * 3)
        lay.addWidget(self.readout)
        lay.addStretch(1)  # a start-point atlas has no plot here: keep the controls together

        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.run_box.currentIndexChanged.connect(self._run_changed)
        self.compute.clicked.connect(self.computeRequested)
        self.cancel.clicked.connect(self.cancelRequested)
        self.outcome.currentIndexChanged.connect(
            lambda _i: self.outcomeChanged.emit(self.outcome.currentData()))
        self.show_layer.toggled.connect(self.layerToggled)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_move)
        self.plot_widget.scene().sigMouseClicked.connect(self._on_click)
        self._mode_changed()

    # ------------------------------------------------------------------ inputs
    def set_experiment(self, exp) -> None:
        """Offer ``exp``'s runs; keep the chosen run and settings where they still apply."""
        current = self.run_box.currentText()
        self._runs = list(exp.runs)
        self.run_box.blockSignals(True)
        self.run_box.clear()
        for r in self._runs:
            self.run_box.addItem(r.label)
        idx = self.run_box.findText(current)
        self.run_box.setCurrentIndex(max(0, idx))
        self.run_box.blockSignals(False)
        if self.steps.value() == getattr(self, "_exp_steps", 1) or idx < 0:
            self.steps.setValue(min(exp.steps, self.steps.maximum()))  # follow the experiment
        self._exp_steps = min(exp.steps, self.steps.maximum())
        self._run_changed()

    def apply_table(self, table: dict) -> None:
        """Settings from an experiment file's ``[atlas]`` table."""
        if "run" in table and self.run_box.findText(str(table["run"])) >= 0:
            self.run_box.setCurrentIndex(self.run_box.findText(str(table["run"])))
        if table.get("outcome") in OUTCOMES:
            self.outcome.setCurrentIndex(OUTCOMES.index(table["outcome"]))
        grid = table.get("grid")
        if isinstance(grid, list) and len(grid) == 2:
            i = self.grid_box.findData((grid[0], grid[1]))
            if i < 0:
                self.grid_box.addItem(f"{grid[0]} × {grid[1]} (the file's)", (grid[0], grid[1]))
                i = self.grid_box.count() - 1
            self.grid_box.setCurrentIndex(i)
        if isinstance(table.get("steps"), int):
            self.steps.setValue(table["steps"])
        if table.get("x_param"):
            self.mode.setCurrentIndex(1)
            for name in ("x", "y"):
                box, lo, hi, log = self.axes[name]
                i = box.findData(table.get(f"{name}_param"))
                if i >= 0:
                    box.setCurrentIndex(i)
                parts = str(table.get(f"{name}_range", "")).split(":")
                if len(parts) >= 2:
                    lo.setText(parts[0])
                    hi.setText(parts[1])
                    log.setChecked(len(parts) == 3 and parts[2] == "log")
        else:
            self.mode.setCurrentIndex(0)

    def config(self, view) -> AtlasConfig:
        """The settings as an AtlasConfig (``view``: the map's visible rectangle for a
        start-point atlas); AtlasError names what is wrong."""
        w, h = self.grid_box.currentData()
        run = self.run_box.currentText()
        if not run:
            raise AtlasError("the experiment has no run to map")
        kw = dict(run=run, width=w, height=h, outcome=self.outcome.currentData(),
                  steps=self.steps.value())
        text = self.radius.text().strip()
        if text:
            try:
                kw["basin_radius"] = float(text)
            except ValueError:
                raise AtlasError(f"basin radius: must be a number > 0, got {text!r}") from None
        if self.mode.currentData() == "start":
            return AtlasConfig(view=tuple(float(v) for v in view), **kw)
        axes = []
        for name in ("x", "y"):
            box, lo, hi, log = self.axes[name]
            if box.currentData() is None:
                raise AtlasError(f"{name} axis: this run has no numeric hyperparameter")
            try:
                a, b = float(lo.text()), float(hi.text())
            except ValueError:
                raise AtlasError(f"{name} axis: the range must be two numbers, got "
                                 f"{lo.text()!r} and {hi.text()!r}") from None
            axes.append(Axis(box.currentData(), a, b, log.isChecked()))
        return AtlasConfig(x=axes[0], y=axes[1], **kw)

    def _mode_changed(self) -> None:
        hyper = self.mode.currentData() == "hyper"
        for w in self._axis_rows:  # the axes of a start-point atlas are the map's own
            w.setVisible(hyper)
        self.plot_widget.setVisible(hyper)
        self.show_layer.setVisible(not hyper)

    def _run_changed(self) -> None:
        i = self.run_box.currentIndex()
        names = hyper_axis_names(self._runs[i]) if 0 <= i < len(self._runs) else []
        for k, (name, (box, *_rest)) in enumerate(self.axes.items()):
            keep = box.currentData()
            box.blockSignals(True)
            box.clear()
            for p in names:
                box.addItem(p, p)
            j = box.findData(keep) if keep is not None else -1
            box.setCurrentIndex(j if j >= 0 else min(k, len(names) - 1))
            box.blockSignals(False)
        xbox, ybox = self.axes["x"][0], self.axes["y"][0]
        if xbox.currentData() == ybox.currentData() and len(names) > 1:  # two different axes
            ybox.setCurrentIndex(next(i for i, p in enumerate(names) if p != xbox.currentData()))
        for name in self.axes:
            self._default_range(name)

    def _default_range(self, name: str) -> None:
        box, lo, hi, log = self.axes[name]
        param = box.currentData()
        i = self.run_box.currentIndex()
        if param is None or not 0 <= i < len(self._runs):
            return
        run = self._runs[i]
        if param.startswith("schedule."):
            value = run.schedule.params.get(param.split(".", 1)[1], 1.0)
        else:
            value = run.hyper.get(param, 1.0)
        value = float(value) if isinstance(value, (int, float)) else 1.0
        if param in ("momentum", "beta1", "beta2", "alpha", "rho"):
            lo.setText("0")
            hi.setText("0.99")
            log.setChecked(False)
        elif value > 0:
            lo.setText(f"{value / 30:.3g}")
            hi.setText(f"{value * 30:.3g}")
            log.setChecked(True)
        else:
            lo.setText("0")
            hi.setText("1")
            log.setChecked(False)

    # ------------------------------------------------------------------ state
    def set_running(self, running: bool, total: int = 0) -> None:
        self.compute.setEnabled(not running)
        self.cancel.setEnabled(running)
        if running:
            self.progress.setRange(0, total)
            self.progress.setValue(0)

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def show_result(self, result, surface) -> None:
        """Draw ``result`` (the hyperparameter map here; the legend for either kind)."""
        self.result, self.surface = result, surface
        outcome = self.outcome.currentData()
        colors = atlas_colors(result, outcome)
        self.legend_label.setText(legend_html(colors))
        self.plot.clear()
        if self.plot.legend is not None:
            self.plot.legend.scene().removeItem(self.plot.legend)
            self.plot.legend = None
        if not result.config.over_starts:
            from dataclasses import replace as _replace
            draw_atlas(self.plot, _replace(result, config=_replace(result.config,
                                                                    outcome=outcome)), surface)

    # ------------------------------------------------------------------ hover / click
    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(row, column) of the cell at plot coordinates (x, y) (log₁₀ on log axes)."""
        r = self.result
        if r is None:
            return None
        x0, y0, w, h = image_rect(r)
        if not (x0 <= x <= x0 + w and y0 <= y <= y0 + h):
            return None
        j = min(int((x - x0) / w * len(r.xs)), len(r.xs) - 1)
        i = min(int((y - y0) / h * len(r.ys)), len(r.ys) - 1)
        if i * len(r.xs) + j >= r.done:
            return None
        return i, j

    def describe(self, i: int, j: int) -> str:
        return cell_html(self.result, i, j)

    def _on_move(self, pos) -> None:
        if self.result is None or self.result.config.over_starts:
            return
        p = self.plot.getViewBox().mapSceneToView(pos)
        cell = self.cell_at(p.x(), p.y())
        if cell is not None:
            self.readout.setText(self.describe(*cell))

    def _on_click(self, ev) -> None:
        if self.result is None or self.result.config.over_starts:
            return
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        p = self.plot.getViewBox().mapSceneToView(ev.scenePos())
        cell = self.cell_at(p.x(), p.y())
        if cell is not None:
            self.cellClicked.emit(*cell)


def legend_html(colors) -> str:
    parts = [f"<span style='background:{c}; border:1px solid #555'>&nbsp;&nbsp;&nbsp;&nbsp;"
             f"</span>&nbsp;{text}" for c, text in colors.legend]
    if colors.levels is not None:
        lo, hi = colors.levels
        parts.insert(0, f"colour scale: {colors.label}, from {lo:.3g} (dark) to {hi:.3g} "
                        "(yellow)")
    return " &nbsp; ".join(parts)


def cell_html(result, i: int, j: int) -> str:
    d = result.cell(i, j)
    c = result.config
    where = (f"start ({d[result.x_name]:.4g}, {d[result.y_name]:.4g})" if c.over_starts else
             f"{result.x_name} = {d[result.x_name]:.4g}, {result.y_name} = "
             f"{d[result.y_name]:.4g}")
    status = d["status"] + (f" at step {d['stop_step']:,}" if d["stop_step"] >= 0 else
                            f" after {result.steps:,} steps")
    bits = [f"<b>{where}</b>: {status}"]
    if math.isfinite(d["final_loss"]):
        bits.append(f"final loss {d['final_loss']:.4g} at ({d['final'][0]:.4g}, "
                    f"{d['final'][1]:.4g}), lowest {d['min_loss']:.4g}")
    if d["basin"] >= 0:
        cp = result.critical_points[d["basin"]]
        bits.append(f"reached minimum {d['basin']} at ({cp.x:.4g}, {cp.y:.4g})")
    elif d["status"] != "diverged":
        bits.append("reached no known minimum")
    if d["steps_to_tol"] >= 0:
        bits.append(f"{d['steps_to_tol']:,} steps to tolerance")
    if np.isfinite(d["rate"]):
        bits.append(f"rate {d['rate']:.4g} per step")
    return "; ".join(bits)
