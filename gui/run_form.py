"""The form of the run editor: the selected run's label, colour, optimizer and its
hyperparameters (with the lecture's explanations as tooltips), schedule, start point, batch
size and gradient noise, each field checked as it is typed.

``RunForm`` is a mixin of ``gui.run_editor.RunEditor``, which owns the list of runs; the form
reads and writes the editor's state: ``_runs`` (the RunConfigs), ``_current`` (the row shown,
-1 for none), ``_field_errors`` (row -> field -> message), ``_pending_text`` (the invalid text
typed per (row, hyperparameter)), and calls its ``_refresh_item(row)`` and ``runsChanged``.
``_build_form()`` creates the widgets, ``_show_run_form()`` shows the current run in them.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QColorDialog, QComboBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPushButton, QWidget)

from engine.experiment import RunConfig
from engine.optimizers import OPTIMIZERS
from engine.schedules import SCHEDULES, CONSTANT, make_schedule
from gui.colors import run_color
from gui.fields import ChoiceField, ValidatedField, format_number, parse_float
from gui.run_fields import _hyper_field, _optional_number, label_for_optimizer


class RunForm:
    """The selected run's form (a mixin of RunEditor; see the module docstring)."""

    def _build_form(self) -> None:
        """Create the form's widgets in ``self.form_box``."""
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
        for box in (self.optimizer_box, self.schedule_box):
            box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(14)
            box.setMinimumWidth(120)  # long entries (formulas) must not widen the panel

    # ------------------------------------------------------------------ showing the run
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

    @staticmethod
    def _swatch(color: str) -> QIcon:
        pm = QPixmap(14, 14)
        pm.fill(QColor(color))
        return QIcon(pm)

    def _show_run_form(self) -> None:
        """Show the current run in the form (disabled when there is none)."""
        i = self._current
        self.form_box.setEnabled(0 <= i < len(self._runs))
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

    # ------------------------------------------------------------------ edits
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
