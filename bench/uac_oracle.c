/*
 * uac_oracle.c -- bench/eval helper: compare an availability table of a
 * generated world with the world's ground truth (worldgen.h), which a
 * real log never has.
 *
 *   uac_oracle GENDIR SEGROOT AVAIL_FILE
 *
 * For the day the table predicts, over the users of the table that the
 * world knows: AUC of the table's p_active and of the true probability of
 * a session that day (worldgen_p_active_day, the best any model can do)
 * against the realised activity of the truth files; the share of realised
 * session-start hours inside the table's windows and inside windows of the
 * same size made of the user's truly most likely hours (worldgen_p_online).
 * Prints a small table on stdout.  Built by bench/bench_uac.sh.
 */
#include <stdio.h>
#include <stdlib.h>

#include "avail.h"
#include "dates.h"
#include "diag.h"
#include "iddict.h"
#include "metrics.h"
#include "segment.h"
#include "worldgen.h"
#include "xmem.h"

static void
die(const struct diag *d)
{
    fprintf(stderr, "uac_oracle: %s\n", d->msg);
    exit(d->rc ? d->rc : 1);
}

int
main(int argc, char **argv)
{
    struct diag d = DIAG_INIT;
    struct worldgen_truth *t = NULL;
    struct iddict *users = NULL;
    struct avail *a = NULL;
    char *dpath, day_s[16];
    float *ps, *po, *py;
    uint8_t *yb;
    size_t n = 0;
    uint64_t ev = 0, in_pred = 0, in_orac = 0;
    int32_t k;

    if (argc != 4) {
        fprintf(stderr, "usage: uac_oracle GENDIR SEGROOT AVAIL_FILE\n");
        return 64;
    }
    if (worldgen_truth_load(argv[1], &t, &d) < 0)
        die(&d);
    dpath = segment_dict_path(argv[2], "users");
    if (iddict_load(dpath, &users, &d) < 0 || avail_load(argv[3], &a, &d) < 0)
        die(&d);
    free(dpath);
    k = a->day - t->first_day;
    if (k < 0 || k >= (int32_t)t->n_days) {
        fprintf(stderr, "uac_oracle: day %s not in the truth files\n",
                dates_format_day(a->day, day_s));
        return 66;
    }
    ps = xmalloc((a->n_users + 1) * sizeof *ps);
    po = xmalloc((a->n_users + 1) * sizeof *po);
    py = xmalloc((a->n_users + 1) * sizeof *py);
    for (uint32_t u = 0; u < a->n_users && u < iddict_count(users); u++) {
        uint32_t g;
        uint32_t hours;
        double pon[AVAIL_HOURS];
        int kk = __builtin_popcount(a->hours[u]);
        uint32_t om = 0;

        if (worldgen_parse_id(iddict_name(users, u), 'u', &g) < 0
         || g >= t->n_users)
            continue;
        hours = t->day_hours[(size_t)k * t->n_users + g];
        ps[n] = a->p_active[u];
        po[n] = (float)worldgen_p_active_day(t->world, g, a->day);
        py[n] = hours != 0;
        n++;
        /* The oracle window: the kk truly most likely hours. */
        for (int h = 0; h < AVAIL_HOURS; h++)
            pon[h] = worldgen_p_online(t->world, g, a->day, h);
        for (int i = 0; i < kk; i++) {
            int best = -1;

            for (int h = 0; h < AVAIL_HOURS; h++)
                if (!((om >> h) & 1u) && (best < 0 || pon[h] > pon[best]))
                    best = h;
            om |= 1u << best;
        }
        ev += (uint64_t)__builtin_popcount(hours);
        in_pred += (uint64_t)__builtin_popcount(hours & a->hours[u]);
        in_orac += (uint64_t)__builtin_popcount(hours & om);
    }
    printf("# uac vs ground truth, day %s, %zu users\n",
           dates_format_day(a->day, day_s), n);
    printf("%-28s\t%10s\t%10s\n", "metric", "table", "oracle");
    yb = avail_labels(py, n);
    printf("%-28s\t%10.4f\t%10.4f\n", "auc_active_next_day",
           metrics_auc(ps, yb, n), metrics_auc(po, yb, n));
    printf("%-28s\t%10.4f\t%10.4f\n", "logloss_active_next_day",
           metrics_logloss(ps, yb, n), metrics_logloss(po, yb, n));
    free(yb);
    printf("%-28s\t%10.4f\t%10.4f\n", "session_hours_in_window",
           ev ? (double)in_pred / ev : 0, ev ? (double)in_orac / ev : 0);
    free(ps);
    free(po);
    free(py);
    avail_free(a);
    iddict_free(users);
    worldgen_truth_free(t);
    return 0;
}
