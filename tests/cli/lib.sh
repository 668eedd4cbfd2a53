# lib.sh -- helpers sourced by tests/cli/*.sh.
#   expect_exit CODE CMD...        run CMD, fail unless it exits CODE;
#                                  its stderr is kept in $ERR_FILE
#   expect_stderr TEXT             fail unless stderr of the last
#                                  expect_exit equals TEXT exactly
#   expect_stderr_has TEXT         ... contains TEXT
#   tmp                            a fresh directory, removed on exit
set -u
BIN=${DUALREC_BIN:?DUALREC_BIN not set}
SAMPLES=${SAMPLES_DIR:?SAMPLES_DIR not set}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dualrec-cli-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ERR_FILE=$TMP/.stderr
OUT_FILE=$TMP/.stdout

die() { echo "FAIL: $*" >&2; exit 1; }

expect_exit() {
    want=$1; shift
    "$@" >"$OUT_FILE" 2>"$ERR_FILE"
    got=$?
    [ "$got" -eq "$want" ] || {
        cat "$ERR_FILE" >&2
        die "$*: exit $got, expected $want"
    }
}

expect_stderr() {
    got=$(cat "$ERR_FILE")
    [ "$got" = "$1" ] || die "stderr was '$got', expected '$1'"
}

expect_stderr_has() {
    grep -qF -- "$1" "$ERR_FILE" || {
        cat "$ERR_FILE" >&2
        die "stderr does not contain '$1'"
    }
}
