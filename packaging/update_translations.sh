#!/bin/sh
# Regenerate the translations of the desktop client:
#   omniinbox/resources/translations/omniinbox_<lang>.ts  (lupdate over omniinbox/ui; existing
#                                                         translations are kept, new strings are
#                                                         marked unfinished for a translator)
#   omniinbox/resources/translations/omniinbox_<lang>.qm  (lrelease: what the application loads)
#
#   packaging/update_translations.sh            # every language
#   packaging/update_translations.sh id         # only Bahasa Indonesia
#
# Translate the new strings with Qt Linguist (.venv/bin/pyside6-linguist FILE.ts) or a text
# editor, run this again, and commit both files. tests/ui/test_ui_settings.py fails while any
# string is left unfinished.
#
# A module that translates through a module-level helper,
#     def tr(text): return QCoreApplication.translate("RadarPage", text)
# would be read by lupdate without a context (it cannot see through the helper), and the helper
# would never find its strings. So lupdate reads a copy of the sources in which each call of
# such a helper is spelled out as QCoreApplication.translate("RadarPage", ...).
set -eu
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
OUT=omniinbox/resources/translations
LANGS="${*:-id}"
COPY="$(mktemp -d)"
trap 'rm -rf "$COPY"' EXIT
mkdir -p "$OUT" "$COPY/ui/models"
"$BIN/python" - "$COPY" <<'PY'
import re
import sys
from pathlib import Path

HELPER = re.compile(r"^def tr\(.*?\).*?:\s*\n\s+return QCoreApplication\.translate\(\"(\w+)\", \w+\)", re.M)
CALL = re.compile(r"(?<![\w.])(?<!def )tr\(")
copy = Path(sys.argv[1])
for source in [*Path("omniinbox/ui").glob("*.py"), *Path("omniinbox/ui/models").glob("*.py")]:
    text = source.read_text(encoding="utf-8")
    helper = HELPER.search(text)
    if helper is not None:
        text = CALL.sub(f'QCoreApplication.translate("{helper.group(1)}", ', text)
    (copy / source.relative_to("omniinbox")).write_text(text, encoding="utf-8")
PY
for lang in $LANGS; do
    ts="$(pwd)/$OUT/omniinbox_$lang.ts"
    (cd "$COPY" && "$OLDPWD/$BIN/pyside6-lupdate" -locations none -no-obsolete -source-language en \
        -target-language "$lang" ui/*.py ui/models/*.py -ts "$ts")
    "$BIN/pyside6-lrelease" "$ts" -qm "$OUT/omniinbox_$lang.qm"
done
