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

# tiny_chain ITEMS_PER_DAY SEED: a generated world of 400 users and 6 days
# (2026-01-05 .. 10) in $W, its segments in $S, and the models of
# D = 2026-01-10 with small settings in $TMP/{tower,rank,avail}.bin: where
# the match and oracle tests start.
tiny_chain() {
    for x in gen ingest train-tower train-rank uac match; do
        [ -x "$BIN/dualrec-$x" ] || die "dualrec-$x is not built"
    done
    W=$TMP/world
    S=$TMP/seg
    D=2026-01-10
    "$BIN/dualrec-gen" -q --out "$W" --users 400 --items-per-day "$1" \
        --days 6 --start 2026-01-05 --seed "$2" || die "dualrec-gen failed"
    for i in 0 1 2 3 4 5; do
        day=$(date -u -d "2026-01-05 + $i day" +%F)
        "$BIN/dualrec-ingest" -q --segments "$S" --date "$day" \
            --logs "$W/logs/dt=$day" || die "ingest $day failed"
    done
    "$BIN/dualrec-train-tower" -q --segments "$S" --date $D --days 6 \
        --dim 8 --epochs 2 --out "$TMP/tower.bin" || die "train-tower failed"
    "$BIN/dualrec-train-rank" -q --segments "$S" --date $D --days 6 \
        --epochs 1 --hash-bits 12 --out "$TMP/rank.bin" \
        || die "train-rank failed"
    "$BIN/dualrec-uac" -q --segments "$S" --date $D --days 6 --rounds 5 \
        --train-days 2 --out "$TMP/avail.bin" || die "uac failed"
}
