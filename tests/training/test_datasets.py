import csv

from fmaplayer.training import datasets
from tests.audio_generated import tone, write_audio


def _fma_tree(root):
    meta = root / "fma_metadata"
    meta.mkdir(parents=True)
    rows = [  # track_id, subset, split, genre_top, artist
        (2, "small", "training", "Hip-Hop", "AWOL"),
        (5, "small", "validation", "Hip-Hop", "AWOL"),
        (10, "small", "test", "Pop", "Kurt Vile"),
        (140, "medium", "training", "Folk", "Alec K. Redfearn"),
        (141, "small", "training", "", "No Genre"),
    ]
    with open(meta / "tracks.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["", "artist", "set", "set", "track"])
        w.writerow(["", "name", "split", "subset", "genre_top"])
        w.writerow(["track_id", "", "", "", ""])
        for tid, subset, split, genre, artist in rows:
            w.writerow([tid, artist, split, subset, genre])
    for tid in (2, 5, 10):
        d = root / "fma_small" / f"{tid:06d}"[:3]
        d.mkdir(parents=True, exist_ok=True)
        write_audio(d / f"{tid:06d}.mp3", tone(1.0))


def test_fma_loader_reads_tracks_csv_and_official_split(tmp_path):
    _fma_tree(tmp_path)
    items = datasets.load_dataset(tmp_path)
    assert [(it.genre, it.artist, it.split) for it in items] == [
        ("Hip-Hop", "AWOL", "training"),
        ("Hip-Hop", "AWOL", "validation"),
        ("Pop", "Kurt Vile", "test"),
    ]
    assert items[0].path.endswith("fma_small/000/000002.mp3")
    assert datasets.artist_split(items) == {
        items[0].path: "train",
        items[1].path: "val",
        items[2].path: "test",
    }


def test_gtzan_loader(tmp_path):
    for genre in ("blues", "rock"):
        (tmp_path / "genres" / genre).mkdir(parents=True)
        for i in range(3):
            write_audio(tmp_path / "genres" / genre / f"{genre}.{i:05d}.wav", tone(0.5))
    (tmp_path / "genres" / "rock" / "README.txt").write_text("not audio")
    items = datasets.load_dataset(tmp_path)
    assert len(items) == 6 and {it.genre for it in items} == {"blues", "rock"}
    assert all(it.artist is None for it in items)


def test_labels_csv_and_shared_collections(tmp_path):
    mer = tmp_path / "mer4q"
    (mer / "audio" / "Q1").mkdir(parents=True)
    with open(mer / "labels.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "song_id", "artist", "title", "quadrant", "genres", "genre"])
        w.writerow(["audio/Q1/a.mp3", "a", "Art", "T", "Q1", "Jazz", "Jazz"])
        w.writerow(["audio/Q1/b.mp3", "b", "Art", "T", "Q1", "Jazz;Rap", ""])
    gz = tmp_path / "gtzan-classical"
    gz.mkdir()
    (gz / "labels.csv").write_text("file,genre\nclassical.00010.mp3,Classical\n")
    items = datasets.load_dataset(tmp_path)
    assert [(it.genre, it.mood, it.artist) for it in items] == [
        ("Classical", None, None),
        ("Jazz", "Q1", "Art"),
        (None, "Q1", "Art"),
    ]
    generic = tmp_path / "generic.csv"
    generic.write_text("file,label,artist\nx.wav,Rock,A\n")
    (item,) = datasets.load_dataset(generic)
    assert (item.genre, item.artist, item.path) == ("Rock", "A", str(tmp_path / "x.wav"))


def test_artist_split_is_grouped_stratified_and_reproducible(tmp_path):
    items = [
        datasets.Item(f"/{g}/{a}/{i}.mp3", g, "Q1", f"{g}-{a}")
        for g in ("Jazz", "Rap", "Rock")
        for a in range(20)
        for i in range(3)
    ]
    split = datasets.artist_split(items, seed=1)
    assert split == datasets.artist_split(items, seed=1)
    assert split != datasets.artist_split(items, seed=2)
    by_artist = {}
    for it in items:
        by_artist.setdefault(it.artist, set()).add(split[it.path])
    assert all(len(parts) == 1 for parts in by_artist.values())
    for g in ("Jazz", "Rap", "Rock"):
        parts = [split[it.path] for it in items if it.genre == g]
        assert parts.count("test") == 9 and parts.count("val") == 9  # 15 % of 60 clips each
    path = tmp_path / "split.json"
    datasets.write_split(split, path, seed=1)
    assert datasets.read_split(path) == split
