"""Playback of the main window: play, pause, step, reset, the timeline, the frame timer.

A mixin of ``MainWindow``: it uses ``_sim``, ``stepper``, ``timer``, ``playback``, ``_shown``,
``_exp``, ``redraw``, ``_rebuild``, ``_set_exp`` and ``_explain_block``.
"""
from __future__ import annotations

from dataclasses import replace


class PlaybackControl:
    """Play, pause, step and scrub (mixed into ``MainWindow``)."""

    @property
    def is_playing(self) -> bool:
        return self.timer.isActive()

    def play(self) -> None:
        if self._sim is None:
            self._explain_block()
            return
        if self.stepper.remaining(self._sim) == 0:
            self.statusBar().showMessage(
                "Finished: every run stopped" if not self._sim.live.any() else
                f"Reached the step limit ({self.stepper.limit:,}); raise 'Stop at step' to go on",
                5000)
            return
        self._shown = None
        self.stepper.start()  # the Auto speed measures frame times from here
        self.timer.start()
        self.playback.set_playing(True)

    def pause(self) -> None:
        was_playing = self.timer.isActive()
        self.timer.stop()
        self.playback.set_playing(False)
        if was_playing:
            self.redraw()  # exact curves once playback stops

    def toggle_play(self) -> None:
        self.pause() if self.is_playing else self.play()

    def step_once(self) -> None:
        """Advance every live run by exactly one step (pauses playback)."""
        self.pause()
        if self._sim is None:
            self._explain_block()
            return
        from gui import playback

        if self._sim.step >= playback.MAX_STEPS:  # the step limit cannot grow past it
            self.statusBar().showMessage(f"The app plays at most {playback.MAX_STEPS:,} steps: "
                                         "this is the last one", 5000)
        elif self._sim.live.any():
            self._sim.advance(1)
            if self._sim.step > self.stepper.limit:
                self.stepper.limit = self._sim.step
                self.playback.set_limit(self._sim.step)
                self._set_exp(replace(self._exp, steps=self._sim.step), rebuild=False)
        self._shown = None
        self.redraw()

    def reset(self) -> None:
        """Back to step 0 (keeps playing if it was)."""
        playing = self.is_playing
        self._rebuild()
        if playing:
            self.play()

    def show_step(self, step: int) -> None:
        """Show the recorded state at ``step`` (the timeline); the newest step means live."""
        if self._sim is None:
            return
        self._shown = None if step >= self._sim.step else max(0, int(step))
        if self._shown is not None:
            self.pause()
        self.redraw()

    def shown_step(self) -> int:
        if self._sim is None:
            return 0
        return self._sim.step if self._shown is None else self._shown

    def _on_frame(self) -> None:
        sim = self._sim
        if sim is None:
            self.pause()
            return
        try:
            done = self.stepper.advance_frame(sim)
        except MemoryError:  # the record of every step no longer fits: stop, keep what ran
            self.pause()
            self.statusBar().showMessage(f"Stopped at step {sim.step:,}: not enough memory to "
                                         "record more steps. Lower the step limit.")
            self.redraw()
            return
        self.redraw()
        if done and self.stepper.at_stop(sim):  # a note that pauses playback at its step
            self.pause()
            self.statusBar().showMessage(f"Paused at step {sim.step:,} for the note on the "
                                         "map: press Space to go on", 8000)
        elif self.stepper.remaining(sim) == 0:
            self.pause()

    def _on_speed(self, speed: int) -> None:
        self.stepper.speed = speed

    def _on_limit(self, steps: int) -> None:
        from engine.limits import check_record_memory

        try:  # a limit whose record would not fit in memory is refused before any step
            check_record_memory(max(self._sim.n if self._sim is not None else 1, 1), steps)
        except ValueError as exc:
            self.statusBar().showMessage(f"Step limit not changed: {exc}", 10000)
            self.playback.set_limit(self._exp.steps)
            return
        self.stepper.limit = steps
        if steps != self._exp.steps:
            notes = tuple(n for n in self._exp.notes if n.step <= steps)
            if len(notes) < len(self._exp.notes):  # a saved file keeps notes within its steps
                self.statusBar().showMessage(
                    f"Removed {len(self._exp.notes) - len(notes)} note(s) after step "
                    f"{steps:,}", 8000)
            self._set_exp(replace(self._exp, steps=steps, notes=notes), rebuild=False)
        self.redraw()
