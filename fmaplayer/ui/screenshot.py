"""Render the README screenshot: the real main window over a generated library of tagged tones.

    QT_QPA_PLATFORM=offscreen python -m fmaplayer.ui.screenshot resources/screenshots/main-window.png
        [--with-recommendations]   (also analyse the tones with the bundled model and open "Relevant songs")

Nothing here is needed by the app; it lives next to the widgets it shows so it stays in step with them.
The audio is generated (sine chords written with soundfile, tagged with mutagen): no recorded music.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

# (artist, album, year, genre, titles): invented names.
_ALBUMS = [
    ("Harbor Lights", "Salt & Static", 2019, "Electronic",
     ["Low Tide", "Signal Fires", "Static Bloom", "Foghorn Waltz", "Night Ferry"]),
    ("The Paper Kites Orchestra", "Quiet Machines", 2016, "Instrumental",
     ["Opening", "Clockwork Garden", "Brass Lanterns", "The Long Corridor"]),
    ("Mara Velasquez", "Desert Radio", 2021, "Folk",
     ["Dust Roads", "Mesa at Noon", "Coyote Song", "Adobe Heart", "Last Gas Station"]),
    ("Juniper Street Trio", "Blue Hours", 2012, "Jazz",
     ["Half Past Two", "Walking Bass for Ada", "Smoke Rings", "Rain on Juniper"]),
    ("Kilowatt Kids", "Overclocked", 2023, "Rock",
     ["Voltage", "Short Circuit Summer", "Fuse Box", "Amplifier Heart"]),
]


def _texture(style: int, seconds: int, sr: int, rng: random.Random):
    """A few seconds of distinct synthetic sound per album, so the model hears different things."""
    import numpy as np

    n = seconds * sr
    t = np.arange(n, dtype=np.float32) / sr
    base = rng.choice([110.0, 130.8, 146.8, 164.8, 196.0])
    noise = np.random.default_rng(rng.randrange(2**32)).standard_normal(n).astype(np.float32)
    beat = rng.uniform(1.6, 2.4)  # beats per second
    phase = (t * beat) % 1.0
    if style == 0:  # electronic: saw bass, four-on-the-floor kick, hats
        saw = 2 * ((t * base) % 1.0) - 1
        y = 0.2 * saw + 0.6 * np.sin(2 * np.pi * 55 * t) * np.exp(-phase * 12) + 0.05 * noise * (phase > 0.5)
    elif style == 1:  # instrumental: slow sine chords
        y = sum(0.15 * np.sin(2 * np.pi * base * 2 * r * t) for r in (1.0, 1.25, 1.5))
    elif style == 2:  # folk: plucked, decaying partials
        pluck = np.exp(-((t * beat * 2) % 1.0) * 6)
        y = pluck * sum(0.2 / k * np.sin(2 * np.pi * base * 2 * k * t) for k in range(1, 6))
    elif style == 3:  # jazz: walking bass, brushed noise on off-beats
        step = np.floor(t * beat * 2).astype(int) % 4
        bass = np.sin(2 * np.pi * base * (1 + step / 8) * t) * np.exp(-((t * beat * 2) % 1.0) * 3)
        y = 0.4 * bass + 0.08 * noise * np.exp(-((phase + 0.5) % 1.0) * 8)
    else:  # rock: distorted power chords and a loud snare
        chord = sum(np.sin(2 * np.pi * base * r * t) for r in (1.0, 1.5, 2.0))
        y = 0.35 * np.tanh(3 * chord) + 0.4 * noise * np.exp(-((phase + 0.5) % 1.0) * 10)
    return (0.8 * y / max(1e-6, float(np.abs(y).max()))).astype(np.float32)


def _write_library(root: Path, seed: int = 3) -> None:
    import mutagen
    import soundfile as sf

    rng = random.Random(seed)
    sr = 22050
    for style, (artist, album, year, genre, titles) in enumerate(_ALBUMS):
        folder = root / artist / album
        folder.mkdir(parents=True, exist_ok=True)
        for number, title in enumerate(titles, start=1):
            seconds = rng.randint(150, 330)
            y = _texture(style, seconds, sr, rng)
            path = folder / f"{number:02d} {title}.flac"
            sf.write(path, y, sr, format="FLAC", subtype="PCM_16")
            audio = mutagen.File(path, easy=True)
            audio.update({"title": title, "artist": artist, "album": album, "date": str(year), "genre": genre,
                          "tracknumber": f"{number}/{len(titles)}"})
            audio.save()
    bad = root / "Downloads"
    bad.mkdir(exist_ok=True)
    (bad / "voice memo.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A ")
    (bad / "broken download.mp3").write_text("<html>404 Not Found</html>")


def render(out: Path, with_recommendations: bool = False, width: int = 1440, height: int = 820) -> Path:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.library.scanner import Scanner, describe_scan
    from fmaplayer.library.store import LibraryStore
    from fmaplayer.settings import Settings
    from fmaplayer.ui.main_window import MainWindow, app_icon

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationDisplayName("fmaplayer")
    app.setWindowIcon(app_icon())
    with tempfile.TemporaryDirectory() as tmp:
        music = Path(tmp) / "Music"
        _write_library(music)
        store = LibraryStore(Path(tmp) / "library.db")
        summary = Scanner(store).scan([str(music)])
        settings = Settings(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        settings.music_folders = [str(music)]
        player = Player(NullOutput(realtime=False))
        window = MainWindow(settings, store, player, Scanner(store))
        window.resize(width, height)
        window.show()

        def wait(ms: int) -> None:
            loop = QEventLoop()
            QTimer.singleShot(ms, loop.quit)
            loop.exec()

        model = window.track_table_model
        start = next(row for row in range(model.rowCount()) if model.track_at(row).title == "Smoke Rings")
        window.play_from_row(start)
        wait(300)
        player.pause()
        player.seek(83.0)
        window.library_view.select_rows([start])
        window.status.showMessage(f"Scan finished: {describe_scan(summary)}.")  # as the window says it
        if with_recommendations:
            from fmaplayer.ui import recommendations as integration

            integration.install(window, store, settings)
            anchor = model.track_at(start)
            model_id = None
            for _ in range(600):  # up to ~5 minutes on a slow CPU
                wait(500)
                recs = getattr(window, "_recommendations", None)
                worker = getattr(recs, "worker", None)
                model_id = model_id or getattr(worker, "model_id", None)
                readable = model.total_count() - model.unreadable_count()
                if model_id and store.embedding_counts(model_id)[0] >= readable:
                    break
            for action in window.build_track_context_menu().actions():
                if action.text() == "Get relevant songs":
                    window.library_view.select_rows([model.row_of_track(anchor.id)])
                    action.trigger()
            wait(1500)
        wait(200)
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        window.close()
        player.shutdown()
        store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the README screenshot of the main window.")
    parser.add_argument("out", type=Path, nargs="?", default=Path("resources/screenshots/main-window.png"))
    parser.add_argument("--with-recommendations", action="store_true")
    parser.add_argument("--size", default="1440x820", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    width, height = (int(v) for v in args.size.lower().split("x"))
    print(render(args.out, args.with_recommendations, width, height))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
