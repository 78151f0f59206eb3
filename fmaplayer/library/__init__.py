"""Music library: folder scanning, tag reading (mutagen) and the SQLite store. No Qt here."""
