"""Guards the PySide6 pin: 6.12.0 drops a reference to True on every emit() and aborts the interpreter
after a few hundred emits (the player emits its position ten times a second)."""

import sys

import pytest
from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(float)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="True is immortal from Python 3.12")
def test_emitting_keeps_the_reference_count_of_true(qtbot):
    emitter = _Emitter()
    received = []
    emitter.fired.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(2000):  # more than True's whole reference count at start-up
        emitter.fired.emit(float(i))
    assert abs(sys.getrefcount(True) - before) < 20
    assert len(received) == 2000
