"""Session of the main window: the autosaved experiment, the recent-files list, restoring the
last experiment at start-up.

Whatever is in the config folder, the app starts: a file that is missing, not a regular
file, larger than ``MAX_CONFIG_BYTES``, unreadable, not UTF-8, not valid JSON/TOML, nested
too deeply, of the wrong types, or an experiment the app cannot show, is ignored; each one
is noted in ``startup_notes`` (shown in the status bar) and the app falls back to the
default experiment.

A mixin of ``MainWindow``: it uses ``config_dir``, ``autosave_enabled``, ``_exp``, ``_path``,
``_recent``, ``recent_menu``, ``startup_notes``, ``open_file``, ``load_experiment`` and
``confirm_discard``.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from engine.experiment import ExperimentError
from engine.experiment import loads as parse_experiment_text

MAX_RECENT = 8
AUTOSAVE_NAME = "last_experiment.toml"
SESSION_NAME = "session.json"
#: larger files in the config folder are ignored unread (an experiment is a few kB)
MAX_CONFIG_BYTES = 1_000_000
#: longer paths in the session are ignored (PATH_MAX on Linux)
MAX_PATH_CHARS = 4096


def read_config_text(path: Path) -> tuple[str | None, str]:
    """``(text, "")``; ``(None, "")`` when there is no such file; ``(None, why)`` when the
    file cannot be used (not a regular file, too large, unreadable, not UTF-8)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        return None, f"cannot read it ({exc.strerror or exc})"
    if not stat.S_ISREG(st.st_mode):
        return None, "not a regular file"
    if st.st_size > MAX_CONFIG_BYTES:
        return None, f"too large ({st.st_size:,} bytes; at most {MAX_CONFIG_BYTES:,})"
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        return None, f"cannot read it ({exc.strerror or exc})"
    if len(data) > MAX_CONFIG_BYTES:
        return None, f"too large (more than {MAX_CONFIG_BYTES:,} bytes)"
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        return None, "not UTF-8 text"


def usable_path(value) -> bool:
    """A path string the session may hold: non-empty, at most MAX_PATH_CHARS, no NUL."""
    return isinstance(value, str) and 0 < len(value) <= MAX_PATH_CHARS and "\0" not in value


def parse_session(text: str) -> tuple[dict, list[str]]:
    """The session's ``{"path", "dirty", "recent", "zoom"}`` with every value of the right
    type, and what was ignored. Never raises."""
    out: dict = {"path": None, "dirty": True, "recent": [], "zoom": 1.0}
    try:
        data = json.loads(text)
    except RecursionError:
        return out, ["nested too deeply"]
    except ValueError as exc:
        return out, [f"not valid JSON ({str(exc)[:80]})"]
    if not isinstance(data, dict):
        return out, ["not a JSON object"]
    notes = []
    path = data.get("path")
    if path is None or usable_path(path):
        out["path"] = path
    else:
        notes.append("'path' is not a usable file path")
    dirty = data.get("dirty", True)
    if isinstance(dirty, bool):
        out["dirty"] = dirty
    else:
        notes.append("'dirty' is not true or false")
    recent = data.get("recent", [])
    if not isinstance(recent, list):
        notes.append("'recent' is not a list")
        recent = []
    kept = [p for p in recent if usable_path(p)]
    if len(kept) != len(recent):
        notes.append(f"{len(recent) - len(kept)} unusable recent file(s)")
    out["recent"] = list(dict.fromkeys(kept))[:MAX_RECENT]
    zoom = data.get("zoom", 1.0)
    if isinstance(zoom, (int, float)) and not isinstance(zoom, bool) and 0.5 <= zoom <= 4:
        out["zoom"] = float(zoom)
    else:
        notes.append("'zoom' is not a number from 0.5 to 4")
    return out, notes


def config_dir_default() -> Path:
    """Where the session and the autosave live: $DESCENT_LAB_CONFIG_DIR, else the platform's
    application config folder."""
    env = os.environ.get("DESCENT_LAB_CONFIG_DIR")
    if env:
        return Path(env)
    loc = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
    return Path(loc) if loc else Path.home() / ".descent-lab"


class Session:
    """Autosave, session file and recent files (mixed into ``MainWindow``)."""

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
        if getattr(self, "zoom", None) is not None:  # the views' zoom (gui.presentation)
            session["zoom"] = self.zoom.factor
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

    def _note_ignored(self, name: str, why: str) -> None:
        self.startup_notes.append(f"{name}: {why}")

    def _load_session(self) -> None:
        text, why = read_config_text(self._session_path())
        session, notes = parse_session(text) if text is not None else (
            {"path": None, "dirty": True, "recent": []}, [why] if why else [])
        for note in notes:
            self._note_ignored(SESSION_NAME, note)
        self._session = session
        self._session_blob = text  # rewritten only when something changes
        self._recent = list(session["recent"])
        self._update_recent_menu()

    def restore_last(self) -> bool:
        """Load the autosaved experiment of the last session; False when there is none or it
        cannot be used (noted in ``startup_notes``)."""
        text, why = read_config_text(self._autosave_path())
        if text is None:
            if why:
                self._note_ignored(AUTOSAVE_NAME, why)
            return False
        session = getattr(self, "_session", None) or {"path": None, "dirty": True}
        path, dirty = session["path"], session["dirty"]
        autosaved = self._autosaved_text
        self._autosaved_text = text  # the file holds it already: not written again
        try:
            exp = parse_experiment_text(text, AUTOSAVE_NAME)
            self.load_experiment(exp, path, clean=not dirty)
        except ExperimentError as exc:
            self._autosaved_text = autosaved
            self._note_ignored(AUTOSAVE_NAME, exc.problem if exc.key == "" else
                               f"{exc.key}: {exc.problem}")
            return False
        except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
            # whatever a damaged autosave does to the parser, the app still starts
            self._autosaved_text = autosaved
            self._note_ignored(AUTOSAVE_NAME, f"cannot be read ({type(exc).__name__})")
            return False
        if path and dirty:
            self._saved_text = None
            self._changed()
        return True

    def show_startup_notes(self) -> None:
        """Say in the status bar what start-up ignored (nothing when all was well)."""
        if self.startup_notes:
            text = "; ".join(n if len(n) <= 160 else n[:159] + "…" for n in self.startup_notes)
            text = "".join(c if c.isprintable() else " " for c in text)
            self.statusBar().showMessage(f"Ignored at start-up: {text}. Started with "
                                         f"“{self._title()}”.")

    def _add_recent(self, path: str) -> None:
        self._recent = [path] + [p for p in self._recent if p != path]
        self._recent = self._recent[:MAX_RECENT]
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        for p in self._recent:
            shown = p if len(p) <= 80 else p[:30] + "…" + p[-49:]  # a menu fits on screen
            act = self.recent_menu.addAction(shown.replace("&", "&&"))
            act.setStatusTip(p)
            act.triggered.connect(lambda checked=False, p=p: self._open_recent(p))
        self.recent_menu.setEnabled(bool(self._recent))

    def _open_recent(self, path: str) -> None:
        if os.path.exists(path):  # read and prepared off the GUI thread
            if self.confirm_discard():
                from gui.opening import open_in_background
                open_in_background(self, path)
            return
        if self.confirm_discard() and not self.open_file(path) and not os.path.exists(path):
            self._recent = [p for p in self._recent if p != path]  # gone: drop it
            self._update_recent_menu()
            self._autosave()  # the session file keeps the recent list

    def recent_files(self) -> list[str]:
        return list(self._recent)
