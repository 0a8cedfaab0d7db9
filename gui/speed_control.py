"""The playback speed: "Auto" (the whole run in about ``TARGET_S`` seconds, whatever its
length and however slow the frames) or a fixed number of steps per frame.

``SpeedCombo`` is the control; ``AUTO`` (0) is the speed value meaning time-based playback,
which ``gui.playback.Stepper`` implements.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

AUTO = 0                  # speed value meaning "time-based: the whole run in TARGET_S"
TARGET_S = 12.0           # seconds the whole run takes at the Auto speed
MAX_SPEED = 10_000        # the largest fixed speed (steps per frame)
#: the menu: Auto, then fixed steps per frame
SPEEDS = (AUTO, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)


def speed_text(speed: int) -> str:
    """How the menu names ``speed``."""
    if speed == AUTO:
        return f"Auto (≈{TARGET_S:g} s)"
    return f"{speed:,} step{'s' if speed != 1 else ''}/frame"


class SpeedCombo(QComboBox):
    """Auto or a fixed number of steps per frame. ``speedChanged(int)`` emits the new speed
    (``AUTO`` = 0 for Auto). ``set_speed`` accepts any whole number from 1 to ``MAX_SPEED``
    too, adding it to the menu in order when it is not one of ``SPEEDS``."""

    speedChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space and → stay window shortcuts
        for s in SPEEDS:
            self.addItem(speed_text(s), s)
        self.setToolTip(f"Auto plays the whole run in about {TARGET_S:g} seconds, taking "
                        "more steps per frame when frames are slow; or a fixed number of "
                        "steps per frame")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentIndexChanged.connect(lambda i: self.speedChanged.emit(self.speed()))

    def speed(self) -> int:
        return int(self.currentData())

    def set_speed(self, speed: int) -> None:
        speed = AUTO if speed == AUTO else min(max(int(speed), 1), MAX_SPEED)
        i = self.findData(speed)
        if i < 0:
            values = [int(self.itemData(k)) for k in range(self.count())]
            i = next((k for k, v in enumerate(values) if v != AUTO and v > speed), len(values))
            self.insertItem(i, speed_text(speed), speed)
        if i == self.currentIndex():
            self.speedChanged.emit(speed)
        else:
            self.setCurrentIndex(i)
