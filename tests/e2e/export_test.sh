#!/usr/bin/env bash
# Exports the demo session's journal to SQLite with the real keel binary and runs the README's
# "Query it" queries with the sqlite3 command-line shell: their answers equal the numbers
# `keel run` printed (fills, round trips, realized P&L, per-symbol P&L, risk rejects by reason).
# Also: a second export is the same file, a torn tail exits 1, an unwritable file exits 2.
set -u
. "$(dirname "$0")/lib.sh" "$@"
command -v sqlite3 >/dev/null || fail "the sqlite3 shell is missing (scripts/deps.sh installs it)"

# The queries exactly as the README shows them: the sql blocks of its "Query it" section.
awk -v dir="$T" '
  /^## Query it/ { on = 1; next }
  /^## / { on = 0 }
  on && /^```sql/ { q++; inside = 1; next }
  on && inside && /^```/ { inside = 0; next }
  on && inside { print > (dir "/q" q ".sql") }' "$SRC/README.md"
[ -f "$T/q4.sql" ] || fail "expected four sql blocks in the README's Query it section"

"$KEEL" run --config "$SRC/config/demo.json" --journal "$T/j" >"$T/run" 2>&1
expect_rc 0 $? "demo session"
"$KEEL" journal export "$T/j" --sqlite "$T/demo.db" >"$T/out" 2>&1
expect_rc 0 $? "export"
expect_contains "$T/out" "exported $T/j to $T/demo.db" "export summary"

# Totals: session, fills, round trips, won, realized, unrealized, equity, max drawdown.
fills=$(sed -n 's/^  fills *\([0-9]*\)$/\1/p' "$T/run")
trips=$(sed -n 's/.*round trips \([0-9]*\) (\([0-9]*\) won).*/\1|\2/p' "$T/run")
pnl=$(sed -n 's/^  P&L *realized \([-0-9.]*\) .*unrealized \([-0-9.]*\), total.*/\1|\2/p' "$T/run")
equity=$(sed -n 's/^  account *equity \([-0-9.]*\) .*max drawdown \([-0-9.]*\);.*/\1|\2/p' "$T/run")
[ -n "$fills" ] && [ -n "$trips" ] && [ -n "$pnl" ] && [ -n "$equity" ] || fail "cannot read the summary"
want="demo|$fills|$trips|$pnl|$equity"
got=$(sqlite3 "$T/demo.db" <"$T/q1.sql")
[ "$got" = "$want" ] || fail "session totals: got '$got', want '$want' (summary)"
[ "$(sqlite3 "$T/demo.db" "SELECT count(*) FROM fills WHERE applied = 1")" = "$fills" ] \
  || fail "fills table count"

# P&L per symbol, line for line with the summary's symbol lines.
sed -n 's/^    \([A-Z]*\) *position \([^,]*\), realized \([^,]*\), unrealized \([^,]*\), fees \([^,]*\), fills \(.*\)$/\1|\2|\3|\4|\5|\6/p' \
  "$T/run" >"$T/want_symbols"
[ -s "$T/want_symbols" ] || fail "no symbol lines in the summary"
sqlite3 "$T/demo.db" <"$T/q2.sql" >"$T/got_symbols"
diff "$T/want_symbols" "$T/got_symbols" >&2 || fail "P&L per symbol differs from the summary"

# The largest losing trades: five, the worst first.
sqlite3 "$T/demo.db" <"$T/q3.sql" >"$T/losers"
[ "$(wc -l <"$T/losers")" = 5 ] || fail "expected 5 losing trades"
cut -d'|' -f9 "$T/losers" >"$T/loss_pnl"
sort -g -c "$T/loss_pnl" || fail "losing trades not worst first"
worst=$(sqlite3 "$T/demo.db" "SELECT pnl FROM trades ORDER BY CAST(pnl AS REAL) LIMIT 1")
[ "$(head -1 "$T/loss_pnl")" = "$worst" ] || fail "the worst trade is not first"
case "$worst" in -*) ;; *) fail "the worst trade did not lose: $worst" ;; esac

# The demo has no risk rejects; with a tighter order limit every USDCHF order is refused.
[ -z "$(sqlite3 "$T/demo.db" <"$T/q4.sql")" ] || fail "rejects in the demo"
KEEL__RISK__MAX_ORDER_QTY=1000 "$KEEL" run --config "$SRC/config/demo.json" --journal "$T/j2" \
  >"$T/run2" 2>&1
expect_rc 0 $? "session with a tight order limit"
rejects=$(sed -n 's/^  orders .* \([0-9]*\) rejected by risk.*/\1/p' "$T/run2")
[ -n "$rejects" ] && [ "$rejects" != 0 ] || fail "expected risk rejects: $(cat "$T/run2")"
"$KEEL" journal export "$T/j2" --sqlite "$T/tight.db" >/dev/null 2>&1
expect_rc 0 $? "export of the tight session"
got=$(sqlite3 "$T/tight.db" <"$T/q4.sql")
[ "$got" = "max_order_qty|$rejects" ] || fail "rejects by reason: got '$got', want max_order_qty|$rejects"

# Re-running rebuilds the same database, byte for byte, over the old one.
cp "$T/demo.db" "$T/first.db"
"$KEEL" journal export "$T/j" --sqlite "$T/demo.db" >/dev/null 2>&1
expect_rc 0 $? "second export"
cmp "$T/first.db" "$T/demo.db" || fail "a second export differs"

# A torn tail: what is valid is exported, stderr says where, exit 1 (as journal dump).
cp -r "$T/j" "$T/torn"
python3 "$SRC/tests/e2e/as_crashed.py" "$T/torn"  # a torn tail is what a crash leaves
seg=$(ls "$T/torn"/input.*.seg | tail -1)
truncate -s -5 "$seg"
"$KEEL" journal export "$T/torn" --sqlite "$T/torn.db" >"$T/out" 2>"$T/err"
expect_rc 1 $? "torn tail"
expect_contains "$T/err" "input: torn tail at $seg offset" "torn tail named"
[ "$(sqlite3 "$T/torn.db" "SELECT complete FROM sessions")" = 0 ] || fail "torn export marked complete"

# An unwritable file is named, exit 2.
"$KEEL" journal export "$T/j" --sqlite "$T/no/such/dir/x.db" >"$T/out" 2>"$T/err"
expect_rc 2 $? "unwritable file"
expect_contains "$T/err" "cannot write $T/no/such/dir/x.db" "unwritable file named"
echo "export e2e: all checks passed"
