#!/usr/bin/env bash
# Build with ThreadSanitizer and run the concurrency-labelled tests (ring stress, runner plans,
# shutdown drain, allocation guard, SIGTERM end-to-end) under it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset tsan >/dev/null
cmake --build --preset tsan
ctest --preset tsan
