"""`make install-user`: a launcher in ~/.local/bin and the desktop entry; a quiet `make run` install step."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "install-user.sh"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("sh") is None,
                                reason="the launcher is a POSIX shell script for Linux desktops")


def fake_fmaplayer(folder: Path) -> Path:
    """A stand-in for the venv's console script that records how it was called."""
    folder.mkdir(parents=True)
    script = folder / "fmaplayer"
    script.write_text('#!/bin/sh\necho "fake fmaplayer: $*"\n', encoding="utf-8")
    script.chmod(0o755)
    return script


def install(home: Path, target: Path, *args: str, path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": path, "FMAPLAYER_BIN": str(target),
           "XDG_DATA_HOME": str(home / ".local" / "share")}
    return subprocess.run(["sh", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)


def test_launcher_execs_the_venv_script_and_a_second_run_changes_nothing(tmp_path):
    home = tmp_path / "home"
    target = fake_fmaplayer(tmp_path / "it's a venv" / "bin")  # a space and a quote in the path
    first = install(home, target)
    assert first.returncode == 0, first.stderr
    launcher = home / ".local" / "bin" / "fmaplayer"
    assert f"Installed the launcher {launcher} -> {target}" in first.stdout
    assert os.access(launcher, os.X_OK)
    assert "fake fmaplayer: --install-desktop-entry" in first.stdout  # the desktop entry too
    ran = subprocess.run([str(launcher), "scan", "a b"], capture_output=True, text=True, timeout=30)
    assert ran.stdout.strip() == "fake fmaplayer: scan a b"

    content = launcher.read_text(encoding="utf-8")
    again = install(home, target)
    assert again.returncode == 0, again.stderr
    assert f"Launcher already up to date: {launcher}" in again.stdout
    assert launcher.read_text(encoding="utf-8") == content


def test_says_whether_local_bin_is_on_path(tmp_path):
    home = tmp_path / "home"
    target = fake_fmaplayer(tmp_path / "venv" / "bin")
    off = install(home, target).stdout
    assert "is NOT on your PATH" in off and 'export PATH="$HOME/.local/bin:$PATH"' in off
    on = install(home, target, path=f"/usr/bin:{home}/.local/bin:/bin").stdout
    assert "is on your PATH" in on and "NOT" not in on


def test_a_foreign_launcher_is_left_alone_and_uninstall_removes_only_ours(tmp_path):
    home = tmp_path / "home"
    target = fake_fmaplayer(tmp_path / "venv" / "bin")
    launcher = home / ".local" / "bin" / "fmaplayer"
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\necho pip --user's fmaplayer\n", encoding="utf-8")
    refused = install(home, target)
    assert refused.returncode == 1 and "was not written by make install-user" in refused.stderr
    assert "pip --user" in launcher.read_text(encoding="utf-8")
    assert "Left" in install(home, target, "uninstall").stdout and launcher.exists()

    launcher.unlink()
    install(home, target)
    removed = install(home, target, "uninstall")
    assert f"Removed {launcher}" in removed.stdout and not launcher.exists()
    assert "fake fmaplayer: --uninstall-desktop-entry" in removed.stdout


def test_no_venv_yet_says_what_to_run(tmp_path):
    result = install(tmp_path / "home", tmp_path / "missing" / "fmaplayer")
    assert result.returncode == 1 and "make run" in result.stderr
    assert not (tmp_path / "home" / ".local" / "bin" / "fmaplayer").exists()


def test_the_real_venv_launcher_starts_fmaplayer(tmp_path):
    real = Path(sys.executable).parent / "fmaplayer"
    if not os.access(real, os.X_OK):
        pytest.skip("fmaplayer's console script is not installed next to this interpreter")
    home = tmp_path / "home"
    result = install(home, real)
    assert result.returncode == 0, result.stderr
    assert (home / ".local" / "share" / "applications" / "fmaplayer.desktop").is_file()
    version = subprocess.run([str(home / ".local" / "bin" / "fmaplayer"), "--version"],
                             capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("fmaplayer ")


def test_make_offers_install_user():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    command = ["make", "-n", "-C", str(ROOT), "-o", ".venv/.stamp-app", "install-user", "uninstall-user"]
    dry = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "packaging/install-user.sh" in dry.stdout and "install-user.sh uninstall" in dry.stdout


def test_package_metadata_is_the_current_licence_format():
    # A `license = { text = ... }` table made setuptools >= 77 print ~15 lines of deprecation warning
    # three times per `pip install`; the SPDX string needs setuptools >= 77 to build.
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^license = "GPL-3\.0-or-later"$', text, re.M)
    requires = re.search(r'^requires = \[(.*)\]', text, re.M).group(1)
    minimum = re.search(r'"setuptools>=(\d+)', requires)
    assert minimum and int(minimum.group(1)) >= 77
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert makefile.count("$(PIP_QUIET) $(PY) -m pip install -q -e") == 2
