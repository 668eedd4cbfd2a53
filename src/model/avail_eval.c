/*
 * avail_eval.c -- judge availability tables on the days they predicted:
 * activity (AUC, log-loss, calibration by decile, precision/recall of a_u)
 * against the logistic baseline, capacity (predicted vs realised
 * impressions) against the user's historical mean, and hourly windows
 * (share of the day's events inside them) against windows of the same
 * size from the population profile and from the user's last active day.
 *
 * Days are pooled (struct avail_evalpool): every (day, user) row keeps the
 * scores and the outcome, sums of events inside each kind of window are
 * added up, and the metrics are computed once over the pool.  One day is
 * a pool of one.  Users of the next day who are not in the table (new
 * ids) cannot be predicted and are only counted (from the exposures).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "avail.h"
#include "dates.h"
#include "metrics.h"
#include "xmem.h"

struct avail_evalpool {
    size_t n, cap;
    float *p, *p_lr, *y, *imp, *mean_exp, *nexp;
    uint8_t *flag, *win;
    uint64_t in[3], n_events, n_new_users;
    int n_days;
    int32_t last_day;
};

struct avail_evalpool *
avail_evalpool_new(void)
{
    return xcalloc(1, sizeof(struct avail_evalpool));
}

void
avail_evalpool_free(struct avail_evalpool *pl)
{
    if (!pl)
        return;
    free(pl->p);
    free(pl->p_lr);
    free(pl->y);
    free(pl->imp);
    free(pl->mean_exp);
    free(pl->nexp);
    free(pl->flag);
    free(pl->win);
    free(pl);
}

static void
pool_reserve(struct avail_evalpool *pl, size_t more)
{
    size_t need = pl->n + more, cap;

    if (need <= pl->cap)
        return;
    cap = pl->cap ? pl->cap : 1024;
    while (cap < need)
        cap *= 2;
    pl->p = xreallocarray(pl->p, cap, sizeof *pl->p);
    pl->p_lr = xreallocarray(pl->p_lr, cap, sizeof *pl->p_lr);
    pl->y = xreallocarray(pl->y, cap, sizeof *pl->y);
    pl->imp = xreallocarray(pl->imp, cap, sizeof *pl->imp);
    pl->mean_exp = xreallocarray(pl->mean_exp, cap, sizeof *pl->mean_exp);
    pl->nexp = xreallocarray(pl->nexp, cap, sizeof *pl->nexp);
    pl->flag = xreallocarray(pl->flag, cap, 1);
    pl->win = xreallocarray(pl->win, cap, 1);
    pl->cap = cap;
}

/* The k hours of order[] (population ranking) not in have, added to it. */
static uint32_t
pad_hours(uint32_t have, int k, const int *order)
{
    for (int i = 0; i < AVAIL_HOURS && __builtin_popcount(have) < k; i++)
        have |= 1u << order[i];
    return have;
}

/* Keep the k hours of m ranked highest in the population order. */
static uint32_t
top_of(uint32_t m, int k, const int *order)
{
    uint32_t out = 0;

    for (int i = 0; i < AVAIL_HOURS && __builtin_popcount(out) < k; i++)
        if ((m >> order[i]) & 1u)
            out |= 1u << order[i];
    return out;
}

int
avail_evalpool_add(struct avail_evalpool *pl, const struct avail *a,
                   const struct window *w, const struct segment *next,
                   const struct avail_params *p, struct diag *d)
{
    uint32_t n = a->n_users;
    struct avail_scan s;
    uint8_t *obs;
    uint32_t *last_mask, pop_mask[AVAIL_HOURS + 1];
    int order[AVAIL_HOURS];
    double pop[AVAIL_HOURS];
    uint32_t prev_new = UINT32_MAX;
    size_t base = pl->n;

    if (next->day != a->day)
        return diag_set(d, RC_DATA, "segment of day %d given for a table "
                        "of day %d", next->day, a->day);
    obs = xcalloc(w->n_days ? w->n_days : 1, 1);
    for (int k = 0; k < w->n_days; k++)
        obs[k] = w->seg[k] && w->seg[k]->n_exp + w->seg[k]->n_inter > 0;
    if (avail_scan(w, n, obs, NULL, 0, INT32_MIN, p, &s, d) < 0) {
        free(obs);
        return -1;
    }
    for (int h = 0; h < AVAIL_HOURS; h++) {
        pop[h] = s.pop_den > 0 ? s.pop_num[h] / s.pop_den : 0;
        order[h] = h;
    }
    for (int i = 1; i < AVAIL_HOURS; i++) {
        int h = order[i], j = i;

        while (j > 0 && pop[order[j - 1]] < pop[h]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = h;
    }
    for (int k = 0; k <= AVAIL_HOURS; k++)
        pop_mask[k] = pad_hours(0, k, order);
    last_mask = xmalloc((n ? n : 1) * sizeof *last_mask);
    pool_reserve(pl, n);
    for (uint32_t u = 0; u < n; u++) {
        int k = __builtin_popcount(a->hours[u]);
        size_t r = base + u;

        last_mask[u] = s.last_hours[u]
                     ? pad_hours(top_of(s.last_hours[u], k, order), k, order)
                     : pop_mask[k];
        pl->p[r] = a->p_active[u];
        pl->p_lr[r] = a->p_lr[u];
        pl->y[r] = 0;
        pl->imp[r] = a->imp[u];
        pl->mean_exp[r] = s.mean_exp[u];
        pl->nexp[r] = 0;
        pl->flag[r] = a->active[u];
        pl->win[r] = (uint8_t)k;
    }
    pl->n += n;

    /* Realised activity, and events inside each kind of window. */
    for (size_t i = 0; i < next->n_exp + next->n_inter; i++) {
        int is_exp = i < next->n_exp;
        uint32_t u = is_exp ? next->exp[i].user
                            : next->inter[i - next->n_exp].user;
        int64_t t = is_exp ? next->exp[i].t : next->inter[i - next->n_exp].t;
        int h;

        if (u >= n) {
            /* exposures are sorted by user: count each new id once */
            if (is_exp && u != prev_new)
                pl->n_new_users++;
            prev_new = u;
            continue;
        }
        h = dates_hour_of(t, next->zone_offset);
        pl->y[base + u] = 1.0f;
        if (is_exp)
            pl->nexp[base + u]++;
        pl->n_events++;
        pl->in[0] += (a->hours[u] >> h) & 1u;
        pl->in[1] += (pop_mask[__builtin_popcount(a->hours[u])] >> h) & 1u;
        pl->in[2] += (last_mask[u] >> h) & 1u;
    }
    pl->n_days++;
    pl->last_day = a->day;
    avail_scan_release(&s);
    free(obs);
    free(last_mask);
    return 0;
}

static int
cmp_float_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;

    return x > y ? -1 : x < y;
}

void
avail_evalpool_finish(const struct avail_evalpool *pl, struct avail_eval *ev)
{
    size_t n = pl->n;
    double tp = 0, tp_lr = 0, hsum = 0, e[2] = { 0, 0 };
    double sp[2] = { 0, 0 }, sr = 0;
    float cut = 2.0f;
    float *sorted = xmalloc((n ? n : 1) * sizeof *sorted);
    uint64_t fl = 0;
    uint8_t *yb;

    memset(ev, 0, sizeof *ev);
    ev->day = pl->last_day;
    ev->n_days = pl->n_days;
    ev->n_users = n;
    ev->n_new_users = pl->n_new_users;
    ev->n_events = pl->n_events;
    for (int j = 0; j < 3; j++)
        ev->win_share[j] = pl->n_events ? (double)pl->in[j] / pl->n_events
                                        : 0;
    yb = avail_labels(pl->y, n);
    ev->auc[0] = metrics_auc(pl->p, yb, n);
    ev->auc[1] = metrics_auc(pl->p_lr, yb, n);
    ev->logloss[0] = metrics_logloss(pl->p, yb, n);
    ev->logloss[1] = metrics_logloss(pl->p_lr, yb, n);
    metrics_calibration(pl->p, yb, n, 10, ev->cal_pred[0], ev->cal_obs[0],
                        ev->cal_n);
    metrics_calibration(pl->p_lr, yb, n, 10, ev->cal_pred[1],
                        ev->cal_obs[1], ev->cal_n);
    free(yb);
    for (size_t r = 0; r < n; r++) {
        ev->n_active += pl->y[r] > 0;
        ev->n_flagged += pl->flag[r];
        tp += pl->flag[r] && pl->y[r] > 0;
        sorted[r] = pl->p_lr[r];
    }
    /* The baseline flags as many rows, top by its own score. */
    qsort(sorted, n, sizeof *sorted, cmp_float_desc);
    if (ev->n_flagged > 0)
        cut = sorted[ev->n_flagged - 1];
    for (size_t r = 0; r < n; r++) {
        int f = pl->p_lr[r] >= cut;

        fl += f;
        tp_lr += f && pl->y[r] > 0;
    }
    free(sorted);
    ev->precision[0] = ev->n_flagged ? tp / ev->n_flagged : 0;
    ev->precision[1] = fl ? tp_lr / fl : 0;
    ev->recall[0] = ev->n_active ? tp / ev->n_active : 0;
    ev->recall[1] = ev->n_active ? tp_lr / ev->n_active : 0;
    for (size_t r = 0; r < n; r++) {
        if (pl->y[r] <= 0)
            continue;
        hsum += pl->win[r];
        e[0] += fabs((double)pl->imp[r] - pl->nexp[r]);
        e[1] += fabs((double)pl->mean_exp[r] - pl->nexp[r]);
        sp[0] += pl->imp[r];
        sp[1] += pl->mean_exp[r];
        sr += pl->nexp[r];
    }
    for (int j = 0; j < 2; j++) {
        ev->cap_mae[j] = ev->n_active ? e[j] / ev->n_active : 0;
        ev->cap_ratio[j] = sr > 0 ? sp[j] / sr : 0;
    }
    ev->win_hours = ev->n_active ? hsum / ev->n_active : 0;
}

int
avail_evaluate(const struct avail *a, const struct window *w,
               const struct segment *next, const struct avail_params *p,
               struct avail_eval *ev, struct diag *d)
{
    struct avail_evalpool *pl = avail_evalpool_new();
    int rc = avail_evalpool_add(pl, a, w, next, p, d);

    if (rc == 0)
        avail_evalpool_finish(pl, ev);
    avail_evalpool_free(pl);
    return rc;
}

void
avail_eval_print(const struct avail_eval *ev, const char *label, FILE *fp)
{
    char day[16];

    fprintf(fp, "# uac evaluation: %s, %d day(s) up to %s\n", label,
            ev->n_days, dates_format_day(ev->day, day));
    fprintf(fp, "user_days\t%llu\nactive_next_day\t%llu\n"
            "new_users_next_day\t%llu\n", (unsigned long long)ev->n_users,
            (unsigned long long)ev->n_active,
            (unsigned long long)ev->n_new_users);
    fprintf(fp, "%-24s\t%10s\t%10s\n", "metric", "gbdt", "logreg");
    fprintf(fp, "%-24s\t%10.4f\t%10.4f\n", "auc", ev->auc[0], ev->auc[1]);
    fprintf(fp, "%-24s\t%10.4f\t%10.4f\n", "logloss", ev->logloss[0],
            ev->logloss[1]);
    fprintf(fp, "%-24s\t%10llu\t%10llu\n", "flagged_a_u",
            (unsigned long long)ev->n_flagged,
            (unsigned long long)ev->n_flagged);
    fprintf(fp, "%-24s\t%10.4f\t%10.4f\n", "precision_a_u",
            ev->precision[0], ev->precision[1]);
    fprintf(fp, "%-24s\t%10.4f\t%10.4f\n", "recall_a_u", ev->recall[0],
            ev->recall[1]);
    for (int b = 0; b < 10; b++)
        fprintf(fp, "calib_decile_%-2d pred/obs\t%5.3f/%5.3f\t%5.3f/%5.3f\n",
                b + 1, ev->cal_pred[0][b], ev->cal_obs[0][b],
                ev->cal_pred[1][b], ev->cal_obs[1][b]);
    fprintf(fp, "%-24s\t%10s\t%10s\n", "capacity", "predicted",
            "mean_hist");
    fprintf(fp, "%-24s\t%10.3f\t%10.3f\n", "impressions_mae",
            ev->cap_mae[0], ev->cap_mae[1]);
    fprintf(fp, "%-24s\t%10.3f\t%10.3f\n", "impressions_sum_ratio",
            ev->cap_ratio[0], ev->cap_ratio[1]);
    fprintf(fp, "%-24s\t%10s\t%10s\t%10s\n", "windows", "predicted",
            "population", "last_day");
    fprintf(fp, "%-24s\t%10.4f\t%10.4f\t%10.4f\n", "events_in_window",
            ev->win_share[0], ev->win_share[1], ev->win_share[2]);
    fprintf(fp, "%-24s\t%10.2f\n", "mean_window_hours", ev->win_hours);
}
