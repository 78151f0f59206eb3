"""pytest-qt tests of "Why this song?" (tooltip + detail) and "Path from here…" (picker, queue, panel) on the
real MainWindow, a real store with stored probabilities and tempos, and the bundled model's labels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel

from fmaplayer.library.store import EmbeddingRow
from fmaplayer.recommend.explain import MOOD_WORDS
from fmaplayer.settings import Settings
from fmaplayer.ui.recommendations import ACTION_TEXT, bundled_manifest, bundled_model_id_of, install
from fmaplayer.ui.sonic_path_actions import ACTION_TEXT as PATH_TEXT
from fmaplayer.ui.track_table_model import Column
from tests.audio_fixtures import write_tone
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store

MANIFEST = bundled_manifest()
pytestmark = pytest.mark.skipif(MANIFEST is None, reason="no bundled model manifest")
GENRES = MANIFEST["genres"] if MANIFEST else []
MOODS = MANIFEST["moods"] if MANIFEST else []
THRESHOLD = float(MANIFEST.get("genre_threshold") or 0.0) if MANIFEST else 0.0
# name: (angle in degrees, genre, its probability, mood, its probability, tempo)
TRACKS = {
    "anchor": (0, "Jazz", 0.85, "Q4", 0.80, 92.0),
    "near": (4, "Jazz", 0.75, "Q4", 0.70, 95.0),
    "unsure": (8, "Jazz", THRESHOLD - 0.05, "Q4", 0.40, None),
    "mid": (30, "Classical", 0.70, "Q3", 0.70, 60.0),
    "far": (60, "Pop/Rock", 0.90, "Q1", 0.90, 130.0),
    "target": (90, "Pop/Rock", 0.90, "Q2", 0.75, 140.0),
}
STEPS = [12, 20, 45, 50, 70, 75, 80]   # more analysed tracks between the anchor and the target


def probs(labels, best, p):
    out = np.full(len(labels), (1 - p) / (len(labels) - 1), np.float32)
    out[labels.index(best)] = p
    return out


def vec(degrees):
    r = np.deg2rad(degrees)
    return np.array([np.cos(r), np.sin(r)], np.float32)


@pytest.fixture
def env(qtbot, tmp_path):
    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.ui.main_window import MainWindow

    model_id = bundled_model_id_of(MANIFEST)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    store = make_store(tmp_path / "lib.db")
    names = [*TRACKS, *(f"step{a}" for a in STEPS), "late"]
    for i, name in enumerate(names):
        write_tone(tmp_path / "music" / f"{name}.wav", seconds=0.5, freq=220 + 30 * i)
    tracks = {t.title: t for t in add_tracks(store, names, folder=str(tmp_path / "music"), suffix=".wav")}
    rows = [EmbeddingRow(tracks[n].id, vec(a), g if p >= THRESHOLD else "", probs(GENRES, g, p), m,
                         probs(MOODS, m, mp), tempo=t) for n, (a, g, p, m, mp, t) in TRACKS.items()]
    rows += [EmbeddingRow(tracks[f"step{a}"].id, vec(a), "") for a in STEPS]   # no profile stored
    store.save_embeddings(model_id, rows)                                         # "late" stays unanalysed
    embedder = FakeEmbedder(vectors={"late": vec(2)}, dim=2, model_id=model_id)
    window = MainWindow(settings, store, Player(output=NullOutput(realtime=True)))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    integration = install(window, store, settings, embedder_factory=lambda device: embedder, autostart=False)
    integration.worker.pause()
    integration.start()
    qtbot.waitUntil(lambda: integration.controller.index_ready and len(integration.index) == 13, timeout=5000)
    yield window, integration, tracks
    integration.shutdown()
    window.player.stop()


def _trigger(window, tracks, text):
    window.library_view.select_rows([window.track_table_model.row_of_track(t.id) for t in tracks])
    next(a for a in window.build_track_context_menu().actions() if a.text() == text).trigger()


def _row_of(panel, name):
    return next(i for i, r in enumerate(panel.model.rows()) if r.track.title == name)


def test_each_result_explains_itself_in_a_tooltip_and_the_detail(qtbot, env):
    window, integration, tracks = env
    window.settings.recommendations_count = 4
    _trigger(window, [tracks["anchor"]], ACTION_TEXT)
    panel = integration.panel
    near = _row_of(panel, "near")
    tooltip = panel.model.data(panel.model.index(near, 1), Qt.ItemDataRole.ToolTipRole)
    sentence = f"Both mostly Jazz, {MOOD_WORDS['Q4']}; similar tempo (92 vs 95 BPM)"
    assert sentence in tooltip and "<table" in tooltip and "85&nbsp;%" in tooltip and "75&nbsp;%" in tooltip
    # the detail under the list follows the current row and opens on demand
    detail = panel.why_detail
    panel.table.setCurrentIndex(panel.model.index(near, 1))
    assert detail.isVisible() and detail.sentence.text() == sentence and not detail.body.isVisible()
    qtbot.mouseClick(detail.toggle, Qt.MouseButton.LeftButton)
    assert detail.body.isVisible()
    assert detail.genre_bars.rows()[0] == ("Jazz", pytest.approx(0.85), pytest.approx(0.75))
    assert detail.mood_bars.rows()[0][0] == MOOD_WORDS["Q4"]
    assert detail.tempo.text() == "Tempo: 92 BPM vs 95 BPM"
    # below the calibrated threshold nothing is claimed for both, only said as the likeliest with its
    # numbers (what the bars show), and an unknown tempo is not compared
    unsure = _row_of(panel, "unsure")
    panel.table.setCurrentIndex(panel.model.index(unsure, 1))
    text = detail.sentence.text()
    assert "Both" not in text and "mostly" not in text and "tempo" not in text
    assert f"(likeliest for both: Jazz, 85 % and {(THRESHOLD - 0.05) * 100:.0f} %;" in text
    # a result with no stored probabilities has no "why"; its tooltip stays the plain one
    step = _row_of(panel, "step12")
    plain = panel.model.data(panel.model.index(step, 1), Qt.ItemDataRole.ToolTipRole)
    shown = panel.model.data(panel.model.index(step, 0), Qt.ItemDataRole.DisplayRole)
    assert plain.splitlines()[1].startswith(f"Match {shown}:")    # the same number as the column, explained
    panel.table.setCurrentIndex(panel.model.index(step, 1))
    assert not detail.isVisible()


def test_path_from_here_picks_the_target_by_search_and_plays_the_path(qtbot, env):
    window, integration, tracks = env
    _trigger(window, [tracks["anchor"]], PATH_TEXT)
    dialog = integration.sonic_path.dialog
    qtbot.waitUntil(lambda: dialog.isVisible())
    assert dialog.list.count() == 12          # analysed tracks other than the start; "late" is not listed
    qtbot.keyClicks(dialog.search, "targ")
    assert dialog.list.count() == 1
    dialog.length.setValue(6)
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    player = window.player
    qtbot.waitUntil(lambda: player.current_track() is not None, timeout=5000)
    queued = [t.title for t in player.queue.items()]
    assert queued[0] == "anchor" and queued[-1] == "target" and len(queued) == 6 == len(set(queued))
    angles = {**{n: v[0] for n, v in TRACKS.items()}, **{f"step{a}": a for a in STEPS}}
    assert [angles[n] for n in queued] == sorted(angles[n] for n in queued)   # always closer to the target
    panel = integration.panel
    assert panel.isVisible() and panel.header.text() == "Path: anchor → target"
    assert [r.track.title for r in panel.model.rows()] == queued
    assert player.current_track().title == "anchor"


def test_the_picker_lists_the_targets_in_the_librarys_sort_order(qtbot, env):
    window, integration, tracks = env
    window.track_table_model.sort(Column.TITLE, Qt.SortOrder.DescendingOrder)
    _trigger(window, [tracks["anchor"]], PATH_TEXT)
    dialog = integration.sonic_path.dialog
    qtbot.waitUntil(lambda: dialog.isVisible())
    listed = [dialog.list.item(i).data(Qt.ItemDataRole.UserRole).title for i in range(dialog.list.count())]
    assert listed == sorted(listed, reverse=True) and len(listed) == 12
    dialog.reject()


def test_escape_cancels_the_picker_and_changes_nothing(qtbot, env):
    window, integration, tracks = env
    _trigger(window, [tracks["anchor"]], PATH_TEXT)
    dialog = integration.sonic_path.dialog
    qtbot.waitUntil(lambda: dialog.isVisible())
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog.search, Qt.Key.Key_Escape)
    assert integration.sonic_path.dialog is None
    assert window.player.queue.items() == [] and not integration.panel.isVisible()


def test_an_unanalysed_start_gets_a_clear_message(qtbot, env):
    window, integration, tracks = env
    _trigger(window, [tracks["late"]], PATH_TEXT)
    assert integration.sonic_path.dialog is None
    panel = integration.panel
    assert panel.isVisible() and "has not been analysed yet" in panel.subheader.text()
    assert window.player.queue.items() == []


def test_an_unreadable_start_says_so_instead_of_asking_to_wait(qtbot, env):
    window, integration, tracks = env
    unreadable = dataclasses.replace(tracks["late"], error="empty file (0 bytes)")
    integration.sonic_path.start_from([unreadable])
    assert integration.sonic_path.dialog is None
    text = integration.panel.subheader.text()
    assert "could not be read (empty file (0 bytes))" in text and "Wait" not in text
    assert window.player.queue.items() == []


def test_a_library_double_click_after_a_path_plays_on_through_the_library_not_the_path(qtbot, env):
    """After "Path from here…" filled the queue, double-click (or Enter) on a library row plays that row
    and then the library after it; Ctrl+Right goes to the next library row, not to a step of the path."""
    window, integration, tracks = env
    integration.sonic_path.path_between(tracks["anchor"], tracks["target"], 6)
    player = window.player
    qtbot.waitUntil(lambda: player.current_track() is not None, timeout=5000)
    model = window.track_table_model
    model.sort(Column.TITLE, Qt.SortOrder.AscendingOrder)
    row = model.row_of_track(tracks["far"].id)
    following = model.track_at(row + 1)
    table = window.library_view.table
    table.setFocus()
    table.setCurrentIndex(model.index(row, 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: player.current_track().title == "far", timeout=5000)
    assert [t.id for t in player.queue.items()] == [t.id for t in model.visible_tracks(row)]
    assert "queue is kept" not in window.status.currentMessage()
    assert "replaced the suggested tracks" in window.status.currentMessage()
    window.next_action.trigger()                                   # Ctrl+Right
    qtbot.waitUntil(lambda: player.current_track().id == following.id, timeout=5000)


def _entries(menu) -> dict[str, object]:
    return {action.text(): action for action in menu.actions() if not action.isSeparator()}


def test_path_from_here_on_a_multi_selection_names_the_track_it_starts_from(qtbot, env):
    window, integration, tracks = env
    model = window.track_table_model
    window.library_view.select_rows([model.row_of_track(tracks[n].id) for n in ("mid", "anchor", "far")])
    first = window.selected_tracks()[0]                          # the topmost selected row
    entries = _entries(window.build_track_context_menu())
    assert PATH_TEXT not in entries                              # "from here" had no clear "here"
    entry = entries[f"Path from “{first.title}”…"]
    assert entry.isEnabled() and f"the first selected, “{first.title}”" in entry.toolTip()
    entry.trigger()
    dialog = integration.sonic_path.dialog
    qtbot.waitUntil(lambda: dialog.isVisible())
    assert f"From “{first.title}” to…" in " ".join(label.text() for label in dialog.findChildren(QLabel))
    dialog.reject()
    window.library_view.select_rows([model.row_of_track(tracks["anchor"].id)])     # one track: as before
    assert PATH_TEXT in _entries(window.build_track_context_menu())


def test_a_file_that_could_not_be_read_is_not_offered_get_relevant_songs(qtbot, env):
    window, integration, tracks = env
    broken = add_tracks(window.store, ["broken"], folder=str(tracks["anchor"].path).rsplit("/", 1)[0],
                        suffix=".mp3", error="not an audio file (text data)")[0]
    window.reload_from_store()
    window.library_view.select_rows([window.track_table_model.row_of_track(broken.id)])
    entries = _entries(window.build_track_context_menu())
    assert ACTION_TEXT not in entries and PATH_TEXT not in entries
    for text in (ACTION_TEXT, PATH_TEXT):
        entry = entries[f"{text} (the file could not be read)"]
        assert not entry.isEnabled()
        assert entry.toolTip() == ("“broken” could not be read (not an audio file (text data)), "
                                   "so it was not analysed.")
    assert entries["Show in folder"].isEnabled() and not entries["Play"].isEnabled()
    # with a readable track in the selection the entries are offered again, under their own names
    model = window.track_table_model
    window.library_view.select_rows([model.row_of_track(t.id) for t in (broken, tracks["near"])])
    entries = _entries(window.build_track_context_menu())
    assert entries[ACTION_TEXT].isEnabled()
