#!/bin/sh
# dualrec-eval uac on the sample world (seven days ingested, one removed):
# the evaluation of one run date and the backtest of two print exactly what
# `dualrec-uac --eval` / `--eval-days 2` printed before the evaluation left
# dualrec-uac (the .out files beside this script were written by it), the
# same with 1 thread; the training flags are checked as dualrec-uac checks
# them; a missing next day fails before any work (66).
. "$(dirname "$0")/lib.sh"
S="$TMP/seg"
W="$SAMPLES/world/logs"
G="$(dirname "$0")/dualrec-eval_uac_world"

for d in 05 06 07 08 09 10 11; do
    expect_exit 0 "$BIN/dualrec-ingest" -q --segments "$S" \
        --date "2026-01-$d" --logs "$W/dt=2026-01-$d"
done
rm -r "$S/dt=2026-01-07"

E="$BIN/dualrec-eval uac --segments $S --days 6 --rounds 10"
expect_exit 0 $E --date 2026-01-10 --threads 2
expect_stderr ""
cmp -s "$OUT_FILE" "$G.1day.out" || die "evaluation differs from the golden"
expect_exit 0 env OMP_NUM_THREADS=1 $E -q --date 2026-01-10 --threads 1
cmp -s "$OUT_FILE" "$G.1day.out" || die "evaluation differs with 1 thread"
expect_exit 0 $E -q --date 2026-01-10 --eval-days 2 --threads 2
cmp -s "$OUT_FILE" "$G.2days.out" || die "backtest differs from the golden"

# the stage's flags, checked as dualrec-uac checks them
expect_exit 64 $E --date 2026-01-10 --target-recall 1.5
expect_stderr "dualrec-eval: --target-recall must be in [0, 1] '1.5'"
expect_exit 64 $E --date 2026-01-10 --cap-min 20 --cap-max 10
expect_stderr "dualrec-eval: need --cap-min <= --cap-max <= 65535 and --cap-scale >= 0"
expect_exit 64 $E --date 2026-01-10 --eval-days 0
expect_stderr "dualrec-eval: --eval-days must be in 1..3660 '0'"
expect_exit 64 $E --date 2026-01-10 --out "$TMP/a.bin"
expect_stderr_has "usage: dualrec-eval"
expect_exit 64 "$BIN/dualrec-eval" uac --date 2026-01-10
expect_stderr_has "usage: dualrec-eval"

# the day after 2026-01-11 was not ingested: nothing is computed, also
# when it is the last of a backtest
expect_exit 66 $E -q --date 2026-01-11
expect_stderr "dualrec-eval: $S/dt=2026-01-12/segment.bin: cannot open: No such file or directory"
[ -s "$OUT_FILE" ] && die "stdout not empty"
expect_exit 66 $E -q --date 2026-01-11 --eval-days 3
expect_stderr "dualrec-eval: $S/dt=2026-01-12/segment.bin: cannot open: No such file or directory"
exit 0
