import numpy as np
import pytest

from fmaplayer.ml.models import ARCHITECTURES, build_model

# The papers' counts for 8 classes; CRNN is this project's 128x128 adaptation.
EXPECTED_PARAMS_8 = {"cnn": 4_273_512, "cnn_lstm": 2_759_016, "cnn_bilstm": 3_152_744, "crnn": 495_625}


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_parameter_count_and_forward_pass(arch, keras_seeded):
    model = build_model(arch, 8)
    assert model.count_params() == EXPECTED_PARAMS_8[arch]
    x = np.random.default_rng(0).uniform(-100, 20, (2, 128, 128, 1)).astype(np.float32)
    out = model.predict(x, verbose=0)
    probs = out["genre"] if isinstance(out, dict) else out
    assert probs.shape == (2, 8)
    assert np.all(probs >= 0) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_class_count_and_mood_head_change_only_the_output_layers(keras_seeded):
    emb = 32
    model = build_model("cnn_lstm", 12, 4)
    assert model.count_params() == EXPECTED_PARAMS_8["cnn_lstm"] + (12 - 8) * (emb + 1) + 4 * (emb + 1)
    assert model.get_layer("embedding").output.shape[-1] == emb
    out = model.predict(np.zeros((1, 128, 128, 1), np.float32), verbose=0)
    assert out["genre"].shape == (1, 12) and out["mood"].shape == (1, 4)


def test_unknown_architecture():
    with pytest.raises(ValueError):
        build_model("transformer", 8)
