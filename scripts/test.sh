#!/usr/bin/env bash
# Install dependencies, build everything (dev preset, -Werror), run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev -j2
