#!/usr/bin/env bash
# Drives the real keel binary: keel run writes a journal; keel journal verify, inspect and dump
# read it; a torn tail makes verify exit 1 and corruption exit 2 naming file and offset; run
# continues a complete journal (nothing left to do) and refuses one of another configuration.
set -u
. "$(dirname "$0")/lib.sh" "$@"

"$KEEL" run --config "$SRC/config/demo.json" --journal "$T/j" >"$T/out" 2>"$T/err"
expect_rc 0 $? "demo run with --journal"
expect_contains "$T/out" "journal     $T/j (durability os): input 159755 records" "summary names the journal"

"$KEEL" journal verify "$T/j" >"$T/v" 2>&1; expect_rc 0 $? "verify a clean journal"
expect_contains "$T/v" "input: 159755 records in 1 segment, ok" "verify"

"$KEEL" journal inspect "$T/j" >"$T/i" 2>&1; expect_rc 0 $? "inspect"
expect_contains "$T/i" "session_start=1 symbol_def=2 trade=62496 bar=249 timer=96289 venue_ack=359 venue_fill=359" "inspect counts"
"$KEEL" journal inspect "$T/j" --json >"$T/ij" 2>&1; expect_rc 0 $? "inspect --json"
python3 -c "import json,sys; d=json.load(open('$T/ij')); assert d['durability']=='os', d" || fail "inspect --json"

"$KEEL" journal dump "$T/j" >"$T/d" 2>&1; expect_rc 0 $? "dump"
head -1 "$T/d" | grep -q '"type":"session_start".*"config":{"session":{"name":"demo"}' || fail "dump starts with session_start and its config"
expect_contains "$T/d" '"type":"symbol_def","source":"feed","symbol":"USDCHF"' "symbol definitions"
expect_contains "$T/d" '"stream":"strategy","type":"signal"' "signals"
expect_contains "$T/d" '"stream":"risk","type":"order_request","source":"risk"' "risk decisions"
expect_contains "$T/d" '"type":"order_sent"' "orders"
expect_contains "$T/d" '"type":"venue_fill"' "fills"
# Sequence order: every line's seq is >= the previous one.
python3 - "$T/d" <<'PY' || fail "dump is not in sequence order"
import json, sys
last = 0
for line in open(sys.argv[1]):
    s = json.loads(line)["seq"]
    assert s >= last, (s, last)
    last = s
PY
"$KEEL" journal dump "$T/j" --stream gateway --from 724 --to 724 >"$T/d1" 2>&1; expect_rc 0 $? "dump a range"
# The order sent at 724 and its order_state (pending_new).
[ "$(wc -l <"$T/d1")" = 2 ] || fail "dump --stream gateway --from 724 --to 724 printed $(wc -l <"$T/d1") lines"
expect_contains "$T/d1" '"type":"order_state"' "the gateway's order state"

# Run into a complete journal: the session is continued (restart recovery), and has nothing
# left to do; under another configuration it is refused.
"$KEEL" run --config "$SRC/config/demo.json" --journal "$T/j" >"$T/out" 2>"$T/err"
expect_rc 0 $? "run into an existing journal directory"
expect_contains "$T/out" "restart     continued the journal: 159755 journaled inputs" "run continues an existing journal"
sed 's/"fast": 48/"fast": 47/; s#\.\./data/#'"$SRC"'/data/#g' "$SRC/config/demo.json" >"$T/other.json"
"$KEEL" run --config "$T/other.json" --journal "$T/j" >"$T/out" 2>"$T/err"
expect_rc 2 $? "run into a journal of another configuration"
expect_contains "$T/err" "another configuration" "run refuses a journal of another configuration"

# A torn tail: cut the last record of the input stream in half, as a crash mid-append leaves it
# (in a journal closed cleanly the same cut is damage, exit 2).
cp -r "$T/j" "$T/closed_cut"
truncate -s $(( $(stat -c %s "$T/closed_cut/input.000000.seg") - 40 )) "$T/closed_cut/input.000000.seg"
"$KEEL" journal verify "$T/closed_cut" >"$T/v" 2>&1; expect_rc 2 $? "verify a cut in a closed journal"
expect_contains "$T/v" "closed cleanly, so this is damage" "verify says a closed journal cannot be torn"
cp -r "$T/j" "$T/torn"
python3 "$SRC/tests/e2e/as_crashed.py" "$T/torn"
seg="$T/torn/input.000000.seg"
truncate -s $(( $(stat -c %s "$seg") - 40 )) "$seg"
"$KEEL" journal verify "$T/torn" >"$T/v" 2>&1; expect_rc 1 $? "verify a torn tail"
expect_contains "$T/v" "torn tail at $seg offset" "verify names the torn tail"
"$KEEL" journal dump "$T/torn" >/dev/null 2>"$T/de"; expect_rc 1 $? "dump a torn journal"
expect_contains "$T/de" "input: torn tail at $seg offset" "dump names the torn tail"

# Corruption: flip a byte in a record in the middle of the input stream.
cp -r "$T/j" "$T/bad"
seg="$T/bad/input.000000.seg"
printf '\xff' | dd of="$seg" bs=1 seek=100000 conv=notrunc status=none
"$KEEL" journal verify "$T/bad" >"$T/v" 2>&1; expect_rc 2 $? "verify corruption"
expect_contains "$T/v" "CORRUPT at $seg offset" "verify names file and offset"
"$KEEL" journal verify "$T/nothing" >"$T/v" 2>&1; expect_rc 2 $? "verify a missing directory"

# A bit flip in a sealed segment (1 MB segments, so the input stream has several): verify exits
# 2 naming the file and offset, and keel run refuses to start on that journal.
KEEL__JOURNAL__SEGMENT_MB=1 "$KEEL" run --config "$SRC/config/demo.json" --journal "$T/multi" >/dev/null 2>&1 \
    || fail "run with 1 MB segments"
[ -f "$T/multi/input.000001.seg" ] || fail "expected several input segments"
seg="$T/multi/input.000000.seg"
printf '\x01' | dd of="$seg" bs=1 seek=5000 conv=notrunc status=none
"$KEEL" journal verify "$T/multi" >"$T/v" 2>&1; expect_rc 2 $? "verify a flipped sealed segment"
expect_contains "$T/v" "CORRUPT at $seg offset" "verify names the sealed segment"
off=$(sed -n "s|.*CORRUPT at $seg offset \([0-9]*\):.*|\1|p" "$T/v")
# The flipped byte (5000) lies in the record verify names: records are at most 4 KiB here.
[ -n "$off" ] && [ "$off" -le 5000 ] && [ $((5000 - off)) -lt 4096 ] || fail "verify offset '$off' does not hold byte 5000"
"$KEEL" run --config "$SRC/config/demo.json" --journal "$T/multi" >"$T/out" 2>"$T/err"
expect_rc 2 $? "run on a corrupt journal"
expect_contains "$T/err" "refusing to start: corrupt journal: $seg offset $off" "run refuses a corrupt journal"

# tail follows a live journal: a paced session (~6 s) is followed from its start; once the
# session has ended, tail has printed every record dump prints (while live, a stage's record may
# come after the next input, so the lines are compared as sets).
sed -e 's/"pace_events_per_s": 0/"pace_events_per_s": 10000/' -e "s#\.\./data/#$SRC/data/#g" \
    "$SRC/config/demo.json" >"$T/paced.json"
"$KEEL" run --config "$T/paced.json" --journal "$T/live" >"$T/live.out" 2>&1 &
RUN=$!
for _ in $(seq 1 200); do [ -f "$T/live/input.000000.seg" ] && break; sleep 0.05; done
"$KEEL" journal tail "$T/live" >"$T/tail.out" 2>"$T/tail.err" &
TAIL=$!
wait "$RUN" || { cat "$T/live.out"; fail "paced run failed"; }
"$KEEL" journal dump "$T/live" >"$T/live.dump" 2>&1 || fail "dump of the live journal"
want=$(wc -l <"$T/live.dump")
for _ in $(seq 1 300); do [ "$(wc -l <"$T/tail.out")" -ge "$want" ] && break; sleep 0.1; done
kill -TERM "$TAIL"; wait "$TAIL"; trc=$?
expect_rc 0 "$trc" "journal tail after SIGTERM"
sort "$T/tail.out" >"$T/a"; sort "$T/live.dump" >"$T/b"
cmp -s "$T/a" "$T/b" || fail "tail printed $(wc -l <"$T/tail.out") lines, dump $want; they differ"

# A full disk mid-session: a 10 MB tmpfs (root only, as in CI) and 1 MB segments. Start-up
# needs at most 8 MB (each of 4 streams: its first segment and the next one prepared), so the
# session starts whatever the timing; the input stream (~6 MB) then fills the disk. The session
# stops with exit 3; the journal is clean and holds exactly the inputs that were sequenced.
mkdir -p "$T/small"
if mount -t tmpfs -o size=10m tmpfs "$T/small" 2>/dev/null; then
    KEEL__JOURNAL__SEGMENT_MB=1 "$KEEL" run --config "$SRC/config/demo.json" --journal "$T/small/j" \
        >"$T/out" 2>"$T/err"
    rc=$?
    "$KEEL" journal verify "$T/small/j" >"$T/v" 2>&1; vrc=$?
    "$KEEL" journal inspect "$T/small/j" --json >"$T/ij" 2>&1
    umount "$T/small"
    expect_rc 3 "$rc" "run on a full disk"
    expect_contains "$T/out" "JOURNAL FAILED" "run on a full disk"
    expect_contains "$T/out" "No space left on device" "run on a full disk names the cause"
    expect_contains "$T/out" "stopped: the journal failed" "run on a full disk"
    expect_rc 0 "$vrc" "verify after a full disk"
    seq=$(sed -n 's/^  events *\([0-9]*\) sequenced.*/\1/p' "$T/out")
    python3 -c "
import json; d=json.load(open('$T/ij'))
n=[s['records'] for s in d['streams'] if s['stream']=='input'][0]
assert n == $seq, (n, $seq)" || fail "journal holds a different number of inputs than were sequenced ($seq)"
else
    echo "note: cannot mount a tmpfs (not root): full-disk check not run"
fi

echo "journal e2e: all checks passed"
