"""Console entry points. `fmaplayer` with no subcommand starts the GUI.

Each subcommand lives in the module that owns its job; this file only parses and dispatches, importing
lazily so `fmaplayer --version` never pays for TensorFlow or Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from fmaplayer import __version__

# subcommand -> "module:function"; the function takes (argparse.Namespace) and returns an exit code.
# Each module also exposes `add_arguments(name, parser)` to declare its options.
SUBCOMMANDS = {
    "gui": ("fmaplayer.cli.gui", "Start the desktop app (the default)."),
    "scan": ("fmaplayer.cli.library_commands", "Scan folders (and embed) without a window."),
    "similar": ("fmaplayer.cli.library_commands", "Print the tracks most similar to a file."),
    "train": ("fmaplayer.cli.train", "Train a genre model."),
    "distill": ("fmaplayer.cli.distill", "Distil the musicnn teacher into the CNN-LSTM (training only)."),
    "evaluate": ("fmaplayer.cli.evaluate", "Evaluate models and write the report."),
    "self-test": ("fmaplayer.cli.self_test", "Load the bundled model and embed a generated tone."),
}


TRAINING_COMMANDS = ("train", "distill", "evaluate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fmaplayer", description="Music player with content-based recommendations")
    parser.add_argument("--version", action="version", version=f"fmaplayer {__version__}")
    parser.add_argument("--install-desktop-entry", action="store_true",
                        help="Install the launcher entry and icon for the current user, then exit.")
    parser.add_argument("--uninstall-desktop-entry", action="store_true",
                        help="Remove the launcher entry and icon installed by --install-desktop-entry.")
    parser.add_argument("--verbose", action="store_true",
                        help="Show the libraries' logs (TensorFlow, Qt) on the terminal; normally they go to "
                             "the log file in the cache folder.")
    sub = parser.add_subparsers(dest="command")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text)
        module = importlib.import_module(module_name)
        module.add_arguments(name, sub_parser)
    return parser


def main(argv: list[str] | None = None, route_logs: bool | None = None) -> int:
    """`route_logs` (default: when called as the program, without `argv`) sends the libraries' stderr
    noise to the log file (fmaplayer.log_routing); `--verbose` anywhere before `--` shows it instead."""
    route_logs = argv is None if route_logs is None else route_logs
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["--version"], ["-V"]):
        print(f"fmaplayer {__version__}")
        return 0
    options = argv[:argv.index("--")] if "--" in argv else argv
    if "--verbose" in options:   # accepted after the subcommand too: `fmaplayer scan --verbose`
        at = argv.index("--verbose")
        argv = ["--verbose", *argv[:at], *argv[at + 1:]]
    if route_logs:
        from fmaplayer.log_routing import route_library_noise

        route_library_noise(verbose="--verbose" in options)
    argv = _default_to_gui(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        from fmaplayer import desktop_entry

        return desktop_entry.main(install=args.install_desktop_entry)
    from fmaplayer.library.paths import contain_library_caches

    contain_library_caches()
    command = args.command or "gui"
    if args.command is None:
        args = parser.parse_args([*argv, "gui"])
    module = importlib.import_module(SUBCOMMANDS[command][0])
    try:
        return int(module.run(command, args) or 0)
    except ModuleNotFoundError as exc:
        if command not in TRAINING_COMMANDS or exc.name is None:
            raise
        # the app's own install has no TensorFlow/librosa: training tools need the `train` extra
        print(f"fmaplayer {command}: needs the `{exc.name.split('.')[0]}` package, which the app's install "
              "does not include; install the training tools with: pip install -e \".[train]\"",
              file=sys.stderr)
        return 2


TOP_LEVEL_OPTIONS = ("-h", "--help", "--version", "--verbose", "--install-desktop-entry",
                     "--uninstall-desktop-entry")


def _default_to_gui(argv: list[str]) -> list[str]:
    """`fmaplayer --folder DIR` and `fmaplayer song.flac` mean the window, as a bare `fmaplayer` does:
    the first argument that is neither a top-level option nor a subcommand starts the `gui` options."""
    for at, arg in enumerate(argv):
        if arg in TOP_LEVEL_OPTIONS:
            continue
        return argv if arg in SUBCOMMANDS else [*argv[:at], "gui", *argv[at:]]
    return argv


def gui_main() -> int:
    return main(["gui", *sys.argv[1:]], route_logs=True)
