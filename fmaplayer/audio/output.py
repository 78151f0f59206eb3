"""The output-backend interface and the factory that picks a backend that works on this machine.

Every backend has the same small state machine::

    closed --open()--> stopped --start()--> running --stop()--> stopped --close()--> closed

While running it calls ``callback(outdata)`` from its own (real-time) thread with a preallocated float32
array of shape (frames, channels) that the callback must fill completely. After ``stop()`` or ``close()``
returns, the callback is not called again. ``stop()`` and ``close()`` are idempotent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from fmaplayer.errors import OutputUnavailableError

RenderCallback = Callable[[np.ndarray], None]

CLOSED, STOPPED, RUNNING = "closed", "stopped", "running"


@runtime_checkable
class OutputBackend(Protocol):
    name: str
    unavailable_reason: str | None  # why the preferred (real) output is not used; None when it is

    @property
    def state(self) -> str: ...  # CLOSED | STOPPED | RUNNING

    @property
    def default_samplerate(self) -> int: ...  # the device's preferred rate (the player resamples to it)

    @property
    def samplerate(self) -> int: ...  # rate of the open stream (0 when closed)

    @property
    def channels(self) -> int: ...

    @property
    def latency(self) -> float: ...  # seconds between the callback and the speaker

    @property
    def callback_count(self) -> int: ...

    @property
    def underflow_count(self) -> int: ...  # callbacks flagged output_underflow (an audible glitch)

    def open(self, samplerate: int, channels: int, callback: RenderCallback) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class OutputBase:
    """The state machine, counters and properties that every backend shares.

    A backend implements the transitions' device work in ``_open_stream``, ``_start_stream``,
    ``_stop_stream`` and ``_close_stream``; the checks and state changes around them live here. Control
    calls run under ``self._lock``: a no-op context unless the backend sets a real lock (the real-time
    callback never takes it).
    """

    name = "base"
    _lock: contextlib.AbstractContextManager = contextlib.nullcontext()  # a reusable no-op context

    def __init__(self, default_samplerate: int) -> None:
        self.unavailable_reason: str | None = None
        self._default_samplerate = int(default_samplerate)
        self._state = CLOSED
        self._callback: RenderCallback | None = None
        self._callbacks = 0
        self._underflows = 0

    # ---- properties of the interface ------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    @property
    def default_samplerate(self) -> int:
        return self._default_samplerate

    @property
    def callback_count(self) -> int:
        return self._callbacks

    @property
    def underflow_count(self) -> int:
        return self._underflows

    # ---- state machine ---------------------------------------------------------------------------------
    def open(self, samplerate: int, channels: int, callback: RenderCallback) -> None:
        with self._lock:
            if self._state != CLOSED:
                raise RuntimeError(f"open() on an output that is {self._state}")
            self._open_stream(samplerate, channels, callback)
            self._state = STOPPED

    def start(self) -> None:
        with self._lock:
            if self._state == CLOSED:
                raise RuntimeError("start() on a closed output")
            if self._state == RUNNING:
                return
            self._start_stream()
            self._state = RUNNING

    def stop(self) -> None:
        with self._lock:
            if self._state != RUNNING:
                return
            self._stop_stream()
            self._state = STOPPED

    def close(self) -> None:
        self.stop()
        with self._lock:
            self._close_stream()
            self._callback = None
            self._state = CLOSED

    # ---- what each backend does at the transitions -----------------------------------------------------
    def _open_stream(self, samplerate: int, channels: int, callback: RenderCallback) -> None:
        raise NotImplementedError

    def _start_stream(self) -> None:
        raise NotImplementedError

    def _stop_stream(self) -> None:
        raise NotImplementedError

    def _close_stream(self) -> None:
        raise NotImplementedError


def portaudio_unavailable_reason() -> str | None:
    """None if sounddevice can open an output here, else the reason in words (never raises)."""
    try:
        import sounddevice as sd
    except OSError as exc:  # sounddevice raises OSError('PortAudio library not found')
        return str(exc) or "PortAudio library not found"
    except ImportError:
        return "the sounddevice package is not installed"
    try:
        device = sd.query_devices(kind="output")
    except Exception:  # noqa: BLE001 - PortAudioError / ValueError when there is none
        return "no output device"
    try:
        sd.check_output_settings(device=device["index"], channels=min(2, int(device["max_output_channels"])),
                                 dtype="float32", samplerate=device["default_samplerate"])
    except Exception as exc:  # noqa: BLE001
        return f"output device {device['name']!r} cannot play: {exc}"
    return None


def create_output(prefer: str = "auto", **kwargs) -> OutputBackend:
    """A working output backend.

    ``prefer``: "auto" (sounddevice when PortAudio and a device are present, else the null output with
    ``unavailable_reason`` set), "sounddevice" (raise OutputUnavailableError instead of falling back), or
    "null" (silent on purpose; ``unavailable_reason`` stays None).
    """
    from fmaplayer.audio.null_output import NullOutput

    if prefer == "null":
        return NullOutput(**kwargs)
    if prefer not in ("auto", "sounddevice"):
        raise ValueError(f"unknown output backend {prefer!r}")
    reason = portaudio_unavailable_reason()
    if reason is None:
        from fmaplayer.audio.sounddevice_output import SoundDeviceOutput

        return SoundDeviceOutput(**kwargs)
    if prefer == "sounddevice":
        raise OutputUnavailableError(reason)
    out = NullOutput()
    out.unavailable_reason = reason
    return out
