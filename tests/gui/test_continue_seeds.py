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
