#!/usr/bin/env bash
# Restart recovery with real processes: a paced paper session is killed with SIGKILL at random
# points (20 times) and restarted each time on its journal until it ends; its fills, positions
# and cash equal an uninterrupted run's (unless a kill landed between an order being derived and
# its order_sent being journaled: the restart then drops that order, journals how many in its
# session_resume, and this says so), no client order id is journaled as sent twice, and the
# final journal verifies and replays byte for byte.
# KEEL_KILLS (default 20) and KEEL_PACE (events/s, default 8000) set the length of the loop;
# KEEL_THREADED_VENUE=1 runs the simulator on its own thread (venue.threaded); KEEL_ACCOUNTS=1
# trades two accounts on two simulators (config/accounts.json) instead of config/demo.json.
# scripts/kill-loop.sh runs it at length (300 kills) for each venue, with one and two accounts.
set -u
KILLS="${KEEL_KILLS:-20}"
PACE="${KEEL_PACE:-8000}"
THREADED="${KEEL_THREADED_VENUE:-0}"
ACCOUNTS="${KEEL_ACCOUNTS:-0}"
. "$(dirname "$0")/lib.sh" "$@"
trap 'rm -rf "$T"; [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null' EXIT

# The demo data and strategies on one fused thread (so the uninterrupted run is one exact
# sequence to compare with), paced at 8000 events/s: ~8 s of data across the kills.
python3 - "$SRC" "$T" "$PACE" "$THREADED" "$ACCOUNTS" <<'PY'
import json, sys
src, t, pace, threaded = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
accounts = sys.argv[5] == "1"
c = json.load(open(src + "/config/" + ("accounts.json" if accounts else "demo.json")))
for venue in [a["venue"] for a in c["accounts"]] if accounts else [c["venue"]]:
    venue["threaded"] = threaded
for f in c["data"]["files"]:
    f["path"] = f["path"].replace("../data/", src + "/data/")
c["threads"] = [{"name": "all", "stages": ["ingest", "strategy", "risk", "gateway"], "idle": "backoff"}]
c["data"]["pace_events_per_s"] = pace
json.dump(c, open(t + "/paced.json", "w"))
c["data"]["pace_events_per_s"] = 0
json.dump(c, open(t + "/fast.json", "w"))
PY

"$KEEL" run --config "$T/fast.json" --journal "$T/ref" >"$T/ref.out" 2>&1
expect_rc 0 $? "uninterrupted run"

kills=0
RANDOM=4242
while [ "$kills" -lt "$KILLS" ]; do
    "$KEEL" run --config "$T/paced.json" --journal "$T/j" >"$T/run.out" 2>"$T/run.err" &
    PID=$!
    # The first kill comes once the journal exists (a slow machine, or a sanitizer, can take
    # longer than the whole window below to load the data), so there is always a journal to
    # continue; the others at a random point 0.05 to 0.45 s into the run (start-up, rebuild,
    # or live).
    if [ "$kills" -eq 0 ]; then
        for _ in $(seq 1 600); do
            [ -f "$T/j/input.000000.seg" ] || ! kill -0 "$PID" 2>/dev/null && break
            sleep 0.05
        done
    fi
    sleep "0.$(( RANDOM % 40 + 5 ))"
    if kill -9 "$PID" 2>/dev/null; then
        wait "$PID" 2>/dev/null
        kills=$((kills + 1))
    else
        wait "$PID"; rc=$?
        expect_rc 0 "$rc" "a restarted run that ended before its kill"
        break
    fi
    PID=
done
PID=
[ "$kills" -ge "$KILLS" ] || fail "only $kills kills before the session ended: slow the pace"
# The last restart runs to the end of the data.
"$KEEL" run --config "$T/paced.json" --journal "$T/j" >"$T/final.out" 2>"$T/final.err"
expect_rc 0 $? "final restart"
expect_contains "$T/final.out" "end of data" "the continued session reached the end of its data"
expect_contains "$T/final.out" "restart     continued the journal" "the final run continued the journal"
expect_contains "$T/final.out" "venue       duplicate order ids 0" "no order sent twice"

# Orders a kill kept from being sent (derived, not yet journaled as sent) are dropped at the
# restart, never sent late (README, Restart): each restart that dropped some journaled a
# session_resume saying how many. Only then may the session differ from the uninterrupted one;
# every other check still holds.
dropped=$("$KEEL" journal dump "$T/j" --stream input | python3 -c '
import json, sys
print(sum(json.loads(l).get("unsent", 0) for l in sys.stdin
          if l.strip() and json.loads(l)["type"] == "session_resume"))')
if [ "$dropped" -eq 0 ]; then
    # Same fills, P&L, cash and positions as the uninterrupted run.
    for what in "  orders  " "  fills  " "  P&L  " "  account  " "    USDCHF  " "    MSFT  "; do
        want=$(grep -F -- "$what" "$T/ref.out" | tr -s ' ')
        got=$(grep -F -- "$what" "$T/final.out" | tr -s ' ')
        [ -n "$want" ] && [ "$want" = "$got" ] || fail "'$what' differs: uninterrupted '$want', restarted '$got'"
    done
    compared="fills, P&L, cash and positions equal to the uninterrupted run's"
else
    compared="$dropped unsent orders dropped by restarts (a kill between deriving and journaling an order): not compared with the uninterrupted run"
fi
# No order id went to the venue twice: none is journaled as sent twice.
"$KEEL" journal dump "$T/j" --stream gateway | python3 -c '
import json, sys
ids = [json.loads(l)["order_id"] for l in sys.stdin if l.strip() and json.loads(l)["type"] == "order_sent"]
sys.exit(len(ids) != len(set(ids)))' || fail "an order id is journaled as sent twice"

"$KEEL" journal verify "$T/j" >"$T/v" 2>&1; expect_rc 0 $? "journal verify after the restarts"
"$KEEL" replay "$T/j" --verify >"$T/r" 2>&1; expect_rc 0 $? "replay --verify after the restarts"
expect_contains "$T/r" "re-derived byte for byte" "replay verified"
venue=synchronous; [ "$THREADED" = 1 ] && venue=threaded
[ "$ACCOUNTS" = 1 ] && venue="two accounts (config/accounts.json), $venue"
echo "recovery e2e ($venue venue): $kills kills,$(grep -F "  fills  " "$T/final.out" | tr -s ' '); $compared; 0 duplicate order ids; verify and replay --verify ok"
