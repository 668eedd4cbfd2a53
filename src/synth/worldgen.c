/*
 * worldgen.c -- the synthetic world of dualrec-gen: its entities, its
 * user-side feed and feedback model, and one simulated day with optional
 * pushed items (worldgen.h; formulas in docs/worldgen.md).
 *
 * Invariants:
 *   - every random draw comes from a stream keyed by the seed and the
 *     entity (user, creator, tag, day, (day, user), (day, user, item)), so
 *     results do not depend on the thread count or on the block size;
 *   - a user's sessions and their lengths come from the activity stream,
 *     organic feed picks from the feed stream, feedback from a stream per
 *     (day, user, item): pushing items changes only what fills the slots;
 *   - worldgen_sim_day never writes to the world; worldgen_advance is the
 *     one place that changes it (popularity, day, uploads).
 * Files written by the generator are in worldgen_out.c and
 * worldgen_truth.c.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "rng.h"
#include "worldgen.h"
#include "worldgen_int.h"
#include "xmem.h"

/* Feed and feedback constants (docs/worldgen.md, "Feed" and "Feedback"). */
#define CAND_PER_SLOT    3      /* best of k candidates by noisy affinity */
#define PICK_TRIES       8      /* redraws for unseen / not yet uploaded */
#define SCORE_NOISE      0.7    /* the feed's ranking noise (std) */
#define POP_DECAY        0.7    /* popularity kept from one day to next */
#define POP_LIKE_WEIGHT  4.0    /* a like counts as this many clicks */
#define TAG_POOL_FLOOR   0.1    /* weight of a zero-popularity item */
#define FRESH_DAYS       2      /* "fresh" = uploaded today or yesterday */
#define C_CLICK         -1.9    /* logit offsets: click ~ 40% */
#define C_WATCH         -1.0
#define C_LIKE          -4.95   /* like ~ 3% of impressions */
#define C_COMMENT       -7.0
#define C_FOLLOW        -7.9
#define C_SHARE         -7.5
#define C_HATE          -5.0

/*
 * Items per creator, calibrated on KuaiRand-Pure's video table
 * (video_features_basic_pure.csv: 7,583 videos by 6,510 authors uploaded
 * 2022-04-09..11; authors with 1..8 videos: 5661, 718, 90, 24, 7, 5, 3, 1,
 * and one with 26).  A Poisson-lognormal fit of the per-author counts,
 * zero-truncated (authors with no upload are not in the table), gives a
 * lognormal productivity sigma of 1.1 and a mean of 0.11 uploads per
 * creator over the 3 days (predicted 5678, 675, 117, 28, 8, 3, 1.3, 0.6).
 * Hence creator weights exp(1.1 z) and, by default, 27 creators per daily
 * upload (3 / 0.11).  Tags per item in the same table: 0: 96, 1: 5696,
 * 2: 1759, 3: 32; durations: log-ms mean 11.135, sd 1.034 (median 81 s);
 * 46 tags, the most common on 15% of tag uses (Zipf exponent ~0.9).
 */
#define CREATOR_SIGMA        1.1
#define CREATORS_PER_UPLOAD  27
#define DUR_LOG_MEAN         11.135
#define DUR_LOG_SD           1.034
#define TAG_ZIPF             0.9
static const double ntags_cdf[4] = { 0.0127, 0.7638, 0.9958, 1.0 };

struct worldgen_params
worldgen_default_params(void)
{
    struct worldgen_params p;

    memset(&p, 0, sizeof p);
    p.seed = 1;
    p.n_users = 2000;
    p.n_creators = 0;
    p.items_per_day = 200;
    p.n_days = 14;
    p.start_day = dates_from_civil(2026, 1, 5);     /* a Monday */
    p.dim = 16;
    p.n_tags = 48;
    p.warmup_days = 7;
    p.max_age_days = 30;
    p.imp_per_session = 6.0;
    p.pop_share = 0.75;
    p.tag_share = 0.23;
    p.push_per_session = 3;
    return p;
}

int
worldgen_params_check(const struct worldgen_params *p, struct diag *d)
{
    if (p->n_users == 0)
        return diag_set(d, RC_USAGE, "users must be positive");
    if (p->items_per_day == 0)
        return diag_set(d, RC_USAGE, "items per day must be positive");
    if (p->n_days == 0 || p->n_days > 3660)
        return diag_set(d, RC_USAGE, "days must be in 1..3660 '%u'",
                        p->n_days);
    if (p->dim == 0 || p->dim > WORLDGEN_DIM_MAX)
        return diag_set(d, RC_USAGE, "dim must be in 1..%d '%u'",
                        WORLDGEN_DIM_MAX, p->dim);
    if (p->n_tags == 0 || p->n_tags > 65535)
        return diag_set(d, RC_USAGE, "tags must be in 1..65535 '%u'",
                        p->n_tags);
    if (p->max_age_days == 0)
        return diag_set(d, RC_USAGE, "max age must be positive");
    if (!(p->imp_per_session >= 1.0 && p->imp_per_session <= 1000.0))
        return diag_set(d, RC_USAGE, "impressions per session must be in "
                        "1..1000 '%g'", p->imp_per_session);
    if (!(p->pop_share >= 0 && p->tag_share >= 0
          && p->pop_share + p->tag_share <= 1.0))
        return diag_set(d, RC_USAGE, "feed shares must be >= 0 and sum "
                        "to at most 1");
    if ((uint64_t)p->items_per_day * (p->n_days + p->warmup_days + 1)
        > UINT32_MAX / 2)
        return diag_set(d, RC_USAGE, "too many items in the world");
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Helpers: streams, alias tables, vectors                                 */

static inline void
stream(struct rng *r, const struct worldgen *w, uint64_t stage,
       int32_t day, uint64_t block)
{
    rng_seed(r, w->p.seed, stage << 32 | (uint32_t)day, block);
}

static inline double
sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static inline float
dot(const float *a, const float *b, uint32_t n)
{
    float s = 0.0f;

    for (uint32_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

void
wg_alias_release(struct wg_alias *a)
{
    free(a->slot);
    memset(a, 0, sizeof *a);
}

/*
 * Walker's alias table over weights wt[0..n) (ids id[] or 0..n-1 when id
 * is NULL).  Built serially in index order, so it is deterministic.
 * Zero total weight gives an empty table.
 */
void
wg_alias_build(struct wg_alias *a, const double *wt, const uint32_t *id,
               uint32_t n)
{
    double total = 0.0, *q;
    uint32_t *small, *large, *alias, ns = 0, nl = 0;

    memset(a, 0, sizeof *a);
    for (uint32_t i = 0; i < n; i++)
        total += wt[i];
    if (n == 0 || !(total > 0.0))
        return;
    a->n = n;
    a->slot = xcalloc(n, sizeof *a->slot);
    q = xmalloc(n * sizeof *q);
    small = xmalloc(n * sizeof *small);
    large = xmalloc(n * sizeof *large);
    alias = xmalloc(n * sizeof *alias);
    for (uint32_t i = 0; i < n; i++) {
        q[i] = wt[i] * n / total;
        alias[i] = i;
        if (q[i] < 1.0)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
        uint32_t s = small[--ns], l = large[nl - 1];

        alias[s] = l;
        q[l] -= 1.0 - q[s];
        if (q[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    while (nl > 0)
        q[large[--nl]] = 1.0;
    while (ns > 0)
        q[small[--ns]] = 1.0;           /* rounding leftovers */
    for (uint32_t i = 0; i < n; i++) {
        a->slot[i].prob = (float)q[i];
        a->slot[i].id = id ? id[i] : i;
        a->slot[i].alias_id = id ? id[alias[i]] : alias[i];
    }
    free(q);
    free(small);
    free(large);
    free(alias);
}

uint32_t
wg_alias_draw(const struct wg_alias *a, struct rng *r)
{
    uint64_t x = rng_next(r);
    const struct wg_alias_slot *s = &a->slot[((x >> 32) * a->n) >> 32];
    float u = (float)((x & 0xFFFFFFFFu) * 0x1.0p-32);

    return u < s->prob ? s->id : s->alias_id;
}

/* ---------------------------------------------------------------------- */
/* Entities                                                               */

/* Circular squared distance between hours. */
static inline double
hour_dist2(double h, double c)
{
    double x = fabs(h + 0.5 - c);

    if (x > 12.0)
        x = 24.0 - x;
    return x * x;
}

/*
 * The user's hour-of-day profile g[24] (sums to 1) for a weekday (wkend =
 * 0) or a weekend day: two bumps (evening peak1, day-time peak2) mixed by
 * `mix`, on a small floor; at weekends both move later by `wshift` hours
 * and widen by a quarter.
 */
void
wg_hour_profile(const struct worldgen *w, uint32_t u, int wkend, double g[24])
{
    const struct wg_user_act *a = &w->act[u];
    double s = 0.0, shift = wkend ? a->wshift : 0.0;
    double w1 = a->width1 * (wkend ? 1.25 : 1.0);
    double w2 = a->width2 * (wkend ? 1.25 : 1.0);

    for (int h = 0; h < 24; h++) {
        g[h] = 0.03 / 24.0
             + a->mix * exp(-hour_dist2(h, a->peak1 + shift) / (2 * w1 * w1))
             + (1 - a->mix) * exp(-hour_dist2(h, a->peak2 + shift)
                                  / (2 * w2 * w2));
        s += g[h];
    }
    for (int h = 0; h < 24; h++)
        g[h] /= s;
}

static inline int
is_weekend(int32_t day)
{
    return dates_weekday(day) >= 5;
}

/* P(active) on a day of the given weekday, lifecycle aside. */
static double
p_active_weekday(const struct wg_user_act *a, int weekday)
{
    double p = a->pday * (weekday >= 5 ? a->wkend : 1.0);

    return p > 0.98 ? 0.98 : p;
}

double
worldgen_p_active_day(const struct worldgen *w, uint32_t u, int32_t day)
{
    const struct wg_user_act *a;

    assert(u < w->p.n_users);
    a = &w->act[u];
    if (day < a->arrive || day >= a->churn
        || (day >= a->dorm_from && day < a->dorm_to))
        return 0.0;
    return p_active_weekday(a, dates_weekday(day));
}

/* K = 1 + Poisson(s) sessions, each in hour h with probability g_h:
 * P(none in h) = E[(1 - g_h)^K] = (1 - g_h) exp(-s g_h). */
static inline double
p_some_session(double pd, double s_extra, double g)
{
    return pd * (1.0 - (1.0 - g) * exp(-s_extra * g));
}

double
worldgen_p_online(const struct worldgen *w, uint32_t u, int32_t day,
                  int hour)
{
    double g[24], pd = worldgen_p_active_day(w, u, day);

    assert(hour >= 0 && hour < 24);
    if (pd == 0.0)
        return 0.0;
    wg_hour_profile(w, u, is_weekend(day), g);
    return p_some_session(pd, w->act[u].s_extra, g[hour]);
}

void
worldgen_p_online_week(const struct worldgen *w, uint32_t u,
                       double p[7][24])
{
    const struct wg_user_act *a;
    double g[2][24];

    assert(u < w->p.n_users);
    a = &w->act[u];
    wg_hour_profile(w, u, 0, g[0]);
    wg_hour_profile(w, u, 1, g[1]);
    for (int wd = 0; wd < 7; wd++) {
        double pd = p_active_weekday(a, wd);

        for (int h = 0; h < 24; h++)
            p[wd][h] = p_some_session(pd, a->s_extra, g[wd >= 5][h]);
    }
}

static void
make_users(struct worldgen *w)
{
    const struct worldgen_params *p = &w->p;
    uint32_t dim = p->dim;
    float sd = 0.55f;

    w->user_vec = xmalloc((size_t)p->n_users * dim * sizeof(float));
    w->user_bias = xmalloc(p->n_users * sizeof(float));
    w->act = xmalloc(p->n_users * sizeof *w->act);
    w->user_tags = xmalloc((size_t)p->n_users * WG_USER_TAGS
                           * sizeof *w->user_tags);
    #pragma omp parallel for schedule(static)
    for (uint32_t u = 0; u < p->n_users; u++) {
        struct rng r;
        struct wg_user_act *a = &w->act[u];
        float *v = w->user_vec + (size_t)u * dim;
        double lvl, best[WG_USER_TAGS];

        stream(&r, w, WG_ST_USER, 0, u);
        for (uint32_t k = 0; k < dim; k++)
            v[k] = sd * (float)rng_normal(&r);
        w->user_bias[u] = (float)(0.5 * rng_normal(&r));
        /* Activity level: lognormal, many light users and a heavy tail. */
        lvl = exp(1.1 * rng_normal(&r));
        a->level = (float)lvl;
        a->pday = (float)(1.0 - exp(-0.6 * lvl));
        a->wkend = (float)exp(0.25 * rng_normal(&r));
        a->s_extra = (float)fmin(1.2 * lvl, 24.0);
        a->imp_mean = (float)fmin(p->imp_per_session * pow(lvl, 0.3),
                                  20 * p->imp_per_session);
        a->peak1 = (float)(20.5 + 1.5 * rng_normal(&r));
        a->peak2 = (float)(rng_uniform(&r) < 0.3 ? 8.0 + rng_normal(&r)
                                                 : 12.5 + 1.5 * rng_normal(&r));
        a->width1 = (float)(1.0 + 1.5 * rng_uniform(&r));
        a->width2 = (float)(1.0 + 1.5 * rng_uniform(&r));
        a->mix = (float)(0.4 + 0.5 * rng_uniform(&r));
        a->wshift = (float)(0.5 + 1.5 * rng_uniform(&r));
        /* 15% arrive during the generated days, 15% churn during or
         * within 30 days after them; the rest are there throughout. */
        a->arrive = p->start_day - 1 - (int32_t)rng_below(&r, 730);
        if (rng_uniform(&r) < 0.15)
            a->arrive = p->start_day + 1
                      + (int32_t)rng_below(&r, p->n_days > 1 ? p->n_days - 1
                                                             : 1);
        a->churn = INT32_MAX;
        if (rng_uniform(&r) < 0.15) {
            int32_t from = a->arrive > p->start_day ? a->arrive + 1
                                                    : p->start_day;

            a->churn = from + (int32_t)rng_below(&r, p->n_days + 30);
        }
        a->client = rng_uniform(&r) < 0.2 ? WG_CLIENT_LITE : WG_CLIENT_APP;
        /* 10% go dormant for 2..14 days starting within the generated
         * days, then come back. */
        a->dorm_from = a->dorm_to = INT32_MAX;
        if (rng_uniform(&r) < 0.10) {
            a->dorm_from = p->start_day + (int32_t)rng_below(&r, p->n_days);
            a->dorm_to = a->dorm_from + 2 + (int32_t)rng_below(&r, 13);
        }
        /* The user's three best tags by taste, for the personalised
         * slots (ties by index). */
        for (int j = 0; j < WG_USER_TAGS; j++) {
            best[j] = -1e30;
            w->user_tags[(size_t)u * WG_USER_TAGS + j] = 0;
        }
        for (uint32_t t = 0; t < p->n_tags; t++) {
            double s = dot(v, w->tag_vec + (size_t)t * dim, dim);
            uint16_t *ut = w->user_tags + (size_t)u * WG_USER_TAGS;

            for (int j = 0; j < WG_USER_TAGS; j++) {
                if (s > best[j]) {
                    for (int k = WG_USER_TAGS - 1; k > j; k--) {
                        best[k] = best[k - 1];
                        ut[k] = ut[k - 1];
                    }
                    best[j] = s;
                    ut[j] = (uint16_t)t;
                    break;
                }
            }
        }
    }
}

static void
make_tags_creators(struct worldgen *w)
{
    const struct worldgen_params *p = &w->p;
    uint32_t dim = p->dim, nc = p->n_creators;
    double *wt = xmalloc((nc > p->n_tags ? nc : p->n_tags) * sizeof *wt);
    struct rng r;

    w->tag_vec = xmalloc((size_t)p->n_tags * dim * sizeof(float));
    w->tag_pop = xmalloc(p->n_tags * sizeof(float));
    for (uint32_t t = 0; t < p->n_tags; t++) {
        stream(&r, w, WG_ST_TAG, 0, t);
        for (uint32_t k = 0; k < dim; k++)
            w->tag_vec[(size_t)t * dim + k] = 0.55f * (float)rng_normal(&r);
        /* Zipf popularity in a seeded random order of the vocabulary. */
        w->tag_pop[t] = 0.0f;
    }
    {
        uint32_t *perm = xmalloc(p->n_tags * sizeof *perm);

        for (uint32_t t = 0; t < p->n_tags; t++)
            perm[t] = t;
        stream(&r, w, WG_ST_TAG, 1, 0);
        for (uint32_t t = p->n_tags; t > 1; t--) {
            uint32_t j = (uint32_t)rng_below(&r, t), x = perm[t - 1];

            perm[t - 1] = perm[j];
            perm[j] = x;
        }
        for (uint32_t t = 0; t < p->n_tags; t++)
            w->tag_pop[perm[t]] = (float)pow(t + 1.0, -TAG_ZIPF);
        free(perm);
    }
    for (uint32_t t = 0; t < p->n_tags; t++)
        wt[t] = w->tag_pop[t];
    wg_alias_build(&w->tag_alias, wt, NULL, p->n_tags);

    w->creator_vec = xmalloc((size_t)nc * dim * sizeof(float));
    w->creator_bias = xmalloc(nc * sizeof(float));
    w->creator_prod = xmalloc(nc * sizeof(float));
    w->creator_tags = xmalloc((size_t)nc * WORLDGEN_FAV_TAGS
                              * sizeof *w->creator_tags);
    #pragma omp parallel for schedule(static)
    for (uint32_t c = 0; c < nc; c++) {
        struct rng rc;

        stream(&rc, w, WG_ST_CREATOR, 0, c);
        for (uint32_t k = 0; k < dim; k++)
            w->creator_vec[(size_t)c * dim + k] = 0.55f
                                                * (float)rng_normal(&rc);
        w->creator_bias[c] = (float)(0.4 * rng_normal(&rc));
        w->creator_prod[c] = (float)exp(CREATOR_SIGMA * rng_normal(&rc));
        for (int j = 0; j < WORLDGEN_FAV_TAGS; j++)
            w->creator_tags[(size_t)c * WORLDGEN_FAV_TAGS + j] =
                (uint16_t)wg_alias_draw(&w->tag_alias, &rc);
    }
    for (uint32_t c = 0; c < nc; c++)
        wt[c] = w->creator_prod[c];
    wg_alias_build(&w->creator_alias, wt, NULL, nc);
    free(wt);
}

/* Append the uploads of `day` to the item arrays. */
static void
upload_day(struct worldgen *w, int32_t day)
{
    const struct worldgen_params *p = &w->p;
    uint32_t dim = p->dim, n, first = w->n_items;
    int64_t t0 = dates_day_start(day, 0);
    struct rng r;

    stream(&r, w, WG_ST_UPLOAD, day, 0);
    n = rng_poisson(&r, p->items_per_day);
    if (w->n_items + n > w->cap_items) {
        size_t cap = w->cap_items ? w->cap_items : 1024;

        while (cap < (size_t)w->n_items + n)
            cap *= 2;
        w->items = xreallocarray(w->items, cap, sizeof *w->items);
        w->item_vec = xreallocarray(w->item_vec, cap * dim, sizeof(float));
        w->pop = xreallocarray(w->pop, cap, sizeof *w->pop);
        w->item_bias = xreallocarray(w->item_bias, cap,
                                     sizeof *w->item_bias);
        w->cap_items = cap;
    }
    for (uint32_t j = 0; j < n; j++) {
        struct wg_item *it = &w->items[first + j];
        float *v = w->item_vec + (size_t)(first + j) * dim;
        const float *cv;
        float tv[WORLDGEN_DIM_MAX];
        double x;
        uint32_t c;

        stream(&r, w, WG_ST_ITEM, day, j);
        c = wg_alias_draw(&w->creator_alias, &r);
        it->creator = c;
        it->upload_t = t0 + (int64_t)rng_below(&r, DATES_DAY_SECONDS);
        x = exp(DUR_LOG_MEAN + DUR_LOG_SD * rng_normal(&r));
        it->dur_ms = (uint32_t)fmin(fmax(x, 2000.0), 3600000.0);
        x = rng_uniform(&r);
        it->n_tags = 0;
        while (it->n_tags < 3 && x >= ntags_cdf[it->n_tags])
            it->n_tags++;
        if (it->n_tags > p->n_tags)
            it->n_tags = (uint16_t)p->n_tags;   /* distinct tags only */
        for (uint32_t k = 0; k < it->n_tags; k++) {
            uint16_t t;
            int again;

            do {
                if (rng_uniform(&r) < 0.8)
                    t = w->creator_tags[(size_t)c * WORLDGEN_FAV_TAGS
                                        + rng_below(&r, WORLDGEN_FAV_TAGS)];
                else
                    t = (uint16_t)wg_alias_draw(&w->tag_alias, &r);
                again = 0;
                for (uint32_t m = 0; m < k; m++)
                    again |= it->tags[m] == t;
            } while (again);
            it->tags[k] = t;
        }
        /* vec = 0.6 creator + 0.5 mean(tags) + 0.5 noise */
        memset(tv, 0, sizeof tv);
        for (uint32_t k = 0; k < it->n_tags; k++)
            for (uint32_t i = 0; i < dim; i++)
                tv[i] += w->tag_vec[(size_t)it->tags[k] * dim + i]
                       / (float)it->n_tags;
        cv = w->creator_vec + (size_t)c * dim;
        for (uint32_t i = 0; i < dim; i++)
            v[i] = 0.6f * cv[i] + 0.5f * tv[i]
                 + 0.5f * 0.55f * (float)rng_normal(&r);
        it->bias = w->creator_bias[c] + (float)(0.3 * rng_normal(&r));
        it->day = day;
        w->item_bias[first + j] = it->bias;
        w->pop[first + j] = 0.0f;
    }
    w->n_items += n;
}

/*
 * Expected impressions per day over all users (for the warm-up
 * popularity scale).
 */
static double
expected_daily_imps(const struct worldgen *w)
{
    double s = 0.0;

    for (uint32_t u = 0; u < w->p.n_users; u++) {
        const struct wg_user_act *a = &w->act[u];

        s += fmin(a->pday, 0.98) * (1.0 + a->s_extra) * a->imp_mean;
    }
    return s;
}

int
worldgen_new(const struct worldgen_params *p, struct worldgen **out,
             struct diag *d)
{
    struct worldgen *w;
    double scale;
    uint32_t n_warm;

    *out = NULL;
    if (worldgen_params_check(p, d) < 0)
        return -1;
    w = xcalloc(1, sizeof *w);
    w->p = *p;
    if (w->p.n_creators == 0) {
        uint64_t nc = (uint64_t)p->items_per_day * CREATORS_PER_UPLOAD;

        w->p.n_creators = nc > UINT32_MAX / 2 ? UINT32_MAX / 2
                                              : (uint32_t)nc;
    }
    make_tags_creators(w);
    make_users(w);
    /* The warm-up catalog: uploads of the days before start, with a
     * heavy-tailed popularity (quality-driven, decayed by age) standing
     * in for the feed's history. */
    for (int32_t k = (int32_t)p->warmup_days; k >= 1; k--)
        upload_day(w, p->start_day - k);
    n_warm = w->n_items;
    scale = 0.4 * expected_daily_imps(w) / (n_warm ? n_warm : 1);
    for (uint32_t i = 0; i < n_warm; i++) {
        struct rng r;
        int age = p->start_day - w->items[i].day;

        stream(&r, w, WG_ST_WARM, 0, i);
        /* Young items have had little time to gather clicks: ramp up
         * over the first days, then decay. */
        w->pop[i] = (float)(scale * exp(1.5 * rng_normal(&r)
                                        + 2.0 * w->items[i].bias - 1.1)
                            * (1.0 - exp(-(age - 0.5) / 2.0))
                            * pow(POP_DECAY, age - 1));
    }
    w->day = p->start_day;
    w->first_today = w->n_items;
    upload_day(w, w->day);
    *out = w;
    return 0;
}

void
worldgen_free(struct worldgen *w)
{
    if (w == NULL)
        return;
    free(w->user_vec);
    free(w->user_bias);
    free(w->act);
    free(w->user_tags);
    free(w->tag_vec);
    free(w->tag_pop);
    free(w->creator_vec);
    free(w->creator_bias);
    free(w->creator_prod);
    free(w->creator_tags);
    wg_alias_release(&w->tag_alias);
    wg_alias_release(&w->creator_alias);
    free(w->items);
    free(w->item_vec);
    free(w->pop);
    free(w->item_bias);
    free(w);
}

const struct worldgen_params *
worldgen_params(const struct worldgen *w)
{
    return &w->p;
}

int32_t
worldgen_day(const struct worldgen *w)
{
    return w->day;
}

uint32_t
worldgen_n_items(const struct worldgen *w)
{
    return w->n_items;
}

uint32_t
worldgen_first_item_of_day(const struct worldgen *w)
{
    return w->first_today;
}

void
worldgen_item(const struct worldgen *w, uint32_t item,
              struct worldgen_item_info *out)
{
    const struct wg_item *it;

    assert(item < w->n_items);
    it = &w->items[item];
    out->creator = it->creator;
    out->upload_t = it->upload_t;
    out->dur_ms = it->dur_ms;
    out->n_tags = it->n_tags;
    memcpy(out->tags, it->tags, sizeof out->tags);
    out->bias = it->bias;
    out->vec = w->item_vec + (size_t)item * w->p.dim;
}

const float *
worldgen_user_vec(const struct worldgen *w, uint32_t user)
{
    assert(user < w->p.n_users);
    return w->user_vec + (size_t)user * w->p.dim;
}

float
worldgen_user_bias(const struct worldgen *w, uint32_t user)
{
    assert(user < w->p.n_users);
    return w->user_bias[user];
}

int
worldgen_parse_id(const char *s, char prefix, uint32_t *idx)
{
    uint64_t v = 0;

    if (s == NULL || s[0] != prefix || s[1] == '\0')
        return -1;
    for (s++; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return -1;
    }
    *idx = (uint32_t)v;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* One day                                                                 */

/* The day's candidate pools, built from the popularity state. */
struct pools {
    struct wg_alias popular;    /* live items by popularity */
    struct wg_alias *tag;       /* n_tags: live items of the tag */
    uint32_t fresh_first;       /* fresh = items [fresh_first, n_items) */
    uint32_t n_items;
};

static void
pools_build(const struct worldgen *w, struct pools *pl)
{
    uint32_t n = w->n_items, first_live = 0, nt = w->p.n_tags;
    int32_t oldest = w->day - (int32_t)w->p.max_age_days;
    double *wt;
    uint32_t *id, *cnt, *off, m = 0;

    while (first_live < n && w->items[first_live].day < oldest)
        first_live++;
    pl->n_items = n;
    pl->fresh_first = first_live;
    while (pl->fresh_first < n
           && w->items[pl->fresh_first].day <= w->day - FRESH_DAYS)
        pl->fresh_first++;
    wt = xmalloc((n - first_live + 1) * WORLDGEN_TAGS_MAX * sizeof *wt);
    id = xmalloc((n - first_live + 1) * WORLDGEN_TAGS_MAX * sizeof *id);
    for (uint32_t i = first_live; i < n; i++) {
        if (w->pop[i] > 0.0f) {
            wt[m] = w->pop[i];
            id[m++] = i;
        }
    }
    wg_alias_build(&pl->popular, wt, id, m);
    /* Per tag: counting sort of the live items by tag. */
    cnt = xcalloc(nt + 1, sizeof *cnt);
    off = xcalloc(nt + 1, sizeof *off);
    for (uint32_t i = first_live; i < n; i++)
        for (uint32_t k = 0; k < w->items[i].n_tags; k++)
            cnt[w->items[i].tags[k]]++;
    for (uint32_t t = 0; t < nt; t++)
        off[t + 1] = off[t] + cnt[t];
    memset(cnt, 0, (nt + 1) * sizeof *cnt);
    for (uint32_t i = first_live; i < n; i++)
        for (uint32_t k = 0; k < w->items[i].n_tags; k++) {
            uint32_t t = w->items[i].tags[k], at = off[t] + cnt[t]++;

            wt[at] = w->pop[i] + TAG_POOL_FLOOR;
            id[at] = i;
        }
    pl->tag = xcalloc(nt, sizeof *pl->tag);
    for (uint32_t t = 0; t < nt; t++)
        wg_alias_build(&pl->tag[t], wt + off[t], id + off[t], cnt[t]);
    free(cnt);
    free(off);
    free(wt);
    free(id);
}

static void
pools_release(const struct worldgen *w, struct pools *pl)
{
    wg_alias_release(&pl->popular);
    for (uint32_t t = 0; t < w->p.n_tags; t++)
        wg_alias_release(&pl->tag[t]);
    free(pl->tag);
}

/*
 * Per-block scratch: the block's events, and the items shown to the
 * current user today as an open-addressing set (keys item + 1, 0 empty)
 * with the list of used slots for clearing.
 */
struct block {
    struct worldgen_event *ev;
    size_t n_ev, cap_ev;
    uint32_t *set;              /* set_mask + 1 slots */
    uint32_t set_mask;
    uint32_t *used;             /* slots in use, for clearing */
    uint32_t n_used;
};

static inline uint32_t
set_hash(uint32_t item)
{
    return (item + 1) * 0x9E3779B1u;
}

static int
was_shown(const struct block *b, uint32_t item)
{
    if (b->set == NULL)
        return 0;
    for (uint32_t h = set_hash(item) & b->set_mask;;
         h = (h + 1) & b->set_mask) {
        if (b->set[h] == 0)
            return 0;
        if (b->set[h] == item + 1)
            return 1;
    }
}

static void set_add(struct block *b, uint32_t item);

static void
set_grow(struct block *b)
{
    uint32_t *old = b->set, *old_used = b->used, n_old = b->n_used;
    uint32_t cap = b->set ? (b->set_mask + 1) * 2 : 256;

    b->set = xcalloc(cap, sizeof *b->set);
    b->used = xmalloc(cap / 2 * sizeof *b->used);
    b->set_mask = cap - 1;
    b->n_used = 0;
    for (uint32_t k = 0; k < n_old; k++)
        set_add(b, old[old_used[k]] - 1);
    free(old);
    free(old_used);
}

static void
set_add(struct block *b, uint32_t item)
{
    uint32_t h;

    if (b->set == NULL || b->n_used + 1 > (b->set_mask + 1) / 2)
        set_grow(b);
    for (h = set_hash(item) & b->set_mask; b->set[h] != 0;
         h = (h + 1) & b->set_mask)
        if (b->set[h] == item + 1)
            return;
    b->set[h] = item + 1;
    b->used[b->n_used++] = h;
}

static void
set_clear(struct block *b)
{
    for (uint32_t k = 0; k < b->n_used; k++)
        b->set[b->used[k]] = 0;
    b->n_used = 0;
}

/*
 * One organic pick: choose the source, draw up to CAND_PER_SLOT valid
 * candidates, keep the best by noisy affinity.  UINT32_MAX when nothing
 * valid was found.
 */
static uint32_t
pick_organic(const struct worldgen *w, const struct pools *pl, uint32_t u,
             int64_t t, const struct block *b, struct rng *r)
{
    uint32_t dim = w->p.dim, best = UINT32_MAX, got = 0;
    uint32_t cand[CAND_PER_SLOT];
    const float *uv = w->user_vec + (size_t)u * dim;
    double x = rng_uniform(r), best_s = -1e30;
    const struct wg_alias *src;
    uint32_t nfresh = pl->n_items - pl->fresh_first;

    if (x < w->p.pop_share && pl->popular.n > 0)
        src = &pl->popular;
    else if (x < w->p.pop_share + w->p.tag_share) {
        uint16_t tg = w->user_tags[(size_t)u * WG_USER_TAGS
                                   + rng_below(r, WG_USER_TAGS)];

        src = &pl->tag[tg];
        if (src->n == 0)
            src = pl->popular.n > 0 ? &pl->popular : NULL;
    } else
        src = NULL;                     /* fresh uploads */
    /* Draw first, score after: the candidates' vectors are fetched
     * while the next ones are drawn (the feed is memory-bound). */
    for (int tries = 0; tries < PICK_TRIES && got < CAND_PER_SLOT; tries++) {
        uint32_t i;

        if (src != NULL)
            i = wg_alias_draw(src, r);
        else if (nfresh > 0)
            i = pl->fresh_first + (uint32_t)rng_below(r, nfresh);
        else
            break;
        /* Only today's uploads can be later than t (no items[] miss for
         * the others). */
        if ((i >= w->first_today && w->items[i].upload_t > t)
            || was_shown(b, i))
            continue;
        __builtin_prefetch(w->item_vec + (size_t)i * dim);
        cand[got++] = i;
    }
    /* An exhausted source (all seen, none uploaded yet) falls back to the
     * popular pool, so sessions keep their length. */
    for (int tries = 0; got == 0 && src != &pl->popular && tries < PICK_TRIES
                        && pl->popular.n > 0; tries++) {
        uint32_t i = wg_alias_draw(&pl->popular, r);

        if (!((i >= w->first_today && w->items[i].upload_t > t)
              || was_shown(b, i)))
            cand[got++] = i;
    }
    for (uint32_t k = 0; k < got; k++) {
        uint32_t i = cand[k];
        /* Ranking noise: a sum of four uniforms, mean 0, variance 1. */
        double z = (rng_uniform(r) + rng_uniform(r) + rng_uniform(r)
                    + rng_uniform(r) - 2.0) * 1.7320508075688772;
        double s = dot(uv, w->item_vec + (size_t)i * dim, dim)
                 + w->item_bias[i] + SCORE_NOISE * z;

        if (s > best_s) {
            best_s = s;
            best = i;
        }
    }
    return best;
}

double
worldgen_expected_feedback(const struct worldgen *w, uint32_t u, uint32_t i)
{
    uint32_t dim = w->p.dim;
    const struct wg_item *it;
    double s;

    assert(u < w->p.n_users && i < w->n_items);
    it = &w->items[i];
    s = dot(w->user_vec + (size_t)u * dim, w->item_vec + (size_t)i * dim,
            dim) + w->user_bias[u] + it->bias;
    return sigmoid(s + C_CLICK)
           * (sigmoid(s + C_LIKE) + sigmoid(s + C_COMMENT)
              + sigmoid(s + w->creator_bias[it->creator] + C_FOLLOW));
}

/*
 * Feedback of user u on item i at day `day`, from the (day, u, i) stream:
 * the same impression gets the same draws whatever else the feed showed.
 */
static void
feedback(const struct worldgen *w, int32_t day, uint32_t u, uint32_t i,
         struct worldgen_event *e)
{
    uint32_t dim = w->p.dim;
    const struct wg_item *it = &w->items[i];
    double s = dot(w->user_vec + (size_t)u * dim,
                   w->item_vec + (size_t)i * dim, dim)
             + w->user_bias[u] + it->bias;
    struct rng r;
    uint8_t fb = 0;
    double play;

    rng_seed(&r, w->p.seed, (uint64_t)WG_ST_FEEDBACK << 32 | (uint32_t)day,
             (uint64_t)u << 32 | i);
    if (rng_uniform(&r) < sigmoid(s + C_CLICK)) {
        double frac = sigmoid(s + C_WATCH + 0.8 * rng_normal(&r));

        fb |= WG_CLICK;
        play = fmax(1000.0, frac * it->dur_ms);
        if (play >= fmin(0.9 * it->dur_ms, 30000.0))
            fb |= WG_LONG_VIEW;
        if (rng_uniform(&r) < sigmoid(s + C_LIKE))
            fb |= WG_LIKE;
        if (rng_uniform(&r) < sigmoid(s + C_COMMENT))
            fb |= WG_COMMENT;
        if (rng_uniform(&r) < sigmoid(s + w->creator_bias[it->creator]
                                      + C_FOLLOW))
            fb |= WG_FOLLOW;
        if (rng_uniform(&r) < sigmoid(s + C_SHARE))
            fb |= WG_SHARE;
    } else {
        play = 300.0 + 2700.0 * rng_uniform(&r);
        if (rng_uniform(&r) < sigmoid(-s + C_HATE))
            fb |= WG_HATE;
    }
    if (play > it->dur_ms)
        play = it->dur_ms;
    e->play_ms = (uint32_t)play;
    e->dur_ms = it->dur_ms;
    e->fb = (uint8_t)(e->fb | fb);
}

struct session {
    int64_t t0;
    uint32_t len;
};

static int
cmp_session(const void *a, const void *b)
{
    const struct session *x = a, *y = b;

    return (x->t0 > y->t0) - (x->t0 < y->t0);
}

/* One user's day into block b; fills user_imp / user_hours. */
static void
user_day(const struct worldgen *w, const struct pools *pl, uint32_t u,
         const struct worldgen_push *push, struct block *b,
         uint32_t *n_imp, uint32_t *hours)
{
    const struct wg_user_act *a = &w->act[u];
    int32_t day = w->day;
    int64_t day0 = dates_day_start(day, 0), day_end = day0 + DATES_DAY_SECONDS;
    struct rng ra, rf;
    struct session ses[64];
    double g[24], cdf[24], acc = 0.0;
    uint32_t ns, p_at = 0, p_end = 0, cap_push;
    const uint32_t *plist = NULL;
    int64_t tprev = day0;

    *n_imp = 0;
    *hours = 0;
    set_clear(b);
    stream(&ra, w, WG_ST_ACTIVITY, day, u);
    if (!(rng_uniform(&ra) < worldgen_p_active_day(w, u, day)))
        return;
    ns = 1 + rng_poisson(&ra, a->s_extra);
    if (ns > 64)
        ns = 64;
    wg_hour_profile(w, u, is_weekend(day), g);
    for (int h = 0; h < 24; h++)
        cdf[h] = (acc += g[h]);
    for (uint32_t k = 0; k < ns; k++) {
        double x = rng_uniform(&ra) * acc;
        int h = 0;

        while (h < 23 && x >= cdf[h])
            h++;
        ses[k].t0 = day0 + h * 3600 + (int64_t)rng_below(&ra, 3600);
        /* Session length: geometric-like, mean imp_mean. */
        ses[k].len = 1 + rng_poisson(&ra, (a->imp_mean - 1.0)
                                          * rng_exponential(&ra));
    }
    qsort(ses, ns, sizeof *ses, cmp_session);
    if (push != NULL && u < push->n_users) {
        p_at = push->off[u];
        p_end = push->off[u + 1];
        plist = push->items;
    }
    cap_push = w->p.push_per_session ? w->p.push_per_session : UINT32_MAX;
    stream(&rf, w, WG_ST_FEED, day, u);
    for (uint32_t k = 0; k < ns; k++) {
        int64_t t = ses[k].t0 > tprev ? ses[k].t0 : tprev + 30;
        uint32_t pushed_here = 0;

        if (t >= day_end)
            break;
        *hours |= 1u << dates_hour_of(t, 0);
        for (uint32_t j = 0; j < ses[k].len && t < day_end; j++) {
            struct worldgen_event *e;
            uint32_t item = UINT32_MAX;
            uint8_t fb = 0;

            while (pushed_here < cap_push && p_at < p_end) {
                uint32_t c = plist[p_at++];

                if (c < w->n_items && w->items[c].upload_t <= t
                    && !was_shown(b, c)) {
                    item = c;
                    fb = WG_PUSHED;
                    pushed_here++;
                    break;
                }
            }
            if (item == UINT32_MAX)
                item = pick_organic(w, pl, u, t, b, &rf);
            if (item == UINT32_MAX)
                continue;
            set_add(b, item);
            b->ev = xgrow(b->ev, &b->cap_ev, b->n_ev + 1, sizeof *b->ev);
            e = &b->ev[b->n_ev++];
            memset(e, 0, sizeof *e);
            e->t = t;
            e->user = u;
            e->item = item;
            e->session = (uint16_t)k;
            e->fb = fb;
            feedback(w, day, u, item, e);
            (*n_imp)++;
            /* Next impression after the watch time and a short gap. */
            t += (e->play_ms + 999) / 1000 + 1 + (int64_t)rng_below(&ra, 4);
        }
        tprev = t;
    }
}

void
worldgen_push_from_pairs(uint32_t n_users, const uint32_t *user,
                         const uint32_t *item, size_t n,
                         struct worldgen_push *push)
{
    uint32_t *off = xcalloc((size_t)n_users + 1, sizeof *off);
    uint32_t *fill = xcalloc((size_t)n_users + 1, sizeof *fill);
    uint32_t *items;

    for (size_t k = 0; k < n; k++)
        if (user[k] < n_users)
            off[user[k] + 1]++;
    for (uint32_t u = 0; u < n_users; u++)
        off[u + 1] += off[u];
    items = xmalloc(((size_t)off[n_users] + 1) * sizeof *items);
    for (size_t k = 0; k < n; k++)
        if (user[k] < n_users)
            items[off[user[k]] + fill[user[k]]++] = item[k];
    free(fill);
    push->n_users = n_users;
    push->off = off;
    push->items = items;
}

void
worldgen_push_release(struct worldgen_push *push)
{
    free((void *)(uintptr_t)push->off);
    free((void *)(uintptr_t)push->items);
    push->off = push->items = NULL;
    push->n_users = 0;
}

#define BLOCK_USERS  256

void
worldgen_daystats_release(struct worldgen_daystats *s)
{
    if (s == NULL)
        return;
    free(s->imp);
    free(s->click);
    free(s->like);
    free(s->user_imp);
    free(s->user_hours);
    memset(s, 0, sizeof *s);
}

/* The public sink, called in order from wg_sim_day's serial phase. */
struct public_sink {
    worldgen_sink_fn fn;
    void *arg;
};

static int
call_public_sink(void *arg, unsigned slot, const struct worldgen_event *ev,
                 size_t n, struct diag *d)
{
    const struct public_sink *ps = arg;

    (void)slot;
    return ps->fn(ps->arg, ev, n, d);
}

int
worldgen_sim_day(const struct worldgen *w, const struct worldgen_push *push,
                 worldgen_sink_fn sink, void *arg,
                 struct worldgen_daystats *stats, struct diag *d)
{
    struct public_sink ps = { sink, arg };

    return wg_sim_day(w, push, NULL, sink ? call_public_sink : NULL, &ps,
                      stats, d);
}

int
wg_sim_day(const struct worldgen *w, const struct worldgen_push *push,
           wg_par_fn par, wg_ser_fn ser, void *arg,
           struct worldgen_daystats *stats, struct diag *d)
{
    uint32_t nu = w->p.n_users;
    uint32_t n_blocks = (nu + BLOCK_USERS - 1) / BLOCK_USERS;
    struct block *blk = xcalloc(WG_WAVE_BLOCKS, sizeof *blk);
    struct worldgen_daystats st;
    struct pools pl;
    int rc = 0;

    memset(&st, 0, sizeof st);
    st.day = w->day;
    st.n_items = w->n_items;
    st.imp = xcalloc(w->n_items, sizeof *st.imp);
    st.click = xcalloc(w->n_items, sizeof *st.click);
    st.like = xcalloc(w->n_items, sizeof *st.like);
    st.n_users = nu;
    st.user_imp = xcalloc(nu, sizeof *st.user_imp);
    st.user_hours = xcalloc(nu, sizeof *st.user_hours);
    pools_build(w, &pl);
    for (uint32_t b0 = 0; b0 < n_blocks && rc == 0; b0 += WG_WAVE_BLOCKS) {
        uint32_t nb = n_blocks - b0 < WG_WAVE_BLOCKS ? n_blocks - b0
                                                      : WG_WAVE_BLOCKS;

        #pragma omp parallel for schedule(dynamic, 1)
        for (uint32_t k = 0; k < nb; k++) {
            uint32_t u0 = (b0 + k) * BLOCK_USERS;
            uint32_t u1 = u0 + BLOCK_USERS < nu ? u0 + BLOCK_USERS : nu;

            blk[k].n_ev = 0;
            for (uint32_t u = u0; u < u1; u++)
                user_day(w, &pl, u, push, &blk[k], &st.user_imp[u],
                         &st.user_hours[u]);
            if (par != NULL)
                par(arg, k, blk[k].ev, blk[k].n_ev);
        }
        /* Merge in block order. */
        for (uint32_t k = 0; k < nb && rc == 0; k++) {
            for (size_t j = 0; j < blk[k].n_ev; j++) {
                const struct worldgen_event *e = &blk[k].ev[j];

                st.imp[e->item]++;
                st.n_imp++;
                if (e->fb & WG_CLICK)
                    st.click[e->item]++;
                if (e->fb & WG_LIKE)
                    st.like[e->item]++;
                for (int f = 0; f < 7; f++)
                    st.n_fb[f] += (e->fb >> f) & 1;
                st.n_pushed_shown += (e->fb & WG_PUSHED) != 0;
            }
            if (ser != NULL && blk[k].n_ev > 0)
                rc = ser(arg, k, blk[k].ev, blk[k].n_ev, d);
        }
    }
    for (uint32_t u = 0; u < nu; u++)
        st.n_active_users += st.user_imp[u] > 0;
    pools_release(w, &pl);
    for (uint32_t k = 0; k < WG_WAVE_BLOCKS; k++) {
        free(blk[k].ev);
        free(blk[k].set);
        free(blk[k].used);
    }
    free(blk);
    if (stats != NULL && rc == 0)
        *stats = st;
    else
        worldgen_daystats_release(&st);
    return rc;
}

void
worldgen_advance(struct worldgen *w, const struct worldgen_daystats *s)
{
    assert(s->day == w->day && s->n_items <= w->n_items);
    for (uint32_t i = 0; i < s->n_items; i++)
        w->pop[i] = (float)(POP_DECAY * w->pop[i] + s->click[i]
                            + POP_LIKE_WEIGHT * s->like[i]);
    w->day++;
    w->first_today = w->n_items;
    upload_day(w, w->day);
}
