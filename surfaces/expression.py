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
"""
from __future__ import annotations

import ast
import difflib
import fractions
import functools
import keyword
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import sympy as sp

from surfaces.base import Surface
from surfaces.expression_size import MAX_DERIVATIVE_SIZE, derivative_size

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


# ------------------------------------------------------------------------------ the grammar
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


def _sympy_functions() -> dict[str, Callable[[Any], Any]]:
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

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FORBIDDEN_BINARY = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<",
                     ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}
_FORBIDDEN_NODES = {
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
# characters typed from documents, mapped one-for-one onto the ASCII grammar
_UNICODE_OPERATORS = {"−": "-", "–": "-", "×": "*", "·": "*", "⋅": "*", "\t": " ",
                      "\n": " ", "\r": " "}
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


def _fail(message: str, column: int | None = None) -> ExpressionError:
    where = f" at column {column}" if column is not None else ""
    head, sep, tail = message.partition("{at}")
    return ExpressionError(f"{head}{where}{tail}" if sep else f"{message}{where}", column)


class _Source:
    """The text after one-for-one clean-ups and ``^`` → ``**``, with a map back to the
    columns the user typed."""

    def __init__(self, original: str):
        self.original = original
        chars: list[str] = []
        origin: list[int] = []  # index in ``original`` of each char of ``text``
        for i, ch in enumerate(original):
            ch = _UNICODE_OPERATORS.get(ch, ch)
            if ch == "^":
                chars += ["*", "*"]
                origin += [i, i]
            else:
                chars.append(ch)
                origin.append(i)
        origin.append(len(original))
        lead = len(chars) - len("".join(chars).lstrip(" "))  # Python rejects an indent
        self.text = "".join(chars[lead:])
        self.origin = origin[lead:]

    def column(self, offset: int) -> int:
        """1-based column in the original text of 0-based ``offset`` in ``self.text``."""
        offset = min(max(offset, 0), len(self.origin) - 1)
        return self.origin[offset] + 1

    def typed(self, start: int, end: int) -> str:
        """The original text behind ``self.text[start:end]``."""
        if end <= start:
            return ""
        return self.original[self.origin[start]: self.origin[end - 1] + 1]


# ---------------------------------------------------------------------------- text checks
def _check_characters(src: _Source) -> None:
    for i, ch in enumerate(src.text):
        if ch in "'\"":
            raise _fail("strings are not allowed (a quote{at})", src.column(i))
        if ch == "#":
            raise _fail("'#' is not allowed{at}: the formula has no comments", src.column(i))
        if ord(ch) > 127 or (ord(ch) < 32):
            col = src.column(i)
            shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
            if ch in _SUPERSCRIPTS:
                raise _fail(f"character {shown} is not allowed{{at}}; write powers with ** "
                            f"(e.g. x**{_SUPERSCRIPTS.index(ch)})", col)
            if ch.isalpha():
                raise _fail(f"character {shown} is not allowed{{at}}; the variables are x "
                            "and y", col)
            raise _fail(f"character {shown} is not allowed", col)


def _check_parentheses(src: _Source) -> None:
    stack: list[int] = []
    for i, ch in enumerate(src.text):
        if ch in "([{":
            stack.append(i)
            if len(stack) > MAX_PAREN_DEPTH:
                raise _fail(f"too deeply nested (more than {MAX_PAREN_DEPTH} levels of "
                            "parentheses){at}", src.column(i))
        elif ch == ")":
            if not stack:
                raise _fail("unbalanced parenthesis: ')'{at} has no matching '('",
                            src.column(i))
            stack.pop()
        elif ch in "]}":
            if stack:
                stack.pop()
    if stack:
        i = stack[-1]
        if src.text[i] == "(":
            raise _fail("unbalanced parenthesis: '('{at} is never closed", src.column(i))


# ----------------------------------------------------------------------- syntax diagnosis
_TOKEN = re.compile(r"""
    (?P<number>(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>\*\*|[-+*/(),])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE)


def _diagnose_syntax(src: _Source, exc: SyntaxError) -> ExpressionError:
    """A message naming the first problem a left-to-right reading finds."""
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(src.text)
              if m.lastgroup != "space"]

    def col(tok) -> int:
        return src.column(tok[2])

    def typed(tok) -> str:
        return src.typed(tok[2], tok[3])

    for tok in tokens:
        if tok[0] == "name" and keyword.iskeyword(tok[1]):
            return _fail(f"'{tok[1]}' is not allowed{{at}}: only a formula in x and y is",
                         col(tok))
    expect_operand = True
    stack: list[str] = []
    prev = None
    for tok in tokens:
        kind, value = tok[0], tok[1]
        if kind == "other":
            if value == ";":
                return _fail("unexpected ';'{at}: give one formula, nothing else", col(tok))
            if value == "=":
                return _fail("'='{at} is not allowed: give the formula only", col(tok))
            return _fail(f"unexpected '{value}'{{at}}", col(tok))
        if expect_operand:
            if kind in ("number", "name"):
                expect_operand = False
            elif value == "(":
                stack.append("group")
            elif value in "+-":
                pass
            elif value == ")" and prev is not None and prev[1] == "(" and stack \
                    and stack[-1] == "call":
                stack.pop()
                expect_operand = False
            elif prev is None:
                return _fail(f"expected an expression before '{typed(tok)}'{{at}}", col(tok))
            else:
                return _fail(f"expected an expression after '{typed(prev)}'{{at}}", col(prev))
        else:
            if value in ("+", "-", "*", "/", "**"):
                expect_operand = True
            elif value == ",":
                if not stack or stack[-1] != "call":
                    return _fail("a comma{at} is only allowed between a function's arguments",
                                 col(tok))
                expect_operand = True
            elif value == ")":
                if stack:
                    stack.pop()
            elif value == "(":
                if prev[0] == "name":
                    stack.append("call")
                    expect_operand = True
                else:
                    return _fail(f"missing operator before '('{{at}} (write "
                                 f"{typed(prev)}*(...) to multiply)", col(tok))
            elif prev[0] == "name" and prev[1] in FUNCTIONS:
                return _fail(f"'{prev[1]}' is a function{{at}}: write {prev[1]}(...)",
                             col(prev))
            elif prev[0] == "number" and kind == "name" and prev[3] == tok[2]:
                return _fail(f"missing '*' between '{typed(prev)}' and '{value}'{{at}} "
                             f"(write {typed(prev)}*{value})", col(tok))
            else:
                return _fail(f"missing operator between '{typed(prev)}' and "
                             f"'{typed(tok)}'{{at}}", col(tok))
        prev = tok
    if expect_operand and prev is not None:
        return _fail(f"expected an expression after '{typed(prev)}'{{at}}", col(prev))
    if exc.offset:
        return _fail(f"invalid formula ({exc.msg}){{at}}", src.column(exc.offset - 1))
    return _fail(f"invalid formula ({exc.msg})")


# ----------------------------------------------------------------- tree -> sympy expression
class _Builder:
    """Checks every node against the whitelist and builds the sympy expression."""

    def __init__(self, src: _Source):
        self.src = src
        self.x, self.y = sp.symbols("x y", real=True)
        self.names = {"x": self.x, "y": self.y, "pi": sp.pi, "e": sp.E}
        self.functions = _sympy_functions()

    # -- positions
    def col(self, node: ast.AST) -> int:
        return self.src.column(node.col_offset)

    def op_col(self, node: ast.BinOp, symbol: str) -> int:
        start, end = node.left.end_col_offset, node.right.col_offset
        at = self.src.text.find(symbol, start, end)
        return self.src.column(at if at >= 0 else start)

    def between(self, first: ast.AST, second: ast.AST) -> int:
        """1-based column of the first non-blank character between two nodes (an operator or
        keyword), skipping closing parentheses."""
        text = self.src.text
        i = first.end_col_offset
        while i < second.col_offset and text[i] in " )":
            i += 1
        return self.src.column(i)

    def keyword_col(self, node: ast.AST) -> int:
        """Where the operator or keyword that makes ``node`` forbidden is typed."""
        if isinstance(node, ast.Compare):
            return self.between(node.left, node.comparators[0])
        if isinstance(node, ast.BoolOp):
            return self.between(node.values[0], node.values[1])
        if isinstance(node, ast.IfExp):
            return self.between(node.body, node.test)
        if isinstance(node, ast.Tuple) and len(node.elts) > 0:
            return self.src.column(self.src.text.find(",", node.elts[0].end_col_offset))
        return self.col(node)

    def typed(self, node: ast.AST) -> str:
        return self.src.typed(node.col_offset, node.end_col_offset)

    # -- checks
    def check_depth(self, tree: ast.AST) -> None:
        todo = [(tree, 0)]
        while todo:
            node, depth = todo.pop()
            if depth > MAX_TREE_DEPTH:
                raise _fail(f"too deeply nested (more than {MAX_TREE_DEPTH} levels){{at}}",
                            self.col(node) if hasattr(node, "col_offset") else None)
            todo.extend((child, depth + 1) for child in ast.iter_child_nodes(node))

    def build(self, node: ast.AST):
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            word = "not" if isinstance(node.op, ast.Not) else "~"
            raise _fail(f"'{word}' is not allowed{{at}}", self.col(node))
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            dot = self.src.text.find(".", node.value.end_col_offset, node.end_col_offset)
            raise _fail(f"attribute access ('.{node.attr}') is not allowed{{at}}",
                        self.src.column(dot if dot >= 0 else node.col_offset))
        if isinstance(node, ast.Subscript):
            bracket = self.src.text.find("[", node.value.end_col_offset, node.end_col_offset)
            raise _fail("indexing with [...] is not allowed{at}",
                        self.src.column(bracket if bracket >= 0 else node.col_offset))
        for kind, message in _FORBIDDEN_NODES.items():
            if isinstance(node, kind):
                raise _fail(message + "{at}", self.keyword_col(node))
        where = self.col(node) if hasattr(node, "col_offset") else None
        raise _fail(f"this kind of expression ({type(node).__name__}) is not allowed{{at}}",
                    where)

    def constant(self, node: ast.Constant):
        v = node.value
        if isinstance(v, bool) or v is None or v is Ellipsis:
            raise _fail(f"'{self.typed(node)}' is not allowed{{at}}: only numbers, x and y",
                        self.col(node))
        if isinstance(v, (str, bytes)):
            raise _fail("strings are not allowed{at}", self.col(node))
        if isinstance(v, complex):
            raise _fail("imaginary numbers are not allowed{at}", self.col(node))
        if isinstance(v, int):
            return sp.Integer(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                raise _fail(f"the number {self.typed(node)} is too large{{at}}", self.col(node))
            # the decimal as written, exactly: 0.1 is 1/10, 2.0 is 2 (so x**2.0 is x**2)
            literal = self.src.text[node.col_offset:node.end_col_offset].replace("_", "")
            try:
                exact = fractions.Fraction(literal)
            except (ValueError, ZeroDivisionError):
                return sp.Float(v)
            if max(abs(exact.numerator), exact.denominator) > 10 ** 30:
                return sp.Float(v)
            return sp.Rational(exact.numerator, exact.denominator)
        raise _fail(f"'{self.typed(node)}' is not allowed{{at}}", self.col(node))

    def name(self, node: ast.Name):
        if node.id in self.names:
            return self.names[node.id]
        if node.id in FUNCTIONS:
            raise _fail(f"'{node.id}' is a function{{at}}: write {node.id}(...)",
                        self.col(node))
        close = difflib.get_close_matches(node.id, list(self.names), n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close and len(node.id) > 1 else ""
        if node.id in ("X", "Y"):
            hint = f" (did you mean '{node.id.lower()}'?)"
        raise _fail(f"unknown name '{node.id}'{{at}}{hint}: use x and y (constants: pi, e)",
                    self.col(node))

    def call(self, node: ast.Call):
        func = node.func
        if not isinstance(func, ast.Name):
            self.build(func)  # reports a forbidden callee (attribute, lambda, ...) first
            paren = self.src.text.find("(", func.end_col_offset)
            raise _fail("missing '*' before '('{at}: write (a)*(b) for a product",
                        self.src.column(paren))
        name = func.id
        if name not in FUNCTIONS:
            if name in self.names:
                raise _fail(f"'{name}' is not a function{{at}} (write {name}*(...) to "
                            "multiply)", self.col(func))
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise _fail(f"unknown function '{name}'{{at}}{hint}; known: "
                        f"{', '.join(FUNCTIONS)}", self.col(func))
        if node.keywords:
            raise _fail(f"'{name}' takes no keyword arguments{{at}}", self.col(node))
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _fail("'*' unpacking is not allowed{at}", self.col(arg))
        if len(node.args) != 1:
            raise _fail(f"'{name}' takes 1 argument, got {len(node.args)}{{at}}",
                        self.col(func))
        arg = self.build(node.args[0])
        return self.checked(self.functions[name](arg), node)

    def binary(self, node: ast.BinOp):
        op = type(node.op)
        if op not in _BINARY:
            symbol = _FORBIDDEN_BINARY.get(op, "?")
            raise _fail(f"operator '{symbol}' is not allowed{{at}}; use + - * / **",
                        self.op_col(node, symbol))
        left, right = self.build(node.left), self.build(node.right)
        if op is ast.Add:
            result = left + right
        elif op is ast.Sub:
            result = left - right
        elif op is ast.Mult:
            result = left * right
        elif op is ast.Div:
            if right.is_zero:
                raise _fail("division by zero{at}", self.op_col(node, "/"))
            result = left / right
        else:
            result = self.power(left, right, node)
        return self.checked(result, node)

    def power(self, base, exponent, node: ast.BinOp):
        at = self.op_col(node, "**")
        if not exponent.free_symbols:
            try:
                e = float(exponent)
            except (TypeError, ValueError, OverflowError):
                e = math.inf
            if not abs(e) <= MAX_EXPONENT:
                raise _fail(f"power too large{{at}}: the exponent is {e:.6g}; at most "
                            f"{MAX_EXPONENT} in absolute value", at)
            if not base.free_symbols:
                if base.is_zero and e < 0:
                    raise _fail("division by zero (0 to a negative power){at}", at)
                if not base.is_zero and e * _log10_abs(base) > MAX_POWER_DIGITS:
                    raise _fail(f"power too large{{at}}: the result exceeds "
                                f"10**{MAX_POWER_DIGITS}", at)
        return sp.Pow(base, exponent)

    def checked(self, result, node: ast.AST):
        """A constant part must be a real number: log(-1), sqrt(-1) are errors."""
        if result.free_symbols:
            return result
        bad = result.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I) or result.is_extended_real is False
        if not bad and result.is_extended_real is None:
            try:
                value = complex(result.evalf(20))
                bad = value.imag != 0 or not math.isfinite(value.real)
            except (TypeError, ValueError, OverflowError):
                bad = True
        if bad:
            raise _fail(f"{self.typed(node)} is undefined (not a real number){{at}}",
                        self.col(node))
        return result


def _log10_abs(c) -> float:
    """log10 |c| of a nonzero sympy constant, without overflowing floats."""
    return float(sp.log(sp.Abs(c).evalf(30), 10).evalf(30))


def parse_expression(text: str):
    """The sympy expression (in real symbols x, y) for ``text``; raises ExpressionError."""
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is too long ({len(text)} characters; at most "
                              f"{MAX_LENGTH})")
    if not text.strip():
        raise ExpressionError("empty expression: type a formula in x and y, like "
                              "x**2 + 10*y**2")
    src = _Source(text)
    _check_characters(src)
    _check_parentheses(src)
    try:
        tree = ast.parse(src.text, mode="eval")
    except SyntaxError as exc:
        raise _diagnose_syntax(src, exc) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # defensive: limits above
        raise ExpressionError(f"invalid formula ({exc})") from None
    builder = _Builder(src)
    builder.check_depth(tree)
    try:
        return builder.build(tree)
    except RecursionError:  # defensive: the depth limit keeps far below Python's
        raise ExpressionError("too deeply nested") from None


# ------------------------------------------------------------------------ compiled formula
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
