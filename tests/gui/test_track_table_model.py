"""TrackTableModel: filter, sort, predicted genres, unreadable rows, plain-text tags."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from fmaplayer.ui.track_table_model import TRACK_ROLE, Column, TrackTableModel
from tests.gui.fakes import make_track, sample_tracks


@pytest.fixture
def model(qapp):
    m = TrackTableModel()
    m.set_tracks(sample_tracks())
    return m


def titles(model: TrackTableModel) -> list[str]:
    return [model.data(model.index(row, Column.TITLE)) for row in range(model.rowCount())]


def test_filter_matches_title_artist_album_genre_case_insensitively(model):
    for query, expected in [("blue", {"Blue Train", "Moment's Notice", "So What"}),  # title + album
                            ("MASSIVE", {"Teardrop", "Angel"}),  # artist
                            ("trip-hop", {"Teardrop", "Angel"}),  # genre
                            ("windowlicker", {"Windowlicker"})]:
        model.set_filter_text(query)
        assert set(titles(model)) == expected, query


def test_filter_tokens_must_all_match_and_typing_narrows(model):
    seen = []
    for text in ("c", "co", "col", "colt", "coltrane", "coltrane notice"):
        model.set_filter_text(text)
        seen.append(model.rowCount())
    assert seen == sorted(seen, reverse=True)
    assert titles(model) == ["Moment's Notice"]
    model.set_filter_text("coltrane")  # widening again searches everything, not the previous matches
    assert model.rowCount() == 2
    model.set_filter_text("")
    assert model.rowCount() == len(sample_tracks())


def test_filter_that_matches_nothing_then_something_else(model):
    model.set_filter_text("zzz")
    assert model.rowCount() == 0
    model.set_filter_text("zzzangel")
    assert model.rowCount() == 0
    model.set_filter_text("angel")
    assert titles(model) == ["Angel"]


def test_sort_by_each_column_both_ways(model):
    model.sort(Column.YEAR, Qt.SortOrder.AscendingOrder)
    years = [model.track_at(row).year for row in range(model.rowCount())]
    assert years[-1] is None and years[:-1] == sorted(years[:-1])  # missing values last, both ways
    model.sort(Column.DURATION, Qt.SortOrder.DescendingOrder)
    durations = [model.track_at(row).duration for row in range(model.rowCount())]
    assert durations[-1] == 0.0 and durations[:-1] == sorted(durations[:-1], reverse=True)
    model.sort(Column.ARTIST, Qt.SortOrder.DescendingOrder)
    assert model.track_at(model.rowCount() - 1).artist == ""
    model.sort(Column.TITLE, Qt.SortOrder.AscendingOrder)
    assert titles(model)[:3] == ["Angel", "Blue Train", "Moment's Notice"]
    for column in Column:  # every column sorts without error
        model.sort(column, Qt.SortOrder.DescendingOrder)
        assert model.rowCount() == len(sample_tracks())


def test_ties_keep_the_natural_album_order(model):
    model.sort(Column.ALBUM, Qt.SortOrder.AscendingOrder)
    mezzanine = [t.title for t in model.visible_tracks() if t.album == "Mezzanine"]
    assert mezzanine == ["Angel", "Teardrop"]  # track 1 before track 3


def test_sort_survives_filter_and_reload(model):
    model.sort(Column.YEAR, Qt.SortOrder.DescendingOrder)
    model.set_filter_text("jazz")
    assert [t.year for t in model.visible_tracks()] == [1959, 1957, 1957]
    model.set_tracks([*sample_tracks(), make_track(8, "Naima", "John Coltrane", "Giant Steps", "Jazz", 1960)])
    assert [t.year for t in model.visible_tracks()] == [1960, 1959, 1957, 1957]


def test_predicted_genres_fill_their_column_and_sort(model, qtbot):
    column = Column.PREDICTED_GENRE
    assert model.headerData(column, Qt.Orientation.Horizontal) == "Genre (predicted)"
    assert all(model.data(model.index(row, column)) == "" for row in range(model.rowCount()))
    with qtbot.waitSignal(model.dataChanged):
        model.set_predicted_genres({4: "Electronic", 6: "Experimental"})
    model.update_predicted_genres({1: "Jazz"})
    row = model.row_of_track(4)
    assert model.data(model.index(row, column)) == "Electronic"
    model.sort(column, Qt.SortOrder.DescendingOrder)
    assert [t.id for t in model.visible_tracks()[:3]] == [1, 6, 4]


def test_an_empty_predicted_genre_cell_explains_itself_in_its_tooltip(model):
    column = Column.PREDICTED_GENRE
    model.set_predicted_genres({4: "", 6: "Folk"})
    asked = []
    model.genre_tooltip = lambda track_id: asked.append(track_id) or f"why {track_id}"
    tip = model.data(model.index(model.row_of_track(4), column), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(model.row_of_track(4), column)) == "" and "why 4" in tip
    assert asked == [4]
    model.genre_tooltip = lambda track_id: None        # nothing stored yet: the plain tooltip rules
    assert model.data(model.index(model.row_of_track(6), column), Qt.ItemDataRole.ToolTipRole) is None


def test_an_empty_predicted_genre_cell_says_whether_the_model_was_unsure_or_has_not_analysed_it(model):
    column = Column.PREDICTED_GENRE
    model.set_predicted_genres({4: "", 6: "Folk"})                 # 4 analysed but unsure; 5 not analysed

    def tip(track_id):
        return model.data(model.index(model.row_of_track(track_id), column), Qt.ItemDataRole.ToolTipRole)

    assert "not confident enough" in tip(4) and "not analysed yet" not in tip(4)
    assert "not analysed yet" in tip(5)
    model.genre_tooltip = lambda track_id: ("No genre shown: the likeliest, Reggae at 41 %, is below the 60 %"
                                            if track_id == 4 else None)
    assert "Reggae at 41 %" in tip(4) and "not analysed yet" in tip(5)
    header = model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "not confident enough" in header and "filled in as tracks are analysed" not in header


def test_the_filter_finds_predicted_genres_even_as_they_arrive(model):
    model.set_predicted_genres({4: "Reggae", 5: ""})
    model.set_filter_text("reggae")
    assert titles(model) == ["Teardrop"]
    model.update_predicted_genres({6: "Reggae"})                   # a batch analysed while filtered
    assert sorted(titles(model)) == ["Teardrop", "Windowlicker"]
    model.set_filter_text("pop/rock")
    assert model.rowCount() == 0
    model.update_predicted_genres({1: "Pop/Rock"})
    assert titles(model) == ["Blue Train"]
    model.set_predicted_genres({})                                 # another model's index: none predicted
    assert model.rowCount() == 0
    model.set_filter_text("massive")                               # the tags are still searched
    assert sorted(titles(model)) == ["Angel", "Teardrop"]


def test_unreadable_rows_are_shown_greyed_with_reason(model):
    row = model.row_of_track(7)
    assert row >= 0
    assert model.data(model.index(row, Column.STATUS)) == "not an audio file (text data)"
    assert model.data(model.index(row, Column.TITLE)) == "notes"  # file name when there is no title
    assert "not an audio file" in model.data(model.index(row, Column.TITLE), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(row, Column.ARTIST), Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(model.index(0 if row else 1, Column.ARTIST), Qt.ItemDataRole.ForegroundRole) is None
    assert model.unreadable_count() == 1
    model.set_only_unreadable(True)
    assert [t.id for t in model.visible_tracks()] == [7]
    model.set_only_unreadable(False)
    assert model.rowCount() == len(sample_tracks())


def test_tag_text_is_plain_bounded_and_printable(qapp):
    html = "<b>bold</b><img src='x'>"
    model = TrackTableModel()
    model.set_tracks([make_track(1, html, "line\nbreak\x00null", "A" * 100_000)])
    assert model.data(model.index(0, Column.TITLE)) == html  # shown literally by the view
    tooltip = model.data(model.index(0, Column.TITLE + 2), Qt.ItemDataRole.ToolTipRole)
    assert len(tooltip) < 3000
    assert model.data(model.index(0, Column.ARTIST)) == "line break null"
    assert len(model.data(model.index(0, Column.ALBUM))) <= 300
    title_tooltip = model.data(model.index(0, Column.ARTIST + 1), Qt.ItemDataRole.ToolTipRole)
    assert "<b>" not in title_tooltip  # escaped: Qt would render tooltips as rich text otherwise
    model.set_filter_text("<b>bold")
    assert model.rowCount() == 1
    assert model.data(model.index(0, 0), TRACK_ROLE).id == 1


def test_current_track_is_marked(model, qtbot):
    with qtbot.waitSignal(model.dataChanged):
        model.set_current_track_id(3)
    row = model.row_of_track(3)
    assert model.data(model.index(row, Column.TITLE), Qt.ItemDataRole.FontRole).bold()
    assert model.data(model.index(row, Column.TITLE), Qt.ItemDataRole.DecorationRole) is not None


def test_hundred_thousand_rows_filter_and_sort_correctly(qapp):
    genres = ["Rock", "Jazz", "Pop", "Folk"]
    tracks = [make_track(i, f"Song {i}", f"Artist {i % 997}", f"Album {i % 5003}", genres[i % 4],
                         1950 + i % 70, i % 15 + 1) for i in range(100_000)]
    model = TrackTableModel()
    model.sort(Column.ARTIST, Qt.SortOrder.AscendingOrder)
    model.set_tracks(tracks)
    assert model.rowCount() == 100_000
    model.set_filter_text("jazz")
    assert model.rowCount() == 25_000
    model.set_filter_text("jazz artist 99")
    def matches(t):
        hay = f"{t.title} {t.artist} {t.album} {t.genre}".lower()
        return all(token in hay for token in ("jazz", "artist", "99"))

    assert {t.id for t in model.visible_tracks()} == {t.id for t in tracks if matches(t)}
    model.set_filter_text("")
    model.sort(Column.YEAR, Qt.SortOrder.DescendingOrder)
    assert model.track_at(0).year == 2019 and model.track_at(99_999).year == 1950
