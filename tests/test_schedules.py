"""Learning-rate schedules η^t against hand values, as functions and as recorded by a run."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.optimizers import OPTIMIZERS
from engine.schedules import SCHEDULES, make_schedule
from engine.simulation import RunSpec, Simulation
from surfaces import make_surface

T = np.arange(12)


def values(spec, lr=1.0, t=T):
    return list(make_schedule(spec).values(lr, t))


def approx(xs):
    return pytest.approx(xs, rel=1e-14, abs=1e-300)


def test_constant():
    assert values("constant", 0.3) == [0.3] * 12
    assert values(None, 0.3) == [0.3] * 12


def test_inv_sqrt():
    assert values({"name": "inv_sqrt"}, 0.5) == approx([0.5 / math.sqrt(t + 1) for t in T])
    assert values({"name": "inv_sqrt"}, 0.5)[3] == 0.25


def test_inverse_and_inverse_square():
    assert values({"name": "inverse"}, 2.0)[:4] == approx([2.0, 1.0, 2 / 3, 0.5])
    assert values({"name": "inverse_square"}, 2.0)[:4] == approx([2.0, 0.5, 2 / 9, 0.125])


def test_exponential():
    assert values({"name": "exponential", "rate": 0.5}, 3.0)[:3] == approx(
        [3.0, 3.0 * math.exp(-0.5), 3.0 * math.exp(-1.0)])
    # default rate 1e-3
    assert values({"name": "exponential"}, 1.0)[10] == approx(math.exp(-0.01))


def test_step():
    assert values({"name": "step", "factor": 0.5, "every": 3}, 1.0) == approx(
        [1, 1, 1, .5, .5, .5, .25, .25, .25, .125, .125, .125])


@pytest.mark.parametrize("then,after", [
    # W = 4, total = 10, η = 1: t = 4..11 → s = t − 4 = 0..7, span = 6
    ("constant", [1.0] * 8),
    ("inv_sqrt", [1 / math.sqrt(s + 1) for s in range(8)]),
    ("linear", [1.0, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6, 0.0, 0.0]),
    ("cosine", [0.5 * (1 + math.cos(math.pi * min(s / 6, 1.0))) for s in range(8)]),
])
def test_warmup_rises_linearly_then_follows_then(then, after):
    got = values({"name": "warmup", "warmup": 4, "then": then, "total": 10}, 1.0)
    assert got[:4] == approx([0.25, 0.5, 0.75, 1.0])
    assert got[4:] == approx(after)


def test_transformer_counts_t_from_one():
    """η = d^−0.5·min(t^−0.5, t·W^−1.5) with t = 1 at the first update (row 0)."""
    got = values({"name": "transformer", "d_model": 16, "warmup": 4}, 1.0)
    assert got[0] == approx(0.25 * 1 / 8)       # t = 1: 1·4^−1.5 = 1/8
    assert got[3] == approx(0.25 * 0.5)         # t = 4 = W: both terms equal 0.5
    assert got[8] == approx(0.25 / 3)           # t = 9: 9^−0.5
    assert int(np.argmax(got)) == 3             # the peak is at t = W
    assert values({"name": "transformer", "d_model": 16, "warmup": 4}, 2.0)[8] == approx(0.5 / 3)


def test_cosine():
    got = values({"name": "cosine", "total": 10, "min_lr": 0.1}, 1.0, np.arange(21))
    assert got[0] == approx(1.0)
    assert got[5] == approx(0.55)
    assert got[10] == approx(0.1)
    assert got[20] == approx(0.1)
    assert got[2] == approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.2)))


@pytest.mark.parametrize("spec", [
    "constant", {"name": "inv_sqrt"}, {"name": "inverse"}, {"name": "inverse_square"},
    {"name": "exponential", "rate": 0.05}, {"name": "step", "factor": 0.3, "every": 7},
    {"name": "warmup", "warmup": 10, "then": "cosine", "total": 40},
    {"name": "transformer", "d_model": 4, "warmup": 9}, {"name": "cosine", "total": 30},
])
def test_the_simulation_records_the_schedule(spec):
    surf = make_surface("quadratic", {})
    run = RunSpec("r", "adam", OPTIMIZERS["adam"].resolve({"lr": 0.05}), (-1.0, 1.0),
                  make_schedule(spec))
    sim = Simulation(surf, [run])
    for k in (1, 3, 50):
        sim.advance(k)
    h = sim.history(0)
    assert list(h.lr) == list(make_schedule(spec).values(0.05, np.arange(55)))


def _plateau_run(lr, threshold, patience=3, factor=0.5, steps=8, start=(0.0, 1.0)):
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    sched = make_schedule({"name": "plateau", "factor": factor, "patience": patience,
                           "threshold": threshold})
    sim = Simulation(surf, [RunSpec("p", "gd", {"lr": lr}, start, sched)])
    sim.run_to(steps)
    return sim.history(0)


def test_plateau_drops_after_patience_steps_without_improvement():
    """GD with η = 2/λ₂ bounces between y = ±1 at a constant loss: no improvement after row 0,
    so after patience = 3 such rows η halves to 1/3 = 1/λ₂, which lands on the minimum."""
    h = _plateau_run(2 / 3, threshold=0.0)
    assert list(h.lr[:4]) == [2 / 3] * 4
    assert list(h.theta[:5, 1]) == approx([1.0, -1.0, 1.0, -1.0, 1.0])
    assert list(h.lr[4:6]) == [1 / 3] * 2
    assert h.theta[5, 1] == pytest.approx(0.0, abs=1e-15)
    assert h.loss[5] == pytest.approx(0.0, abs=1e-30)


def test_plateau_threshold_is_relative_to_the_best_loss():
    """The loss falls by ≈6e-5 of itself per step: not enough with threshold 1e-3 (drop after
    patience), an improvement with threshold 0 (no drop)."""
    eta = 2 / 3 - 1e-5  # |1 − 3η| = 1 − 3e-5
    h = _plateau_run(eta, threshold=1e-3, steps=10)
    assert np.all(np.diff(h.loss) < 0)
    assert list(h.lr[:4]) == [eta] * 4 and list(h.lr[4:8]) == approx([eta / 2] * 4)
    h = _plateau_run(eta, threshold=0.0, steps=10)
    assert list(h.lr) == [eta] * 11


def test_plateau_drops_repeatedly():
    h = _plateau_run(2.0, threshold=0.0, patience=2, factor=0.5, steps=12, start=(1.0, 0.0))
    # λ₁ = 1: η = 2 bounces x = ±1; η = 1 lands on 0 (and stays: improvement, then no more)
    assert list(h.lr[:3]) == [2.0] * 3
    assert h.lr[3] == 1.0 and h.theta[4, 0] == 0.0
    # row 4 (L = 0) is the best; rows 5 and 6 do not improve, so η halves from row 7 on, and
    # every further 2 rows (the count restarts after each drop)
    assert list(h.lr[4:]) == approx([1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125])


@pytest.mark.parametrize("spec,fragment", [
    ({"name": "cosin"}, "unknown schedule 'cosin' (did you mean 'cosine'?)"),
    ("warmpu", "unknown schedule 'warmpu' (did you mean 'warmup'?)"),
    ({"rate": 0.1}, "needs a 'name'"),
    (3, "must be a table"),
    ({"name": "exponential", "rat": 0.1},
     "'rat' is not a parameter of schedule exponential (did you mean 'rate'?)"),
    ({"name": "inv_sqrt", "total": 3}, "it takes: no parameters"),
    ({"name": "exponential", "rate": -1.0}, "'rate' must be > 0, got -1.0"),
    ({"name": "exponential", "rate": float("nan")}, "'rate' must be a finite number"),
    ({"name": "step", "factor": 1.5}, "'factor' must be between 0 and 1 (exclusive), got 1.5"),
    ({"name": "step", "every": 0}, "'every' must be a whole number ≥ 1, got 0"),
    ({"name": "step", "every": 2.5}, "'every' must be a whole number ≥ 1, got 2.5"),
    ({"name": "plateau", "patience": True}, "'patience' must be a number, got True"),
    ({"name": "plateau", "threshold": -0.1}, "'threshold' must be ≥ 0, got -0.1"),
    ({"name": "warmup", "then": "cosin"},
     "'then' must be one of constant, inv_sqrt, linear, cosine, got 'cosin' "
     "(did you mean 'cosine'?)"),
    ({"name": "warmup", "warmup": 100, "then": "linear", "total": 50},
     "'total' (50) must be larger than 'warmup' (100)"),
    ({"name": "transformer", "d_model": "big"}, "'d_model' must be a number, got 'big'"),
])
def test_invalid_schedules_give_messages(spec, fragment):
    with pytest.raises((KeyError, ValueError)) as err:
        make_schedule(spec)
    assert fragment in str(err.value.args[0])


def test_every_schedule_is_tested_here():
    assert set(SCHEDULES) == {"constant", "inv_sqrt", "inverse", "inverse_square",
                              "exponential", "step", "plateau", "warmup", "transformer",
                              "cosine"}


def test_schedule_table_round_trip():
    for spec in ({"name": "warmup", "warmup": 7, "then": "cosine", "total": 99},
                 {"name": "plateau", "factor": 0.2}, {"name": "constant"}):
        s = make_schedule(spec)
        assert make_schedule(s.to_table()) == s
        assert s.to_table() == spec
