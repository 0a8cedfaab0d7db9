"""Session of the main window: the autosaved experiment, the recent-files list, restoring the
last experiment at start-up.

A mixin of ``MainWindow``: it uses ``config_dir``, ``autosave_enabled``, ``_exp``, ``_path``,
``_recent``, ``recent_menu``, ``open_file``, ``load_experiment`` and ``confirm_discard``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from engine.experiment import ExperimentError
from engine.experiment import load as load_experiment_file

MAX_RECENT = 8
AUTOSAVE_NAME = "last_experiment.toml"
SESSION_NAME = "session.json"


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
