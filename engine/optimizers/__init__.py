"""The optimizer registry: one module per optimizer, each defining ``SPEC``.

The registry drives everything else: ``main.py list``, validating experiment files, the CSV's
empty fields, the GUI's run editor, docs/optimizers.md and the parametrized tests. To add an
optimizer, write a module with its ``SPEC`` in this package (see docs/optimizers.md, "Adding
an optimizer"): it is found by name, listed after the built-in ones. Formulas: ../shared/docs/lecture-digest.md, "Update rules".
"""
from __future__ import annotations

import pkgutil
from importlib import import_module

from engine.names import did_you_mean
from engine.optimizers.base import (Context, Hyper, HyperParam, OptimizerSpec,  # noqa: F401
                                    Update)

#: in this order in ``main.py list``, the GUI and the docs; any other module follows, by name
_ORDER = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "rprop", "quickprop",
          "newton", "adamw", "amsgrad", "nadam", "adadelta", "lion", "adabelief")
_NOT_OPTIMIZERS = {"base"}
_found = sorted(m.name for m in pkgutil.iter_modules(__path__)
                if m.name not in _NOT_OPTIMIZERS and not m.name.startswith("_"))
_MODULES = [n for n in _ORDER if n in _found] + [n for n in _found if n not in _ORDER]

OPTIMIZERS: dict[str, OptimizerSpec] = {}
for _name in _MODULES:
    _spec = import_module(f"engine.optimizers.{_name}").SPEC
    assert _spec.name == _name, _name
    OPTIMIZERS[_name] = _spec


def optimizer_spec(name: str) -> OptimizerSpec:
    if name not in OPTIMIZERS:
        raise KeyError(f"unknown optimizer '{name}'{did_you_mean(name, OPTIMIZERS)}; "
                       f"known: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name]
