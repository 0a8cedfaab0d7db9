"""The run editor: add, duplicate, remove, enable/disable runs and edit each run's label,
colour, optimizer, hyperparameters (with the lecture's explanations as tooltips), schedule,
start point, batch size and gradient noise. A field with an invalid value turns red with the
reason; ``errors()`` lists them so the window can refuse to start until they are fixed."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from PySide6.QtCore import QItemSelectionModel, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QColorDialog, QComboBox, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget)

from engine.experiment import RunConfig
from engine.optimizers import OPTIMIZERS
from engine.schedules import SCHEDULES, CONSTANT, make_schedule
from gui.colors import free_color, resolved_colors, run_color
from gui.fields import ChoiceField, ValidatedField, format_number, parse_float
from gui.run_fields import _hyper_field, _optional_number, label_for_optimizer, unique_label


class RunEditor(QWidget):
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

        # the form for the current run
        self.form_box = QGroupBox("Selected run", self)
        self.form = QFormLayout(self.form_box)
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.label_field = ValidatedField(self._validate_label, "Name shown in the legend and "
                                          "the CSV's label column; must be unique.")
        self.color_button = QPushButton(self)
        self.color_button.setToolTip("The run's colour, the same in every plot. Click to change.")
        self.color_button.clicked.connect(self._pick_color)
        self.optimizer_box = QComboBox(self)
        for name, spec in OPTIMIZERS.items():
            self.optimizer_box.addItem(f"{spec.title} ({name})", name)
            self.optimizer_box.setItemData(self.optimizer_box.count() - 1,
                                           f"{spec.title}: {spec.summary}", Qt.ToolTipRole)
        self.optimizer_box.activated.connect(self._on_optimizer)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: #555; font-size: 11px;")
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #0b5394; font-size: 11px;")
        self.hint.setToolTip("η compared with the optimal step 1/λ along each eigen-direction "
                             "of the Hessian at the run's start (lecture 002), where the "
                             "quadratic theory applies there; otherwise why it does not.")
        self.hint.hide()
        self._hint_provider = None
        self.hyper_box = QWidget(self)
        self.hyper_form = QFormLayout(self.hyper_box)
        self.hyper_form.setContentsMargins(0, 0, 0, 0)
        self.schedule_box = QComboBox(self)
        for name, kind in SCHEDULES.items():
            self.schedule_box.addItem(f"{name}: {kind.formula}", name)
            self.schedule_box.setItemData(self.schedule_box.count() - 1, kind.doc, Qt.ToolTipRole)
        self.schedule_box.setToolTip("Learning-rate schedule η^t: how η changes with the step t.")
        self.schedule_box.activated.connect(self._on_schedule)
        self.sched_params = QWidget(self)
        self.sched_form = QFormLayout(self.sched_params)
        self.sched_form.setContentsMargins(0, 0, 0, 0)
        coord = lambda t: None if not t.strip() else parse_float(t)  # noqa: E731
        self.start_x = ValidatedField(coord, "Start θ₁ (blank: the surface's default start). "
                                      "Or click on the map.")
        self.start_y = ValidatedField(coord, "Start θ₂ (blank: the surface's default start). "
                                      "Or click on the map.")
        for f in (self.start_x, self.start_y):
            f.edit.setPlaceholderText("default")
        self.batch_field = ValidatedField(_optional_number("int"), "Mini-batch size for "
                                          "data-defined surfaces (blank: the experiment's; all "
                                          "examples = full batch).")
        self.batch_field.edit.setPlaceholderText("experiment's")
        self.noise_field = ValidatedField(_optional_number("float"), "Standard deviation of "
                                          "seeded Gaussian noise added to every gradient: a "
                                          "simple model of mini-batch noise (blank: the "
                                          "experiment's).")
        self.noise_field.edit.setPlaceholderText("experiment's")
        start_row = QHBoxLayout()
        start_row.addWidget(self.start_x)
        start_row.addWidget(self.start_y)
        self.form.addRow("Label", self.label_field)
        self.form.addRow("Colour", self.color_button)
        self.form.addRow("Optimizer", self.optimizer_box)
        self.form.addRow(self.summary)
        self.form.addRow(self.hyper_box)
        self.form.addRow(self.hint)
        self.form.addRow("Schedule", self.schedule_box)
        self.form.addRow(self.sched_params)
        self.form.addRow("Start (θ₁, θ₂)", start_row)
        self.form.addRow("Batch size", self.batch_field)
        self.form.addRow("Gradient noise", self.noise_field)
        for f, name in ((self.label_field, "label"), (self.start_x, "start"),
                        (self.start_y, "start"), (self.batch_field, "batch_size"),
                        (self.noise_field, "gradient_noise")):
            f.edited.connect(lambda name=name: self._on_simple_field(name))
        self._hyper_fields: dict[str, Any] = {}
        self._sched_fields: dict[str, Any] = {}

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
        for box in (self.optimizer_box, self.schedule_box):
            box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(14)
            box.setMinimumWidth(120)  # long entries (formulas) must not widen the panel
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

    def set_hint_provider(self, provider) -> None:
        """``provider(run) -> str``: a note shown under the run's hyperparameters (e.g. η as
        a multiple of η_opt); called whenever the run is shown or edited."""
        self._hint_provider = provider
        self._show_hint()

    def _show_hint(self) -> None:
        text = ""
        if self._hint_provider is not None and 0 <= self._current < len(self._runs):
            try:
                text = self._hint_provider(self._runs[self._current]) or ""
            except Exception:  # noqa: BLE001 - a hint must never break editing
                text = ""
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

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

    @staticmethod
    def _swatch(color: str) -> QIcon:
        pm = QPixmap(14, 14)
        pm.fill(QColor(color))
        return QIcon(pm)

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
        i = self._current
        self.form_box.setEnabled(0 <= i < len(self._runs))
        self.dup_button.setEnabled(i >= 0)
        self.remove_button.setEnabled(i >= 0)
        if not 0 <= i < len(self._runs):
            self.form_box.setTitle("Selected run (none)")
            return
        r = self._runs[i]
        errs = self._field_errors.get(i, {})
        self.form_box.setTitle(f"Run {i + 1}: {r.label}")
        if "label" not in errs:
            self.label_field.set_value(r.label)
        color = run_color(i, r.color)
        self.color_button.setText(color)
        self.color_button.setIcon(self._swatch(color))
        self.optimizer_box.setCurrentIndex(self.optimizer_box.findData(r.optimizer))
        self.summary.setText(OPTIMIZERS[r.optimizer].summary)
        self._build_hyper_fields(r)
        self._show_hint()
        self.schedule_box.setCurrentIndex(self.schedule_box.findData(r.schedule.name))
        self._build_schedule_fields(r)
        if "start" not in errs:
            for f, v in zip((self.start_x, self.start_y), r.start or (None, None)):
                f.set_value(v)
        for f, key in ((self.batch_field, "batch_size"), (self.noise_field, "gradient_noise")):
            if key not in errs:
                f.set_value(getattr(r, key))

    def _clear_form(self, form: QFormLayout) -> None:
        while form.rowCount():
            form.removeRow(0)

    def _build_hyper_fields(self, r: RunConfig) -> None:
        self._clear_form(self.hyper_form)
        self._hyper_fields = {}
        errs = self._field_errors.get(self._current, {})
        for hp in OPTIMIZERS[r.optimizer].hyperparams:
            f = _hyper_field(hp)
            f.set_value(r.hyper.get(hp.name, hp.default))
            if hp.name in errs:  # show the invalid text the user typed, still red
                f.edit.setText(self._pending_text.get((self._current, hp.name), ""))
                f.revalidate()
            f.edited.connect(lambda name=hp.name: self._on_hyper(name))
            label = QLabel(hp.name)
            label.setToolTip(f.toolTip() if not isinstance(f, ValidatedField) else f.edit.toolTip())
            self.hyper_form.addRow(label, f)
            self._hyper_fields[hp.name] = f

    def _build_schedule_fields(self, r: RunConfig) -> None:
        self._clear_form(self.sched_form)
        self._sched_fields = {}
        for p in SCHEDULES[r.schedule.name].params:
            tip = f"{p.name} (default {format_number(p.default)}): {p.doc}"
            if p.check == "choice":
                f = ChoiceField(p.choices, tip)
            else:
                f = ValidatedField(lambda t, p=p: p.validate(
                    int(parse_float(t)) if p.check == "int_positive" and parse_float(t).is_integer()
                    else parse_float(t)), tip)
            f.set_value(r.schedule.params.get(p.name, p.default))
            f.edited.connect(lambda name=p.name: self._on_sched_param(name))
            self.sched_form.addRow(f"  {p.name}", f)
            self._sched_fields[p.name] = f

    def _set_error(self, field: str, msg: str) -> None:
        i = self._current
        if msg:
            self._field_errors.setdefault(i, {})[field] = msg
        else:
            errs = self._field_errors.get(i, {})
            errs.pop(field, None)
            if not errs:
                self._field_errors.pop(i, None)
        self._refresh_item(i)

    def _update(self, **changes) -> None:
        i = self._current
        self._runs[i] = replace(self._runs[i], **changes)
        self._refresh_item(i)
        self.form_box.setTitle(f"Run {i + 1}: {self._runs[i].label}")

    def _validate_label(self, text: str) -> str:
        t = text.strip()
        if not t:
            raise ValueError("enter a label")
        others = {r.label for j, r in enumerate(self._runs) if j != self._current}
        if t in others:
            raise ValueError(f"'{t}' is used by another run; labels must be unique")
        return t

    def _on_simple_field(self, name: str) -> None:
        if self._current < 0:
            return
        if name == "label":
            f = self.label_field
            self._set_error("label", f.error())
            if not f.error():
                self._update(label=f.value())
        elif name == "start":
            err = self.start_x.error() or self.start_y.error()
            x, y = self.start_x.value(), self.start_y.value()
            if not err and (x is None) != (y is None):
                err = "needs both coordinates (or neither, for the surface's default)"
            self._set_error("start", err)
            if not err:
                self._update(start=None if x is None else (x, y))
        else:
            f = self.batch_field if name == "batch_size" else self.noise_field
            self._set_error(name, f.error())
            if not f.error():
                self._update(**{name: f.value()})
        self.runsChanged.emit()

    def _on_hyper(self, name: str) -> None:
        f = self._hyper_fields[name]
        self._set_error(name, f.error())
        if isinstance(f, ValidatedField):
            self._pending_text[(self._current, name)] = f.edit.text()
        if not f.error():
            hyper = dict(self._runs[self._current].hyper)
            hyper[name] = f.value()
            self._update(hyper=hyper)
            self._show_hint()
        self.runsChanged.emit()

    def _on_optimizer(self, _index: int) -> None:
        i = self._current
        name = self.optimizer_box.currentData()
        old = self._runs[i]
        if name == old.optimizer:
            return
        spec = OPTIMIZERS[name]
        hyper = spec.defaults()
        for key in hyper:  # keep shared settings (e.g. lr) that are valid for the new one
            if key in old.hyper:
                try:
                    hyper[key] = spec.param(key).validate(old.hyper[key])
                except ValueError:
                    pass
        label = label_for_optimizer(old.label, old.optimizer, name,
                                    {r.label for j, r in enumerate(self._runs) if j != i})
        errs = self._field_errors.get(i, {})
        for hp in OPTIMIZERS[old.optimizer].hyperparams:
            errs.pop(hp.name, None)
        if not errs:
            self._field_errors.pop(i, None)
        self._runs[i] = replace(old, optimizer=name, hyper=hyper, label=label)
        self._refresh_item(i)
        self._show_current()
        self.runsChanged.emit()

    def _on_schedule(self, _index: int) -> None:
        name = self.schedule_box.currentData()
        if name == self._runs[self._current].schedule.name:
            return
        self._update(schedule=make_schedule({"name": name}) if name != "constant" else CONSTANT)
        for key in list(self._field_errors.get(self._current, {})):
            if key.startswith("schedule"):
                self._set_error(key, "")
        self._build_schedule_fields(self._runs[self._current])
        self.runsChanged.emit()

    def _on_sched_param(self, name: str) -> None:
        f = self._sched_fields[name]
        key = f"schedule {name}"
        err = f.error()
        if not err:
            sched = self._runs[self._current].schedule
            params = dict(sched.params)
            params[name] = f.value()
            try:
                new = make_schedule({"name": sched.name, **params})
            except (KeyError, ValueError) as exc:
                err = str(exc.args[0])
            else:
                self._update(schedule=new)
        self._set_error(key, err)
        self.runsChanged.emit()

    def _pick_color(self) -> None:
        i = self._current
        if i < 0:
            return
        c = QColorDialog.getColor(QColor(run_color(i, self._runs[i].color)), self,
                                  "Run colour")
        if c.isValid():
            self.set_color(i, c.name())

    def set_color(self, index: int, color: str) -> None:
        self._runs[index] = replace(self._runs[index], color=color)
        self._refresh_item(index)
        if index == self._current:
            self._show_current()
        self.runsChanged.emit()
