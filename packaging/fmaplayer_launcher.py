"""PyInstaller entry script: the frozen app runs the same CLI as `python -m fmaplayer`."""

import multiprocessing

from fmaplayer.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child process must not re-run the CLI
    raise SystemExit(main())
