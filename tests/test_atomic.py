"""Atomic writes (engine.atomic): the mode an ordinary write gives, symlinks written through,
stale temporary files of killed writers cleaned, the current one removed on SIGTERM."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine import atomic

ROOT = Path(__file__).resolve().parent.parent


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    """Set the umask for one test (restored afterwards)."""
    old = os.umask(0o022)
    yield lambda m: os.umask(m)
    os.umask(old)


@pytest.mark.parametrize("mask,expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664),
                                           (0o000, 0o666)])
def test_new_files_get_0666_less_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    atomic.atomic_write_text(tmp_path / "a.toml", "x")
    with atomic.atomic_open(tmp_path / "b.csv", "w") as fh:
        fh.write("y")
    with atomic.atomic_path(tmp_path / "c.png") as tmp:
        tmp.write_bytes(b"png")
    for name in ("a.toml", "b.csv", "c.png"):
        assert mode(tmp_path / name) == expected, name
    ordinary = tmp_path / "ordinary"
    ordinary.write_text("z")
    assert mode(ordinary) == expected


def test_an_existing_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    f = tmp_path / "kept.csv"
    f.write_text("old")
    os.chmod(f, 0o640)
    atomic.atomic_write_text(f, "new")
    assert f.read_text() == "new" and mode(f) == 0o640


def test_a_symlink_is_written_through(tmp_path):
    real = tmp_path / "data" / "real.csv"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    atomic.atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    chain = tmp_path / "chain.csv"  # a link to a link
    chain.symlink_to(link)
    with atomic.atomic_path(chain) as tmp:
        assert tmp.parent == real.parent  # the temporary file sits beside the real target
        tmp.write_text("newer")
    assert chain.is_symlink() and link.is_symlink() and real.read_text() == "newer"
    assert sorted(os.listdir(real.parent)) == ["real.csv"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporary_files_of_dead_writers_are_removed_on_the_next_write(tmp_path):
    dead = tmp_path / f".descent-tmp-{_dead_pid()}-abc123_x-big.csv"
    dead.write_bytes(b"0" * 1000)
    alive = tmp_path / f".descent-tmp-{os.getppid()}-def456-other.csv"  # a running writer
    alive.write_text("busy")
    mine = tmp_path / f".descent-tmp-{os.getpid()}-ghi789-mine.csv"
    mine.write_text("mine")
    unrelated = tmp_path / ".big.csv.abc.tmp"
    unrelated.write_text("not ours")
    atomic.atomic_write_text(tmp_path / "out.csv", "new")
    assert not dead.exists()
    assert alive.exists() and mine.exists() and unrelated.exists()
    assert (tmp_path / "out.csv").read_text() == "new"


def test_temporary_files_have_a_recognisable_name(tmp_path):
    with atomic.atomic_open(tmp_path / "run.csv") as fh:
        names = os.listdir(tmp_path)
        assert len(names) == 1 and atomic._TEMP_RE.match(names[0])
        assert names[0].startswith(f".descent-tmp-{os.getpid()}-")
        assert names[0].endswith("-run.csv")
        fh.write("x")
    assert os.listdir(tmp_path) == ["run.csv"]


def test_sigterm_removes_the_file_being_written(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from engine import atomic
        with atomic.atomic_open({str(tmp_path / 'big.csv')!r}) as fh:
            fh.write("x" * 1_000_000)
            fh.flush()
            print("writing", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "writing\n"
    assert len(os.listdir(tmp_path)) == 1  # the temporary file
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGTERM  # terminated as by the default action
    assert os.listdir(tmp_path) == []


def test_the_cleanup_handler_is_in_place_only_while_writing(tmp_path):
    import signal as sig

    assert sig.getsignal(sig.SIGTERM) is sig.SIG_DFL
    with atomic.atomic_open(tmp_path / "a.csv") as fh:
        assert sig.getsignal(sig.SIGTERM) is atomic._on_sigterm
        fh.write("x")
    assert sig.getsignal(sig.SIGTERM) is sig.SIG_DFL  # an idle program ends at once
    with atomic.atomic_path(tmp_path / "b.png") as tmp:
        assert sig.getsignal(sig.SIGTERM) is atomic._on_sigterm
        tmp.write_bytes(b"x")
    assert sig.getsignal(sig.SIGTERM) is sig.SIG_DFL


def test_the_cleanup_handler_replaces_only_the_default_action():
    script = textwrap.dedent(f"""
        import signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from engine import atomic
        signal.signal(signal.SIGTERM, lambda *a: None)
        print(atomic.install_termination_cleanup())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.stdout == "False\n"


def test_same_file_sees_through_links(tmp_path):
    f = tmp_path / "e.toml"
    f.write_text("x")
    (tmp_path / "soft.toml").symlink_to(f)
    os.link(f, tmp_path / "hard.toml")
    for other in ("e.toml", "soft.toml", "hard.toml", "./e.toml", "sub/../e.toml"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        assert atomic.same_file(tmp_path / other, f), other
    assert not atomic.same_file(tmp_path / "new.csv", f)


def test_a_device_pipe_or_folder_is_never_replaced(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    (tmp_path / "dir.csv").mkdir()
    for target in (fifo, tmp_path / "dir.csv"):
        with pytest.raises(OSError, match="not a regular file"):
            atomic.atomic_write_text(target, "x")
        with pytest.raises(OSError, match="not a regular file"):
            with atomic.atomic_path(target):
                pass
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and (tmp_path / "dir.csv").is_dir()
    assert sorted(os.listdir(tmp_path)) == ["dir.csv", "pipe.csv"]
