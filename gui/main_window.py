"""The main window: map, plots, run editor, surface chooser, playback, menus.

The window owns one ``Experiment`` (immutable; every edit makes a new one, recorded for
undo in ``gui.undo``) and the ``Simulation`` built from it. An edit restarts the race only
when it changes a trajectory (a hyperparameter, a start, the surface): a colour only
restyles, and ticking, unticking, adding or removing a run replays the others to the step
they had reached (``gui.replay``). A GUI-thread QTimer advances the simulation within a
frame budget and redraws what it recorded.

Its concerns live in mixins beside it: ``gui.file_actions`` (new/open/save),
``gui.exports`` (CSV and images), ``gui.playback_control`` (play, step, scrub) and
``gui.session`` (autosave, recent files), ``gui.edit_history`` (edits, undo, redo) and
``gui.about_text`` (the About panel); the dialogs in ``gui.dialogs`` and the Help texts
in ``gui.help_texts``.

Extension points for other features (a Lecture menu, analysis tools):
``load_experiment(exp, path=None)``, ``experiment()``, ``simulation()``, ``add_menu(title)``,
``add_dock(widget, title)``, ``add_tab(widget, title)``, ``add_lazy_tab(build, title)`` (a
tab built when first shown or asked for: start-up builds only what the first screen shows),
``map_view.add_overlay(item)`` / ``map_view.pointRequested``, and the signals
``experimentLoaded``, ``simulationRebuilt``, ``runsRestyled`` (colours only),
``frameDrawn(step)``, ``tabBuilt(widget)`` (a lazy tab's widget was just built).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QLabel, QMainWindow, QMenu, QSplitter, QTabWidget,
                               QTextBrowser, QVBoxLayout, QWidget)

from engine.experiment import Experiment, ExperimentError
from engine.optimizers import OPTIMIZERS
from gui.about_text import AboutText, surface_name
from gui.colors import run_color
from gui.dialogs import APP_NAME, Dialogs
from gui.edit_history import EditHistory
from gui.exports import Exports
from gui.file_actions import FileActions, check_fits_the_app, default_experiment
from gui.help_texts import READING_HTML, SHORTCUTS_HTML, text_to_html
from gui.lazy_tab import LazyTab
from gui.map_view import MapView
from gui.playback import PlaybackBar, Stepper
from gui.playback_control import PlaybackControl
from gui.plots import RunPlots, RunStyle
from gui.speed_control import AUTO
from gui.session import Session, config_dir_default
from gui.undo import UndoStack

FRAME_MS = 16

__all__ = ["MainWindow", "default_experiment", "Dialogs", "config_dir_default", "text_to_html",
           "APP_NAME"]


class MainWindow(FileActions, Exports, PlaybackControl, Session, EditHistory, AboutText,
                 QMainWindow):
    """Descent Lab's main window. ``config_dir`` holds the autosave and the session (recent
    files); ``dialogs`` supplies file pickers and message boxes; ``run_editor`` and
    ``surface_panel`` may be given (default: the real widgets)."""

    experimentLoaded = Signal()
    simulationRebuilt = Signal()
    runsRestyled = Signal()  # run colours changed; the simulation and its steps are kept
    frameDrawn = Signal(int)
    tabBuilt = Signal(QWidget)  # a tab of add_lazy_tab has just built its widget

    def __init__(self, config_dir: str | Path | None = None, dialogs: Dialogs | None = None,
                 run_editor: QWidget | None = None, surface_panel: QWidget | None = None,
                 autosave: bool = True):
        super().__init__()
        self.config_dir = Path(config_dir) if config_dir is not None else config_dir_default()
        self.dialogs = dialogs or Dialogs()
        self.autosave_enabled = autosave
        self._exp = default_experiment()
        self._path: Path | None = None
        self._saved_text: str | None = self._exp.to_toml()
        self._autosaved_text = ""
        self._recent: list[str] = []
        self._sim = None
        self._parked_sim = None  # the race paused by an invalid field
        self._sim_runs: list[int] = []  # simulated run -> index in the experiment's runs
        self._surface_cfg_drawn = None
        self._problem = ""
        self._shown: int | None = None  # scrubbed step; None = newest
        self._loading = False
        self._set_aside: tuple | None = None  # (surface, title, description) of an old surface
        self.undo_stack = UndoStack()
        self.startup_notes: list[str] = []  # what start-up ignored (shown in the status bar)
        self.stepper = Stepper(limit=self._exp.steps)
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._on_frame)

        if run_editor is None:
            from gui.run_editor import RunEditor
            run_editor = RunEditor()
        if surface_panel is None:
            from gui.surface_panel import SurfacePanel
            surface_panel = SurfacePanel()
        self.run_editor = run_editor
        self.surface_panel = surface_panel
        self.map_view = MapView()
        self.plots = RunPlots()
        self.playback = PlaybackBar()
        self.description = QTextBrowser()
        self.description.setOpenExternalLinks(True)
        self._build_layout()
        self._build_menus()
        self._connect()
        self._load_session()
        from gui.extensions import install_extensions

        install_extensions(self)

    # ================================================================== layout
    def _build_layout(self) -> None:
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.plots, "Plots")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.map_view)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setSizes([560, 440])  # the map gets the larger share from the start
        self.splitter.setChildrenCollapsible(False)
        self.map_view.setMinimumWidth(320)
        self.tabs.setMinimumWidth(300)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.splitter, 1)
        lay.addWidget(self.playback)
        self.setCentralWidget(central)

        self.runs_dock = self.add_dock(self.run_editor, "Runs", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.surface_dock = self.add_dock(self.surface_panel, "Surface",
                                          Qt.DockWidgetArea.LeftDockWidgetArea)
        self.about_dock = self.add_dock(self.description, "About this experiment",
                                        Qt.DockWidgetArea.LeftDockWidgetArea)
        self.splitDockWidget(self.surface_dock, self.runs_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.surface_dock, self.about_dock)
        self.surface_dock.raise_()
        self.resizeDocks([self.surface_dock], [360], Qt.Orientation.Horizontal)

        self.coords_label = QLabel("")
        self.coords_label.setMinimumWidth(self.coords_label.fontMetrics().horizontalAdvance(
            "θ₁ = -0.000000  θ₂ = -0.000000  loss = -0.000000e+00") + 8)
        self.statusBar().addPermanentWidget(self.coords_label)

    def add_dock(self, widget: QWidget, title: str,
                 area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Put ``widget`` in a dock titled ``title`` (listed in the View menu)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        if hasattr(self, "view_menu"):
            self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab beside the plots (analysis views); returns its index."""
        return self.tabs.addTab(widget, title)

    def add_lazy_tab(self, build: Callable[[], QWidget], title: str,
                     ready: Callable[[QWidget], None] | None = None) -> LazyTab:
        """A tab beside the plots whose widget ``build()`` makes when the tab is first shown
        or its ``content()`` asked for; ``tabBuilt(widget)`` (the zoom applies to it), then
        ``ready(widget)`` (brings it up to date) follow. Returns the page
        (``tabs.indexOf(page)``: its index)."""
        page = LazyTab(build, ready)
        page.built.connect(self.tabBuilt)
        self.tabs.addTab(page, title)
        return page

    def add_menu(self, title: str) -> QMenu:
        """A top-level menu placed before Help (e.g. "Lecture"); returns the existing one if
        a menu with that title is already there."""
        key = title.replace("&", "")
        if key in self._extra_menus:
            return self._extra_menus[key]
        menu = QMenu(title, self)
        self.menuBar().insertMenu(self.help_menu.menuAction(), menu)
        self._extra_menus[key] = menu
        return menu

    # ================================================================== menus
    def _action(self, menu: QMenu, text: str, slot: Callable, shortcut=None,
                tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(lambda checked=False: slot())
        menu.addAction(act)
        self.addAction(act)  # shortcuts work wherever the focus is
        return act

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._extra_menus: dict[str, QMenu] = {}
        f = self.file_menu = bar.addMenu("&File")
        self._action(f, "&New", self.new_experiment, QKeySequence.StandardKey.New)
        self._action(f, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = f.addMenu("Open &Recent")
        self._action(f, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._action(f, "Save &As…", self.save_as, QKeySequence("Ctrl+Shift+S"))
        f.addSeparator()
        self._action(f, "Export trajectories as &CSV…", self.export_csv_dialog,
                     tip="One CSV with every run, the same as 'main.py run --csv'")
        self._action(f, "Export trajectories, one CSV per run…", self.export_csv_per_run_dialog)
        self._action(f, "Export &map image (PNG/SVG)…", lambda: self.export_image_dialog("map"))
        self._action(f, "Export &window image (PNG/SVG)…",
                     lambda: self.export_image_dialog("window"))
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        e = bar.addMenu("&Edit")
        self.undo_action = self._action(e, "&Undo", self.undo, QKeySequence.StandardKey.Undo,
                                        tip="Undo the last change to the experiment")
        self.redo_action = self._action(e, "&Redo", self.redo, QKeySequence("Ctrl+Shift+Z"),
                                        tip="Redo the change just undone")
        self._update_undo_actions()

        r = bar.addMenu("&Run")
        self.play_action = self._action(r, "Play / Pause", self.toggle_play, Qt.Key.Key_Space)
        self.step_action = self._action(r, "Step", self.step_once, Qt.Key.Key_Right)
        self.reset_action = self._action(r, "Reset", self.reset, Qt.Key.Key_R)

        self.view_menu = bar.addMenu("&View")
        for dock in (self.runs_dock, self.surface_dock, self.about_dock):
            self.view_menu.addAction(dock.toggleViewAction())

        self.help_menu = bar.addMenu("&Help")
        self._action(self.help_menu, "&Keyboard shortcuts",
                     lambda: self.dialogs.info(self, "Keyboard shortcuts", SHORTCUTS_HTML))
        self._action(self.help_menu, "&How to read σ and the effective rate",
                     lambda: self.dialogs.info(self, "How to read this", READING_HTML))

    def _connect(self) -> None:
        self.run_editor.runsChanged.connect(self._on_runs_edited)
        self.surface_panel.surfaceChanged.connect(self._on_surface_edited)
        pb = self.playback
        pb.playClicked.connect(self.toggle_play)
        pb.stepClicked.connect(self.step_once)
        pb.resetClicked.connect(self.reset)
        pb.speedChanged.connect(self._on_speed)
        pb.limitChanged.connect(self._on_limit)
        pb.timelineMoved.connect(self.show_step)
        self.map_view.startRequested.connect(self._on_map_click)
        self.map_view.startDragged.connect(self._on_start_dragged)
        self.map_view.hovered.connect(self._on_hover)
        self.map_view.minimaChanged.connect(self.plots.set_known_minimum)

    # ================================================================== public API
    def experiment(self) -> Experiment:
        """The current experiment (the last valid state of every field)."""
        return self._exp

    def simulation(self):
        """The current engine Simulation, or None when nothing can run."""
        return self._sim

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def problem(self) -> str:
        """Why nothing can run ('' when the experiment is runnable)."""
        return self._problem

    def is_dirty(self) -> bool:
        return self._saved_text is None or self._exp.to_toml() != self._saved_text

    def load_experiment(self, exp: Experiment, path: str | Path | None = None,
                        clean: bool = True) -> None:
        """Show ``exp`` (from ``path`` if given) and restart from step 0. ``clean``: the
        experiment counts as saved (False for an unsaved one, e.g. a modified preset).
        Raises ExperimentError (and keeps the current experiment) when ``exp`` asks for more
        than the app can show."""
        check_fits_the_app(exp)
        from gui.surface_worker import build_in_worker, needs_worker

        if needs_worker(exp.surface):  # mlp-plane: train its network off the GUI thread first
            self.pause()
            build_in_worker(self, exp.surface, lambda ok, msg: (
                self.load_experiment(exp, path, clean) if ok
                else self.dialogs.error(self, "Cannot open experiment", msg)))
            return
        self.pause()
        self._path = Path(path) if path is not None else None
        self._saved_text = exp.to_toml() if clean else None
        self._set_aside = None
        self._show_experiment(exp, keep_place=False)
        self.undo_stack.reset(exp)
        self._update_undo_actions()
        self.playback.set_speed(AUTO)  # the whole run plays in about 12 seconds
        self._show_description(raise_dock=True)
        self._surface_cfg_drawn = None
        self._rebuild()
        if self._path is not None:
            self._add_recent(str(self._path))
        self._changed()
        self.experimentLoaded.emit()

    # ================================================================== internals
    def _title(self) -> str:
        return self._exp.title or (self._path.stem if self._path else
                                   f"untitled, on {surface_name(self._exp.surface)}")

    def _suggested_stem(self) -> str:
        stem = self._path.stem if self._path else (self._exp.title or "experiment")
        return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem).strip("-") or "experiment"

    def _changed(self) -> None:
        """After any change: window title, autosave. The title ends with the app's name, so
        the platform (which appends the application display name) does not repeat it."""
        self.setWindowTitle(f"{self._title()}[*] — {APP_NAME}")
        self.setWindowModified(self.is_dirty())
        self._autosave()

    def _rebuild(self) -> None:
        """New simulation from the current experiment, at step 0 (a surface that is slow to
        build is built in the background first)."""
        self.pause()
        if self._build_surface_first():
            return
        self._shown = None
        self._parked_sim = None
        problems = []
        editor_errors = list(self.run_editor.errors())
        if editor_errors:
            problems += editor_errors
        surface = None
        try:
            surface = self._exp.surface.build()
        except ExperimentError as exc:
            problems.append(str(exc))
        if surface is not None and self._surface_cfg_drawn != (self._exp.surface,):
            try:
                self.map_view.set_surface(surface)
                self._surface_cfg_drawn = (self._exp.surface,)
            except Exception as exc:  # a surface that cannot be drawn must not kill the app
                problems.append(f"cannot draw this surface: {exc}")
        sim = None
        if not problems and surface is not None:
            try:
                sim = self._exp.simulation(surface)
            except (ExperimentError, ValueError) as exc:
                problems.append(str(exc))
        self._sim = sim
        self._problem = "; ".join(problems)
        self._sim_runs = [i for i, r in enumerate(self._exp.runs) if r.enabled]
        if sim is not None:
            self._style_runs()
            self.statusBar().clearMessage()
        else:
            self.map_view.set_runs([], [], [])
            self.plots.set_runs([])
            self._explain_block()
        self.playback.set_runnable(sim is not None)
        self.simulationRebuilt.emit()
        self.redraw()

    def _style_runs(self, restyle: bool = False) -> None:
        """Draw the simulated runs in their colours (the recorded steps are kept).
        ``restyle``: the same runs, drawn already, get new colours or labels."""
        sim = self._sim
        colors = self._colors()
        self.map_view.set_runs([r.label for r in sim.runs], colors, [r.start for r in sim.runs],
                               same_paths=restyle)
        styles = [RunStyle(r.label, c, OPTIMIZERS[r.optimizer].has_sigma,
                           OPTIMIZERS[r.optimizer].has_lr,
                           OPTIMIZERS[r.optimizer].eff in ("adaptive", "delta"))
                  for r, c in zip(sim.runs, colors)]
        if not (restyle and self.plots.restyle(styles)):
            self.plots.set_runs(styles)

    def _build_surface_first(self) -> bool:
        """True when the experiment's surface (mlp-plane) is being built in the background;
        ``_rebuild`` follows when it is ready."""
        from gui.surface_worker import build_in_worker, needs_worker

        cfg = self._exp.surface
        if not needs_worker(cfg):
            return False

        def done(ok: bool, message: str) -> None:
            if self._exp.surface != cfg:
                return  # the surface changed meanwhile
            if ok:
                self._rebuild()
                return
            self._sim, self._problem = None, message
            self.playback.set_runnable(False)
            self._explain_block()
            self.simulationRebuilt.emit()
            self.redraw()

        build_in_worker(self, cfg, done)
        return True

    def _colors(self) -> list[str]:
        return [run_color(i, self._exp.runs[i].color) for i in self._sim_runs]

    def _explain_block(self) -> None:
        if self._problem:
            self.statusBar().showMessage(f"Cannot run: {self._problem}")

    def redraw(self) -> None:
        """Draw the recorded history up to the shown step (map, plots, playback bar)."""
        sim = self._sim
        if sim is None:
            self.playback.set_position(0, 0, self.stepper.limit)
            self.playback.set_status([], [], [], self._problem)
            return
        upto = self._shown
        hist = [sim.history(i) for i in range(sim.n)]
        self.map_view.update_frame([h.theta for h in hist], upto)
        self.plots.update_frame(hist, upto, exact=not self.is_playing)
        self.playback.set_position(self.shown_step(), sim.step, self.stepper.limit,
                                   live=self.is_playing)
        self.playback.set_status([r.label for r in sim.runs], self._colors(),
                                 [sim.status_text(i) for i in range(sim.n)])
        self.frameDrawn.emit(self.shown_step())

    def _on_runs_edited(self) -> None:
        if self._loading:
            return
        errors = list(self.run_editor.errors())
        if errors:  # keep the last valid experiment; nothing runs until fixed
            self.pause()
            if self._sim is not None:  # kept aside: fixing the field continues the race
                self._parked_sim = self._sim
            self._sim = None
            self._problem = "; ".join(errors)
            self.map_view.set_runs([], [], [])
            self.plots.set_runs([])
            self.playback.set_runnable(False)
            self._explain_block()
            self.redraw()
            return
        self._set_exp(self._exp.with_runs(self.run_editor.runs()))

    def _on_surface_edited(self) -> None:
        if self._loading:
            return
        err = self.surface_panel.error()
        if err:  # the experiment keeps its last valid surface; the panel shows the problem
            self.statusBar().showMessage(f"Surface not changed: {err}")
            return
        new = replace(self._exp, surface=self.surface_panel.config(),
                      batch_size=self.surface_panel.batch_size(), seed=self.surface_panel.seed())
        self._set_exp(self._texts_for_surface(self._exp, new))
        self._show_description()  # never raised: the user is editing the surface

    def _target_runs(self) -> list[int]:
        sel = list(self.run_editor.selected_indices())
        return sel if sel else list(range(len(self._exp.runs)))

    def _on_map_click(self, x: float, y: float) -> None:
        self.run_editor.set_start(self._target_runs(), (x, y))  # emits runsChanged: rebuild
        if self._sim is not None:
            self.play()  # click-to-start: the race begins from the clicked point

    def _on_start_dragged(self, sim_index: int, x: float, y: float) -> None:
        """A start marker was dropped: every run that started there moves with it (only the
        selected ones among them, when some of them are selected)."""
        if self._sim is None or not 0 <= sim_index < len(self._sim_runs):
            return
        runs = self._sim.runs
        here = tuple(runs[sim_index].start)
        moved = [self._sim_runs[k] for k, r in enumerate(runs) if tuple(r.start) == here]
        selected = [i for i in moved if i in set(self.run_editor.selected_indices())]
        self.run_editor.set_start(selected or moved, (x, y))

    def _on_hover(self, x: float, y: float, loss: float) -> None:
        names = ("θ₁", "θ₂")
        if self._sim is not None:
            names = self._sim.surface.axis_names
        self.coords_label.setText(f"{names[0]} = {x:.4g}  {names[1]} = {y:.4g}  loss = {loss:.4g}")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt)
        self.pause()
        self._autosave()  # the next start restores this experiment: nothing is lost
        super().closeEvent(event)

