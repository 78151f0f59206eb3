"""Fixtures for GUI tests: the real MainWindow over fakes, settings in a tmp ini file."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from fmaplayer.settings import Settings
from tests.gui.fakes import FakePlayer, FakeScanner, FakeStore, sample_tracks


@pytest.fixture
def settings_path(tmp_path):
    return str(tmp_path / "settings.ini")


@pytest.fixture
def make_settings(settings_path):
    def make() -> Settings:
        return Settings(QSettings(settings_path, QSettings.Format.IniFormat))

    return make


@pytest.fixture
def store():
    return FakeStore(sample_tracks())


@pytest.fixture
def player():
    return FakePlayer()


@pytest.fixture(autouse=True)
def desktop_sized_screen(monkeypatch):
    """The offscreen screen is 800x600; the first window fits the screen (fmaplayer.ui.window_fit), so
    GUI tests get a common desktop's available area, and a test about fitting sets its own."""
    from PySide6.QtCore import QRect

    from fmaplayer.ui import window_fit

    monkeypatch.setattr(window_fit, "available_geometry", lambda window: QRect(0, 0, 1920, 1050))


@pytest.fixture
def make_window(qtbot, make_settings, store, player, tmp_path):
    """Build (and later close) real MainWindows; keyword arguments override the collaborators."""
    from fmaplayer.ui.main_window import MainWindow

    windows = []

    def make(**overrides):
        options = {"settings": make_settings(), "store": store, "player": player,
                   "scanner": FakeScanner(overrides.get("store", store)),
                   "manifest_path": tmp_path / "no-model.json", "scan_reload_interval_s": 0.0}
        options.update(overrides)
        window = MainWindow(options.pop("settings"), options.pop("store"), options.pop("player"),
                            options.pop("scanner"), **options)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.scan_controller is not None:
            window.scan_controller.shutdown()
