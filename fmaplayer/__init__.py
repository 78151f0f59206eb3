"""fmaplayer: a desktop music player with content-based recommendations."""

__version__ = "0.1.0"
