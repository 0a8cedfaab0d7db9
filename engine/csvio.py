"""The trajectory CSV: one row per run per step, written atomically.

Header (exactly; more columns may follow in later versions):
run,label,optimizer,step,x,y,loss,grad_x,grad_y,grad_norm,lr,sigma_x,sigma_y,eff_lr_x,eff_lr_y

``run`` is the run's 1-based position among the simulated runs. Row t holds θ^t, L(θ^t), the
gradient used at step t, η^t, σ^t and the effective rate of the update θ^t → θ^(t+1). Floats are
written in Python's shortest round-trip form; an empty field means "not defined for this
optimizer"; nan and inf are never written (a diverged run's rows end at its last finite step).

Speed: formatting millions of floats with ``repr`` one by one dominated ``main.py run --csv``.
A run whose values are all finite is formatted in blocks of rows by orjson (C; the shortest
round-trip digits, the same digits as ``repr``) from a NumPy matrix. Its text differs from
``repr`` in two ways only: a single-digit negative exponent (``1e-7`` for ``1e-07``), fixed
by plain string replacements, and the decade 1e-5 ≤ |v| < 1e-4, which
orjson writes positionally (``0.000012``) and Python in exponent form (``1.2e-05``): those
values are handed to orjson as nan (written ``null``, like the empty fields) and put back
as ``repr`` writes them. Without orjson, or for a run with a non-finite value, every field
is formatted with ``repr``.

Those replacements, splits and joins over the text took most of the time. When numba is at
hand (engine/compiled.py), one compiled pass over orjson's text does all of it
(engine/_csv_kernel.py: the rows' leads and step numbers, empty fields, the exponents and the
1e-5 decade rewritten from orjson's digits), about twice as fast again; a file gets its bytes
as they are, without decoding them to text and encoding them again. It is used when numba is
loaded already (the engine's kernel ran) or the CSV has ``LOAD_ROWS`` rows or more.
tests/test_csv_bytes.py pins that every path gives the same bytes.
"""
from __future__ import annotations

import csv
import io
from itertools import chain
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, TextIO

import numpy as np

from engine import compiled
from engine.atomic import atomic_open
from engine.optimizers import OPTIMIZERS

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - the exact per-field path below still works
    _orjson = None

HEADER = ("run", "label", "optimizer", "step", "x", "y", "loss", "grad_x", "grad_y",
          "grad_norm", "lr", "sigma_x", "sigma_y", "eff_lr_x", "eff_lr_y")

#: rows formatted per block on the fast path (bounds the text held in memory at once)
BLOCK_ROWS = 20000
#: a CSV of this many rows loads the compiled pass when numba is not loaded yet
LOAD_ROWS = 400_000
# orjson writes a single-digit negative exponent as e-7, Python's repr as e-07 (only e-6..e-9
# occur: |v| ≥ 1e-5 is written without an exponent, smaller ones with at least e-6). Every
# float of a row is followed by "," (a 0.0 column closes each row): one replacement per digit.
_EXPONENT_FIXES = {d: (f"e-{d},", f"e-0{d},") for d in range(5, 10)}


def _exponent_digits(m: np.ndarray) -> list[int]:
    """The d in 5..9 for which some value of m may be written with exponent e-d (a superset:
    the decades next to each value's are included, against rounding at a power of ten)."""
    with np.errstate(all="ignore"):
        a = np.abs(m[np.isfinite(m)])
        a = a[(a > 5e-11) & (a < 2e-5)]
        if not len(a):
            return []
        decades = np.unique(np.floor(np.log10(a)).astype(int)).tolist()
    digits: set[int] = set()
    for k in decades:
        digits.update((-k - 1, -k, -k + 1))
    return sorted(d for d in digits if 5 <= d <= 9)


def _floats(a: np.ndarray) -> list[str]:
    return [repr(v) for v in a.tolist()]


def _columns(sim, i: int) -> tuple[list, int]:
    """The float columns of run i in CSV order ((n,) arrays, None for an empty field), n."""
    spec = OPTIMIZERS[sim.runs[i].optimizer]
    h = sim.history(i)
    cols = [h.theta[:, 0], h.theta[:, 1], h.loss, h.grad[:, 0], h.grad[:, 1], h.grad_norm,
            h.lr if spec.has_lr else None,
            h.sigma[:, 0] if spec.has_sigma else None, h.sigma[:, 1] if spec.has_sigma else None,
            h.eff_lr[:, 0] if spec.eff else None, h.eff_lr[:, 1] if spec.eff else None]
    return cols, len(h.loss)


def _prefix(i: int, run) -> str:
    """``run,label,optimizer`` of run i, quoted as csv.writer quotes them."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([str(i + 1), run.label, run.optimizer])
    return buf.getvalue()[:-1]


def _block(cols: list, a: int, b: int, closing: bool = False) -> np.ndarray:
    """Rows a..b−1 of the float columns as one (b − a, k) matrix for orjson, nan (written
    null) for an empty field; ``closing``: one more column of 0.0, which closes each row
    with "," in orjson's text."""
    m = np.zeros((b - a, len(cols) + closing)) if closing else np.empty((b - a, len(cols)))
    for j, c in enumerate(cols):
        m[:, j] = np.nan if c is None else c[a:b]
    return m


def _fast_blocks(prefix: str, cols: list, n: int) -> Iterable[str]:
    """The rows of one run as text blocks (each ending in a newline); all values finite."""
    lead = prefix + ","
    k = len(cols)
    numpy = _orjson.OPT_SERIALIZE_NUMPY
    for a in range(0, n, BLOCK_ROWS):
        b = min(n, a + BLOCK_ROWS)
        m = _block(cols, a, b, closing=True)
        # orjson writes 1e-5 ≤ |v| < 1e-4 positionally (0.000012), repr in exponent form
        # (1.2e-05): those values go in as nan (written null, like the empty fields) and
        # come out as repr writes them
        mag = np.abs(m[:, :k])
        with np.errstate(invalid="ignore"):
            odd = (mag >= 1e-5) & (mag < 1e-4)
        odd_values = m[:, :k][odd].tolist() if odd.any() else []
        if odd_values:
            m[:, :k][odd] = np.nan
        text = _orjson.dumps(m, option=numpy).decode("ascii")
        for d in _exponent_digits(m):
            text = text.replace(*_EXPONENT_FIXES[d])
        if odd_values:
            empty = np.array([c is None for c in cols])
            nulls = (odd | empty).ravel()  # row-major, as the text
            fill = np.full(int(nulls.sum()), "", dtype=object)
            fill[odd.ravel()[nulls]] = [repr(v) for v in odd_values]
            pieces = text.split("null")
            text = "".join(chain.from_iterable(zip(pieces, fill.tolist()))) + pieces[-1]
        elif "null" in text:
            text = text.replace("null", "")
        # rows "x,…,eff_lr_y\n" and "lead,t," pieces, split at a separator that is not text
        rows = (text[2:-6] + "\n").replace(",0.0],[", "\n\0").split("\0")
        steps = _orjson.dumps(np.arange(a, b), option=numpy).decode("ascii")[1:-1] + ","
        steps = (lead + steps.replace(",", ",\0" + lead)).split("\0")  # n + 1: one spare
        yield "".join(chain.from_iterable(zip(steps, rows)))


def _compiled_blocks(kernel, prefix: str, cols: list, n: int) -> Iterable[tuple[int, memoryview]]:
    """As ``_fast_blocks``, with the text's fixes and the rows' leads made in one compiled pass
    over orjson's text (engine/_csv_kernel.py); yields (rows, their UTF-8 bytes)."""
    lead = np.frombuffer((prefix + ",").encode("utf-8"), dtype=np.uint8)
    numpy = _orjson.OPT_SERIALIZE_NUMPY
    for a in range(0, n, BLOCK_ROWS):
        b = min(n, a + BLOCK_ROWS)
        m = _block(cols, a, b)
        text = np.frombuffer(_orjson.dumps(m, option=numpy), dtype=np.uint8)
        out = np.empty(kernel.bound(text.size, b - a, lead.size), dtype=np.uint8)
        size = kernel.rows(text, lead, a, out)
        yield b - a, out[:size].data


def _kernel(sim, indices) -> object | None:
    """The compiled CSV pass when it is worth having: numba is loaded already (the engine's
    kernel ran), or the rows are many enough to pay for loading it (about half a second)."""
    if _orjson is None or compiled.disabled():
        return None
    if not compiled.loaded():
        rows = sum(len(sim.history(i).loss) for i in (range(sim.n) if indices is None
                                                        else indices))
        if rows < LOAD_ROWS:
            return None
    return compiled.csv_kernel()


def write_rows(fh: TextIO, sim, indices: Iterable[int] | None = None, header: bool = True,
               raw: BinaryIO | None = None) -> None:
    """Write the CSV of ``sim``'s runs ``indices`` (default: all) to an open text file.
    ``raw``: the binary file under ``fh`` (opened as UTF-8 with ``newline=""``), to which the
    compiled path writes its bytes directly (``fh`` is flushed first)."""
    w = csv.writer(fh, lineterminator="\n")
    if header:
        w.writerow(HEADER)
    indices = None if indices is None else list(indices)
    kernel = _kernel(sim, indices)
    for i in (range(sim.n) if indices is None else indices):
        run = sim.runs[i]
        cols, n = _columns(sim, i)
        if n == 0:
            continue
        if _orjson is not None and all(c is None or np.isfinite(c).all() for c in cols):
            if kernel is None:
                for block in _fast_blocks(_prefix(i, run), cols, n):
                    fh.write(block)
                continue
            for rows, block in _compiled_blocks(kernel, _prefix(i, run), cols, n):
                if raw is None:
                    fh.write(str(block, "utf-8"))
                    continue
                fh.flush()
                raw.write(block)
                if isinstance(fh, _Counting):
                    fh.count(rows)
            continue
        spec = OPTIMIZERS[run.optimizer]
        h = sim.history(i)
        empty = [""] * n
        cols = [[str(i + 1)] * n, [run.label] * n, [run.optimizer] * n,
                [str(t) for t in range(n)],
                _floats(h.theta[:, 0]), _floats(h.theta[:, 1]), _floats(h.loss),
                _floats(h.grad[:, 0]), _floats(h.grad[:, 1]), _floats(h.grad_norm),
                _floats(h.lr) if spec.has_lr else empty,
                _floats(h.sigma[:, 0]) if spec.has_sigma else empty,
                _floats(h.sigma[:, 1]) if spec.has_sigma else empty,
                _floats(h.eff_lr[:, 0]) if spec.eff else empty,
                _floats(h.eff_lr[:, 1]) if spec.eff else empty]
        w.writerows(zip(*cols))


def to_string(sim, indices: Iterable[int] | None = None) -> str:
    buf = io.StringIO()
    write_rows(buf, sim, indices)
    return buf.getvalue()


def write_csv(path: str | Path, sim, indices: Iterable[int] | None = None,
              progress: Progress | None = None) -> None:
    """Write the trajectories of ``sim`` (runs ``indices``, default all) to ``path`` atomically.
    ``progress(rows written, rows in all)`` is called every few thousand rows; an exception it
    raises stops the write and leaves no file."""
    indices = None if indices is None else list(indices)
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        write_rows(fh if progress is None else _Counting(fh, sim, indices, progress), sim,
                   indices, raw=fh.buffer)


def write_csv_per_run(folder: str | Path, sim, progress: Progress | None = None) -> list[Path]:
    """One CSV per run into ``folder`` (created if needed), named after the labels.
    ``progress`` as for ``write_csv``, counted over all the files; when a write fails or is
    stopped, the files this call already wrote are removed too."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out, used = [], set()
    counter = None if progress is None else _Counting(None, sim, None, progress, headers=sim.n)
    try:
        for i, run in enumerate(sim.runs):
            stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in run.label) \
                or f"run{i+1}"
            name, k = stem, 2
            while name in used:
                name, k = f"{stem}_{k}", k + 1
            used.add(name)
            path = folder / f"{i + 1:02d}_{name}.csv"
            if counter is None:
                write_csv(path, sim, [i])
            else:
                with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
                    counter.fh = fh
                    write_rows(counter, sim, [i], raw=fh.buffer)
            out.append(path)
    except BaseException:
        for path in out:
            path.unlink(missing_ok=True)
        raise
    return out


Progress = Callable[[int, int], object]


class _Counting:
    """A text file that counts the rows written through it and calls ``progress``."""

    EVERY = 1000  # rows between calls

    def __init__(self, fh, sim, indices, progress: Progress, headers: int = 1):
        self.fh, self.progress = fh, progress
        runs = range(sim.n) if indices is None else indices
        self.total = headers + sum(len(sim.history(i).loss) for i in runs)
        self.rows, self._next = 0, 0

    def write(self, text: str) -> int:
        self.count(text.count("\n"))
        return self.fh.write(text)

    def count(self, rows: int) -> None:
        """``rows`` more rows were written."""
        self.rows += rows
        if self.rows >= self._next:
            self._next = self.rows + self.EVERY
            self.progress(min(self.rows, self.total), self.total)

    def flush(self) -> None:
        self.fh.flush()


def read_csv(path: str | Path) -> list[dict[str, str]]:
    """Read a trajectory CSV back as a list of row dicts (strings; empty = undefined)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
