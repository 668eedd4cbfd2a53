/*
 * segment.c -- one day of events on disk, and a window of days in memory
 * (segment.h).
 *
 * dualrec-ingest builds a struct segment per day and calls segment_save;
 * every later stage reads days back through window_open.  A segment file is
 * a binfile (magic "\x89DRSEGMT", version SEGMENT_VERSION) whose payload is
 * columnar: each field of each record kind is one contiguous fixed-width
 * column, so that zstd sees long runs of similar bytes.  Columns that are
 * sorted (user, and the time within a user) are stored as differences from
 * the previous row, which turns them into mostly tiny numbers: a user
 * column becomes runs of 0 with an occasional 1, and times become the gaps
 * between a user's impressions.  Multi-byte columns are stored as byte
 * planes (all low bytes, then all second bytes, ...), so the high bytes of
 * small numbers form long zero runs and zstd no longer has to model an
 * interleaved 4- or 8-byte pattern: about 12% smaller files on generated
 * days (8.0 -> 7.1 bytes per exposure).
 *
 * Payload (N = n_exp, I = n_inter, M = n_items, T = n_tags, F = n_follows,
 * U = n_users; every column starts right after the previous one):
 *
 *   OFFSET   SIZE   TYPE      FIELD
 *        0      4   i32       day (days since 1970-01-01)
 *        4      4   i32       zone_offset (seconds east of UTC)
 *        8      8   u64       N, exposures
 *       16      8   u64       I, interactions
 *       24      8   u64       M, item rows
 *       32      8   u64       T, tags of the item rows
 *       40      8   u64       F, follows
 *       48      8   u64       U, users
 *       56     4N   u32[N]    exposure user, delta from the previous row
 *       ..     8N   u64[N]    exposure t, zigzag(t - previous t)
 *       ..     4N   u32[N]    exposure item
 *       ..     4N   u32[N]    exposure play_ms
 *       ..     4N   u32[N]    exposure dur_ms
 *       ..      N   u8[N]     exposure fb (enum seg_fb bits)
 *       ..     4I   u32[I]    interaction user, delta
 *       ..     8I   u64[I]    interaction t, zigzag delta
 *       ..     4I   u32[I]    interaction item
 *       ..      I   u8[I]     interaction fb (0 or one enum seg_fb bit)
 *       ..     4I   f32[I]    interaction value
 *       ..     4M   u32[M]    item row item, delta
 *       ..     4M   u32[M]    item row creator (SEG_NONE when unknown)
 *       ..     8M   i64[M]    item row upload_t (INT64_MIN when unknown)
 *       ..     4M   u32[M]    item row dur_ms
 *       ..     4M   u32[M]    item row tag_off (into the tags column)
 *       ..     4M   u32[M]    item row n_tags
 *       ..     4T   u32[T]    tags
 *       ..     4F   u32[F]    follow user, delta
 *       ..     4F   u32[F]    follow creator
 *       ..     8F   u64[F]    follow t, zigzag delta
 *       ..     4U   u32[U]    users, delta
 *
 * Integers little-endian; floats IEEE-754 binary32 LE.  The 56 header
 * bytes are plain; every multi-byte column is stored as byte planes: in a
 * column of n w-byte values, byte b (0 = least significant) of value i is
 * at column offset b * n + i (floats as their bit patterns); u8 columns
 * are plain.  "Delta" columns hold the difference from the previous row
 * (the first row from 0); the zigzag delta of t is taken modulo 2^64, then
 * zigzag-mapped ((d << 1) ^ -(d >> 63)) so small negative steps stay
 * small.  The payload length must equal
 * 56 + 25N + 21I + 28M + 4T + 16F + 4U exactly.
 *
 * Invariants checked on load (each failure is RC_DATA with the path and
 * the file offset, 48 + payload offset, of the bad value's low byte): the
 * sort orders of segment.h, indices below SEG_NONE, feedback bits within
 * enum seg_fb, and every tag range inside the tags column.  window_open also checks every index
 * against the dictionaries.  Writes are deterministic: the same segment
 * gives the same bytes.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binfile.h"
#include "byteio.h"
#include "dates.h"
#include "layout.h"
#include "segment.h"
#include "xmem.h"

static const char SEGMENT_MAGIC[BINFILE_MAGIC_SIZE] = {
    '\x89', 'D', 'R', 'S', 'E', 'G', 'M', 'T'
};

#define HDR_SIZE   56
#define SEGMENT_ZSTD_LEVEL 1
#define EXP_BYTES  25
#define INTER_BYTES 21
#define ITEM_BYTES 28
#define FOLLOW_BYTES 16
#define FB_ALL     ((1u << FB_N_KINDS) - 1)

void
segment_free(struct segment *seg)
{
    if (seg == NULL)
        return;
    free(seg->exp);
    free(seg->inter);
    free(seg->items);
    free(seg->tags);
    free(seg->follows);
    free(seg->users);
    free(seg);
}

char *
segment_path(const char *segroot, int32_t day)
{
    return layout_day(segroot, day, LAYOUT_SEGMENT);
}

char *
segment_dict_path(const char *segroot, const char *kind)
{
    size_t n = strlen(segroot) + strlen(kind) + 16;
    char *p = xmalloc(n);

    snprintf(p, n, "%s/" LAYOUT_DICT_DIR "/%s.dict", segroot, kind);
    return p;
}

static inline uint64_t
zigzag(uint64_t d)
{
    return (d << 1) ^ (0 - (d >> 63));
}

static inline uint64_t
unzigzag(uint64_t z)
{
    return (z >> 1) ^ (0 - (z & 1));
}

/*
 * Byte planes: value i of an n-row column of w-byte integers has its byte
 * b (0 = least significant) at col[b * n + i].
 */
static inline void
put_pl32(unsigned char *col, size_t n, size_t i, uint32_t v)
{
    col[i] = (unsigned char)v;
    col[n + i] = (unsigned char)(v >> 8);
    col[2 * n + i] = (unsigned char)(v >> 16);
    col[3 * n + i] = (unsigned char)(v >> 24);
}

static inline void
put_pl64(unsigned char *col, size_t n, size_t i, uint64_t v)
{
    put_pl32(col, n, i, (uint32_t)v);
    put_pl32(col + 4 * n, n, i, (uint32_t)(v >> 32));
}

static inline uint32_t
get_pl32(const unsigned char *col, size_t n, size_t i)
{
    return (uint32_t)col[i] | (uint32_t)col[n + i] << 8
         | (uint32_t)col[2 * n + i] << 16 | (uint32_t)col[3 * n + i] << 24;
}

static inline uint64_t
get_pl64(const unsigned char *col, size_t n, size_t i)
{
    return (uint64_t)get_pl32(col, n, i)
         | (uint64_t)get_pl32(col + 4 * n, n, i) << 32;
}

static uint32_t
float_bits(float f)
{
    uint32_t u;

    memcpy(&u, &f, 4);
    return u;
}

/* Three-way comparisons of the sort keys of segment.h. */
static int
cmp3(uint32_t a1, int64_t a2, uint32_t a3, uint32_t b1, int64_t b2,
     uint32_t b3)
{
    if (a1 != b1)
        return a1 < b1 ? -1 : 1;
    if (a2 != b2)
        return a2 < b2 ? -1 : 1;
    if (a3 != b3)
        return a3 < b3 ? -1 : 1;
    return 0;
}

/*
 * Save: ---------------------------------------------------------------
 */

static int
sorted_ok(const struct segment *seg)
{
    for (size_t i = 1; i < seg->n_exp; i++) {
        const struct seg_exposure *a = &seg->exp[i - 1], *b = &seg->exp[i];

        if (cmp3(a->user, a->t, a->item, b->user, b->t, b->item) > 0)
            return 0;
    }
    for (size_t i = 1; i < seg->n_inter; i++) {
        const struct seg_inter *a = &seg->inter[i - 1], *b = &seg->inter[i];

        if (cmp3(a->user, a->t, a->item, b->user, b->t, b->item) > 0)
            return 0;
    }
    for (size_t i = 1; i < seg->n_items; i++)
        if (seg->items[i - 1].item > seg->items[i].item)
            return 0;
    for (size_t i = 1; i < seg->n_follows; i++) {
        const struct seg_follow *a = &seg->follows[i - 1];
        const struct seg_follow *b = &seg->follows[i];

        if (cmp3(a->user, (int64_t)a->creator, 0, b->user,
                 (int64_t)b->creator, 0) > 0
            || (a->user == b->user && a->creator == b->creator
                && a->t > b->t))
            return 0;
    }
    for (size_t i = 1; i < seg->n_users; i++)
        if (seg->users[i - 1] > seg->users[i])
            return 0;
    for (size_t i = 0; i < seg->n_items; i++)
        if ((uint64_t)seg->items[i].tag_off + seg->items[i].n_tags
            > seg->n_tags)
            return 0;
    for (size_t i = 0; i < seg->n_exp; i++)
        if (seg->exp[i].fb & ~FB_ALL)
            return 0;
    for (size_t i = 0; i < seg->n_inter; i++) {
        uint32_t fb = seg->inter[i].fb;

        if ((fb & ~FB_ALL) || (fb & (fb - 1)))
            return 0;
    }
    return 1;
}

/*
 * The encoder is table-driven: each record kind is a list of columns, and
 * each column names the record field it comes from, its width on disk and
 * its transform.  The payload of a kind is encoded in blocks of
 * ENC_BLOCK rows, all columns of a block together, so the record array is
 * read from memory once (a block's records stay in cache while its
 * columns are written) rather than once per byte plane.  A block writes
 * only its own rows' bytes of every plane and takes a delta column's
 * previous value from the row before it, so blocks are independent and
 * run in parallel; every byte has one fixed position, so the output does
 * not depend on the thread count.
 */
#define ENC_BLOCK 8192

enum col_code {
    COL_PLAIN,          /* the field's low `width` bytes */
    COL_DELTA,          /* field - previous row's field (first row: - 0) */
    COL_ZIGZAG          /* zigzag(field - previous row's field) */
};

struct col_spec {
    size_t off;                 /* of the field in the record */
    unsigned char src_size;     /* 4 (u32, f32 bits) or 8 (i64) */
    unsigned char width;        /* bytes per value on disk: 1, 4 or 8 */
    unsigned char code;         /* enum col_code */
};

/* One record kind: rows of `stride` bytes, encoded into out[] (which
 * holds the kind's columns, in order, each width * n bytes). */
struct rec_spec {
    const void *rows;
    size_t n, stride;
    const struct col_spec *cols;
    int n_cols;
    unsigned char *out;
};

#define COL(type, field, size, width, code) \
    { offsetof(struct type, field), size, width, code }

static const struct col_spec exp_cols[] = {
    COL(seg_exposure, user,    4, 4, COL_DELTA),
    COL(seg_exposure, t,       8, 8, COL_ZIGZAG),
    COL(seg_exposure, item,    4, 4, COL_PLAIN),
    COL(seg_exposure, play_ms, 4, 4, COL_PLAIN),
    COL(seg_exposure, dur_ms,  4, 4, COL_PLAIN),
    COL(seg_exposure, fb,      4, 1, COL_PLAIN),
};
static const struct col_spec inter_cols[] = {
    COL(seg_inter, user,  4, 4, COL_DELTA),
    COL(seg_inter, t,     8, 8, COL_ZIGZAG),
    COL(seg_inter, item,  4, 4, COL_PLAIN),
    COL(seg_inter, fb,    4, 1, COL_PLAIN),
    COL(seg_inter, value, 4, 4, COL_PLAIN),     /* f32 bit pattern */
};
static const struct col_spec item_cols[] = {
    COL(seg_item, item,     4, 4, COL_DELTA),
    COL(seg_item, creator,  4, 4, COL_PLAIN),
    COL(seg_item, upload_t, 8, 8, COL_PLAIN),
    COL(seg_item, dur_ms,   4, 4, COL_PLAIN),
    COL(seg_item, tag_off,  4, 4, COL_PLAIN),
    COL(seg_item, n_tags,   4, 4, COL_PLAIN),
};
static const struct col_spec follow_cols[] = {
    COL(seg_follow, user,    4, 4, COL_DELTA),
    COL(seg_follow, creator, 4, 4, COL_PLAIN),
    COL(seg_follow, t,       8, 8, COL_ZIGZAG),
};
static const struct col_spec tag_cols[] = { { 0, 4, 4, COL_PLAIN } };
static const struct col_spec user_cols[] = { { 0, 4, 4, COL_DELTA } };

#define N_COLS(a) ((int)(sizeof(a) / sizeof(a)[0]))

static inline uint64_t
field_at(const unsigned char *p, unsigned src_size)
{
    uint32_t v32;
    uint64_t v64;

    if (src_size == 8) {
        memcpy(&v64, p, 8);
        return v64;
    }
    memcpy(&v32, p, 4);
    return v32;
}

/*
 * Write the values of rows [i0, i1) of one column: v is stored as
 * col[b * n + i] = byte b of v, for b < width.
 */
static void
encode_column(const struct col_spec *c, const unsigned char *rows,
              size_t stride, size_t n, size_t i0, size_t i1,
              unsigned char *col)
{
    const unsigned char *p = rows + i0 * stride + c->off;
    uint64_t prev = 0;

    if (c->code != COL_PLAIN && i0 > 0)
        prev = field_at(p - stride, c->src_size);
    for (size_t i = i0; i < i1; i++, p += stride) {
        uint64_t v = field_at(p, c->src_size), x = v;

        if (c->code != COL_PLAIN) {
            x = v - prev;
            prev = v;
            if (c->code == COL_ZIGZAG)
                x = zigzag(x);
        }
        switch (c->width) {
        case 8:
            put_pl64(col, n, i, x);
            break;
        case 4:
            put_pl32(col, n, i, (uint32_t)x);
            break;
        default:
            col[i] = (unsigned char)x;
            break;
        }
    }
}

static void
encode_block(const struct rec_spec *r, size_t i0, size_t i1)
{
    unsigned char *col = r->out;

    for (int k = 0; k < r->n_cols; k++) {
        encode_column(&r->cols[k], r->rows, r->stride, r->n, i0, i1, col);
        col += (size_t)r->cols[k].width * r->n;
    }
}

static size_t
rec_bytes(const struct rec_spec *r)
{
    size_t w = 0;

    for (int k = 0; k < r->n_cols; k++)
        w += r->cols[k].width;
    return w * r->n;
}

int
segment_save(const struct segment *seg, const char *path, struct diag *d)
{
    struct rec_spec rec[] = {
        { seg->exp, seg->n_exp, sizeof *seg->exp, exp_cols,
          N_COLS(exp_cols), NULL },
        { seg->inter, seg->n_inter, sizeof *seg->inter, inter_cols,
          N_COLS(inter_cols), NULL },
        { seg->items, seg->n_items, sizeof *seg->items, item_cols,
          N_COLS(item_cols), NULL },
        { seg->tags, seg->n_tags, sizeof *seg->tags, tag_cols,
          N_COLS(tag_cols), NULL },
        { seg->follows, seg->n_follows, sizeof *seg->follows, follow_cols,
          N_COLS(follow_cols), NULL },
        { seg->users, seg->n_users, sizeof *seg->users, user_cols,
          N_COLS(user_cols), NULL },
    };
    enum { N_KINDS = sizeof rec / sizeof rec[0] };
    size_t first_block[N_KINDS + 1];
    size_t n = HDR_SIZE + EXP_BYTES * seg->n_exp
             + INTER_BYTES * seg->n_inter + ITEM_BYTES * seg->n_items
             + 4 * seg->n_tags + FOLLOW_BYTES * seg->n_follows
             + 4 * seg->n_users;
    unsigned char *buf, *p;
    long b;
    int rc;

    assert(sorted_ok(seg));
    buf = xmalloc_big(n);
    put_le32(buf, (uint32_t)seg->day);
    put_le32(buf + 4, (uint32_t)seg->zone_offset);
    put_le64(buf + 8, seg->n_exp);
    put_le64(buf + 16, seg->n_inter);
    put_le64(buf + 24, seg->n_items);
    put_le64(buf + 32, seg->n_tags);
    put_le64(buf + 40, seg->n_follows);
    put_le64(buf + 48, seg->n_users);
    p = buf + HDR_SIZE;
    first_block[0] = 0;
    for (int k = 0; k < N_KINDS; k++) {
        rec[k].out = p;
        p += rec_bytes(&rec[k]);
        first_block[k + 1] = first_block[k]
                           + (rec[k].n + ENC_BLOCK - 1) / ENC_BLOCK;
    }
    assert((size_t)(p - buf) == n);

    /* One loop over the blocks of all kinds; block b belongs to the kind k
     * with first_block[k] <= b < first_block[k + 1]. */
#pragma omp parallel for schedule(dynamic, 1)
    for (b = 0; b < (long)first_block[N_KINDS]; b++) {
        int k = 0;
        size_t i0, i1;

        while ((size_t)b >= first_block[k + 1])
            k++;
        i0 = ((size_t)b - first_block[k]) * ENC_BLOCK;
        i1 = i0 + ENC_BLOCK < rec[k].n ? i0 + ENC_BLOCK : rec[k].n;
        encode_block(&rec[k], i0, i1);
    }
    /* level 1: the byte planes are mostly runs, which level 3 packs no
     * smaller (on a generated day 0.1% larger at level 1) at 1.5x the CPU;
     * reading is as fast either way */
    rc = binfile_save(path, SEGMENT_MAGIC, SEGMENT_VERSION, buf, n,
                      SEGMENT_ZSTD_LEVEL, d);
    free(buf);
    return rc;
}

/*
 * Sort: ---------------------------------------------------------------
 */

static int
cmp_exp_full(const void *pa, const void *pb)
{
    return seg_exposure_cmp(pa, pb);
}

static int
cmp_inter_full(const void *pa, const void *pb)
{
    const struct seg_inter *a = pa, *b = pb;
    int c = cmp3(a->user, a->t, a->item, b->user, b->t, b->item);
    uint32_t va = float_bits(a->value), vb = float_bits(b->value);

    if (c != 0)
        return c;
    if (a->fb != b->fb)
        return a->fb < b->fb ? -1 : 1;
    if (va != vb)
        return va < vb ? -1 : 1;
    return 0;
}

static int
cmp_follow_full(const void *pa, const void *pb)
{
    const struct seg_follow *a = pa, *b = pb;

    if (a->user != b->user)
        return a->user < b->user ? -1 : 1;
    if (a->creator != b->creator)
        return a->creator < b->creator ? -1 : 1;
    return (a->t > b->t) - (a->t < b->t);
}

static int
cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

    return (a > b) - (a < b);
}

/* An item row with its input position, so that the last row wins. */
struct item_pos {
    uint32_t item;
    uint32_t pad;
    size_t pos;
};

static int
cmp_item_pos(const void *pa, const void *pb)
{
    const struct item_pos *a = pa, *b = pb;

    if (a->item != b->item)
        return a->item < b->item ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Sort n records of `size` bytes and drop neighbours that compare equal;
 * returns the new count. */
static size_t
sort_unique(void *base, size_t n, size_t size,
            int (*cmp)(const void *, const void *))
{
    unsigned char *p = base;
    size_t k = 0;

    if (n == 0)
        return 0;
    qsort(base, n, size, cmp);
    for (size_t i = 1; i < n; i++)
        if (cmp(p + k * size, p + i * size) != 0) {
            k++;
            if (k != i)
                memcpy(p + k * size, p + i * size, size);
        }
    return k + 1;
}

static void
sort_items(struct segment *seg, size_t *dups)
{
    size_t n = seg->n_items, m = 0, nt = 0;
    struct item_pos *ix = xmalloc((n ? n : 1) * sizeof *ix);
    struct seg_item *items;
    uint32_t *tags;

    for (size_t i = 0; i < n; i++) {
        ix[i].item = seg->items[i].item;
        ix[i].pad = 0;
        ix[i].pos = i;
    }
    qsort(ix, n, sizeof *ix, cmp_item_pos);
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || ix[i + 1].item != ix[i].item)
            nt += seg->items[ix[i].pos].n_tags;
    items = xmalloc((n ? n : 1) * sizeof *items);
    tags = xmalloc((nt ? nt : 1) * sizeof *tags);
    nt = 0;
    for (size_t i = 0; i < n; i++) {
        const struct seg_item *src;

        if (i + 1 < n && ix[i + 1].item == ix[i].item)
            continue;           /* a later row of this item follows */
        src = &seg->items[ix[i].pos];
        items[m] = *src;
        items[m].tag_off = (uint32_t)nt;
        if (src->n_tags > 0)
            memcpy(tags + nt, seg->tags + src->tag_off,
                   src->n_tags * sizeof *tags);
        nt += src->n_tags;
        m++;
    }
    assert(nt < UINT32_MAX);
    *dups = n - m;
    free(ix);
    free(seg->items);
    free(seg->tags);
    seg->items = items;
    seg->n_items = m;
    seg->tags = tags;
    seg->n_tags = nt;
}

void
segment_sort(struct segment *seg, struct segment_sort_stats *stats)
{
    struct segment_sort_stats st;
    size_t n;

    n = sort_unique(seg->exp, seg->n_exp, sizeof *seg->exp, cmp_exp_full);
    st.exp_dups = seg->n_exp - n;
    seg->n_exp = n;
    n = sort_unique(seg->inter, seg->n_inter, sizeof *seg->inter,
                    cmp_inter_full);
    st.inter_dups = seg->n_inter - n;
    seg->n_inter = n;
    n = sort_unique(seg->follows, seg->n_follows, sizeof *seg->follows,
                    cmp_follow_full);
    st.follow_dups = seg->n_follows - n;
    seg->n_follows = n;
    n = sort_unique(seg->users, seg->n_users, sizeof *seg->users, cmp_u32);
    st.user_dups = seg->n_users - n;
    seg->n_users = n;
    sort_items(seg, &st.item_dups);
    if (stats != NULL)
        *stats = st;
}

/* An exposure of one user keyed for lookup by (item, t). */
struct exp_key {
    uint32_t item;
    uint32_t row;           /* offset from the user's first exposure */
    int64_t t;
};

static int
cmp_exp_key(const void *pa, const void *pb)
{
    const struct exp_key *a = pa, *b = pb;

    if (a->item != b->item)
        return a->item < b->item ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

size_t
segment_fold_feedback(struct segment *seg)
{
    struct exp_key *keys = NULL;
    size_t cap = 0, e = 0, hits = 0, i = 0;

    while (i < seg->n_inter) {
        uint32_t u = seg->inter[i].user;
        size_t i_end = i, e0, n;

        while (i_end < seg->n_inter && seg->inter[i_end].user == u)
            i_end++;
        while (e < seg->n_exp && seg->exp[e].user < u)
            e++;
        e0 = e;
        while (e < seg->n_exp && seg->exp[e].user == u)
            e++;
        n = e - e0;
        if (n > 0) {
            keys = xgrow(keys, &cap, n, sizeof *keys);
            for (size_t k = 0; k < n; k++) {
                keys[k].item = seg->exp[e0 + k].item;
                keys[k].row = (uint32_t)k;
                keys[k].t = seg->exp[e0 + k].t;
            }
            qsort(keys, n, sizeof *keys, cmp_exp_key);
        }
        for (; i < i_end; i++) {
            const struct seg_inter *r = &seg->inter[i];
            size_t lo = 0, hi = n;

            if (r->fb == 0 || n == 0)
                continue;
            /* First key past (r->item, r->t, any row). */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (keys[mid].item < r->item
                    || (keys[mid].item == r->item && keys[mid].t <= r->t))
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo > 0 && keys[lo - 1].item == r->item) {
                seg->exp[e0 + keys[lo - 1].row].fb |= r->fb;
                hits++;
            }
        }
    }
    free(keys);
    return hits;
}

/*
 * Load: ---------------------------------------------------------------
 */

/* A column reader: base of the payload, current position, the path. */
struct col {
    const unsigned char *base;
    size_t pos;
    const char *path;
    struct diag *d;
};

static int
bad_at(struct col *c, size_t off, const char *what, uint64_t v)
{
    return diag_set(c->d, RC_DATA, "%s: offset %zu: %s '%llu'", c->path,
                    (size_t)BINFILE_HEADER_SIZE + off, what,
                    (unsigned long long)v);
}

/*
 * The decoders walk all columns of a record kind together, one row at a
 * time, so that each record is written once (a column-at-a-time decode
 * would sweep the record array once per field).
 */
static int
load_exposures(struct col *c, struct segment *seg, size_t n, int skip)
{
    const unsigned char *pu = c->base + c->pos, *pt = pu + 4 * n;
    const unsigned char *pi = pt + 8 * n, *pp = pi + 4 * n;
    const unsigned char *pd = pp + 4 * n, *pf = pd + 4 * n;
    size_t u_pos = c->pos, t_pos = u_pos + 4 * n;
    size_t item_pos = t_pos + 8 * n, fb_pos = item_pos + 12 * n;
    struct seg_exposure *e;
    uint64_t u = 0, t = 0;

    c->pos += EXP_BYTES * n;
    if (skip)
        return 0;
    e = seg->exp = xmalloc((n ? n : 1) * sizeof *e);
    seg->n_exp = n;
    for (size_t i = 0; i < n; i++) {
        u += get_pl32(pu, n, i);
        t += unzigzag(get_pl64(pt, n, i));
        e[i].user = (uint32_t)u;
        e[i].t = (int64_t)t;
        e[i].item = get_pl32(pi, n, i);
        e[i].play_ms = get_pl32(pp, n, i);
        e[i].dur_ms = get_pl32(pd, n, i);
        e[i].fb = pf[i];
        if (u >= SEG_NONE)
            return bad_at(c, u_pos + i,
                          "exposure user index out of range", u);
        if (e[i].item == SEG_NONE)
            return bad_at(c, item_pos + i,
                          "exposure item index out of range", e[i].item);
        if (e[i].fb & ~FB_ALL)
            return bad_at(c, fb_pos + i, "unknown exposure feedback bits",
                          e[i].fb);
        if (i > 0 && cmp3(e[i - 1].user, e[i - 1].t, e[i - 1].item,
                          e[i].user, e[i].t, e[i].item) > 0)
            return bad_at(c, e[i - 1].user == e[i].user ? t_pos + i
                          : item_pos + i,
                          "exposure out of (user, t, item) order at row", i);
    }
    return 0;
}

static int
load_inter(struct col *c, struct segment *seg, size_t n, int skip)
{
    const unsigned char *pu = c->base + c->pos, *pt = pu + 4 * n;
    const unsigned char *pi = pt + 8 * n, *pf = pi + 4 * n;
    const unsigned char *pv = pf + n;
    size_t u_pos = c->pos, t_pos = u_pos + 4 * n;
    size_t item_pos = t_pos + 8 * n, fb_pos = item_pos + 4 * n;
    struct seg_inter *e;
    uint64_t u = 0, t = 0;

    c->pos += INTER_BYTES * n;
    if (skip)
        return 0;
    e = seg->inter = xmalloc((n ? n : 1) * sizeof *e);
    seg->n_inter = n;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = get_pl32(pv, n, i);

        u += get_pl32(pu, n, i);
        t += unzigzag(get_pl64(pt, n, i));
        e[i].user = (uint32_t)u;
        e[i].t = (int64_t)t;
        e[i].item = get_pl32(pi, n, i);
        e[i].fb = pf[i];
        memcpy(&e[i].value, &v, 4);
        if (u >= SEG_NONE)
            return bad_at(c, u_pos + i,
                          "interaction user index out of range", u);
        if (e[i].item == SEG_NONE)
            return bad_at(c, item_pos + i,
                          "interaction item index out of range", e[i].item);
        if ((e[i].fb & ~FB_ALL) || (e[i].fb & (e[i].fb - 1)))
            return bad_at(c, fb_pos + i, "bad interaction feedback kind",
                          e[i].fb);
        if (i > 0 && cmp3(e[i - 1].user, e[i - 1].t, e[i - 1].item,
                          e[i].user, e[i].t, e[i].item) > 0)
            return bad_at(c, t_pos + i,
                          "interaction out of (user, t, item) order at row",
                          i);
    }
    return 0;
}

static int
load_items(struct col *c, struct segment *seg, size_t n, size_t n_tags)
{
    const unsigned char *pi = c->base + c->pos, *pc = pi + 4 * n;
    const unsigned char *pt = pc + 4 * n, *pd = pt + 8 * n;
    const unsigned char *po = pd + 4 * n, *pn = po + 4 * n;
    const unsigned char *ptags = pn + 4 * n;
    size_t i_pos = c->pos, off_pos = c->pos + 20 * n;
    struct seg_item *it = seg->items = xmalloc((n ? n : 1) * sizeof *it);
    uint64_t v = 0;

    seg->n_items = n;
    c->pos += ITEM_BYTES * n + 4 * n_tags;
    for (size_t i = 0; i < n; i++) {
        v += get_pl32(pi, n, i);
        it[i].item = (uint32_t)v;
        it[i].creator = get_pl32(pc, n, i);
        it[i].upload_t = (int64_t)get_pl64(pt, n, i);
        it[i].dur_ms = get_pl32(pd, n, i);
        it[i].tag_off = get_pl32(po, n, i);
        it[i].n_tags = get_pl32(pn, n, i);
        if (v >= SEG_NONE)
            return bad_at(c, i_pos + i, "item index out of range", v);
        if ((uint64_t)it[i].tag_off + it[i].n_tags > n_tags)
            return bad_at(c, off_pos + i,
                          "item tag range past the tags column at row", i);
    }
    seg->tags = xmalloc((n_tags ? n_tags : 1) * sizeof *seg->tags);
    seg->n_tags = n_tags;
    for (size_t i = 0; i < n_tags; i++)
        seg->tags[i] = get_pl32(ptags, n_tags, i);
    return 0;
}

static int
load_follows(struct col *c, struct segment *seg, size_t n)
{
    const unsigned char *pu = c->base + c->pos, *pc = pu + 4 * n;
    const unsigned char *pt = pc + 4 * n;
    size_t u_pos = c->pos, t_pos = c->pos + 8 * n;
    struct seg_follow *f = seg->follows = xmalloc((n ? n : 1) * sizeof *f);
    uint64_t u = 0, t = 0;

    seg->n_follows = n;
    c->pos += FOLLOW_BYTES * n;
    for (size_t i = 0; i < n; i++) {
        u += get_pl32(pu, n, i);
        t += unzigzag(get_pl64(pt, n, i));
        f[i].user = (uint32_t)u;
        f[i].creator = get_pl32(pc, n, i);
        f[i].t = (int64_t)t;
        if (u >= SEG_NONE)
            return bad_at(c, u_pos + i, "follow user index out of range",
                          u);
        if (i > 0 && (cmp3(f[i - 1].user, (int64_t)f[i - 1].creator, 0,
                           f[i].user, (int64_t)f[i].creator, 0) > 0
                      || (f[i - 1].user == f[i].user
                          && f[i - 1].creator == f[i].creator
                          && f[i - 1].t > f[i].t)))
            return bad_at(c, t_pos + i,
                          "follow out of (user, creator, t) order at row", i);
    }
    return 0;
}

static int
load_users(struct col *c, struct segment *seg)
{
    const unsigned char *p = c->base + c->pos;
    uint64_t v = 0;

    for (size_t i = 0; i < seg->n_users; i++) {
        v += get_pl32(p, seg->n_users, i);
        if (v >= SEG_NONE)
            return bad_at(c, c->pos + i, "user index out of range", v);
        seg->users[i] = (uint32_t)v;
    }
    c->pos += 4 * seg->n_users;
    return 0;
}

static int
load_payload(const char *path, const unsigned char *p, size_t len,
             unsigned flags, struct segment *seg, struct diag *d)
{
    struct col c = { p, HDR_SIZE, path, d };
    uint64_t cnt[6], need = HDR_SIZE;
    static const unsigned width[6] = {
        EXP_BYTES, INTER_BYTES, ITEM_BYTES, 4, FOLLOW_BYTES, 4
    };

    if (len < HDR_SIZE)
        return diag_set(d, RC_DATA, "%s: offset %d: payload of %zu bytes "
                        "is shorter than its %d-byte header", path,
                        BINFILE_HEADER_SIZE, len, HDR_SIZE);
    seg->day = (int32_t)get_le32(p);
    seg->zone_offset = (int32_t)get_le32(p + 4);
    for (int k = 0; k < 6; k++) {
        cnt[k] = get_le64(p + 8 + 8 * k);
        if (cnt[k] > len)
            return bad_at(&c, 8 + 8 * (size_t)k,
                          "record count larger than the payload", cnt[k]);
        need += cnt[k] * width[k];
    }
    if (need != len)
        return diag_set(d, RC_DATA, "%s: offset %d: counts give a payload of "
                        "%llu bytes, found %zu", path, BINFILE_HEADER_SIZE + 8,
                        (unsigned long long)need, len);
    seg->n_exp_file = (size_t)cnt[0];
    seg->n_inter_file = (size_t)cnt[1];
    if (load_exposures(&c, seg, (size_t)cnt[0], flags & WINDOW_NO_EXP) < 0
        || load_inter(&c, seg, (size_t)cnt[1], flags & WINDOW_NO_INTER) < 0
        || load_items(&c, seg, (size_t)cnt[2], (size_t)cnt[3]) < 0
        || load_follows(&c, seg, (size_t)cnt[4]) < 0)
        return -1;
    seg->users = xmalloc((cnt[5] ? cnt[5] : 1) * sizeof *seg->users);
    seg->n_users = (size_t)cnt[5];
    return load_users(&c, seg);
}

static int
load_flags(const char *path, unsigned flags, struct segment **out,
           struct diag *d)
{
    void *payload;
    size_t len;
    struct segment *seg;

    *out = NULL;
    if (binfile_load(path, SEGMENT_MAGIC, SEGMENT_VERSION, &payload, &len,
                     d) < 0)
        return -1;
    seg = xcalloc(1, sizeof *seg);
    if (load_payload(path, payload, len, flags, seg, d) < 0) {
        free(payload);
        segment_free(seg);
        return -1;
    }
    free(payload);
    *out = seg;
    return 0;
}

int
segment_load(const char *path, struct segment **out, struct diag *d)
{
    return load_flags(path, 0, out, d);
}

/*
 * Window: -------------------------------------------------------------
 */

/* Every index of seg below its dictionary's count. */
static int
check_ranges(const struct segment *seg, const struct window *w,
             const char *path, struct diag *d)
{
    uint32_t nu = iddict_count(w->users), ni = iddict_count(w->items);
    uint32_t nc = iddict_count(w->creators), nt = iddict_count(w->tags);

#define RANGE(cond, what, i, v, n)                                        \
    do {                                                                  \
        if (!(cond))                                                      \
            return diag_set(d, RC_DATA, "%s: %s %zu: index out of range " \
                            "'%u' (dictionary has %u)", path, what,       \
                            (size_t)(i), (unsigned)(v), (unsigned)(n));   \
    } while (0)

    for (size_t i = 0; i < seg->n_exp; i++) {
        RANGE(seg->exp[i].user < nu, "exposure user", i, seg->exp[i].user,
              nu);
        RANGE(seg->exp[i].item < ni, "exposure item", i, seg->exp[i].item,
              ni);
    }
    for (size_t i = 0; i < seg->n_inter; i++) {
        RANGE(seg->inter[i].user < nu, "interaction user", i,
              seg->inter[i].user, nu);
        RANGE(seg->inter[i].item < ni, "interaction item", i,
              seg->inter[i].item, ni);
    }
    for (size_t i = 0; i < seg->n_items; i++) {
        uint32_t cr = seg->items[i].creator;

        RANGE(seg->items[i].item < ni, "item row", i, seg->items[i].item,
              ni);
        RANGE(cr == SEG_NONE || cr < nc, "item row creator", i, cr, nc);
    }
    for (size_t i = 0; i < seg->n_tags; i++)
        RANGE(seg->tags[i] < nt, "tag", i, seg->tags[i], nt);
    for (size_t i = 0; i < seg->n_follows; i++) {
        RANGE(seg->follows[i].user < nu, "follow user", i,
              seg->follows[i].user, nu);
        RANGE(seg->follows[i].creator < nc, "follow creator", i,
              seg->follows[i].creator, nc);
    }
    for (size_t i = 0; i < seg->n_users; i++)
        RANGE(seg->users[i] < nu, "user row", i, seg->users[i], nu);
#undef RANGE
    return 0;
}

static int
load_dicts(const char *segroot, struct window *w, struct diag *d)
{
    static const char *kinds[4] = { "users", "items", "creators", "tags" };
    struct iddict **dst[4] = { &w->users, &w->items, &w->creators,
                               &w->tags };

    for (int k = 0; k < 4; k++) {
        char *path = segment_dict_path(segroot, kinds[k]);
        int rc = iddict_load(path, dst[k], d);

        free(path);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Later days win: the last row of an item in day order describes it. */
static int
build_catalog(struct window *w, const char *segroot, struct diag *d)
{
    struct catalog *cat = &w->cat;
    uint32_t n = iddict_count(w->items);
    int32_t *src_day = xmalloc((n ? n : 1) * sizeof *src_day);
    uint32_t *src_row = xmalloc((n ? n : 1) * sizeof *src_row);
    uint64_t total = 0;

    for (uint32_t i = 0; i < n; i++)
        src_day[i] = -1;
    for (int k = 0; k < w->n_days; k++) {
        const struct segment *seg = w->seg[k];

        if (seg == NULL)
            continue;
        for (size_t r = 0; r < seg->n_items; r++) {
            src_day[seg->items[r].item] = k;
            src_row[seg->items[r].item] = (uint32_t)r;
        }
    }
    cat->n_items = n;
    cat->creator = xmalloc((n ? n : 1) * sizeof *cat->creator);
    cat->upload_t = xmalloc((n ? n : 1) * sizeof *cat->upload_t);
    cat->dur_ms = xmalloc((n ? n : 1) * sizeof *cat->dur_ms);
    cat->tag_off = xmalloc(((size_t)n + 1) * sizeof *cat->tag_off);
    cat->tag_off[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (src_day[i] >= 0) {
            const struct seg_item *it =
                &w->seg[src_day[i]]->items[src_row[i]];

            cat->creator[i] = it->creator;
            cat->upload_t[i] = it->upload_t;
            cat->dur_ms[i] = it->dur_ms;
            total += it->n_tags;
        } else {
            cat->creator[i] = SEG_NONE;
            cat->upload_t[i] = INT64_MIN;
            cat->dur_ms[i] = 0;
        }
        if (total >= UINT32_MAX) {
            free(src_day);
            free(src_row);
            return diag_set(d, RC_DATA, "%s: the catalog of the window holds "
                            "more than %u tags", segroot, UINT32_MAX - 1);
        }
        cat->tag_off[i + 1] = (uint32_t)total;
    }
    cat->tags = xmalloc((total ? total : 1) * sizeof *cat->tags);
    for (uint32_t i = 0; i < n; i++) {
        if (src_day[i] >= 0 && cat->tag_off[i + 1] > cat->tag_off[i]) {
            const struct segment *seg = w->seg[src_day[i]];
            const struct seg_item *it = &seg->items[src_row[i]];

            memcpy(cat->tags + cat->tag_off[i], seg->tags + it->tag_off,
                   it->n_tags * sizeof *cat->tags);
        }
    }
    free(src_day);
    free(src_row);
    return 0;
}

/* Load the segment of day, which must hold that day and only indices
 * below w's dictionaries' counts. */
static int
load_checked(const struct window *w, const char *segroot, int32_t day,
             unsigned flags, struct segment **out, struct diag *d)
{
    char *path = segment_path(segroot, day);
    struct segment *seg;
    int rc = 0;

    *out = NULL;
    if (load_flags(path, flags, &seg, d) < 0) {
        rc = -1;
    } else if (seg->day != day) {
        char want[16], got[16];

        rc = diag_set(d, RC_DATA, "%s: offset %d: segment of day %s in the "
                      "folder of day %s", path, BINFILE_HEADER_SIZE,
                      dates_format_day(seg->day, got),
                      dates_format_day(day, want));
        segment_free(seg);
    } else if (check_ranges(seg, w, path, d) < 0) {
        rc = -1;
        segment_free(seg);
    } else {
        *out = seg;
    }
    free(path);
    return rc;
}

int
window_open(const char *segroot, int32_t last_day, int n_days,
            unsigned flags, struct window **out, struct diag *d)
{
    struct window *w;
    struct diag *dd;
    int *status, failed = -1;

    *out = NULL;
    if (n_days < 1)
        return diag_set(d, RC_USAGE, "window of %d days: expected at least "
                        "one day", n_days);
    w = xcalloc(1, sizeof *w);
    w->last_day = last_day;
    w->n_days = n_days;
    w->first_day = last_day - (n_days - 1);
    w->segroot = xstrdup(segroot);
    w->flags = flags;
    if (load_dicts(segroot, w, d) < 0) {
        window_free(w);
        return -1;
    }
    w->seg = xcalloc((size_t)n_days, sizeof *w->seg);
    dd = xcalloc((size_t)n_days, sizeof *dd);
    status = xcalloc((size_t)n_days, sizeof *status);

    /* A lazy window reads each day's rows later (window_load_day). */
    if (flags & WINDOW_LAZY)
        flags |= WINDOW_NO_EXP | WINDOW_NO_INTER;

    /* Decompression dominates, and days are independent: one day per
     * iteration, results land in fixed slots. */
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = 0; k < n_days; k++) {
        if (load_checked(w, segroot, w->first_day + k, flags, &w->seg[k],
                         &dd[k]) < 0)
            status[k] = dd[k].rc == RC_NOINPUT ? 1 : 2;
    }
    for (int k = 0; k < n_days && failed < 0; k++)
        if (status[k] == 2)
            failed = k;
    if (failed >= 0) {
        if (d != NULL)
            *d = dd[failed];
        free(dd);
        free(status);
        window_free(w);
        return -1;
    }
    w->missing = xmalloc((size_t)n_days * sizeof *w->missing);
    for (int k = 0; k < n_days; k++)
        if (status[k] == 1)
            w->missing[w->n_missing++] = w->first_day + k;
    free(dd);
    free(status);
    if (build_catalog(w, segroot, d) < 0) {
        window_free(w);
        return -1;
    }
    *out = w;
    return 0;
}

void
window_free(struct window *w)
{
    if (w == NULL)
        return;
    if (w->seg != NULL)
        for (int k = 0; k < w->n_days; k++)
            segment_free(w->seg[k]);
    free(w->seg);
    free(w->missing);
    free(w->segroot);
    iddict_free(w->users);
    iddict_free(w->items);
    iddict_free(w->creators);
    iddict_free(w->tags);
    free(w->cat.creator);
    free(w->cat.upload_t);
    free(w->cat.dur_ms);
    free(w->cat.tag_off);
    free(w->cat.tags);
    free(w);
}

int
window_load_day(const struct window *w, int32_t day, unsigned flags,
                struct segment **out, struct diag *d)
{
    *out = NULL;
    if (window_day(w, day) == NULL)
        return 0;
    return load_checked(w, w->segroot, day, flags & ~(unsigned)WINDOW_LAZY,
                        out, d);
}

int
window_get_day(const struct window *w, int k, unsigned flags,
               struct day_ref *ref, struct diag *d)
{
    ref->seg = NULL;
    ref->own = NULL;
    if (k < 0 || k >= w->n_days || w->seg[k] == NULL)
        return 0;
    if (!(w->flags & WINDOW_LAZY)) {
        ref->seg = w->seg[k];
        return 0;
    }
    if (window_load_day(w, w->first_day + k, flags, &ref->own, d) < 0)
        return -1;
    ref->seg = ref->own;
    return 0;
}

void
window_put_day(struct day_ref *ref)
{
    segment_free(ref->own);
    ref->own = NULL;
    ref->seg = NULL;
}

const struct segment *
window_day(const struct window *w, int32_t day)
{
    if (day < w->first_day || day > w->last_day)
        return NULL;
    return w->seg[day - w->first_day];
}

/*
 * Indexes: ------------------------------------------------------------
 */

void
segment_user_offsets(const struct segment *seg, uint32_t n_users,
                     size_t **off)
{
    size_t *o = xcalloc((size_t)n_users + 1, sizeof *o);
    size_t i = 0;

    /* Exposures are sorted by user: one pass writes each boundary. */
    for (uint32_t u = 0; u <= n_users; u++) {
        while (i < seg->n_exp && seg->exp[i].user < u)
            i++;
        o[u] = i;
    }
    assert(o[n_users] == seg->n_exp);
    *off = o;
}

void
segment_item_offsets(const struct segment *seg, uint32_t n_items,
                     size_t **off, uint32_t **rows)
{
    size_t *o = xcalloc((size_t)n_items + 2, sizeof *o);
    uint32_t *r = xmalloc((seg->n_exp ? seg->n_exp : 1) * sizeof *r);

    assert(seg->n_exp < UINT32_MAX);
    for (size_t i = 0; i < seg->n_exp; i++) {
        assert(seg->exp[i].item < n_items);
        o[seg->exp[i].item + 2]++;
    }
    for (uint32_t k = 0; k < n_items; k++)
        o[k + 2] += o[k + 1];
    /* o[k + 1] is now the start of item k; advance it while filling, so
     * that afterwards o[k] is the start of item k. */
    for (size_t i = 0; i < seg->n_exp; i++)
        r[o[seg->exp[i].item + 1]++] = (uint32_t)i;
    *off = xreallocarray(o, (size_t)n_items + 1, sizeof *o);
    *rows = r;
}

/*
 * Text: ---------------------------------------------------------------
 */

const char *
segment_fb_name(uint32_t bit)
{
    static const char *const names[FB_N_KINDS] = {
        "click", "like", "comment", "follow", "share", "long_view", "hate"
    };

    for (int k = 0; k < FB_N_KINDS; k++)
        if (bit == 1u << k)
            return names[k];
    return NULL;
}

/* Print index v of a dictionary (or the number); -1 when out of range. */
static int
put_id(FILE *out, const struct iddict *dict, uint32_t v)
{
    if (dict == NULL) {
        fprintf(out, "%u", v);
        return 0;
    }
    if (v >= iddict_count(dict))
        return -1;
    fputs(iddict_name(dict, v), out);
    return 0;
}

static void
put_fb(FILE *out, uint32_t fb)
{
    const char *sep = "";

    for (int k = 0; k < FB_N_KINDS; k++)
        if (fb & (1u << k)) {
            fprintf(out, "%s%s", sep, segment_fb_name(1u << k));
            sep = ",";
        }
}

int
segment_write_tsv(const struct segment *seg, enum segment_section sec,
                  const struct segment_names *names, FILE *out,
                  const char *path, struct diag *d)
{
    static const struct segment_names none = { NULL, NULL, NULL, NULL };
    const struct segment_names *nm = names ? names : &none;
    char date[16];

#define ID(dict, v, what, row)                                            \
    do {                                                                  \
        if (put_id(out, (dict), (v)) < 0)                                 \
            return diag_set(d, RC_DATA, "%s: %s %zu: index '%u' is not "  \
                            "in the dictionary (%u ids)", path, (what),   \
                            (size_t)(row), (unsigned)(v),                 \
                            iddict_count(dict));                          \
    } while (0)

    switch (sec) {
    case SEGMENT_SUMMARY:
        fprintf(out, "day\t%s\nzone_offset\t%d\nexposures\t%zu\n"
                "interactions\t%zu\nitems\t%zu\ntags\t%zu\nfollows\t%zu\n"
                "users\t%zu\n", dates_format_day(seg->day, date),
                (int)seg->zone_offset, seg->n_exp, seg->n_inter,
                seg->n_items, seg->n_tags, seg->n_follows, seg->n_users);
        break;
    case SEGMENT_EXPOSURES:
        fputs("t\tuser\titem\tplay_ms\tdur_ms\tfeedback\n", out);
        for (size_t i = 0; i < seg->n_exp; i++) {
            const struct seg_exposure *e = &seg->exp[i];

            fprintf(out, "%lld\t", (long long)e->t);
            ID(nm->users, e->user, "exposure user", i);
            fputc('\t', out);
            ID(nm->items, e->item, "exposure item", i);
            fprintf(out, "\t%u\t%u\t", e->play_ms, e->dur_ms);
            put_fb(out, e->fb);
            fputc('\n', out);
        }
        break;
    case SEGMENT_INTER:
        fputs("t\tuser\titem\tevent\tvalue\n", out);
        for (size_t i = 0; i < seg->n_inter; i++) {
            const struct seg_inter *e = &seg->inter[i];
            const char *ev = segment_fb_name(e->fb);

            fprintf(out, "%lld\t", (long long)e->t);
            ID(nm->users, e->user, "interaction user", i);
            fputc('\t', out);
            ID(nm->items, e->item, "interaction item", i);
            fprintf(out, "\t%s\t%.9g\n", ev ? ev : "other",
                    (double)e->value);
        }
        break;
    case SEGMENT_ITEMS:
        fputs("item\tcreator\tupload_t\tdur_ms\ttags\n", out);
        for (size_t i = 0; i < seg->n_items; i++) {
            const struct seg_item *it = &seg->items[i];

            ID(nm->items, it->item, "item row", i);
            fputc('\t', out);
            if (it->creator == SEG_NONE)
                fputc('-', out);
            else
                ID(nm->creators, it->creator, "item row creator", i);
            fputc('\t', out);
            if (it->upload_t != INT64_MIN)
                fprintf(out, "%lld", (long long)it->upload_t);
            fputc('\t', out);
            if (it->dur_ms != 0)
                fprintf(out, "%u", it->dur_ms);
            fputc('\t', out);
            for (uint32_t j = 0; j < it->n_tags; j++) {
                if (j > 0)
                    fputc(',', out);
                ID(nm->tags, seg->tags[it->tag_off + j], "item row tag", i);
            }
            fputc('\n', out);
        }
        break;
    case SEGMENT_FOLLOWS:
        fputs("user\tcreator\tt\n", out);
        for (size_t i = 0; i < seg->n_follows; i++) {
            const struct seg_follow *f = &seg->follows[i];

            ID(nm->users, f->user, "follow user", i);
            fputc('\t', out);
            ID(nm->creators, f->creator, "follow creator", i);
            fprintf(out, "\t%lld\n", (long long)f->t);
        }
        break;
    case SEGMENT_USERS:
        fputs("user\n", out);
        for (size_t i = 0; i < seg->n_users; i++) {
            ID(nm->users, seg->users[i], "user row", i);
            fputc('\n', out);
        }
        break;
    }
#undef ID
    if (fflush(out) != 0 || ferror(out))
        return diag_errno(d, RC_IO, "%s: writing the dump failed", path);
    return 0;
}
