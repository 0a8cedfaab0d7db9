"""The Metrics panel: a table of every run's training loss and the surface's own metrics (e.g.
the flat-vs-sharp surface's test loss) at the step the window shows, updated with each frame.

``MetricsView`` is a plain widget fed a Simulation and a step; ``install_metrics_view(win)``
puts it in a dock of the main window and keeps it in step with the window's signals.
"""
from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from engine.metrics import metric_names, metric_table

NO_METRICS = ("This surface defines no metrics besides the training loss.")


def format_value(v: float) -> str:
    """A table cell: four significant digits; "—" where a run has no value."""
    return "—" if not math.isfinite(v) else f"{v:.4g}"


def color_icon(color: str, size: int = 10) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(QColor(color))
    return QIcon(pix)


class MetricsView(QWidget):
    """One row per run (its colour and label), one column per figure: the training loss,
    then each of the surface's ``metric_names``, at the step given to ``show_step``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._sim = None
        self._step: int | None = None
        self._stale = False
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Each run at the step shown on the map (a stopped run at its "
                              "last step)")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.caption)
        lay.addWidget(self.table, 1)
        self.set_simulation(None)

    # ------------------------------------------------------------------ model
    @property
    def names(self) -> tuple[str, ...]:
        """The figure columns shown (the training loss first)."""
        return tuple(self.table.horizontalHeaderItem(c).text()
                     for c in range(1, self.table.columnCount()))

    @property
    def has_metrics(self) -> bool:
        """True when the surface declares metrics of its own (besides the training loss)."""
        return len(self.names) > 1

    def set_simulation(self, sim, labels=None, colors=None) -> None:
        """Show the runs of ``sim`` (None: an empty table) with these labels and colours
        (default: the runs' labels, grey)."""
        self._sim = sim
        self._step = None
        names = metric_names(sim.surface) if sim is not None else metric_names(None)
        runs = sim.runs if sim is not None else ()
        labels = list(labels) if labels is not None else [r.label for r in runs]
        colors = list(colors) if colors is not None else ["#7f7f7f"] * len(runs)
        t = self.table
        t.clear()
        t.setColumnCount(1 + len(names))
        t.setHorizontalHeaderLabels(["run", *names])
        t.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        t.setRowCount(len(runs))
        for r, (label, color) in enumerate(zip(labels, colors)):
            item = QTableWidgetItem(color_icon(color), label)
            t.setItem(r, 0, item)
            for c in range(len(names)):
                cell = QTableWidgetItem("—")
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                t.setItem(r, c + 1, cell)
        self._caption()

    def show_step(self, step: int | None) -> None:
        """Fill the table with each run's figures at ``step`` (None: the newest). While the
        widget is hidden the work waits until it is shown again."""
        self._step = step
        if not self.isVisible():
            self._stale = True
            return
        self._fill()

    def values(self) -> list[list[str]]:
        """The table's text, row by row (the run's label first)."""
        t = self.table
        return [[t.item(r, c).text() for c in range(t.columnCount())]
                for r in range(t.rowCount())]

    # ------------------------------------------------------------------ internals
    def _fill(self) -> None:
        self._stale = False
        if self._sim is None:
            return
        table = metric_table(self._sim, self._step)
        for r in range(min(self.table.rowCount(), len(table.values))):
            for c, v in enumerate(table.values[r]):
                self.table.item(r, c + 1).setText(format_value(float(v)))
        self._caption()

    def _caption(self) -> None:
        if self._sim is None:
            self.caption.setText("No runs.")
            return
        step = self._sim.step if self._step is None else min(self._step, self._sim.step)
        text = f"At step {step:,}"
        if not self.has_metrics:
            text += f". {NO_METRICS}"
        self.caption.setText(text)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().showEvent(event)
        if self._stale:
            self._fill()


def install_metrics_view(win) -> MetricsView:
    """Add the Metrics dock to MainWindow ``win`` (below the run list) and keep it in step:
    rebuilt with the simulation, refreshed with every drawn frame. The dock shows itself when
    a surface with metrics of its own is loaded and hides itself when one without is."""
    view = MetricsView()
    dock = win.add_dock(view, "Metrics", Qt.DockWidgetArea.LeftDockWidgetArea)
    runs_dock = getattr(win, "runs_dock", None)
    if runs_dock is not None:
        win.splitDockWidget(runs_dock, dock, Qt.Orientation.Vertical)
    shown_for: list = [None]  # the metric names the dock's visibility was last set for

    def rebuilt() -> None:
        sim = win.simulation()
        colors = win._colors() if sim is not None else None
        view.set_simulation(sim, colors=colors)
        names = view.names
        if sim is not None and names != shown_for[0]:
            shown_for[0] = names
            dock.setVisible(view.has_metrics)
        view.show_step(win.shown_step())

    win.simulationRebuilt.connect(rebuilt)
    win.frameDrawn.connect(view.show_step)
    win.metrics_view, win.metrics_dock = view, dock
    rebuilt()
    return view
