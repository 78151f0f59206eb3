"""The player: a state machine (stopped / playing / paused) over an output backend and a play queue.

Threads: the Player lives on the thread that created it (normally the main thread) and emits every signal
from there. The audio callback and the decoder thread never emit signals; a QTimer (~10 Hz) polls the
pipeline's atomic counters for the position, the end of a track and decoding failures.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.output import CLOSED, OutputBackend, create_output
from fmaplayer.audio.pipeline import TrackPipeline
from fmaplayer.audio.play_queue import PlayQueue
from fmaplayer.errors import AudioDecodeError, OutputUnavailableError

STOPPED, PLAYING, PAUSED = "stopped", "playing", "paused"
RESTART_THRESHOLD_S = 3.0  # "previous" restarts the current track when it has played longer than this


class Player(QObject):
    stateChanged = Signal(str)
    positionChanged = Signal(float)
    durationChanged = Signal(float)
    trackChanged = Signal(object)
    errorOccurred = Signal(str)
    queueExhausted = Signal()
    volumeChanged = Signal(float)

    def __init__(self, output: OutputBackend | None = None, queue: PlayQueue | None = None,
                 parent: QObject | None = None, poll_interval_ms: int = 100,
                 buffer_seconds: float = 2.0, channels: int = 2) -> None:
        super().__init__(parent)
        self._output = output if output is not None else create_output()
        self.queue = queue if queue is not None else PlayQueue(self)
        self.continuation: Callable[[object], list] | None = None
        self._buffer_seconds = buffer_seconds
        self._channels = channels
        self._pipeline: TrackPipeline | None = None
        self._track = None
        self._state = STOPPED
        self._volume = 1.0  # read by the audio callback: a float store is atomic
        self._last_position = -1.0
        self._timer = QTimer(self)
        self._timer.setInterval(poll_interval_ms)
        self._timer.timeout.connect(self._tick)

    # ---- read-only views ---------------------------------------------------------------------------------
    @property
    def output(self) -> OutputBackend:
        return self._output

    @property
    def output_unavailable_reason(self) -> str | None:
        """Why there is no sound (e.g. "PortAudio library not found"), for the status bar; None if fine."""
        return self._output.unavailable_reason

    def state(self) -> str:
        return self._state

    def current_track(self):
        return self._track

    def position(self) -> float:
        return self._pipeline.position() if self._pipeline is not None else 0.0

    def duration(self) -> float:
        return self._pipeline.duration if self._pipeline is not None else 0.0

    def volume(self) -> float:
        return self._volume

    # ---- commands --------------------------------------------------------------------------------------
    def play_tracks(self, tracks: list, start_index: int = 0) -> None:
        tracks = list(tracks)
        self._close_pipeline()
        self.queue.replace(tracks)
        if tracks:
            self._play_from(max(0, min(start_index, len(tracks) - 1)))
        else:
            self._to_stopped(track_gone=True)

    def play(self) -> None:
        if self._state == PLAYING:
            return
        if self._state == PAUSED and self._pipeline is not None:
            self._start_output()
            return
        if len(self.queue) == 0:
            return
        self._play_from(max(0, self.queue.current_index))

    def pause(self) -> None:
        if self._state != PLAYING:
            return
        self._output.stop()
        self._timer.stop()
        self._set_state(PAUSED)
        self._emit_position(force=True)

    def toggle(self) -> None:
        self.pause() if self._state == PLAYING else self.play()

    def stop(self) -> None:
        self._close_pipeline()
        self._to_stopped(track_gone=False)

    def seek(self, seconds: float) -> None:
        if self._pipeline is None:
            return
        self._pipeline.seek(seconds)
        self._emit_position(force=True)

    def set_volume(self, volume: float) -> None:
        volume = min(1.0, max(0.0, float(volume)))
        if volume != self._volume:
            self._volume = volume
            self.volumeChanged.emit(volume)

    def next(self) -> None:
        if self.queue.has_next():
            self._play_from(self.queue.current_index + 1)
        else:
            self._queue_ran_out()

    def previous(self) -> None:
        if self._pipeline is not None and self.position() > RESTART_THRESHOLD_S:
            self.seek(0.0)
        elif self.queue.current_index > 0:
            self._play_from(self.queue.current_index - 1)
        elif self._pipeline is not None:
            self.seek(0.0)

    def shutdown(self) -> None:
        """Stop playback and release the device (call on quit)."""
        self.stop()
        self._output.close()

    # ---- internals -------------------------------------------------------------------------------------
    def _render(self, out) -> None:
        # Output thread: copy from the ring buffer, nothing else.
        pipeline = self._pipeline
        if pipeline is None:
            out.fill(0.0)
        else:
            pipeline.render(out, self._volume)

    def _ensure_output(self) -> None:
        if self._output.state != CLOSED:
            return
        try:
            self._output.open(self._output.default_samplerate, self._channels, self._render)
        except OutputUnavailableError as exc:
            # The device went away or refuses the format: keep the player working, silently.
            self.errorOccurred.emit(f"No sound: {exc}")
            self._output = NullOutput()
            self._output.unavailable_reason = str(exc)
            self._output.open(self._output.default_samplerate, self._channels, self._render)

    def _play_from(self, index: int) -> None:
        """Play the first playable track from ``index`` on; unplayable ones are reported and skipped."""
        self._ensure_output()
        asked_continuation = False
        while True:
            while 0 <= index < len(self.queue):
                track = self.queue[index]
                try:
                    pipeline = TrackPipeline(track.path, self._output.samplerate, self._channels,
                                             self._buffer_seconds)
                except AudioDecodeError as exc:
                    self.errorOccurred.emit(str(exc))
                    index += 1
                    continue
                self._switch_to(pipeline, track, index)
                return
            if asked_continuation:
                break
            asked_continuation = True
            index = len(self.queue)
            if not self._extend_by_continuation():
                break
        self._close_pipeline()
        self._to_stopped(track_gone=True)

    def _switch_to(self, pipeline: TrackPipeline, track, index: int) -> None:
        old = self._pipeline
        pipeline.start()
        pipeline.wait_ready()  # a few ms normally; bounded so a slow disk never blocks the UI for long
        self._pipeline = pipeline  # the callback picks it up on its next block
        if old is not None:
            old.close()
        self._track = track
        self.queue.set_current(index)
        self._last_position = -1.0
        self.trackChanged.emit(track)
        self.durationChanged.emit(pipeline.duration)
        self._emit_position(force=True)
        self._start_output()

    def _start_output(self) -> None:
        try:
            self._output.start()
        except OutputUnavailableError as exc:
            self.errorOccurred.emit(f"No sound: {exc}")
            self._output.close()
            self._output = NullOutput()
            self._output.unavailable_reason = str(exc)
            self._output.open(self._output.default_samplerate, self._channels, self._render)
            self._output.start()
        self._timer.start()
        self._set_state(PLAYING)

    def _queue_ran_out(self) -> None:
        start = len(self.queue)
        if self._extend_by_continuation():
            self._play_from(start)
        else:
            self._close_pipeline()
            self._to_stopped(track_gone=True)

    def _extend_by_continuation(self) -> bool:
        """Emit queueExhausted and ask the continuation for more; True when tracks were appended."""
        last = self._track if self._track is not None else (self.queue[-1] if len(self.queue) else None)
        self.queueExhausted.emit()
        if self.continuation is None or last is None:
            return False
        try:
            more = list(self.continuation(last) or [])
        except Exception as exc:  # noqa: BLE001 - a failing recommender must not stop the player badly
            self.errorOccurred.emit(f"Could not continue with similar songs: {exc}")
            return False
        self.queue.append(more)
        return bool(more)

    def _tick(self) -> None:
        pipeline = self._pipeline
        if pipeline is None:
            return
        self._emit_position()
        if pipeline.finished():
            if pipeline.error is not None:
                self.errorOccurred.emit(str(pipeline.error))
            self.next()

    def _emit_position(self, force: bool = False) -> None:
        pos = self.position()
        if force or abs(pos - self._last_position) >= 0.05:
            self._last_position = pos
            self.positionChanged.emit(pos)

    def _close_pipeline(self) -> None:
        self._timer.stop()
        self._output.stop()
        old, self._pipeline = self._pipeline, None
        if old is not None:
            old.close()

    def _to_stopped(self, track_gone: bool) -> None:
        if track_gone:
            self.queue.set_current(-1)
            if self._track is not None:
                self._track = None
                self.trackChanged.emit(None)
        self._last_position = 0.0
        self.positionChanged.emit(0.0)
        self._set_state(STOPPED)

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)
