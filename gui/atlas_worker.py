"""Computes an ``engine.atlas.Atlas`` off the GUI thread (a ``gui.background.Job``), batch by
batch, so the event loop stays free: ``progress(done, total)`` and ``partial(result)`` after
each batch (the map fills in as it goes), then ``finished(result)`` — also after a Cancel, with
the cells done so far — or ``failed(message)``."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gui.background import Cancelled, Job, Progress


class AtlasWorker(QObject):
    """One atlas computation at a time, off the GUI thread."""

    progress = Signal(int, int)
    partial = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._job: Job | None = None

    @property
    def running(self) -> bool:
        return self._job is not None and self._job.running

    def start(self, factory) -> None:
        """Compute the Atlas that ``factory()`` builds (called in the worker thread)."""
        if self.running:
            raise RuntimeError("an atlas is already being computed")
        job = Job(lambda progress: _compute(factory, progress), "Computing the atlas")
        job.progressed.connect(lambda done, total, _text: self.progress.emit(done, total))
        job.partial.connect(self.partial)
        job.succeeded.connect(self.finished)
        job.failed.connect(self.failed)
        self._job = job
        job.start()

    def cancel(self) -> None:
        """Stop after the current batch (``finished`` then carries the cells done)."""
        if self._job is not None:
            self._job.cancel()

    def wait(self, ms: int = 30_000) -> bool:
        return self._job.wait(ms / 1000) if self._job is not None else True


def _compute(factory, progress: Progress):
    """The atlas ``factory()`` builds, batch by batch; after Cancel, the cells done so far."""
    try:
        atlas = factory()  # finding the minima may take a moment too
        if progress.cancelled:
            atlas.cancel()
        for done, total in atlas.iter_batches():
            try:
                progress.report(done, total)
            except Cancelled:
                atlas.cancel()  # no further batch: the cells done are the result
            progress.publish(atlas.result())
        return atlas.result()
    except MemoryError:
        raise ValueError("not enough memory for this atlas; use a coarser grid or fewer "
                         "steps") from None
