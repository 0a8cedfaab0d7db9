"""A view-sized item that keeps what it drew on images between frames, so a frame adds only
what is new: the base of the step plots' ``CurveCanvas`` and the map's ``PathCanvas``.

A subclass names its ``LAYERS`` (images shown bottom to top) and implements
``draw(painters, full, transform, clip)``: paint on ``painters[layer]`` either everything
(``full``: the images were just cleared) or only what was added since the last call, with
``transform`` mapping data to the images' pixels and ``clip`` the images' area. A new
view, size or pixel ratio, or ``redraw_all()``, clears the images; painting to a vector
device (SVG, PDF) draws everything straight onto it.
"""
from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui

__all__ = ["ImageCanvas"]


class ImageCanvas(pg.GraphicsObject):
    """See the module. ``full_draws`` and ``partial_draws`` count the two kinds of paint."""

    LAYERS: tuple[str, ...] = ("main",)

    def __init__(self):
        super().__init__()
        self._images: dict[str, QtGui.QImage] = {}
        self._key = None          # (transform, area, pixel ratio) the images were drawn for
        self._full = True         # the next paint draws everything again
        self.full_draws = 0
        self.partial_draws = 0

    def draw(self, painters: dict, full: bool, transform, clip: QtCore.QRectF) -> None:
        raise NotImplementedError

    def view_changed(self) -> None:
        """The view's range or transform changed (a hook for subclasses' caches)."""

    def redraw_all(self) -> None:
        self._full = True
        self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt)
        vb = self.getViewBox()
        return vb.viewRect() if vb is not None else QtCore.QRectF()

    def viewRangeChanged(self) -> None:  # noqa: N802 (pyqtgraph's hook)
        self.view_changed()
        self.prepareGeometryChange()
        self.redraw_all()

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's hook: e.g. a resize)
        self.viewRangeChanged()

    @pg.debug.warnOnException  # an exception in paint would abort the application
    def paint(self, p, *_args) -> None:
        transform = p.combinedTransform()
        area = transform.mapRect(self.boundingRect()).toAlignedRect()
        if area.isEmpty():
            return
        if p.paintEngine().type() != QtGui.QPaintEngine.Type.Raster:  # SVG, PDF: vectors
            p.save()
            try:
                p.resetTransform()
                p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
                self.draw({layer: p for layer in self.LAYERS}, True, transform,
                          QtCore.QRectF(area))
            finally:
                p.restore()
            self._full = True  # the images on screen are drawn whole again next time
            return
        ratio = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        key = (transform.m11(), transform.m12(), transform.m21(), transform.m22(),
               transform.m31(), transform.m32(), area.x(), area.y(), area.width(),
               area.height(), ratio)
        full = self._full or key != self._key or not self._images
        if full:
            for layer in self.LAYERS:
                image = QtGui.QImage(int(area.width() * ratio), int(area.height() * ratio),
                                     QtGui.QImage.Format.Format_ARGB32_Premultiplied)
                image.setDevicePixelRatio(ratio)
                image.fill(0)
                self._images[layer] = image
            self._key, self._full = key, False
            self.full_draws += 1
        else:
            self.partial_draws += 1
        # the images' pixel (0, 0) is the area's top left corner
        to_image = QtGui.QTransform(transform)
        to_image *= QtGui.QTransform.fromTranslate(-area.x(), -area.y())
        painters = {layer: QtGui.QPainter(self._images[layer]) for layer in self.LAYERS}
        try:
            for painter in painters.values():
                painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
            self.draw(painters, full, to_image, QtCore.QRectF(0, 0, area.width(), area.height()))
        finally:
            for painter in painters.values():
                painter.end()
        p.save()
        try:
            p.resetTransform()
            for layer in self.LAYERS:
                p.drawImage(QtCore.QPointF(area.x(), area.y()), self._images[layer])
        finally:
            p.restore()
