"""Wires the model view into the main window as the "Model" tab beside the plots.

``install_model_view(win)`` adds the tab and keeps it in step through the window's public
signals: ``simulationRebuilt`` (new surface or runs) and ``frameDrawn(step)`` (playback and
the timeline). The view is drawn only while its tab is visible (and once more when it is
shown). The run selected in the run list is the one whose probability is shaded.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from gui.model_view import ModelView


class ModelTab:
    """Owns the ModelView of MainWindow ``win``, built when its tab is first shown (or
    ``view`` first used) and brought up to date then."""

    def __init__(self, win):
        self.win = win
        self._page = win.add_lazy_tab(self._build, "Model", lambda _view: self.on_rebuilt())
        self.index = win.tabs.indexOf(self._page)
        self._surface_key = object()
        win.simulationRebuilt.connect(self.on_rebuilt)
        win.frameDrawn.connect(self.on_frame)
        win.tabs.currentChanged.connect(lambda _i: self.on_frame(win.shown_step()))
        win.run_editor.selectionChanged.connect(self.on_selection)
        self.export_action = self._add_export_action()
        self.on_rebuilt()

    @property
    def view(self) -> ModelView:
        return self._page.content()

    @staticmethod
    def _build() -> ModelView:
        from gui.model_view import ModelView

        return ModelView()

    def _add_export_action(self) -> QAction:
        """File → "Export model image (PNG/SVG)…", after the window image."""
        act = QAction("Export m&odel image (PNG/SVG)…", self.win)
        act.setStatusTip("The model tab's picture: the data and each run's line or boundary")
        act.triggered.connect(lambda _checked=False: self.export_dialog())
        menu = next(m for m in self.win.menuBar().findChildren(QMenu)
                    if m.title().replace("&", "") == "File")
        actions = menu.actions()
        after = [i for i, a in enumerate(actions) if "window image" in a.text()]
        if after and after[0] + 1 < len(actions):
            menu.insertAction(actions[after[0] + 1], act)
        else:
            menu.addAction(act)
        return act

    def export(self, path: str) -> None:
        """Write the model at the shown step as PNG or SVG (by extension), atomically."""
        if self.win.simulation() is None or not self.view.has_model():
            raise ValueError("no model to export: the surface is not data-defined")
        step = self.win.shown_step()
        self.view.update_frame(self.thetas(step), step)  # also when the tab is hidden
        self.view.export_image(path)

    def export_dialog(self) -> None:
        win = self.win
        path = win.dialogs.save_path(win, "Export model image",
                                     f"{win._suggested_stem()}-model.png",
                                     "PNG image (*.png);;SVG image (*.svg)")
        if path:
            if not path.lower().endswith((".png", ".svg")):
                path += ".png"
            win._guarded(lambda: self.export(path), f"Wrote {path}")

    def visible(self) -> bool:
        return self.win.tabs.currentIndex() == self.index

    def on_rebuilt(self) -> None:
        if not self._page.is_built():
            return  # brought up to date when built
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
        if chosen is not None and self.win.simulation() is not None and self._page.is_built():
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
        if (sim is None or not self._page.is_built() or not self.visible()
                or not self.view.has_model()):
            return
        self.view.update_frame(self.thetas(step), step)


def install_model_view(win) -> ModelTab:
    win.model_tab = ModelTab(win)
    return win.model_tab
