"""The Stepper's speeds with a fake clock: Auto plays a whole run in about 12 s whatever the
frame time; a fixed speed stays fixed; a frame never passes a pausing note's step."""
import numpy as np
import pytest

from gui.playback import AUTO_BUDGET_S, MAX_AUTO_BUDGET_S, MAX_FRAME_GAP_S, Stepper
from gui.speed_control import AUTO, TARGET_S


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class FakeSim:
    """The part of Simulation the Stepper uses; each step costs ``cost`` fake seconds."""

    def __init__(self, clock, cost=0.0, stop_at=None):
        self.step, self.clock, self.cost, self.stop_at = 0, clock, cost, stop_at
        self.calls: list[int] = []

    @property
    def live(self):
        return np.array([self.stop_at is None or self.step < self.stop_at])

    def advance(self, k):
        k = k if self.stop_at is None else max(0, min(k, self.stop_at - self.step))
        self.step += k
        self.clock.t += k * self.cost
        self.calls.append(k)
        return k


def play(stepper, sim, clock, draw_s):
    """Frames as the window's timer runs them: advance, then ``draw_s`` seconds of drawing
    and waiting. Returns (seconds from Play to the end, steps per frame)."""
    stepper.start()
    t0, per_frame = clock.t, []
    while stepper.remaining(sim) > 0:
        clock.t += draw_s
        before = sim.step
        stepper.advance_frame(sim)
        per_frame.append(sim.step - before)
        assert len(per_frame) < 100_000
    return clock.t - t0, per_frame


@pytest.mark.parametrize("limit", [60, 3000, 100_000, 1_000_000])
@pytest.mark.parametrize("draw_s", [0.016, 0.05, 0.2])
def test_auto_plays_any_run_in_about_twelve_seconds(limit, draw_s):
    clock = FakeClock()
    stepper = Stepper(speed=AUTO, limit=limit, clock=clock)
    sim = FakeSim(clock)
    seconds, per_frame = play(stepper, sim, clock, draw_s)
    assert sim.step == limit
    assert seconds == pytest.approx(TARGET_S, abs=draw_s + 1e-9)
    if limit >= 100_000:  # slow frames take proportionally more steps each
        assert np.median(per_frame) == pytest.approx(limit / TARGET_S * draw_s, rel=0.01)


def test_auto_adapts_when_frames_slow_down_midway():
    clock = FakeClock()
    stepper = Stepper(speed=AUTO, limit=100_000, clock=clock)
    sim = FakeSim(clock)
    stepper.start()
    t0, sizes = clock.t, []
    while stepper.remaining(sim):
        clock.t += 0.016 if sim.step < 30_000 else 0.25  # the machine gets busy
        before = sim.step
        stepper.advance_frame(sim)
        sizes.append(sim.step - before)
    assert clock.t - t0 == pytest.approx(TARGET_S, abs=0.25)
    assert max(sizes) >= 15 * min(s for s in sizes if s)  # 0.25/0.016 ≈ 15.6 times more


def test_auto_counts_the_stepping_time_too():
    # each step costs 2 µs: 100,000 steps are 0.2 s of work in all, inside the 12 s
    clock = FakeClock()
    stepper = Stepper(speed=AUTO, limit=100_000, clock=clock)
    sim = FakeSim(clock, cost=2e-6)
    seconds, _ = play(stepper, sim, clock, 0.016)
    assert seconds == pytest.approx(TARGET_S, abs=0.05)


@pytest.mark.parametrize("draw_s, budget", [(0.016, AUTO_BUDGET_S), (0.06, 0.06),
                                             (0.4, MAX_AUTO_BUDGET_S)])
def test_auto_stepping_stays_within_its_budget(draw_s, budget):
    # 10,000,000 steps at 20 µs each cannot be done in 12 s: each frame stops at its budget,
    # half the time between frames (slow frames owe more steps), within 30 to 100 ms; as
    # that time includes the stepping, it settles where stepping takes as long as drawing
    clock = FakeClock()
    stepper = Stepper(speed=AUTO, limit=10_000_000, clock=clock)
    sim = FakeSim(clock, cost=2e-5)
    stepper.start()
    spent = []
    for _ in range(20):
        clock.t += draw_s
        t, before = clock.t, sim.step
        stepper.advance_frame(sim)
        assert sim.step > before
        spent.append(clock.t - t)
    assert max(spent) <= budget + 2e-5 * 2
    assert spent[-1] == pytest.approx(budget, abs=1e-4)


def test_auto_counts_a_stall_as_half_a_second_at_most():
    # a 5 s stall (say, the machine froze) must not make the next frame jump 5 s ahead
    clock = FakeClock()
    stepper = Stepper(speed=AUTO, limit=120_000, clock=clock)
    sim = FakeSim(clock)
    stepper.start()
    clock.t += 5.0
    stepper.advance_frame(sim)
    assert sim.step == round(120_000 / TARGET_S * MAX_FRAME_GAP_S)


def test_auto_short_run_takes_a_step_every_few_frames():
    clock = FakeClock()
    stepper = Stepper(speed=AUTO, limit=60, clock=clock)  # 5 steps per second
    sim = FakeSim(clock)
    seconds, per_frame = play(stepper, sim, clock, 0.016)
    assert set(per_frame) == {0, 1}
    assert seconds == pytest.approx(12.0, abs=0.02)


@pytest.mark.parametrize("draw_s", [0.001, 0.016, 0.5])
def test_a_fixed_speed_stays_fixed_whatever_the_frame_time(draw_s):
    clock = FakeClock()
    stepper = Stepper(speed=100, limit=1000, clock=clock)
    sim = FakeSim(clock)
    _, per_frame = play(stepper, sim, clock, draw_s)
    assert per_frame == [100] * 10


def test_a_frame_ends_exactly_on_each_pausing_note():
    for speed in (AUTO, 7, 1000):
        clock = FakeClock()
        stepper = Stepper(speed=speed, limit=3000, clock=clock)
        stepper.stops = (50, 51, 1234)
        sim = FakeSim(clock)
        reached = []
        stepper.start()
        while stepper.remaining(sim):
            clock.t += 0.05
            stepper.advance_frame(sim)
            if stepper.at_stop(sim):
                reached.append(sim.step)
                stepper.start()  # the window pauses here; Play starts again
        assert reached == [50, 51, 1234], speed
        assert sim.step == 3000
