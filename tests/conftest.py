"""Test-wide isolation: headless Qt and per-user dirs (appdirs, QSettings) redirected to tmp dirs.

The environment is set at import time as well, so a QApplication created by pytest-qt before any
fixture runs is already headless and never reads or writes the real user's settings or library.
"""

import atexit
import os
import shutil
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_SESSION_HOME = tempfile.mkdtemp(prefix="fmaplayer-tests-")
atexit.register(shutil.rmtree, _SESSION_HOME, ignore_errors=True)
os.environ["XDG_DATA_HOME"] = os.path.join(_SESSION_HOME, "data")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_SESSION_HOME, "config")
os.environ["XDG_CACHE_HOME"] = os.path.join(_SESSION_HOME, "cache")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path, monkeypatch):
    """Each test gets its own data/config dirs (appdirs reads them on every call)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture(scope="session")
def keras_seeded():
    """Keras with a fixed seed, for the model and training tests."""
    import keras

    keras.utils.set_random_seed(7)
    return keras


@pytest.fixture
def soundfile_open_lock():
    """soundfile's process-wide open lock, for tests that hold it to play "another thread inside a slow
    open" (skipped where this soundfile version does not serialise its opens)."""
    import soundfile as sf

    lock = getattr(sf.SoundFile, "_sf_error_lock", None)
    if lock is None:
        pytest.skip("this soundfile does not serialise its opens")
    return lock
