""""Continue with similar songs" in the real window: only tracks listened to seed it, shown in the tooltip."""

from tests.gui.test_relevant_panel import env, settings  # noqa: F401 - shared fixtures


def test_listened_tracks_seed_the_continuation_and_skipped_ones_do_not(qtbot, env):  # noqa: F811
    window, integration, tracks, _ = env
    player = window.player
    button = window.player_bar.continue_button
    assert "counts once it played 30 s or half" in button.toolTip()

    player.play_tracks([tracks["far1"], tracks["near1"]])  # far1 is skipped at once ...
    player.next()
    assert player.current_track().id == tracks["near1"].id
    # ... near1 (0.5 s) plays to its end: more than half of it was heard
    qtbot.waitUntil(lambda: integration.continuation.seeds() == [tracks["near1"].id], timeout=10_000)
    assert "Based on: near1" in button.toolTip() and "far1" not in button.toolTip()
    more = integration.continuation(tracks["near1"])
    ids = {t.id for t in more}
    assert tracks["near2"].id in ids  # chosen by near1 ...
    assert tracks["far1"].id not in ids  # ... and the skipped track is not offered again


def test_up_next_says_why_each_continued_track_was_picked(qtbot, env, settings):  # noqa: F811
    from fmaplayer.recommend.ranking import relevant

    window, integration, tracks, _ = env
    player, view = window.player, window.queue_view
    settings.continue_with_similar = True
    seeds = [tracks["near1"].id, tracks["far1"].id]
    expected = relevant(integration.index, seeds, 10)   # what the continuation ranks once both were heard
    # both play to their end (0.5 s each, so each is listened to), then the queue runs out and the
    # continuation appends: the real player, tracker and queue signals, nothing called by hand
    with qtbot.waitSignal(player.queueExhausted, timeout=10_000):
        player.play_tracks([tracks["near1"], tracks["far1"]])
    qtbot.waitUntil(lambda: len(player.queue) > 2, timeout=5_000)
    player.pause()
    assert integration.continuation.seeds() == seeds
    items = player.queue.items()
    percents = {r.track_id: r.percent for r in expected}
    for row in range(view.count()):
        item = view.list.topLevelItem(row)
        tip = item.toolTip(0)
        if row < 2:                       # the tracks the user asked for: no reason, not marked
            assert "Picked by" not in tip and not item.font(0).italic()
            continue
        picked = items[row]
        assert (f"Picked by Continue with similar songs: {percents[picked.id]:.0f} % match to the blend of "
                "\u201cnear1\u201d, \u201cfar1\u201d") in tip
        assert picked.path in tip and item.font(0).italic()
        assert integration.continuation.reason_for(picked).percent == integration.index.percent(
            next(r.score for r in expected if r.track_id == picked.id))
        if row != player.queue.current_index:
            assert not item.icon(0).isNull()   # the continue button's icon marks it
    # the same track added again by the user is the user's: no reason on that row
    (copy,) = window.store.tracks_by_ids([items[2].id])
    player.queue.append([copy])
    assert "Picked by" not in view.list.topLevelItem(view.count() - 1).toolTip(0)
    assert "Picked by" in view.list.topLevelItem(2).toolTip(0)
