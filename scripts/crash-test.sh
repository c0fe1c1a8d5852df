#!/usr/bin/env bash
# The journal crash test at length: a child appends through the real writer in sync and group
# modes, reporting each durable sequence over a pipe, and is SIGKILLed at random moments; every
# acknowledged sequence must survive and the stream must never be corrupt.
# Usage: scripts/crash-test.sh [ITERATIONS]   (default 1000; the test suite runs 60)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset dev >/dev/null
cmake --build --preset dev --target unit_tests
KEEL_CRASH_ITERATIONS="${1:-1000}" ./build/dev/tests/unit_tests \
    --gtest_filter='JournalTest.AcknowledgedRecordsSurviveSigkillAtRandomMoments'
