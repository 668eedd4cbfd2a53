/*
 * check_avail.c -- UAC: features against a naive computation, the boosted
 * trees (learning, determinism), the baseline, threshold choice, windows,
 * the table format, edge cases of the window, thread independence.
 *
 * Windows are built in memory (struct window with hand-made segments), so
 * the suite does not depend on ingest.
 */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "avail.h"
#include "binfile.h"
#include "check_common.h"
#include "dates.h"
#include "gbdt.h"
#include "metrics.h"
#include "rng.h"
#include "xmem.h"

#define NF AVAIL_N_FEATURES

/* ---- an in-memory window ------------------------------------------- */

static int
cmp_exp(const void *a, const void *b)
{
    const struct seg_exposure *x = a, *y = b;

    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->item < y->item ? -1 : x->item > y->item;
}

static struct window *
tw_new(int32_t first_day, int n_days)
{
    struct window *w = xcalloc(1, sizeof *w);

    w->first_day = first_day;
    w->n_days = n_days;
    w->last_day = first_day + n_days - 1;
    w->seg = xcalloc((size_t)n_days, sizeof *w->seg);
    for (int k = 0; k < n_days; k++) {
        w->seg[k] = xcalloc(1, sizeof **w->seg);
        w->seg[k]->day = first_day + k;
    }
    return w;
}

static size_t tw_cap[64];

/* An exposure of user at time t on window day k (t may lie outside). */
static void
tw_exp(struct window *w, int k, uint32_t user, int64_t t, uint32_t fb)
{
    struct segment *s = w->seg[k];

    s->exp = xgrow(s->exp, &tw_cap[k], s->n_exp + 1, sizeof *s->exp);
    memset(&s->exp[s->n_exp], 0, sizeof s->exp[0]);
    s->exp[s->n_exp].t = t;
    s->exp[s->n_exp].user = user;
    s->exp[s->n_exp].item = (uint32_t)s->n_exp;
    s->exp[s->n_exp].fb = fb;
    s->n_exp++;
}

static void
tw_drop_day(struct window *w, int k)
{
    segment_free(w->seg[k]);
    w->seg[k] = NULL;
    tw_cap[k] = 0;
}

static void
tw_finish(struct window *w)
{
    for (int k = 0; k < w->n_days; k++) {
        if (w->seg[k] && w->seg[k]->n_exp > 0)
            qsort(w->seg[k]->exp, w->seg[k]->n_exp,
                  sizeof *w->seg[k]->exp, cmp_exp);
        tw_cap[k] = 0;
    }
}

static void
tw_free(struct window *w)
{
    for (int k = 0; k < w->n_days; k++) {
        segment_free(w->seg[k]);
    }
    free(w->seg);
    free(w);
}

static int64_t
at(int32_t day, int hour, int minute)
{
    return dates_day_start(day, 0) + hour * 3600 + minute * 60;
}

/*
 * A synthetic population: user u is active on a day with probability
 * rate_u (a few levels), with a fixed preferred hour; heavy users see
 * more items.  Deterministic from seed.
 */
static struct window *
tw_world(uint32_t n_users, int n_days, uint64_t seed)
{
    struct window *w = tw_new(20000, n_days);
    struct rng r;

    rng_seed(&r, seed, 7, 0);
    for (uint32_t u = 0; u < n_users; u++) {
        double rate = 0.05 + 0.9 * (double)(u % 10) / 9.0;
        int hour = (int)(u * 7 % 24);
        double heavy = 1.0 + (double)(u % 3) * 4.0;
        int start = (int)(u % 5);         /* account age differs */

        for (int k = start; k < n_days; k++) {
            int wd = dates_weekday(w->first_day + k);
            double pr = rate * (wd >= 5 && u % 2 ? 1.2 : 1.0);

            if (rng_uniform(&r) >= pr)
                continue;
            uint32_t ne = 1 + rng_poisson(&r, heavy * 3);

            for (uint32_t e = 0; e < ne; e++) {
                int h = (hour + (int)rng_below(&r, 3)) % 24;

                tw_exp(w, k, u, at(w->first_day + k, h,
                                   (int)rng_below(&r, 60)),
                       rng_uniform(&r) < 0.2 ? FB_CLICK | FB_LIKE : 0);
            }
        }
    }
    tw_finish(w);
    return w;
}

static struct avail_params
small_params(void)
{
    struct avail_params p = avail_default_params();

    /* One thread unless a test says otherwise: the suite runs on a busy
     * machine, where spinning OpenMP threads only cost time. */
    p.nthread = p.gbdt.nthread = p.cap_gbdt.nthread = 1;
    p.gbdt.rounds = 20;
    p.gbdt.max_depth = 4;
    p.cap_gbdt.rounds = 10;
    p.cap_gbdt.max_depth = 3;
    return p;
}

/* ---- features vs naive ---------------------------------------------- */

/*
 * Naive features of user u as of the last day of w: straight from the raw
 * exposures, day by day, without the per-day summaries.
 */
static void
naive_features(const struct window *w, const uint8_t *obs, uint32_t u,
               float *x)
{
    int nd = w->n_days, ke = nd - 1;
    int active[64] = { 0 }, nexp[64] = { 0 }, nsess[64] = { 0 };
    uint32_t hours[64] = { 0 };
    int64_t last_t[64] = { 0 };
    double clicks = 0, expl = 0, lng = 0;
    int wt = dates_weekday(w->last_day + 1);

    for (int k = 0; k < nd; k++) {
        int64_t prev = 0;

        if (!obs[k])
            continue;
        for (size_t i = 0; i < w->seg[k]->n_exp; i++) {
            const struct seg_exposure *e = &w->seg[k]->exp[i];
            int64_t t0 = dates_day_start(w->first_day + k, 0);

            if (e->user != u)
                continue;
            if (nexp[k] == 0 || e->t - prev > AVAIL_SESSION_GAP)
                nsess[k]++;
            prev = e->t;
            nexp[k]++;
            active[k] = 1;
            hours[k] |= 1u << dates_hour_of(e->t, 0);
            last_t[k] = e->t < t0 ? t0 : e->t >= t0 + 86400 ? t0 + 86399
                                                            : e->t;
            clicks += (e->fb & FB_CLICK) != 0;
            expl += (e->fb & FB_EXPLICIT) != 0;
            lng += (e->fb & FB_LONG_VIEW) != 0;
        }
    }
    double n_obs = 0, act = 0, ex = 0, sess = 0;
    double n7 = 0, a7 = 0, e7 = 0, n3 = 0, a3 = 0, nwd = 0, awd = 0;
    int first = -1, last = -1, maxrun = 0, run = 0, streak = 0;
    double hc[24] = { 0 }, hs = 0, ent = 0;
    int nh = 0;

    for (int k = 0; k < nd; k++) {
        if (!obs[k])
            continue;
        n_obs++;
        act += active[k];
        ex += nexp[k];
        if (k > ke - 7) {
            n7++;
            a7 += active[k];
            e7 += nexp[k];
        }
        if (k > ke - 3) {
            n3++;
            a3 += active[k];
        }
        if (dates_weekday(w->first_day + k) == wt) {
            nwd++;
            awd += active[k];
        }
        if (active[k]) {
            sess += nsess[k];
            if (first < 0)
                first = k;
            last = k;
            run++;
            maxrun = run > maxrun ? run : maxrun;
            for (int h = 0; h < 24; h++)
                hc[h] += (hours[k] >> h) & 1;
        } else {
            run = 0;
        }
    }
    for (int k = ke; k >= 0; k--) {
        if (!obs[k])
            continue;
        if (!active[k])
            break;
        streak++;
    }
    for (int h = 0; h < 24; h++)
        hs += hc[h];
    for (int h = 0; h < 24; h++)
        if (hc[h] > 0) {
            ent -= hc[h] / hs * log2(hc[h] / hs);
            nh++;
        }
    double rate = n_obs ? act / n_obs : 0, r7 = n7 ? a7 / n7 : 0;
    x[AF_N_OBS] = (float)n_obs;
    x[AF_ACT_RATE] = (float)rate;
    x[AF_ACT_RATE7] = (float)r7;
    x[AF_ACT_RATE3] = (float)(n3 ? a3 / n3 : 0);
    x[AF_ACT_LAST] = obs[ke] ? (float)active[ke] : (float)rate;
    x[AF_RECENCY] = last >= 0 ? (float)(ke - last) : AVAIL_RECENCY_NEVER;
    x[AF_STREAK] = (float)streak;
    x[AF_MAX_STREAK] = (float)maxrun;
    x[AF_EXP_PER_ACTIVE] = act ? (float)log1p(ex / act) : 0;
    x[AF_EXP_LAST] = obs[ke] ? (float)log1p(nexp[ke])
                             : (float)(n_obs ? log1p(ex / n_obs) : 0);
    x[AF_EXP7] = (float)(n7 ? log1p(e7 / n7) : 0);
    x[AF_TREND_ACT] = n_obs > n7 && n7 ? (float)(r7 - (act - a7)
                                                     / (n_obs - n7)) : 0;
    x[AF_TREND_EXP] = n_obs > n7 && n7
                    ? (float)(log1p(e7 / n7) - log1p((ex - e7) / (n_obs - n7)))
                    : 0;
    x[AF_CLICK_RATE] = ex ? (float)(clicks / ex) : 0;
    x[AF_EXPLICIT_RATE] = ex ? (float)(expl / ex) : 0;
    x[AF_LONG_RATE] = ex ? (float)(lng / ex) : 0;
    x[AF_INTER_PER_ACTIVE] = 0;
    x[AF_WD_RATE] = (float)((awd + rate) / (nwd + 1));
    x[AF_TARGET_WD] = (float)wt;
    x[AF_HOUR_ENTROPY] = (float)ent;
    x[AF_N_HOURS] = (float)nh;
    x[AF_SESS_PER_ACTIVE] = act ? (float)(sess / act) : 0;
    x[AF_EXP_PER_SESS] = sess ? (float)log1p(ex / sess) : 0;
    x[AF_AGE] = first >= 0 ? (float)(ke - first + 1) : 0;
    if (last >= 0) {
        double s = (double)(dates_day_start(w->last_day + 1, 0)
                            - last_t[last]) / 3600.0;
        x[AF_HOURS_SINCE_LAST] = (float)(s < 0 ? 0 : s);
    } else {
        x[AF_HOURS_SINCE_LAST] = 24 * AVAIL_RECENCY_NEVER;
    }
    x[AF_MEAN_GAP] = act >= 2 ? (float)((last - first) / (act - 1))
                              : AVAIL_RECENCY_NEVER;
}

START_TEST(test_avail_features_match_naive)
{
    struct window *w = tw_world(40, 12, 3);
    struct avail_params p = small_params();
    struct avail_scan s;
    uint8_t obs[12];
    int32_t train[2];

    /* Day 4 missing, day 8 present but empty: neither is observed. */
    tw_drop_day(w, 4);
    free(w->seg[8]->exp);
    w->seg[8]->exp = NULL;
    w->seg[8]->n_exp = 0;
    for (int k = 0; k < 12; k++)
        obs[k] = w->seg[k] && w->seg[k]->n_exp > 0;
    train[0] = w->last_day - 1;
    train[1] = w->last_day - 2;
    ck_assert_int_eq(avail_scan(w, 40, obs, train, 2, w->last_day, &p, &s,
                                NULL), 0);
    for (uint32_t u = 0; u < 40; u++) {
        float want[NF];

        naive_features(w, obs, u, want);
        for (int f = 0; f < NF; f++)
            ck_assert_msg(fabsf(s.x[u * NF + f] - want[f])
                          <= 1e-5f * (1 + fabsf(want[f])),
                          "user %u feature %s: %g, naive %g", u,
                          avail_feature_names[f], s.x[u * NF + f], want[f]);
    }
    /* Rows: only users with history, labels from the next day. */
    ck_assert_uint_gt(s.train.n, 0);
    for (size_t i = 0; i < s.valid.n; i++) {
        uint32_t u = s.valid.user[i];
        int k = w->n_days - 1, n = 0;

        for (size_t j = 0; j < w->seg[k]->n_exp; j++)
            n += w->seg[k]->exp[j].user == u;
        ck_assert_int_eq((int)s.valid.y_imp[i], n);
        ck_assert_int_eq((int)s.valid.y_act[i], n > 0);
        ck_assert_int_eq(s.valid.asof[i], w->last_day - 1);
    }
    avail_scan_release(&s);
    tw_free(w);
}
END_TEST

/* ---- gbdt ----------------------------------------------------------- */

static void
separable(size_t n, float *x, float *y, int f)
{
    struct rng r;

    rng_seed(&r, 11, 0, 0);
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < f; j++)
            x[i * f + j] = (float)rng_uniform(&r);
        y[i] = x[i * f + 2] + 0.5f * x[i * f + 0] > 0.8f;
    }
}

START_TEST(test_avail_gbdt_learns_and_is_deterministic)
{
    enum { N = 2000, NFE = 5 };
    float *x = xmalloc(N * NFE * sizeof *x), y[N], pr[N];
    struct gbdt_params gp = gbdt_default_params();
    struct gbdt *g1, *g2, *g3, *g4;
    struct bbuf b1 = BBUF_INIT, b2 = BBUF_INIT, b3 = BBUF_INIT;
    struct diag d = DIAG_INIT;

    separable(N, x, y, NFE);
    gp.rounds = 30;
    gp.nthread = 2;
    ck_assert_int_eq(gbdt_train(x, y, NULL, N, NFE, &gp, &g1, &d), 0);
    ck_assert_int_eq(gbdt_train(x, y, NULL, N, NFE, &gp, &g2, &d), 0);
    gp.nthread = 1;
    ck_assert_int_eq(gbdt_train(x, y, NULL, N, NFE, &gp, &g3, &d), 0);
    ck_assert_int_eq(gbdt_predict(g1, x, N, NFE, pr, &d), 0);
    {
        uint8_t *yb = avail_labels(y, N);

        ck_assert(metrics_auc(pr, yb, N) > 0.99);
        free(yb);
    }
    ck_assert_int_eq(gbdt_save_buffer(g1, &b1, &d), 0);
    ck_assert_int_eq(gbdt_save_buffer(g2, &b2, &d), 0);
    ck_assert_int_eq(gbdt_save_buffer(g3, &b3, &d), 0);
    ck_assert_uint_eq(b1.len, b2.len);
    ck_assert(memcmp(b1.p, b2.p, b1.len) == 0);
    ck_assert_uint_eq(b1.len, b3.len);
    ck_assert_msg(memcmp(b1.p, b3.p, b1.len) == 0,
                  "1 and 2 xgboost threads gave different models");
    /* The saved model predicts the same. */
    ck_assert_int_eq(gbdt_load_buffer(b1.p, b1.len, 1, &g4, &d), 0);
    ck_assert_uint_eq(gbdt_n_features(g4), NFE);
    {
        float p2[N];

        ck_assert_int_eq(gbdt_predict(g4, x, N, NFE, p2, &d), 0);
        ck_assert(memcmp(pr, p2, sizeof pr) == 0);
    }
    /* Wrong width and garbage bytes are errors, not crashes. */
    ck_assert_int_eq(gbdt_predict(g4, x, N, NFE - 1, pr, &d), -1);
    gbdt_free(g1);
    ck_assert_int_eq(gbdt_load_buffer("nonsense", 8, 1, &g1, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert(strncmp(d.msg, "xgboost: load model: ", 21) == 0);
    gbdt_free(g2);
    gbdt_free(g3);
    gbdt_free(g4);
    gbdt_free(NULL);
    bbuf_release(&b1);
    bbuf_release(&b2);
    bbuf_release(&b3);
    free(x);
}
END_TEST

START_TEST(test_avail_lr_learns)
{
    enum { N = 3000 };
    float *x = xmalloc(N * NF * sizeof *x), *y = xmalloc(N * sizeof *y);
    float *pr = xmalloc(N * sizeof *pr), *p2 = xmalloc(N * sizeof *p2);
    struct avail_lr m1, m2;
    struct rng r;

    rng_seed(&r, 5, 0, 0);
    for (size_t i = 0; i < N; i++) {
        double z = 0;

        for (int j = 0; j < NF; j++)
            x[i * NF + j] = (float)rng_normal(&r);
        x[i * NF + 3] = 7.0f;                   /* a constant column */
        z = 2.0 * x[i * NF + 0] - 1.5 * x[i * NF + 5];
        y[i] = rng_uniform(&r) < 1.0 / (1.0 + exp(-z));
    }
    avail_lr_fit(x, y, N, 1.0, 1, &m1);
    avail_lr_fit(x, y, N, 1.0, 2, &m2);
    ck_assert(memcmp(m1.w, m2.w, sizeof m1.w) == 0);
    /* Weights on the standardised scale near the generating ones. */
    ck_assert(fabs(m1.w[0] - 2.0) < 0.3);
    ck_assert(fabs(m1.w[5] + 1.5) < 0.3);
    avail_lr_predict(&m1, x, N, 1, pr);
    {
        uint8_t *yb = avail_labels(y, N);

        ck_assert(metrics_auc(pr, yb, N) > 0.8);
        free(yb);
    }
    free(x);
    free(y);
    free(pr);
    free(p2);
}
END_TEST

START_TEST(test_avail_labels_are_bytes)
{
    float y[] = { 0, 1, 0.25f, 0.75f, 1 };
    uint8_t *b = avail_labels(y, 5);

    ck_assert_int_eq(b[0], 0);
    ck_assert_int_eq(b[1], 1);
    ck_assert_int_eq(b[2], 0);
    ck_assert_int_eq(b[3], 1);
    ck_assert_int_eq(b[4], 1);
    free(b);
}
END_TEST

/* ---- threshold and windows ----------------------------------------- */

START_TEST(test_avail_threshold_hits_target)
{
    enum { N = 5000 };
    float *s = xmalloc(N * sizeof *s), *y = xmalloc(N * sizeof *y);
    struct rng r;
    double rec, prec, rec2, prec2;

    rng_seed(&r, 9, 0, 0);
    for (size_t i = 0; i < N; i++) {
        y[i] = rng_uniform(&r) < 0.4;
        /* Quantised scores, so ties happen. */
        s[i] = (float)(floor((rng_uniform(&r) * 0.7 + 0.3 * y[i]) * 200)
                       / 200);
    }
    for (double target = 0.5; target < 0.96; target += 0.15) {
        float t = avail_pick_threshold(s, y, N, AVAIL_TARGET_RECALL, target,
                                       &rec, &prec);
        float t2 = 2.0f;

        ck_assert(rec >= target);
        /* The next higher score misses the target. */
        for (size_t i = 0; i < N; i++)
            if (s[i] > t && s[i] < t2)
                t2 = s[i];
        avail_pick_threshold(s, y, N, AVAIL_TARGET_FIXED, t2, &rec2,
                             &prec2);
        ck_assert(rec2 < target);
    }
    {
        float t = avail_pick_threshold(s, y, N, AVAIL_TARGET_PRECISION, 0.7,
                                       &rec, &prec);
        float t2 = -1.0f;

        ck_assert(prec >= 0.7);
        for (size_t i = 0; i < N; i++)
            if (s[i] < t && s[i] > t2)
                t2 = s[i];
        avail_pick_threshold(s, y, N, AVAIL_TARGET_FIXED, t2, &rec2,
                             &prec2);
        ck_assert(prec2 < 0.7);
        ck_assert(rec2 > rec);
    }
    ck_assert(avail_pick_threshold(s, y, N, AVAIL_TARGET_FIXED, 0.25, NULL,
                                   NULL) == 0.25f);
    free(s);
    free(y);
}
END_TEST

START_TEST(test_avail_windows_hold_share)
{
    struct rng r;

    rng_seed(&r, 4, 0, 0);
    for (int trial = 0; trial < 500; trial++) {
        float c[24];
        double share = rng_uniform(&r), tot = 0, in = 0, best_k1 = 0;
        double sorted[24];
        uint32_t m;
        int k = 0;

        for (int h = 0; h < 24; h++) {
            c[h] = trial % 5 == 0 ? 0.3f
                                  : (float)(rng_uniform(&r) < 0.3
                                            ? rng_uniform(&r) : 0.01);
            tot += c[h];
        }
        m = avail_window_hours(c, share);
        for (int h = 0; h < 24; h++) {
            if ((m >> h) & 1) {
                in += c[h];
                k++;
            }
            sorted[h] = c[h];
        }
        ck_assert(in >= share * tot * (1 - 1e-9));
        /* Shortest: the best k-1 hours fall short. */
        for (int i = 0; i < 24; i++)
            for (int j = i + 1; j < 24; j++)
                if (sorted[j] > sorted[i]) {
                    double t = sorted[i];
                    sorted[i] = sorted[j];
                    sorted[j] = t;
                }
        for (int i = 0; i < k - 1; i++)
            best_k1 += sorted[i];
        ck_assert(k == 0 || best_k1 < share * tot);
    }
    {
        float z[24] = { 0 };

        ck_assert_uint_eq(avail_window_hours(z, 0.8), 0);
    }
}
END_TEST

/* ---- the stage ------------------------------------------------------ */

static void
assert_sane(const struct avail *a, const struct avail_params *p)
{
    for (uint32_t u = 0; u < a->n_users; u++) {
        double cond_sum = 0, in = 0;

        ck_assert(a->p_active[u] >= 0 && a->p_active[u] <= 1);
        ck_assert(isfinite(a->p_lr[u]) && isfinite(a->imp[u]));
        ck_assert(a->imp[u] >= 0);
        ck_assert(a->active[u] == (a->p_active[u] >= a->threshold));
        ck_assert(a->cap[u] >= p->cap_min && a->cap[u] <= p->cap_max);
        for (int h = 0; h < 24; h++) {
            float v = a->hourly[u * 24 + h];

            ck_assert(isfinite(v) && v >= 0 && v <= a->p_active[u] + 1e-6);
            cond_sum += v;
            if ((a->hours[u] >> h) & 1)
                in += v;
        }
        ck_assert_uint_eq(a->hours[u] >> 24, 0);
        if (a->p_active[u] > 0)
            ck_assert(in >= p->window_share * cond_sum * (1 - 1e-5));
    }
}

START_TEST(test_avail_build_learns_world)
{
    struct window *w = tw_world(1000, 24, 1);
    struct avail_params p = small_params();
    struct avail_report rep;
    struct avail *a;
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(avail_build(w, 1000, &p, &a, &rep, &d), 0);
    ck_assert_ptr_null(rep.fallback);
    ck_assert_int_eq(rep.n_train_days, 7);
    ck_assert_int_eq(rep.valid_day, w->last_day);
    ck_assert_int_eq(a->day, w->last_day + 1);
    /* Activity rates differ by user: both models separate them. */
    ck_assert_msg(a->valid[0] > 0.75, "gbdt valid auc %g", a->valid[0]);
    ck_assert_msg(a->valid[2] > 0.75, "lr valid auc %g", a->valid[2]);
    ck_assert(a->valid[4] >= 0.9);             /* recall target */
    ck_assert_uint_gt(a->model_len, 0);
    assert_sane(a, &p);
    /* A user who is on in hour 7 (u = 1) has hour 7 in the window. */
    ck_assert(a->hours[1] & (1u << 7));
    /* Heavier users get more capacity on average. */
    {
        double light = 0, heavy = 0;

        for (uint32_t u = 0; u < 1000; u++) {
            if (u % 3 == 0)
                light += a->imp[u];
            else if (u % 3 == 2)
                heavy += a->imp[u];
        }
        ck_assert(heavy > 2 * light);
    }
    avail_free(a);
    tw_free(w);
}
END_TEST

static void
save_bytes(const struct avail *a, const char *path, unsigned char **b,
           size_t *n)
{
    struct diag d = DIAG_INIT;
    FILE *fp;

    ck_assert_int_eq(avail_save(a, path, &d), 0);
    fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    rewind(fp);
    *b = xmalloc(*n);
    ck_assert_uint_eq(fread(*b, 1, *n, fp), *n);
    fclose(fp);
}

START_TEST(test_avail_threads_identical)
{
    struct window *w = tw_world(600, 14, 2);
    struct avail_params p = small_params();
    struct avail_report rep;
    struct avail *a1, *a2;
    struct diag d = DIAG_INIT;
    const char *dir = test_tmpdir();
    char path[4200];
    unsigned char *b1, *b2;
    size_t n1, n2;

    snprintf(path, sizeof path, "%s/a.bin", dir);
    p.nthread = 1;
    p.gbdt.nthread = 1;
    p.cap_gbdt.nthread = 1;
    p.max_train_rows = 2000;        /* exercise the subsample cut too */
    ck_assert_int_eq(avail_build(w, 600, &p, &a1, &rep, &d), 0);
    ck_assert_uint_le(rep.n_train_rows, 2000);
    ck_assert_uint_gt(rep.n_train_rows, 1500);
    save_bytes(a1, path, &b1, &n1);
    p.nthread = 2;
    p.gbdt.nthread = 2;
    p.cap_gbdt.nthread = 2;
    ck_assert_int_eq(avail_build(w, 600, &p, &a2, &rep, &d), 0);
    save_bytes(a2, path, &b2, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_msg(memcmp(b1, b2, n1) == 0, "1 vs 2 threads differ");
    free(b1);
    free(b2);
    avail_free(a1);
    avail_free(a2);
    tw_free(w);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_avail_save_load_round_trip_and_corruption)
{
    struct window *w = tw_world(300, 10, 5);
    struct avail_params p = small_params();
    struct avail_report rep;
    struct avail *a, *b;
    struct diag d = DIAG_INIT;
    const char *dir = test_tmpdir();
    char path[4200], bad[4300], msg[4400];
    unsigned char *bytes;
    size_t n;
    FILE *fp;

    ck_assert_int_eq(avail_build(w, 300, &p, &a, &rep, &d), 0);
    snprintf(path, sizeof path, "%s/avail.bin", dir);
    save_bytes(a, path, &bytes, &n);
    ck_assert_int_eq(avail_load(path, &b, &d), 0);
    ck_assert_uint_eq(b->n_users, a->n_users);
    ck_assert_int_eq(b->day, a->day);
    ck_assert_int_eq(b->first_day, a->first_day);
    ck_assert(b->threshold == a->threshold);
    ck_assert_uint_eq(b->cap_min, p.cap_min);
    ck_assert_uint_eq(b->model_len, a->model_len);
    ck_assert(memcmp(b->model, a->model, a->model_len) == 0);
    ck_assert(memcmp(b->p_active, a->p_active, 300 * 4) == 0);
    ck_assert(memcmp(b->p_lr, a->p_lr, 300 * 4) == 0);
    ck_assert(memcmp(b->imp, a->imp, 300 * 4) == 0);
    ck_assert(memcmp(b->active, a->active, 300) == 0);
    ck_assert(memcmp(b->cap, a->cap, 300 * 2) == 0);
    ck_assert(memcmp(b->hours, a->hours, 300 * 4) == 0);
    ck_assert(memcmp(b->hourly, a->hourly, 300 * 24 * 4) == 0);
    for (int i = 0; i < 6; i++)
        ck_assert(a->valid[i] == b->valid[i]);
    avail_free(b);

    /* Bad magic. */
    snprintf(bad, sizeof bad, "%s/bad.bin", dir);
    bytes[3] ^= 0x20;
    fp = fopen(bad, "wb");
    fwrite(bytes, 1, n, fp);
    fclose(fp);
    ck_assert_int_eq(avail_load(bad, &b, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    bytes[3] ^= 0x20;
    /* Another version. */
    bytes[8] = AVAIL_VERSION + 1;
    fp = fopen(bad, "wb");
    fwrite(bytes, 1, n, fp);
    fclose(fp);
    ck_assert_int_eq(avail_load(bad, &b, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_ptr_nonnull(strstr(d.msg, "version"));
    bytes[8] = AVAIL_VERSION;
    /* Truncated file. */
    fp = fopen(bad, "wb");
    fwrite(bytes, 1, n - 7, fp);
    fclose(fp);
    ck_assert_int_eq(avail_load(bad, &b, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    /* A well-formed container whose payload is short for its users. */
    {
        unsigned char pl[200];

        memset(pl, 0, sizeof pl);
        put_le32(pl, 1000);
        ck_assert_int_eq(binfile_save(bad, "\x89" "DRAVAIL", AVAIL_VERSION,
                                      pl, sizeof pl, 1, &d), 0);
        ck_assert_int_eq(avail_load(bad, &b, &d), -1);
        ck_assert_int_eq(d.rc, RC_DATA);
        snprintf(msg, sizeof msg, "%s: offset 0: payload of 200 bytes too "
                 "short for 1000 users", bad);
        ck_assert_str_eq(d.msg, msg);
    }
    /* Missing. */
    snprintf(bad, sizeof bad, "%s/none.bin", dir);
    ck_assert_int_eq(avail_load(bad, &b, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    free(bytes);
    avail_free(a);
    tw_free(w);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_avail_edge_cases_are_sane)
{
    struct window *w = tw_world(400, 15, 6);
    struct avail_params p = small_params();
    struct avail_report rep;
    struct avail *a;
    struct diag d = DIAG_INIT;
    int32_t last = w->last_day;

    /* User 400: a single event; user 401: every hour of every day;
     * user 402: one event stamped two days in the future (skew). */
    free(w->seg[3]->exp);
    w->seg[3]->exp = NULL;
    w->seg[3]->n_exp = 0;                      /* an empty day */
    tw_drop_day(w, 6);                         /* a missing day */
    tw_exp(w, 10, 400, at(w->first_day + 10, 13, 0), 0);
    for (int k = 0; k < 15; k++)
        if (w->seg[k] && k != 3)
            for (int h = 0; h < 24; h++)
                tw_exp(w, k, 401, at(w->first_day + k, h, 5), 0);
    tw_exp(w, 14, 402, at(last + 2, 3, 0), 0);
    tw_finish(w);
    ck_assert_int_eq(avail_build(w, 410, &p, &a, &rep, &d), 0);
    ck_assert_int_eq(rep.n_missing, 1);
    ck_assert_int_eq(rep.n_empty, 1);
    ck_assert_uint_eq(rep.n_skewed, 1);
    ck_assert_uint_eq(a->n_missing, 2);
    assert_sane(a, &p);
    /* Every-hour user: a window of most hours, high p_active. */
    ck_assert(__builtin_popcount(a->hours[401]) >= 18);
    ck_assert(a->p_active[401] > 0.5);
    ck_assert(a->active[401]);
    /* Users 403..409 have no history: finite, population-shaped. */
    ck_assert(a->p_active[405] < a->p_active[401]);
    ck_assert_uint_ne(a->hours[405], 0);
    avail_free(a);
    tw_free(w);
}
END_TEST

START_TEST(test_avail_short_windows_fall_back)
{
    struct avail_params p = small_params();
    struct avail_report rep;
    struct avail *a;
    struct diag d = DIAG_INIT;

    for (int nd = 1; nd <= 4; nd++) {
        struct window *w = tw_world(200, nd, 8);

        ck_assert_int_eq(avail_build(w, 200, &p, &a, &rep, &d), 0);
        if (nd <= 2) {
            ck_assert_ptr_nonnull(rep.fallback);
            ck_assert(a->flags & AVAIL_F_FALLBACK);
        } else {
            ck_assert_ptr_null(rep.fallback);
        }
        assert_sane(a, &p);
        avail_free(a);
        tw_free(w);
    }
    /* All days missing: still a table. */
    {
        struct window *w = tw_new(20000, 5);

        for (int k = 0; k < 5; k++)
            tw_drop_day(w, k);
        ck_assert_int_eq(avail_build(w, 10, &p, &a, &rep, &d), 0);
        ck_assert_int_eq(rep.n_missing, 5);
        ck_assert_int_eq(rep.valid_day, INT32_MIN);
        assert_sane(a, &p);
        avail_free(a);
        tw_free(w);
    }
}
END_TEST

START_TEST(test_avail_evaluate_on_next_day)
{
    struct window *w = tw_world(1000, 18, 12);
    struct avail_params p = small_params();
    struct avail_report rep;
    struct avail_eval ev;
    struct avail *a;
    struct diag d = DIAG_INIT;
    struct segment *next = w->seg[17];
    size_t tot = 0;

    /* The window is the first 17 days; day 18 is "tomorrow". */
    w->n_days = 17;
    w->last_day--;
    ck_assert_int_eq(avail_build(w, 1000, &p, &a, &rep, &d), 0);
    ck_assert_int_eq(avail_evaluate(a, w, next, &p, &ev, &d), 0);
    ck_assert_uint_eq(ev.n_users, 1000);
    ck_assert_uint_gt(ev.n_active, 200);
    ck_assert(ev.auc[0] > 0.75 && ev.auc[1] > 0.75);
    ck_assert(ev.recall[0] > 0.7);
    for (int b = 0; b < 10; b++)
        tot += ev.cal_n[b];
    ck_assert_uint_eq(tot, 1000);
    /* Users keep their own hours: their windows beat the population's. */
    ck_assert(ev.win_share[0] > ev.win_share[1]);
    ck_assert(ev.win_share[0] > 0.7 && ev.win_share[0] <= 1.0);
    ck_assert(ev.win_share[2] > ev.win_share[1]);
    ck_assert(ev.cap_ratio[0] > 0.5 && ev.cap_ratio[0] < 2.0);
    /* A pool of the same day twice: same rates, twice the counts. */
    {
        struct avail_evalpool *pl = avail_evalpool_new();
        struct avail_eval e2;

        ck_assert_int_eq(avail_evalpool_add(pl, a, w, next, &p, &d), 0);
        ck_assert_int_eq(avail_evalpool_add(pl, a, w, next, &p, &d), 0);
        avail_evalpool_finish(pl, &e2);
        ck_assert_int_eq(e2.n_days, 2);
        ck_assert_uint_eq(e2.n_users, 2 * ev.n_users);
        ck_assert_uint_eq(e2.n_active, 2 * ev.n_active);
        ck_assert_double_eq_tol(e2.auc[0], ev.auc[0], 1e-9);
        ck_assert_double_eq_tol(e2.recall[0], ev.recall[0], 1e-12);
        ck_assert_double_eq_tol(e2.win_share[2], ev.win_share[2], 1e-12);
        ck_assert_double_eq_tol(e2.cap_mae[0], ev.cap_mae[0], 1e-9);
        avail_evalpool_free(pl);
    }
    /* A segment of another day is refused. */
    next->day++;
    ck_assert_int_eq(avail_evaluate(a, w, next, &p, &ev, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    next->day--;
    w->n_days = 18;
    avail_free(a);
    tw_free(w);
}
END_TEST

START_TEST(test_avail_tsv_export)
{
    struct avail *a = xcalloc(1, sizeof *a);
    struct iddict *users = iddict_new();
    struct diag d = DIAG_INIT;
    const char *dir = test_tmpdir();
    char path[4200], *text;
    size_t len;
    const char *want_head = "user\tp_active\ta_u\tQ_u\th00";

    a->n_users = 2;
    a->p_active = xcalloc(2, sizeof(float));
    a->active = xcalloc(2, 1);
    a->cap = xcalloc(2, sizeof(uint16_t));
    a->hourly = xcalloc(48, sizeof(float));
    a->hours = xcalloc(2, sizeof(uint32_t));
    a->p_active[0] = 0.75f;
    a->active[0] = 1;
    a->cap[0] = 12;
    a->hourly[9] = 0.5f;
    a->hours[0] = 1u << 9 | 1u << 21;
    iddict_add(users, "alice", 5);
    iddict_add(users, "bob", 3);
    snprintf(path, sizeof path, "%s/a.tsv", dir);
    ck_assert_int_eq(avail_write_tsv(a, users, path, &d), 0);
    ck_assert_int_eq(file_read_all(path, &text, &len, &d), 0);
    ck_assert(strncmp(text, want_head, strlen(want_head)) == 0);
    ck_assert_ptr_nonnull(strstr(text, "\th23\twindow\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nalice\t0.75\t1\t12\t0\t0\t0\t0"
                                        "\t0\t0\t0\t0\t0\t0.5\t"));
    ck_assert_ptr_nonnull(strstr(text, "\t9,21\nbob\t0\t0\t0\t"));
    ck_assert(len > 3 && strcmp(text + len - 3, "\t-\n") == 0);
    free(text);
    /* Without a dictionary: indices. */
    ck_assert_int_eq(avail_write_tsv(a, NULL, path, &d), 0);
    ck_assert_int_eq(file_read_all(path, &text, &len, &d), 0);
    ck_assert_ptr_nonnull(strstr(text, "\n0\t0.75\t1\t12\t"));
    ck_assert_ptr_nonnull(strstr(text, "\n1\t0\t0\t0\t"));
    free(text);
    iddict_free(users);
    avail_free(a);
    test_rmtree(dir);
}
END_TEST

/* The stage on segments written to disk and read back by window_open. */
START_TEST(test_avail_build_from_disk_window)
{
    struct window *mem = tw_world(300, 12, 21), *w = NULL;
    struct iddict *users = iddict_new(), *other = iddict_new();
    struct avail_params p = small_params();
    struct avail_report rep;
    struct avail *a1, *a2, *a3 = NULL;
    struct diag d = DIAG_INIT;
    const char *dir = test_tmpdir();
    char root[4200], name[32], path1[4300], path2[4300];
    unsigned char *b1, *b2;
    size_t n1, n2;
    const char *kinds[] = { "users", "items", "creators", "tags" };

    snprintf(root, sizeof root, "%s/seg", dir);
    for (uint32_t u = 0; u < 300; u++) {
        int n = snprintf(name, sizeof name, "user%u", u);

        iddict_add(users, name, (size_t)n);
    }
    for (uint32_t i = 0; i < 20000; i++) {
        int n = snprintf(name, sizeof name, "item%u", i);

        iddict_add(other, name, (size_t)n);
    }
    tw_drop_day(mem, 5);
    for (int k = 0; k < mem->n_days; k++) {
        char *path, *sl;

        if (!mem->seg[k])
            continue;
        path = segment_path(root, mem->first_day + k);
        sl = strrchr(path, '/');
        *sl = '\0';
        ck_assert_int_eq(mkdir_p(path, &d), 0);
        *sl = '/';
        segment_sort(mem->seg[k], NULL);
        ck_assert_int_eq(segment_save(mem->seg[k], path, &d), 0);
        free(path);
    }
    for (int i = 0; i < 4; i++) {
        char *path = segment_dict_path(root, kinds[i]);
        char *sl = strrchr(path, '/');

        *sl = '\0';
        ck_assert_int_eq(mkdir_p(path, &d), 0);
        *sl = '/';
        ck_assert_int_eq(iddict_save(i == 0 ? users : other, path, &d), 0);
        free(path);
    }
    ck_assert_msg(window_open(root, mem->last_day, 12, 0, &w, &d) == 0, "%s",
                  d.msg);
    ck_assert_int_eq(w->n_missing, 1);
    ck_assert_uint_eq(iddict_count(w->users), 300);
    ck_assert_int_eq(avail_build(w, iddict_count(w->users), &p, &a1, &rep,
                                 &d), 0);
    ck_assert_int_eq(avail_build(mem, 300, &p, &a2, &rep, &d), 0);
    ck_assert_int_eq(rep.n_missing, 1);
    ck_assert(memcmp(a1->p_active, a2->p_active, 300 * sizeof(float)) == 0);
    ck_assert(memcmp(a1->hours, a2->hours, 300 * sizeof(uint32_t)) == 0);
    window_free(w);

    /* A lazy window, read one day at a time, saves the same bytes. */
    ck_assert_msg(window_open(root, mem->last_day, 12, WINDOW_LAZY, &w, &d)
                  == 0, "%s", d.msg);
    ck_assert_int_eq(avail_build(w, 300, &p, &a3, &rep, &d), 0);
    ck_assert_int_eq(rep.n_missing, 1);
    snprintf(path1, sizeof path1, "%s/eager.bin", dir);
    snprintf(path2, sizeof path2, "%s/lazy.bin", dir);
    ck_assert_int_eq(avail_save(a1, path1, &d), 0);
    ck_assert_int_eq(avail_save(a3, path2, &d), 0);
    b1 = test_read_file(path1, &n1);
    b2 = test_read_file(path2, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(b1, b2, n1) == 0);
    free(b1);
    free(b2);
    avail_free(a3);
    window_free(w);

    /* A day whose rows hold a user past the dictionary opens lazily and
     * fails the build, naming its path. */
    {
        struct segment *g = mem->seg[0];
        char *path = segment_path(root, mem->first_day);

        g->exp[g->n_exp - 1].user = 300;
        ck_assert_int_eq(segment_save(g, path, &d), 0);
        ck_assert_int_eq(window_open(root, mem->last_day, 12, WINDOW_LAZY,
                                     &w, &d), 0);
        ck_assert_int_eq(avail_build(w, 300, &p, &a3, &rep, &d), -1);
        ck_assert_int_eq(d.rc, RC_DATA);
        ck_assert_msg(strstr(d.msg, path) == d.msg, "message '%s'", d.msg);
        ck_assert_ptr_null(a3);
        window_free(w);
        free(path);
    }
    avail_free(a1);
    avail_free(a2);
    iddict_free(users);
    iddict_free(other);
    tw_free(mem);
    test_rmtree(dir);
}
END_TEST

Suite *
avail_suite(void)
{
    Suite *s = suite_create("avail");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_avail_features_match_naive);
    tcase_add_test(tc, test_avail_gbdt_learns_and_is_deterministic);
    tcase_add_test(tc, test_avail_lr_learns);
    tcase_add_test(tc, test_avail_labels_are_bytes);
    tcase_add_test(tc, test_avail_threshold_hits_target);
    tcase_add_test(tc, test_avail_windows_hold_share);
    tcase_add_test(tc, test_avail_build_learns_world);
    tcase_add_test(tc, test_avail_threads_identical);
    tcase_add_test(tc, test_avail_save_load_round_trip_and_corruption);
    tcase_add_test(tc, test_avail_edge_cases_are_sane);
    tcase_add_test(tc, test_avail_short_windows_fall_back);
    tcase_add_test(tc, test_avail_evaluate_on_next_day);
    tcase_add_test(tc, test_avail_tsv_export);
    tcase_add_test(tc, test_avail_build_from_disk_window);
    suite_add_tcase(s, tc);
    return s;
}
