"""The fast CSV writers give exactly the bytes of the per-field ``repr`` writer: a golden hash
for tricky values, the same text on random floats of every magnitude and on a real run. Each
test runs on both fast paths: orjson's text fixed in Python, and fixed by the compiled pass
(engine/_csv_kernel.py; skipped without numba)."""
from __future__ import annotations

import hashlib
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import compiled, csvio
from engine.experiment import load
from engine.simulation import RunHistory

TRICKY = [1e-7, 1e16, -0.0, 5e-324, 0.1 + 0.2, 3.0, -2.0, 0.0, 1e-5, -1e-5,
          9.999999999999999e-05, 1e-4, 0.00012345, 2e-6, -1.5e-9, 1e-10, 1e22, 1e15,
          123456789.0, 9007199254740993.0, 1.7976931348623157e308, 2.2250738585072014e-308,
          0.5, 1 / 3, -7.2e-8, 4.4e-6, 1e-9, 1e-8, 1e-6, 5.5e-5, 12.5, 100.0]


def _history(values, n):
    v = np.resize(np.asarray(values, dtype=float), (n, 11))
    return RunHistory(v[:, 0:2], v[:, 2], v[:, 3:5], v[:, 5], v[:, 6], v[:, 7:9], v[:, 9:11],
                      "running", None)


class FakeSim:
    """What the writer reads: runs (label, optimizer) and their histories."""

    def __init__(self, runs):
        self.runs = [SimpleNamespace(label=label, optimizer=opt) for label, opt, _ in runs]
        self._h = [h for _, _, h in runs]
        self.n = len(self.runs)

    def history(self, i):
        return self._h[i]


def _tricky_sim():
    rng = np.random.default_rng(7)
    vals = np.array(TRICKY)
    return FakeSim([
        ("GD", "gd", _history(vals, 40)),                           # sigma empty
        ('a,"quoted" label', "adam", _history(vals[::-1], 33)),     # every field
        ("rprop", "rprop", _history(rng.permutation(vals), 35)),    # lr and sigma empty
        ("newton", "newton", _history(vals[5:], 20)),               # sigma and eff empty
        ("empty", "gd", _history(vals, 0)),                         # no rows
    ])


def _compiled_pass():
    """The compiled pass; a skip without numba, a failure when it is there but the pass fails
    to build or its self-check (engine/compiled.py) fails."""
    pytest.importorskip("numba")
    if compiled.disabled():
        pytest.skip("DESCENT_LAB_NO_COMPILE is set")
    kernel = compiled.csv_kernel()
    assert kernel is not None, "numba is there, but the compiled CSV pass failed its self-check"
    return kernel


@pytest.fixture(params=["python", "compiled"], autouse=True)
def fast_path(request, monkeypatch):
    """Which fast path ``csvio.to_string`` takes in the test."""
    if request.param == "compiled":
        kernel = _compiled_pass()
    else:
        kernel = None
    monkeypatch.setattr(csvio, "_kernel", lambda sim, indices: kernel)
    return request.param


def _slow(sim) -> str:
    saved, csvio._orjson = csvio._orjson, None
    try:
        return csvio.to_string(sim)
    finally:
        csvio._orjson = saved


# sha256 of the per-field repr writer's output for _tricky_sim(), as written before the fast
# path existed: the bytes must never change
GOLDEN = "3a565dd2fab40aa5c08cc7f5d55830aa7541eeb092fbbe07fcd2906d9ae196e0"


def test_tricky_values_golden_bytes():
    sim = _tricky_sim()
    text = csvio.to_string(sim)
    assert csvio._orjson is not None  # the fast path is what is tested here
    assert text == _slow(sim)
    assert hashlib.sha256(text.encode()).hexdigest() == GOLDEN
    lines = text.splitlines()
    # gd: σ empty; 0.0 is lr here, -1e-05 and 9.999999999999999e-05 the effective rates
    assert lines[1] == ("1,GD,gd,0,1e-07,1e+16,-0.0,5e-324,0.30000000000000004,3.0,-2.0,,,"
                        "-1e-05,9.999999999999999e-05")
    assert '2,"a,""quoted"" label",adam,0,' in text
    assert ",1e-05," in text and ",9.999999999999999e-05," in text and ",0.0001," in text


def test_fast_path_splits_blocks_the_same(monkeypatch):
    sim = _tricky_sim()
    whole = csvio.to_string(sim)
    monkeypatch.setattr(csvio, "BLOCK_ROWS", 7)
    assert csvio.to_string(sim) == whole


def test_non_finite_values_take_the_repr_path():
    vals = list(TRICKY)
    vals[3] = float("nan")
    sim = FakeSim([("GD", "gd", _history(vals, 12))])
    assert csvio.to_string(sim) == _slow(sim)
    assert ",nan," in csvio.to_string(sim)


finite = st.floats(allow_nan=False, allow_infinity=False)
small = st.floats(min_value=1e-12, max_value=1e-3).flatmap(lambda v: st.sampled_from([v, -v]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(finite, small), min_size=11, max_size=60))
def test_random_floats_same_bytes(values):
    sim = FakeSim([("r", "adam", _history(values, 9)), ("g", "gd", _history(values[1:], 5))])
    assert csvio.to_string(sim) == _slow(sim)


def test_real_run_same_bytes():
    from pathlib import Path
    exp = load(Path(__file__).resolve().parents[1] / "benchmarks" / "rosenbrock6.toml")
    sim = exp.simulation()
    sim.run_to(3000)
    assert csvio.to_string(sim) == _slow(sim)


def test_every_decade_same_bytes():
    """Floats from the smallest subnormal to the largest double, both signs, with the powers
    of ten and their neighbours (where a text switches form), and empty fields between."""
    rng = np.random.default_rng(3)
    v = rng.standard_normal(40000) * 10.0 ** rng.integers(-320, 308, 40000)
    tens = 10.0 ** np.arange(-20, 23)
    v = np.concatenate([v, tens, -tens, np.nextafter(tens, 0), np.nextafter(tens, np.inf),
                        rng.uniform(1e-5, 1e-4, 500), -rng.uniform(1e-6, 1e-3, 500)])
    v = v[np.isfinite(v)]
    sim = FakeSim([("r", "adam", _history(v, len(v) // 11)),
                   ("g", "gd", _history(v[::-1], len(v) // 11))])
    assert csvio.to_string(sim) == _slow(sim)


def test_the_compiled_pass_is_loaded_only_when_it_pays(monkeypatch):
    """Without numba loaded, a small CSV does not load it; a big one, or one written after the
    engine's kernel ran, does."""
    monkeypatch.undo()  # the real choice, not the fixture's
    _compiled_pass()
    small = FakeSim([("g", "gd", _history(TRICKY, 30))])
    monkeypatch.setattr(compiled, "loaded", lambda: False)
    assert csvio._kernel(small, None) is None
    monkeypatch.setattr(csvio, "LOAD_ROWS", 30)
    assert csvio._kernel(small, None) is compiled.csv_kernel()
    monkeypatch.setattr(csvio, "LOAD_ROWS", 31)
    assert csvio._kernel(small, [0]) is None
    monkeypatch.setattr(compiled, "loaded", lambda: True)
    assert csvio._kernel(small, [0]) is compiled.csv_kernel()
    monkeypatch.setenv("DESCENT_LAB_NO_COMPILE", "1")
    assert csvio._kernel(small, [0]) is None


def test_a_file_gets_the_same_bytes_as_the_text(tmp_path, fast_path, monkeypatch):
    """write_csv (the compiled path writes its bytes under the text file) gives the text of
    to_string, with runs on the repr path (a nan) between fast ones, with and without
    progress, and one file per run."""
    vals = list(TRICKY)
    vals[3] = float("nan")
    sim = _tricky_sim()
    sim = FakeSim([(r.label, r.optimizer, sim.history(i)) for i, r in enumerate(sim.runs)]
                  + [("nan run", "gd", _history(vals, 12)), ("after", "adam", _history(TRICKY, 9))])
    text = csvio.to_string(sim)
    csvio.write_csv(tmp_path / "a.csv", sim)
    assert (tmp_path / "a.csv").read_bytes() == text.encode()
    seen = []
    monkeypatch.setattr(csvio._Counting, "EVERY", 1)  # progress at every write
    csvio.write_csv(tmp_path / "b.csv", sim, progress=lambda done, total: seen.append((done, total)))
    assert (tmp_path / "b.csv").read_bytes() == text.encode()
    assert seen and seen[-1] == (len(text.splitlines()), len(text.splitlines()))
    files = csvio.write_csv_per_run(tmp_path / "runs", sim)
    body = b"".join(f.read_bytes().split(b"\n", 1)[1] for f in files)
    assert body == text.split("\n", 1)[1].encode()
