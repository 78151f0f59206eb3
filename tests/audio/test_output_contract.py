"""One contract for every output backend that loads here (null always; sounddevice when PortAudio and an
output device are present, skipped with the reason otherwise)."""

import sys
import threading

import numpy as np
import pytest

from fmaplayer.audio import output as output_module
from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.output import CLOSED, RUNNING, STOPPED, OutputBackend, create_output
from fmaplayer.errors import OutputUnavailableError

_PORTAUDIO_REASON = output_module.portaudio_unavailable_reason()


def _sounddevice():
    from fmaplayer.audio.sounddevice_output import SoundDeviceOutput

    return SoundDeviceOutput()


BACKENDS = [
    pytest.param(lambda: NullOutput(realtime=True), id="null-realtime"),
    pytest.param(lambda: NullOutput(realtime=False), id="null-fast"),
    pytest.param(_sounddevice, id="sounddevice", marks=pytest.mark.skipif(
        _PORTAUDIO_REASON is not None, reason=f"sounddevice output unavailable: {_PORTAUDIO_REASON}")),
]


class Recorder:
    """A render callback that writes a known value and counts calls; no allocation in the callback."""

    def __init__(self, want_calls=3):
        self.calls = 0
        self.shapes = set()
        self.dtypes = set()
        self.want_calls = want_calls
        self.enough = threading.Event()
        self.after_stop = threading.Event()
        self.stopped = False

    def __call__(self, out):
        if self.stopped:
            self.after_stop.set()
        self.calls += 1
        self.shapes.add(out.shape[1])
        self.dtypes.add(out.dtype)
        out.fill(0.0)
        if self.calls >= self.want_calls:
            self.enough.set()


@pytest.fixture(params=BACKENDS)
def backend(request):
    out = request.param()
    yield out
    out.close()


def test_satisfies_the_protocol(backend):
    assert isinstance(backend, OutputBackend)
    assert backend.state == CLOSED and backend.samplerate == 0
    assert backend.default_samplerate > 0
    assert backend.unavailable_reason is None


def test_open_start_stop_close_cycle(backend):
    rec = Recorder()
    backend.open(backend.default_samplerate, 2, rec)
    assert backend.state == STOPPED
    assert backend.samplerate == backend.default_samplerate and backend.channels == 2
    assert isinstance(backend.latency, float) and backend.latency >= 0
    assert rec.calls == 0  # opening does not call back
    backend.start()
    assert backend.state == RUNNING
    assert rec.enough.wait(5), "no callbacks while running"
    assert rec.shapes == {2} and rec.dtypes == {np.dtype(np.float32)}
    backend.stop()
    assert backend.state == STOPPED
    rec.stopped = True
    assert not rec.after_stop.wait(0.1), "callback after stop() returned"
    assert backend.callback_count >= 3 and backend.underflow_count >= 0
    backend.close()
    assert backend.state == CLOSED


def test_restart_after_stop_and_reopen_after_close(backend):
    first = Recorder()
    backend.open(backend.default_samplerate, 2, first)
    backend.start()
    backend.stop()
    second = Recorder()
    backend.close()
    backend.open(backend.default_samplerate, 1, second)
    backend.start()
    assert second.enough.wait(5)
    assert second.shapes == {1}


def test_stop_and_close_are_idempotent(backend):
    backend.stop()
    backend.close()
    backend.open(backend.default_samplerate, 2, Recorder())
    backend.start()
    backend.start()  # already running: no error
    backend.stop()
    backend.stop()
    backend.close()
    backend.close()
    assert backend.state == CLOSED


def test_misuse_raises(backend):
    with pytest.raises(RuntimeError):
        backend.start()
    backend.open(backend.default_samplerate, 2, Recorder())
    with pytest.raises(RuntimeError):
        backend.open(backend.default_samplerate, 2, Recorder())


# ---- the factory --------------------------------------------------------------------------------------

def test_create_output_null_on_request():
    out = create_output("null")
    assert isinstance(out, NullOutput) and out.unavailable_reason is None


def test_create_output_auto_always_gives_a_working_backend():
    out = create_output("auto")
    assert isinstance(out, OutputBackend)
    if _PORTAUDIO_REASON is None:
        assert out.name == "sounddevice"
    else:
        assert out.name == "null" and out.unavailable_reason == _PORTAUDIO_REASON


class _NoPortAudio:
    """Import hook that fails like sounddevice does when libportaudio is missing."""

    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return None


def test_missing_portaudio_falls_back_with_the_reason(monkeypatch):
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio(), *sys.meta_path])
    out = create_output("auto")
    assert out.name == "null"
    assert out.unavailable_reason == "PortAudio library not found"
    with pytest.raises(OutputUnavailableError, match="PortAudio library not found"):
        create_output("sounddevice")


def test_no_output_device_falls_back_with_the_reason(monkeypatch):
    monkeypatch.setattr(output_module, "portaudio_unavailable_reason", lambda: "no output device")
    out = create_output()
    assert out.name == "null" and out.unavailable_reason == "no output device"


def test_unknown_backend_name():
    with pytest.raises(ValueError):
        create_output("jack")
