"""Small text helpers shared by the widgets: tag text is shown as plain, bounded, printable text."""

from __future__ import annotations

import html

MAX_DISPLAY_CHARS = 300

# Control characters (C0, DEL, C1) become spaces so a hostile tag cannot break a row's layout.
_CONTROL_TO_SPACE = {code: " " for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))}


def display_text(text: str | None, limit: int = MAX_DISPLAY_CHARS) -> str:
    """Bounded, single-line, printable version of a tag value."""
    if not text:
        return ""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isprintable():
        text = text.translate(_CONTROL_TO_SPACE)
    return text


def plain_tooltip(text: str) -> str:
    """A tooltip that Qt renders literally: tooltips auto-detect rich text, so escape and wrap it."""
    escaped = html.escape(text[:2000], quote=False).replace("\n", "<br>")
    return f"<qt>{escaped}</qt>"


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:  # None, NaN or negative
        return ""
    total = int(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
