"""Presentation mode and zoom, for a lecture hall (View menu).

- Presentation mode (F11): the window goes full screen and the side panels (docks) hide, so
  the map and the plots fill the screen; Esc (or F11 again) leaves it and puts the docks back
  exactly as they were (``QMainWindow.saveState`` / ``restoreState``).
- Zoom (Ctrl+= or Ctrl++ / Ctrl+− / Ctrl+0): one factor (``gui.zoom.Zoom``, 75 % to 300 %)
  for every view together: the map, the step plots, the tabs' plots (analysis, sweep,
  atlas, metrics) and the widgets' fonts. It is kept in the session, so it is the same
  after a restart.
"""
from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QWidget

from gui.zoom import Zoom, zoom_plots_in


_PX = re.compile(r"font-size:\s*(\d+(?:\.\d+)?)px")


class WidgetFonts:
    """The window's widget font (and so every child's that has no font of its own) at its
    start-up size × the zoom, and the pixel font sizes of the widgets' style sheets."""

    def __init__(self, window: QWidget):
        self.window = window
        self.base = window.font().pointSizeF()

    def set_zoom(self, factor: float) -> None:
        font = self.window.font()
        font.setPointSizeF(self.base * factor)
        self.window.setFont(font)
        self.zoom_sheets(self.window, factor)

    @staticmethod
    def zoom_sheets(parent: QWidget, factor: float) -> None:
        """Small print with a pixel size in its style sheet (hints, error lines) in
        ``parent`` at ``factor`` too (their fonts follow the window's)."""
        for w in [parent, *parent.findChildren(QWidget)]:
            base = w.property("zoom_base_sheet")
            if base is None:
                if "font-size" not in w.styleSheet():
                    continue
                base = w.styleSheet()
                w.setProperty("zoom_base_sheet", base)
            w.setStyleSheet(_PX.sub(lambda m: f"font-size: {float(m.group(1)) * factor:.3g}px",
                                    base))


class OtherPlots:
    """The plain pyqtgraph plots of the tabs and docks beside the map and step plots; a tab
    is zoomed again when it is shown (it may have drawn new curves since)."""

    def __init__(self, win):
        self.win = win
        self.factor = 1.0
        win.tabs.currentChanged.connect(lambda _i: self._apply(win.tabs.currentWidget()))

    def _widgets(self) -> list[QWidget]:
        tabs = [self.win.tabs.widget(i) for i in range(self.win.tabs.count())]
        docks = [d.widget() for d in self.win.findChildren(QDockWidget)]
        return [w for w in tabs + docks
                if w is not None and w is not self.win.plots and hasattr(w, "findChildren")]

    def _apply(self, widget) -> None:
        if widget is not None and widget is not self.win.plots:
            zoom_plots_in(widget, self.factor)
            # a panel that lays out by its text's size (e.g. the sweep's legend columns)
            for panel in [widget, *widget.findChildren(QWidget)]:
                refit = getattr(panel, "after_zoom", None)
                if callable(refit):
                    refit()

    def set_zoom(self, factor: float) -> None:
        self.factor = factor
        for w in self._widgets():
            self._apply(w)


class Presentation:
    """Presentation mode of one window (``win.presentation``)."""

    def __init__(self, win):
        self.win = win
        self.active = False
        self._state = None
        self._window_state = Qt.WindowState.WindowNoState

    def docks(self) -> list[QDockWidget]:
        return self.win.findChildren(QDockWidget)

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def enter(self) -> None:
        if self.active:
            return
        win = self.win
        self._state = win.saveState()
        self._visible = {d: d.isVisible() for d in self.docks()}
        self._window_state = win.windowState()
        for d in self.docks():
            d.hide()
        win.setWindowState(self._window_state | Qt.WindowState.WindowFullScreen)
        self.active = True
        self._sync()
        win.statusBar().showMessage("Presentation mode: Esc or F11 leaves it; Ctrl+= and "
                                    "Ctrl+− zoom", 6000)

    def leave(self) -> None:
        if not self.active:
            return
        win = self.win
        win.setWindowState(self._window_state & ~Qt.WindowState.WindowFullScreen)
        win.restoreState(self._state)
        for d, shown in self._visible.items():  # a dock hidden before stays hidden
            d.setVisible(shown)
        self.active = False
        self._sync()

    def _sync(self) -> None:
        self.win.presentation_action.setChecked(self.active)
        self.win.leave_presentation_action.setEnabled(self.active)


def _action(win, menu, text: str, slot, shortcuts, tip: str) -> QAction:
    act = QAction(text, win)
    act.setShortcuts([QKeySequence(s) for s in shortcuts])
    act.setStatusTip(tip)
    act.triggered.connect(lambda checked=False: slot())
    if menu is not None:
        menu.addAction(act)
    win.addAction(act)  # works wherever the focus is
    return act


def install_presentation(win) -> None:
    """Presentation mode and zoom in the View menu; the zoom from the last session."""
    win.zoom = Zoom(getattr(win, "_session", {}).get("zoom", 1.0), win)
    win.presentation = Presentation(win)
    menu = win.view_menu
    menu.addSeparator()
    win.presentation_action = _action(
        win, menu, "&Presentation mode", win.presentation.toggle, ["F11"],
        "Full screen with the map and the plots only (Esc leaves it)")
    win.presentation_action.setCheckable(True)
    win.leave_presentation_action = _action(
        win, None, "Leave presentation mode", win.presentation.leave, ["Esc"], "")
    win.leave_presentation_action.setEnabled(False)
    win.zoom_in_action = _action(win, menu, "Zoom &in", win.zoom.zoom_in,
                                 ["Ctrl+=", "Ctrl++"],
                                 "Larger fonts, lines and markers in every view")
    win.zoom_out_action = _action(win, menu, "Zoom &out", win.zoom.zoom_out,
                                  ["Ctrl+-"],
                                  "Smaller fonts, lines and markers in every view")
    win.zoom_reset_action = _action(win, menu, "&Actual size (100 %)", win.zoom.reset,
                                    ["Ctrl+0"], "Fonts, lines and markers at their usual size")
    # the window keeps the plain-Python views (a signal holds its slots' objects weakly)
    fonts, others = WidgetFonts(win), OtherPlots(win)
    win.zoom_followers = [fonts, win.map_view, win.plots, others]
    for view in win.zoom_followers:
        win.zoom.register(view)

    def tab_built(widget: QWidget) -> None:
        """A tab built after start-up (``MainWindow.add_lazy_tab``) takes the zoom as if it
        had been there from the start: its fonts, its plots, and the view itself if it
        follows the zoom (the 3-D view)."""
        factor = win.zoom.factor
        WidgetFonts.zoom_sheets(widget, factor)
        zoom_plots_in(widget, factor)
        if hasattr(widget, "set_zoom"):
            win.zoom_followers.append(widget)
            win.zoom.register(widget)

    win.tabBuilt.connect(tab_built)

    def changed(factor: float) -> None:
        win.statusBar().showMessage(f"Zoom {factor * 100:.0f} %", 3000)
        win.redraw()  # paths re-drawn at the new width
        win._autosave()  # the session keeps the zoom

    win.zoom.changed.connect(changed)
