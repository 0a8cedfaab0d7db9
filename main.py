"""Descent Lab: ``python main.py [FILE.toml]`` opens the app; ``python main.py run|list ...``
works headless (see ``python main.py --help``)."""
import sys

from engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
