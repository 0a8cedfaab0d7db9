"""The run editor: add, duplicate, remove, enable/disable runs and edit each run's label,
colour, optimizer, hyperparameters (with the lecture's explanations as tooltips), schedule,
start point, batch size and gradient noise. A field with an invalid value turns red with the
reason; ``errors()`` lists them so the window can refuse to start until they are fixed.

This module holds the list of runs and its actions; the selected run's form is
``gui.run_form.RunForm``."""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from PySide6.QtCore import QItemSelectionModel, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QScrollArea, QSizePolicy,
                               QVBoxLayout, QWidget)

from engine.experiment import RunConfig
from engine.optimizers import OPTIMIZERS
from gui.colors import free_color, resolved_colors, run_color
from gui.run_fields import unique_label
from gui.run_form import RunForm


class RunEditor(RunForm, QWidget):
    """Edits a list of RunConfig. See the module docstring."""

    runsChanged = Signal()
    selectionChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._runs: list[RunConfig] = []
        self._field_errors: dict[int, dict[str, str]] = {}
        self._current = -1
        self._pending_text: dict[tuple[int, str], str] = {}  # invalid typed text per field

        self.list = QListWidget(self)
        self.list.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.list.setToolTip("Runs: tick to enable, select to edit. Clicking the map sets the "
                             "start of the selected runs (all runs when none is selected).")
        self.list.setMinimumHeight(90)
        self.list.itemSelectionChanged.connect(self._on_selection)
        self.list.itemChanged.connect(self._on_item_changed)

        self.add_button = QPushButton("Add", self)
        self.add_button.setToolTip("Add a new run (Ctrl+Shift+A)")
        self.dup_button = QPushButton("Duplicate", self)
        self.dup_button.setToolTip("Duplicate the selected run (Ctrl+D)")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Remove the selected runs (Delete)")
        self.add_button.clicked.connect(self.add_run)
        self.dup_button.clicked.connect(self.duplicate_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        QShortcut(QKeySequence("Ctrl+Shift+A"), self, self.add_run)
        QShortcut(QKeySequence("Ctrl+D"), self, self.duplicate_selected)
        del_sc = QShortcut(QKeySequence.Delete, self.list, self.remove_selected)
        del_sc.setContext(Qt.WidgetShortcut)
        QShortcut(QKeySequence(Qt.Key_Escape), self.list, self.list.clearSelection,
                  context=Qt.WidgetShortcut)
        self.target_label = QLabel(self)
        self.target_label.setWordWrap(True)
        self.target_label.setStyleSheet("color: #555; font-size: 11px;")
        buttons = QHBoxLayout()
        for b in (self.add_button, self.dup_button, self.remove_button):
            buttons.addWidget(b)

        self._build_form()

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_box)
        scroll.setFrameShape(QScrollArea.NoFrame)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.target_label)
        lay.addLayout(buttons)
        lay.addWidget(scroll, 3)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Expanding)
        self._show_current()
        self._show_target()

    # ------------------------------------------------------------------ public interface
    def set_runs(self, runs: Sequence[RunConfig], keep_current: bool = False) -> None:
        """Replace the runs (does not emit runsChanged). ``keep_current``: stay on the same
        row and selection (e.g. after undo) instead of showing the first run."""
        rows = self.selected_indices() if keep_current else []
        current = self._current if keep_current else 0
        self._runs = list(runs)
        self._field_errors = {}
        self._pending_text = {}
        if self._runs:
            current = min(max(current, 0), len(self._runs) - 1)
        self._rebuild_list(select=current if self._runs else None)
        if rows:
            with QSignalBlocker(self.list):
                for i in rows:
                    if i < len(self._runs):
                        self.list.item(i).setSelected(True)
        self._show_target()

    def runs(self) -> tuple[RunConfig, ...]:
        return tuple(self._runs)

    def errors(self) -> list[str]:
        out = []
        if not self._runs:
            out.append("Add at least one run.")
        elif not any(r.enabled for r in self._runs):
            out.append("Enable at least one run.")
        for i, errs in sorted(self._field_errors.items()):
            for field, msg in errs.items():
                out.append(f"{self._runs[i].label}: {field} {msg}")
        return out

    def selected_indices(self) -> list[int]:
        return sorted(self.list.row(it) for it in self.list.selectedItems())

    def set_start(self, indices: Sequence[int], start: tuple[float, float]) -> None:
        start = (float(start[0]), float(start[1]))
        for i in indices:
            self._runs[i] = replace(self._runs[i], start=start)
            self._field_errors.get(i, {}).pop("start", None)
        if self._current in indices:
            self._show_current()
        self.runsChanged.emit()

    def colors(self) -> list[str]:
        """Every run's colour (explicit or its position's), in list order."""
        return resolved_colors([r.color for r in self._runs])

    def append_run(self, run: RunConfig) -> None:
        """Add ``run`` (its label made unique; without a colour, one no other run uses) at
        the end, select it and emit runsChanged."""
        label = unique_label(run.label, {r.label for r in self._runs})
        self._runs.append(replace(run, label=label, color=run.color or free_color(self.colors())))
        self._rebuild_list(select=len(self._runs) - 1)
        self.runsChanged.emit()

    def select(self, index: int) -> None:
        self.list.setCurrentRow(index)

    # ------------------------------------------------------------------ list actions
    def add_run(self) -> None:
        spec = OPTIMIZERS["gd"]
        label = unique_label(spec.name, {r.label for r in self._runs})
        self._runs.append(RunConfig(label, "gd", spec.defaults(), color=free_color(self.colors())))
        self._rebuild_list(select=len(self._runs) - 1)
        self.runsChanged.emit()

    def duplicate_selected(self) -> None:
        if self._current < 0:
            return
        self._pin_colors()  # the runs after the copy move down a row: keep their colours
        src = self._runs[self._current]
        label = unique_label(src.label, {r.label for r in self._runs})
        self._runs.insert(self._current + 1, replace(src, label=label,
                                                     color=free_color(self.colors())))
        self._field_errors = {i + (i > self._current): e for i, e in self._field_errors.items()}
        self._rebuild_list(select=self._current + 1)
        self.runsChanged.emit()

    def remove_selected(self) -> None:
        rows = self.selected_indices() or ([self._current] if self._current >= 0 else [])
        if not rows:
            return
        self._pin_colors()  # the runs after a removed one move up a row: keep their colours
        for i in reversed(rows):
            del self._runs[i]
        kept = [i for i in range(len(self._runs) + len(rows)) if i not in rows]
        self._field_errors = {kept.index(i): e for i, e in self._field_errors.items()
                              if i in kept}
        self._rebuild_list(select=min(rows[0], len(self._runs) - 1) if self._runs else None)
        self.runsChanged.emit()

    # ------------------------------------------------------------------ internals
    def _pin_colors(self) -> None:
        """Give every run without a colour its position's colour explicitly, before rows move."""
        self._runs = [r if r.color else replace(r, color=c)
                      for r, c in zip(self._runs, self.colors())]

    def _rebuild_list(self, select: int | None) -> None:
        with QSignalBlocker(self.list):
            self.list.clear()
            for i, r in enumerate(self._runs):
                it = QListWidgetItem(self._item_text(i))
                it.setFlags(it.flags() | Qt.ItemIsUserCheckable)
                it.setCheckState(Qt.Checked if r.enabled else Qt.Unchecked)
                it.setIcon(self._swatch(run_color(i, r.color)))
                it.setToolTip("Tick to enable this run; untick to leave it out.")
                self.list.addItem(it)
            if select is not None and 0 <= select < len(self._runs):
                # current (shown in the form) but not selected: map clicks move every run
                # until the user selects some
                self.list.setCurrentRow(select, QItemSelectionModel.NoUpdate)
        self._current = self.list.currentRow() if self._runs else -1
        self._show_current()
        self.selectionChanged.emit()

    def _item_text(self, i: int) -> str:
        r = self._runs[i]
        bad = " ⚠" if self._field_errors.get(i) else ""
        return f"{r.label} — {r.optimizer}{bad}"

    def _refresh_item(self, i: int) -> None:
        it = self.list.item(i)
        if it is None:
            return
        with QSignalBlocker(self.list):
            it.setText(self._item_text(i))
            it.setIcon(self._swatch(run_color(i, self._runs[i].color)))
        self._show_target()  # it names the selected runs: keep it true after a rename

    def _on_selection(self) -> None:
        self._current = self.list.currentRow()
        self._show_current()
        self._show_target()
        self.selectionChanged.emit()

    def _show_target(self) -> None:
        sel = self.selected_indices()
        if not sel:
            self.target_label.setText("A click on the map starts every run there. Select runs "
                                      "to move only those.")
        else:
            names = ", ".join(self._runs[i].label for i in sel)
            self.target_label.setText(f"A click on the map starts only: {names} "
                                      "(Esc: all runs).")

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        i = self.list.row(item)
        enabled = item.checkState() == Qt.Checked
        if 0 <= i < len(self._runs) and self._runs[i].enabled != enabled:
            self._runs[i] = replace(self._runs[i], enabled=enabled)
            self.runsChanged.emit()

    def _show_current(self) -> None:
        """Buttons and form for the current run (row ``_current``; -1: none)."""
        i = self._current
        self.dup_button.setEnabled(i >= 0)
        self.remove_button.setEnabled(i >= 0)
        self._show_run_form()
