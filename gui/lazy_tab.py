"""Tabs built when first needed: a ``LazyTab`` page holds nothing until it is shown (its tab
selected) or its ``content()`` is asked for; then ``build()`` makes the widget, the page
shows it, and ``ready(widget)`` brings it up to date with the window (the experiment, the
shown step). Start-up builds only what the first screen shows (``MainWindow.add_lazy_tab``).
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget


class LazyTab(QWidget):
    """A tab page whose widget ``build()`` makes on first need; ``built(widget)`` follows
    ``ready(widget)``."""

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
            if self.isVisible():
                widget.show()  # not at the event loop's next pass: no empty frame
            if self._ready is not None:
                self._ready(widget)
            self.built.emit(widget)
        return self._content

    def showEvent(self, event) -> None:  # noqa: N802 (Qt)
        self.content()
        super().showEvent(event)
