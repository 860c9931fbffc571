#!/bin/sh
# Installs convdesigner into the desktop of the current user (no root needed): the launcher, the .desktop
# entry, the AppStream metadata and the icon in every hicolor size. Undo it with --uninstall.
#
#   install.sh                     # for a pip install: finds convdesigner-gui on PATH
#   install.sh --exec PROGRAM      # the same with an explicit program (e.g. a venv's bin/convdesigner-gui)
#   install.sh --bundle DIR        # copies a PyInstaller bundle (DIR/convdesigner) to PREFIX/lib/convdesigner
#   install.sh --uninstall         # removes everything the install put there
#   --prefix PREFIX                # default ~/.local (so ~/.local/bin, ~/.local/share/applications, ...)
#
# Run from a bundle's linux/ folder, it installs that bundle. Files it writes carry a marker so that
# --uninstall removes only what it installed.
set -eu

MARKER="installed by convdesigner's install.sh"
SIZES="16 32 48 64 128 256 512"
DESKTOP_ID="convdesigner.desktop"
METAINFO="io.github.convdesigner.convdesigner.metainfo.xml"

here="$(cd "$(dirname "$0")" && pwd)"
prefix="${HOME}/.local"
bundle=""
program=""
action="install"

die() { echo "install.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a folder"; prefix="$2"; shift 2 ;;
        --bundle) [ $# -ge 2 ] || die "--bundle needs the bundle's folder"; bundle="$2"; shift 2 ;;
        --exec) [ $# -ge 2 ] || die "--exec needs a program"; program="$2"; shift 2 ;;
        --uninstall) action="uninstall"; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

bin="$prefix/bin"
applications="$prefix/share/applications"
metainfo="$prefix/share/metainfo"
icons="$prefix/share/icons/hicolor"
libdir="$prefix/lib/convdesigner"

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q "$applications" || true; fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t "$icons" || true; fi
}

ours() {  # a file or link this script installed
    [ -L "$1" ] && readlink "$1" | grep -q "^$libdir/" && return 0
    [ -f "$1" ] && grep -q "$MARKER" "$1" 2>/dev/null
}

uninstall() {
    for name in convdesigner convdesigner-gui; do
        if ours "$bin/$name"; then rm -f "$bin/$name"; echo "removed $bin/$name"; fi
    done
    for file in "$applications/$DESKTOP_ID" "$metainfo/$METAINFO"; do
        if ours "$file"; then rm -f "$file"; echo "removed $file"; fi
    done
    for size in $SIZES; do
        rm -f "$icons/${size}x${size}/apps/convdesigner.png"
    done
    rm -f "$icons/scalable/apps/convdesigner.svg"
    echo "removed the icons from $icons"
    if [ -f "$libdir/.convdesigner-install" ]; then rm -rf "$libdir"; echo "removed $libdir"; fi
    refresh_caches
}

if [ "$action" = "uninstall" ]; then
    uninstall
    exit 0
fi

# Where the program and the icons come from.
if [ -z "$bundle" ] && [ -z "$program" ] && [ -x "$here/../convdesigner" ] && [ -d "$here/../_internal" ]; then
    bundle="$here/.."  # run from a bundle's linux/ folder
fi
if [ -n "$bundle" ]; then
    bundle="$(cd "$bundle" && pwd)"
    [ -x "$bundle/convdesigner" ] || die "$bundle is not a convdesigner bundle (no convdesigner program in it)"
    icon_source="$bundle/_internal/convdesigner/resources/icons"
else
    if [ -z "$program" ]; then
        program="$(command -v convdesigner-gui || true)"
        [ -n "$program" ] || die "convdesigner-gui is not on PATH: 'pip install convdesigner' first, or use --exec PROGRAM or --bundle DIR"
    fi
    [ -x "$program" ] || die "$program is not an executable program"
    program="$(cd "$(dirname "$program")" && pwd)/$(basename "$program")"
    icon_source="$here/../../resources/icons"
fi
[ -f "$icon_source/convdesigner.svg" ] || die "cannot find the icons (looked in $icon_source)"
[ -f "$here/$DESKTOP_ID" ] || die "cannot find $DESKTOP_ID next to this script"

mkdir -p "$bin" "$applications" "$metainfo"

# The launcher: the bundle's program (copied under PREFIX/lib), or a wrapper that runs the given program.
if [ -n "$bundle" ]; then
    if [ "$bundle" != "$libdir" ]; then
        rm -rf "$libdir"
        mkdir -p "$(dirname "$libdir")"
        cp -a "$bundle" "$libdir"
    fi
    touch "$libdir/.convdesigner-install"
    launcher="$bin/convdesigner-gui"
    for name in convdesigner convdesigner-gui; do
        if [ -e "$bin/$name" ] && ! ours "$bin/$name"; then die "$bin/$name exists and is not from this script; remove it first"; fi
        ln -sf "$libdir/convdesigner" "$bin/$name"
    done
elif [ "$program" = "$bin/convdesigner-gui" ]; then
    launcher="$program"  # pip install --user put it there already
else
    launcher="$bin/convdesigner-gui"
    if [ -e "$launcher" ] && ! ours "$launcher"; then die "$launcher exists and is not from this script; remove it first"; fi
    printf '#!/bin/sh\n# %s\nexec "%s" "$@"\n' "$MARKER" "$program" > "$launcher"
    chmod 755 "$launcher"
fi
echo "launcher: $launcher"

# The desktop entry runs the launcher by its full path: ~/.local/bin is not always on the session's PATH.
sed -e "s|^Exec=convdesigner-gui|Exec=$launcher|" -e "s|^TryExec=convdesigner-gui|TryExec=$launcher|" \
    "$here/$DESKTOP_ID" > "$applications/$DESKTOP_ID"
printf '# %s\n' "$MARKER" >> "$applications/$DESKTOP_ID"
echo "desktop entry: $applications/$DESKTOP_ID"
if [ -f "$here/$METAINFO" ]; then
    sed "2a <!-- $MARKER -->" "$here/$METAINFO" > "$metainfo/$METAINFO"
fi

for size in $SIZES; do
    mkdir -p "$icons/${size}x${size}/apps"
    cp "$icon_source/convdesigner-$size.png" "$icons/${size}x${size}/apps/convdesigner.png"
done
mkdir -p "$icons/scalable/apps"
cp "$icon_source/convdesigner.svg" "$icons/scalable/apps/convdesigner.svg"
echo "icons: $icons/{16x16,...,512x512,scalable}/apps/convdesigner"
refresh_caches
echo "convdesigner is installed for $(id -un); it appears in the applications menu (log out and in if not)."
