"""File menu actions of the main window: new, open, save, save as, the unsaved-changes prompt.

A mixin of ``MainWindow``: it uses the window's ``_exp``, ``_path``, ``_saved_text``,
``dialogs``, ``load_experiment`` and ``_changed``.
"""
from __future__ import annotations

from pathlib import Path

from engine.experiment import Experiment, ExperimentError, RunConfig, SurfaceConfig
from engine.experiment import load as load_experiment_file
from engine.experiment import save as save_experiment_file
from engine.optimizers import OPTIMIZERS

TOML_FILTER = "Experiment files (*.toml);;All files (*)"
#: the largest seed the app's seed box holds (a signed 32-bit integer)
MAX_GUI_SEED = 2**31 - 1


def check_fits_the_app(exp: Experiment) -> None:
    """Raise ExperimentError (one line naming the key) when ``exp`` asks for more than the
    app can show: more steps than the playback bar's limit, a seed beyond the seed box."""
    from gui.playback import MAX_STEPS

    if exp.steps > MAX_STEPS:
        raise ExperimentError(f"{exp.steps:,} is more than the app can play (at most "
                              f"{MAX_STEPS:,}); lower it", "steps")
    if exp.seed > MAX_GUI_SEED:
        raise ExperimentError(f"{exp.seed:,} is larger than the app's seed box holds (at most "
                              f"{MAX_GUI_SEED:,})", "seed")


def default_experiment() -> Experiment:
    """Rosenbrock's crescent with the four classic optimizers racing from its default start."""
    def run(label, opt, **hyper):
        spec = OPTIMIZERS[opt]
        return RunConfig(label, opt, spec.resolve(hyper))

    return Experiment(
        surface=SurfaceConfig("rosenbrock"),
        runs=(run("GD", "gd", lr=0.001), run("Momentum", "momentum", lr=0.0005, momentum=0.9),
              run("Adam", "adam", lr=0.05), run("RMSProp", "rmsprop", lr=0.01)),
        steps=3000, title="Four optimizers on Rosenbrock's crescent",
        description="Plain gradient descent, momentum, RMSProp and Adam start from the same "
                    "point. Watch how each one handles the steep walls and the flat floor of "
                    "the curved valley. Click anywhere on the map to start all runs from there.")


class FileActions:
    """Open, save and discard experiments (mixed into ``MainWindow``)."""

    def open_file(self, path: str | Path) -> bool:
        """Load an experiment file (no unsaved-changes prompt); errors go to a dialog."""
        try:
            exp = load_experiment_file(path)
            check_fits_the_app(exp)
        except ExperimentError as exc:  # the window keeps the experiment it shows
            self.dialogs.error(self, "Cannot open experiment", str(exc.located(str(path))))
            return False
        self.load_experiment(exp, Path(path).resolve())
        return True

    def new_experiment(self) -> None:
        if self.confirm_discard():
            self.load_experiment(default_experiment(), None, clean=True)

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        path = self.dialogs.open_path(self, "Open experiment", TOML_FILTER)
        if path:
            from gui.opening import open_in_background
            open_in_background(self, path)  # its surface is prepared off the GUI thread

    def save(self) -> bool:
        """Save to the current file (asks for one when there is none)."""
        if self._path is None:
            return self.save_as()
        return self.save_to(self._path)

    def save_as(self) -> bool:
        suggested = str(self._path or Path.home() / f"{self._suggested_stem()}.toml")
        path = self.dialogs.save_path(self, "Save experiment", suggested, TOML_FILTER)
        if not path:
            return False
        if not path.lower().endswith(".toml"):
            path += ".toml"
        return self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        try:
            save_experiment_file(self._exp, path)
        except OSError as exc:
            self.dialogs.error(self, "Cannot save", f"Cannot write {path}: {exc.strerror or exc}")
            return False
        self._path = Path(path).resolve()
        self._saved_text = self._exp.to_toml()
        self._add_recent(str(self._path))
        self._changed()
        self.statusBar().showMessage(f"Saved {self._path}", 5000)
        return True

    def confirm_discard(self) -> bool:
        """True when the current experiment may be replaced (saved, discarded or clean)."""
        if not self.is_dirty():
            return True
        ans = self.dialogs.ask_unsaved(self, f"“{self._title()}”")
        if ans == "save":
            return self.save()
        return ans == "discard"
