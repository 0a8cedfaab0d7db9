"""The 3-D view: the loss surface as a mesh (pyqtgraph.opengl) with the trajectories drawn on
it; drag to rotate, wheel to zoom.

OpenGL is not always there (the offscreen platform, remote displays without drivers, PyOpenGL
missing). ``opengl_status()`` finds out once; without OpenGL the widget shows a message saying
why and does nothing else, so the rest of the app is unaffected.

The mesh heights and the paths' points are computed in a background job (``gui.background``);
the GUI thread only hands the job the surface and each run's recorded path (views of finished
rows, which the simulation never rewrites) and then draws what the job returns. Paths are
thinned by arc length to at most ``MAX_PATH_POINTS`` points per run, so a run of a million
steps costs as little to draw as one of a thousand. While a job runs, newer requests wait and
only the newest is computed next. (Surfaces are stateless functions of θ, so the job may
evaluate one while playback evaluates it on the GUI thread.)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.background import Job

GRID = 90            # mesh resolution per axis
HEIGHT_FRACTION = 0.6  # mesh height as a fraction of the larger view side
MAX_PATH_POINTS = 4000  # per run, after thinning
PATH_RESOLUTION = 1500  # a path point is kept every 1/1500 of the larger view side

_STATUS: tuple[bool, str] | None = None


def opengl_status(force_check: bool = False) -> tuple[bool, str]:
    """(available, reason): whether a 3-D view can be drawn here, and why not."""
    global _STATUS
    if _STATUS is not None and not force_check:
        return _STATUS
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    platform = app.platformName() if app is not None else ""
    if platform in ("offscreen", "minimal", "vnc"):
        _STATUS = (False, f"The 3-D view needs OpenGL, which the '{platform}' display platform "
                          "does not provide. Everything else works; run on a desktop display "
                          "to rotate the surface in 3-D.")
        return _STATUS
    try:
        import OpenGL  # noqa: F401
        import pyqtgraph.opengl  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - ImportError or a broken GL library
        _STATUS = (False, "The 3-D view needs PyOpenGL (pip install PyOpenGL), which could not "
                          f"be loaded: {exc}. Everything else works.")
        return _STATUS
    from PySide6.QtGui import QOffscreenSurface, QOpenGLContext

    ctx = QOpenGLContext()
    ok = ctx.create()
    if ok:
        surf = QOffscreenSurface()
        surf.create()
        ok = ctx.makeCurrent(surf)
        if ok:
            ctx.doneCurrent()
    if not ok:
        _STATUS = (False, "The 3-D view needs OpenGL, but no OpenGL context could be created "
                          "(missing or old graphics drivers). Everything else works.")
        return _STATUS
    _STATUS = (True, "")
    return _STATUS


def height_field(surface, grid: int = GRID):
    """(xs (grid,), ys (grid,), z (grid, grid) indexed [ix, iy], transform) for the mesh.

    z is the loss (log10 of L − Lmin + small for log-scaled surfaces), clipped at its 98th
    percentile so one steep corner does not flatten the rest, and scaled so the mesh height is
    HEIGHT_FRACTION of the larger view side. ``transform(loss (n,)) -> z (n,)`` maps losses
    of trajectory points the same way.
    """
    x0, x1, y0, y1 = surface.view
    xs, ys = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    with np.errstate(all="ignore"):
        loss = np.asarray(surface.value(np.column_stack([gx.ravel(), gy.ravel()])), dtype=float)
    finite = loss[np.isfinite(loss)]
    lo = float(finite.min()) if len(finite) else 0.0
    hi_raw = float(finite.max()) if len(finite) else 1.0
    log = bool(surface.log_scale)
    floor = max((hi_raw - lo) * 1e-3, 1e-12)  # keeps a narrow valley from spiking

    def raw(v):
        v = np.asarray(v, dtype=float)
        return np.log10(np.maximum(v - lo, 0.0) + floor) if log else v

    r = raw(loss)
    rf = r[np.isfinite(r)]
    rlo = float(rf.min()) if len(rf) else 0.0
    rhi = float(np.percentile(rf, 98)) if len(rf) else 1.0
    if not rhi > rlo:
        rhi = rlo + 1.0
    height = HEIGHT_FRACTION * max(x1 - x0, y1 - y0)

    def transform(v):
        with np.errstate(all="ignore"):
            z = (np.clip(raw(v), rlo, rhi) - rlo) / (rhi - rlo) * height
        return np.where(np.isfinite(z), z, height)

    return xs, ys, transform(loss).reshape(grid, grid), transform


def path_points(surface, theta: np.ndarray, transform, max_points: int = MAX_PATH_POINTS
                ) -> np.ndarray:
    """(m, 3) points of a path ``theta`` (n, 2) on the mesh: the finite points, clipped to
    the view, thinned by arc length to at most ``max_points`` (first and last kept), lifted
    slightly above the surface so the line is not hidden in it."""
    from gui.map_view import thin_indices

    x0, x1, y0, y1 = surface.view
    side = max(x1 - x0, y1 - y0)
    th = np.asarray(theta, dtype=float).reshape(-1, 2)
    th = th[np.isfinite(th).all(axis=1)]
    if not len(th):
        return np.zeros((1, 3))
    th = np.column_stack([np.clip(th[:, 0], x0, x1), np.clip(th[:, 1], y0, y1)])
    th = th[thin_indices(th, side / PATH_RESOLUTION, max_points)]
    with np.errstate(all="ignore"):
        z = transform(surface.value(th)) + 0.01 * HEIGHT_FRACTION * side
    return np.column_stack([th, z])


def _colors(z: np.ndarray) -> np.ndarray:
    """(grid*grid, 4) RGBA per mesh vertex from the heights z (grid, grid), viridis."""
    import pyqtgraph as pg

    cmap = pg.colormap.get("viridis")
    t = (z - z.min()) / (np.ptp(z) or 1.0)
    return cmap.map(t.ravel(), mode="float").reshape(-1, 4)


class Surface3DView(QWidget):
    """The surface as a rotatable 3-D mesh with trajectories. ``available`` tells whether
    OpenGL is in use; otherwise ``message`` (a QLabel) says why not."""

    def __init__(self, surface=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.available, reason = opengl_status()
        self.surface = None
        self.view = None
        self.mesh = None
        self.lines: list = []
        self._transform = None
        self._mesh_for = None  # the surface the mesh shows
        self._paths: tuple[list, list] = ([], [])
        self._pending = False
        self.job: Job | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.message = QLabel(reason)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setVisible(not self.available)
        lay.addWidget(self.message)
        if self.available:
            import pyqtgraph.opengl as gl

            from PySide6.QtGui import QSurfaceFormat

            self.view = gl.GLViewWidget()
            fmt = QSurfaceFormat(self.view.format())
            fmt.setDepthBufferSize(24)  # without it the mesh's faces overdraw each other
            self.view.setFormat(fmt)
            self.view.setBackgroundColor(QColor("#ffffff"))
            lay.addWidget(self.view)
        if surface is not None:
            self.set_surface(surface)

    def set_surface(self, surface) -> None:
        self.surface = surface
        self._mesh_for = None
        if self.available:
            self._request()

    def set_trajectories(self, thetas: Sequence[np.ndarray], colors: Sequence[str]) -> None:
        """Draw each run's path (n_i, 2) on the mesh, in its colour (computed in the
        background; the paths must not change while it runs: pass recorded rows)."""
        self._paths = (list(thetas), list(colors))
        if self.available and self.surface is not None:
            self._request()

    def set_simulation(self, simulation, colors: Sequence[str]) -> None:
        """Surface and every run's recorded path from a Simulation."""
        if self.surface is not simulation.surface:
            self.set_surface(simulation.surface)
        self.set_trajectories([simulation.history(i).theta for i in range(simulation.n)], colors)

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.running

    # ------------------------------------------------------------------ background
    def _request(self) -> None:
        """Compute what is asked now, or right after the job that is running."""
        if self.busy:
            self._pending = True
            return
        self._pending = False
        surface = self.surface
        mesh = None if self._mesh_for is surface else surface
        thetas, colors = self._paths
        shown_transform = self._transform

        def work(progress):
            field = height_field(mesh) if mesh is not None else None
            transform = field[3] if field is not None else shown_transform
            pos = []
            for k, th in enumerate(thetas):
                progress.report(k, len(thetas), "")
                pos.append(path_points(surface, th, transform))
            return surface, field, pos, colors

        self.job = Job(work, "3-D view")
        self.job.succeeded.connect(lambda out: self._apply(*out))
        self.job.ended.connect(self._after_job)
        self.job.start()

    def _after_job(self) -> None:
        if self._pending and self.surface is not None:
            self._request()

    def _apply(self, surface, field, pos: list, colors: list) -> None:
        """Draw the job's result (GUI thread)."""
        if surface is not self.surface:
            return  # a newer surface is on its way
        if field is not None:
            self._show_mesh(surface, field)
        if self._transform is None:
            return
        import pyqtgraph.opengl as gl

        while len(self.lines) > len(pos):
            self.view.removeItem(self.lines.pop())
        for i, (p, color) in enumerate(zip(pos, colors)):
            c = QColor(color)
            rgba = (c.redF(), c.greenF(), c.blueF(), 1.0)
            if i < len(self.lines):
                self.lines[i].setData(pos=p, color=rgba)
            else:
                line = gl.GLLinePlotItem(pos=p, color=rgba, width=2.0, antialias=True,
                                         mode="line_strip")
                line.setGLOptions("translucent")
                self.view.addItem(line)
                self.lines.append(line)

    def _show_mesh(self, surface, field) -> None:
        import pyqtgraph.opengl as gl
        from pyqtgraph import Vector

        xs, ys, z, self._transform = field
        self._mesh_for = surface
        for item in [self.mesh] + self.lines:
            if item is not None:
                self.view.removeItem(item)
        self.lines = []
        self.mesh = gl.GLSurfacePlotItem(x=xs, y=ys, z=z, colors=_colors(z), shader=None,
                                         smooth=False, drawEdges=False)
        self.mesh.setGLOptions("opaque")
        self.view.addItem(self.mesh)
        x0, x1, y0, y1 = surface.view
        size = max(x1 - x0, y1 - y0)
        self.view.setCameraPosition(pos=Vector((x0 + x1) / 2, (y0 + y1) / 2,
                                               HEIGHT_FRACTION * size / 3),
                                    distance=2.2 * size, elevation=32, azimuth=-60)
