"""benchmarks/peers.py: a file a peer cannot take is skipped and counted, never the end of the peer."""

import os
from pathlib import Path

from benchmarks import peers


def fussy_peer(path: str) -> int:
    """A stand-in peer (module level, so spawned workers can import it): raises on 'bad' files, dies on
    'crash' files, analyses the rest."""
    name = Path(path).name
    if name.startswith("bad"):
        raise RuntimeError("could not load track from pcm")
    if name.startswith("crash"):
        os._exit(3)   # what a segfaulting native decoder does to its worker
    return 42


def refusing_peer(path: str) -> int:
    raise ValueError("no")


def _files(tmp_path, names):
    out = []
    for name in names:
        (tmp_path / name).write_bytes(b"x")
        out.append(str(tmp_path / name))
    return out


def test_a_file_the_peer_cannot_take_is_skipped_and_counted(tmp_path):
    paths = _files(tmp_path, ["a.ogg", "bad.ogg", "b.ogg", "crash.ogg", "c.ogg"])
    calls = []
    ours_s, rows = peers.time_side_by_side(paths, lambda: calls.append(1), names=["fussy"], reps=2,
                                           log=lambda *_: None, peers={"fussy": ("", fussy_peer)})
    assert len(ours_s) == 2 and len(calls) == 2
    (row,) = rows
    assert "error" not in row, row
    assert row["tracks"] == 5 and row["tracks_analysed"] == 3 and row["skipped_files"] == 2
    assert "could not load track from pcm" in row["skipped"]["bad.ogg"]
    assert "died" in row["skipped"]["crash.ogg"]
    assert row["tracks_per_s"] > 0 and not row["pass_errors"]


def test_a_peer_that_takes_nothing_is_reported_not_raised(tmp_path):
    paths = _files(tmp_path, ["a.ogg", "b.ogg"])
    _, rows = peers.time_side_by_side(paths, lambda: None, names=["refusing", "absent"], reps=1,
                                      log=lambda *_: None,
                                      peers={"refusing": ("", refusing_peer),
                                             "absent": ("no_such_module_here", refusing_peer)})
    assert rows[0]["peer"] == "refusing" and "none of the 2 files" in rows[0]["error"]
    assert rows[1]["peer"] == "absent" and "not installed" in rows[1]["error"]
