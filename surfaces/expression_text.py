"""Reading a typed formula's text before Python parses it.

``Source`` holds the text after one-for-one clean-ups (typographic minus and times signs,
``^`` for ``**``) with a map back to the columns the user typed, so every message names the
column as typed. ``check_characters`` and ``check_parentheses`` refuse what the parser would
misread; ``diagnose_syntax`` turns a ``SyntaxError`` into a message naming the first problem
a left-to-right reading finds.
"""
from __future__ import annotations

import keyword
import re

from surfaces.expression_grammar import (
    FUNCTIONS, MAX_PAREN_DEPTH, ExpressionError, fail,
)

# characters typed from documents, mapped one-for-one onto the ASCII grammar
_UNICODE_OPERATORS = {"−": "-", "–": "-", "×": "*", "·": "*", "⋅": "*", "\t": " ",
                      "\n": " ", "\r": " "}
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


class Source:
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
def check_characters(src: Source) -> None:
    for i, ch in enumerate(src.text):
        if ch in "'\"":
            raise fail("strings are not allowed (a quote{at})", src.column(i))
        if ch == "#":
            raise fail("'#' is not allowed{at}: the formula has no comments", src.column(i))
        if ord(ch) > 127 or (ord(ch) < 32):
            col = src.column(i)
            shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
            if ch in _SUPERSCRIPTS:
                raise fail(f"character {shown} is not allowed{{at}}; write powers with ** "
                           f"(e.g. x**{_SUPERSCRIPTS.index(ch)})", col)
            if ch.isalpha():
                raise fail(f"character {shown} is not allowed{{at}}; the variables are x "
                           "and y", col)
            raise fail(f"character {shown} is not allowed", col)


def check_parentheses(src: Source) -> None:
    stack: list[int] = []
    for i, ch in enumerate(src.text):
        if ch in "([{":
            stack.append(i)
            if len(stack) > MAX_PAREN_DEPTH:
                raise fail(f"too deeply nested (more than {MAX_PAREN_DEPTH} levels of "
                           "parentheses){at}", src.column(i))
        elif ch == ")":
            if not stack:
                raise fail("unbalanced parenthesis: ')'{at} has no matching '('",
                           src.column(i))
            stack.pop()
        elif ch in "]}":
            if stack:
                stack.pop()
    if stack:
        i = stack[-1]
        if src.text[i] == "(":
            raise fail("unbalanced parenthesis: '('{at} is never closed", src.column(i))


# ----------------------------------------------------------------------- syntax diagnosis
_TOKEN = re.compile(r"""
    (?P<number>(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>\*\*|[-+*/(),])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE)


def diagnose_syntax(src: Source, exc: SyntaxError) -> ExpressionError:
    """A message naming the first problem a left-to-right reading finds."""
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(src.text)
              if m.lastgroup != "space"]

    def col(tok) -> int:
        return src.column(tok[2])

    def typed(tok) -> str:
        return src.typed(tok[2], tok[3])

    for tok in tokens:
        if tok[0] == "name" and keyword.iskeyword(tok[1]):
            return fail(f"'{tok[1]}' is not allowed{{at}}: only a formula in x and y is",
                        col(tok))
    expect_operand = True
    stack: list[str] = []
    prev = None
    for tok in tokens:
        kind, value = tok[0], tok[1]
        if kind == "other":
            if value == ";":
                return fail("unexpected ';'{at}: give one formula, nothing else", col(tok))
            if value == "=":
                return fail("'='{at} is not allowed: give the formula only", col(tok))
            return fail(f"unexpected '{value}'{{at}}", col(tok))
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
                return fail(f"expected an expression before '{typed(tok)}'{{at}}", col(tok))
            else:
                return fail(f"expected an expression after '{typed(prev)}'{{at}}", col(prev))
        else:
            if value in ("+", "-", "*", "/", "**"):
                expect_operand = True
            elif value == ",":
                if not stack or stack[-1] != "call":
                    return fail("a comma{at} is only allowed between a function's arguments",
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
                    return fail(f"missing operator before '('{{at}} (write "
                                f"{typed(prev)}*(...) to multiply)", col(tok))
            elif prev[0] == "name" and prev[1] in FUNCTIONS:
                return fail(f"'{prev[1]}' is a function{{at}}: write {prev[1]}(...)",
                            col(prev))
            elif prev[0] == "number" and kind == "name" and prev[3] == tok[2]:
                return fail(f"missing '*' between '{typed(prev)}' and '{value}'{{at}} "
                            f"(write {typed(prev)}*{value})", col(tok))
            else:
                return fail(f"missing operator between '{typed(prev)}' and "
                            f"'{typed(tok)}'{{at}}", col(tok))
        prev = tok
    if expect_operand and prev is not None:
        return fail(f"expected an expression after '{typed(prev)}'{{at}}", col(prev))
    if exc.offset:
        return fail(f"invalid formula ({exc.msg}){{at}}", src.column(exc.offset - 1))
    return fail(f"invalid formula ({exc.msg})")
