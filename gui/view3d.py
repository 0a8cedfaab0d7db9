"""The 3-D view: the loss surface as a mesh (pyqtgraph.opengl) with the trajectories drawn on
it; drag to rotate, wheel to zoom (a hint above the view says so).

It reads like a figure: labelled axes with tick values (θ₁, θ₂ as on the map; the height in
the map's colour-bar units: log₁₀ of the loss where the map's colours are log-scaled, by the
same rule, ``gui.surface_layer.surface_image``), the map's colour map on the mesh, and the
trajectories drawn after the mesh without the depth test, each over a dark outline, so they
stay visible wherever the surface rises in front of them.

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

    The height is what the map's colours show (``surface_image``: the loss, or log₁₀ of it —
    of L − shift when it is not positive — where the map's colours are log-scaled), clipped
    at its 98th percentile so one steep corner does not flatten the rest, and scaled so the
    mesh height is HEIGHT_FRACTION of the larger view side. ``transform(loss (n,)) -> z (n,)``
    maps losses of trajectory points the same way; ``transform.axis`` is (lowest, highest
    shown value in the map's units, mesh height, the units' label) for the height axis.
    """
    from gui.surface_layer import surface_image

    x0, x1, y0, y1 = surface.view
    xs, ys = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    zmap, _rect, log, label, shift = surface_image(surface, grid)
    r = zmap.T  # rows = y on the map; the mesh is indexed [ix, iy]

    def raw(v):
        v = np.asarray(v, dtype=float)
        if not log:
            return v
        with np.errstate(all="ignore"):  # below the shift: the lowest value shown
            return np.log10(np.where(v - shift > 0, v - shift, np.nan))

    rf = r[np.isfinite(r)]
    rlo = float(rf.min()) if len(rf) else 0.0
    rhi = float(np.percentile(rf, 98)) if len(rf) else 1.0
    if not rhi > rlo:
        rhi = rlo + 1.0
    height = HEIGHT_FRACTION * max(x1 - x0, y1 - y0)

    def scale(r):
        with np.errstate(all="ignore"):
            z = (np.clip(r, rlo, rhi) - rlo) / (rhi - rlo) * height
        return np.where(np.isfinite(z), z, height)

    def transform(v):
        return scale(raw(v))

    transform.axis = (rlo, rhi, height, label)
    return xs, ys, scale(r), transform


def path_points(surface, theta: np.ndarray, transform, max_points: int = MAX_PATH_POINTS
                ) -> np.ndarray:
    """(m, 3) points of a path ``theta`` (n, 2) on the mesh: the finite points, clipped to
    the view, thinned by arc length to at most ``max_points`` (first and last kept), lifted
    slightly above the surface so the line is not hidden in it."""
    from gui.path_thinning import thin_indices

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
    """(grid*grid, 4) RGBA per mesh vertex from the heights z (grid, grid), in the map's
    colour map."""
    from gui.surface_layer import surface_colormap

    cmap = surface_colormap()
    t = (z - z.min()) / (np.ptp(z) or 1.0)
    return cmap.map(t.ravel(), mode="float").reshape(-1, 4)


HINT = "Drag to rotate, wheel to zoom"
AXIS_COLOR = (0.31, 0.31, 0.31, 1.0)  # as the map's axes (gui.plot_style.AXIS_COLOR)
TEXT_COLOR = "#202020"
TEXT_PT = 10.0        # axis titles and tick values at zoom 1
PATH_WIDTH = 2.0      # px at zoom 1, over an outline of OUTLINE_WIDTH
OUTLINE_WIDTH = 4.0
OUTLINE_RGBA = (0.08, 0.08, 0.08, 0.75)


def axis_ticks(lo: float, hi: float, most: int = 5) -> list[float]:
    """Round values (1, 2 or 5 × 10^k apart) to label an axis from ``lo`` to ``hi``: at
    most ``most``, none in the first tenth (where the axes meet and their labels would
    overlap)."""
    span = hi - lo
    if not (span > 0 and np.isfinite(span)):
        return [lo]
    base = 10.0 ** np.floor(np.log10(span / most))
    step = next(m * base for m in (1, 2, 5, 10) if span / (m * base) <= most)
    first = np.ceil((lo + 0.1 * span) / step) * step
    ticks = np.arange(first, hi + 1e-9 * span, step)
    return [float(round(v / step) * step) for v in ticks] or [hi]


def _tick_text(v: float) -> str:
    return f"{v:.3g}"


def _over_everything(item, depth: int) -> None:
    """Draw ``item`` after the mesh, without the depth test: nothing in front hides it."""
    from OpenGL import GL

    item.setGLOptions({GL.GL_DEPTH_TEST: False, GL.GL_BLEND: True, GL.GL_CULL_FACE: False,
                       "glBlendFunc": (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)})
    item.setDepthValue(depth)


class Surface3DView(QWidget):
    """The surface as a rotatable 3-D mesh with trajectories and labelled axes.
    ``available`` tells whether OpenGL is in use; otherwise ``message`` (a QLabel) says why
    not."""

    def __init__(self, surface=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.available, reason = opengl_status()
        self.surface = None
        self.view = None
        self.mesh = None
        self.lines: list = []     # one per run, drawn over ``outlines``
        self.outlines: list = []
        self.ends = None          # each run's current point
        self.axis_items: list = []
        self.texts: list = []     # the axes' GLTextItems
        self._zoom = 1.0
        self._transform = None
        self._mesh_for = None  # the surface the mesh shows
        self._paths: tuple[list, list] = ([], [])
        self._pending = False
        self.job: Job | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.message = QLabel(reason)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setVisible(not self.available)
        lay.addWidget(self.message)
        self.hint = QLabel(HINT)
        self.hint.setStyleSheet(f"QLabel {{ color: {TEXT_COLOR}; background: white; "
                                "padding: 3px 6px; font-size: 13px; }")  # grows with the zoom
        self.hint.setVisible(self.available)
        lay.addWidget(self.hint)
        if self.available:
            import pyqtgraph.opengl as gl

            from PySide6.QtGui import QSurfaceFormat

            self.view = gl.GLViewWidget()
            fmt = QSurfaceFormat(self.view.format())
            fmt.setDepthBufferSize(24)  # without it the mesh's faces overdraw each other
            self.view.setFormat(fmt)
            self.view.setBackgroundColor(QColor("#ffffff"))
            lay.addWidget(self.view, 1)
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

    def set_zoom(self, factor: float) -> None:
        """Axis text and path widths at their zoom-1 size × ``factor`` (``gui.zoom``)."""
        self._zoom = f = float(factor)
        for t in self.texts:
            t.setData(font=self._font())
        for line in self.lines:
            line.setData(width=PATH_WIDTH * f)
        for line in self.outlines:
            line.setData(width=OUTLINE_WIDTH * f)
        if self.ends is not None:
            self.ends.setData(size=10 * f)

    def _font(self):
        from PySide6.QtGui import QFont

        font = QFont()
        font.setPointSizeF(TEXT_PT * self._zoom)
        return font

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
        """Draw the job's result (GUI thread): each path over a dark outline, after the mesh
        and without the depth test, and a dot at its newest point."""
        if surface is not self.surface:
            return  # a newer surface is on its way
        if field is not None:
            self._show_mesh(surface, field)
        if self._transform is None:
            return
        import pyqtgraph.opengl as gl

        while len(self.lines) > len(pos):
            self.view.removeItem(self.lines.pop())
            self.view.removeItem(self.outlines.pop())
        rgba = []
        for i, (p, color) in enumerate(zip(pos, colors)):
            c = QColor(color)
            rgba.append((c.redF(), c.greenF(), c.blueF(), 1.0))
            if i < len(self.lines):
                self.outlines[i].setData(pos=p)
                self.lines[i].setData(pos=p, color=rgba[-1])
                continue
            outline = gl.GLLinePlotItem(pos=p, color=OUTLINE_RGBA, width=OUTLINE_WIDTH
                                        * self._zoom, antialias=False, mode="line_strip")
            line = gl.GLLinePlotItem(pos=p, color=rgba[-1], width=PATH_WIDTH * self._zoom,
                                     antialias=False, mode="line_strip")
            _over_everything(outline, 10)
            _over_everything(line, 11)
            self.view.addItem(outline)
            self.view.addItem(line)
            self.outlines.append(outline)
            self.lines.append(line)
        ends = np.array([p[-1] for p in pos]) if pos else np.zeros((0, 3))
        if self.ends is None:
            self.ends = gl.GLScatterPlotItem(pos=ends, color=np.array(rgba or [(0, 0, 0, 1)]),
                                             size=10 * self._zoom, pxMode=True)
            _over_everything(self.ends, 12)
            self.view.addItem(self.ends)
        else:
            self.ends.setData(pos=ends, color=np.array(rgba or [(0, 0, 0, 1)]))

    def _show_mesh(self, surface, field) -> None:
        import pyqtgraph.opengl as gl
        from pyqtgraph import Vector

        xs, ys, z, self._transform = field
        self._mesh_for = surface
        for item in [self.mesh, self.ends] + self.lines + self.outlines + self.axis_items:
            if item is not None:
                self.view.removeItem(item)
        self.lines, self.outlines, self.axis_items, self.texts, self.ends = [], [], [], [], None
        self.mesh = gl.GLSurfacePlotItem(x=xs, y=ys, z=z, colors=_colors(z), shader=None,
                                         smooth=False, drawEdges=False)
        self.mesh.setGLOptions("opaque")
        self.view.addItem(self.mesh)
        self._draw_axes(surface, self._transform.axis)
        x0, x1, y0, y1 = surface.view
        size = max(x1 - x0, y1 - y0)
        self.view.setCameraPosition(pos=Vector((x0 + x1) / 2, (y0 + y1) / 2,
                                               HEIGHT_FRACTION * size / 3),
                                    distance=1.9 * size, elevation=28, azimuth=-60)

    def _draw_axes(self, surface, axis) -> None:
        """θ₁ along the front edge, θ₂ along the right edge (as seen at first) and the height
        at the front-left corner, each with three tick values and a title."""
        import pyqtgraph.opengl as gl

        x0, x1, y0, y1 = surface.view
        lo, hi, height, zlabel = axis
        side = max(x1 - x0, y1 - y0)
        gap = 0.06 * side
        xn, yn = getattr(surface, "axis_names", ("θ₁", "θ₂"))
        segs = [(x0, y0, 0), (x1, y0, 0), (x1, y0, 0), (x1, y1, 0), (x0, y0, 0), (x0, y0, height),
                (x0, y1, 0), (x1, y1, 0), (x0, y0, 0), (x0, y1, 0)]
        ticks = []
        texts = []
        for v in axis_ticks(x0, x1):
            ticks += [(v, y0, 0), (v, y0 - gap / 3, 0)]
            texts.append(((v, y0 - gap, 0), _tick_text(v)))
        for v in axis_ticks(y0, y1):
            ticks += [(x1, v, 0), (x1 + gap / 3, v, 0)]
            texts.append(((x1 + gap, v, 0), _tick_text(v)))
        for v in axis_ticks(lo, hi):
            h = (v - lo) / (hi - lo) * height
            ticks += [(x0, y0, h), (x0 - gap / 3, y0 - gap / 3, h)]
            texts.append(((x0 - gap, y0 - gap, h), _tick_text(v)))
        texts += [(((x0 + x1) / 2, y0 - 2.6 * gap, 0), xn),
                  ((x1 + 2.6 * gap, (y0 + y1) / 2, 0), yn),
                  ((x0 - gap, y0 - gap, height * 1.12), zlabel)]
        lines = gl.GLLinePlotItem(pos=np.array(segs + ticks, dtype=float), color=AXIS_COLOR,
                                  width=1.0, mode="lines", antialias=True)
        lines.setGLOptions("translucent")
        self.view.addItem(lines)
        self.axis_items.append(lines)
        for pos, text in texts:
            item = gl.GLTextItem(pos=np.array(pos, dtype=float), text=text,
                                 color=QColor(TEXT_COLOR), font=self._font())
            self.view.addItem(item)
            self.axis_items.append(item)
            self.texts.append(item)
