"""Argument parsing shared by the command line's sub-commands."""
from __future__ import annotations

import argparse


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line with exit status 2, like every other input
    error of the command line (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message}\n")


def _n(v: int) -> str:
    return f"{v:,}" if abs(v) >= 10_000 else str(v)


def count(low: int, high: int):
    """An argparse ``type`` for a whole number from ``low`` to ``high``, checked while the
    arguments are parsed (before anything is allocated)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip().replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {_n(low)} to {_n(high)}, got {text[:40]!r}") from None
        if not low <= value <= high:
            shown = _n(value) if len(text) < 40 else f"a {len(text.strip())}-digit number"
            raise argparse.ArgumentTypeError(f"must be from {_n(low)} to {_n(high)}, got {shown}")
        return value

    parse.__name__ = "count"
    return parse


def parse_pair(text: str) -> tuple[int, int] | None:
    """'WxH' (also 'W×H', any case) as two whole numbers, e.g. a grid or an image size; None
    when the text is not that (the caller names the option in its message)."""
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        return None
    return w, h
