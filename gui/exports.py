"""Exports of the main window: trajectories as CSV (one file, or one per run) and images of
the map or the whole window (PNG/SVG), all written atomically.

A mixin of ``MainWindow``: it uses ``_sim``, ``stepper``, ``map_view``, ``dialogs``,
``pause``, ``redraw`` and ``_suggested_stem``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from engine import csvio

EXPORT_CHUNK = 50_000  # steps between progress updates when an export must run on first


class Exports:
    """CSV and image exports (mixed into ``MainWindow``)."""

    def export_csv(self, path: str | Path) -> None:
        """Run to the step limit, then write every run's trajectory (engine.csvio.write_csv:
        the same bytes as ``main.py run --csv`` for this experiment)."""
        sim = self._complete()
        csvio.write_csv(path, sim)

    def export_csv_per_run(self, folder: str | Path) -> list[Path]:
        sim = self._complete()
        return csvio.write_csv_per_run(folder, sim)

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
            gen.setTitle(self.windowTitle())
            painter = QPainter(gen)
            try:
                self.render(painter, QPoint(0, 0))
            finally:
                painter.end()
        elif not self.grab().save(path):
            raise OSError(f"cannot write {path}")

    def export_csv_dialog(self) -> None:
        path = self.dialogs.save_path(self, "Export trajectories", f"{self._suggested_stem()}.csv",
                                      "CSV files (*.csv)")
        if path:
            self._guarded(lambda: self.export_csv(path), f"Wrote {path}")

    def export_csv_per_run_dialog(self) -> None:
        folder = self.dialogs.folder(self, "Export one CSV per run into folder")
        if folder:
            self._guarded(lambda: self.export_csv_per_run(folder), f"Wrote one CSV per run to {folder}")

    def export_image_dialog(self, what: str) -> None:
        path = self.dialogs.save_path(self, f"Export {what} image",
                                      f"{self._suggested_stem()}-{what}.png",
                                      "PNG image (*.png);;SVG image (*.svg)")
        if path:
            if not path.lower().endswith((".png", ".svg")):
                path += ".png"
            self._guarded(lambda: self.export_image(path, what), f"Wrote {path}")

    def _guarded(self, job: Callable, done: str) -> None:
        try:
            job()
        except (OSError, ValueError, RuntimeError) as exc:
            self.dialogs.error(self, "Export failed", str(exc))
            return
        self.statusBar().showMessage(done, 5000)

    def _complete(self):
        """Run to the step limit before an export; long runs show a progress dialog with
        Cancel (cancelling keeps the steps done and exports nothing)."""
        if self._sim is None:
            raise ValueError(f"nothing to export: {self._problem}")
        self.pause()
        sim, limit = self._sim, self.stepper.limit
        remaining = limit - sim.step
        if remaining > EXPORT_CHUNK:
            from PySide6.QtWidgets import QApplication, QProgressDialog

            dlg = QProgressDialog(f"Running to step {limit:,} before the export…", "Cancel",
                                  0, remaining, self)
            dlg.setWindowTitle("Export")
            dlg.setMinimumDuration(300)
            start = sim.step
            while sim.step < limit and sim.live.any():
                sim.advance(min(EXPORT_CHUNK, limit - sim.step))
                dlg.setValue(sim.step - start)
                QApplication.processEvents()
                if dlg.wasCanceled():
                    self.redraw()
                    raise ValueError(f"export cancelled at step {sim.step:,}")
            dlg.close()
        sim.run_to(limit)
        self._shown = None
        self.redraw()
        return self._sim
