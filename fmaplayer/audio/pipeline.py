"""One track on its way to the speakers: a decoder thread filling a ring buffer that the callback drains.

The player's thread talks to the decoder thread only through single-attribute stores (atomic under the
GIL): a seek request tuple ``(serial, seconds)`` and a stop flag. The audio callback only calls
:meth:`TrackPipeline.render`, which copies from the ring buffer.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from fmaplayer.audio.decode import StreamDecoder
from fmaplayer.audio.ring_buffer import RingBuffer
from fmaplayer.errors import AudioDecodeError

_IDLE_SLEEP = 0.01  # decoder poll interval when the ring is full or the stream has ended


class TrackPipeline:
    def __init__(self, path: str, samplerate: int, channels: int = 2, buffer_seconds: float = 2.0,
                 start_seconds: float = 0.0) -> None:
        # Opening happens here (caller's thread) so a vanished or non-audio file fails right away.
        self._decoder = StreamDecoder(path, samplerate, channels)
        self.samplerate = int(samplerate)
        self.duration = self._decoder.duration
        self._ring = RingBuffer(max(4096, int(buffer_seconds * samplerate)), channels)
        self._seek_request: tuple[int, float] = (0, start_seconds)
        self._seek_handled = -1  # serial of the last seek the decoder thread finished
        self._stop = False
        self.error: AudioDecodeError | None = None  # set by the decoder thread on a mid-stream failure
        self.starved_frames = 0  # frames the callback had to fill with silence before the end (decoder late)
        self._thread = threading.Thread(target=self._run, name="fmaplayer-decoder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    # ---- player thread -------------------------------------------------------------------------------
    def seek(self, seconds: float) -> None:
        serial = self._seek_request[0] + 1
        self._seek_request = (serial, max(0.0, min(float(seconds), self.duration)))

    def position(self) -> float:
        serial, target = self._seek_request
        if self._seek_handled != serial:
            return target  # not applied yet: show where we are going
        return self._ring.track_frame() / self.samplerate

    def finished(self) -> bool:
        """True once every decoded frame was handed to the output (the end, or a mid-stream failure)."""
        if self.error is not None and not self._thread.is_alive():
            # The decoder gave up; a seek requested afterwards will never be served.
            return self._seek_handled != self._seek_request[0] or self._ring.drained()
        # Order matters: the seek must be handled before the ring's end marker means this stream.
        return self._seek_handled == self._seek_request[0] and self._ring.drained()

    def wait_ready(self, timeout: float = 0.05, seconds: float = 0.1) -> bool:
        """Wait (bounded) until ``seconds`` of audio are buffered, so a new track starts without a gap."""
        want = int(seconds * self.samplerate)
        deadline = time.monotonic() + timeout
        while self._ring.available() < want and not self._ring.ended() and self._thread.is_alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)
        return True

    def buffered_seconds(self) -> float:
        return self._ring.available() / self.samplerate

    def close(self, timeout: float = 2.0) -> None:
        self._stop = True
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self._decoder.close()

    # ---- audio callback --------------------------------------------------------------------------------
    def render(self, out: np.ndarray, gain: float) -> None:
        if self._seek_handled != self._seek_request[0]:
            out.fill(0.0)  # a seek is pending: what is buffered belongs to the old position
            return
        n = self._ring.read_into(out, gain)
        if n < len(out) and not self._ring.ended():
            self.starved_frames += len(out) - n

    # ---- decoder thread --------------------------------------------------------------------------------
    def _run(self) -> None:
        pending: np.ndarray | None = None
        ended = False
        try:
            while not self._stop:
                serial, target = self._seek_request
                if serial != self._seek_handled:
                    self._decoder.seek(target)
                    self._ring.start_segment(int(round(target * self.samplerate)))
                    pending, ended = None, False
                    self._seek_handled = serial
                    continue
                if ended:
                    time.sleep(_IDLE_SLEEP)
                    continue
                if pending is None:
                    pending = self._decoder.read_block()
                    if pending is None:
                        self._ring.mark_end()
                        ended = True
                        continue
                written = self._ring.write(pending)
                pending = pending[written:] if written < len(pending) else None
                if pending is not None:
                    time.sleep(_IDLE_SLEEP)  # ring full: the callback will make room
        except AudioDecodeError as exc:
            self.error = exc
        except Exception as exc:  # noqa: BLE001 - a decoder bug must not kill playback silently
            self.error = AudioDecodeError(f"{self._decoder.name}: decoding failed: {exc}")
        if self.error is not None:
            self._ring.mark_end()  # play what was decoded, then the player moves on
