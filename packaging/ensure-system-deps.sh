#!/bin/sh
# Installs the system libraries fmaplayer needs when they are missing and the platform allows it;
# otherwise says what is missing. Never fails the build: the app runs without sound (null output).
[ "$(uname -s)" = "Linux" ] || exit 0
if ldconfig -p 2>/dev/null | grep -q 'libportaudio\.so'; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
fi
if [ "$(id -u)" = "0" ] || [ -n "$SUDO" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "Installing PortAudio (libportaudio2) for sound output..."
        { $SUDO apt-get install -y -qq libportaudio2 >/dev/null 2>&1 || { $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq libportaudio2 >/dev/null 2>&1; }; } && exit 0
    elif command -v dnf >/dev/null 2>&1; then $SUDO dnf install -y -q portaudio && exit 0
    elif command -v pacman >/dev/null 2>&1; then $SUDO pacman -S --noconfirm --needed portaudio && exit 0
    elif command -v zypper >/dev/null 2>&1; then $SUDO zypper -n install libportaudio2 && exit 0
    fi
fi
echo "NOTE: PortAudio's library (libportaudio2) is missing and could not be installed here."
echo "      fmaplayer will run without sound. Install it with your package manager, e.g."
echo "      sudo apt-get install libportaudio2   |   sudo dnf install portaudio   |   sudo pacman -S portaudio"
exit 0
