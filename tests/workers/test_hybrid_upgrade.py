"""A library analysed by the style-only model 2.1.0, opened with the bundled hybrid model: the panel keeps
ranking by the old vectors while the library is re-analysed in the background, then switches to the
hybrid vectors (style | timbre | tempo) and ranks them with the fused score. The real bundled model runs."""

import numpy as np
import pytest

from fmaplayer.library.store import EmbeddingRow
from fmaplayer.ml import manifest as manifest_mod
from fmaplayer.ml.embedder import Embedder
from fmaplayer.recommend import hybrid
from fmaplayer.recommend.index import SimilarityIndex
from fmaplayer.workers.embedding_worker import EmbeddingWorker, start_in_thread, stop_thread
from tests.audio_fixtures import write_tone
from tests.recommend.fakes import make_store

pytestmark = pytest.mark.integration


def test_a_2_1_library_is_served_then_upgraded_to_the_hybrid_vectors(qtbot, tmp_path):
    manifest = manifest_mod.load_manifest(manifest_mod.manifest_path_for(manifest_mod.bundled_model_path()))
    layout = hybrid.layout_of(manifest)
    assert layout is not None, "the bundled model is a hybrid one"
    old_id = manifest_mod.model_id({**manifest, "version": "2.1.0", "genre_threshold": 0.57})
    new_id = manifest_mod.model_id(manifest)
    assert old_id != new_id
    music = tmp_path / "music"
    for i, freq in enumerate((220, 330, 440, 550, 660, 880)):
        write_tone(music / f"t{i}.wav", seconds=6.0, freq=freq)
    store = make_store(tmp_path / "lib.db")
    from fmaplayer.library.scanner import Scanner

    Scanner(store).scan([str(music)])
    tracks = store.all_tracks()
    rng = np.random.default_rng(0)
    store.save_embeddings(old_id, [EmbeddingRow(t.id, rng.random(32).astype(np.float32), "Rock")
                                   for t in tracks])
    index = SimilarityIndex(centred=True, layout=layout)
    worker = EmbeddingWorker(store, lambda device: Embedder(device="cpu"), batch_size=2, stay_alive=False,
                             model_id_hint=lambda: new_id)
    served = []

    def on_loaded(ids, matrix, genres):
        index.replace(ids, matrix)
        served.append((served_model[-1], matrix.shape[1], index.active_layout() is not None))

    served_model = []
    worker.indexModel.connect(served_model.append)
    worker.indexLoaded.connect(on_loaded)
    with qtbot.waitSignal(worker.finished, timeout=120000):
        thread = start_in_thread(worker)
    assert stop_thread(worker, thread)
    # the old model's 32-d vectors first (ranked by style alone), then the hybrid ones, fused
    assert served[0] == (old_id, 32, False)
    assert served[-1] == (new_id, layout.dim, True)
    assert store.embedding_counts(new_id) == (6, 6)
    first = tracks[0].id
    top = index.top_k(index.vector(first), 3, exclude_ids=[first])
    assert len(top) == 3 and all(-1.0 <= s <= 1.0 for _, s in top)
    parts = index.part_scores(index.vector(first), top[0][0])
    assert set(parts) == {"style", "timbre", "tempo"} and parts["timbre"] is not None
