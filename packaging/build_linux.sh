#!/usr/bin/env bash
# Build the Linux one-folder bundle and prove it runs without the build environment.
#
#     packaging/build_linux.sh            # -> dist/omniinbox/ and dist/omniinbox-<version>-linux-x86_64.tar.gz
#
# Uses .venv (created if missing) with the project and its `package` extra. The check runs the
# bundle with an empty environment (no PYTHONPATH, no virtual environment on PATH, a fresh HOME).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e ".[package]"
version=$(.venv/bin/python -c "import omniinbox; print(omniinbox.__version__)")
rm -rf dist/omniinbox build/pyinstaller
.venv/bin/pyinstaller --noconfirm --clean --log-level ERROR --distpath dist --workpath build/pyinstaller packaging/omniinbox.spec

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
run() { env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen dist/omniinbox/omniinbox "$@"; }
run --version
run selfcheck

arch=$(uname -m)
tar -C dist -czf "dist/omniinbox-${version}-linux-${arch}.tar.gz" omniinbox
echo "bundle: $(du -sh dist/omniinbox | cut -f1) in dist/omniinbox ($(du -b -s dist/omniinbox | cut -f1) bytes)," \
     "archive $(du -h "dist/omniinbox-${version}-linux-${arch}.tar.gz" | cut -f1)"
