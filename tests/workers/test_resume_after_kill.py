import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from fmaplayer.recommend.embedding_runner import EmbeddingRunner
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store

REPO = Path(__file__).resolve().parents[2]


def test_sigkill_mid_batch_then_resume_loses_nothing_and_duplicates_nothing(tmp_path):
    db = tmp_path / "lib.db"
    store = make_store(db)
    tracks = add_tracks(store, [f"t{i:02d}" for i in range(23)] + ["bad-file"])
    model_id = FakeEmbedder().model_id
    child = subprocess.Popen([sys.executable, "-m", "tests.workers.embed_child", str(db), "5", "3"],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    lines = []
    try:
        for line in child.stdout:          # blocks on the child's output, no sleeping
            lines.append(line.strip())
            if line.strip() == "blocking":
                break
        else:
            raise AssertionError(f"child ended early: {lines} {child.stderr.read()}")
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    assert lines.count("committed 5") == 2                      # two whole batches, the third in flight

    store = make_store(db)
    ids, _ = store.load_embeddings(model_id)
    assert len(ids) == 10                                      # whole batches only
    embedder = FakeEmbedder()
    summary = EmbeddingRunner(store, embedder, batch_size=5).run()
    assert summary.embedded == 13 and len(summary.failed) == 1
    assert sum(len(c) for c in embedder.calls) == 14           # only what was missing is redone
    ids, _ = store.load_embeddings(model_id)
    assert sorted(ids.tolist()) == sorted(t.id for t in tracks[:-1])
    with sqlite3.connect(db) as conn:
        rows, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT track_id) FROM embeddings"
                                      " WHERE model_id=?", (model_id,)).fetchone()
    assert rows == distinct == 23
