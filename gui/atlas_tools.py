"""Wires the convergence atlas into the main window: the Atlas tab, the start-point layer on
the contour map (with its legend, switched on and off), hover read-outs, clicks that add a run
starting in the clicked cell (or with its hyperparameters), and a cache of results per
settings, so going back to earlier settings shows them at once.

While the start-point layer is shown, a click on the map adds a run there instead of moving
the runs' starts (the status bar says so); switch the layer off to click-to-start again.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QRectF

from engine.atlas import Atlas, AtlasError, check_config
from engine.experiment import ExperimentError
from gui.atlas_image import atlas_colors, image_rect
from gui.atlas_worker import AtlasWorker

if TYPE_CHECKING:
    from gui.atlas_panel import AtlasPanel

MAX_CACHED = 12


class AtlasTools:
    """The atlas of MainWindow ``win``: its tab (built when first shown, or when ``panel`` is
    first used), the layer and legend on the map, the worker and the cache of results."""

    def __init__(self, win):
        self.win = win
        self._page = win.add_lazy_tab(self._build_panel, "Atlas", self._ready_panel)
        self.tab = win.tabs.indexOf(self._page)
        self.worker = AtlasWorker(win)
        self.cache: dict[tuple, object] = {}
        self.result = None
        self._key = None
        self._surface_key = None
        self._table: dict | None = None  # the loaded experiment's atlas settings, if any
        self._clicks_taken = False
        self.layer = pg.ImageItem(axisOrder="row-major")
        self.layer.setZValue(-60)  # over the surface image, under contours and paths
        self.layer.setOpacity(0.8)
        self.layer.hide()
        win.map_view.add_overlay(self.layer)
        self.legend = pg.LegendItem(offset=(8, 8), labelTextColor="#202020",
                                    brush=pg.mkBrush(255, 255, 255, 225),
                                    pen=pg.mkPen("#888888"))
        self.legend.setParentItem(win.map_view.plot_item.getViewBox())
        self.legend.hide()

        self.worker.partial.connect(self._show)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        win.map_view.hovered.connect(self._on_map_hover)
        win.experimentLoaded.connect(self._on_loaded)
        win.simulationRebuilt.connect(self._on_rebuilt)
        self._on_loaded()

    @property
    def panel(self) -> AtlasPanel:
        return self._page.content()

    def _build_panel(self) -> AtlasPanel:
        from gui.atlas_panel import AtlasPanel

        p = AtlasPanel()
        p.computeRequested.connect(self.compute)
        p.cancelRequested.connect(self.worker.cancel)
        p.outcomeChanged.connect(lambda _o: self._draw())
        p.layerToggled.connect(self._set_layer_visible)
        p.cellClicked.connect(self.add_run_for_cell)
        self.worker.progress.connect(p.set_progress)
        return p

    def _ready_panel(self, panel: AtlasPanel) -> None:
        panel.set_experiment(self.win.experiment())
        if self._table is not None:
            panel.apply_table(self._table)

    # ------------------------------------------------------------------ settings
    def _on_loaded(self) -> None:
        exp = self.win.experiment()
        self._table = dict(exp.atlas) if exp.atlas else None
        if self._page.is_built():
            self._ready_panel(self.panel)
        if exp.atlas:  # an atlas experiment: its settings, and its tab in front
            self.win.tabs.setCurrentIndex(self.tab)
            self.win.statusBar().showMessage("This experiment comes with an atlas: press "
                                             "Compute atlas in the Atlas tab", 10000)
        self._surface_key = exp.surface

    def _on_rebuilt(self) -> None:
        exp = self.win.experiment()
        if not self.worker.running and self._page.is_built():
            self.panel.set_experiment(exp)
        if exp.surface != self._surface_key:  # a new surface: the old map no longer applies
            self._surface_key = exp.surface
            self._clear()

    def _cache_key(self, config) -> str:
        """Everything a cell's outcome depends on (the outcome shown does not: every outcome
        is computed at once)."""
        exp = self.win.experiment()
        run = replace(next(r for r in exp.runs if r.label == config.run), color=None)
        return repr((exp.surface.to_toml(), run.to_toml(), exp.seed, exp.tolerance,
                     exp.batch_size, exp.gradient_noise, replace(config, outcome="basin")))

    # ------------------------------------------------------------------ compute
    def compute(self) -> None:
        """Start the atlas of the panel's settings (or show the cached one)."""
        if self.worker.running:
            return
        sim = self.win.simulation()
        if sim is None:
            self.win.statusBar().showMessage(f"Cannot compute an atlas: {self.win.problem}",
                                             8000)
            return
        exp = self.win.experiment()
        try:
            (x0, x1), (y0, y1) = self.win.map_view.view_box.viewRange()
            config = check_config(exp, self.panel.config((x0, x1, y0, y1)), sim.surface)
        except (AtlasError, ExperimentError, ValueError) as exc:
            self.panel.readout.setText(f"<span style='color:#b00020'>{exc}</span>")
            self.win.statusBar().showMessage(f"Atlas: {exc}", 8000)
            return
        key = self._cache_key(config)
        if key in self.cache:
            self._key = key
            self._show(self.cache[key])
            self.win.statusBar().showMessage("Atlas: shown from the results already computed "
                                             "for these settings", 5000)
            return
        self._key = key
        self.win.pause()
        surface = sim.surface
        self.panel.set_running(True, config.cells)
        self.panel.readout.setText(f"Computing {config.cells:,} cells × {config.steps:,} "
                                   "steps in the background…")
        self.worker.start(lambda: Atlas(exp, config, surface=surface))

    def _finished(self, result) -> None:
        self.panel.set_running(False)
        self._show(result)
        if result.complete:
            self.cache[self._key] = result
            while len(self.cache) > MAX_CACHED:
                self.cache.pop(next(iter(self.cache)))
            self.panel.readout.setText("Done. Hover over a cell to read it; a click adds a run "
                                       "with that start or those hyperparameters.")
        else:
            self.panel.readout.setText(f"Cancelled after {result.done:,} of "
                                       f"{result.config.cells:,} cells (they stay shown).")

    def _failed(self, message: str) -> None:
        self.panel.set_running(False)
        self.panel.readout.setText(f"<span style='color:#b00020'>Atlas failed: {message}"
                                   "</span>")

    # ------------------------------------------------------------------ drawing
    def _show(self, result) -> None:
        self.result = result
        self._draw()

    def _draw(self) -> None:
        r = self.result
        if r is None:
            return
        surface = self.win.simulation().surface if self.win.simulation() else None
        self.panel.show_result(r, surface)
        if not r.config.over_starts:
            self._set_layer_visible(False, keep_box=True)
            return
        colors = atlas_colors(r, self.panel.outcome.currentData())
        self.layer.setImage(colors.rgba, autoLevels=False, levels=(0, 255))
        self.layer.setRect(QRectF(*image_rect(r)))
        self.legend.clear()
        for color, text in colors.legend:
            self.legend.addItem(pg.ScatterPlotItem(symbol="s", size=12, brush=pg.mkBrush(color),
                                                   pen=pg.mkPen("#555555")), text)
        self._set_layer_visible(self.panel.show_layer.isChecked(), keep_box=True)

    def _set_layer_visible(self, on: bool, keep_box: bool = False) -> None:
        on = bool(on and self.result is not None and self.result.config.over_starts)
        self.layer.setVisible(on)
        self.legend.setVisible(on)
        self._take_clicks(on)

    def _take_clicks(self, on: bool) -> None:
        """While the layer shows, a map click adds a run in that cell."""
        mv = self.win.map_view
        if on and not self._clicks_taken:
            mv.startRequested.disconnect(self.win._on_map_click)
            mv.startRequested.connect(self._on_map_click)
            self._clicks_taken = True
            self.win.statusBar().showMessage("Atlas layer on: a click on the map adds a run "
                                             "starting there (untick 'Show on map' to move "
                                             "the runs instead)", 8000)
        elif not on and self._clicks_taken:
            mv.startRequested.disconnect(self._on_map_click)
            mv.startRequested.connect(self.win._on_map_click)
            self._clicks_taken = False

    def _clear(self) -> None:
        self.result = None
        self.layer.clear()
        self._set_layer_visible(False)
        if self._page.is_built():
            self.panel.result = None
            self.panel.plot.clear()
            self.panel.legend_label.setText("")

    # ------------------------------------------------------------------ hover / click
    def _cell_on_map(self, x: float, y: float):
        r = self.result
        if r is None or not r.config.over_starts or not self.layer.isVisible():
            return None
        return self.panel.cell_at(x, y)

    def _on_map_hover(self, x: float, y: float, _loss: float) -> None:
        cell = self._cell_on_map(x, y)
        if cell is not None:
            from gui.atlas_panel import cell_html

            text = cell_html(self.result, *cell)
            self.panel.readout.setText(text)
            self.win.statusBar().showMessage("Atlas: " + _plain(text), 4000)

    def _on_map_click(self, x: float, y: float) -> None:
        cell = self._cell_on_map(x, y)
        if cell is None:
            self.win._on_map_click(x, y)
            return
        self.add_run_for_cell(*cell)

    def add_run_for_cell(self, i: int, j: int) -> None:
        """A new run: the atlas's run from that cell's start, or with its hyperparameters."""
        from engine.atlas import _validate_value

        r = self.result
        exp = self.win.experiment()
        base = next((run for run in exp.runs if run.label == r.config.run), None)
        if base is None:
            return
        x, y = float(r.xs[j]), float(r.ys[i])
        if r.config.over_starts:
            run = replace(base, label=f"{base.label} from ({x:.3g}, {y:.3g})", start=(x, y),
                          color=None, enabled=True)
        else:
            run = _validate_value(base, r.x_name, x)
            run = _validate_value(run, r.y_name, y)
            run = replace(run, label=f"{base.label} {r.x_name}={x:.3g} {r.y_name}={y:.3g}",
                          color=None, enabled=True)
        self.win.run_editor.append_run(run)
        self.win.statusBar().showMessage(f"Added run “{run.label}” from the atlas", 6000)


def _plain(html_text: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", html_text)


def install_atlas(win) -> AtlasTools:
    win.atlas_tools = AtlasTools(win)
    return win.atlas_tools
