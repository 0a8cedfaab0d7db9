"""Building a slow surface (``mlp-plane``: training a network, sampling its map) off the GUI
thread, with a progress dialog and Cancel.

    if needs_worker(config):
        build_in_worker(parent, config, on_done)   # on_done(ok: bool, message: str)

The work is pure NumPy run as a ``gui.background.Job`` (``surfaces.mlp_plane.build`` and the
critical-point search, whose results are cached per parameter set); its progress and end
arrive as signals on the GUI thread, so no Qt object crosses threads. Afterwards
``config.build()`` on the GUI thread is instant, and the map, the 3-D view and the Analysis
tab find their numbers ready.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QProgressDialog

from engine.experiment import SurfaceConfig
from gui.background import Cancelled, Job, Progress

STEPS = 1000  # progress dialog resolution
_RUNNING: set = set()  # builds in progress (kept alive until they report)


def needs_worker(config: SurfaceConfig) -> bool:
    """True for an ``mlp-plane`` table that has not been built yet in this process."""
    if config.expression is not None or config.name != "mlp-plane":
        return False
    from surfaces import mlp_plane

    return not mlp_plane.is_built(config.params)


class SurfaceBuildJob:
    """One build in a worker thread (``job``, a ``gui.background.Job``); ``dialog`` shows its
    progress. Each of ``callbacks``, ``on_done(ok, message)``, is called on the GUI thread:
    (True, "") when built, (False, why) when cancelled or invalid."""

    def __init__(self, parent, config: SurfaceConfig, on_done: Callable[[bool, str], None]):
        self.config = config
        self.callbacks = [on_done]
        self.dialog = QProgressDialog("Training the network and sampling its loss…", "Cancel",
                                      0, STEPS, parent)
        self.dialog.setWindowTitle("Building mlp-plane")
        self.dialog.setMinimumDuration(200)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.job = Job(self._work, "Building mlp-plane")
        self.dialog.canceled.connect(self.job.cancel)
        self.job.progressed.connect(lambda done, total, _text: self.dialog.setValue(done))
        self.job.ended.connect(self._ended)
        _RUNNING.add(self)
        self.job.start()

    @property
    def finished(self) -> bool:
        """True once the build has ended and reported."""
        return self.job.outcome is not None

    def cancel(self) -> None:
        self.job.cancel()

    def _work(self, progress: Progress) -> None:
        from engine.analysis import find_critical_points
        from gui.surface_layer import GRID as MAP_GRID
        from gui.view3d import GRID as MESH_GRID
        from surfaces import mlp, mlp_plane

        try:
            surface = mlp_plane.build(self.config.params,
                                      progress=lambda f: _report(progress, 0.9 * f),
                                      cancelled=lambda: progress.cancelled,
                                      grids=((MAP_GRID, "xy"), (MESH_GRID, "ij")))
            progress.check()
            find_critical_points(surface)  # kept in the surface's analysis cache
            _report(progress, 1.0)
        except mlp.Cancelled:
            raise Cancelled() from None
        except (KeyError, ValueError) as exc:
            raise ValueError(f"surface: {exc.args[0] if exc.args else exc}") from None
        except Exception as exc:  # never let a worker failure vanish silently
            raise ValueError(f"cannot build mlp-plane: {exc}") from None

    def _ended(self) -> None:
        self.dialog.close()
        _RUNNING.discard(self)
        if self.job.outcome == "succeeded":
            ok, message = True, ""
        elif self.job.outcome == "cancelled":
            ok, message = False, "building mlp-plane was cancelled"
        else:
            ok, message = False, self.job.error
        for report in self.callbacks:
            report(ok, message)


def _report(progress: Progress, fraction: float) -> None:
    """Progress as a fraction of the build, unless Cancel was pressed (the build stops at
    its next ``cancelled()`` check)."""
    if not progress.cancelled:
        progress.report(int(STEPS * fraction), STEPS)


def build_in_worker(parent, config: SurfaceConfig,
                    on_done: Callable[[bool, str], None]) -> SurfaceBuildJob:
    """Start building ``config`` in a worker thread (see ``SurfaceBuildJob``); while a build
    of the same table runs, ``on_done`` joins it instead of starting another."""
    for build in _RUNNING:
        if build.config == config and not build.finished:
            build.callbacks.append(on_done)
            return build
    return SurfaceBuildJob(parent, config, on_done)
