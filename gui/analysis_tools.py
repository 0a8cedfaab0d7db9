"""Wires the analysis tools into the main window: the Analysis, LR sweep and 3-D tabs, the
right-click point analysis on the map, gradient arrows at every run, and η as a multiple of
η_opt in the run editor."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from engine.analysis import find_critical_points
from engine.experiment import RunConfig
from gui.analysis_panel import AnalysisPanel, eta_multiple_text
from gui.point_overlay import PointOverlay, RunGradientArrows

if TYPE_CHECKING:
    from gui.sweep_panel import SweepPanel
    from gui.view3d import Surface3DView


class AnalysisTools:
    """Owns the analysis widgets of MainWindow ``win`` and keeps them in step with it. The
    three tabs are built when first shown (or when ``analysis``, ``sweep`` or ``view3d`` is
    first used), and brought up to date then; the map's overlays, the gradient arrows and
    the run editor's η hint work from the start."""

    def __init__(self, win):
        self.win = win
        self._analysis_page = win.add_lazy_tab(self._build_analysis, "Analysis",
                                               self._ready_analysis)
        self._sweep_page = win.add_lazy_tab(self._build_sweep, "LR sweep", self._ready_sweep)
        self._view3d_page = win.add_lazy_tab(self._build_view3d, "3-D", self._ready_view3d)
        self.analysis_tab = win.tabs.indexOf(self._analysis_page)
        self.sweep_tab = win.tabs.indexOf(self._sweep_page)
        self.view3d_tab = win.tabs.indexOf(self._view3d_page)
        plot_item = win.map_view.plot_item
        self.point_overlay = PointOverlay(plot_item, win.map_view)
        self.grad_arrows = RunGradientArrows(plot_item, win.map_view)
        self.grad_arrows.set_visible(False)
        self._surface_key = None
        self._found = None
        self._sweep_optimizer = None  # the first run's optimizer when the experiment loaded
        self._frames = 0

        view = win.view_menu
        view.addSeparator()
        self.arrows_action = QAction("&Gradient arrows at every run", win, checkable=True)
        self.arrows_action.setShortcut(QKeySequence("G"))
        self.arrows_action.setStatusTip("Draw −∇L at each run's current position: normal to "
                                        "the contour lines, pointing downhill, where a "
                                        "gradient step goes")
        self.arrows_action.toggled.connect(self._toggle_arrows)
        view.addAction(self.arrows_action)
        win.addAction(self.arrows_action)
        clear = QAction("Clear &point analysis", win)
        clear.setShortcut(QKeySequence("Ctrl+K"))
        clear.setStatusTip("Remove the gradient and Hessian arrows drawn by a right-click")
        clear.triggered.connect(self.point_overlay.clear)
        view.addAction(clear)
        win.addAction(clear)

        win.map_view.pointRequested.connect(self.show_point)
        win.simulationRebuilt.connect(self.on_rebuilt)
        win.runsRestyled.connect(self.on_restyled)
        win.experimentLoaded.connect(self.on_loaded)
        win.frameDrawn.connect(self.on_frame)
        win.tabs.currentChanged.connect(lambda _i: self.on_frame(win.shown_step()))
        win.run_editor.set_hint_provider(self.eta_hint)
        self.on_rebuilt()

    # ------------------------------------------------------------------ the tabs, built lazily
    @property
    def analysis(self) -> AnalysisPanel:
        return self._analysis_page.content()

    @property
    def sweep(self) -> SweepPanel:
        return self._sweep_page.content()

    @property
    def view3d(self) -> Surface3DView:
        return self._view3d_page.content()

    def _build_analysis(self) -> AnalysisPanel:
        panel = AnalysisPanel()
        panel.pointActivated.connect(self.show_point)
        return panel

    def _ready_analysis(self, panel: AnalysisPanel) -> None:
        sim = self.win.simulation()
        if sim is None or self._found is None:
            return
        panel.table.set_surface(sim.surface, found=self._found)
        panel.fit_table()
        panel.step_size.set_simulation(sim, self.win._colors(), self._found)

    def _build_sweep(self) -> SweepPanel:
        from gui.sweep_panel import SweepPanel

        panel = SweepPanel()
        panel.runRequested.connect(self.add_run)
        return panel

    def _ready_sweep(self, panel: SweepPanel) -> None:
        sim = self.win.simulation()
        if sim is not None:
            panel.set_surface(sim.surface, start=sim.runs[0].start)
        if self._sweep_optimizer is not None:  # as the last experimentLoaded would have
            panel.set_optimizer(self._sweep_optimizer)

    def _build_view3d(self) -> Surface3DView:
        from gui.view3d import Surface3DView

        return Surface3DView()  # it follows the zoom (gui.presentation, on tabBuilt)

    def _ready_view3d(self, view: Surface3DView) -> None:
        sim = self.win.simulation()
        if sim is not None:
            view.set_surface(sim.surface)
            self.on_frame(self.win.shown_step())

    # ------------------------------------------------------------------ reactions
    def surface(self):
        sim = self.win.simulation()
        return sim.surface if sim is not None else self.win.surface_panel.surface()

    def eta_hint(self, run: RunConfig) -> str:
        """η against the local curvature at the run's start (or why no prediction holds)."""
        surface = self.surface()
        if surface is None or "lr" not in run.hyper:
            return ""
        return eta_multiple_text(surface, run.optimizer, run.hyper["lr"], run.start,
                                 run.schedule.name)

    def show_point(self, x: float, y: float) -> None:
        surface = self.surface()
        if surface is None:
            return
        a = self.point_overlay.show(surface, x, y)
        kind = f" ({a.kind})" if getattr(a, "kind", "") else ""
        self.win.statusBar().showMessage(
            f"At ({x:.4g}, {y:.4g}){kind}: ∇L (black) points uphill, normal to the contour; "
            "the legend names the other arrows. Ctrl+K clears.", 10000)

    def _toggle_arrows(self, on: bool) -> None:
        self.grad_arrows.set_visible(on)
        self.on_frame(self.win.shown_step())

    def add_run(self, d: dict) -> None:
        """A click on the sweep plot: that η as a new run on the map."""
        lr = d["hyper"].get("lr", d["hyper"].get("step_init"))
        run = RunConfig(f"{d['optimizer']} η={lr:.3g}", d["optimizer"], dict(d["hyper"]),
                        tuple(d["start"]) if d.get("start") is not None else None)
        self.win.run_editor.append_run(run)
        self.win.statusBar().showMessage(f"Added a run with η = {lr:.4g} from the sweep.", 6000)

    def on_loaded(self) -> None:
        """A new experiment: sweep the optimizer of its first run by default."""
        runs = self.win.experiment().runs
        if not runs:
            return
        self._sweep_optimizer = runs[0].optimizer
        if self._sweep_page.is_built() and not self.sweep.running:
            self.sweep.set_optimizer(self._sweep_optimizer)

    def on_rebuilt(self) -> None:
        sim = self.win.simulation()
        self.point_overlay.clear()
        if sim is None:
            return
        colors = self.win._colors()
        key = self.win.experiment().surface
        surface_changed = key != self._surface_key
        if surface_changed:  # costly: only when the surface changes
            self._surface_key = key
            self._found = find_critical_points(sim.surface)
            # mark what the search found (e.g. on a typed expression, which lists none); a
            # valley of minima is drawn as the points found along it
            self.win.map_view.mark_critical_points(self._found)
        if self._analysis_page.is_built():
            if surface_changed:
                self.analysis.table.set_surface(sim.surface, found=self._found)
                self.analysis.fit_table()
            self.analysis.step_size.set_simulation(sim, colors, self._found)
        if self._view3d_page.is_built() and surface_changed:
            self.view3d.set_surface(sim.surface)
        if self._sweep_page.is_built():
            self.sweep.set_surface(sim.surface, start=sim.runs[0].start)
        self.win.run_editor._show_hint()
        self.on_frame(0)

    def on_restyled(self) -> None:
        """Run colours changed (the race goes on): redraw the step-size panel in them."""
        sim = self.win.simulation()
        if sim is not None and self._analysis_page.is_built():
            self.analysis.step_size.restyle(self.win._colors())
            self.on_frame(self.win.shown_step())

    def on_frame(self, _step: int) -> None:
        sim = self.win.simulation()
        if sim is None or sim is self.win.busy_simulation:  # a background job is using it
            return
        colors = self.win._colors()
        if self.arrows_action.isChecked():
            self.grad_arrows.update(sim.surface, sim.current_theta(), colors)
        current = self.win.tabs.currentIndex()
        self._frames += 1
        playing = self.win.is_playing
        if (current == self.analysis_tab and self._analysis_page.is_built()
                and (not playing or self._frames % 10 == 0)):
            self.analysis.refresh()
        elif (current == self.view3d_tab and self._view3d_page.is_built()
              and (not playing or self._frames % 5 == 0)):
            self.view3d.set_trajectories([sim.history(i).theta for i in range(sim.n)], colors)


def install_analysis_tools(win) -> AnalysisTools:
    win.analysis_tools = AnalysisTools(win)
    return win.analysis_tools
