"""Experiment files (TOML): every validation message, defaults, and save/load round trips."""
from __future__ import annotations

import math
import os

import pytest

from engine.experiment import Experiment, ExperimentError, load, loads, save
from engine.optimizers import OPTIMIZERS
from engine.schedules import make_schedule
from engine.simulation import Tolerance

RUN = '[[runs]]\noptimizer = "gd"\n'


def error(text: str, source: str = "exp.toml") -> str:
    with pytest.raises(ExperimentError) as err:
        loads(text, source)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{source}: ")
    return message


@pytest.mark.parametrize("text,expected", [
    # TOML syntax
    ("steps = \n" + RUN, "exp.toml: not valid TOML: Invalid value (at line 1, column 9)"),
    ("[[runs]\n", "exp.toml: not valid TOML:"),
    # top level
    ("stepz = 3\n" + RUN, "exp.toml: stepz: unknown key (did you mean 'steps'?); "
                          "an experiment takes: title, "),
    ("titel = 'x'\n" + RUN, "exp.toml: titel: unknown key (did you mean 'title'?)"),
    ("steps = 0\n" + RUN, "exp.toml: steps: must be ≥ 1, got 0"),
    ("steps = -5\n" + RUN, "exp.toml: steps: must be ≥ 1, got -5"),
    ("steps = 1.5\n" + RUN, "exp.toml: steps: must be a whole number, got 1.5"),
    ("steps = inf\n" + RUN, "exp.toml: steps: must be a whole number, got inf"),
    ("steps = '10'\n" + RUN, "exp.toml: steps: must be a whole number, got '10'"),
    ("seed = -1\n" + RUN, "exp.toml: seed: must be ≥ 0, got -1"),
    ("title = 3\n" + RUN, "exp.toml: title: must be a string"),
    ("gradient_noise = -0.1\n" + RUN, "exp.toml: gradient_noise: must be ≥ 0, got -0.1"),
    ("gradient_noise = nan\n" + RUN, "exp.toml: gradient_noise: must be a finite number"),
    ("tolerance = 0\n" + RUN, "exp.toml: tolerance: must be > 0, got 0"),
    ("tolerance = { grad = 1e-3 }\n" + RUN,
     "exp.toml: tolerance.grad: unknown key (did you mean 'grad_norm'?)"),
    ("tolerance = { grad_norm = -1.0 }\n" + RUN, "exp.toml: tolerance.grad_norm: must be > 0"),
    ("steps = 3\n", "exp.toml: runs: needs at least one [[runs]] table with an optimizer"),
    ("runs = 3\n", "exp.toml: runs: needs at least one [[runs]] table"),
    # surfaces
    ('surface = "rosenbrok"\n' + RUN,
     "exp.toml: surface: unknown surface 'rosenbrok' (did you mean 'rosenbrock'?); known: "),
    ('surface = "quadratc"\n' + RUN, "(did you mean 'quadratic'?)"),
    ('surface = { name = "quadratic", lamda1 = 2.0 }\n' + RUN,
     "exp.toml: surface: unknown parameter 'lamda1' (did you mean 'lambda1'?); this surface "
     "takes: lambda1, lambda2, angle, cx, cy"),
    ('surface = { name = "quadratic", angle = nan }\n' + RUN,
     "exp.toml: surface: parameter 'angle' must be a finite number"),
    ('surface = { lambda1 = 2.0 }\n' + RUN, "exp.toml: surface: the table needs a 'name'"),
    ('surface = 3\n' + RUN, "exp.toml: surface: must be a surface name or a table, got 3"),
    ('surface = "rosenbrock"\nexpression = "x**2"\n' + RUN,
     "exp.toml: expression: give either 'surface' or 'expression', not both"),
    ('expression = ""\n' + RUN, "exp.toml: expression: must be a non-empty string"),
    # optimizers and their hyperparameters
    ('[[runs]]\noptimizer = "adm"\n', "exp.toml: runs[1].optimizer: unknown optimizer 'adm' "
                                      "(did you mean 'adam'?); known: gd, momentum, nesterov, "),
    ('[[runs]]\noptimizer = "rmsprob"\n', "(did you mean 'rmsprop'?)"),
    ('[[runs]]\nlr = 0.1\n', "exp.toml: runs[1].optimizer: needs an 'optimizer' (one of: gd, "),
    (RUN + '[[runs]]\noptimizer = "adam"\nbeta = 0.9\n',
     "exp.toml: runs[2].beta: unknown key (did you mean 'beta2'?); adam takes: lr, beta1, "
     "beta2, eps, label, "),
    ('[[runs]]\noptimizer = "momentum"\nmomentun = 0.9\n',
     "exp.toml: runs[1].momentun: unknown key (did you mean 'momentum'?)"),
    ('[[runs]]\noptimizer = "gd"\nlearning_rate = 0.1\n', "exp.toml: runs[1].learning_rate: "
                                                          "unknown key"),
    ('[[runs]]\noptimizer = "gd"\nlr = -0.1\n', "exp.toml: runs[1].lr: must be > 0, got -0.1"),
    ('[[runs]]\noptimizer = "gd"\nlr = 0\n', "exp.toml: runs[1].lr: must be > 0, got 0"),
    ('[[runs]]\noptimizer = "gd"\nlr = inf\n',
     "exp.toml: runs[1].lr: must be a finite number, got inf"),
    ('[[runs]]\noptimizer = "adam"\nlr = nan\n',
     "exp.toml: runs[1].lr: must be a finite number, got nan"),
    ('[[runs]]\noptimizer = "gd"\nlr = "big"\n', "exp.toml: runs[1].lr: must be a number, "
                                                 "got 'big'"),
    ('[[runs]]\noptimizer = "gd"\nlr = true\n', "exp.toml: runs[1].lr: must be a number"),
    ('[[runs]]\noptimizer = "rmsprop"\nalpha = 1.0\n',
     "exp.toml: runs[1].alpha: must be between 0 and 1 (exclusive), got 1.0"),
    ('[[runs]]\noptimizer = "rmsprop"\ninit = "zeros"\n',
     "exp.toml: runs[1].init: must be one of first_gradient, zero, got 'zeros' "
     "(did you mean 'zero'?)"),
    ('[[runs]]\noptimizer = "adam"\neps = -1e-8\n', "exp.toml: runs[1].eps: must be ≥ 0"),
    ('[[runs]]\noptimizer = "momentum"\nmomentum = 1.0\n',
     "exp.toml: runs[1].momentum: must be in [0, 1), got 1.0"),
    ('[[runs]]\noptimizer = "rprop"\neta_plus = 0.9\n', "exp.toml: runs[1].eta_plus: must be > 1"),
    ('[[runs]]\noptimizer = "rprop"\nbacktrack = 1\n',
     "exp.toml: runs[1].backtrack: must be true or false, got 1"),
    ('[[runs]]\noptimizer = "quickprop"\nmax_growth = 1.0\n',
     "exp.toml: runs[1].max_growth: must be > 1"),
    ('[[runs]]\noptimizer = "newton"\ndamping = -1.0\n', "exp.toml: runs[1].damping: must be ≥ 0"),
    # start points
    ('[[runs]]\noptimizer = "gd"\nstart = [nan, 1.0]\n',
     "exp.toml: runs[1].start: must be a finite number, got nan"),
    ('[[runs]]\noptimizer = "gd"\nstart = [1.0, -inf]\n',
     "exp.toml: runs[1].start: must be a finite number, got -inf"),
    ('[[runs]]\noptimizer = "gd"\nstart = [1.0]\n',
     "exp.toml: runs[1].start: must be a point [x, y], got [1.0]"),
    ('[[runs]]\noptimizer = "gd"\nstart = ["a", 1.0]\n',
     "exp.toml: runs[1].start: must be a number, got 'a'"),
    # schedules
    ('[[runs]]\noptimizer = "gd"\nschedule = { name = "cosin" }\n',
     "exp.toml: runs[1].schedule: unknown schedule 'cosin' (did you mean 'cosine'?)"),
    ('[[runs]]\noptimizer = "gd"\nschedule = { name = "step", factor = 2.0 }\n',
     "exp.toml: runs[1].schedule: 'factor' must be between 0 and 1 (exclusive), got 2.0"),
    ('[[runs]]\noptimizer = "gd"\nschedule = { name = "step", evry = 2 }\n',
     "exp.toml: runs[1].schedule: 'evry' is not a parameter of schedule step "
     "(did you mean 'every'?)"),
    ('[[runs]]\noptimizer = "gd"\nschedule = { rate = 2 }\n',
     "exp.toml: runs[1].schedule: needs a 'name'"),
    ('[[runs]]\noptimizer = "gd"\nschedule = 5\n', "exp.toml: runs[1].schedule: must be a table"),
    ('[[runs]]\noptimizer = "rprop"\nschedule = { name = "inv_sqrt" }\n',
     "exp.toml: runs[1].schedule: rprop has no learning rate, so a schedule would have no "
     "effect; remove it"),
    # labels, colours, flags
    ('[[runs]]\noptimizer = "gd"\nlabel = "A"\n[[runs]]\noptimizer = "adam"\nlabel = "A"\n',
     "exp.toml: runs[2].label: 'A' is used by another run; labels must be unique"),
    ('[[runs]]\noptimizer = "gd"\nlabel = ""\n', "exp.toml: runs[1].label: must be a non-empty"),
    ('[[runs]]\noptimizer = "gd"\ncolor = "red"\n',
     "exp.toml: runs[1].color: must be a colour like \"#1f77b4\", got 'red'"),
    ('[[runs]]\noptimizer = "gd"\ncolor = "#12345"\n', "exp.toml: runs[1].color: must be a colour"),
    ('[[runs]]\noptimizer = "gd"\nenabled = "no"\n',
     "exp.toml: runs[1].enabled: must be true or false"),
    ('[[runs]]\noptimizer = "gd"\ngradient_noise = -1\n',
     "exp.toml: runs[1].gradient_noise: must be ≥ 0"),
    ('runs = [3]\n', "exp.toml: runs[1]: each [[runs]] entry must be a table"),
    # mini-batches need a data-defined surface
    ('batch_size = 4\n' + RUN, "exp.toml: batch_size: needs a data-defined surface (like "
                               "linear-regression); 'rosenbrock' is analytic: use "
                               "gradient_noise instead"),
    (RUN + '[[runs]]\noptimizer = "adam"\nbatch_size = 4\n',
     "exp.toml: batch_size: needs a data-defined surface"),
    (RUN + 'batch_size = 0\n', "exp.toml: runs[1].batch_size: must be ≥ 1, got 0"),
])
def test_validation_messages(text, expected):
    message = error(text)
    if expected.startswith("exp.toml: "):
        assert message.startswith(expected), message
    else:
        assert expected in message, message


def test_load_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[runs]]\noptimizer = "gd"\nlr = -1\n', encoding="utf-8")
    with pytest.raises(ExperimentError) as err:
        load(path)
    assert str(err.value) == f"{path}: runs[1].lr: must be > 0, got -1"
    assert err.value.key == "runs[1].lr" and err.value.source == str(path)
    with pytest.raises(ExperimentError, match="no such file"):
        load(tmp_path / "missing.toml")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ExperimentError, match="cannot read it"):
        load(tmp_path / "binary.toml")


def test_defaults():
    exp = loads('[[runs]]\noptimizer = "adam"\n[[runs]]\noptimizer = "adam"\n'
                '[[runs]]\noptimizer = "rmsprop"\nlr = 1\n')
    assert exp.surface.name == "rosenbrock" and exp.steps == 1000 and exp.seed == 0
    assert exp.title == "" and exp.tolerance == Tolerance()
    assert [r.label for r in exp.runs] == ["adam", "adam 2", "rmsprop"]
    assert dict(exp.runs[0].hyper) == {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert dict(exp.runs[2].hyper) == {"lr": 1.0, "alpha": 0.9, "eps": 1e-8,
                                       "init": "first_gradient"}
    assert exp.runs[0].schedule == make_schedule(None)
    specs = exp.run_specs()
    assert specs[0].start == (-1.5, 2.5)  # the surface's default start
    assert loads("tolerance = 1e-6\n" + RUN).tolerance == Tolerance(loss_change=1e-6)


def test_every_optimizer_accepts_its_documented_keys():
    table = {"gd": ["lr"], "momentum": ["lr", "momentum"], "nesterov": ["lr", "momentum"],
             "adagrad": ["lr", "eps"], "rmsprop": ["lr", "alpha", "eps", "init"],
             "adam": ["lr", "beta1", "beta2", "eps"],
             "rprop": ["step_init", "eta_plus", "eta_minus", "step_min", "step_max",
                       "backtrack"],
             "quickprop": ["lr", "max_growth"], "newton": ["lr", "damping"],
             "adamw": ["lr", "beta1", "beta2", "eps", "weight_decay"],
             "amsgrad": ["lr", "beta1", "beta2", "eps"],
             "nadam": ["lr", "beta1", "beta2", "eps", "momentum_decay"],
             "adadelta": ["lr", "rho", "eps"], "lion": ["lr", "beta1", "beta2", "weight_decay"],
             "adabelief": ["lr", "beta1", "beta2", "eps"]}
    assert {k: list(v.defaults()) for k, v in OPTIMIZERS.items()} == table
    defaults = {o: OPTIMIZERS[o].defaults() for o in OPTIMIZERS}
    assert defaults["momentum"]["momentum"] == 0.9 and defaults["rmsprop"]["alpha"] == 0.9
    assert defaults["adam"] == {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert defaults["rprop"] == {"step_init": 0.01, "eta_plus": 1.2, "eta_minus": 0.5,
                                 "step_min": 1e-6, "step_max": 1.0, "backtrack": True}
    assert defaults["quickprop"]["max_growth"] == 1.75
    assert defaults["newton"] == {"lr": 1.0, "damping": 0.0}
    assert defaults["adagrad"]["eps"] == 1e-8
    # torch's defaults where torch has the optimizer; the papers' otherwise (issue 10)
    assert defaults["adamw"] == {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                 "weight_decay": 0.01}
    assert defaults["nadam"]["lr"] == 2e-3 and defaults["nadam"]["momentum_decay"] == 0.004
    assert defaults["adadelta"] == {"lr": 1.0, "rho": 0.9, "eps": 1e-6}
    assert defaults["lion"] == {"lr": 1e-4, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0}
    assert defaults["adabelief"]["eps"] == 1e-16
    assert loads('[[runs]]\noptimizer = "adagrad"\neps = 0\n').runs[0].hyper["eps"] == 0.0


FULL = """
title = "Everything"
description = "All the keys at once."
surface = { name = "quadratic", lambda1 = 0.5, lambda2 = 4.0, angle = 30.0 }
steps = 321
seed = 7
gradient_noise = 0.01
tolerance = { loss_change = 1e-9, grad_norm = 1e-7 }

[[runs]]
label = "plain"
optimizer = "gd"
lr = 0.1
start = [-1.5, 2.0]
color = "#1f77b4"

[[runs]]
optimizer = "adagrad"
lr = 0.5
eps = 0.0
schedule = { name = "inv_sqrt" }

[[runs]]
label = "warm"
optimizer = "adam"
lr = 0.02
schedule = { name = "warmup", warmup = 20, then = "cosine", total = 300 }
gradient_noise = 0.0
enabled = false

[[runs]]
optimizer = "rmsprop"
init = "zero"
alpha = 0.99
schedule = { name = "plateau", patience = 7 }

[[runs]]
optimizer = "rprop"
backtrack = false
step_max = 0.5

[[runs]]
optimizer = "newton"
damping = 0.1
"""


def test_save_then_load_round_trips(tmp_path):
    exp = loads(FULL)
    path = tmp_path / "exp.toml"
    save(exp, path)
    again = load(path)
    assert again == exp
    assert isinstance(again, Experiment)
    assert os.listdir(tmp_path) == ["exp.toml"]  # written atomically, no temporary left
    # and a second round trip gives the same text
    save(again, tmp_path / "b.toml")
    assert (tmp_path / "b.toml").read_text("utf-8") == path.read_text("utf-8")
    assert again.runs[2].enabled is False and len(again.run_specs()) == 5
    assert again.tolerance == Tolerance(1e-9, 1e-7)


def test_round_trip_of_an_expression_surface_and_odd_floats(tmp_path):
    exp = loads('expression = "x**2 + 10*y**2"\n[[runs]]\noptimizer = "gd"\n'
                f'lr = {0.1 + 0.2!r}\nstart = [{math.pi!r}, -1e-300]\n')
    save(exp, tmp_path / "e.toml")
    again = load(tmp_path / "e.toml")
    assert again == exp
    assert again.runs[0].hyper["lr"] == 0.1 + 0.2
    assert again.runs[0].start == (math.pi, -1e-300)


def test_all_runs_disabled_is_an_error_at_simulation_time():
    exp = loads(RUN + "enabled = false\n", "exp.toml")
    with pytest.raises(ExperimentError, match="every run is disabled"):
        exp.simulation()
