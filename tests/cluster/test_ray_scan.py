"""`scan --ray` on a real local Ray (no mock): the same vectors and failure reasons as a local scan, an
actor that dies mid-run, --ship-audio, an unreachable address. Tiny generated WAV files: seconds of work."""

from __future__ import annotations

import os
import socket

import numpy as np
import pytest

from fmaplayer import cli
from fmaplayer.library.store import LibraryStore
from tests.audio_generated import noise, tone, write_audio
from tests.recommend.fakes import add_tracks

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.integration

from fmaplayer.cluster.analysis import Analyser  # noqa: E402 - after the skip: it needs Ray's workers
from fmaplayer.cluster.connect import ClusterError, check_reachable  # noqa: E402
from fmaplayer.cluster.runner import ClusterRunner  # noqa: E402

N_GOOD = 6


@pytest.fixture(scope="module")
def local_ray():
    if ray.is_initialized():
        ray.shutdown()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)   # never another
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def music(tmp_path_factory):
    folder = tmp_path_factory.mktemp("music")
    for i in range(N_GOOD):
        write_audio(folder / f"t{i}.wav", tone(6.0, 180.0 + 70 * i) + noise(6.0, seed=i, amp=0.04))
    return folder


def junk(folder) -> str:
    """A file that only the analysis finds broken (the tracks are added to the store directly)."""
    path = folder / "junk.wav"
    path.write_bytes(b"RIFF" + b"\x00" * 400)
    return str(path)


def library(db, music) -> tuple[LibraryStore, dict[str, int]]:
    store = LibraryStore(str(db))
    paths = [str(music / f"t{i}.wav") for i in range(N_GOOD)] + [junk(music)]
    tracks = add_tracks(store, [os.path.splitext(os.path.basename(p))[0] for p in paths], folder=str(music),
                        suffix=".wav")
    return store, {t.path: t.id for t in tracks}


@pytest.fixture(scope="module")
def local_scan(music, tmp_path_factory):
    """What a local scan stores: vectors and failure reasons by path."""
    from fmaplayer.ml.embedder import Embedder
    from fmaplayer.recommend.embedding_runner import EmbeddingRunner

    store, ids = library(tmp_path_factory.mktemp("local") / "lib.db", music)
    embedder = Embedder(device="cpu")
    EmbeddingRunner(store, embedder, batch_size=16).run()
    embedder.close()
    return embedder.model_id, stored(store, embedder.model_id, ids)


def stored(store, model_id, ids) -> tuple[dict, dict]:
    by_id = {i: p for p, i in ids.items()}
    got_ids, matrix = store.load_embeddings(model_id)
    vectors = {by_id[i]: v for i, v in zip(got_ids.tolist(), matrix, strict=True)}
    failures = {by_id[i]: r for i, r in store.embedding_failures(model_id).items()}
    return vectors, failures


def assert_same_as_local(local_scan, model_id, vectors, failures):
    local_model, (local_vectors, local_failures) = local_scan
    assert model_id == local_model
    assert sorted(vectors) == sorted(local_vectors) and len(vectors) == N_GOOD
    cosines = [float(np.dot(v, local_vectors[p]) / np.linalg.norm(v) / np.linalg.norm(local_vectors[p]))
               for p, v in vectors.items()]
    assert min(cosines) >= 0.999
    assert failures == local_failures and len(failures) == 1


def test_cluster_scan_stores_what_a_local_scan_stores_and_resumes_without_duplicates(
        local_ray, music, local_scan, tmp_path):
    store, ids = library(tmp_path / "lib.db", music)
    progress = []
    runner = ClusterRunner(store, local_scan[0], batch_size=2, on_progress=progress.append)
    summary = runner.run()
    assert summary.embedded == N_GOOD and len(summary.failed) == 1 and not summary.cancelled
    assert_same_as_local(local_scan, local_scan[0], *stored(store, local_scan[0], ids))
    assert progress[-1].done == progress[-1].total == N_GOOD + 1 and progress[-1].tracks_per_s > 0
    again = ClusterRunner(store, local_scan[0]).run()   # nothing left: nothing sent, nothing doubled
    assert again.embedded == 0 and len(store.load_embeddings(local_scan[0])[0]) == N_GOOD


def test_scan_command_with_ray(local_ray, music, local_scan, tmp_path, capsys):
    db = tmp_path / "lib.db"
    assert cli.main(["scan", str(music), "--db", str(db), "--ray", "local"], route_logs=False) == 0
    out = capsys.readouterr()
    assert f"embedded: {N_GOOD} of {N_GOOD} readable" in out.out and "device: Ray: 1 worker" in out.out
    assert "tracks/s" in out.err and "left" in out.err                # the progress lines
    store = LibraryStore(str(db))
    ids = {t.path: t.id for t in store.all_tracks()}
    vectors, _ = stored(store, local_scan[0], ids)
    assert_same_as_local(local_scan, local_scan[0], vectors,
                         {p: r for p, r in local_scan[1][1].items()})


class ShippedOnly(Analyser):
    """Refuses to analyse a track whose bytes did not come with it (the workers "cannot see" the files)."""

    def __call__(self, batch):
        assert "audio" in batch and bool(np.all(batch["shipped"])), "a file was not shipped"
        sizes = [len(a) for a in batch["audio"]]
        assert sizes == [os.path.getsize(os.fsdecode(bytes(p))) for p in batch["path"]]
        return super().__call__(batch)


def test_ship_audio_sends_the_bytes_and_gives_the_same_vectors(local_ray, music, local_scan, tmp_path):
    store, ids = library(tmp_path / "lib.db", music)
    summary = ClusterRunner(store, local_scan[0], ship_audio=True, batch_size=4, analyser=ShippedOnly).run()
    assert summary.embedded == N_GOOD
    assert_same_as_local(local_scan, local_scan[0], *stored(store, local_scan[0], ids))


def crashing_analyser(marker: str):
    class CrashOnce(Analyser):
        """Its process dies in the middle of a batch while the marker file exists (once: it removes it)."""

        def __call__(self, batch):
            try:
                os.unlink(marker)
            except FileNotFoundError:
                return super().__call__(batch)
            os._exit(1)

    return CrashOnce


def test_a_worker_that_dies_mid_run_has_its_batch_retried(local_ray, music, local_scan, tmp_path):
    store, ids = library(tmp_path / "lib.db", music)
    marker = tmp_path / "die-once"
    marker.write_text("")
    summary = ClusterRunner(store, local_scan[0], batch_size=2, workers=1,
                            analyser=crashing_analyser(str(marker))).run()
    assert not marker.exists()                       # the worker did die
    assert summary.embedded == N_GOOD                # and nothing was lost
    assert_same_as_local(local_scan, local_scan[0], *stored(store, local_scan[0], ids))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_cluster_fails_fast_and_scans_nothing(local_ray, music, tmp_path, capsys):
    db = tmp_path / "lib.db"
    address = f"127.0.0.1:{closed_port()}"
    assert cli.main(["scan", str(music), "--db", str(db), "--ray", address], route_logs=False) == 2
    err = capsys.readouterr().err
    assert f"cannot reach the Ray cluster at {address}" in err and "ray start --head" in err
    assert not db.exists()
    with socket.socket() as silent:                # a port that takes the connection and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(ClusterError, match="no answer within 0.3 s"):
            check_reachable(f"ray://127.0.0.1:{port}", timeout_s=0.3)
    check_reachable(local_ray.get_runtime_context().gcs_address, timeout_s=5)   # a real one answers
