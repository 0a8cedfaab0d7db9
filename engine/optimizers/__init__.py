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


def _discover() -> dict[str, OptimizerSpec]:
    """Every module of this package (but ``base``) defines one optimizer's ``SPEC``."""
    found = sorted(m.name for m in pkgutil.iter_modules(__path__)
                   if m.name not in _NOT_OPTIMIZERS and not m.name.startswith("_"))
    out = {}
    for name in [n for n in _ORDER if n in found] + [n for n in found if n not in _ORDER]:
        spec = import_module(f"{__name__}.{name}").SPEC
        if spec.name != name:
            raise ImportError(f"engine/optimizers/{name}.py defines '{spec.name}'")
        out[name] = spec
    return out


OPTIMIZERS: dict[str, OptimizerSpec] = _discover()


def optimizer_spec(name: str) -> OptimizerSpec:
    if name not in OPTIMIZERS:
        raise KeyError(f"unknown optimizer '{name}'{did_you_mean(name, OPTIMIZERS)}; "
                       f"known: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name]


def _toml(v) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else \
        f'"{v}"' if isinstance(v, str) else repr(v)


def docs_table() -> str:
    """The registry as the Markdown table of docs/optimizers.md (a test keeps them equal)."""
    eff = {"lr": "η^t", "adaptive": "effective rate", "delta": "Δ^t", "": "empty"}
    lines = ["| optimizer | keys (defaults) | `lr` | `sigma_*` | `eff_lr_*` | reference |",
             "|---|---|---|---|---|---|"]
    for name, s in OPTIMIZERS.items():
        keys = ", ".join(f"`{h.name}` = {_toml(h.default)} ({h.allowed})"
                         for h in s.hyperparams)
        lines.append(f"| `{name}` | {keys} | {'η^t' if s.has_lr else 'empty'} | "
                     f"{'σ^t' if s.has_sigma else 'empty'} | {eff[s.eff]} | {s.reference} |")
    return "\n".join(lines) + "\n"


__all__ = ["OPTIMIZERS", "optimizer_spec", "docs_table", "OptimizerSpec", "HyperParam", "Hyper",
           "Context", "Update"]
