# tests/fault/lib.sh -- fault-injection sweeps over one stage, sourced by
# tests/cli/*_faults.sh after tests/cli/lib.sh (docs/reliability.md).
#
#   fault_world                 a tiny generated world, ingested, with
#                               models, availability and a published day:
#                               $W (logs), $S (segments), $M (models),
#                               D1 < D (the two days)
#   fault_sweep CMD...          run CMD (one stage) clean, then once per
#                               step of its output path with that step
#                               failing, with short writes, and with a disk
#                               that fills up; see below
#
# Before fault_sweep the script defines
#   reset        put the stage's outputs back as before it ran
#   sums         print checksums of everything the stage writes
#   no_partial   fail (die) when a failed run left a visible partial output
#                (whole_or_absent helps)
# and sets OUTDIRS (where temp files must not be left behind).
#
# The steps come from the shim's own count on the clean run (faultinj.c):
# every fsync, close and rename of an output (under SANITIZE=1 the first,
# middle and last of each), and writes number 1, 2, the middle one, the
# last but one and the last.  Each failing case must exit
# with RC_IO (74), say on stderr which file failed and why (the errno's
# text), leave no temp file and no partial output, and a rerun must give
# the clean run's bytes.  Short writes (half of what was asked, as write(2)
# may do) must change nothing at all.  The shim is preloaded into ASan
# builds too, which then must not insist on coming first.
: "${FAULT_LIB:?FAULT_LIB not set (make cli sets it)}"
[ -f "$FAULT_LIB" ] || die "fault shim $FAULT_LIB is not built (make fault)"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
FAULT_CASES=0

fault_world() {
    W=$TMP/world
    S=$TMP/seg
    M=$TMP/models
    D1=2026-01-06
    D=2026-01-07
    mkdir -p "$M"
    "$BIN/dualrec-gen" -q --out "$W" --users 150 --items-per-day 15 \
        --days 3 --start 2026-01-05 --seed 5 || die "dualrec-gen failed"
    for day in 2026-01-05 $D1 $D; do
        "$BIN/dualrec-ingest" -q --segments "$S" --date $day \
            --logs "$W/logs/dt=$day" || die "ingest $day failed"
    done
    for day in $D1 $D; do
        "$BIN/dualrec-train-tower" -q --segments "$S" --date $day --days 2 \
            --dim 8 --epochs 1 --out "$M/tower.$day.bin" \
            || die "train-tower failed"
        "$BIN/dualrec-train-rank" -q --segments "$S" --date $day --days 2 \
            --epochs 1 --hash-bits 10 --out "$M/rank.$day.bin" \
            || die "train-rank failed"
        "$BIN/dualrec-uac" -q --segments "$S" --date $day --days 2 \
            --rounds 3 --train-days 1 --out "$M/avail.$day.bin" \
            || die "uac failed"
    done
}

# Run "$@" under the shim with the FAULT_* settings given before it
# (env-style NAME=value words); stderr in $ERR_FILE, exit code in $rc.
under_fault() {
    set -- env LD_PRELOAD="$FAULT_LIB" FAULT_LOG="$TMP/fault.log" "$@"
    rm -f "$TMP/fault.log"
    "$@" >"$OUT_FILE" 2>"$ERR_FILE"
    rc=$?
}

# Fail unless each FILE is absent or has the bytes of the clean run's file
# of that name: a failure after the final rename (the directory's fsync)
# leaves the whole file, never part of one.
whole_or_absent() {
    w=$1; shift
    for f in "$@"; do
        [ -e "$f" ] || continue
        echo "$clean" | grep -q "^$(sha256sum < "$f" | cut -d' ' -f1) .*$(basename "$f")\$" \
            || die "$w: $f is there and differs from a clean run"
    done
}

no_temp() {
    left=$(find $OUTDIRS -name '*.tmp.*' 2>/dev/null)
    [ -z "$left" ] || die "$1: temp files left: $left"
}

# The write numbers to try out of n: 1, 2, middle, n-1, n (unique, > 0).
write_steps() {
    n=$1
    printf '%s\n' 1 2 $((n / 2)) $((n - 1)) "$n" | awk -v n="$n" \
        '$1 >= 1 && $1 <= n && !seen[$1]++'
}

# The fsync/close/rename numbers to try out of n: every one; under
# SANITIZE=1 (three times slower) the first, the middle and the last.
op_steps() {
    if [ "${SANITIZE:-0}" = 1 ] && [ "$1" -gt 3 ]; then
        printf '%s\n' 1 $((($1 + 1) / 2)) "$1"
    else
        seq 1 "$1"
    fi
}

# One failing case: op, step, errno, FAULT_STICKY (0/1); then the command.
fault_case() {
    op=$1 k=$2 e=$3 st=$4; shift 4
    what="$op #$k $e$([ "$st" = 1 ] && echo ' from then on')"
    reset
    under_fault FAULT_OP=$op FAULT_NTH=$k FAULT_ERRNO=$e FAULT_STICKY=$st "$@"
    grep -q "^fired .* $op $k " "$TMP/fault.log" 2>/dev/null \
        || die "$what: the fault was not reached (exit $rc)"
    [ "$rc" -eq 74 ] || { cat "$ERR_FILE" >&2; die "$what: exit $rc, expected 74"; }
    case $e in
    ENOSPC) why="No space left on device" ;;
    EIO) why="Input/output error" ;;
    *) why="" ;;
    esac
    [ "$(wc -l < "$ERR_FILE")" -ge 1 ] || die "$what: no error message"
    grep -q "^$prog: .*$why" "$ERR_FILE" || {
        cat "$ERR_FILE" >&2; die "$what: stderr lacks '$prog: ...$why'"; }
    no_temp "$what"
    no_partial "$what"
    # the rerun, without the fault, writes the clean run's bytes
    expect_exit 0 "$@"
    [ "$(sums)" = "$clean" ] || die "$what: rerun differs from a clean run"
    FAULT_CASES=$((FAULT_CASES + 1))
}

fault_sweep() {
    prog=$(basename "$1")
    reset
    under_fault "$@"
    [ "$rc" -eq 0 ] || { cat "$ERR_FILE" >&2; die "clean run: exit $rc"; }
    clean=$(sums)
    counts=$(grep "^count $prog " "$TMP/fault.log") \
        || die "the shim counted nothing for $prog"
    count_of() { echo "$counts" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    nw=$(count_of write) nf=$(count_of fsync) nc=$(count_of close)
    nr=$(count_of rename)
    [ "$nw" -gt 0 ] && [ "$nf" -gt 0 ] && [ "$nr" -gt 0 ] \
        || die "$prog: no output steps counted ($counts)"
    echo "$prog: $counts" >&2
    e=ENOSPC
    for k in $(write_steps "$nw"); do
        fault_case write "$k" $e 0 "$@"
        e=$([ $e = ENOSPC ] && echo EIO || echo ENOSPC)
    done
    for op in fsync close rename; do
        eval "n=\$n$(echo $op | cut -c1)"
        for k in $(op_steps "$n"); do
            fault_case $op "$k" $e 0 "$@"
            e=$([ $e = ENOSPC ] && echo EIO || echo ENOSPC)
        done
    done
    # a disk that fills up in the middle and stays full
    fault_case write $(( (nw + 1) / 2 )) ENOSPC 1 "$@"
    # short writes: stdio writes the rest; nothing may change
    for k in $(write_steps "$nw"); do
        reset
        under_fault FAULT_OP=write FAULT_NTH="$k" FAULT_MODE=short "$@"
        [ "$rc" -eq 0 ] || { cat "$ERR_FILE" >&2; die "short write #$k: exit $rc"; }
        [ "$(sums)" = "$clean" ] || die "short write #$k changed the output"
        FAULT_CASES=$((FAULT_CASES + 1))
    done
    echo "$prog: $FAULT_CASES fault cases passed" >&2
}
