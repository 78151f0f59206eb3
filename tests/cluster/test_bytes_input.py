"""The Embedder reads a track from a file object (bytes shipped from another machine) as from its path."""

from __future__ import annotations

import io

import numpy as np
import pytest

from fmaplayer.errors import AudioDecodeError
from tests.audio_generated import noise, tone, write_audio

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embedder():
    from fmaplayer.ml import manifest
    from fmaplayer.ml.embedder import Embedder

    if not manifest.bundled_model_path().exists():
        pytest.skip("no bundled model in models/")
    made = Embedder(device="cpu")
    yield made
    made.close()


def named_bytes(path) -> io.BytesIO:
    source = io.BytesIO(path.read_bytes())
    source.name = str(path)
    return source


def test_embed_many_takes_file_objects_and_gives_what_the_path_gives(embedder, tmp_path):
    good = write_audio(tmp_path / "song.wav", tone(5.0, 330.0) + noise(5.0, seed=3, amp=0.05))
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF" + b"\x00" * 400)
    by_path = embedder.embed_many([str(good), str(junk)])
    by_bytes = embedder.embed_many([named_bytes(good), named_bytes(junk), str(good)])   # mixed is fine
    np.testing.assert_allclose(by_bytes[0].vector, by_path[0].vector, atol=1e-6)
    np.testing.assert_allclose(by_bytes[2].vector, by_path[0].vector, atol=1e-6)
    assert by_bytes[0].genre == by_path[0].genre
    assert isinstance(by_bytes[1], AudioDecodeError) and str(by_bytes[1]) == str(by_path[1])
    assert embedder.embed(named_bytes(good)).genre == by_path[0].genre
