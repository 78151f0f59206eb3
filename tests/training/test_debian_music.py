"""The Debian music collector: long Ogg files on disk and inside .pk3/.zip archives, training vs held out."""

import zipfile

import numpy as np
import soundfile as sf

from fmaplayer.training import debian_music


def _ogg(path, seconds):
    sf.write(str(path), (0.1 * np.sin(np.arange(int(seconds * 8000)) / 5)).astype(np.float32), 8000,
             format="OGG", subtype="VORBIS")
    return path


def test_collects_long_tracks_from_folders_and_archives(tmp_path, monkeypatch):
    monkeypatch.setattr(debian_music, "MIN_SECONDS", 2.0)
    src = tmp_path / "pkg"
    (src / "music").mkdir(parents=True)
    _ogg(src / "music" / "theme.ogg", 3)
    _ogg(src / "music" / "click.ogg", 0.5)                 # a sound effect, not a track
    inner = _ogg(tmp_path / "inside.ogg", 3)
    with zipfile.ZipFile(src / "music.pk3", "w") as zf:
        zf.write(inner, "sound/cdtracks/inside.ogg")
    dest = tmp_path / "out" / "some-music"
    assert debian_music._collect(src, dest) == 2
    assert sorted(p.name.split("_", 1)[1] for p in dest.iterdir()) == ["inside.ogg", "theme.ogg"]
    held = tmp_path / "out" / debian_music.HELD_OUT[0]
    held.mkdir()
    _ogg(held / "000_x.ogg", 3)
    out = tmp_path / "out"
    assert len(debian_music.tracks(out)) == 3
    assert [p.parent.name for p in debian_music.tracks(out, held_out=True)] == [debian_music.HELD_OUT[0]]
    assert len(debian_music.tracks(out, held_out=False)) == 2
