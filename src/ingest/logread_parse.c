/*
 * logread_parse.c -- the chunk parsers of logread (see logread.c for the
 * data flow): splitting records into fields (a word at a time, or libcsv
 * for quoted ones), converting fields into typed rows, reject reasons.
 * Everything here works on one chunk and reads the reader only, so chunks
 * are parsed on any thread.
 */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dates.h"
#include "iddict.h"
#include "logread_int.h"
#include "segment.h"
#include "xmem.h"

/* ---- small helpers ---- */

void
lr_arena_reset(struct arena *a)
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
            /* LR_PAD more: field values are read a word at a time */
            a->blk[a->n_blk++] = xmalloc(sz + LR_PAD);
            a->size = sz;
            a->used = 0;
        }
    }
    a->used += n;
    return a->blk[a->n_blk - 1] + a->used - n;
}

void
lr_arena_free(struct arena *a)
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
void
lr_show(char *dst, size_t cap, const char *p, size_t n)
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
int
lr_convert(const struct logread *r, const struct canon *c, struct field f,
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
    csv_set_delim(&c->csv, (unsigned char)c->delim);
    c->csv_ready = 1;
}

/*
 * The fields of an unquoted record p[0..n): the delimiters (c->delim, ','
 * unless the header said otherwise) are found a word at a time (a mask of
 * the bytes equal to it, exact, without the borrow
 * false positives of the shorter zero-byte test), since fields are a few
 * bytes and a byte loop mispredicts at nearly every one.  Reads up to 7
 * bytes past the record, which the buffer's LR_PAD bytes allow.
 */
static void
split_plain(struct chunk *c, const char *p, size_t n)
{
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
    const uint64_t commas = 0x0101010101010101ull * (unsigned char)c->delim;
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
        if (p[i] == c->delim) {
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

#ifdef __SSE2__
/* Masks (bit k for byte k) of the delimiters (all 16 bytes of dv) and
 * newlines in p[0..16). */
static inline void
scan16(const char *p, __m128i dv, uint32_t *mc, uint32_t *mn)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);

    *mc = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dv));
    *mn = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
                                                     _mm_set1_epi8('\n')));
}
#define SCAN_WIDTH 16
#else
/* A byte_eq_mask result as one bit per byte (bit k for byte k). */
static inline uint64_t
compress_mask(uint64_t m)
{
    return ((m >> 7) * 0x0102040810204080ull) >> 56;
}

/* The same, 8 bytes at a time, with word arithmetic. */
static inline void
scan8(const char *p, uint64_t dw, uint64_t *mc, uint64_t *mn)
{
    uint64_t w;

    memcpy(&w, p, 8);
    *mc = byte_eq_mask(w, dw);
    *mn = byte_eq_mask(w, 0x0a0a0a0a0a0a0a0aull);
}
#define SCAN_WIDTH 8
#endif

/*
 * For a chunk without quotes: find the end of the line at p (its '\n', or
 * end) and its fields in one pass, 16 bytes at a time (SSE2; 8 with word
 * arithmetic elsewhere), instead of a memchr for the line and a second
 * scan for the commas.  A '\r' before the '\n' is left out of the last
 * field; *n gets the record's length without it.  Reads up to 15 bytes
 * past end, which LR_PAD allows.
 */
static const char *
split_line(struct chunk *c, const char *p, const char *end, size_t *n)
{
    size_t len = (size_t)(end - p), start = 0, i, stop = len, nf = 0;
    struct field *f = c->f;
#ifdef __SSE2__
    const __m128i dv = _mm_set1_epi8(c->delim);
#else
    const uint64_t dw = 0x0101010101010101ull * (unsigned char)c->delim;
#endif

    for (i = 0; i < len; i += SCAN_WIDTH) {
#ifdef __SSE2__
        uint32_t mc, mn, m;

        scan16(p + i, dv, &mc, &mn);
#else
        uint64_t mc, mn, m;

        scan8(p + i, dw, &mc, &mn);
        mc = compress_mask(mc);
        mn = compress_mask(mn);
#endif
        if (len - i < SCAN_WIDTH) {
            mc &= ((uint32_t)1 << (len - i)) - 1;
            mn &= ((uint32_t)1 << (len - i)) - 1;
        }
        if (mn != 0)
            mc &= (mn & (0 - mn)) - 1;  /* delimiters before the newline */
        /* room for this step's fields and the last one, checked once a
         * step; nf and f stay in registers while the fields are stored */
        if (nf + SCAN_WIDTH + 1 > c->cap_f) {
            c->f = xgrow(c->f, &c->cap_f, nf + SCAN_WIDTH + 1, sizeof *f);
            f = c->f;
        }
        for (m = mc; m != 0; m &= m - 1) {
            size_t pos = i + (size_t)__builtin_ctz((unsigned)m);

            f[nf].p = p + start;
            f[nf].n = pos - start;
            nf++;
            start = pos + 1;
        }
        if (mn != 0) {
            stop = i + (size_t)__builtin_ctz((unsigned)mn);
            break;
        }
    }
    *n = stop > 0 && p[stop - 1] == '\r' ? stop - 1 : stop;
    if (nf + 1 > c->cap_f) {
        c->f = xgrow(c->f, &c->cap_f, nf + 1, sizeof *f);
        f = c->f;
    }
    f[nf].p = p + start;
    f[nf].n = start <= *n ? *n - start : 0;
    c->nf = nf + 1;
    return p + stop;
}
#endif

/*
 * Split record p[0..n) (no line end) into c->f.  Returns 0, or -1 for
 * malformed quoting.
 */
int
lr_split_record(struct chunk *c, const char *p, size_t n, int quoted)
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

#define LR_ROWS_FIRST (((size_t)2 << 20) / sizeof(struct prow))

static struct prow *
new_prow(struct chunk *c)
{
    struct prow *pr;

    /* from 2 MiB at once: a chunk holds thousands of rows, and growing
     * through small sizes faults the array in 4 KiB pages */
    if (c->n_rows == c->cap_rows)
        c->rows = xgrow_big(c->rows, &c->cap_rows,
                            c->cap_rows > 0 ? c->n_rows + 1
                                            : LR_ROWS_FIRST,
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
 * Digits, 8 bytes at a time (two words for 9 to 16).  *v gets the value of
 * p[0..n), 1 <= n <= 16, when every byte is a digit; returns 0 otherwise.
 * Reads 8 bytes from p (16 when n > 8): only for the fields of a record
 * (in a block buffer or the chunk's arena, whose LR_PAD bytes allow it).
 */
static inline int
digits8(const char *p, size_t n, uint64_t *v)
{
    uint64_t w;

    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n < 8) {
        /* the n bytes to the top, '0's below them (leading zeros) */
        unsigned s = 8 * (8 - (unsigned)n);

        w = (w << s) | (0x3030303030303030ull >> (64 - s));
    }
    /* every byte 0x30..0x39: high nibble 3, and no carry out of +6 */
    if (((w & 0xf0f0f0f0f0f0f0f0ull)
         | (((w + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull) >> 4))
        != 0x3333333333333333ull)
        return 0;
    /* pairs, then fours, then the eight (the first byte is the most
     * significant digit) */
    w -= 0x3030303030303030ull;
    w = w * 10 + (w >> 8);
    w = (((w & 0x000000ff000000ffull) * (100 + (1000000ull << 32)))
         + (((w >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32))))
        >> 32;
    *v = w;
    return 1;
#else
    (void)w;
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)(p[i] - '0') > 9)
            return 0;
        *v = *v * 10 + (uint64_t)(p[i] - '0');
    }
    return 1;
#endif
}

/* 1 when p[0..n) is plain ASCII without a NUL (an id that needs no
 * further check), a word at a time; the same reading rule as digits8. */
static inline int
ascii_id(const char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t w, acc = 0, zero = 0;
    size_t i;

    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        acc |= w;
        zero |= (w - ones) & ~w & highs;
    }
    if (i < n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t keep = ((uint64_t)1 << (8 * (n - i))) - 1;

        memcpy(&w, p + i, 8);
        w = (w & keep) | (ones & ~keep);    /* bytes past the end: 0x01 */
        acc |= w;
        zero |= (w - ones) & ~w & highs;
#else
        for (; i < n; i++) {
            acc |= (unsigned char)p[i];
            zero |= p[i] == 0;
        }
#endif
    }
    return (acc & highs) == 0 && zero == 0;
}

static inline int
digits16(const char *p, size_t n, uint64_t *v)
{
    uint64_t hi, lo;

    if (n <= 8)
        return n > 0 && digits8(p, n, v);
    if (n > 16 || !digits8(p, n - 8, &hi) || !digits8(p + n - 8, 8, &lo))
        return 0;
    *v = hi * 100000000ull + lo;
    return 1;
}

/*
 * The usual case in one pass, without a reason to find: the flags and
 * millisecond counts in their usual forms (0/1/empty, plain digits) are
 * converted inline, everything else by lr_convert (r->plan).  Returns 0
 * when anything is wrong or unusual, leaving the row to the full path,
 * which finds the reason to report in its own (canonical) order.  Every
 * column writes its own part of the row (flags OR their bits), so the
 * order of conversion does not change a good row.  rec_n, the record's
 * length in the file, bounds every field's (unquoting only shortens).
 */
static int
convert_fast(const struct logread *r, const struct chunk *c, size_t rec_n,
             struct logread_row *row)
{
    const struct lr_plan *pl = &r->plan;
    size_t j;
    int q;

    if (c->nf != (size_t)r->n_head)
        return 0;
    if (rec_n > r->max_field)   /* else no field can be too long */
        for (j = 0; j < c->nf; j++)
            if (c->f[j].n > r->max_field)
                return 0;
    if (pl->time_k >= 0) {
        struct field f = c->f[r->bind[pl->time_k]];
        uint64_t v;

        if (digits16(f.p, f.n, &v))     /* epoch seconds or ms */
            row->t = v >= 100000000000ull ? (int64_t)(v / 1000)
                                          : (int64_t)v;
        else if (lr_convert(r, &r->cols[pl->time_k], f, row) != R_NONE)
            return 0;
    }
    for (q = 0; q < pl->n_id; q++) {
        const struct canon *col = &r->cols[pl->id_k[q]];
        struct field f = c->f[pl->id_col[q]];

        if ((f.n > 0 || col->type == CT_OPTID) && f.n <= IDDICT_MAX_ID_LEN
            && ascii_id(f.p, f.n)) {
            struct logread_str *s = col->slot == S_USER ? &row->user
                                  : col->slot == S_ITEM ? &row->item
                                                        : &row->creator;
            s->p = f.p;
            s->n = f.n;
        } else if (lr_convert(r, col, f, row) != R_NONE) {
            return 0;
        }
    }
    for (q = 0; q < pl->n_flag; q++) {
        struct field f = c->f[pl->flag_col[q]];
        unsigned d = f.n == 1 ? (unsigned char)f.p[0] - (unsigned)'0' : 2;

        if (d <= 1)
            row->fb |= pl->flag_bit[q] & (0u - d);
        else if (f.n != 0
                 && lr_convert(r, &r->cols[pl->flag_k[q]], f, row) != R_NONE)
            return 0;
    }
    for (q = 0; q < pl->n_ms; q++) {
        const struct canon *col = &r->cols[pl->ms_k[q]];
        struct field f = c->f[pl->ms_col[q]];
        uint64_t x = 0;

        if (f.n == 0 || (f.n <= 9 && digits16(f.p, f.n, &x)))
            *(col->slot == S_PLAY ? &row->play_ms : &row->dur_ms)
                = (uint32_t)x;
        else if (lr_convert(r, col, f, row) != R_NONE)
            return 0;
    }
    for (q = 0; q < pl->n_other; q++) {
        int k = pl->other_k[q];
        struct field f = r->bind[k] == -2 ? r->cval[k] : c->f[r->bind[k]];

        if (lr_convert(r, &r->cols[k], f, row) != R_NONE)
            return 0;
    }
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
    if (!presplit && lr_split_record(c, p, n, quoted) < 0) {
        pr->reason = R_QUOTE;
        pr->val.p = p;
        pr->val.n = n;
        return pr->reason;
    }
    if (r->table == LOGREAD_ITEMS)
        row->t = INT64_MIN;
    if (convert_fast(r, c, n, row))
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
        if ((why = lr_convert(r, &r->cols[k], f, row)) != R_NONE) {
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
const char *
lr_record_end(const char *p, const char *end, char delim, uint64_t *lines)
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
        st = ch == delim ? START : BARE;
    }
    *lines = nl;
    return p;
}

/* The caller's prepare hook over the chunk's good rows, in file order. */
void
lr_prepare_chunk(const struct logread *r, struct chunk *c)
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
void
lr_parse_chunk(const struct logread *r, struct chunk *c, int quotes)
{
    const char *q = c->p, *end = c->p + c->n;
    uint64_t line = 0;

    c->n_rows = c->n_good = 0;
    lr_arena_reset(&c->arena);
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
            le = lr_record_end(q, end, c->delim, &inner);
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
