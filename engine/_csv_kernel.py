"""The compiled pass of the CSV writer (numba). Imported only by engine/compiled.py, lazily
(``compiled.csv_kernel()``), for engine/csvio.py: it imports numba at the top.

orjson writes a block of rows as ``[[x,y,…],[x,y,…]]`` with the shortest round-trip digits,
the same digits as Python's ``repr``; ``rows`` turns that text into CSV rows in one pass:

- each row gets its ``run,label,optimizer,`` lead and its step number, and ends in a newline;
- ``null`` (nan: a field that is not defined for the optimizer) becomes an empty field;
- a single-digit negative exponent gets its zero: ``1e-7`` → ``1e-07``;
- the decade 1e-5 ≤ |v| < 1e-4, which orjson writes positionally, is written in exponent
  form as ``repr`` does: ``0.000012`` → ``1.2e-05``, ``-0.00001`` → ``-1e-05``.

These are exactly the differences between the two (engine/csvio.py says how that is tested).
"""
from __future__ import annotations

from numba import njit

_COMMA, _CLOSE, _NEWLINE, _N, _E, _MINUS, _DOT, _ZERO, _NINE = 44, 93, 10, 110, 101, 45, 46, 48, 57


@njit(cache=True, nogil=True)
def _lead(out, o, lead, step):
    """Write ``lead`` then ``step`` and a comma at out[o:]; the new end."""
    for j in range(lead.size):
        out[o + j] = lead[j]
    o += lead.size
    digits = 1
    t = step
    while t >= 10:
        t //= 10
        digits += 1
    t = step
    for j in range(digits - 1, -1, -1):
        out[o + j] = _ZERO + t % 10
        t //= 10
    out[o + digits] = _COMMA
    return o + digits + 1


@njit(cache=True, nogil=True)
def rows(text, lead, step, out):
    """The CSV rows of orjson's ``text`` (uint8) into ``out`` (uint8, at least
    ``bound(text.size, n rows, lead.size)`` long), the first row numbered ``step``; returns
    the number of bytes written. Field by field: find its end, then copy it as it is, or
    fixed."""
    n = text.size
    o = _lead(out, 0, lead, step)
    i = 2  # past "[["
    while i < n:
        s = i
        while text[i] != _COMMA and text[i] != _CLOSE:
            i += 1
        p = s + 1 if text[s] == _MINUS else s
        if text[s] == _N:  # null: an empty field
            pass
        elif i - p >= 7 and text[p] == _ZERO and text[p + 1] == _DOT and text[p + 2] == _ZERO \
                and text[p + 3] == _ZERO and text[p + 4] == _ZERO and text[p + 5] == _ZERO \
                and text[p + 6] != _ZERO:  # [-]0.0000d… → [-]d.…e-05
            if p > s:
                out[o] = _MINUS
                o += 1
            out[o] = text[p + 6]
            o += 1
            if i - p > 7:
                out[o] = _DOT
                o += 1
                for j in range(p + 7, i):
                    out[o] = text[j]
                    o += 1
            out[o] = _E
            out[o + 1] = _MINUS
            out[o + 2] = _ZERO
            out[o + 3] = _ZERO + 5
            o += 4
        elif i - s >= 4 and text[i - 3] == _E and text[i - 2] == _MINUS:  # …e-7 → …e-07
            for j in range(s, i - 1):
                out[o] = text[j]
                o += 1
            out[o] = _ZERO
            out[o + 1] = text[i - 1]
            o += 2
        else:
            for j in range(s, i):
                out[o] = text[j]
                o += 1
        if text[i] == _COMMA:
            out[o] = _COMMA
            o += 1
            i += 1
        else:  # a row ends: "],[" or the final "]]"
            out[o] = _NEWLINE
            o += 1
            if i + 1 < n and text[i + 1] == _COMMA:
                step += 1
                o = _lead(out, o, lead, step)
                i += 3
            else:
                break
    return o


def bound(size: int, n: int, lead: int) -> int:
    """Bytes ``rows`` may write for a text of ``size`` bytes holding n rows: each row gains its
    lead, at most 20 digits and a comma; a value (4 bytes or more) gains at most one (e-7 → e-07;
    0.0000d → de-05 shrinks)."""
    return size + n * (lead + 21) + size // 4 + 16
