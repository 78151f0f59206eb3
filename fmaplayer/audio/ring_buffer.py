"""A lock-free single-producer / single-consumer ring buffer of float32 audio frames.

The decoder thread is the only writer and the audio callback the only reader. Each side owns one
monotonically increasing frame counter (``_write_pos`` / ``_read_pos``); a plain attribute store of a Python
int is atomic under the GIL, and each side publishes its counter only *after* copying the data, so the other
side never sees frames that are not there yet or overwrites frames that are not read yet.

Seeking is also lock-free: the producer publishes a new *segment* ``(ring_start, track_frame)``; the consumer
skips everything written before ``ring_start`` the next time it reads. The segment also maps ring positions
to positions in the track, which is how the UI reads the playback position without any signal from the
audio callback.
"""

from __future__ import annotations

import numpy as np


class RingBuffer:
    def __init__(self, capacity_frames: int, channels: int) -> None:
        if capacity_frames <= 0 or channels <= 0:
            raise ValueError("capacity_frames and channels must be positive")
        self.capacity = int(capacity_frames)
        self.channels = int(channels)
        self._buf = np.zeros((self.capacity, self.channels), dtype=np.float32)
        self._write_pos = 0  # written only by the producer
        self._read_pos = 0  # written only by the consumer
        self._segment: tuple[int, int] = (0, 0)  # (ring position, track frame) — written by the producer
        self._end_pos: int | None = None  # ring position of the end of the stream — producer

    # ---- producer side -------------------------------------------------------------------------------
    def free_frames(self) -> int:
        return self.capacity - (self._write_pos - max(self._read_pos, self._segment[0]))

    def write(self, block: np.ndarray) -> int:
        """Copy as many frames of ``block`` (frames, channels) as fit; returns how many were written."""
        n = min(len(block), self.free_frames())
        if n <= 0:
            return 0
        w = self._write_pos
        start = w % self.capacity
        first = min(n, self.capacity - start)
        self._buf[start : start + first] = block[:first]
        if n > first:
            self._buf[: n - first] = block[first:n]
        self._write_pos = w + n  # publish after the copy
        return n

    def start_segment(self, track_frame: int) -> None:
        """Drop everything not yet read; frames written from now on start at ``track_frame`` of the track."""
        self._end_pos = None
        self._segment = (self._write_pos, int(track_frame))

    def mark_end(self) -> None:
        """No more frames will be written for this segment."""
        self._end_pos = self._write_pos

    # ---- consumer side (audio callback): no allocation of sample buffers, no locks ------------------------
    def read_into(self, out: np.ndarray, gain: float = 1.0) -> int:
        """Copy up to len(out) frames into ``out``, scaled by ``gain``; zero-fill the rest.

        Returns the number of real frames copied.
        """
        r = self._read_pos
        seg_start = self._segment[0]
        if r < seg_start:  # a seek happened: skip the stale frames
            r = seg_start
        n = min(len(out), self._write_pos - r)
        if n > 0:
            start = r % self.capacity
            first = min(n, self.capacity - start)
            out[:first] = self._buf[start : start + first]
            if n > first:
                out[first:n] = self._buf[: n - first]
            if gain != 1.0:
                np.multiply(out[:n], gain, out=out[:n])
        else:
            n = 0
        if n < len(out):
            out[n:] = 0.0
        self._read_pos = r + n  # publish after the copy
        return n

    # ---- either side: derived, read-only views -----------------------------------------------------------
    def available(self) -> int:
        return self._write_pos - max(self._read_pos, self._segment[0])

    def track_frame(self) -> int:
        """The track frame the consumer will play next (the seek target until the first read after a seek)."""
        seg_start, seg_frame = self._segment
        return seg_frame + max(0, self._read_pos - seg_start)

    def ended(self) -> bool:
        return self._end_pos is not None

    def drained(self) -> bool:
        """True once the end was marked and every frame before it has been read."""
        end = self._end_pos
        return end is not None and max(self._read_pos, self._segment[0]) >= end
