#!/usr/bin/env bash
# Install the built bundle for all users (or under another prefix):
#
#     sudo packaging/linux/install.sh [/usr/local]
#
# Puts the bundle in PREFIX/lib/omniinbox, the command in PREFIX/bin, the desktop entry, the
# AppStream metainfo and the icons where desktop environments look for them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
prefix="${1:-/usr/local}"
[ -x "$root/dist/omniinbox/omniinbox" ] || { echo "build first: packaging/build_linux.sh" >&2; exit 1; }
install -d "$prefix/lib" "$prefix/bin" "$prefix/share/applications" "$prefix/share/metainfo"
rm -rf "$prefix/lib/omniinbox"
cp -a "$root/dist/omniinbox" "$prefix/lib/omniinbox"
ln -sf "$prefix/lib/omniinbox/omniinbox" "$prefix/bin/omniinbox"
install -m 644 "$here/org.omniinbox.OmniInbox.desktop" "$prefix/share/applications/"
install -m 644 "$here/org.omniinbox.OmniInbox.metainfo.xml" "$prefix/share/metainfo/"
for size in 16 24 32 48 64 128 256 512; do
    dir="$prefix/share/icons/hicolor/${size}x${size}/apps"
    install -d "$dir"
    install -m 644 "$root/omniinbox/resources/icons/omniinbox-${size}.png" "$dir/org.omniinbox.OmniInbox.png"
done
install -d "$prefix/share/icons/hicolor/scalable/apps"
install -m 644 "$root/omniinbox/resources/icons/omniinbox.svg" "$prefix/share/icons/hicolor/scalable/apps/org.omniinbox.OmniInbox.svg"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$prefix/share/applications" || true
echo "installed in $prefix"
