"""A parsed formula differentiated exactly and compiled to NumPy: ``compile_expression``.

The gradient and Hessian are sympy derivatives of the parsed expression, prepared for NumPy
(``_numeric_ready``) and printed with ``sympy.lambdify``, which prints code from the sympy
tree: it holds nothing but the two symbols, numbers and whitelisted functions. A formula
whose derivatives would be too large (``surfaces.expression_size``) is refused before it is
differentiated.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import sympy as sp

from surfaces.expression_grammar import ExpressionError
from surfaces.expression_parse import parse_expression
from surfaces.expression_size import MAX_DERIVATIVE_SIZE, derivative_size


@dataclass(frozen=True)
class CompiledExpression:
    """A parsed formula with its exact derivatives as sympy expressions and NumPy functions.

    ``value_fn(x, y)`` -> L; ``grad_fn(x, y)`` -> (∂L/∂x, ∂L/∂y); ``hessian_fn(x, y)`` ->
    (∂²L/∂x², ∂²L/∂x∂y, ∂²L/∂y²). Arguments are arrays (n,); results are arrays (n,) or
    scalars (for constant parts) to broadcast.
    """

    expr: Any
    gradient: tuple[Any, Any]
    hessian: tuple[Any, Any, Any]
    value_fn: Callable
    grad_fn: Callable
    hessian_fn: Callable


def _numeric_ready(expr):
    """Prepare a derived expression for NumPy: the distribution DiracDelta (from abs'') is 0
    away from the kink; a complex or infinite constant (log of a negative) is nan; integers
    too large for float64 become floats (NumPy cannot mix them with float arrays)."""
    expr = expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero)
    if expr.has(sp.Derivative):  # a derivative sympy could not work out: not a number
        expr = expr.replace(lambda e: isinstance(e, sp.Derivative), lambda e: sp.nan)
    expr = expr.xreplace({sp.I: sp.nan, sp.zoo: sp.nan})
    big = {n: sp.Float(n) for n in expr.atoms(sp.Rational)
           if abs(n.p) > 2 ** 53 or n.q > 2 ** 53}
    return expr.xreplace(big) if big else expr


@functools.lru_cache(maxsize=256)
def compile_expression(text: str) -> CompiledExpression:
    """Parse, differentiate and compile ``text`` (cached by text); raises ExpressionError.
    A formula whose ``derivative_size`` exceeds ``MAX_DERIVATIVE_SIZE`` is refused before
    it is differentiated."""
    expr = parse_expression(text)
    try:
        estimate = derivative_size(expr)
    except RecursionError:
        estimate = MAX_DERIVATIVE_SIZE + 1
    if estimate > MAX_DERIVATIVE_SIZE:
        raise ExpressionError(
            f"too complex to differentiate quickly (its gradient and Hessian would have about "
            f"{estimate:,} terms; at most {MAX_DERIVATIVE_SIZE:,}): shorten the products, "
            "powers with x or y in the exponent, or nested functions")
    x, y = sp.symbols("x y", real=True)

    def fn(exprs, cse):
        return sp.lambdify((x, y), exprs, modules="numpy", cse=cse, **_lambdify_options())

    try:
        gx, gy = sp.diff(expr, x), sp.diff(expr, y)
        hxx, hxy, hyy = sp.diff(gx, x), sp.diff(gx, y), sp.diff(gy, y)
        f, gx, gy, hxx, hxy, hyy = (_numeric_ready(e) for e in (expr, gx, gy, hxx, hxy, hyy))
        return CompiledExpression(
            expr=f, gradient=(gx, gy), hessian=(hxx, hxy, hyy),
            value_fn=fn(f, False), grad_fn=fn((gx, gy), True),
            hessian_fn=fn((hxx, hxy, hyy), True),
        )
    except Exception as exc:  # defensive: sympy could not differentiate or print it
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExpressionError(f"cannot differentiate this formula ({detail})") from None


@functools.cache
def _lambdify_options() -> dict[str, Any]:
    """Skip lambdify's docstring (it prints the whole formula once more) where supported."""
    import inspect

    ok = "docstring_limit" in inspect.signature(sp.lambdify).parameters
    return {"docstring_limit": 0} if ok else {}
