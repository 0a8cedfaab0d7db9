"""The main window: map, plots, run editor, surface chooser, playback, menus.

The window owns one ``Experiment`` (immutable; every edit makes a new one) and the
``Simulation`` built from it. Any change to the surface or the runs rebuilds the simulation
and starts again from step 0. A GUI-thread QTimer advances the simulation within a frame
budget and redraws what it recorded.

Extension points for other features (a Lecture menu, analysis tools):
``load_experiment(exp, path=None)``, ``experiment()``, ``simulation()``, ``add_menu(title)``,
``add_dock(widget, title)``, ``add_tab(widget, title)``, ``map_view.add_overlay(item)`` /
``map_view.pointRequested``, and the signals ``experimentLoaded``, ``simulationRebuilt``,
``frameDrawn(step)``.
"""
from __future__ import annotations

import html
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu,
                               QMessageBox, QSplitter, QTabWidget, QTextBrowser, QWidget)

from engine import csvio
from engine.experiment import Experiment, ExperimentError, RunConfig, SurfaceConfig
from engine.experiment import load as load_experiment_file
from engine.experiment import save as save_experiment_file
from engine.optimizers import OPTIMIZERS
from gui.colors import run_color
from gui.map_view import MapView
from gui.playback import PlaybackBar, Stepper
from gui.plots import RunPlots, RunStyle

APP_NAME = "Descent Lab"
FRAME_MS = 16
MAX_RECENT = 8
AUTOSAVE_NAME = "last_experiment.toml"
SESSION_NAME = "session.json"
TOML_FILTER = "Experiment files (*.toml);;All files (*)"
EXPORT_CHUNK = 50_000  # steps between progress updates when an export must run on first


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


def config_dir_default() -> Path:
    """Where the session and the autosave live: $DESCENT_LAB_CONFIG_DIR, else the platform's
    application config folder."""
    env = os.environ.get("DESCENT_LAB_CONFIG_DIR")
    if env:
        return Path(env)
    loc = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
    return Path(loc) if loc else Path.home() / ".descent-lab"


def text_to_html(text: str) -> str:
    """An experiment's plain-text description as HTML: blank lines separate paragraphs, lines
    starting with "•" are list items (the lines after one continue it), other line breaks are
    just wrapping."""
    out = []
    for block in text.strip().split("\n\n"):
        items: list[str] = []
        para: list[str] = []
        for line in block.splitlines():
            stripped = line.strip()
            if stripped.startswith("•"):
                items.append(stripped[1:].strip())
            elif items:  # a wrapped line of the current item
                items[-1] += " " + stripped
            else:
                para.append(stripped)
        if para:
            out.append(f"<p>{html.escape(' '.join(para))}</p>")
        if items:
            out.append("<ul style='margin-left:-20px'>" + "".join(
                f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
    return "".join(out)


class Dialogs:
    """The modal dialogs the window uses; tests pass a replacement with the same methods."""

    def open_path(self, parent, caption: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(parent, caption, "", filter_)
        return path or None

    def save_path(self, parent, caption: str, suggested: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, filter_)
        return path or None

    def folder(self, parent, caption: str) -> str | None:
        return QFileDialog.getExistingDirectory(parent, caption) or None

    def ask_unsaved(self, parent, what: str) -> str:
        """'save', 'discard' or 'cancel'."""
        B = QMessageBox.StandardButton
        ans = QMessageBox.question(parent, APP_NAME, f"{what} has unsaved changes. Save them?",
                                   B.Save | B.Discard | B.Cancel, B.Save)
        return {B.Save: "save", B.Discard: "discard"}.get(ans, "cancel")

    def error(self, parent, title: str, text: str) -> None:
        QMessageBox.critical(parent, title, text)

    def info(self, parent, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.exec()


SHORTCUTS_HTML = """<h3>Keyboard shortcuts</h3><table cellpadding=3>
<tr><td><b>Space</b></td><td>Play / pause</td></tr>
<tr><td><b>→</b></td><td>One step</td></tr>
<tr><td><b>R</b></td><td>Reset to step 0</td></tr>
<tr><td><b>Ctrl+N / Ctrl+O</b></td><td>New / open an experiment</td></tr>
<tr><td><b>Ctrl+S / Ctrl+Shift+S</b></td><td>Save / save as</td></tr>
<tr><td><b>Click on the map</b></td><td>Start the selected runs (all if none) there</td></tr>
<tr><td><b>Drag a start marker</b></td><td>Move that run's start</td></tr>
<tr><td><b>Esc</b> (in the run list)</td><td>Select no run: map clicks move every run</td></tr>
<tr><td><b>Right-click on the map</b></td><td>Gradient, Hessian eigenvectors and escape direction at that point</td></tr>
<tr><td><b>G</b></td><td>Gradient arrows at every run's current position</td></tr>
<tr><td><b>Ctrl+K</b></td><td>Clear the point analysis</td></tr>
<tr><td><b>Ctrl+Shift+A / Ctrl+D / Delete</b></td><td>Add a run / duplicate it / remove the selected runs</td></tr>
<tr><td><b>Mouse wheel / drag</b></td><td>Zoom / pan the map and plots</td></tr>
</table>
<p>The <b>Lecture</b> menu loads each experiment of the lecture, with a text on what to
watch.</p>"""

READING_HTML = """<h3>How to read the plots</h3>
<p><b>Loss</b> and <b>gradient norm ‖g‖</b> are on a log scale: a straight falling line means
the loss shrinks by the same factor every step.</p>
<p><b>σ per parameter</b> (σ₁ solid, σ₂ dashed) is the adaptive optimizers' running estimate of
how large each gradient component usually is: Adagrad's root mean square of all past
gradients, RMSProp's and Adam's exponentially weighted one. Plain gradient descent and
momentum have no σ, so they draw no σ curve.</p>
<p><b>Learning rate</b>: the solid line is the schedule's η<sup>t</sup>. The dashed (θ₁) and
dotted (θ₂) lines are the <b>effective rate</b> η<sup>t</sup>/σ<sup>t</sup> each parameter
really gets. Where a direction is steep, σ is large and its effective rate small; along a
flat direction σ is small and the step grows. That is how one η serves both the steep walls
and the flat floor of a valley.</p>
<p>The dashed vertical line is the step shown on the map; drag the timeline to move it.</p>"""


class MainWindow(QMainWindow):
    """Descent Lab's main window. ``config_dir`` holds the autosave and the session (recent
    files); ``dialogs`` supplies file pickers and message boxes; ``run_editor`` and
    ``surface_panel`` may be given (default: the real widgets)."""

    experimentLoaded = Signal()
    simulationRebuilt = Signal()
    frameDrawn = Signal(int)

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
        self._sim_runs: list[int] = []  # simulated run -> index in the experiment's runs
        self._surface_cfg_drawn = None
        self._problem = ""
        self._shown: int | None = None  # scrubbed step; None = newest
        self._loading = False
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
        from gui.analysis_tools import install_analysis_tools
        from gui.lecture import install_lecture_menu

        install_lecture_menu(self)
        install_analysis_tools(self)

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
        from PySide6.QtWidgets import QVBoxLayout
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
        f = bar.addMenu("&File")
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
        experiment counts as saved (False for an unsaved one, e.g. a modified preset)."""
        self.pause()
        self._loading = True
        try:
            self._exp = exp
            self._path = Path(path) if path is not None else None
            self._saved_text = exp.to_toml() if clean else None
            self.run_editor.set_runs(exp.runs)
            self.surface_panel.set_config(exp.surface, exp.batch_size, exp.seed)
            self.playback.set_limit(exp.steps)
            self.stepper.limit = exp.steps
            # a whole run plays in about ten seconds at 60 frames per second
            self.playback.set_speed(max(1, round(exp.steps / 600)))
            self._show_description()
        finally:
            self._loading = False
        self._surface_cfg_drawn = None
        self._rebuild()
        if self._path is not None:
            self._add_recent(str(self._path))
        self._changed()
        self.experimentLoaded.emit()

    def open_file(self, path: str | Path) -> bool:
        """Load an experiment file (no unsaved-changes prompt); errors go to a dialog."""
        try:
            exp = load_experiment_file(path)
        except ExperimentError as exc:
            self.dialogs.error(self, "Cannot open experiment", str(exc))
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
            self.open_file(path)

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

    # ---------------------------------------------------------------- export
    def export_csv(self, path: str | Path) -> None:
        """Run to the step limit, then write every run's trajectory (engine.csvio.write_csv:
        the same bytes as ``main.py run --csv`` for this experiment)."""
        sim = self._complete()
        csvio.write_csv(path, sim)

    def export_csv_per_run(self, folder: str | Path) -> list[Path]:
        sim = self._complete()
        return csvio.write_csv_per_run(folder, sim)

    def export_image(self, path: str | Path, what: str = "map") -> None:
        """PNG or SVG (by extension) of the map (``what="map"``) or of the whole window,
        written atomically."""
        from engine.atomic import atomic_path

        with atomic_path(path) as tmp:
            self._write_image(str(tmp), what)

    def _write_image(self, path: str, what: str) -> None:
        svg = path.lower().endswith(".svg")
        if what == "map":
            import pyqtgraph.exporters as exporters
            item = self.map_view.plot.scene()
            exp = (exporters.SVGExporter if svg else exporters.ImageExporter)(item)
            if not svg:
                exp.parameters()["width"] = max(1200, self.map_view.width())
            exp.export(path)
            return
        if svg:
            from PySide6.QtCore import QPoint, QRect, QSize
            from PySide6.QtGui import QPainter
            from PySide6.QtSvg import QSvgGenerator
            gen = QSvgGenerator()
            gen.setFileName(path)
            gen.setSize(QSize(self.width(), self.height()))
            gen.setViewBox(QRect(0, 0, self.width(), self.height()))
            gen.setTitle(self.windowTitle())
            painter = QPainter(gen)
            try:
                self.render(painter, QPoint(0, 0))
            finally:
                painter.end()
        elif not self.grab().save(path):
            raise OSError(f"cannot write {path}")

    def export_csv_dialog(self) -> None:
        path = self.dialogs.save_path(self, "Export trajectories", f"{self._suggested_stem()}.csv",
                                      "CSV files (*.csv)")
        if path:
            self._guarded(lambda: self.export_csv(path), f"Wrote {path}")

    def export_csv_per_run_dialog(self) -> None:
        folder = self.dialogs.folder(self, "Export one CSV per run into folder")
        if folder:
            self._guarded(lambda: self.export_csv_per_run(folder), f"Wrote one CSV per run to {folder}")

    def export_image_dialog(self, what: str) -> None:
        path = self.dialogs.save_path(self, f"Export {what} image",
                                      f"{self._suggested_stem()}-{what}.png",
                                      "PNG image (*.png);;SVG image (*.svg)")
        if path:
            if not path.lower().endswith((".png", ".svg")):
                path += ".png"
            self._guarded(lambda: self.export_image(path, what), f"Wrote {path}")

    def _guarded(self, job: Callable, done: str) -> None:
        try:
            job()
        except (OSError, ValueError, RuntimeError) as exc:
            self.dialogs.error(self, "Export failed", str(exc))
            return
        self.statusBar().showMessage(done, 5000)

    def _complete(self):
        """Run to the step limit before an export; long runs show a progress dialog with
        Cancel (cancelling keeps the steps done and exports nothing)."""
        if self._sim is None:
            raise ValueError(f"nothing to export: {self._problem}")
        self.pause()
        sim, limit = self._sim, self.stepper.limit
        remaining = limit - sim.step
        if remaining > EXPORT_CHUNK:
            from PySide6.QtWidgets import QApplication, QProgressDialog

            dlg = QProgressDialog(f"Running to step {limit:,} before the export…", "Cancel",
                                  0, remaining, self)
            dlg.setWindowTitle("Export")
            dlg.setMinimumDuration(300)
            start = sim.step
            while sim.step < limit and sim.live.any():
                sim.advance(min(EXPORT_CHUNK, limit - sim.step))
                dlg.setValue(sim.step - start)
                QApplication.processEvents()
                if dlg.wasCanceled():
                    self.redraw()
                    raise ValueError(f"export cancelled at step {sim.step:,}")
            dlg.close()
        sim.run_to(limit)
        self._shown = None
        self.redraw()
        return self._sim

    # ---------------------------------------------------------------- playback
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
        if self._sim.live.any():
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

    # ================================================================== internals
    def _title(self) -> str:
        return self._exp.title or (self._path.stem if self._path else "untitled")

    def _suggested_stem(self) -> str:
        stem = self._path.stem if self._path else (self._exp.title or "experiment")
        return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem).strip("-") or "experiment"

    def _show_description(self) -> None:
        exp = self._exp
        parts = [f"<h3>{html.escape(self._title())}</h3>"]
        if exp.description:
            parts.append(text_to_html(exp.description))
        try:
            surf = exp.surface.build()
            if surf.description:
                parts.append(f"<h4>{html.escape(surf.title or surf.name)}</h4>"
                             f"<p>{html.escape(surf.description)}</p>")
        except ExperimentError:
            pass
        self.description.setHtml("".join(parts))
        (self.about_dock if exp.description else self.surface_dock).raise_()

    def _set_exp(self, exp: Experiment, rebuild: bool = True) -> None:
        self._exp = exp
        if rebuild:
            self._rebuild()
        self._changed()

    def _changed(self) -> None:
        """After any change: window title, autosave."""
        self.setWindowTitle(f"{APP_NAME} — {self._title()}[*]")
        self.setWindowModified(self.is_dirty())
        self._autosave()

    def _rebuild(self) -> None:
        """New simulation from the current experiment, at step 0."""
        self.pause()
        self._shown = None
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
            labels = [r.label for r in sim.runs]
            colors = self._colors()
            self.map_view.set_runs(labels, colors, [r.start for r in sim.runs])
            self.plots.set_runs([
                RunStyle(r.label, c, OPTIMIZERS[r.optimizer].has_sigma,
                         OPTIMIZERS[r.optimizer].has_lr,
                         OPTIMIZERS[r.optimizer].eff in ("adaptive", "delta"))
                for r, c in zip(sim.runs, colors)])
            self.statusBar().clearMessage()
        else:
            self.map_view.set_runs([], [], [])
            self.plots.set_runs([])
            self._explain_block()
        self.playback.set_runnable(sim is not None)
        self.simulationRebuilt.emit()
        self.redraw()

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
        self.playback.set_position(self.shown_step(), sim.step, self.stepper.limit)
        self.playback.set_status([r.label for r in sim.runs], self._colors(),
                                 [sim.status_text(i) for i in range(sim.n)])
        self.frameDrawn.emit(self.shown_step())

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
        if done == 0 or self.stepper.remaining(sim) == 0:
            self.pause()

    def _on_speed(self, speed: int) -> None:
        self.stepper.speed = speed

    def _on_limit(self, steps: int) -> None:
        self.stepper.limit = steps
        if steps != self._exp.steps:
            self._set_exp(replace(self._exp, steps=steps), rebuild=False)
        self.redraw()

    def _on_runs_edited(self) -> None:
        if self._loading:
            return
        errors = list(self.run_editor.errors())
        if errors:  # keep the last valid experiment; nothing runs until fixed
            self.pause()
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
        self._set_exp(replace(self._exp, surface=self.surface_panel.config(),
                              batch_size=self.surface_panel.batch_size(),
                              seed=self.surface_panel.seed()))
        self._show_description()

    def _target_runs(self) -> list[int]:
        sel = list(self.run_editor.selected_indices())
        return sel if sel else list(range(len(self._exp.runs)))

    def _on_map_click(self, x: float, y: float) -> None:
        self.run_editor.set_start(self._target_runs(), (x, y))  # emits runsChanged: rebuild
        if self._sim is not None:
            self.play()  # click-to-start: the race begins from the clicked point

    def _on_start_dragged(self, sim_index: int, x: float, y: float) -> None:
        if 0 <= sim_index < len(self._sim_runs):
            self.run_editor.set_start([self._sim_runs[sim_index]], (x, y))

    def _on_hover(self, x: float, y: float, loss: float) -> None:
        names = ("θ₁", "θ₂")
        if self._sim is not None:
            names = self._sim.surface.axis_names
        self.coords_label.setText(f"{names[0]} = {x:.4g}  {names[1]} = {y:.4g}  loss = {loss:.4g}")

    # ---------------------------------------------------------------- session & autosave
    def _session_path(self) -> Path:
        return self.config_dir / SESSION_NAME

    def _autosave_path(self) -> Path:
        return self.config_dir / AUTOSAVE_NAME

    def _autosave(self) -> None:
        if not self.autosave_enabled:
            return
        from engine.atomic import atomic_write_text
        text = self._exp.to_toml()
        session = {"path": str(self._path) if self._path else None,
                   "dirty": self.is_dirty(), "recent": self._recent}
        blob = json.dumps(session, indent=1)
        try:
            self.config_dir.mkdir(parents=True, exist_ok=True)
            if text != self._autosaved_text:
                atomic_write_text(self._autosave_path(), text)
                self._autosaved_text = text
            if blob != getattr(self, "_session_blob", None):
                atomic_write_text(self._session_path(), blob)
                self._session_blob = blob
        except OSError as exc:
            self.statusBar().showMessage(f"Cannot autosave to {self.config_dir}: {exc}", 5000)

    def _load_session(self) -> None:
        try:
            session = json.loads(self._session_path().read_text(encoding="utf-8"))
            if not isinstance(session, dict):
                session = {}
        except (OSError, ValueError):
            session = {}
        recent = session.get("recent", [])
        self._recent = [str(p) for p in recent if isinstance(p, str)][:MAX_RECENT]
        self._update_recent_menu()

    def restore_last(self) -> bool:
        """Load the autosaved experiment of the last session; False when there is none."""
        auto = self._autosave_path()
        if not auto.is_file():
            return False
        try:
            exp = load_experiment_file(auto)
        except ExperimentError:
            return False
        try:
            session = json.loads(self._session_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            session = {}
        path = session.get("path") if isinstance(session, dict) else None
        dirty = bool(session.get("dirty", True)) if isinstance(session, dict) else True
        self.load_experiment(exp, path, clean=not dirty)
        if path and dirty:
            self._saved_text = None
            self._changed()
        return True

    def _add_recent(self, path: str) -> None:
        self._recent = [path] + [p for p in self._recent if p != path]
        self._recent = self._recent[:MAX_RECENT]
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        for p in self._recent:
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda checked=False, p=p: self._open_recent(p))
        self.recent_menu.setEnabled(bool(self._recent))

    def _open_recent(self, path: str) -> None:
        if self.confirm_discard() and not self.open_file(path) and not Path(path).exists():
            self._recent = [p for p in self._recent if p != path]  # gone: drop it
            self._update_recent_menu()
            self._autosave()  # the session file keeps the recent list

    def recent_files(self) -> list[str]:
        return list(self._recent)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt)
        self.pause()
        self._autosave()  # the next start restores this experiment: nothing is lost
        super().closeEvent(event)
