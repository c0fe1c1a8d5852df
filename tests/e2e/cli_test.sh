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

# Mistakes in the sessions, symbols, strategies and venue sections: all listed with key paths.
cat >"$T/sections.json" <<EOF
{"session": {"name": "s", "seed": 1},
 "data": {"files": [{"path": "$SRC/data/msft_daily.csv", "symbol": "MSFT", "bar_interval": "1d"}]},
 "account": {"starting_cash": "-5"},
 "sessions": {"us": {"open": "09:30", "close": "25:00", "utc_offset": "-05:00", "days": ["mon", "someday"]}},
 "symbols": {"MSFT": {"tick_size": "0.01", "session": "london"}},
 "strategies": [
   {"type": "orb", "symbol": "MSFT", "timeframe": "15m", "range": "5m", "sizing": {"type": "kelly"}},
   {"type": "grid", "symbol": "MSFT", "quantity": "1"}],
 "risk": {"max_order_qty": "100"},
 "venue": {"type": "sim", "mode": "candles", "slippage": {"model": "random"}, "participation": "2"},
 "threads": [{"name": "all", "stages": ["ingest", "strategy", "risk", "gateway"]}]}
EOF
"$KEEL" config check "$T/sections.json" >"$T/out" 2>"$T/err"; expect_rc 2 $? "config with section mistakes"
for want in "10 problems" "account.starting_cash: must not be negative" \
            "sessions.us.close: '25:00' is not a time of day" \
            "sessions.us.days[1]: expected a weekday" \
            "symbols.MSFT.session: no session named 'london' under sessions" \
            "strategies[0].sizing.type: unknown sizing 'kelly'" \
            "strategies[0].range: must span at least one bar of the timeframe" \
            "strategies[1].type: unknown strategy 'grid' (available: sma_cross, orb, alert_follower)" \
            "venue.mode: 'candles' is not one of bars, ticks, per_event" \
            "venue.slippage.model: 'random' is not one of none" \
            "venue.participation: must be between 0 (no cap) and 1"; do
    expect_contains "$T/err" "$want" "section mistakes"
done
"$KEEL" run --config "$T/sections.json" --journal "$T/js" >"$T/out" 2>"$T/err"
expect_rc 2 $? "run with section mistakes"
expect_contains "$T/err" "venue.mode: 'candles'" "run lists the venue's mistakes too"

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

# keel fix-venue names a fault it cannot take (a value out of its range, not a number).
"$KEEL" fix-venue --listen 127.0.0.1:0 --symbols MSFT --fault foreign_order=3 >"$T/out" 2>"$T/err"
expect_rc 2 $? "fix-venue fault out of range"
expect_contains "$T/err" "foreign_order is 0 (none), 1 (unfilled) or 2 (part filled)" "fault range"
"$KEEL" fix-venue --listen 127.0.0.1:0 --symbols MSFT --fault drop_after=x >"$T/out" 2>"$T/err"
expect_rc 2 $? "fix-venue fault not a number"
expect_contains "$T/err" "expected NAME=N with N a whole number" "fault value"

echo "cli e2e: all checks passed"
