"""Genre/mood model: features, architectures, datasets, training, evaluation and the app's Embedder.

No Qt here. Heavy imports (TensorFlow/Keras, librosa) happen inside functions, so importing a module of
this package is cheap; constructing an `Embedder` is not (do it in a worker thread).
"""
