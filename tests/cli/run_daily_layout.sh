#!/bin/sh
# run_daily.sh's paths (its one layout block, --print-layout) are the ones
# the C layout module builds (dualrec-dump --layout, base/layout.h), and
# the stages write where the table says (dualrec-ingest: segment,
# rejects, dictionaries).
. "$(dirname "$0")/lib.sh"
RUN_DAILY=$(cd "$(dirname "$0")/../.." && pwd)/run_daily.sh
R=$TMP/root
D=2026-01-17

expect_exit 0 "$RUN_DAILY" --root "$R" --date $D --print-layout
cp "$OUT_FILE" "$TMP/shell"
[ ! -e "$R" ] || die "--print-layout created files"
expect_exit 0 "$BIN/dualrec-dump" --layout "$R" --date $D
cp "$OUT_FILE" "$TMP/c"
[ "$(wc -l < "$TMP/c")" -eq 12 ] || die "layout table has $(wc -l < "$TMP/c") rows"
diff "$TMP/c" "$TMP/shell" || die "run_daily.sh and layout.h disagree"

path() { sed -n "s/^$1	//p" "$TMP/c"; }
expect_exit 0 "$BIN/dualrec-ingest" -q --segments "$R/segments" --date $D \
    --logs "$SAMPLES/world/logs/dt=$D"
[ -f "$(path segment)" ] || die "no segment at $(path segment)"
[ -f "$(path rejects)" ] || die "no rejects at $(path rejects)"
[ -f "$(path dict)/items.dict" ] || die "no dictionaries in $(path dict)"

expect_exit 64 "$BIN/dualrec-dump" --layout "$R"
expect_stderr_has "usage: dualrec-dump"
exit 0
