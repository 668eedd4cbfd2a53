/*
 * logread.h -- typed rows out of the input log CSV files (README "Input
 * logs", the contract): exposures, interactions, items, follows, users.
 *
 * A reader opens one file (plain, zstd or stdin, via zin.h), reads the
 * header row, finds its delimiter (',', tab, ';' or '|', or the one given),
 * binds each canonical column of the table to a header column by name
 * (canonical name first, then its aliases, or the name given by a
 * "canonical=name" mapping; a typed header "name:type" matches by its
 * name part), and then returns one typed row per record:
 * times as epoch seconds, feedback flags as enum seg_fb bits, numbers
 * parsed, ids as byte strings (mapping them to indices is ingest's job).
 *
 * Records are RFC 4180 CSV: quoted fields may hold commas, quotes ("") and
 * newlines; CRLF or LF line ends; a UTF-8 byte order mark is skipped;
 * blank lines are skipped (they still count as lines).  Records without a
 * quote character are split by a fast scanner; records with one go
 * through libcsv (this is the only file of dualrec that uses libcsv).
 * Large blocks of records are split at record boundaries into a fixed
 * number of chunks, parsed by background threads (one per OpenMP thread
 * beyond the caller's) one block ahead of the rows being handed out, and
 * handed out in file order, so results do not depend on the thread count.
 *
 * A malformed record is a reject, not a failure: logread_next returns
 * LOGREAD_REJECT with "<path>:<line>: <reason>" in d (line = the physical
 * line where the record starts, the header being line 1) and goes on with
 * the next record.  Reasons: wrong column count, unparseable time, empty
 * id, bad flag value, bad number, invalid UTF-8, an id longer than
 * IDDICT_MAX_ID_LEN, a field longer than max_field, a record longer than
 * the record cap, malformed quoting.  Failures (LOGREAD_FAIL) are the
 * stream's: unreadable file, truncated or corrupt zstd data.
 */
#ifndef DUALREC_LOGREAD_H
#define DUALREC_LOGREAD_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum logread_table {
    LOGREAD_EXPOSURES,
    LOGREAD_INTERACTIONS,
    LOGREAD_ITEMS,
    LOGREAD_FOLLOWS,
    LOGREAD_USERS,
    LOGREAD_N_TABLES
};

/* logread_next results */
enum logread_result {
    LOGREAD_ROW,
    LOGREAD_REJECT,
    LOGREAD_EOF,
    LOGREAD_FAIL
};

#define LOGREAD_MAX_FIELD_DEFAULT 65536

struct logread_row;

struct logread_opts {
    int32_t zone_offset;        /* for times without a zone (seconds east) */
    /* field delimiter; 0 = the one of ',', '\t', ';', '|' that the header
     * line holds most often (',' when none) */
    char delimiter;
    size_t max_field;           /* bytes; 0 = LOGREAD_MAX_FIELD_DEFAULT */
    /* "canonical=name": read canonical column from header column name */
    const char *const *map;
    size_t n_map;
    /* "canonical=value": every row has this value in canonical column
     * (the file need not have the column; when it has, the constant wins) */
    const char *const *consts;
    size_t n_consts;
    /* interactions: a row whose value is >= value_event_min gets event
     * value_event_fb (an enum seg_fb bit) whatever its event column says;
     * value_event_fb == 0 disables the rule */
    uint32_t value_event_fb;
    double value_event_min;
    /* Called with each chunk's good rows (file order) once the chunk is
     * parsed, on the parsing thread, in parallel with other chunks (so it
     * must only read shared state); it may fill row->ix.  Lets ingest look
     * ids up in its dictionaries on every core while no thread adds to
     * them.  NULL: not called. */
    void (*prepare)(void *ctx, enum logread_table table,
                    struct logread_row *const *rows, size_t n);
    /* Called by logread_next a few rows before it returns row (good rows
     * only, on logread_next's thread, after prepare), so that what the
     * caller does with the row can be prefetched (may be NULL). */
    void (*ahead)(void *ctx, enum logread_table table,
                  const struct logread_row *row);
    void *prepare_ctx;
};

struct logread_str {
    const char *p;              /* not NUL-terminated */
    size_t n;
};

/*
 * One typed row.  Strings point into the reader's buffers and are valid
 * until the next logread_next call.  Columns a table does not have are
 * zero / empty.
 */
struct logread_row {
    /* what ingest reads of every row first, in one cache line */
    struct logread_str user, item;
    int64_t t;                  /* time; items: upload time, INT64_MIN
                                   when empty */
    uint32_t fb;                /* exposures: flag bits; interactions: the
                                   event's bit, 0 for another event name */
    uint32_t play_ms, dur_ms;   /* 0 when empty */
    uint32_t ix[3];             /* for opts.prepare; UINT32_MAX before */
    /* the rest */
    uint64_t line;              /* physical line where the record starts */
    struct logread_str creator;
    struct logread_str tags;    /* items: the raw tag list ("a|b", "a,b") */
    struct logread_str raw;     /* the record as it appears in the file,
                                   without its line end */
    float value;                /* interactions: value column, 0 if empty */
};

struct logread;

/*
 * Open path ("-" = stdin) as a table and read its header.  RC_NOINPUT when
 * missing, RC_IO when unreadable, RC_DATA for an empty file, a missing
 * required column ("<path>:1: missing column 'user' (tried user, user_id,
 * userId); header split on ... '<header>'; fix: ...", naming the delimiter,
 * the header as read and the fix) or a bad zstd stream, RC_USAGE for a malformed map or const
 * entry, or a const value that does not parse.
 */
int logread_open(const char *path, enum logread_table table,
                 const struct logread_opts *o, struct logread **out,
                 struct diag *d);

/*
 * Next row.  LOGREAD_ROW: *row filled.  LOGREAD_REJECT: d holds the
 * message, row->line and row->raw are set (other fields undefined); call
 * again for the next row.  LOGREAD_EOF at the end.  LOGREAD_FAIL: d holds
 * the error (RC_IO, RC_DATA for bad zstd data); stop reading.
 */
int logread_next(struct logread *r, struct logread_row *row,
                 struct diag *d);

/*
 * logread_next without the copy: *row points into the reader (the caller
 * may change it) and is valid until the next call.
 */
int logread_next_ref(struct logread *r, struct logread_row **row,
                     struct diag *d);

/* Bytes read from the file so far (compressed bytes for zstd), and
 * uncompressed bytes parsed so far. */
uint64_t logread_bytes_in(const struct logread *r);
uint64_t logread_bytes_parsed(const struct logread *r);

/* The reader's path as given to logread_open. */
const char *logread_path(const struct logread *r);

/* The header record as in the file (after a BOM, without its line end),
 * and the delimiter its fields are split on (given or detected). */
const char *logread_header(const struct logread *r);
char logread_delimiter(const struct logread *r);

void logread_close(struct logread *r);

/* Table name ("exposures", ...) and the table named s, or -1. */
const char *logread_table_name(enum logread_table table);
int logread_table_find(const char *s);

/* Check o's map and const entries ("column=value", a known column);
 * RC_USAGE naming the option otherwise.  logread_open does it too. */
int logread_check_opts(const struct logread_opts *o, struct diag *d);

/* 1 if name is a canonical column of some table (for --map/--const). */
int logread_is_column(const char *name);

/* The enum seg_fb bit of an event name ("like", "long_view", ...; case
 * insensitive), 0 for a name that is no feedback kind. */
uint32_t logread_event_fb(const char *s, size_t n);

#endif
