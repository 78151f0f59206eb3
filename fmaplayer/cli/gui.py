"""`fmaplayer gui` (the default): options of the desktop app; the window is built by fmaplayer.app."""

from __future__ import annotations

import argparse


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="library database (default: the per-user data folder)")
    parser.add_argument("--folder", metavar="DIR", action="append", default=[],
                        help="add a music folder and scan it; the folder is saved in the settings, so "
                             "later runs scan it too (remove it in Settings); repeatable")
    parser.add_argument("--settings", metavar="INI",
                        help="keep settings in this ini file instead of the user's settings")
    parser.add_argument("--no-scan", action="store_true", help="do not rescan the music folders at start")
    parser.add_argument("--output", choices=("auto", "sounddevice", "null"), default="auto",
                        help="audio output: auto (sound card if available), sounddevice, or null (silent)")
    parser.add_argument("--no-recommendations", action="store_true",
                        help="start without the recommendations (no model is loaded)")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="music files, folders or playlists to open; when fmaplayer already runs on this "
                             "library, its window is raised and opens them")
    # Benchmarks: print the wall-clock time of the first expose as JSON, then quit.
    parser.add_argument("--startup-benchmark", action="store_true", help=argparse.SUPPRESS)


def run(name: str, args: argparse.Namespace) -> int:
    from fmaplayer import app

    return app.run(args)
