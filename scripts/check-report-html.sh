#!/usr/bin/env bash
# Opens a GridLedger report.html in headless Chromium (Debian's `chromium`) and checks that it renders:
#   - Chromium loads the file and serialises its DOM (exit status 0, a <body> in the DOM);
#   - every <svg> chart of the file is in the rendered DOM (the reports use no JavaScript, so the browser's
#     parse of the markup is what there is to check), and there is at least one unless --no-svg-expected;
#   - no JavaScript or console error was logged (Uncaught ..., CONSOLE ... error);
#   - the screenshot, when asked for, is a non-trivial PNG.
# Usage: scripts/check-report-html.sh FILE.html [SCREENSHOT.png] [--no-svg-expected]
# REPORT_WINDOW_SIZE=W,H changes the screenshot size (default 1280,2000).
# Exit status: 0 renders, 1 a check failed, 2 usage error, 3 chromium not installed (setup.sh installs it).
set -euo pipefail

usage() { echo "usage: $0 FILE.html [SCREENSHOT.png] [--no-svg-expected]" >&2; exit 2; }
file=""
screenshot=""
expect_svg=1
for argument in "$@"; do
    case "$argument" in
        --no-svg-expected) expect_svg=0 ;;
        -*) usage ;;
        *) if [ -z "$file" ]; then file="$argument"; elif [ -z "$screenshot" ]; then screenshot="$argument"; else usage; fi ;;
    esac
done
[ -n "$file" ] || usage
[ -f "$file" ] || { echo "check-report-html: $file: no such file" >&2; exit 1; }
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "check-report-html: chromium not found (apt-get install chromium, or scripts/setup.sh)" >&2; exit 3; }

absolute="$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A throw-away profile, no network, no GPU: the page must render from the file alone.
flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions --user-data-dir="$work/profile"
    --proxy-server="127.0.0.1:9" --proxy-bypass-list="<-loopback>" --enable-logging=stderr --v=0
    --virtual-time-budget=5000)

if ! timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$absolute" >"$work/dom.html" 2>"$work/dom.log"; then
    echo "check-report-html: chromium failed on $file:" >&2
    tail -20 "$work/dom.log" >&2
    exit 1
fi
failed=0
if ! grep -q "<body" "$work/dom.html"; then
    echo "check-report-html: $file: the rendered DOM has no <body>" >&2
    failed=1
fi
# grep exits 1 when it finds nothing, which pipefail would turn into the script's failure: a count of 0 is a count.
in_file="$({ grep -o "<svg" "$file" || true; } | wc -l)"
in_dom="$({ grep -o "<svg" "$work/dom.html" || true; } | wc -l)"
if [ "$in_dom" -ne "$in_file" ]; then
    echo "check-report-html: $file has $in_file <svg> charts but the browser's DOM has $in_dom" >&2
    failed=1
fi
if [ "$expect_svg" -eq 1 ] && [ "$in_dom" -eq 0 ]; then
    echo "check-report-html: $file: no <svg> chart rendered" >&2
    failed=1
fi
if grep -E "Uncaught|CONSOLE\([0-9]+\).*(rror|rejected)|:ERROR:CONSOLE" "$work/dom.log" >&2; then
    echo "check-report-html: $file: JavaScript or console errors (above)" >&2
    failed=1
fi
if [ -n "$screenshot" ]; then
    mkdir -p "$(dirname "$screenshot")"
    target="$(cd "$(dirname "$screenshot")" && pwd)/$(basename "$screenshot")"
    if ! timeout 120 "$browser" "${flags[@]}" --hide-scrollbars --window-size="${REPORT_WINDOW_SIZE:-1280,2000}" \
        --screenshot="$target" "file://$absolute" >"$work/shot.log" 2>&1; then
        echo "check-report-html: chromium could not take the screenshot:" >&2
        tail -20 "$work/shot.log" >&2
        failed=1
    elif [ ! -s "$target" ] || [ "$(stat -c %s "$target")" -lt 10000 ]; then
        echo "check-report-html: screenshot $screenshot is missing or nearly empty" >&2
        failed=1
    fi
fi
[ "$failed" -eq 0 ] || exit 1
echo "check-report-html: $file renders: $in_dom SVG charts${screenshot:+, screenshot $screenshot}"
