#!/bin/sh
# run.sh -- run libFuzzer targets for a bounded time (make fuzz).
#   FUZZ_BUILD=DIR FUZZ_SECONDS=S FUZZ_JOBS=J tests/fuzz/run.sh TARGET...
# Each DIR/fuzz_<target> starts from a fresh copy of the committed seeds
# (tests/fuzz/corpus/<target>/) and runs S seconds under ASan + UBSan, J
# targets at a time.  A crash, leak, timeout (10 s on one input) or
# out-of-memory (2 GB) fails the target; libFuzzer writes the input as
# DIR/crashes/<target>-<kind>-<sha1> and the log is printed.  One line per
# target (executions, corpus growth), then "fuzz: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${FUZZ_BUILD:?FUZZ_BUILD not set}" "${FUZZ_SECONDS:=60}" "${FUZZ_JOBS:=2}"

if [ "${1:-}" = "--one" ]; then
    t=$2
    exe=$FUZZ_BUILD/fuzz_$t
    seeds=$here/corpus/$t
    work=$FUZZ_BUILD/corpus/$t
    log=$FUZZ_BUILD/log/$t.log
    scratch=$FUZZ_BUILD/tmp/$t
    rm -rf "$work" "$scratch"
    mkdir -p "$work" "$scratch" "$FUZZ_BUILD/log" "$FUZZ_BUILD/crashes"
    n_seeds=0
    [ -d "$seeds" ] && n_seeds=$(find "$seeds" -type f | wc -l)
    start=$(date +%s)
    TMPDIR=$scratch OMP_NUM_THREADS=1 \
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$exe" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
            -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$FUZZ_BUILD/crashes/$t-" \
            "$work" "$seeds" >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    n_work=$(find "$work" -type f | wc -l)
    rm -rf "$scratch"
    if [ "$rc" -eq 0 ]; then
        echo "fuzz: $t: ok, ${execs:-?} executions in $secs s" \
             "($(( ${execs:-0} / (secs > 0 ? secs : 1) ))/s)," \
             "corpus $n_seeds seeds + $n_work new"
        exit 0
    fi
    echo "fuzz: $t: FAILED (exit $rc) after $secs s; log $log"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written|^ *#[0-9]+ ' \
        "$log" | head -n 40 | sed 's/^/    /'
    exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%s\n' "$@" | xargs -P "$FUZZ_JOBS" -I{} sh "$0" --one {} | tee "$out"
pass=$(grep -c ': ok,' "$out")
fail=$(grep -c ': FAILED' "$out")
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -eq $# ]
