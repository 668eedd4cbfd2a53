/*
 * modeleval.c -- offline evaluation of a saved model (see modeleval.h):
 * the ranker's tables on the day after its window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "modeleval.h"
#include "segment.h"
#include "tower.h"

void
modeleval_rank_default_opts(struct modeleval_rank_opts *o)
{
    memset(o, 0, sizeof *o);
    o->days = 30;
    o->xgb_rounds = 100;
    o->xgb_max = 2000000;
    o->theta_items = 1000;
    o->theta_cands = 500;
}

static void
print_eval(FILE *out, const char *name, const struct rank_eval *ev)
{
    for (int t = 0; t < RANK_N_TASKS; t++)
        fprintf(out, "| %s | %s | %llu | %.4f | %.4f | %.4f | %.4f |\n", name,
                rank_task_name(t), (unsigned long long)ev->task[t].n_pos,
                ev->task[t].auc, ev->task[t].logloss, ev->task[t].auc_new,
                ev->task[t].auc_old);
    fprintf(out, "| %s | score (explicit) | | %.4f | | per-item %.4f | "
            "per-item -theta %.4f |\n", name, ev->auc_score, ev->gauc_score,
            ev->gauc_theta);
}

/* Train one variant and evaluate it on test; prints one table row. */
static int
ablation_row(const struct rank_params *base, const struct tower *t,
             const struct window *w, const struct segment *test,
             unsigned flags, FILE *out, struct diag *d)
{
    struct rank_params p = *base;
    struct rank_model *m = NULL;
    struct rank_context *ctx = NULL;
    struct rank_eval ev;
    int rc;

    p.flags = flags;
    rc = rank_train(w, t, &p, &m, NULL, d) < 0
      || rank_context_build(m, w, t, &ctx, d) < 0
      || rank_evaluate(m, ctx, test, &ev, d) < 0 ? -1 : 0;
    if (rc == 0)
        fprintf(out, "| %-3s | %-3s | %.4f | %.4f | %.4f | %.4f | %.4f | "
                "%.4f | %.4f | %.4f |\n", flags & RANK_AUGMENT ? "yes" : "no",
                flags & RANK_EXTRA ? "yes" : "no", ev.task[TASK_CLICK].auc,
                ev.task[TASK_LIKE].auc, ev.task[TASK_COMMENT].auc,
                ev.task[TASK_FOLLOW].auc, ev.task[TASK_LONG_VIEW].auc,
                ev.auc_score, ev.task[TASK_LIKE].auc_new, ev.gauc_score);
    rank_context_free(ctx);
    rank_free(m);
    return rc;
}

/*
 * theta_u: for theta weights 0 .. 1, the per-item AUC of the score for
 * explicit feedback on D+1 and how concentrated the top-10 users of the
 * report's items are.
 */
static int
theta_report(const struct modeleval_rank_opts *o,
             const struct rank_model *m, const struct rank_context *ctx,
             const struct segment *test, FILE *out, struct diag *d)
{
    static const float gammas[] = { 0, 0.25f, 0.5f, 0.75f, 1, 1.5f };
    struct cands *c = rank_eval_cands(test, o->theta_items, o->theta_cands,
                                      m->seed);
    struct rank_model mm = *m;
    struct rank_eval ev;
    uint32_t heavy = 0, nd;

    /* the heaviest 1% of the day's active users */
    for (size_t k = 0; k < test->n_exp; k++)
        heavy += k == 0 || test->exp[k].user != test->exp[k - 1].user;
    heavy = heavy / 100 > 0 ? heavy / 100 : 1;
    fprintf(out, "\n## theta_u: %zu items x %zu candidates (model weight "
            "%.2f)\n\n"
            "| theta weight | per-item AUC (explicit) | top-10 slots held by "
            "the %u heaviest | distinct users in top-10 |\n|---|---|---|---|\n",
            c->n_items, c->n_items ? c->off[1] : 0, m->theta_weight, heavy);
    for (size_t g = 0; g < sizeof gammas / sizeof gammas[0]; g++) {
        double conc;

        mm.theta_weight = gammas[g];
        if (rank_evaluate(&mm, ctx, test, &ev, d) < 0
            || rank_score_cands(&mm, ctx, c, d) < 0) {
            cands_free(c);
            return -1;
        }
        conc = rank_top_concentration(c, 10, heavy, &nd);
        fprintf(out, "| %s %.2f | %.4f | %.4f | %u |\n",
                gammas[g] == 0 ? "without theta_u," : "with theta_u,",
                gammas[g], ev.gauc_theta, conc, nd);
    }
    cands_free(c);
    return 0;
}

static int
evaluate(const struct modeleval_rank_opts *o, const struct tower *t,
         const struct window *w, const struct rank_model *m,
         const struct segment *test, FILE *out, struct diag *d)
{
    struct rank_context *ctx = NULL;
    struct rank_eval ev, xg;
    char day[16];
    int rc = -1;

    if (rank_context_build(m, w, t, &ctx, d) < 0
        || rank_evaluate(m, ctx, test, &ev, d) < 0)
        goto out;
    fprintf(out, "## ranking evaluation on %s (%llu exposures, %llu of new "
            "items)\n\n", dates_format_day(o->date + 1, day),
            (unsigned long long)ev.n, (unsigned long long)ev.n_new);
    fprintf(out, "| model | task | positives | AUC | log-loss | AUC new "
            "items | "
            "AUC old items |\n|---|---|---|---|---|---|---|\n");
    print_eval(out, "ranker", &ev);
    if (o->xgb_rounds > 0) {
        if (rank_xgb_baseline(w, t, test, m->flags, o->xgb_max,
                              o->xgb_rounds, 6, m->seed, &xg, d) < 0)
            goto out;
        print_eval(out, "xgboost", &xg);
    }
    if (theta_report(o, m, ctx, test, out, d) < 0)
        goto out;
    if (o->ablation) {
        /* the saved model's settings; flags vary per row */
        struct rank_params p = rank_default_params();

        p.dim = m->dim;
        p.hidden = m->hidden;
        p.hash_bits = m->hash_bits;
        /* a warm-started model counts every night's epochs: the
         * ablation retrains cold, with at most the cold default */
        if (m->epochs < p.epochs)
            p.epochs = m->epochs;
        p.seed = m->seed;
        p.theta_ref = m->theta_ref;
        p.theta_weight = m->theta_weight;
        memcpy(p.weight, m->weight, sizeof p.weight);
        p.max_samples_per_day = o->max_per_day;
        fprintf(out, "\n## ablation (paper Table 4), AUC on %s\n\n"
                "| augment | extra | click | like | comment | follow | "
                "long_view | score | like new items | per-item score |\n"
                "|---|---|---|---|---|---|---|---|---|---|\n",
                dates_format_day(o->date + 1, day));
        for (unsigned f = 0; f < 4; f++)
            if (ablation_row(&p, t, w, test, f, out, d) < 0)
                goto out;
    }
    rc = 0;
out:
    rank_context_free(ctx);
    return rc;
}

int
modeleval_rank(const struct modeleval_rank_opts *o, FILE *out,
               struct diag *d)
{
    struct rank_model *m = NULL;
    struct tower *t = NULL;
    struct segment *test = NULL;
    struct window *w = NULL;
    char *path;
    int rc = -1;

    /* every input first: nothing is computed when one is missing */
    path = segment_path(o->segroot, o->date + 1);
    rc = segment_load(path, &test, d);
    free(path);
    if (rc < 0)
        return -1;
    rc = -1;
    if (rank_load(o->rank_path, &m, d) < 0
        || (o->tower_path != NULL && tower_load(o->tower_path, &t, d) < 0)
        /* lazy, interactions too: days of ratings are learnt from and
         * scored as samples (rank_sample.c); every pass reads one day's
         * rows at a time */
        || window_open(o->segroot, o->date, (int)o->days, WINDOW_LAZY, &w,
                       d) < 0
        || evaluate(o, t, w, m, test, out, d) < 0)
        goto out;
    rc = 0;
out:
    window_free(w);
    tower_free(t);
    rank_free(m);
    segment_free(test);
    return rc;
}
