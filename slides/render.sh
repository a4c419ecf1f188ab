#!/usr/bin/env bash
# Renders a Marp deck of slides/ to slides/dist/: HTML always, PDF when Chromium is found.
#
#   slides/render.sh            # slides/lab.md -> slides/dist/lab.html (+ lab.pdf)
#   slides/render.sh upcoming   # slides/upcoming.md -> slides/dist/upcoming.html (+ .pdf)
#
# marp-cli is installed on first use into slides/.marp (git-ignored), pinned below.
# Chromium: $CHROME_PATH if set, else the first of chromium, chromium-browser,
# google-chrome on PATH (`apt-get install -y chromium`). With Chromium, layout-check.cjs
# also checks that every slide fits (when it can measure). Exit status: non-zero if the HTML could not be made,
# or, with Chromium present, if the PDF could not be made or a slide does not fit.
set -euo pipefail

MARP_CLI_VERSION=4.5.1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deck="${1:-lab}"
deck="${deck%.md}"
input="$here/$deck.md"
dist="$here/dist"
prefix="$here/.marp"
marp="$prefix/node_modules/.bin/marp"

fail() {
    echo "render.sh: error: $*" >&2
    exit 1
}

[[ -f "$input" ]] || fail "no deck $input"

installed_version() {
    [[ -x "$marp" ]] || return 0
    "$marp" --version 2>/dev/null | sed -n 's/^@marp-team\/marp-cli v\([^ ]*\).*/\1/p'
}

if [[ "$(installed_version)" != "$MARP_CLI_VERSION" ]]; then
    command -v npm >/dev/null || fail "npm is needed to install marp-cli (install Node.js 18 or later)"
    echo "Installing @marp-team/marp-cli@$MARP_CLI_VERSION into $prefix ..."
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
        "@marp-team/marp-cli@$MARP_CLI_VERSION" || fail "npm could not install marp-cli"
fi
echo "Using $("$marp" --version | head -n 1)"

mkdir -p "$dist"
# The decks show the diagrams of diagrams/ and use the fonts of fonts/ by relative paths: the HTML in dist/ finds them
# beside it.
rm -rf "$dist/diagrams"
cp -R "$here/diagrams" "$dist/diagrams"
rm -rf "$dist/fonts"
cp -R "$here/fonts" "$dist/fonts"
html="$dist/$deck.html"
rm -f "$html" || true
"$marp" --no-config-file --html "$input" -o "$html" || fail "HTML rendering of $input failed"
[[ -s "$html" ]] || fail "HTML rendering of $input produced no file at $html"
echo "HTML: made $html"

browser="${CHROME_PATH:-}"
if [[ -z "$browser" ]]; then
    for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$candidate" >/dev/null; then
            browser="$(command -v "$candidate")"
            break
        fi
    done
fi

pdf="$dist/$deck.pdf"
if [[ -z "$browser" ]]; then
    rm -f "$pdf"
    echo "PDF: NOT made: no Chromium found. Install it (apt-get install -y chromium) or set CHROME_PATH."
    echo "Layout: NOT checked (it needs Chromium too)."
    exit 0
fi
[[ -x "$browser" ]] || fail "CHROME_PATH=$browser is not an executable"

# Every slide must fit: nothing cut off at the bottom, no code shrunk to fit its width.
# The check drives Chromium with timeouts: when it cannot measure at all (exit 2: Marp's
# script never settled, as happens on a loaded machine), it says so loudly and the render
# goes on; a slide measured too big (exit 1) fails the render.
layout_ok=1
layout_status=0
node "$here/layout-check.cjs" "$html" "$browser" || layout_status=$?
case "$layout_status" in
    0) ;;
    2) echo "Layout: NOT checked this time (Chromium never settled); run slides/render.sh again to check it." ;;
    *) layout_ok=0 ;;
esac
rm -f "$pdf"
CHROME_PATH="$browser" "$marp" --no-config-file --html --allow-local-files --pdf --pdf-outlines "$input" -o "$pdf" \
    || fail "PDF rendering of $input with $browser failed"
[[ -s "$pdf" ]] || fail "PDF rendering of $input produced no file at $pdf"
echo "PDF: made $pdf (with $browser)"
[[ "$layout_ok" == 1 ]] || fail "some slides of $input do not fit (see the Layout lines above): shorten them or split them"
