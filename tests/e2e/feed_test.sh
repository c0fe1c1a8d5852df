#!/usr/bin/env bash
# Drives `keel feed` as a user serving recorded data to a paper session: 500 USD/CHF trades
# come out as 500 lines of keel's line format (first and last checked field by field) over TCP,
# and as 500 WebSocket messages at a fixed rate; the server says where it listens and how many
# it sent, and exits 0 at the end; bad flags and files exit 2 naming the file, line and column.
set -u
. "$(dirname "$0")/lib.sh" "$@"
CSV="$SRC/tests/data/usdchf_500.csv"
CLIENT="$(dirname "$0")/feed_client.py"

# serve MODE ARGS...: runs keel feed on a free port, reads what the client received into
# $T/MODE.lines and keel feed's output into $T/MODE.out (its exit code on the last line).
serve() {
    local mode=$1
    shift
    exec 3< <("$KEEL" feed --csv "$CSV" --symbol USDCHF --listen 127.0.0.1:0 "$@" \
                  2>"$T/$mode.err"; echo "exit $?")
    local first
    read -r -t 60 first <&3 || fail "$mode: keel feed printed nothing: $(cat "$T/$mode.err")"
    echo "$first" >"$T/$mode.out"
    case "$first" in
        "keel feed: serving 500 messages (500 trades, 0 quotes, 0 bars) on $mode://127.0.0.1:"*) ;;
        *) fail "$mode: unexpected first line: $first" ;;
    esac
    local port=${first##*:}
    timeout 60 python3 "$CLIENT" "$mode" 127.0.0.1 "$port" >"$T/$mode.lines" ||
        fail "$mode: the client failed"
    timeout 60 cat <&3 >>"$T/$mode.out"
    exec 3<&-
}

check_lines() {  # check_lines MODE
    python3 - "$T/$1.lines" <<'PY' || fail "$1: the messages"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 500, "%d messages, expected 500" % len(lines)
first, last = json.loads(lines[0]), json.loads(lines[-1])
# The CSV's first row: 1996-04-01T00:00:00Z,1.193 (no size column: the size is unknown, and
# the message leaves it out as the file did).
assert first == {"type": "trade", "symbol": "USDCHF", "ts": 828316800000000000,
                 "price": "1.193"}, first
# Its 500th: 1996-04-15T09:30:00Z,1.2322.
assert last == {"type": "trade", "symbol": "USDCHF", "ts": 829560600000000000,
                "price": "1.2322"}, last
ts = [json.loads(l)["ts"] for l in lines]
assert ts == sorted(ts), "not in time order"
PY
}

serve tcp
check_lines tcp
expect_contains "$T/tcp.out" "keel feed: sent 500 messages to 1 client" "tcp: the count sent"
expect_contains "$T/tcp.out" "exit 0" "tcp: exit code at the end of the data"

serve ws --ws --rate 5000
check_lines ws
expect_contains "$T/ws.out" "keel feed: sent 500 messages to 1 client" "ws: the count sent"
expect_contains "$T/ws.out" "exit 0" "ws: exit code at the end of the data"

# Bad files and flags: exit 2, each with its reason.
printf 'timestamp,price\n2024-01-01T00:00:00Z,1.0\n2024-01-01T00:30:00Z,abc\n' >"$T/bad.csv"
"$KEEL" feed --csv "$T/bad.csv" --symbol X --listen 127.0.0.1:0 >"$T/o" 2>"$T/e"
expect_rc 2 $? "a malformed row"
expect_contains "$T/e" "$T/bad.csv:3:2: 'abc'" "the malformed row named by file:line:col"

"$KEEL" feed --csv "$CSV" --listen 127.0.0.1:0 >"$T/o" 2>"$T/e"
expect_rc 2 $? "no symbol for a file without a symbol column"
expect_contains "$T/e" "--symbol" "the flag that names the symbol"

"$KEEL" feed --csv "MSFT=$SRC/data/msft_daily.csv" --listen 127.0.0.1:0 >"$T/o" 2>"$T/e"
expect_rc 2 $? "a bar file without a bar interval"
expect_contains "$T/e" "--bar-interval" "the flag that sets the bar interval"

"$KEEL" feed --csv "$T/missing.csv" --symbol X --listen 127.0.0.1:0 >"$T/o" 2>"$T/e"
expect_rc 2 $? "a missing file"
expect_contains "$T/e" "missing.csv" "the missing file named"

"$KEEL" feed --csv "$CSV" --symbol X --listen 127.0.0.1 >"$T/o" 2>"$T/e"
expect_rc 2 $? "--listen without a port"
expect_contains "$T/e" "expected HOST:PORT" "the --listen problem"

"$KEEL" feed --csv "$CSV" --symbol X --listen 127.0.0.1:0 --speed 2 --rate 10 >"$T/o" 2>"$T/e"
expect_rc 2 $? "--speed with --rate"

"$KEEL" feed --csv "$SRC/tests/data/usdchf_alerts.csv" --symbol X --listen 127.0.0.1:0 \
    >"$T/o" 2>"$T/e"
expect_rc 2 $? "an alerts file"
expect_contains "$T/e" "serves trades, quotes and bars" "why alerts are refused"
echo "feed_test: ok"
