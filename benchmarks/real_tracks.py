"""Real full-length tracks for the benchmarks: a folder of the user's (--files) or freely licensed Debian
soundtracks fetched into a cache outside the repository (--debian, `fmaplayer.training.debian_music`)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def add_arguments(parser: argparse.ArgumentParser, limit: int | None = None) -> None:
    parser.add_argument("--files", help="real audio files under this folder")
    parser.add_argument("--debian", metavar="PKG,PKG",
                        help="tracks of these Debian music packages (fetched when missing), "
                             "e.g. wesnoth-1.16-music,singularity-music")
    parser.add_argument("--debian-cache", default="~/.cache/fmaplayer-debian-music",
                        help="where --debian keeps the fetched tracks (outside the repository)")
    parser.add_argument("--limit", type=int, default=limit, help="at most this many files (evenly chosen)")


def cases(args: argparse.Namespace) -> list[tuple[str, list[Path]]]:
    """(label, files) for --files and for --debian, each at most --limit files chosen evenly."""
    from fmaplayer.library.scanner import SUPPORTED_EXTENSIONS
    from fmaplayer.training import debian_music

    found: list[tuple[str, list[Path]]] = []
    if args.files:
        paths = sorted(p for p in Path(args.files).rglob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS)
        found.append((f"files under {args.files}", paths))
    if args.debian:
        cache = Path(args.debian_cache).expanduser()
        packages = [p.strip() for p in args.debian.split(",") if p.strip()]
        paths = []
        for package in packages:
            debian_music.fetch(package, cache)  # skipped when already unpacked
            folder = cache / package
            paths.extend(sorted(f for f in folder.iterdir() if f.suffix.lower() in debian_music.AUDIO))
        found.append((f"Debian {', '.join(packages)}", paths))
    out = []
    for label, paths in found:
        if args.limit and len(paths) > args.limit:
            paths = [paths[i] for i in np.linspace(0, len(paths) - 1, args.limit).round().astype(int)]
        if not paths:
            raise SystemExit(f"no audio files for {label}")
        out.append((f"{len(paths)} real tracks: {label}", paths))
    return out


def tracks(args: argparse.Namespace) -> list[Path]:
    """The files of the first source given; exits with a message when none was."""
    found = cases(args)
    if not found:
        raise SystemExit("give --files DIR or --debian PKG,PKG")
    return found[0][1]
