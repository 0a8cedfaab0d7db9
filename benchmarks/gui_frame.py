"""GUI speed: frame redraw with 8 runs × 100,000 recorded steps, and start-up to a painted
window. Offscreen; run on demand:  python benchmarks/gui_frame.py [--steps N]

Each figure is printed beside a baseline measured in the same run, and as a ratio:
- playing: frames as the app plays them, 8 runs past N steps each, at the Auto speed's pace
  (an experiment of 2N steps in about 12 s at 60 frames a second: 2N / 720 steps a frame):
  the window's redraw, then Qt paints what changed. The stepping itself is left out (the
  stepper has its own time budget per frame). Median and 90th percentile; the budget is
  16 ms per frame. Also the GUI thread's CPU time per frame (``time.thread_time``), which
  other processes on a shared machine inflate less than the wall time.
- redraw: the window's full redraw (map trajectories, 4 plots, playback bar, then a
  repaint of the whole map and all plots) of 8 × N steps, vs the same redraw of 8 × 1 step
  (the empty frame); once cold (first frame after a rebuild: log₁₀ of the whole history),
  with every curve re-set, and while playing with both views repainted whole each frame
  (advance 10 steps + redraw: more than a playing frame repaints). Then the same with the
  lines of before the lecture-hall work (1 px paths and curves, no outline under the paths),
  to show what the 2 px lines and the paths' dark outline cost (``--compare-thin``, on by
  default).
- against (``--against DIR``, instead of the rest): the playing frames of this checkout and
  of another one (the code before a change) in two processes that take turns frame by
  frame, so that both see the same load on a shared machine.
- start-up (``--startup-only`` for these figures alone): ``python main.py`` in a fresh
  process, as a user launches it, after one launch that wrote Python's compiled modules and
  the autosave (so the last session's experiment is restored, as on any later launch); vs a
  process that only runs ``import PySide6.QtWidgets``. With ``DESCENT_LAB_STARTUP_PROBE=1``
  the app prints ``time.time()`` when its window has painted and when it has painted with
  the experiment shown, then quits; each is taken from this process's ``time.time()`` just
  before the launch, so everything from ``python main.py`` on counts (interpreter, imports,
  window, reading the experiment, painting). The budget, 1.5 s, is checked against the
  window painted with the experiment shown. What follows (closing the window and the
  interpreter's exit, which a user does not wait for) is printed apart.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

EXPERIMENT = """
title = "benchmark: 8 runs"
surface = "{surface}"
steps = {steps}
{runs}
"""
RUN = """[[runs]]
label = "run {i}"
optimizer = "{opt}"
lr = {lr}
start = [{x}, {y}]
"""
OPTS = (("gd", 1e-4), ("momentum", 1e-4), ("adam", 1e-3), ("rmsprop", 1e-3),
        ("nesterov", 1e-4), ("adagrad", 1e-2), ("gd", 2e-4), ("adam", 5e-4))


def _experiment(steps: int, surface: str = "rosenbrock"):
    from engine.experiment import loads

    runs = "".join(RUN.format(i=i + 1, opt=o, lr=lr, x=-1.8 + 0.1 * i, y=2.5 - 0.05 * i)
                   for i, (o, lr) in enumerate(OPTS))
    return loads(EXPERIMENT.format(steps=steps, runs=runs, surface=surface))


def _time_ms(fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out)


def bench_playing(steps: int, frames: int, surface: str = "rosenbrock") -> None:
    """Frames at the Auto pace, as the frame timer draws them (see the module)."""
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    win = MainWindow(config_dir=tempfile.mkdtemp(prefix="descent-lab-bench-"), autosave=False)
    win.resize(1600, 1000)
    win.show()
    app.processEvents()
    win.load_experiment(_experiment(2 * steps, surface))
    win.simulation().run_to(steps)
    win.redraw()
    app.processEvents()
    per = max(1, round(2 * steps / (12 * 60)))
    win.timer.setInterval(10 ** 7)  # "playing" for the views; the timer never fires here
    win.timer.start()
    times, cpu = [], []
    for _ in range(frames):
        win.simulation().advance(per)
        t0, c0 = time.perf_counter(), time.thread_time()
        win.redraw()
        app.processEvents()  # Qt paints what the frame changed
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    idle, idle_cpu = [], []
    for _ in range(frames // 4):  # the baseline: a frame in which nothing moved
        t0, c0 = time.perf_counter(), time.thread_time()
        win.redraw()
        app.processEvents()
        idle.append((time.perf_counter() - t0) * 1000)
        idle_cpu.append((time.thread_time() - c0) * 1000)
    win.timer.stop()
    times.sort()
    med, p90 = statistics.median(times), times[int(0.9 * (len(times) - 1))]
    base = statistics.median(idle)
    cpu_med, cpu_base = statistics.median(cpu), statistics.median(idle_cpu)
    canvases = getattr(win.plots, "canvases", {}).values()
    full = sum(c.full_draws for c in canvases)
    part = sum(c.partial_draws for c in canvases)
    print(f"playing at the Auto pace: 8 runs from step {steps:,}, {per} steps a frame, "
          f"{frames} frames on {surface}")
    print(f"  a frame in which nothing moved {base:6.2f} ms   (baseline)")
    print(f"  draw per frame               {med:8.2f} ms median (ratio {med / max(base, 1e-9):.1f}),"
          f" {p90:.2f} ms 90th percentile   (budget 16 ms: {'OK' if med < 16 else 'OVER'})")
    print(f"  GUI thread's CPU per frame   {cpu_med:8.2f} ms median (ratio "
          f"{cpu_med / max(cpu_base, 1e-9):.1f}; {cpu_base:.2f} ms when nothing moved): the "
          f"wall time less waiting for the CPU on a busy machine")
    print(f"  plot canvases drawn whole {full}×, only their new points {part}×")
    win.close()


def bench_redraw(steps: int, repeat: int, surface: str = "rosenbrock",
                 compare_thin: bool = True) -> None:
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    cfg = tempfile.mkdtemp(prefix="descent-lab-bench-")
    win = MainWindow(config_dir=cfg, autosave=False)
    win.resize(1600, 1000)
    win.show()
    app.processEvents()

    def frame():
        win.redraw()
        # both views repaint every frame (as while playing), then the event loop paints
        win.map_view.plot.viewport().update()
        win.plots.layout_widget.viewport().update()
        app.processEvents()

    exp = _experiment(steps, surface)
    win.load_experiment(exp)
    win.simulation().advance(1)
    frame()
    empty = _time_ms(frame, repeat)

    t0 = time.perf_counter()
    win.simulation().run_to(steps)
    sim_s = time.perf_counter() - t0
    live = int(win.simulation().live.sum())
    cold = []
    for _ in range(max(3, repeat // 4)):  # first frame after a rebuild: nothing cached
        win.map_view.set_runs([r.label for r in win.simulation().runs], win._colors(),
                              [r.start for r in win.simulation().runs])
        win.plots.set_runs(win.plots.styles)
        cold.append(_time_ms(frame, 1))
    cold_ms = statistics.median(cold)
    full = _time_ms(frame, repeat)

    def full_redraw():
        win.plots._drawn_rows = [-1] * len(win.plots._drawn_rows)  # re-set every curve
        frame()
    full_set = _time_ms(full_redraw, repeat)

    def playing():
        win.simulation().advance(10)
        frame()
    win.timer.setInterval(10 ** 7)  # "playing" for the plots, but the timer never fires here
    win.timer.start()
    play = _time_ms(playing, repeat * 4)
    win.timer.stop()
    n = win.simulation().step
    print(f"redraw, 8 runs x {n:,} steps on {surface} ({live} still running; simulating "
          f"them took {sim_s:.1f} s)")
    print(f"  empty frame (8 x 1 step)     {empty:8.2f} ms   (baseline)")
    print(f"  first frame after rebuild    {cold_ms:8.2f} ms   ratio {cold_ms / empty:6.2f}")
    print(f"  repaint, data unchanged      {full:8.2f} ms   ratio {full / empty:6.2f}")
    print(f"  redraw, every curve re-set   {full_set:8.2f} ms   ratio {full_set / empty:6.2f}")
    print(f"  advance 10 + repaint all     {play:8.2f} ms   ratio {play / empty:6.2f}")
    if compare_thin:
        _thin_lines(win)
        thin_set = _time_ms(full_redraw, repeat)
        win.timer.start()
        thin_play = _time_ms(playing, repeat * 4)
        win.timer.stop()
        print("  the same with 1 px lines and no outline under the paths:")
        print(f"  redraw, every curve re-set   {thin_set:8.2f} ms   ratio {thin_set / empty:6.2f}"
              f"   (2 px + outline / 1 px: {full_set / thin_set:5.2f})")
        print(f"  advance 10 + repaint all     {thin_play:8.2f} ms   ratio {thin_play / empty:6.2f}"
              f"   (2 px + outline / 1 px: {play / thin_play:5.2f})")
    win.close()


def _thin_lines(win) -> None:
    """1 px paths and curves without the paths' outline (the look before the zoom work)."""
    import pyqtgraph as pg

    for path, halo in zip(win.map_view.paths, win.map_view.halos):
        pen = pg.mkPen(path.opts["pen"])
        pen.setWidthF(1.0)
        path.setPen(pen)
        halo.setVisible(False)
    for run in win.plots.curves:
        for items in run.values():
            for item in items:
                pen = pg.mkPen(item.opts["pen"])
                pen.setWidthF(1.0)
                item.setPen(pen)


PLAYING_CHILD = """
import os, sys, tempfile, time
sys.path.insert(0, {root!r})
import gui
if not os.path.realpath(gui.__file__).startswith(os.path.realpath({root!r}) + os.sep):
    sys.exit("not a checkout: " + {root!r})  # (an installed copy would be timed instead)
from PySide6.QtWidgets import QApplication
from engine.experiment import loads
from gui.main_window import MainWindow
app = QApplication([])
win = MainWindow(config_dir=tempfile.mkdtemp(prefix="descent-lab-bench-"), autosave=False)
win.resize(1600, 1000)
win.show()
app.processEvents()
win.load_experiment(loads({text!r}))
win.simulation().run_to({steps})
win.redraw()
app.processEvents()
win.timer.setInterval(10 ** 7)
win.timer.start()
print("ready", flush=True)
for _line in sys.stdin:
    win.simulation().advance({per})
    t0, c0 = time.perf_counter(), time.thread_time()
    win.redraw()
    app.processEvents()
    print((time.perf_counter() - t0) * 1000, (time.thread_time() - c0) * 1000, flush=True)
"""


def bench_against(other: str, steps: int, frames: int, surface: str = "rosenbrock") -> None:
    """Playing frames of this checkout and of the checkout ``other`` (e.g. a git worktree of
    the code before a change), in two processes that take turns frame by frame: both see
    the same load, so the ratio holds on a busy machine."""
    runs = "".join(RUN.format(i=i + 1, opt=o, lr=lr, x=-1.8 + 0.1 * i, y=2.5 - 0.05 * i)
                   for i, (o, lr) in enumerate(OPTS))
    text = EXPERIMENT.format(steps=2 * steps, runs=runs, surface=surface)
    per = max(1, round(2 * steps / (12 * 60)))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    sides = {"this checkout": str(ROOT), "other checkout": str(Path(other).resolve())}
    procs = {name: subprocess.Popen(
        [sys.executable, "-c", PLAYING_CHILD.format(root=root, text=text, steps=steps,
                                                    per=per)],
        cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True) for name, root in sides.items()}
    try:
        for name, proc in procs.items():
            if proc.stdout.readline().strip() != "ready":
                raise SystemExit(f"gui_frame: the {name} ({sides[name]}) did not start: "
                                 "is it a checkout of the project?")
        times = {name: ([], []) for name in procs}
        for frame in range(frames):
            order = list(procs) if frame % 2 == 0 else list(procs)[::-1]
            for name in order:
                procs[name].stdin.write("\n")
                procs[name].stdin.flush()
                wall, cpu = map(float, procs[name].stdout.readline().split())
                times[name][0].append(wall)
                times[name][1].append(cpu)
    finally:
        for proc in procs.values():
            proc.stdin.close()
            proc.wait()
    print(f"playing, frame by frame in turns with {sides['other checkout']} "
          f"(8 runs from step {steps:,}, {per} steps a frame, {frames} frames each)")
    meds = {}
    for name, (wall, cpu) in times.items():
        wall = sorted(wall)
        meds[name] = statistics.median(wall)
        print(f"  {name:15s} {meds[name]:7.2f} ms median, {wall[int(0.9 * (len(wall) - 1))]:6.2f}"
              f" ms 90th percentile, CPU {statistics.median(cpu):6.2f} ms median")
    print(f"  this / other: {meds['this checkout'] / meds['other checkout']:.2f}")


def _launch(env: dict) -> tuple[float, float, float]:
    """``python main.py`` as a user starts it, timed from just before the launch: (window
    painted, window painted with the experiment shown, teardown after that), in seconds."""
    t0 = time.time()
    out = subprocess.run([sys.executable, "main.py"], check=True, env=env, cwd=ROOT,
                         capture_output=True, text=True).stdout
    end = time.time()
    marks = dict(line.split() for line in out.splitlines() if line.startswith(("painted ",
                                                                              "experiment ")))
    painted, shown = float(marks["painted"]), float(marks["experiment"])
    return painted - t0, shown - t0, end - shown


def bench_startup(repeat: int) -> None:
    """Start-up as a user gets it (see the module's docstring)."""
    from gui.app import STARTUP_PROBE_ENV

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **{STARTUP_PROBE_ENV: "1"},
               DESCENT_LAB_CONFIG_DIR=tempfile.mkdtemp(prefix="descent-lab-bench-"))
    # a user's second launch: Python's compiled modules exist (a shell that forbids writing
    # them would compile every module at every start, about 0.4 s more), and the last
    # session's experiment is restored (the first launch autosaves it)
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def wall(code: str) -> float:
        t0 = time.time()
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.time() - t0

    _launch(env)
    load = os.getloadavg()[0]
    bases = [wall("import PySide6.QtWidgets") for _ in range(repeat)]
    runs = [_launch(env) for _ in range(repeat)]
    base = statistics.median(bases)
    painted, shown, teardown = ([r[k] for r in runs] for k in range(3))
    med = statistics.median
    print(f"start-up of 'python main.py' (fresh process, wall clock; median and best of "
          f"{repeat}; load average {load:.2f} when it began)")
    print(f"  python -c 'import PySide6.QtWidgets'   {base:6.3f} s   best {min(bases):6.3f} s"
          "   (baseline)")
    print(f"  window painted                         {med(painted):6.3f} s   best "
          f"{min(painted):6.3f} s   ratio {med(painted) / base:5.2f}")
    print(f"  window painted, experiment shown       {med(shown):6.3f} s   best "
          f"{min(shown):6.3f} s   ratio {med(shown) / base:5.2f}   (budget 1.5 s, median: "
          f"{'OK' if med(shown) < 1.5 else 'OVER'})")
    print(f"  after quitting: teardown and exit      {med(teardown):6.3f} s   (not counted)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--surface", default="rosenbrock",
                   help="e.g. groove: negative losses, so the loss plot shows L − L_min")
    p.add_argument("--frames", type=int, default=240, help="playing frames to time")
    p.add_argument("--no-startup", action="store_true", help="only the drawing figures")
    p.add_argument("--startup-only", action="store_true", help="only the start-up figures")
    p.add_argument("--no-compare-thin", action="store_true",
                   help="skip the figures with 1 px lines and no path outline")
    p.add_argument("--against", metavar="DIR",
                   help="only the playing frames, in turns with the checkout in DIR (e.g. "
                        "`git worktree add /tmp/old main`): a before/after on a busy machine")
    args = p.parse_args()
    if args.against:
        return bench_against(args.against, args.steps, args.frames, args.surface)
    if not args.no_startup:
        bench_startup(max(3, args.repeat // 3))
    if args.startup_only:
        return
    bench_playing(args.steps, args.frames, args.surface)
    bench_redraw(args.steps, args.repeat, args.surface, not args.no_compare_thin)


if __name__ == "__main__":
    main()
