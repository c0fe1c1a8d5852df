#!/usr/bin/env bash
# Do two commits write the same journals? Builds REV in a temporary worktree, runs each
# backtest config with its binary and with this tree's, from the repository root, and compares
# every journal segment file byte for byte (sha256). This tree's binary is build/dev/keel (built
# here if missing). Exit 0 when every segment is identical, 1 when one differs, 2 on a failure.
#   scripts/compare-journals.sh REV [CONFIG...]     (default configs: backtest.json demo.json)
# What a refactor that must change no behaviour is checked with (README.md, "Layout").
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/compare-journals.sh REV [CONFIG...]}
shift
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(config/backtest.json config/demo.json)
work=$(mktemp -d)
trap 'git worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach -q "$work/tree" "$rev"
echo "compare-journals: building $rev in a temporary worktree" >&2
(cd "$work/tree" && cmake --preset dev >/dev/null && cmake --build --preset dev --target keel >/dev/null)
if [ ! -x build/dev/keel ]; then
  cmake --preset dev >/dev/null && cmake --build --preset dev --target keel >/dev/null
fi
rc=0
for config in "${configs[@]}"; do
  name=$(basename "$config" .json)
  for side in before after; do
    bin=build/dev/keel
    [ "$side" = before ] && bin="$work/tree/build/dev/keel"
    "$bin" backtest --config "$config" --journal "$work/$side-$name" >/dev/null 2>"$work/$side-$name.err" ||
      { echo "compare-journals: $side $config failed:" >&2; cat "$work/$side-$name.err" >&2; exit 2; }
    (cd "$work/$side-$name" && sha256sum -- *.seg) >"$work/$side-$name.sha256"
  done
  if cmp -s "$work/before-$name.sha256" "$work/after-$name.sha256"; then
    echo "$config: $(wc -l <"$work/after-$name.sha256") segment files identical"
  else
    echo "$config: segment files differ:"; diff "$work/before-$name.sha256" "$work/after-$name.sha256" || true
    rc=1
  fi
done
exit $rc
