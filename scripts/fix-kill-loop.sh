#!/usr/bin/env bash
# The FIX restart and reconnect tests at length: tests/e2e/fix_crash_test.py with each crash
# point once, KILLS random kill -9s of a session trading through `keel fix-venue` (each
# restarted on its journal) and DROPS connections the venue drops mid-flight (each
# reconnected). Each scenario prints its counts: orders sent, duplicate ClOrdIDs at the venue,
# fills against the venue's account (none lost, positions equal), orders in doubt at each
# restart or drop and how each was resolved before a new order, late orders at the venue,
# stale resends gap-filled, journal verify and replay --verify; then the time it took.
# Usage: scripts/fix-kill-loop.sh [KILLS] [DROPS]   (default 300 and 50; CI runs 20 and 5)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset dev >/dev/null
cmake --build --preset dev --target keel -j2
start=$(date +%s)
python3 tests/e2e/fix_crash_test.py build/dev/keel "$PWD" points "kills=${1:-300}" "drops=${2:-50}"
echo "fix-kill-loop: $(( $(date +%s) - start )) s"
