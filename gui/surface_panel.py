"""The surface chooser: every built-in surface with its parameters and description, a field
to type an expression (errors shown inline, at their position), and the batch size and seed
for data-defined surfaces."""
from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QComboBox, QFormLayout, QLabel, QLineEdit, QScrollArea,
                               QSpinBox, QVBoxLayout, QWidget)

from engine.experiment import ExperimentError, SurfaceConfig
from gui.fields import BoolField, ChoiceField, ValidatedField, format_number, parse_float
from surfaces import SURFACES

EXPRESSION = "expression"


def _param_field(p):
    tip = f"{p.name} (default {format_number(p.default)}): {p.doc}"
    if p.kind is bool:
        return BoolField(tip)
    if p.kind is str:
        return ChoiceField(p.choices, tip)

    def parse(text, p=p):
        v = parse_float(text)
        if p.kind is int:
            if not v.is_integer():
                raise ValueError(f"must be a whole number, got {text.strip()}")
            v = int(v)
        return p.validate(v)
    return ValidatedField(parse, tip)


class SurfacePanel(QWidget):
    """See the module docstring. ``surfaceChanged`` is emitted for every valid change."""

    surfaceChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._config = SurfaceConfig("rosenbrock", {})
        self._surface = None
        self._error = ""
        self._batch: int | None = None

        self.combo = QComboBox(self)
        for name, cls in SURFACES.items():
            self.combo.addItem(f"{cls.title} ({name})", name)
            self.combo.setItemData(self.combo.count() - 1, cls.description, Qt.ToolTipRole)
        self.combo.addItem("Typed expression in x and y…", EXPRESSION)
        self.combo.setToolTip("The loss surface L(θ₁, θ₂) the runs descend.")
        self.combo.activated.connect(self._on_combo)
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(16)
        self.combo.setMinimumWidth(140)

        self.description = QLabel(self)
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: #444;")
        self.description.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.expr_edit = QLineEdit(self)
        self.expr_edit.setPlaceholderText("e.g. x**2 + 10*y**2   or   sin(x)*cos(y) + 0.1*(x**2+y**2)")
        self.expr_edit.setToolTip("A formula in x and y: numbers, + − * / **, parentheses, pi, e "
                                  "and sin cos tan exp log sqrt abs tanh sinh cosh arctan. "
                                  "Applied when you stop typing.")
        self.expr_error = QLabel(self)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.Monospace)
        self.expr_error.setFont(mono)
        self.expr_error.setStyleSheet("color: #b00020;")
        self.expr_error.setWordWrap(True)
        self.expr_error.hide()
        self._expr_timer = QTimer(self)
        self._expr_timer.setSingleShot(True)
        self._expr_timer.setInterval(350)
        self._expr_timer.timeout.connect(self._apply_expression)
        self.expr_edit.textEdited.connect(lambda _t: (self.cancel_preparation(),
                                                      self._expr_timer.start()))
        self.expr_edit.returnPressed.connect(self._apply_expression)

        self.params_box = QWidget(self)
        self.params_form = QFormLayout(self.params_box)
        self.params_form.setContentsMargins(0, 0, 0, 0)
        self._param_fields: dict[str, Any] = {}

        self.data_info = QLabel(self)
        self.data_info.setWordWrap(True)
        self.batch_field = ValidatedField(self._parse_batch, "Mini-batch size B for every run "
                                          "(a run may set its own). Blank: all N examples, the "
                                          "full batch. Each epoch shuffles the examples and "
                                          "splits them into batches; a step uses one batch.")
        self.batch_field.edit.setPlaceholderText("full batch")
        self.batch_field.edited.connect(self._on_batch)
        self.seed_box = QSpinBox(self)
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setToolTip("Seed of every random stream (shuffles, gradient noise): the "
                                 "same seed gives the same trajectories, byte for byte.")
        self.seed_box.valueChanged.connect(lambda _v: self.surfaceChanged.emit())

        form = QFormLayout()
        form.addRow("Surface", self.combo)
        form.addRow(self.description)
        form.addRow(self.expr_edit)
        form.addRow(self.expr_error)
        form.addRow(self.params_box)
        form.addRow(self.data_info)
        self._batch_label = QLabel("Batch size")
        form.addRow(self._batch_label, self.batch_field)
        form.addRow("Seed", self.seed_box)
        inner = QWidget(self)
        inner_lay = QVBoxLayout(inner)
        inner_lay.setContentsMargins(0, 0, 0, 0)
        inner_lay.addLayout(form)
        inner_lay.addStretch(1)
        scroll = QScrollArea(self)  # a short dock scrolls instead of clipping an error
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(scroll)
        self._show()

    # ------------------------------------------------------------------ public interface
    def set_config(self, surface: SurfaceConfig, batch_size: int | None, seed: int) -> None:
        self._config = surface
        self._batch = batch_size
        self._error = ""
        try:
            self._surface = surface.build()
        except ExperimentError as exc:
            self._surface, self._error = None, exc.problem
        with QSignalBlocker(self.seed_box):
            self.seed_box.setValue(int(seed))
        if surface.expression is not None:
            self.expr_edit.setText(surface.expression)
        self._show()

    def config(self) -> SurfaceConfig:
        return self._config

    def surface(self):
        """The built Surface of ``config()`` (None if it could not be built)."""
        return self._surface

    def batch_size(self) -> int | None:
        return self._batch

    def seed(self) -> int:
        return self.seed_box.value()

    def error(self) -> str:
        errs = [self._error] if self._error else []
        errs += [f"{n} {f.error()}" for n, f in self._param_fields.items() if f.error()]
        if self.batch_field.error():
            errs.append(f"batch size {self.batch_field.error()}")
        return "; ".join(errs)

    # ------------------------------------------------------------------ internals
    def _is_expression(self) -> bool:
        return self._config.expression is not None

    def _show(self) -> None:
        expr = self._is_expression()
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(self.combo.findData(EXPRESSION if expr
                                                           else self._config.name))
        self.expr_edit.setVisible(expr)
        self.expr_error.setVisible(expr and bool(self._error))
        if expr:
            self.description.setText("A surface you type: its gradient and Hessian are derived "
                                     "exactly (symbolically). Points where it is undefined "
                                     "(log of a negative) stop a run as diverged.")
        else:
            cls = SURFACES[self._config.name]
            self.description.setText(cls.description)
        self._build_params()
        s = self._surface
        data = bool(s is not None and getattr(s, "n_examples", 0))
        self.data_info.setVisible(data)
        self.batch_field.setVisible(data)
        self._batch_label.setVisible(data)
        if data:
            self.data_info.setText(f"A data-defined loss: the average over N = {s.n_examples} "
                                   "examples.")
            self.batch_field.set_value(self._batch)

    def _build_params(self) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self._param_fields = {}
        if self._is_expression():
            return
        cls = SURFACES[self._config.name]
        for p in cls.param_specs:
            f = _param_field(p)
            f.set_value(self._config.params.get(p.name, p.default))
            f.edited.connect(lambda name=p.name: self._on_param(name))
            label = QLabel(p.name)
            label.setToolTip(p.doc)
            self.params_form.addRow(label, f)
            self._param_fields[p.name] = f

    def _on_combo(self, _index: int) -> None:
        name = self.combo.currentData()
        if name == EXPRESSION:
            text = self.expr_edit.text().strip() or "x**2 + 10*y**2"
            self._try(SurfaceConfig(EXPRESSION, {}, text))
            if self._error:  # an old invalid text: start from a working example instead
                text = "x**2 + 10*y**2"
                self._try(SurfaceConfig(EXPRESSION, {}, text))
            self.expr_edit.setText(text)
        elif name != self._config.name or self._is_expression():
            if self._build_later(SurfaceConfig(name, {})):
                return
            self._try(SurfaceConfig(name, {}))
        self._show()

    def _on_param(self, name: str) -> None:
        f = self._param_fields[name]
        if f.error():
            self.surfaceChanged.emit()  # so the window can show the problem
            return
        params = dict(self._config.params)
        default = next(p.default for p in SURFACES[self._config.name].param_specs
                       if p.name == name)
        if f.value() == default:
            params.pop(name, None)
        else:
            params[name] = f.value()
        cfg = SurfaceConfig(self._config.name, params)
        if self._build_later(cfg):
            return
        try:
            surface = cfg.build()
        except ExperimentError as exc:  # a combination the surface rejects
            f.set_error(exc.problem)
            self.surfaceChanged.emit()
            return
        self._config, self._surface, self._error = cfg, surface, ""
        self.surfaceChanged.emit()

    def _build_later(self, cfg: SurfaceConfig) -> bool:
        """A surface that takes long to build (mlp-plane: training a network) is built in a
        worker thread with progress and Cancel, then applied; True when deferred."""
        from gui.surface_worker import build_in_worker, needs_worker

        if not needs_worker(cfg):
            return False
        self.build_job = build_in_worker(self, cfg, lambda ok, msg: self._built(cfg, ok, msg))
        return True

    def _built(self, cfg: SurfaceConfig, ok: bool, message: str) -> None:
        if ok:
            self._try(cfg)  # instant now
        self._show()
        if not ok:  # cancelled or invalid: the old surface stays, and the panel says why
            self.description.setText(f"{message[0].upper()}{message[1:]}; the surface was not "
                                     "changed.")

    def _apply_expression(self) -> None:
        """After a typing pause: work out the formula's derivatives in the background (sympy
        may take seconds on a long formula), then apply it; typing on cancels that work."""
        self._expr_timer.stop()
        text = self.expr_edit.text()
        if text == self._config.expression and not self._error:
            return
        from gui.background import Job

        self.cancel_preparation()
        cfg = SurfaceConfig(EXPRESSION, {}, text)
        self.expr_error.setStyleSheet("color: #555555;")
        self.expr_error.setText("Working out the derivatives…")
        self.expr_error.show()
        job = Job(lambda _progress: _prepare(cfg), "Preparing the formula", interruptible=True)
        job.succeeded.connect(lambda problem, cfg=cfg: self._prepared(cfg, problem))
        job.failed.connect(lambda message, cfg=cfg: self._prepared(cfg, message))
        self.expr_job = job
        job.start()

    def preparing(self) -> bool:
        """True while a typed formula is being prepared in the background."""
        job = getattr(self, "expr_job", None)
        return job is not None and job.running

    def cancel_preparation(self) -> None:
        job = getattr(self, "expr_job", None)
        if job is not None and job.running:
            job.cancel()

    def _prepared(self, cfg: SurfaceConfig, problem: str | None) -> None:
        from shiboken6 import isValid

        if not isValid(self.expr_edit):
            return  # the panel was closed while the formula was prepared
        if cfg.expression != self.expr_edit.text():
            return  # typed on meanwhile: a newer preparation follows
        self.expr_error.setStyleSheet("")
        if problem:  # the same display as _try's, without preparing it again here
            self._error = problem
            self.expr_error.setText(self._caret(cfg.expression or "", problem))
            self.expr_error.show()
            self.expr_edit.setStyleSheet("QLineEdit { background: #ffe5e5; }")
            self.surfaceChanged.emit()
            return
        self._try(cfg)  # instant: the prepared formula is cached by its text
        self.expr_error.setVisible(bool(self._error))

    def _try(self, cfg: SurfaceConfig) -> None:
        """Build ``cfg``; keep it if valid (emit), else show the error and keep the old one."""
        try:
            surface = cfg.build()
        except ExperimentError as exc:
            self._error = exc.problem
            self.expr_error.setText(self._caret(cfg.expression or "", exc.problem))
            self.expr_error.show()
            self.expr_edit.setStyleSheet("QLineEdit { background: #ffe5e5; }")
            self.surfaceChanged.emit()
            return
        self._config, self._surface, self._error = cfg, surface, ""
        self.expr_edit.setStyleSheet("")
        self.expr_error.setText("")
        self.surfaceChanged.emit()

    @staticmethod
    def _caret(text: str, message: str) -> str:
        """The message, and under the expression a caret at the column it names."""
        m = re.search(r"column (\d+)", message)
        if not m or not text:
            return message
        col = int(m.group(1))
        return f"{message}\n{text}\n{' ' * (col - 1)}^"

    def _parse_batch(self, text: str) -> int | None:
        if not text.strip():
            return None
        v = parse_float(text)
        if not v.is_integer() or v < 1:
            raise ValueError(f"must be a whole number ≥ 1, got {text.strip()}")
        return int(v)

    def _on_batch(self) -> None:
        if not self.batch_field.error():
            self._batch = self.batch_field.value()
        self.surfaceChanged.emit()


def _prepare(cfg: SurfaceConfig) -> str | None:
    """Build ``cfg`` (in a worker thread): None when valid, else its problem in one line."""
    try:
        cfg.build()
    except ExperimentError as exc:
        return exc.problem
    return None
