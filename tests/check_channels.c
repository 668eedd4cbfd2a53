/*
 * check_channels.c -- the retrieval channels and the merge on a tiny world
 * written as real segments (so the window reader, tower_data_from_window
 * and the channels meet the same bytes as in production).
 *
 * World (day 1 = 2024-03-01, day 2 = 2024-03-02):
 *   creators c0, c1; tags t0, t1
 *   day 1: items i0, i1 (c0, t0) and i2, i3 (c1, t1);
 *          u0..u3 like i0 and i1, u4..u7 like i2 and i3; u9 follows c0
 *   day 2: target i4 (c0, t0, uploaded): u0 likes it, u8 sees it (no
 *          feedback); target i5 appears only in an exposure (no metadata)
 */
#include <check.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "channels.h"
#include "check_common.h"
#include "dates.h"
#include "iddict.h"
#include "rng.h"
#include "segment.h"
#include "targets.h"
#include "tower.h"
#include "xmem.h"

#define DAY1 19783      /* 2024-03-01 */

struct tiny {
    char root[4096];
    struct iddict *dict[4];     /* users, items, creators, tags */
};

static uint32_t
id(struct iddict *d, const char *s)
{
    return iddict_add(d, s, strlen(s));
}

static void
add_exp(struct segment *s, size_t *cap, int64_t t, uint32_t u, uint32_t i,
        uint32_t fb)
{
    if (s->n_exp == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        s->exp = xreallocarray(s->exp, *cap, sizeof *s->exp);
    }
    memset(&s->exp[s->n_exp], 0, sizeof s->exp[0]);
    s->exp[s->n_exp].t = t;
    s->exp[s->n_exp].user = u;
    s->exp[s->n_exp].item = i;
    s->exp[s->n_exp].fb = fb;
    s->n_exp++;
}

static void
add_item(struct segment *s, uint32_t item, uint32_t creator, uint32_t tag,
         int64_t up)
{
    size_t k = s->n_items++;

    s->items = xreallocarray(s->items, s->n_items, sizeof *s->items);
    s->tags = xreallocarray(s->tags, s->n_tags + 1, sizeof *s->tags);
    s->items[k].item = item;
    s->items[k].creator = creator;
    s->items[k].upload_t = up;
    s->items[k].dur_ms = 30000;
    s->items[k].tag_off = (uint32_t)s->n_tags;
    s->items[k].n_tags = 1;
    s->tags[s->n_tags++] = tag;
}

static void
save_day(struct tiny *w, struct segment *s)
{
    struct diag d = DIAG_INIT;
    char *path = segment_path(w->root, s->day);
    char dir[4200];

    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdir(dir, 0777);
    segment_sort(s, NULL);
    ck_assert_msg(segment_save(s, path, &d) == 0, "%s", d.msg);
    free(path);
    segment_free(s);
}

static void
tiny_make(struct tiny *w)
{
    static const char *kinds[4] = { "users", "items", "creators", "tags" };
    struct diag d = DIAG_INIT;
    char name[16], dir[4200];
    uint32_t u[10], it[6], c0, c1, t0, t1;
    int64_t t1s = (int64_t)DAY1 * 86400 + 3600;

    snprintf(w->root, sizeof w->root, "%s", test_tmpdir());
    for (int k = 0; k < 4; k++)
        w->dict[k] = iddict_new();
    for (int k = 0; k < 10; k++) {
        snprintf(name, sizeof name, "u%d", k);
        u[k] = id(w->dict[0], name);
    }
    for (int k = 0; k < 6; k++) {
        snprintf(name, sizeof name, "i%d", k);
        it[k] = id(w->dict[1], name);
    }
    c0 = id(w->dict[2], "c0");
    c1 = id(w->dict[2], "c1");
    t0 = id(w->dict[3], "t0");
    t1 = id(w->dict[3], "t1");

    struct segment *s = xcalloc(1, sizeof *s);
    size_t cap = 0;
    s->day = DAY1;
    add_item(s, it[0], c0, t0, t1s - 7200);
    add_item(s, it[1], c0, t0, t1s - 7200);
    add_item(s, it[2], c1, t1, t1s - 7200);
    add_item(s, it[3], c1, t1, t1s - 7200);
    for (int k = 0; k < 8; k++) {
        uint32_t a = k < 4 ? it[0] : it[2], b = k < 4 ? it[1] : it[3];
        add_exp(s, &cap, t1s + k, u[k], a, FB_CLICK | FB_LIKE);
        add_exp(s, &cap, t1s + 100 + k, u[k], b, FB_LIKE);
        /* each user also saw one item of the other group, no feedback */
        add_exp(s, &cap, t1s + 200 + k, u[k], k < 4 ? it[3] : it[1], 0);
    }
    s->follows = xmalloc(sizeof *s->follows);
    s->follows[0].t = t1s;
    s->follows[0].user = u[9];
    s->follows[0].creator = c0;
    s->n_follows = 1;
    save_day(w, s);

    s = xcalloc(1, sizeof *s);
    cap = 0;
    s->day = DAY1 + 1;
    add_item(s, it[4], c0, t0, t1s + 86400);
    add_exp(s, &cap, t1s + 86400 + 60, u[0], it[4], FB_LIKE);
    add_exp(s, &cap, t1s + 86400 + 61, u[8], it[4], 0);
    add_exp(s, &cap, t1s + 86400 + 62, u[8], it[5], 0);
    add_exp(s, &cap, t1s + 86400 + 63, u[1], it[0], FB_LIKE);
    save_day(w, s);

    snprintf(dir, sizeof dir, "%s/dict", w->root);
    mkdir(dir, 0777);
    for (int k = 0; k < 4; k++) {
        char *path = segment_dict_path(w->root, kinds[k]);
        ck_assert_msg(iddict_save(w->dict[k], path, &d) == 0, "%s", d.msg);
        free(path);
    }
}

static void
tiny_free(struct tiny *w)
{
    for (int k = 0; k < 4; k++)
        iddict_free(w->dict[k]);
    test_rmtree(w->root);
}

static struct tower *
tiny_tower(const struct window *win)
{
    struct tower_params p = tower_default_params();
    struct tower_trainer *tr;
    struct diag d = DIAG_INIT;
    double loss;

    p.dim = 8;
    p.epochs = 4;
    struct tower_data *x = tower_data_from_window(win, &p);
    ck_assert_int_eq(tower_trainer_new(x, &win->cat,
                                       iddict_count(win->creators),
                                       iddict_count(win->tags), &p, NULL, &tr,
                                       &d), 0);
    for (uint32_t e = 0; e < p.epochs; e++)
        tower_trainer_epoch(tr, &loss);
    struct tower *t = tower_trainer_finish(tr, win->last_day);
    tower_data_free(x);
    return t;
}

static int
has_user(const struct cands *c, size_t k, uint32_t u, unsigned *bits)
{
    for (size_t j = c->off[k]; j < c->off[k + 1]; j++)
        if (c->user[j] == u) {
            if (bits)
                *bits = c->channels[j];
            return 1;
        }
    return 0;
}

START_TEST(test_channels_window_observations)
{
    struct tiny w;
    struct window *win;
    struct diag d = DIAG_INIT;
    struct tower_params p = tower_default_params();

    p.neg_weight = 0.5f;        /* exposures without feedback count */
    tiny_make(&w);
    ck_assert_msg(window_open(w.root, DAY1 + 1, 2, 0, &win, &d) == 0, "%s",
                  d.msg);
    struct tower_data *x = tower_data_from_window(win, &p);
    /* 8 users x 3 exposures on day 1, plus day 2's 4 rows; u1/i0 is seen on
     * both days and merges into one pair. */
    ck_assert_uint_eq(x->n, 24 + 4 - 1);
    ck_assert_uint_eq(x->n_pos, 16 + 1);
    /* u0 (index 0): i0 like+click, i1 like, i3 negative, i4 like. */
    ck_assert_uint_eq(x->uoff[1], 4);
    ck_assert_float_eq(x->uval[0], 1 + p.alpha * (p.fb_weight[0]
                                                   + p.fb_weight[1]));
    ck_assert_float_eq(x->uval[2], -(p.w0 + p.neg_weight));
    tower_data_free(x);
    /* Off by default: only the 17 positives remain. */
    p.neg_weight = 0.0f;
    x = tower_data_from_window(win, &p);
    ck_assert_uint_eq(x->n, 17);
    tower_data_free(x);
    window_free(win);
    tiny_free(&w);
}
END_TEST

START_TEST(test_channels_each_channel_finds_its_users)
{
    struct tiny w;
    struct window *win;
    struct diag d = DIAG_INIT;
    struct cands *c;
    struct channels_stats st;
    uint32_t targets[2];
    unsigned bits;

    tiny_make(&w);
    ck_assert(window_open(w.root, DAY1 + 1, 2, 0, &win, &d) == 0);
    struct tower *t = tiny_tower(win);
    struct channels_params p = channels_default_params();
    targets[0] = iddict_find(win->items, "i4", 2);
    targets[1] = iddict_find(win->items, "i5", 2);
    ck_assert_msg(channels_generate_stats(win, t, &p, targets, 2, NULL, &c,
                                          &st, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(c->n_items, 2);
    ck_assert_uint_eq(c->items[0], targets[0]);
    /* Exposed users never come back: u0 (engaged) and u8 (saw it). */
    ck_assert(!has_user(c, 0, 0, NULL));
    ck_assert(!has_user(c, 0, 8, NULL));
    /* i4's creator audience: u1..u3 engaged with c0's items, u9 follows. */
    for (uint32_t u = 1; u <= 3; u++) {
        ck_assert(has_user(c, 0, u, &bits));
        ck_assert(bits & CH_CREATOR);
        ck_assert(bits & CH_I2I2U);
    }
    ck_assert(has_user(c, 0, 9, &bits));
    ck_assert(bits & CH_CREATOR);
    ck_assert(!(bits & CH_I2I2U));
    /* The tower ranks c0's audience above c1's for i4. */
    {
        float best_in = -1e30f, best_out = -1e30f;
        for (size_t j = c->off[0]; j < c->off[1]; j++) {
            uint32_t u = c->user[j];
            if (u >= 1 && u <= 3 && c->retr[j] > best_in)
                best_in = c->retr[j];
            if (u >= 4 && u <= 7 && c->retr[j] > best_out)
                best_out = c->retr[j];
        }
        ck_assert(best_in > best_out);
    }
    /* Users are distinct and sorted by retr within a target. */
    for (size_t k = 0; k < 2; k++)
        for (size_t j = c->off[k] + 1; j < c->off[k + 1]; j++) {
            ck_assert(c->retr[j - 1] >= c->retr[j]);
            for (size_t a = c->off[k]; a < j; a++)
                ck_assert_uint_ne(c->user[a], c->user[j]);
        }
    /* i5 has no metadata: the tower still serves it, and stats say so. */
    ck_assert_uint_gt(c->off[2] - c->off[1], 0);
    ck_assert_uint_eq(st.no_features, 1);
    ck_assert_uint_eq(st.no_creator, 1);
    ck_assert_uint_eq(st.no_engagers, 1);
    /* i2i2u serves i5 too: its one exposure gave it an id vector. */
    ck_assert_uint_eq(st.served[1], 2);
    ck_assert_uint_eq(st.served[3], 1);     /* creator: only i4 */
    ck_assert_uint_eq(st.served[0], 2);
    ck_assert_uint_eq(st.empty, 0);
    cands_free(c);

    /* i2u2u: u0 engaged with i4, and u1..u3 share u0's taste. */
    ck_assert(channels_one(win, t, &p, CH_I2U2U, 3, targets, 1, NULL, &c,
                           &d) == 0);
    ck_assert_uint_eq(c->off[1], 3);
    for (size_t j = 0; j < 3; j++) {
        ck_assert(c->user[j] >= 1 && c->user[j] <= 3);
        ck_assert_uint_eq(c->channels[j], CH_I2U2U);
    }
    cands_free(c);

    /* Eligibility: nobody but u2 may be chosen. */
    uint8_t elig[10] = { 0 };
    elig[2] = 1;
    ck_assert(channels_generate(win, t, &p, targets, 2, elig, &c, &d) == 0);
    ck_assert_uint_eq(c->off[1], 1);
    ck_assert_uint_eq(c->user[0], 2);
    ck_assert_uint_eq(c->off[2], 2);
    cands_free(c);
    tower_free(t);
    window_free(win);
    tiny_free(&w);
}
END_TEST

START_TEST(test_channels_quotas_and_k)
{
    struct tiny w;
    struct window *win;
    struct diag d = DIAG_INIT;
    struct cands *c;
    uint32_t target;

    tiny_make(&w);
    ck_assert(window_open(w.root, DAY1 + 1, 2, 0, &win, &d) == 0);
    struct tower *t = tiny_tower(win);
    struct channels_params p = channels_default_params();
    target = iddict_find(win->items, "i4", 2);
    /* k = 2 with the creator channel first in line: two creator users. */
    p.k = 2;
    memset(p.quota, 0, sizeof p.quota);
    p.quota[3] = 2;
    ck_assert(channels_generate(win, t, &p, &target, 1, NULL, &c, &d) == 0);
    ck_assert_uint_eq(c->off[1], 2);
    for (size_t j = 0; j < 2; j++)
        ck_assert(c->channels[j] & CH_CREATOR);
    cands_free(c);
    /* Quotas above k shrink in proportion: 3 of tower, 1 of creator. */
    p.k = 4;
    p.quota[0] = 300;
    p.quota[1] = 0;
    p.quota[2] = 0;
    p.quota[3] = 100;
    ck_assert(channels_generate(win, t, &p, &target, 1, NULL, &c, &d) == 0);
    ck_assert_uint_eq(c->off[1], 4);
    {
        unsigned n_creator = 0;
        for (size_t j = 0; j < 4; j++)
            n_creator += (c->channels[j] & CH_CREATOR) != 0;
        ck_assert_uint_ge(n_creator, 1);
    }
    cands_free(c);
    memset(p.quota, 0, sizeof p.quota);
    /* Zero quotas still fill k from the channels in turn. */
    p.k = 5;
    p.quota[3] = 0;
    ck_assert(channels_generate(win, t, &p, &target, 1, NULL, &c, &d) == 0);
    ck_assert_uint_eq(c->off[1], 5);
    cands_free(c);
    /* A target outside the catalog is refused. */
    target = 1000;
    ck_assert_int_eq(channels_generate(win, t, &p, &target, 1, NULL, &c, &d),
                     -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_str_eq(d.msg, "target item 1000 not in the catalog (6 items)");
    tower_free(t);
    window_free(win);
    tiny_free(&w);
}
END_TEST

START_TEST(test_channels_empty_window_still_serves_the_tower)
{
    struct tiny w;
    struct window *win, *empty;
    struct diag d = DIAG_INIT;
    struct cands *c;
    struct channels_stats st;
    uint32_t targets[2] = { 4, 5 };

    tiny_make(&w);
    ck_assert(window_open(w.root, DAY1 + 1, 2, 0, &win, &d) == 0);
    struct tower *t = tiny_tower(win);
    /* Days with no segment at all: only the dictionaries exist. */
    ck_assert(window_open(w.root, DAY1 + 30, 3, 0, &empty, &d) == 0);
    ck_assert_int_eq(empty->n_missing, 3);
    struct channels_params p = channels_default_params();
    ck_assert(channels_generate_stats(empty, t, &p, targets, 2, NULL, &c,
                                      &st, &d) == 0);
    ck_assert_int_eq(st.days_loaded, 0);
    ck_assert_uint_eq(st.no_features, 2);
    ck_assert_uint_eq(st.served[0], 2);
    ck_assert_uint_eq(st.served[1] + st.served[2] + st.served[3], 0);
    ck_assert_uint_eq(c->off[1], 10);       /* every user, nobody exposed */
    ck_assert_uint_eq(c->off[2], 20);
    cands_free(c);
    window_free(empty);
    tower_free(t);
    window_free(win);
    tiny_free(&w);
}
END_TEST

START_TEST(test_channels_same_bytes_one_and_two_threads)
{
    struct tiny w;
    struct window *win;
    struct diag d = DIAG_INIT;
    struct cands *a, *b;
    uint32_t targets[3] = { 4, 5, 0 };
    int saved = omp_get_max_threads();

    tiny_make(&w);
    ck_assert(window_open(w.root, DAY1 + 1, 2, 0, &win, &d) == 0);
    omp_set_num_threads(1);
    struct tower *t1 = tiny_tower(win);
    struct channels_params p = channels_default_params();
    ck_assert(channels_generate(win, t1, &p, targets, 3, NULL, &a, &d) == 0);
    omp_set_num_threads(2);
    struct tower *t2 = tiny_tower(win);
    ck_assert(channels_generate(win, t2, &p, targets, 3, NULL, &b, &d) == 0);
    omp_set_num_threads(saved);
    ck_assert_uint_eq(a->n, b->n);
    ck_assert(memcmp(a->off, b->off, 4 * sizeof *a->off) == 0);
    ck_assert(memcmp(a->user, b->user, a->n * sizeof *a->user) == 0);
    ck_assert(memcmp(a->channels, b->channels, a->n) == 0);
    ck_assert(memcmp(a->retr, b->retr, a->n * sizeof *a->retr) == 0);
    cands_free(a);
    cands_free(b);
    tower_free(t1);
    tower_free(t2);
    window_free(win);
    tiny_free(&w);
}
END_TEST

/*
 * A random world on disk for the lazy/eager comparison: NDAYS days (one
 * of them missing), 80 users, 60 items with creators and tags, exposures
 * with random feedback, interaction rows (hate among them) and follows.
 */
#define RW_DAYS 9
#define RW_USERS 80
#define RW_ITEMS 60

static void
random_world(struct tiny *w, uint64_t seed)
{
    static const char *kinds[4] = { "users", "items", "creators", "tags" };
    static const uint32_t fbs[] = { 0, 0, 0, FB_CLICK, FB_CLICK | FB_LIKE,
                                    FB_LONG_VIEW, FB_COMMENT, FB_SHARE,
                                    FB_HATE, FB_CLICK | FB_FOLLOW };
    /* an interaction row carries one bit (or 0, an unknown event) */
    static const uint32_t ifbs[] = { 0, FB_CLICK, FB_LIKE, FB_COMMENT,
                                     FB_FOLLOW, FB_SHARE, FB_LONG_VIEW,
                                     FB_HATE };
    struct diag d = DIAG_INIT;
    struct rng r;
    char name[16], dir[4200];

    rng_seed(&r, seed, 7, 0);
    snprintf(w->root, sizeof w->root, "%s", test_tmpdir());
    for (int k = 0; k < 4; k++)
        w->dict[k] = iddict_new();
    for (int k = 0; k < RW_USERS; k++) {
        snprintf(name, sizeof name, "u%d", k);
        id(w->dict[0], name);
    }
    for (int k = 0; k < RW_ITEMS; k++) {
        snprintf(name, sizeof name, "i%d", k);
        id(w->dict[1], name);
    }
    for (int k = 0; k < 6; k++) {
        snprintf(name, sizeof name, "c%d", k);
        id(w->dict[2], name);
    }
    for (int k = 0; k < 5; k++) {
        snprintf(name, sizeof name, "t%d", k);
        id(w->dict[3], name);
    }
    for (int day = 0; day < RW_DAYS; day++) {
        struct segment *s;
        size_t cap = 0, ni;
        int64_t t0 = (int64_t)(DAY1 + day) * 86400;

        if (day == 4)
            continue;                   /* a missing day */
        s = xcalloc(1, sizeof *s);
        s->day = DAY1 + day;
        /* items uploaded this day: 60 / RW_DAYS of them, then reruns */
        for (uint32_t i = (uint32_t)day * 6; i < (uint32_t)day * 6 + 6
             && i < RW_ITEMS; i++)
            add_item(s, i, (uint32_t)rng_below(&r, 6),
                     (uint32_t)rng_below(&r, 5), t0 + 600);
        ni = (size_t)day * 6 + 6 < RW_ITEMS ? (size_t)day * 6 + 6 : RW_ITEMS;
        for (int e = 0; e < 400; e++)
            add_exp(s, &cap, t0 + 1000 + e,
                    (uint32_t)rng_below(&r, RW_USERS),
                    (uint32_t)rng_below(&r, ni),
                    fbs[rng_below(&r, sizeof fbs / sizeof fbs[0])]);
        s->n_inter = 60;
        s->inter = xcalloc(s->n_inter, sizeof *s->inter);
        for (size_t j = 0; j < s->n_inter; j++) {
            s->inter[j].t = t0 + 3000 + (int64_t)j;
            s->inter[j].user = (uint32_t)rng_below(&r, RW_USERS);
            s->inter[j].item = (uint32_t)rng_below(&r, ni);
            s->inter[j].fb = ifbs[rng_below(&r, sizeof ifbs
                                                / sizeof ifbs[0])];
        }
        s->n_follows = 5;
        s->follows = xcalloc(s->n_follows, sizeof *s->follows);
        for (size_t j = 0; j < s->n_follows; j++) {
            s->follows[j].t = t0 + 5000 + (int64_t)j;
            s->follows[j].user = (uint32_t)rng_below(&r, RW_USERS);
            s->follows[j].creator = (uint32_t)rng_below(&r, 6);
        }
        save_day(w, s);
    }
    snprintf(dir, sizeof dir, "%s/dict", w->root);
    mkdir(dir, 0777);
    for (int k = 0; k < 4; k++) {
        char *path = segment_dict_path(w->root, kinds[k]);
        ck_assert_msg(iddict_save(w->dict[k], path, &d) == 0, "%s", d.msg);
        free(path);
    }
}

static void
assert_same_cands(const struct cands *a, const struct cands *b)
{
    ck_assert_uint_eq(a->n_items, b->n_items);
    ck_assert_uint_eq(a->n, b->n);
    ck_assert(memcmp(a->items, b->items, a->n_items * sizeof *a->items)
              == 0);
    ck_assert(memcmp(a->off, b->off, (a->n_items + 1) * sizeof *a->off)
              == 0);
    ck_assert(memcmp(a->user, b->user, a->n * sizeof *a->user) == 0);
    ck_assert(memcmp(a->channels, b->channels, a->n) == 0);
    ck_assert(memcmp(a->retr, b->retr, a->n * sizeof *a->retr) == 0);
}

/* Items with a positive observation in the last r days: what the i2i2u
 * pool (stats pool_items) must count, read with tower_data_from_window on
 * the window's tail, the reader the channels used before they read one
 * day at a time. */
static size_t
pool_brute(const struct window *eager, int r)
{
    struct window tail = *eager;
    struct tower_params tp = tower_default_params();
    size_t n = 0;

    tp.neg_weight = 0;
    tp.hate_weight = 0;
    tail.seg = eager->seg + (eager->n_days - r);
    tail.n_days = r;
    struct tower_data *x = tower_data_from_window(&tail, &tp);
    for (uint32_t i = 0; i < x->n_items; i++)
        n += x->ioff[i + 1] > x->ioff[i];
    tower_data_free(x);
    return n;
}

/* A lazy window (one day's rows at a time) gives the same candidates,
 * stats and targets as the eager one, for every recent_days, with and
 * without interaction rows and an eligibility mask. */
START_TEST(test_channels_lazy_window_same_candidates)
{
    static const uint32_t recent[] = { 1, 3, 7, 30 };
    struct tiny w;
    struct diag d = DIAG_INIT;
    uint8_t elig[RW_USERS];
    uint32_t targets[RW_ITEMS];
    struct rng r;

    random_world(&w, 3);
    rng_seed(&r, 3, 8, 0);
    for (int u = 0; u < RW_USERS; u++)
        elig[u] = rng_below(&r, 4) != 0;
    for (int flavour = 0; flavour < 2; flavour++) {
        unsigned fl = flavour ? WINDOW_NO_INTER : 0;
        struct window *we, *wl;

        ck_assert_msg(window_open(w.root, DAY1 + RW_DAYS - 1, RW_DAYS, fl,
                                  &we, &d) == 0, "%s", d.msg);
        ck_assert_msg(window_open(w.root, DAY1 + RW_DAYS - 1, RW_DAYS,
                                  fl | WINDOW_LAZY, &wl, &d) == 0, "%s",
                      d.msg);
        ck_assert_int_eq(we->n_missing, 1);
        ck_assert_uint_eq(wl->seg[RW_DAYS - 1]->n_exp, 0);  /* not resident */
        struct tower *t = tiny_tower(we);

        /* targets: the window rule, eager and lazy alike */
        struct targets te, tl;
        ck_assert_int_eq(targets_window(&te, we, DAY1 + RW_DAYS - 1, 30,
                                        &d), 0);
        ck_assert_int_eq(targets_window(&tl, wl, DAY1 + RW_DAYS - 1, 30,
                                        &d), 0);
        ck_assert_uint_gt(te.n_new, 0);
        ck_assert_uint_gt(te.n_long_tail, 0);
        ck_assert_uint_eq(te.n, tl.n);
        ck_assert_uint_eq(te.n_new, tl.n_new);
        ck_assert(memcmp(te.item, tl.item, te.n * sizeof *te.item) == 0);
        ck_assert(memcmp(te.exposures, tl.exposures,
                         te.n * sizeof *te.exposures) == 0);
        ck_assert(memcmp(te.long_tail, tl.long_tail, te.n) == 0);
        targets_release(&te);
        targets_release(&tl);

        /* every item as a target, one repeated */
        for (uint32_t i = 0; i < RW_ITEMS; i++)
            targets[i] = (i * 7) % RW_ITEMS;
        targets[5] = targets[4];
        for (size_t q = 0; q < sizeof recent / sizeof recent[0]; q++) {
            struct channels_params p = channels_default_params();
            struct channels_stats se, sl;
            struct cands *ce, *cl;
            int rr = (int)recent[q] < we->n_days ? (int)recent[q]
                                                 : we->n_days;

            p.k = 30;
            p.recent_days = recent[q];
            for (int m = 0; m < 2; m++) {
                const uint8_t *el = m ? elig : NULL;

                ck_assert_msg(channels_generate_stats(we, t, &p, targets,
                                                      RW_ITEMS, el, &ce, &se,
                                                      &d) == 0, "%s", d.msg);
                ck_assert_msg(channels_generate_stats(wl, t, &p, targets,
                                                      RW_ITEMS, el, &cl, &sl,
                                                      &d) == 0, "%s", d.msg);
                ck_assert_uint_gt(ce->n, 0);
                assert_same_cands(ce, cl);
                ck_assert(memcmp(&se, &sl, sizeof se) == 0);
                ck_assert_uint_gt(se.pool_items, 0);
                ck_assert_uint_eq(se.pool_items, pool_brute(we, rr));
                cands_free(ce);
                cands_free(cl);
            }
        }
        tower_free(t);
        window_free(we);
        window_free(wl);
    }
    tiny_free(&w);
}
END_TEST

Suite *
channels_suite(void)
{
    Suite *s = suite_create("channels");
    TCase *tc = tcase_create("channels");

    tcase_add_test(tc, test_channels_window_observations);
    tcase_add_test(tc, test_channels_each_channel_finds_its_users);
    tcase_add_test(tc, test_channels_quotas_and_k);
    tcase_add_test(tc, test_channels_empty_window_still_serves_the_tower);
    tcase_add_test(tc, test_channels_same_bytes_one_and_two_threads);
    tcase_add_test(tc, test_channels_lazy_window_same_candidates);
    suite_add_tcase(s, tc);
    return s;
}
