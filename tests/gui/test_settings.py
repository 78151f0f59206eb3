"""Settings: typed values with defaults, validation, change signal, persistence, settings dialog."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSettings, Qt

from fmaplayer.settings import SETTINGS, Settings
from fmaplayer.ui.settings_dialog import SettingsDialog


def test_defaults(make_settings):
    settings = make_settings()
    assert settings.recommendations_count == 10
    assert settings.ranking_mode == "similarity"
    assert settings.compute_device == "auto"
    assert settings.continue_with_similar is False
    assert settings.shuffle is False and settings.repeat == "off"
    assert isinstance(settings.music_folders, list)
    assert settings.variety_caps() == (3, 2)            # variety on: 3 per artist, 2 per album
    assert set(SETTINGS) == {"music_folders", "recommendations_count", "ranking_mode", "compute_device",
                             "continue_with_similar", "shuffle", "repeat", "variety", "variety_per_artist",
                             "variety_per_album"}


def test_values_persist_and_signal(make_settings, qtbot):
    settings = make_settings()
    with qtbot.waitSignal(settings.changed, check_params_cb=lambda key: key == "recommendations_count"):
        settings.recommendations_count = 25
    settings.music_folders = ["/music/a"]  # a one-item list survives the ini round trip
    settings.ranking_mode = "similarity_genre"
    settings.continue_with_similar = True
    reopened = make_settings()
    assert reopened.recommendations_count == 25
    assert reopened.music_folders == ["/music/a"]
    assert reopened.ranking_mode == "similarity_genre"
    assert reopened.continue_with_similar is True


def test_no_signal_when_nothing_changes(make_settings, qtbot):
    settings = make_settings()
    settings.recommendations_count = 12
    with qtbot.assertNotEmitted(settings.changed):
        settings.recommendations_count = 12


def test_bad_stored_values_fall_back_or_clamp(settings_path):
    raw = QSettings(settings_path, QSettings.Format.IniFormat)
    raw.setValue("recommendations_count", "500")
    raw.setValue("ranking_mode", "nonsense")
    raw.setValue("continue_with_similar", "maybe")
    raw.setValue("music_folders", "{not json")
    raw.sync()
    settings = Settings(QSettings(settings_path, QSettings.Format.IniFormat))
    assert settings.recommendations_count == 100
    assert settings.ranking_mode == "similarity"
    assert settings.continue_with_similar is False
    assert isinstance(settings.music_folders, list)


def test_add_music_folder_ignores_duplicates(make_settings):
    settings = make_settings()
    settings.music_folders = []
    assert settings.add_music_folder("/m")
    assert not settings.add_music_folder("/m")
    assert settings.music_folders == ["/m"]


def test_settings_dialog_edits_and_saves(make_settings, qtbot, monkeypatch, tmp_path):
    settings = make_settings()
    settings.music_folders = ["/music/old"]
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.count_spin.minimum() == 1 and dialog.count_spin.maximum() == 100
    assert dialog.count_spin.value() == 10
    monkeypatch.setattr("fmaplayer.ui.settings_dialog.QFileDialog.getExistingDirectory",
                        lambda *args, **kwargs: str(tmp_path))
    dialog.add_folder_button.click()
    dialog.folder_list.item(0).setSelected(True)
    dialog.remove_folder_button.click()
    dialog.count_spin.setValue(42)
    dialog.ranking_combo.setCurrentIndex(dialog.ranking_combo.findData("similarity_genre"))
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    with qtbot.waitSignal(dialog.rescanRequested):
        dialog.rescan_button.click()
    assert settings.music_folders == [str(tmp_path)]
    dialog.accept()
    reopened = make_settings()
    assert reopened.recommendations_count == 42
    assert reopened.ranking_mode == "similarity_genre"
    assert reopened.compute_device == "cpu"


def test_settings_dialog_sets_variety(make_settings, qtbot):
    settings = make_settings()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.artist_cap.setValue(5)
    dialog.album_cap.setValue(0)
    dialog.accept()
    assert settings.variety_caps() == (5, 0)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.variety_box, Qt.MouseButton.LeftButton)   # untick: no caps at all
    assert not dialog.artist_cap.isEnabled()
    dialog.accept()
    assert settings.variety_caps() == (0, 0) and settings.get("variety_per_artist") == 5


def test_cancel_keeps_the_old_values(make_settings, qtbot):
    settings = make_settings()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.count_spin.setValue(3)
    dialog.reject()
    assert settings.recommendations_count == 10


def _unwritable_settings(tmp_path) -> QSettings:
    """An ini file that cannot be written even by root: its folder is a regular file."""
    (tmp_path / "not-a-folder").write_text("")
    return QSettings(str(tmp_path / "not-a-folder" / "fmaplayer.conf"), QSettings.Format.IniFormat)


def test_a_setting_that_cannot_be_saved_is_reported_once_with_its_place(tmp_path, qtbot):
    settings = Settings(_unwritable_settings(tmp_path))
    assert settings.save_error == ""
    with qtbot.waitSignal(settings.saveFailed, timeout=1000) as blocker:
        settings.add_music_folder("/music/new")
    assert "could not be saved" in blocker.args[0] and str(tmp_path / "not-a-folder") in blocker.args[0]
    assert "music folders" in blocker.args[0] and settings.save_error == blocker.args[0]
    with qtbot.assertNotEmitted(settings.saveFailed):   # said once, not on every change
        settings.recommendations_count = 42


def test_saved_settings_report_no_error(make_settings, qtbot):
    settings = make_settings()
    with qtbot.assertNotEmitted(settings.saveFailed):
        settings.add_music_folder("/music/new")
    assert settings.save_error == ""


def test_the_window_tells_the_user_that_settings_are_not_saved(tmp_path, make_window, qtbot):
    settings = Settings(_unwritable_settings(tmp_path))
    settings.add_music_folder("/music/from-the-command-line")   # before the window, as --folder is
    window = make_window(settings=settings)
    assert window.status.notice.isVisibleTo(window)
    assert "could not be saved" in window.status.notice_label.text()
    assert str(tmp_path / "not-a-folder") in window.status.notice_label.text()


def test_the_window_shows_a_later_failure_too(make_window):
    window = make_window()
    assert not window.status.notice.isVisibleTo(window)
    window.settings.saveFailed.emit("Settings could not be saved to /x: test")
    assert window.status.notice_label.text() == "Settings could not be saved to /x: test"


DEEP_JSON = "[" * 50_000 + "]" * 50_000


def test_a_50000_deep_folder_list_falls_back_and_the_start_up_scan_still_runs(settings_path, make_window,
                                                                              monkeypatch, tmp_path):
    from fmaplayer import settings as settings_mod
    from fmaplayer.ui.panel_state import saved_anchor_ids

    raw = QSettings(settings_path, QSettings.Format.IniFormat)
    raw.setValue("music_folders", DEEP_JSON)
    raw.setValue("state/relevant_anchor", DEEP_JSON)
    raw.sync()
    music = tmp_path / "Music"
    music.mkdir()
    spec = dataclasses.replace(SETTINGS["music_folders"], default=lambda: [str(music)])
    monkeypatch.setitem(settings_mod.SETTINGS, "music_folders", spec)   # the default: ~/Music
    settings = Settings(QSettings(settings_path, QSettings.Format.IniFormat))
    assert settings.music_folders == [str(music)] and saved_anchor_ids(settings) == []
    window = make_window(settings=settings)
    started = []
    window.scan_controller.start = started.append
    assert window.start_scan() is True and started == [[str(music)]]   # the start-up rescan runs
    assert settings.add_music_folder("/music/new") and settings.music_folders == [str(music), "/music/new"]
