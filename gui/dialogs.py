"""The modal dialogs the main window uses; tests pass a replacement with the same methods."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

APP_NAME = "Descent Lab"


class Dialogs:
    """The modal dialogs the window uses; tests pass a replacement with the same methods."""

    def open_path(self, parent, caption: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(parent, caption, "", filter_)
        return path or None

    def save_path(self, parent, caption: str, suggested: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, filter_)
        return path or None

    def folder(self, parent, caption: str) -> str | None:
        return QFileDialog.getExistingDirectory(parent, caption) or None

    def ask_unsaved(self, parent, what: str) -> str:
        """'save', 'discard' or 'cancel'."""
        B = QMessageBox.StandardButton
        ans = QMessageBox.question(parent, APP_NAME, f"{what} has unsaved changes. Save them?",
                                   B.Save | B.Discard | B.Cancel, B.Save)
        return {B.Save: "save", B.Discard: "discard"}.get(ans, "cancel")

    def error(self, parent, title: str, text: str) -> None:
        QMessageBox.critical(parent, title, text)

    def info(self, parent, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.exec()
