"""Computes an ``engine.atlas.Atlas`` in a QThread, batch by batch, so the event loop stays
free: ``progress(done, total)`` and ``partial(result)`` after each batch (the map fills in
as it goes), then ``finished(result)`` — also after a Cancel, with the cells done so far —
or ``failed(message)``."""
from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal


class _Job(QObject):
    progress = Signal(int, int)
    partial = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, factory):
        super().__init__()
        self.factory = factory
        self.atlas = None
        self.cancelled = False

    def run(self) -> None:
        try:
            self.atlas = self.factory()  # finding the minima may take a moment too
            if self.cancelled:
                self.atlas.cancel()
            for done, total in self.atlas.iter_batches():
                self.progress.emit(done, total)
                self.partial.emit(self.atlas.result())
            self.finished.emit(self.atlas.result())
        except MemoryError:
            self.failed.emit("not enough memory for this atlas; use a coarser grid or fewer "
                             "steps")
        except (ValueError, ArithmeticError) as exc:
            self.failed.emit(str(exc))


class AtlasWorker(QObject):
    """One atlas computation at a time, off the GUI thread."""

    progress = Signal(int, int)
    partial = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._job: _Job | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def start(self, factory) -> None:
        """Compute the Atlas that ``factory()`` builds (called in the worker thread)."""
        if self.running:
            raise RuntimeError("an atlas is already being computed")
        self._thread = QThread()
        self._job = _Job(factory)
        self._job.moveToThread(self._thread)
        self._thread.started.connect(self._job.run)
        self._job.progress.connect(self.progress)
        self._job.partial.connect(self.partial)
        self._job.finished.connect(self._done)
        self._job.failed.connect(self._fail)
        self._thread.start()

    def cancel(self) -> None:
        """Stop after the current batch (``finished`` then carries the cells done)."""
        job = self._job
        if job is not None:
            job.cancelled = True
            if job.atlas is not None:
                job.atlas.cancel()

    def wait(self, ms: int = 30_000) -> bool:
        return self._thread.wait(ms) if self._thread is not None else True

    def _stop_thread(self) -> None:
        thread = self._thread
        if thread is not None:
            thread.quit()
            thread.wait()
        self._thread = self._job = None

    def _done(self, result) -> None:
        self._stop_thread()
        self.finished.emit(result)

    def _fail(self, message: str) -> None:
        self._stop_thread()
        self.failed.emit(message)
