/*
 * avail_feat.c -- the UAC features: one pass over a window of segments,
 * per block of users, into training rows, validation rows, the feature
 * matrix for the day after the window, and the hour-presence sums of the
 * availability windows.
 *
 * Each user's events of each day are first summarised (struct uday: event
 * counts, sessions, online hours, last time); features are then computed
 * from the summaries for every "as-of" day the stage needs.  A day counts
 * only when observed[] says so: a missing or empty day (an outage, a
 * missing partition) is neither active nor inactive, so rates are over
 * observed days, streaks skip it, and it is never a label day.  Event
 * times outside their segment's day (clock skew) are counted, and clamped
 * into the day for the hours-since-last feature; their hour of day is
 * taken as is (always 0..23).
 *
 * Invariants: users are processed in fixed blocks of AVAIL_BLOCK; every
 * block writes only its own buffers; buffers are concatenated and
 * population sums reduced in block order, so the output is the same for
 * any number of threads.  Row subsampling keys on (seed, user, as-of)
 * only.
 */
#include <assert.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "avail.h"
#include "dates.h"
#include "rng.h"
#include "xmem.h"

#define AVAIL_BLOCK 512
#define F AVAIL_N_FEATURES

const char *const avail_feature_names[AVAIL_N_FEATURES] = {
    "n_obs", "act_rate", "act_rate7", "act_rate3", "act_last",
    "recency", "streak", "max_streak", "exp_per_active", "exp_last",
    "exp7", "trend_act", "trend_exp", "click_rate", "explicit_rate",
    "long_rate", "inter_per_active", "wd_rate", "target_wd",
    "hour_entropy", "n_hours", "sess_per_active", "exp_per_sess",
    "age", "hours_since_last", "mean_gap"
};

/* One user on one day. */
struct uday {
    uint32_t n_exp, n_click, n_explicit, n_long, n_inter, n_sess;
    uint32_t hours;         /* bit h: an event in hour h */
    int64_t last_t;         /* last event, clamped into the day */
};

void
avail_rows_release(struct avail_rows *r)
{
    free(r->x);
    free(r->y_act);
    free(r->y_imp);
    free(r->user);
    free(r->asof);
    memset(r, 0, sizeof *r);
}

void
avail_scan_release(struct avail_scan *s)
{
    avail_rows_release(&s->train);
    avail_rows_release(&s->valid);
    free(s->x);
    free(s->hnum);
    free(s->hden);
    free(s->last_hours);
    free(s->mean_exp);
    memset(s, 0, sizeof *s);
}

/* Rows with their subsampling key, while a block fills them. */
struct krows {
    struct avail_rows r;
    uint64_t *key;
};

static void
krows_push(struct krows *k, const float *x, float y_act, float y_imp,
           uint32_t user, int32_t asof, uint64_t key)
{
    struct avail_rows *r = &k->r;

    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;

        r->x = xreallocarray(r->x, cap * F, sizeof *r->x);
        r->y_act = xreallocarray(r->y_act, cap, sizeof *r->y_act);
        r->y_imp = xreallocarray(r->y_imp, cap, sizeof *r->y_imp);
        r->user = xreallocarray(r->user, cap, sizeof *r->user);
        r->asof = xreallocarray(r->asof, cap, sizeof *r->asof);
        k->key = xreallocarray(k->key, cap, sizeof *k->key);
        r->cap = cap;
    }
    memcpy(r->x + r->n * F, x, F * sizeof *x);
    r->y_act[r->n] = y_act;
    r->y_imp[r->n] = y_imp;
    r->user[r->n] = user;
    r->asof[r->n] = asof;
    k->key[r->n] = key;
    r->n++;
}

static uint64_t
row_key(uint64_t seed, uint32_t user, int32_t asof)
{
    return rng_mix64(rng_mix64(seed ^ 0x5541435f524f5753ULL)
                     ^ ((uint64_t)user << 32 | (uint32_t)asof));
}

/* First index i in exp[0..n) with exp[i].user >= u. */
static size_t
lower_exp(const struct seg_exposure *e, size_t n, uint32_t u)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (e[mid].user < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t
lower_inter(const struct seg_inter *e, size_t n, uint32_t u)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (e[mid].user < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Summarise users [u0, u1) of segment seg into ud[(u - u0) * n_days + k].
 * Exposures are sorted by (user, t), so sessions are gaps > SESSION_GAP
 * between consecutive exposures of a user.
 */
static void
summarise_day(const struct segment *seg, int k, int n_days, uint32_t u0,
              uint32_t u1, struct uday *ud, uint64_t *skew)
{
    int64_t t0 = dates_day_start(seg->day, seg->zone_offset);
    int64_t t1 = t0 + DATES_DAY_SECONDS;
    size_t i = lower_exp(seg->exp, seg->n_exp, u0);
    size_t j;

    for (; i < seg->n_exp && seg->exp[i].user < u1; i++) {
        const struct seg_exposure *e = &seg->exp[i];
        struct uday *x = &ud[(size_t)(e->user - u0) * n_days + k];

        if (e->t < t0 || e->t >= t1)
            (*skew)++;
        if (x->n_exp == 0 || e->t - x->last_t > AVAIL_SESSION_GAP)
            x->n_sess++;
        /* last_t holds the raw time while exposures are walked (for the
         * session gaps), clamped below. */
        x->last_t = e->t;
        x->n_exp++;
        x->n_click += (e->fb & FB_CLICK) != 0;
        x->n_explicit += (e->fb & FB_EXPLICIT) != 0;
        x->n_long += (e->fb & FB_LONG_VIEW) != 0;
        x->hours |= 1u << dates_hour_of(e->t, seg->zone_offset);
    }
    j = lower_inter(seg->inter, seg->n_inter, u0);
    for (; j < seg->n_inter && seg->inter[j].user < u1; j++) {
        const struct seg_inter *e = &seg->inter[j];
        struct uday *x = &ud[(size_t)(e->user - u0) * n_days + k];

        if (e->t < t0 || e->t >= t1)
            (*skew)++;
        x->n_inter++;
        x->hours |= 1u << dates_hour_of(e->t, seg->zone_offset);
        if (x->n_exp == 0 && x->n_inter == 1)
            x->last_t = e->t;
        else if (e->t > x->last_t)
            x->last_t = e->t;
    }
    for (uint32_t u = u0; u < u1; u++) {
        struct uday *x = &ud[(size_t)(u - u0) * n_days + k];

        if (x->n_exp || x->n_inter) {
            x->last_t = x->last_t < t0 ? t0
                      : x->last_t >= t1 ? t1 - 1 : x->last_t;
        }
    }
}

/*
 * Features of one user as of day index ke (history: observed days
 * 0..ke of the window).  asof = first_day + ke; zone for the day ends.
 */
static void
features_at(const struct uday *ud, const uint8_t *obs, int ke,
            int32_t first_day, int32_t zone, float *x)
{
    int32_t asof = first_day + ke;
    int wt = dates_weekday(asof + 1);
    double n_obs = 0, act = 0, n7 = 0, a7 = 0, n3 = 0, a3 = 0;
    double exp_all = 0, exp7 = 0, clicks = 0, expl = 0, lng = 0;
    double inter = 0, sess = 0, n_wd = 0, a_wd = 0;
    double hc[AVAIL_HOURS] = { 0 };
    int last_act = -1, first_act = -1, streak = 0, run = 0, max_run = 0;
    int streak_open = 1;
    double ent = 0, hsum = 0;
    int n_hours = 0;

    for (int k = 0; k <= ke; k++) {
        const struct uday *u = &ud[k];
        int a;

        if (!obs[k])
            continue;
        a = (u->n_exp | u->n_inter) != 0;
        n_obs++;
        act += a;
        exp_all += u->n_exp;
        if (k >= ke - 6) {
            n7++;
            a7 += a;
            exp7 += u->n_exp;
        }
        if (k >= ke - 2) {
            n3++;
            a3 += a;
        }
        if (dates_weekday(first_day + k) == wt) {
            n_wd++;
            a_wd += a;
        }
        if (a) {
            clicks += u->n_click;
            expl += u->n_explicit;
            lng += u->n_long;
            inter += u->n_inter;
            sess += u->n_sess;
            for (uint32_t m = u->hours & 0xffffffu; m; m &= m - 1)
                hc[__builtin_ctz(m)]++;
            if (first_act < 0)
                first_act = k;
            last_act = k;
            run++;
            if (run > max_run)
                max_run = run;
        } else {
            run = 0;
        }
    }
    /* Current streak: back from ke over observed days. */
    for (int k = ke; k >= 0 && streak_open; k--) {
        if (!obs[k])
            continue;
        if (ud[k].n_exp | ud[k].n_inter)
            streak++;
        else
            streak_open = 0;
    }
    for (int h = 0; h < AVAIL_HOURS; h++)
        hsum += hc[h];
    for (int h = 0; h < AVAIL_HOURS; h++) {
        if (hc[h] > 0) {
            double q = hc[h] / hsum;

            ent -= q * log2(q);
            n_hours++;
        }
    }

    double rate = n_obs > 0 ? act / n_obs : 0;
    double rate7 = n7 > 0 ? a7 / n7 : 0;
    double n_old = n_obs - n7, a_old = act - a7;
    double lexp7 = n7 > 0 ? log1p(exp7 / n7) : 0;

    x[AF_N_OBS] = (float)n_obs;
    x[AF_ACT_RATE] = (float)rate;
    x[AF_ACT_RATE7] = (float)rate7;
    x[AF_ACT_RATE3] = (float)(n3 > 0 ? a3 / n3 : 0);
    if (ke >= 0 && obs[ke])
        x[AF_ACT_LAST] = (float)((ud[ke].n_exp | ud[ke].n_inter) != 0);
    else
        x[AF_ACT_LAST] = (float)rate;
    x[AF_RECENCY] = last_act >= 0 ? (float)(ke - last_act)
                                  : AVAIL_RECENCY_NEVER;
    x[AF_STREAK] = (float)streak;
    x[AF_MAX_STREAK] = (float)max_run;
    x[AF_EXP_PER_ACTIVE] = act > 0 ? (float)log1p(exp_all / act) : 0.0f;
    if (ke >= 0 && obs[ke])
        x[AF_EXP_LAST] = (float)log1p((double)ud[ke].n_exp);
    else
        x[AF_EXP_LAST] = n_obs > 0 ? (float)log1p(exp_all / n_obs) : 0.0f;
    x[AF_EXP7] = (float)lexp7;
    x[AF_TREND_ACT] = n_old > 0 && n7 > 0 ? (float)(rate7 - a_old / n_old)
                                          : 0.0f;
    x[AF_TREND_EXP] = n_old > 0 && n7 > 0
                    ? (float)(lexp7 - log1p((exp_all - exp7) / n_old))
                    : 0.0f;
    x[AF_CLICK_RATE] = exp_all > 0 ? (float)(clicks / exp_all) : 0.0f;
    x[AF_EXPLICIT_RATE] = exp_all > 0 ? (float)(expl / exp_all) : 0.0f;
    x[AF_LONG_RATE] = exp_all > 0 ? (float)(lng / exp_all) : 0.0f;
    x[AF_INTER_PER_ACTIVE] = act > 0 ? (float)log1p(inter / act) : 0.0f;
    x[AF_WD_RATE] = (float)((a_wd + rate) / (n_wd + 1));
    x[AF_TARGET_WD] = (float)wt;
    x[AF_HOUR_ENTROPY] = (float)ent;
    x[AF_N_HOURS] = (float)n_hours;
    x[AF_SESS_PER_ACTIVE] = act > 0 ? (float)(sess / act) : 0.0f;
    x[AF_EXP_PER_SESS] = sess > 0 ? (float)log1p(exp_all / sess) : 0.0f;
    x[AF_AGE] = first_act >= 0 ? (float)(ke - first_act + 1) : 0.0f;
    if (last_act >= 0) {
        double s = (double)(dates_day_start(asof + 1, zone)
                            - ud[last_act].last_t) / 3600.0;
        double cap = 24.0 * AVAIL_RECENCY_NEVER;

        x[AF_HOURS_SINCE_LAST] = (float)(s < 0 ? 0 : s > cap ? cap : s);
    } else {
        x[AF_HOURS_SINCE_LAST] = 24.0f * AVAIL_RECENCY_NEVER;
    }
    x[AF_MEAN_GAP] = act >= 2 ? (float)((last_act - first_act) / (act - 1))
                              : AVAIL_RECENCY_NEVER;
}

static int
has_history(const struct uday *ud, const uint8_t *obs, int ke)
{
    for (int k = 0; k <= ke; k++)
        if (obs[k] && (ud[k].n_exp | ud[k].n_inter))
            return 1;
    return 0;
}

struct block_out {
    struct krows train, valid;
    double pop_num[AVAIL_HOURS], pop_den;
    uint32_t n_history;
};

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void
concat_rows(struct block_out *b, size_t nb, int which, size_t max_rows,
            struct avail_rows *out)
{
    size_t n = 0, at = 0;
    uint64_t cut = UINT64_MAX;

    for (size_t i = 0; i < nb; i++)
        n += (which ? b[i].valid : b[i].train).r.n;
    if (n > max_rows && max_rows > 0) {
        /* Keep the max_rows smallest keys (deterministic, thread-free). */
        uint64_t *keys = xmalloc(n * sizeof *keys);
        size_t m = 0;

        for (size_t i = 0; i < nb; i++) {
            struct krows *k = which ? &b[i].valid : &b[i].train;

            memcpy(keys + m, k->key, k->r.n * sizeof *keys);
            m += k->r.n;
        }
        qsort(keys, m, sizeof *keys, cmp_u64);
        cut = keys[max_rows - 1];
        free(keys);
    }
    memset(out, 0, sizeof *out);
    out->cap = n;
    out->x = xmalloc((n ? n : 1) * F * sizeof *out->x);
    out->y_act = xmalloc((n ? n : 1) * sizeof *out->y_act);
    out->y_imp = xmalloc((n ? n : 1) * sizeof *out->y_imp);
    out->user = xmalloc((n ? n : 1) * sizeof *out->user);
    out->asof = xmalloc((n ? n : 1) * sizeof *out->asof);
    for (size_t i = 0; i < nb; i++) {
        struct krows *k = which ? &b[i].valid : &b[i].train;

        for (size_t r = 0; r < k->r.n; r++) {
            if (k->key[r] > cut)
                continue;
            memcpy(out->x + at * F, k->r.x + r * F, F * sizeof *out->x);
            out->y_act[at] = k->r.y_act[r];
            out->y_imp[at] = k->r.y_imp[r];
            out->user[at] = k->r.user[r];
            out->asof[at] = k->r.asof[r];
            at++;
        }
    }
    out->n = at;
}

/*
 * The summaries of every user on every observed day, ud[u * n_days + k],
 * reading one day's rows at a time (a lazy window loads and frees each
 * day here), so memory is the summaries plus one day.  Users are split
 * into blocks summarised in parallel; each user's summary depends only on
 * its own rows, so the result does not depend on the thread count.
 */
static int
summarise_window(const struct window *w, uint32_t n_users,
                 const uint8_t *observed, int nthread, struct uday **out,
                 uint64_t *skew, struct diag *d)
{
    int nd = w->n_days;
    size_t nb = ((size_t)n_users + AVAIL_BLOCK - 1) / AVAIL_BLOCK;
    struct uday *ud = xcalloc((size_t)n_users * nd + 1, sizeof *ud);
    uint64_t *bskew = xcalloc(nb ? nb : 1, sizeof *bskew);

    *out = NULL;
    for (int k = 0; k < nd; k++) {
        struct day_ref day;
        const struct segment *seg;

        if (!w->seg[k] || !observed[k])
            continue;
        if (window_get_day(w, k, 0, &day, d) < 0) {
            free(ud);
            free(bskew);
            return -1;
        }
        seg = day.seg;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthread)
        for (size_t b = 0; b < nb; b++) {
            uint32_t u0 = (uint32_t)(b * AVAIL_BLOCK);
            uint32_t u1 = u0 + AVAIL_BLOCK > n_users ? n_users
                                                     : u0 + AVAIL_BLOCK;

            summarise_day(seg, k, nd, u0, u1, ud + (size_t)u0 * nd,
                          &bskew[b]);
        }
        window_put_day(&day);
    }
    for (size_t b = 0; b < nb; b++)
        *skew += bskew[b];
    free(bskew);
    *out = ud;
    return 0;
}

int
avail_scan(const struct window *w, uint32_t n_users, const uint8_t *observed,
           const int32_t *train_label, int n_train, int32_t valid_label,
           const struct avail_params *p, struct avail_scan *out,
           struct diag *d)
{
    int nd = w->n_days;
    size_t nb = ((size_t)n_users + AVAIL_BLOCK - 1) / AVAIL_BLOCK;
    struct block_out *bo = xcalloc(nb ? nb : 1, sizeof *bo);
    int32_t zone = 0;
    int ke_last = w->last_day - w->first_day;
    int wt_next = dates_weekday(w->last_day + 1);
    double keep_train = 1.0, keep_valid = 1.0;
    uint64_t lim_train, lim_valid;
    double *dw = xmalloc((nd ? nd : 1) * sizeof *dw);

    struct uday *ud_all;
    int nthread = p->nthread > 0 ? p->nthread : 1;

    memset(out, 0, sizeof *out);
    if (summarise_window(w, n_users, observed, nthread, &ud_all,
                         &out->n_skewed, d) < 0) {
        free(bo);
        free(dw);
        return -1;
    }
    for (int k = 0; k < nd; k++) {
        if (w->seg[k]) {
            zone = w->seg[k]->zone_offset;
            break;
        }
    }
    /* Hour-presence weights of the days before D+1. */
    for (int k = 0; k < nd; k++) {
        dw[k] = pow(p->hour_decay, (double)(ke_last - k));
        if (dates_weekday(w->first_day + k) == wt_next)
            dw[k] *= p->weekday_boost;
    }
    /* A first, cheap subsample bound: at most ~2x the row caps survive
     * into block buffers; the exact cut happens in concat_rows. */
    if (p->max_train_rows > 0 && n_train > 0
     && (double)n_users * n_train > 2.0 * p->max_train_rows)
        keep_train = 2.0 * p->max_train_rows / ((double)n_users * n_train);
    if (p->max_valid_rows > 0
     && (double)n_users > 2.0 * p->max_valid_rows)
        keep_valid = 2.0 * p->max_valid_rows / (double)n_users;
    lim_train = keep_train >= 1.0 ? UINT64_MAX
              : (uint64_t)(keep_train * 18446744073709551615.0);
    lim_valid = keep_valid >= 1.0 ? UINT64_MAX
              : (uint64_t)(keep_valid * 18446744073709551615.0);

    out->x = xmalloc(((size_t)n_users ? n_users : 1) * F * sizeof *out->x);
    out->hnum = xcalloc((size_t)n_users * AVAIL_HOURS + 1, sizeof(float));
    out->hden = xcalloc((size_t)n_users + 1, sizeof(float));
    out->last_hours = xcalloc((size_t)n_users + 1, sizeof(uint32_t));
    out->mean_exp = xcalloc((size_t)n_users + 1, sizeof(float));

#pragma omp parallel num_threads(nthread)
    {
        float xr[F];

#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < nb; b++) {
            uint32_t u0 = (uint32_t)(b * AVAIL_BLOCK);
            uint32_t u1 = u0 + AVAIL_BLOCK > n_users ? n_users
                                                     : u0 + AVAIL_BLOCK;
            struct block_out *o = &bo[b];

            for (uint32_t u = u0; u < u1; u++) {
                const struct uday *uu = &ud_all[(size_t)u * nd];
                double act = 0, ex = 0, hd = 0;
                double hn[AVAIL_HOURS] = { 0 };
                int last = -1;

                for (int t = 0; t < n_train; t++) {
                    int kl = train_label[t] - w->first_day;
                    uint64_t key = row_key(p->seed, u, train_label[t] - 1);

                    if (kl < 1 || kl >= nd || key > lim_train
                     || !has_history(uu, observed, kl - 1))
                        continue;
                    features_at(uu, observed, kl - 1, w->first_day, zone,
                                xr);
                    krows_push(&o->train, xr,
                               (uu[kl].n_exp | uu[kl].n_inter) != 0,
                               (float)uu[kl].n_exp, u, train_label[t] - 1,
                               key);
                }
                if (valid_label != INT32_MIN) {
                    int kl = valid_label - w->first_day;
                    uint64_t key = row_key(p->seed, u, valid_label - 1);

                    if (kl >= 1 && kl < nd && key <= lim_valid
                     && has_history(uu, observed, kl - 1)) {
                        features_at(uu, observed, kl - 1, w->first_day,
                                    zone, xr);
                        krows_push(&o->valid, xr,
                                   (uu[kl].n_exp | uu[kl].n_inter) != 0,
                                   (float)uu[kl].n_exp, u, valid_label - 1,
                                   key);
                    }
                }
                features_at(uu, observed, ke_last, w->first_day, zone,
                            out->x + (size_t)u * F);
                for (int k = 0; k < nd; k++) {
                    if (!observed[k] || !(uu[k].n_exp | uu[k].n_inter))
                        continue;
                    act++;
                    ex += uu[k].n_exp;
                    hd += dw[k];
                    for (uint32_t m = uu[k].hours & 0xffffffu; m; m &= m - 1)
                        hn[__builtin_ctz(m)] += dw[k];
                    last = k;
                }
                if (last >= 0) {
                    o->n_history++;
                    out->last_hours[u] = uu[last].hours & 0xffffffu;
                    out->mean_exp[u] = (float)(ex / act);
                    out->hden[u] = (float)hd;
                    for (int h = 0; h < AVAIL_HOURS; h++) {
                        out->hnum[(size_t)u * AVAIL_HOURS + h] = (float)hn[h];
                        o->pop_num[h] += hn[h];
                    }
                    o->pop_den += hd;
                }
            }
        }
    }
    free(ud_all);
    for (size_t b = 0; b < nb; b++) {
        for (int h = 0; h < AVAIL_HOURS; h++)
            out->pop_num[h] += bo[b].pop_num[h];
        out->pop_den += bo[b].pop_den;
        out->n_history += bo[b].n_history;
    }
    concat_rows(bo, nb, 0, p->max_train_rows, &out->train);
    concat_rows(bo, nb, 1, p->max_valid_rows, &out->valid);
    for (size_t b = 0; b < nb; b++) {
        avail_rows_release(&bo[b].train.r);
        avail_rows_release(&bo[b].valid.r);
        free(bo[b].train.key);
        free(bo[b].valid.key);
    }
    free(bo);
    free(dw);
    return 0;
}
