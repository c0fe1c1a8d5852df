#!/usr/bin/env bash
# `cmake --install` puts keel and its config examples where config/keel.service expects them:
# staged with DESTDIR under the default prefix, the unit's ExecStart binary exists and runs, and
# the folder of the config it names holds the examples (keel.service and tuned-6core.json among
# them); under another prefix (--prefix) everything stays inside it.
# Usage: install_test.sh KEEL SRC BUILD_DIR
source "$(dirname "$0")/lib.sh" "$@"
BUILD=$3
UNIT="$SRC/config/keel.service"
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
binary=${exec_start%% *}
config=$(sed -n 's/.*--config \([^ ]*\).*/\1/p' <<<"$exec_start")
[ -n "$binary" ] && [ -n "$config" ] || fail "cannot read ExecStart and --config from $UNIT"
confdir=$(dirname "$config")

DESTDIR="$T/stage" cmake --install "$BUILD" --prefix /usr/local >"$T/out" 2>&1
expect_rc 0 $? "DESTDIR=... cmake --install $BUILD --prefix /usr/local"
[ -x "$T/stage$binary" ] || { cat "$T/out" >&2; fail "no keel at the unit's ExecStart path $binary"; }
"$T/stage$binary" --version >"$T/v" 2>&1
expect_rc 0 $? "the installed keel --version"
for f in keel.service README.md tuned-6core.json paper.json demo.json; do
    [ -f "$T/stage$confdir/$f" ] || { cat "$T/out" >&2; fail "no $f in $confdir (the unit's config folder)"; }
done
cmp -s "$UNIT" "$T/stage$confdir/keel.service" || fail "the installed keel.service differs"
# The installed keel checks an installed example (secrets from the environment).
KEEL__WEBHOOK__SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n') \
KEEL__CONTROL__TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n') \
    "$T/stage$binary" config check "$T/stage$confdir/paper.json" >"$T/out" 2>"$T/err"
expect_rc 0 $? "the installed keel's config check of the installed paper.json"

cmake --install "$BUILD" --prefix "$T/prefix" >"$T/out" 2>&1
expect_rc 0 $? "cmake --install $BUILD --prefix DIR"
[ -x "$T/prefix/bin/keel" ] || fail "--prefix: no bin/keel"
[ -f "$T/prefix/etc/keel/tuned-6core.json" ] || { cat "$T/out" >&2; fail "--prefix: no etc/keel/tuned-6core.json"; }
expect_not_contains "$T/out" " /etc/" "--prefix installs nothing outside the prefix"
echo "install: keel at $binary and the examples in $confdir as keel.service expects; --prefix stays inside"
