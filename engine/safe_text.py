"""Text from shared files printed safely: control and escape characters become visible escapes.

An experiment file's ``title``, run labels and keys reach the terminal through the command
line's output and error messages. A file could hide terminal escape sequences in them (moving
the cursor, rewriting earlier lines, changing the window title) or bidirectional overrides that
reorder what is shown, so every such character is printed as a Python-style escape instead.
"""
from __future__ import annotations

import unicodedata

#: Unicode categories printed escaped: controls, format characters (bidi overrides, zero-width
#: characters), surrogates (undecodable bytes of a file name), unassigned, line and paragraph
#: separators
_ESCAPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _escape_char(c: str) -> str:
    o = ord(c)
    if c == "\\":
        return c
    if o < 0x100:
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c, f"\\x{o:02x}")
    return f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def escape(text: object) -> str:
    """``text`` with every control, format or undecodable character written as an escape
    (``\\x1b``, ``\\u202e``); ordinary text, accents and symbols are unchanged."""
    s = str(text)
    if s.isprintable() and s.isascii():
        return s
    return "".join(_escape_char(c) if unicodedata.category(c) in _ESCAPED else c for c in s)
