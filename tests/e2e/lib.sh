# Shared by the end-to-end scripts: their arguments, a scratch directory removed on exit, and
# assertions that print what they expected. Each script sources it with "$@".
KEEL=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() {  # expect_rc WANT GOT WHAT
    [ "$1" = "$2" ] || fail "$3: exit code $2, expected $1"
}
expect_contains() {  # expect_contains FILE TEXT WHAT
    grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "$3: missing '$2'"; }
}
expect_not_contains() {
    if grep -qF -- "$2" "$1"; then echo "--- $1:" >&2; cat "$1" >&2; fail "$3: unexpected '$2'"; fi
}
