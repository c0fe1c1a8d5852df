#!/usr/bin/env bash
# Every benchmark in one command: installs what is missing, builds the release preset (only
# the benchmark binaries and keel) and the icount preset (only pipeline_icount), runs every
# micro benchmark with its peers and floors, counts the fused pipeline's instructions per
# event under callgrind, runs the end-to-end harness when this keel has it, and writes
# bench/results/latest.json and bench/results/latest.md.
#
#   bench/run.sh [--quick]
#
# --quick: short runs (CI's gate; a few minutes on a 2-core VM with a cold build). Without it,
# longer runs and more repetitions for numbers worth recording.
# Exit status: 0 when everything ran (gate bounds are bench/gate.py's business), 1 when a
# benchmark failed its own checks or a step failed, 2 for a bad command line.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=full
for arg in "$@"; do
  case "$arg" in
    --quick) mode=quick ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$arg' (usage: bench/run.sh [--quick])" >&2; exit 2 ;;
  esac
done

# Binaries that compare keel against peers or floors print (and write) a ratio table; the
# others report per-event costs.
ratio_benches=(ring_bench journal_bench replay_bench webhook_bench feed_bench fix_bench alpaca_bench)
cost_benches=(indicator_bench account_bench strategy_bench risk_bench venue_bench)

bash scripts/deps.sh

# A launcher only when ccache is installed; a base directory makes cache entries shareable
# between clones at different paths (cmake passes absolute paths).
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
fi
jobs=$(nproc)
echo "== build: release preset (benchmarks, keel) and icount preset (pipeline_icount)"
cmake --preset release "${launcher[@]}" >/dev/null
cmake --build build/release -j"$jobs" --target "${ratio_benches[@]}" "${cost_benches[@]}" keel
# Valgrind cannot run the release preset's -march=native code (AVX-512 here), and an
# instruction count should not depend on the host's CPU: the icount preset fixes the ISA.
cmake --preset icount "${launcher[@]}" >/dev/null
cmake --build build/icount -j"$jobs" --target pipeline_icount

raw=bench/results/raw
rm -rf "$raw"
mkdir -p "$raw"

if [ "$mode" = quick ]; then
  # Three randomly interleaved repetitions (the table takes each benchmark's median): a single
  # short run of a cross-core benchmark swings by +-20% on this VM.
  ratio_flags=(--benchmark_min_time=0.1 --benchmark_repetitions=3
               --benchmark_enable_random_interleaving=true)
  cost_flags=(--benchmark_min_time=0.05)
else
  ratio_flags=(--benchmark_min_time=0.5 --benchmark_repetitions=7
               --benchmark_enable_random_interleaving=true)
  cost_flags=(--benchmark_min_time=0.2 --benchmark_repetitions=3)
fi

# Runs one benchmark binary; its exit status is recorded, not fatal, so one failure still
# leaves the others' numbers (collect.py and the gate report it).
run_bench() {
  local name=$1; shift
  echo "== $name"
  local status=0
  KEEL_BENCH_RATIOS="$raw/$name.ratios.json" "build/release/bench/$name" "$@" \
      --benchmark_color=false --benchmark_out="$raw/$name.gbench.json" \
      --benchmark_out_format=json \
      2>&1 | tee "$raw/$name.txt" || status=$?
  echo "$status" >"$raw/$name.exit"
}
for b in "${ratio_benches[@]}"; do run_bench "$b" "${ratio_flags[@]}"; done
for b in "${cost_benches[@]}"; do run_bench "$b" "${cost_flags[@]}"; done

echo "== icount: instructions per event of the fused pipeline (callgrind)"
python3 bench/gate.py icount build/icount/bench/pipeline_icount --out "$raw/icount.json" ||
  { echo "bench/run.sh: the instruction count failed" >&2; exit 1; }

# keel bench e2e lands separately (issue 7); run it when this keel has it.
keel=build/release/keel
bench_help=$("$keel" bench --help 2>&1 || true)
if grep -qE '^[[:space:]]+e2e([[:space:]]|$)' <<<"$bench_help"; then
  if [ "$mode" = quick ]; then
    e2e_args=(--events 200000 --rate 100000)
  else
    e2e_args=(--events 1000000 --rate 100000)
  fi
  echo "== e2e: keel bench e2e ${e2e_args[*]}"
  status=0
  "$keel" bench e2e "${e2e_args[@]}" --json "$raw/e2e.json" 2>&1 | tee "$raw/e2e.txt" || status=$?
  echo "$status" >"$raw/e2e.exit"
else
  echo "== e2e: skipped: 'keel bench --help' lists no e2e command in this build"
  echo "'keel bench --help' lists no e2e command in this build" >"$raw/e2e.skipped"
fi

echo "== results"
python3 bench/collect.py "$raw" --mode "$mode" --out-dir bench/results
failed=0
for f in "$raw"/*.exit; do
  [ "$(cat "$f")" = 0 ] || { echo "bench/run.sh: $(basename "$f" .exit) failed" >&2; failed=1; }
done
echo "bench/run.sh: $mode run done in ${SECONDS} s (builds included)"
exit "$failed"
