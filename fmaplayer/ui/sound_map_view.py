"""The sound map widget: every analysed track as a point, coloured by a label, zoom, pan, hover, select.

A QGraphicsView over one scene with two custom items instead of one item per point: at 100k points a
QGraphicsEllipseItem each takes seconds to build and the scene's BSP index dominates every repaint,
while `_PointCloud` paints all points as one image rendered with numpy (`splat`, ~10 ms at 100k) and
is cached as a device pixmap, so a pan step is a blit (benchmarks/bench_sound_map.py measures both).
Highlights (the playing track, the relevant panel's results, the selection) sit in a second small item
above, so changing them never repaints the cloud. Hover and click find the nearest point with a k-d
tree (scipy), rubber-band selection is one numpy mask over the coordinates.

Gestures: wheel zooms at the cursor, dragging pans, Shift+drag selects a rectangle, a click plays the
point under the cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView, QToolTip

from fmaplayer.ui.text import display_text

log = logging.getLogger(__name__)
SCENE_SCALE = 500.0       # map coordinates (about -1..1) to scene units
POINT_PX = 5              # point diameter on screen, whatever the zoom
HOVER_RADIUS_PX = 8
CLICK_SLOP_PX = 4
UNLABELLED = QColor(175, 175, 175)   # opaque: the splat image is premultiplied ARGB
# Qualitative palette (Tableau 20 order, the brighter half first), readable on light and dark bases.
PALETTE = [QColor(c) for c in (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#9edae5", "#dbdb8d")]


# Markers over the points. Every colour of the palette is some label's, so the markers are told apart by
# their shape, not their colour: near-black ink on a white halo reads on every point colour and on light
# and dark bases. The legend shows the same drawings (marker_image).
INK = QColor(25, 25, 25)
HALO = QColor(255, 255, 255)


@dataclass(frozen=True)
class Marker:
    layer: str          # the highlight layer it marks
    text: str           # its words in the legend
    shape: str          # "line" (through the layer's points in order), "ring", "diamond", "target"
    radius_px: float    # on screen, whatever the zoom
    width_px: float     # pen width on screen


MARKERS = (   # drawn in this order: later ones on top
    Marker("path", "sonic path", "line", 0, 2.0),
    Marker("results", "relevant results", "ring", 7, 1.6),
    Marker("anchor", "their anchor", "diamond", 9, 2.2),
    Marker("playing", "playing", "target", 10, 3.0),
)
MARKER_BY_LAYER = {marker.layer: marker for marker in MARKERS}
LINE_GAP_PX = 9         # a path's line stops this far from each step's point (outside its ring)
TICKS = (1.25, 1.65)    # the playing marker's four ticks: from and to these multiples of its radius


def _pens(width_px: float) -> list[QPen]:
    pens = []
    for colour, width in ((HALO, width_px + 2.5), (INK, width_px)):
        pen = QPen(colour, width)
        pen.setCosmetic(True)          # the same on-screen width at every zoom
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        pens.append(pen)
    return pens


def draw_marker(painter: QPainter, marker: Marker, points: np.ndarray, scale: float,
                gaps_px: np.ndarray | None = None) -> None:
    """Draw `marker` at scene `points` (N x 2) on a painter whose world transform scales by `scale`
    (scene units to pixels): a path line through the points in order with an arrow head half-way along
    each step, stopping `gaps_px[i]` (default LINE_GAP_PX) short of point i, or one ring / diamond /
    target around each point."""
    if not len(points):
        return
    unit = 1.0 / (scale or 1.0)       # one screen pixel in scene units
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if marker.shape == "line":
        # from ring to ring, not through the points: the rings and the points' colours stay readable
        gaps = (np.full(len(points), float(LINE_GAP_PX)) if gaps_px is None else np.asarray(gaps_px)) * unit
        steps = [_step(points[i], points[i + 1], gaps[i], gaps[i + 1], unit) for i in range(len(points) - 1)]
        steps = [step for step in steps if step is not None]
        for pen in _pens(marker.width_px):
            painter.setPen(pen)
            painter.setBrush(pen.color())
            for line, head in steps:
                painter.drawLine(line)
                if head is not None:
                    painter.drawPolygon(head)
            painter.setBrush(Qt.BrushStyle.NoBrush)
        return
    r = marker.radius_px * unit
    for pen in _pens(marker.width_px):
        painter.setPen(pen)
        for x, y in points:
            centre = QPointF(float(x), float(y))
            if marker.shape == "diamond":
                painter.drawPolygon(QPolygonF([centre + QPointF(0, -r), centre + QPointF(r, 0),
                                               centre + QPointF(0, r), centre + QPointF(-r, 0)]))
                continue
            painter.drawEllipse(centre, r, r)
            if marker.shape == "target":       # a sight: four ticks pointing at the ring
                near, far = r * TICKS[0], r * TICKS[1]
                for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    painter.drawLine(centre + QPointF(dx * near, dy * near),
                                     centre + QPointF(dx * far, dy * far))


def _step(start, end, gap_start: float, gap_end: float,
          unit: float) -> tuple[QLineF, QPolygonF | None] | None:
    """One step of a path: the line from `gap_start` after start to `gap_end` before end, and a small
    arrow head half-way pointing towards end when the line is long enough to show one. None when the two
    points nearly touch."""
    dx, dy = float(end[0] - start[0]), float(end[1] - start[1])
    length = (dx * dx + dy * dy) ** 0.5
    if length <= gap_start + gap_end + 2 * unit:
        return None
    ux, uy = dx / length, dy / length
    line = QLineF(float(start[0]) + ux * gap_start, float(start[1]) + uy * gap_start,
                  float(end[0]) - ux * gap_end, float(end[1]) - uy * gap_end)
    if length - gap_start - gap_end < 24 * unit:
        return line, None
    mid = line.center()
    size = 5 * unit
    tip = mid + QPointF(ux * size, uy * size)
    back = mid - QPointF(ux * size, uy * size)
    side = QPointF(-uy * size * 0.8, ux * size * 0.8)
    return line, QPolygonF([tip, back + side, back - side])


ICON_SCALE = 0.6     # legend drawings at 60 % of the map's size, so the tallest fits a line of text


def marker_image(marker: Marker, ratio: float = 1.0) -> QImage:
    """The marker as the legend shows it, around a grey point (a short arrowed line for the path)."""
    height = 24
    width = 32 if marker.shape == "line" else height
    image = QImage(int(width * ratio), int(height * ratio), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    centre = (width / 2, height / 2)
    if marker.shape == "line":
        points = np.array([[3.0 - LINE_GAP_PX, centre[1]], [width - 3.0 + LINE_GAP_PX, centre[1]]])
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(UNLABELLED)
        painter.drawEllipse(QPointF(*centre), POINT_PX / 2 * ICON_SCALE, POINT_PX / 2 * ICON_SCALE)
        points = np.array([centre])
    small = Marker(marker.layer, marker.text, marker.shape, marker.radius_px * ICON_SCALE,
                   max(1.2, marker.width_px * ICON_SCALE))
    draw_marker(painter, small, points, 1.0)
    painter.end()
    return image


def label_colours(labels: list[str]) -> dict[str, QColor]:
    """A fixed colour per distinct label (sorted, so the same labels always get the same colours);
    the empty label (below the model's confidence threshold) is grey."""
    named = sorted({label for label in labels if label})
    colours = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(named)}
    colours[""] = UNLABELLED
    return colours


def _argb(colour: QColor) -> int:
    return QColor(colour).rgba()  # premultiplied equals straight for the opaque colours used here


def _disc_offsets(radius: float) -> list[tuple[int, int]]:
    reach = int(np.ceil(radius))
    return [(dx, dy) for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)
            if dx * dx + dy * dy <= radius * radius + 0.5]


def splat(painter: QPainter, points: np.ndarray, colours: np.ndarray, radius_px: float) -> None:
    """Draw discs of `radius_px` screen pixels at scene `points` (N x 2), one ARGB colour each, later
    points over earlier ones. Rendered with numpy into one image the size of the paint device: 100k
    points take about 10 ms, where QPainter.drawPoints with a round 5-px pen takes about 170 ms."""
    device = painter.device()
    ratio = device.devicePixelRatioF() if device is not None else 1.0
    width, height = int(device.width() * ratio), int(device.height() * ratio)
    if not len(points) or width <= 0 or height <= 0:
        return
    t = painter.worldTransform()
    x = (points[:, 0] * t.m11() + points[:, 1] * t.m21() + t.dx()) * ratio
    y = (points[:, 0] * t.m12() + points[:, 1] * t.m22() + t.dy()) * ratio
    radius = radius_px * ratio
    reach = int(np.ceil(radius))
    pad = 2 * reach        # a disc's pixels stay inside the padded buffer for every kept centre
    xi, yi = np.rint(x).astype(np.int64), np.rint(y).astype(np.int64)
    inside = (xi >= -reach) & (xi < width + reach) & (yi >= -reach) & (yi < height + reach)
    if not inside.any():
        return
    stride = width + 2 * pad
    buffer = np.zeros((height + 2 * pad) * stride, np.uint32)
    flat = (yi[inside] + pad) * stride + xi[inside] + pad
    shown = colours[inside]
    for dx, dy in _disc_offsets(radius):
        buffer[flat + (dy * stride + dx)] = shown
    pixels = np.ascontiguousarray(buffer.reshape(height + 2 * pad, stride)[pad:pad + height, pad:pad + width])
    image = QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    painter.save()
    painter.resetTransform()
    painter.drawImage(QPointF(0, 0), image)
    painter.restore()


class _PointCloud(QGraphicsItem):
    """All points as discs of a fixed size in pixels (splat), cached as a device pixmap for pans."""

    def __init__(self) -> None:
        super().__init__()
        self._points = np.zeros((0, 2), np.float32)
        self._colours = np.zeros(0, np.uint32)
        self._rect = QRectF()
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_points(self, points: np.ndarray, colours: np.ndarray, rect: QRectF) -> None:
        self.prepareGeometryChange()
        grey_first = np.argsort(colours != _argb(UNLABELLED), kind="stable")  # labelled drawn on top
        self._points, self._colours = points[grey_first], colours[grey_first]
        self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        try:   # an exception escaping a Qt paint override takes the process down (shiboken 6.11)
            splat(painter, self._points, self._colours, POINT_PX / 2)
        except Exception:  # noqa: BLE001 - a missing frame is better than a crash
            log.exception("sound map: drawing the points failed")


class _Highlights(QGraphicsItem):
    """Above the cloud: the selection (outlined discs), then the MARKERS (path, results, anchor, playing)."""

    def __init__(self) -> None:
        super().__init__()
        self.layers: dict[str, np.ndarray] = {}
        self.selection_colours = np.zeros(0, np.uint32)
        self.colours: dict[str, np.ndarray] = {}   # layer -> its points' colours (drawn again over halos)
        self._rect = QRectF()
        self.setZValue(1)

    def set_layer(self, name: str, points: np.ndarray, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self.layers[name] = points
        self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect.adjusted(-20, -20, 20, 20)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        try:   # as _PointCloud.paint: never let an exception out of a paint override
            self._paint(painter)
        except Exception:  # noqa: BLE001
            log.exception("sound map: drawing the highlights failed")

    def _paint(self, painter: QPainter) -> None:
        selection = self.layers.get("selection")
        if selection is not None and len(selection):
            splat(painter, selection, np.full(len(selection), _argb(QColor(20, 20, 20)), np.uint32),
                  POINT_PX / 2 + 1.5)
            if len(self.selection_colours) == len(selection):
                splat(painter, selection, self.selection_colours, POINT_PX / 2 - 0.5)
        scale = painter.worldTransform().m11() or 1.0
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for marker in MARKERS:
            points = self.layers.get(marker.layer)
            if points is not None:
                gaps = self._path_gaps(points) if marker.shape == "line" else None
                draw_marker(painter, marker, points, scale, gaps)
        for marker in MARKERS:     # a neighbour's white halo must not hide a marked point
            points, colours = self.layers.get(marker.layer), self.colours.get(marker.layer)
            if points is not None and colours is not None and len(points) and len(colours) == len(points):
                splat(painter, points, colours, POINT_PX / 2)

    def _path_gaps(self, points: np.ndarray) -> np.ndarray:
        """How far short of each step the path's line stops: outside the largest marker drawn there
        (the playing track's sight, the anchor's diamond), else outside a result's ring."""
        gaps = np.full(len(points), float(LINE_GAP_PX))
        for marker in MARKERS:
            marked = self.layers.get(marker.layer)
            if marker.shape == "line" or marked is None or not len(marked):
                continue
            reach = marker.radius_px + 3.0
            at = (points[:, None, :] == marked[None, :, :]).all(axis=2).any(axis=1)
            gaps[at] = np.maximum(gaps[at], reach)
        return gaps


class SoundMapView(QGraphicsView):
    playRequested = Signal(int)            # track id clicked
    selectionChanged = Signal(list)        # track ids inside the rubber band (empty: cleared)
    hovered = Signal(int)                  # track id under the cursor, -1 for none

    def __init__(self, track_text: Callable[[int], str] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("soundMapView")
        self.track_text = track_text or (lambda track_id: f"Track {track_id}")
        self.setScene(QGraphicsScene(self))
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self._cloud = _PointCloud()
        self._highlights = _Highlights()
        self.scene().addItem(self._cloud)
        self.scene().addItem(self._highlights)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.rubberBandChanged.connect(self._on_rubber_band)
        self._ids = np.zeros(0, np.int64)
        self._points = np.zeros((0, 2), np.float32)    # scene coordinates
        self._row_of: dict[int, int] = {}
        self._labels: dict[int, str] = {}
        self._tree = None
        self._press_pos = None
        self._user_moved = False
        self._band_rect = QRectF()
        self.hover_text = ""
        self.colours: dict[str, QColor] = {"": UNLABELLED}
        self.selected_ids: list[int] = []
        self._marked: dict[str, list[int]] = {marker.layer: [] for marker in MARKERS}   # layer -> track ids
        self._point_colours = np.zeros(0, np.uint32)
        self._scene_rect = self._bounds()

    # --- content ------------------------------------------------------------------------------------
    def set_map(self, smap) -> None:
        """Show a SoundMap (ids + coords); keeps the zoom when the map is refined, fits a first one."""
        first = len(self._ids) == 0
        self._ids = np.asarray(smap.ids, np.int64)
        self._points = (np.asarray(smap.coords, np.float32).reshape(-1, 2) * SCENE_SCALE
                        * np.array([1.0, -1.0], np.float32))   # y up, as on a chart
        self._row_of = {int(i): row for row, i in enumerate(self._ids)}
        self._tree = None
        self._scene_rect = self._bounds()
        margin = SCENE_SCALE * 4        # room to pan past the edges at any zoom
        self.scene().setSceneRect(self._scene_rect.adjusted(-margin, -margin, margin, margin))
        self._repaint_cloud()
        self.selected_ids = [i for i in self.selected_ids if i in self._row_of]
        for name, track_ids in (("selection", self.selected_ids), *self._marked.items()):
            self._set_highlight(name, track_ids)
        if first or not self._user_moved:
            self.fit_all()

    def set_colour_labels(self, labels: dict[int, str]) -> None:
        """Track id -> label ("" or missing: grey) and repaint in one colour per label."""
        self._labels = dict(labels)
        self._repaint_cloud()

    def point_count(self) -> int:
        return int(self._ids.shape[0])

    def legend(self) -> list[tuple[str, QColor, int]]:
        """(label, colour, count) of what is drawn, most frequent first; "" is the unlabelled share."""
        counts: dict[str, int] = {}
        for track_id in self._ids:
            label = self._labels.get(int(track_id), "")
            counts[label] = counts.get(label, 0) + 1
        return sorted(((label, self.colours.get(label, UNLABELLED), n) for label, n in counts.items()),
                      key=lambda item: (item[0] == "", -item[2], item[0]))

    def set_playing(self, track_id: int | None) -> None:
        self.set_marked("playing", [] if track_id is None else [track_id])

    def set_results(self, track_ids: list[int]) -> None:
        """The relevant panel's results: a ring each."""
        self.set_marked("results", track_ids)

    def set_anchor(self, track_ids: list[int]) -> None:
        """The track (or tracks, for a selection's centroid) the panel's results are like: a diamond."""
        self.set_marked("anchor", track_ids)

    def set_path(self, track_ids: list[int]) -> None:
        """A sonic path's steps in order, start first: a line from step to step (empty: none)."""
        self.set_marked("path", track_ids)

    def set_marked(self, layer: str, track_ids: list[int]) -> None:
        self._marked[layer] = [int(i) for i in track_ids]
        self._set_highlight(layer, self._marked[layer])

    def marked(self, layer: str) -> list[int]:
        """The track ids a marker layer is given (drawn where they are on the map)."""
        return list(self._marked.get(layer, []))

    def fit_all(self) -> None:
        self._user_moved = False       # until the user zooms or pans, a resize keeps the map fitted
        if len(self._ids):
            self.fitInView(self._scene_rect.adjusted(-20, -20, 20, 20), Qt.AspectRatioMode.KeepAspectRatio)

    def pan_by(self, dx: int, dy: int) -> None:
        """Move the view by (dx, dy) pixels, as a drag does."""
        self._user_moved = True
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def zoom_by(self, factor: float) -> None:
        self._user_moved = True
        self.scale(factor, factor)
        self._highlights.update()

    def viewport_position_of(self, track_id: int):
        """Where a track's point is on the viewport (a QPoint), None when it is not on the map."""
        row = self._row_of.get(int(track_id))
        if row is None:
            return None
        x, y = self._points[row]
        return self.mapFromScene(QPointF(float(x), float(y)))

    def track_at(self, viewport_pos) -> int | None:
        """The track whose point is nearest to a viewport position, within HOVER_RADIUS_PX."""
        if not len(self._ids):
            return None
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self._points)
        scene = self.mapToScene(viewport_pos)
        radius = HOVER_RADIUS_PX / max(self.transform().m11(), 1e-9)
        distance, row = self._tree.query([scene.x(), scene.y()], distance_upper_bound=radius)
        return None if not np.isfinite(distance) else int(self._ids[row])

    def ids_in_viewport_rect(self, rect: QRect) -> list[int]:
        scene_rect = self.mapToScene(rect).boundingRect()
        x, y = self._points[:, 0], self._points[:, 1]
        inside = ((x >= scene_rect.left()) & (x <= scene_rect.right())
                  & (y >= scene_rect.top()) & (y <= scene_rect.bottom()))
        return [int(i) for i in self._ids[inside]]

    def select_ids(self, track_ids: list[int]) -> None:
        self.selected_ids = [int(i) for i in track_ids if int(i) in self._row_of]
        self._set_highlight("selection", self.selected_ids)
        self.selectionChanged.emit(list(self.selected_ids))

    # --- internals ----------------------------------------------------------------------------------
    def _bounds(self) -> QRectF:
        if not len(self._points):
            return QRectF(-SCENE_SCALE, -SCENE_SCALE, 2 * SCENE_SCALE, 2 * SCENE_SCALE)
        low, high = self._points.min(axis=0), self._points.max(axis=0)
        rect = QRectF(float(low[0]), float(low[1]), float(high[0] - low[0]), float(high[1] - low[1]))
        return rect.adjusted(-10, -10, 10, 10)

    def _repaint_cloud(self) -> None:
        labels = [self._labels.get(int(i), "") for i in self._ids]
        self.colours = label_colours(labels)
        argb = {label: _argb(colour) for label, colour in self.colours.items()}
        self._point_colours = np.fromiter((argb[label] for label in labels), np.uint32, len(labels))
        self._cloud.set_points(self._points, self._point_colours,
                               self._scene_rect if len(self._ids) else QRectF())
        for name, track_ids in (("selection", self.selected_ids), *self._marked.items()):
            self._set_highlight(name, track_ids)     # their points' colours are drawn again above the halos

    def _set_highlight(self, name: str, track_ids: list[int]) -> None:
        rows = [self._row_of[i] for i in track_ids if i in self._row_of]
        if name == "selection":
            self._highlights.selection_colours = self._point_colours[rows]
        else:
            self._highlights.colours[name] = self._point_colours[rows]
        self._highlights.set_layer(name, self._points[rows] if rows else np.zeros((0, 2), np.float32),
                                   self._scene_rect)

    def _on_rubber_band(self, rect: QRect, from_scene, to_scene) -> None:
        if not rect.isNull():
            self._band_rect = QRectF(rect)
            return
        if not self._band_rect.isNull():          # released: the last rectangle is the selection
            band, self._band_rect = self._band_rect.toRect(), QRectF()
            self.select_ids(self.ids_in_viewport_rect(band))

    # --- events -------------------------------------------------------------------------------------
    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25 ** steps)
        event.accept()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._press_pos = event.position().toPoint()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        press, self._press_pos = self._press_pos, None
        banding = self.dragMode() == QGraphicsView.DragMode.RubberBandDrag
        super().mouseReleaseEvent(event)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        if event.button() != Qt.MouseButton.LeftButton or press is None or banding:
            return
        pos = event.position().toPoint()
        if (pos - press).manhattanLength() > CLICK_SLOP_PX:
            return                                  # a pan, not a click
        track_id = self.track_at(pos)
        if track_id is not None:
            self.playRequested.emit(track_id)
        elif self.selected_ids:                     # a click on empty space clears the selection
            self.select_ids([])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if not self._user_moved:
            self.fit_all()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().mouseMoveEvent(event)
        if (event.buttons() & Qt.MouseButton.LeftButton and self.dragMode() == self.DragMode.ScrollHandDrag
                and self._press_pos is not None
                and (event.position().toPoint() - self._press_pos).manhattanLength() > CLICK_SLOP_PX):
            self._user_moved = True     # a pan; a click that trembled a pixel keeps the map fitted
        if event.buttons() == Qt.MouseButton.NoButton:
            self._hover(event.position().toPoint(), event.globalPosition().toPoint())

    def viewportEvent(self, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip:   # the scene has no item tooltips: it would hide ours
            self._hover(event.pos(), event.globalPos(), force=True)
            return True
        return super().viewportEvent(event)

    def _hover(self, pos, global_pos, force: bool = False) -> None:
        track_id = self.track_at(pos)
        text = "" if track_id is None else self.track_text(track_id)
        if text != self.hover_text or force:
            if text != self.hover_text:
                self.hover_text = text
                self.hovered.emit(-1 if track_id is None else track_id)
            if text:
                QToolTip.showText(global_pos, text, self.viewport())
            else:
                QToolTip.hideText()


def default_track_text(track) -> str:
    """Tooltip text for a track: title, artist, and album when there is one."""
    title = display_text(track.display_title, 100)
    parts = [title]
    if getattr(track, "artist", ""):
        parts.append(display_text(track.artist, 80))
    if getattr(track, "album", ""):
        parts.append(display_text(track.album, 80))
    return "\n".join(parts)
