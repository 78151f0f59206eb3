"""The player: a state machine (stopped / playing / paused) over an output backend and a play queue.

Threads: the Player lives on the thread that created it (normally the main thread) and emits every signal
from there. A track's file is opened by its pipeline's decoder thread, never on this one (a tag that takes
libmpg123 forty seconds, a FIFO, a dying share): a command waits at most `OPEN_WAIT_S` for the open, and
an open that takes longer finishes in the background, reported back through a queued signal; unplayable
files are skipped the same way, so a queue of ten thousand of them never freezes the window. The audio
callback never emits signals; a QTimer (~10 Hz) polls the pipeline's atomic counters for the position, the
end of a track and decoding failures.

Which track comes next is the business of a play order (`play_order.py`): the player asks it on explicit
moves (Next, Previous, a skipped unplayable file) and implicit ones (a track played to its end), and tells
it where playback went. Shuffle and repeat only swap the order; the queue itself is never reordered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.output import CLOSED, OutputBackend, create_output
from fmaplayer.audio.pipeline import TrackPipeline
from fmaplayer.audio.play_order import REPEAT_MODES, Order, make_order
from fmaplayer.audio.play_queue import PlayQueue
from fmaplayer.errors import OutputUnavailableError

STOPPED, PLAYING, PAUSED = "stopped", "playing", "paused"
RESTART_THRESHOLD_S = 3.0  # "previous" restarts the current track when it has played longer than this
# How long a command (play, next, a click in the queue) waits for its track's file to open before leaving
# the open to the background: long enough for any sane file, so the track is playing when the call
# returns; short enough that the window never seems stuck.
OPEN_WAIT_S = 0.25
_SLICE_S = 0.05  # once in the background, how long one turn of the event loop goes on skipping bad files
_QUIT_WAIT_S = 1.0  # on quit, how long decoder threads get to let go of their files (they are daemons)

SKIP, STAY, STOP = "skip", "stay", "stop"  # what a command does when its track cannot be opened


@dataclass(eq=False)
class _Opening:
    """One command's way to a playable track: the track whose file is being opened now, and what to do
    when it fails (skip to the next in the play order, stay where playback is, or stop)."""

    on_failure: str = SKIP
    cue: bool = False         # stand paused on the track instead of playing it
    start: float = 0.0        # where the track starts (a cue restores a position)
    attempts: int = 0
    asked_continuation: bool = False
    pipeline: TrackPipeline | None = None
    track: object = None
    index: int = -1


class Player(QObject):
    stateChanged = Signal(str)
    positionChanged = Signal(float)
    durationChanged = Signal(float)
    trackChanged = Signal(object)
    errorOccurred = Signal(str)
    queueExhausted = Signal()
    volumeChanged = Signal(float)
    mutedChanged = Signal(bool)
    shuffleChanged = Signal(bool)
    repeatChanged = Signal(str)
    _opened = Signal(object)  # a pipeline whose open is over: its decoder thread -> the player's thread

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
        self._opening: _Opening | None = None  # a track being opened in the background
        self._retired: list[TrackPipeline] = []  # closed, their threads maybe still running (quit joins)
        self._track = None
        self._state = STOPPED
        self._volume = 1.0  # read by the audio callback: a float store is atomic
        self._muted = False
        self._gain = 1.0  # what the callback applies: 0 while muted, else the volume
        self._order: Order = make_order()
        self._last_position = -1.0
        self._timer = QTimer(self)
        self._timer.setInterval(poll_interval_ms)
        self._timer.timeout.connect(self._tick)
        self._opened.connect(self._on_opened, Qt.ConnectionType.QueuedConnection)

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

    def opening(self):
        """The track whose file is being opened in the background (None when none is)."""
        return self._opening.track if self._opening is not None else None

    def current_track(self):
        return self._track

    def position(self) -> float:
        return self._pipeline.position() if self._pipeline is not None else 0.0

    def duration(self) -> float:
        return self._pipeline.duration if self._pipeline is not None else 0.0

    def volume(self) -> float:
        return self._volume

    def muted(self) -> bool:
        return self._muted

    def shuffle(self) -> bool:
        return self._order.shuffled

    def repeat(self) -> str:
        return self._order.repeat

    @property
    def order(self) -> Order:
        return self._order

    # ---- commands --------------------------------------------------------------------------------------
    def play_tracks(self, tracks: list, start_index: int = 0) -> None:
        tracks = list(tracks)
        self._drop_opening()
        self._close_pipeline()
        self.queue.replace(tracks)
        self._order.reset()
        if tracks:
            self._play_from(max(0, min(start_index, len(tracks) - 1)))
        else:
            self._to_stopped(track_gone=True)

    def play_index(self, index: int) -> None:
        """Play the queue's item at ``index`` (the user picked it in the queue)."""
        if 0 <= index < len(self.queue):
            self._play_from(index)

    def cue(self, tracks: list, index: int, position: float = 0.0) -> bool:
        """Queue ``tracks`` and stand paused at ``position`` of ``tracks[index]`` (restore on start).

        Nothing is heard until play(). False (stopped, queue kept) when that track cannot be opened; an
        open that takes longer than `OPEN_WAIT_S` goes on in the background (True; errorOccurred if it fails).
        """
        tracks = list(tracks)
        self._drop_opening()
        self._close_pipeline()
        self.queue.replace(tracks)
        self._order.reset()
        if not 0 <= index < len(tracks):
            self._to_stopped(track_gone=True)
            return False
        opening = _Opening(on_failure=STOP, cue=True, start=max(0.0, float(position)))
        self._open_from(index, opening)
        return self._opening is opening or self._pipeline is not None

    def play(self) -> None:
        if self._opening is not None:
            self._opening.cue = False  # the track being opened plays as soon as it is open
        if self._state == PLAYING:
            return
        if self._state == PAUSED and self._pipeline is not None:
            self._start_output()
            return
        if self._opening is not None or len(self.queue) == 0:
            return
        self._play_from(max(0, self.queue.current_index))

    def pause(self) -> None:
        if self._opening is not None:
            self._opening.cue = True  # the track being opened stands paused once it is open
        if self._state != PLAYING:
            return
        self._output.stop()
        self._timer.stop()
        self._set_state(PAUSED)
        self._emit_position(force=True)

    def toggle(self) -> None:
        self.pause() if self._state == PLAYING else self.play()

    def stop(self) -> None:
        self._drop_opening()
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
            self._gain = 0.0 if self._muted else volume
            self.volumeChanged.emit(volume)

    def set_muted(self, muted: bool) -> None:
        muted = bool(muted)
        if muted != self._muted:
            self._muted = muted
            self._gain = 0.0 if muted else self._volume
            self.mutedChanged.emit(muted)

    def toggle_muted(self) -> None:
        self.set_muted(not self._muted)

    def set_shuffle(self, shuffle: bool) -> None:
        if bool(shuffle) != self._order.shuffled:
            self._set_order(bool(shuffle), self._order.repeat)
            self.shuffleChanged.emit(bool(shuffle))

    def set_repeat(self, mode: str) -> None:
        if mode not in REPEAT_MODES:
            raise ValueError(f"unknown repeat mode {mode!r}")
        if mode != self._order.repeat:
            self._set_order(self._order.shuffled, mode)
            self.repeatChanged.emit(mode)

    def set_order(self, order: Order) -> None:
        """Use a ready-made order (tests pass a seeded shuffle)."""
        shuffled, repeat = self._order.shuffled, self._order.repeat
        self._order = order
        order.moved_to(self.queue.items(), self.queue.current_index)
        if order.shuffled != shuffled:
            self.shuffleChanged.emit(order.shuffled)
        if order.repeat != repeat:
            self.repeatChanged.emit(order.repeat)

    def next(self) -> None:
        """Explicit Next: breaks out of "repeat one"."""
        self._advance(explicit=True)

    def previous(self) -> None:
        if self._opening is None and self._pipeline is not None and self.position() > RESTART_THRESHOLD_S:
            self.seek(0.0)
            return
        index = self._order.previous(self.queue.items(), self._current_index())
        if index is not None:
            self._play_from(index, skip_unplayable=False)
        elif self._pipeline is not None:
            self.seek(0.0)

    def shutdown(self) -> None:
        """Stop playback and release the device (call on quit). Decoder threads get a moment to let go of
        their files; one stuck in a file (a dead share) is a daemon and is left behind."""
        self.stop()
        self._output.close()
        deadline = time.monotonic() + _QUIT_WAIT_S
        for pipeline in self._retired:
            pipeline.close(max(0.0, deadline - time.monotonic()))
        self._retired.clear()

    # ---- internals -------------------------------------------------------------------------------------
    def _render(self, out) -> None:
        # Output thread: copy from the ring buffer, nothing else.
        pipeline = self._pipeline
        if pipeline is None:
            out.fill(0.0)
        else:
            pipeline.render(out, self._gain)

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

    def _set_order(self, shuffle: bool, repeat: str) -> None:
        items, current = self.queue.items(), self.queue.current_index
        played = self._order.played(items, current)   # switched mid-queue: what was heard stays heard
        self._order = make_order(shuffle, repeat)
        self._order.take_over(items, sorted(played))
        self._order.moved_to(items, current)

    def _current_index(self) -> int:
        """Where the play order counts from: the track being opened, else the current one."""
        return self._opening.index if self._opening is not None else self.queue.current_index

    def _advance(self, explicit: bool) -> None:
        index = self._order.next(self.queue.items(), self._current_index(), explicit)
        if index is not None:
            self._play_from(index)
        else:
            self._queue_ran_out()

    def _play_from(self, index: int | None, skip_unplayable: bool = True) -> None:
        """Play ``index``; unplayable tracks are reported and skipped in the play order's direction
        (Previous onto a file gone bad says so and stays where playback is)."""
        self._open_from(index, _Opening(on_failure=SKIP if skip_unplayable else STAY))

    # ---- opening tracks (their decoder threads open the files) ------------------------------------------
    def _open_from(self, index: int | None, opening: _Opening) -> None:
        self._drop_opening()
        self._ensure_output()
        self._opening = opening
        self._open_candidates(opening, index, time.monotonic() + OPEN_WAIT_S)

    def _open_candidates(self, opening: _Opening, index: int | None, deadline: float) -> None:
        """Open ``index``, then the next candidates as long as they fail, until one is open (it plays, or
        stands paused), none is left (stopped), or an open outlasts ``deadline``: then `_on_opened` goes on
        when it is over. Per skipped file this thread does a constant amount of work (no queue copy)."""
        while self._opening is opening:
            index = self._candidate(opening, index)
            if self._opening is not opening:
                return   # a slot of queueExhausted started something else
            if index is None:
                self._opening = None
                self._close_pipeline()
                self._to_stopped(track_gone=True)
                return
            opening.attempts += 1
            opening.track, opening.index = self.queue[index], index
            opening.pipeline = TrackPipeline(opening.track.path, self._output.samplerate, self._channels,
                                             self._buffer_seconds, start_seconds=opening.start,
                                             on_opened=self._opened.emit)
            opening.pipeline.start()
            if not opening.pipeline.wait_opened(deadline - time.monotonic()):
                return   # a slow open: the window goes on, _on_opened takes it from here
            index = self._settle(opening)

    def _candidate(self, opening: _Opening, index: int | None) -> int | None:
        """``index`` when it is in the queue, else the start of what the continuation appends (once)."""
        while True:
            if index is not None and 0 <= index < len(self.queue) and opening.attempts <= len(self.queue):
                return index
            if opening.asked_continuation or opening.attempts > len(self.queue):
                return None
            opening.asked_continuation = True
            index = len(self.queue)
            if not self._extend_by_continuation():
                return None

    def _on_opened(self, pipeline: TrackPipeline) -> None:
        opening = self._opening
        if opening is None or opening.pipeline is not pipeline:
            return   # the command that started it dealt with it, or something else was asked for since
        index = self._settle(opening)
        self._open_candidates(opening, index, time.monotonic() + _SLICE_S)

    def _settle(self, opening: _Opening) -> int | None:
        """The open of ``opening.pipeline`` is over: play (or cue) it, or report it and say which index
        to try next (None: nothing more to try, or the opening is over)."""
        pipeline = opening.pipeline
        opening.pipeline = None
        if pipeline.open_error is None:
            self._opening = None
            if opening.cue:
                self._stand_paused(pipeline, opening.track, opening.index)
            else:
                self._switch_to(pipeline, opening.track, opening.index)
            return None
        self._retire(pipeline)
        if opening.on_failure != SKIP:
            self._opening = None
        self.errorOccurred.emit(str(pipeline.open_error))
        if opening.on_failure == STOP and self._pipeline is None and self._opening is None:
            self._to_stopped(track_gone=True)
        if self._opening is not opening:
            return None   # STAY / STOP, or a slot of errorOccurred asked for something else
        items = self.queue.view()
        self._order.moved_to(items, opening.index)  # visited: shuffle will not pick it again
        return self._order.next(items, opening.index, True)

    def _drop_opening(self) -> None:
        opening, self._opening = self._opening, None
        if opening is not None and opening.pipeline is not None:
            self._retire(opening.pipeline)

    def _retire(self, pipeline: TrackPipeline) -> None:
        pipeline.close()
        self._retired = [p for p in self._retired if p.alive()]
        if pipeline.alive():
            self._retired.append(pipeline)

    def _stand_paused(self, pipeline: TrackPipeline, track, index: int) -> None:
        self._close_pipeline()
        self._pipeline = pipeline
        self._became_current(track, index, pipeline)
        self._set_state(PAUSED)
        self._emit_position(force=True)

    def _switch_to(self, pipeline: TrackPipeline, track, index: int) -> None:
        old = self._pipeline
        pipeline.wait_ready()  # a few ms normally; bounded so a slow disk never blocks the UI for long
        self._pipeline = pipeline  # the callback picks it up on its next block
        if old is not None:
            self._retire(old)
        self._became_current(track, index, pipeline)
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
        if pipeline.finished() and self._opening is None:  # else the next track is on its way
            if pipeline.error is not None:
                self.errorOccurred.emit(str(pipeline.error))
            self._advance(explicit=False)  # implicit: "repeat one" plays it again

    def _became_current(self, track, index: int, pipeline) -> None:
        """Bookkeeping and signals for a track that just became the current one (started or cued)."""
        self._track = track
        self._order.moved_to(self.queue.items(), index)  # first: the queue view reads it on currentChanged
        self.queue.set_current(index)
        self._last_position = -1.0
        self.trackChanged.emit(track)
        self.durationChanged.emit(pipeline.duration)

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
            self._retire(old)

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
