"""--install-desktop-entry / --uninstall-desktop-entry into a temporary XDG data home."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fmaplayer import desktop_entry


@pytest.fixture
def data_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "xdg data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def read_entry(data_home: Path) -> dict[str, str]:
    text = (data_home / "applications" / "fmaplayer.desktop").read_text(encoding="utf-8")
    return dict(line.split("=", 1) for line in text.splitlines()[1:] if "=" in line)


def test_install_writes_entry_and_icons_then_uninstall_removes_them(data_home, capsys):
    assert desktop_entry.main(install=True) == 0
    entry = read_entry(data_home)
    assert entry["Icon"] == "fmaplayer"
    assert entry["Exec"]  # points at this interpreter; checked in detail below
    icons = data_home / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "fmaplayer.svg").is_file()
    for size in (16, 32, 48, 128, 256, 512):
        assert (icons / f"{size}x{size}" / "apps" / "fmaplayer.png").is_file()
    assert "Installed" in capsys.readouterr().out

    assert desktop_entry.main(install=False) == 0
    assert not (data_home / "applications" / "fmaplayer.desktop").exists()
    assert not list(icons.rglob("fmaplayer.*"))
    assert desktop_entry.main(install=False) == 0  # nothing left to remove is fine
    assert "No fmaplayer desktop entry" in capsys.readouterr().out


def test_installing_twice_replaces_the_entry(data_home):
    desktop_entry.install_entry(command=["/old/fmaplayer"])
    desktop_entry.install_entry(command=["/new/fmaplayer"])
    assert read_entry(data_home)["Exec"] == "/new/fmaplayer"
    assert not list((data_home / "applications").glob("*.tmp"))


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate is not installed (apt-get install desktop-file-utils)")
def test_installed_entry_validates_with_a_path_that_needs_quoting(data_home):
    command = ["/opt/My Apps/python3", "-m", "fmaplayer"]
    desktop_entry.install_entry(command=command)
    path = data_home / "applications" / "fmaplayer.desktop"
    result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert read_entry(data_home)["Exec"] == '"/opt/My Apps/python3" -m fmaplayer'


def test_exec_quoting_follows_the_spec():
    assert desktop_entry.quote_exec_arg("/usr/bin/fmaplayer") == "/usr/bin/fmaplayer"
    assert desktop_entry.quote_exec_arg("/a b/c") == '"/a b/c"'
    assert desktop_entry.quote_exec_arg('/a"$`\\b') == '"/a\\"\\$\\`\\\\b"'
    assert desktop_entry.quote_exec_arg("/100%/x") == "/100%%/x"


def test_launch_command_uses_the_bundle_executable_when_frozen(monkeypatch, tmp_path):
    exe = tmp_path / "fmaplayer"
    exe.write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    assert desktop_entry.launch_command() == [str(exe.resolve())]


def test_launch_command_prefers_the_gui_script_next_to_the_interpreter(monkeypatch, tmp_path):
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_text("")
    monkeypatch.setattr(sys, "executable", str(python))
    assert desktop_entry.launch_command() == [str(python), "-m", "fmaplayer"]
    script = tmp_path / "bin" / "fmaplayer-gui"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert desktop_entry.launch_command() == [str(script)]


def test_relative_xdg_data_home_is_ignored(monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    assert desktop_entry.xdg_data_home() == Path.home() / ".local" / "share"


def test_unwritable_data_home_reports_and_exits_1(monkeypatch, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))  # a file where a folder must go
    assert desktop_entry.main(install=True) == 1
    assert "could not install" in capsys.readouterr().err
