"""One track on its way to the speakers: a decoder thread filling a ring buffer that the callback drains.

The decoder thread also *opens* the file: a user's file may be a pathological MP3 whose tag takes libmpg123
half a minute to parse, or sit on a dying network share, and the player's (UI) thread must never wait for
that. ``opened()`` says when the open is over (``open_error`` set when it failed) and ``on_opened`` is called
from the decoder thread at that moment. The thread is a daemon, and nobody joins it for long: a decoder stuck
in a read can neither freeze the window nor keep the process alive after it closes.

The player's thread talks to the decoder thread only through single-attribute stores (atomic under the
GIL): a seek request tuple ``(serial, seconds)`` and a stop flag. The audio callback only calls
:meth:`TrackPipeline.render`, which copies from the ring buffer.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fmaplayer.audio.decode import StreamDecoder
from fmaplayer.audio.ring_buffer import RingBuffer
from fmaplayer.errors import AudioDecodeError

_IDLE_SLEEP = 0.01  # decoder poll interval when the ring is full or the stream has ended


class TrackPipeline:
    def __init__(self, path: str, samplerate: int, channels: int = 2, buffer_seconds: float = 2.0,
                 start_seconds: float = 0.0,
                 on_opened: Callable[[TrackPipeline], None] | None = None) -> None:
        # Nothing is opened here: start() hands the open to the decoder thread.
        self.path = path
        self.name = Path(os.fsdecode(os.fspath(path))).name
        self.samplerate = int(samplerate)
        self._channels = int(channels)
        self._decoder: StreamDecoder | None = None
        self.duration = 0.0                              # known once opened
        self.open_error: AudioDecodeError | None = None  # set by the decoder thread when the open failed
        self._opened = threading.Event()
        self._on_opened = on_opened
        self._ring_frames = max(4096, int(buffer_seconds * samplerate))
        self._ring = RingBuffer(1, channels)  # the real one once the file is open (a skipped file needs none)
        self._seek_request: tuple[int, float] = (0, max(0.0, float(start_seconds)))
        self._seek_handled = -1  # serial of the last seek the decoder thread finished
        self._stop = False
        self.error: AudioDecodeError | None = None  # set by the decoder thread on any failure (open included)
        self.starved_frames = 0  # frames the callback had to fill with silence before the end (decoder late)
        self._thread = threading.Thread(target=self._run, name="fmaplayer-decoder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    # ---- player thread -------------------------------------------------------------------------------
    def opened(self) -> bool:
        """True once the open is over, successful or not (then ``open_error`` says why)."""
        return self._opened.is_set()

    def wait_opened(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the open to be over; whether it is."""
        return self._opened.wait(max(0.0, timeout))

    def seek(self, seconds: float) -> None:
        serial = self._seek_request[0] + 1
        seconds = max(0.0, float(seconds))
        if self._opened.is_set() and self.open_error is None:
            seconds = min(seconds, self.duration)
        self._seek_request = (serial, seconds)

    def position(self) -> float:
        serial, target = self._seek_request
        if self._seek_handled != serial:
            return target  # not applied yet: show where we are going
        return self._ring.track_frame() / self.samplerate

    def finished(self) -> bool:
        """True once every decoded frame was handed to the output (the end, or a failure)."""
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

    def alive(self) -> bool:
        """Whether the decoder thread still runs (it may hold the file)."""
        return self._thread.is_alive()

    def buffered_seconds(self) -> float:
        return self._ring.available() / self.samplerate

    def close(self, timeout: float = 0.0) -> None:
        """Stop decoding. The decoder thread closes the file itself when it sees the flag; ``timeout``
        (on quit) waits that long for it, so its resampler is gone before the interpreter is."""
        self._stop = True
        thread = self._thread
        if timeout > 0 and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout)

    def _close_decoder(self) -> None:
        decoder, self._decoder = self._decoder, None
        if decoder is not None:
            decoder.close()

    # ---- audio callback --------------------------------------------------------------------------------
    def render(self, out: np.ndarray, gain: float) -> None:
        if self._seek_handled != self._seek_request[0]:
            out.fill(0.0)  # a seek is pending: what is buffered belongs to the old position
            return
        n = self._ring.read_into(out, gain)
        if n < len(out) and not self._ring.ended():
            self.starved_frames += len(out) - n

    # ---- decoder thread --------------------------------------------------------------------------------
    def _open(self) -> bool:
        try:
            if not self._stop:
                self._decoder = StreamDecoder(self.path, self.samplerate, self._channels)
                self.duration = self._decoder.duration
                self._ring = RingBuffer(self._ring_frames, self._channels)
        except AudioDecodeError as exc:
            self.open_error = exc
        except Exception as exc:  # noqa: BLE001 - whatever a hostile file does, the player gets a reason
            self.open_error = AudioDecodeError(f"{self.name}: cannot be opened: {exc}")
        if self.open_error is not None:
            self.error = self.open_error
            self._ring.mark_end()
        self._opened.set()
        if self._on_opened is not None:
            try:
                self._on_opened(self)
            except RuntimeError:   # the player is gone (the window closed meanwhile)
                pass
        return self._decoder is not None and not self._stop

    def _run(self) -> None:
        if not self._open():
            self._close_decoder()
            return
        decoder = self._decoder
        pending: np.ndarray | None = None
        ended = False
        try:
            while not self._stop:
                serial, target = self._seek_request
                if serial != self._seek_handled:
                    decoder.seek(min(target, self.duration))
                    self._ring.start_segment(int(round(min(target, self.duration) * self.samplerate)))
                    pending, ended = None, False
                    self._seek_handled = serial
                    continue
                if ended:
                    time.sleep(_IDLE_SLEEP)
                    continue
                if pending is None:
                    pending = decoder.read_block()
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
            self.error = AudioDecodeError(f"{decoder.name}: decoding failed: {exc}")
        finally:
            self._close_decoder()
        if self.error is not None:
            self._ring.mark_end()  # play what was decoded, then the player moves on
