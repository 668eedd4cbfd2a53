/*
 * check_segment.c -- day segments and windows: save/load round trip with
 * every array populated, byte-identical re-save, the saved payload against
 * a plain reference encoder with 1 and 2 threads, corrupt files, a window
 * with a missing day, the catalog's later-day-wins rule, the per-user and
 * per-item indexes against naive scans, and 1 vs 2 threads.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binfile.h"
#include "byteio.h"
#include "check_common.h"
#include "dates.h"
#include "rng.h"
#include "segment.h"
#include "xmem.h"

#define N_USERS    40
#define N_ITEMS    30
#define N_CREATORS 6
#define N_TAGS     9

static int
cmp_exp(const void *pa, const void *pb)
{
    const struct seg_exposure *a = pa, *b = pb;

    if (a->user != b->user)
        return a->user < b->user ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->item != b->item)
        return a->item < b->item ? -1 : 1;
    return 0;
}

static int
cmp_inter(const void *pa, const void *pb)
{
    const struct seg_inter *a = pa, *b = pb;

    if (a->user != b->user)
        return a->user < b->user ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->item != b->item)
        return a->item < b->item ? -1 : 1;
    return a->fb < b->fb ? -1 : a->fb > b->fb;
}

static int
cmp_follow(const void *pa, const void *pb)
{
    const struct seg_follow *a = pa, *b = pb;

    if (a->user != b->user)
        return a->user < b->user ? -1 : 1;
    if (a->creator != b->creator)
        return a->creator < b->creator ? -1 : 1;
    return a->t < b->t ? -1 : a->t > b->t;
}

/*
 * A segment of day `day` with every array populated: exposures and
 * interactions of pseudo-random users and items (seeded by day), `n_items`
 * item rows starting at item `first_item` whose creator, duration and tags
 * encode the day, follows and a users list.
 */
static struct segment *
make_segment(int32_t day, size_t n_exp, uint32_t first_item, size_t n_items)
{
    struct segment *s = xcalloc(1, sizeof *s);
    struct rng r;
    int64_t t0 = dates_day_start(day, 0);
    size_t nt = 0;

    rng_seed(&r, 42, 7, (uint64_t)day);
    s->day = day;
    s->zone_offset = 0;
    s->n_exp = n_exp;
    s->exp = xcalloc(n_exp + 1, sizeof *s->exp);
    for (size_t i = 0; i < n_exp; i++) {
        struct seg_exposure *e = &s->exp[i];

        e->user = (uint32_t)rng_below(&r, N_USERS);
        e->item = (uint32_t)rng_below(&r, N_ITEMS);
        e->t = t0 + (int64_t)rng_below(&r, DATES_DAY_SECONDS);
        e->play_ms = (uint32_t)rng_below(&r, 100000);
        e->dur_ms = (uint32_t)rng_below(&r, 100000);
        e->fb = (uint32_t)rng_below(&r, 1u << FB_N_KINDS);
    }
    qsort(s->exp, n_exp, sizeof *s->exp, cmp_exp);
    s->n_inter = n_exp / 3 + 1;
    s->inter = xcalloc(s->n_inter, sizeof *s->inter);
    for (size_t i = 0; i < s->n_inter; i++) {
        struct seg_inter *e = &s->inter[i];

        e->user = (uint32_t)rng_below(&r, N_USERS);
        e->item = (uint32_t)rng_below(&r, N_ITEMS);
        e->t = t0 + (int64_t)rng_below(&r, DATES_DAY_SECONDS);
        e->fb = i % 5 == 0 ? 0 : 1u << rng_below(&r, FB_N_KINDS);
        e->value = (float)rng_below(&r, 1000) / 8.0f - 3.0f;
    }
    qsort(s->inter, s->n_inter, sizeof *s->inter, cmp_inter);
    s->n_items = n_items;
    s->items = xcalloc(n_items + 1, sizeof *s->items);
    s->tags = xcalloc(n_items * 3 + 1, sizeof *s->tags);
    for (size_t k = 0; k < n_items; k++) {
        struct seg_item *it = &s->items[k];

        it->item = first_item + (uint32_t)k;
        it->creator = k % 4 == 3 ? SEG_NONE
                    : (uint32_t)((it->item + (uint32_t)day) % N_CREATORS);
        it->upload_t = k % 5 == 4 ? INT64_MIN : t0 - 3600 * (int64_t)k;
        it->dur_ms = 1000u * (uint32_t)(day % 100) + (uint32_t)k;
        it->tag_off = (uint32_t)nt;
        it->n_tags = (uint32_t)((k + (size_t)day) % 3);
        for (uint32_t j = 0; j < it->n_tags; j++)
            s->tags[nt++] = (it->item + j + (uint32_t)day) % N_TAGS;
    }
    s->n_tags = nt;
    s->n_follows = 7;
    s->follows = xcalloc(s->n_follows, sizeof *s->follows);
    for (size_t i = 0; i < s->n_follows; i++) {
        s->follows[i].user = (uint32_t)rng_below(&r, N_USERS);
        s->follows[i].creator = (uint32_t)rng_below(&r, N_CREATORS);
        s->follows[i].t = t0 + (int64_t)rng_below(&r, DATES_DAY_SECONDS);
    }
    qsort(s->follows, s->n_follows, sizeof *s->follows, cmp_follow);
    s->n_users = 5;
    s->users = xcalloc(s->n_users, sizeof *s->users);
    for (size_t i = 0; i < s->n_users; i++)
        s->users[i] = (uint32_t)(i * 3 + (size_t)day % 2);
    return s;
}

static void
assert_segments_equal(const struct segment *a, const struct segment *b)
{
    ck_assert_int_eq(a->day, b->day);
    ck_assert_int_eq(a->zone_offset, b->zone_offset);
    ck_assert_uint_eq(a->n_exp, b->n_exp);
    ck_assert_uint_eq(a->n_inter, b->n_inter);
    ck_assert_uint_eq(a->n_items, b->n_items);
    ck_assert_uint_eq(a->n_tags, b->n_tags);
    ck_assert_uint_eq(a->n_follows, b->n_follows);
    ck_assert_uint_eq(a->n_users, b->n_users);
    for (size_t i = 0; i < a->n_exp; i++) {
        ck_assert_int_eq(a->exp[i].t, b->exp[i].t);
        ck_assert_uint_eq(a->exp[i].user, b->exp[i].user);
        ck_assert_uint_eq(a->exp[i].item, b->exp[i].item);
        ck_assert_uint_eq(a->exp[i].play_ms, b->exp[i].play_ms);
        ck_assert_uint_eq(a->exp[i].dur_ms, b->exp[i].dur_ms);
        ck_assert_uint_eq(a->exp[i].fb, b->exp[i].fb);
    }
    for (size_t i = 0; i < a->n_inter; i++) {
        ck_assert_int_eq(a->inter[i].t, b->inter[i].t);
        ck_assert_uint_eq(a->inter[i].user, b->inter[i].user);
        ck_assert_uint_eq(a->inter[i].item, b->inter[i].item);
        ck_assert_uint_eq(a->inter[i].fb, b->inter[i].fb);
        ck_assert(memcmp(&a->inter[i].value, &b->inter[i].value, 4) == 0);
    }
    for (size_t i = 0; i < a->n_items; i++) {
        ck_assert_uint_eq(a->items[i].item, b->items[i].item);
        ck_assert_uint_eq(a->items[i].creator, b->items[i].creator);
        ck_assert_int_eq(a->items[i].upload_t, b->items[i].upload_t);
        ck_assert_uint_eq(a->items[i].dur_ms, b->items[i].dur_ms);
        ck_assert_uint_eq(a->items[i].tag_off, b->items[i].tag_off);
        ck_assert_uint_eq(a->items[i].n_tags, b->items[i].n_tags);
    }
    for (size_t i = 0; i < a->n_tags; i++)
        ck_assert_uint_eq(a->tags[i], b->tags[i]);
    for (size_t i = 0; i < a->n_follows; i++) {
        ck_assert_uint_eq(a->follows[i].user, b->follows[i].user);
        ck_assert_uint_eq(a->follows[i].creator, b->follows[i].creator);
        ck_assert_int_eq(a->follows[i].t, b->follows[i].t);
    }
    for (size_t i = 0; i < a->n_users; i++)
        ck_assert_uint_eq(a->users[i], b->users[i]);
}

static void
expect_data_error(const char *path, const char *msg)
{
    struct segment *s = NULL;
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(segment_load(path, &s, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(d.msg, path) == d.msg, "message '%s'", d.msg);
    ck_assert_msg(strstr(d.msg, ": offset ") != NULL, "message '%s'",
                  d.msg);
    if (msg != NULL)
        ck_assert_str_eq(d.msg, msg);
}

START_TEST(test_segment_round_trip_and_resave)
{
    const char *dir = test_tmpdir();
    char path[4200], path2[4200];
    struct segment *s = make_segment(dates_from_civil(2026, 11, 1), 500, 3,
                                     12);
    struct segment *back = NULL;
    struct diag d = DIAG_INIT;
    unsigned char *a, *b;
    size_t na, nb;

    s->zone_offset = 28800;
    snprintf(path, sizeof path, "%s/segment.bin", dir);
    snprintf(path2, sizeof path2, "%s/again.bin", dir);
    ck_assert_int_eq(segment_save(s, path, &d), 0);
    ck_assert_int_eq(segment_load(path, &back, &d), 0);
    assert_segments_equal(s, back);
    ck_assert_int_eq(segment_save(back, path2, &d), 0);
    a = test_read_file(path, &na);
    b = test_read_file(path2, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(a, b, na) == 0);
    free(a);
    free(b);
    segment_free(back);
    segment_free(s);
    segment_free(NULL);
    test_rmtree(dir);
}
END_TEST

/*
 * A plain reference for segment.c's payload layout: every column written
 * whole, one value at a time, straight from the header comment.
 */
static void
ref_put(unsigned char **col, size_t n, size_t i, uint64_t v, int width)
{
    for (int b = 0; b < width; b++)
        (*col)[(size_t)b * n + i] = (unsigned char)(v >> (8 * b));
}

static uint64_t
ref_zigzag(uint64_t d)
{
    return (d << 1) ^ (0 - (d >> 63));
}

static unsigned char *
ref_payload(const struct segment *s, size_t *len)
{
    size_t n = 56 + 25 * s->n_exp + 21 * s->n_inter + 28 * s->n_items
             + 4 * s->n_tags + 16 * s->n_follows + 4 * s->n_users;
    unsigned char *buf = xcalloc(1, n), *p = buf + 56;
    uint64_t prev;
    size_t m;

    put_le32(buf, (uint32_t)s->day);
    put_le32(buf + 4, (uint32_t)s->zone_offset);
    put_le64(buf + 8, s->n_exp);
    put_le64(buf + 16, s->n_inter);
    put_le64(buf + 24, s->n_items);
    put_le64(buf + 32, s->n_tags);
    put_le64(buf + 40, s->n_follows);
    put_le64(buf + 48, s->n_users);
#define NEXT(width) (p += (size_t)(width) * m)
    m = s->n_exp;
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->exp[i].user - (i ? s->exp[i - 1].user : 0), 4);
    NEXT(4);
    prev = 0;
    for (size_t i = 0; i < m; prev = (uint64_t)s->exp[i++].t)
        ref_put(&p, m, i, ref_zigzag((uint64_t)s->exp[i].t - prev), 8);
    NEXT(8);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->exp[i].item, 4);
    NEXT(4);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->exp[i].play_ms, 4);
    NEXT(4);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->exp[i].dur_ms, 4);
    NEXT(4);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->exp[i].fb, 1);
    NEXT(1);
    m = s->n_inter;
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->inter[i].user - (i ? s->inter[i - 1].user : 0),
                4);
    NEXT(4);
    prev = 0;
    for (size_t i = 0; i < m; prev = (uint64_t)s->inter[i++].t)
        ref_put(&p, m, i, ref_zigzag((uint64_t)s->inter[i].t - prev), 8);
    NEXT(8);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->inter[i].item, 4);
    NEXT(4);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->inter[i].fb, 1);
    NEXT(1);
    for (size_t i = 0; i < m; i++) {
        uint32_t bits;

        memcpy(&bits, &s->inter[i].value, 4);
        ref_put(&p, m, i, bits, 4);
    }
    NEXT(4);
    m = s->n_items;
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->items[i].item - (i ? s->items[i - 1].item : 0),
                4);
    NEXT(4);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->items[i].creator, 4);
    NEXT(4);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, (uint64_t)s->items[i].upload_t, 8);
    NEXT(8);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->items[i].dur_ms, 4);
    NEXT(4);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->items[i].tag_off, 4);
    NEXT(4);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->items[i].n_tags, 4);
    NEXT(4);
    m = s->n_tags;
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->tags[i], 4);
    NEXT(4);
    m = s->n_follows;
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i,
                s->follows[i].user - (i ? s->follows[i - 1].user : 0), 4);
    NEXT(4);
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->follows[i].creator, 4);
    NEXT(4);
    prev = 0;
    for (size_t i = 0; i < m; prev = (uint64_t)s->follows[i++].t)
        ref_put(&p, m, i, ref_zigzag((uint64_t)s->follows[i].t - prev), 8);
    NEXT(8);
    m = s->n_users;
    for (size_t i = 0; i < m; i++)
        ref_put(&p, m, i, s->users[i] - (i ? s->users[i - 1] : 0), 4);
    NEXT(4);
#undef NEXT
    ck_assert_uint_eq((size_t)(p - buf), n);
    *len = n;
    return buf;
}

/*
 * segment_save's block-parallel encoder against the reference, with every
 * record kind long enough for several encoder blocks (8192 rows) so that
 * delta columns cross block boundaries, and with 1 and 2 threads.
 */
START_TEST(test_segment_save_payload_vs_reference)
{
    static const char magic[BINFILE_MAGIC_SIZE] = {
        '\x89', 'D', 'R', 'S', 'E', 'G', 'M', 'T'
    };
    const char *dir = test_tmpdir();
    int32_t day = dates_from_civil(2026, 11, 2);
    struct segment *s = make_segment(day, 30000, 17, 20000), *back = NULL;
    int saved = omp_get_max_threads();
    char path[2][4200];
    unsigned char *ref, *a, *b;
    struct diag d = DIAG_INIT;
    size_t n_ref, na, nb;
    void *payload;
    size_t n;
    struct rng r;

    /* Many follows and users too; times far apart exercise the high
     * bytes of the zigzag deltas, in both directions. */
    rng_seed(&r, 42, 8, 0);
    free(s->follows);
    s->n_follows = 20000;
    s->follows = xcalloc(s->n_follows, sizeof *s->follows);
    for (size_t i = 0; i < s->n_follows; i++) {
        s->follows[i].user = (uint32_t)rng_below(&r, 3000);
        s->follows[i].creator = (uint32_t)rng_below(&r, N_CREATORS);
        s->follows[i].t = (int64_t)rng_below(&r, (uint64_t)1 << 40)
                        - ((int64_t)1 << 39);
    }
    qsort(s->follows, s->n_follows, sizeof *s->follows, cmp_follow);
    free(s->users);
    s->n_users = 20000;
    s->users = xcalloc(s->n_users, sizeof *s->users);
    for (size_t i = 0; i < s->n_users; i++)
        s->users[i] = (uint32_t)(i * 3 + i % 3);

    ref = ref_payload(s, &n_ref);
    for (int k = 0; k < 2; k++) {
        snprintf(path[k], sizeof path[k], "%s/seg%d.bin", dir, k + 1);
        omp_set_num_threads(k + 1);
        ck_assert_int_eq(segment_save(s, path[k], &d), 0);
    }
    omp_set_num_threads(saved);
    ck_assert_int_eq(binfile_load(path[0], magic, SEGMENT_VERSION, &payload,
                                  &n, &d), 0);
    ck_assert_uint_eq(n, n_ref);
    ck_assert(memcmp(payload, ref, n) == 0);
    a = test_read_file(path[0], &na);
    b = test_read_file(path[1], &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(a, b, na) == 0);
    ck_assert_int_eq(segment_load(path[1], &back, &d), 0);
    assert_segments_equal(s, back);
    free(a);
    free(b);
    free(payload);
    free(ref);
    segment_free(back);
    segment_free(s);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_segment_empty_round_trip)
{
    const char *dir = test_tmpdir();
    char path[4200];
    struct segment s = { 0 }, *back = NULL;
    struct diag d = DIAG_INIT;

    s.day = -3;
    snprintf(path, sizeof path, "%s/segment.bin", dir);
    ck_assert_int_eq(segment_save(&s, path, &d), 0);
    ck_assert_int_eq(segment_load(path, &back, &d), 0);
    assert_segments_equal(&s, back);
    segment_free(back);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_segment_path_names)
{
    char *p = segment_path("/x/seg", dates_from_civil(2026, 3, 7));
    char *q = segment_dict_path("/x/seg", "creators");

    ck_assert_str_eq(p, "/x/seg/dt=2026-03-07/segment.bin");
    ck_assert_str_eq(q, "/x/seg/dict/creators.dict");
    free(p);
    free(q);
}
END_TEST

START_TEST(test_segment_missing_file)
{
    struct segment *s = NULL;
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(segment_load("/nonexistent/dualrec/segment.bin", &s,
                                  &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
}
END_TEST

START_TEST(test_segment_corrupt_files)
{
    const char *dir = test_tmpdir();
    char path[4200], msg[4400];
    struct segment *s = make_segment(dates_from_civil(2026, 11, 2), 300, 0,
                                     8);
    struct diag d = DIAG_INIT;
    unsigned char *p;
    size_t n;

    snprintf(path, sizeof path, "%s/segment.bin", dir);
    ck_assert_int_eq(segment_save(s, path, &d), 0);
    p = test_read_file(path, &n);

    p[0] = 'X';
    test_write_file(path, p, n);
    snprintf(msg, sizeof msg, "%s: offset 0: bad magic (not a 'SEGMT' file)",
             path);
    expect_data_error(path, msg);
    p[0] = 0x89;

    put_le32(p + 8, SEGMENT_VERSION + 1);
    test_write_file(path, p, n);
    snprintf(msg, sizeof msg, "%s: offset 8: unsupported version %d "
             "(expected %d)", path, SEGMENT_VERSION + 1, SEGMENT_VERSION);
    expect_data_error(path, msg);
    put_le32(p + 8, SEGMENT_VERSION);

    /* Truncated at several offsets: in the header, at its end, inside the
     * frame, one byte short. */
    {
        size_t cuts[] = { 0, 5, 47, 48, 49, n / 2, n - 1 };

        for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
            test_write_file(path, p, cuts[k]);
            expect_data_error(path, NULL);
        }
    }
    /*
     * A flipped bit anywhere after the magic and version is an error, or
     * (a bit zstd ignores, such as the frame header's unused bit) loads
     * the very same segment: never different data.
     */
    for (size_t off = 12; off < n; off++) {
        struct segment *back = NULL;

        p[off] ^= 0x10;
        test_write_file(path, p, n);
        if (segment_load(path, &back, &d) == 0) {
            ck_assert_uint_ge(off, BINFILE_HEADER_SIZE);
            assert_segments_equal(s, back);
            segment_free(back);
        } else {
            ck_assert_int_eq(d.rc, RC_DATA);
            ck_assert_msg(strstr(d.msg, path) == d.msg, "message '%s'",
                          d.msg);
        }
        diag_clear(&d);
        p[off] ^= 0x10;
    }
    test_write_file(path, p, n);
    {
        struct segment *back = NULL;

        ck_assert_int_eq(segment_load(path, &back, &d), 0);
        segment_free(back);
    }
    free(p);
    segment_free(s);
    test_rmtree(dir);
}
END_TEST

static const char SEG_MAGIC[8] = { '\x89', 'D', 'R', 'S', 'E', 'G', 'M',
                                   'T' };

/*
 * Rewrite a valid payload with one edit: value i of the planed u32 column
 * of n rows at payload offset off gets v (byte b at off + b * n + i).
 * With n = 1 and i = 0 the four bytes are contiguous, a plain LE u32, for
 * header fields and u8 columns.  The container stays valid, so the
 * payload decoder has to catch it; the message must name msg_off.
 */
static void
edit_payload_expect(const char *path, const struct segment *s,
                    size_t off, size_t n, size_t i, uint32_t v,
                    size_t msg_off, const char *want_tail)
{
    struct diag d = DIAG_INIT;
    void *payload;
    size_t len;
    char msg[4400];

    ck_assert_int_eq(segment_save(s, path, &d), 0);
    ck_assert_int_eq(binfile_load(path, SEG_MAGIC, SEGMENT_VERSION, &payload,
                                  &len, &d), 0);
    ck_assert_uint_lt(off + 3 * n + i, len);
    for (int b = 0; b < 4; b++)
        ((unsigned char *)payload)[off + (size_t)b * n + i] =
            (unsigned char)(v >> (8 * b));
    ck_assert_int_eq(binfile_save(path, SEG_MAGIC, SEGMENT_VERSION, payload,
                                  len, 1, &d), 0);
    free(payload);
    snprintf(msg, sizeof msg, "%s: offset %zu: %s", path, msg_off + 48,
             want_tail);
    expect_data_error(path, want_tail ? msg : NULL);
}

START_TEST(test_segment_inconsistent_payload)
{
    const char *dir = test_tmpdir();
    char path[4200];
    struct segment *s = make_segment(dates_from_civil(2026, 11, 3), 40, 0, 4);
    size_t n = s->n_exp;
    size_t exp_item = 56 + 12 * n, exp_fb = 56 + 24 * n;
    size_t inter = 56 + 25 * n, ni = s->n_inter;
    size_t items = inter + 21 * ni;

    snprintf(path, sizeof path, "%s/segment.bin", dir);
    /* A count that disagrees with the payload length (plain u64). */
    edit_payload_expect(path, s, 8, 1, 0, (uint32_t)n + 1, 0, NULL);
    /* A count beyond the payload: high half of n_exp. */
    edit_payload_expect(path, s, 12, 1, 0, 1, 8, "record count larger "
                        "than the payload '4294967336'");
    /* Unknown feedback bits: u8 column, 4 rows set to 0x80, 0, 0, 0. */
    edit_payload_expect(path, s, exp_fb, 1, 0, 0x80, exp_fb, "unknown "
                        "exposure feedback bits '128'");
    /* Item index SEG_NONE in row 1. */
    edit_payload_expect(path, s, exp_item, n, 1, SEG_NONE, exp_item + 1,
                        "exposure item index out of range '4294967295'");
    /* A user delta that pushes the user column past SEG_NONE. */
    edit_payload_expect(path, s, 56, n, 1, 0xffffffffu, 0, NULL);
    /* Interaction feedback with two bits (u8 column, rows 0..3). */
    edit_payload_expect(path, s, inter + 16 * ni, 1, 0,
                        3 | 3 << 8 | 3 << 16 | 3u << 24, inter + 16 * ni,
                        "bad interaction feedback kind '3'");
    /* Tag range past the tags column (tag_off of item row 0). */
    edit_payload_expect(path, s, items + 20 * s->n_items, s->n_items, 0,
                        1000, items + 20 * s->n_items,
                        "item tag range past the tags column at row '0'");
    segment_free(s);
    test_rmtree(dir);
}
END_TEST

/*
 * A segment root with dictionaries of N_* ids and day segments for days
 * first..first+2 except the middle one (missing).  Items 0..9 appear on
 * day 0, items 5..14 on day 2 (so 5..9 are described twice: day 2 wins),
 * items 15.. never.
 */
static void
make_root(const char *root, int32_t first)
{
    static const char *kinds[4] = { "users", "items", "creators", "tags" };
    static const uint32_t counts[4] = { N_USERS, N_ITEMS, N_CREATORS,
                                        N_TAGS };
    struct diag d = DIAG_INIT;
    char dir[4300], buf[64];

    snprintf(dir, sizeof dir, "%s/dict", root);
    ck_assert_int_eq(mkdir(dir, 0777), 0);
    for (int k = 0; k < 4; k++) {
        struct iddict *dict = iddict_new();
        char *path = segment_dict_path(root, kinds[k]);

        for (uint32_t i = 0; i < counts[k]; i++) {
            snprintf(buf, sizeof buf, "%c%u", kinds[k][0], i);
            iddict_add(dict, buf, strlen(buf));
        }
        ck_assert_int_eq(iddict_save(dict, path, &d), 0);
        free(path);
        iddict_free(dict);
    }
    for (int k = 0; k < 3; k += 2) {
        struct segment *s = make_segment(first + k, 400 + 100 * (size_t)k,
                                         k == 0 ? 0 : 5, 10);
        char *path = segment_path(root, first + k);
        char date[16];

        snprintf(dir, sizeof dir, "%s/dt=%s", root,
                 dates_format_day(first + k, date));
        ck_assert_int_eq(mkdir(dir, 0777), 0);
        ck_assert_int_eq(segment_save(s, path, &d), 0);
        free(path);
        segment_free(s);
    }
}

START_TEST(test_segment_window_missing_day_and_catalog)
{
    const char *tmp = test_tmpdir();
    char root[4200];
    int32_t first = dates_from_civil(2026, 10, 30);
    struct window *w = NULL;
    struct diag d = DIAG_INIT;
    struct segment *d0, *d2;

    snprintf(root, sizeof root, "%s", tmp);
    make_root(root, first);
    ck_assert_int_eq(window_open(root, first + 2, 3, 0, &w, &d), 0);
    ck_assert_int_eq(w->first_day, first);
    ck_assert_int_eq(w->last_day, first + 2);
    ck_assert_int_eq(w->n_days, 3);
    ck_assert_int_eq(w->n_missing, 1);
    ck_assert_int_eq(w->missing[0], first + 1);
    ck_assert_ptr_null(w->seg[1]);
    ck_assert_ptr_nonnull(w->seg[0]);
    ck_assert_ptr_nonnull(w->seg[2]);
    ck_assert_ptr_eq(window_day(w, first + 2), w->seg[2]);
    ck_assert_ptr_null(window_day(w, first + 1));
    ck_assert_ptr_null(window_day(w, first + 3));
    ck_assert_ptr_null(window_day(w, first - 1));
    ck_assert_uint_eq(iddict_count(w->users), N_USERS);
    ck_assert_str_eq(iddict_name(w->items, 7), "i7");

    /* The days are what make_segment built. */
    d0 = make_segment(first, 400, 0, 10);
    d2 = make_segment(first + 2, 600, 5, 10);
    assert_segments_equal(d0, w->seg[0]);
    assert_segments_equal(d2, w->seg[2]);

    /* Catalog: items 0..4 from day 0, 5..14 from day 2, the rest empty. */
    ck_assert_uint_eq(w->cat.n_items, N_ITEMS);
    ck_assert_uint_eq(w->cat.tag_off[0], 0);
    for (uint32_t i = 0; i < N_ITEMS; i++) {
        const struct segment *src = i < 5 ? d0 : i < 15 ? d2 : NULL;
        uint32_t n_tags = w->cat.tag_off[i + 1] - w->cat.tag_off[i];

        if (src == NULL) {
            ck_assert_uint_eq(w->cat.creator[i], SEG_NONE);
            ck_assert_int_eq(w->cat.upload_t[i], INT64_MIN);
            ck_assert_uint_eq(w->cat.dur_ms[i], 0);
            ck_assert_uint_eq(n_tags, 0);
        } else {
            const struct seg_item *it = &src->items[i - src->items[0].item];

            ck_assert_uint_eq(it->item, i);
            ck_assert_uint_eq(w->cat.creator[i], it->creator);
            ck_assert_int_eq(w->cat.upload_t[i], it->upload_t);
            ck_assert_uint_eq(w->cat.dur_ms[i], it->dur_ms);
            ck_assert_uint_eq(n_tags, it->n_tags);
            for (uint32_t j = 0; j < n_tags; j++)
                ck_assert_uint_eq(w->cat.tags[w->cat.tag_off[i] + j],
                                  src->tags[it->tag_off + j]);
        }
    }
    /* Day 2 really overrode day 0 for items 5..9 (durations differ). */
    ck_assert_uint_ne(d0->items[5].dur_ms, d2->items[0].dur_ms);
    ck_assert_uint_eq(w->cat.dur_ms[5], d2->items[0].dur_ms);
    window_free(w);

    /* Skipping kinds leaves them empty. */
    ck_assert_int_eq(window_open(root, first + 2, 3,
                                 WINDOW_NO_EXP | WINDOW_NO_INTER, &w, &d), 0);
    ck_assert_uint_eq(w->seg[0]->n_exp, 0);
    ck_assert_uint_eq(w->seg[0]->n_inter, 0);
    ck_assert_uint_eq(w->seg[0]->n_items, 10);
    ck_assert_uint_eq(w->seg[2]->n_follows, 7);
    ck_assert_uint_eq(w->cat.dur_ms[5], d2->items[0].dur_ms);
    window_free(w);
    window_free(NULL);
    segment_free(d0);
    segment_free(d2);
    test_rmtree(tmp);
}
END_TEST

START_TEST(test_segment_window_errors)
{
    const char *tmp = test_tmpdir();
    char root[4200], msg[4400], *path;
    int32_t first = dates_from_civil(2026, 10, 30);
    struct window *w = NULL;
    struct diag d = DIAG_INIT;
    struct segment *s;

    snprintf(root, sizeof root, "%s", tmp);
    /* Nothing ingested yet. */
    ck_assert_int_eq(window_open(root, first, 3, 0, &w, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    ck_assert_ptr_null(w);
    make_root(root, first);
    ck_assert_int_eq(window_open(root, first, 0, 0, &w, &d), -1);
    ck_assert_int_eq(d.rc, RC_USAGE);

    /* An index past its dictionary. */
    s = make_segment(first, 50, 0, 3);
    s->items[2].creator = N_CREATORS;
    path = segment_path(root, first);
    ck_assert_int_eq(segment_save(s, path, &d), 0);
    ck_assert_int_eq(window_open(root, first + 2, 3, 0, &w, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    snprintf(msg, sizeof msg, "%s: item row creator 2: index out of range "
             "'%u' (dictionary has %u)", path, N_CREATORS, N_CREATORS);
    ck_assert_str_eq(d.msg, msg);
    ck_assert_ptr_null(w);

    /* A segment filed under the wrong day. */
    s->items[2].creator = 0;
    s->day = first - 1;
    ck_assert_int_eq(segment_save(s, path, &d), 0);
    ck_assert_int_eq(window_open(root, first + 2, 3, 0, &w, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    snprintf(msg, sizeof msg, "%s: offset 48: segment of day 2026-10-29 in "
             "the folder of day 2026-10-30", path);
    ck_assert_str_eq(d.msg, msg);

    /* A corrupt day is an error, not a missing day. */
    ck_assert_int_eq(truncate(path, 30), 0);
    ck_assert_int_eq(window_open(root, first + 2, 3, 0, &w, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    free(path);
    segment_free(s);
    test_rmtree(tmp);
}
END_TEST

START_TEST(test_segment_window_threads_identical)
{
    const char *tmp = test_tmpdir();
    char root[4200];
    int32_t first = dates_from_civil(2026, 10, 30);
    struct window *w1 = NULL, *w2 = NULL;
    struct diag d = DIAG_INIT;
    int saved = omp_get_max_threads();

    snprintf(root, sizeof root, "%s", tmp);
    make_root(root, first);
    omp_set_num_threads(1);
    ck_assert_int_eq(window_open(root, first + 2, 4, 0, &w1, &d), 0);
    omp_set_num_threads(2);
    ck_assert_int_eq(window_open(root, first + 2, 4, 0, &w2, &d), 0);
    omp_set_num_threads(saved);
    ck_assert_int_eq(w1->n_missing, 2);
    ck_assert_int_eq(w2->n_missing, 2);
    ck_assert_int_eq(w1->missing[0], first - 1);
    ck_assert_int_eq(w2->missing[1], first + 1);
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(w1->seg[k] == NULL, w2->seg[k] == NULL);
        if (w1->seg[k] != NULL)
            assert_segments_equal(w1->seg[k], w2->seg[k]);
    }
    ck_assert(memcmp(w1->cat.creator, w2->cat.creator,
                     N_ITEMS * sizeof *w1->cat.creator) == 0);
    ck_assert(memcmp(w1->cat.tag_off, w2->cat.tag_off,
                     (N_ITEMS + 1) * sizeof *w1->cat.tag_off) == 0);
    ck_assert(memcmp(w1->cat.tags, w2->cat.tags,
                     w1->cat.tag_off[N_ITEMS] * sizeof *w1->cat.tags) == 0);
    window_free(w1);
    window_free(w2);
    test_rmtree(tmp);
}
END_TEST

/* A lazy window: the same catalog and day parts as an eager one, each
 * day's rows read on demand equal to the eager window's, and the eager
 * checks made when a day is read. */
START_TEST(test_segment_window_lazy_same_rows_and_errors)
{
    const char *tmp = test_tmpdir();
    char root[4200], msg[4400], *path;
    int32_t first = dates_from_civil(2026, 10, 30);
    struct window *we = NULL, *wl = NULL;
    struct diag d = DIAG_INIT;
    struct segment *day = NULL, *s;

    snprintf(root, sizeof root, "%s", tmp);
    make_root(root, first);
    ck_assert_int_eq(window_open(root, first + 2, 4, 0, &we, &d), 0);
    ck_assert_int_eq(window_open(root, first + 2, 4, WINDOW_LAZY, &wl, &d),
                     0);
    ck_assert_int_eq(wl->n_missing, 2);
    ck_assert_int_eq(wl->missing[0], first - 1);
    ck_assert_int_eq(wl->missing[1], first + 1);
    ck_assert(memcmp(we->cat.dur_ms, wl->cat.dur_ms,
                     N_ITEMS * sizeof *we->cat.dur_ms) == 0);
    ck_assert(memcmp(we->cat.tag_off, wl->cat.tag_off,
                     (N_ITEMS + 1) * sizeof *we->cat.tag_off) == 0);
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(we->seg[k] == NULL, wl->seg[k] == NULL);
        ck_assert_int_eq(window_load_day(wl, first - 1 + k, 0, &day,
                                         &d), 0);
        ck_assert_int_eq(we->seg[k] == NULL, day == NULL);
        if (day == NULL)
            continue;
        ck_assert_uint_eq(wl->seg[k]->n_exp, 0);
        ck_assert_uint_eq(wl->seg[k]->n_inter, 0);
        ck_assert_uint_eq(wl->seg[k]->n_exp_file, we->seg[k]->n_exp);
        ck_assert_uint_eq(wl->seg[k]->n_inter_file, we->seg[k]->n_inter);
        ck_assert_uint_gt(day->n_exp, 0);
        assert_segments_equal(we->seg[k], day);
        segment_free(day);
        ck_assert_int_eq(window_load_day(wl, first - 1 + k,
                                         WINDOW_NO_INTER, &day, &d), 0);
        ck_assert_uint_eq(day->n_inter, 0);
        ck_assert_uint_eq(day->n_exp, we->seg[k]->n_exp);
        segment_free(day);
    }
    /* window_get_day: the resident segment of an eager window, a read of
     * the day for a lazy one, nothing for a missing day. */
    for (int k = 0; k < 4; k++) {
        struct day_ref re, rl;

        ck_assert_int_eq(window_get_day(we, k, 0, &re, &d), 0);
        ck_assert_int_eq(window_get_day(wl, k, 0, &rl, &d), 0);
        ck_assert_ptr_eq(re.seg, we->seg[k]);
        ck_assert_ptr_null(re.own);
        ck_assert_int_eq(rl.seg == NULL, we->seg[k] == NULL);
        if (rl.seg != NULL) {
            ck_assert_ptr_eq(rl.seg, rl.own);
            assert_segments_equal(we->seg[k], rl.seg);
        }
        window_put_day(&rl);
        ck_assert_ptr_null(rl.seg);
        window_put_day(&re);
    }
    ck_assert_int_eq(window_load_day(wl, first + 3, 0, &day, &d), 0);
    ck_assert_ptr_null(day);
    window_free(we);
    window_free(wl);

    /* An exposure index past its dictionary opens lazily (rows are not
     * read) and fails, naming the path, when the day is read. */
    s = make_segment(first, 50, 0, 3);
    s->exp[4].item = N_ITEMS;
    path = segment_path(root, first);
    ck_assert_int_eq(segment_save(s, path, &d), 0);
    ck_assert_int_eq(window_open(root, first + 2, 3, WINDOW_LAZY, &wl, &d),
                     0);
    ck_assert_int_eq(window_load_day(wl, first, 0, &day, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    snprintf(msg, sizeof msg, "%s: exposure item 4: index out of range "
             "'%u' (dictionary has %u)", path, N_ITEMS, N_ITEMS);
    ck_assert_str_eq(d.msg, msg);
    ck_assert_ptr_null(day);

    /* A day gone since window_open is not a missing day. */
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(window_load_day(wl, first, 0, &day, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    ck_assert_msg(strstr(d.msg, path) != NULL, "message '%s'", d.msg);
    window_free(wl);

    /* A corrupt day fails the lazy open too (checksum), naming the path. */
    ck_assert_int_eq(segment_save(s, path, &d), 0);
    ck_assert_int_eq(truncate(path, 60), 0);
    ck_assert_int_eq(window_open(root, first + 2, 3, WINDOW_LAZY, &wl, &d),
                     -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_msg(strstr(d.msg, path) == d.msg, "message '%s'", d.msg);
    ck_assert_ptr_null(wl);
    free(path);
    segment_free(s);
    test_rmtree(tmp);
}
END_TEST

START_TEST(test_segment_user_and_item_offsets_vs_naive)
{
    struct segment *s = make_segment(dates_from_civil(2026, 11, 4), 700, 0,
                                     1);
    size_t *off, *ioff;
    uint32_t *rows;
    size_t k;

    segment_user_offsets(s, N_USERS + 3, &off);
    for (uint32_t u = 0; u < N_USERS + 3; u++) {
        size_t lo = SIZE_MAX, hi = 0;

        for (size_t i = 0; i < s->n_exp; i++)
            if (s->exp[i].user == u) {
                if (lo == SIZE_MAX)
                    lo = i;
                hi = i + 1;
            }
        if (lo == SIZE_MAX) {
            ck_assert_uint_eq(off[u], off[u + 1]);
        } else {
            ck_assert_uint_eq(off[u], lo);
            ck_assert_uint_eq(off[u + 1], hi);
        }
    }
    ck_assert_uint_eq(off[0], 0);
    ck_assert_uint_eq(off[N_USERS + 3], s->n_exp);
    free(off);

    segment_item_offsets(s, N_ITEMS, &ioff, &rows);
    ck_assert_uint_eq(ioff[0], 0);
    ck_assert_uint_eq(ioff[N_ITEMS], s->n_exp);
    for (uint32_t it = 0; it < N_ITEMS; it++) {
        k = ioff[it];
        for (size_t i = 0; i < s->n_exp; i++)
            if (s->exp[i].item == it) {
                ck_assert_uint_lt(k, ioff[it + 1]);
                ck_assert_uint_eq(rows[k], i);
                k++;
            }
        ck_assert_uint_eq(k, ioff[it + 1]);
    }
    free(ioff);
    free(rows);
    segment_free(s);
}
END_TEST

static void
shuffle(void *base, size_t n, size_t size, struct rng *r)
{
    unsigned char *p = base, tmp[64];

    ck_assert_uint_le(size, sizeof tmp);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);

        memcpy(tmp, p + (i - 1) * size, size);
        memcpy(p + (i - 1) * size, p + j * size, size);
        memcpy(p + j * size, tmp, size);
    }
}

/* A copy of make_segment's day with repeated rows, shuffled by seed. */
static struct segment *
messy_copy(const struct segment *s, uint64_t seed)
{
    struct segment *m = xcalloc(1, sizeof *m);
    struct rng r;

    rng_seed(&r, seed, 1, 0);
    *m = *s;
    m->n_exp = s->n_exp + s->n_exp / 4;
    m->exp = xmalloc(m->n_exp * sizeof *m->exp);
    memcpy(m->exp, s->exp, s->n_exp * sizeof *m->exp);
    for (size_t i = s->n_exp; i < m->n_exp; i++)
        m->exp[i] = s->exp[rng_below(&r, s->n_exp)];
    shuffle(m->exp, m->n_exp, sizeof *m->exp, &r);
    m->n_inter = s->n_inter * 2;
    m->inter = xmalloc(m->n_inter * sizeof *m->inter);
    memcpy(m->inter, s->inter, s->n_inter * sizeof *m->inter);
    memcpy(m->inter + s->n_inter, s->inter, s->n_inter * sizeof *m->inter);
    shuffle(m->inter, m->n_inter, sizeof *m->inter, &r);
    m->n_follows = s->n_follows + 1;
    m->follows = xmalloc(m->n_follows * sizeof *m->follows);
    memcpy(m->follows, s->follows, s->n_follows * sizeof *m->follows);
    m->follows[s->n_follows] = s->follows[0];
    shuffle(m->follows, m->n_follows, sizeof *m->follows, &r);
    m->n_users = s->n_users + 2;
    m->users = xmalloc(m->n_users * sizeof *m->users);
    memcpy(m->users, s->users, s->n_users * sizeof *m->users);
    m->users[s->n_users] = s->users[1];
    m->users[s->n_users + 1] = s->users[3];
    shuffle(m->users, m->n_users, sizeof *m->users, &r);
    m->items = xmalloc((s->n_items ? s->n_items : 1) * sizeof *m->items);
    memcpy(m->items, s->items, s->n_items * sizeof *m->items);
    shuffle(m->items, m->n_items, sizeof *m->items, &r);
    m->tags = xmalloc((s->n_tags ? s->n_tags : 1) * sizeof *m->tags);
    memcpy(m->tags, s->tags, s->n_tags * sizeof *m->tags);
    return m;
}

/* Field-wise equality (seg_exposure has padding that memcmp would see). */
static int
exp_eq(const void *pa, const void *pb)
{
    const struct seg_exposure *a = pa, *b = pb;

    return a->t == b->t && a->user == b->user && a->item == b->item
        && a->play_ms == b->play_ms && a->dur_ms == b->dur_ms
        && a->fb == b->fb;
}

/* Records without padding compare as bytes. */
static int
inter_eq(const void *pa, const void *pb)
{
    return memcmp(pa, pb, sizeof(struct seg_inter)) == 0;
}

static int
follow_eq(const void *pa, const void *pb)
{
    return memcmp(pa, pb, sizeof(struct seg_follow)) == 0;
}

static size_t
naive_distinct(const void *base, size_t n, size_t size,
               int (*eq)(const void *, const void *))
{
    const unsigned char *p = base;
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        size_t j = 0;

        while (j < i && !eq(p + j * size, p + i * size))
            j++;
        k += j == i;
    }
    return k;
}

START_TEST(test_segment_sort_canonical_and_dedup)
{
    const char *dir = test_tmpdir();
    char p1[4200], p2[4200];
    struct segment *s = make_segment(dates_from_civil(2026, 11, 5), 400, 2,
                                     9);
    struct segment *a = messy_copy(s, 1), *b = messy_copy(s, 2);
    struct segment_sort_stats st;
    struct diag d = DIAG_INIT;
    unsigned char *ba, *bb;
    size_t na, nb, want_exp = naive_distinct(s->exp, s->n_exp,
                                             sizeof *s->exp, exp_eq);

    segment_sort(a, &st);
    segment_sort(b, NULL);
    ck_assert_uint_eq(a->n_exp, want_exp);
    ck_assert_uint_eq(st.exp_dups, s->n_exp + s->n_exp / 4 - want_exp);
    ck_assert_uint_eq(a->n_inter, naive_distinct(s->inter, s->n_inter,
                                                 sizeof *s->inter,
                                                 inter_eq));
    ck_assert_uint_eq(st.inter_dups, 2 * s->n_inter - a->n_inter);
    ck_assert_uint_eq(a->n_follows, naive_distinct(s->follows, s->n_follows,
                                                   sizeof *s->follows,
                                                   follow_eq));
    ck_assert_uint_eq(a->n_users, s->n_users);
    ck_assert_uint_eq(st.user_dups, 2);
    ck_assert_uint_eq(st.item_dups, 0);
    /* Strictly increasing in the full order: sorted and no duplicates;
     * every row is one of the originals. */
    for (size_t i = 0; i < a->n_exp; i++) {
        size_t j = 0;

        if (i > 0)
            ck_assert_int_lt(cmp_exp(&a->exp[i - 1], &a->exp[i]), 1);
        if (i > 0 && cmp_exp(&a->exp[i - 1], &a->exp[i]) == 0)
            ck_assert(!exp_eq(&a->exp[i - 1], &a->exp[i]));
        while (j < s->n_exp && !exp_eq(&s->exp[j], &a->exp[i]))
            j++;
        ck_assert_uint_lt(j, s->n_exp);
    }
    for (size_t i = 1; i < a->n_users; i++)
        ck_assert_uint_lt(a->users[i - 1], a->users[i]);
    /* Items back in item order with the same tags. */
    ck_assert_uint_eq(a->n_items, s->n_items);
    ck_assert_uint_eq(a->n_tags, s->n_tags);
    for (size_t k = 0; k < s->n_items; k++) {
        ck_assert_uint_eq(a->items[k].item, s->items[k].item);
        ck_assert_uint_eq(a->items[k].n_tags, s->items[k].n_tags);
        for (uint32_t j = 0; j < s->items[k].n_tags; j++)
            ck_assert_uint_eq(a->tags[a->items[k].tag_off + j],
                              s->tags[s->items[k].tag_off + j]);
    }
    /* Two arrival orders, same bytes. */
    snprintf(p1, sizeof p1, "%s/a.bin", dir);
    snprintf(p2, sizeof p2, "%s/b.bin", dir);
    ck_assert_int_eq(segment_save(a, p1, &d), 0);
    ck_assert_int_eq(segment_save(b, p2, &d), 0);
    ba = test_read_file(p1, &na);
    bb = test_read_file(p2, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(ba, bb, na) == 0);
    free(ba);
    free(bb);
    segment_free(a);
    segment_free(b);
    segment_free(s);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_segment_sort_last_item_row_wins)
{
    struct segment s = { 0 };
    struct seg_item *it = xcalloc(4, sizeof *it);
    uint32_t *tags = xmalloc(5 * sizeof *tags);
    struct segment_sort_stats st;

    /* Rows: item 7 (tags 1,2), item 3 (tag 4), item 7 again (tag 3),
     * item 3 again (no tags). */
    tags[0] = 1; tags[1] = 2; tags[2] = 4; tags[3] = 3; tags[4] = 9;
    it[0] = (struct seg_item){ 7, 1, 100, 10, 0, 2 };
    it[1] = (struct seg_item){ 3, 2, 200, 20, 2, 1 };
    it[2] = (struct seg_item){ 7, 5, 300, 30, 3, 1 };
    it[3] = (struct seg_item){ 3, 6, 400, 40, 5, 0 };
    s.items = it;
    s.n_items = 4;
    s.tags = tags;
    s.n_tags = 5;
    segment_sort(&s, &st);
    ck_assert_uint_eq(st.item_dups, 2);
    ck_assert_uint_eq(s.n_items, 2);
    ck_assert_uint_eq(s.n_tags, 1);
    ck_assert_uint_eq(s.items[0].item, 3);
    ck_assert_uint_eq(s.items[0].creator, 6);
    ck_assert_uint_eq(s.items[0].n_tags, 0);
    ck_assert_uint_eq(s.items[1].item, 7);
    ck_assert_uint_eq(s.items[1].creator, 5);
    ck_assert_int_eq(s.items[1].upload_t, 300);
    ck_assert_uint_eq(s.items[1].tag_off, 0);
    ck_assert_uint_eq(s.items[1].n_tags, 1);
    ck_assert_uint_eq(s.tags[0], 3);
    free(s.items);
    free(s.tags);
}
END_TEST

START_TEST(test_segment_sort_empty_and_untagged)
{
    struct segment s = { 0 };
    struct segment_sort_stats st;
    const char *dir = test_tmpdir();
    char path[4200];
    struct diag d = DIAG_INIT;

    segment_sort(&s, &st);              /* every array NULL */
    ck_assert_uint_eq(st.exp_dups + st.inter_dups + st.follow_dups
                      + st.item_dups + st.user_dups, 0);
    ck_assert_uint_eq(segment_fold_feedback(&s), 0);
    free(s.items);
    free(s.tags);
    /* Item rows without any tags (tags NULL). */
    s = (struct segment){ 0 };
    s.items = xcalloc(2, sizeof *s.items);
    s.items[0].item = 4;
    s.items[1].item = 2;
    s.n_items = 2;
    segment_sort(&s, NULL);
    ck_assert_uint_eq(s.n_items, 2);
    ck_assert_uint_eq(s.n_tags, 0);
    ck_assert_uint_eq(s.items[0].item, 2);
    snprintf(path, sizeof path, "%s/segment.bin", dir);
    ck_assert_int_eq(segment_save(&s, path, &d), 0);
    free(s.items);
    free(s.tags);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_segment_fold_feedback_vs_naive)
{
    struct segment *s = make_segment(dates_from_civil(2026, 11, 6), 900, 0,
                                     0);
    struct seg_exposure *want;
    size_t hits = 0;

    /* Few items so that (user, item) pairs repeat; clear feedback. */
    for (size_t i = 0; i < s->n_exp; i++) {
        s->exp[i].item %= 4;
        s->exp[i].fb = 0;
    }
    for (size_t i = 0; i < s->n_inter; i++)
        s->inter[i].item %= 5;
    segment_sort(s, NULL);
    want = xmalloc(s->n_exp * sizeof *want);
    memcpy(want, s->exp, s->n_exp * sizeof *want);
    for (size_t i = 0; i < s->n_inter; i++) {
        const struct seg_inter *r = &s->inter[i];
        size_t best = SIZE_MAX;

        if (r->fb == 0)
            continue;
        for (size_t j = 0; j < s->n_exp; j++)
            if (want[j].user == r->user && want[j].item == r->item
                && want[j].t <= r->t
                && (best == SIZE_MAX || want[j].t >= want[best].t))
                best = j;
        if (best != SIZE_MAX) {
            want[best].fb |= r->fb;
            hits++;
        }
    }
    ck_assert_uint_gt(hits, 10);
    ck_assert_uint_eq(segment_fold_feedback(s), hits);
    for (size_t j = 0; j < s->n_exp; j++)
        ck_assert_uint_eq(s->exp[j].fb, want[j].fb);
    free(want);
    segment_free(s);
}
END_TEST

/* Run segment_write_tsv into memory; returns the text (caller frees). */
static char *
tsv_of(const struct segment *s, enum segment_section sec,
       const struct segment_names *names, int want_rc, struct diag *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    int rc;

    ck_assert_ptr_nonnull(fp);
    rc = segment_write_tsv(s, sec, names, fp, "day.bin", d);
    fclose(fp);
    ck_assert_int_eq(rc, want_rc);
    return buf;
}

START_TEST(test_segment_write_tsv_sections)
{
    struct seg_exposure exp[2] = {
        { 1700000000, 0, 1, 1500, 30000, FB_CLICK | FB_LONG_VIEW },
        { 1700000100, 1, 0, 0, 0, 0 }
    };
    struct seg_inter inter[1] = { { 1700000050, 0, 1, FB_LIKE, 2.5f } };
    uint32_t tags[2] = { 1, 0 };
    struct seg_item items[2] = {
        { 0, SEG_NONE, INT64_MIN, 0, 0, 0 },
        { 1, 0, 1699990000, 30000, 0, 2 }
    };
    struct seg_follow follows[1] = { { 1700000200, 1, 0 } };
    uint32_t users[1] = { 1 };
    struct segment s = {
        dates_from_civil(2023, 11, 14), 3600, 2, 1, 2, 2, 1, 1,
        exp, inter, items, tags, follows, users, 2, 1
    };
    struct iddict *u = iddict_new(), *it = iddict_new();
    struct iddict *cr = iddict_new(), *tg = iddict_new();
    struct segment_names names = { u, it, cr, tg };
    struct diag d = DIAG_INIT;
    char *t;

    iddict_add(u, "alice", 5);
    iddict_add(u, "bob", 3);
    iddict_add(it, "v0", 2);
    iddict_add(it, "v1", 2);
    iddict_add(cr, "c0", 2);
    iddict_add(tg, "funny", 5);
    iddict_add(tg, "cats", 4);

    t = tsv_of(&s, SEGMENT_SUMMARY, NULL, 0, &d);
    ck_assert_str_eq(t, "day\t2023-11-14\nzone_offset\t3600\n"
                     "exposures\t2\ninteractions\t1\nitems\t2\n"
                     "tags\t2\nfollows\t1\nusers\t1\n");
    free(t);
    t = tsv_of(&s, SEGMENT_EXPOSURES, &names, 0, &d);
    ck_assert_str_eq(t, "t\tuser\titem\tplay_ms\tdur_ms\tfeedback\n"
                     "1700000000\talice\tv1\t1500\t30000\t"
                     "click,long_view\n"
                     "1700000100\tbob\tv0\t0\t0\t\n");
    free(t);
    t = tsv_of(&s, SEGMENT_EXPOSURES, NULL, 0, &d);
    ck_assert_str_eq(t, "t\tuser\titem\tplay_ms\tdur_ms\tfeedback\n"
                     "1700000000\t0\t1\t1500\t30000\tclick,long_view\n"
                     "1700000100\t1\t0\t0\t0\t\n");
    free(t);
    t = tsv_of(&s, SEGMENT_INTER, &names, 0, &d);
    ck_assert_str_eq(t, "t\tuser\titem\tevent\tvalue\n"
                     "1700000050\talice\tv1\tlike\t2.5\n");
    free(t);
    t = tsv_of(&s, SEGMENT_ITEMS, &names, 0, &d);
    ck_assert_str_eq(t, "item\tcreator\tupload_t\tdur_ms\ttags\n"
                     "v0\t-\t\t\t\n"
                     "v1\tc0\t1699990000\t30000\tcats,funny\n");
    free(t);
    t = tsv_of(&s, SEGMENT_FOLLOWS, &names, 0, &d);
    ck_assert_str_eq(t, "user\tcreator\tt\nbob\tc0\t1700000200\n");
    free(t);
    t = tsv_of(&s, SEGMENT_USERS, &names, 0, &d);
    ck_assert_str_eq(t, "user\nbob\n");
    free(t);

    /* An index its dictionary does not have. */
    follows[0].creator = 1;
    t = tsv_of(&s, SEGMENT_FOLLOWS, &names, -1, &d);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_str_eq(d.msg, "day.bin: follow creator 0: index '1' is not in "
                     "the dictionary (1 ids)");
    free(t);
    ck_assert_str_eq(segment_fb_name(FB_HATE), "hate");
    ck_assert_ptr_null(segment_fb_name(FB_LIKE | FB_CLICK));
    ck_assert_ptr_null(segment_fb_name(0));
    iddict_free(u);
    iddict_free(it);
    iddict_free(cr);
    iddict_free(tg);
}
END_TEST

Suite *
segment_suite(void)
{
    Suite *s = suite_create("segment");
    TCase *tf = tcase_create("file");
    TCase *tw = tcase_create("window");

    tcase_add_test(tf, test_segment_round_trip_and_resave);
    tcase_add_test(tf, test_segment_empty_round_trip);
    tcase_add_test(tf, test_segment_save_payload_vs_reference);
    tcase_add_test(tf, test_segment_path_names);
    tcase_add_test(tf, test_segment_missing_file);
    tcase_add_test(tf, test_segment_corrupt_files);
    tcase_add_test(tf, test_segment_inconsistent_payload);
    tcase_add_test(tw, test_segment_window_missing_day_and_catalog);
    tcase_add_test(tw, test_segment_window_errors);
    tcase_add_test(tw, test_segment_window_threads_identical);
    tcase_add_test(tw, test_segment_window_lazy_same_rows_and_errors);
    tcase_add_test(tw, test_segment_user_and_item_offsets_vs_naive);
    tcase_add_test(tw, test_segment_write_tsv_sections);
    tcase_add_test(tw, test_segment_sort_canonical_and_dedup);
    tcase_add_test(tw, test_segment_sort_last_item_row_wins);
    tcase_add_test(tw, test_segment_sort_empty_and_untagged);
    tcase_add_test(tw, test_segment_fold_feedback_vs_naive);
    suite_add_tcase(s, tf);
    suite_add_tcase(s, tw);
    return s;
}
