#!/usr/bin/env bash
# Secrets fail closed, with the real binary: `keel run --config config/paper.json` (and
# `keel config check`) with no secrets in the environment exits 2 naming webhook.secret and
# control.token and the variables that set them; a 10-character secret exits 2; each shipped
# placeholder exits 2; a control API asked for without a token on a public address exits 2
# naming control.host. Nothing here binds a port: every run is refused at the config.
source "$(dirname "$0")/lib.sh" "$@"
cd "$SRC"
# The environment without any KEEL__ variable the caller may have.
clean_env() { env $(env | sed -n 's/^\(KEEL__[A-Za-z0-9_]*\)=.*/-u \1/p') "$@"; }
STRONG_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
STRONG_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

no_secrets() {  # no_secrets WHAT: the last run's stderr names both keys and their variables
    for text in "webhook.secret:" "control.token:" KEEL__WEBHOOK__SECRET KEEL__CONTROL__TOKEN; do
        expect_contains "$T/err" "$text" "$1 with no secrets"
    done
}
rc=0
clean_env "$KEEL" run --config config/paper.json --journal "$T/never" >"$T/out" 2>"$T/err" || rc=$?
expect_rc 2 $rc "keel run --config config/paper.json with no secrets"
no_secrets "keel run"
rc=0
clean_env "$KEEL" config check config/paper.json >"$T/out" 2>"$T/err" || rc=$?
expect_rc 2 $rc "keel config check config/paper.json with no secrets"
no_secrets "keel config check"
[ ! -e "$T/never" ] || fail "a refused keel run created its journal"

rc=0
clean_env KEEL__WEBHOOK__SECRET=abcdefghij KEEL__CONTROL__TOKEN="$STRONG_TOKEN" \
    "$KEEL" run --config config/paper.json --journal "$T/never" >"$T/out" 2>"$T/err" || rc=$?
expect_rc 2 $rc "a 10-character webhook secret"
expect_contains "$T/err" "webhook.secret: is 10 characters long" "a 10-character webhook secret"
expect_not_contains "$T/err" "abcdefghij" "the refused secret is never printed"

# Each placeholder the shipped configs hold, as the value of either key, in the environment.
for placeholder in "change-me: set KEEL__WEBHOOK__SECRET" "change-me: set KEEL__CONTROL__TOKEN"; do
    rc=0
    clean_env KEEL__WEBHOOK__SECRET="$placeholder" KEEL__CONTROL__TOKEN="$STRONG_TOKEN" \
        "$KEEL" run --config config/paper.json --journal "$T/never" >"$T/out" 2>"$T/err" || rc=$?
    expect_rc 2 $rc "webhook secret '$placeholder'"
    expect_contains "$T/err" "webhook.secret: is the placeholder" "webhook secret '$placeholder'"
    rc=0
    clean_env KEEL__WEBHOOK__SECRET="$STRONG_SECRET" KEEL__CONTROL__TOKEN="$placeholder" \
        "$KEEL" run --config config/paper.json --journal "$T/never" >"$T/out" 2>"$T/err" || rc=$?
    expect_rc 2 $rc "control token '$placeholder'"
    expect_contains "$T/err" "control.token: is the placeholder" "control token '$placeholder'"
done

# No token asked for, on every address: refused naming control.host.
rc=0
clean_env KEEL__WEBHOOK__SECRET="$STRONG_SECRET" KEEL__CONTROL__AUTH=none KEEL__CONTROL__TOKEN=null \
    KEEL__CONTROL__HOST=0.0.0.0 "$KEEL" config check config/paper.json >"$T/out" 2>"$T/err" || rc=$?
expect_rc 2 $rc "control.auth none on 0.0.0.0"
expect_contains "$T/err" "control.host: '0.0.0.0' is not a loopback address" "control.auth none"

# Strong secrets from the environment: the config is valid, and masked in what is printed.
clean_env KEEL__WEBHOOK__SECRET="$STRONG_SECRET" KEEL__CONTROL__TOKEN="$STRONG_TOKEN" \
    "$KEEL" config check config/paper.json >"$T/out" 2>"$T/err"
expect_rc 0 $? "config check with strong secrets in the environment"
expect_not_contains "$T/out" "$STRONG_SECRET" "config check output"
echo "secrets: missing, short and placeholder secrets refused (exit 2, keys named); strong ones pass"
