"""Plots over the step axis: loss, gradient norm, σ per parameter, learning rates.

Four stacked plots share one step axis (linked x). Each run has the same colour as on the
map. The y axes are logarithmic: the plots keep log₁₀ of every recorded value in buffers
that are only extended with the new steps of each frame (pyqtgraph's own log mode would
recompute the whole history every frame), and the curves get all of it; the PlotItems thin
it for display only (peak downsampling and clip-to-view). A vertical cursor line marks the
shown step; hovering over a plot lists the values of every run at the step under the mouse.

A log axis cannot show a loss ≤ 0. Whenever the lowest loss known is negative, the loss plot
shows L − L_min instead, and its title says so and gives L_min: the lowest known minimum of
the surface (``set_known_minimum``), or the lowest loss recorded if a run went lower or no
minimum is known. A difference below the rounding of L near L_min is drawn at that rounding
level (4 ulp of L_min), and a loss of exactly 0 (when no loss is negative) a whole decade
below the smallest positive loss, as the title says: no recorded step disappears.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.curve_layer import CurveCanvas, LayerCurve
from gui.fast_curve import ensure_pixmap_cache
from gui.log_series import LogSeries as _LogSeries
from gui.log_series import steps as _steps
from gui.log_series import update_all as _update_all
from gui.plot_range import SteadyRange
from gui.plot_style import TEXT_COLOR, clip_title, dark_text
from gui.step_cursor import StepCursor
from gui.zoom import pt, zoom_axis

DASH = Qt.PenStyle.DashLine
DOT = Qt.PenStyle.DotLine
CURVE_WIDTH = 2.0  # px at zoom 1
TITLE_PT = 9.0


@dataclass(frozen=True)
class RunStyle:
    """How one run is drawn: label, colour and which curves it has."""

    label: str
    color: str
    has_sigma: bool
    has_lr: bool
    adaptive_rate: bool  # η^t/σ^t (or Rprop's Δ) differs from η^t and is worth a curve


# (key, title, y label)
PANELS = (
    ("loss", "Loss L(θ<sup>t</sup>)", "loss"),  # or L − L_min: see _update_reference
    ("grad_norm", "Gradient norm ‖g<sup>t</sup>‖", "‖g‖"),
    ("sigma", "σ per parameter: σ₁ solid, σ₂ dashed", "σ"),
    ("lr", "η<sup>t</sup> solid; η<sup>t</sup>/σ<sup>t</sup>: θ₁ dashed, θ₂ dotted", "rate"),
)


class DecadeAxis(pg.AxisItem):
    """A log axis that labels only whole decades (10⁻², 10⁻¹, 1, ...): in a short plot the
    minor labels (2·10¹, 3·10¹, ...) would overlap. The minor tick marks stay."""

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        out = super().logTickStrings(values, scale, spacing)
        return [s if abs(v - round(v)) < 1e-9 else "" for v, s in zip(values, out)]


ENVELOPE_SPAN = 50_000  # beyond this many visible steps, long curves draw their envelope


LOSS_TITLE = "Loss L(θ<sup>t</sup>)"
ULP_FLOOR = 4 * np.finfo(float).eps  # differences below this × |L_min| are rounding
KNOWN_MINIMUM = "lowest known minimum"
RECORDED = "lowest loss recorded"
BELOW_RECORDED = "just below the lowest loss recorded, while playing"


def _set_curve(item, series, get, history, wide: bool, live: bool) -> None:
    """Give ``item`` the log₁₀ values ``get(history)`` (``live``: it only grew). A long curve
    in a wide view is drawn whole from its envelope; new steps are drawn one by one."""
    _set_curves([(item, series, get)], history, wide, live)


def _set_curves(curves, history, wide: bool, live: bool) -> None:
    """``_set_curve`` for a run's curves [(item, series, get), …], their new log₁₀ values
    computed in one pass (``update_all``)."""
    n = len(history.loss)
    ys = _update_all([series for _item, series, _get in curves],
                     [get(history) for _item, _series, get in curves])
    x = _steps(n)
    envelope = wide and n > ENVELOPE_SPAN
    for (item, series, _get), y in zip(curves, ys):
        item.setData(x, y, live=live, indexed=True,
                     envelope=(lambda s=series: s.display(n)) if envelope else None)


class RunPlots(QWidget):
    """The four step plots. ``update_frame(histories, upto)`` redraws from run histories
    (engine.simulation.RunHistory or anything with loss/grad_norm/sigma/lr/eff_lr arrays)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        ensure_pixmap_cache()
        self.layout_widget = pg.GraphicsLayoutWidget(self)
        self.layout_widget.setBackground("w")
        self.readout = QLabel("Hover over a plot to read the values at a step; drag or scroll "
                              "to pan and zoom, double-click to fit.", self)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setWordWrap(True)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.readout.setMinimumHeight(self.readout.fontMetrics().height() * 2 + 6)
        # the runs' colours, in a row of their own above the plots: it never covers a curve
        self.legend = QLabel(self)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._legend_pt = self.font().pointSizeF()
        self._style_legend(1.0)
        self.legend.setToolTip("Each run's colour in the plots and on the map")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.legend)
        lay.addWidget(self.layout_widget, 1)
        lay.addWidget(self.readout)
        self.plots: dict[str, pg.PlotItem] = {}
        self.cursors: dict[str, StepCursor] = {}
        # per plot, the image its curves are drawn on (gui/curve_layer.py)
        self.canvases: dict[str, CurveCanvas] = {}
        first = None
        for row, (key, title, ylabel) in enumerate(PANELS):
            p = self.layout_widget.addPlot(row=row, col=0,
                                           axisItems={"left": DecadeAxis("left")})
            dark_text(p)  # dark axis titles, tick labels and title (WCAG AA on white)
            p.setTitle(title, size=pt(TITLE_PT, 1.0))
            clip_title(p)  # a narrow panel clips the title, not the plot
            p.setLabel("left", ylabel)
            if row == len(PANELS) - 1:  # the x axes are linked: one "step t" is enough
                p.setLabel("bottom", "step t")
            for side in ("left", "bottom"):
                p.getAxis(side).enableAutoSIPrefix(False)
            p.getAxis("left").setLogMode(True)  # the curves get log₁₀ values (see _LogSeries)
            p.getViewBox().setMenuEnabled(False)
            # at least 1.5 decades tall, so a nearly constant curve (e.g. at step 0) still
            # shows a labelled decade
            p.getViewBox().setLimits(minYRange=1.5)
            p.hideButtons()
            if first is None:
                first = p
            else:
                p.setXLink(first)
            line = StepCursor(p.getViewBox(), pg.mkPen("#444444", width=1, style=DASH))
            line.setZValue(50)
            p.addItem(line, ignoreBounds=True)
            canvas = CurveCanvas()
            p.addItem(canvas, ignoreBounds=True)
            self.canvases[key] = canvas
            self.plots[key], self.cursors[key] = p, line
        self.curves: list[dict[str, list[LayerCurve]]] = []
        self._zoom = 1.0
        self.styles: list[RunStyle] = []
        self._histories: Sequence = ()
        self._upto: int | None = None
        self._known_min = math.nan  # the surface's lowest known minimum (nan: none known)
        self._lowest: list[tuple[int, float, float]] = []
        self.loss_floor = 0.0
        self.loss_offset = 0.0  # the loss plot shows log₁₀(L − loss_offset)
        self.loss_source = ""   # what loss_offset is ("" while it is 0: plain L)
        self.range = SteadyRange(self.plots)  # steady ranges: a frame repaints what changed
        self.layout_widget.scene().sigMouseMoved.connect(self._on_move)
        self.layout_widget.scene().sigMouseClicked.connect(self._on_click)
        self.plots["loss"].getViewBox().sigXRangeChanged.connect(self._on_x_range)

    def set_runs(self, styles: Sequence[RunStyle]) -> None:
        for curves in self.curves:
            for items in curves.values():
                for c in items:
                    c.remove()
        self.styles = list(styles)
        self._show_legend()
        self.curves = []
        self._series: list[list[tuple[LayerCurve, _LogSeries, Callable]]] = []
        self._drawn_rows: list[int] = []
        for s in self.styles:
            w = CURVE_WIDTH * self._zoom
            pen = pg.mkPen(s.color, width=w)
            dashed = pg.mkPen(s.color, width=w, style=DASH)
            dotted = pg.mkPen(s.color, width=w, style=DOT)
            sources = [("loss", pen, lambda h: h.loss),
                       ("grad_norm", pen, lambda h: h.grad_norm)]
            if s.has_sigma:
                sources += [("sigma", pen, lambda h: h.sigma[:, 0]),
                            ("sigma", dashed, lambda h: h.sigma[:, 1])]
            if s.has_lr:
                sources.append(("lr", pen, lambda h: h.lr))
            if s.adaptive_rate:
                sources += [("lr", dashed, lambda h: h.eff_lr[:, 0]),
                            ("lr", dotted, lambda h: h.eff_lr[:, 1])]
            c: dict[str, list[LayerCurve]] = {k: [] for k, _, _ in PANELS}
            series = []
            for key, p, get in sources:
                item = self._curve(key, p)
                c[key].append(item)
                log = _LogSeries()
                log.key = key
                series.append((item, log, get))
            self.curves.append(c)
            self._series.append(series)
            self._drawn_rows.append(-1)
        self._histories = ()
        # per run: (rows seen, lowest L, smallest positive L)
        self._lowest = [(0, math.inf, math.inf) for _ in self.styles]
        self._set_reference(0.0, "", 0.0)
        self.range.reset()  # the first 10 steps show on a 0..10 axis, then x follows the data

    def restyle(self, styles: Sequence[RunStyle]) -> bool:
        """New colours and labels for the same runs, their curves' data kept: re-setting
        them would take their log₁₀ again, seconds at a million steps. False (nothing done)
        when the runs or what they plot differ: ``set_runs`` is needed then."""
        def shape(s):
            return s.has_sigma, s.has_lr, s.adaptive_rate

        if len(styles) != len(self.styles) or \
                any(shape(a) != shape(b) for a, b in zip(styles, self.styles)):
            return False
        self.styles = list(styles)
        self._show_legend()
        for s, series in zip(self.styles, self._series):
            for item, _log, _get in series:
                pen = pg.mkPen(item.opts["pen"])
                pen.setColor(pg.mkColor(s.color))
                item.setPen(pen)
        return True

    def _show_legend(self) -> None:
        self.legend.setText(" &nbsp; ".join(  # breaks only between runs
            f"<span style='white-space:nowrap'><span style='color:{st.color}; "
            f"font-weight:bold'>━━</span>&nbsp;{html.escape(st.label)}</span>"
            for st in self.styles))
        self.legend.setVisible(bool(self.styles))

    def _curve(self, key: str, pen) -> LayerCurve:
        return LayerCurve(self.canvases[key], pen)

    def update_frame(self, histories: Sequence, upto: int | None = None,
                     exact: bool = True) -> None:
        """Redraw the curves from ``histories[i]`` (full arrays; only runs with new rows are
        touched) and put the cursor at ``upto`` (default: the newest step). With ``exact``
        False (during playback) only the points a curve gained are drawn
        (gui/curve_layer.py)."""
        self._histories, self._upto = histories, upto
        wide = self._visible_span() > ENVELOPE_SPAN
        if self._update_reference(histories, exact):  # L_min moved: re-set the loss curves
            for i, h in enumerate(histories[: len(self._series)]):
                _set_curve(*self._series[i][0], h, wide, live=False)
        newest = 0
        for i, h in enumerate(histories):
            n = len(h.loss)
            newest = max(newest, n - 1)
            drawn = self._drawn_rows[i]
            if n == drawn:
                continue
            _set_curves(self._series[i], h, wide, live=not exact)
            self._drawn_rows[i] = n
        self.range.fit(newest, self._bounds())
        step = newest if upto is None else upto
        if exact or abs(step - self.cursor_step) >= self._step_per_pixel():
            self.set_cursor(step)  # while playing, only when it moves by a pixel or more

    # ------------------------------------------------------------------ loss reference
    def set_known_minimum(self, loss: float) -> None:
        """The surface's lowest known minimum (nan: none known); the loss plot measures from
        it when it is negative (see the module's docstring)."""
        loss = float(loss)
        if loss == self._known_min or (math.isnan(loss) and math.isnan(self._known_min)):
            return
        self._known_min = loss
        if self._histories:
            self._drawn_rows = [-1] * len(self._drawn_rows)
            self.update_frame(self._histories, self._upto)
        else:
            self._set_reference(*self._reference(math.inf, True))

    def lowest_recorded(self, histories: Sequence) -> tuple[float, float]:
        """(the lowest finite loss recorded by any run, the smallest positive one); inf when
        there is none. Kept incrementally: each call looks at the new rows only."""
        low = low_pos = math.inf
        for i, h in enumerate(histories[: len(self._lowest)]):
            seen, best, best_pos = self._lowest[i]
            n = len(h.loss)
            if n < seen:
                seen, best, best_pos = 0, math.inf, math.inf
            if n > seen:
                part = h.loss[seen:n]
                lo = float(part.min())  # one pass in the usual case (all finite)
                if not math.isfinite(lo):
                    part = part[np.isfinite(part)]
                    lo = float(part.min()) if len(part) else math.inf
                best = min(best, lo)
                if lo > 0:
                    best_pos = min(best_pos, lo)
                elif len(part):
                    pos = part[part > 0]
                    if len(pos):
                        best_pos = min(best_pos, float(pos.min()))
                self._lowest[i] = (n, best, best_pos)
            low, low_pos = min(low, best), min(low_pos, best_pos)
        return low, low_pos

    def _reference(self, recorded: float, exact: bool,
                   positive: float = math.inf) -> tuple[float, str, float]:
        """(L_min, what it is, floor) for the lowest recorded loss ``recorded`` (and the
        smallest positive one, ``positive``); L_min = 0 with "" when the lowest loss known
        is ≥ 0 (the plot shows L itself; a loss of exactly 0 is drawn at ``floor``, a whole
        decade below the smallest positive loss)."""
        known = self._known_min
        # a run at the known minimum may record it a rounding error lower
        tol = 1e-9 * max(1.0, abs(known)) if math.isfinite(known) else 0.0
        if math.isfinite(known) and known <= recorded + tol and known < 0:
            return known, KNOWN_MINIMUM, ULP_FLOOR * abs(known)
        if not recorded < 0:
            if recorded == 0:  # a loss of exactly 0 (e.g. Newton at a quadratic's minimum)
                decade = math.floor(math.log10(positive)) if math.isfinite(positive) else -15
                return 0.0, "", 10.0 ** (decade - 1)
            return 0.0, "", 0.0
        if exact:
            return recorded, RECORDED, ULP_FLOOR * abs(recorded)
        # while playing, L_min moves down in steps (each re-set costs a full pass over the
        # recorded losses): a little below the lowest recorded; exact again on pause
        current = self.loss_offset if self.loss_source in (RECORDED, BELOW_RECORDED) else None
        if current is not None and current <= recorded:
            return self.loss_offset, self.loss_source, self.loss_floor
        margin = 1e-6 * max(1.0, abs(recorded))
        if current is not None:
            margin = max(margin, current - recorded)
        return recorded - margin, BELOW_RECORDED, ULP_FLOOR * abs(recorded - margin)

    def _update_reference(self, histories: Sequence, exact: bool) -> bool:
        """Re-derive L_min from the recorded losses; True when it changed."""
        low, low_pos = self.lowest_recorded(histories)
        ref = self._reference(low, exact, low_pos)
        if ref == (self.loss_offset, self.loss_source, self.loss_floor):
            return False
        self._set_reference(*ref)
        return True

    def _set_reference(self, offset: float, source: str, floor: float = 0.0) -> None:
        self.loss_offset, self.loss_source, self.loss_floor = offset, source, floor
        for series in getattr(self, "_series", ()):
            series[0][1].set_offset(offset, floor)
        p = self.plots["loss"]
        if source:
            p.setTitle(f"L(θ<sup>t</sup>) − L<sub>min</sub>, L<sub>min</sub> = {offset:.6g} "
                       f"({source})", size=pt(TITLE_PT, self._zoom))
            p.setLabel("left", "L − L<sub>min</sub>")
        else:
            p.setTitle(LOSS_TITLE + (f"; L = 0 drawn at {floor:.0e}" if floor else ""),
                       size=pt(TITLE_PT, self._zoom))
            p.setLabel("left", "loss")

    def _style_legend(self, factor: float) -> None:
        self.legend.setStyleSheet(f"QLabel {{ color: {TEXT_COLOR}; background: white; "
                                  f"padding: 2px 6px; font-size: {pt(self._legend_pt, factor)}; }}")

    def set_zoom(self, factor: float) -> None:
        """Titles, axes, curves, the cursor and the legend at their zoom-1 size × ``factor``."""
        self._zoom = f = float(factor)
        self._style_legend(f)
        for key, p in self.plots.items():
            for side in ("left", "bottom"):
                zoom_axis(p.getAxis(side), f)
            p.titleLabel.opts["size"] = pt(TITLE_PT, f)
            p.setTitle(p.titleLabel.text)
            self.cursors[key].setPen(pg.mkPen("#444444", width=f, style=DASH))
        for curves in self.curves:
            for items in curves.values():
                for item in items:
                    pen = pg.mkPen(item.opts["pen"])
                    pen.setWidthF(CURVE_WIDTH * f)
                    item.setPen(pen)

    def _step_per_pixel(self) -> float:
        return self._visible_span() / max(self.plots["loss"].getViewBox().width(), 1.0)

    def _visible_span(self) -> float:
        (x0, x1), _ = self.plots["loss"].getViewBox().viewRange()
        return x1 - x0

    def _on_x_range(self, *_args) -> None:
        """Zooming across the envelope threshold re-draws the curves exactly or coarsely."""
        coarse = self._visible_span() > ENVELOPE_SPAN
        if coarse != getattr(self, "_coarse_view", True) and self._histories:
            self._drawn_rows = [-1] * len(self._drawn_rows)
            self.update_frame(self._histories, self._upto)
        self._coarse_view = coarse

    def set_cursor(self, step: int) -> None:
        for line in self.cursors.values():
            line.setValue(step)

    @property
    def cursor_step(self) -> float:
        return float(self.cursors["loss"].value())

    # ------------------------------------------------------------------ hover read-out
    def values_at(self, key: str, step: int) -> list[str]:
        """One rich-text line per run with its ``key`` values at ``step``."""
        out = []
        for s, h in zip(self.styles, self._histories):
            if step < 0 or step >= len(h.loss):
                continue
            if key == "loss":
                vals = f"{h.loss[step]:.5g}"
                if self.loss_source:
                    vals += f" (L − L<sub>min</sub> = {h.loss[step] - self.loss_offset:.3g})"
            elif key == "grad_norm":
                vals = f"{h.grad_norm[step]:.4g}"
            elif key == "sigma":
                if not s.has_sigma:
                    continue
                vals = f"σ₁={h.sigma[step, 0]:.4g}, σ₂={h.sigma[step, 1]:.4g}"
            else:
                parts = [f"η={h.lr[step]:.4g}"] if s.has_lr else []
                if s.adaptive_rate:
                    parts.append(f"eff=({h.eff_lr[step, 0]:.3g}, {h.eff_lr[step, 1]:.3g})")
                if not parts:
                    continue
                vals = ", ".join(parts)
            out.append(f"<span style='color:{s.color}'>■</span> {s.label}: {vals}")
        return out

    def _bounds(self) -> dict[str, tuple[float, float]]:
        """Per plot, the lowest and highest log₁₀ value drawn (nan, nan: none)."""
        out = {key: (math.inf, -math.inf) for key in self.plots}
        for series in self._series:
            for _item, log, _get in series:
                lo, hi = out[log.key]
                out[log.key] = (min(lo, log.lo), max(hi, log.hi))
        return {k: (lo, hi) if lo <= hi else (math.nan, math.nan) for k, (lo, hi) in out.items()}

    def fit_view(self) -> None:
        """Fit every plot to its curves again (after a pan or zoom)."""
        self.range.refit()
        newest = max((len(h.loss) - 1 for h in self._histories), default=0)
        self.range.fit(newest, self._bounds())

    def _on_click(self, ev) -> None:
        if ev.double() and any(p.getViewBox().sceneBoundingRect().contains(ev.scenePos())
                               for p in self.plots.values()):
            ev.accept()
            self.fit_view()

    def _on_move(self, scene_pos) -> None:
        for key, p in self.plots.items():
            vb = p.getViewBox()
            if vb.sceneBoundingRect().contains(scene_pos):
                step = int(round(vb.mapSceneToView(scene_pos).x()))
                lines = self.values_at(key, step)
                name = {"loss": "loss", "grad_norm": "‖g‖", "sigma": "σ", "lr": "rates"}[key]
                self.readout.setText(f"<b>step {step}</b> — {name}: " +
                                     ("; ".join(lines) if lines else "no data"))
                return
