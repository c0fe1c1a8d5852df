#!/usr/bin/env bash
# The main job: install dependencies, build (dev preset), run the demo paper session.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target keel
# config/demo.json replays the bundled data (no webhook or control API), so it needs no secrets;
# config/paper.json would (README, "Live paper trading").
exec ./build/dev/keel run --config config/demo.json "$@"
