"""The real output: a PortAudio stream through sounddevice.

The PortAudio callback only counts, checks the underflow flag and hands the device's buffer to the
render callback (which copies from the ring buffer). PortAudio errors become OutputUnavailableError.
"""

from __future__ import annotations

import threading

from fmaplayer.audio.output import OutputBase, RenderCallback
from fmaplayer.errors import OutputUnavailableError

# A music player needs no low latency (pause/stop abort the stream at once), and a deep device buffer rides
# out scheduling hiccups: PortAudio's "high" (35 ms on ALSA->PulseAudio) underflowed under CPU load, 200 ms
# did not (benchmarks/bench_playback.py).
DEFAULT_LATENCY_S = 0.2


class SoundDeviceOutput(OutputBase):
    name = "sounddevice"

    def __init__(self, device: int | str | None = None, latency: str | float = DEFAULT_LATENCY_S,
                 blocksize: int = 0) -> None:
        import sounddevice as sd  # raises OSError without PortAudio: create_output checks first

        try:
            info = sd.query_devices(device, kind="output")
        except Exception as exc:  # noqa: BLE001
            raise OutputUnavailableError(f"no output device ({exc})") from exc
        super().__init__(default_samplerate=int(info["default_samplerate"]) or 48000)
        self._sd = sd
        self.device = device
        self._latency_request = latency
        self.blocksize = blocksize
        self._stream = None
        self._lock = threading.Lock()  # serialises control calls only; never taken in the callback
        self.device_name = str(info["name"])

    @property
    def samplerate(self) -> int:
        return int(self._stream.samplerate) if self._stream is not None else 0

    @property
    def channels(self) -> int:
        return int(self._stream.channels) if self._stream is not None else 0

    @property
    def latency(self) -> float:
        return float(self._stream.latency) if self._stream is not None else 0.0

    def _pa_callback(self, outdata, frames, time_info, status) -> None:
        # Real-time thread: counters, one flag check, then copy. Nothing here allocates sample buffers.
        self._callbacks += 1
        if status.output_underflow:
            self._underflows += 1
        self._callback(outdata)

    # ---- transitions (OutputBase runs the state machine, under self._lock) ---------------------------------
    def _open_stream(self, samplerate: int, channels: int, callback: RenderCallback) -> None:
        self._callback = callback
        try:
            self._stream = self._sd.OutputStream(
                samplerate=samplerate, channels=channels, dtype="float32", device=self.device,
                latency=self._latency_request, blocksize=self.blocksize, callback=self._pa_callback)
        except Exception as exc:  # noqa: BLE001 - PortAudioError, ValueError
            self._callback = None
            raise OutputUnavailableError(f"cannot open {self.device_name!r}: {exc}") from exc

    def _start_stream(self) -> None:
        try:
            self._stream.start()
        except Exception as exc:  # noqa: BLE001
            raise OutputUnavailableError(f"cannot start {self.device_name!r}: {exc}") from exc

    def _stop_stream(self) -> None:
        try:
            self._stream.abort()  # drop what is queued: pause/stop must be immediate
        except Exception:  # noqa: BLE001 - a vanished device: the stream is gone anyway
            pass

    def _close_stream(self) -> None:
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:  # noqa: BLE001
                pass
        self._stream = None
