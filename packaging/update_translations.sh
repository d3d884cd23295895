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
set -eu
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
OUT=omniinbox/resources/translations
LANGS="${*:-id}"
mkdir -p "$OUT"
for lang in $LANGS; do
    "$BIN/pyside6-lupdate" -locations none -no-obsolete -source-language en -target-language "$lang" \
        omniinbox/ui/*.py omniinbox/ui/models/*.py -ts "$OUT/omniinbox_$lang.ts"
    "$BIN/pyside6-lrelease" "$OUT/omniinbox_$lang.ts" -qm "$OUT/omniinbox_$lang.qm"
done
