"""Animation export speed and GIF size (issue budget: a 300-frame 1280×720 MP4 in ≤ 30 s on
2 cores; a 300-frame 640×360 GIF under 10 MB).

Prints the time of a whole 300-frame MP4 export beside a baseline measured in the same run:
drawing the same 300 frames without encoding them. Run: python benchmarks/animation.py
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.experiment import load  # noqa: E402
from engine.presets import preset_path  # noqa: E402
from gui.animation import AnimationSettings, RaceCanvas, render_animation  # noqa: E402

FRAMES = 300


def main() -> None:
    app = QApplication.instance() or QApplication([])  # noqa: F841
    exp = load(preset_path("crescent-rmsprop"))
    k = max(1, exp.steps // (FRAMES - 1))
    last = k * (FRAMES - 1)
    settings = AnimationSettings(size=(1280, 720), last_step=last, steps_per_frame=k)
    with tempfile.TemporaryDirectory() as tmp:
        sim = exp.simulation()
        sim.run_to(last)
        t0 = time.perf_counter()
        canvas = RaceCanvas(exp, sim, settings.size, "map")
        for step in settings.frame_steps(last):
            canvas.frame(int(step), last)
        canvas.close()
        draw = time.perf_counter() - t0

        t0 = time.perf_counter()
        n = render_animation(exp, Path(tmp) / "race.mp4", settings)
        mp4 = time.perf_counter() - t0
        mp4_size = (Path(tmp) / "race.mp4").stat().st_size

        gif_settings = AnimationSettings(size=(640, 360), last_step=last, steps_per_frame=k)
        t0 = time.perf_counter()
        render_animation(exp, Path(tmp) / "race.gif", gif_settings)
        gif = time.perf_counter() - t0
        gif_size = (Path(tmp) / "race.gif").stat().st_size
    print(f"{n} frames of crescent-rmsprop, {os.cpu_count()} cores")
    print(f"  baseline: draw {n} frames 1280x720, no encoding  {draw:6.2f} s")
    print(f"  MP4 1280x720 export (run + draw + encode)    {mp4:6.2f} s  "
          f"= {mp4 / draw:.2f}x the baseline  (budget 30 s)  {mp4_size / 1e6:.1f} MB")
    print(f"  GIF 640x360 export                            {gif:6.2f} s  "
          f"{gif_size / 1e6:.1f} MB  (budget 10 MB)")


if __name__ == "__main__":
    main()
