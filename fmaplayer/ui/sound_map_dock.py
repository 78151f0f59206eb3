"""The "Sound map" dock and its wiring: `install(window, store, recommendations)`, called by app.py.

The dock holds the SoundMapView, a Genre/Mood colour switch with its legend, and the buttons for a
rubber-band selection (Play, Add to queue, Save…). The wiring reads the vectors
the recommendations already hold (their SimilarityIndex, library-centred the same way), asks the
SoundMapWorker for a map whenever the dock is visible and the index has changed (debounced: a scan
commits a batch every few seconds), and follows the player (the playing track) and the relevant panel
(its results) to highlight them. Nothing is computed while the dock is hidden.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fmaplayer.library.paths import user_cache_dir
from fmaplayer.recommend import sound_map
from fmaplayer.recommend.explain import Labels
from fmaplayer.ui.sound_map_view import MARKERS, SoundMapView, default_track_text, marker_image
from fmaplayer.workers.sound_map_worker import SoundMapWorker

GENRE, MOOD = "Genre", "Mood"
COLOUR_BY_STATE = "sound_map_colour_by"   # the Colour-by choice, kept across restarts (settings' state)
NARROW_PX = 520             # narrower than this, the hint goes above the selection's buttons
REFRESH_DELAY_MS = 1500      # after the index changes: one map for a burst of committed batches
_HINT = "Wheel zooms · drag pans · click plays · Shift+drag selects"
_METHOD_NAMES = {sound_map.TSNE: "t-SNE", sound_map.PCA: "PCA"}
_MARKERS_TIP = ("Ticked ring: the playing track. Diamond: the track the relevant panel's results are like "
                "(its anchor). Thin rings: the panel's results. Arrowed line: a sonic path, step by step "
                "from its start.")


def _legend_entry(icon: QImage, text: str, font: QFont, colour: QColor) -> QImage:
    """A legend entry as one image: the marker's drawing, then its words in the legend's font."""
    ratio = icon.devicePixelRatio() or 1.0
    metrics = QFontMetrics(font)
    icon_w, icon_h = icon.width() / ratio, icon.height() / ratio
    width, height = icon_w + 3 + metrics.horizontalAdvance(text) + 1, max(icon_h, metrics.height())
    image = QImage(int(width * ratio), int(height * ratio), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    painter.drawImage(QPointF(0, (height - icon_h) / 2), icon)
    painter.setFont(font)
    painter.setPen(colour)
    painter.drawText(QRectF(icon_w + 3, 0, width - icon_w - 3, height),
                     int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
    painter.end()
    return image


def _image_html(image, text: str) -> str:
    """An <img> of a QImage for a rich-text label (a data: URL at the image's device pixel ratio)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    ratio = image.devicePixelRatio() or 1.0
    width, height = round(image.width() / ratio), round(image.height() / ratio)
    return (f"<img src='data:image/png;base64,{bytes(data.toBase64()).decode()}' width={width} "
            f"height={height} alt='{text}' style='vertical-align:middle'>")


def _button(text: str, tip: str) -> QToolButton:
    """A push button as narrow as its text (a QPushButton is at least 80 px wide in most styles)."""
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class SoundMapDock(QDockWidget):
    colourByChanged = Signal(str)
    playSelectionRequested = Signal()
    enqueueSelectionRequested = Signal()
    saveSelectionRequested = Signal()

    def __init__(self, track_text=None, parent: QWidget | None = None) -> None:
        super().__init__("Sound map", parent)
        self.setObjectName("soundMapDock")
        self.view = SoundMapView(track_text)
        self.colour_by = QComboBox()
        self.colour_by.addItems([GENRE, MOOD])
        self.colour_by.setToolTip("Colour the points by the predicted genre or mood (grey: not confident)")
        self.colour_by.currentTextChanged.connect(self.colourByChanged)
        # Every label wraps and the buttons are short: docked as a tab beside "Up next", the dock's minimum
        # width is the side's width, so a wide one would squeeze the library for as long as the map is there.
        self.status = QLabel("")
        self.status.setObjectName("soundMapStatus")
        self.status.setWordWrap(True)
        self.status.setMinimumWidth(40)
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setToolTip(_MARKERS_TIP)
        self.show_path_in_legend = False
        self.play_button = _button("Play", "Play the selected tracks (the queue becomes the selection)")
        self.queue_button = _button("Add to queue", "Add the selected tracks to the end of the queue")
        self.save_button = _button("Save…", "Save the selected tracks as a playlist (M3U8)")
        self.fit_button = _button("Fit", "Show the whole map")
        self.play_button.clicked.connect(self.playSelectionRequested)
        self.queue_button.clicked.connect(self.enqueueSelectionRequested)
        self.save_button.clicked.connect(self.saveSelectionRequested)
        self.fit_button.clicked.connect(self.view.fit_all)

        top = QHBoxLayout()
        top.addWidget(QLabel("Colour by"))
        top.addWidget(self.colour_by)
        top.addWidget(self.status, 1)
        top.addWidget(self.fit_button)
        self.selection_label = QLabel(_HINT)
        self.selection_label.setWordWrap(True)
        self.selection_label.setMinimumWidth(40)
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addStretch(1)
        for button in (self.play_button, self.queue_button, self.save_button):
            row.addWidget(button)
        # the hint beside the buttons; above them when the dock is narrow (a tab beside "Up next")
        buttons = self._bottom = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        buttons.addWidget(self.selection_label, 1)
        buttons.addLayout(row)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.legend)
        layout.addLayout(buttons)
        self.setWidget(body)
        self.view.selectionChanged.connect(self._on_selection)
        self._on_selection([])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        narrow = self.width() < NARROW_PX
        self._bottom.setDirection(QBoxLayout.Direction.TopToBottom if narrow
                                  else QBoxLayout.Direction.LeftToRight)

    def show_legend(self) -> None:
        items = []
        for label, colour, count in self.view.legend()[:14]:
            name = (label or "not confident").replace(" ", "&nbsp;")   # one entry never splits over lines
            items.append(f"<span style='color:{colour.name()}'>●</span>&nbsp;{name}&nbsp;({count:,})")
        ratio = self.devicePixelRatioF()
        for marker in MARKERS:        # the markers' meaning, after the labels', drawn as on the map
            if marker.layer == "path" and not self.show_path_in_legend:
                continue
            # one image with its words: rich text may break a line between an image and the text after it
            entry = _legend_entry(marker_image(marker, ratio), marker.text, self.legend.font(),
                                  self.legend.palette().color(QPalette.ColorRole.WindowText))
            items.append(_image_html(entry, marker.text))
        self.legend.setText(" &nbsp; ".join(items))

    def _on_selection(self, ids: list) -> None:
        for button in (self.play_button, self.queue_button, self.save_button):
            button.setEnabled(bool(ids))
        self.selection_label.setText(f"{len(ids):,} selected" if ids else _HINT)


class SoundMapIntegration(QObject):
    """Keeps the dock's map in step with the recommendations' index, the player and the panel."""

    def __init__(self, window, store, recommendations, worker: SoundMapWorker | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.recommendations = recommendations
        self.worker = worker or SoundMapWorker(sound_map.SoundMapCache(user_cache_dir() / "sound_map"),
                                               parent=self)
        self.dock = SoundMapDock(self._track_text, window)
        self.view = self.dock.view
        self._settings = getattr(window, "settings", None)
        saved = self._settings.state(COLOUR_BY_STATE) if self._settings is not None else ""
        if saved in (GENRE, MOOD):                       # before colourByChanged is connected: no repaint
            self.dock.colour_by.setCurrentText(saved)
        # the model whose vectors the index holds (the cache key); indexModel keeps it current
        self.model_id = getattr(recommendations.worker, "serving_model_id", "") or ""
        self._stale = True
        self._moods: dict[int, str] | None = None
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._refresh.timeout.connect(self.refresh)
        restored = window.restoreDockWidget(self.dock)   # where (and whether shown) it was last time
        window.add_dock(self.dock)
        if not restored:
            # Floating before it is first shown: the View menu's toggle shows it before open() runs, and
            # shown as a tab it would widen the side docks to its own size, for good.
            self.dock.setFloating(True)
            self.dock.hide()                             # opened from View → Sound map
        # a closed floating map is placed afresh (never shown, its saved size is a default sliver)
        self._placed = restored and not (self.dock.isFloating() and self.dock.isHidden())
        toggle = self.dock.toggleViewAction()
        toggle.triggered.connect(lambda checked: self.open() if checked else None)  # tabbed: to the front
        toggle.setShortcut(QKeySequence("Ctrl+Shift+M"))
        toggle.setStatusTip("Every analysed track as a point, placed by how it sounds")

        self.worker.mapReady.connect(self._on_map)
        self.worker.moodsReady.connect(self._on_moods)
        self.worker.failed.connect(lambda _serial, text: self.dock.status.setText(text))
        self.dock.visibilityChanged.connect(self._on_visibility)
        self.dock.colourByChanged.connect(self._on_colour_by)
        self.dock.playSelectionRequested.connect(lambda: window.play_now(self.selected_tracks()))
        self.dock.enqueueSelectionRequested.connect(lambda: window.add_to_queue(self.selected_tracks()))
        self.dock.saveSelectionRequested.connect(self.save_selection)
        self.view.playRequested.connect(self._play_id)
        # bound slots, not lambdas: the worker emits from its own thread, and only a receiver object
        # makes the connection queued (a lambda would run there and start the timer in that thread)
        rec_worker = recommendations.worker
        rec_worker.indexModel.connect(self._on_index_model)
        rec_worker.indexLoaded.connect(self._on_index_loaded)
        rec_worker.committed.connect(self._on_committed)
        window.player.trackChanged.connect(self._on_track_changed)
        self._on_track_changed(window.player.current_track())   # the session is restored before this
        recommendations.panel.model.modelReset.connect(self._on_results)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        if self.is_open():                               # restored open from the last session
            self._refresh.start()

    # --- map ----------------------------------------------------------------------------------------
    def is_open(self) -> bool:
        """Shown, floating or as a dock tab (isVisible is False for a tab behind another one)."""
        return not self.dock.isHidden()

    def open(self) -> None:
        """Show the dock in front of the docks it shares a tab bar with (the map is computed then). The
        first time, it floats over the window at a size a map needs (a side dock is a few hundred pixels
        wide); docking it is one double-click on its title, and where the user leaves it is restored."""
        if not self._placed and hasattr(self.window, "geometry"):
            self._placed = True
            frame = self.window.geometry()
            self.dock.setFloating(True)
            self.dock.resize(int(frame.width() * 0.7), int(frame.height() * 0.75))
            self.dock.move(frame.center() - self.dock.rect().center())
        self.dock.show()
        self.dock.raise_()
        if self._stale:   # a tabbed or floating dock does not always send visibilityChanged
            self._refresh.start(0)

    def index_changed(self) -> None:
        self._stale = True
        self._moods = None
        if self.is_open():
            self._refresh.start()

    def refresh(self) -> int | None:
        """Ask for a map of what the index holds now (None when there is nothing to map)."""
        index = self.recommendations.index
        self._stale = False
        if len(index) == 0:
            self.dock.status.setText("No analysed tracks yet: the map fills as the library is analysed.")
            return None
        self.dock.status.setText(f"Placing {len(index):,} tracks…")
        return self.worker.request(index.ids(), index.similarity_rows(), self.model_id)

    def _on_map(self, serial: int, smap, final: bool) -> None:
        self.view.set_map(smap)
        self.apply_colours()
        method = _METHOD_NAMES.get(smap.method, smap.method)
        if final:
            note = f" ({smap.placed:,} placed since the last fit)" if smap.placed else ""
            self.dock.status.setText(f"{len(smap):,} tracks · {method}{note}")
        else:
            self.dock.status.setText(f"{len(smap):,} tracks · PCA preview, t-SNE running…")

    def _on_visibility(self, visible: bool) -> None:
        if visible and self._stale:
            self._refresh.start(0)

    @Slot(str)
    def _on_index_model(self, model_id: str) -> None:
        self.model_id = model_id
        self.index_changed()

    @Slot(object, object, object)
    def _on_index_loaded(self, ids, matrix, genres) -> None:
        self.index_changed()

    @Slot(object)
    def _on_committed(self, batch) -> None:
        self.index_changed()

    @Slot(object)
    def _on_track_changed(self, track) -> None:
        self.view.set_playing(None if track is None else track.id)

    # --- colours ------------------------------------------------------------------------------------
    def _on_colour_by(self, text: str) -> None:
        if self._settings is not None:
            self._settings.save_state(COLOUR_BY_STATE, text)
        self.apply_colours()

    def apply_colours(self) -> None:
        if self.dock.colour_by.currentText() != MOOD:
            self.view.set_colour_labels(dict(self.recommendations.genres))
        elif self._moods is not None:
            self.view.set_colour_labels(self._moods)
        else:                             # read off the UI thread; _on_moods repaints
            self._request_moods()
        self.dock.show_legend()

    def _request_moods(self) -> None:
        manifest = getattr(self.recommendations, "_manifest", None) or {}
        labels = Labels.from_manifest(manifest)
        self.worker.request_moods(self.store, self.model_id, self.recommendations.index.ids().tolist(),
                                  labels.moods, labels.mood_threshold)

    @Slot(object)
    def _on_moods(self, labels) -> None:
        self._moods = labels
        if self.dock.colour_by.currentText() == MOOD:
            self.apply_colours()

    # --- tracks -------------------------------------------------------------------------------------
    def _track_text(self, track_id: int) -> str:
        track = self.store.track(track_id)
        return "" if track is None else default_track_text(track)

    def selected_tracks(self) -> list[Any]:
        by_id = {t.id: t for t in self.store.tracks_by_ids(self.view.selected_ids)}
        return [by_id[i] for i in self.view.selected_ids if i in by_id]

    def _play_id(self, track_id: int) -> None:
        # A click is "play this now", not "throw my queue away" (a sonic path, a hand-built queue):
        # the track goes in after the current one, as a library double-click does over a built queue.
        track = self.store.track(track_id)
        if track is not None and not self.window.play_keeping_queue(track):
            self.window.play_now([track])

    def _on_results(self) -> None:
        """The panel's anchor (a diamond), its results (rings) and, when it lists a sonic path, the path
        (a line through its steps in order, from the anchor it starts at)."""
        panel = self.recommendations.panel
        ids = [int(row.track.id) for row in panel.model.rows()]
        anchors = [int(track.id) for track in panel.anchors() if track is not None]
        path = getattr(getattr(self.recommendations, "sonic_path", None), "last_path", None) or []
        path_ids = [int(track.id) for track in path]
        is_path = len(ids) > 1 and sorted(ids) == sorted(path_ids)     # in the path's order, however sorted
        self.view.set_anchor(anchors)
        self.view.set_results([i for i in ids if i not in anchors])
        self.view.set_path(path_ids if is_path else [])
        if self.dock.show_path_in_legend != is_path:
            self.dock.show_path_in_legend = is_path
            self.dock.show_legend()

    def save_selection(self, path: str | None = None) -> bool:
        tracks = self.selected_tracks()
        if not tracks:
            return False
        if path is None:
            folder = next(iter(self.window.settings.music_folders), "")
            path, _ = QFileDialog.getSaveFileName(self.window, "Save selection as playlist",
                                                  os.path.join(folder, "sound-map.m3u8"),
                                                  "M3U8 playlist (*.m3u8)")
            if not path:
                return False
            if not path.lower().endswith((".m3u8", ".m3u")):
                path += ".m3u8"
        return self.window.playlists.save_tracks(path, tracks)

    def shutdown(self) -> None:
        self.worker.shutdown()


def install(window, store, recommendations, **kwargs) -> SoundMapIntegration | None:
    """Add the sound map to a window that has the recommendations installed."""
    if recommendations is None:
        return None
    integration = SoundMapIntegration(window, store, recommendations, **kwargs)
    window._sound_map = integration     # keeps the Python wrapper alive with the window
    return integration
