"""Play orders without any Qt: in order, shuffle with history, repeat all / one wrapping either."""

import random

import pytest

from fmaplayer.audio.play_order import (
    REPEAT_ALL,
    REPEAT_ONE,
    InOrder,
    RepeatAll,
    RepeatOne,
    ShuffleOrder,
    make_order,
)


class Item:
    """Distinct objects, as tracks in a queue are (two equal tracks are still two queue entries)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


def items(n=5):
    return [Item(f"t{i}") for i in range(n)]


def play_all(order, queue, start=0, explicit=False, limit=50):
    """Positions visited from ``start`` until the order says stop."""
    visited, current = [start], start
    order.moved_to(queue, start)
    for _ in range(limit):
        current = order.next(queue, current, explicit)
        if current is None:
            return visited
        order.moved_to(queue, current)
        visited.append(current)
    return visited


def test_in_order_plays_to_the_end_and_stops():
    queue = items(4)
    assert play_all(InOrder(), queue) == [0, 1, 2, 3]
    assert InOrder().previous(queue, 2) == 1
    assert InOrder().previous(queue, 0) is None


def test_shuffle_plays_every_track_once_then_stops():
    queue = items(8)
    visited = play_all(ShuffleOrder(random.Random(1)), queue, start=3)
    assert sorted(visited) == list(range(8))
    assert visited != sorted(visited)  # seed 1 does not happen to be in order


def test_shuffle_previous_walks_back_through_the_history_then_forward_again():
    queue = items(6)
    order = ShuffleOrder(random.Random(7))
    visited = play_all(order, queue, start=0)[:4]
    order = ShuffleOrder(random.Random(7))
    current = 0
    order.moved_to(queue, 0)
    for _ in range(3):
        current = order.next(queue, current, True)
        order.moved_to(queue, current)
    back = []
    for _ in range(3):
        current = order.previous(queue, current)
        order.moved_to(queue, current)
        back.append(current)
    assert back == visited[2::-1]  # the same tracks, newest first
    assert order.previous(queue, current) is None  # nothing before the first one
    forward = []
    for _ in range(3):
        current = order.next(queue, current, True)
        order.moved_to(queue, current)
        forward.append(current)
    assert forward == visited[1:4]  # Next after Previous retraces, not a new random pick


def test_shuffle_history_survives_queue_edits():
    queue = items(5)
    order = ShuffleOrder(random.Random(3))
    order.moved_to(queue, 0)
    second = order.next(queue, 0, True)
    order.moved_to(queue, second)
    played_item = queue[second]
    queue.insert(0, Item("new"))  # positions shift; the history follows the items
    assert played_item not in [queue[p] for p in order.remaining(queue)]
    assert queue[0] in [queue[p] for p in order.remaining(queue)]
    assert order.previous(queue, queue.index(played_item)) == 1  # t0, now at position 1


def test_shuffle_jump_elsewhere_forgets_the_forward_path():
    queue = items(5)
    order = ShuffleOrder(random.Random(2))
    order.moved_to(queue, 0)
    nxt = order.next(queue, 0, True)
    order.moved_to(queue, nxt)
    order.moved_to(queue, order.previous(queue, nxt))
    other = next(p for p in range(5) if p not in (0, nxt))
    order.moved_to(queue, other)  # the user picked another track
    assert order.next(queue, other, True) not in (0, other)


def test_repeat_all_in_order_wraps_around():
    queue = items(3)
    visited = play_all(RepeatAll(InOrder()), queue, limit=5)
    assert visited == [0, 1, 2, 0, 1, 2]


def test_repeat_all_shuffle_starts_a_new_round_after_every_track_played():
    queue = items(4)
    visited = play_all(RepeatAll(ShuffleOrder(random.Random(5))), queue, limit=7)
    assert sorted(visited[:4]) == [0, 1, 2, 3]
    assert sorted(visited[4:8]) == [0, 1, 2, 3]
    assert visited[3] != visited[4]  # the new round does not start with the track just played


def test_repeat_one_repeats_on_implicit_moves_only():
    queue = items(3)
    order = RepeatOne(InOrder())
    assert order.next(queue, 1, explicit=False) == 1
    assert order.next(queue, 1, explicit=True) == 2  # an explicit Next breaks out
    assert order.next(queue, 2, explicit=True) is None  # ...and stops at the end of the queue


def test_repeat_at_the_end_of_the_queue():
    queue = items(3)
    assert make_order(False, "off").next(queue, 2, False) is None
    assert make_order(False, REPEAT_ALL).next(queue, 2, False) == 0
    assert make_order(False, REPEAT_ONE).next(queue, 2, False) == 2
    assert make_order(True, REPEAT_ALL, random.Random(0)).next(queue, 2, False) in (0, 1)


def test_make_order_combinations_and_bad_mode():
    order = make_order(True, REPEAT_ONE)
    assert isinstance(order, RepeatOne) and isinstance(order.inner, ShuffleOrder)
    assert order.shuffled and order.repeat == REPEAT_ONE
    assert not make_order().shuffled and make_order().repeat == "off"
    with pytest.raises(ValueError):
        make_order(repeat="sometimes")


def test_empty_queue():
    for order in (InOrder(), ShuffleOrder(), RepeatAll(InOrder()), RepeatAll(ShuffleOrder())):
        assert order.next([], -1, True) is None


def test_played_positions_for_the_queue_view():
    queue = items(4)
    assert InOrder().played(queue, 2) == {0, 1}
    order = RepeatAll(ShuffleOrder(random.Random(1)))
    order.moved_to(queue, 3)
    nxt = order.next(queue, 3, True)
    order.moved_to(queue, nxt)
    assert order.played(queue, nxt) == {3}  # what the shuffle played, not what lies before the current
