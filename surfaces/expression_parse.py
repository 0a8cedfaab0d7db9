"""From a typed formula's text to a sympy expression: ``parse_expression``.

The text is checked (``surfaces.expression_text``), parsed with ``ast.parse(mode="eval")``
(parsing runs no code), and ``Builder`` checks every node against the whitelist of
``surfaces.expression_grammar`` while it builds the sympy expression node by node (never from
the string: ``sympify`` of a string uses ``eval``). Constant parts are checked as they are
built: a constant that is not a real number, a division by zero, or a power past the limits
is refused with the column where it is typed.
"""
from __future__ import annotations

import ast
import difflib
import fractions
import math

import sympy as sp

from surfaces.expression_grammar import (
    BINARY, FORBIDDEN_BINARY, FORBIDDEN_NODES, FUNCTIONS, MAX_EXPONENT, MAX_LENGTH,
    MAX_POWER_DIGITS, MAX_TREE_DEPTH, ExpressionError, fail, sympy_functions,
)
from surfaces.expression_text import (
    Source, check_characters, check_parentheses, diagnose_syntax,
)


class Builder:
    """Checks every node against the whitelist and builds the sympy expression."""

    def __init__(self, src: Source):
        self.src = src
        self.x, self.y = sp.symbols("x y", real=True)
        self.names = {"x": self.x, "y": self.y, "pi": sp.pi, "e": sp.E}
        self.functions = sympy_functions()

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
                raise fail(f"too deeply nested (more than {MAX_TREE_DEPTH} levels){{at}}",
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
            raise fail(f"'{word}' is not allowed{{at}}", self.col(node))
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            dot = self.src.text.find(".", node.value.end_col_offset, node.end_col_offset)
            raise fail(f"attribute access ('.{node.attr}') is not allowed{{at}}",
                       self.src.column(dot if dot >= 0 else node.col_offset))
        if isinstance(node, ast.Subscript):
            bracket = self.src.text.find("[", node.value.end_col_offset, node.end_col_offset)
            raise fail("indexing with [...] is not allowed{at}",
                       self.src.column(bracket if bracket >= 0 else node.col_offset))
        for kind, message in FORBIDDEN_NODES.items():
            if isinstance(node, kind):
                raise fail(message + "{at}", self.keyword_col(node))
        where = self.col(node) if hasattr(node, "col_offset") else None
        raise fail(f"this kind of expression ({type(node).__name__}) is not allowed{{at}}",
                   where)

    def constant(self, node: ast.Constant):
        v = node.value
        if isinstance(v, bool) or v is None or v is Ellipsis:
            raise fail(f"'{self.typed(node)}' is not allowed{{at}}: only numbers, x and y",
                       self.col(node))
        if isinstance(v, (str, bytes)):
            raise fail("strings are not allowed{at}", self.col(node))
        if isinstance(v, complex):
            raise fail("imaginary numbers are not allowed{at}", self.col(node))
        if isinstance(v, int):
            return sp.Integer(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                raise fail(f"the number {self.typed(node)} is too large{{at}}", self.col(node))
            # the decimal as written, exactly: 0.1 is 1/10, 2.0 is 2 (so x**2.0 is x**2)
            literal = self.src.text[node.col_offset:node.end_col_offset].replace("_", "")
            try:
                exact = fractions.Fraction(literal)
            except (ValueError, ZeroDivisionError):
                return sp.Float(v)
            if max(abs(exact.numerator), exact.denominator) > 10 ** 30:
                return sp.Float(v)
            return sp.Rational(exact.numerator, exact.denominator)
        raise fail(f"'{self.typed(node)}' is not allowed{{at}}", self.col(node))

    def name(self, node: ast.Name):
        if node.id in self.names:
            return self.names[node.id]
        if node.id in FUNCTIONS:
            raise fail(f"'{node.id}' is a function{{at}}: write {node.id}(...)",
                       self.col(node))
        close = difflib.get_close_matches(node.id, list(self.names), n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close and len(node.id) > 1 else ""
        if node.id in ("X", "Y"):
            hint = f" (did you mean '{node.id.lower()}'?)"
        raise fail(f"unknown name '{node.id}'{{at}}{hint}: use x and y (constants: pi, e)",
                   self.col(node))

    def call(self, node: ast.Call):
        func = node.func
        if not isinstance(func, ast.Name):
            self.build(func)  # reports a forbidden callee (attribute, lambda, ...) first
            paren = self.src.text.find("(", func.end_col_offset)
            raise fail("missing '*' before '('{at}: write (a)*(b) for a product",
                       self.src.column(paren))
        name = func.id
        if name not in FUNCTIONS:
            if name in self.names:
                raise fail(f"'{name}' is not a function{{at}} (write {name}*(...) to "
                           "multiply)", self.col(func))
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise fail(f"unknown function '{name}'{{at}}{hint}; known: "
                       f"{', '.join(FUNCTIONS)}", self.col(func))
        if node.keywords:
            raise fail(f"'{name}' takes no keyword arguments{{at}}", self.col(node))
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise fail("'*' unpacking is not allowed{at}", self.col(arg))
        if len(node.args) != 1:
            raise fail(f"'{name}' takes 1 argument, got {len(node.args)}{{at}}",
                       self.col(func))
        arg = self.build(node.args[0])
        return self.checked(self.functions[name](arg), node)

    def binary(self, node: ast.BinOp):
        op = type(node.op)
        if op not in BINARY:
            symbol = FORBIDDEN_BINARY.get(op, "?")
            raise fail(f"operator '{symbol}' is not allowed{{at}}; use + - * / **",
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
                raise fail("division by zero{at}", self.op_col(node, "/"))
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
                raise fail(f"power too large{{at}}: the exponent is {e:.6g}; at most "
                           f"{MAX_EXPONENT} in absolute value", at)
            if not base.free_symbols:
                if base.is_zero and e < 0:
                    raise fail("division by zero (0 to a negative power){at}", at)
                if not base.is_zero and e * _log10_abs(base) > MAX_POWER_DIGITS:
                    raise fail(f"power too large{{at}}: the result exceeds "
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
            raise fail(f"{self.typed(node)} is undefined (not a real number){{at}}",
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
    src = Source(text)
    check_characters(src)
    check_parentheses(src)
    try:
        tree = ast.parse(src.text, mode="eval")
    except SyntaxError as exc:
        raise diagnose_syntax(src, exc) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # defensive: limits above
        raise ExpressionError(f"invalid formula ({exc})") from None
    builder = Builder(src)
    builder.check_depth(tree)
    try:
        return builder.build(tree)
    except RecursionError:  # defensive: the depth limit keeps far below Python's
        raise ExpressionError("too deeply nested") from None
