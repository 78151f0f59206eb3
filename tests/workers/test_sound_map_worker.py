"""The sound map worker: results come back on the UI thread by queued signal, the newest request wins,
and a full projection is preceded by an instant PCA preview."""

import threading

import numpy as np
import pytest

from fmaplayer.recommend import sound_map
from fmaplayer.workers.sound_map_worker import SoundMapWorker


def vectors(n, seed=0):
    x = np.abs(np.random.default_rng(seed).normal(size=(n, 8))).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def worker(qtbot, tmp_path):
    w = SoundMapWorker(sound_map.SoundMapCache(tmp_path), method=sound_map.PCA)
    yield w
    w.shutdown()


def test_the_map_arrives_by_signal_on_the_ui_thread(qtbot, worker):
    seen = []
    worker.mapReady.connect(lambda serial, smap, final: seen.append((serial, threading.current_thread())))
    with qtbot.waitSignal(worker.mapReady) as ready:
        serial = worker.request(np.arange(30), vectors(30), "m")
    got_serial, smap, final = ready.args
    assert got_serial == serial and final and smap.coords.shape == (30, 2)
    assert seen[0][1] is threading.main_thread()


def test_only_the_newest_request_is_answered(qtbot, worker, monkeypatch):
    gate, started = threading.Event(), threading.Event()
    real = sound_map.cached_map

    def slow_first(ids, *args, **kwargs):      # hold the first job until two more have been asked for
        if len(ids) == 10:
            started.set()
            gate.wait(5)
        return real(ids, *args, **kwargs)

    monkeypatch.setattr(sound_map, "cached_map", slow_first)
    answers = []
    worker.mapReady.connect(lambda serial, smap, final: answers.append((serial, len(smap))))
    worker.request(np.arange(10), vectors(10), "m")
    assert started.wait(5)
    worker.request(np.arange(20), vectors(20), "m")      # overtaken before it starts: never computed
    newest = worker.request(np.arange(25), vectors(25), "m")
    with qtbot.waitSignal(worker.mapReady, check_params_cb=lambda serial, *_: serial == newest):
        gate.set()
    assert answers == [(newest, 25)]


def test_a_full_projection_is_preceded_by_a_pca_preview(qtbot, tmp_path):
    if not sound_map.tsne_available():
        pytest.skip("openTSNE is not installed (the optional `map` extra)")
    worker = SoundMapWorker(sound_map.SoundMapCache(tmp_path))
    answers = []
    worker.mapReady.connect(lambda serial, smap, final: answers.append((smap.method, final)))
    try:
        with qtbot.waitSignal(worker.mapReady, timeout=60000,
                              check_params_cb=lambda serial, smap, final: final):
            worker.request(np.arange(60), vectors(60), "m")
    finally:
        worker.shutdown()
    assert answers == [(sound_map.PCA, False), (sound_map.TSNE, True)]


def test_bad_vectors_are_reported_not_raised(qtbot, worker):
    bad = vectors(5)
    bad[2, 0] = np.inf
    with qtbot.waitSignal(worker.failed) as failed:
        worker.request(np.arange(5), bad, "m")
    assert "could not be computed" in failed.args[1]
