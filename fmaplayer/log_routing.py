"""Stderr is for the user: the libraries' logs go to a log file, the project's own words to the terminal.

TensorFlow 2.16+ logs through absl from C++ straight to file descriptor 2 before any Python setting can
stop it ("oneDNN custom operations are on", "failed call to cuInit: ... UNKNOWN ERROR (303)" on a machine
without a GPU, "All log messages before absl::InitializeLog() ..."), and libmpg123 or Qt plugins write there
too. So, for a normal run of the app or a CLI command:

- TF_CPP_MIN_LOG_LEVEL is set before TensorFlow can be imported (a user's own value wins);
- descriptor 2 is pointed at the log file, and `sys.stderr` at a duplicate of the terminal, so what the
  program itself prints (progress, errors, tracebacks) still reaches the user;
- Python logging (absl, tensorflow, keras, warnings) and Qt's messages go to the same log file;
  Qt's critical and fatal messages (e.g. a platform plugin that cannot load) also reach the terminal.

`--verbose` leaves descriptor 2 alone and shows the libraries' logs on the terminal as well.
Only the standard library is imported here: it runs before anything else.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

_MAX_LOG_BYTES = 2_000_000
_state: dict[str, object] = {}


def default_log_path() -> Path:
    from fmaplayer.library.paths import user_cache_dir

    return user_cache_dir() / "fmaplayer.log"


def log_path() -> Path | None:
    """The log file in use, None before `route_library_noise` ran."""
    path = _state.get("path")
    return path if isinstance(path, Path) else None


def is_verbose() -> bool:
    return bool(_state.get("verbose"))


def _open_log(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.stat().st_size > _MAX_LOG_BYTES:   # keep one older log, never grow without bound
            path.replace(path.with_name(path.name + ".1"))
    except OSError:
        pass
    return open(path, "a", encoding="utf-8", errors="backslashreplace", buffering=1)  # noqa: SIM115


def route_library_noise(verbose: bool = False, path: Path | None = None) -> Path | None:
    """Route the libraries' output as described above; returns the log file (None if it cannot be
    opened: then nothing is changed). Call once, first thing, in the process's entry point."""
    if "path" in _state:
        return log_path()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if verbose else "3")
    if not verbose:
        os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")      # absl C++ (TensorFlow 2.16+), where honoured
    path = path or default_log_path()
    try:
        log = _open_log(path)
    except OSError:
        _state["path"] = None
        return None
    _state.update(path=path, verbose=verbose, log=log)
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)                 # warnings.warn() from Keras & co. -> the log
    if verbose:
        terminal = logging.StreamHandler(sys.stderr)
        terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(terminal)
        return path
    try:
        terminal_fd = os.dup(2)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(log.fileno(), 2)                  # C/C++ libraries: fd 2 is the log file now
    except (OSError, ValueError, AttributeError):
        return path
    # the program's own words: a line-buffered text stream over the terminal's descriptor
    sys.stderr = open(terminal_fd, "w", encoding=getattr(sys.__stderr__, "encoding", None) or "utf-8",  # noqa: SIM115
                      errors="backslashreplace", buffering=1, closefd=True)
    _state["terminal_fd"] = terminal_fd
    return path


def qt_message_handler(mode, context, message: str) -> None:
    """For qInstallMessageHandler: everything to the log; critical, fatal and platform-plugin warnings
    also to the terminal."""
    from PySide6.QtCore import QtMsgType

    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
             QtMsgType.QtFatalMsg: logging.CRITICAL}.get(mode, logging.WARNING)
    category = getattr(context, "category", None) or "default"
    logging.getLogger(f"qt.{category}").log(level, "%s", message)
    # The user needs these: a platform plugin that cannot load says why (e.g. a missing libxcb-cursor0).
    shown = level >= logging.ERROR or (level >= logging.WARNING and category.startswith("qt.qpa.plugin"))
    if shown and not is_verbose():   # verbose: the root logger already prints everything
        try:
            print(message, file=sys.stderr, flush=True)
        except (OSError, ValueError):
            pass
