#!/usr/bin/env bash
# Drives `keel backtest` as a user sweeping a strategy from a shell: two runs of the bundled
# MSFT backtest write byte-identical journal segments; --json prints a report that parses and
# has every field; --report writes the same; --set changes a parameter; a bad --set path exits 2
# naming it; a malformed row is named, or skipped and counted with data.skip_bad_rows.
set -u
. "$(dirname "$0")/lib.sh" "$@"
CFG="$SRC/config/backtest.json"

"$KEEL" backtest --config "$CFG" --journal "$T/a" >"$T/out" 2>&1
expect_rc 0 $? "first backtest"
expect_contains "$T/out" "backtest msft-sma:" "summary header"
expect_contains "$T/out" "round trips" "summary trades"
"$KEEL" backtest --config "$CFG" --journal "$T/b" --report "$T/report.json" >"$T/out2" 2>&1
expect_rc 0 $? "second backtest"

# Byte-identical journals: the same segment files, each the same bytes.
(cd "$T/a" && ls) >"$T/la"; (cd "$T/b" && ls) >"$T/lb"
cmp -s "$T/la" "$T/lb" || fail "the two journals hold different files"
[ "$(wc -l <"$T/la")" -ge 4 ] || fail "expected a segment per stream"
for f in $(cat "$T/la"); do
    cmp "$T/a/$f" "$T/b/$f" || fail "journal segment $f differs between two runs"
done
"$KEEL" journal verify "$T/a" >/dev/null 2>&1; expect_rc 0 $? "the backtest's journal verifies"

# --json: the report on stdout, parseable, every field present, money as strings.
"$KEEL" backtest --config "$CFG" --journal "$T/c" --json >"$T/report2.json" 2>"$T/err"
expect_rc 0 $? "backtest --json"
python3 - "$T/report2.json" "$T/report.json" <<'PY' || fail "JSON report"
import json, sys
a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
fields = ["events_in", "orders", "fills", "round_trips", "realized_pnl", "fees", "total_pnl",
          "final_equity", "return_pct", "max_drawdown_pct", "sharpe", "win_rate",
          "exposure_pct", "elapsed_s", "events_per_s", "symbols"]
missing = [f for f in fields if f not in a]
assert not missing, "missing fields: %s" % missing
for k in ["realized_pnl", "fees", "total_pnl", "final_equity"]:
    assert isinstance(a[k], str), k + " is not a decimal string"
assert a["symbols"][0]["symbol"] == "MSFT"
assert a["fills"] > 0
# The --report file is the same report (only the wall-clock fields and journal differ).
for k in ["elapsed_s", "events_per_s", "journal"]:
    a.pop(k); b.pop(k)
assert a == b, "--report and --json disagree"
PY

# --set changes the run; a bad path exits 2 and names it.
"$KEEL" backtest --config "$CFG" --journal "$T/d" --json --set strategies.0.fast=5 \
    --set risk.max_order_qty=500 >"$T/report3.json" 2>&1
expect_rc 0 $? "backtest --set"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a["orders"] == b["orders"])' \
    "$T/report2.json" "$T/report3.json" || fail "--set strategies.0.fast=5 did not change the orders"
"$KEEL" backtest --config "$CFG" --journal "$T/e" --set strategies.0.fastt=5 >"$T/out" 2>&1
expect_rc 2 $? "bad --set key"
expect_contains "$T/out" "strategies[0].fastt: unknown key (set by --set strategies.0.fastt=5)" "names the key"
"$KEEL" backtest --config "$CFG" --journal "$T/e" --set strategies.7.fast=5 >"$T/out" 2>&1
expect_rc 2 $? "bad --set index"
expect_contains "$T/out" "--set strategies.7.fast: no array element '7'" "names the path"
"$KEEL" backtest --config "$CFG" --journal "$T/e" --set fast >"$T/out" 2>&1
expect_rc 2 $? "--set without a value"
[ ! -e "$T/e" ] || fail "a refused backtest wrote a journal"

# A malformed row: named and nothing runs; with data.skip_bad_rows, skipped and reported.
sed -e 's/^2001-01-03,[^,]*,/2001-01-03,oops,/' "$SRC/data/msft_daily.csv" >"$T/bad.csv"
grep -q oops "$T/bad.csv" || fail "test setup: no row was damaged"
line=$(grep -n oops "$T/bad.csv" | cut -d: -f1)
"$KEEL" backtest --config "$CFG" --journal "$T/f" --data "MSFT=$T/bad.csv" >"$T/out" 2>&1
expect_rc 2 $? "malformed row"
expect_contains "$T/out" "bad.csv:$line:2: 'oops'" "file:line:col"
"$KEEL" backtest --config "$CFG" --journal "$T/g" --data "$T/bad.csv" \
    --set data.skip_bad_rows=true >"$T/out" 2>&1
expect_rc 0 $? "skip_bad_rows"
expect_contains "$T/out" "SKIPPED   1 malformed row of $T/bad.csv; first: $T/bad.csv:$line:2:" "skipped row reported"
echo "backtest e2e: all checks passed"
