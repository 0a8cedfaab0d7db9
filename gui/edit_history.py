"""Edits, undo and redo of the main window's experiment.

Every edit goes through ``_set_exp``: it is recorded in a ``gui.undo.UndoStack`` and the race
is restarted, restyled or replayed as ``gui.undo.change_kind`` says. Undo and redo put a
snapshot back into the editors (which show the restored values) the same way.

A half-typed, invalid field pauses the race (nothing can run); the window keeps that
simulation in ``_parked_sim`` and the edit that makes the field valid again continues it
when the change allows.

A mixin of ``MainWindow``: it uses ``_exp``, ``_sim``, ``_parked_sim``, ``_problem``,
``_shown``, ``_loading``, ``undo_stack``, ``undo_action``/``redo_action``, ``run_editor``,
``surface_panel``, ``playback``, ``stepper``, ``is_playing``, ``play``, ``redraw``,
``_rebuild``, ``_style_runs``, ``runsRestyled``, ``_show_description`` and ``_changed``.
"""
from __future__ import annotations

from dataclasses import replace

from engine.experiment import Experiment
from gui.replay import replay_to
from gui.undo import change_kind


class EditHistory:
    """Apply edits, undo and redo them (mixed into ``MainWindow``)."""

    def _show_experiment(self, exp: Experiment, keep_place: bool = True) -> None:
        """Put ``exp`` into the editors without emitting edits; ``keep_place``: the run
        editor stays on the same run and selection (undo), else shows the first run."""
        self._loading = True
        try:
            self._exp = exp
            self.run_editor.set_runs(exp.runs, keep_current=keep_place)
            self.surface_panel.set_config(exp.surface, exp.batch_size, exp.seed)
            self.playback.set_limit(exp.steps)
            self.stepper.limit = exp.steps
        finally:
            self._loading = False

    def _set_exp(self, exp: Experiment, rebuild: bool = True) -> None:
        """Make ``exp`` (an edit of the current experiment) current: record it for undo and
        restart, restyle or replay the race as the change requires."""
        old = self._exp
        self._exp = exp
        self.undo_stack.record(exp)
        self._update_undo_actions()
        if rebuild:
            self._refresh_race(old, exp)
        self._changed()

    def _refresh_race(self, old: Experiment, new: Experiment) -> None:
        parked, self._parked_sim = self._parked_sim, None
        sim = self._sim if self._sim is not None else parked
        kind = change_kind(old, new) if sim is not None else "restart"
        if self._sim is None and kind != "restart":
            # back from a half-typed, invalid edit: the race it paused goes on
            self._sim, self._problem = sim, ""
            self.playback.set_runnable(True)
            self.statusBar().clearMessage()
            kind = "style" if kind == "none" else kind
        if kind == "restart":
            self._rebuild()
        elif kind == "style" or (kind == "relabel" and self._relabel_simulation(new)):
            self._style_runs(restyle=True)
            self.runsRestyled.emit()
            self.redraw()
        elif kind in ("runs", "relabel"):
            playing, reached, shown = self.is_playing, self._sim.step, self._shown
            self._rebuild()
            if self._sim is not None and reached:
                replay_to(self._sim, reached, self)
                self._shown = shown if shown is not None and shown < self._sim.step else None
                self.redraw()
                if playing:
                    self.play()
        else:
            self.redraw()

    def _relabel_simulation(self, exp: Experiment) -> bool:
        """Give the simulated runs ``exp``'s labels (they do not affect a step); False when
        the simulation does not allow it (then it is rebuilt and replayed)."""
        labels = [r.label for r in exp.runs if r.enabled]
        try:
            self._sim.runs = tuple(replace(spec, label=label)
                                   for spec, label in zip(self._sim.runs, labels))
        except (AttributeError, TypeError):
            return False
        return True

    def undo(self) -> None:
        """Back to the experiment before the last edit (Ctrl+Z)."""
        self._go_to_snapshot(self.undo_stack.undo(), "Nothing to undo")

    def redo(self) -> None:
        """Re-apply the edit just undone (Ctrl+Shift+Z)."""
        self._go_to_snapshot(self.undo_stack.redo(), "Nothing to redo")

    def _go_to_snapshot(self, exp: Experiment | None, nothing: str) -> None:
        if exp is None:
            self.statusBar().showMessage(nothing, 3000)
            return
        old = self._exp
        self._show_experiment(exp)
        self._refresh_race(old, exp)
        self._show_description()
        self._update_undo_actions()
        self._changed()

    def _update_undo_actions(self) -> None:
        if hasattr(self, "undo_action"):
            for act, verb, what in ((self.undo_action, "&Undo", self.undo_stack.undo_text()),
                                    (self.redo_action, "&Redo", self.undo_stack.redo_text())):
                act.setEnabled(bool(what))
                act.setText(f"{verb} {what.replace('&', '&&')}" if what else verb)
