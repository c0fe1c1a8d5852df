#!/usr/bin/env bash
# The restart test at length: tests/e2e/recovery_test.sh with 300 SIGKILLs at random points,
# once with the synchronous simulator and once with the simulator on its own thread behind the
# asynchronous venue seam (venue.threaded). Each run prints its kills and the checks it passed
# (fills, P&L, cash and positions equal to an uninterrupted run's, no order id sent twice,
# journal verify and replay --verify). Paced at 1000 events/s so 300 kills fit in the data.
# Then both again with two accounts on two simulators (config/accounts.json).
# Usage: scripts/kill-loop.sh [KILLS]   (default 300; the test suite runs 20, synchronous)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset dev >/dev/null
cmake --build --preset dev --target keel
for accounts in 0 1; do
    for threaded in 0 1; do
        KEEL_KILLS="${1:-300}" KEEL_PACE=1000 KEEL_THREADED_VENUE=$threaded KEEL_ACCOUNTS=$accounts \
            bash tests/e2e/recovery_test.sh build/dev/keel "$PWD"
    done
done
