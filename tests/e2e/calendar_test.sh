#!/usr/bin/env bash
# A backtest over Thanksgiving week 2026 with the shipped NYSE calendar and America/New_York:
# no session on the holiday, the early close at 13:00 EST, the resolved zone and calendar in
# the journaled config; then the calendar file is edited and deleted, and replay --verify still
# exits 0 (replay reads the journaled calendar, not the file). A bad calendar exits 2 naming it.
set -u
. "$(dirname "$0")/lib.sh" "$@"

python3 - "$T/ticks.csv" <<'PY'
import datetime, sys
t = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.timezone.utc)
with open(sys.argv[1], "w") as f:
    f.write("timestamp,price\n")
    for i in range(6 * 24 * 2):  # every 30 minutes through Monday 2026-11-30
        f.write((t + datetime.timedelta(minutes=30 * i)).strftime("%Y-%m-%dT%H:%M:%SZ") + ",%.2f\n" % (100 + i % 7))
PY
cp "$SRC/config/nyse-2026-2027.json" "$T/nyse.json"
cat >"$T/cfg.json" <<'JSON'
{
  "session": {"name": "calendar"},
  "data": {"files": [{"path": "ticks.csv", "symbol": "SPY"}]},
  "sessions": {"us": {"open": "09:30", "close": "16:00:00", "tz": "America/New_York",
                      "calendar": "nyse.json"}},
  "symbols": {"SPY": {"session": "us"}},
  "strategies": [{"type": "sma_cross", "symbol": "SPY", "fast": 2, "slow": 4, "timeframe": "1h",
                  "quantity": "10"}],
  "risk": {"max_order_qty": "100",
           "trading_hours": {"open": "09:30", "close": "16:00", "tz": "America/New_York",
                             "calendar": "nyse.json"},
           "day_boundary": {"time": "17:00", "tz": "America/Chicago"}},
  "venue": {"type": "sim"}
}
JSON
"$KEEL" backtest --config "$T/cfg.json" --journal "$T/j" >"$T/out" 2>&1
expect_rc 0 $? "backtest with a calendar"
"$KEEL" journal dump "$T/j" >"$T/dump" 2>&1; expect_rc 0 $? "journal dump"
# The session_start's config carries the resolved zone and calendar.
expect_contains "$T/dump" '"tzdb_version"' "the tz database version is journaled"
expect_contains "$T/dump" '2026-11-26' "the closed days are journaled"
expect_contains "$T/dump" '2026-11-27 13:00:00' "the early closes are journaled"
grep -F 'session_open' "$T/dump" >"$T/opens"
grep -F 'session_close' "$T/dump" >"$T/closes"
expect_contains "$T/opens" '2026-11-25T14:30:00' "Wednesday opens at 09:30 EST"
expect_not_contains "$T/opens" '2026-11-26' "no session on Thanksgiving"
expect_contains "$T/closes" '2026-11-27T18:00:00' "the day after closes at 13:00 EST"
expect_contains "$T/opens" '2026-11-30T14:30:00' "Monday opens"

"$KEEL" replay "$T/j" --verify >"$T/r" 2>&1; expect_rc 0 $? "replay --verify"
# The calendar changes on disk: the replay still re-derives the journal byte for byte.
python3 - "$T/nyse.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["closed"] = [d for d in c["closed"] if d["date"] != "2026-11-26"]
c["early_closes"] = []
json.dump(c, open(sys.argv[1], "w"))
PY
"$KEEL" replay "$T/j" --verify >"$T/r" 2>&1; expect_rc 0 $? "replay --verify after the calendar changed"
expect_contains "$T/r" "re-derived byte for byte" "verified"
rm "$T/nyse.json"
"$KEEL" replay "$T/j" --verify >"$T/r" 2>&1; expect_rc 0 $? "replay --verify with the calendar gone"

# A malformed calendar: exit 2, the key, the file and the entry.
echo '{"from": "2026-01-01", "to": "2026-12-31", "closed": [{"date": "2026-13-01"}]}' >"$T/nyse.json"
"$KEEL" backtest --config "$T/cfg.json" --journal "$T/j2" >"$T/bad" 2>&1; expect_rc 2 $? "bad calendar"
expect_contains "$T/bad" "sessions.us.calendar: $T/nyse.json: closed[0].date: '2026-13-01'" "names the file and entry"
echo "calendar e2e: ok"
