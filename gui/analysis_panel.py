"""Analysis widgets: the critical-point table and the step-size theory panel (predictions
beside the measured convergence rate R_k of each run).

Both take the engine objects they show (a Surface, a Simulation) and compute nothing but
what ``engine.analysis`` provides.
"""
from __future__ import annotations

import html

import math
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHeaderView, QSplitter, QTableWidget, QTableWidgetItem,
                               QTextBrowser, QVBoxLayout, QWidget)

from engine.analysis import (MAX_TABLE_ROWS, CriticalPointInfo, find_critical_points,
                             reference_loss, run_rates, theory_for_surface)
from engine.run_theory import theory_for_run
from engine.step_hint import step_size_hint
from gui.colors import run_color
from gui.plot_style import TEXT_COLOR, clip_title, dark_text

COLUMNS = ("kind", "x", "y", "loss", "λ₁", "λ₂", "κ")


def _fmt(v: float) -> str:
    if v == math.inf:
        return "∞"
    return f"{v:.5g}"


def eta_multiple_text(surface, optimizer: str, lr: float, start=None,
                      schedule: str = "constant") -> str:
    """For the run editor: η against the local curvature at the run's start (default: the
    surface's start) and what the quadratic theory predicts there, or why it predicts
    nothing (``engine.step_hint``)."""
    point = start if start is not None else surface.start
    return step_size_hint(surface, optimizer, lr, point, schedule=schedule).text


class CriticalPointTable(QTableWidget):
    """The critical points of a surface in its view: kind, point, loss, eigenvalues and
    condition number. A click on a row emits ``pointActivated(x, y)``."""

    pointActivated = Signal(float, float)

    def __init__(self, surface=None, parent: QWidget | None = None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip("Critical points in the view (Newton on ∇L = 0 from a grid of seeds), "
                        "classified by the Hessian's eigenvalues. Click a row to draw its "
                        "gradient, eigenvectors and escape direction on the map.")
        self.points: list[CriticalPointInfo] = []
        self.cellClicked.connect(self._on_click)
        if surface is not None:
            self.set_surface(surface)

    def set_surface(self, surface, found: list[CriticalPointInfo] | None = None
                    ) -> list[CriticalPointInfo]:
        """Find and list ``surface``'s critical points (at most ``MAX_TABLE_ROWS`` rows, then
        one row saying how many more); returns them all. ``found``: what
        ``find_critical_points(surface)`` returned already (not searched again)."""
        if found is None:
            found = find_critical_points(surface)
        self.points = found[:MAX_TABLE_ROWS]
        more = len(found) - len(self.points)
        self.clearSpans()
        self.setRowCount(len(self.points) + (1 if more else 0))
        if more:
            item = QTableWidgetItem(f"… and {more} more, not listed (the table shows the "
                                    f"{MAX_TABLE_ROWS} with the lowest loss)")
            self.setItem(len(self.points), 0, item)
            self.setSpan(len(self.points), 0, 1, len(COLUMNS))
        for r, c in enumerate(self.points):
            cells = (c.kind_text, _fmt(c.x), _fmt(c.y), _fmt(c.loss), _fmt(c.eigenvalues[0]),
                     _fmt(c.eigenvalues[1]), _fmt(c.condition_number))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if c.note:
                    item.setToolTip(c.note)
                self.setItem(r, col, item)
        rows = min(max(self.rowCount(), 1), 8)  # no tall empty table for one minimum
        self.setMaximumHeight(self.horizontalHeader().height() + rows * self.rowHeight(0)
                              + 2 * self.frameWidth() + 2 if self.points else 80)
        return found

    def minima(self) -> list[CriticalPointInfo]:
        return [c for c in self.points if c.kind == "minimum"]

    def saddles(self) -> list[CriticalPointInfo]:
        return [c for c in self.points if c.kind == "saddle"]

    def _on_click(self, row: int, _col: int) -> None:
        if 0 <= row < len(self.points):
            c = self.points[row]
            self.pointActivated.emit(c.x, c.y)


class StepSizePanel(QWidget):
    """Step-size theory beside measurement.

    Top: the theory at the surface's minimum (a quadratic's own eigenvalues, else the local
    Hessian there): η_opt per eigen-direction, 2/λmax, 2/(λmax+λmin), κ, and for each GD run
    its η as a multiple of η_opt, |1 − ηλᵢ| and the predicted rate. Bottom: the measured
    R_k = |L^(k+1) − L*| / |L^k − L*| of every run (log axis), with each GD run's predicted
    rate as a dashed line in its colour. Call ``refresh()`` after the simulation advanced.
    """

    def __init__(self, simulation=None, colors: Sequence[str] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.simulation = None
        self.colors: list[str] = []
        self.theory = None
        self.text = QTextBrowser()
        self.text.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.text.setMinimumHeight(60)
        self.plot = pg.PlotWidget(background="w")
        self.plot_item = self.plot.getPlotItem()
        self.plot_item.setLogMode(False, True)
        self.plot_item.setLabel("bottom", "step k")
        self.plot_item.setLabel("left", "R<sub>k</sub> = |L<sup>k+1</sup> − L*| / |L<sup>k</sup> − L*|")
        self.plot_item.setTitle("R<sub>k</sub>: measured, predicted (dashed)",
                                size="9pt")
        self.plot_item.showGrid(True, True, 0.3)
        dark_text(self.plot_item)  # dark axis text (WCAG AA on white)
        clip_title(self.plot_item)  # a narrow panel clips the title, not the plot
        self.legend = self.plot_item.addLegend(offset=(-6, -6), labelTextSize="8pt",
                                               labelTextColor=TEXT_COLOR,  # WCAG AA on white
                                               brush=pg.mkBrush(255, 255, 255, 210))
        self.measured: list[pg.PlotDataItem] = []
        self.predicted: list[pg.InfiniteLine] = []
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.text)
        split.addWidget(self.plot)
        split.setStretchFactor(1, 3)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)
        if simulation is not None:
            self.set_simulation(simulation, colors)

    def set_simulation(self, simulation, colors: Sequence[str] | None = None,
                       critical_points=None) -> None:
        """Show ``simulation``; the theory comes from ``critical_points`` (the table's
        entries; default: the surface's own list of minima)."""
        self.simulation = simulation
        n = simulation.n if simulation is not None else 0
        self.colors = list(colors) if colors else [run_color(i) for i in range(n)]
        self.theory, self.where = None, ""
        self.run_theories: dict[int, tuple] = {}
        self.note = "No positive-definite Hessian at a known minimum: no step-size theory here."
        if simulation is not None:
            surface = simulation.surface
            try:
                self.theory, self.where, note = theory_for_surface(surface, critical_points)
                self.note = note or self.note
                points = critical_points if critical_points is not None else surface.minima
                self.run_theories = {i: theory_for_run(surface, r.start, points)
                                     for i, r in enumerate(simulation.runs)
                                     if r.optimizer == "gd"}
            except Exception:  # noqa: BLE001 - no Hessian available: show measurement only
                self.theory, self.run_theories = None, {}
        self._loss_star = [math.nan] * n
        self.refresh(full=True)

    def _theory_html(self, t, where: str, sim) -> str:
        """The surface's theory (or the note why there is none), then one row per GD run with
        the theory of the minimum a descent from its start reaches."""
        if t is not None:
            lam1, lam2 = (float(v) for v in t.eigenvalues)
            e1, e2 = (float(v) for v in t.eta_opt)
            head = (f"<b>Step-size theory</b> ({html.escape(where)}): λ₁ = {_fmt(lam1)}, "
                    f"λ₂ = {_fmt(lam2)}, κ = {_fmt(t.condition_number)}<br>"
                    f"η_opt per direction 1/λ: {_fmt(e1)}, {_fmt(e2)} · largest convergent "
                    f"step 2/λmax = {_fmt(t.eta_max)} · best single step 2/(λmax+λmin) = "
                    f"{_fmt(t.eta_best)}")
        else:
            head = html.escape(self.note)
        rows = []
        for i, r in enumerate(sim.runs):
            if r.optimizer != "gd":
                continue
            rt, rw, why = self.run_theories.get(i, (None, "", "no prediction"))
            color = self.colors[i] if i < len(self.colors) else "#000"
            cell = (f"<tr><td><span style='color:{color}'>■</span> "
                    f"{html.escape(r.label)}</td><td>{_fmt(r.lr)}</td>")
            if rt is None:
                rows.append(cell + f"<td colspan='3'></td><td>{html.escape(why)}</td></tr>")
                continue
            c1, c2 = (float(v) for v in rt.contraction(r.lr))
            regime = rt.regime(r.lr)
            if rw != where and rt.point is not None:  # its own minimum, not the one above
                regime += f" (at the minimum ({rt.point[0]:.4g}, {rt.point[1]:.4g}))"
            rows.append(cell + f"<td>{rt.eta_multiple(r.lr):.3g}</td><td>{_fmt(c1)}, "
                        f"{_fmt(c2)}</td><td>{_fmt(rt.predicted_rate(r.lr))}</td>"
                        f"<td>{html.escape(regime)}</td></tr>")
        if not rows:
            if t is None:
                return head + " The measured rates are shown below."
            return head + "<br><i>Add a GD run to compare its predicted and measured rate.</i>"
        return (head + "<table cellspacing='0' cellpadding='2' style='margin-top:4px'>"
                "<tr><th align='left'>GD run</th><th>η</th><th>η/η_opt</th>"
                "<th>|1 − ηλᵢ|</th><th>pred. R</th><th align='left'>regime</th></tr>"
                + "".join(rows) + "</table>")

    def predicted_rates(self) -> dict[int, float]:
        """{run index: predicted R} for the GD runs whose minimum has a theory (constant η)."""
        sim = self.simulation
        if sim is None:
            return {}
        out = {}
        for i, (t, _w, _n) in self.run_theories.items():
            if t is not None and t.positive_definite and not t.flat:
                out[i] = t.predicted_rate(sim.runs[i].lr)
        return out

    def refresh(self, full: bool = False) -> None:
        sim = self.simulation
        if full:
            for item in self.measured + self.predicted:
                self.plot_item.removeItem(item)
            self.measured, self.predicted = [], []
            self.legend.clear()
        if sim is None:
            self.text.setText("No experiment.")
            return
        if full:
            self.text.setHtml(self._theory_html(self.theory, self.where, sim))
        for i in range(sim.n):
            h = sim.history(i)
            if not len(h.loss):
                continue
            if not np.isfinite(self._loss_star[i]):
                self._loss_star[i] = reference_loss(sim.surface, h.theta[-1])
            r = run_rates(sim, i, self._loss_star[i]) if np.isfinite(self._loss_star[i]) \
                else np.empty(0)
            ok = np.isfinite(r) & (r > 0)
            k = np.flatnonzero(ok)
            if full or i >= len(self.measured):
                item = self.plot_item.plot(k, r[ok], pen=pg.mkPen(self.colors[i], width=1),
                                           name=sim.runs[i].label)
                self.measured.append(item)
            else:
                self.measured[i].setData(k, r[ok])
        if full:
            self._add_predicted()

    def _add_predicted(self) -> None:
        """A dashed line at each GD run's predicted rate, in its colour."""
        for i, rate in self.predicted_rates().items():
            if rate > 0:
                line = pg.InfiniteLine(pos=math.log10(rate), angle=0,
                                       pen=pg.mkPen(self.colors[i], width=1,
                                                    style=Qt.PenStyle.DashLine),
                                       label=f"{rate:.3g}",
                                       labelOpts={"position": 0.04, "color": self.colors[i],
                                                  "anchors": [(0, 1), (0, 1)]})
                self.plot_item.addItem(line)
                self.predicted.append(line)

    def restyle(self, colors: Sequence[str]) -> None:
        """New colours or labels for the same runs: the measured rates are kept (computing
        them again is a pass over every recorded step)."""
        sim = self.simulation
        if sim is None or len(colors) != sim.n or len(self.measured) > sim.n:
            self.set_simulation(sim, colors)
            return
        self.colors = list(colors)
        self.text.setHtml(self._theory_html(self.theory, self.where, sim))
        self.legend.clear()
        for i, item in enumerate(self.measured):
            item.setPen(pg.mkPen(self.colors[i], width=1))
            self.legend.addItem(item, sim.runs[i].label)
        for line in self.predicted:
            self.plot_item.removeItem(line)
        self.predicted = []
        self._add_predicted()


class AnalysisPanel(QSplitter):
    """The critical-point table above the step-size panel. ``set_simulation(sim, colors)``
    updates both; ``pointActivated`` re-emits the table's row clicks."""

    pointActivated = Signal(float, float)

    def __init__(self, simulation=None, colors=None, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.table = CriticalPointTable()
        self.step_size = StepSizePanel()
        self.addWidget(self.table)
        self.addWidget(self.step_size)
        self.setStretchFactor(1, 2)
        self.table.pointActivated.connect(self.pointActivated)
        if simulation is not None:
            self.set_simulation(simulation, colors)

    def set_simulation(self, simulation, colors=None) -> None:
        found = self.table.set_surface(simulation.surface)
        self.fit_table()
        self.step_size.set_simulation(simulation, colors, found)

    def fit_table(self) -> None:
        """Give the table just the height of its rows; the rest goes to the step sizes."""
        self.setSizes([self.table.maximumHeight(), max(self.height(), 400)])

    def refresh(self) -> None:
        self.step_size.refresh()
