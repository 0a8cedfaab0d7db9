"""Typed expressions: exact derivatives, error messages with columns, rejected injections, and
expression experiments running through the engine and the command line."""
from __future__ import annotations

import builtins
import math
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from engine.experiment import ExperimentError, loads
from surfaces import SURFACES, Surface
from surfaces.expression import (
    FUNCTIONS, MAX_LENGTH, ExpressionError, ExpressionSurface, compile_expression,
    parse_expression,
)

MAIN = Path(__file__).resolve().parents[1]

# points where every formula of the table is defined and smooth (|y| ≥ 0.3 for abs(y))
POINTS = np.array([[0.3, -0.7], [1.2, 0.4], [-1.1, 1.3], [0.05, -1.6], [-0.6, -0.45],
                   [2.0, 0.9]])


def _hess(xx, xy, yy):
    return np.stack([np.stack([xx, xy], -1), np.stack([xy, yy], -1)], -2)


def _r(x, y):
    return np.sqrt(x ** 2 + y ** 2 + 1)


# (formula, value, gradient (dL/dx, dL/dy), Hessian (xx, xy, yy)), derived by hand
TABLE = [
    ("x**2 + 10*y**2",
     lambda x, y: x ** 2 + 10 * y ** 2,
     lambda x, y: (2 * x, 20 * y),
     lambda x, y: (2 + 0 * x, 0 * x, 20 + 0 * x)),
    ("sin(x)*cos(y)",
     lambda x, y: np.sin(x) * np.cos(y),
     lambda x, y: (np.cos(x) * np.cos(y), -np.sin(x) * np.sin(y)),
     lambda x, y: (-np.sin(x) * np.cos(y), -np.cos(x) * np.sin(y), -np.sin(x) * np.cos(y))),
    ("exp(-(x**2 + y**2))",
     lambda x, y: np.exp(-(x ** 2 + y ** 2)),
     lambda x, y: (-2 * x * np.exp(-(x ** 2 + y ** 2)), -2 * y * np.exp(-(x ** 2 + y ** 2))),
     lambda x, y: ((4 * x ** 2 - 2) * np.exp(-(x ** 2 + y ** 2)),
                   4 * x * y * np.exp(-(x ** 2 + y ** 2)),
                   (4 * y ** 2 - 2) * np.exp(-(x ** 2 + y ** 2)))),
    ("log(1 + x**2) + y**4",
     lambda x, y: np.log(1 + x ** 2) + y ** 4,
     lambda x, y: (2 * x / (1 + x ** 2), 4 * y ** 3),
     lambda x, y: ((2 - 2 * x ** 2) / (1 + x ** 2) ** 2, 0 * x, 12 * y ** 2)),
    ("sqrt(x**2 + y**2 + 1)",
     lambda x, y: _r(x, y),
     lambda x, y: (x / _r(x, y), y / _r(x, y)),
     lambda x, y: ((y ** 2 + 1) / _r(x, y) ** 3, -x * y / _r(x, y) ** 3,
                   (x ** 2 + 1) / _r(x, y) ** 3)),
    ("tanh(x*y)",
     lambda x, y: np.tanh(x * y),
     lambda x, y: (y / np.cosh(x * y) ** 2, x / np.cosh(x * y) ** 2),
     lambda x, y: (-2 * y ** 2 * np.tanh(x * y) / np.cosh(x * y) ** 2,
                   (1 - 2 * x * y * np.tanh(x * y)) / np.cosh(x * y) ** 2,
                   -2 * x ** 2 * np.tanh(x * y) / np.cosh(x * y) ** 2)),
    ("arctan(x) + abs(y)",
     lambda x, y: np.arctan(x) + np.abs(y),
     lambda x, y: (1 / (1 + x ** 2), np.sign(y)),
     lambda x, y: (-2 * x / (1 + x ** 2) ** 2, 0 * x, 0 * x)),
    ("abs(log(x + 1.5))*y",  # sympy cannot prove log(x + 1.5) real; the kink is at x = −0.5
     lambda x, y: np.abs(np.log(x + 1.5)) * y,
     lambda x, y: (np.sign(np.log(x + 1.5)) / (x + 1.5) * y, np.abs(np.log(x + 1.5))),
     lambda x, y: (-np.sign(np.log(x + 1.5)) / (x + 1.5) ** 2 * y,
                   np.sign(np.log(x + 1.5)) / (x + 1.5), 0 * x)),
    ("(1.5 - x + x*y)**2",
     lambda x, y: (1.5 - x + x * y) ** 2,
     lambda x, y: (2 * (1.5 - x + x * y) * (y - 1), 2 * (1.5 - x + x * y) * x),
     lambda x, y: (2 * (y - 1) ** 2, 2 * x * (y - 1) + 2 * (1.5 - x + x * y), 2 * x ** 2)),
    ("x^3 - 3*x*y^2",  # ^ is a power: the monkey saddle
     lambda x, y: x ** 3 - 3 * x * y ** 2,
     lambda x, y: (3 * x ** 2 - 3 * y ** 2, -6 * x * y),
     lambda x, y: (6 * x, -6 * y, -6 * x)),
    ("cosh(x)/2 + sinh(y)*tan(x) + 2**y",
     lambda x, y: np.cosh(x) / 2 + np.sinh(y) * np.tan(x) + 2 ** y,
     lambda x, y: (np.sinh(x) / 2 + np.sinh(y) / np.cos(x) ** 2,
                   np.cosh(y) * np.tan(x) + np.log(2) * 2 ** y),
     lambda x, y: (np.cosh(x) / 2 + 2 * np.sinh(y) * np.tan(x) / np.cos(x) ** 2,
                   np.cosh(y) / np.cos(x) ** 2,
                   np.sinh(y) * np.tan(x) + np.log(2) ** 2 * 2 ** y)),
    ("log10(x**2 + 1) + e**(x/2) - pi*y",
     lambda x, y: np.log10(x ** 2 + 1) + np.exp(x / 2) - np.pi * y,
     lambda x, y: (2 * x / ((x ** 2 + 1) * np.log(10)) + np.exp(x / 2) / 2, -np.pi + 0 * x),
     lambda x, y: ((2 - 2 * x ** 2) / ((x ** 2 + 1) ** 2 * np.log(10)) + np.exp(x / 2) / 4,
                   0 * x, 0 * x)),
    ("arcsin(x/3) + arccos(y/2) + atan(x*y)",
     lambda x, y: np.arcsin(x / 3) + np.arccos(y / 2) + np.arctan(x * y),
     lambda x, y: (1 / np.sqrt(9 - x ** 2) + y / (1 + (x * y) ** 2),
                   -1 / np.sqrt(4 - y ** 2) + x / (1 + (x * y) ** 2)),
     lambda x, y: (x / (9 - x ** 2) ** 1.5 - 2 * x * y ** 3 / (1 + (x * y) ** 2) ** 2,
                   (1 - (x * y) ** 2) / (1 + (x * y) ** 2) ** 2,
                   -y / (4 - y ** 2) ** 1.5 - 2 * y * x ** 3 / (1 + (x * y) ** 2) ** 2)),
]
TABLE_IDS = [t[0] for t in TABLE]


# ----------------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("text, f, grad, hess", TABLE, ids=TABLE_IDS)
def test_value_gradient_and_hessian_match_closed_forms(text, f, grad, hess):
    s = ExpressionSurface(text)
    x, y = POINTS[:, 0], POINTS[:, 1]
    np.testing.assert_allclose(s.value(POINTS), f(x, y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s.grad(POINTS), np.stack(grad(x, y), -1), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(s.hessian(POINTS), _hess(*hess(x, y)), rtol=1e-11, atol=1e-11)
    v, g = s.value_and_grad(POINTS)
    np.testing.assert_array_equal(v, s.value(POINTS))
    np.testing.assert_array_equal(g, s.grad(POINTS))


@pytest.mark.parametrize("text", TABLE_IDS)
def test_derivatives_match_central_differences(text):
    s = ExpressionSurface(text)
    rng = np.random.default_rng(3)
    p = rng.uniform(-1.4, 1.4, size=(40, 2))
    p[:, 1] = np.where(np.abs(p[:, 1]) < 0.2, 0.5, p[:, 1])  # away from abs(y)'s kink
    h = 1e-5
    dx, dy = np.array([h, 0.0]), np.array([0.0, h])
    fd_grad = np.stack([(s.value(p + d) - s.value(p - d)) / (2 * h) for d in (dx, dy)], -1)
    np.testing.assert_allclose(s.grad(p), fd_grad, rtol=1e-6, atol=1e-6)
    fd_hess = np.stack([(s.grad(p + d) - s.grad(p - d)) / (2 * h) for d in (dx, dy)], -1)
    np.testing.assert_allclose(s.hessian(p), fd_hess, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(s.hessian(p), np.swapaxes(s.hessian(p), 1, 2))


@pytest.mark.parametrize("n", [1, 7])
@pytest.mark.parametrize("text", ["x**2 + 10*y**2", "3", "x", "2*pi - e"])
def test_shapes_and_constant_parts_broadcast(text, n):
    s = ExpressionSurface(text)
    p = np.linspace(-1, 1, 2 * n).reshape(n, 2)
    assert s.value(p).shape == (n,)
    assert s.grad(p).shape == (n, 2)
    assert s.hessian(p).shape == (n, 2, 2)
    v, g = s.value_and_grad(p)
    assert v.shape == (n,) and g.shape == (n, 2)


def test_constant_and_linear_formulas_give_exact_numbers():
    flat = ExpressionSurface("2*pi - e")
    p = np.array([[0.0, 0.0], [5.0, -3.0], [-1.0, 2.0]])
    np.testing.assert_allclose(flat.value(p), [2 * math.pi - math.e] * 3, rtol=1e-15)
    np.testing.assert_array_equal(flat.grad(p), np.zeros((3, 2)))
    np.testing.assert_array_equal(flat.hessian(p), np.zeros((3, 2, 2)))
    plane = ExpressionSurface("0.1*x - 2.5e-1*y")  # decimals are exact: 1/10 and 1/4
    np.testing.assert_array_equal(plane.grad(p), [[0.1, -0.25]] * 3)


def test_power_sign_unicode_minus_and_spacing_give_the_same_surface():
    p = np.random.default_rng(0).uniform(-2, 2, size=(10, 2))
    ref = ExpressionSurface("x**2 + 3*y**2 - x*y")
    for text in ("x^2 + 3*y^2 - x*y", "x**2+3*y**2−x*y", " x ** 2\n + 3 * y ** 2 - x * y "):
        s = ExpressionSurface(text)
        np.testing.assert_allclose(s.value(p), ref.value(p), rtol=1e-14)
        np.testing.assert_allclose(s.grad(p), ref.grad(p), rtol=1e-14)


def test_power_binds_tighter_than_unary_minus_as_in_mathematics():
    s = ExpressionSurface("-x^2 + 2^-1*y")
    np.testing.assert_allclose(s.value(np.array([[3.0, 4.0]])), [-9.0 + 2.0])


def test_every_function_is_accepted_and_computes_what_it_says():
    x = np.array([0.3, 0.7])
    expected = {
        "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
        "ln": np.log, "log10": np.log10, "log2": np.log2, "sqrt": np.sqrt, "abs": np.abs,
        "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "arcsin": np.arcsin,
        "asin": np.arcsin, "arccos": np.arccos, "acos": np.arccos, "arctan": np.arctan,
        "atan": np.arctan,
    }
    assert set(expected) == set(FUNCTIONS)
    p = np.stack([x, np.zeros(2)], -1)
    for name, fn in expected.items():
        np.testing.assert_allclose(ExpressionSurface(f"{name}(x)").value(p), fn(x),
                                   rtol=1e-14, err_msg=name)


# ------------------------------------------------------------------------ undefined points
def test_undefined_points_give_nan_or_inf_without_exceptions_or_warnings():
    p = np.array([[-1.0, 0.5], [0.0, -2.0], [2.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning would raise here
        s = ExpressionSurface("log(x) + sqrt(y) + 1/x")
        v = s.value(p)
        g = s.grad(p)
        h = s.hessian(p)
    assert np.isnan(v[0]) and not np.isfinite(v[1])
    assert np.isfinite(v[2]) and v[2] == pytest.approx(math.log(2) + 1 + 0.5)
    assert g[0] == pytest.approx([1 / -1 - 1 / 1, 0.5 / math.sqrt(0.5)])  # finite, but L is not
    assert not np.isfinite(g[1]).all()
    assert np.isfinite(g[2]).all() and np.isfinite(h[2]).all()
    assert not np.isfinite(h[1]).all()


def test_abs_kink_has_a_zero_slope_and_zero_curvature_at_the_kink():
    s = ExpressionSurface("abs(x) + y**2")
    p = np.array([[0.0, 1.0], [-2.0, 1.0]])
    np.testing.assert_array_equal(s.grad(p), [[0.0, 2.0], [-1.0, 2.0]])
    np.testing.assert_array_equal(s.hessian(p), [[[0.0, 0.0], [0.0, 2.0]]] * 2)


def test_a_real_formula_with_a_complex_constant_inside_is_nan_not_complex():
    s = ExpressionSurface("(-2)**x")  # real at integers, its derivative never is
    g = s.grad(np.array([[1.0, 0.0]]))
    assert g.dtype == float and np.isnan(g[0, 0]) and g[0, 1] == 0.0


# ------------------------------------------------------------------------ error messages
@pytest.mark.parametrize("text, message, column", [
    ("x**2 + z*y", "unknown name 'z' at column 8", 8),
    ("x^2 + z", "unknown name 'z' at column 7", 7),  # columns as typed, '^' counts once
    ("x**2 + 10*Y", "unknown name 'Y' at column 11 (did you mean 'y'?)", 11),
    ("foo(x) + y", "unknown function 'foo' at column 1", 1),
    ("x + sine(y)", "unknown function 'sine' at column 5 (did you mean 'sin'?)", 5),
    ("(x + 1", "unbalanced parenthesis: '(' at column 1 is never closed", 1),
    ("x + sin(y))", "unbalanced parenthesis: ')' at column 11 has no matching '('", 11),
    ("", "empty expression", None),
    ("   ", "empty expression", None),
    ("x**2 +", "expected an expression after '+' at column 6", 6),
    ("x + * y", "expected an expression after '+' at column 3", 3),
    ("x^", "expected an expression after '^' at column 2", 2),
    ("2x + y", "missing '*' between '2' and 'x' at column 2 (write 2*x)", 2),
    ("x y", "missing operator between 'x' and 'y' at column 3", 3),
    ("sin x", "'sin' is a function at column 1", 1),
    ("sin(x, y)", "'sin' takes 1 argument, got 2 at column 1", 1),
    ("y + cos()", "'cos' takes 1 argument, got 0 at column 5", 5),
    ("x(y + 1)", "'x' is not a function at column 1", 1),
    ("(x + 1)(y - 1)", "missing '*' before '(' at column 8", 8),
    ("x.real", "attribute access ('.real') is not allowed at column 2", 2),
    ("x[0]", "indexing with [...] is not allowed at column 2", 2),
    ("x % 2", "operator '%' is not allowed at column 3", 3),
    ("x // 2", "operator '//' is not allowed at column 3", 3),
    ("x < y", "comparisons are not allowed at column 3", 3),
    ("x and y", "'and' / 'or' are not allowed at column 3", 3),
    ("x, y", "a comma is only allowed between a function's arguments at column 2", 2),
    ("1/0 + x", "division by zero at column 2", 2),
    ("x/(y - y)", "division by zero at column 2", 2),
    ("log(-1) + x", "log(-1) is undefined (not a real number) at column 1", 1),
    ("y + sqrt(-4)", "sqrt(-4) is undefined (not a real number) at column 5", 5),
    ("x**1000", "power too large at column 2", 2),
    ("x^101", "power too large at column 2", 2),
    ("2**(2**(2**(2**2)))*x", "power too large at column 2", 2),
    ("(10**100)**50 * x", "power too large at column 10", 10),
    ("1e999*x", "the number 1e999 is too large at column 1", 1),
    ("3j*x", "imaginary numbers are not allowed at column 1", 1),
    ("x²", "character '²' is not allowed at column 2; write powers with ** (e.g. x**2)", 2),
    ("θ + 1", "character 'θ' is not allowed at column 1", 1),
    ("x = 1", "'=' at column 3 is not allowed", 3),
    ("x # note", "'#' is not allowed at column 3", 3),
])
def test_errors_name_the_problem_and_its_column(text, message, column):
    with pytest.raises(ExpressionError) as info:
        ExpressionSurface(text)
    assert message in str(info.value)
    assert info.value.column == column
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_too_long_input_names_its_length_and_the_limit():
    with pytest.raises(ExpressionError, match=rf"expression is too long \(501 characters; at "
                                              rf"most {MAX_LENGTH}\)"):
        ExpressionSurface("x" + "+x" * 250)
    ExpressionSurface("x" + "+x" * 249)  # 499 characters are fine


def test_deep_nesting_is_rejected_with_a_message():
    with pytest.raises(ExpressionError, match="too deeply nested .*levels of parentheses"):
        ExpressionSurface("(" * 60 + "x" + ")" * 60)
    with pytest.raises(ExpressionError, match="too deeply nested"):
        ExpressionSurface("-" * 450 + "x")
    ExpressionSurface("(" * 40 + "x" + ")" * 40)
    ExpressionSurface("sin(" * 20 + "x" + ")" * 20)


def test_the_wrong_type_is_an_expression_error():
    with pytest.raises(ExpressionError, match="must be text, got int"):
        ExpressionSurface(3)  # type: ignore[arg-type]


# -------------------------------------------------------------------------------- security
INJECTIONS = [
    "__import__('os').system('touch {marker}')",
    "__import__(\"os\").system(\"touch {marker}\")",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "(x).__class__.__mro__",
    "sin.__globals__",
    "__import__",
    "__import__(x)",
    "__builtins__",
    "lambda: 1",
    "(lambda: x)()",
    "[i for i in range(3)]",
    "(i for i in x)",
    "{{i for i in x}}",
    "{{'a': 1}}",
    "{{1: 2}}",
    "[x, y]",
    "\"abc\"",
    "b'abc'",
    "f\"{{x}}\"",
    "open('{marker}', 'w')",
    "open(x)",
    "eval('1')",
    "eval(x)",
    "exec",
    "exec(x)",
    "compile(x)",
    "globals()",
    "locals()",
    "getattr(x, y)",
    "breakpoint()",
    "x if y else 1",
    "x < y",
    "x and y",
    "not x",
    "~x",
    "9**9**9",
    "x**1000000",
    "2**10**10",
    "x; import os",
    "import os",
    "(y := 2)",
    "x = 1",
    "sin(*x)",
    "sin(x=1)",
    "x @ y",
    "None",
    "True + x",
    "...",
    "x\\\ny",
    "x # comment",
    "sin(x)\x00os.system",
    "yield x",
    "await x",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_attempts_are_rejected_with_a_message_and_never_run(payload, tmp_path):
    marker = tmp_path / "pwned"
    text = payload.format(marker=marker)
    with pytest.raises(ExpressionError) as info:
        ExpressionSurface(text)
    message = str(info.value)
    assert message and "\n" not in message
    assert not marker.exists()


@pytest.mark.parametrize("length", [MAX_LENGTH + 1, 10 ** 5, 10 ** 6])
def test_very_long_inputs_are_rejected_before_parsing(length, monkeypatch):
    import ast

    def no_parse(*args, **kwargs):
        raise AssertionError("a too-long text must not reach the parser")

    monkeypatch.setattr(ast, "parse", no_parse)
    with pytest.raises(ExpressionError, match=f"too long \\({length} characters"):
        ExpressionSurface("(" * (length // 2) + "x" * (length - length // 2))


def test_the_text_never_reaches_eval_exec_or_sympys_string_parser(monkeypatch):
    import sympy.parsing.sympy_parser as sympy_parser

    def no_string_parsing(*args, **kwargs):
        raise AssertionError("the typed text must not go through sympy's string parser")

    monkeypatch.setattr(sympy_parser, "parse_expr", no_string_parsing)
    # unusual spacing: lambdify's generated code (printed from the sympy tree) never equals it
    text = "x  *x  +   7*y**3 -  sin( x*y )  "
    seen: list[str] = []
    real_eval, real_exec = builtins.eval, builtins.exec

    def spy_eval(source, *args, **kwargs):
        seen.append(str(source))
        return real_eval(source, *args, **kwargs)

    def spy_exec(source, *args, **kwargs):
        seen.append(str(source))
        return real_exec(source, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", spy_eval)
    monkeypatch.setattr(builtins, "exec", spy_exec)
    compile_expression.cache_clear()
    s = ExpressionSurface(text)
    assert not any(text in src or text.strip() in src for src in seen)
    p = np.array([[1.0, 2.0]])
    assert s.value(p)[0] == pytest.approx(1 + 56 - math.sin(2.0))


# ---------------------------------------------------------------------- surface interface
def test_surface_attributes():
    s = ExpressionSurface("x**2 + 10*y**2")
    assert isinstance(s, Surface)
    assert s.name == "expression" and s.expression == "x**2 + 10*y**2"
    assert s.title == "x**2 + 10*y**2" and "x**2 + 10*y**2" in s.description
    assert s.param_specs == () and s.params == {}
    assert s.view == (-3.0, 3.0, -3.0, 3.0) and s.start == (-2.0, 2.0)
    assert s.critical_points == () and s.minima == ()
    assert s.axis_names == ("x", "y") and s.log_scale is False
    assert not s.is_data
    assert "expression" not in SURFACES
    assert repr(s) == "ExpressionSurface('x**2 + 10*y**2')"
    assert ExpressionSurface("  x + y ").title == "x + y"


def test_start_moves_to_a_point_where_the_formula_is_defined():
    assert ExpressionSurface("log(x) + y**2").start == (2.0, 2.0)
    assert ExpressionSurface("sqrt(-x) + sqrt(-y)").start == (-2.0, -2.0)


def test_compiled_formulas_are_cached_by_text():
    a, b = ExpressionSurface("x**4 + y**4 - x*y"), ExpressionSurface("x**4 + y**4 - x*y")
    assert a.compiled is b.compiled
    assert parse_expression("x^2") == parse_expression("x**2")


def test_points_must_have_shape_n_by_2():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        ExpressionSurface("x + y").value(np.zeros(3))


# ------------------------------------------------------------------------------ engine
def _experiment(expression: str, runs: str, steps: int = 500) -> str:
    return f'expression = "{expression}"\nsteps = {steps}\n' + textwrap.dedent(runs)


def test_an_expression_experiment_runs_and_gd_converges_to_the_minimum():
    exp = loads(_experiment("x**2 + 10*y**2", """
        [[runs]]
        optimizer = "gd"
        lr = 0.04
        start = [-2.0, 2.0]
        [[runs]]
        optimizer = "newton"
    """))
    assert exp.surface.expression == "x**2 + 10*y**2"
    sim = exp.simulation()
    assert sim.surface.title == "x**2 + 10*y**2"
    sim.advance(exp.steps)
    gd, newton = sim.history(0), sim.history(1)
    assert sim.status == ["running", "running"]
    # GD on a separable quadratic: x_t = (1 − 2η)^t x_0, y_t = (1 − 20η)^t y_0
    assert gd.theta[1] == pytest.approx([-2.0 * 0.92, 2.0 * 0.2])
    assert gd.theta[-1] == pytest.approx([0.0, 0.0], abs=1e-12)
    assert gd.loss[-1] == pytest.approx(0.0, abs=1e-20)
    # Newton with the exact Hessian reaches a quadratic's minimum in one step
    assert newton.theta[0] == pytest.approx([-2.0, 2.0])  # the surface's default start
    assert newton.theta[1] == pytest.approx([0.0, 0.0], abs=1e-12)
    # the experiment saves back to the same expression
    assert 'expression = "x**2 + 10*y**2"' in exp.to_toml()


def test_a_bad_expression_in_a_file_is_an_experiment_error_with_the_column():
    with pytest.raises(ExperimentError) as info:
        loads(_experiment("x**2 + z*y", """
            [[runs]]
            optimizer = "gd"
        """), source="bowl.toml")
    message = str(info.value)
    assert message.startswith("bowl.toml: expression: ")
    assert "unknown name 'z' at column 8" in message


def test_an_injection_in_a_file_is_rejected_as_an_experiment_error(tmp_path):
    marker = tmp_path / "pwned"
    text = ("expression = '__import__(\"os\").system(\"touch " + str(marker) + "\")'\n"
            "[[runs]]\noptimizer = \"gd\"\n")
    with pytest.raises(ExperimentError, match="expression: strings are not allowed"):
        loads(text)
    assert not marker.exists()


def test_a_run_that_steps_where_the_formula_is_undefined_diverges_while_another_goes_on():
    # L = log(x) + (x − 2)² + y² has its minimum at x = 1 + 1/√2 (1/x + 2(x − 2) = 0)
    exp = loads(_experiment("log(x) + (x - 2)**2 + y**2", """
        [[runs]]
        label = "too fast"
        optimizer = "gd"
        lr = 10.0
        start = [0.5, 0.0]
        [[runs]]
        label = "careful"
        optimizer = "gd"
        lr = 0.1
        start = [0.5, 0.0]
    """))
    sim = exp.simulation()
    sim.advance(400)
    # η = 10: x₁ = 0.5 − 10·(2 − 3) = 10.5, x₂ = 10.5 − 10·(1/10.5 + 17) < 0: log undefined
    fast = sim.history(0)
    assert sim.status[0] == "diverged" and sim.stop_step[0] == 2
    assert fast.theta[:, 0] == pytest.approx([0.5, 10.5])
    assert np.isfinite(fast.loss).all()
    careful = sim.history(1)
    assert sim.status[1] == "running" and careful.steps == 400
    assert careful.theta[-1] == pytest.approx([1 + 1 / math.sqrt(2), 0.0], abs=1e-9)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=MAIN, capture_output=True,
                          text=True, timeout=120)


def test_cli_runs_an_expression_file_and_rejects_a_bad_one_with_one_line(tmp_path):
    good = tmp_path / "bowl.toml"
    good.write_text(_experiment("x**2 + 10*y**2", """
        [[runs]]
        optimizer = "gd"
        lr = 0.04
    """, steps=300), encoding="utf-8")
    done = _cli("run", str(good))
    assert done.returncode == 0, done.stderr
    assert "x**2 + 10*y**2" in done.stdout and "finished 300 steps" in done.stdout

    bad = tmp_path / "bad.toml"
    bad.write_text(_experiment("x**2 + z*y", """
        [[runs]]
        optimizer = "gd"
    """), encoding="utf-8")
    failed = _cli("run", str(bad))
    assert failed.returncode == 2
    assert failed.stdout == ""
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "expression" in lines[0] and "unknown name 'z' at column 8" in lines[0]
    assert str(bad) in lines[0]
