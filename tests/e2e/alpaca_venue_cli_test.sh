#!/usr/bin/env bash
# keel alpaca-venue as a user runs it: refuses to start without the account's keys in the
# environment and names a fault it cannot take; started right, it says where it listens,
# answers an authenticated HTTPS request, and writes its account at SIGTERM. Waits only on the
# server's own readiness line (a blocking read, bounded), never a sleep.
set -u
. "$(dirname "$0")/lib.sh" "$@"

TLS="$SRC/tests/data/tls"
ARGS=(alpaca-venue --listen 127.0.0.1:0 --cert "$TLS/localhost.crt" --key "$TLS/localhost.key"
      --symbols AAPL,MSFT)

# No keys: refused before anything starts, naming both variables.
env -u KEEL_ALPACA_VENUE_KEY_ID -u KEEL_ALPACA_VENUE_SECRET_KEY "$KEEL" "${ARGS[@]}" \
    >"$T/out" 2>"$T/err"
expect_rc 2 $? "alpaca-venue without keys"
expect_contains "$T/err" "KEEL_ALPACA_VENUE_KEY_ID" "missing key id named"
expect_contains "$T/err" "KEEL_ALPACA_VENUE_SECRET_KEY" "missing secret named"

export KEEL_ALPACA_VENUE_KEY_ID=PKCLITEST KEEL_ALPACA_VENUE_SECRET_KEY=cli-test-secret
"$KEEL" "${ARGS[@]}" --fault foreign_order=3 >"$T/out" 2>"$T/err"
expect_rc 2 $? "alpaca-venue fault out of range"
expect_contains "$T/err" "foreign_order is 0 (none), 1 (unfilled) or 2 (part filled)" "fault range"
"$KEEL" "${ARGS[@]}" --fault error_code=502 >"$T/out" 2>"$T/err"
expect_rc 2 $? "alpaca-venue error_code not 500 or 504"
expect_contains "$T/err" "error_code is 500 or 504" "error_code range"
"$KEEL" "${ARGS[@]}" --fault drop_everything=1 >"$T/out" 2>"$T/err"
expect_rc 2 $? "alpaca-venue unknown fault"
expect_contains "$T/err" "unknown fault 'drop_everything'" "unknown fault named"

# Started: the readiness line names the port; one request; SIGTERM writes the account.
coproc VENUE { exec "$KEEL" "${ARGS[@]}" --price AAPL=101.5 --account "$T/account.json" \
    2>"$T/venue.err"; }
VPID=$VENUE_PID  # bash unsets VENUE_PID once it reaps the coprocess
read -r -t 60 READY <&"${VENUE[0]}" || fail "alpaca-venue said nothing (stderr: $(cat "$T/venue.err"))"
case "$READY" in
    "keel alpaca-venue: listening on 127.0.0.1:"*) ;;
    *) fail "unexpected readiness line: $READY" ;;
esac
PORT=${READY##*:}
python3 - "$PORT" "$TLS/localhost.crt" >"$T/answer" <<'EOF' || fail "the HTTPS request failed"
import http.client, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
c = http.client.HTTPSConnection("localhost", int(sys.argv[1]), context=ctx, timeout=30)
c.request("GET", "/v2/account", headers={"APCA-API-KEY-ID": "PKCLITEST",
                                         "APCA-API-SECRET-KEY": "cli-test-secret"})
r = c.getresponse()
print(r.status, r.getheader("X-Ratelimit-Limit"), r.read().decode())
EOF
expect_contains "$T/answer" '200 200 {"id":' "GET /v2/account"
kill -TERM "$VPID"
wait "$VPID"
expect_rc 0 $? "alpaca-venue at SIGTERM"
expect_contains "$T/account.json" '"requests":1,' "account written at SIGTERM"
expect_contains "$T/account.json" '"max_orders_per_client_id":0' "no order placed"
expect_not_contains "$T/account.json" "cli-test-secret" "the secret is not in the account"

echo "alpaca-venue cli e2e: all checks passed"
