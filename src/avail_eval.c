/*
 * avail_eval.c -- judge an availability table on the day it predicted:
 * activity (AUC, log-loss, calibration by decile, precision/recall of a_u)
 * against the logistic baseline, capacity (predicted vs realised
 * impressions) against the user's historical mean, and hourly windows
 * (share of the day's events inside them) against windows of the same
 * size from the population profile and from the user's last active day.
 *
 * Users of the next day who are not in the table (new ids) cannot be
 * predicted and are only counted.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "avail.h"
#include "dates.h"
#include "xmem.h"

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

static int
cmp_float_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;

    return x > y ? -1 : x < y;
}

int
avail_evaluate(const struct avail *a, const struct window *w,
               const struct segment *next, const struct avail_params *p,
               struct avail_eval *ev, struct diag *d)
{
    uint32_t n = a->n_users;
    struct avail_scan s;
    uint8_t *obs = xcalloc(w->n_days ? w->n_days : 1, 1);
    float *y = xcalloc(n ? n : 1, sizeof *y);
    uint32_t *nexp = xcalloc(n ? n : 1, sizeof *nexp);
    uint32_t *last_mask = xcalloc(n ? n : 1, sizeof *last_mask);
    uint32_t pop_mask[AVAIL_HOURS + 1];
    int order[AVAIL_HOURS];
    uint64_t in[3] = { 0, 0, 0 };
    double pop[AVAIL_HOURS];
    uint32_t prev_new = UINT32_MAX;

    memset(ev, 0, sizeof *ev);
    if (next->day != a->day) {
        free(obs);
        free(y);
        free(nexp);
        free(last_mask);
        return diag_set(d, RC_DATA, "segment of day %d given for a table "
                        "of day %d", next->day, a->day);
    }
    ev->day = a->day;
    ev->n_users = n;
    for (int k = 0; k < w->n_days; k++)
        obs[k] = w->seg[k] && w->seg[k]->n_exp + w->seg[k]->n_inter > 0;
    avail_scan(w, n, obs, NULL, 0, INT32_MIN, p, &s);
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
    for (uint32_t u = 0; u < n; u++) {
        int k = __builtin_popcount(a->hours[u]);

        last_mask[u] = s.last_hours[u]
                     ? pad_hours(top_of(s.last_hours[u], k, order), k, order)
                     : pop_mask[k];
    }

    /* Realised activity, and events inside each kind of window. */
    for (size_t i = 0; i < next->n_exp + next->n_inter; i++) {
        uint32_t u;
        int64_t t;
        int h;

        if (i < next->n_exp) {
            u = next->exp[i].user;
            t = next->exp[i].t;
        } else {
            u = next->inter[i - next->n_exp].user;
            t = next->inter[i - next->n_exp].t;
        }
        if (u >= n) {
            if (u != prev_new)      /* sorted by user within each array */
                ev->n_new_users += i < next->n_exp;
            prev_new = u;
            continue;
        }
        h = dates_hour_of(t, next->zone_offset);
        y[u] = 1.0f;
        if (i < next->n_exp)
            nexp[u]++;
        ev->n_events++;
        in[0] += (a->hours[u] >> h) & 1u;
        in[1] += (pop_mask[__builtin_popcount(a->hours[u])] >> h) & 1u;
        in[2] += (last_mask[u] >> h) & 1u;
    }
    for (int j = 0; j < 3; j++)
        ev->win_share[j] = ev->n_events ? (double)in[j] / ev->n_events : 0;

    ev->auc[0] = avail_auc(a->p_active, y, n);
    ev->auc[1] = avail_auc(a->p_lr, y, n);
    ev->logloss[0] = avail_logloss(a->p_active, y, n);
    ev->logloss[1] = avail_logloss(a->p_lr, y, n);
    avail_calibration(a->p_active, y, n, ev->cal_pred[0], ev->cal_obs[0],
                      ev->cal_n);
    avail_calibration(a->p_lr, y, n, ev->cal_pred[1], ev->cal_obs[1],
                      ev->cal_n);

    {
        double tp = 0, tp_lr = 0, hsum = 0, e[2] = { 0, 0 };
        double sp[2] = { 0, 0 }, sr = 0;
        float cut = 2.0f;
        float *sorted = xmalloc((n ? n : 1) * sizeof *sorted);

        for (uint32_t u = 0; u < n; u++) {
            ev->n_active += y[u] > 0;
            ev->n_flagged += a->active[u];
            tp += a->active[u] && y[u] > 0;
            sorted[u] = a->p_lr[u];
        }
        /* The baseline flags as many users, top by its own score. */
        qsort(sorted, n, sizeof *sorted, cmp_float_desc);
        if (ev->n_flagged > 0)
            cut = sorted[ev->n_flagged - 1];
        {
            uint32_t fl = 0;

            for (uint32_t u = 0; u < n; u++) {
                int f = a->p_lr[u] >= cut;

                fl += f;
                tp_lr += f && y[u] > 0;
            }
            ev->precision[1] = fl ? tp_lr / fl : 0;
        }
        free(sorted);
        ev->precision[0] = ev->n_flagged ? tp / ev->n_flagged : 0;
        ev->recall[0] = ev->n_active ? tp / ev->n_active : 0;
        ev->recall[1] = ev->n_active ? tp_lr / ev->n_active : 0;
        for (uint32_t u = 0; u < n; u++) {
            if (y[u] <= 0)
                continue;
            hsum += __builtin_popcount(a->hours[u]);
            e[0] += fabs((double)a->imp[u] - nexp[u]);
            e[1] += fabs((double)s.mean_exp[u] - nexp[u]);
            sp[0] += a->imp[u];
            sp[1] += s.mean_exp[u];
            sr += nexp[u];
        }
        for (int j = 0; j < 2; j++) {
            ev->cap_mae[j] = ev->n_active ? e[j] / ev->n_active : 0;
            ev->cap_ratio[j] = sr > 0 ? sp[j] / sr : 0;
        }
        ev->win_hours = ev->n_active ? hsum / ev->n_active : 0;
    }
    avail_scan_release(&s);
    free(obs);
    free(y);
    free(nexp);
    free(last_mask);
    return 0;
}

void
avail_eval_print(const struct avail_eval *ev, const char *label, FILE *fp)
{
    char day[16];

    fprintf(fp, "# uac evaluation: %s, day %s\n", label,
            dates_format_day(ev->day, day));
    fprintf(fp, "users\t%u\nactive_next_day\t%u\nnew_users_next_day\t%u\n",
            ev->n_users, ev->n_active, ev->n_new_users);
    fprintf(fp, "%-24s\t%10s\t%10s\n", "metric", "gbdt", "logreg");
    fprintf(fp, "%-24s\t%10.4f\t%10.4f\n", "auc", ev->auc[0], ev->auc[1]);
    fprintf(fp, "%-24s\t%10.4f\t%10.4f\n", "logloss", ev->logloss[0],
            ev->logloss[1]);
    fprintf(fp, "%-24s\t%10u\t%10u\n", "flagged_a_u", ev->n_flagged,
            ev->n_flagged);
    fprintf(fp, "%-24s\t%10.4f\t%10.4f\n", "precision_a_u",
            ev->precision[0], ev->precision[1]);
    fprintf(fp, "%-24s\t%10.4f\t%10.4f\n", "recall_a_u", ev->recall[0],
            ev->recall[1]);
    for (int b = 0; b < 10; b++)
        fprintf(fp, "calib_decile_%d_pred/obs\t%5.3f/%5.3f\t%5.3f/%5.3f\n",
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
