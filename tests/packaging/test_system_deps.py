"""Qt's xcb platform plugin can load: its libraries resolve, and the bootstrap names what is missing."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "ensure-system-deps.sh"


def xcb_plugin() -> Path:
    import PySide6

    return Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin is Linux only")
def test_xcb_plugin_libraries_resolve():
    plugin = xcb_plugin()
    if not plugin.is_file():
        pytest.skip(f"this PySide6 has no xcb platform plugin ({plugin})")
    if shutil.which("ldd") is None:
        pytest.skip("ldd is not installed")
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    missing = [line.split()[0] for line in out.splitlines() if "not found" in line]
    assert not missing, (f"Qt's xcb plugin cannot load, missing {missing}: run `make run` (it installs "
                         "them) or: sudo sh packaging/ensure-system-deps.sh")


PORTAUDIO_PRESENT = "echo '\tlibportaudio.so.2 (libc6,x86-64) => /usr/lib/libportaudio.so.2'\n"


def _fake_tool(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.mark.skipif(shutil.which("sh") is None or not sys.platform.startswith("linux"), reason="needs sh")
def test_bootstrap_names_the_packages_of_missing_xcb_libraries(tmp_path):
    """A bare Debian 12 lacks libxcb-cursor0, libxcb-icccm4 and libxcb-keysyms1: the script names them."""
    plugin = tmp_path / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    plugin.parent.mkdir(parents=True)
    plugin.write_bytes(b"")
    (tmp_path / "PySide6" / "__init__.py").write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_tool(bin_dir, "ldd", "cat <<'END'\n"
               "\tlibQt6XcbQpa.so.6 => /x/libQt6XcbQpa.so.6 (0x1)\n"
               "\tlibxcb-cursor.so.0 => not found\n\tlibxcb-icccm.so.4 => not found\n"
               "\tlibxcb-keysyms.so.1 => not found\n\tlibxkbcommon-x11.so.0 => not found\n"
               "\tlibxcb-cursor.so.0 => not found\n\tlibEGL.so.1 => not found\nEND\n")
    _fake_tool(bin_dir, "ldconfig", PORTAUDIO_PRESENT)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(tmp_path), "FMAPLAYER_PYTHON": sys.executable, "FMAPLAYER_SYSTEM_DEPS": "print"}
    result = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0
    install = next(line for line in result.stdout.splitlines() if "sudo apt-get install" in line)
    packages = install.split("sudo apt-get install", 1)[1].split()
    assert sorted(packages) == ["libegl1", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1",
                                "libxkbcommon-x11-0"]   # each once, PortAudio is there


@pytest.mark.skipif(shutil.which("sh") is None or not sys.platform.startswith("linux"), reason="needs sh")
def test_bootstrap_is_silent_when_nothing_is_missing(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_tool(bin_dir, "ldd", "echo '\tlibxcb.so.1 => /usr/lib/libxcb.so.1 (0x1)'\n")
    _fake_tool(bin_dir, "ldconfig", PORTAUDIO_PRESENT)
    plugin = tmp_path / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    plugin.parent.mkdir(parents=True)
    plugin.write_bytes(b"")
    (tmp_path / "PySide6" / "__init__.py").write_text("")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(tmp_path), "FMAPLAYER_PYTHON": sys.executable, "FMAPLAYER_SYSTEM_DEPS": "print"}
    result = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert (result.returncode, result.stdout) == (0, "")
