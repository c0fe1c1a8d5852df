#!/usr/bin/env bash
# Drives keel replay as a user checking a journal would: the demo's journal (threaded) and a
# backtest-style fused journal replay and verify byte for byte; a derived record changed with a
# valid CRC (the manifest's seals see it in a closed journal; in a crashed one journal verify
# cannot, the replay can) makes replay --verify exit 1 naming its sequence and stage; --until stops early; --at prints the state at a sequence; an unreadable directory
# exits 2.
set -u
. "$(dirname "$0")/lib.sh" "$@"

"$KEEL" run --config "$SRC/config/demo.json" --journal "$T/j" >"$T/out" 2>&1
expect_rc 0 $? "demo run"
"$KEEL" replay "$T/j" --verify >"$T/r" 2>&1; expect_rc 0 $? "replay --verify of the demo"
expect_contains "$T/r" "re-derived byte for byte" "verify says so"
expect_contains "$T/r" "359 sent" "the replay's summary"

# A backtest's journal (fused) verifies too.
"$KEEL" backtest --config "$SRC/config/backtest.json" --journal "$T/bt" >"$T/bo" 2>&1
expect_rc 0 $? "backtest"
"$KEEL" replay "$T/bt" --verify >"$T/r" 2>&1; expect_rc 0 $? "replay --verify of a backtest"
expect_contains "$T/r" "re-derived byte for byte" "backtest verified"

# What-if: the same value changes nothing; another parameter gives exactly what a backtest run
# with that parameter gives.
"$KEEL" replay "$T/bt" --set risk.max_order_qty=1000 --json >"$T/w0" 2>&1; expect_rc 0 $? "what-if, same value"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["journaled"] == d["what_if"] and d["pnl_difference"] == "0", d' "$T/w0" \
    || fail "a what-if that changes nothing differs: $(cat "$T/w0")"
"$KEEL" replay "$T/bt" --set strategies.0.fast=5 --json >"$T/w1" 2>&1; expect_rc 0 $? "what-if"
"$KEEL" backtest --config "$SRC/config/backtest.json" --set strategies.0.fast=5 --json \
    --journal "$T/bt5" >"$T/b5" 2>/dev/null; expect_rc 0 $? "backtest fast=5"
python3 -c '
import json, sys
w = json.load(open(sys.argv[1]))["what_if"]; b = json.load(open(sys.argv[2]))
assert (w["orders_sent"], w["fills"], w["realized"], w["round_trips"]) == (b["orders"], b["fills"], b["realized_pnl"], b["round_trips"]), (w, b)
' "$T/w1" "$T/b5" || fail "what-if differs from the backtest with the same change"
"$KEEL" replay "$T/bt" --set strategies.0.fastt=5 >"$T/w2" 2>&1; expect_rc 2 $? "what-if with a bad key"
expect_contains "$T/w2" "strategies[0].fastt" "names the key"

"$KEEL" replay "$T/j" --verify --until 5000 --json >"$T/rj" 2>&1; expect_rc 0 $? "--until --json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verified"] is True and d["last_seq"] == 5000, d' "$T/rj" \
    || fail "replay --json: $(cat "$T/rj")"

# The state at a sequence: the demo's first order (seq 724, id 724 << 2) is live there.
"$KEEL" replay "$T/j" --at 724 >"$T/at" 2>&1; expect_rc 0 $? "replay --at"
expect_contains "$T/at" "state of demo at sequence 724" "--at names the sequence"
expect_contains "$T/at" "open order  2896 USDCHF buy 100000 market pending_new" "--at lists the open order"
"$KEEL" replay "$T/j" --at 724 --json >"$T/atj" 2>&1; expect_rc 0 $? "replay --at --json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["open_orders"][0]["order_id"] == 2896, d' "$T/atj" \
    || fail "replay --at --json: $(cat "$T/atj")"

# One changed byte in the quantity of the first risk decision (order_request = 33; the
# quantity is at payload offset 48), with its CRC re-computed.
# In a cleanly closed journal the manifest's seals see it: verify exits 2. In one a crash left
# (its manifest open, so no seals) only the replay can.
seg=$(ls "$T/j"/risk.*.seg | head -1)
seq=$(python3 "$SRC/tests/e2e/tamper_record.py" "$seg" 33 48) || fail "tamper"
"$KEEL" journal verify "$T/j" >"$T/v" 2>&1; expect_rc 2 $? "the manifest's seals see it"
expect_contains "$T/v" "its records' CRCs differ from its seal" "verify names the seal"
python3 "$SRC/tests/e2e/as_crashed.py" "$T/j"
"$KEEL" journal verify "$T/j" >"$T/v" 2>&1; expect_rc 0 $? "journal verify cannot see it"
"$KEEL" replay "$T/j" --verify >"$T/r" 2>&1; expect_rc 1 $? "replay --verify finds it"
expect_contains "$T/r" "DIVERGED at risk stream, sequence $seq" "names the stage and sequence"
expect_contains "$T/r" "expected: " "prints what the journal holds"
expect_contains "$T/r" "actual:   " "prints what the replay derived"
expect_contains "$T/r" "risk state last matched at sequence" "names where state last matched"

"$KEEL" replay "$T/nope" >"$T/r" 2>&1; expect_rc 2 $? "a missing journal"
expect_contains "$T/r" "not a directory" "says why"
echo "replay e2e: all checks passed"
