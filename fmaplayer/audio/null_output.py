"""An output with the same state machine as the real one and no sound.

A thread pulls blocks through the callback, paced at real time by default (so the app behaves the same
without a sound card) or as fast as possible with ``realtime=False`` (so tests finish quickly).
"""

from __future__ import annotations

import threading
import time

import numpy as np

from fmaplayer.audio.output import RUNNING, OutputBase, RenderCallback


class NullOutput(OutputBase):
    name = "null"

    def __init__(self, realtime: bool = True, speed: float = 1.0, blocksize: int = 1024,
                 samplerate: int = 44100) -> None:
        super().__init__(default_samplerate=samplerate)
        self.realtime = realtime
        self.speed = float(speed)  # >1 plays faster than real time while still paced
        self.blocksize = int(blocksize)
        self._samplerate = 0
        self._channels = 0
        self._block: np.ndarray | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self.frames_rendered = 0

    # ---- properties of the interface ------------------------------------------------------------------
    @property
    def samplerate(self) -> int:
        return self._samplerate

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def latency(self) -> float:
        return self.blocksize / self._samplerate if self._samplerate else 0.0

    # ---- transitions (OutputBase runs the state machine) -------------------------------------------------
    def _open_stream(self, samplerate: int, channels: int, callback: RenderCallback) -> None:
        if samplerate <= 0 or channels <= 0:
            raise ValueError("samplerate and channels must be positive")
        self._samplerate, self._channels, self._callback = int(samplerate), int(channels), callback
        self._block = np.zeros((self.blocksize, self._channels), dtype=np.float32)

    def _start_stream(self) -> None:
        self._running = True
        self._thread = threading.Thread(target=self._pump, name="fmaplayer-null-output", daemon=True)
        self._state = RUNNING  # before the thread runs: a callback that stops the output sees it running
        self._thread.start()

    def _stop_stream(self) -> None:
        self._running = False
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    def _close_stream(self) -> None:
        self._samplerate = self._channels = 0

    # ---- the "device" thread ---------------------------------------------------------------------------
    def _pump(self) -> None:
        block, callback = self._block, self._callback
        assert block is not None and callback is not None
        period = self.blocksize / self._samplerate / max(self.speed, 1e-6)
        deadline = time.monotonic()
        while self._running:
            callback(block)
            self._callbacks += 1
            self.frames_rendered += len(block)
            if self.realtime:
                deadline += period
                delay = deadline - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                elif delay < -period:  # a real device would have run dry here
                    self._underflows += 1
                    deadline = time.monotonic()
            else:
                time.sleep(0)  # let the decoder thread have the GIL
