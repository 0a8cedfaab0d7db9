"""Limits on every count an input sets (engine.limits), checked before memory is allocated;
experiment files read defensively (engine.inputs); formulas too large to differentiate."""
from __future__ import annotations

import os
import re
import textwrap

import pytest
import sympy as sp

from engine import limits
from engine.experiment import ExperimentError, load, loads
from engine.limits import check_record_memory

RUN = '[[runs]]\noptimizer = "gd"\n'


def test_record_memory_names_the_bytes_needed(monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 4 * 10**9)  # budget 2 GB
    check_record_memory(1000, 1000)  # 1000 × 1001 rows × 88 bytes × 3 (growth) = 264 MB
    with pytest.raises(ValueError) as err:
        check_record_memory(10_000, 1000)  # the 10,000 runs × 1,000 steps
    assert str(err.value) == ("recording 10,000 run(s) × 1,000 steps needs about 2.6 GB "
                              "(2,642,640,000 bytes) of memory; the limit here is 2.0 GB: use "
                              "fewer steps or runs")


def test_record_memory_budget_is_a_share_of_the_available_memory(monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 100_000_000)
    assert limits.memory_budget() == 50_000_000
    check_record_memory(1, 189_392)  # 189,393 rows × 264 = 49,999,752 bytes
    with pytest.raises(ValueError, match=r"\(50,000,016 bytes\)"):
        check_record_memory(1, 189_393)
    monkeypatch.setattr(limits, "available_memory", lambda: 10**12)
    assert limits.memory_budget() == limits.MAX_RECORD_BYTES  # the fixed cap
    monkeypatch.setattr(limits, "available_memory", lambda: None)
    assert limits.memory_budget() == limits.MAX_RECORD_BYTES


def test_record_free_runs_need_a_few_hundred_bytes_each(monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 10**9)  # budget 500 MB
    check_record_memory(976_562, 10**12, recorded=False)  # 512 B a run, whatever the steps
    with pytest.raises(ValueError, match=r"running 976,563 run\(s\) × 10 steps needs about "
                       r"500.0 MB \(500,000,256 bytes\)"):
        check_record_memory(976_563, 10, recorded=False)


def _exp(text: str):
    return loads(textwrap.dedent(text), "e.toml")


@pytest.mark.parametrize("text,needle", [
    ("steps = 1000000000000\n" + RUN, "e.toml: steps: must be at most 10,000,000, got "
                                      "1,000,000,000,000"),
    ('surface = "linear-regression"\nepochs = 10000000\n' + RUN,
     "epochs: must be at most 1,000,000"),
    ('surface = "linear-regression"\nepochs = 1000000\nbatch_size = 1\n' + RUN,
     "epochs: 1,000,000 epochs take 100,000,000 steps; at most 10,000,000"),
    ('surface = "linear-regression"\nbatch_size = 10000000\n' + RUN,
     "batch_size: must be at most 1,000,000"),
    ("seed = 9223372036854775807\n" + RUN, None),
    ("seed = -1\n" + RUN, "seed: must be ≥ 0"),
    (RUN + "start = [1e10, 0]\n", "runs[1].start: coordinates must be at most 1e+09"),
    ("steps = 10\n" + RUN * 1001, "runs: at most 1,000 runs, got 1,001"),
    ("steps = 10000000\n" + RUN * 1000, "bytes) of memory"),
])
def test_counts_have_limits(text, needle):
    if needle is None:
        assert _exp(text).seed == 2**63 - 1
        return
    with pytest.raises(ExperimentError) as err:
        _exp(text)
    assert needle in str(err.value) and "\n" not in str(err.value)


HUGE = "9" * 400


@pytest.mark.parametrize("text,key", [
    (f"steps = {HUGE}\n" + RUN, "steps"),
    (f"seed = {HUGE}\n" + RUN, "seed"),
    (f"gradient_noise = {HUGE}\n" + RUN, "gradient_noise"),
    (f"tolerance = {HUGE}\n" + RUN, "tolerance"),
    (f"tolerance = {{ grad_norm = {HUGE} }}\n" + RUN, "tolerance.grad_norm"),
    (f'surface = {{ name = "quadratic", lambda1 = {HUGE} }}\n' + RUN, "surface.lambda1"),
    (RUN + f"lr = {HUGE}\n", "runs[1].lr"),
    (RUN + f"start = [{HUGE}, 0]\n", "runs[1].start[1]"),
    (RUN + f"batch_size = {HUGE}\n", "runs[1].batch_size"),
    (RUN + f'schedule = {{ name = "step", step_size = {HUGE} }}\n', "runs[1].schedule.step_size"),
])
def test_integers_too_large_for_a_float_are_refused_in_every_key(text, key):
    with pytest.raises(ExperimentError) as err:
        _exp(text)
    assert str(err.value) == (f"e.toml: {key}: integer out of range (more than 64 bits: "
                              "400 digits)")


def test_integers_beyond_python_s_digit_limit_are_one_line():
    with pytest.raises(ExperimentError, match=r"^e\.toml: not valid TOML: .*4300"):
        _exp("steps = " + "9" * 5000 + "\n" + RUN)


@pytest.mark.parametrize("text", [
    "x = " + "[" * 5000 + "]" * 5000,
    "x = " + "{ a = " * 3000 + "1" + " }" * 3000,
    "x = " + "[" * 30 + "]" * 30,
])
def test_deep_nesting_is_refused(text):
    with pytest.raises(ExperimentError) as err:
        loads(text, "e.toml")
    assert re.match(r"e\.toml: (x(\[1\])*: )?(not valid TOML: )?arrays or tables nested "
                    r"(too deeply|more than 20 deep)", str(err.value)), str(err.value)


@pytest.mark.parametrize("device,kind", [("/dev/zero", "a device"), ("/dev/urandom", "a device"),
                                         ("/dev/null", "a device")])
def test_devices_are_not_read(device, kind):
    with pytest.raises(ExperimentError) as err:
        load(device)
    assert str(err.value) == f"{device}: cannot read it ({kind}, not a regular file)"


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(ExperimentError, match=r"cannot read it \(a pipe, not a regular file\)"):
        load(fifo)  # no writer: an open() without O_NONBLOCK would wait forever
    with pytest.raises(ExperimentError, match=r"cannot read it \(a folder, not a regular"):
        load(tmp_path)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.toml"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024**3)  # 2 GB, sparse
    with pytest.raises(ExperimentError) as err:
        load(big)
    assert str(err.value) == (f"{big}: cannot read it (too large (2,147,483,648 bytes; at most "
                              "1,000,000))")


def test_a_file_of_the_limit_is_read(tmp_path):
    f = tmp_path / "ok.toml"
    body = "steps = 5\n" + RUN
    f.write_text(body + "#" * (limits.MAX_FILE_BYTES - len(body)), encoding="utf-8")
    assert os.path.getsize(f) == limits.MAX_FILE_BYTES
    assert load(f).steps == 5


# ---------------------------------------------------------------------------- formulas
def test_formulas_with_huge_derivatives_are_refused_before_differentiating(monkeypatch):
    from surfaces import expression
    from surfaces.expression import ExpressionError, compile_expression

    def no_diff(*args, **kwargs):
        raise AssertionError("differentiated")

    monkeypatch.setattr(expression.sp, "diff", no_diff)
    for text in ("*".join(f"sin(x+{i}*y)" for i in range(30)),     # 18 s before
                 "**".join(["x", "y"] * 20),                        # a tower
                 "sqrt(" * 20 + "x" + "+y)" * 20):                  # nested roots
        compile_expression.cache_clear()
        with pytest.raises(ExpressionError, match=r"too complex to differentiate quickly \(its "
                           r"gradient and Hessian would have about [\d,]+ terms; at most "
                           r"20,000\)"):
            compile_expression(text)


@pytest.mark.parametrize("text,low,high", [
    ("x**2 + 10*y**2", 100, 400),
    ("20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)", 500, 2000),
    ("-20*exp(-0.2*sqrt(0.5*(x**2+y**2))) - exp(0.5*(cos(2*pi*x)+cos(2*pi*y))) + e + 20",
     2000, 8000),
    ("+".join(["x"] * 250), 1, 100),  # sympy folds it to 250*x
])
def test_ordinary_formulas_stay_far_below_the_limit(text, low, high):
    from surfaces.expression import parse_expression
    from surfaces.expression_size import MAX_DERIVATIVE_SIZE, derivative_size

    assert low <= derivative_size(parse_expression(text)) <= high < MAX_DERIVATIVE_SIZE


def test_derivative_size_follows_the_rules_of_differentiation():
    from surfaces.expression_size import derivative_size

    x, y = sp.symbols("x y", real=True)
    # a symbol: 1 + 2·1 + 3·1
    assert derivative_size(x) == 6
    # x*y: value 3, gradient 2 + 1·2 + 2 = 6, Hessian 2 + 2·2 + 4·3 = 18 → 3 + 12 + 54
    assert derivative_size(x * y) == 69
    # a product of k factors grows like k² in the Hessian
    prod = lambda k: sp.Mul(*[sp.sin(x + i * y) for i in range(1, k + 1)])  # noqa: E731
    assert derivative_size(prod(20)) > 3 * derivative_size(prod(10))
