"""The shipped .desktop entry, AppStream metainfo and icons are valid."""

from __future__ import annotations

import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "packaging" / "fmaplayer.desktop"
METAINFO = ROOT / "packaging" / "io.github.fmaplayer.metainfo.xml"
ICONS = ROOT / "resources" / "icons"


def desktop_keys(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line and not line.startswith("#"))


def test_desktop_entry_has_the_launcher_keys():
    keys = desktop_keys(DESKTOP)
    assert keys["Type"] == "Application"
    assert keys["Icon"] == "fmaplayer"
    assert keys["Terminal"] == "false"
    assert "Player" in keys["Categories"].split(";")
    assert keys["Exec"].split()[0] == "fmaplayer"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate is not installed (apt-get install desktop-file-utils)")
def test_desktop_entry_validates():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in (result.stdout + result.stderr).lower()


@pytest.mark.skipif(shutil.which("appstreamcli") is None,
                    reason="appstreamcli is not installed (apt-get install appstream)")
def test_metainfo_validates():
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_names_the_desktop_entry_and_icon():
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == "io.github.fmaplayer"
    assert root.find("launchable").text == DESKTOP.name
    assert root.findtext("icon") == desktop_keys(DESKTOP)["Icon"]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_icon_svg_and_png_sizes_exist():
    svg = ET.parse(ICONS / "fmaplayer.svg").getroot()
    assert svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 256 256"
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        assert png_size(ICONS / f"fmaplayer-{size}.png") == (size, size)
