"""Small form widgets with inline validation: a field with an invalid value turns red and says
why, right under it."""
from __future__ import annotations

import math
from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QVBoxLayout, QWidget

ERROR_STYLE = "QLineEdit { background: #ffe5e5; border: 1px solid #d62728; }"


def format_number(v: Any) -> str:
    """A number as the user would type it (shortest round-trip form)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def parse_float(text: str) -> float:
    """Parse a typed number; ValueError with a message a user understands."""
    t = text.strip().replace("−", "-")
    if not t:
        raise ValueError("enter a number")
    try:
        v = float(t)
    except ValueError:
        raise ValueError(f"'{text.strip()}' is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"must be a finite number, got {text.strip()}")
    return v


class ValidatedField(QWidget):
    """A line edit plus an error line. ``validator(text) -> value`` raises ValueError with
    the reason. Emits ``edited`` after every user edit (valid or not)."""

    edited = Signal()

    def __init__(self, validator: Callable[[str], Any], tooltip: str = "", parent=None):
        super().__init__(parent)
        self._validator = validator
        self.edit = QLineEdit(self)
        self.edit.setToolTip(tooltip)
        self.error_label = QLabel(self)
        self.error_label.setStyleSheet("color: #b00020; font-size: 11px;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(self.edit)
        lay.addWidget(self.error_label)
        self._value: Any = None
        self._error = ""
        self.edit.textEdited.connect(self._on_edit)

    def set_value(self, value: Any) -> None:
        self.edit.setText(format_number(value))
        self._value, self._error = value, ""
        self._show()

    def value(self) -> Any:
        """The last valid value."""
        return self._value

    def error(self) -> str:
        return self._error

    def set_error(self, message: str) -> None:
        """Show ``message`` as this field's problem (e.g. a combination the caller rejects)."""
        self._error = message
        self._show()

    def revalidate(self) -> None:
        self._on_edit(self.edit.text(), emit=False)

    def _on_edit(self, text: str, emit: bool = True) -> None:
        try:
            self._value, self._error = self._validator(text), ""
        except ValueError as exc:
            self._error = str(exc)
        self._show()
        if emit:
            self.edited.emit()

    def _show(self) -> None:
        self.edit.setStyleSheet(ERROR_STYLE if self._error else "")
        self.error_label.setText(self._error)
        self.error_label.setVisible(bool(self._error))


class ChoiceField(QComboBox):
    edited = Signal()

    def __init__(self, choices, tooltip: str = "", parent=None):
        super().__init__(parent)
        self.addItems(list(choices))
        self.setToolTip(tooltip)
        self.activated.connect(lambda _i: self.edited.emit())

    def set_value(self, value) -> None:
        self.setCurrentText(str(value))

    def value(self):
        return self.currentText()

    def error(self) -> str:
        return ""


class BoolField(QCheckBox):
    edited = Signal()

    def __init__(self, tooltip: str = "", parent=None):
        super().__init__(parent)
        self.setToolTip(tooltip)
        self.clicked.connect(lambda _c: self.edited.emit())

    def set_value(self, value) -> None:
        self.setChecked(bool(value))

    def value(self):
        return self.isChecked()

    def error(self) -> str:
        return ""
