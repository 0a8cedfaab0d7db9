"""``main.py animate FILE.toml --out race.gif|race.mp4``: the race as an animation, drawn
offscreen by Qt with no window (see ``gui.animation``).

Plugged into ``engine.cli`` through ``COMMANDS``; Qt is imported only when the command runs.
Invalid input exits with status 2 and one line; a file that cannot be written exits 1. With
``--progress`` it prints ``frame I/N`` lines on stderr (the app reads them to show progress).
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from engine.arguments import add_progress, experiment_parser, experiment_path


def _parser():
    from gui.animation import DEFAULT_FRAMES, MAX_FPS, MAX_FRAMES, MAX_SIZE, MIN_SIZE

    p = experiment_parser("main.py animate", (
        "Draw the race of an experiment as an animation (GIF or MP4), one frame at each of "
        "steps 0, K, 2K, …, N (N/K + 1 frames; the last step is always drawn)."),
        preset_help="animate a built-in lecture preset instead of a file")
    p.add_argument("--out", required=True, metavar="race.gif|race.mp4",
                   help="the animation to write (.gif or .mp4, chosen by the extension)")
    p.add_argument("--fps", type=int, default=30, help=f"frames per second, 1..{MAX_FPS} "
                   "(default 30)")
    p.add_argument("--size", default="1280x720", metavar="WxH",
                   help=f"frame size in pixels, {MIN_SIZE[0]}x{MIN_SIZE[1]} to "
                        f"{MAX_SIZE[0]}x{MAX_SIZE[1]} (default 1280x720)")
    p.add_argument("--steps", type=int, metavar="N", help="last step drawn (default: the "
                   "experiment's steps; at most that)")
    p.add_argument("--first-step", type=int, default=0, metavar="S",
                   help="first step drawn (default 0)")
    p.add_argument("--steps-per-frame", type=int, metavar="K", help="steps between frames "
                   f"(default: about {DEFAULT_FRAMES} frames in all; at most {MAX_FRAMES:,} "
                   "frames)")
    p.add_argument("--layout", choices=("map", "full"), default="map",
                   help="the map alone, or the map beside the step plots (default map)")
    add_progress(p, "'frame I/N' lines")
    return p


_STOP = []


def _terminate(signum, frame):
    """SIGTERM (the app's Cancel): stop after the current frame; unwinding removes the
    partial file."""
    _STOP.append(signum)


def cmd_animate(argv: list[str]) -> int:
    from engine.experiment import ExperimentError, load
    from gui.animation import (AnimationError, AnimationSettings, check_settings,
                               parse_size)

    args = _parser().parse_args(argv)
    try:
        exp = load(experiment_path(args, "main.py animate"))
        settings = AnimationSettings(fps=args.fps, size=parse_size(args.size),
                                     first_step=args.first_step, last_step=args.steps,
                                     steps_per_frame=args.steps_per_frame, layout=args.layout)
        check_settings(settings, args.out, exp.steps)
        if args.file is not None and Path(args.out).resolve() == Path(args.file).resolve():
            raise AnimationError("--out: names the experiment file itself; choose another name")
    except (ExperimentError, AnimationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no window, no display needed
    from PySide6.QtWidgets import QApplication

    from gui.animation import AnimationCancelled, render_animation

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 (kept alive)
    signal.signal(signal.SIGTERM, _terminate)  # a cancelled export: unwind, remove the temp file

    def progress(done: int, total: int) -> bool:
        if args.progress:
            print(f"frame {done}/{total}", file=sys.stderr, flush=True)
        return not _STOP

    try:
        frames = render_animation(exp, args.out, settings, progress)
    except (KeyboardInterrupt, AnimationCancelled):
        print("error: interrupted; no file written", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {args.out}: {getattr(exc, 'strerror', None) or exc}",
              file=sys.stderr)
        return 1
    except MemoryError:
        print("error: not enough memory for this animation; use fewer --steps or a smaller "
              "--size", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({frames} frames, {settings.size[0]}x{settings.size[1]}, "
          f"{settings.fps} fps)")
    return 0


COMMANDS = {"animate": cmd_animate}
