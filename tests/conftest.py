"""Shared fixtures for the GUI tests: a main window with fake dialogs (no modal dialogs, no
real settings folder)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from engine.experiment import loads

QUAD = """
title = "Two runs in a bowl"
description = "A test bowl."
surface = { name = "quadratic", lambda1 = 1.0, lambda2 = 3.0 }
steps = 40
[[runs]]
label = "slow"
optimizer = "gd"
lr = 0.1
[[runs]]
label = "adam"
optimizer = "adam"
lr = 0.05
"""


class FakeDialogs:
    """Answers file pickers and questions from queues; records errors and infos."""

    def __init__(self):
        self.paths: list[str] = []
        self.answers: list[str] = []
        self.errors: list[str] = []
        self.infos: list[str] = []

    def open_path(self, parent, caption, filter_):
        return self.paths.pop(0)

    def save_path(self, parent, caption, suggested, filter_):
        return self.paths.pop(0)

    def folder(self, parent, caption):
        return self.paths.pop(0)

    def ask_unsaved(self, parent, what):
        return self.answers.pop(0)

    def error(self, parent, title, text):
        self.errors.append(text)

    def info(self, parent, title, text):
        self.infos.append(text)


@pytest.fixture
def dialogs():
    return FakeDialogs()


@pytest.fixture
def make_window(qtbot, tmp_path, dialogs):
    def make(text=QUAD):
        from gui.main_window import MainWindow

        win = MainWindow(config_dir=tmp_path / "config", dialogs=dialogs)
        qtbot.addWidget(win)
        win.load_experiment(loads(text))
        win.resize(1280, 800)
        win.show()
        qtbot.waitExposed(win)
        with qtbot.waitActive(win):  # window shortcuts (Space, →, R) need an active window
            win.activateWindow()
        return win
    return make


@pytest.fixture
def win(make_window):
    return make_window()


def retype(qtbot, edit, text):
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


def action(win, text):
    for a in win.findChildren(QAction):
        if a.text().replace("&", "") == text:
            return a
    raise KeyError(text)


