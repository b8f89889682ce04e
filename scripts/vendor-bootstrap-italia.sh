#!/bin/sh
# Re-fetch the Bootstrap Italia files the app serves (workflow/static/vendor/bootstrap-italia).
#
# They are committed, not installed at build time: the app and CI run without network and without
# npm in the Python toolchain, and the files served are exactly the reviewed ones. Run this by
# hand (npm needed) to refresh them or to move to another version, then update VERSION there,
# check the pages in a browser (make e2e) and commit. Not called by make.
#
# usage: scripts/vendor-bootstrap-italia.sh [version]     (default: the one in VERSION)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/workflow/static/vendor/bootstrap-italia"
version=${1:-$(cat "$dest/VERSION")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "bootstrap-italia@$version" >/dev/null && tar xzf bootstrap-italia-*.tgz)
src="$work/package/dist"

rm -rf "$dest/css" "$dest/js" "$dest/svg" "$dest/fonts"
mkdir -p "$dest/css" "$dest/js" "$dest/svg" "$dest/fonts/Titillium_Web" "$dest/fonts/Roboto_Mono"
cp "$work/package/LICENSE" "$dest/LICENSE"
# One change to the kit's CSS: video.js's icon font is embedded as a data: URL, which the CSP's
# font-src ('self') refuses, and Chromium fetches it even on pages with no player. The app shows
# no video: the rule is dropped (the data holds no brace, so the first "}" closes it).
sed -E 's/@font-face\{font-family:VideoJS;[^}]*\}//' "$src/css/bootstrap-italia.min.css" \
  > "$dest/css/bootstrap-italia.min.css"
cp "$src/js/bootstrap-italia.bundle.min.js" "$dest/js/"
cp "$src/svg/sprites.svg" "$dest/svg/"
# Only the woff2 faces workflow/static/fonts.css declares (every browser the app supports reads
# woff2), with their licences: Titillium Web under the SIL OFL 1.1, Roboto Mono under Apache-2.0.
for weight in 300 regular italic 600 700; do
  cp "$src/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-$weight.woff2" "$dest/fonts/Titillium_Web/"
done
cp "$src/fonts/Titillium_Web/OFL.txt" "$dest/fonts/Titillium_Web/"
for weight in regular 700; do
  cp "$src/fonts/Roboto_Mono/roboto-mono-v13-latin-ext_latin-$weight.woff2" "$dest/fonts/Roboto_Mono/"
done
cp "$src/fonts/Roboto_Mono/LICENSE.txt" "$dest/fonts/Roboto_Mono/"
echo "$version" > "$dest/VERSION"
(cd "$dest" && find css js svg fonts -type f | sort | xargs sha256sum > SHA256SUMS)
echo "Bootstrap Italia $version copied to $dest"
