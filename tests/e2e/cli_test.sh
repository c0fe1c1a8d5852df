#!/usr/bin/env bash
# Drives the real keel binary as a user would: help texts, config check on good and bad
# configs, the demo run, and a malformed data file.
set -u
. "$(dirname "$0")/lib.sh" "$@"

# --help / --version describe the real subcommands and options.
"$KEEL" --help >"$T/help" 2>&1; expect_rc 0 $? "keel --help"
expect_contains "$T/help" "run" "keel --help"
expect_contains "$T/help" "config" "keel --help"
"$KEEL" --version >"$T/ver" 2>&1; expect_rc 0 $? "keel --version"
expect_contains "$T/ver" "keel 0." "keel --version"
"$KEEL" run --help >"$T/rh" 2>&1; expect_rc 0 $? "keel run --help"
expect_contains "$T/rh" "--config" "keel run --help"
"$KEEL" config check --help >"$T/ch" 2>&1; expect_rc 0 $? "keel config check --help"
expect_contains "$T/ch" "secrets masked" "keel config check --help"
"$KEEL" frobnicate >"$T/bad" 2>&1; expect_rc 2 $? "unknown subcommand"

# config check: the shipped demo config is valid and printed.
"$KEEL" config check "$SRC/config/demo.json" >"$T/out" 2>"$T/err"; expect_rc 0 $? "config check demo"
expect_contains "$T/out" '"max_order_qty": "250000"' "config check prints the effective config"
expect_contains "$T/err" "configuration is valid" "config check"

# An environment override shows in the effective config.
KEEL__RISK__MAX_ORDER_QTY='"500"' "$KEEL" config check "$SRC/config/demo.json" >"$T/out" 2>/dev/null
expect_rc 0 $? "config check with env override"
expect_contains "$T/out" '"max_order_qty": "500"' "env override"

# Three distinct mistakes: all three named, exit 2.
sed -e 's/"name": "demo"}/"name": "demo", "colour": "red"}/' \
    -e 's/"fast": 48/"fast": "48"/' \
    -e 's/"cpu": 1,/"cpu": 999,/' \
    -e "s#\.\./data/#$SRC/data/#g" "$SRC/config/demo.json" >"$T/three.json"
"$KEEL" config check "$T/three.json" >"$T/out" 2>"$T/err"; expect_rc 2 $? "config with three mistakes"
expect_contains "$T/err" "3 problems" "three mistakes"
expect_contains "$T/err" "session.colour: unknown key" "unknown key"
expect_contains "$T/err" "strategies[0].fast: expected an integer, got string" "wrong type"
expect_contains "$T/err" "threads[1].cpu: CPU 999 does not exist" "cpu 999"
"$KEEL" run --config "$T/three.json" --journal "$T/j3" >"$T/out" 2>"$T/err"
expect_rc 2 $? "run with a bad config"
expect_contains "$T/err" "3 problems" "run refuses a bad config"

# Malformed JSON names the position.
printf '{"session": {"name": "x",}}' >"$T/broken.json"
"$KEEL" config check "$T/broken.json" >"$T/out" 2>"$T/err"; expect_rc 2 $? "malformed JSON"
expect_contains "$T/err" "invalid JSON at byte" "malformed JSON"

# The demo: the full threaded pipeline over the bundled data, summary, exit 0.
"$KEEL" run --config "$SRC/config/demo.json" --journal "$T/demo-journal" >"$T/out" 2>"$T/err"
expect_rc 0 $? "demo run"
for want in "end of data" "(none lost)" "orders" "fills" "P&L" "p99.9" "feed[ingest] cpu0" \
            "core[strategy,risk,gateway] cpu1" "USDCHF" "MSFT"; do
    expect_contains "$T/out" "$want" "demo summary"
done
expect_not_contains "$T/out" "MISSING" "demo summary"

# A malformed data row stops the run with file, line and column.
head -5 "$SRC/data/usdchf_30m.csv" >"$T/bad.csv"
echo "1996-04-01T02:30:00Z,1.19.4" >>"$T/bad.csv"
sed -e "s#\.\./data/usdchf_30m.csv#$T/bad.csv#" -e "s#\.\./data/#$SRC/data/#g" \
    "$SRC/config/demo.json" >"$T/baddata.json"
"$KEEL" run --config "$T/baddata.json" --journal "$T/jbad" >"$T/out" 2>"$T/err"
expect_rc 2 $? "malformed data row"
expect_contains "$T/err" "bad.csv:6:2: '1.19.4': invalid character in number" "bad row location"

echo "cli e2e: all checks passed"
