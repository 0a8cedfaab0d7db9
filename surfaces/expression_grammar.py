"""The grammar of typed formulas: what a formula may contain, its limits and its error type.

``FUNCTIONS`` lists the one-argument functions (with their sympy counterparts in
``sympy_functions``); ``BINARY`` the accepted operators; ``FORBIDDEN_BINARY`` and
``FORBIDDEN_NODES`` the Python syntax that is refused, each with the message a user sees.
Every problem is an ``ExpressionError`` built by ``fail``. ``RealAbs``/``RealSign`` are the
real-valued |u| and sign(u) that sympy differentiates and NumPy prints.
"""
from __future__ import annotations

import ast
from typing import Any, Callable

import sympy as sp

#: longest accepted text, in characters
MAX_LENGTH = 500
#: deepest accepted nesting of parentheses
MAX_PAREN_DEPTH = 50
#: deepest accepted syntax tree (a 500-character sum x+x+...+x is 250 deep)
MAX_TREE_DEPTH = 300
#: largest accepted constant exponent, in absolute value (x**100 is fine, x**1000 is not)
MAX_EXPONENT = 100
#: a constant power must stay below 10**MAX_POWER_DIGITS in magnitude
MAX_POWER_DIGITS = 300


class ExpressionError(ValueError):
    """A formula that cannot be used. ``str()`` is one line; ``column`` is the 1-based column of
    the problem in the text as typed (None when it concerns the whole text)."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


# ------------------------------------------------------------------------------ functions
class RealAbs(sp.Function):
    """|u| for a real u. sympy's Abs differentiates through re() and im() when it cannot
    prove u real (abs(log(x + 10))), which NumPy cannot print; every value here is real (a
    complex one is undefined), so d|u|/du = sign(u), with 0 at the kink (a subgradient)."""

    @classmethod
    def eval(cls, arg):
        if arg.is_Number:
            return abs(arg)
        if arg.is_extended_nonnegative:
            return arg
        if arg.is_extended_nonpositive:
            return -arg
        return None

    def fdiff(self, argindex=1):
        return RealSign(self.args[0])

    def _eval_is_extended_real(self):
        return True

    def _eval_is_extended_nonnegative(self):
        return True

    def _numpycode(self, printer):
        return f"{printer._module_format('numpy.absolute')}({printer._print(self.args[0])})"

    def _sympystr(self, printer):
        return f"abs({printer._print(self.args[0])})"


class RealSign(sp.Function):
    """sign(u) for a real u: −1, 0 or 1; its derivative is 0 away from the kink."""

    @classmethod
    def eval(cls, arg):
        if arg.is_Number:
            return sp.sign(arg)
        if arg.is_extended_positive:
            return sp.S.One
        if arg.is_extended_negative:
            return sp.S.NegativeOne
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _eval_is_extended_real(self):
        return True

    def _numpycode(self, printer):
        return f"{printer._module_format('numpy.sign')}({printer._print(self.args[0])})"

    def _sympystr(self, printer):
        return f"sign({printer._print(self.args[0])})"


def sympy_functions() -> dict[str, Callable[[Any], Any]]:
    """Function name -> the sympy function it builds (the keys of ``FUNCTIONS``)."""
    return {
        "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
        "exp": sp.exp, "log": sp.log, "ln": sp.log,
        "log10": lambda a: sp.log(a, 10), "log2": lambda a: sp.log(a, 2),
        "sqrt": sp.sqrt, "abs": RealAbs,
        "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
        "arcsin": sp.asin, "asin": sp.asin,
        "arccos": sp.acos, "acos": sp.acos,
        "arctan": sp.atan, "atan": sp.atan,
    }


#: function name -> what it computes (every function takes one argument)
FUNCTIONS: dict[str, str] = {
    "sin": "sine", "cos": "cosine", "tan": "tangent",
    "exp": "eˣ", "log": "natural logarithm", "ln": "natural logarithm (same as log)",
    "log10": "base-10 logarithm", "log2": "base-2 logarithm",
    "sqrt": "square root", "abs": "absolute value",
    "sinh": "hyperbolic sine", "cosh": "hyperbolic cosine", "tanh": "hyperbolic tangent",
    "arcsin": "inverse sine", "asin": "inverse sine (same as arcsin)",
    "arccos": "inverse cosine", "acos": "inverse cosine (same as arccos)",
    "arctan": "inverse tangent", "atan": "inverse tangent (same as arctan)",
}

# ------------------------------------------------------------------------------ operators
BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
FORBIDDEN_BINARY = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<",
                     ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}
FORBIDDEN_NODES = {
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Subscript: "indexing with [...] is not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and' / 'or' are not allowed",
    ast.IfExp: "conditional expressions (... if ... else ...) are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.List: "lists [...] are not allowed",
    ast.Set: "sets {...} are not allowed",
    ast.Dict: "dictionaries {...} are not allowed",
    ast.Tuple: "a comma is only allowed between a function's arguments",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}


def fail(message: str, column: int | None = None) -> ExpressionError:
    """The error for ``message``, with " at column N" put where ``{at}`` stands (or at the end)."""
    where = f" at column {column}" if column is not None else ""
    head, sep, tail = message.partition("{at}")
    return ExpressionError(f"{head}{where}{tail}" if sep else f"{message}{where}", column)

