"""Import pyqtgraph without having PySide6 build every Qt class at once (about 0.1 s of the
app's start-up).

pyqtgraph keeps its own mirror of ``QtCore``, ``QtGui`` and ``QtWidgets``
(``pyqtgraph.Qt.QtCore`` …), filled when it is imported by copying every name of PySide6's
modules. PySide6 builds its classes (and their enums) only when first used, so that copy
builds all of them, some 750 classes and 640 enums, most of which the app never uses.

``import_pyqtgraph()`` gives pyqtgraph mirrors that hold the same names but take each one
from PySide6 when it is first used (and keep it): every ``pyqtgraph.Qt.QtCore.X`` is
``PySide6.QtCore.X``, as before. While pyqtgraph is imported, PySide6's modules list only
their ``__dunder__`` names, so pyqtgraph copies those (its version checks read them) and
nothing else. Should anything go wrong, pyqtgraph is imported the usual way. Nothing is
changed in either package's files.
"""
from __future__ import annotations

import sys
import types

QT_MODULES = ("QtCore", "QtGui", "QtWidgets")


def _mirror(name: str, source: types.ModuleType) -> types.ModuleType:
    mirror = types.ModuleType(f"pyqtgraph.Qt.{name}", source.__doc__)

    def __getattr__(attr: str):  # noqa: N807 (a module's __getattr__, PEP 562)
        if attr.startswith("__"):
            raise AttributeError(f"module {mirror.__name__!r} has no attribute {attr!r}")
        value = getattr(source, attr)  # AttributeError for a name PySide6 lacks too
        setattr(mirror, attr, value)
        return value

    mirror.__getattr__ = __getattr__
    return mirror


def import_pyqtgraph() -> types.ModuleType:
    """``import pyqtgraph``, with mirrors that take PySide6's classes as they are used (a
    plain import when pyqtgraph is already imported)."""
    if "pyqtgraph" in sys.modules:
        return sys.modules["pyqtgraph"]
    import PySide6
    import PySide6.QtCore  # noqa: F401
    import PySide6.QtGui  # noqa: F401
    import PySide6.QtWidgets  # noqa: F401

    sources = [getattr(PySide6, name) for name in QT_MODULES]
    saved = [source.__dict__.get("__dir__", _NONE) for source in sources]  # PySide6's own
    for name, source in zip(QT_MODULES, sources):
        sys.modules[f"pyqtgraph.Qt.{name}"] = _mirror(name, source)
        dunders = [n for n in dir(source) if n.startswith("__")]
        source.__dir__ = lambda names=dunders: list(names)
    try:
        import pyqtgraph
    except Exception:  # whatever it was, the usual import
        for key in [k for k in sys.modules if k == "pyqtgraph" or k.startswith("pyqtgraph.")]:
            del sys.modules[key]
        _restore(sources, saved)
        import pyqtgraph
    finally:
        _restore(sources, saved)
    return pyqtgraph


_NONE = object()


def _restore(sources, saved) -> None:
    for source, own in zip(sources, saved):
        if own is _NONE:
            source.__dict__.pop("__dir__", None)
        else:
            source.__dir__ = own
