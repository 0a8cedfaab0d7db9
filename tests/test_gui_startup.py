"""The app always starts: whatever is in the config folder, the window is built, says in the
status bar what it ignored, and falls back to the default experiment. An experiment the app
cannot show is refused with a clear message and never reaches the autosave."""
import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from engine.experiment import loads
from gui.app import configure_application, create_window
from gui.main_window import default_experiment
from gui.session import AUTOSAVE_NAME, MAX_CONFIG_BYTES, SESSION_NAME

from conftest import QUAD

GOOD = QUAD


def _write(cfg, name, content):
    p = cfg / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")


def _dir(cfg, name):
    (cfg / name).mkdir()


def _fifo(cfg, name):
    os.mkfifo(cfg / name)  # reading it would never end


def _unreadable(cfg, name):
    _write(cfg, name, GOOD)
    (cfg / name).chmod(0)


CASES = {  # name -> (what to put in the config folder, file that must be named as ignored)
    "autosave of binary junk": (lambda c: _write(c, AUTOSAVE_NAME, bytes(range(256)) * 8),
                                AUTOSAVE_NAME),
    "autosave that is not TOML": (lambda c: _write(c, AUTOSAVE_NAME, "steps = = 3\n[[[x"),
                                  AUTOSAVE_NAME),
    "autosave with steps ≥ 2³¹": (lambda c: _write(c, AUTOSAVE_NAME, GOOD.replace(
        "steps = 40", f"steps = {2**31}")), AUTOSAVE_NAME),
    "autosave with steps 10¹²": (lambda c: _write(c, AUTOSAVE_NAME, GOOD.replace(
        "steps = 40", "steps = 1000000000000")), AUTOSAVE_NAME),
    "autosave with a huge seed": (lambda c: _write(c, AUTOSAVE_NAME, GOOD.replace(
        "steps = 40", f"steps = 40\nseed = {2**40}")), AUTOSAVE_NAME),
    "autosave with a 400-digit number": (lambda c: _write(c, AUTOSAVE_NAME, GOOD.replace(
        "lr = 0.1", "lr = 1" + "0" * 400)), AUTOSAVE_NAME),
    "autosave nested deeply": (lambda c: _write(c, AUTOSAVE_NAME, "x = " + "[" * 50_000),
                               AUTOSAVE_NAME),
    "autosave is a directory": (lambda c: _dir(c, AUTOSAVE_NAME), AUTOSAVE_NAME),
    "autosave is a pipe": (lambda c: _fifo(c, AUTOSAVE_NAME), AUTOSAVE_NAME),
    "autosave is huge": (lambda c: _write(c, AUTOSAVE_NAME, GOOD + "#" * (MAX_CONFIG_BYTES + 1)),
                         AUTOSAVE_NAME),
    "session of binary junk": (lambda c: _write(c, SESSION_NAME, b"\xff\xfe\x00junk"),
                               SESSION_NAME),
    "session not JSON": (lambda c: _write(c, SESSION_NAME, "{recent: ["), SESSION_NAME),
    "session of wrong types": (lambda c: _write(c, SESSION_NAME, json.dumps(
        {"path": [1, 2], "dirty": "yes", "recent": 5})), SESSION_NAME),
    "session with non-string recent files": (lambda c: _write(c, SESSION_NAME, json.dumps(
        {"recent": [1, None, {"a": 1}, ["x"], "ok.toml"]})), SESSION_NAME),
    "session nested deeply": (lambda c: _write(c, SESSION_NAME, "[" * 100_000 + "]" * 100_000),
                              SESSION_NAME),
    "session is a list": (lambda c: _write(c, SESSION_NAME, "[1, 2, 3]"), SESSION_NAME),
    "session is a directory": (lambda c: _dir(c, SESSION_NAME), SESSION_NAME),
    "session is huge": (lambda c: _write(c, SESSION_NAME, " " * (MAX_CONFIG_BYTES + 10) + "{}"),
                        SESSION_NAME),
    "overlong recent path": (lambda c: _write(c, SESSION_NAME, json.dumps(
        {"recent": ["/" + "a" * 100_000 + ".toml"]})), SESSION_NAME),
    "overlong session path": (lambda c: (_write(c, AUTOSAVE_NAME, GOOD), _write(
        c, SESSION_NAME, json.dumps({"path": "/" + "b" * 100_000, "dirty": False}))),
        SESSION_NAME),
    "path with a NUL": (lambda c: _write(c, SESSION_NAME, json.dumps(
        {"path": "a\0b", "recent": ["c\0d"]})), SESSION_NAME),
}
if os.geteuid() != 0:  # root reads any file
    CASES["unreadable autosave"] = (lambda c: _unreadable(c, AUTOSAVE_NAME), AUTOSAVE_NAME)


@pytest.mark.parametrize("case", list(CASES))
def test_the_app_starts_whatever_is_in_the_config_folder(qtbot, tmp_path, dialogs, case):
    cfg = tmp_path / "config"
    cfg.mkdir()
    make, named = CASES[case]
    make(cfg)
    win = create_window(config_dir=cfg, dialogs=dialogs)
    qtbot.addWidget(win)
    message = win.statusBar().currentMessage()
    assert message.startswith("Ignored at start-up:") and named in message
    assert "\n" not in message and len(message) < 1000
    if "overlong session path" not in case:
        assert win.experiment() == default_experiment()
    assert win.simulation() is not None and not dialogs.errors
    assert all(len(p) <= 4096 for p in win.recent_files())
    win.close()  # the autosave replaces what was there, or says it cannot
    win.deleteLater()


def test_a_config_folder_that_is_a_file_still_starts(qtbot, tmp_path, dialogs):
    cfg = tmp_path / "config"
    cfg.write_text("not a folder")
    win = create_window(config_dir=cfg, dialogs=dialogs)
    qtbot.addWidget(win)
    assert win.experiment() == default_experiment()
    win.run_editor.add_run()  # an edit autosaves: it cannot, and says so
    assert "Cannot autosave" in win.statusBar().currentMessage()


def test_a_clean_start_says_nothing_was_ignored(qtbot, tmp_path, dialogs):
    cfg = tmp_path / "config"
    win = create_window(config_dir=cfg, dialogs=dialogs)
    qtbot.addWidget(win)
    assert win.startup_notes == [] and "Ignored" not in win.statusBar().currentMessage()


def test_a_valid_autosave_is_restored_with_its_session(qtbot, tmp_path, dialogs):
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / AUTOSAVE_NAME).write_text(GOOD)
    (cfg / SESSION_NAME).write_text(json.dumps({"path": None, "dirty": True,
                                                "recent": ["/x/a.toml", "/x/b.toml"]}))
    win = create_window(config_dir=cfg, dialogs=dialogs)
    qtbot.addWidget(win)
    assert win.experiment() == loads(GOOD)
    assert win.recent_files() == ["/x/a.toml", "/x/b.toml"] and win.startup_notes == []


def test_opening_a_file_beyond_the_apps_limits_is_refused(qtbot, win, dialogs, tmp_path):
    big = tmp_path / "big.toml"
    big.write_text(QUAD.replace("steps = 40", f"steps = {2**31}"))
    before = win.experiment()
    assert not win.open_file(big)
    assert "steps" in dialogs.errors[-1] and "10,000,000" in dialogs.errors[-1]
    assert "\n" not in dialogs.errors[-1]
    assert win.experiment() == before
    win.close()  # the autosave holds the experiment the window kept
    assert loads((tmp_path / "config" / AUTOSAVE_NAME).read_text()) == before
    win2 = create_window(config_dir=tmp_path / "config", dialogs=dialogs)
    qtbot.addWidget(win2)
    assert win2.experiment() == before


def test_a_file_beyond_the_limits_on_the_command_line_falls_back(qtbot, tmp_path, dialogs):
    big = tmp_path / "big.toml"
    big.write_text(QUAD.replace("steps = 40", "steps = 99999999999"))
    win = create_window(big, config_dir=tmp_path / "config", dialogs=dialogs)
    qtbot.addWidget(win)
    assert dialogs.errors and "steps" in dialogs.errors[0]
    assert win.experiment() == default_experiment()


def test_the_window_title_names_the_app_once(qtbot, tmp_path, dialogs):
    app = QApplication.instance()
    saved = (app.applicationName(), app.organizationName(), app.applicationDisplayName())
    configure_application(app)
    try:
        win = create_window(config_dir=tmp_path / "config", dialogs=dialogs)
        qtbot.addWidget(win)
        title = win.windowTitle().replace("[*]", "")
        assert title.count("Descent Lab") == 1
        # Qt appends the display name to a title that does not end with it
        assert title.endswith(app.applicationDisplayName())
    finally:
        app.setApplicationName(saved[0])
        app.setOrganizationName(saved[1])
        app.setApplicationDisplayName(saved[2])


def test_stepping_never_takes_the_limit_past_what_the_app_can_reopen(qtbot, win, monkeypatch):
    from gui import playback

    monkeypatch.setattr(playback, "MAX_STEPS", 40)  # the bowl's step limit
    win.simulation().run_to(40)
    win.redraw()
    qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.simulation().step == 40 and win.experiment().steps == 40
    assert "at most 40 steps" in win.statusBar().currentMessage()


def test_a_recent_file_with_an_overlong_name_is_reported_and_dropped(qtbot, win, dialogs):
    bad = "/tmp/" + "n" * 300 + ".toml"  # a name longer than the file system allows
    win._add_recent(bad)
    dialogs.answers.append("discard")
    win.recent_menu.actions()[0].trigger()
    assert dialogs.errors and bad not in win.recent_files()


def test_a_long_recent_path_is_shortened_in_the_menu(qtbot, win):
    long = "/data/" + "x" * 300 + "/run.toml"
    win._add_recent(long)
    act = win.recent_menu.actions()[0]
    assert len(act.text()) <= 80 and act.text().endswith("/run.toml")
    assert act.statusTip() == long
