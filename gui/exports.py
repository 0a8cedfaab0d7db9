"""Exports of the main window: trajectories as CSV (one file, or one per run) and images of
the map or the whole window (PNG/SVG), all written atomically.

A CSV export first runs the simulation to the step limit, then writes; both happen in a
background job (``gui.background``) with a progress strip and Cancel in the status bar, so the
window stays responsive. Cancel leaves no file (atomic writes) and keeps the steps run so far.

While the job advances the window's simulation, nothing else may touch it: the window pauses
playback, disables the playback bar, the Run menu, the run editor, the surface panel and the
map, and sets ``busy_simulation`` (views such as the analysis tabs skip a simulation that is
busy); everything comes back, and the window redraws, when the job ends.

A mixin of ``MainWindow``: it uses ``_sim``, ``stepper``, ``map_view``, ``dialogs``,
``pause``, ``redraw``, ``playback``, ``run_editor``, ``surface_panel``, the Run menu actions
and ``_suggested_stem``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, QObject

from engine import csvio
from gui.background import Job, ProgressStrip

EXPORT_CHUNK = 50_000  # steps between progress reports when an export must run on first


class Exports:
    """CSV and image exports (mixed into ``MainWindow``)."""

    busy_simulation = None  # the simulation a background job is working on (hands off)
    export_job: Job | None = None
    closed = False  # set when the window closes: late job results are dropped

    # ------------------------------------------------------------------ CSV
    def export_csv(self, path: str | Path) -> Job:
        """Run to the step limit, then write every run's trajectory (engine.csvio.write_csv:
        the same bytes as ``main.py run --csv`` for this experiment), in the background.
        Returns the job; ValueError if there is nothing to export or an export is running."""
        path = Path(path)
        from engine.atomic import same_file

        if self._path is not None and same_file(path, self._path):
            raise ValueError(f"{path} is the open experiment file; choose another name")
        return self._start_export(
            lambda sim, progress: csvio.write_csv(path, sim, progress=progress),
            f"Exporting {path.name}", f"Wrote {path}")

    def export_csv_per_run(self, folder: str | Path) -> Job:
        """As ``export_csv``, one CSV per run into ``folder``; the job's result is the list
        of files."""
        return self._start_export(
            lambda sim, progress: csvio.write_csv_per_run(folder, sim, progress=progress),
            f"Exporting one CSV per run to {Path(folder).name or folder}",
            f"Wrote one CSV per run to {folder}")

    def export_running(self) -> bool:
        return self.export_job is not None and self.export_job.running

    def _start_export(self, write: Callable, title: str, done: str) -> Job:
        if self._sim is None:
            raise ValueError(f"nothing to export: {self._problem}")
        if self.export_running():
            raise ValueError("an export is already running; wait for it or cancel it")
        from gui.opening import opening
        if opening(self):
            raise ValueError("a file is still being opened; wait for it or cancel it")
        self.pause()
        sim, limit = self._sim, self.stepper.limit
        from engine.limits import check_record_memory

        check_record_memory(sim.n, limit)  # refused (one line) before any step is recorded

        def work(progress):
            start = sim.step
            need = max(limit - start, 0)
            while sim.step < limit and sim.live.any():
                sim.advance(min(EXPORT_CHUNK, limit - sim.step))
                progress.report(sim.step - start, need,
                                f"Running to step {limit:,} before the export: {sim.step:,}")
            return write(sim, lambda rows, total: progress.report(
                rows, total, f"{title}: {rows:,} of {total:,} rows"))

        job = Job(work, title)
        job.succeeded.connect(lambda _r: self.statusBar().showMessage(done, 5000))
        job.failed.connect(lambda msg: self.dialogs.error(self, "Export failed", msg))
        job.cancelled.connect(lambda: self.statusBar().showMessage(
            f"Export cancelled at step {sim.step:,}: nothing was written", 5000))
        job.ended.connect(lambda: self._release(sim))
        self.export_job = job
        self._hold(sim)
        self.progress_strip().attach(job)
        return job.start()

    def progress_strip(self) -> ProgressStrip:
        """The status bar's strip for the window's background jobs (made on first use)."""
        strip = getattr(self, "_progress_strip", None)
        if strip is None:
            strip = self._progress_strip = ProgressStrip()
            self.statusBar().insertPermanentWidget(0, strip)
            self._close_guard = _CancelOnClose(self)
            self.installEventFilter(self._close_guard)
        return strip

    def _hold(self, sim=None) -> None:
        """Disable playing and editing while a job runs; with ``sim``: keep the GUI's hands
        off that simulation (``busy_simulation``) until ``_release(sim)``."""
        self._holds = getattr(self, "_holds", 0) + 1
        if sim is not None:
            self.busy_simulation = sim
        for w in self._sim_controls():
            w.setEnabled(False)

    def _release(self, sim=None) -> None:
        self._holds = max(getattr(self, "_holds", 1) - 1, 0)
        if sim is not None and self.busy_simulation is sim:
            self.busy_simulation = None
        if not self._holds:
            for w in self._sim_controls():
                w.setEnabled(True)
        if sim is not None and self._sim is sim:
            self._shown = None
            self.redraw()

    def _sim_controls(self) -> list:
        return [self.playback, self.run_editor, self.surface_panel, self.map_view,
                self.play_action, self.step_action, self.reset_action]

    # ------------------------------------------------------------------ images
    def export_image(self, path: str | Path, what: str = "map") -> None:
        """PNG or SVG (by extension) of the map (``what="map"``) or of the whole window,
        written atomically."""
        from engine.atomic import atomic_path

        with atomic_path(path) as tmp:
            self._write_image(str(tmp), what)

    def _write_image(self, path: str, what: str) -> None:
        svg = path.lower().endswith(".svg")
        if what == "map":
            import pyqtgraph.exporters as exporters
            item = self.map_view.plot.scene()
            exp = (exporters.SVGExporter if svg else exporters.ImageExporter)(item)
            if not svg:
                exp.parameters()["width"] = max(1200, self.map_view.width())
            exp.export(path)
            return
        if svg:
            from PySide6.QtCore import QPoint, QRect, QSize
            from PySide6.QtGui import QPainter
            from PySide6.QtSvg import QSvgGenerator
            gen = QSvgGenerator()
            gen.setFileName(path)
            gen.setSize(QSize(self.width(), self.height()))
            gen.setViewBox(QRect(0, 0, self.width(), self.height()))
            gen.setTitle(self.windowTitle().replace("[*]", ""))
            painter = QPainter(gen)
            try:
                self.render(painter, QPoint(0, 0))
                # The menu bar paints its empty area last, clipped around its items; SVG
                # output ignores that clip and the fill hides the menu titles. Drawn again
                # as a picture it shows as on screen.
                bar = self.menuBar()
                if bar.isVisible():
                    painter.drawPixmap(bar.mapTo(self, QPoint(0, 0)), bar.grab())
            finally:
                painter.end()
        elif not self.grab().save(path):
            raise OSError(f"cannot write {path}")

    def export_csv_dialog(self) -> None:
        path = self.dialogs.save_path(self, "Export trajectories", f"{self._suggested_stem()}.csv",
                                      "CSV files (*.csv)")
        if path:
            self._guarded(lambda: self.export_csv(path))

    def export_csv_per_run_dialog(self) -> None:
        folder = self.dialogs.folder(self, "Export one CSV per run into folder")
        if folder:
            self._guarded(lambda: self.export_csv_per_run(folder))

    def export_image_dialog(self, what: str) -> None:
        path = self.dialogs.save_path(self, f"Export {what} image",
                                      f"{self._suggested_stem()}-{what}.png",
                                      "PNG image (*.png);;SVG image (*.svg)")
        if path:
            if not path.lower().endswith((".png", ".svg")):
                path += ".png"
            self._guarded(lambda: self.export_image(path, what), f"Wrote {path}")

    def _guarded(self, job: Callable, done: str = "") -> None:
        """Run ``job``; a problem goes to an error dialog, success to the status bar."""
        try:
            job()
        except (OSError, ValueError, RuntimeError) as exc:
            self.dialogs.error(self, "Export failed", str(exc))
            return
        if done:
            self.statusBar().showMessage(done, 5000)


class _CancelOnClose(QObject):
    """When the window closes: cancels its export and waits (briefly) for it to remove its
    temporary file; cancels a file being opened, whose result then goes nowhere."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Close:
            obj.closed = True
            for job in (obj.export_job, getattr(obj, "opening_job", None)):
                if job is not None and job.running:
                    job.cancel()
                    job.wait(5.0)
        return False
