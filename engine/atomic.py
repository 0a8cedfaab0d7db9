"""Atomic file writes: write a temporary file beside the target, then rename it over.

Like an ordinary write, the file gets the permissions an ``open(path, "w")`` would give it:
an existing file keeps its mode, a new one gets 0666 less the umask (the temporary file itself
is created 0600, so nobody reads it half-written). A symbolic link is written through: its
target is replaced and the link stays a link.

Temporary files are named ``.descent-tmp-PID-RANDOM-NAME`` (NAME the target's name, so an
image keeps its suffix). A process killed mid-write leaves its file behind; the next write
into that folder removes such files of processes that no longer run. On SIGTERM the file being
written is removed first: while a write runs on the main thread, a SIGTERM handler that removes
it and then terminates as before is in place (only over the default action, and only for the
duration of the write, so an idle app still ends at once on SIGTERM).
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import IO, Iterator

TEMP_PREFIX = ".descent-tmp-"
_TEMP_RE = re.compile(r"^\.descent-tmp-(\d+)-[a-z0-9_]+-.+$")
#: temporary files being written by this process
_active: set[str] = set()
_lock = threading.Lock()


def resolve_target(path: str | Path) -> Path:
    """The file a write to ``path`` replaces: ``path`` itself, or for a symbolic link the file
    it points to (followed through every link)."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when writing ``a`` would overwrite the file ``b`` (the same path after resolving
    links, or the same file through a hard link)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _lock:  # no /proc: read it the classic way (set and restore)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    """The mode an ordinary write would leave: the existing file's, else 0666 & ~umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: it exists
        return True
    return True


def clean_stale(folder: str | Path) -> list[Path]:
    """Remove this program's temporary files in ``folder`` whose writer no longer runs;
    returns the removed paths."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m and not _pid_alive(int(m.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def _sigterm_cleanup() -> Iterator[None]:
    """During a write on the main thread: SIGTERM removes the temporary files first."""
    installed = install_termination_cleanup()
    try:
        yield
    finally:
        if installed:
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _temp_beside(path: Path) -> tuple[int, str]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        pass
    else:  # never replace a device, pipe or folder by a file
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
    folder = path.parent if str(path.parent) else Path(".")
    clean_stale(folder)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=f"-{path.name}",
                               dir=folder)
    with _lock:
        _active.add(tmp)
    return fd, tmp


def _forget(tmp: str, remove: bool) -> None:
    with _lock:
        _active.discard(tmp)
    if remove:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file in ``path``'s folder; on success it replaces ``path`` in one
    rename, so readers see the old file or the new one, never half of it. On an exception the
    temporary file is removed and ``path`` is untouched."""
    with _sigterm_cleanup():
        with _atomic_open(resolve_target(path), mode, **kwargs) as fh:
            yield fh


@contextlib.contextmanager
def _atomic_open(path: Path, mode: str, **kwargs) -> Iterator[IO]:
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fchmod(fh.fileno(), _mode_for(path))
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _forget(tmp, remove=False)
    except BaseException:
        _forget(tmp, remove=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``, with the same suffix, for writers that take a file
    name (image exporters); on success it replaces ``path`` in one rename."""
    with _sigterm_cleanup():
        with _atomic_path(resolve_target(path)) as tmp:
            yield tmp


@contextlib.contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    fd, tmp = _temp_beside(path)
    os.close(fd)
    try:
        yield Path(tmp)
        if not os.path.getsize(tmp):
            raise OSError(f"cannot write {path}")
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
        _forget(tmp, remove=False)
    except BaseException:
        _forget(tmp, remove=True)
        raise


def _on_sigterm(signum, frame) -> None:
    with _lock:
        pending = list(_active)
        _active.clear()
    for tmp in pending:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def install_termination_cleanup() -> bool:
    """On SIGTERM, remove the temporary files being written, then terminate as before.
    Installed only from the main thread and only over the default action; True if
    installed (the writes install it for their own duration)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    with contextlib.suppress(ValueError, OSError):
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_sigterm)
            return True
    return False
