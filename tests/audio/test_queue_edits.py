"""Queue edits behind drag and drop: insert at a position, move a selection; the playing one stays current."""

from fmaplayer.audio.play_queue import PlayQueue


class Item:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


def make_queue(qtbot, current=2):
    queue = PlayQueue()
    items = [Item(n) for n in "abcde"]
    queue.replace(items, current)
    return queue, items


def names(queue):
    return "".join(item.name for item in queue.items())


def test_move_a_selection_down_and_up(qtbot):
    queue, items = make_queue(qtbot, current=2)
    with qtbot.waitSignal(queue.changed):
        assert queue.move([0, 1], 4) == [2, 3]
    assert names(queue) == "cdabe"
    assert queue.current() is items[2] and queue.current_index == 0
    assert queue.move([4], 0) == [0]
    assert names(queue) == "ecdab" and queue.current() is items[2]
    assert queue.move([1, 3], 5) == [3, 4]  # to the end
    assert names(queue) == "edbca"


def test_move_the_playing_entry_keeps_playing_it(qtbot):
    queue, items = make_queue(qtbot, current=2)
    with qtbot.waitSignal(queue.currentChanged, check_params_cb=lambda i: i == 4):
        queue.move([2], 5)
    assert names(queue) == "abdec" and queue.current() is items[2]


def test_move_with_duplicates_follows_the_playing_object(qtbot):
    same = Item("x")
    queue = PlayQueue()
    queue.replace([same, Item("y"), same], 2)
    queue.move([2], 0)
    assert queue.current_index == 0


def test_insert_before_and_after_the_current(qtbot):
    queue, items = make_queue(qtbot, current=2)
    queue.insert(1, [Item("X"), Item("Y")])
    assert names(queue) == "aXYbcde" and queue.current() is items[2]
    queue.insert(99, [Item("Z")])
    assert names(queue) == "aXYbcdeZ" and queue.current() is items[2]
    with qtbot.assertNotEmitted(queue.changed):
        queue.insert(0, [])
        assert queue.move([42], 0) == []
