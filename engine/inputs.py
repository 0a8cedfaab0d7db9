"""Reading input files defensively: only regular files, at most ``MAX_FILE_BYTES``; and parsed
TOML checked for what the rest of the code cannot hold (integers beyond 64 bits, deep nesting).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from engine.limits import MAX_FILE_BYTES, MAX_NESTING

INT_MIN, INT_MAX = -(2**63), 2**63 - 1


class InputFileError(ValueError):
    """A file that is not read: ``str()`` is the problem (without the file name)."""


def read_text(path: str | Path, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file ``path``. Devices, FIFOs, sockets and folders are
    refused without blocking; a file over ``limit`` bytes is refused after reading at most
    ``limit`` + 1 bytes. Raises FileNotFoundError, InputFileError or OSError."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a folder" if stat.S_ISDIR(st.st_mode)
                    else "a pipe" if stat.S_ISFIFO(st.st_mode)
                    else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                    else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
            raise InputFileError(f"{kind}, not a regular file" if kind[0] == "a" else kind)
        if st.st_size > limit:
            raise InputFileError(f"too large ({st.st_size:,} bytes; at most {limit:,})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # the file grew while it was read
            raise InputFileError(f"too large (more than {limit:,} bytes)")
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text (byte {exc.start + 1})") from None


def check_document(doc: Any) -> None:
    """Raise ValueError("KEY: problem") for an integer outside 64 bits (TOML's own range) or
    arrays/tables nested deeper than ``MAX_NESTING``. Iterative: any depth is safe."""
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while stack:
        value, key, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ValueError(f"{key or 'file'}: arrays or tables nested more than "
                             f"{MAX_NESTING} deep")
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            try:
                digits = f"{len(str(abs(value))):,} digits"
            except ValueError:  # past Python's limit for printing integers
                digits = f"about {int(value.bit_length() * 0.30103):,} digits"
            raise ValueError(f"{key}: integer out of range (more than 64 bits: {digits})")
        if isinstance(value, dict):
            stack.extend((v, f"{key}.{k}" if key else str(k), depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{key}[{i + 1}]", depth + 1) for i, v in enumerate(value))
