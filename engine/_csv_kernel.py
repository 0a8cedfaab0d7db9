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
    the number of bytes written. Field by field: copy it while looking for its end, then fix
    it where it lies in ``out`` (one pass over the text)."""
    n = text.size
    o = _lead(out, 0, lead, step)
    i = 2  # past "[["
    while i < n:
        o0 = o
        c = text[i]
        while c != _COMMA and c != _CLOSE:
            out[o] = c
            o += 1
            i += 1
            c = text[i]
        p = o0 + 1 if out[o0] == _MINUS else o0
        if out[o0] == _N:  # null: an empty field
            o = o0
        elif o - p >= 7 and out[p] == _ZERO and out[p + 1] == _DOT and out[p + 2] == _ZERO \
                and out[p + 3] == _ZERO and out[p + 4] == _ZERO and out[p + 5] == _ZERO \
                and out[p + 6] != _ZERO:  # [-]0.0000d… → [-]d.…e-05 (shorter: in place)
            q = p + 1
            out[p] = out[p + 6]
            if o - p > 7:
                out[q] = _DOT
                q += 1
                for j in range(p + 7, o):
                    out[q] = out[j]
                    q += 1
            out[q] = _E
            out[q + 1] = _MINUS
            out[q + 2] = _ZERO
            out[q + 3] = _ZERO + 5
            o = q + 4
        elif o - o0 >= 4 and out[o - 3] == _E and out[o - 2] == _MINUS:  # …e-7 → …e-07
            out[o] = out[o - 1]
            out[o - 1] = _ZERO
            o += 1
        if c == _COMMA:
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
