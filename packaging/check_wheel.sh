#!/usr/bin/env bash
# Build the wheel and sdist, install the wheel into a fresh virtual environment outside the
# checkout, and run the demo from it: the headless demo sync, then the window for a few seconds
# (offscreen), which must still be running when it is stopped.
#
#     packaging/check_wheel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q build
rm -rf dist/wheel
.venv/bin/python -m build --outdir dist/wheel . >/dev/null
wheel=$(ls dist/wheel/omniinbox-*.whl)
echo "built: $(ls dist/wheel | tr '\n' ' ')"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel"
export HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" QT_QPA_PLATFORM=offscreen
mkdir -p "$HOME"
cd "$work"  # nothing of the checkout on the path
"$work/venv/bin/omniinbox" --version
"$work/venv/bin/omniinbox" sync --demo --once
set +e
timeout 10 "$work/venv/bin/omniinbox" --demo
status=$?
set -e
if [ "$status" -ne 124 ]; then
    echo "omniinbox --demo from the wheel stopped by itself (exit $status) instead of running" >&2
    exit 1
fi
echo "omniinbox --demo ran from the wheel until stopped"
"$work/venv/bin/omniinbox" stats --demo
