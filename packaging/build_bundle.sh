#!/usr/bin/env bash
# Builds the one-folder PyInstaller bundle of convdesigner and checks it.
#
#   packaging/build_bundle.sh            # -> build/bundle/dist/convdesigner/convdesigner
#   packaging/build_bundle.sh --head     # the same from the last commit (git archive HEAD), not the work tree
#
# Steps: a fresh venv (so only the app and its dependencies get bundled), `pip install . pyinstaller` from
# PyPI, PyInstaller with packaging/convdesigner.spec, the bundle's size, then `convdesigner --self-test` run
# from the fresh bundle (offscreen). Exit status: 0 when the bundle built and its self-test passed.
#
# Environment: PYTHON (default python3, 3.10 or newer), CONVDESIGNER_BUILD_DIR (default build/bundle),
# PYINSTALLER_SPEC (default pyinstaller, e.g. "pyinstaller==6.22.3" to pin it).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
build="${CONVDESIGNER_BUILD_DIR:-$root/build/bundle}"
mkdir -p "$build"
build="$(cd "$build" && pwd)"
venv="$build/venv"
dist="$build/dist"
source="$root"
if [ "${1:-}" = "--head" ]; then
    source="$build/source"
    rm -rf "$source" && mkdir -p "$source"
    git -C "$root" archive HEAD | tar -x -C "$source"
    echo "== source: $(git -C "$root" rev-parse --short HEAD) (last commit)"
elif [ -n "${1:-}" ]; then
    echo "usage: $0 [--head]" >&2
    exit 2
fi

echo "== venv: $venv"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
echo "== installing convdesigner and ${PYINSTALLER_SPEC:-pyinstaller} from PyPI"
"$venv/bin/python" -m pip install -q "$source" "${PYINSTALLER_SPEC:-pyinstaller}"
"$venv/bin/python" -m pip list --format=freeze | grep -iE '^(convdesigner|pyinstaller|pyside6[-_]essentials|shiboken6|pyyaml|pillow)=' || true

echo "== building"
rm -rf "$dist" "$build/work"
started=$SECONDS
# From the build folder: run from the checkout, `python -m` would put its convdesigner/ (which has no
# resources package) ahead of the installed one.
cd "$build"
"$venv/bin/python" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$dist" --workpath "$build/work" "$source/packaging/convdesigner.spec"
echo "built in $((SECONDS - started)) s"

bundle="$dist/convdesigner"
program="$bundle/convdesigner"
[ -x "$program" ] || { echo "no program at $program" >&2; exit 1; }

# The Linux desktop integration travels with the bundle: DIR/linux/install.sh installs that bundle.
mkdir -p "$bundle/linux"
cp "$source/packaging/linux/install.sh" "$source/packaging/linux/convdesigner.desktop" \
    "$source/packaging/linux/io.github.convdesigner.convdesigner.metainfo.xml" "$bundle/linux/"

echo "== size"
du -sh "$bundle" | awk '{print "bundle: " $1 " in '"$bundle"'"}'
echo "largest parts:"
du -ah "$bundle/_internal" | sort -rh | sed -n '2,11p'

cd "$root"
echo "== self-test of the fresh bundle"
env -u PYTHONPATH -u PYTHONHOME QT_QPA_PLATFORM=offscreen "$program" --self-test
echo "== inspect from the bundle"
"$program" inspect "$source/resources/examples/dcgan-generator.yaml" | tail -n 3
echo "bundle OK: $program"
