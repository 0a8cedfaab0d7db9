"""Start the desktop app: ``run_app(path_or_None) -> exit status``.

With a file, the app opens it (an invalid file gets a clear error dialog, then the app falls
back); without one it restores the last session's experiment, else a default experiment
(Rosenbrock with gradient descent, momentum, Adam and RMSProp). Whatever the config folder
holds, the app starts; the status bar says what it ignored (``gui.session``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

#: ``DESCENT_LAB_STARTUP_PROBE=1``: ``run_app`` prints ``painted T`` once the window has
#: painted and ``experiment T`` once it has painted showing the experiment (T: ``time.time()``),
#: then quits. ``benchmarks/gui_frame.py`` times start-up with it.
STARTUP_PROBE_ENV = "DESCENT_LAB_STARTUP_PROBE"


def probe_requested() -> bool:
    """``STARTUP_PROBE_ENV`` is set to something other than "", 0, false or no."""
    value = os.environ.get(STARTUP_PROBE_ENV, "").strip().lower()
    return value not in ("", "0", "false", "no")


def create_window(path: str | Path | None = None, config_dir=None, dialogs=None):
    """Build the main window and load the experiment (``path``, last session or default)."""
    from gui.main_window import MainWindow, default_experiment

    win = MainWindow(config_dir=config_dir, dialogs=dialogs)
    if path is None or not win.open_file(path):
        if not win.restore_last():
            win.load_experiment(default_experiment())
    win.show_startup_notes()
    return win


def configure_application(app) -> None:
    """Names the app: settings live under them, and the platform appends the display name
    to window titles that do not already end with it."""
    app.setApplicationName("Descent Lab")
    app.setOrganizationName("Descent Lab")
    app.setApplicationDisplayName("Descent Lab")


def run_app(path: str | None = None) -> int:
    # the engine (and NumPy) first: once PySide6 is imported, it inspects the source of
    # every module imported after it (its import hook for ``__feature__``), which for
    # NumPy's and the engine's modules alone took about 50 ms of the start-up
    import engine.experiment  # noqa: F401
    import surfaces  # noqa: F401
    from PySide6.QtWidgets import QApplication

    from gui.pyqtgraph_import import import_pyqtgraph

    import_pyqtgraph()  # its Qt classes built as they are used, not all at once
    from gui.opening import create_window_in_background as create_window  # shown at once

    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_application(app)
    probe = _StartupProbe(app) if probe_requested() else None
    win = create_window(path, done=probe and probe.shown)
    win.resize(1280, 800)
    screen = app.primaryScreen()
    if screen is not None:
        avail = screen.availableGeometry()
        win.resize(min(1600, avail.width()), min(1000, avail.height()))
        if avail.width() <= 1400:
            win.showMaximized()
        else:
            win.show()
    else:
        win.show()
    from PySide6.QtCore import QTimer

    from engine import compiled
    # the engine's compiled kernel (big sweeps, atlases, long runs), loaded off the GUI thread
    # once the window is up; without it, it loads itself the first time a run needs it
    QTimer.singleShot(3000, compiled.preload)
    if probe is not None:
        probe.start(win)
    status = app.exec()
    dispose(win)
    return status


class _StartupProbe:
    """See ``STARTUP_PROBE_ENV``. The window is painted (``repaint``) at the event loop's
    first pass, and at the next pass after the experiment is shown."""

    def __init__(self, app):
        self.app, self.win = app, None
        self.painted = self.experiment_shown = self.finished = False

    def start(self, win) -> None:
        from PySide6.QtCore import QTimer

        self.win = win
        QTimer.singleShot(0, self._paint)

    def shown(self) -> None:
        from PySide6.QtCore import QTimer

        self.experiment_shown = True
        if self.win is not None:  # else shown before the window: its first paint tells
            QTimer.singleShot(0, self._paint)

    def _paint(self) -> None:
        import time

        if self.finished:
            return
        self.win.repaint()
        now = repr(time.time())
        if not self.painted:
            self.painted = True
            print("painted", now, flush=True)
        if self.experiment_shown:
            self.finished = True
            print("experiment", now, flush=True)
            self.app.quit()


def dispose(win) -> None:
    """Delete the window (and its graphics items) now, while the QApplication still exists;
    left to interpreter shutdown, Qt objects may be destroyed in an order that crashes."""
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    win.close()
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    del win
    gc.collect()
