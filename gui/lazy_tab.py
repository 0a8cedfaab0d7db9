"""Tabs built when first needed: a ``LazyTab`` page holds nothing until it is shown (its tab
selected) or its ``content()`` is asked for; then ``build()`` makes the widget, ``built``
lets the window apply its settings (the zoom), ``ready(widget)`` brings it up to date (the
experiment, the shown step), and the page shows it. Start-up builds only what the first
screen shows (``MainWindow.add_lazy_tab``).
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget


class LazyTab(QWidget):
    """A tab page whose widget ``build()`` makes on first need; ``built(widget)`` (for the
    window's settings, e.g. the zoom), then ``ready(widget)`` (the experiment) follow."""

    built = Signal(QWidget)

    def __init__(self, build: Callable[[], QWidget],
                 ready: Callable[[QWidget], None] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._build, self._ready = build, ready
        self._content: QWidget | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)

    def is_built(self) -> bool:
        return self._content is not None

    def content(self) -> QWidget:
        """The page's widget, built now if it was not yet."""
        if self._content is None:
            widget = self._build()
            self._content = widget
            self.layout().addWidget(widget)
            # in the order of a tab built at start-up: its size (the page's), the window's
            # settings (the zoom), the experiment, then the first show (a combo box takes
            # its width from what it holds then; a plot never draws, and caches, its axes
            # at a passing size)
            widget.setGeometry(self.rect())
            self.built.emit(widget)
            if self._ready is not None:
                self._ready(widget)
            if self.isVisible():
                widget.show()  # now, not at the event loop's next pass: no empty frame
        return self._content

    def showEvent(self, event) -> None:  # noqa: N802 (Qt)
        self.content()
        super().showEvent(event)
