#!/bin/sh
# `make install-user`: puts `fmaplayer` on this user's PATH and in the desktop's launcher, from this checkout's
# venv, without root. Idempotent: running it again rewrites the same files and says so.
#   install-user.sh            ~/.local/bin/fmaplayer (a two-line script that execs the venv's fmaplayer)
#                              + the desktop entry and icons (fmaplayer --install-desktop-entry)
#   install-user.sh uninstall  removes both (a ~/.local/bin/fmaplayer that is not ours is left alone)
# FMAPLAYER_BIN: the venv's console script (the Makefile passes .venv/bin/fmaplayer as an absolute path).
set -u
MARKER="# fmaplayer launcher, written by 'make install-user'"
BIN_DIR="$HOME/.local/bin"
LAUNCHER="$BIN_DIR/fmaplayer"
target="${FMAPLAYER_BIN:-}"

ours() { [ -f "$LAUNCHER" ] && grep -qF "$MARKER" "$LAUNCHER"; }

if [ "${1:-}" = "uninstall" ]; then
    if ours; then
        rm -f "$LAUNCHER" && echo "Removed $LAUNCHER"
    elif [ -e "$LAUNCHER" ]; then
        echo "Left $LAUNCHER alone: make install-user did not write it."
    else
        echo "No launcher at $LAUNCHER"
    fi
    if [ -n "$target" ] && [ -x "$target" ]; then
        "$target" --uninstall-desktop-entry
    fi
    exit 0
fi

if [ -z "$target" ] || [ ! -x "$target" ]; then
    echo "fmaplayer is not installed in the venv yet (${target:-FMAPLAYER_BIN unset}): run 'make run' or 'make install-user' from the checkout." >&2
    exit 1
fi
case "$target" in
    /*) ;;
    *) target="$(cd "$(dirname "$target")" && pwd)/$(basename "$target")" ;;
esac

if [ -e "$LAUNCHER" ] && ! ours; then
    echo "$LAUNCHER exists and was not written by make install-user (another fmaplayer?); left as it is." >&2
    echo "Remove it and run make install-user again, or start this one as $target" >&2
    exit 1
fi

quoted=$(printf "%s" "$target" | sed "s/'/'\\\\''/g")
content=$(cat <<EOF
#!/bin/sh
$MARKER
exec '$quoted' "\$@"
EOF
)

mkdir -p "$BIN_DIR" || exit 1
if ours && [ "$(cat "$LAUNCHER")" = "$content" ]; then
    echo "Launcher already up to date: $LAUNCHER -> $target"
else
    tmp="$LAUNCHER.tmp.$$"
    printf "%s\n" "$content" > "$tmp" && chmod 755 "$tmp" && mv -f "$tmp" "$LAUNCHER" || { rm -f "$tmp"; exit 1; }
    echo "Installed the launcher $LAUNCHER -> $target"
fi

case ":${PATH:-}:" in
    *":$BIN_DIR:"* | *":$BIN_DIR/:"*)
        echo "$BIN_DIR is on your PATH: 'fmaplayer' starts the app, 'fmaplayer --help' lists its commands." ;;
    *)
        echo "$BIN_DIR is NOT on your PATH yet, so 'fmaplayer' alone is not found. Many systems add it at the"
        echo "next login once the folder exists (~/.profile); otherwise add this line to ~/.profile or ~/.bashrc:"
        echo "    export PATH=\"\$HOME/.local/bin:\$PATH\""
        echo "Until then start it as $LAUNCHER" ;;
esac

"$target" --install-desktop-entry
