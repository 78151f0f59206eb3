"""Output underflows of the real player on a real PortAudio stream, idle and under CPU load.

Plays generated music through ``Player`` + ``SoundDeviceOutput`` (the app's own code path: decoder thread,
ring buffer, PortAudio callback) for ``--seconds`` per phase and counts the callbacks PortAudio flagged with
``output_underflow`` — each one is an audible glitch on a real sound card.

These machines have no sound card, so by default (``--setup auto``) the script starts a private PulseAudio
daemon with a null sink (a virtual device that consumes audio at real-time pace) on its own socket, and
routes ALSA's default PCM to it through an ``ALSA_CONFIG_PATH`` file written next to the socket. Nothing
outside this process sees either (no ~/.asoundrc, no default socket). ``--setup alsa-null`` uses ALSA's
``null`` PCM plugin instead (no daemon, but it has no clock: callbacks run flat out, so it only smoke-tests
the stream and cannot count underflows); ``--setup none`` uses
whatever device PortAudio finds.

System packages (Debian/Ubuntu)::

    apt-get install --no-install-recommends libportaudio2 pulseaudio pulseaudio-utils alsa-utils \
        libasound2-plugins

(libportaudio2: PortAudio for sounddevice; pulseaudio: the daemon with module-null-sink; pulseaudio-utils:
``pactl`` to wait for it; libasound2-plugins: ALSA's ``pulse`` PCM; alsa-utils: ``aplay -L`` to debug.)

Load phases (``--load``, repeatable; default ``none`` then ``cpu``):
  none   playback only
  cpu    one subprocess per core spinning float32 matmuls (numpy, one BLAS thread each): imitates the
         embedding worker keeping every core busy
  CMD    any shell command line, e.g. ``--load "fmaplayer scan ~/Music"``; killed when the phase ends

Example::

    python benchmarks/bench_playback.py --seconds 60 --load none --load cpu --out bench-results/playback.json
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks._report import write_json  # noqa: E402

CPU_LOAD_CODE = (
    "import numpy as np\n"
    "a = np.random.default_rng(0).random((384, 384), dtype=np.float32)\n"
    "while True:\n"
    "    a = (a @ a) / np.float32(384.0)\n"
)


# ---- the virtual device -----------------------------------------------------------------------------------
def start_pulse_null_sink(runtime: Path, realtime: bool = False) -> subprocess.Popen:
    """A private PulseAudio daemon with only a null sink; returns the process (PULSE_SERVER is set)."""
    for tool in ("pulseaudio", "pactl"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install pulseaudio pulseaudio-utils")
    sock = runtime / "native"
    env = dict(os.environ, HOME=str(runtime), XDG_RUNTIME_DIR=str(runtime))
    log = open(runtime / "pulseaudio.log", "wb")
    proc = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
         "--log-target=stderr", f"--realtime={'yes' if realtime else 'no'}",
         f"--high-priority={'yes' if realtime else 'no'}",
         "-L", f"module-native-protocol-unix socket={sock} auth-anonymous=1",
         "-L", "module-null-sink sink_name=fmaplayer_bench"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    os.environ["PULSE_SERVER"] = f"unix:{sock}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"pulseaudio exited ({proc.returncode}); see {runtime / 'pulseaudio.log'}")
        if subprocess.run(["pactl", "info"], capture_output=True).returncode == 0:
            return proc
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("pulseaudio did not come up within 15 s")


def route_alsa_default(runtime: Path, pcm_type: str) -> None:
    """Make ALSA's default PCM ``pcm_type`` ("pulse" or "null") for this process only."""
    conf = runtime / "asound.conf"
    conf.write_text("</usr/share/alsa/alsa.conf>\n"
                    f"pcm.!default {{ type {pcm_type} }}\n"
                    + ("ctl.!default { type pulse }\n" if pcm_type == "pulse" else ""))
    os.environ["ALSA_CONFIG_PATH"] = str(conf)


# ---- test material ----------------------------------------------------------------------------------------
def write_music(folder: Path, seconds: float) -> list[Path]:
    """Chords with noise in three formats and rates (so the resampler and both decoders are exercised)."""
    import numpy as np
    import soundfile as sf

    specs = [("a.flac", 44100, {}), ("b.mp3", 22050, {}), ("c.ogg", 48000, {})]
    paths = []
    rng = np.random.default_rng(1)
    for i, (name, sr, kw) in enumerate(specs):
        t = np.arange(int(seconds * sr)) / sr
        chord = sum(np.sin(2 * np.pi * f * t) for f in (220 * (i + 1), 277.2, 329.6)) / 6
        y = (chord + 0.03 * rng.standard_normal(len(t))).astype(np.float32)
        stereo = np.stack([y, np.roll(y, 37)], axis=1)
        path = folder / name
        sf.write(path, stereo, sr, **kw)
        paths.append(path)
    return paths


# ---- one phase --------------------------------------------------------------------------------------------
def start_load(load: str) -> list[subprocess.Popen]:
    if load == "none":
        return []
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if load == "cpu":
        return [subprocess.Popen([sys.executable, "-c", CPU_LOAD_CODE], env=env)
                for _ in range(os.cpu_count() or 2)]
    return [subprocess.Popen(shlex.split(load), env=env, start_new_session=True)]


def stop_load(procs: list[subprocess.Popen]) -> float:
    """Kill the load; returns the CPU seconds it used (children's user+sys)."""
    before = os.times()
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def run_phase(load: str, seconds: float, tracks: list, latency, device) -> dict:
    import numpy as np
    from PySide6.QtCore import QCoreApplication, QTimer

    from fmaplayer.audio import pipeline as pipeline_module
    from fmaplayer.audio.player import Player
    from fmaplayer.audio.sounddevice_output import SoundDeviceOutput

    app = QCoreApplication.instance() or QCoreApplication([])
    underflow_times = np.full(10_000, np.nan)
    clock0 = [time.monotonic()]

    class TimedOutput(SoundDeviceOutput):
        """Also records when each underflow happened (into a preallocated array)."""

        def _pa_callback(self, outdata, frames, time_info, status):
            if status.output_underflow and self._underflows < len(underflow_times):
                underflow_times[self._underflows] = time.monotonic() - clock0[0]
            super()._pa_callback(outdata, frames, time_info, status)

    output = TimedOutput(device=device, **({} if latency is None else {"latency": latency}))
    player = Player(output)
    player.continuation = lambda last: list(tracks)  # loop the material for as long as the phase runs
    errors: list[str] = []
    player.errorOccurred.connect(errors.append)

    # Time spent inside the render callback, into a preallocated array (no allocation in the callback).
    durations = np.zeros(int(seconds * 200) + 1000, dtype=np.float64)
    index = [0]
    render = player._render

    def timed_render(out, _render=render, _clock=time.perf_counter, _d=durations, _i=index):
        t0 = _clock()
        _render(out)
        i = _i[0]
        if i < len(_d):
            _d[i] = _clock() - t0
        _i[0] = i + 1

    player._render = timed_render

    starved = [0]
    original_close = pipeline_module.TrackPipeline.close

    def counting_close(self, *a, **kw):
        starved[0] += self.starved_frames
        original_close(self, *a, **kw)

    pipeline_module.TrackPipeline.close = counting_close
    procs = start_load(load)
    try:
        time.sleep(1.0 if procs else 0.0)  # let the load ramp up before the music starts
        started = clock0[0] = time.monotonic()
        cpu_before = time.process_time()
        player.play_tracks(tracks)
        QTimer.singleShot(int(seconds * 1000), app.quit)
        app.exec()
        wall = time.monotonic() - started
        own_cpu = time.process_time() - cpu_before
        callbacks, underflows = output.callback_count, output.underflow_count
        samplerate, stream_latency = output.samplerate, output.latency
        player.shutdown()
    finally:
        load_cpu = stop_load(procs)
        pipeline_module.TrackPipeline.close = original_close
    d = durations[: min(index[0], len(durations))] * 1000
    return {
        "load": load,
        "seconds": round(wall, 1),
        "device": output.device_name,
        "samplerate": samplerate,
        "stream_latency_ms": round(stream_latency * 1000, 1),
        "callbacks": callbacks,
        "output_underflows": underflows,
        "underflows_per_minute": round(underflows / wall * 60, 3),
        "underflow_at_s": [round(float(t), 2) for t in underflow_times[: min(underflows, 50)]],
        "decoder_starved_frames": starved[0],
        "render_ms_p50": round(float(np.percentile(d, 50)), 4) if len(d) else None,
        "render_ms_p99": round(float(np.percentile(d, 99)), 4) if len(d) else None,
        "render_ms_max": round(float(d.max()), 4) if len(d) else None,
        "player_cpu_percent": round(own_cpu / wall * 100, 1),
        "load_cpu_percent": round(load_cpu / wall * 100, 1),
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="playback time per phase (180)")
    parser.add_argument("--load", action="append", help="none | cpu | a command line (repeatable)")
    parser.add_argument("--setup", choices=("auto", "pulse", "alsa-null", "none"), default="auto",
                        help="virtual device: auto = a present device, else a private PulseAudio null sink")
    parser.add_argument("--latency", default=None,
                        help='PortAudio latency: "low", "high" or seconds (default: the app\'s, 0.2 s)')
    parser.add_argument("--pulse-realtime", action="store_true",
                        help="run the PulseAudio daemon with real-time/high priority, as desktop sessions do "
                             "through rtkit (needs root or RLIMIT_RTPRIO)")
    parser.add_argument("--track-seconds", type=float, default=40.0, help="length of each generated track")
    parser.add_argument("--out", default="bench-results/playback.json")
    args = parser.parse_args(argv)
    loads = args.load or ["none", "cpu"]
    latency = args.latency if args.latency in (None, "low", "high") else float(args.latency)

    runtime = Path(tempfile.mkdtemp(prefix="fmaplayer-bench-audio-"))
    pulse = None
    setup = args.setup
    try:
        if setup == "auto":
            from fmaplayer.audio.output import portaudio_unavailable_reason

            # Decide before sounddevice is imported for real: PortAudio enumerates devices once, at import.
            probe = subprocess.run([sys.executable, "-c", "from fmaplayer.audio.output import "
                                    "portaudio_unavailable_reason as r; print(r() or '')"],
                                   capture_output=True, text=True, cwd=REPO)
            reason = probe.stdout.strip()
            setup = "pulse" if reason else "none"
            print(f"existing output: {reason or 'available'} -> setup {setup}", file=sys.stderr)
            del portaudio_unavailable_reason
        if setup == "pulse":
            pulse = start_pulse_null_sink(runtime, realtime=args.pulse_realtime)
            route_alsa_default(runtime, "pulse")
        elif setup == "alsa-null":
            route_alsa_default(runtime, "null")
        import sounddevice as sd

        device = None
        tracks_dir = runtime / "music"
        tracks_dir.mkdir()
        from fmaplayer.library.track import Track

        tracks = [Track(id=i, path=str(p), title=p.stem)
                  for i, p in enumerate(write_music(tracks_dir, args.track_seconds))]
        print(f"PortAudio {sd.get_portaudio_version()[1]}; default output: "
              f"{sd.query_devices(kind='output')['name']}", file=sys.stderr)
        results = []
        for load in loads:
            print(f"phase load={load!r}: playing {args.seconds:.0f} s ...", file=sys.stderr)
            results.append(run_phase(load, args.seconds, tracks, latency, device))
    finally:
        if pulse is not None:
            pulse.terminate()
            try:
                pulse.wait(5)
            except subprocess.TimeoutExpired:
                pulse.kill()
        shutil.rmtree(runtime, ignore_errors=True)

    header = ("load", "seconds", "callbacks", "output_underflows", "decoder_starved_frames",
              "render_ms_p99", "render_ms_max", "player_cpu_percent", "load_cpu_percent")
    print(f"device: {results[0]['device']} via setup={setup}, {results[0]['samplerate']} Hz, "
          f"stream latency {results[0]['stream_latency_ms']} ms")
    print(" | ".join(f"{h:>12}" for h in header))
    for r in results:
        print(" | ".join(f"{str(r[h])[:12]:>12}" for h in header))
    report = {
        "benchmark": "playback_underflows",
        "setup": setup,
        "pulse_realtime": bool(args.pulse_realtime and setup == "pulse"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "processor": platform.processor()},
        "latency_request": args.latency or "app default (0.2 s)",
        "results": results,
    }
    out = write_json(report, args.out)
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
