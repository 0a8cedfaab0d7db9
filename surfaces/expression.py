"""Typed expressions: a loss surface from a formula in x and y, e.g. ``x**2 + 10*y**2``.

Experiment files are shared between people, so the text is never evaluated. It is parsed with
``ast.parse(mode="eval")`` (parsing runs no code) and every node is checked against a whitelist:
numbers, x, y, pi, e, the operators + − * / ** (``^`` is accepted as a power), unary ± and the
one-argument functions in ``FUNCTIONS``. The sympy expression is then built node by node from
that tree (never from the string: ``sympify`` of a string uses ``eval``), differentiated exactly
and compiled to NumPy with ``sympy.lambdify``; lambdify prints code from the sympy tree, which
holds nothing but the two symbols, numbers and whitelisted functions.

Problems raise ``ExpressionError`` with one line naming the problem and its 1-based column in
the text as typed ("unknown name 'z' at column 8"). Points where the formula is undefined
(log of a negative number, division by zero) give nan or inf, never an exception; the
simulation marks such a run diverged.

The work is split by concern: ``surfaces.expression_grammar`` (what a formula may contain, the
limits, ``ExpressionError``), ``surfaces.expression_text`` (character and parenthesis checks,
syntax diagnosis with columns as typed), ``surfaces.expression_parse`` (``parse_expression``:
the whitelisted tree to sympy), ``surfaces.expression_size`` (the size estimate refused before
differentiating) and ``surfaces.expression_compile`` (``compile_expression``: exact
derivatives compiled to NumPy). This module holds the surface and re-exports the public names.
"""
from __future__ import annotations

import numpy as np
import sympy as sp  # noqa: F401  (``surfaces.expression.sp`` stays the sympy module)

from surfaces.base import Surface
from surfaces.expression_compile import CompiledExpression, compile_expression
from surfaces.expression_grammar import (
    FUNCTIONS, MAX_EXPONENT, MAX_LENGTH, MAX_PAREN_DEPTH, MAX_POWER_DIGITS, MAX_TREE_DEPTH,
    ExpressionError, RealAbs, RealSign,
)
from surfaces.expression_parse import parse_expression
from surfaces.expression_size import MAX_DERIVATIVE_SIZE, derivative_size

__all__ = [
    "FUNCTIONS", "MAX_DERIVATIVE_SIZE", "MAX_EXPONENT", "MAX_LENGTH", "MAX_PAREN_DEPTH",
    "MAX_POWER_DIGITS", "MAX_TREE_DEPTH", "CompiledExpression", "ExpressionError",
    "ExpressionSurface", "RealAbs", "RealSign", "compile_expression", "derivative_size",
    "parse_expression",
]


# -------------------------------------------------------------------------------- surface
_START_CANDIDATES = ((-2.0, 2.0), (2.0, 2.0), (-2.0, -2.0), (2.0, -2.0), (-1.0, 1.0),
                     (1.0, 1.0), (1.0, 0.5), (0.5, 0.5))


class ExpressionSurface(Surface):
    """L(x, y) given as typed text, e.g. ``ExpressionSurface("x**2 + 10*y**2")``.

    Not in the name registry: experiment files give ``expression = "..."``. Construction
    parses and compiles the text (cached by text, so retyping a formula is instant) and raises
    ExpressionError naming the problem and its column.
    """

    name = "expression"
    param_specs = ()
    axis_names = ("x", "y")
    log_scale = False

    def __init__(self, text: str):
        self.compiled = compile_expression(text)
        self.expression = text
        self.title = text.strip()
        super().__init__()
        self._start = self._first_defined_start()

    @property
    def description(self) -> str:  # type: ignore[override]
        return (
            f"A typed formula: L(x, y) = {self.title}. Its gradient and Hessian are exact "
            "(symbolic derivatives of the formula), so the optimizers see the same numbers a "
            "derivation by hand would give. Where the formula is undefined (the logarithm or "
            "square root of a negative number, a division by zero) a run is marked diverged."
        )

    def value(self, p: np.ndarray) -> np.ndarray:
        """value(p: (n, 2)) -> (n,)"""
        x, y = _columns(p)
        out = np.empty(len(x))
        with np.errstate(all="ignore"):
            out[...] = self.compiled.value_fn(x, y)
        return out

    def grad(self, p: np.ndarray) -> np.ndarray:
        """grad(p: (n, 2)) -> (n, 2)"""
        x, y = _columns(p)
        out = np.empty((len(x), 2))
        with np.errstate(all="ignore"):
            out[:, 0], out[:, 1] = self.compiled.grad_fn(x, y)
        return out

    def hessian(self, p: np.ndarray) -> np.ndarray:
        """hessian(p: (n, 2)) -> (n, 2, 2)"""
        x, y = _columns(p)
        out = np.empty((len(x), 2, 2))
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = self.compiled.hessian_fn(x, y)
            out[:, 0, 0], out[:, 1, 1] = hxx, hyy
            out[:, 0, 1] = out[:, 1, 0] = hxy
        return out

    @property
    def view(self) -> tuple[float, float, float, float]:
        return (-3.0, 3.0, -3.0, 3.0)

    @property
    def start(self) -> tuple[float, float]:
        """(-2, 2), or the first of a few nearby points where the formula and its gradient
        are defined (so ``log(x)`` starts at x > 0)."""
        return self._start

    def _first_defined_start(self) -> tuple[float, float]:
        points = np.array(_START_CANDIDATES)
        value, grad = self.value_and_grad(points)
        ok = np.isfinite(value) & np.isfinite(grad).all(axis=1)
        return _START_CANDIDATES[int(np.argmax(ok))] if ok.any() else _START_CANDIDATES[0]

    def __repr__(self) -> str:
        return f"ExpressionSurface({self.expression!r})"


def _columns(p) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {p.shape}")
    return p[:, 0], p[:, 1]
