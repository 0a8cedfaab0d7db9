"""Descent Lab: ``python main.py [FILE.toml]`` opens the app; ``python main.py run|list|analyze|
sweep ...`` works headless (see ``python main.py --help``)."""
import sys

if __name__ == "__main__":
    try:
        from engine.cli import main

        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl+C before a command took over (while importing)
        print("interrupted", file=sys.stderr)
        sys.exit(2)
