"""The Lecture menu: every experiment of the lecture as a built-in preset, one click away.
Loading one shows its text (what to watch and why) in the "About this experiment" panel."""
from __future__ import annotations

from engine.experiment import ExperimentError, load
from engine.presets import preset_names, preset_path, preset_title


def install_lecture_menu(win) -> None:
    """Add the Lecture menu to MainWindow ``win``."""
    menu = win.add_menu("&Lecture")
    menu.setToolTipsVisible(True)
    win.lecture_actions = {}
    for name in preset_names():
        act = menu.addAction(preset_title(name))
        act.setToolTip(f"Load the lecture preset '{name}' (also: main.py run --preset {name})")
        act.setStatusTip(f"preset {name}")
        act.triggered.connect(lambda checked=False, n=name: load_preset(win, n))
        win.lecture_actions[name] = act


def load_preset(win, name: str) -> bool:
    """Load preset ``name`` into ``win`` (asking first if there are unsaved changes). It opens
    untitled, so Save asks where to put a copy and the built-in file stays as shipped."""
    if not win.confirm_discard():
        return False
    try:
        exp = load(preset_path(name))
    except ExperimentError as exc:
        win.dialogs.error(win, "Cannot load preset", str(exc))
        return False
    win.load_experiment(exp, path=None, clean=True)
    win.about_dock.raise_()
    win.statusBar().showMessage(f"Loaded the lecture preset '{name}': read what to watch in "
                                "'About this experiment', then press Space to play.", 8000)
    return True
