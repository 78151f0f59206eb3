"""The house's rooms: what runs for the user never loads the research code or the heavy libraries.

Each check runs in a fresh interpreter, so modules another test imported cannot hide (or fake) a leak.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fmaplayer"
HEAVY = ("tensorflow", "keras", "librosa")
# the CLI's lazy dispatch: the training subcommands import fmaplayer.training inside their run()
TRAINING_DISPATCH = {"cli/train.py", "cli/distill.py", "cli/evaluate.py"}


def loaded_after(code: str, tmp_path: Path) -> list[str]:
    """Top-level names and fmaplayer.training modules in sys.modules after running `code`."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env={**_env(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _env(tmp_path: Path) -> dict:
    import os

    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "PYTHONPATH": str(PACKAGE.parent)}


def research_or_heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY or m.startswith("fmaplayer.training")]


def test_window_workers_and_cli_load_no_training_code_nor_tensorflow(tmp_path):
    code = ("import fmaplayer.cli as cli; cli.build_parser()\n"
            "import fmaplayer.app, fmaplayer.ui.main_window, fmaplayer.ui.recommendations\n"
            "import fmaplayer.workers.embedding_worker, fmaplayer.workers.scan_worker\n"
            "import fmaplayer.workers.sound_map_worker")
    modules = loaded_after(code, tmp_path)
    assert "fmaplayer.ui.main_window" in modules    # the probe really imported the window
    assert research_or_heavy(modules) == []


@pytest.mark.integration
def test_scan_and_similar_load_no_qt_and_no_training_code(tmp_path):
    from tests.audio_fixtures import write_tone

    music = tmp_path / "music"
    music.mkdir()
    for i, freq in enumerate((220.0, 330.0, 440.0)):
        write_tone(music / f"t{i}.wav", seconds=4.0, freq=freq)
    db = tmp_path / "lib.db"
    code = ("from fmaplayer.cli import main\n"
            f"assert main(['scan', {str(music)!r}, '--db', {str(db)!r}]) == 0\n"
            f"assert main(['similar', {str(music / 't0.wav')!r}, '--db', {str(db)!r}, '-n', '2']) == 0")
    modules = loaded_after(code, tmp_path)
    assert "fmaplayer.ml.embedder" in modules       # it really analysed the files
    assert [m for m in modules if m.startswith("PySide6")] == []
    assert research_or_heavy(modules) == []


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_training_subcommands_reach_into_training():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("training/") or rel in TRAINING_DISPATCH:
            continue
        if any(name == "fmaplayer.training" or name.startswith("fmaplayer.training.")
               for name in imported_modules(path)):
            offenders.append(rel)
    assert offenders == []


def test_the_core_imports_no_qt():
    """ml, library and recommend are the core: no Qt at all (DESIGN.md's dependency direction)."""
    offenders = [path.relative_to(PACKAGE).as_posix()
                 for room in ("ml", "library", "recommend", "training")
                 for path in (PACKAGE / room).rglob("*.py")
                 if any(name.startswith("PySide6") for name in imported_modules(path))]
    assert offenders == []
