#!/usr/bin/env bash
# Drives the real keel binary: the demo session writes a journal; keel report turns it into one
# HTML page whose summary equals keel run's to the last decimal; headless Chromium (Debian's
# chromium package), with every host name resolving nowhere, renders it: the DOM holds the
# summary table and both SVG charts, and a screenshot is drawn. A torn journal still reports
# (exit 1), a corrupt one (exit 2) or an unwritable FILE (exit 2) does not.
set -u
. "$(dirname "$0")/lib.sh" "$@"

command -v chromium >/dev/null || fail "chromium is not installed (scripts/deps.sh installs it)"

"$KEEL" run --config "$SRC/config/demo.json" --journal "$T/j" >"$T/out" 2>"$T/err"
expect_rc 0 $? "demo run"
"$KEEL" report "$T/j" --html "$T/report.html" >"$T/rout" 2>"$T/rerr"
expect_rc 0 $? "keel report"
expect_contains "$T/rout" "wrote $T/report.html" "report says what it wrote"

# keel run's summary lines, and the report's summary cells, compared as strings.
python3 - "$T/out" "$T/report.html" <<'PY' || fail "the report's summary differs from keel run's"
import re, sys
out = open(sys.argv[1]).read()
html = open(sys.argv[2]).read()
def run_value(pattern):
    m = re.search(pattern, out)
    assert m, "keel run printed no " + pattern
    return m.group(1)
want = {
    "realized": run_value(r"P&L +realized (\S+) "),
    "fees": run_value(r"\(after fees (\S+)\)"),
    "unrealized": run_value(r"unrealized (\S+), total"),
    "total": run_value(r", total (\S+)\n"),
    "equity": run_value(r"account +equity (\S+) "),
    "cash": run_value(r", cash (\S+), max drawdown"),
    "max-drawdown": run_value(r"max drawdown (\S+);"),
    "fills": run_value(r"fills +(\d+)\n"),
    "round-trips": run_value(r"round trips (\d+) "),
    "orders-sent": run_value(r"requested, \d+ rejected by risk, (\d+) sent"),
}
for key, value in want.items():
    m = re.search(r'<tr id="sum-%s"><th>[^<]*</th><td class="num">([^<]*)</td>' % key, html)
    assert m, "no summary row " + key
    assert m.group(1) == value, "%s: report %s, keel run %s" % (key, m.group(1), value)
print("summary matches:", want)
PY

# Self-contained: nothing to fetch.
if grep -oE 'https?://[^"]*' "$T/report.html" | grep -vqE '^http://www\.w3\.org/(2000/svg|1999/xhtml)$'; then
    fail "the report names a URL: $(grep -oE 'https?://[^"]*' "$T/report.html" | sort -u)"
fi
expect_not_contains "$T/report.html" "<script" "no scripts"
expect_not_contains "$T/report.html" "<link" "no linked resources"

# Chromium, bounded in time, with its profile, home and caches in the scratch directory, and
# every host name mapped to nowhere (the page must render without the network).
mkdir -p "$T/home"
chrome() {
    HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_CACHE_HOME="$T/home/.cache" \
        timeout -k 10 90 chromium --headless --no-sandbox --disable-gpu \
        --user-data-dir="$T/profile" --no-first-run --disable-extensions \
        --disable-background-networking --disable-component-update \
        --host-resolver-rules="MAP * ~NOTFOUND" "$@" "file://$T/report.html"
}
chrome --dump-dom >"$T/dom" 2>"$T/chrome.err"
rc=$?
[ "$rc" = 0 ] || { cat "$T/chrome.err" >&2; fail "chromium --dump-dom exit code $rc"; }
expect_contains "$T/dom" '<table id="summary">' "rendered DOM has the summary table"
expect_contains "$T/dom" '<tr id="sum-realized">' "rendered DOM has the realized P&L row"
expect_contains "$T/dom" '<svg id="equity-chart"' "rendered DOM has the equity chart"
expect_contains "$T/dom" '<svg id="drawdown-chart"' "rendered DOM has the drawdown chart"
expect_contains "$T/dom" '<table id="trades">' "rendered DOM has the trades table"
expect_contains "$T/dom" '<table id="symbols">' "rendered DOM has the per-symbol table"
[ "$(grep -o '<polyline class="line" points="[0-9]' "$T/dom" | wc -l)" = 2 ] ||
    fail "expected two drawn curves in the rendered DOM"

chrome --screenshot="$T/shot.png" --window-size=1200,2400 >"$T/shot.out" 2>"$T/shot.err"
rc=$?
[ "$rc" = 0 ] || { cat "$T/shot.err" >&2; fail "chromium --screenshot exit code $rc"; }
[ "$(head -c 8 "$T/shot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
    fail "chromium wrote no PNG screenshot"
# A blank page compresses to a few KB; tables and charts do not.
[ "$(stat -c %s "$T/shot.png")" -gt 50000 ] || fail "the screenshot looks empty ($(stat -c %s "$T/shot.png") bytes)"

# Exit codes as the journal commands: a torn tail is reported (1) with the report written up to
# it; corruption and an unwritable FILE are refused (2).
cp -r "$T/j" "$T/torn"
python3 "$SRC/tests/e2e/as_crashed.py" "$T/torn"  # a torn tail is what a crash leaves
seg="$T/torn/input.000000.seg"
truncate -s $(( $(stat -c %s "$seg") - 40 )) "$seg"
"$KEEL" report "$T/torn" --html "$T/torn.html" >/dev/null 2>"$T/e"; expect_rc 1 $? "report of a torn journal"
expect_contains "$T/e" "input: torn tail at $seg offset" "report names the torn tail"
expect_contains "$T/torn.html" 'id="torn-tail"' "the page says the journal ends early"

cp -r "$T/j" "$T/bad"
printf '\xff' | dd of="$T/bad/input.000000.seg" bs=1 seek=100000 conv=notrunc status=none
"$KEEL" report "$T/bad" --html "$T/bad.html" >/dev/null 2>"$T/e"; expect_rc 2 $? "report of a corrupt journal"
expect_contains "$T/e" "corruption at $T/bad/input.000000.seg offset" "report names the corruption"
[ ! -e "$T/bad.html" ] || fail "a corrupt journal got a report"

"$KEEL" report "$T/j" --html "$T/no/such/dir/r.html" >/dev/null 2>"$T/e"; expect_rc 2 $? "unwritable FILE"
expect_contains "$T/e" "cannot write" "report says it cannot write"
"$KEEL" report "$T/nothing" --html "$T/n.html" >/dev/null 2>"$T/e"; expect_rc 2 $? "no journal"
"$KEEL" report "$T/j" >/dev/null 2>&1; expect_rc 2 $? "--html is required"
echo "ok"
