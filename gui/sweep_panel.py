"""The learning-rate sweep panel: optimizer + hyperparameters, η range, count, steps, start;
Run with a progress bar and Cancel; final loss and steps-to-tolerance against η on log axes,
diverged runs and runs that never met the tolerance marked at the top, with legends. A loss
≤ 0 is drawn as L − L_min (``final_loss_display``), as the loss plot of the race does. A
click on a plot picks the nearest swept η and emits it so the window can add it as a run.

The sweep runs in a background job (``gui.background``): building it, advancing it chunk by
chunk and reading its result all happen off the GUI thread, which only sees progress reports
and the finished ``SweepResult``; Cancel stops it between chunks and shows the part done.

A shown sweep stays while the surface it was computed on is unchanged (adding a picked η as a
run rebuilds the window's simulation on the same surface). When the surface or the optimizer
changes, it is kept but marked stale (dimmed, with a note) until it is run again.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QScrollArea, QSpinBox,
                               QSplitter, QVBoxLayout, QWidget)

from engine.optimizers import OPTIMIZERS
from engine.limits import check_record_memory
from engine.sweep import MAX_COUNT, Sweep, SweepConfig, SweepResult, rate_key
from gui.plot_style import TEXT_COLOR, clip_title, dark_text

from gui.sweep_plots import (DIVERGED_COLOR, MISSED_COLOR, OK_COLOR,  # noqa: F401
                              fill_legend, final_loss_display)


class SweepPanel(QWidget):
    """A learning-rate sweep on ``surface`` (change it with ``set_surface``).

    Signals: ``lrPicked(float)`` with the swept η nearest to a click on either plot;
    ``runRequested(dict)`` at the same time with {"optimizer", "hyper" (all hyperparameters,
    the picked η included), "start" (x, y)}: what the window needs to add the run;
    ``finished(object)`` with the SweepResult when a sweep ends or is cancelled.
    """

    lrPicked = Signal(float)
    runRequested = Signal(dict)
    finished = Signal(object)

    def __init__(self, surface=None, parent: QWidget | None = None, chunk: int = 100):
        super().__init__(parent)
        self.surface = surface
        self.chunk = chunk
        self.sweep: Sweep | None = None  # the shown (or last) sweep, once it has ended
        self.result: SweepResult | None = None
        self.job = None  # the gui.background.Job of a running sweep
        self.steps_done = 0  # of the running sweep, from its progress reports
        self._surface_key = None  # what the surface was set from (config or object)
        self._result_key = None  # the surface key the shown result was computed on
        self.stale = ""  # why the shown result no longer matches the form ('' if it does)
        self.hyper_fields: dict[str, QWidget] = {}

        self.optimizer = QComboBox()
        for name, spec in OPTIMIZERS.items():
            self.optimizer.addItem(f"{name} — {spec.title}", name)
        self.optimizer.setCurrentIndex(list(OPTIMIZERS).index("adam"))
        # a narrow tab shows the start of the name (the list shows it whole), rather than
        # the longest name making the form wider than the tab
        self.optimizer.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.optimizer.setMinimumContentsLength(14)
        self.hyper_form = QFormLayout()
        self.lr_low = QLineEdit("1e-5")
        self.lr_high = QLineEdit("1")
        self.count = QSpinBox()
        self.count.setRange(1, MAX_COUNT)
        self.count.setValue(200)
        self.steps = QSpinBox()
        self.steps.setRange(1, 1_000_000)
        self.steps.setValue(1000)
        self.start_x, self.start_y = QLineEdit(), QLineEdit()
        self.tol = QLineEdit("1e-6")
        self.tol.setToolTip("steps to tolerance: first step with |L − L*| < tol, L* the lowest "
                            "known minimum's loss")
        self.run_button = QPushButton("Run sweep")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.message = QLabel()
        self.message.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Optimizer", self.optimizer)
        form.addRow(self.hyper_form)
        rng = QHBoxLayout()
        rng.addWidget(self.lr_low)
        rng.addWidget(QLabel("to"))
        rng.addWidget(self.lr_high)
        self.rate_label = QLabel("η range (log)")
        form.addRow(self.rate_label, rng)
        form.addRow("Count", self.count)
        form.addRow("Steps", self.steps)
        start = QHBoxLayout()
        start.addWidget(self.start_x)
        start.addWidget(self.start_y)
        form.addRow("Start x, y", start)
        form.addRow("Tolerance", self.tol)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        form.addRow(buttons)
        form.addRow(self.progress)
        form.addRow(self.message)

        self.loss_plot = pg.PlotWidget(background="w")
        self.steps_plot = pg.PlotWidget(background="w")
        # short axis titles: a long vertical title is cut off in a short plot at a high zoom
        # (the legend and the tooltip say what the steps are)
        for w, label in ((self.loss_plot, "final loss"), (self.steps_plot, "steps")):
            pi = w.getPlotItem()
            pi.setLabel("bottom", "η")
            pi.setLabel("left", label)
            pi.showGrid(True, True, 0.3)
            dark_text(pi)  # dark axis titles and tick labels (WCAG AA on white)
            clip_title(pi)  # the L_min note is clipped in a narrow tab, not the plot widened
            pi.setMenuEnabled(False)
            for side in ("left", "bottom"):
                pi.getAxis(side).enableAutoSIPrefix(False)  # no "(x1e+27)" on a log axis
            w.scene().sigMouseClicked.connect(lambda ev, w=w: self._on_click(w, ev))
        self.loss_plot.getPlotItem().setLogMode(True, True)
        self.steps_plot.getPlotItem().setLogMode(True, False)
        self.loss_legend = self._legend(self.loss_plot)
        self.steps_legend = self._legend(self.steps_plot)
        for widget in (self.loss_plot, self.steps_plot):
            widget.installEventFilter(self)  # a new width: the legends' columns again
        self.loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen(OK_COLOR, width=1),
                                              symbol="o", symbolSize=4,
                                              symbolBrush=OK_COLOR, symbolPen=None)
        self.loss_diverged = pg.ScatterPlotItem(symbol="x", size=9,
                                                pen=pg.mkPen(DIVERGED_COLOR, width=1.5),
                                                brush=DIVERGED_COLOR)
        self.loss_plot.addItem(self.loss_diverged)
        self.loss_reference = (0.0, "", 0.0)  # (L_min, what it is, floor): see show_result
        self.steps_curve = self.steps_plot.plot([], [], pen=None, symbol="o", symbolSize=4,
                                                symbolBrush=OK_COLOR, symbolPen=None)
        # runs that never met the tolerance, at the top (y = the sweep's steps), not at 0
        self.steps_missed = pg.ScatterPlotItem(symbol="o", size=6,
                                               pen=pg.mkPen(MISSED_COLOR, width=1),
                                               brush=None)
        self.steps_plot.addItem(self.steps_missed)
        self.steps_diverged = pg.ScatterPlotItem(symbol="x", size=9,
                                                 pen=pg.mkPen(DIVERGED_COLOR, width=1.5),
                                                 brush=DIVERGED_COLOR)
        self.steps_plot.addItem(self.steps_diverged)
        self.steps_limit = pg.InfiniteLine(angle=0, pen=pg.mkPen(MISSED_COLOR, width=1,
                                                                 style=Qt.PenStyle.DashLine))
        self.steps_limit.setVisible(False)
        self.steps_plot.addItem(self.steps_limit, ignoreBounds=True)
        self.picked_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#009e73", width=1))
        self.picked_line.setVisible(False)
        self.loss_plot.addItem(self.picked_line)

        # controls above (scrolling if the tab is short), the two plots below, full width
        controls = QWidget()
        controls.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # the form fits a 300 px tab at 100 %; narrower, or zoomed, it scrolls (not clipped)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        plots = QWidget()
        plot_lay = QVBoxLayout(plots)
        plot_lay.setContentsMargins(0, 0, 0, 0)
        self.stale_label = QLabel()  # shown above the plots while they are stale
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet("QLabel { background: #fff3cd; color: #664d03; "
                                       "padding: 4px; }")
        self.stale_label.hide()
        plot_lay.addWidget(self.stale_label)
        plot_lay.addWidget(self.loss_plot)
        plot_lay.addWidget(self.steps_plot)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(scroll)
        split.addWidget(plots)
        split.setStretchFactor(1, 3)
        split.setSizes([300, 500])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split)

        self.optimizer.currentIndexChanged.connect(self._rebuild_hyper)
        self.optimizer.currentIndexChanged.connect(self._check_stale)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self._rebuild_hyper()
        if surface is not None:
            self.set_surface(surface)

    # ------------------------------------------------------------------ configuration
    @property
    def optimizer_name(self) -> str:
        return self.optimizer.currentData()

    def set_surface(self, surface, start=None, key=None) -> None:
        """Sweep on ``surface`` from ``start`` (default: its default start). ``key`` names
        the surface (default: its class, parameters and formula, so a rebuilt equal surface
        has the same key): the same key keeps the shown sweep (and a running one goes on);
        another one marks it stale."""
        if key is None:
            key = (repr(surface), getattr(surface, "expression", None))
        same = key == self._surface_key
        if not same:
            self.cancel(discard=True)
        self.surface = surface
        self._surface_key = key
        x, y = start if start is not None else surface.start
        self.start_x.setText(f"{float(x):.6g}")
        self.start_y.setText(f"{float(y):.6g}")
        self._check_stale()

    def set_optimizer(self, name: str) -> None:
        self.optimizer.setCurrentIndex(list(OPTIMIZERS).index(name))

    def _rebuild_hyper(self) -> None:
        while self.hyper_form.rowCount():
            self.hyper_form.removeRow(0)
        self.hyper_fields = {}
        name = self.optimizer_name
        key = rate_key(name)
        self.rate_label.setText("η range (log)" if key == "lr" else "Δ⁰ range (log)")
        for h in OPTIMIZERS[name].hyperparams:
            if h.name == key:
                continue
            if h.check == "bool":
                w = QCheckBox()
                w.setChecked(bool(h.default))
            elif h.check == "choice":
                w = QComboBox()
                w.addItems(list(h.choices))
                w.setCurrentText(str(h.default))
            else:
                w = QLineEdit(f"{h.default:g}")
            w.setToolTip(h.doc)
            self.hyper_form.addRow(h.name, w)
            self.hyper_fields[h.name] = w

    def config(self) -> SweepConfig:
        """The SweepConfig from the form; ValueError("field: problem") for bad input."""
        def number(w: QLineEdit, name: str) -> float:
            try:
                v = float(w.text().strip())
            except ValueError:
                raise ValueError(f"{name}: must be a number, got {w.text()!r}") from None
            if not math.isfinite(v):
                raise ValueError(f"{name}: must be a finite number, got {w.text()!r}")
            return v

        hyper = {}
        for name, w in self.hyper_fields.items():
            if isinstance(w, QCheckBox):
                hyper[name] = w.isChecked()
            elif isinstance(w, QComboBox):
                hyper[name] = w.currentText()
            else:
                hyper[name] = number(w, name)
        start = (number(self.start_x, "start x"), number(self.start_y, "start y"))
        cfg = SweepConfig(self.optimizer_name, hyper, number(self.lr_low, "lr_low"),
                          number(self.lr_high, "lr_high"), self.count.value(),
                          self.steps.value(), start, number(self.tol, "tol"))
        return cfg.validate()

    # ------------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def start(self) -> bool:
        """Start a sweep from the form (False, with the problem shown, on bad input)."""
        from gui.background import Cancelled, Job

        if self.surface is None:
            self.message.setText("No surface.")
            return False
        self.cancel(discard=True)
        try:
            cfg = self.config()
            check_record_memory(cfg.count, cfg.steps, recorded=False)  # summaries only
        except ValueError as exc:
            self.message.setText(f"⚠ {exc}")
            return False
        surface, key, chunk = self.surface, self._surface_key, self.chunk

        def work(progress):
            progress.report(0, cfg.steps, "preparing")
            sweep = Sweep(surface, cfg)  # allocates the runs and finds L*: also off the GUI

            def report(done, total):
                if progress.cancelled:
                    return False
                progress.report(done, total, "")
            try:
                sweep.run(report, chunk=chunk)
            except Cancelled:  # Cancel came between the check and the report
                sweep.cancel()
            return sweep, sweep.result()  # a cancelled sweep's result: the part done

        job = self.job = Job(work, "Sweep")
        job.progressed.connect(self._on_progress)
        job.succeeded.connect(lambda out, key=key: self._finish(*out, key))
        job.cancelled.connect(lambda: self.message.setText("Cancelled."))
        job.failed.connect(self._on_failed)
        job.ended.connect(self._ended)
        self.steps_done = 0
        self.progress.setValue(0)
        self.message.setText(f"Sweeping {cfg.count} values…")
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        job.start()
        return True

    def cancel(self, discard: bool = False) -> None:
        """Stop a running sweep; the part done so far is shown (``discard``: nothing is)."""
        job = self.job
        if job is None or not job.running:
            return
        if discard:  # its result will not be shown: forget the job now
            for sig in (job.succeeded, job.cancelled, job.failed, job.progressed):
                sig.disconnect()
            self.job = None
            self._ended()
            self.message.setText("")
        job.cancel()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.steps_done = done
        self.progress.setValue(int(100 * done / total) if total else 0)
        if text == "preparing":
            self.message.setText("Preparing the sweep (allocating the runs, finding L*)…")
        else:
            self.message.setText(f"Sweeping: step {done:,} of {total:,}")

    def _on_failed(self, message: str) -> None:
        self.message.setText(f"⚠ The sweep failed: {message}")

    def _ended(self) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _finish(self, sweep: Sweep, res: SweepResult, key) -> None:
        self.sweep, self.result, self._result_key = sweep, res, key
        self.steps_done = res.steps_done
        if not res.cancelled:
            self.progress.setValue(100)
        self.show_result(res)
        self._check_stale()
        self.finished.emit(res)

    def _check_stale(self) -> None:
        """Dim the shown sweep, with a note, if the surface or optimizer changed since."""
        res = self.result
        reasons = []
        if res is not None and self.sweep is not None:
            if self._result_key != self._surface_key:
                reasons.append("the surface")
            if self.sweep.config.optimizer != self.optimizer_name:
                reasons.append("the optimizer")
        stale = " and ".join(reasons)
        if stale == self.stale:
            return
        self.stale = stale
        for w in (self.loss_plot, self.steps_plot):
            w.getPlotItem().setOpacity(0.35 if stale else 1.0)
        if stale:
            self.stale_label.setText(
                f"⚠ Stale: {stale} changed since this sweep of {self.sweep.config.optimizer}. "
                + ("Run it again to update it and to pick from it." if "surface" in stale
                   else "Run it again to update it; a click still adds the swept optimizer."))
        self.stale_label.setVisible(bool(stale))

    # ------------------------------------------------------------------ display
    def _clear_plots(self) -> None:
        self.result = None
        for item in (self.loss_curve, self.steps_curve):
            item.setData([], [])
        for item in (self.loss_diverged, self.steps_diverged, self.steps_missed):
            item.setData([], [])
        self.steps_limit.setVisible(False)
        for legend in (self.loss_legend, self.steps_legend):
            legend.clear()
        self.picked_line.setVisible(False)

    @staticmethod
    def _legend(widget) -> pg.LegendItem:
        """A legend in a row of its own under the plot's η axis: it never covers a point."""
        pi = widget.getPlotItem()
        legend = pg.LegendItem(colCount=3, labelTextSize="8pt", labelTextColor=TEXT_COLOR,
                               verSpacing=-6)
        pi.layout.addItem(legend, 4, 1)
        return legend

    def show_result(self, res: SweepResult) -> None:
        self.result = res
        div = res.diverged
        ok = ~div & np.isfinite(res.final_loss)
        y, ref, source, floor = final_loss_display(res.final_loss[ok], res.loss_star)
        self.loss_reference = (ref, source, floor)
        self.loss_curve.setData(res.lr[ok], y)
        pi = self.loss_plot.getPlotItem()
        if source:
            pi.setLabel("left", "loss − L<sub>min</sub>")
            pi.setTitle(f"L<sub>min</sub> = {ref:.6g} ({source})", size="8pt",
                        color=TEXT_COLOR)
        else:
            pi.setLabel("left", "final loss")
            pi.setTitle(f"a loss of 0 drawn at {floor:.0e}" if floor else None, size="8pt",
                        color=TEXT_COLOR)
        top = float(y.max()) * 10 if len(y) else 1.0
        # diverged runs: a red × at the top of the loss plot and of the steps plot
        lx = np.log10(res.lr[div])
        self.loss_diverged.setData(lx, np.full(len(lx), math.log10(top)))
        reached = res.steps_to_tol >= 0
        missed = ~reached & ~div
        self.steps_curve.setData(res.lr[reached], res.steps_to_tol[reached].astype(float))
        limit = float(res.steps_done)
        self.steps_missed.setData(np.log10(res.lr[missed]), np.full(int(missed.sum()), limit))
        self.steps_diverged.setData(lx, np.full(len(lx), limit * 1.06))
        self.steps_limit.setPos(limit)
        self.steps_limit.setVisible(bool(missed.any() or div.any()))
        self._legend_entries(res.steps_done, bool(missed.any()), bool(div.any()))
        key = rate_key(self.sweep.config.optimizer) if self.sweep else "lr"
        parts = [f"{'cancelled at' if res.cancelled else 'done:'} step {res.steps_done}",
                 f"{int(div.sum())} of {len(res.lr)} diverged (red ×)",
                 f"{int(reached.sum())} reached the tolerance"]
        b = res.best()
        if b is not None:
            parts.append(f"lowest final loss at {key} = {res.lr[b]:.3g}")
        self.message.setText("; ".join(parts) + ". Click a plot to add that η as a run.")

    def _legend_entries(self, steps: int, missed: bool, diverged: bool) -> None:
        """Name only what the plots show (the legends are rebuilt for each result)."""
        self._entries = (steps, missed, diverged)
        loss = [(self.loss_curve, "final loss")]
        count = [(self.steps_curve, "reached the tolerance")]
        if missed:
            count.append((self.steps_missed, f"not within {steps:,} steps"))
        if diverged:
            loss.append((self.loss_diverged, "diverged (at the top)"))
            count.append((self.steps_diverged, "diverged (never reached)"))
        for legend, widget, entries in ((self.loss_legend, self.loss_plot, loss),
                                        (self.steps_legend, self.steps_plot, count)):
            fill_legend(legend, entries, widget)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Resize and watched in (self.loss_plot, self.steps_plot):
            self.fit_legends()  # the plots' new width, once they have it
        return super().eventFilter(watched, event)

    def fit_legends(self) -> None:
        """The legends' entries again, in as many columns as the plots' width holds (after a
        resize or a zoom change)."""
        if self.result is not None and getattr(self, "_entries", None):
            self._legend_entries(*self._entries)

    after_zoom = fit_legends  # gui/presentation.py calls it once the zoom is applied

    # ------------------------------------------------------------------ picking
    def _on_click(self, widget, ev) -> None:
        if self.result is None or not len(self.result.lr):
            return
        vb = widget.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        x = vb.mapSceneToView(ev.scenePos()).x()  # log10 η
        self.pick(10.0 ** x)

    def pick(self, eta: float) -> float:
        """Pick the swept η nearest (in log) to ``eta`` and emit it; returns it."""
        res = self.result
        if self._result_key != self._surface_key:  # its η may mean nothing here
            self.stale_label.setText("⚠ Stale: the surface changed since this sweep. Run it "
                                     "again to pick an η from it.")
            return float("nan")
        i = int(np.argmin(np.abs(np.log10(res.lr) - math.log10(max(eta, 1e-300)))))
        lr = float(res.lr[i])
        self.picked_line.setPos(math.log10(lr))
        self.picked_line.setVisible(True)
        cfg = self.sweep.config
        hyper = {**cfg.resolved_hyper(), rate_key(cfg.optimizer): lr}
        start = tuple(cfg.start) if cfg.start is not None else tuple(self.surface.start)
        self.lrPicked.emit(lr)
        self.runRequested.emit({"optimizer": cfg.optimizer, "hyper": hyper, "start": start})
        return lr
