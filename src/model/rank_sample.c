/*
 * rank_sample.c -- the days as the ranker learns from them (rank_int.h,
 * struct rank_view): a day with exposures as it is; a day with
 * interactions but no exposures (ratings-only logs, such as MovieLens)
 * as samples made from its interactions, with sampled negatives.
 *
 * A day without exposures gets one exposure per (user, item) it has
 * interactions for, at the earliest of their times, with feedback
 * FB_CLICK ("interacted") OR-ed with the interactions' feedback (so a
 * rating >= the ingest's --value-event threshold is a like, others an
 * exposure without like), and RANK_NEG_PER_POS negatives per such
 * positive: items drawn by popularity (interactions in the window) among
 * the items the user has no interaction with anywhere in the window, at
 * the positive's time, with no feedback.  Draws come from
 * rng_seed(seed, RANK_NEG_STAGE, day << 32 | positive's index in the day),
 * in one sequential pass per day, so the samples depend on the seed and
 * the window, never on the thread count.  A draw that hits an item of the
 * user is drawn again, up to RANK_NEG_TRIES times, then given up (for a
 * user who touched nearly every item).
 *
 * The same view serves training and the scoring context (rank_train,
 * rank_context_build), so the statistics a model was trained on are the
 * statistics it scores with.
 */
#include <stdlib.h>
#include <string.h>

#include "rank_int.h"
#include "rng.h"
#include "xmem.h"

#define RANK_NEG_STAGE 0x6e6567ull      /* "neg" */
#define RANK_NEG_TRIES 8

struct negs {
    uint32_t *item;             /* items with interactions ... */
    uint64_t *cum;              /* ... and cumulative interaction counts */
    uint32_t n;
    uint64_t *pair;             /* sorted unique user << 32 | item */
    size_t n_pair;
};

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static int
cmp_exp(const void *a, const void *b)
{
    return seg_exposure_cmp(a, b);
}

/* (user, item, t) order, for merging a day's interactions by pair. */
static int
cmp_pair_t(const void *a, const void *b)
{
    const struct seg_exposure *x = a, *y = b;

    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    if (x->item != y->item)
        return x->item < y->item ? -1 : 1;
    return x->t < y->t ? -1 : x->t > y->t;
}

void
rank_day_rows(const struct window *w, int k, size_t *n_exp, size_t *n_inter)
{
    const struct segment *s = k >= 0 && k < w->n_days ? w->seg[k] : NULL;

    *n_exp = *n_inter = 0;
    if (s == NULL)
        return;
    if (!(w->flags & WINDOW_LAZY)) {
        *n_exp = s->n_exp;
        *n_inter = s->n_inter;
        return;
    }
    if (!(w->flags & WINDOW_NO_EXP))
        *n_exp = s->n_exp_file;
    if (!(w->flags & WINDOW_NO_INTER))
        *n_inter = s->n_inter_file;
}

/* Whether day k is learnt from as samples of its interactions. */
static int
day_is_bare(const struct window *w, int k)
{
    size_t ne, ni;

    rank_day_rows(w, k, &ne, &ni);
    return ne == 0 && ni > 0;
}

static void
negs_release(struct negs *ng)
{
    free(ng->item);
    free(ng->cum);
    free(ng->pair);
    memset(ng, 0, sizeof *ng);
}

/* Add the interactions of one day to the counts and the pair list. */
static void
negs_add(struct negs *ng, size_t *cap, uint64_t *cnt, uint32_t n_items,
         const struct segment *s)
{
    if (ng->n_pair + s->n_inter > *cap) {
        *cap = (ng->n_pair + s->n_inter) * 2;
        ng->pair = xreallocarray(ng->pair, *cap, sizeof *ng->pair);
    }
    for (size_t j = 0; j < s->n_inter; j++) {
        if (s->inter[j].item < n_items)
            cnt[s->inter[j].item]++;
        ng->pair[ng->n_pair++] = (uint64_t)s->inter[j].user << 32
                               | s->inter[j].item;
    }
}

/* Sort and unique the pairs, and the popularity table from cnt. */
static void
negs_finish(struct negs *ng, const uint64_t *cnt, uint32_t n_items)
{
    size_t m = ng->n_pair;

    qsort(ng->pair, m, sizeof *ng->pair, cmp_u64);
    ng->n_pair = 0;
    for (size_t j = 0; j < m; j++)
        if (ng->n_pair == 0 || ng->pair[ng->n_pair - 1] != ng->pair[j])
            ng->pair[ng->n_pair++] = ng->pair[j];
    ng->item = xmalloc((n_items ? n_items : 1) * sizeof *ng->item);
    ng->cum = xmalloc((n_items ? n_items : 1) * sizeof *ng->cum);
    for (uint32_t i = 0; i < n_items; i++)
        if (cnt[i] > 0) {
            ng->item[ng->n] = i;
            ng->cum[ng->n] = (ng->n ? ng->cum[ng->n - 1] : 0) + cnt[i];
            ng->n++;
        }
}

/* The negatives' tables over every interaction of the window, one day's
 * rows read at a time. */
static int
negs_build(struct negs *ng, const struct window *w, uint32_t n_items,
           struct diag *d)
{
    uint64_t *cnt = xcalloc(n_items ? n_items : 1, sizeof *cnt);
    size_t cap = 1;

    memset(ng, 0, sizeof *ng);
    ng->pair = xmalloc(sizeof *ng->pair);
    for (int k = 0; k < w->n_days; k++) {
        struct day_ref day;
        size_t ne, ni;

        rank_day_rows(w, k, &ne, &ni);
        if (ni == 0)
            continue;
        if (window_get_day(w, k, WINDOW_NO_EXP, &day, d) < 0) {
            free(cnt);
            negs_release(ng);
            return -1;
        }
        if (day.seg != NULL)
            negs_add(ng, &cap, cnt, n_items, day.seg);
        window_put_day(&day);
    }
    negs_finish(ng, cnt, n_items);
    free(cnt);
    return 0;
}

static int
has_pair(const struct negs *ng, uint32_t u, uint32_t i)
{
    uint64_t key = (uint64_t)u << 32 | i;
    size_t lo = 0, hi = ng->n_pair;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ng->pair[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ng->n_pair && ng->pair[lo] == key;
}

/* An item by popularity: the first with cum > r. */
static uint32_t
draw_item(const struct negs *ng, struct rng *r)
{
    uint64_t x = rng_below(r, ng->cum[ng->n - 1]);
    size_t lo = 0, hi = ng->n - 1;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ng->cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return ng->item[lo];
}

/* The samples of a day without exposures (a new segment sharing every
 * array but exp with seg). */
static struct segment *
sample_day(const struct negs *ng, const struct segment *seg, uint64_t seed)
{
    struct segment *c = xmalloc(sizeof *c);
    struct seg_exposure *e;
    size_t n = 0, m = 0, out;

    *c = *seg;
    e = xmalloc((seg->n_inter * (1 + RANK_NEG_PER_POS) + 1) * sizeof *e);
    for (size_t j = 0; j < seg->n_inter; j++) {
        memset(&e[n], 0, sizeof e[n]);
        e[n].user = seg->inter[j].user;
        e[n].item = seg->inter[j].item;
        e[n].t = seg->inter[j].t;
        e[n].fb = FB_CLICK | seg->inter[j].fb;
        n++;
    }
    qsort(e, n, sizeof *e, cmp_pair_t);
    for (size_t j = 0; j < n; j++) {
        if (m > 0 && e[m - 1].user == e[j].user
            && e[m - 1].item == e[j].item) {
            e[m - 1].fb |= e[j].fb;     /* the earliest time is kept */
            continue;
        }
        e[m++] = e[j];
    }
    out = m;
    for (size_t j = 0; j < m && ng->n > 0; j++) {
        struct rng r;

        rng_seed(&r, seed, RANK_NEG_STAGE,
                 (uint64_t)(uint32_t)seg->day << 32 | (uint64_t)j);
        for (int q = 0; q < RANK_NEG_PER_POS; q++) {
            for (int tries = 0; tries < RANK_NEG_TRIES; tries++) {
                uint32_t i = draw_item(ng, &r);

                if (has_pair(ng, e[j].user, i))
                    continue;
                memset(&e[out], 0, sizeof e[out]);
                e[out].user = e[j].user;
                e[out].item = i;
                e[out].t = e[j].t;
                out++;
                break;
            }
        }
    }
    qsort(e, out, sizeof *e, cmp_exp);
    m = 0;
    for (size_t j = 0; j < out; j++)
        if (m == 0 || seg_exposure_cmp(&e[m - 1], &e[j]) != 0)
            e[m++] = e[j];
    c->exp = e;
    c->n_exp = m;
    return c;
}

int
rank_view_init(struct rank_view *v, const struct window *w, uint64_t seed,
               struct diag *d)
{
    int need = 0;

    memset(v, 0, sizeof *v);
    v->w = w;
    v->seed = seed;
    for (int k = 0; k < w->n_days; k++)
        if (day_is_bare(w, k)) {
            need = 1;
            v->n_sampled_days++;
        }
    /*
     * The users of a sampled day are its interactions' users; a window
     * assembled by hand may hold indices past its dictionaries, which the
     * context must then cover (rank_ctx_new).  window_open's windows hold
     * none, so a lazy window needs no read for this.
     */
    if (!(w->flags & WINDOW_LAZY))
        for (int k = 0; k < w->n_days; k++) {
            const struct segment *s = w->seg[k];

            if (!day_is_bare(w, k))
                continue;
            for (size_t j = 0; j < s->n_inter; j++)
                if (s->inter[j].user != SEG_NONE
                    && s->inter[j].user >= v->n_users_min)
                    v->n_users_min = s->inter[j].user + 1;
        }
    if (!need)
        return 0;
    v->ng = xcalloc(1, sizeof *v->ng);
    if (negs_build(v->ng, w, w->cat.n_items, d) < 0) {
        free(v->ng);
        memset(v, 0, sizeof *v);
        return -1;
    }
    return 0;
}

void
rank_view_release(struct rank_view *v)
{
    if (v->ng != NULL) {
        negs_release(v->ng);
        free(v->ng);
    }
    memset(v, 0, sizeof *v);
}

int
rank_view_get_day(const struct rank_view *v, int k, struct rank_day *day,
                  struct diag *d)
{
    int bare = day_is_bare(v->w, k);

    memset(day, 0, sizeof *day);
    /* the ranker reads exposures, follows and items; interactions only of
     * a day it learns from as samples */
    if (window_get_day(v->w, k, bare ? WINDOW_NO_EXP : WINDOW_NO_INTER,
                       &day->ref, d) < 0)
        return -1;
    day->seg = day->ref.seg;
    if (bare && day->seg != NULL) {
        day->own = sample_day(v->ng, day->ref.seg, v->seed);
        day->seg = day->own;
    }
    return 0;
}

void
rank_view_put_day(struct rank_day *day)
{
    if (day->own != NULL) {
        free(day->own->exp);
        free(day->own);
    }
    window_put_day(&day->ref);
    memset(day, 0, sizeof *day);
}

size_t
rank_day_samples(const struct window *w, int k, uint64_t seed,
                 struct seg_exposure **out)
{
    struct rank_view v;
    struct rank_day day;
    size_t n = 0;

    memset(&day, 0, sizeof day);
    if (rank_view_init(&v, w, seed, NULL) == 0) {
        if (k >= 0 && k < w->n_days
            && rank_view_get_day(&v, k, &day, NULL) == 0
            && day.seg != NULL)
            n = day.seg->n_exp;
    }
    *out = xmalloc((n ? n : 1) * sizeof **out);
    if (n > 0)
        memcpy(*out, day.seg->exp, n * sizeof **out);
    rank_view_put_day(&day);
    rank_view_release(&v);
    return n;
}

struct segment *
rank_sample_test_day(const struct segment *test, uint32_t n_items,
                     uint64_t seed)
{
    uint64_t *cnt;
    struct negs ng;
    struct segment *c;
    size_t cap = 1;

    if (test->n_exp > 0 || test->n_inter == 0)
        return NULL;
    memset(&ng, 0, sizeof ng);
    ng.pair = xmalloc(sizeof *ng.pair);
    cnt = xcalloc(n_items ? n_items : 1, sizeof *cnt);
    negs_add(&ng, &cap, cnt, n_items, test);
    negs_finish(&ng, cnt, n_items);
    free(cnt);
    c = sample_day(&ng, test, seed);
    negs_release(&ng);
    return c;
}

void
rank_sample_free(struct segment *s)
{
    if (s == NULL)
        return;
    free(s->exp);
    free(s);
}
