#!/usr/bin/env bash
# Proves the instruction-count gate catches a slower hot path: pipeline_icount_slowdown (the
# same session with extra work per event on the pipeline thread) fails bench/gate.py against a
# baseline measured from pipeline_icount, and pipeline_icount itself passes against it.
#   tests/bench_icount_slowdown_test.sh PIPELINE_ICOUNT PIPELINE_ICOUNT_SLOWDOWN SOURCE_DIR
set -euo pipefail
normal=${1:?usage: bench_icount_slowdown_test.sh PIPELINE_ICOUNT SLOWDOWN SOURCE_DIR}
slow=${2:?}
gate="${3:?}/bench/gate.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

python3 "$gate" icount "$normal" --out "$tmp/normal.json"
python3 "$gate" icount "$slow" --out "$tmp/slow.json"
python3 "$gate" update-icount-baseline --reason "this test's baseline" --icount "$tmp/normal.json" \
    --baseline "$tmp/baseline.json" >/dev/null

# A results file with no ratios and the measured count: only the icount gate decides.
results() {
  python3 -c 'import json,sys; print(json.dumps({"ratios": [], "benchmarks": {}, "icount": json.load(open(sys.argv[1]))}))' "$1"
}
results "$tmp/normal.json" >"$tmp/normal_results.json"
results "$tmp/slow.json" >"$tmp/slow_results.json"

status=0
python3 "$gate" check --results "$tmp/normal_results.json" --baseline "$tmp/baseline.json" \
    >"$tmp/normal.out" || status=$?
cat "$tmp/normal.out"
[ "$status" = 0 ] || fail "the unchanged pipeline should pass its own baseline (exit $status)"

status=0
python3 "$gate" check --results "$tmp/slow_results.json" --baseline "$tmp/baseline.json" \
    >"$tmp/slow.out" || status=$?
cat "$tmp/slow.out"
[ "$status" = 1 ] || fail "the deliberate slowdown should fail the gate with exit 1 (got $status)"
grep -q "^FAIL icount: .* instructions per event, baseline" "$tmp/slow.out" ||
  fail "the failure should name the instruction count"
echo "PASS: the deliberate slowdown fails the icount gate; the unchanged pipeline passes"
