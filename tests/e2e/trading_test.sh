#!/usr/bin/env bash
# Drives the real keel binary through a session of external alerts and operator commands, as a
# user replaying a day of TradingView alerts and a kill-switch drill would: the alert follower's
# decisions (a skipped alert says why), the kill switch (flatten, mass cancel, refusals) and its
# release, all read back from the journal; then a malformed alerts file.
set -u
. "$(dirname "$0")/lib.sh" "$@"

cat >"$T/alerts.json" <<JSON
{
  "session": {"name": "alerts"},
  "data": {"files": [
    {"path": "$SRC/data/usdchf_30m.csv", "symbol": "USDCHF"},
    {"path": "$SRC/tests/data/usdchf_alerts.csv", "symbol": "USDCHF"},
    {"path": "$SRC/tests/data/usdchf_commands.csv"}]},
  "strategies": [{"type": "alert_follower", "symbols": ["USDCHF"],
                  "sizes": [{"symbol": "USDCHF", "timeframe": "30m", "quantity": "20000"}]}],
  "risk": {"max_order_qty": "150000"},
  "venue": {"type": "sim", "mode": "ticks"},
  "threads": [{"name": "main", "stages": ["ingest", "strategy", "risk", "gateway"]}]
}
JSON
"$KEEL" run --config "$T/alerts.json" --journal "$T/j" >"$T/out" 2>&1
expect_rc 0 $? "alert session"
expect_contains "$T/out" "none lost" "every event reached the last stage"

"$KEEL" journal dump "$T/j" --stream strategy >"$T/strategy" 2>&1; expect_rc 0 $? "dump strategy"
"$KEEL" journal dump "$T/j" --stream risk >"$T/risk" 2>&1; expect_rc 0 $? "dump risk"
"$KEEL" journal dump "$T/j" --stream gateway >"$T/gateway" 2>&1; expect_rc 0 $? "dump gateway"

# Each alert leaves a signal; the second buy while long is skipped and says why.
[ "$(grep -c '"type":"signal"' "$T/strategy")" = 8 ] || fail "expected 8 alert signals"
expect_contains "$T/strategy" '"action":"buy","reason":"already_long"' "a buy while long"
expect_contains "$T/strategy" '"action":"close_long","reason":"already_flat"' "close_long when flat"
# The sell while long reverses in two orders; the sized-by-config buy asks for 20000.
expect_contains "$T/strategy" '"side":"sell","order_type":"market","tif":"day","price":"0","quantity":"100000"' "the reversal"
expect_contains "$T/strategy" '"quantity":"20000"' "size from the per-(symbol, timeframe) rule"

# The kill switch: journaled state, a flatten order from risk, the gateway's mass cancel, the
# next buy refused, and after unkill a buy approved again.
expect_contains "$T/risk" '"type":"risk_state"' "risk state change"
expect_contains "$T/risk" '"killed":true' "killed"
expect_contains "$T/risk" '"source":"risk","symbol":"USDCHF","order_id"' "flatten order"
expect_contains "$T/risk" '"reason":"kill_switch"' "a buy refused while killed"
expect_contains "$T/risk" '"command":"unkill"' "unkill"
expect_contains "$T/gateway" '"type":"order_sent","source":"gateway","order_id":0,"action":"cancel"' "mass cancel"
last=$(grep '"type":"order_request"' "$T/risk" | tail -1)
case "$last" in *'"quantity":"50000"'*'"status":"approved"'*) ;; *) fail "last order not approved: $last" ;; esac

# The journal verifies clean; a second run of the same session writes the same input stream.
"$KEEL" journal verify "$T/j" >"$T/v" 2>&1; expect_rc 0 $? "verify"

# A malformed alert: the file, line and column are named and nothing runs.
sed -e 's/,close_long,/,close_sideways,/' "$SRC/tests/data/usdchf_alerts.csv" >"$T/bad.csv"
sed -e "s#$SRC/tests/data/usdchf_alerts.csv#$T/bad.csv#" "$T/alerts.json" >"$T/bad.json"
"$KEEL" run --config "$T/bad.json" --journal "$T/j2" >"$T/out" 2>&1
expect_rc 2 $? "malformed alert"
expect_contains "$T/out" "bad.csv:6:2: 'close_sideways' is not an alert action" "file:line:col"
echo "trading e2e: all checks passed"
