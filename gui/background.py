"""Long work off the GUI thread: a ``Job`` runs a function in a worker thread and reports
progress, its result or its error back to the GUI thread as Qt signals; a ``ProgressStrip``
shows a job's progress with a Cancel button, without covering anything.

    job = Job(lambda progress: work(progress), "Writing out.csv")
    job.succeeded.connect(show)            # the function's return value, on the GUI thread
    job.failed.connect(complain)           # one line: what went wrong
    strip.attach(job)                      # progress bar + Cancel
    job.start()

The function gets a ``Progress``: ``progress.report(done, total, text)`` between chunks of
work (it raises ``Cancelled`` once Cancel was pressed, so the function stops there) and
``progress.check()`` where there is nothing to report; ``progress.publish(value)`` hands
an intermediate result (a map filled in so far) to the GUI thread as ``job.partial(value)``.
A job whose work cannot stop between
chunks (sympy deriving a formula) is started with ``interruptible=True``: Cancel then raises
``Cancelled`` inside the worker thread at its next Python instruction.

The worker is a daemon thread, so quitting the app never waits for a job that is still
running; ``Job.wait`` joins it (tests, or a window closing). Keep a reference to a job while
it matters (its owner's attribute): a job has no Qt parent, so finished jobs are freed with
their last reference instead of piling up under a widget.

Thread rule: a job's function must not touch a Qt widget, and nothing else may use the
objects the function works on until the job has ended (see ``gui.exports`` for how the window
keeps its simulation out of reach meanwhile).
"""
from __future__ import annotations

import ctypes
import threading
import time
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

REPORT_INTERVAL_S = 0.05  # at most ~20 progress signals per second reach the GUI thread
BAR_STEPS = 1000          # progress bar resolution


class Cancelled(BaseException):
    """Raised inside a job's function after Cancel. A BaseException, so that no
    ``except Exception`` in library code turns a cancel into an error."""


class Progress:
    """What a job's function receives: ``report``, ``check`` and ``cancelled``."""

    def __init__(self, emit: Callable[[int, int, str], None],
                 publish: Callable[[object], None] | None = None):
        self._emit = emit
        self._publish = publish
        self._cancel = threading.Event()
        self._last = 0.0
        self.done, self.total, self.text = 0, 0, ""

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        """Raise ``Cancelled`` if Cancel was pressed."""
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, done: int, total: int, text: str | None = None) -> None:
        """``done`` of ``total`` units (total 0: unknown) and what is being done; raises
        ``Cancelled`` after Cancel. Signals are throttled, so call it as often as you like."""
        self.check()
        self.done, self.total = int(done), int(total)
        if text is not None:
            self.text = text
        now = time.monotonic()
        if now - self._last >= REPORT_INTERVAL_S or (total and done >= total):
            self._last = now
            self._emit(self.done, self.total, self.text)

    def publish(self, value: object) -> None:
        """Hand ``value`` (e.g. the part of a map computed so far) to the GUI thread as
        ``Job.partial(value)``, in order with the progress reports. Not throttled: call it
        once per chunk of work. It never raises, so after Cancel a function whose work so far
        is its result can still publish it and return it."""
        if self._publish is not None:
            self._publish(value)


class Job(QObject):
    """``fn(progress)`` in a worker thread. Exactly one of ``succeeded(result)``,
    ``failed(message)`` or ``cancelled()`` is emitted when it ends, then ``ended()``."""

    progressed = Signal(int, int, str)  # done, total (0: unknown), text
    partial = Signal(object)  # a value the function published (Progress.publish)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    ended = Signal()
    _relay = Signal(str, object)  # worker thread -> GUI thread

    def __init__(self, fn: Callable[[Progress], Any], title: str, interruptible: bool = False,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.fn = fn
        self.title = title
        self.interruptible = interruptible
        self.progress = Progress(self._emit_progress, self._emit_partial)
        self.progress.text = title
        self.outcome: str | None = None  # "succeeded", "failed" or "cancelled" once ended
        self.result: Any = None
        self.error = ""
        self._thread: threading.Thread | None = None
        self._fn_returned = False  # no interrupt once the function is done
        # delivered on the GUI thread (this object's thread) whatever thread emits them
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ GUI thread
    def start(self) -> "Job":
        if self._thread is not None:
            raise RuntimeError("a job runs once")
        self._thread = threading.Thread(target=self._run, name=f"job: {self.title}",
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """True from ``start`` until the end signals were delivered."""
        return self._thread is not None and self.outcome is None

    def cancel(self) -> None:
        """Ask the job to stop; ``cancelled`` follows once it has (work done so far is
        discarded by the job's own clean-up, e.g. an atomic write removes its file)."""
        if not self.running:
            return
        self.progress.cancel()
        if self.interruptible and self._thread is not None and self._thread.is_alive() \
                and not self._fn_returned:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread.ident),
                                                       ctypes.py_object(Cancelled))

    def wait(self, timeout: float | None = None) -> bool:
        """Join the worker thread (without running the event loop); True if it finished."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _deliver(self, kind: str, payload: object) -> None:
        if kind == "progress":
            self.progressed.emit(*payload)
            return
        if kind == "partial":
            if self.outcome is None:
                self.partial.emit(payload)
            return
        if self.outcome is not None:
            return
        self.outcome = kind
        if kind == "succeeded":
            self.result = payload
            self.succeeded.emit(payload)
        elif kind == "failed":
            self.error = str(payload)
            self.failed.emit(self.error)
        else:
            self.cancelled.emit()
        self.ended.emit()

    # ------------------------------------------------------------------ worker thread
    def _emit_progress(self, done: int, total: int, text: str) -> None:
        self._send("progress", (done, total, text))

    def _emit_partial(self, value: object) -> None:
        self._send("partial", value)

    def _send(self, kind: str, payload: object) -> None:
        try:
            self._relay.emit(kind, payload)
        except RuntimeError:  # the GUI side is gone (window closed): nobody to tell
            pass

    def _run(self) -> None:
        try:
            try:
                result = self.fn(self.progress)
            finally:
                self._fn_returned = True  # from here on Cancel no longer interrupts
                self.fn = None  # let go of what the work held (large arrays)
        except Cancelled:
            self._send("cancelled", None)
            return
        except MemoryError:
            self._send("failed", "not enough memory")
            return
        except Exception as exc:  # noqa: BLE001 - reported as one line, never a crash
            self._send("failed", one_line(exc))
            return
        self._send("succeeded", result)  # done before a late Cancel could stop it


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name if it has none)."""
    text = str(exc).strip()
    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return text.splitlines()[0] if text else type(exc).__name__


class ProgressStrip(QWidget):
    """A one-line strip (text, progress bar, Cancel) for the job attached to it; hidden
    while no job runs. Put it in a status bar or under a panel: it covers nothing. It is
    no taller than a line of text, so showing it in a status bar does not resize (and
    repaint) the rest of the window."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.job: Job | None = None
        line = self.fontMetrics().height()
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, BAR_STEPS)
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(160, max(line - 4, 8))
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop this work; nothing is written")
        self.cancel_button.setFixedHeight(line)
        self.setFixedHeight(line)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self.cancel)
        self.hide()

    def attach(self, job: Job) -> None:
        """Show ``job``'s progress until it ends."""
        self.job = job
        self.label.setText(f"{job.title}…")
        self.bar.setRange(0, 0)  # busy until the first report
        self.cancel_button.setEnabled(True)
        job.progressed.connect(self._on_progress)
        job.ended.connect(lambda job=job: self._on_ended(job))
        self.show()

    def cancel(self) -> None:
        if self.job is not None:
            self.cancel_button.setEnabled(False)
            self.label.setText(f"{self.job.title}: cancelling…")
            self.job.cancel()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if self.job is None or self.job.progress.cancelled:
            return
        if total > 0:
            self.bar.setRange(0, BAR_STEPS)
            self.bar.setValue(int(BAR_STEPS * min(done, total) / total))
        else:
            self.bar.setRange(0, 0)
        self.label.setText(text or self.job.title)

    def _on_ended(self, job: Job) -> None:
        if job is self.job:
            self.job = None
            self.hide()
