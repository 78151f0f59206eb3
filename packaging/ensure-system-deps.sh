#!/bin/sh
# Installs the system packages fmaplayer needs when they are missing and the platform allows it;
# otherwise says what is missing. Never fails the build: the app runs without sound (null output).
#   ensure-system-deps.sh        PortAudio (sound output) and the libraries of Qt's xcb platform plugin
#   ensure-system-deps.sh test   also the tools some tests use (desktop-file-validate, appstreamcli, dbus-daemon)
# FMAPLAYER_PYTHON: the Python whose PySide6 is checked (default: python3).
# FMAPLAYER_SYSTEM_DEPS=print: only say what is missing, install nothing.
[ "$(uname -s)" = "Linux" ] || exit 0
missing=""
ldconfig -p 2>/dev/null | grep -q 'libportaudio\.so' || missing="libportaudio2"

# Qt's xcb plugin (the X11 window) links libraries a minimal desktop may lack (libxcb-cursor0 since Qt 6.5,
# libxcb-icccm4, libxcb-keysyms1, ...): ldd names each missing one; Debian's package is the soname with
# its version appended ("libxcb-cursor.so.0" -> libxcb-cursor0, "libxkbcommon-x11.so.0" -> libxkbcommon-x11-0).
xcb_plugin=$("${FMAPLAYER_PYTHON:-python3}" -c 'import os, PySide6
print(os.path.join(os.path.dirname(PySide6.__file__), "Qt", "plugins", "platforms", "libqxcb.so"))' 2>/dev/null)
xcb_missing=""
if [ -n "$xcb_plugin" ] && [ -f "$xcb_plugin" ] && command -v ldd >/dev/null 2>&1; then
    for soname in $(ldd "$xcb_plugin" 2>/dev/null | awk '/not found/ {print $1}' | sort -u); do
        case "$soname" in
            libglib-2.0.so.*) package="libglib2.0-0" ;;
            libgthread-2.0.so.*) package="libglib2.0-0" ;;
            *) package=$(echo "$soname" | tr 'A-Z' 'a-z' \
                         | sed -e 's/\.so\.\([0-9.]*\)$/ \1/' -e 's/\([0-9]\) \([0-9]\)/\1-\2/' -e 's/ //') ;;
        esac
        case " $xcb_missing " in *" $package "*) ;; *) xcb_missing="$xcb_missing $package" ;; esac
    done
fi
missing="$missing$xcb_missing"

if [ "${1:-}" = "test" ]; then
    command -v desktop-file-validate >/dev/null 2>&1 || missing="$missing desktop-file-utils"
    command -v appstreamcli >/dev/null 2>&1 || missing="$missing appstream"
    command -v dbus-daemon >/dev/null 2>&1 || missing="$missing dbus"
fi
missing=$(echo "$missing" | sed 's/^ *//')
[ -n "$missing" ] || exit 0

SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
if [ "${FMAPLAYER_SYSTEM_DEPS:-}" != "print" ] && { [ "$(id -u)" = "0" ] || [ -n "$SUDO" ]; } \
   && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: $missing"
    # shellcheck disable=SC2086
    if $SUDO apt-get install -y -qq $missing >/dev/null 2>&1 \
       || { $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq $missing >/dev/null 2>&1; }; then
        exit 0
    fi
fi
echo "NOTE: missing system packages: $missing (could not install them here)."
echo "      Without libportaudio2 fmaplayer runs without sound; without the libxcb/libxkbcommon packages"
echo "      Qt cannot open a window on X11; tests needing the other tools are skipped."
echo "      Install with your package manager, e.g.: sudo apt-get install $missing"
echo "      (Fedora: portaudio xcb-util-cursor xcb-util-wm xcb-util-keysyms desktop-file-utils appstream dbus-daemon;"
echo "       Arch: portaudio xcb-util-cursor xcb-util-wm xcb-util-keysyms desktop-file-utils appstream dbus)"
exit 0
