"""Fetch freely licensed music from Debian packages into a cache outside the repository.

    python -m fmaplayer.training.debian_music --out ~/.cache/fmaplayer-debian-music [--packages a,b]

Each package is fetched with `apt-get download` and unpacked with `dpkg -x` (nothing is installed); Ogg
and Opus files of at least MIN_SECONDS inside it (also inside .pk3/.zip archives) are copied to
<out>/<package>/. Re-running skips packages already unpacked. Used as unlabelled audio for distillation
and as unseen audio for evaluation; never committed, never shipped.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

# package -> folder inside the package that holds the music (archives are searched for the same folder)
PACKAGES = {
    "wesnoth-1.16-music": "usr/share/games/wesnoth/1.16/data/core/music",
    "planetblupi-music-ogg": "usr/share/planetblupi/music",
    "warzone2100-music": "usr/share/games/warzone2100/music",
    "nexuiz-music": "usr/share/games/nexuiz/data",
    "singularity-music": "usr/share/games/singularity/music",
    "hyperrogue-music": "usr/share/hyperrogue/music",
    "ufoai-music": "usr/share/games/ufoai/base",
    "freedroidrpg-data": "usr/share/freedroidrpg/data/sound/music",
    "flare-game": "usr/share/games/flare/mods/fantasycore/music",
    # more hours for the next training run (paths from the audit in ../shared/data/README.md)
    "naev-data": "usr/share/naev/dat/snd/music",
    "widelands-data": "usr/share/games/widelands/data/music",
    "supertux-data": "usr/share/games/supertux2/music",
    "hedgewars-data": "usr/share/games/hedgewars/Data/Music",
    "supertuxkart-data": "usr/share/games/supertuxkart/data/music",
    "megaglest-data": "usr/share/games/megaglest/techs/megapack/factions",
    "drascula-music": "usr/share/scummvm/drascula/de",  # each track once per language: one language
}
# Whole packages kept out of training: the "unseen audio" of the evaluation.
HELD_OUT = ("hyperrogue-music", "singularity-music", "flare-game")
AUDIO = (".ogg", ".opus", ".oga")
MIN_SECONDS = 60.0


def _long_enough(path: Path) -> bool:
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except Exception:  # noqa: BLE001 - not decodable by libsndfile: not usable either
        return False
    return info.frames / max(1, info.samplerate) >= MIN_SECONDS


def _collect(root: Path, dest: Path) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for f in sorted(root.rglob("*")):
        if f.suffix.lower() in AUDIO and _long_enough(f):
            target = dest / f"{count:03d}_{f.name}"
            shutil.copyfile(f, target)
            count += 1
        elif f.suffix.lower() in (".pk3", ".zip"):
            with zipfile.ZipFile(f) as zf, tempfile.TemporaryDirectory() as tmp:
                for name in zf.namelist():
                    if Path(name).suffix.lower() in AUDIO:
                        extracted = Path(zf.extract(name, tmp))
                        if _long_enough(extracted):
                            shutil.copyfile(extracted, dest / f"{count:03d}_{extracted.name}")
                            count += 1
    return count


def fetch(package: str, out: Path, log=print) -> int:
    dest = out / package
    if (dest / ".done").exists():
        return len(list(dest.glob("*.*")))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", package], cwd=tmp, check=True, capture_output=True)
        deb = next(Path(tmp).glob("*.deb"))
        unpacked = Path(tmp) / "x"
        subprocess.run(["dpkg", "-x", str(deb), str(unpacked)], check=True)
        where = unpacked / PACKAGES.get(package, "")
        count = _collect(where if where.exists() else unpacked, dest)
    (dest / ".done").write_text(str(count))
    log(f"{package}: {count} tracks")
    return count


def tracks(out: Path, held_out: bool | None = None) -> list[Path]:
    """Fetched tracks; held_out=True only the evaluation packages, False only the training ones."""
    found = []
    for pkg_dir in sorted(p for p in Path(out).iterdir() if p.is_dir()):
        if held_out is None or (pkg_dir.name in HELD_OUT) == held_out:
            found.extend(sorted(f for f in pkg_dir.iterdir() if f.suffix.lower() in AUDIO))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fmaplayer.training.debian_music")
    parser.add_argument("--out", required=True, help="cache folder outside the repository")
    parser.add_argument("--packages", default=",".join(PACKAGES), help="comma list of Debian packages")
    args = parser.parse_args(argv)
    out = Path(args.out).expanduser()
    for package in [p.strip() for p in args.packages.split(",") if p.strip()]:
        try:
            fetch(package, out)
        except (subprocess.CalledProcessError, StopIteration, OSError, zipfile.BadZipFile) as exc:
            print(f"{package}: skipped ({exc})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
