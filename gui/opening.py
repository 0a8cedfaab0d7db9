"""Opening experiment files without freezing the window.

Reading an experiment file also prepares its surface, and for a typed formula that means
sympy deriving the gradient and Hessian, which can take seconds. ``open_in_background`` reads
and checks the file in a background job (``gui.background``) with a progress strip and Cancel;
the prepared formula is cached by its text (``surfaces.expression.compile_expression``), so
loading it into the window afterwards, on the GUI thread, is quick. Meanwhile the run editor,
the surface panel, the playback bar and the map are disabled, so nothing typed is lost when
the file replaces the experiment. Cancel stops the preparation (sympy is interrupted) and
keeps what was shown.

``open_at_start`` (``create_window_in_background``, which ``gui.app.run_app`` uses) does the
same at start-up, for the file named on the command line and then for the last session's
experiment, showing the window first. Until an experiment is shown
the autosave is off, so closing the window early keeps the last session (so does a fall-back
to the default experiment, until it is edited).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from engine.experiment import load as load_experiment_file
from gui.background import Job


def open_in_background(win, path: str | Path, done: Callable[[bool], None] | None = None
                       ) -> Job | None:
    """Open ``path`` in ``win`` once it is read and its surface prepared, off the GUI thread.
    ``done(opened)`` follows (False when invalid, with the error dialog ``open_file`` shows,
    or cancelled). Returns the job (None when another file is being opened: refused)."""
    if opening(win) or win.export_running():
        win.dialogs.error(win, "Cannot open experiment",
                          f"{path}: wait until the {'file being opened' if opening(win) else 'export'}"
                          " is done, or cancel it")
        return None
    path = Path(path)
    job = Job(lambda progress: load_experiment_file(path),
              f"Opening {path.name}: preparing the surface", interruptible=True)
    win.opening_job = job

    def succeeded(_exp) -> None:
        if win.closed:
            return
        ok = win.open_file(path)  # quick now: the surface is prepared and cached
        if done is not None:
            done(ok)

    def failed(message: str) -> None:
        if win.closed:
            return
        win.dialogs.error(win, "Cannot open experiment", message)
        if done is not None:
            done(False)

    def cancelled() -> None:
        if win.closed:
            return
        win.statusBar().showMessage(f"Opening {path.name} cancelled", 5000)
        if done is not None:
            done(False)

    job.ended.connect(lambda: win._release(None))
    job.succeeded.connect(succeeded)
    job.failed.connect(failed)
    job.cancelled.connect(cancelled)
    win._hold(None)
    win.progress_strip().attach(job)
    return job.start()


def opening(win) -> bool:
    """True while ``win`` is opening a file in the background."""
    job = getattr(win, "opening_job", None)
    return job is not None and job.running


def create_window_in_background(path: str | Path | None = None, config_dir=None,
                                dialogs=None, done: Callable[[], None] | None = None):
    """``gui.app.create_window`` that returns at once: the window is built and the
    experiment (``path``, last session or default) loads in the background; ``done()``
    once one is shown."""
    from gui.main_window import MainWindow

    win = MainWindow(config_dir=config_dir, dialogs=dialogs)
    open_at_start(win, path, done)
    return win


def open_at_start(win, path: str | Path | None = None,
                  done: Callable[[], None] | None = None) -> None:
    """Start-up without blocking: open ``path`` (if given), else (or if that fails) the last
    session's experiment, else the default experiment; ``done()`` once one is shown."""
    from gui.file_actions import default_experiment

    autosave = win.autosave_enabled
    win.autosave_enabled = False  # nothing shown yet: keep the last session's autosave

    def finish(opened: bool) -> None:
        win.autosave_enabled = autosave
        if opened:  # what is shown now is the session's experiment
            win._autosave()  # (a default shown instead leaves the last one until an edit)
        notes = getattr(win, "show_startup_notes", None)  # what start-up ignored, if told
        if notes is not None:
            notes()
        if done is not None:
            done()

    def restore(opened: bool = False) -> None:
        if win.closed:
            return
        if opened:
            finish(True)
            return
        auto = win._autosave_path()
        if auto.is_file():
            job = Job(lambda progress: load_experiment_file(auto),
                      "Restoring the last experiment: preparing the surface",
                      interruptible=True)
            win.opening_job = job
            job.ended.connect(lambda: (win._release(None), last(job.outcome == "succeeded")))
            win._hold(None)
            win.progress_strip().attach(job)
            job.start()
        else:
            last(False)

    def last(prepared: bool) -> None:
        if win.closed:
            return
        restored = prepared and win.restore_last()
        if not restored:
            win.load_experiment(default_experiment())
        finish(restored)

    if path is not None:
        open_in_background(win, path, restore)
    else:
        restore()
