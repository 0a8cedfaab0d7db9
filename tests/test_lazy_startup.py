"""Start-up builds only what the first screen shows: the tabs beside the plots are built when
first selected (or first used), and then show the current experiment, step and zoom as if
they had been there from the start. Also what start-up skips: the command-line help, an
unchanged autosave, numpy.ma, and the number helpers that replace it (the same numbers)."""
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog

from engine.experiment import loads

from conftest import QUAD, action

ROOT = Path(__file__).resolve().parent.parent
LAZY = ("Analysis", "LR sweep", "3-D", "Model", "Atlas")
CTRL = Qt.KeyboardModifier.ControlModifier

HIMMELBLAU = """
title = "Four valleys"
surface = "himmelblau"
steps = 30
[[runs]]
label = "GD"
optimizer = "gd"
lr = 0.01
start = [0.5, 0.5]
"""


def _tab(win, title):
    index = next(i for i in range(win.tabs.count()) if win.tabs.tabText(i) == title)
    return index, win.tabs.widget(index)


def _click_tab(qtbot, win, title):
    index, page = _tab(win, title)
    bar = win.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert win.tabs.currentIndex() == index
    return page


def test_hidden_tabs_are_not_built_at_start_but_their_menus_are_there(win):
    assert win.tabs.tabText(win.tabs.currentIndex()) == "Plots"
    assert [win.tabs.tabText(i) for i in range(win.tabs.count())] == ["Plots", *LAZY]
    assert not any(_tab(win, t)[1].is_built() for t in LAZY)
    assert action(win, "Gradient arrows at every run").shortcut().toString() == "G"
    assert action(win, "Export model image (PNG/SVG)…") is not None
    # the map already marks what the critical-point search found (the analysis tools')
    assert len(win.map_view.minima.getData()[0]) == 1


def test_a_tab_selected_by_a_click_is_built_and_shows_the_current_experiment(qtbot, win):
    win.load_experiment(loads(HIMMELBLAU))  # changed before the tab was ever shown
    page = _click_tab(qtbot, win, "Analysis")
    assert page.is_built() and page.content().isVisible()
    analysis = win.analysis_tools.analysis
    assert analysis is page.content()
    minima = sorted((round(c.x, 4), round(c.y, 4)) for c in analysis.table.minima())
    assert minima == [(-3.7793, -3.2832), (-2.8051, 3.1313), (3.0, 2.0), (3.5844, -1.8481)]
    assert analysis.table.rowCount() == 9  # 4 minima, 4 saddles, 1 maximum
    assert analysis.step_size.colors == win._colors()
    # the other tabs are still not built
    assert not any(_tab(win, t)[1].is_built() for t in ("LR sweep", "3-D", "Model", "Atlas"))


def test_a_tab_first_used_from_code_is_built_and_up_to_date(win):
    win.load_experiment(loads(HIMMELBLAU))
    sweep = win.analysis_tools.sweep  # not shown: built for the caller
    assert _tab(win, "LR sweep")[1].is_built()
    assert sweep.optimizer_name == "gd"
    assert win.model_tab.view is _tab(win, "Model")[1].content()
    assert win.atlas_tools.panel is _tab(win, "Atlas")[1].content()


def test_undo_and_redo_reach_a_tab_built_in_between(qtbot, win, monkeypatch):
    before = win._colors()
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#123456")))
    win.run_editor.select(1)
    qtbot.mouseClick(win.run_editor.color_button, Qt.MouseButton.LeftButton)
    assert win._colors()[1] == "#123456"
    qtbot.keyClick(win, Qt.Key.Key_Z, CTRL)  # undo, while the Analysis tab is not built
    _click_tab(qtbot, win, "Analysis")
    assert win.analysis_tools.analysis.step_size.colors == before
    qtbot.keyClick(win, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)  # redo
    assert win.analysis_tools.analysis.step_size.colors[1] == "#123456"


def test_a_tab_built_after_a_zoom_takes_the_zoom_and_follows_it(qtbot, win):
    qtbot.keyClick(win, Qt.Key.Key_Equal, CTRL)
    qtbot.keyClick(win, Qt.Key.Key_Equal, CTRL)
    factor = win.zoom.factor
    assert factor > 1
    _click_tab(qtbot, win, "LR sweep")
    sweep = win.analysis_tools.sweep
    axis = sweep.loss_plot.getPlotItem().getAxis("bottom")
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(9 * factor)
    _click_tab(qtbot, win, "3-D")
    view = win.analysis_tools.view3d
    assert view._zoom == pytest.approx(factor)
    qtbot.keyClick(win, Qt.Key.Key_0, CTRL)
    assert view._zoom == 1.0  # it follows later changes too
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(9)


def test_an_atlas_experiment_builds_and_fronts_its_tab(qtbot, make_window):
    text = HIMMELBLAU + '\n[atlas]\nrun = "GD"\ngrid = [32, 32]\n'
    win = make_window(text)
    index, page = _tab(win, "Atlas")
    assert win.tabs.currentIndex() == index and page.is_built()
    assert win.atlas_tools.panel.config((-5, 5, -5, 5)).width == 32


def test_start_up_does_not_rewrite_the_autosave_it_restored(tmp_path, dialogs):
    from gui.app import create_window, dispose

    first = create_window(None, config_dir=tmp_path, dialogs=dialogs)
    first.load_experiment(loads(QUAD))
    dispose(first)
    files = [tmp_path / "last_experiment.toml", tmp_path / "session.json"]
    before = [(p.stat().st_ino, p.read_text()) for p in files]
    win = create_window(None, config_dir=tmp_path, dialogs=dialogs)
    assert win.experiment().title == "Two runs in a bowl"
    assert [(p.stat().st_ino, p.read_text()) for p in files] == before  # not written again
    win.run_editor.select(0)
    win.run_editor.set_start([0], (0.5, 0.5))  # an edit is autosaved as before
    assert "0.5" in files[0].read_text()
    dispose(win)


def test_opening_the_app_does_not_build_the_command_line_help(monkeypatch, capsys):
    from engine import cli

    def help_text():
        raise AssertionError("built the help")

    monkeypatch.setattr(cli, "_gui_description", help_text)
    monkeypatch.setattr("gui.app.run_app", lambda path: 0)
    assert cli.main([]) == 0
    monkeypatch.setattr(cli, "_gui_description", lambda: "EVERY COMMAND")
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "EVERY COMMAND" in capsys.readouterr().out


def test_main_py_paints_the_experiment_and_loads_only_what_the_first_screen_needs(tmp_path):
    """The start-up probe that benchmarks/gui_frame.py reads, and what was imported by then
    (the 3-D view's OpenGL, numpy.ma, the sweep and the help's parsers are not)."""
    code = ("import runpy, sys, atexit\n"
            "atexit.register(lambda: print('loaded', *[m for m in ('gui.view3d', 'OpenGL', "
            "'numpy.ma', 'engine.sweep', 'gui.sweep_panel', 'importlib.metadata') "
            "if m in sys.modules]))\n"
            "sys.argv = ['main.py']\n"
            "runpy.run_path('main.py', run_name='__main__')\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DESCENT_LAB_STARTUP_PROBE="1",
               DESCENT_LAB_CONFIG_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = {line.partition(" ")[0]: line.partition(" ")[2] for line in out.stdout.splitlines()}
    assert float(lines["painted"]) <= float(lines["experiment"])
    assert lines["loaded"].split() == []


def test_the_lower_decile_is_numpys_percentile():
    from gui.surface_layer import lower_decile

    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 10, 11, 240 * 240):
        v = rng.standard_normal(n) * 1e3
        assert lower_decile(v) == float(np.percentile(v, 10))
    assert lower_decile(np.arange(11.0)) == 1.0
    assert lower_decile(np.arange(12.0)) == pytest.approx(1.1)


def test_the_median_is_numpys_median():
    from engine.critical_points import median

    rng = np.random.default_rng(6)
    for n in (1, 2, 5, 6, 1001):
        v = rng.standard_normal(n)
        assert median(v) == float(np.median(v))
    assert median(np.array([4.0, 1.0, 3.0, 2.0])) == 2.5


def test_contours_of_a_plane_and_of_a_saddle_cell():
    from gui.surface_layer import contour_segments

    xs, ys = np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0])
    z = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])  # z = x
    seg = contour_segments(z, xs, ys, [0.5])
    assert seg.tolist() == [[0.5, 0.0], [0.5, 1.0]]  # one vertical segment at x = 0.5
    saddle = np.array([[1.0, 0.0], [0.0, 1.0]])  # all four edges crossed at 0.5
    seg = contour_segments(saddle, np.array([0.0, 1.0]), np.array([0.0, 1.0]), [0.5])
    # bottom with right, then top with left
    assert seg.tolist() == [[0.5, 0.0], [1.0, 0.5], [0.5, 1.0], [0.0, 0.5]]


def test_a_lazy_tab_gets_its_size_and_the_zoom_before_the_experiment_and_its_first_show(
        qtbot, win):
    """As a tab built at start-up: a plot drawn at a passing size kept stale axes."""
    from PySide6.QtWidgets import QLabel

    seen = []
    win.tabBuilt.connect(lambda w: seen.append(("built", w.size().toTuple(), w.isVisible())))
    page = win.add_lazy_tab(QLabel, "Probe", lambda w: seen.append(
        ("ready", w.size().toTuple(), w.isVisible())))
    assert not page.is_built()
    _click_tab(qtbot, win, "Probe")
    size = page.size().toTuple()
    assert seen == [("built", size, False), ("ready", size, False)]
    assert page.content().isVisible() and page.content().size().toTuple() == size


def test_pyqtgraph_imported_for_the_app_sees_every_qt_name_as_before():
    """gui.pyqtgraph_import: pyqtgraph's Qt mirrors take PySide6's classes as they are used;
    each name is PySide6's own, pyqtgraph's additions are there, and PySide6 is unchanged."""
    code = """
import PySide6, PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets
from gui.pyqtgraph_import import import_pyqtgraph
pg = import_pyqtgraph()
import sys
built_now = 'QAbstractFileIconProvider' in PySide6.QtGui.__dict__
for name in ("QtCore", "QtGui", "QtWidgets"):
    src, mirror = getattr(PySide6, name), getattr(pg.Qt, name)
    assert mirror is sys.modules["pyqtgraph.Qt." + name] and mirror is getattr(pg, name)
    names = dir(src)
    assert len(names) > 200
    for n in names:
        if not n.startswith("__") and "." not in n:  # (nested classes, as PySide6 lists them)
            assert getattr(mirror, n) is getattr(src, n), n
    for n in ("__version__", "__version_info__"):  # pyqtgraph's version checks read them
        assert getattr(mirror, n, None) == getattr(src, n, None)
    try:
        mirror.NoSuchName
        raise SystemExit("no AttributeError")
    except AttributeError:
        pass
assert pg.Qt.QtCore.__version__ == PySide6.QtCore.__version__
assert pg.Qt.QtWidgets.QOpenGLWidget is not None and pg.Qt.QtGui.QFileSystemModel
from PySide6.QtWidgets import QApplication
app = QApplication([])
w = pg.PlotWidget()
item = w.plot([1, 2, 3], [3, 1, 2])
w.resize(200, 150)
w.grab()
print("ok", built_now)
"""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok", "False"]  # a class nobody used was not built


@pytest.mark.parametrize("value, on", [("1", True), ("yes", True), ("", False), ("0", False),
                                       (" False ", False), ("no", False)])
def test_the_startup_probe_is_off_unless_asked_for(monkeypatch, value, on):
    """A probe that quits the app must not be switched on by DESCENT_LAB_STARTUP_PROBE=0."""
    from gui.app import STARTUP_PROBE_ENV, probe_requested

    monkeypatch.setenv(STARTUP_PROBE_ENV, value)
    assert probe_requested() is on
