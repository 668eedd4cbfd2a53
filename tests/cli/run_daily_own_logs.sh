#!/bin/sh
# run_daily.sh with a user's own logs: README's walkthrough "Your own logs"
# step by step, on the MovieLens latest-small cut in data-samples/ (the
# ratings and movies of 2018-05-01 .. 2018-09-24, files as GroupLens
# ships them) standing in for the downloaded ml-latest-small/.  Ratings
# only, no exposures: the whole chain runs with its defaults to published,
# non-empty tables; the dead ends on the way name their fix.
. "$(dirname "$0")/lib.sh"
ML=$SAMPLES/real/movielens
RATINGS=$ML/ratings-2018.csv
MOVIES=$ML/movies-2018.csv
RUN_DAILY=$(cd "$(dirname "$0")/../.." && pwd)/run_daily.sh
cd "$TMP" || die "no tmp"

# the first try, as the issue met it: no event column
expect_exit 65 "$BIN/dualrec-ingest" --segments ml/segments --split-days \
    --interactions "$RATINGS"
expect_stderr_has "missing column 'event' (tried event, action, type); header split on ',' into 4 columns 'userId,movieId,rating,timestamp'; fix: --const event=rate"

# step 1: every day since 2018-05-01 into its segment; a rating >= 4 is a like
expect_exit 0 "$BIN/dualrec-ingest" --segments ml/segments --split-days \
    --from 2018-05-01 --interactions "$RATINGS" --const event=rate \
    --value-event like:4 --items "$MOVIES" --const creator= --const upload_time=
expect_stderr_has "dualrec-ingest: split: 3098 rows read, 0 rejected, 0 outside --from/--to; 147 days written (2018-05-01 .. 2018-09-24)"
[ "$(ls -d ml/segments/dt=* | wc -l)" -eq 147 ] || die "expected 147 day segments"

# step 2: the items to find an audience for: movies rated at most twice
awk -F, 'NR > 1 && $4 + 0 >= 1525132800 { n[$2]++ }
         END { for (i in n) if (n[i] <= 2) print i }' "$RATINGS" | sort > ml/targets.txt
[ "$(wc -l < ml/targets.txt)" -gt 1000 ] || die "too few targets"

# step 3: the configuration
cat > ml.conf <<CONF
root = ml
days = 147
targets = ml/targets.txt
Q = 10
uac_args = --threshold 0.01
CONF

# step 4: the nightly chain for the last day publishes tables
expect_exit 0 "$RUN_DAILY" --config ml.conf --bin "$BIN" --date 2018-09-24
expect_stderr_has "day(s) without exposures: learnt from their interactions"
[ -f ml/out/dt=2018-09-24/_SUCCESS ] || die "no _SUCCESS"
pairs=$(zstd -dc ml/out/dt=2018-09-24/item_users.tsv.zst | tail -n +2 | wc -l)
[ "$pairs" -ge 50 ] || die "only $pairs pairs published"
[ "$(zstd -dc ml/out/dt=2018-09-24/item_users.tsv.zst | head -1)" = "$(printf 'item\trank\tuser\tscore\tchannel\tp_active')" ] \
    || die "item_users header changed"
# most targets are empty here (few raters come back the next day): said, with why
expect_stderr_has "got no user; no capacity: the "
grep -q '"targets_empty_share"' ml/out/dt=2018-09-24/manifest.json || die "no empty share in the manifest"

# step 5: backfill the day before; then 2018-09-24, published, runs only
# its replay of 2018-09-23's new tables; a second backfill runs nothing
expect_exit 0 "$RUN_DAILY" --config ml.conf --bin "$BIN" --from-date 2018-09-23 --to-date 2018-09-24
expect_stderr_has "run_daily.sh: backfill 2018-09-23..2018-09-24: 2 date(s) run, 0 already published"
[ -f ml/out/dt=2018-09-23/_SUCCESS ] || die "backfill did not publish 2018-09-23"
[ -f ml/eval/dt=2018-09-23/report.json ] || die "no replay of 2018-09-23"
expect_exit 0 "$RUN_DAILY" --config ml.conf --bin "$BIN" --from-date 2018-09-23 --to-date 2018-09-24
expect_stderr_has "run_daily.sh: backfill: 2018-09-24 published, skipped"
expect_stderr_has "run_daily.sh: backfill 2018-09-23..2018-09-24: 0 date(s) run, 2 already published"

# the default window (30 days) leaves older history out, and says so
expect_exit 0 "$RUN_DAILY" --root ml --targets ml/targets.txt --bin "$BIN" --date 2018-09-22 --eval 0
expect_stderr_has "note: 115 older day segment(s) (from 2018-05-01) are outside the 30-day window 2018-08-24..2018-09-22 and not used; widen it with --days N"
grep -q '"segments_before_window": "115"' ml/out/dt=2018-09-22/manifest.json || die "manifest lacks the older segments"

# a targets file that is not there is named
expect_exit 66 "$RUN_DAILY" --root ml --targets ml/nope.txt --bin "$BIN" --date 2018-09-24
expect_stderr "run_daily.sh: ml/nope.txt: cannot read the targets file (--targets or 'targets')"
exit 0
