"""`fmaplayer --install-desktop-entry` / `--uninstall-desktop-entry`: a launcher entry for this user.

Installs $XDG_DATA_HOME/applications/fmaplayer.desktop (from packaging/fmaplayer.desktop, with Exec
pointing at the fmaplayer that is running now: the bundle's executable, the venv's `fmaplayer-gui` script, or
`python -m fmaplayer`) and the icon into $XDG_DATA_HOME/icons/hicolor/<size>/apps, then refreshes the
desktop database when update-desktop-database is present. Stdlib only: it must work without Qt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

DESKTOP_FILE_NAME = "fmaplayer.desktop"
ICON_NAME = "fmaplayer"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def data_root() -> Path:
    """Where packaging/ and resources/ live: the bundle's folder when frozen, else the source checkout."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parents[1]


def xdg_data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    # The spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / ".local" / "share"


def quote_exec_arg(arg: str) -> str:
    """Quote one Exec argument as the Desktop Entry spec asks (and escape '%' for the field codes)."""
    arg = arg.replace("%", "%%")
    if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`="):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


def launch_command() -> list[str]:
    """The argv that starts the GUI of the fmaplayer running now."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    bin_dir = Path(sys.executable).parent
    for script in ("fmaplayer-gui", "fmaplayer"):  # console scripts of `pip install -e .`
        candidate = bin_dir / script
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "fmaplayer"]


def render_entry(template: str, command: list[str]) -> str:
    """The template with its Exec (and TryExec) lines replaced by `command`."""
    exec_line = "Exec=" + " ".join(quote_exec_arg(a) for a in command)
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            lines.append(exec_line)
            lines.append(f"TryExec={command[0]}")
        elif not line.startswith("TryExec="):
            lines.append(line)
    return "\n".join(lines) + "\n"


def installed_paths(data_home: Path) -> list[Path]:
    icons = data_home / "icons" / "hicolor"
    paths = [data_home / "applications" / DESKTOP_FILE_NAME, icons / "scalable" / "apps" / f"{ICON_NAME}.svg"]
    paths += [icons / f"{n}x{n}" / "apps" / f"{ICON_NAME}.png" for n in PNG_SIZES]
    return paths


def _refresh_caches(data_home: Path) -> None:
    # Launchers watch these folders, but the mime/desktop cache and the icon cache may need a nudge.
    applications = data_home / "applications"
    tool = shutil.which("update-desktop-database")
    if tool and applications.is_dir():
        subprocess.run([tool, "-q", str(applications)], check=False, timeout=30)
    hicolor = data_home / "icons" / "hicolor"
    if hicolor.is_dir():
        os.utime(hicolor)  # icon caches compare the theme folder's mtime
        gtk_cache = shutil.which("gtk-update-icon-cache")
        if gtk_cache and (hicolor / "icon-theme.cache").exists():
            subprocess.run([gtk_cache, "-q", "-t", "-f", str(hicolor)], check=False, timeout=30)


def install_entry(data_home: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Write the entry and icons; returns the files written. Raises OSError/FileNotFoundError."""
    data_home = data_home or xdg_data_home()
    root = data_root()
    template = (root / "packaging" / DESKTOP_FILE_NAME).read_text(encoding="utf-8")
    icon_dir = root / "resources" / "icons"
    entry_path, svg_path, *png_paths = installed_paths(data_home)
    written = []
    entry_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = entry_path.with_suffix(".tmp")
    tmp.write_text(render_entry(template, command or launch_command()), encoding="utf-8")
    tmp.chmod(0o755)  # some file managers only trust executable .desktop files
    os.replace(tmp, entry_path)  # a launcher watching the folder never sees half a file
    written.append(entry_path)
    sources = [(icon_dir / f"{ICON_NAME}.svg", svg_path)]
    sources += [(icon_dir / f"{ICON_NAME}-{n}.png", p) for n, p in zip(PNG_SIZES, png_paths, strict=True)]
    for source, target in sources:
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    _refresh_caches(data_home)
    return written


def uninstall_entry(data_home: Path | None = None) -> list[Path]:
    """Remove what install_entry() wrote; returns the files removed (none is not an error)."""
    data_home = data_home or xdg_data_home()
    removed = []
    for path in installed_paths(data_home):
        if path.exists():
            path.unlink()
            removed.append(path)
    _refresh_caches(data_home)
    return removed


def main(install: bool) -> int:
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        print("Desktop entries are a Linux/BSD desktop feature; nothing to do on this platform.")
        return 0
    try:
        if install:
            written = install_entry()
            print(f"Installed {written[0]} and {len(written) - 1} icon files; fmaplayer is in the launcher.")
        else:
            removed = uninstall_entry()
            print(f"Removed {len(removed)} files." if removed else "No fmaplayer desktop entry was found.")
    except OSError as exc:
        print(f"fmaplayer: could not {'install' if install else 'remove'} the desktop entry: {exc}",
              file=sys.stderr)
        return 1
    return 0
