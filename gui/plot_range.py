"""The step plots' view ranges while the runs grow: steady, so a frame repaints only what
changed.

pyqtgraph's auto-range refits a plot every time a curve grows by a step: then every curve
is downsampled again and every cached curve pixmap is drawn again, every frame. Here:

- x spans [0, X]: X is 10 at first and grows to 1.25 × the newest step when the newest
  step passes it, so it changes about once per quarter of growth;
- y (log₁₀ values) spans the data rounded out to half decades, at least ``MIN_SPAN``
  decades; when a curve leaves it, it grows to the data plus ``HEADROOM`` on that side, so
  a falling loss moves it about once a decade.

A user's pan or zoom (drag, wheel) turns fitting off: for x in every plot (the x axes are
linked), for y in that plot. ``refit()`` (a double-click on a plot) turns it back on.
"""
from __future__ import annotations

import math
from typing import Mapping

import pyqtgraph as pg

FIRST_X = 10     # steps on the x axis before the runs have grown past them
GROWTH = 1.25    # the x axis extends to this × the newest step when the step passes it
HALF = 0.5       # y bounds are rounded out to multiples of this (decades)
MARGIN = 0.05    # decades kept between a curve's extreme and the plot's edge
MIN_SPAN = 1.5   # decades: a nearly constant curve still shows a labelled decade
HEADROOM = 0.5   # decades added on the side where the data left the y range
PAD = 0.02       # pyqtgraph's padding around the ranges


def y_bounds(lo: float, hi: float) -> tuple[float, float]:
    """The y range (log₁₀ units) shown for data between ``lo`` and ``hi``."""
    y0 = math.floor((lo - MARGIN) / HALF) * HALF
    y1 = math.ceil((hi + MARGIN) / HALF) * HALF
    while y1 - y0 < MIN_SPAN:  # grow on both sides, by half decades, around the data
        y0, y1 = y0 - HALF / 2, y1 + HALF / 2
    return y0, y1


def grown(current: tuple[float, float] | None, lo: float, hi: float) -> tuple[float, float]:
    """The y range for data in [lo, hi] when ``current`` is shown (None: none yet): kept
    while the data stay inside, else grown past them by ``HEADROOM`` on the side they
    left."""
    fit = y_bounds(lo, hi)
    if current is None:
        return fit
    y0, y1 = current
    if lo - MARGIN < y0:
        y0 = fit[0] - HEADROOM
    if hi + MARGIN > y1:
        y1 = fit[1] + HEADROOM
    return y0, y1


def next_x(current: float, newest: int) -> float:
    """The x range's right end once the newest step is ``newest`` (``current`` nan: none
    yet)."""
    if newest <= current:
        return current
    return max(float(FIRST_X), math.ceil(newest * GROWTH))


class SteadyRange:
    """Fits the linked step plots' ranges with hysteresis (see the module)."""

    def __init__(self, plots: Mapping[str, pg.PlotItem]):
        self.plots = dict(plots)
        self.auto_x = True
        self.auto_y = {key: True for key in self.plots}
        self.x_end = float(FIRST_X)
        self._y: dict[str, tuple[float, float] | None] = {key: None for key in self.plots}
        self._setting = False
        for key, p in self.plots.items():
            vb = p.getViewBox()
            vb.disableAutoRange()
            vb.sigRangeChangedManually.connect(lambda mask, key=key: self._manual(key, mask))

    def reset(self) -> None:
        """A new set of runs: fit again from [0, FIRST_X]."""
        self.refit()
        self.x_end = float(FIRST_X)
        self._apply_x()

    def refit(self) -> None:
        """Fit every axis again at the next ``fit`` (after the user panned or zoomed)."""
        self.x_end = math.nan  # differs from any end: the next fit sets x
        self.auto_x = True
        self.auto_y = {key: True for key in self.plots}
        self._y = {key: None for key in self.plots}

    def fit(self, newest: int, bounds: Mapping[str, tuple[float, float]]) -> None:
        """The runs have reached step ``newest``; ``bounds[key]`` is the (lo, hi) of the
        log₁₀ values in plot ``key`` (nan when it has none)."""
        if self.auto_x:
            end = next_x(self.x_end, newest)
            if end != self.x_end:
                self.x_end = end
                self._apply_x()
        for key, (lo, hi) in bounds.items():
            if not self.auto_y.get(key) or not (math.isfinite(lo) and math.isfinite(hi)):
                continue
            y = grown(self._y[key], lo, hi)
            if y != self._y[key]:
                self._y[key] = y
                self._setting = True
                try:
                    self.plots[key].getViewBox().setYRange(*y, padding=PAD)
                finally:
                    self._setting = False

    def _apply_x(self) -> None:
        self._setting = True
        try:
            next(iter(self.plots.values())).getViewBox().setXRange(0, self.x_end, padding=PAD)
        finally:
            self._setting = False

    def _manual(self, key: str, mask) -> None:
        if self._setting:
            return
        x_changed, y_changed = (True, True) if mask is None else (bool(mask[0]), bool(mask[1]))
        if x_changed:
            self.auto_x = False
        if y_changed:
            self.auto_y[key] = False
