#!/usr/bin/env bash
# The Alpaca restart and reconnect tests at length: tests/e2e/alpaca_crash_test.py with each
# crash point once, KILLS random kill -9s of a session trading through `keel alpaca-venue`
# (each restarted on its journal) and DROPS trade_updates streams the server closes without
# replay (each reopened and reconciled). Each scenario prints its counts: orders sent,
# duplicate orders at the server (max_orders_per_client_id), fills against the server's
# account (none lost, positions and cash equal), orders in doubt at each restart or drop and
# how each was resolved before a new order, request outcomes journaled, journal verify and
# replay --verify; then the time it took.
# Usage: scripts/alpaca-kill-loop.sh [KILLS] [DROPS]   (default 300 and 50; CI runs 20 and 3)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset dev >/dev/null
cmake --build --preset dev --target keel -j2
start=$(date +%s)
python3 tests/e2e/alpaca_crash_test.py build/dev/keel "$PWD" points "kills=${1:-300}" \
    "drops=${2:-50}"
echo "alpaca-kill-loop: $(( $(date +%s) - start )) s"
