"""Wires recommendations into the main window: `install(window, store, settings)`, called by app.py.

This is the one module of `recommend/` that touches Qt (it is glue, not logic): it owns the similarity
index, the embedding worker and its thread, the "Relevant songs" dock and the analysis status widget,
and connects them to the window through its hooks (add_track_context_action, add_dock,
status_area_add, track_table_model, player). Queries run on the UI thread: top_k over 100k rows is
about 1 ms and 1M about 10 ms (benchmarks/bench_index.py), far below a frame, so a query thread would
only add latency and staleness bookkeeping. Only the on-demand analysis of an anchor is asynchronous.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDockWidget

from fmaplayer.ml.embedder_factory import EmbedderFactory, bundled_model_id, default_embedder_factory
from fmaplayer.recommend import hybrid
from fmaplayer.recommend.calibration import genre_explanation, model_centre
from fmaplayer.recommend.continuation import ListenTracker, SimilarContinuation
from fmaplayer.recommend.embedding_runner import CommittedBatch
from fmaplayer.recommend.explain import Labels, whys_for
from fmaplayer.recommend.index import SimilarityIndex
from fmaplayer.recommend.ranking import RankingMode, Variety, relevant
from fmaplayer.ui.art_loader import ArtLoader
from fmaplayer.ui.relevant_panel import AnalysisStatusWidget, RelevantPanel, RelevantRow
from fmaplayer.ui.sonic_path_actions import SonicPathController
from fmaplayer.ui.text import display_text
from fmaplayer.workers.embedding_worker import EmbeddingWorker, start_in_thread, stop_thread

log = logging.getLogger(__name__)
ACTION_TEXT = "Get relevant songs"
RETRY_TEXT = "Retry unreadable files"
VARIETY_KEYS = ("variety", "variety_per_artist", "variety_per_album")
CLOSE_WAIT_MS = 300   # closing the window waits no longer than this for the analysis worker
# Results ranked while the library is still being analysed are ranked again as batches come in, at most
# this often (and at once when the analysis finishes), keeping the user's selection and scroll position.
PARTIAL_RERANK_MS = 3000


def bundled_manifest() -> dict | None:
    from fmaplayer.ml import manifest

    try:
        return manifest.load_manifest(manifest.bundled_model_path())
    except Exception:  # noqa: BLE001 - a missing manifest is reported by the worker
        return None


def bundled_model_id_of(man: dict | None) -> str:
    from fmaplayer.ml import manifest

    return manifest.model_id(man) if man is not None else ""


class RelevantSongsController(QObject):
    """Runs "Get relevant songs" requests: query now if the anchors are indexed, else analyse first."""

    def __init__(self, panel: RelevantPanel, store, index: SimilarityIndex, genres: dict[int, str], settings,
                 request_analysis: Callable[[list[int]], None] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.store = store
        self.index = index
        self.genres = genres
        self.settings = settings
        self.request_analysis = request_analysis
        self.index_ready = False          # False until the stored embeddings are loaded
        self.panelShown: Callable[[], None] | None = None
        # (anchor id, result ids) -> {result id: explain.Why}; None: results come without a "why"
        self.why_for: Callable[[int, list[int]], dict] | None = None
        self._anchor_ids: list[int] = []
        self._waiting: set[int] = set()   # anchors being analysed for the current request
        self._failed: dict[int, str] = {}
        self._request_id = 0              # the panel request these anchors were asked in
        self._ranked_among = -1           # analysed tracks the shown results were ranked among (-1: none)
        self._ranked_partial = False      # ... and the analysis was still going on then
        self._progress: tuple[int, int] | None = None   # analysis (done, total), once the worker reports
        self._rerank_timer = QTimer(self, singleShot=True, interval=PARTIAL_RERANK_MS)
        self._rerank_timer.timeout.connect(self._rerank)
        settings.changed.connect(self._on_setting_changed)

    # --- entry points ---------------------------------------------------------------------------
    def show_for(self, tracks: list) -> int:
        tracks = [t for t in tracks if t is not None]
        if not tracks:
            return self.panel.current_request_id
        request_id = self.panel.begin_request(tracks)
        self._request_id = request_id
        self._ranked_among = -1
        self._rerank_timer.stop()
        self.panel.show()
        self.panel.raise_()
        if self.panelShown is not None:
            self.panelShown()
        self._anchor_ids = [int(t.id) for t in tracks]
        self._failed = {}
        unreadable = {t.id: t.error for t in tracks if getattr(t, "error", None)}
        self._failed.update(unreadable)
        missing = [i for i in self._anchor_ids if i not in self.index and i not in unreadable]
        self._waiting = set(missing)
        if missing and self.request_analysis is not None:
            self.panel.set_busy(request_id, "Analysing this track…" if len(missing) == 1
                                else f"Analysing {len(missing)} tracks…")
            self.request_analysis(missing)
            return request_id
        self._query(request_id)
        return request_id

    def requery(self) -> None:
        """Re-run the open panel's request (N or the mode changed)."""
        if not self._anchor_ids or not self.panel.isVisible():
            return
        tracks = self.store.tracks_by_ids(self._anchor_ids)
        if tracks:
            self.show_for(tracks)

    # --- worker feedback ------------------------------------------------------------------------
    def on_committed(self, batch: CommittedBatch) -> None:
        self._waiting.difference_update(batch.ids)
        self._maybe_finish()
        if self._results_outdated() and not self._rerank_timer.isActive():
            self._rerank_timer.start(PARTIAL_RERANK_MS)

    def analysis_progress(self, done: int, total: int, *_rate) -> None:
        """The worker's progress: results shown before the analysis finished are ranked again when it does."""
        self._progress = (int(done), int(total))
        if done >= total and self._results_outdated():
            self._rerank_timer.start(0)

    def on_failed(self, track_id: int, reason: str) -> None:
        if track_id in self._waiting:
            self._waiting.discard(track_id)
            self._failed[track_id] = reason
            self._maybe_finish()

    def on_index_loaded(self) -> None:
        self.index_ready = True
        self._waiting = {i for i in self._waiting if i not in self.index}
        self._maybe_finish()

    def analysis_unavailable(self, text: str) -> None:
        """The worker stopped (model failed to load): answer a waiting panel instead of spinning."""
        self.request_analysis = None
        if self._anchor_ids and self.panel.is_busy():
            self._waiting.clear()
            self._failed.setdefault(-1, text)
            self._query(self.panel.current_request_id)

    # --- internals ------------------------------------------------------------------------------
    def _results_outdated(self) -> bool:
        """The panel shows this controller's results, ranked when fewer tracks were analysed than now."""
        return (self._ranked_among >= 0 and self.panel.current_request_id == self._request_id
                and not self.panel.isHidden() and not self.panel.is_busy()
                and (len(self.index) != self._ranked_among or self._ranked_partial and not self._analysing()))

    def _analysing(self) -> bool:
        done, total = self._progress or (0, 0)
        return done < total

    def _rerank(self) -> None:
        if self._results_outdated():
            self._query(self._request_id, keep_view=True)

    def _maybe_finish(self) -> None:
        if self._anchor_ids and not self._waiting and self.panel.is_busy():
            self._query(self.panel.current_request_id)

    def _on_setting_changed(self, key: str) -> None:
        if key in ("recommendations_count", "ranking_mode", *VARIETY_KEYS):
            self.requery()

    def variety(self) -> Variety:
        """The Settings' caps per artist and album (none while the panel's Variety box is off)."""
        return Variety.from_store(self.store, *self.settings.variety_caps())

    def _query(self, request_id: int, keep_view: bool = False) -> None:
        embedded = [i for i in self._anchor_ids if i in self.index]
        if not embedded:
            reasons = "; ".join(sorted(set(self._failed.values())))
            text = (f"This track could not be analysed: {reasons}" if reasons
                    else "This track has not been analysed yet.")
            self.panel.show_message(request_id, text)
            return
        count = int(self.settings.recommendations_count)
        mode = RankingMode.parse(self.settings.ranking_mode)
        recommendations = relevant(self.index, embedded, count + 8, mode=mode, predicted_genres=self.genres,
                                   file_key=self._file_key, variety=self.variety())
        tracks = {t.id: t for t in self.store.tracks_by_ids([r.track_id for r in recommendations])}
        meaning = self.index.percent_meaning()
        rows = [RelevantRow(tracks[r.track_id], r.score, r.genre, percent=r.percent, meaning=meaning)
                for r in recommendations if r.track_id in tracks][:count]   # skip tracks removed since
        if len(embedded) == 1 and self.why_for is not None and rows:
            whys = self.why_for(embedded[0], [r.track.id for r in rows])
            rows = [RelevantRow(r.track, r.score, r.genre, whys.get(r.track.id), r.percent, r.meaning)
                    for r in rows]
        note = "Same predicted genre first" if mode is RankingMode.SIMILARITY_GENRE else ""
        if len(embedded) < len(self._anchor_ids):
            note = (note + " · " if note else "") + f"{len(self._anchor_ids) - len(embedded)} selected " \
                                                     "track(s) could not be analysed"
        partial = self._analysing()
        if partial:           # the library is still being analysed: say so, and rank again as it goes on
            total = (self._progress or (0, 0))[1]
            note = (note + " · " if note else "") + (f"Ranked among the {len(self.index):,} of {total:,} "
                                                     "tracks analysed so far; updates as analysis goes on")
        if self.panel.show_results(request_id, rows, note, keep_view=keep_view):
            self._ranked_among, self._ranked_partial = len(self.index), partial

    def _file_key(self, track_id: int):
        # only asked for candidates scoring ~1.0: same vector and same byte size = a copy of the file
        track = self.store.track(track_id)
        return None if track is None else track.size


class RecommendationsIntegration(QObject):
    """Owns index, worker thread, panel, status widget and continuation for one window."""

    def __init__(self, window, store, settings, embedder_factory: EmbedderFactory = default_embedder_factory,
                 batch_size: int = 8, autostart: bool = True) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.settings = settings
        self.index = SimilarityIndex(centred=True)
        self.genres: dict[int, str] = {}
        self.thread = None
        self._stopped = False
        self._serving_model = ""
        self._model_switched = False
        # read once: hovering the genre column must not parse the manifest on the UI thread
        self._manifest = bundled_manifest()
        self._bundled_id = bundled_model_id_of(self._manifest)
        self._labels = Labels.from_manifest(self._manifest or {})

        self.panel = RelevantPanel(window)
        self.art_loader = ArtLoader(parent=self)   # the anchor's album art, looked up off the UI thread
        self.art_loader.artReady.connect(self.panel.show_anchor_art)
        self.panel.anchorsChanged.connect(
            lambda anchors: self.art_loader.request(anchors[0]) if len(anchors) == 1 else None)
        window.add_dock(self.panel)
        self.panel.hide()
        self._panel_sized = False
        self.status = AnalysisStatusWidget()
        window.status_area_add(self.status)

        hint = bundled_model_id if embedder_factory is default_embedder_factory else None
        self.worker = EmbeddingWorker(store, embedder_factory, device=settings.compute_device,
                                      batch_size=batch_size, stay_alive=True, model_id_hint=hint)
        self.controller = RelevantSongsController(self.panel, store, self.index, self.genres, settings,
                                                  request_analysis=self.worker.request_priority, parent=self)
        self.controller.panelShown = self._size_panel_once
        self.controller.why_for = self._whys
        self.continuation = SimilarContinuation(self.index, store.tracks_by_ids, lambda: self.genres,
                                                lambda: RankingMode.parse(settings.ranking_mode),
                                                variety=self.controller.variety)

        # worker -> UI thread (queued: the worker lives in another thread)
        self.worker.deviceReady.connect(self.status.set_device)
        self.worker.progress.connect(self.status.set_progress)
        self.worker.progress.connect(self.controller.analysis_progress)
        self.worker.indexModel.connect(self._on_index_model)
        self.worker.indexLoaded.connect(self._on_index_loaded)
        self.worker.committed.connect(self._on_committed)
        self.worker.trackFailed.connect(self.controller.on_failed)
        self.worker.error.connect(self._on_worker_error)
        self.worker.restarted.connect(self._on_worker_restarted)
        self.worker.waiting.connect(self._say_in_status_bar)
        self.worker.pausedChanged.connect(self.status.set_paused)
        self.status.pauseToggled.connect(self._on_pause_toggled)

        window.add_track_context_action(ACTION_TEXT, self.controller.show_for)
        self.sonic_path = SonicPathController(window, self.index, self.panel, self.genres, self._play,
                                              store.tracks_by_ids, parent=self)
        self.retry_action = QAction(RETRY_TEXT, window)
        self.retry_action.setStatusTip("Analyse again the files that could not be analysed, and read again "
                                       "the files that could not be opened")
        self.retry_action.triggered.connect(self.retry_unreadable)
        add_library_action = getattr(window, "add_library_action", None)
        if add_library_action is not None:
            add_library_action(self.retry_action)
        build_menu = getattr(window, "build_track_context_menu", None)
        if build_menu is not None:  # the same actions as the library's menu, bound to the results
            self.panel.menu_for_tracks = build_menu
        self.panel.varietyToggled.connect(lambda on: settings.set("variety", on))
        self._show_variety()
        self.panel.playRequested.connect(self._play)
        self.panel.enqueueRequested.connect(self._enqueue)
        player = getattr(window, "player", None)
        # Only tracks really listened to seed the continuation; the seeds show in the button's tooltip, and
        # each track it appends says in "Up next" which seeds it was picked for and how close it is.
        self.listening = ListenTracker(self.continuation.note_listened)
        self.continuation.on_seeds_changed = self._show_seeds
        queue_view = getattr(window, "queue_view", None)
        if queue_view is not None and hasattr(queue_view, "note_for"):
            queue_view.note_for = self._continuation_note
        if player is not None and hasattr(player, "trackChanged"):
            player.trackChanged.connect(self.continuation.note_started)
            player.trackChanged.connect(self.listening.track_changed)
            player.positionChanged.connect(self.listening.position_changed)
            if hasattr(player, "durationChanged"):
                player.durationChanged.connect(self.listening.duration_changed)
        settings.changed.connect(self._on_setting_changed)
        self._apply_continuation()
        scan_finished = getattr(window, "scanFinished", None)   # a rescan adds work for the worker
        if scan_finished is not None:
            scan_finished.connect(self._on_library_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(lambda: self.shutdown(CLOSE_WAIT_MS))
        window.installEventFilter(self)       # stop the worker when the window closes
        from fmaplayer.ui.panel_state import RelevantPanelState

        self.panel_state = RelevantPanelState(self, window, settings)  # anchor restored; save as playlist
        if autostart:
            # after show(): the first event-loop turn, so the window paints before TensorFlow loads
            QTimer.singleShot(0, self.start)

    def start(self) -> None:
        if self.thread is None and not self._stopped:
            self.thread = start_in_thread(self.worker)

    def retry_unreadable(self) -> None:
        """Forget the recorded analysis failures (the file may be fixed, or the model was) and rescan,
        which also re-reads files that could not be opened; the worker then tries them again."""
        self.store.clear_embedding_failures(self.worker.model_id or None)
        self.worker.refresh()
        start_scan = getattr(self.window, "start_scan", None)
        if start_scan is not None:
            start_scan()

    def shutdown(self, wait_ms: int = 15000) -> None:
        """Cancel the worker and wait up to `wait_ms` for it. Closing the window waits only
        CLOSE_WAIT_MS: not for a TensorFlow import or a batch in flight (finished batches are committed,
        an unfinished one is redone next time); app.py ends the process even while the thread runs."""
        self._stopped = True
        self.art_loader.shutdown()
        if self.thread is not None and self.thread.isRunning():
            if not stop_thread(self.worker, self.thread, timeout_ms=wait_ms):
                log.info("embedding worker still busy after %d ms; not waiting for it", wait_ms)

    def _size_panel_once(self) -> None:
        """The first time the panel opens beside other docks (the queue), give it most of the height."""
        if self._panel_sized or self.panel.isFloating() or not hasattr(self.window, "resizeDocks"):
            return
        self._panel_sized = True
        QTimer.singleShot(0, self._resize_docks)   # after the dock layout has taken the panel in

    def _resize_docks(self) -> None:
        area = self.window.dockWidgetArea(self.panel)
        others = [d for d in self.window.findChildren(QDockWidget)
                  if d is not self.panel and d.isVisible() and not d.isFloating()
                  and self.window.dockWidgetArea(d) == area]
        if not others:
            return
        total = sum(d.height() for d in others) + self.panel.height()
        share = int(total * 0.65)
        rest = max(1, (total - share) // len(others))
        self.window.resizeDocks([*others, self.panel], [rest] * len(others) + [share],
                                Qt.Orientation.Vertical)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown(CLOSE_WAIT_MS)
        return False

    # --- slots ----------------------------------------------------------------------------------
    def _on_index_model(self, model_id: str) -> None:
        """The vectors about to load are this model's: centre them with its own training centre."""
        # the bundled model's centre for its vectors; another model's: the library mean alone
        bundled = model_id == self._bundled_id
        self.index.prior_centre = model_centre(self._manifest) if bundled else None
        self.index.layout = hybrid.layout_of(self._manifest) if bundled else None
        # a new model's vectors replace the old ones (an upgrade's re-analysis ended): an open panel
        # still shows the old model's neighbours and scores, so it is asked again once they are in
        self._model_switched = self._serving_model not in ("", model_id)
        self._serving_model = model_id
        model = getattr(self.window, "track_table_model", None)
        if model is not None and hasattr(model, "genre_tooltip"):
            model.genre_tooltip = self._genre_tooltip

    def _genre_tooltip(self, track_id: int) -> str | None:
        """The probabilities behind a predicted-genre cell (one small SQLite read, on hover only)."""
        man = self._manifest
        if man is None or self._serving_model != self._bundled_id:
            return None
        probs, _ = self.store.embedding_probabilities(self._serving_model, track_id)
        text = genre_explanation(man["genres"], probs, float(man.get("genre_threshold") or 0.0))
        return text or None

    def _whys(self, anchor_id: int, result_ids: list[int]) -> dict:
        """'Why this song?' for each result (one small SQLite read per request, the bundled model only:
        another model's labels and thresholds are not known here)."""
        man = self._manifest
        if man is None or self._serving_model != self._bundled_id:
            return {}
        profiles = self.store.embedding_profiles(self._serving_model, [anchor_id, *result_ids])
        anchor = self.index.vector(anchor_id)
        parts = {} if anchor is None else {rid: self.index.part_scores(anchor, rid) for rid in result_ids}
        return whys_for(profiles, anchor_id, result_ids, self._labels, parts)

    def _on_index_loaded(self, ids, matrix, genres) -> None:
        if len(ids):
            self.index.replace(ids, matrix)
        self.genres.clear()
        self.genres.update(genres)
        model = getattr(self.window, "track_table_model", None)
        if model is not None:
            model.set_predicted_genres(dict(self.genres))
        self.controller.on_index_loaded()
        if self._model_switched:
            self._model_switched = False
            self.controller.requery()

    def _on_committed(self, batch: CommittedBatch) -> None:
        self.index.upsert(batch.ids, batch.vectors)
        self.genres.update(batch.genres)
        model = getattr(self.window, "track_table_model", None)
        if model is not None:
            if hasattr(model, "update_predicted_genres"):
                model.update_predicted_genres(dict(batch.genres))
            else:
                model.set_predicted_genres(dict(self.genres))
        self.controller.on_committed(batch)

    def _on_pause_toggled(self, paused: bool) -> None:
        if paused:
            self.worker.pause()
        else:
            self.worker.resume()

    def _on_worker_error(self, text: str) -> None:
        self.status.set_error(text)
        self.controller.analysis_unavailable(text)
        self._say_in_status_bar(text)
        log.error("%s", text)

    def _on_worker_restarted(self) -> None:
        """A rescan started the analysis again after a fault: the status and the panel work again."""
        self.status.clear_error()
        self.controller.request_analysis = self.worker.request_priority

    def _say_in_status_bar(self, text: str) -> None:
        status_bar = getattr(self.window, "statusBar", None)
        if status_bar is not None:
            status_bar().showMessage(text, 15000)

    def _on_library_changed(self, *args) -> None:
        """After a scan: new/changed files go to the worker, deleted ones leave the index."""
        self.worker.refresh()
        model = getattr(self.window, "track_table_model", None)
        if model is not None and hasattr(model, "all_tracks") and len(self.index):
            live = {t.id for t in model.all_tracks()}
            gone = [int(i) for i in self.index.ids() if int(i) not in live]
            if gone:
                self.index.remove(gone)

    def _on_setting_changed(self, key: str) -> None:
        if key == "continue_with_similar":
            self._apply_continuation()
        if key in VARIETY_KEYS:
            self._show_variety()

    def _show_variety(self) -> None:
        self.panel.show_variety(bool(self.settings.get("variety")), self.settings.get("variety_per_artist"),
                                self.settings.get("variety_per_album"))

    def _show_seeds(self, track_ids: list[int]) -> None:
        bar = getattr(self.window, "player_bar", None)
        if bar is not None and hasattr(bar, "set_continue_seeds"):
            by_id = {t.id: t for t in self.store.tracks_by_ids(track_ids)}
            bar.set_continue_seeds([by_id[i].display_title for i in track_ids if i in by_id])

    def _continuation_note(self, entry) -> str | None:
        reason = self.continuation.reason_for(entry)
        return reason.describe(lambda title: display_text(title, 80)) if reason is not None else None

    def _apply_continuation(self) -> None:
        player = getattr(self.window, "player", None)
        if player is None:
            return
        player.continuation = self.continuation if self.settings.continue_with_similar else None

    def _play(self, tracks: list, start_index: int) -> None:
        play_generated = getattr(self.window, "play_generated", None)   # results and paths: the app's queue
        player = getattr(self.window, "player", None)
        if play_generated is not None:
            play_generated(tracks, start_index)
        elif player is not None:
            player.play_tracks(tracks, start_index)

    def _enqueue(self, tracks: list) -> None:
        player = getattr(self.window, "player", None)
        if player is not None:
            player.queue.append(tracks)


def install(window, store, settings, embedder_factory: EmbedderFactory = default_embedder_factory,
            **kwargs) -> RecommendationsIntegration:
    """Add recommendations to a shown main window; keep the returned object (it is parented to window)."""
    integration = RecommendationsIntegration(window, store, settings, embedder_factory, **kwargs)
    window._recommendations = integration     # keeps the Python wrapper alive with the window
    return integration
