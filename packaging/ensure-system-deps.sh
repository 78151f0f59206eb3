#!/bin/sh
# Installs the system packages fmaplayer needs when they are missing and the platform allows it;
# otherwise says what is missing. Never fails the build: the app runs without sound (null output).
#   ensure-system-deps.sh        PortAudio (sound output)
#   ensure-system-deps.sh test   also the tools some tests use (desktop-file-validate, appstreamcli, dbus-daemon)
[ "$(uname -s)" = "Linux" ] || exit 0
missing=""
ldconfig -p 2>/dev/null | grep -q 'libportaudio\.so' || missing="libportaudio2"
if [ "${1:-}" = "test" ]; then
    command -v desktop-file-validate >/dev/null 2>&1 || missing="$missing desktop-file-utils"
    command -v appstreamcli >/dev/null 2>&1 || missing="$missing appstream"
    command -v dbus-daemon >/dev/null 2>&1 || missing="$missing dbus"
fi
[ -n "$missing" ] || exit 0

SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
if { [ "$(id -u)" = "0" ] || [ -n "$SUDO" ]; } && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages:$missing"
    # shellcheck disable=SC2086
    if $SUDO apt-get install -y -qq $missing >/dev/null 2>&1 \
       || { $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq $missing >/dev/null 2>&1; }; then
        exit 0
    fi
fi
echo "NOTE: missing system packages:$missing (could not install them here)."
echo "      Without libportaudio2 fmaplayer runs without sound; tests needing the other tools are skipped."
echo "      Install with your package manager, e.g.: sudo apt-get install$missing"
echo "      (Fedora: portaudio desktop-file-utils appstream dbus-daemon; Arch: portaudio desktop-file-utils appstream dbus)"
exit 0
