#!/usr/bin/env bash
# memory.lock, with the real binary: as root with an unlimited RLIMIT_MEMLOCK `keel run` locks
# its memory (mlockall) and runs the session (where the limit cannot be raised, root's
# CAP_IPC_LOCK lifts it); with CAP_IPC_LOCK dropped (setpriv) and the limit
# lowered (prlimit) it refuses to start, exit 2, naming RLIMIT_MEMLOCK, the errno text and the
# limit. Needs root, setpriv and prlimit (exit 77: skipped); not registered under sanitizers,
# whose shadow memory mlockall cannot lock.
source "$(dirname "$0")/lib.sh" "$@"
cd "$SRC"
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v prlimit >/dev/null; then
    echo "memlock: needs root, setpriv and prlimit; skipped"
    exit 77
fi

# An unlimited limit when this host lets root raise it (CAP_SYS_RESOURCE; a container may not):
# else root's CAP_IPC_LOCK, which lifts the limit, under the current one.
unlimited=(prlimit --memlock=unlimited:unlimited)
"${unlimited[@]}" true 2>/dev/null || unlimited=()
KEEL__MEMORY__LOCK=true "${unlimited[@]}" \
    "$KEEL" run --config config/backtest.json --journal "$T/locked" >"$T/out" 2>"$T/err"
expect_rc 0 $? "memory.lock with an unlimited limit"
expect_contains "$T/err" "memory locked (mlockall MCL_CURRENT | MCL_FUTURE)" "memory.lock"
expect_contains "$T/out" "session msft-sma: end of data" "the locked session's summary"

rc=0
KEEL__MEMORY__LOCK=true prlimit --memlock=65536:65536 \
    setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock \
    "$KEEL" run --config config/backtest.json --journal "$T/refused" >"$T/out" 2>"$T/err" || rc=$?
expect_rc 2 $rc "memory.lock without CAP_IPC_LOCK under a 64 KiB limit"
expect_contains "$T/err" "keel: memory.lock: mlockall(MCL_CURRENT | MCL_FUTURE) failed: " "refusal"
expect_contains "$T/err" "RLIMIT_MEMLOCK is 65536 bytes (hard 65536 bytes), and without CAP_IPC_LOCK" "refusal"
[ ! -e "$T/refused" ] || fail "a refused start created its journal"
echo "memlock: locked as root with an unlimited limit; refused naming RLIMIT_MEMLOCK without the capability"
