/*
 * logread.c -- the input log CSV reader (logread.h): header binding, record
 * splitting, typed conversion, reject reasons.
 *
 * Data flow.  zin hands out decompressed bytes into a staging buffer.  A
 * *block* is the longest prefix of it that ends on a record boundary (at
 * the end of the stream, all of it); the block takes the buffer and the
 * rest moves to the front of a free one, which becomes the staging buffer
 * (three buffers rotate: the block handed out, the block parsed ahead, the
 * staging one).  A block is cut at record boundaries into up to LR_NCHUNK
 * chunks, parsed independently into arrays of rows by the parser threads
 * (one per core beyond the caller's) while the caller takes the rows of
 * the previous block; whoever reaches a block first takes its unclaimed
 * chunks.  Then the prepare hook runs over the block's chunks the same
 * way (ingest looks its ids up there: only then, since the caller adds
 * ids while taking rows).  logread_next hands the rows out chunk by chunk,
 * so the order is the file order whatever the thread count.  Messages
 * carry absolute line numbers, known only once every chunk has counted its
 * lines, so a reject stores its reason and is formatted when handed out.
 *
 * Record boundaries: a newline ends a record unless it is inside quotes.
 * When a block holds no '"' at all (the common case for large logs) a
 * record is simply a line, and one pass a word at a time finds both its
 * end and its commas; otherwise boundaries come from a scan that toggles
 * on every quote (an escaped "" toggles twice).  Records without quotes
 * are split on ',' directly; records with quotes are parsed by libcsv in
 * strict mode, so both paths yield the same fields.
 *
 * Invariants: every record starts at the first byte of a chunk or right
 * after a record end; a block's buffer is reused only once every row of
 * it has been handed out, which is why row strings are valid until the
 * next logread_next call.
 */
#include <csv.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dates.h"
#include "iddict.h"
#include "logread.h"
#include "segment.h"
#include "xmem.h"
#include "zin.h"

#define LR_BLOCK    (8u << 20)      /* bytes of records per block */
#define LR_NCHUNK   8               /* chunks per block (fixed) */
#define LR_MIN_CHUNK (64u << 10)    /* smaller blocks use fewer chunks */
#define LR_MAX_COLS 4096            /* header columns */
#define LR_SHOW     64              /* bytes of a value shown in messages */
#define LR_RAW_LONG 4096            /* bytes kept of an over-long record */
#define LR_PAD      8               /* readable bytes after the buffer */
#define LR_MAX_PARSERS 64           /* background parser threads */

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

#define TIME_COL { "time", { "timestamp", "time_ms", "ts", NULL }, \
                   CT_TIME, S_T, 1, 0 }
#define USER_COL { "user", { "user_id", "userId", NULL, NULL }, \
                   CT_ID, S_USER, 1, 0 }
#define ITEM_COL { "item", { "item_id", "video_id", "movieId", NULL }, \
                   CT_ID, S_ITEM, 1, 0 }
#define DUR_COL  { "duration_ms", { "video_duration", NULL, NULL, NULL }, \
                   CT_MS, S_DUR, 0, 0 }
#define FLAG_COL(n, a, b) { n, { a, NULL, NULL, NULL }, CT_FLAG, S_FB, 0, b }
#define END_COL  { NULL, { NULL, NULL, NULL, NULL }, 0, 0, 0, 0 }

static const struct canon exposure_cols[] = {
    TIME_COL, USER_COL, ITEM_COL,
    FLAG_COL("click", "is_click", FB_CLICK),
    FLAG_COL("like", "is_like", FB_LIKE),
    FLAG_COL("comment", "is_comment", FB_COMMENT),
    FLAG_COL("follow", "is_follow", FB_FOLLOW),
    FLAG_COL("share", "is_forward", FB_SHARE),
    FLAG_COL("long_view", NULL, FB_LONG_VIEW),
    FLAG_COL("hate", "is_hate", FB_HATE),
    { "play_ms", { "play_time_ms", NULL, NULL, NULL }, CT_MS, S_PLAY, 0, 0 },
    DUR_COL, END_COL
};

static const struct canon interaction_cols[] = {
    TIME_COL, USER_COL, ITEM_COL,
    { "event", { "action", "type", NULL, NULL }, CT_EVENT, S_FB, 1, 0 },
    { "value", { "rating", NULL, NULL, NULL }, CT_VALUE, S_VALUE, 0, 0 },
    END_COL
};

static const struct canon item_cols[] = {
    ITEM_COL,
    { "creator", { "author_id", "creator_id", NULL, NULL }, CT_OPTID,
      S_CREATOR, 1, 0 },
    { "upload_time", { "upload_dt", "upload_ts", NULL, NULL }, CT_UPTIME,
      S_T, 1, 0 },
    { "tags", { "tag", "genres", NULL, NULL }, CT_TAGS, S_TAGS, 0, 0 },
    DUR_COL, END_COL
};

static const struct canon follow_cols[] = {
    TIME_COL, USER_COL,
    { "creator", { "author_id", "creator_id", NULL, NULL }, CT_ID,
      S_CREATOR, 1, 0 },
    END_COL
};

static const struct canon user_cols[] = { USER_COL, END_COL };

static const struct canon *const table_cols[LOGREAD_N_TABLES] = {
    exposure_cols, interaction_cols, item_cols, follow_cols, user_cols
};

static const char *const table_names[LOGREAD_N_TABLES] = {
    "exposures", "interactions", "items", "follows", "users"
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

    int n_head;
    char **head;                /* header names as in the file */
    int bind[LR_MAX_CANON];     /* canonical -> header column, -1 none,
                                   -2 constant */
    signed char *hcanon;        /* header column -> canonical, -1 none;
                                   NULL: a column feeds two canonicals */
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
    pthread_t parser[LR_MAX_PARSERS];
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

/* ---- small helpers ---- */

static void
arena_reset(struct arena *a)
{
    size_t i;

    for (i = 1; i < a->n_blk; i++)
        free(a->blk[i]);
    if (a->n_blk > 1)
        a->n_blk = 1;
    a->used = 0;
}

static char *
arena_alloc(struct arena *a, size_t n)
{
    if (a->n_blk == 0 || a->used + n > a->size) {
        size_t sz = n > (64u << 10) ? n : (64u << 10);

        if (a->n_blk == 1 && a->used == 0 && n <= a->size) {
            /* the kept first block */
        } else {
            a->blk = xgrow(a->blk, &a->cap_blk, a->n_blk + 1,
                           sizeof *a->blk);
            a->blk[a->n_blk++] = xmalloc(sz);
            a->size = sz;
            a->used = 0;
        }
    }
    a->used += n;
    return a->blk[a->n_blk - 1] + a->used - n;
}

static void
arena_free(struct arena *a)
{
    size_t i;

    for (i = 0; i < a->n_blk; i++)
        free(a->blk[i]);
    free(a->blk);
    memset(a, 0, sizeof *a);
}

/* Offset of the first invalid UTF-8 byte of p[0..n), or n if valid. */
static size_t
utf8_check(const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = p[i];
        size_t k;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + k >= n)
            return i;
        {
            size_t j;

            for (j = 1; j <= k; j++) {
                if ((p[i + j] & 0xC0) != 0x80)
                    return i;
                cp = (cp << 6) | (p[i + j] & 0x3F);
            }
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000)
            || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += k + 1;
    }
    return n;
}

/*
 * Write a value for a message: at most LR_SHOW bytes, control bytes and
 * (in invalid UTF-8) non-ASCII bytes as escapes, "..." when cut.
 */
static void
show(char *dst, size_t cap, const char *p, size_t n)
{
    int valid = utf8_check((const unsigned char *)p, n) == n;
    size_t i, o = 0, lim = n < LR_SHOW ? n : LR_SHOW;

    if (valid && lim < n)
        while (lim > 0 && ((unsigned char)p[lim] & 0xC0) == 0x80)
            lim--;
    for (i = 0; i < lim && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c == '\n' || c == '\r' || c == '\t') {
            dst[o++] = '\\';
            dst[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && !valid)) {
            o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
        } else {
            dst[o++] = (char)c;
        }
    }
    if (lim < n && o + 4 < cap) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* ---- conversions (pure; used by the chunk parsers) ---- */

static int
parse_time(const char *p, size_t n, int32_t zone, int64_t *t)
{
    char buf[64];
    size_t i;

    if (n > 0 && n <= 17) {
        int64_t v = 0;

        for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            v = v * 10 + (p[i] - '0');
        if (i == n) {
            if (v >= 100000000000LL)   /* as dates_parse_time: ms */
                v /= 1000;
            *t = v;
            return 0;
        }
    }
    if (n == 0 || n >= sizeof buf || memchr(p, '\0', n) != NULL)
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return dates_parse_time(buf, zone, t);
}

static int
parse_flag(const char *p, size_t n, int *on)
{
    if (n == 0 || (n == 1 && p[0] == '0')) {
        *on = 0;
        return 0;
    }
    if (n == 1 && p[0] == '1') {
        *on = 1;
        return 0;
    }
    if (n == 4 && strncasecmp(p, "true", 4) == 0) {
        *on = 1;
        return 0;
    }
    if (n == 5 && strncasecmp(p, "false", 5) == 0) {
        *on = 0;
        return 0;
    }
    return -1;
}

static int
parse_real(const char *p, size_t n, double *v)
{
    char buf[64], *end;

    if (n == 0 || n >= sizeof buf || memchr(p, '\0', n) != NULL)
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    *v = strtod(buf, &end);
    if (end != buf + n || !isfinite(*v))
        return -1;
    return 0;
}

/* Milliseconds: a whole or decimal number >= 0 (87433.0), rounded. */
static int
parse_ms(const char *p, size_t n, uint32_t *ms)
{
    double v;
    size_t i;

    if (n == 0) {
        *ms = 0;
        return 0;
    }
    if (n <= 9) {
        uint32_t x = 0;

        for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            x = x * 10 + (uint32_t)(p[i] - '0');
        if (i == n) {
            *ms = x;
            return 0;
        }
    }
    if (parse_real(p, n, &v) < 0 || v < 0 || v + 0.5 >= 4294967296.0)
        return -1;
    *ms = (uint32_t)(v + 0.5);
    return 0;
}

uint32_t
logread_event_fb(const char *s, size_t n)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } ev[] = {
        { "click", FB_CLICK }, { "like", FB_LIKE },
        { "comment", FB_COMMENT }, { "follow", FB_FOLLOW },
        { "share", FB_SHARE }, { "long_view", FB_LONG_VIEW },
        { "hate", FB_HATE }, { "dislike", FB_HATE }
    };
    size_t i;

    for (i = 0; i < sizeof ev / sizeof ev[0]; i++)
        if (strlen(ev[i].name) == n && strncasecmp(ev[i].name, s, n) == 0)
            return ev[i].bit;
    return 0;
}

/* Check a string that ingest will store: UTF-8, no NUL. */
static int
check_str(const char *p, size_t n)
{
    unsigned char acc = 0, nul = 0;
    size_t i;

    /* one pass for the usual ASCII id: no UTF-8 decoding, no memchr call */
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];

        acc |= ch;
        nul |= ch == 0;
    }
    if (acc < 0x80)
        return nul ? R_NUL : R_NONE;
    if (utf8_check((const unsigned char *)p, n) != n)
        return R_UTF8;
    return nul ? R_NUL : R_NONE;
}

/* Convert field f of canonical column c into row; R_NONE or a reason. */
static int
convert(const struct logread *r, const struct canon *c, struct field f,
        struct logread_row *row)
{
    struct logread_str *s = NULL;
    int on, why;
    double v;

    switch (c->type) {
    case CT_TIME:
        return parse_time(f.p, f.n, r->zone, &row->t) < 0 ? R_TIME : R_NONE;
    case CT_UPTIME:
        if (f.n == 0) {
            row->t = INT64_MIN;
            return R_NONE;
        }
        return parse_time(f.p, f.n, r->zone, &row->t) < 0 ? R_TIME : R_NONE;
    case CT_ID:
    case CT_OPTID:
        if (f.n == 0 && c->type == CT_ID)
            return R_EMPTY_ID;
        if (f.n > IDDICT_MAX_ID_LEN)
            return R_LONG_ID;
        if ((why = check_str(f.p, f.n)) != R_NONE)
            return why;
        s = c->slot == S_USER ? &row->user
          : c->slot == S_ITEM ? &row->item : &row->creator;
        s->p = f.p;
        s->n = f.n;
        return R_NONE;
    case CT_TAGS:
        if ((why = check_str(f.p, f.n)) != R_NONE)
            return why;
        if (f.n > IDDICT_MAX_ID_LEN) {
            size_t i, run = 0;

            for (i = 0; i < f.n; i++) {
                run = f.p[i] == '|' || f.p[i] == ',' ? 0 : run + 1;
                if (run > IDDICT_MAX_ID_LEN)
                    return R_LONG_ID;
            }
        }
        row->tags.p = f.p;
        row->tags.n = f.n;
        return R_NONE;
    case CT_FLAG:
        if (parse_flag(f.p, f.n, &on) < 0)
            return R_FLAG;
        if (on)
            row->fb |= c->bit;
        return R_NONE;
    case CT_MS:
        return parse_ms(f.p, f.n, c->slot == S_PLAY ? &row->play_ms
                                                    : &row->dur_ms) < 0
             ? R_NUMBER : R_NONE;
    case CT_VALUE:
        if (f.n == 0) {
            row->value = 0;
            return R_NONE;
        }
        if (parse_real(f.p, f.n, &v) < 0 || fabs(v) > 3.0e38)
            return R_NUMBER;
        row->value = (float)v;
        return R_NONE;
    case CT_EVENT:
        if (f.n == 0)
            return R_EMPTY_EVENT;
        if ((why = check_str(f.p, f.n)) != R_NONE)
            return why;
        row->fb = logread_event_fb(f.p, f.n);
        return R_NONE;
    }
    return R_NONE;
}

/* ---- chunk parsing ---- */

static void
push_field(struct chunk *c, const char *p, size_t n)
{
    if (c->nf == c->cap_f)
        c->f = xgrow(c->f, &c->cap_f, c->nf + 1, sizeof *c->f);
    c->f[c->nf].p = p;
    c->f[c->nf].n = n;
    c->nf++;
}

static void
csv_field_cb(void *s, size_t n, void *data)
{
    struct chunk *c = data;
    char *dst = arena_alloc(&c->arena, n + 1);

    if (n > 0)
        memcpy(dst, s, n);
    dst[n] = '\0';
    push_field(c, dst, n);
}

static void
csv_record_cb(int term, void *data)
{
    struct chunk *c = data;

    (void)term;
    c->csv_records++;
}

static int
never_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

static void
chunk_csv_init(struct chunk *c)
{
    if (c->csv_ready)
        csv_free(&c->csv);
    csv_init(&c->csv, CSV_STRICT | CSV_STRICT_FINI);
    csv_set_space_func(&c->csv, never_space);
    c->csv_ready = 1;
}

/*
 * The fields of an unquoted record p[0..n): the commas are found a word at
 * a time (a mask of the bytes equal to ',', exact, without the borrow
 * false positives of the shorter zero-byte test), since fields are a few
 * bytes and a byte loop mispredicts at nearly every one.  Reads up to 7
 * bytes past the record, which the buffer's LR_PAD bytes allow.
 */
static void
split_plain(struct chunk *c, const char *p, size_t n)
{
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
    const uint64_t commas = 0x2c2c2c2c2c2c2c2cull;
    size_t i, start = 0;

    if (c->cap_f < n + 1)
        c->f = xgrow(c->f, &c->cap_f, n + 1, sizeof *c->f);
    c->nf = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (i = 0; i < n; i += 8) {
        uint64_t w, x, m;

        memcpy(&w, p + i, 8);
        x = w ^ commas;
        m = ~(((x & lo7) + lo7) | x | lo7);     /* 0x80 where a byte was ',' */
        if (n - i < 8)
            m &= ((uint64_t)1 << (8 * (n - i))) - 1;
        while (m != 0) {
            size_t pos = i + (size_t)(__builtin_ctzll(m) >> 3);

            c->f[c->nf].p = p + start;
            c->f[c->nf].n = pos - start;
            c->nf++;
            start = pos + 1;
            m &= m - 1;
        }
    }
#else
    for (i = 0; i < n; i++) {
        if (p[i] == ',') {
            c->f[c->nf].p = p + start;
            c->f[c->nf].n = i - start;
            c->nf++;
            start = i + 1;
        }
    }
#endif
    c->f[c->nf].p = p + start;
    c->f[c->nf].n = n - start;
    c->nf++;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* 0x80 in each byte of w equal to the byte in `all` (all 8 copies). */
static inline uint64_t
byte_eq_mask(uint64_t w, uint64_t all)
{
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t x = w ^ all;

    return ~(((x & lo7) + lo7) | x | lo7);
}

/*
 * For a chunk without quotes: find the end of the line at p (its '\n', or
 * end) and its fields in one pass, a word at a time, instead of a memchr
 * for the line and a second scan for the commas.  A '\r' before the '\n'
 * is left out of the last field; *n gets the record's length without it.
 * Reads up to 7 bytes past end, which LR_PAD allows.
 */
static const char *
split_line(struct chunk *c, const char *p, const char *end, size_t *n)
{
    const uint64_t commas = 0x2c2c2c2c2c2c2c2cull;
    const uint64_t newlines = 0x0a0a0a0a0a0a0a0aull;
    size_t len = (size_t)(end - p), start = 0, i, stop = len;

    c->nf = 0;
    for (i = 0; i < len; i += 8) {
        uint64_t w, mc, mn, m;

        memcpy(&w, p + i, 8);
        mc = byte_eq_mask(w, commas);
        mn = byte_eq_mask(w, newlines);
        if (len - i < 8) {
            mc &= ((uint64_t)1 << (8 * (len - i))) - 1;
            mn &= ((uint64_t)1 << (8 * (len - i))) - 1;
        }
        if (mn != 0)
            mc &= (mn & (0 - mn)) - 1;  /* commas before the newline */
        for (m = mc; m != 0; m &= m - 1) {
            size_t pos = i + (size_t)(__builtin_ctzll(m) >> 3);

            if (c->nf + 2 > c->cap_f)
                c->f = xgrow(c->f, &c->cap_f, c->nf + 2, sizeof *c->f);
            c->f[c->nf].p = p + start;
            c->f[c->nf].n = pos - start;
            c->nf++;
            start = pos + 1;
        }
        if (mn != 0) {
            stop = i + (size_t)(__builtin_ctzll(mn) >> 3);
            break;
        }
    }
    *n = stop > 0 && p[stop - 1] == '\r' ? stop - 1 : stop;
    if (c->nf + 1 > c->cap_f)
        c->f = xgrow(c->f, &c->cap_f, c->nf + 1, sizeof *c->f);
    c->f[c->nf].p = p + start;
    c->f[c->nf].n = start <= *n ? *n - start : 0;
    c->nf++;
    return p + stop;
}
#endif

/*
 * Split record p[0..n) (no line end) into c->f.  Returns 0, or -1 for
 * malformed quoting.
 */
static int
split_record(struct chunk *c, const char *p, size_t n, int quoted)
{
    if (!quoted) {
        split_plain(c, p, n);
        return 0;
    }
    c->nf = 0;
    if (!c->csv_ready)
        chunk_csv_init(c);
    c->csv_records = 0;
    if (csv_parse(&c->csv, p, n, csv_field_cb, csv_record_cb, c) != n
        || csv_fini(&c->csv, csv_field_cb, csv_record_cb, c) != 0
        || c->csv_records != 1) {
        chunk_csv_init(c);
        return -1;
    }
    return 0;
}

/* An empty row: every column zero or empty, ids not looked up.  Field
 * by field: a memset of the whole struct compiles to a string store whose
 * start-up cost is paid on every record. */
static void
clear_row(struct logread_row *row)
{
    static const struct logread_str none = { NULL, 0 };

    row->line = 0;
    row->t = 0;
    row->user = row->item = row->creator = row->tags = row->raw = none;
    row->fb = row->play_ms = row->dur_ms = 0;
    row->value = 0;
    row->ix[0] = row->ix[1] = row->ix[2] = UINT32_MAX;
}

static struct prow *
new_prow(struct chunk *c)
{
    struct prow *pr;

    if (c->n_rows == c->cap_rows)
        c->rows = xgrow(c->rows, &c->cap_rows, c->n_rows + 1,
                        sizeof *c->rows);
    pr = &c->rows[c->n_rows++];
    clear_row(&pr->row);
    pr->reason = R_NONE;
    pr->col = -1;
    pr->aux = 0;
    pr->val.p = NULL;
    pr->val.n = 0;
    return pr;
}

/*
 * The usual case in one pass: every field in header order, converted
 * straight into its canonical column (r->hcanon), no field too long.
 * Returns 0 when anything is wrong, leaving the row to the full path,
 * which finds the reason to report in its own (canonical) order.
 */
static int
convert_fast(const struct logread *r, const struct chunk *c,
             struct logread_row *row)
{
    size_t j;
    int k;

    if (c->nf != (size_t)r->n_head)
        return 0;
    for (j = 0; j < c->nf; j++) {
        k = r->hcanon[j];
        if (c->f[j].n > r->max_field
            || (k >= 0 && convert(r, &r->cols[k], c->f[j], row) != R_NONE))
            return 0;
    }
    for (k = 0; k < r->n_cols; k++)
        if (r->bind[k] == -2
            && convert(r, &r->cols[k], r->cval[k], row) != R_NONE)
            return 0;
    return 1;
}

static int
parse_record(const struct logread *r, struct chunk *c, const char *p,
             size_t n, int quoted, int presplit, uint64_t line)
{
    struct prow *pr = new_prow(c);
    struct logread_row *row = &pr->row;
    int k, why;
    size_t i;

    row->line = line;
    row->raw.p = p;
    row->raw.n = n;
    if (n > r->rec_cap) {
        pr->reason = R_LONG_RECORD;
        return pr->reason;
    }
    if (!presplit && split_record(c, p, n, quoted) < 0) {
        pr->reason = R_QUOTE;
        pr->val.p = p;
        pr->val.n = n;
        return pr->reason;
    }
    if (r->table == LOGREAD_ITEMS)
        row->t = INT64_MIN;
    if (r->hcanon != NULL && convert_fast(r, c, row))
        goto good;
    clear_row(row);
    row->line = line;
    row->raw.p = p;
    row->raw.n = n;
    if (c->nf != (size_t)r->n_head) {
        pr->reason = R_NCOLS;
        pr->aux = c->nf;
        return pr->reason;
    }
    for (i = 0; i < c->nf; i++) {
        if (c->f[i].n > r->max_field) {
            pr->reason = R_LONG_FIELD;
            pr->col = (int)i;
            pr->val = c->f[i];
            return pr->reason;
        }
    }
    if (r->table == LOGREAD_ITEMS)
        row->t = INT64_MIN;
    for (k = 0; k < r->n_cols; k++) {
        struct field f;

        if (r->bind[k] == -1)
            continue;
        f = r->bind[k] == -2 ? r->cval[k] : c->f[r->bind[k]];
        if ((why = convert(r, &r->cols[k], f, row)) != R_NONE) {
            pr->reason = (unsigned char)why;
            pr->col = r->bind[k] == -2 ? -2 - k : r->bind[k];
            pr->val = f;
            return pr->reason;
        }
    }
good:
    if (r->value_event_fb != 0 && r->table == LOGREAD_INTERACTIONS
        && row->value >= r->value_event_min)
        row->fb = r->value_event_fb;
    return R_NONE;
}

/*
 * The end of the record starting at p: the first newline outside a quoted
 * field, or end.  A quote opens a quoted field only at the start of a
 * field (RFC 4180); elsewhere it is an ordinary byte (libcsv then rejects
 * the record), so one stray quote cannot swallow the rest of the file.
 * *lines gets the newlines inside the record (not its terminator).
 */
static const char *
record_end(const char *p, const char *end, uint64_t *lines)
{
    enum { START, BARE, QUOTED, QUOTE_SEEN } st = START;
    uint64_t nl = 0;

    for (; p < end; p++) {
        char ch = *p;

        switch (st) {
        case QUOTED:
            if (ch == '"')
                st = QUOTE_SEEN;
            else if (ch == '\n')
                nl++;
            continue;
        case QUOTE_SEEN:
            if (ch == '"') {
                st = QUOTED;
                continue;
            }
            break;
        case START:
            if (ch == '"') {
                st = QUOTED;
                continue;
            }
            break;
        case BARE:
            break;
        }
        if (ch == '\n')
            break;
        st = ch == ',' ? START : BARE;
    }
    *lines = nl;
    return p;
}

/* How many rows ahead logread_next calls the ahead hook. */
#define LR_AHEAD 8

/* The caller's prepare hook over the chunk's good rows, in file order. */
static void
prepare_chunk(const struct logread *r, struct chunk *c)
{
    size_t i;

    if (c->n_good > c->cap_good)
        c->good = xgrow(c->good, &c->cap_good, c->n_good, sizeof *c->good);
    for (i = 0; i < c->n_good; i++)
        c->good[i] = &c->rows[c->good_ix[i]].row;
    r->prepare(r->prepare_ctx, r->table, c->good, c->n_good);
}

/* The row just parsed is good: list it. */
static void
add_good(struct chunk *c)
{
    if (c->n_good == c->cap_good_ix)
        c->good_ix = xgrow(c->good_ix, &c->cap_good_ix, c->n_good + 1,
                           sizeof *c->good_ix);
    c->good_ix[c->n_good++] = (uint32_t)(c->n_rows - 1);
}

/*
 * Parse c->p[0..n): records and blank lines.  quotes: whether the chunk
 * holds any '"' (if not, every record is one line).
 */
static void
parse_chunk(const struct logread *r, struct chunk *c, int quotes)
{
    const char *q = c->p, *end = c->p + c->n;
    uint64_t line = 0;

    c->n_rows = c->n_good = 0;
    arena_reset(&c->arena);
    while (q < end) {
        const char *nl, *le, *next;
        uint64_t lines = 1;
        int quoted = 0, presplit = 0, why;
        size_t n;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (!quotes) {
            le = split_line(c, q, end, &n);
            nl = le < end ? le : NULL;
            next = nl != NULL ? nl + 1 : end;
            why = n > 0 ? parse_record(r, c, q, n, 0, 1, line) : -1;
            if (why == R_NONE)
                add_good(c);
            line++;
            q = next;
            continue;
        }
#endif
        nl = memchr(q, '\n', (size_t)(end - q));
        le = nl != NULL ? nl : end;
        next = nl != NULL ? nl + 1 : end;
        if (quotes && memchr(q, '"', (size_t)(le - q)) != NULL) {
            uint64_t inner;

            quoted = 1;
            le = record_end(q, end, &inner);
            next = le < end ? le + 1 : end;
            lines = 1 + inner;
        }
        n = (size_t)(le - q);
        if (n > 0 && q[n - 1] == '\r')
            n--;
        why = n > 0 ? parse_record(r, c, q, n, quoted, presplit, line) : -1;
        if (why == R_NONE) {
            add_good(c);
        } else if (why == R_QUOTE && lines > 1) {
            /* a malformed record spanning lines: reject its first line
             * only and go on with the next one */
            struct prow *pr = &c->rows[c->n_rows - 1];

            n = (size_t)(nl - q);
            if (n > 0 && q[n - 1] == '\r')
                n--;
            pr->row.raw.n = pr->val.n = n;
            next = nl + 1;
            lines = 1;
        }
        line += lines;
        q = next;
    }
    c->nl = line;
}

/* ---- blocks ---- */

static int
fill(struct logread *r, struct diag *d)
{
    while (r->len < r->cap && !r->eof) {
        size_t got;

        if (zin_read(r->z, r->buf + r->len, r->cap - r->len, &got, d) < 0)
            return -1;
        if (got == 0)
            r->eof = 1;
        r->len += got;
    }
    return 0;
}

/* Drop blk_end bytes (a header, an over-long record's first line) from
 * the staging buffer's front. */
static void
consume(struct logread *r)
{
    if (r->blk_end > 0) {
        memmove(r->buf, r->buf + r->blk_end, r->len - r->blk_end);
        r->len -= r->blk_end;
        r->parsed += r->blk_end;
        r->blk_end = 0;
    }
    r->line0 = r->next_line0;
}

/*
 * Find the block end and the chunk cuts.  Returns the block length (0 when
 * the buffer holds no complete record).
 */
static size_t
cut_block(struct logread *r, size_t *cuts, int *n_cuts, int *quotes)
{
    size_t len = r->len, e, target, step;
    int k = 0, want;

    *quotes = memchr(r->buf, '"', len) != NULL;
    if (!*quotes) {
        e = len;
        while (e > 0 && r->buf[e - 1] != '\n')
            e--;
        if (r->eof)
            e = len;
        want = (int)(e / LR_MIN_CHUNK);
        want = want < 1 ? 1 : want > LR_NCHUNK ? LR_NCHUNK : want;
        step = e / (size_t)want;
        cuts[0] = 0;
        for (k = 1; k < want; k++) {
            const char *nl;

            target = step * (size_t)k;
            if (target < cuts[k - 1])
                target = cuts[k - 1];
            nl = memchr(r->buf + target, '\n', e - target);
            cuts[k] = nl != NULL ? (size_t)(nl - r->buf) + 1 : e;
        }
        cuts[want] = e;
        *n_cuts = want;
        return e;
    } else {
        const char *p = r->buf, *end = r->buf + len, *q;
        uint64_t inner;

        /* record ends, in order; cuts at the first end past each target */
        e = 0;
        want = (int)(len / LR_MIN_CHUNK);
        want = want < 1 ? 1 : want > LR_NCHUNK ? LR_NCHUNK : want;
        step = len / (size_t)want;
        cuts[0] = 0;
        k = 1;
        while (p < end && (q = record_end(p, end, &inner)) < end) {
            e = (size_t)(q - r->buf) + 1;
            if (k < want && e >= step * (size_t)k)
                cuts[k++] = e;
            p = q + 1;
        }
        if (r->eof)
            e = len;
        while (k > 1 && cuts[k - 1] > e)
            k--;
        if (k > 1 && cuts[k - 1] == e)
            k--;
        cuts[k] = e;
        *n_cuts = k;
        return e;
    }
}

/*
 * Skip the rest of an over-long record (quote-aware), reading as needed.
 * On return the buffer starts right after it (or is empty at EOF).
 */
static int
skip_long(struct logread *r, struct diag *d)
{
    for (;;) {
        const char *nl = memchr(r->buf, '\n', r->len);

        r->long_quote = nl != NULL;
        if (nl != NULL) {
            r->blk_end = (size_t)(nl - r->buf) + 1;
            r->next_line0++;
            r->skipping = 0;
            return 0;
        }
        r->parsed += r->len;
        r->len = 0;
        if (r->eof) {
            r->skipping = 0;
            return 0;
        }
        if (fill(r, d) < 0)
            return -1;
    }
}

/*
 * Background work.  A block, once cut, is published to the parser threads,
 * which claim its chunks one at a time and parse them; the thread that
 * needs the block claims the rest itself and waits for the others.  Then
 * the same again for the prepare hook (looking the ids up), which may run
 * only while nobody adds to what it reads, i.e. once the caller is done
 * with the previous block.
 */
static void
run_claimed(struct logread *r, struct block *b)
{
    pthread_mutex_lock(&r->mu);
    while (b->claim < b->n_chunks) {
        int k = b->claim++, phase = b->phase;

        pthread_mutex_unlock(&r->mu);
        if (phase == PHASE_PARSE)
            parse_chunk(r, &b->ch[k], b->quotes);
        else
            prepare_chunk(r, &b->ch[k]);
        pthread_mutex_lock(&r->mu);
        if (++b->done == b->n_chunks)
            pthread_cond_broadcast(&r->cv_done);
    }
    pthread_mutex_unlock(&r->mu);
}

/* Publish block b's chunks for a phase of work. */
static void
publish(struct logread *r, struct block *b, int phase)
{
    pthread_mutex_lock(&r->mu);
    b->phase = phase;
    b->claim = b->done = 0;
    r->pending = b;
    pthread_cond_broadcast(&r->cv_work);
    pthread_mutex_unlock(&r->mu);
}

/* Do what is left of b's current phase and wait for the rest. */
static void
complete(struct logread *r, struct block *b)
{
    run_claimed(r, b);
    pthread_mutex_lock(&r->mu);
    while (b->done < b->n_chunks)
        pthread_cond_wait(&r->cv_done, &r->mu);
    if (r->pending == b)
        r->pending = NULL;
    pthread_mutex_unlock(&r->mu);
}

static void *
parser_thread(void *arg)
{
    struct logread *r = arg;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        struct block *b = r->pending;

        if (r->stop)
            break;
        if (b == NULL || b->claim == b->n_chunks) {
            pthread_cond_wait(&r->cv_work, &r->mu);
            continue;
        }
        pthread_mutex_unlock(&r->mu);
        run_claimed(r, b);
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Start the parser threads: one per OpenMP thread beyond this one. */
static void
start_parsers(struct logread *r)
{
    int want = omp_get_max_threads() - 1, i;

    r->threads_started = 1;
    if (want > LR_MAX_PARSERS)
        want = LR_MAX_PARSERS;
    for (i = 0; i < want; i++)
        if (pthread_create(&r->parser[r->n_parsers], NULL, parser_thread, r)
            == 0)
            r->n_parsers++;
}

static void
stop_parsers(struct logread *r)
{
    int i;

    if (!r->threads_started)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv_work);
    pthread_mutex_unlock(&r->mu);
    for (i = 0; i < r->n_parsers; i++)
        pthread_join(r->parser[i], NULL);
    r->n_parsers = 0;
}

/*
 * Cut the complete records at the front of the staging buffer into block
 * b, which takes the buffer (the rows will point into it); the bytes after
 * them move to b's old buffer, which becomes the staging buffer.  The
 * block is published for background parsing.  Returns 1 when a block was
 * cut, 0 when the staging buffer holds no complete record (the end of the
 * input, or a record longer than the buffer), -1 on a read error.
 */
static int
stage_block(struct logread *r, struct block *b, struct diag *d)
{
    size_t cuts[LR_NCHUNK + 1], e;
    char *full;
    int k;

    consume(r);
    if (r->skipping)
        return 0;
    if (fill(r, d) < 0)
        return -1;
    if (r->len == 0)
        return 0;
    e = cut_block(r, cuts, &b->n_chunks, &b->quotes);
    if (e == 0)
        return 0;
    full = r->buf;
    r->buf = b->buf;
    b->buf = full;
    memcpy(r->buf, full + e, r->len - e);
    r->len -= e;
    /* the reader thread fills the rest of the staging buffer meanwhile */
    if (!r->eof && r->len < r->cap)
        zin_start(r->z, r->buf + r->len, r->cap - r->len);
    b->end = e;
    b->line0 = r->line0;
    for (k = 0; k < b->n_chunks; k++) {
        b->ch[k].p = b->buf + cuts[k];
        b->ch[k].n = cuts[k + 1] - cuts[k];
    }
    if (!r->threads_started)
        start_parsers(r);
    b->staged = 1;
    publish(r, b, PHASE_PARSE);
    return 1;
}

/*
 * Wait until block b is parsed (parsing what nobody has claimed yet), give
 * its chunks their file lines, and run the prepare hook over its chunks on
 * the parser threads and this one.  Only then may the caller add to
 * whatever prepare reads.
 */
static void
finish_block(struct logread *r, struct block *b)
{
    int k;

    complete(r, b);
    b->staged = 0;
    b->ch_line[0] = b->line0;
    for (k = 1; k < b->n_chunks; k++)
        b->ch_line[k] = b->ch_line[k - 1] + b->ch[k - 1].nl;
    r->line0 = r->next_line0 = b->ch_line[b->n_chunks - 1]
                             + b->ch[b->n_chunks - 1].nl;
    if (r->prepare != NULL) {
        publish(r, b, PHASE_PREPARE);
        complete(r, b);
    }
}

/*
 * The staging buffer is full and holds no record end: a line longer than
 * the buffer, or a quoted field that does not close.  Reject its first
 * line and go on after it (or after the next newline).
 */
static void
reject_long(struct logread *r)
{
    const char *nl = memchr(r->buf, '\n', r->len);

    r->long_pending = 1;
    r->long_line = r->line0;
    r->long_raw_n = r->len < LR_RAW_LONG ? r->len : LR_RAW_LONG;
    free(r->long_raw);
    r->long_raw = xmalloc(r->long_raw_n);
    memcpy(r->long_raw, r->buf, r->long_raw_n);
    r->long_quote = nl != NULL;
    if (nl != NULL) {
        r->blk_end = (size_t)(nl - r->buf) + 1;
        r->next_line0 = r->line0 + 1;
    } else {
        r->parsed += r->len;
        r->len = 0;
        r->next_line0 = r->line0;
        r->skipping = 1;
    }
}

/*
 * Hand out the next block; 1 when rows (or an over-long record's reject)
 * may be ready, 0 at EOF, -1 on error.  Blocks are parsed one ahead: while
 * the caller takes the rows of block k, the parser threads parse block
 * k + 1, which was cut when block k was handed out.
 */
static int
next_block(struct logread *r, struct diag *d)
{
    struct block *b = r->ahead_blk;
    int got;

    r->cur->n_chunks = 0;
    r->cur_chunk = 0;
    r->cur_row = r->cur_good = 0;
    if (r->fail_pending) {
        r->fail_pending = 0;
        if (d != NULL)
            *d = r->fail;
        return -1;
    }
    if (!b->staged) {
        if (r->skipping) {
            consume(r);
            if (skip_long(r, d) < 0)
                return -1;
        }
        got = stage_block(r, b, d);
        if (got < 0)
            return -1;
        if (got == 0) {
            consume(r);
            if (r->len == 0)
                return 0;
            reject_long(r);
            return 1;
        }
    }
    finish_block(r, b);
    r->ahead_blk = r->cur;
    r->cur = b;
    r->parsed += b->end;
    /* a read error here belongs after this block's rows */
    if (stage_block(r, r->ahead_blk, &r->fail) < 0)
        r->fail_pending = 1;
    return 1;
}

static const char *
col_name(const struct logread *r, int col)
{
    if (col <= -2)
        return r->cname[-2 - col];
    return r->head[col];
}

static void
format_reject(const struct logread *r, const struct prow *pr,
              uint64_t line, struct diag *d)
{
    char v[LR_SHOW * 4 + 8];
    const char *cn = pr->col != -1 ? col_name(r, pr->col) : "";
    unsigned long long ln = (unsigned long long)line;

    show(v, sizeof v, pr->val.p, pr->val.n);
    switch (pr->reason) {
    case R_NCOLS:
        diag_set(d, RC_DATA, "%s:%llu: expected %d columns, found %zu",
                 r->path, ln, r->n_head, pr->aux);
        break;
    case R_TIME:
        diag_set(d, RC_DATA, "%s:%llu: column '%s': unparseable time '%s'",
                 r->path, ln, cn, v);
        break;
    case R_EMPTY_ID:
        diag_set(d, RC_DATA, "%s:%llu: column '%s': empty id", r->path, ln,
                 cn);
        break;
    case R_LONG_ID:
        diag_set(d, RC_DATA,
                 "%s:%llu: column '%s': id longer than %d bytes '%s'",
                 r->path, ln, cn, IDDICT_MAX_ID_LEN, v);
        break;
    case R_FLAG:
        diag_set(d, RC_DATA, "%s:%llu: column '%s': bad flag value '%s'",
                 r->path, ln, cn, v);
        break;
    case R_NUMBER:
        diag_set(d, RC_DATA, "%s:%llu: column '%s': bad number '%s'",
                 r->path, ln, cn, v);
        break;
    case R_UTF8:
        diag_set(d, RC_DATA, "%s:%llu: column '%s': invalid UTF-8 '%s'",
                 r->path, ln, cn, v);
        break;
    case R_NUL:
        diag_set(d, RC_DATA, "%s:%llu: column '%s': NUL byte in value '%s'",
                 r->path, ln, cn, v);
        break;
    case R_LONG_FIELD:
        diag_set(d, RC_DATA,
                 "%s:%llu: column '%s': field longer than %zu bytes '%s'",
                 r->path, ln, cn, r->max_field, v);
        break;
    case R_EMPTY_EVENT:
        diag_set(d, RC_DATA, "%s:%llu: column '%s': empty event", r->path,
                 ln, cn);
        break;
    case R_QUOTE:
        diag_set(d, RC_DATA, "%s:%llu: malformed quoting '%s'", r->path, ln,
                 v);
        break;
    case R_LONG_RECORD:
    default:
        diag_set(d, RC_DATA, "%s:%llu: record longer than %zu bytes",
                 r->path, ln, r->rec_cap);
        break;
    }
}

int
logread_next_ref(struct logread *r, struct logread_row **row, struct diag *d)
{
    for (;;) {
        if (r->long_pending) {
            r->long_pending = 0;
            memset(&r->long_row, 0, sizeof r->long_row);
            r->long_row.line = r->long_line;
            r->long_row.raw.p = r->long_raw;
            r->long_row.raw.n = r->long_raw_n;
            *row = &r->long_row;
            diag_set(d, RC_DATA, "%s:%llu: record longer than %zu bytes%s",
                     r->path, (unsigned long long)r->long_line, r->cap,
                     r->long_quote ? " (unclosed quote?)" : "");
            return LOGREAD_REJECT;
        }
        while (r->cur_chunk < r->cur->n_chunks) {
            struct chunk *c = &r->cur->ch[r->cur_chunk];

            if (r->cur_row < c->n_rows) {
                struct prow *pr = &c->rows[r->cur_row];
                /* good rows are listed: no need to read pr->reason */
                int good = r->cur_good < c->n_good
                        && c->good_ix[r->cur_good] == r->cur_row;

                r->cur_row++;
                if (good) {
                    r->cur_good++;
                    if (r->ahead != NULL && r->cur_good + LR_AHEAD
                                            <= c->n_good)
                        r->ahead(r->prepare_ctx, r->table,
                                 &c->rows[c->good_ix[r->cur_good
                                                     + LR_AHEAD - 1]].row);
                }
                /* chunk-relative line to file line, once */
                pr->row.line += r->cur->ch_line[r->cur_chunk];
                *row = &pr->row;
                if (good)
                    return LOGREAD_ROW;
                format_reject(r, pr, pr->row.line, d);
                return LOGREAD_REJECT;
            }
            r->cur_chunk++;
            r->cur_row = r->cur_good = 0;
        }
        switch (next_block(r, d)) {
        case -1:
            return LOGREAD_FAIL;
        case 0:
            return LOGREAD_EOF;
        default:
            break;
        }
    }
}

int
logread_next(struct logread *r, struct logread_row *row, struct diag *d)
{
    struct logread_row *ref;
    int got = logread_next_ref(r, &ref, d);

    if (got == LOGREAD_ROW || got == LOGREAD_REJECT)
        *row = *ref;
    return got;
}

/* ---- open: header and binding ---- */

static int
find_head(const struct logread *r, const char *name)
{
    int i;

    for (i = 0; i < r->n_head; i++)
        if (strcmp(r->head[i], name) == 0)
            return i;
    return -1;
}

/* "key=value" entries: the one for key, or NULL. */
static const char *
lookup_kv(const char *const *kv, size_t n, const char *key)
{
    size_t i, m = strlen(key);

    for (i = n; i-- > 0;)       /* the last one given wins */
        if (strncmp(kv[i], key, m) == 0 && kv[i][m] == '=')
            return kv[i] + m + 1;
    return NULL;
}

static int
check_kv(const char *const *kv, size_t n, const char *opt, struct diag *d)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *eq = strchr(kv[i], '=');
        char name[64];
        size_t m = eq != NULL ? (size_t)(eq - kv[i]) : 0;

        if (eq == NULL || m == 0 || m >= sizeof name)
            return diag_set(d, RC_USAGE, "%s: expected column=value, got '%s'",
                            opt, kv[i]);
        memcpy(name, kv[i], m);
        name[m] = '\0';
        if (!logread_is_column(name))
            return diag_set(d, RC_USAGE, "%s: unknown column '%s'", opt,
                            name);
    }
    return 0;
}

static int
bind_columns(struct logread *r, const struct logread_opts *o,
             uint64_t head_line, struct diag *d)
{
    int k, i;

    for (k = 0; r->cols[k].name != NULL; k++) {
        const struct canon *c = &r->cols[k];
        const char *mapped = lookup_kv(o->map, o->n_map, c->name);
        const char *cv = lookup_kv(o->consts, o->n_consts, c->name);

        r->bind[k] = -1;
        if (cv != NULL) {
            struct logread_row tmp;
            size_t len = strlen(cv);

            r->bind[k] = -2;
            r->cval[k].p = cv;
            r->cval[k].n = len;
            r->cname[k] = xmalloc(strlen(c->name) + 16);
            sprintf(r->cname[k], "--const %s", c->name);
            memset(&tmp, 0, sizeof tmp);
            if (convert(r, c, r->cval[k], &tmp) != R_NONE)
                return diag_set(d, RC_USAGE, "--const %s: bad value '%s'",
                                c->name, cv);
            continue;
        }
        if (mapped != NULL) {
            r->bind[k] = find_head(r, mapped);
            if (r->bind[k] < 0)
                return diag_set(d, RC_DATA,
                                "%s:%llu: missing column '%s' (mapped to %s)",
                                r->path, (unsigned long long)head_line,
                                mapped, c->name);
            continue;
        }
        r->bind[k] = find_head(r, c->name);
        for (i = 0; r->bind[k] < 0 && i < 4 && c->alias[i] != NULL; i++)
            r->bind[k] = find_head(r, c->alias[i]);
        if (r->bind[k] < 0 && c->required) {
            char tried[256];
            size_t o2 = 0;

            o2 += (size_t)snprintf(tried + o2, sizeof tried - o2, "%s",
                                   c->name);
            for (i = 0; i < 4 && c->alias[i] != NULL; i++)
                o2 += (size_t)snprintf(tried + o2, sizeof tried - o2,
                                       ", %s", c->alias[i]);
            return diag_set(d, RC_DATA,
                            "%s:%llu: missing column '%s' (tried %s)",
                            r->path, (unsigned long long)head_line, c->name,
                            tried);
        }
    }
    r->n_cols = k;
    /* the one-pass conversion needs each header column read by at most
     * one canonical column */
    r->hcanon = xmalloc((size_t)r->n_head * sizeof *r->hcanon);
    for (i = 0; i < r->n_head; i++)
        r->hcanon[i] = -1;
    for (k = 0; k < r->n_cols; k++) {
        if (r->bind[k] < 0)
            continue;
        if (r->hcanon[r->bind[k]] >= 0) {
            free(r->hcanon);
            r->hcanon = NULL;
            break;
        }
        r->hcanon[r->bind[k]] = (signed char)k;
    }
    return 0;
}

static char *
trim_dup(const char *p, size_t n)
{
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return xstrndup(p, n);
}

/* Read the header record (after a BOM and blank lines). */
static int
read_header(struct logread *r, const struct logread_opts *o,
            struct diag *d)
{
    struct chunk *c = &r->cur->ch[0];
    size_t pos = 0, i, n, k;
    uint64_t line = 1;
    int quoted = 0;

    if (fill(r, d) < 0)
        return -1;
    if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    for (;;) {
        while (pos < r->len && (r->buf[pos] == '\n' || r->buf[pos] == '\r')) {
            if (r->buf[pos] == '\n')
                line++;
            pos++;
        }
        if (pos == r->len)
            return diag_set(d, RC_DATA, "%s: empty file, expected a header row",
                            r->path);
        break;
    }
    {
        uint64_t inner;

        i = (size_t)(record_end(r->buf + pos, r->buf + r->len, &inner)
                     - r->buf);
        quoted = memchr(r->buf + pos, '"', i - pos) != NULL;
    }
    if (i == r->len && !r->eof)
        return diag_set(d, RC_DATA, "%s:%llu: header row longer than %zu bytes",
                        r->path, (unsigned long long)line, r->len);
    n = i - pos;
    if (n > 0 && r->buf[pos + n - 1] == '\r')
        n--;
    if (split_record(c, r->buf + pos, n, quoted) < 0)
        return diag_set(d, RC_DATA, "%s:%llu: malformed quoting in header",
                        r->path, (unsigned long long)line);
    if (c->nf > LR_MAX_COLS)
        return diag_set(d, RC_DATA, "%s:%llu: more than %d header columns",
                        r->path, (unsigned long long)line, LR_MAX_COLS);
    r->n_head = (int)c->nf;
    r->head = xcalloc(c->nf, sizeof *r->head);
    for (k = 0; k < c->nf; k++)
        r->head[k] = trim_dup(c->f[k].p, c->f[k].n);
    arena_reset(&c->arena);
    {
        size_t j;

        for (j = pos; j < i && j < r->len; j++)
            if (r->buf[j] == '\n')
                line++;
    }
    r->blk_end = i < r->len ? i + 1 : r->len;
    r->next_line0 = line + (i < r->len ? 1 : 0);
    if (bind_columns(r, o, line, d) < 0)
        return -1;
    return 0;
}

int
logread_check_opts(const struct logread_opts *o, struct diag *d)
{
    if (check_kv(o->map, o->n_map, "--map", d) < 0
        || check_kv(o->consts, o->n_consts, "--const", d) < 0)
        return -1;
    return 0;
}

int
logread_open(const char *path, enum logread_table table,
             const struct logread_opts *o, struct logread **out,
             struct diag *d)
{
    struct logread *r;
    static const struct logread_opts none;

    *out = NULL;
    if (o == NULL)
        o = &none;
    if (logread_check_opts(o, d) < 0)
        return -1;
    r = xcalloc(1, sizeof *r);
    r->table = table;
    r->cols = table_cols[table];
    r->path = xstrdup(path);
    r->zone = o->zone_offset;
    r->max_field = o->max_field ? o->max_field : LOGREAD_MAX_FIELD_DEFAULT;
    r->rec_cap = r->max_field * 4 > (1u << 20) ? r->max_field * 4
                                                : (1u << 20);
    r->cap = LR_BLOCK > 2 * r->rec_cap ? LR_BLOCK : 2 * r->rec_cap;
    r->buf = xmalloc(r->cap + LR_PAD);
    r->blk[0].buf = xmalloc(r->cap + LR_PAD);
    r->blk[1].buf = xmalloc(r->cap + LR_PAD);
    r->cur = &r->blk[0];
    r->ahead_blk = &r->blk[1];
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv_work, NULL);
    pthread_cond_init(&r->cv_done, NULL);
    r->value_event_fb = o->value_event_fb;
    r->value_event_min = o->value_event_min;
    r->prepare = o->prepare;
    r->ahead = o->ahead;
    r->prepare_ctx = o->prepare_ctx;
    if (zin_open(path, &r->z, d) < 0 || read_header(r, o, d) < 0) {
        logread_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

uint64_t
logread_bytes_in(const struct logread *r)
{
    return zin_bytes_in(r->z);
}

uint64_t
logread_bytes_parsed(const struct logread *r)
{
    return r->parsed + r->blk_end;
}

const char *
logread_path(const struct logread *r)
{
    return r->path;
}

void
logread_close(struct logread *r)
{
    int k;

    if (r == NULL)
        return;
    stop_parsers(r);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv_work);
    pthread_cond_destroy(&r->cv_done);
    zin_close(r->z);
    for (k = 0; k < 2 * LR_NCHUNK; k++) {
        struct chunk *c = &r->blk[k / LR_NCHUNK].ch[k % LR_NCHUNK];

        free(c->rows);
        free(c->good);
        free(c->good_ix);
        free(c->f);
        arena_free(&c->arena);
        if (c->csv_ready)
            csv_free(&c->csv);
    }
    free(r->blk[0].buf);
    free(r->blk[1].buf);
    for (k = 0; k < r->n_head; k++)
        free(r->head[k]);
    for (k = 0; k < LR_MAX_CANON; k++)
        free(r->cname[k]);
    free(r->head);
    free(r->hcanon);
    free(r->buf);
    free(r->long_raw);
    free(r->path);
    free(r);
}

const char *
logread_table_name(enum logread_table table)
{
    return table_names[table];
}

int
logread_table_find(const char *s)
{
    int i;

    for (i = 0; i < LOGREAD_N_TABLES; i++)
        if (strcmp(s, table_names[i]) == 0)
            return i;
    return -1;
}

int
logread_is_column(const char *name)
{
    int t, k;

    for (t = 0; t < LOGREAD_N_TABLES; t++)
        for (k = 0; table_cols[t][k].name != NULL; k++)
            if (strcmp(table_cols[t][k].name, name) == 0)
                return 1;
    return 0;
}
