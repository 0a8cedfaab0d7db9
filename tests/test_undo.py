"""The undo stack and the change classification (no Qt)."""
from dataclasses import replace

from engine.experiment import SurfaceConfig, loads
from gui.undo import UndoStack, change_key, change_kind, describe_change

EXP = loads("""
title = "t"
surface = { name = "quadratic", lambda1 = 1.0 }
steps = 10
[[runs]]
label = "a"
optimizer = "gd"
lr = 0.1
[[runs]]
label = "b"
optimizer = "adam"
lr = 0.05
""")


def with_lr(exp, i, lr):
    runs = list(exp.runs)
    runs[i] = replace(runs[i], hyper={**runs[i].hyper, "lr": lr})
    return exp.with_runs(runs)


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_undo_and_redo_walk_the_snapshots_exactly():
    stack = UndoStack(clock=Clock())
    stack.reset(EXP)
    e1 = with_lr(EXP, 0, 0.2)
    e2 = replace(e1, steps=20)
    stack.record(e1)
    stack.record(e2)
    assert stack.undo() is e1 and stack.undo() is EXP and stack.undo() is None
    assert stack.redo() is e1 and stack.redo() is e2 and stack.redo() is None


def test_a_burst_on_one_field_is_one_step_a_pause_or_another_field_is_not():
    clock = Clock()
    stack = UndoStack(clock=clock, coalesce_s=1.0)
    stack.reset(EXP)
    for k, lr in enumerate((0.2, 0.25, 0.3)):
        clock.t = 0.3 * k
        stack.record(with_lr(EXP, 0, lr))
    clock.t = 0.7
    stack.record(with_lr(with_lr(EXP, 0, 0.3), 1, 0.5))  # another field: a new step
    assert stack.undo() == with_lr(EXP, 0, 0.3)
    assert stack.undo() == EXP
    stack.redo()
    clock.t = 5.0
    stack.record(with_lr(EXP, 0, 0.4))
    clock.t = 7.0  # after a pause: its own step
    stack.record(with_lr(EXP, 0, 0.45))
    assert stack.undo() == with_lr(EXP, 0, 0.4)


def test_recording_after_undo_drops_the_redo_and_the_stack_is_bounded():
    stack = UndoStack(limit=3, coalesce_s=0.0, clock=Clock())
    stack.reset(EXP)
    for s in range(11, 16):
        stack.record(replace(EXP, steps=s))
    undone = [stack.undo().steps for _ in range(3)]
    assert undone == [14, 13, 12] and stack.undo() is None
    stack.record(replace(EXP, steps=99))
    assert not stack.can_redo()


def test_change_keys():
    assert change_key(EXP, with_lr(EXP, 1, 0.2)) == ("run", 1, "hyper", "lr")
    assert change_key(EXP, replace(EXP, steps=3)) == ("steps",)
    q2 = replace(EXP, surface=SurfaceConfig("quadratic", {"lambda1": 2.0}))
    assert change_key(EXP, q2) == ("surface", "quadratic", "lambda1")
    assert change_key(EXP, replace(EXP, surface=SurfaceConfig("rosenbrock"))) is None
    assert change_key(EXP, with_lr(with_lr(EXP, 0, 0.2), 1, 0.2)) is None


def test_change_kinds():
    runs = EXP.runs
    assert change_kind(EXP, replace(EXP, steps=99, title="x")) == "none"
    assert change_kind(EXP, EXP.with_runs([replace(runs[0], color="#123456"), runs[1]])) == "style"
    assert change_kind(EXP, EXP.with_runs([runs[0], replace(runs[1], enabled=False)])) == "runs"
    assert change_kind(EXP, EXP.with_runs([runs[1]])) == "runs"
    assert change_kind(EXP, EXP.with_runs([replace(runs[0], label="z"), runs[1]])) == "relabel"
    assert change_kind(EXP, EXP.with_runs([replace(runs[0], label="z", enabled=False),
                                           runs[1]])) == "runs"
    assert change_kind(EXP, with_lr(EXP, 0, 0.3)) == "restart"
    assert change_kind(EXP, EXP.with_runs([replace(runs[0], start=(1.0, 1.0)), runs[1]])) \
        == "restart"
    assert change_kind(EXP, replace(EXP, seed=4)) == "restart"


def test_change_descriptions():
    runs = EXP.runs
    assert describe_change(EXP, with_lr(EXP, 1, 0.2)) == "lr of b"
    assert describe_change(EXP, EXP.with_runs([replace(runs[0], color="#123456"), runs[1]])) \
        == "colour of a"
    assert describe_change(EXP, EXP.with_runs([runs[0]])) == "removed run"
    assert describe_change(EXP, EXP.with_runs([runs[0], replace(runs[1], enabled=False)])) \
        == "unticking b"
    assert describe_change(EXP, EXP.with_runs([])) == "removed runs"
    assert describe_change(EXP, EXP.with_runs([*runs, replace(runs[0], label="c")])) == "new run"
    assert describe_change(EXP, EXP.with_runs([replace(r, start=(0.0, 1.0)) for r in runs])) \
        == "start points"
    assert describe_change(EXP, replace(EXP, steps=3)) == "step limit"
    assert describe_change(EXP, replace(EXP, surface=SurfaceConfig("rosenbrock"))) == "surface"
