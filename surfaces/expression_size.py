"""How large a typed formula's derivatives would be, estimated before differentiating.

sympy needs many seconds for some short formulas (a product of twenty sines, a tower
x**y**x**..., twenty nested square roots): their gradient and Hessian grow much faster than the
text. ``derivative_size`` estimates that growth from the formula's tree in milliseconds, and
``compile_expression`` refuses a formula past ``MAX_DERIVATIVE_SIZE`` with one line instead of
starting the work. (Ordinary formulas stay far below: Rastrigin ≈ 1,200, Ackley ≈ 4,500.)
"""
from __future__ import annotations

from typing import Any

import sympy as sp

#: largest accepted estimate of the size of the gradient and Hessian (``derivative_size``):
#: a formula past it (a long product of functions, a tower x**y**x**..., deeply nested roots)
#: would take many seconds to differentiate, so it is refused before differentiating
MAX_DERIVATIVE_SIZE = 20_000


def derivative_size(expr) -> int:
    """An upper estimate of the number of nodes of the formula, its gradient and its Hessian
    (value + 2 × gradient + 3 × Hessian component sizes) by the rules of differentiation,
    computed from the formula's tree without differentiating: a sum adds sizes, a product of
    k factors has k terms in its derivative and k² in its second derivative, a power with a
    variable exponent is exp(exponent × log base), and a function repeats its argument."""
    memo: dict[Any, tuple[int, int, int]] = {}

    def size(e) -> tuple[int, int, int]:
        known = memo.get(e)
        if known is not None:
            return known
        if not e.args:
            out = (1, 1, 1)
        else:
            parts = [size(a) for a in e.args]
            k = len(parts)
            s0, s1, s2 = (sum(p[i] for p in parts) for i in range(3))
            if isinstance(e, sp.Add):
                out = (s0 + 1, s1 + 1, s2 + 1)
            elif isinstance(e, sp.Mul):
                out = (s0 + 1, s1 + (k - 1) * s0 + k, s2 + 2 * (k - 1) * s1 + k * k * (s0 + 1))
            elif isinstance(e, sp.Pow) and e.args[1].is_Number:
                b0, b1, b2 = parts[0]
                out = (b0 + 2, b0 + b1 + 4, 2 * b0 + 2 * b1 + b2 + 8)
            elif isinstance(e, sp.Pow):  # exp(exponent * log(base))
                m0, m1, m2 = s0 + 2, s1 + s0 + 2, s2 + 2 * s1 + 4 * s0 + 4
                out = (s0 + 2, m0 + m1 + 2, 2 * m0 + 2 * m1 + m2 + 4)
            else:  # f(a): f'(a) a', f''(a) a'² + f'(a) a''
                out = (s0 + 1, s0 + s1 + 2, 2 * s0 + 2 * s1 + s2 + 2)
        memo[e] = out
        return out

    v, g, h = size(expr)
    return v + 2 * g + 3 * h
