/*
 * publish.h -- atomic publishing of one date partition of output tables.
 *
 * A run builds everything in a hidden temp directory beside the target,
 * OUTROOT/.dt=YYYY-MM-DD.tmp.<pid>/: the tables (outtable.h), then
 * manifest.json.  publish_commit fsyncs it, moves it into place as
 * OUTROOT/dt=YYYY-MM-DD/ in one rename (an existing partition from an
 * earlier run is swapped out atomically with renameat2(RENAME_EXCHANGE)
 * where the filesystem supports it, else renamed away first) and writes
 * _SUCCESS last.  So a reader that lists the dt= directories never sees a
 * partial date, and one that waits for _SUCCESS sees manifest and tables
 * complete.  A crash leaves at most a hidden .dt=*.tmp.<pid> directory,
 * which readers ignore and which the next commit of that date does not
 * depend on.
 *
 * manifest.json (docs/matching.md) is deterministic: keys in a fixed
 * order, no timestamps, so reruns with the same inputs give the same bytes.
 * It lists each table (rows, bytes, checksum64 of the file), the run's
 * parameters and summary figures in the order they were added, and every
 * input with its binfile format name, version and payload checksum (the
 * fingerprint binfile stores; models are identified by it).
 */
#ifndef DUALREC_PUBLISH_H
#define DUALREC_PUBLISH_H

#include <stdint.h>

#include "diag.h"
#include "layout.h"
#include "outtable.h"

#define PUBLISH_MANIFEST LAYOUT_MANIFEST
#define PUBLISH_SUCCESS  LAYOUT_SUCCESS
#define PUBLISH_VERSION  1

struct publish;

/*
 * Start publishing day under outroot (created if missing): makes a fresh
 * temp directory.  RC_CANTCREAT when outroot is not writable.
 */
int publish_begin(const char *outroot, int32_t day, struct publish **out,
                  struct diag *d);

/* The path of file `name` inside the temp directory (new xmalloc'd). */
char *publish_path(const struct publish *p, const char *name);

/* The final partition directory, "<outroot>/dt=YYYY-MM-DD" (borrowed). */
const char *publish_final_dir(const struct publish *p);

/* Record a table written into the temp directory. */
void publish_add_table(struct publish *p, const char *name,
                       const struct outtable_stats *st);

/* A run parameter / a summary figure, as text (kept in call order). */
void publish_add_param(struct publish *p, const char *key, const char *value);
void publish_add_stat(struct publish *p, const char *key, const char *value);

/*
 * Record an input file by kind ("tower", "segment", ...): reads its binfile
 * header for the format name, version and payload checksum.  RC_NOINPUT
 * when missing, RC_DATA when it is not a binfile.
 */
int publish_add_input(struct publish *p, const char *kind, const char *path,
                      struct diag *d);

/*
 * Write the manifest, move the partition into place and write _SUCCESS.
 * RC_IO/RC_CANTCREAT on failure (the temp directory is removed; a failure
 * once the partition is in place leaves it without _SUCCESS).  Frees p in
 * every case.
 */
int publish_commit(struct publish *p, struct diag *d);

/* Give up: remove the temp directory and free p; NULL is a no-op. */
void publish_abort(struct publish *p);

/* rm -r of a directory of files (and subdirectories); 0 or -1. */
int publish_rmtree(const char *dir);

/*
 * Readers of a published manifest.json (the one place that parses it),
 * whose "params" and "stats" objects hold string values only.
 * publish_manifest_load reads DIR/manifest.json of a partition into a new
 * NUL-terminated buffer (*json, caller frees); RC_NOINPUT when missing.
 */
int publish_manifest_load(const char *dir, char **json, struct diag *d);

/*
 * Look up "key": "value" inside the top-level object `section` and copy
 * the value into buf; 0, or -1 when absent (or longer than cap - 1).
 */
int publish_manifest_get(const char *json, const char *section,
                         const char *key, char *buf, size_t cap);

/*
 * All "key": "value" pairs of the manifest's `section` object as
 * "key=value, key=value" into buf (truncated to cap); "" when absent.
 */
void publish_manifest_section(const char *json, const char *section,
                              char *buf, size_t cap);

#endif
