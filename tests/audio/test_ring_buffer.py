"""The lock-free SPSC ring buffer between the decoder thread and the audio callback."""

import threading
import time

import numpy as np

from fmaplayer.audio.ring_buffer import RingBuffer


def _frames(start, n, channels=2):
    values = np.arange(start, start + n, dtype=np.float32)
    return np.repeat(values[:, None], channels, axis=1)


def test_write_read_wraps_around_and_zero_fills():
    ring = RingBuffer(8, 2)
    out = np.empty((5, 2), np.float32)
    assert ring.write(_frames(0, 6)) == 6
    assert ring.read_into(out) == 5 and np.array_equal(out, _frames(0, 5))
    assert ring.write(_frames(6, 7)) == 7  # wraps
    assert ring.write(_frames(13, 5)) == 0  # full: nothing overwritten
    assert ring.read_into(out) == 5 and np.array_equal(out, _frames(5, 5))
    assert ring.read_into(out) == 3
    assert np.array_equal(out[:3], _frames(10, 3)) and not out[3:].any()


def test_partial_write_when_nearly_full():
    ring = RingBuffer(4, 1)
    assert ring.write(_frames(0, 3, 1)) == 3
    assert ring.write(_frames(3, 3, 1)) == 1
    assert ring.available() == 4 and ring.free_frames() == 0


def test_gain_is_applied_in_place():
    ring = RingBuffer(8, 2)
    ring.write(np.full((4, 2), 0.8, np.float32))
    out = np.empty((4, 2), np.float32)
    ring.read_into(out, gain=0.25)
    assert np.allclose(out, 0.2)


def test_segment_discards_stale_frames_and_maps_track_position():
    ring = RingBuffer(16, 1)
    ring.write(_frames(0, 10, 1))
    out = np.empty((4, 1), np.float32)
    ring.read_into(out)
    assert ring.track_frame() == 4
    ring.start_segment(track_frame=1000)  # a seek: frames 4..9 are stale
    assert ring.track_frame() == 1000 and ring.available() == 0
    ring.write(_frames(500, 4, 1))
    assert ring.read_into(out) == 4 and out[0, 0] == 500
    assert ring.track_frame() == 1004


def test_end_marker_and_drained():
    ring = RingBuffer(8, 1)
    ring.write(_frames(0, 3, 1))
    ring.mark_end()
    assert ring.ended() and not ring.drained()
    ring.read_into(np.empty((8, 1), np.float32))
    assert ring.drained()
    ring.start_segment(0)
    assert not ring.ended() and not ring.drained()


def test_threads_see_a_gapless_sequence():
    """One producer and one consumer thread: every frame arrives once, in order, without locks."""
    ring = RingBuffer(97, 1)
    total = 50_000
    received = np.zeros(total, np.float32)
    done = threading.Event()

    def produce():
        pos = 0
        while pos < total:
            n = ring.write(_frames(pos, min(61, total - pos), 1))
            pos += n
            if n == 0:
                time.sleep(0)  # yield the GIL to the consumer (not a timed wait)
        ring.mark_end()

    def consume():
        out = np.empty((37, 1), np.float32)
        got = 0
        while not ring.drained():
            n = ring.read_into(out)
            received[got : got + n] = out[:n, 0]
            got += n
            if n == 0:
                time.sleep(0)
        done.set()

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for t in threads:
        t.start()
    assert done.wait(30)
    for t in threads:
        t.join()
    assert np.array_equal(received, np.arange(total, dtype=np.float32))
