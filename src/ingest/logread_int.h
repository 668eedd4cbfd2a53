/*
 * logread_int.h -- what logread.c (blocks, threads, the API) and
 * logread_parse.c (fields, conversions, chunks) share; private to them.
 */
#ifndef DUALREC_LOGREAD_INT_H
#define DUALREC_LOGREAD_INT_H

#include <csv.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bgthread.h"
#include "diag.h"
#include "logread.h"
#include "zin.h"

#define LR_BLOCK    (8u << 20)      /* bytes of records per block */
#define LR_NCHUNK   8               /* chunks per block (fixed) */
#define LR_MIN_CHUNK (64u << 10)    /* smaller blocks use fewer chunks */
#define LR_MAX_COLS 4096            /* header columns */
#define LR_SHOW     64              /* bytes of a value shown in messages */
#define LR_RAW_LONG 4096            /* bytes kept of an over-long record */
#define LR_PAD      16              /* readable bytes after the buffer */
#define LR_MAX_PARSERS 64           /* background parser threads */
#define LR_AHEAD    8               /* rows ahead for the ahead hook */

enum coltype {
    CT_TIME,        /* required time */
    CT_UPTIME,      /* time, empty = unknown */
    CT_ID,          /* non-empty id */
    CT_OPTID,       /* id, empty = none */
    CT_FLAG,        /* 0/1/true/false/empty */
    CT_MS,          /* non-negative number, ms, empty = 0 */
    CT_EVENT,       /* event name */
    CT_VALUE,       /* real number, empty = 0 */
    CT_TAGS         /* tag list */
};

enum colslot { S_T, S_USER, S_ITEM, S_CREATOR, S_TAGS, S_FB, S_PLAY, S_DUR,
               S_VALUE };

struct canon {
    const char *name;
    const char *alias[4];
    unsigned char type, slot, required;
    uint32_t bit;
};

#define LR_MAX_CANON 16

enum reason {
    R_NONE, R_NCOLS, R_TIME, R_EMPTY_ID, R_LONG_ID, R_FLAG, R_NUMBER,
    R_UTF8, R_NUL, R_LONG_FIELD, R_EMPTY_EVENT, R_QUOTE, R_LONG_RECORD
};

struct field {
    const char *p;
    size_t n;
};

/* A parsed record of a chunk: a row, or a reject with its reason. */
struct prow {
    struct logread_row row;     /* row.line is relative to the chunk */
    unsigned char reason;       /* R_NONE for a row */
    int col;                    /* header column of the bad field, -1 */
    size_t aux;                 /* R_NCOLS: fields found */
    struct field val;           /* the offending value */
};

/* Fields unquoted by libcsv live in an arena that never moves them. */
struct arena {
    char **blk;
    size_t n_blk, cap_blk;
    size_t used, size;          /* in the last block */
};

struct chunk {
    const char *p;
    size_t n;
    uint64_t nl;                /* newlines in the chunk */
    struct prow *rows;
    size_t n_rows, cap_rows;
    struct field *f;            /* fields of the record being parsed */
    size_t nf, cap_f;
    struct arena arena;
    struct logread_row **good;  /* the good rows, for prepare */
    size_t cap_good;
    uint32_t *good_ix;          /* rows[] index of each good row */
    size_t n_good, cap_good_ix;
    struct csv_parser csv;
    int csv_ready;
    int csv_records;
    char delim;                 /* the field delimiter (logread's) */
};

enum { PHASE_PARSE, PHASE_PREPARE };

/* A block of complete records cut into chunks, parsed in parallel. */
struct block {
    char *buf;                  /* the records, [0, end) */
    size_t end;
    int quotes;                 /* whether the block holds a '"' */
    struct chunk ch[LR_NCHUNK];
    uint64_t ch_line[LR_NCHUNK];    /* file line of each chunk's start */
    int n_chunks;
    uint64_t line0;             /* file line of buf[0] */
    int phase;                  /* PHASE_PARSE or PHASE_PREPARE */
    int claim, done;            /* chunks claimed / done (under mu) */
    int staged;                 /* cut and published, not yet finished */
};

/*
 * How the one-pass conversion of a record (convert_fast) converts its
 * canonical columns: grouped by kind, each with its header column at
 * hand, so that the time, ids, flags and millisecond counts, nearly all
 * of a wide exposure log's fields, are loops with predictable branches
 * instead of a switch per field.
 */
struct lr_plan {
    int time_k;                 /* the CT_TIME column, -1 none */
    int n_id, n_flag, n_ms, n_other;
    int id_k[LR_MAX_CANON];     /* canonical columns read from the file */
    int flag_k[LR_MAX_CANON];
    int ms_k[LR_MAX_CANON];
    int other_k[LR_MAX_CANON];  /* any other column, and every constant */
    int id_col[LR_MAX_CANON];   /* their header columns */
    int flag_col[LR_MAX_CANON];
    int ms_col[LR_MAX_CANON];
    uint32_t flag_bit[LR_MAX_CANON];
};

struct logread {
    enum logread_table table;
    const struct canon *cols;
    int n_cols;
    struct zin *z;
    char *path;
    int32_t zone;
    size_t max_field, rec_cap;
    uint32_t value_event_fb;
    double value_event_min;
    void (*prepare)(void *, enum logread_table, struct logread_row *const *,
                    size_t);
    void (*ahead)(void *, enum logread_table, const struct logread_row *);
    void *prepare_ctx;

    char delim;                 /* field delimiter, given or detected */
    char *head_raw;             /* the header record as in the file */
    int n_head;
    char **head;                /* header names as in the file */
    int bind[LR_MAX_CANON];     /* canonical -> header column, -1 none,
                                   -2 constant */
    struct lr_plan plan;        /* for convert_fast */
    struct field cval[LR_MAX_CANON];    /* constants */
    char *cname[LR_MAX_CANON];  /* "--const name" for messages */

    /* the staging buffer: bytes read, not yet cut into a block */
    char *buf;
    size_t len, cap;
    size_t blk_end;             /* bytes to drop from its front (header,
                                   an over-long record's first line) */
    int eof;
    uint64_t line0;             /* line of its first byte */
    uint64_t next_line0;        /* ... once blk_end bytes are dropped */
    uint64_t parsed;            /* bytes handed out */

    struct block blk[2];
    struct block *cur;          /* the block being handed out */
    struct block *ahead_blk;    /* the next one, parsed in the background */
    int cur_chunk;
    size_t cur_row, cur_good;   /* in the current chunk */
    int fail_pending;           /* a read error met while staging ahead */
    struct diag fail;

    /* parser threads */
    struct bgthread parser[LR_MAX_PARSERS];
    int n_parsers, threads_started, stop;
    struct block *pending;      /* published, chunks left to claim */
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;

    /* an over-long record being skipped */
    int skipping;
    int long_pending, long_quote;
    uint64_t long_line;
    char *long_raw;
    size_t long_raw_n;
    struct logread_row long_row;    /* its reject, for logread_next_ref */
};

/* ---- logread_parse.c ---- */

void lr_arena_reset(struct arena *a);
void lr_arena_free(struct arena *a);
/* A value for a message: at most LR_SHOW bytes, escaped, "..." when cut. */
void lr_show(char *dst, size_t cap, const char *p, size_t n);
/* Field f of canonical column c into row; R_NONE or a reason. */
int lr_convert(const struct logread *r, const struct canon *c, struct field f,
               struct logread_row *row);
/* Record p[0..n) (no line end) into c->f; -1 for malformed quoting. */
int lr_split_record(struct chunk *c, const char *p, size_t n, int quoted);
/* The end of the record at p (its newline outside quotes, or end); *lines
 * gets the newlines inside it. */
const char *lr_record_end(const char *p, const char *end, char delim,
                          uint64_t *lines);
/* Parse chunk c: its records and blank lines (quotes: the block has a
 * '"'). */
void lr_parse_chunk(const struct logread *r, struct chunk *c, int quotes);
/* The prepare hook over the chunk's good rows, in file order. */
void lr_prepare_chunk(const struct logread *r, struct chunk *c);

#endif
