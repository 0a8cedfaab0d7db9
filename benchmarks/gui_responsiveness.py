"""How long the GUI event loop is blocked while long work runs in the background.

    python benchmarks/gui_responsiveness.py [--steps N]

Runs, in an offscreen main window: a CSV export of 4 runs × N steps (running to the limit,
then writing), an LR sweep of 1,000 rates × N/50 steps, and the 3-D view's computation
for the 4 × N-step paths. A 5 ms QTimer ticks meanwhile; the longest gap between two ticks
is printed as a ratio to the 100 ms budget (below 1: the window stayed responsive), next
to the work's duration. For the export, the gap while the job works is printed too: after
it, the window redraws the finished runs on the GUI thread (map and plots), as it does when
playback reaches the end.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BUDGET_S = 0.100

EXPERIMENT = """
title = "Four runs"
surface = "rosenbrock"
steps = {steps}
[[runs]]
optimizer = "gd"
lr = 0.0001
[[runs]]
optimizer = "momentum"
lr = 0.0001
[[runs]]
optimizer = "adam"
lr = 0.001
[[runs]]
optimizer = "rmsprop"
lr = 0.0005
"""


class GapMeter:
    def __init__(self):
        from PySide6.QtCore import QTimer

        self.last = time.perf_counter()
        self.worst = 0.0
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def reset(self):
        self.last, self.worst = time.perf_counter(), 0.0


def wait_for(app, done):
    while not done():
        app.processEvents()
        time.sleep(0.001)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200_000)
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    from engine.experiment import loads
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp())
    win = MainWindow(config_dir=folder / "config", autosave=False)
    win.load_experiment(loads(EXPERIMENT.format(steps=args.steps)))
    win.resize(1280, 800)
    win.show()
    meter = GapMeter()

    def settle():  # let earlier painting finish before measuring
        end = time.perf_counter() + 1.0
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.005)

    def measure(name, start, done):
        settle()
        meter.reset()
        t0 = time.perf_counter()
        job = start()
        during = []
        if hasattr(job, "succeeded"):  # the gap while the job worked, before its result is used
            job.succeeded.connect(lambda _r: during.append(meter.worst))
        wait_for(app, done)
        took = time.perf_counter() - t0
        print(f"{name:<44} {took:7.2f} s   longest GUI gap / 100 ms budget = "
              f"{meter.worst / BUDGET_S:.2f}"
              + (f" (while working: {during[0] / BUDGET_S:.2f})" if during else ""))

    n = args.steps
    measure(f"CSV export, 4 runs × {n:,} steps", lambda: win.export_csv(folder / "out.csv"),
            lambda: not win.export_running())
    tools = win.analysis_tools
    view = tools.view3d
    view.available = True  # compute as if OpenGL were there; draw nothing
    view._apply = lambda *out: None
    sim = win.simulation()
    measure("3-D view paths, 4 runs", lambda: view.set_simulation(sim, ["#000"] * 4),
            lambda: not view.busy)
    panel = tools.sweep
    panel.set_optimizer("gd")
    panel.lr_low.setText("1e-6")
    panel.lr_high.setText("1e-3")
    panel.count.setValue(1000)
    panel.steps.setValue(max(n // 50, 1))
    measure(f"LR sweep, 1,000 rates × {max(n // 50, 1):,} steps", panel.start,
            lambda: not panel.running)
    win.close()


if __name__ == "__main__":
    main()
