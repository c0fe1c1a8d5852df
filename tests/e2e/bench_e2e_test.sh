#!/usr/bin/env bash
# Drives `keel bench e2e` and `keel run --check-host` as a user would: an open-loop run and a
# saturated one print the percentiles and the host manifest, --json writes every field, bad
# flags exit 2, and the host check informs with one line per setting and exits 0.
set -u
. "$(dirname "$0")/lib.sh" "$@"
cd "$SRC" || fail "cannot cd to $SRC"

check_json() {  # check_json FILE MODE EVENTS
    python3 - "$1" "$2" "$3" <<'PY' || fail "JSON $1 lacks a field (see above)"
import json, sys
j = json.load(open(sys.argv[1]))
mode, events = sys.argv[2], int(sys.argv[3])
keys = ["p50", "p90", "p99", "p999", "p9999", "max"]
assert j["mode"] == mode, j["mode"]
assert j["events"] == events and j["orders"] == events, (j["events"], j["orders"])
assert isinstance(j["rate_eps"], int) and j["achieved_eps"] > 0
for k in keys:
    assert isinstance(j["latency_ns"][k], int), k
assert j["latency_ns"]["p50"] <= j["latency_ns"]["p99"] <= j["latency_ns"]["max"]
for hop in ["intended_to_ingest", "ingest_to_strategy", "strategy_to_risk", "risk_to_gateway",
            "gateway_to_venue"]:
    for k in keys:
        assert isinstance(j["hops"][hop][k], int), (hop, k)
assert isinstance(j["ring_full_waits"], int)
assert len(j["thread_plan"]) == 2 and "cpu0" in j["thread_plan"][0], j["thread_plan"]
assert j["journal"]["durability"] == "os" and j["journal"]["dir"]
for k in ["cpu_model", "cores", "cpus_used", "kernel", "governor", "isolcpus", "thp"]:
    assert k in j["host"], k
assert j["host"]["cores"] >= 1
PY
}

# Open loop, the default config (config/bench.json, found from the repository root).
"$KEEL" bench e2e --events 20000 --rate 50000 --json "$T/open.json" >"$T/out" 2>"$T/err"
expect_rc 0 $? "bench e2e open loop"
for want in "open loop, 20000 events at 50000 events/s intended" \
            "20000 of 20000 orders reached the venue" "exactly one market order" \
            "p50" "p99.99" "end to end" "ingest -> strategy" "gateway -> venue" \
            "feed[ingest] cpu0 yield" "core[strategy,risk,gateway] cpu1 yield" \
            "(removed)" "host " "kernel " "governor " "isolcpus " "thp "; do
    expect_contains "$T/out" "$want" "bench e2e output"
done
check_json "$T/open.json" open_loop 20000
dir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["journal"]["dir"])' "$T/open.json")
[ ! -e "$dir" ] || fail "the temp journal $dir was not removed"

# Saturated, with a kept journal that `keel journal verify` accepts.
"$KEEL" bench e2e --config config/bench.json --events 20000 --saturate --journal "$T/j" \
    --json "$T/sat.json" >"$T/out" 2>"$T/err"
expect_rc 0 $? "bench e2e --saturate"
expect_contains "$T/out" "saturate (closed loop: no pacing)" "saturate output"
expect_contains "$T/out" "(kept)" "saturate keeps --journal"
check_json "$T/sat.json" saturate 20000
"$KEEL" journal verify "$T/j" >"$T/out" 2>&1; expect_rc 0 $? "the bench journal verifies"

# Bad flags and values: a clear message, exit 2.
"$KEEL" bench e2e --events 0 >"$T/out" 2>"$T/err"; expect_rc 2 $? "--events 0"
expect_contains "$T/err" "--events" "--events 0"
"$KEEL" bench e2e --rate -5 >"$T/out" 2>"$T/err"; expect_rc 2 $? "--rate -5"
"$KEEL" bench e2e --rate 1000 --saturate >"$T/out" 2>"$T/err"; expect_rc 2 $? "--rate with --saturate"
expect_contains "$T/err" "excludes" "--rate with --saturate"
"$KEEL" bench e2e --events 10 --journal "$T/j" >"$T/out" 2>"$T/err"; expect_rc 2 $? "non-empty --journal"
expect_contains "$T/err" "is not empty" "non-empty --journal"
"$KEEL" bench e2e --config config/demo.json --events 10 >"$T/out" 2>"$T/err"
expect_rc 2 $? "a config without alert_follower"
expect_contains "$T/err" "no alert_follower strategy" "a config without alert_follower"
(cd "$T" && "$KEEL" bench e2e --events 10 >"$T/out" 2>"$T/err"); expect_rc 2 $? "no default config here"
expect_contains "$T/err" "config/bench.json not found" "no default config here"
"$KEEL" bench e2e --help >"$T/out" 2>&1; expect_rc 0 $? "bench e2e --help"
expect_contains "$T/out" "--saturate" "bench e2e --help"

# The host check: one line per setting, exit 0, with or without a config; a config's CPUs this
# host lacks are reported, not fatal.
"$KEEL" run --check-host >"$T/out" 2>"$T/err"; expect_rc 0 $? "run --check-host"
for want in "governor: " "isolcpus: " "nohz_full: " "thp: " "swap: " "memlock: " "cpus: "; do
    expect_contains "$T/out" "$want" "run --check-host"
done
"$KEEL" run --check-host --config config/tuned-6core.json >"$T/out" 2>"$T/err"
expect_rc 0 $? "run --check-host with the tuned plan"
expect_contains "$T/out" "plan ingest cpu2 busy_spin" "check-host names the plan"
"$KEEL" run >"$T/out" 2>"$T/err"; expect_rc 2 $? "run without --config"
expect_contains "$T/err" "--config is required" "run without --config"

# The tuned plan is valid but for CPUs: with its CPUs mapped onto this host's it passes
# config check.
KEEL__THREADS__0__CPU=0 KEEL__THREADS__1__CPU=1 KEEL__THREADS__2__CPU=0 KEEL__THREADS__3__CPU=1 \
    "$KEEL" config check config/tuned-6core.json >"$T/out" 2>"$T/err"
expect_rc 0 $? "config check tuned-6core.json (CPUs mapped)"
"$KEEL" config check config/tuned-6core.json >"$T/out" 2>"$T/err"
if [ $? -ne 0 ]; then
    # Only CPUs this host lacks may be wrong.
    if grep -v "does not exist or is not available" "$T/err" | grep -q "^  "; then
        cat "$T/err" >&2; fail "tuned-6core.json has problems besides missing CPUs"
    fi
fi
echo "bench_e2e_test: ok"
