#!/usr/bin/env bash
# Install what is missing, then configure, build and test one CMake preset:
#   scripts/build-and-test.sh dev|tsan|asan
# (the tsan preset's tests are the `concurrency`-labelled ones, and its build preset builds only
# the two binaries they run, concurrency_tests and keel; see CMakePresets.json).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:?usage: scripts/build-and-test.sh PRESET}
bash scripts/deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j2
