#!/usr/bin/env bash
# run_daily.sh -- the nightly run of dualrec for one date, as cron runs it.
#
# Chains the stages for date D (default: yesterday, UTC):
#   ingest  every day of the window [D-days+1, D] whose segment is missing
#           and whose logs exist (day D's logs are required)
#   tower   dualrec-train-tower, warm-started from D-1's model when present
#   rank    dualrec-train-rank (uses the new tower), warm-started from D-1's
#           model when present
#   uac     dualrec-uac (availability for D+1)
#   match   dualrec-match: publishes OUT/dt=D/ (tables, manifest, _SUCCESS)
#   eval    dualrec-eval of the previous date D-1 against day D (replay), when
#           OUT/dt=D-1/_SUCCESS exists; off with `eval = 0`
#
# A stage is skipped when its outputs are complete (the file exists and is a
# valid, checksummed dualrec file; for match, _SUCCESS + manifest) and no
# stage it depends on ran in this invocation.  Every stage writes atomically,
# so a run killed at any point (kill -9 included) leaves only complete
# outputs and stale temp files; the next run removes the temp files and
# completes the date with the same bytes a clean run writes.
#
# Two runs on the same root never overlap: the run holds flock(ROOT/.lock)
# (inherited by the stages), and a second run exits 75 (RC_RETRY).
#
# --from-date D1 --to-date D2 runs the chain for every date D1..D2 in order
# (a backfill), under one lock, skipping complete dates (published, and
# their replay of the day before done or not possible), and stops
# at the first date that fails, with its exit code.
#
# Exit codes: 0 ok; 64 bad flag; 66 day D's logs missing; 75 lock held;
# 78 bad config file or value; otherwise the exit code of the first stage
# that failed (see README, "Exit codes").
set -u
set -o pipefail

readonly STAGES="ingest tower rank uac match eval"
readonly RC_USAGE=64 RC_NOINPUT=66 RC_RETRY=75 RC_CONFIG=78

usage() {
    cat <<'EOF'
usage: run_daily.sh [--config FILE] [--date YYYY-MM-DD] [--root DIR]
                    [--from-date D1 --to-date D2] [--targets FILE]
                    [--logs DIR] [--days N] [--L N] [--Q N] [--zone Z]
                    [--bin DIR] [--threads N] [--seed N] [--eval 0|1]
                    [--from STAGE | --only STAGE] [--force] [--dry-run]
                    [--print-layout] [-q] [-v] [--help]
Runs the nightly dualrec chain for one date (default: yesterday, UTC):
ingest -> tower -> rank -> uac -> match (publishes OUT/dt=D) -> eval (D-1).
  --config FILE   key = value lines (see dualrec.conf.example); flags win
  --date D        the run date: data up to D, tables for D+1
  --from-date D1 --to-date D2
                  backfill: run every date D1..D2 in order (complete
                  dates are skipped), stop at the first failure
  --targets FILE  the items to match (one id a line) instead of the day's
                  uploads and long tail (also the key 'targets')
  --root DIR      run root: segments/, models/, avail/, out/, logs-run/
  --logs DIR      input logs, DIR/dt=YYYY-MM-DD/ (default ROOT/logs)
  --days N        training window in days (default 30)
  --L N           users per target item (default 200)
  --Q N           the same capacity N for every user (the paper's Q = 10);
                  default: per-user capacity Q_u from UAC
  --zone Z        day zone, e.g. UTC or +08:00 (default UTC)
  --bin DIR       where the dualrec-* executables are (default ./bin)
  --from STAGE    rerun STAGE and everything after it
  --only STAGE    rerun only STAGE
  --force         rerun every selected stage even when complete
  --dry-run       print the commands that would run, run nothing
  --print-layout  print the paths of date D (key TAB path), run nothing
Stages: ingest tower rank uac match eval.  Exit: 0 ok, 64 usage, 66 no
logs for D, 75 another run holds the lock, 78 bad config, else the failing
stage's exit code.
EOF
}

die_usage() { echo "run_daily.sh: $*" >&2; usage >&2; exit $RC_USAGE; }
die_config() { echo "run_daily.sh: $*" >&2; exit $RC_CONFIG; }

# ---- configuration: defaults < config file < flags -------------------------
here=$(cd "$(dirname "$0")" && pwd)
declare -A conf=(
    [root]="" [logs]="" [segments]="" [out]="" [models]="" [avail]=""
    [runlogs]="" [evalout]="" [days]=30 [L]=200 [Q]="" [zone]=UTC
    [bin]="${DUALREC_BIN:-$here/bin}" [threads]="" [seed]=1 [eval]=1
    [rank_tower]=0
    [ingest_args]="" [tower_args]="" [rank_args]="" [uac_args]=""
    [match_args]="" [eval_args]="" [targets]=""
)
declare -A flag=()
config="" date_s="" from="" only="" force=0 dry=0 verbose=1 print_layout=0
from_date="" to_date="" pass_args=()

need_arg() { [ $# -ge 2 ] || die_usage "$1 needs a value"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --config) need_arg "$@"; config=$2; pass_args+=("$1" "$2"); shift ;;
    --date) need_arg "$@"; date_s=$2; shift ;;
    --from-date) need_arg "$@"; from_date=$2; shift ;;
    --to-date) need_arg "$@"; to_date=$2; shift ;;
    --root|--logs|--segments|--out|--models|--avail|--bin|--days|--L|--Q|\
    --zone|--threads|--seed|--eval|--targets)
        need_arg "$@"; flag[${1#--}]=$2; pass_args+=("$1" "$2"); shift ;;
    --from) need_arg "$@"; from=$2; pass_args+=("$1" "$2"); shift ;;
    --only) need_arg "$@"; only=$2; pass_args+=("$1" "$2"); shift ;;
    --force) force=1; pass_args+=("$1") ;;
    --dry-run|-n) dry=1; pass_args+=("$1") ;;
    --print-layout) print_layout=1; pass_args+=("$1") ;;
    -q|--quiet) verbose=0; pass_args+=("$1") ;;
    -v|--verbose) verbose=2; pass_args+=("$1") ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown option '$1'" ;;
    esac
    shift
done

# A config file is "key = value" lines; '#' starts a comment; values may be
# double-quoted.  It is parsed, never sourced, so it cannot run commands.
if [ -n "$config" ]; then
    [ -r "$config" ] || die_config "$config: cannot read config file"
    lineno=0
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        line=${line%%#*}
        line=$(printf '%s' "$line" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
        [ -z "$line" ] && continue
        case "$line" in
        *=*) ;;
        *) die_config "$config:$lineno: expected 'key = value', got '$line'" ;;
        esac
        key=$(printf '%s' "${line%%=*}" | sed 's/[[:space:]]*$//')
        val=$(printf '%s' "${line#*=}" | sed 's/^[[:space:]]*//')
        case "$val" in \"*\") val=${val#\"}; val=${val%\"} ;; esac
        [ -n "${conf[$key]+set}" ] || die_config "$config:$lineno: unknown key '$key'"
        conf[$key]=$val
    done < "$config"
fi
for k in "${!flag[@]}"; do conf[$k]=${flag[$k]}; done

[ -n "${conf[root]}" ] || die_usage "no run root: give --root or 'root' in --config"
root=${conf[root]}

is_uint() { case "$1" in ''|*[!0-9]*) return 1 ;; esac; }
for k in days L seed; do
    is_uint "${conf[$k]}" || die_config "$k: expected a whole number, got '${conf[$k]}'"
done
[ -z "${conf[Q]}" ] || is_uint "${conf[Q]}" \
    || die_config "Q: expected a whole number, got '${conf[Q]}'"
[ "${conf[days]}" -ge 1 ] || die_config "days: must be at least 1"
[ -z "${conf[threads]}" ] || is_uint "${conf[threads]}" \
    || die_config "threads: expected a whole number, got '${conf[threads]}'"
for k in eval rank_tower; do
    case "${conf[$k]}" in 0|1) ;; *) die_config "$k: expected 0 or 1, got '${conf[$k]}'" ;; esac
done
for s in "$from" "$only"; do
    [ -z "$s" ] || case " $STAGES " in *" $s "*) ;; *)
        die_usage "unknown stage '$s' (expected one of: $STAGES)" ;; esac
done
[ -n "$from" ] && [ -n "$only" ] && die_usage "--from and --only exclude each other"

[ -z "${conf[targets]}" ] || [ -r "${conf[targets]}" ] || {
    echo "run_daily.sh: ${conf[targets]}: cannot read the targets file (--targets or 'targets')" >&2
    exit $RC_NOINPUT
}

# ---- backfill: the dates, checked here, run below (after the layout) --------
if [ -n "$from_date$to_date" ]; then
    [ -n "$from_date" ] && [ -n "$to_date" ] \
        || die_usage "--from-date and --to-date go together"
    [ -z "$date_s" ] || die_usage "--date and --from-date/--to-date exclude each other"
    for d in "$from_date" "$to_date"; do
        ok=$(date -u -d "$d" +%F 2>/dev/null) && [ "$ok" = "$d" ] \
            || die_usage "--from-date/--to-date: expected YYYY-MM-DD, got '$d'"
    done
    [[ "$from_date" < "$to_date" || "$from_date" = "$to_date" ]] \
        || die_usage "--from-date $from_date is after --to-date $to_date"
fi

# ---- dates (GNU date, UTC arithmetic on calendar days) ----------------------
if [ -z "$date_s" ]; then
    date_s=$(date -u -d yesterday +%F)
fi
day_ok=$(date -u -d "$date_s" +%F 2>/dev/null) && [ "$day_ok" = "$date_s" ] \
    || die_usage "--date: expected YYYY-MM-DD, got '$date_s'"
day_add() { date -u -d "$1 $2 days" +%F; }
D=$date_s
PREV=$(day_add "$D" -1)
# The window's days, oldest first (one date call): win_day[k] is D-(days-1-k).
mapfile -t win_day < <(for ((k = conf[days] - 1; k >= 0; k--)); do
                           echo "$D -$k days"; done | date -u -f - +%F)

bin=${conf[bin]}
exe() { printf '%s/dualrec-%s' "$bin" "$1"; }
if [ -n "${conf[threads]}" ]; then export OMP_NUM_THREADS=${conf[threads]}; fi

# ---- the run-root layout: every path of a day, built here only --------------
# The same table as include/base/layout.h; `--print-layout` prints it and
# tests/cli/run_daily_layout.sh compares it with `dualrec-dump --layout`.
: "${conf[logs]:=$root/logs}" "${conf[segments]:=$root/segments}"
: "${conf[out]:=$root/out}" "${conf[models]:=$root/models}"
: "${conf[avail]:=$root/avail}" "${conf[runlogs]:=$root/logs-run}"
: "${conf[evalout]:=$root/eval}"
day_dir() { printf '%s/dt=%s' "$1" "$2"; }          # FOLDER DAY
logs_dir() { day_dir "${conf[logs]}" "$1"; }
seg_file() { printf '%s/segment.bin' "$(day_dir "${conf[segments]}" "$1")"; }
rejects_file() { printf '%s/rejects.csv' "$(day_dir "${conf[segments]}" "$1")"; }
dict_dir() { printf '%s/dict' "${conf[segments]}"; }
model_dir() { day_dir "${conf[models]}" "$1"; }
tower_file() { printf '%s/tower.bin' "$(model_dir "$1")"; }
rank_file() { printf '%s/rank.bin' "$(model_dir "$1")"; }
avail_dir() { day_dir "${conf[avail]}" "$1"; }
avail_file() { printf '%s/avail.bin' "$(avail_dir "$1")"; }
out_dir() { day_dir "${conf[out]}" "$1"; }
manifest_file() { printf '%s/manifest.json' "$(out_dir "$1")"; }
success_file() { printf '%s/_SUCCESS' "$(out_dir "$1")"; }
eval_dir() { day_dir "${conf[evalout]}" "$1"; }
runlog_file() { printf '%s/dt=%s.log' "${conf[runlogs]}" "$1"; }
print_layout() {
    printf 'logs\t%s\n' "$(logs_dir "$1")"
    printf 'segment\t%s\n' "$(seg_file "$1")"
    printf 'rejects\t%s\n' "$(rejects_file "$1")"
    printf 'dict\t%s\n' "$(dict_dir)"
    printf 'tower\t%s\n' "$(tower_file "$1")"
    printf 'rank\t%s\n' "$(rank_file "$1")"
    printf 'avail\t%s\n' "$(avail_file "$1")"
    printf 'out\t%s\n' "$(out_dir "$1")"
    printf 'manifest\t%s\n' "$(manifest_file "$1")"
    printf 'success\t%s\n' "$(success_file "$1")"
    printf 'eval\t%s\n' "$(eval_dir "$1")"
    printf 'runlog\t%s\n' "$(runlog_file "$1")"
}
if [ "$print_layout" = 1 ]; then print_layout "$D"; exit 0; fi

# ---- backfill: one run per date, in order, under this run's lock -------------
if [ -n "$from_date" ]; then
    mapfile -t dates < <(d=$from_date; while [[ "$d" < "$to_date" || "$d" = "$to_date" ]]; do
                             echo "$d"; d=$(date -u -d "$d 1 day" +%F); done)
    if [ "$dry" = 0 ]; then
        mkdir -p "$root" || die_config "cannot create run root '$root'"
        exec 9>>"$root/.lock" || die_config "cannot open lock file '$root/.lock'"
        if ! flock -n 9; then
            echo "run_daily.sh: another run holds $root/.lock; retry later" >&2
            exit $RC_RETRY
        fi
    fi
    n_run=0 n_skip=0
    for d in "${dates[@]}"; do
        p=$(day_add "$d" -1)
        # complete: published, and its evaluation of the day before done
        # (or off, or nothing to evaluate)
        if [ "$force" = 0 ] && [ -z "$from$only" ] \
           && [ -f "$(success_file "$d")" ] && [ -f "$(manifest_file "$d")" ] \
           && { [ "${conf[eval]}" = 0 ] || [ ! -f "$(success_file "$p")" ] \
                || [ -f "$(eval_dir "$p")/report.json" ]; }; then
            [ "$verbose" -ge 1 ] && echo "run_daily.sh: backfill: $d published, skipped" >&2
            n_skip=$((n_skip + 1))
            continue
        fi
        # the child inherits the locked descriptor 9 and must not lock again
        DUALREC_RUN_DAILY_LOCKED="$root" "$BASH" "$0" "${pass_args[@]}" --date "$d"
        rc=$?
        if [ "$rc" != 0 ]; then
            echo "run_daily.sh: backfill: $d failed with exit $rc; dates after it not run" >&2
            exit "$rc"
        fi
        n_run=$((n_run + 1))
    done
    [ "$verbose" -ge 1 ] && echo "run_daily.sh: backfill $from_date..$to_date: $n_run date(s) run, $n_skip already published" >&2
    exit 0
fi

# ---- logging -----------------------------------------------------------------
logfile=""
stamp() { TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' -1; }
log() {
    local line
    line="$(stamp) run_daily: $*"
    [ "$verbose" -ge 1 ] && printf '%s\n' "$line" >&2
    [ -n "$logfile" ] && printf '%s\n' "$line" >> "$logfile"
    return 0
}
# Copy a stage's output lines to stderr and the log, each with a timestamp.
relay() {
    local tag=$1 line
    while IFS= read -r line; do
        line="$(stamp) $tag: $line"
        [ "$verbose" -ge 1 ] && printf '%s\n' "$line" >&2
        [ -n "$logfile" ] && printf '%s\n' "$line" >> "$logfile"
    done
    return 0
}

# ---- completeness checks -----------------------------------------------------
# A dualrec binary file is complete when it exists and its checksums verify
# (dualrec-eval --verify reads any binfile: magic, version, frame, checksum,
# and prints the paths that pass).  Results are cached per path until a
# stage runs (run_cmd clears the cache); verify_files checks many files in
# one process.
declare -A valid_cache=()
verify_files() {
    local p todo=()
    for p in "$@"; do
        [ -z "${valid_cache[$p]+x}" ] || continue
        valid_cache[$p]=1
        [ -s "$p" ] && todo+=("$p")
    done
    [ ${#todo[@]} -gt 0 ] || return 0
    while IFS= read -r p; do
        valid_cache[$p]=0
    done < <("$(exe eval)" --verify "${todo[@]}" 2>/dev/null)
    return 0
}
valid_file() {
    verify_files "$1"
    return "${valid_cache[$1]}"
}
window_segs() {
    local day
    for day in "${win_day[@]}"; do seg_file "$day"; echo; done
}
published() {
    [ -f "$(success_file "$1")" ] && [ -f "$(manifest_file "$1")" ]
}
complete() {
    case "$1" in
    ingest) local day segs
            mapfile -t segs < <(window_segs)
            verify_files "${segs[@]}"
            valid_file "$(seg_file "$D")" || return 1
            for day in "${win_day[@]}"; do
                [ -d "$(logs_dir "$day")" ] || continue
                valid_file "$(seg_file "$day")" || return 1
            done ;;
    tower) valid_file "$(tower_file "$D")" ;;
    rank) valid_file "$(rank_file "$D")" ;;
    uac) valid_file "$(avail_file "$D")" ;;
    match) published "$D" ;;
    eval) [ -f "$(eval_dir "$PREV")/report.json" ] \
              && [ -f "$(eval_dir "$PREV")/report.html" ] ;;
    esac
}
# What each stage reads from earlier stages (a rerun upstream forces it).
deps() {
    case "$1" in
    ingest) echo "" ;;
    tower|uac) echo "ingest" ;;
    rank) if [ "${conf[rank_tower]}" = 1 ]; then echo "ingest tower";
          else echo "ingest"; fi ;;
    match) echo "ingest tower rank uac" ;;
    eval) echo "ingest match" ;;
    esac
}

# ---- the commands --------------------------------------------------------------
split_args() { local s=${conf[$1]}; read -r -a extra <<< "$s"; }
cmd_ingest_day() {
    split_args ingest_args
    cmd=("$(exe ingest)" --segments "${conf[segments]}" --date "$1"
         --logs "$(logs_dir "$1")" --zone "${conf[zone]}" "${extra[@]}")
}
cmd_stage() {
    case "$1" in
    tower) split_args tower_args
        cmd=("$(exe train-tower)" --segments "${conf[segments]}" --date "$D"
             --days "${conf[days]}" --seed "${conf[seed]}")
        if valid_file "$(tower_file "$PREV")"; then
            cmd+=(--warm "$(tower_file "$PREV")")
        fi
        cmd+=(--out "$(tower_file "$D")" "${extra[@]}") ;;
    rank) split_args rank_args
        cmd=("$(exe train-rank)" --segments "${conf[segments]}" --date "$D"
             --days "${conf[days]}" --seed "${conf[seed]}")
        if [ "${conf[rank_tower]}" = 1 ]; then
            cmd+=(--tower "$(tower_file "$D")")
        fi
        if valid_file "$(rank_file "$PREV")"; then
            cmd+=(--warm "$(rank_file "$PREV")")
        fi
        cmd+=(--out "$(rank_file "$D")" "${extra[@]}") ;;
    uac) split_args uac_args
        cmd=("$(exe uac)" --segments "${conf[segments]}" --date "$D"
             --days "${conf[days]}" --seed "${conf[seed]}")
        if [ -n "${conf[Q]}" ]; then
            cmd+=(--cap-min "${conf[Q]}" --cap-max "${conf[Q]}")
        fi
        cmd+=(--out "$(avail_file "$D")" "${extra[@]}") ;;
    match) split_args match_args
        cmd=("$(exe match)" --segments "${conf[segments]}" --date "$D"
             --tower "$(tower_file "$D")" --rank "$(rank_file "$D")"
             --avail "$(avail_file "$D")" --days "${conf[days]}"
             --L "${conf[L]}" --out "${conf[out]}")
        if [ -n "${conf[targets]}" ]; then
            cmd+=(--targets "${conf[targets]}")
        fi
        cmd+=("${extra[@]}") ;;
    eval) split_args eval_args
        cmd=("$(exe eval)" --segments "${conf[segments]}"
             --tables "${conf[out]}" --date "$PREV")
        if valid_file "$(avail_file "$PREV")"; then
            cmd+=(--avail "$(avail_file "$PREV")")
        fi
        if valid_file "$(rank_file "$PREV")"; then
            cmd+=(--rank "$(rank_file "$PREV")" --days "${conf[days]}")
            if [ "${conf[rank_tower]}" = 1 ] && valid_file "$(tower_file "$PREV")"; then
                cmd+=(--tower "$(tower_file "$PREV")")
            fi
        fi
        cmd+=(--report "$(eval_dir "$PREV")" "${extra[@]}") ;;
    esac
}
quote_cmd() {
    local a out=""
    for a in "${cmd[@]}"; do out+=" $(printf '%q' "$a")"; done
    printf '%s' "${out# }"
}

# Run cmd[] with its stderr and stdout relayed; returns its exit code.
run_cmd() {
    local tag=$1 rc
    log "$tag: $(quote_cmd)"
    "${cmd[@]}" 2>&1 | relay "$tag"
    rc=${PIPESTATUS[0]}
    valid_cache=()
    return "$rc"
}

# Stale temp files of a killed run: safe to remove, we hold the lock.
clean_tmp() {
    local dir
    for dir in "$@"; do
        [ -d "$dir" ] || continue
        find "$dir" -name '*.tmp.*' -prune -exec rm -rf {} + 2>/dev/null
    done
    return 0
}

# ---- stage selection ---------------------------------------------------------
declare -A selected=() forced=() ran=()
pos=0
for s in $STAGES; do
    pos=$((pos + 1))
    if [ -n "$only" ]; then
        [ "$s" = "$only" ] && { selected[$s]=1; forced[$s]=1; }
    elif [ -n "$from" ]; then
        if [ -n "${reached:-}" ] || [ "$s" = "$from" ]; then
            reached=1; selected[$s]=1; forced[$s]=1
        fi
    else
        selected[$s]=1
        [ "$force" = 1 ] && forced[$s]=1
    fi
done
[ "$force" = 1 ] && for s in "${!selected[@]}"; do forced[$s]=1; done
[ "${conf[eval]}" = 1 ] || unset 'selected[eval]'

# Every executable a selected stage needs (and dualrec-eval, which checks
# outputs) must be there before anything runs.
stage_exe() {
    case "$1" in
    tower) echo train-tower ;; rank) echo train-rank ;; *) echo "$1" ;;
    esac
}
for s in eval $STAGES; do
    [ "$s" = eval ] || [ -n "${selected[$s]+x}" ] || continue
    [ -x "$(exe "$(stage_exe "$s")")" ] \
        || die_config "$(exe "$(stage_exe "$s")"): not found (set bin or --bin)"
done

# ---- dry run: print what would run, touch nothing ----------------------------
if [ "$dry" = 1 ]; then
    for s in $STAGES; do
        [ -n "${selected[$s]+x}" ] || continue
        upstream=0
        for p in $(deps "$s"); do [ -n "${ran[$p]+x}" ] && upstream=1; done
        if [ -z "${forced[$s]+x}" ] && [ "$upstream" = 0 ] && complete "$s"; then
            echo "# $s: complete, skipped"
            continue
        fi
        ran[$s]=1
        case "$s" in
        ingest)
            if [ ! -d "$(logs_dir "$D")" ] && ! valid_file "$(seg_file "$D")"; then
                echo "# ingest: no logs for $D in $(logs_dir "$D") (a run exits $RC_NOINPUT)"
            fi
            mapfile -t segs < <(window_segs)
            verify_files "${segs[@]}"
            for day in "${win_day[@]}"; do
                if valid_file "$(seg_file "$day")"; then
                    [ "$day" = "$D" ] || continue
                    [ -n "${forced[ingest]+x}" ] || continue
                fi
                [ -d "$(logs_dir "$day")" ] || continue
                cmd_ingest_day "$day"; quote_cmd; echo
            done ;;
        eval)
            if ! published "$PREV"; then echo "# eval: no tables for $PREV"; continue; fi
            cmd_stage eval; quote_cmd; echo ;;
        *) cmd_stage "$s"; quote_cmd; echo ;;
        esac
    done
    exit 0
fi

# ---- lock, log file ----------------------------------------------------------
mkdir -p "$root" || die_config "cannot create run root '$root'"
if [ "${DUALREC_RUN_DAILY_LOCKED:-}" = "$root" ] && { true >&9; } 2>/dev/null; then
    :   # a date of a backfill: the parent holds the lock on descriptor 9
else
    exec 9>>"$root/.lock" || die_config "cannot open lock file '$root/.lock'"
    if ! flock -n 9; then
        echo "run_daily.sh: another run holds $root/.lock; retry later" >&2
        exit $RC_RETRY
    fi
fi
mkdir -p "${conf[runlogs]}" || die_config "cannot create '${conf[runlogs]}'"
logfile=$(runlog_file "$D")
now_us() { echo "${EPOCHREALTIME/./}"; }
t_start=$(now_us)
log "date $D, root $root, window ${conf[days]} days, L ${conf[L]}, Q ${conf[Q]:-per user (UAC)}, zone ${conf[zone]}"
# History older than the window is not used: say so once per run.
older=0 oldest="" seg_pat=$(day_dir "${conf[segments]}" "")
if [ -d "${conf[segments]}" ]; then
    for p in "$seg_pat"*; do
        [ -d "$p" ] || continue
        d=${p#"$seg_pat"}
        if [[ "$d" < "${win_day[0]}" ]]; then
            older=$((older + 1))
            [ -n "$oldest" ] || oldest=$d
        fi
    done
fi
if [ "$older" -gt 0 ]; then
    log "note: $older older day segment(s) (from $oldest) are outside the ${conf[days]}-day window ${win_day[0]}..$D and not used; widen it with --days N (or 'days' in the config)"
fi

summary=()
secs_since() {
    local us=$(($(now_us) - $1))
    printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))
}
finish() {
    local rc=$1 line
    log "summary for $D (exit $rc):"
    for line in "${summary[@]}"; do log "  $line"; done
    if [ "$rc" = 0 ] && published "$D"; then log "  tables: $(out_dir "$D")/"; fi
    log "  total $(secs_since "$t_start") s; log: $logfile"
    exit "$rc"
}

# ---- run ---------------------------------------------------------------------
for s in $STAGES; do
    [ -n "${selected[$s]+x}" ] || continue
    upstream=0
    for p in $(deps "$s"); do [ -n "${ran[$p]+x}" ] && upstream=1; done
    if [ -z "${forced[$s]+x}" ] && [ "$upstream" = 0 ] && complete "$s"; then
        log "$s: complete, skipped"
        summary+=("$(printf '%-7s skipped' "$s")")
        continue
    fi
    t0=$(now_us)
    rc=0
    case "$s" in
    ingest)
        clean_tmp "${conf[segments]}"
        [ -d "$(logs_dir "$D")" ] || valid_file "$(seg_file "$D")" || {
            log "ingest: no logs for $D in $(logs_dir "$D")"
            summary+=("$(printf '%-7s failed: no logs for %s' ingest "$D")")
            finish $RC_NOINPUT
        }
        n=0
        mapfile -t segs < <(window_segs)
        verify_files "${segs[@]}"
        todo_days=()
        for day in "${win_day[@]}"; do
            if valid_file "$(seg_file "$day")"; then
                [ "$day" = "$D" ] || continue
                [ -n "${forced[ingest]+x}" ] || continue
            fi
            [ -d "$(logs_dir "$day")" ] && todo_days+=("$day")
        done
        for day in "${todo_days[@]}"; do
            cmd_ingest_day "$day"
            run_cmd "ingest $day" || { rc=$?; break; }
            n=$((n + 1))
        done
        [ "$rc" = 0 ] && log "ingest: $n day(s) ingested"
        [ "$n" -gt 0 ] || [ "$rc" != 0 ] || { summary+=("ingest  nothing new"); continue; } ;;
    tower) clean_tmp "$(model_dir "$D")"; mkdir -p "$(model_dir "$D")"
        cmd_stage tower; run_cmd tower || rc=$? ;;
    rank) clean_tmp "$(model_dir "$D")"; mkdir -p "$(model_dir "$D")"
        cmd_stage rank; run_cmd rank || rc=$? ;;
    uac) clean_tmp "$(avail_dir "$D")"; mkdir -p "$(avail_dir "$D")"
        cmd_stage uac; run_cmd uac || rc=$? ;;
    match) clean_tmp "${conf[out]}"; mkdir -p "${conf[out]}"
        cmd_stage match; run_cmd match || rc=$? ;;
    eval)
        if ! published "$PREV" || ! valid_file "$(seg_file "$D")"; then
            log "eval: no published tables for $PREV, nothing to evaluate"
            summary+=("$(printf '%-7s nothing to do (no tables for %s)' eval "$PREV")")
            continue
        fi
        clean_tmp "$(eval_dir "$PREV")"; mkdir -p "$(eval_dir "$PREV")"
        cmd_stage eval; run_cmd eval || rc=$? ;;
    esac
    ran[$s]=1
    if [ "$rc" != 0 ]; then
        log "$s: failed with exit $rc"
        summary+=("$(printf '%-7s FAILED (exit %d) after %s s' "$s" "$rc" "$(secs_since "$t0")")")
        finish "$rc"
    fi
    summary+=("$(printf '%-7s ran in %s s' "$s" "$(secs_since "$t0")")")
done
if [ -n "${ran[eval]+x}" ]; then
    summary+=("report: $(eval_dir "$PREV")/report.html")
fi
finish 0
