"""The four genre architectures (Keras 3, backend-agnostic: no tf.* calls).

Every model takes (128, 128, 1) log-mel slices (mel bands x frames) in absolute dB. The first layer is a
parameter-free Rescaling that maps dB to roughly zero mean / unit scale, so normalisation travels inside
the saved model. Outputs are named "genre" (softmax) and, when n_moods > 0, "mood" (softmax over the
emotion quadrants, a second head on the same embedding). The embedding layer is named "embedding":
the 32-unit penultimate Dense for the CNN family, the last GRU state (68 units) for the CRNN.

Parameter counts for 8 genres and no mood head: cnn 4,273,512; cnn_lstm 2,759,016; cnn_bilstm 3,152,744;
crnn 495,625 (tests/ml/test_models.py checks them).
"""

from __future__ import annotations

ARCHITECTURES = ("cnn", "cnn_lstm", "cnn_bilstm", "crnn")
INPUT_SHAPE = (128, 128, 1)
# dB -> network range: (x - DB_OFFSET) / DB_SCALE, a fixed map chosen before training (the training clips
# measure mean -15 dB, sd 24 dB, so inputs sit at about 0.7 +- 1.2; the BatchNorm after conv 1 absorbs it).
DB_OFFSET = -30.0
DB_SCALE = 20.0
EMBEDDING_LAYER = "embedding"


def _conv_block(layers, x, filters, kernel, stride):
    x = layers.Conv2D(
        filters, kernel, strides=stride, padding="valid", activation="relu", kernel_initializer="he_normal"
    )(x)
    x = layers.BatchNormalization()(x)
    return layers.AveragePooling2D(pool_size=2, strides=2)(x)


def _conv_stack(layers, x):
    for filters, kernel, stride in ((64, 7, 1), (128, 7, 2), (256, 3, 1), (512, 3, 1)):
        x = _conv_block(layers, x, filters, kernel, stride)
    return x


def _dense_head(layers, x):
    """Dense 1024 -> Dropout .5 -> 256 -> Dropout .25 -> 64 -> 32 (the embedding)."""
    x = layers.Dense(1024, activation="relu", kernel_initializer="he_normal")(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(256, activation="relu", kernel_initializer="he_normal")(x)
    x = layers.Dropout(0.25)(x)
    x = layers.Dense(64, activation="relu", kernel_initializer="he_normal")(x)
    return layers.Dense(32, activation="relu", kernel_initializer="he_normal", name=EMBEDDING_LAYER)(x)


def _recurrent_body(layers, x, bidirectional):
    x = _conv_stack(layers, x)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.6)(x)
    x = layers.Reshape((512, -1))(x)
    x = layers.Permute((2, 1))(x)
    first = layers.LSTM(128, return_sequences=True)
    x = layers.Bidirectional(first)(x) if bidirectional else first(x)
    x = layers.LSTM(128)(x)
    return _dense_head(layers, x)


def _crnn_body(layers, x):
    # Paper (Choi et al. CRNN): pools (2x2),(3x3),(4x4),(4x4) on a 96x1366 input. On 128x128 slices the
    # frequency axis keeps the paper's pooling (128 -> 64 -> 21 -> 5 -> 1) and the time axis is pooled by 2
    # per block (128 -> 8), leaving 8 time steps for the GRUs instead of pooling time away.
    for filters, pool in ((68, (2, 2)), (137, (3, 2)), (137, (4, 2)), (137, (4, 2))):
        x = layers.Conv2D(filters, 3, padding="same", kernel_initializer="he_normal")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(pool_size=pool, strides=pool)(x)
        x = layers.Dropout(0.1)(x)
    x = layers.Reshape((-1, 137))(x)  # (1, 8, 137) -> 8 steps x 137 features
    x = layers.GRU(68, return_sequences=True)(x)
    return layers.GRU(68, name=EMBEDDING_LAYER)(x)


def build_model(arch: str, n_genres: int, n_moods: int = 0):
    """Build an uncompiled keras.Model for one of ARCHITECTURES."""
    import keras
    from keras import layers

    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")
    inputs = keras.Input(shape=INPUT_SHAPE, name="mel_db")
    x = layers.Rescaling(1.0 / DB_SCALE, offset=-DB_OFFSET / DB_SCALE, name="db_scale")(inputs)
    if arch == "cnn":
        x = _conv_stack(layers, x)
        x = layers.BatchNormalization()(x)
        x = layers.Flatten()(x)
        x = layers.BatchNormalization()(x)
        x = layers.Dropout(0.6)(x)
        emb = _dense_head(layers, x)
    elif arch in ("cnn_lstm", "cnn_bilstm"):
        emb = _recurrent_body(layers, x, bidirectional=arch == "cnn_bilstm")
    else:
        emb = _crnn_body(layers, x)
    outputs = {
        "genre": layers.Dense(n_genres, activation="softmax", kernel_initializer="he_normal", name="genre")(
            emb
        )
    }
    if n_moods:
        outputs["mood"] = layers.Dense(
            n_moods, activation="softmax", kernel_initializer="he_normal", name="mood"
        )(emb)
    return keras.Model(inputs, outputs, name=arch)
