/*
 * layout.h -- the run-root layout, built in one place.
 *
 * Every dated output lives in a date partition "dt=YYYY-MM-DD" under the
 * folder of its kind; a run root (run_daily.sh --root) holds one folder
 * per kind:
 *
 *   key       path under ROOT                     written by
 *   logs      logs/dt=D/                          (input)
 *   segment   segments/dt=D/segment.bin           dualrec-ingest
 *   rejects   segments/dt=D/rejects.csv           dualrec-ingest
 *   dict      segments/dict/                      dualrec-ingest
 *   tower     models/dt=D/tower.bin               dualrec-train-tower
 *   rank      models/dt=D/rank.bin                dualrec-train-rank
 *   avail     avail/dt=D/avail.bin                dualrec-uac
 *   out       out/dt=D/                           dualrec-match
 *   manifest  out/dt=D/manifest.json              dualrec-match
 *   success   out/dt=D/_SUCCESS                   dualrec-match
 *   eval      eval/dt=D/                          dualrec-eval
 *   runlog    logs-run/dt=D.log                   run_daily.sh
 *
 * The stages take the folder of a kind (--segments, --out, ...) and build
 * the partition below it with layout_day(); run_daily.sh builds the same
 * paths in one shell block, and `run_daily.sh --print-layout` prints them
 * next to `dualrec-dump --layout ROOT --date D` (the CLI test compares).
 */
#ifndef DUALREC_LAYOUT_H
#define DUALREC_LAYOUT_H

#include <stdint.h>
#include <stdio.h>

/* Folders of a run root, one per kind. */
#define LAYOUT_LOGS_DIR     "logs"
#define LAYOUT_SEGMENTS_DIR "segments"
#define LAYOUT_MODELS_DIR   "models"
#define LAYOUT_AVAIL_DIR    "avail"
#define LAYOUT_OUT_DIR      "out"
#define LAYOUT_EVAL_DIR     "eval"
#define LAYOUT_RUNLOGS_DIR  "logs-run"

/* File names inside a date partition (and the dictionaries' folder). */
#define LAYOUT_SEGMENT      "segment.bin"
#define LAYOUT_REJECTS      "rejects.csv"
#define LAYOUT_DICT_DIR     "dict"
#define LAYOUT_TOWER        "tower.bin"
#define LAYOUT_RANK         "rank.bin"
#define LAYOUT_AVAIL        "avail.bin"
#define LAYOUT_ITEM_USERS   "item_users.tsv.zst"
#define LAYOUT_USER_ITEMS   "user_items.tsv.zst"
#define LAYOUT_MANIFEST     "manifest.json"
#define LAYOUT_SUCCESS      "_SUCCESS"
#define LAYOUT_REPORT_HTML  "report.html"
#define LAYOUT_REPORT_JSON  "report.json"

/* Room for "dt=YYYY-MM-DD" and its NUL, for any int32 day. */
#define LAYOUT_DT_SIZE 24

/* The partition name "dt=YYYY-MM-DD" of day into buf; returns buf. */
char *layout_dt(int32_t day, char buf[LAYOUT_DT_SIZE]);

/* The day of a partition name "dt=YYYY-MM-DD" (exactly as layout_dt
 * writes it): 0, or -1 for any other name. */
int layout_parse_dt(const char *name, int32_t *day);

/*
 * "<dir>/dt=YYYY-MM-DD", or "<dir>/dt=YYYY-MM-DD/<name>" when name is not
 * NULL, in a new xmalloc'd string (caller frees).
 */
char *layout_day(const char *dir, int32_t day, const char *name);

/* Print "key<TAB>path" for every row of the table above, for run root
 * `root` and day, in the table's order. */
void layout_print(FILE *fp, const char *root, int32_t day);

#endif
