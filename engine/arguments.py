"""Argument parsing shared by the command line's sub-commands."""
from __future__ import annotations

import argparse


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line with exit status 2, like every other input
    error of the command line (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message}\n")
