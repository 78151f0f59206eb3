"""Shared fixtures for the ML tests: generated audio only, one Embedder per module."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def keras_seeded():
    import keras

    keras.utils.set_random_seed(7)
    return keras
