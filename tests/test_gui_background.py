"""Long work off the GUI thread: the background job, the CSV export through it (responsive,
cancellable, no partial file, the command line's bytes) and the window SVG export.

Responsiveness is tested without clocks: the worker waits, before each chunk of work, for a
tick of a QTimer on the GUI thread. Only an event loop that keeps running can deliver that
tick, so work done on the GUI thread (or an event loop blocked by it) fails the wait.
"""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading

import pytest
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from engine import cli, csvio
from gui.background import Cancelled, Job

from conftest import QUAD, action  # noqa: F401

TICK_WAIT_S = 3.0


class Ticks:
    """A 5 ms GUI-thread timer; ``wait()`` (in a worker) returns once it ticked again."""

    def __init__(self):
        self.event = threading.Event()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.event.set)
        self.timer.start()

    def wait(self) -> bool:
        self.event.clear()
        return self.event.wait(TICK_WAIT_S)


# ----------------------------------------------------------------------------- the job
def test_job_reports_progress_and_delivers_the_result_on_the_gui_thread(qtbot):
    main = threading.get_ident()
    seen = {}

    def work(progress):
        seen["thread"] = threading.get_ident()
        for i in range(1, 4):
            progress.report(i, 3, f"part {i}")
        return 42

    job = Job(work, "Counting")
    reports, results = [], []
    job.progressed.connect(lambda d, t, text: reports.append((d, t, text)))
    job.succeeded.connect(lambda r: results.append((r, threading.get_ident())))
    with qtbot.waitSignal(job.ended, timeout=5000):
        job.start()
    assert seen["thread"] != main
    assert results == [(42, main)] and job.outcome == "succeeded"
    assert reports[-1] == (3, 3, "part 3")  # the last report always arrives


def test_published_values_arrive_in_order_on_the_gui_thread_also_after_cancel(qtbot):
    """``progress.publish`` hands each partial result over as ``job.partial`` (every one, in
    order with the reports, on the GUI thread); a function that keeps its work so far after
    Cancel publishes it and returns it as its result."""
    main = threading.get_ident()
    go = threading.Event()

    def halves(progress):
        done = []
        for i in range(1, 6):
            done.append(i)
            progress.publish(list(done))
            if i == 2:
                go.wait(5.0)  # Cancel is pressed here
            try:
                progress.report(i, 5)
            except Cancelled:
                return done  # the work so far is the result
        return done

    job = Job(halves, "Mapping")
    parts = []
    job.partial.connect(lambda v: parts.append((v, threading.get_ident())))
    job.start()
    qtbot.waitUntil(lambda: len(parts) == 2, timeout=5000)
    job.cancel()
    go.set()
    with qtbot.waitSignal(job.ended, timeout=5000):
        pass
    assert job.outcome == "succeeded" and job.result == [1, 2]
    assert parts == [([1], main), ([1, 2], main)]


def test_job_failure_is_one_line_and_cancel_stops_between_chunks(qtbot):
    def broken(progress):
        raise OSError(28, "No space left on device", "/x/out.csv")

    job = Job(broken, "Writing")
    with qtbot.waitSignal(job.failed, timeout=5000) as sig:
        job.start()
    assert sig.args == ["/x/out.csv: No space left on device"]

    ticks = Ticks()
    chunks = []

    def endless(progress):
        while True:
            assert ticks.wait()
            chunks.append(1)
            progress.report(len(chunks), 0)

    job = Job(endless, "Endless")
    job.start()
    qtbot.waitUntil(lambda: len(chunks) >= 3, timeout=5000)
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        job.cancel()
    assert job.outcome == "cancelled" and job.wait(1.0)


def test_an_interruptible_job_stops_inside_work_that_never_checks(qtbot):
    started = threading.Event()

    def stubborn(progress):
        started.set()
        while True:  # pure Python that never looks at the cancel flag (like sympy)
            sum(range(1000))

    job = Job(stubborn, "Deriving", interruptible=True)
    job.start()
    qtbot.waitUntil(started.is_set, timeout=5000)
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        job.cancel()
    assert job.wait(2.0)


# ----------------------------------------------------------------------------- CSV export
def _exp_file(tmp_path):
    path = tmp_path / "bowl.toml"
    path.write_text(QUAD, encoding="utf-8")
    return path


def test_long_export_keeps_the_event_loop_running_and_equals_the_command_line(
        qtbot, win, dialogs, tmp_path, monkeypatch):
    import gui.exports as exports

    assert win.open_file(_exp_file(tmp_path))
    win.playback.limit_spin.setValue(300)
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 20)
    monkeypatch.setattr(csvio._Counting, "EVERY", 50)
    sim = win.simulation()
    ticks, waited, threads = Ticks(), [], set()
    real_advance = sim.advance

    def gated_advance(k):
        threads.add(threading.get_ident())
        waited.append(ticks.wait())
        if not waited[-1]:
            raise RuntimeError("the GUI event loop did not run between two chunks")
        return real_advance(k)

    monkeypatch.setattr(sim, "advance", gated_advance)
    real_count = csvio._Counting.count

    def gated_count(self, rows):  # rows written, as text or (compiled path) as bytes
        if self.rows + rows >= self._next:  # each progress report: one tick
            threads.add(threading.get_ident())
            waited.append(ticks.wait())
        return real_count(self, rows)

    monkeypatch.setattr(csvio._Counting, "count", gated_count)
    gui_csv = tmp_path / "gui.csv"
    dialogs.paths.append(str(gui_csv))
    action(win, "Export trajectories as CSV…").trigger()
    assert win.export_running() and win.progress_strip().isVisible()
    # the simulation belongs to the export meanwhile: no playing, stepping or editing
    assert not win.playback.isEnabled() and not win.run_editor.isEnabled()
    assert not win.surface_panel.isEnabled() and not win.map_view.isEnabled()
    assert win.busy_simulation is sim
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert not win.is_playing
    qtbot.waitUntil(lambda: not win.export_running(), timeout=60000)
    assert dialogs.errors == [] and win.export_job.outcome == "succeeded"
    # 300/20 chunks, then the writer's reports (it formats a run's rows in blocks)
    assert len(waited) >= 15 + 2 and all(waited)
    assert threading.get_ident() not in threads
    assert not win.progress_strip().isVisible() and win.playback.isEnabled()
    assert win.run_editor.isEnabled() and win.busy_simulation is None
    assert sim.step == 300 and win.playback.timeline.maximum() == 300
    cli_csv = tmp_path / "cli.csv"
    assert cli.main(["run", str(_exp_file(tmp_path)), "--csv", str(cli_csv),
                     "--steps", "300"]) == 0
    assert gui_csv.read_bytes() == cli_csv.read_bytes()


def test_cancel_during_the_write_leaves_the_old_file_and_no_temporary_one(
        qtbot, win, dialogs, tmp_path, monkeypatch):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "run.csv"
    target.write_text("the old export\n", encoding="utf-8")
    started, release = threading.Event(), threading.Event()
    real_rows = csvio.write_rows
    monkeypatch.setattr(csvio._Counting, "EVERY", 1)

    def slow_rows(fh, sim, indices=None, header=True, raw=None):
        fh.write("run,label\n1,half")  # a partial file exists now
        started.set()
        release.wait(10)
        return real_rows(fh, sim, indices, header, raw)

    monkeypatch.setattr(csvio, "write_rows", slow_rows)
    dialogs.paths.append(str(target))
    action(win, "Export trajectories as CSV…").trigger()
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert len(list(out_dir.iterdir())) == 2  # the old file and the temporary one
    strip = win.progress_strip()
    with qtbot.waitSignal(win.export_job.ended, timeout=10000):
        qtbot.mouseClick(strip.cancel_button, Qt.MouseButton.LeftButton)
        release.set()
    assert win.export_job.outcome == "cancelled" and dialogs.errors == []
    assert [p.name for p in out_dir.iterdir()] == ["run.csv"]
    assert target.read_text(encoding="utf-8") == "the old export\n"
    assert "nothing was written" in win.statusBar().currentMessage()
    assert win.run_editor.isEnabled() and not strip.isVisible()


def test_a_second_export_while_one_runs_is_refused(qtbot, win, dialogs, tmp_path, monkeypatch):
    release = threading.Event()
    real_rows = csvio.write_rows
    monkeypatch.setattr(csvio, "write_rows",
                        lambda *a, **k: (release.wait(10), real_rows(*a, **k))[1])
    job = win.export_csv(tmp_path / "a.csv")
    dialogs.paths.append(str(tmp_path / "b.csv"))
    action(win, "Export trajectories as CSV…").trigger()
    assert dialogs.errors == ["an export is already running; wait for it or cancel it"]
    with qtbot.waitSignal(job.ended, timeout=10000):
        release.set()
    assert (tmp_path / "a.csv").exists() and not (tmp_path / "b.csv").exists()


def test_per_run_export_stopped_midway_removes_the_files_it_wrote(win, tmp_path, monkeypatch):
    monkeypatch.setattr(csvio._Counting, "EVERY", 1)
    sim = win.simulation()
    sim.run_to(10)
    calls = []

    def stop_in_the_second_file(done, total):
        calls.append(done)
        if done > 11 + 1:  # past the first file's header and 11 rows
            raise Cancelled()

    with pytest.raises(Cancelled):
        csvio.write_csv_per_run(tmp_path / "runs", sim, progress=stop_in_the_second_file)
    assert list((tmp_path / "runs").iterdir()) == []
    written = csvio.write_csv_per_run(tmp_path / "runs", sim, progress=lambda d, t: None)
    assert [p.read_text() for p in written] == [csvio.to_string(sim, [i]) for i in range(2)]


# ----------------------------------------------------------------------------- images
def test_window_svg_shows_the_menu_bar_and_a_clean_title(qtbot, win, tmp_path):
    assert "[*]" in win.windowTitle()
    path = tmp_path / "win.svg"
    win.export_image(path, "window")
    text = path.read_text(encoding="utf-8")
    assert f"<title>{win.windowTitle().replace('[*]', '')}</title>" in text
    bar = win.menuBar().geometry()
    image = QImage(win.width(), win.height(), QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    QSvgRenderer(str(path)).render(painter)
    painter.end()
    # the menu titles are drawn: dark text pixels inside the menu bar
    first = win.menuBar().actionGeometry(win.menuBar().actions()[0])
    area = QRect(first.x(), bar.y(), first.width(), bar.height())
    darkest = min(image.pixelColor(x, y).lightness()
                  for x in range(area.left(), area.right()) for y in range(area.top(), area.bottom()))
    assert darkest < 100


# ----------------------------------------------------------------------------- LR sweep
def _sweep_in(qtbot, win, count=10, steps=200):
    panel = win.analysis_tools.sweep
    win.tabs.setCurrentIndex(win.analysis_tools.sweep_tab)
    panel.set_optimizer("gd")
    panel.lr_low.setText("0.01")
    panel.lr_high.setText("1")
    panel.count.setValue(count)
    panel.steps.setValue(steps)
    return panel


def _plot_click(qtbot, panel, eta):
    import math

    import pyqtgraph as pg
    from PySide6.QtCore import QPoint

    vb = panel.loss_plot.getPlotItem().getViewBox()
    (y0, y1) = vb.viewRange()[1]
    scene = vb.mapViewToScene(pg.Point(math.log10(eta), (y0 + y1) / 2))
    pos = panel.loss_plot.mapFromScene(scene)
    qtbot.mouseClick(panel.loss_plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(int(pos.x()), int(pos.y())))


def test_sweep_runs_off_the_gui_thread_between_event_loop_ticks(qtbot, win, monkeypatch):
    from engine import sweep as sweep_module

    ticks, waited, threads = Ticks(), [], set()
    real_chunks = sweep_module.Sweep.iter_chunks

    def gated(self, chunk=100):
        for item in real_chunks(self, chunk):
            threads.add(threading.get_ident())
            waited.append(ticks.wait())
            yield item

    monkeypatch.setattr(sweep_module.Sweep, "iter_chunks", gated)
    panel = _sweep_in(qtbot, win, steps=1000)
    panel.chunk = 100
    with qtbot.waitSignal(panel.finished, timeout=60000) as sig:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        assert panel.running and not panel.run_button.isEnabled()
    assert len(waited) == 10 and all(waited)
    assert threading.get_ident() not in threads
    assert not sig.args[0].cancelled and panel.progress.value() == 100


def test_picking_an_eta_keeps_the_sweep_until_the_surface_changes(qtbot, win):
    panel = _sweep_in(qtbot, win)
    with qtbot.waitSignal(panel.finished, timeout=20000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.wait(100)  # let the plot lay out and auto-range
    result = panel.result
    before = len(win.experiment().runs)
    for k, i in enumerate((2, 6)):  # two picks from one sweep
        _plot_click(qtbot, panel, float(result.lr[i]))
        runs = win.experiment().runs
        assert len(runs) == before + k + 1
        assert runs[-1].hyper["lr"] == float(result.lr[i])
        # adding the run rebuilt the simulation on the same surface: the sweep stays
        assert panel.result is result and panel.stale == ""
        assert len(panel.loss_curve.getData()[0]) > 0
    assert win.simulation().n == before + 2
    # another surface: the sweep is kept but marked stale, and no longer picks
    combo = win.surface_panel.combo
    combo.setCurrentIndex(combo.findData("rosenbrock"))
    combo.activated.emit(combo.currentIndex())  # as a choice from the list does
    assert win.experiment().surface.name == "rosenbrock"
    assert panel.result is result and panel.stale == "the surface"
    assert "Stale: the surface changed" in panel.stale_label.text()
    assert panel.stale_label.isVisible()
    assert len(panel.loss_curve.getData()[0]) > 0
    _plot_click(qtbot, panel, float(result.lr[4]))
    assert len(win.experiment().runs) == before + 2
    assert "again to pick an η" in panel.stale_label.text()
    with qtbot.waitSignal(panel.finished, timeout=20000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.stale == "" and not panel.stale_label.isVisible()


def test_changing_the_sweep_optimizer_marks_the_sweep_stale(qtbot, win):
    panel = _sweep_in(qtbot, win)
    with qtbot.waitSignal(panel.finished, timeout=20000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    panel.set_optimizer("adam")
    assert panel.stale == "the optimizer" and "Stale: the optimizer" in panel.stale_label.text()
    panel.set_optimizer("gd")
    assert panel.stale == "" and not panel.stale_label.isVisible()


# ----------------------------------------------------------------------------- 3-D view
def test_3d_view_computes_off_the_gui_thread_and_thins_long_paths(qtbot, monkeypatch):
    import numpy as np

    from gui.view3d import GRID, MAX_PATH_POINTS, Surface3DView, height_field
    from surfaces import make_surface

    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    ticks, waited, calls = Ticks(), [], []

    class Gated:  # the surface, but each evaluation waits for a GUI-thread tick
        view, log_scale = surf.view, surf.log_scale

        def value(self, p):
            calls.append((len(p), threading.get_ident()))
            waited.append(ticks.wait())
            return surf.value(p)

    gated = Gated()
    view = Surface3DView()
    qtbot.addWidget(view)
    view.available = True  # draw nothing (no OpenGL here): record what would be drawn
    drawn = []
    monkeypatch.setattr(view, "_apply", lambda *out: drawn.append(out))
    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.normal(scale=1e-3, size=(1_000_000, 2)), axis=0)
    view.set_surface(gated)
    line = np.column_stack([np.linspace(-2, 2, 10), np.linspace(2, -1, 10)])
    view.set_trajectories([walk, line], ["#ff0000", "#00ff00"])  # waits for the mesh
    assert view.busy
    qtbot.waitUntil(lambda: len(drawn) == 2 and not view.busy, timeout=30000)
    assert all(waited) and threading.get_ident() not in {t for _, t in calls}
    assert max(n for n, _ in calls) <= max(GRID * GRID, MAX_PATH_POINTS)
    surface, field, (long, short), colors = drawn[-1]
    assert surface is gated and colors == ["#ff0000", "#00ff00"]
    assert np.array_equal(short[:, :2], line)  # a short path is kept whole
    assert len(long) <= MAX_PATH_POINTS
    assert np.array_equal(long[0, :2], walk[0]) and np.array_equal(long[-1, :2], walk[-1])
    transform = height_field(surf)[3]
    lift = 0.01 * 0.6 * 5.0
    assert np.allclose(long[:, 2], transform(surf.value(long[:, :2])) + lift)


# ----------------------------------------------------------------------------- opening files
EXPR = '''title = "A typed formula"
expression = "x**2 + 3*y**2 + 0.25*x*y"
steps = 30
[[runs]]
label = "gd"
optimizer = "gd"
lr = 0.1
'''


def _gate_formulas(monkeypatch, ticks, threads, waited, hold=None):
    """Each new formula's preparation waits for GUI ticks (and for ``hold``, if given)."""
    from surfaces import expression

    real = expression.compile_expression
    real.cache_clear()

    prepared = set()

    def gated(text):  # like the real one, cached by text: only a first preparation is slow
        if text in prepared:
            return real(text)
        threads.add(threading.get_ident())
        for _ in range(3):
            waited.append(ticks.wait())
        while hold is not None and not hold.is_set():  # pure Python, like sympy at work
            sum(range(100))
        prepared.add(text)
        return real(text)

    gated.cache_clear = real.cache_clear
    monkeypatch.setattr(expression, "compile_expression", gated)


def test_start_up_shows_the_window_and_prepares_the_formula_in_the_background(
        qtbot, tmp_path, dialogs, monkeypatch):
    from gui.opening import create_window_in_background

    path = tmp_path / "formula.toml"
    path.write_text(EXPR, encoding="utf-8")
    ticks, threads, waited = Ticks(), set(), []
    _gate_formulas(monkeypatch, ticks, threads, waited)
    win = create_window_in_background(path, config_dir=tmp_path / "config", dialogs=dialogs)
    qtbot.addWidget(win)
    assert win.path is None and not win.progress_strip().isHidden()
    assert not win.run_editor.isEnabled()
    win.show()
    qtbot.waitUntil(lambda: win.path == path.resolve(), timeout=20000)
    assert all(waited) and len(waited) >= 3 and threading.get_ident() not in threads
    assert win.experiment().surface.expression == "x**2 + 3*y**2 + 0.25*x*y"
    assert win.simulation() is not None and dialogs.errors == []
    qtbot.waitUntil(lambda: win.progress_strip().isHidden(), timeout=5000)
    assert win.run_editor.isEnabled() and win.playback.isEnabled()
    assert (tmp_path / "config" / "last_experiment.toml").read_text(
        encoding="utf-8") == win.experiment().to_toml()  # autosaved once shown


def test_cancel_while_opening_stops_the_formula_and_keeps_the_experiment(
        qtbot, win, dialogs, tmp_path, monkeypatch):
    path = tmp_path / "formula.toml"
    path.write_text(EXPR, encoding="utf-8")
    ticks, threads, waited = Ticks(), set(), []
    hold = threading.Event()  # never set: only Cancel ends the preparation
    _gate_formulas(monkeypatch, ticks, threads, waited, hold)
    before = win.experiment()
    dialogs.paths.append(str(path))
    action(win, "Open…").trigger()
    qtbot.waitUntil(lambda: len(waited) >= 3, timeout=20000)
    job = win.opening_job
    with qtbot.waitSignal(job.ended, timeout=10000):
        qtbot.mouseClick(win.progress_strip().cancel_button, Qt.MouseButton.LeftButton)
    assert job.outcome == "cancelled" and job.wait(2.0)  # the worker really stopped
    assert win.experiment() == before and win.path is None and dialogs.errors == []
    assert "cancelled" in win.statusBar().currentMessage()
    assert win.run_editor.isEnabled()


def test_an_invalid_formula_found_in_the_background_is_reported(qtbot, win, dialogs, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(EXPR.replace("0.25*x*y", "0.25*x*"), encoding="utf-8")
    before = win.experiment()
    dialogs.paths.append(str(path))
    action(win, "Open…").trigger()
    qtbot.waitUntil(lambda: len(dialogs.errors) > 0, timeout=20000)
    assert "bad.toml" in dialogs.errors[0] and "expression" in dialogs.errors[0]
    assert win.experiment() == before


def test_closing_the_window_cancels_a_running_export(qtbot, win, tmp_path, monkeypatch):
    started, release = threading.Event(), threading.Event()
    real_rows = csvio.write_rows
    monkeypatch.setattr(csvio._Counting, "EVERY", 1)

    def slow_rows(fh, sim, indices=None, header=True, raw=None):
        started.set()
        release.wait(0.5)  # the close comes meanwhile
        return real_rows(fh, sim, indices, header, raw)

    monkeypatch.setattr(csvio, "write_rows", slow_rows)
    job = win.export_csv(tmp_path / "out.csv")
    qtbot.waitUntil(started.is_set, timeout=5000)
    win.close()
    assert not job._thread.is_alive()  # the close waited for the export to stop
    assert list(tmp_path.glob("*.csv")) == [] and list(tmp_path.glob(".out*")) == []


def test_start_up_restores_the_last_formula_in_the_background_and_an_early_close_keeps_it(
        qtbot, tmp_path, dialogs, monkeypatch):
    from gui.opening import create_window_in_background

    config = tmp_path / "config"
    config.mkdir()
    auto = config / "last_experiment.toml"
    auto.write_text(EXPR, encoding="utf-8")
    ticks, threads, waited = Ticks(), set(), []
    hold = threading.Event()
    _gate_formulas(monkeypatch, ticks, threads, waited, hold)
    first = create_window_in_background(None, config_dir=config, dialogs=dialogs)
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: len(waited) >= 3, timeout=20000)
    first.close()  # before the formula is ready: the last session's file stays as it was
    assert first.opening_job.outcome is None and first.opening_job.wait(0)  # stopped
    qtbot.wait(50)
    assert auto.read_text(encoding="utf-8") == EXPR and first.simulation() is None
    hold.set()
    second = create_window_in_background(None, config_dir=config, dialogs=dialogs)
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: second.simulation() is not None, timeout=20000)
    assert second.experiment().title == "A typed formula"
    assert threading.get_ident() not in threads and all(waited)
