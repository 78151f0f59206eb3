"""Play orders: which queue position plays next (after Quod Libet's ``quodlibet/order``). No Qt.

The queue only holds tracks; an `Order` decides where to go. Every decision says whether the move is
**explicit** (the user pressed Next) or **implicit** (the track played to its end): "repeat one" repeats
only on implicit moves, so an explicit Next breaks out of it.

Orders see the queue as a plain sequence of items and remember items (by identity), not positions, so
editing the queue (append, insert, remove, drag to reorder) never corrupts a shuffle's history.

- `InOrder`: position + 1; Previous goes to position - 1.
- `ShuffleOrder`: a random track not yet played; it keeps the history, so Previous walks back through
  what was played and Next after Previous walks forward again through the same tracks.
- `RepeatAll(inner)` / `RepeatOne(inner)`: wrap another order instead of one class per combination.

`make_order(shuffle, repeat)` builds the combination the player bar's toggles ask for.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

REPEAT_OFF, REPEAT_ALL, REPEAT_ONE = "off", "all", "one"
REPEAT_MODES = (REPEAT_OFF, REPEAT_ALL, REPEAT_ONE)


def _position_of(items: Sequence, item: object) -> int | None:
    for position, candidate in enumerate(items):
        if candidate is item:
            return position
    return None


class Order:
    """Base: in-queue order with no memory. Positions are ints; None means "nowhere to go"."""

    shuffled = False
    repeat = REPEAT_OFF

    def next(self, items: Sequence, current: int, explicit: bool) -> int | None:
        raise NotImplementedError

    def previous(self, items: Sequence, current: int) -> int | None:
        raise NotImplementedError

    def moved_to(self, items: Sequence, position: int) -> None:
        """The player now plays ``items[position]`` (however it got there)."""

    def wrap(self, items: Sequence, current: int) -> int | None:
        """Start the queue over (repeat all); None when the queue is empty."""
        return 0 if len(items) else None

    def reset(self) -> None:
        """Forget the history (a new queue was put in place)."""

    def take_over(self, items: Sequence, played: Sequence[int]) -> None:
        """Start from what another order already played (shuffle or repeat was switched mid-queue):
        ``played`` are positions in ``items``. An order without memory has nothing to keep."""

    def played(self, items: Sequence, current: int) -> set[int]:
        """Positions already played in this round (the queue view dims them)."""
        return set(range(max(0, min(current, len(items)))))


class InOrder(Order):
    def next(self, items: Sequence, current: int, explicit: bool) -> int | None:
        position = current + 1
        return position if 0 <= position < len(items) else None

    def previous(self, items: Sequence, current: int) -> int | None:
        return current - 1 if 0 < current <= len(items) else None


class ShuffleOrder(Order):
    """Random order over the tracks not played yet, with a history for Previous."""

    shuffled = True

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng if rng is not None else random.Random()
        self._history: list = []   # items in the order they were played; the last one is playing
        self._forward: list = []   # items stepped back over with Previous, the next Next first

    def history(self) -> list:
        return list(self._history)

    def played(self, items: Sequence, current: int) -> set[int]:
        ids = {id(item) for item in self._history}
        return {p for p, item in enumerate(items) if id(item) in ids and p != current}

    def remaining(self, items: Sequence) -> list[int]:
        """Positions of the tracks not played yet in this round."""
        played = {id(item) for item in self._history}
        return [position for position, item in enumerate(items) if id(item) not in played]

    def next(self, items: Sequence, current: int, explicit: bool) -> int | None:
        while self._forward:  # Next after Previous: go forward through the same tracks
            position = _position_of(items, self._forward[-1])
            if position is not None:
                return position  # popped by moved_to once it plays
            self._forward.pop()  # removed from the queue since
        choices = [p for p in self.remaining(items) if p != current]
        return self._rng.choice(choices) if choices else None

    def previous(self, items: Sequence, current: int) -> int | None:
        while len(self._history) >= 2:
            self._forward.append(self._history.pop())
            position = _position_of(items, self._history[-1])
            if position is not None:
                return position
            self._history.pop()  # removed from the queue since: step over it
        return None

    def moved_to(self, items: Sequence, position: int) -> None:
        if not 0 <= position < len(items):
            return
        item = items[position]
        if self._history and self._history[-1] is item:
            return
        if self._forward and self._forward[-1] is item:
            self._forward.pop()
        elif self._forward:
            self._forward.clear()  # a jump elsewhere: the forward path no longer applies
        self._history = [played for played in self._history if played is not item]
        self._history.append(item)

    def take_over(self, items: Sequence, played: Sequence[int]) -> None:
        self.reset()
        self._history = [items[p] for p in sorted(played) if 0 <= p < len(items)]

    def wrap(self, items: Sequence, current: int) -> int | None:
        self.reset()  # a new round: every track again, only not the one just played first
        choices = [p for p in range(len(items)) if p != current] or list(range(len(items)))
        return self._rng.choice(choices) if choices else None

    def reset(self) -> None:
        self._history.clear()
        self._forward.clear()


class _Wrapper(Order):
    def __init__(self, inner: Order) -> None:
        self.inner = inner
        self.shuffled = inner.shuffled

    def previous(self, items: Sequence, current: int) -> int | None:
        return self.inner.previous(items, current)

    def moved_to(self, items: Sequence, position: int) -> None:
        self.inner.moved_to(items, position)

    def wrap(self, items: Sequence, current: int) -> int | None:
        return self.inner.wrap(items, current)

    def reset(self) -> None:
        self.inner.reset()

    def take_over(self, items: Sequence, played: Sequence[int]) -> None:
        self.inner.take_over(items, played)

    def played(self, items: Sequence, current: int) -> set[int]:
        return self.inner.played(items, current)


class RepeatAll(_Wrapper):
    """At the end of the queue, start it over (a fresh shuffle when the inner order shuffles)."""

    repeat = REPEAT_ALL

    def next(self, items: Sequence, current: int, explicit: bool) -> int | None:
        position = self.inner.next(items, current, explicit)
        return position if position is not None else self.inner.wrap(items, current)


class RepeatOne(_Wrapper):
    """The playing track again when it ends; an explicit Next moves on as the inner order says."""

    repeat = REPEAT_ONE

    def next(self, items: Sequence, current: int, explicit: bool) -> int | None:
        if not explicit and 0 <= current < len(items):
            return current
        return self.inner.next(items, current, explicit)


def make_order(shuffle: bool = False, repeat: str = REPEAT_OFF, rng: random.Random | None = None) -> Order:
    if repeat not in REPEAT_MODES:
        raise ValueError(f"unknown repeat mode {repeat!r}; expected one of {', '.join(REPEAT_MODES)}")
    order: Order = ShuffleOrder(rng) if shuffle else InOrder()
    if repeat == REPEAT_ALL:
        order = RepeatAll(order)
    elif repeat == REPEAT_ONE:
        order = RepeatOne(order)
    return order
