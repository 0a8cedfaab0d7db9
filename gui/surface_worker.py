"""Building a slow surface (``mlp-plane``: training a network, sampling its map) off the GUI
thread, with a progress dialog and Cancel.

    if needs_worker(config):
        build_in_worker(parent, config, on_done)   # on_done(ok: bool, message: str)

The work is pure NumPy in a Python thread (``surfaces.mlp_plane.build`` and the critical-point
search, whose results are cached per parameter set); a GUI-thread QTimer polls its progress, so
no Qt object crosses threads. Afterwards ``config.build()`` on the GUI thread is instant, and the
map, the 3-D view and the Analysis tab find their numbers ready.
"""
from __future__ import annotations

import threading
from typing import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog

from engine.experiment import SurfaceConfig

POLL_MS = 50
_RUNNING: set = set()  # jobs in progress (kept alive until they report)


def needs_worker(config: SurfaceConfig) -> bool:
    """True for an ``mlp-plane`` table that has not been built yet in this process."""
    if config.expression is not None or config.name != "mlp-plane":
        return False
    from surfaces import mlp_plane

    return not mlp_plane.is_built(config.params)


class SurfaceBuildJob:
    """One build in a worker thread; ``dialog`` shows its progress. Each of ``callbacks``,
    ``on_done(ok, message)``, is called on the GUI thread: (True, "") when built, (False, why) when cancelled or
    invalid."""

    def __init__(self, parent, config: SurfaceConfig, on_done: Callable[[bool, str], None]):
        self.config = config
        self.callbacks = [on_done]
        self.progress = 0.0
        self.cancel_requested = False
        self.error: str | None = None
        self.finished = False
        self.dialog = QProgressDialog("Training the network and sampling its loss…", "Cancel",
                                      0, 1000, parent)
        self.dialog.setWindowTitle("Building mlp-plane")
        self.dialog.setMinimumDuration(200)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self.thread = threading.Thread(target=self._work, name="mlp-plane build", daemon=True)
        self.timer = QTimer(self.dialog)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)
        _RUNNING.add(self)
        self.thread.start()
        self.timer.start()

    def cancel(self) -> None:
        self.cancel_requested = True

    def _work(self) -> None:
        from engine.analysis import find_critical_points
        from gui.surface_layer import GRID as MAP_GRID
        from gui.view3d import GRID as MESH_GRID
        from surfaces import mlp, mlp_plane

        try:
            surface = mlp_plane.build(self.config.params,
                                      progress=lambda f: setattr(self, "progress", 0.9 * f),
                                      cancelled=lambda: self.cancel_requested,
                                      grids=((MAP_GRID, "xy"), (MESH_GRID, "ij")))
            if self.cancel_requested:
                raise mlp.Cancelled()
            find_critical_points(surface)  # kept in the surface's analysis cache
            self.progress = 1.0
        except mlp.Cancelled:
            self.error = "building mlp-plane was cancelled"
        except (KeyError, ValueError) as exc:
            self.error = f"surface: {exc.args[0] if exc.args else exc}"
        except Exception as exc:  # never let a worker failure vanish silently
            self.error = f"cannot build mlp-plane: {exc}"
        finally:
            self.finished = True

    def _poll(self) -> None:
        if self.dialog.wasCanceled():
            self.cancel_requested = True
        self.dialog.setValue(int(1000 * self.progress))
        if not self.finished:
            return
        self.timer.stop()
        self.dialog.close()
        _RUNNING.discard(self)
        ok = self.error is None
        for report in self.callbacks:
            report(ok, "" if ok else self.error)


def build_in_worker(parent, config: SurfaceConfig,
                    on_done: Callable[[bool, str], None]) -> SurfaceBuildJob:
    """Start building ``config`` in a worker thread (see ``SurfaceBuildJob``); while a build
    of the same table runs, ``on_done`` joins it instead of starting another."""
    for job in _RUNNING:
        if job.config == config and not job.finished:
            job.callbacks.append(on_done)
            return job
    return SurfaceBuildJob(parent, config, on_done)
