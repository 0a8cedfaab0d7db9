"""Wires the model view into the main window as the "Model" tab beside the plots.

``install_model_view(win)`` adds the tab and keeps it in step through the window's public
signals: ``simulationRebuilt`` (new surface or runs) and ``frameDrawn(step)`` (playback and
the timeline). The view is drawn only while its tab is visible (and once more when it is
shown). The run selected in the run list is the one whose probability is shaded.
"""
from __future__ import annotations

import numpy as np

from gui.model_view import ModelView


class ModelTab:
    """Owns the ModelView of MainWindow ``win``."""

    def __init__(self, win):
        self.win = win
        self.view = ModelView()
        self.index = win.add_tab(self.view, "Model")
        self._surface_key = object()
        win.simulationRebuilt.connect(self.on_rebuilt)
        win.frameDrawn.connect(self.on_frame)
        win.tabs.currentChanged.connect(lambda _i: self.on_frame(win.shown_step()))
        win.run_editor.selectionChanged.connect(self.on_selection)
        self.on_rebuilt()

    def visible(self) -> bool:
        return self.win.tabs.currentIndex() == self.index

    def on_rebuilt(self) -> None:
        sim = self.win.simulation()
        surface = sim.surface if sim is not None else None
        key = self.win.experiment().surface if surface is not None else None
        if key != self._surface_key:
            self._surface_key = key
            self.view.set_surface(surface)
        if sim is None:
            self.view.set_runs([], [])
            return
        self.view.set_runs([r.label for r in sim.runs], self.win._colors(), self._chosen())
        self.on_frame(self.win.shown_step())

    def _chosen(self) -> int | None:
        """The first run selected in the run list, as an index into the simulation's runs."""
        runs = self.win._sim_runs
        chosen = [runs.index(i) for i in self.win.run_editor.selected_indices() if i in runs]
        return chosen[0] if chosen else None

    def on_selection(self) -> None:
        """The run selected in the run list is the one shaded."""
        chosen = self._chosen()
        if chosen is not None and self.win.simulation() is not None:
            self.view.select(chosen)

    def thetas(self, step: int) -> list:
        """θ of every run at ``step`` (a run that stopped earlier: its last recorded θ)."""
        sim = self.win.simulation()
        out = []
        for i in range(sim.n):
            theta = sim.history(i).theta
            out.append(np.asarray(theta[min(step, len(theta) - 1)]) if len(theta) else None)
        return out

    def on_frame(self, step: int) -> None:
        sim = self.win.simulation()
        if sim is None or not self.visible() or not self.view.has_model():
            return
        self.view.update_frame(self.thetas(step), step)


def install_model_view(win) -> ModelTab:
    win.model_tab = ModelTab(win)
    return win.model_tab
