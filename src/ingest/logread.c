/*
 * logread.c -- the input log CSV reader (logread.h): header binding, the
 * blocks and the threads that parse them, handing rows out.  Splitting
 * records and converting fields is logread_parse.c's; what both share is
 * in logread_int.h.
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
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iddict.h"
#include "logread_int.h"
#include "segment.h"
#include "xmem.h"
#include "zin.h"

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
        while (p < end && (q = lr_record_end(p, end, r->delim, &inner)) < end) {
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
            lr_parse_chunk(r, &b->ch[k], b->quotes);
        else
            lr_prepare_chunk(r, &b->ch[k]);
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
        if (bgthread_start(&r->parser[r->n_parsers], parser_thread, r) == 0)
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
        bgthread_join(&r->parser[i]);
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

    lr_show(v, sizeof v, pr->val.p, pr->val.n);
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

/* The header column called name: exactly, or else a typed header
 * "name:type" (RecBole's "user_id:token"), by the part before its ':'. */
static int
find_head(const struct logread *r, const char *name)
{
    size_t m = strlen(name);
    int i;

    for (i = 0; i < r->n_head; i++)
        if (strcmp(r->head[i], name) == 0)
            return i;
    for (i = 0; i < r->n_head; i++)
        if (strncmp(r->head[i], name, m) == 0 && r->head[i][m] == ':')
            return i;
    return -1;
}

static const char *
delim_name(char c)
{
    switch (c) {
    case ',': return "','";
    case '\t': return "'\\t'";
    case ';': return "';'";
    case '|': return "'|'";
    default: return "?";
    }
}

/*
 * What to do about a column not found in the header: the delimiter the
 * header was split on, the header as read, and the fix (another delimiter
 * the header holds, or --map).
 */
static void
header_hint(const struct logread *r, const char *canon, char *dst,
            size_t cap)
{
    static const char cand[] = { ',', '\t', ';', '|' };
    char shown[256];
    const char *other = NULL;
    size_t i, k, cnt = 0;

    lr_show(shown, sizeof shown, r->head_raw, strlen(r->head_raw));
    for (k = 0; k < sizeof cand; k++) {
        size_t c = 0;

        if (cand[k] == r->delim)
            continue;
        for (i = 0; r->head_raw[i] != '\0'; i++)
            c += r->head_raw[i] == cand[k];
        if (c > cnt) {
            cnt = c;
            other = delim_name(cand[k]);
        }
    }
    if (other != NULL)
        snprintf(dst, cap, "; header split on %s into %d column%s '%s'; "
                 "fix: --delimiter %s (the header has %zu of them), or "
                 "--map %s=NAME", delim_name(r->delim), r->n_head,
                 r->n_head == 1 ? "" : "s", shown, other, cnt, canon);
    else if (strcmp(canon, "event") == 0)
        snprintf(dst, cap, "; header split on %s into %d column%s '%s'; "
                 "fix: --const event=rate for a file of ratings (with "
                 "--value-event like:4), or --map event=NAME",
                 delim_name(r->delim), r->n_head, r->n_head == 1 ? "" : "s",
                 shown);
    else
        snprintf(dst, cap, "; header split on %s into %d column%s '%s'; "
                 "fix: --map %s=NAME with NAME one of the header's columns",
                 delim_name(r->delim), r->n_head, r->n_head == 1 ? "" : "s",
                 shown, canon);
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
            if (lr_convert(r, c, r->cval[k], &tmp) != R_NONE)
                return diag_set(d, RC_USAGE, "--const %s: bad value '%s'",
                                c->name, cv);
            continue;
        }
        if (mapped != NULL) {
            r->bind[k] = find_head(r, mapped);
            if (r->bind[k] < 0) {
                char hint[512];

                header_hint(r, c->name, hint, sizeof hint);
                return diag_set(d, RC_DATA,
                                "%s:%llu: missing column '%s' (mapped to "
                                "%s)%s", r->path,
                                (unsigned long long)head_line, mapped,
                                c->name, hint);
            }
            continue;
        }
        r->bind[k] = find_head(r, c->name);
        for (i = 0; r->bind[k] < 0 && i < 4 && c->alias[i] != NULL; i++)
            r->bind[k] = find_head(r, c->alias[i]);
        if (r->bind[k] < 0 && c->required) {
            char tried[256], hint[512];
            size_t o2 = 0;

            o2 += (size_t)snprintf(tried + o2, sizeof tried - o2, "%s",
                                   c->name);
            for (i = 0; i < 4 && c->alias[i] != NULL; i++)
                o2 += (size_t)snprintf(tried + o2, sizeof tried - o2,
                                       ", %s", c->alias[i]);
            header_hint(r, c->name, hint, sizeof hint);
            return diag_set(d, RC_DATA,
                            "%s:%llu: missing column '%s' (tried %s)%s",
                            r->path, (unsigned long long)head_line, c->name,
                            tried, hint);
        }
    }
    r->n_cols = k;
    r->plan.time_k = -1;
    for (k = 0; k < r->n_cols; k++) {
        struct lr_plan *pl = &r->plan;

        int type = r->cols[k].type, j = r->bind[k];

        if (j >= 0 && type == CT_TIME) {
            pl->time_k = k;
        } else if (j >= 0 && (type == CT_ID || type == CT_OPTID)) {
            pl->id_k[pl->n_id] = k;
            pl->id_col[pl->n_id++] = j;
        } else if (j >= 0 && type == CT_FLAG) {
            pl->flag_k[pl->n_flag] = k;
            pl->flag_bit[pl->n_flag] = r->cols[k].bit;
            pl->flag_col[pl->n_flag++] = j;
        } else if (j >= 0 && type == CT_MS) {
            pl->ms_k[pl->n_ms] = k;
            pl->ms_col[pl->n_ms++] = j;
        } else if (j != -1)
            pl->other_k[pl->n_other++] = k;
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

/*
 * The delimiter of a header line p[0..n): the one of ',', tab, ';', '|'
 * that occurs most often outside quotes (ties in that order), ',' when
 * none does (a one-column file).
 */
static char
detect_delim(const char *p, size_t n)
{
    static const char cand[] = { ',', '\t', ';', '|' };
    size_t cnt[sizeof cand] = { 0 }, i, k, best = 0;
    int quoted = 0;

    for (i = 0; i < n; i++) {
        if (p[i] == '"')
            quoted = !quoted;
        else if (!quoted)
            for (k = 0; k < sizeof cand; k++)
                cnt[k] += p[i] == cand[k];
    }
    for (k = 1; k < sizeof cand; k++)
        if (cnt[k] > cnt[best])
            best = k;
    return cand[best];
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
        const char *nl = memchr(r->buf + pos, '\n', r->len - pos);
        size_t b;

        /* the delimiter from the header's first line (a quoted name
         * holding a newline is not worth guessing through) */
        if (o->delimiter != 0)
            r->delim = o->delimiter;
        else
            r->delim = detect_delim(r->buf + pos,
                                    nl != NULL ? (size_t)(nl - r->buf) - pos
                                               : r->len - pos);
        for (b = 0; b < 2; b++)
            for (k = 0; k < LR_NCHUNK; k++)
                r->blk[b].ch[k].delim = r->delim;
        i = (size_t)(lr_record_end(r->buf + pos, r->buf + r->len, r->delim,
                                   &inner) - r->buf);
        quoted = memchr(r->buf + pos, '"', i - pos) != NULL;
    }
    if (i == r->len && !r->eof)
        return diag_set(d, RC_DATA, "%s:%llu: header row longer than %zu bytes",
                        r->path, (unsigned long long)line, r->len);
    n = i - pos;
    if (n > 0 && r->buf[pos + n - 1] == '\r')
        n--;
    if (lr_split_record(c, r->buf + pos, n, quoted) < 0)
        return diag_set(d, RC_DATA, "%s:%llu: malformed quoting in header",
                        r->path, (unsigned long long)line);
    if (c->nf > LR_MAX_COLS)
        return diag_set(d, RC_DATA, "%s:%llu: more than %d header columns",
                        r->path, (unsigned long long)line, LR_MAX_COLS);
    r->head_raw = xstrndup(r->buf + pos, n);
    r->n_head = (int)c->nf;
    r->head = xcalloc(c->nf, sizeof *r->head);
    for (k = 0; k < c->nf; k++)
        r->head[k] = trim_dup(c->f[k].p, c->f[k].n);
    lr_arena_reset(&c->arena);
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
    r->buf = xmalloc_big(r->cap + LR_PAD);
    r->blk[0].buf = xmalloc_big(r->cap + LR_PAD);
    r->blk[1].buf = xmalloc_big(r->cap + LR_PAD);
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

const char *
logread_header(const struct logread *r)
{
    return r->head_raw;
}

char
logread_delimiter(const struct logread *r)
{
    return r->delim;
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
        lr_arena_free(&c->arena);
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
    free(r->head_raw);
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
