/*
 * outtable.h -- the tables the online system loads: sorted zstd TSV with a
 * header row, a stdout variant for pipes, and Redis protocol output.
 *
 * A table is UTF-8/bytes text, one row per line, fields separated by a tab,
 * with a header row first.  Ids are written as they came in; a tab,
 * newline, carriage return or backslash inside an id is escaped as \t, \n,
 * \r, \\ (PostgreSQL COPY text rules), so every row has the same number of
 * fields.  Rows are sorted by the first field (bytewise, as `LC_ALL=C
 * sort`), then by rank; the writer checks the key order and fails with
 * RC_INTERNAL if a caller breaks it.  Files are one zstd frame with a
 * content checksum (`zstd -t` verifies them), written atomically
 * (atomicfile.h).  Floats print as %.6g; no timestamps, so the same inputs
 * give the same bytes.
 *
 * The two dualrec tables (docs/matching.md has the exact columns):
 *   item_users.tsv.zst   item  rank  user  score  channel  p_active
 *   user_items.tsv.zst   user  rank  item  score  channel
 * rank starts at 1 and follows descending score (ties: user index for
 * item_users, item index for user_items).
 */
#ifndef DUALREC_OUTTABLE_H
#define DUALREC_OUTTABLE_H

#include <stdint.h>
#include <stdio.h>

#include "assign.h"
#include "byteio.h"
#include "cands.h"
#include "diag.h"

struct outtable;

struct outtable_stats {
    uint64_t rows;          /* data rows (header excluded) */
    uint64_t raw_bytes;     /* uncompressed text, header included */
    uint64_t bytes;         /* bytes of the file (compressed) */
    uint64_t checksum;      /* checksum64(file bytes, 0) (byteio.h) */
};

/*
 * Start a zstd table at path (written to a temp file until close) with the
 * given header (field names separated by tabs, no newline) at zstd `level`
 * (0 picks 3).  RC_CANTCREAT when the file cannot be created.
 */
int outtable_open(const char *path, const char *header, int level,
                  struct outtable **out, struct diag *d);

/*
 * Start a plain-text table on an open stream (stdout for pipes); the
 * stream is flushed, not closed, by outtable_close.  name is used in
 * messages.
 */
int outtable_open_stream(FILE *fp, const char *name, const char *header,
                         struct outtable **out, struct diag *d);

/* Append one row of n bytes (fields tab-separated, no newline). */
int outtable_row(struct outtable *t, const char *row, size_t n,
                 struct diag *d);

/* Finish: end the frame, commit the file, fill *st (may be NULL).  The
 * table is freed in every case. */
int outtable_close(struct outtable *t, struct outtable_stats *st,
                   struct diag *d);

/* Discard an unfinished table (its temp file is removed); NULL is a
 * no-op. */
void outtable_abort(struct outtable *t);

/*
 * Read a whole zstd table back into a new xmalloc'd NUL-terminated buffer
 * (the frame checksum is verified).  RC_NOINPUT when missing, RC_DATA when
 * the frame is corrupt.  For tests and tools; loaders stream with zstd.
 */
int outtable_read(const char *path, char **text, size_t *len,
                  struct diag *d);

/*
 * A published table read back row by row: the one reader of the replay,
 * the simulator and the oracle evaluation.  _open reads the whole file
 * (outtable_read) and checks that its first line is `header`; _next hands
 * out the next row as n_fields fields, f[j] / fl[j] pointing into the
 * text (not NUL-terminated: outtable_unescape them), valid until _close.
 * _open: 0, or -1 with RC_NOINPUT / RC_DATA from outtable_read, or RC_DATA
 * "<path>:1: not a <what> table (unexpected header)".  _next: 1 a row,
 * 0 the end, -1 RC_DATA "<path>:<line>: expected N fields, found M".
 * r->line is the line of the row last returned (the header is line 1).
 */
#define OUTTABLE_MAX_FIELDS 8

struct outtable_reader {
    const char *path;           /* borrowed */
    char *text, *p, *end;
    size_t line;
    int n_fields;
};

int outtable_reader_open(struct outtable_reader *r, const char *path,
                         const char *header, const char *what, int n_fields,
                         struct diag *d);
int outtable_reader_next(struct outtable_reader *r, const char **f,
                         size_t *fl, struct diag *d);
/* Free the text; the fields handed out are gone. */
void outtable_reader_close(struct outtable_reader *r);

/* Append id to row with the escapes above. */
void outtable_put_id(struct bbuf *row, const char *id);

/*
 * Undo those escapes: field f[0..n) of a table row into buf (NUL-
 * terminated, cut to cap - 1 bytes).  For readers of published tables.
 */
void outtable_unescape(const char *f, size_t n, char *buf, size_t cap);

/*
 * What the dualrec tables are made of: the scored candidates, the
 * assignment, external ids (user_names[u], item_names[i] for the dense
 * indices of cands) and p_active[u] (UAC; may be NULL, written as 0).
 */
struct outtable_src {
    const struct cands *c;
    const struct assign *a;
    const char *const *user_names;
    const char *const *item_names;
    const float *p_active;
};

/* Write the item -> users rows to an open table (header ITEM_USERS). */
int outtable_item_users(struct outtable *t, const struct outtable_src *src,
                        struct diag *d);
/* Write the user -> items rows to an open table (header USER_ITEMS). */
int outtable_user_items(struct outtable *t, const struct outtable_src *src,
                        struct diag *d);

#define OUTTABLE_ITEM_USERS_HEADER \
    "item\trank\tuser\tscore\tchannel\tp_active"
#define OUTTABLE_USER_ITEMS_HEADER "user\trank\titem\tscore\tchannel"

/*
 * Redis protocol for `redis-cli --pipe`: for every item with users,
 *   DEL <prefix>:<dt>:item:<item>   RPUSH <prefix>:<dt>:item:<item> users..
 * (in rank order, at most 1000 values per RPUSH), the same for users
 * (<prefix>:<dt>:user:<user> -> items), an EXPIRE per key when ttl > 0,
 * and last `SET <prefix>:current <dt>`, so that readers switch versions in
 * one step.  dt is "dt=YYYY-MM-DD".  Ids are written raw (RESP is binary
 * safe).  RC_IO on a write error.
 */
int outtable_redis(FILE *fp, const char *name, const struct outtable_src *src,
                   const char *prefix, const char *dt, uint32_t ttl,
                   struct diag *d);

#endif
