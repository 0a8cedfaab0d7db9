"""Guided notes in experiment files: parsing, limits, saving, which notes show at a step, and
the notes of the lecture presets (each checked against the run it describes)."""
from functools import lru_cache

import numpy as np
import pytest

from engine.experiment import ExperimentError, load, loads
from engine.notes import (HOLD_FRACTION, MAX_NOTES, MAX_TEXT, Note, hold_steps, note_anchor,
                          notes_at, pause_steps)
from engine.presets import LECTURE_ORDER, preset_path

BASE = """
surface = { name = "quadratic", lambda1 = 1.0, lambda2 = 3.0 }
steps = 100
[[runs]]
optimizer = "gd"
lr = 0.1
start = [-2.0, 1.5]
"""


def with_notes(*tables: str) -> str:
    return BASE + "".join(f"\n[[notes]]\n{t}\n" for t in tables)


# ---------------------------------------------------------------------------------- files
def test_old_files_without_notes_still_load_and_save_no_notes():
    exp = loads(BASE)
    assert exp.notes == ()
    assert "notes" not in exp.to_toml()


def test_notes_load_sorted_and_round_trip_through_to_toml():
    exp = loads(with_notes('step = 50\ntext = "second"\npause = true',
                           'step = 3\ntext = "first \\"quoted\\"\\nnext line"\nat = [1, -2]'))
    assert exp.notes == (Note(3, 'first "quoted"\nnext line', (1.0, -2.0), False),
                         Note(50, "second", None, True))
    again = loads(exp.to_toml())
    assert again.notes == exp.notes
    assert again == exp


@pytest.mark.parametrize("table, key, words", [
    ('step = 101\ntext = "x"', "notes[1].step", "between 0 and the experiment's steps (100)"),
    ('step = -1\ntext = "x"', "notes[1].step", "between 0"),
    ('step = 1.5\ntext = "x"', "notes[1].step", "whole number"),
    ('step = true\ntext = "x"', "notes[1].step", "whole number"),
    ('text = "x"', "notes[1].step", "needs a 'step'"),
    ('step = 1', "notes[1].text", "non-empty 'text'"),
    ('step = 1\ntext = "   "', "notes[1].text", "non-empty 'text'"),
    ('step = 1\ntext = 5', "notes[1].text", "non-empty 'text'"),
    ('step = 1\ntext = "bell\\u0007"', "notes[1].text", "control character U+0007"),
    ('step = 1\ntext = "escape\\u001b[31m"', "notes[1].text", "control character U+001B"),
    ('step = 1\ntext = "turn\\u202eback"', "notes[1].text", "control character U+202E"),
    ('step = 1\ntext = "x"\nat = [1]', "notes[1].at", "point [x, y]"),
    ('step = 1\ntext = "x"\nat = [1, nan]', "notes[1].at", "finite numbers"),
    ('step = 1\ntext = "x"\nat = ["a", 1]', "notes[1].at", "finite numbers"),
    ('step = 1\ntext = "x"\npause = "yes"', "notes[1].pause", "true or false"),
    ('step = 1\ntext = "x"\ncolour = "red"', "notes[1].colour", "unknown key"),
])
def test_invalid_notes_give_one_line_naming_the_key(table, key, words):
    with pytest.raises(ExperimentError) as err:
        loads(with_notes(table), "lecture.toml")
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"lecture.toml: {key}: ") and words in msg


def test_notes_must_be_tables_in_an_array():
    with pytest.raises(ExperimentError, match="notes: must be an array"):
        loads(BASE.replace("steps = 100", 'steps = 100\nnotes = "hello"'))
    with pytest.raises(ExperimentError, match=r"notes\[1\]: each \[\[notes\]\] entry"):
        loads(BASE.replace("steps = 100", "steps = 100\nnotes = [1]"))


def test_note_limits_count_text_length_and_lines():
    ok = [f'step = {i}\ntext = "n{i}"' for i in range(MAX_NOTES)]
    assert len(loads(with_notes(*ok)).notes) == MAX_NOTES
    with pytest.raises(ExperimentError, match=f"notes: {MAX_NOTES + 1} notes; at most {MAX_NOTES}"):
        loads(with_notes(*ok, 'step = 1\ntext = "one too many"'))
    long_ok = "a" * MAX_TEXT
    assert loads(with_notes(f'step = 1\ntext = "{long_ok}"')).notes[0].text == long_ok
    with pytest.raises(ExperimentError, match="1,001 characters long; at most 1,000"):
        loads(with_notes(f'step = 1\ntext = "{long_ok}b"'))
    with pytest.raises(ExperimentError, match="21 lines; at most 20"):
        loads(with_notes('step = 1\ntext = "' + "\\n".join("l" * 21) + '"'))


def test_too_many_notes_are_refused_before_any_is_read():
    bad = ['step = 1\ntext = 5'] * (MAX_NOTES + 1)  # each invalid: the count is named first
    with pytest.raises(ExperimentError, match="notes: 51 notes"):
        loads(with_notes(*bad))


def test_tabs_line_breaks_and_unicode_are_plain_text():
    exp = loads(with_notes('step = 1\ntext = "η/σ₂ ≈ 3.5e-3\\tok\\n→ 👩‍🏫"'))
    assert exp.notes[0].text == "η/σ₂ ≈ 3.5e-3\tok\n→ 👩‍🏫"


# ---------------------------------------------------------------------------------- when
def test_hold_is_a_fifth_of_the_steps_at_least_one():
    assert HOLD_FRACTION == 0.2
    assert hold_steps(100) == 20 and hold_steps(3) == 1 and hold_steps(0) == 1


def test_notes_at_shows_the_latest_note_until_the_next_or_the_hold_ends():
    a, b, b2, c = Note(10, "a"), Note(20, "b"), Note(20, "b2"), Note(90, "c")
    notes = (c, b, a, b2)  # any order
    # 100 steps: hold 20 steps
    assert notes_at(notes, 9, 100) == ()
    assert notes_at(notes, 10, 100) == (a,)
    assert notes_at(notes, 19, 100) == (a,)
    assert notes_at(notes, 20, 100) == (b, b2)    # the next note replaces it; same step: both
    assert notes_at(notes, 39, 100) == (b, b2)
    assert notes_at(notes, 40, 100) == ()         # 20 + 20: the hold is over
    assert notes_at(notes, 90, 100) == (c,)
    assert notes_at(notes, 100, 100) == (c,)
    assert notes_at((), 5, 100) == ()


def test_pause_steps_and_anchor():
    notes = (Note(5, "x", pause=True), Note(3, "y"), Note(5, "z", pause=True), Note(9, "w", (1, 2)))
    assert pause_steps(notes) == (5,)
    path = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 4.0]])
    assert note_anchor(Note(1, "t"), [path, path + 10]) == (1.0, 1.0)   # the first run, step 1
    assert note_anchor(Note(7, "t"), [path]) == (2.0, 4.0)  # stopped earlier: its last point
    assert note_anchor(Note(9, "w", (1.5, 2.5)), []) == (1.5, 2.5)
    assert note_anchor(Note(1, "t"), []) is None
    assert note_anchor(Note(1, "t"), [np.array([[0.0, 0.0], [np.nan, 1.0]])]) is None


# ---------------------------------------------------------------------------------- presets
@lru_cache(maxsize=None)
def run_preset(name):
    exp = load(preset_path(name))
    sim = exp.simulation()
    sim.run_to(exp.steps)
    return exp, sim


def theta_of(name, label, step):
    exp, sim = run_preset(name)
    t = sim.history([r.label for r in sim.runs].index(label)).theta
    return t[min(step, len(t) - 1)]


def note_at(name, step):
    exp, _ = run_preset(name)
    (note,) = [n for n in exp.notes if n.step == step]
    return note


def points_at(note, point, tol=1e-3):
    return np.allclose(note.at, point, atol=tol, rtol=0)


@pytest.mark.parametrize("name", LECTURE_ORDER)
def test_every_lecture_preset_has_two_to_four_notes_on_its_map(name):
    exp = load(preset_path(name))
    assert 2 <= len(exp.notes) <= 4, name
    view = exp.surface.build().view
    steps = [n.step for n in exp.notes]
    assert len(set(steps)) == len(steps)  # one note per moment
    for n in exp.notes:
        assert 0 <= n.step <= exp.steps
        assert 20 <= len(n.text) <= 200, n.text  # a callout, not an essay
        if n.at is not None:  # a callout points at something on the map
            assert view[0] <= n.at[0] <= view[1] and view[2] <= n.at[1] <= view[3], n


def test_adagrad_note_pauses_at_the_first_jump_and_points_at_the_run():
    exp, sim = run_preset("adagrad-explodes")
    h = sim.history(0)
    u = sim.surface.across(h.theta)
    jumps = np.flatnonzero(np.abs(u[2001:]) > 0.5) + 2001
    first = int(jumps[0])
    note = note_at("adagrad-explodes", first)
    assert first == 6858 and note.pause and note.at is None  # points at the run, at the jump
    assert sim.history(0).sigma[first - 1, 1] < 0.08 * sim.surface.floor_curvature / 2
    second = int(jumps[jumps > first + 500][0])
    assert note_at("adagrad-explodes", second).step == 13747
    assert np.hypot(*h.theta[2000]) == pytest.approx(0.14, abs=0.005)  # "0.14" in its text


def test_crescent_notes_point_at_the_rmsprop_run_whose_sigma_just_fell():
    for label, step in (("RMSProp α=0.5", 11), ("RMSProp α=0.9", 47)):
        exp, sim = run_preset("crescent-rmsprop")
        s = sim.history([r.label for r in sim.runs].index(label)).sigma[:, 0]
        assert int(np.flatnonzero(s < 0.1 * s[0])[0]) == step
        note = note_at("crescent-rmsprop", step)
        assert note.pause and points_at(note, theta_of("crescent-rmsprop", label, step))


def test_saddle_notes_point_where_each_off_axis_run_leaves():
    for label, step in (("Momentum off the axis", 11), ("GD off the axis", 23)):
        exp, sim = run_preset("saddle-escape")
        th = sim.history([r.label for r in sim.runs].index(label)).theta
        assert int(np.flatnonzero(np.abs(th[:, 0]) > 0.5)[0]) == step
        assert points_at(note_at("saddle-escape", step), th[step])


def test_second_order_notes_at_the_steps_each_method_arrives():
    exp, sim = run_preset("second-order")
    m = sim.surface.minima[0].point
    for label, step in (("Newton", 1), ("QuickProp", 38), ("Rprop", 80)):
        th = sim.history([r.label for r in sim.runs].index(label)).theta
        assert int(np.argmax(np.linalg.norm(th - m, axis=1) < 1e-6)) == step
        assert points_at(note_at("second-order", step), th[step], tol=1e-5)


def test_warmup_and_stuck_notes_describe_their_first_step():
    note = note_at("warmup", 1)
    assert note.pause and points_at(note, theta_of("warmup", "Adam, no warm-up", 1))
    assert note.at[1] == pytest.approx(-0.25, abs=1e-3)  # "lands at θ₂ = −0.25"
    exp, sim = run_preset("stuck-large-gradient")
    u = sim.surface.across(sim.history(0).theta)
    assert round(u[0], 1) == 1.9 and round(u[1], 1) == -2.0  # "+1.9 to −2.0"
    assert note_at("stuck-large-gradient", 1).pause


def test_tiny_rate_note_at_the_step_the_floor_is_reached():
    exp, sim = run_preset("tiny-learning-rate")
    u = sim.surface.across(sim.history(0).theta)
    assert note_at("tiny-learning-rate", int(np.argmax(np.abs(u) < 0.25))).pause


@pytest.mark.parametrize("name", ["network-landscape", "network-batch-noise"])
def test_the_network_presets_have_notes_too(name):
    exp = load(preset_path(name))
    assert 2 <= len(exp.notes) <= 4
    assert all(20 <= len(n.text) <= 200 for n in exp.notes)


def test_network_landscape_notes_point_where_each_run_leaves_the_saddle():
    exp, sim = run_preset("network-landscape")
    assert points_at(note_at("network-landscape", 1), (0.0, 0.0))
    for label, step in (("Adam", 17), ("GD", 67)):
        th = sim.history([r.label for r in sim.runs].index(label)).theta
        assert int(np.argmax(np.linalg.norm(th, axis=1) > 0.05)) == step  # leaves here
        assert points_at(note_at("network-landscape", step), th[step])
    assert np.allclose(theta_of("network-landscape", "GD", 1500), (1, 0), atol=0.01)
    assert points_at(note_at("network-landscape", 1500), theta_of("network-landscape", "GD", 1500))


def test_network_batch_noise_notes_point_at_each_run_after_its_epochs():
    exp, sim = run_preset("network-batch-noise")
    full = sim.history(0)
    small = sim.history(1)
    assert len(full.loss) - 1 == 20 and full.loss[20] == pytest.approx(0.128, abs=0.0005)
    assert round(small.loss[25], 3) == 0.125 and small.loss[25] < full.loss[20]
    for step, th in ((20, full.theta[20]), (25, small.theta[25]), (500, small.theta[500])):
        assert points_at(note_at("network-batch-noise", step), th)
