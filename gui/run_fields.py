"""The run editor's field factories and run labels: a hyperparameter's field, an optional
number, a unique label, and the label that follows a run's optimizer."""
from __future__ import annotations

import re

from engine.optimizers import OPTIMIZERS, HyperParam
from gui.fields import BoolField, ChoiceField, ValidatedField, format_number, parse_float

__all__ = ["_hyper_field", "_optional_number", "unique_label", "label_for_optimizer"]


def _hyper_field(hp: HyperParam):
    tip = f"{hp.name} (default {format_number(hp.default)}): {hp.doc}"
    if hp.check == "bool":
        return BoolField(tip)
    if hp.check == "choice":
        return ChoiceField(hp.choices, tip)
    return ValidatedField(lambda text, hp=hp: hp.validate(parse_float(text)), tip)


def _optional_number(kind: str):
    def parse(text: str):
        if not text.strip():
            return None
        v = parse_float(text)
        if kind == "int":
            if v != int(v) or v < 1:
                raise ValueError(f"must be a whole number ≥ 1, got {text.strip()}")
            return int(v)
        if v < 0:
            raise ValueError(f"must be ≥ 0, got {text.strip()}")
        return v
    return parse


def unique_label(base: str, taken: set[str]) -> str:
    label, k = base, 2
    while label in taken:
        label, k = f"{base} {k}", k + 1
    return label


def label_for_optimizer(label: str, old: str, new: str, taken: set[str]) -> str:
    """The label after run's optimizer changes from ``old`` to ``new``: an automatic label
    (the old optimizer's name or title, any case, perhaps numbered: "gd", "GD", "Adam 2")
    follows the optimizer; a label the user chose stays."""
    base = re.sub(r" \d+$", "", label)
    spec_old, spec_new = OPTIMIZERS[old], OPTIMIZERS[new]
    if base.lower() not in (spec_old.name.lower(), spec_old.title.lower()):
        return label
    return unique_label(spec_new.name if base == spec_old.name else spec_new.title, taken)
