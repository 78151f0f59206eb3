"""The play queue's edits and its current index."""

import pytest

from fmaplayer.audio.play_queue import PlayQueue


@pytest.fixture
def queue(qtbot):
    q = PlayQueue()
    q.replace(["a", "b", "c"], current=1)
    return q


def test_replace_and_current(queue):
    assert queue.items() == ["a", "b", "c"] and len(queue) == 3
    assert queue.current_index == 1 and queue.current() == "b" and queue.has_next()


def test_insert_next_goes_after_the_current_item(qtbot, queue):
    with qtbot.waitSignal(queue.changed):
        queue.insert_next(["x", "y"])
    assert queue.items() == ["a", "b", "x", "y", "c"] and queue.current() == "b"


def test_insert_next_with_nothing_current_goes_first(qtbot):
    q = PlayQueue()
    q.append(["a"])
    q.insert_next(["x"])
    assert q.items() == ["x", "a"] and q.current_index == -1


def test_append_and_empty_edits_do_not_signal(qtbot, queue):
    with qtbot.assertNotEmitted(queue.changed):
        queue.append([])
        queue.insert_next([])
    queue.append(["d"])
    assert queue.items()[-1] == "d"


def test_remove_before_or_at_current_keeps_what_plays_next(qtbot, queue):
    with qtbot.waitSignal(queue.currentChanged, check_params_cb=lambda i: i == 0):
        queue.remove(0)
    assert queue.current() == "b"
    queue.remove(0)  # the current item itself: next() will play "c"
    assert queue.current_index == -1 and queue.items() == ["c"]
    with pytest.raises(IndexError):
        queue.remove(5)


def test_remove_after_current(queue):
    queue.remove(2)
    assert queue.current() == "b" and not queue.has_next()


def test_clear(qtbot, queue):
    with qtbot.waitSignals([queue.currentChanged, queue.changed]):
        queue.clear()
    assert queue.items() == [] and queue.current() is None
    with qtbot.assertNotEmitted(queue.changed):
        queue.clear()


def test_set_current_out_of_range_means_none(queue):
    queue.set_current(7)
    assert queue.current_index == -1 and queue.current() is None


def test_remove_where_drops_every_match_in_one_edit_and_keeps_what_plays_next(qtbot):
    q = PlayQueue()
    q.replace(["a", "x", "b", "x", "c"], current=3)     # the second "x" plays
    with qtbot.waitSignal(q.changed), qtbot.waitSignal(q.currentChanged, check_params_cb=lambda i: i == 1):
        assert q.remove_where(lambda item: item == "x") == 2
    assert q.items() == ["a", "b", "c"] and q.current() == "b"   # next() plays "c", the follower
    with qtbot.assertNotEmitted(q.changed):
        assert q.remove_where(lambda item: item == "zzz") == 0
    q.set_current(2)
    q.remove_where(lambda item: item == "a")
    assert q.current() == "c" and q.current_index == 1
