/*
 * avail.c -- the UAC stage: from a window of segments to the availability
 * table of the next day, and the table's file format (layout in avail.h).
 *
 * avail_build():
 *   1. observed days: a day with a segment holding at least one event; a
 *      missing day or an empty one (an outage) is reported and skipped
 *   2. label days: the last observed day is the validation day, the
 *      train_days observed days before it are training label days (each
 *      needs an observed day before it)
 *   3. one scan (avail_feat.c): training/validation rows, the features of
 *      every user as of the last day, hour-presence sums
 *   4. boosted trees (gbdt.h) and the logistic baseline on the training
 *      rows; both scored on the validation day; the a_u threshold is
 *      picked on the trees' validation scores
 *   5. a Poisson booster on the training rows of users active on the label
 *      day gives impressions-if-active, hence Q_u
 *   6. p_active, Q_u, hourly profile and window for every user
 * Without training pairs (a window of one or two observed days, or labels
 * of a single class) p_active falls back to a smoothed recent activity
 * rate and impressions to the user's mean per active day; the report and
 * the file's flags say so.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "avail.h"
#include "binfile.h"
#include "byteio.h"
#include "metrics.h"
#include "xmem.h"

#define F AVAIL_N_FEATURES

static const char AVAIL_MAGIC[BINFILE_MAGIC_SIZE] = {
    '\x89', 'D', 'R', 'A', 'V', 'A', 'I', 'L'
};

struct avail_params
avail_default_params(void)
{
    struct avail_params p;

    memset(&p, 0, sizeof p);
    p.train_days = 7;
    p.max_train_rows = 400000;
    p.max_valid_rows = 400000;
    p.target = AVAIL_TARGET_RECALL;
    p.target_value = 0.9;
    p.cap_scale = 0.25;
    p.cap_min = 10;
    p.cap_max = 50;
    p.window_share = 0.8;
    p.hour_decay = 0.85;
    p.weekday_boost = 2.0;
    p.prior_days = 1.0;
    p.lr_l2 = 1.0;
    p.gbdt = gbdt_default_params();
    p.cap_gbdt = gbdt_default_params();
    p.cap_gbdt.objective = "count:poisson";
    p.cap_gbdt.rounds = 40;
    p.cap_gbdt.max_depth = 5;
    p.nthread = 2;
    p.seed = 1;
    return p;
}

static struct avail *
avail_alloc(uint32_t n)
{
    struct avail *a = xcalloc(1, sizeof *a);
    size_t m = n ? n : 1;

    a->n_users = n;
    a->p_active = xcalloc(m, sizeof *a->p_active);
    a->active = xcalloc(m, sizeof *a->active);
    a->cap = xcalloc(m, sizeof *a->cap);
    a->hourly = xcalloc(m * AVAIL_HOURS, sizeof *a->hourly);
    a->hours = xcalloc(m, sizeof *a->hours);
    a->p_lr = xcalloc(m, sizeof *a->p_lr);
    a->imp = xcalloc(m, sizeof *a->imp);
    return a;
}

void
avail_free(struct avail *a)
{
    if (!a)
        return;
    free(a->p_active);
    free(a->active);
    free(a->cap);
    free(a->hourly);
    free(a->hours);
    free(a->p_lr);
    free(a->imp);
    free(a->model);
    free(a);
}

static double
mean_of(const float *y, size_t n)
{
    double s = 0;

    for (size_t i = 0; i < n; i++)
        s += y[i];
    return n ? s / (double)n : 0;
}

static int
one_class(const float *y, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if ((y[i] > 0.5) != (y[0] > 0.5))
            return 0;
    return 1;
}

/* p_active without a model: recent activity rate, Laplace-smoothed over
 * the observed days of the last week. */
static float
fallback_p(const float *x)
{
    double n7 = x[AF_N_OBS] < 7 ? x[AF_N_OBS] : 7;

    return (float)((x[AF_ACT_RATE7] * n7 + 0.5) / (n7 + 1.0));
}

static uint16_t
capacity(double imp, const struct avail_params *p)
{
    double q = floor(p->cap_scale * imp + 0.5);

    if (!(q >= p->cap_min))         /* also NaN */
        q = p->cap_min;
    if (q > p->cap_max)
        q = p->cap_max;
    return (uint16_t)q;
}

/* Train the two boosters and the baseline; fill a's p_active, p_lr, imp,
 * threshold, validation figures.  Returns 0, 1 for "fallback", -1. */
static int
fit_models(const struct avail_scan *s, const struct avail_params *p,
           struct avail *a, struct avail_report *rep, struct diag *d)
{
    const struct avail_rows *tr = &s->train, *va = &s->valid;
    struct gbdt *g = NULL, *gc = NULL;
    struct avail_lr lr;
    struct gbdt_params gp;
    double t;
    struct bbuf mb = BBUF_INIT;
    size_t n = a->n_users;
    int rc = -1;

    if (tr->n == 0 || one_class(tr->y_act, tr->n)) {
        rep->fallback = tr->n == 0 ? "no training pairs in the window"
                                   : "training labels of a single class";
        return 1;
    }
    /* Start the trees at the base rates (xgboost 1.7 starts at 0.5, which
     * costs rounds, most of all for the Poisson model in log space). */
    gp = p->gbdt;
    gp.base_score = mean_of(tr->y_act, tr->n);
    if (gbdt_train(tr->x, tr->y_act, NULL, tr->n, F, &gp, &g, d) < 0)
        goto out;
    avail_lr_fit(tr->x, tr->y_act, tr->n, p->lr_l2, p->nthread, &lr);
    t = omp_get_wtime();
    if (gbdt_predict(g, s->x, n, F, a->p_active, d) < 0)
        goto out;
    avail_lr_predict(&lr, s->x, n, p->nthread, a->p_lr);
    rep->sec_predict += omp_get_wtime() - t;

    /* Validation: metrics of both models, then the threshold. */
    a->threshold = p->target == AVAIL_TARGET_FIXED ? (float)p->target_value
                                                  : 0.5f;
    if (va->n > 0) {
        float *pg = xmalloc(va->n * sizeof *pg);
        float *pl = xmalloc(va->n * sizeof *pl);
        uint8_t *yb;

        if (gbdt_predict(g, va->x, va->n, F, pg, d) < 0) {
            free(pg);
            free(pl);
            goto out;
        }
        avail_lr_predict(&lr, va->x, va->n, p->nthread, pl);
        yb = avail_labels(va->y_act, va->n);
        a->valid[0] = metrics_auc(pg, yb, va->n);
        a->valid[1] = metrics_logloss(pg, yb, va->n);
        a->valid[2] = metrics_auc(pl, yb, va->n);
        a->valid[3] = metrics_logloss(pl, yb, va->n);
        free(yb);
        a->threshold = avail_pick_threshold(pg, va->y_act, va->n,
                                            p->target, p->target_value,
                                            &a->valid[4], &a->valid[5]);
        free(pg);
        free(pl);
    }
    if (gbdt_save_buffer(g, &mb, d) < 0)
        goto out;
    a->model = mb.p;
    a->model_len = mb.len;

    /* Impressions if active: Poisson trees on the active label rows. */
    {
        size_t m = 0;
        float *xa, *ya;

        for (size_t i = 0; i < tr->n; i++)
            m += tr->y_act[i] > 0.5;
        xa = xmalloc((m ? m : 1) * F * sizeof *xa);
        ya = xmalloc((m ? m : 1) * sizeof *ya);
        m = 0;
        for (size_t i = 0; i < tr->n; i++) {
            if (tr->y_act[i] > 0.5) {
                memcpy(xa + m * F, tr->x + i * F, F * sizeof *xa);
                ya[m++] = tr->y_imp[i];
            }
        }
        gp = p->cap_gbdt;
        gp.base_score = mean_of(ya, m);
        if (!(gp.base_score > 0))
            gp.base_score = 1.0;
        if (m > 0 && gbdt_train(xa, ya, NULL, m, F, &gp, &gc, d) < 0) {
            free(xa);
            free(ya);
            goto out;
        }
        free(xa);
        free(ya);
        t = omp_get_wtime();
        if (gc && gbdt_predict(gc, s->x, n, F, a->imp, d) < 0)
            goto out;
        rep->sec_predict += omp_get_wtime() - t;
        if (!gc)
            memcpy(a->imp, s->mean_exp, n * sizeof *a->imp);
    }
    rc = 0;
out:
    gbdt_free(g);
    gbdt_free(gc);
    return rc;
}

/* Whether a present day has any rows; a lazy window has not read them
 * but knows their counts. */
static int
day_has_rows(const struct window *w, const struct segment *g)
{
    if (w->flags & WINDOW_LAZY)
        return g->n_exp_file + g->n_inter_file > 0;
    return g->n_exp + g->n_inter > 0;
}

int
avail_build(const struct window *w, uint32_t n_users,
            const struct avail_params *p, struct avail **out,
            struct avail_report *rep, struct diag *d)
{
    int nd = w->n_days;
    uint8_t *obs = xcalloc(nd ? nd : 1, 1);
    int32_t *train = xmalloc((p->train_days > 0 ? p->train_days : 1)
                             * sizeof *train);
    int n_train = 0, kv = -1, first_obs = -1;
    struct avail_scan s;
    struct avail *a;
    double pop[AVAIL_HOURS], t;
    int fr;

    *out = NULL;
    memset(rep, 0, sizeof *rep);
    rep->valid_day = INT32_MIN;
    for (int k = 0; k < nd; k++) {
        const struct segment *g = w->seg[k];

        if (!g)
            rep->n_missing++;
        else if (!day_has_rows(w, g))
            rep->n_empty++;
        else
            obs[k] = 1;
        if (obs[k] && first_obs < 0)
            first_obs = k;
    }
    /* Validation day: the last observed day with an observed day before
     * it; training label days: the observed days before it, likewise. */
    for (int k = nd - 1; k > first_obs && first_obs >= 0; k--) {
        if (!obs[k])
            continue;
        if (kv < 0)
            kv = k;
        else if (n_train < p->train_days)
            train[n_train++] = w->first_day + k;
    }
    if (kv >= 0)
        rep->valid_day = w->first_day + kv;
    rep->n_train_days = n_train;

    t = omp_get_wtime();
    if (avail_scan(w, n_users, obs, train, n_train, rep->valid_day, p, &s,
                   d) < 0) {
        free(obs);
        free(train);
        return -1;
    }
    rep->sec_scan = omp_get_wtime() - t;
    rep->n_train_rows = s.train.n;
    rep->n_valid_rows = s.valid.n;
    rep->n_skewed = s.n_skewed;
    rep->n_history = s.n_history;

    a = avail_alloc(n_users);
    a->day = w->last_day + 1;
    a->first_day = w->first_day;
    a->n_days = (uint32_t)nd;
    a->n_missing = (uint32_t)(rep->n_missing + rep->n_empty);
    a->target = p->target;
    a->target_value = p->target_value;
    a->cap_scale = (float)p->cap_scale;
    a->cap_min = p->cap_min;
    a->cap_max = p->cap_max;
    a->window_share = (float)p->window_share;

    t = omp_get_wtime();
    fr = fit_models(&s, p, a, rep, d);
    rep->sec_fit = omp_get_wtime() - t - rep->sec_predict;
    if (fr < 0) {
        avail_free(a);
        avail_scan_release(&s);
        free(obs);
        free(train);
        return -1;
    }
    if (fr == 1) {
        a->flags |= AVAIL_F_FALLBACK;
        for (uint32_t u = 0; u < n_users; u++) {
            a->p_active[u] = fallback_p(s.x + (size_t)u * F);
            a->p_lr[u] = a->p_active[u];
            a->imp[u] = s.mean_exp[u];
        }
        a->threshold = p->target == AVAIL_TARGET_FIXED
                     ? (float)p->target_value : 0.5f;
    }

    t = omp_get_wtime();
    for (int h = 0; h < AVAIL_HOURS; h++)
        pop[h] = s.pop_den > 0 ? s.pop_num[h] / s.pop_den
                               : 1.0 / AVAIL_HOURS;
#pragma omp parallel for schedule(static) num_threads(p->nthread > 0 ? p->nthread : 1)
    for (uint32_t u = 0; u < n_users; u++) {
        float cond[AVAIL_HOURS];
        const float *hn = s.hnum + (size_t)u * AVAIL_HOURS;
        double den = (double)s.hden[u] + p->prior_days;
        float pa = a->p_active[u];

        if (!(pa >= 0.0f))
            pa = 0.0f;
        if (pa > 1.0f)
            pa = 1.0f;
        a->p_active[u] = pa;
        a->active[u] = pa >= a->threshold;
        if (!(a->imp[u] >= 0.0f))
            a->imp[u] = 0.0f;
        a->cap[u] = capacity(a->imp[u], p);
        for (int h = 0; h < AVAIL_HOURS; h++) {
            double c = den > 0 ? ((double)hn[h] + p->prior_days * pop[h])
                                 / den
                               : pop[h];

            cond[h] = (float)(c < 0 ? 0 : c > 1 ? 1 : c);
            a->hourly[(size_t)u * AVAIL_HOURS + h] = pa * cond[h];
        }
        a->hours[u] = avail_window_hours(cond, p->window_share);
    }
    rep->sec_predict += omp_get_wtime() - t;
    avail_scan_release(&s);
    free(obs);
    free(train);
    *out = a;
    return 0;
}

int
avail_save(const struct avail *a, const char *path, struct diag *d)
{
    struct bbuf b = BBUF_INIT;
    size_t n = a->n_users;
    int rc;

    bbuf_put_le32(&b, a->n_users);
    bbuf_put_le32(&b, (uint32_t)a->day);
    bbuf_put_le32(&b, (uint32_t)a->first_day);
    bbuf_put_le32(&b, a->n_days);
    bbuf_put_le32(&b, a->n_missing);
    bbuf_put_le32(&b, (uint32_t)a->target);
    bbuf_put_f64(&b, a->target_value);
    bbuf_put_f32(&b, a->threshold);
    bbuf_put_f32(&b, a->cap_scale);
    bbuf_put_le16(&b, a->cap_min);
    bbuf_put_le16(&b, a->cap_max);
    bbuf_put_f32(&b, a->window_share);
    bbuf_put_le32(&b, a->flags);
    for (int i = 0; i < 6; i++)
        bbuf_put_f64(&b, a->valid[i]);
    bbuf_put_le32(&b, (uint32_t)a->model_len);
    if (a->model_len)
        bbuf_put(&b, a->model, a->model_len);
    bbuf_put_f32v(&b, a->p_active, n);
    bbuf_put_f32v(&b, a->p_lr, n);
    bbuf_put_f32v(&b, a->imp, n);
    bbuf_put(&b, a->active, n);
    for (size_t i = 0; i < n; i++)
        bbuf_put_le16(&b, a->cap[i]);
    bbuf_put_le32v(&b, a->hours, n);
    bbuf_put_f32v(&b, a->hourly, n * AVAIL_HOURS);
    rc = binfile_save(path, AVAIL_MAGIC, AVAIL_VERSION, b.p, b.len, 3, d);
    bbuf_release(&b);
    return rc;
}

int
avail_load(const char *path, struct avail **out, struct diag *d)
{
    void *buf = NULL;
    size_t len = 0, n, need;
    struct bcur c;
    struct avail *a = NULL;
    uint32_t nu, target, mlen;

    *out = NULL;
    if (binfile_load(path, AVAIL_MAGIC, AVAIL_VERSION, &buf, &len, d) < 0)
        return -1;
    bcur_init(&c, buf, len);
    nu = bcur_get_le32(&c);
    if (!bcur_ok(&c))
        goto short_read;
    /* Check the size before allocating for n_users. */
    n = nu;
    if (len < 104 || (len - 104) / (4 + 4 + 4 + 1 + 2 + 4 + 4 * AVAIL_HOURS)
                     < n) {
        diag_set(d, RC_DATA, "%s: offset 0: payload of %zu bytes too short "
                 "for %u users", path, len, nu);
        goto fail;
    }
    a = avail_alloc(nu);
    a->day = (int32_t)bcur_get_le32(&c);
    a->first_day = (int32_t)bcur_get_le32(&c);
    a->n_days = bcur_get_le32(&c);
    a->n_missing = bcur_get_le32(&c);
    target = bcur_get_le32(&c);
    a->target_value = bcur_get_f64(&c);
    a->threshold = bcur_get_f32(&c);
    a->cap_scale = bcur_get_f32(&c);
    a->cap_min = bcur_get_le16(&c);
    a->cap_max = bcur_get_le16(&c);
    a->window_share = bcur_get_f32(&c);
    a->flags = bcur_get_le32(&c);
    for (int i = 0; i < 6; i++)
        a->valid[i] = bcur_get_f64(&c);
    mlen = bcur_get_le32(&c);
    if (!bcur_ok(&c))
        goto short_read;
    if (target > AVAIL_TARGET_FIXED) {
        diag_set(d, RC_DATA, "%s: offset 20: unknown target kind %u", path,
                 target);
        goto fail;
    }
    a->target = (enum avail_target)target;
    need = (size_t)mlen + n * (4 + 4 + 4 + 1 + 2 + 4 + 4 * AVAIL_HOURS);
    if (bcur_left(&c) != need) {
        diag_set(d, RC_DATA,
                 "%s: offset %zu: payload holds %zu bytes, expected %zu "
                 "for %u users", path, c.off, bcur_left(&c), need, nu);
        goto fail;
    }
    a->model_len = mlen;
    a->model = xmalloc(mlen ? mlen : 1);
    memcpy(a->model, bcur_take(&c, mlen), mlen);
    bcur_get_f32v(&c, a->p_active, n);
    bcur_get_f32v(&c, a->p_lr, n);
    bcur_get_f32v(&c, a->imp, n);
    memcpy(a->active, bcur_take(&c, n), n);
    for (size_t i = 0; i < n; i++)
        a->cap[i] = bcur_get_le16(&c);
    bcur_get_le32v(&c, a->hours, n);
    bcur_get_f32v(&c, a->hourly, n * AVAIL_HOURS);
    if (!bcur_ok(&c))
        goto short_read;
    for (size_t i = 0; i < n; i++) {
        if (a->active[i] > 1 || !(a->p_active[i] >= 0.0f
                                  && a->p_active[i] <= 1.0f)) {
            diag_set(d, RC_DATA, "%s: user %zu: bad p_active or a_u", path,
                     i);
            goto fail;
        }
    }
    free(buf);
    *out = a;
    return 0;
short_read:
    diag_set(d, RC_DATA, "%s: offset %zu: payload truncated", path, c.off);
fail:
    avail_free(a);
    free(buf);
    return -1;
}
