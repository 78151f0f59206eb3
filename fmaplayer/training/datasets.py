"""Labelled audio collections and the artist-stratified split.

Loaders return `Item`s (file path, genre, mood quadrant, artist); `load_dataset(path)` picks the loader
from the layout: an FMA root (fma_metadata/tracks.csv + fma_small/), a labels.csv file (generic
`file,label[,artist]`, or the shared mer4q columns `file,...,artist,...,quadrant,...,genre`), a folder of
sub-collections each with a labels.csv (the layout of ../shared/data), or a GTZAN tree (<genre>/<clip>).
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

AUDIO_EXTENSIONS = (".mp3", ".wav", ".flac", ".ogg", ".au", ".aiff", ".aif", ".opus")
FMA_GENRES = ("Electronic", "Experimental", "Folk", "Hip-Hop", "Instrumental", "International", "Pop", "Rock")


@dataclass(frozen=True)
class Item:
    path: str
    genre: str | None  # None: no single genre (still usable for the mood head)
    mood: str | None = None  # emotion quadrant Q1..Q4 when known
    artist: str | None = None
    split: str | None = None  # an official split, when the dataset has one (FMA)


def load_labels_csv(csv_path: str | Path) -> list[Item]:
    """Generic `file,label[,artist]` (paths relative to the csv); also reads genre/quadrant columns."""
    csv_path = Path(csv_path)
    items = []
    with open(csv_path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            genre = (row.get("genre") or row.get("label") or "").strip() or None
            mood = (row.get("quadrant") or row.get("mood") or "").strip() or None
            artist = (row.get("artist") or "").strip() or None
            path = csv_path.parent / row["file"]
            items.append(Item(str(path), genre, mood, artist))
    return items


def load_shared_collections(root: str | Path) -> list[Item]:
    """Every `<root>/<collection>/labels.csv` (e.g. mer4q + gtzan-classical)."""
    items = []
    for csv_path in sorted(Path(root).glob("*/labels.csv")):
        items.extend(load_labels_csv(csv_path))
    return items


def load_gtzan(root: str | Path) -> list[Item]:
    """GTZAN layout: <root>[/genres]/<genre>/<clip>. GTZAN has no artist field: each clip is its own group."""
    root = Path(root)
    if (root / "genres").is_dir():
        root = root / "genres"
    items = []
    for genre_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(genre_dir.iterdir()):
            if f.suffix.lower() in AUDIO_EXTENSIONS:
                items.append(Item(str(f), genre_dir.name, None, None))
    return items


def load_fma(root: str | Path, subset: str = "small") -> list[Item]:
    """FMA as the papers used it: fma_metadata/tracks.csv (3 header rows), fma_<subset>/ MP3 tree,
    the top-level genre and the official training/validation/test split."""
    root = Path(root)
    audio_dir = root / f"fma_{subset}"
    items = []
    with open(root / "fma_metadata" / "tracks.csv", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        top, sub = next(reader), next(reader)
        next(reader)  # "track_id" row
        col = {(a, b): i for i, (a, b) in enumerate(zip(top, sub, strict=False))}
        i_subset, i_split = col[("set", "subset")], col[("set", "split")]
        i_genre, i_artist = col[("track", "genre_top")], col[("artist", "name")]
        wanted = {"small": {"small"}, "medium": {"small", "medium"}, "large": {"small", "medium", "large"}}
        for row in reader:
            if not row or row[i_subset] not in wanted.get(subset, {subset}) or not row[i_genre]:
                continue
            tid = f"{int(row[0]):06d}"
            path = audio_dir / tid[:3] / f"{tid}.mp3"
            items.append(Item(str(path), row[i_genre], None, row[i_artist] or None, row[i_split]))
    return items


def load_dataset(path: str | Path) -> list[Item]:
    path = Path(path)
    if path.is_file() and path.suffix == ".csv":
        return load_labels_csv(path)
    if (path / "fma_metadata" / "tracks.csv").is_file():
        return load_fma(path)
    if (path / "labels.csv").is_file():
        return load_labels_csv(path / "labels.csv")
    if any(path.glob("*/labels.csv")):
        return load_shared_collections(path)
    if path.is_dir():
        return load_gtzan(path)
    raise FileNotFoundError(f"no dataset at {path}")


def artist_split(
    items: list[Item], seed: int = 20261122, fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
) -> dict[str, str]:
    """path -> "train"|"val"|"test". All clips of an artist land in one part; artists are stratified by
    their most common genre (or quadrant when they have no genre). An official split wins when present."""
    if items and all(it.split for it in items):
        names = {"training": "train", "validation": "val", "test": "test"}
        return {it.path: names.get(it.split, it.split) for it in items}
    groups: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        groups[it.artist or f"__clip__{it.path}"].append(it)
    strata: dict[str, list[str]] = defaultdict(list)
    for artist, members in groups.items():
        genres = Counter(m.genre for m in members if m.genre)
        stratum = genres.most_common(1)[0][0] if genres else f"mood:{members[0].mood}"
        strata[stratum].append(artist)
    rng = random.Random(seed)
    split: dict[str, str] = {}
    for stratum in sorted(strata):
        artists = sorted(strata[stratum])
        rng.shuffle(artists)
        total = sum(len(groups[a]) for a in artists)
        counts = {"test": 0, "val": 0}
        for artist in artists:
            size = len(groups[artist])
            # fill test, then val, up to their share of this stratum's clips; the rest trains
            if counts["test"] + size / 2 <= fractions[2] * total:
                part = "test"
            elif counts["val"] + size / 2 <= fractions[1] * total:
                part = "val"
            else:
                part = "train"
            if part in counts:
                counts[part] += size
            for m in groups[artist]:
                split[m.path] = part
    return split


def write_split(split: dict[str, str], path: str | Path, seed: int | None = None) -> None:
    Path(path).write_text(json.dumps({"seed": seed, "split": split}, indent=0, sort_keys=True))


def read_split(path: str | Path) -> dict[str, str]:
    return json.loads(Path(path).read_text())["split"]


def summary(items: list[Item], split: dict[str, str]) -> dict:
    """Counts per part, genre and quadrant (for the manifest and the report)."""
    out: dict = {}
    for part in ("train", "val", "test"):
        members = [it for it in items if split.get(it.path) == part]
        out[part] = {
            "clips": len(members),
            "artists": len({m.artist for m in members if m.artist}),
            "genres": dict(sorted(Counter(m.genre for m in members if m.genre).items())),
            "moods": dict(sorted(Counter(m.mood for m in members if m.mood).items())),
        }
    return out
