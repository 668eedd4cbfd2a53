/*
 * dualrec-train-rank -- fit the multi-task creator-experience ranker on a
 * window of day segments and write the model file; optionally evaluate it
 * on the next day (per-task AUC/log-loss, new vs old items, the xgboost
 * baseline, the paper's Table 4 ablation, the effect of theta_u) and time
 * the scoring of a candidate table.  All the work is in src/rank*.c.
 *
 * stdout carries the evaluation tables (markdown); progress on stderr.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dates.h"
#include "rank.h"
#include "segment.h"
#include "tower.h"

static const char usage_text[] =
    "usage: dualrec-train-rank --segments SEGROOT --date D [--days N]\n"
    "           [--tower FILE] [--epochs N] [--seed S] --out FILE [-q|-v]\n"
    "           [--dim K] [--hidden H] [--hash-bits B] [--lr X]\n"
    "           [--batch N] [--max-per-day N] [--no-augment] [--no-extra]\n"
    "           [--weights C,L,CM,F,LV] [--theta-weight X]\n"
    "           [--eval] [--ablation] [--xgb-rounds N] [--xgb-max N]\n"
    "           [--theta-report ITEMS,CANDS] [--bench-score ITEMS,CANDS]\n"
    "  Trains on the days D-N+1 .. D (default N 30) and writes FILE.\n"
    "  --eval       evaluate on day D+1 (its segment must exist): tables\n"
    "               on stdout, with the xgboost baseline (--xgb-rounds,\n"
    "               default 100; 0 skips it) on up to --xgb-max samples\n"
    "  --ablation   also train without augmentation / extra features\n"
    "  --theta-report top-10 concentration with/without theta_u over the\n"
    "               ITEMS most exposed items of D+1 x CANDS of its active\n"
    "               users (default 1000,500)\n"
    "  --bench-score time scoring ITEMS x CANDS pairs with the model\n";

enum { O_SEG = 256, O_DATE, O_DAYS, O_TOWER, O_EPOCHS, O_SEED, O_OUT,
       O_DIM, O_HIDDEN, O_HASH, O_LR, O_BATCH, O_MAXDAY, O_NOAUG,
       O_NOEXTRA, O_WEIGHTS, O_THETA, O_EVAL, O_ABL, O_XGBR, O_XGBM,
       O_BENCH, O_THREP };

static const struct option long_opts[] = {
    { "segments", required_argument, NULL, O_SEG },
    { "date", required_argument, NULL, O_DATE },
    { "days", required_argument, NULL, O_DAYS },
    { "tower", required_argument, NULL, O_TOWER },
    { "epochs", required_argument, NULL, O_EPOCHS },
    { "seed", required_argument, NULL, O_SEED },
    { "out", required_argument, NULL, O_OUT },
    { "dim", required_argument, NULL, O_DIM },
    { "hidden", required_argument, NULL, O_HIDDEN },
    { "hash-bits", required_argument, NULL, O_HASH },
    { "lr", required_argument, NULL, O_LR },
    { "batch", required_argument, NULL, O_BATCH },
    { "max-per-day", required_argument, NULL, O_MAXDAY },
    { "no-augment", no_argument, NULL, O_NOAUG },
    { "no-extra", no_argument, NULL, O_NOEXTRA },
    { "weights", required_argument, NULL, O_WEIGHTS },
    { "theta-weight", required_argument, NULL, O_THETA },
    { "eval", no_argument, NULL, O_EVAL },
    { "ablation", no_argument, NULL, O_ABL },
    { "xgb-rounds", required_argument, NULL, O_XGBR },
    { "xgb-max", required_argument, NULL, O_XGBM },
    { "bench-score", required_argument, NULL, O_BENCH },
    { "theta-report", required_argument, NULL, O_THREP },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

struct train_rank_opts {
    const char *segroot, *tower, *out;
    struct tower *t;            /* loaded from --tower, or NULL */
    int32_t date;
    uint32_t days, xgb_rounds, xgb_max;
    int have_date, eval, ablation;
    size_t bench_items, bench_cands, theta_items, theta_cands;
    struct rank_params p;
};

static void
parse_weights(const char *arg, float *w)
{
    const char *s = arg;
    char *end;

    for (int t = 0; t < RANK_N_TASKS; t++) {
        double v = strtod(s, &end);

        if (end == s || !(v >= 0) || !isfinite(v)
            || (t < RANK_N_TASKS - 1 ? *end != ',' : *end != '\0'))
            cli_bad_usage("--weights: expected %d numbers >= 0 separated "
                          "by commas, got '%s'", RANK_N_TASKS, arg);
        w[t] = (float)v;
        s = end + 1;
    }
}

static void
print_eval(const char *name, const struct rank_eval *ev)
{
    for (int t = 0; t < RANK_N_TASKS; t++)
        printf("| %s | %s | %llu | %.4f | %.4f | %.4f | %.4f |\n", name,
               rank_task_name(t), (unsigned long long)ev->task[t].n_pos,
               ev->task[t].auc, ev->task[t].logloss, ev->task[t].auc_new,
               ev->task[t].auc_old);
    printf("| %s | score (explicit) | | %.4f | | per-item %.4f | "
           "per-item -theta %.4f |\n", name, ev->auc_score, ev->gauc_score,
           ev->gauc_theta);
}

/* Train one variant and evaluate it on test; prints one table row. */
static int
ablation_row(const struct train_rank_opts *o, const struct window *w,
             const struct segment *test, unsigned flags, struct diag *d)
{
    struct rank_params p = o->p;
    struct rank_model *m = NULL;
    struct rank_context *ctx = NULL;
    struct rank_eval ev;
    int rc;

    p.flags = flags;
    rc = rank_train(w, o->t, &p, &m, NULL, d) < 0
      || rank_context_build(m, w, o->t, &ctx, d) < 0
      || rank_evaluate(m, ctx, test, &ev, d) < 0 ? -1 : 0;
    if (rc == 0)
        printf("| %-3s | %-3s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | "
               "%.4f | %.4f |\n", flags & RANK_AUGMENT ? "yes" : "no",
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
theta_report(const struct train_rank_opts *o, const struct rank_model *m,
             const struct rank_context *ctx, const struct segment *test,
             struct diag *d)
{
    static const float gammas[] = { 0, 0.25f, 0.5f, 0.75f, 1, 1.5f };
    struct cands *c = rank_eval_cands(test, o->theta_items, o->theta_cands,
                                      o->p.seed);
    struct rank_model mm = *m;
    struct rank_eval ev;
    uint32_t heavy = 0, nd;

    /* the heaviest 1% of the day's active users */
    for (size_t k = 0; k < test->n_exp; k++)
        heavy += k == 0 || test->exp[k].user != test->exp[k - 1].user;
    heavy = heavy / 100 > 0 ? heavy / 100 : 1;
    printf("\n## theta_u: %zu items x %zu candidates (model weight %.2f)\n\n"
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
        printf("| %s %.2f | %.4f | %.4f | %u |\n",
               gammas[g] == 0 ? "without theta_u," : "with theta_u,",
               gammas[g], ev.gauc_theta, conc, nd);
    }
    cands_free(c);
    return 0;
}

static int
evaluate(const struct train_rank_opts *o, const struct window *w,
         const struct rank_model *m, const struct segment *test,
         struct diag *d)
{
    struct rank_context *ctx = NULL;
    struct rank_eval ev, xg;
    char day[16];
    int rc = -1;

    if (rank_context_build(m, w, o->t, &ctx, d) < 0
        || rank_evaluate(m, ctx, test, &ev, d) < 0)
        goto out;
    printf("## ranking evaluation on %s (%llu exposures, %llu of new "
           "items)\n\n", dates_format_day(o->date + 1, day),
           (unsigned long long)ev.n, (unsigned long long)ev.n_new);
    printf("| model | task | positives | AUC | log-loss | AUC new items | "
           "AUC old items |\n|---|---|---|---|---|---|---|\n");
    print_eval("ranker", &ev);
    if (o->xgb_rounds > 0) {
        if (rank_xgb_baseline(w, o->t, test, m->flags, o->xgb_max,
                              o->xgb_rounds, 6, o->p.seed, &xg, d) < 0)
            goto out;
        print_eval("xgboost", &xg);
    }
    if (theta_report(o, m, ctx, test, d) < 0)
        goto out;
    if (o->ablation) {
        printf("\n## ablation (paper Table 4), AUC on %s\n\n"
               "| augment | extra | click | like | comment | follow | "
               "long_view | score | like new items | per-item score |\n"
               "|---|---|---|---|---|---|---|---|---|---|\n",
               dates_format_day(o->date + 1, day));
        for (unsigned f = 0; f < 4; f++)
            if (ablation_row(o, w, test, f, d) < 0)
                goto out;
    }
    rc = 0;
out:
    rank_context_free(ctx);
    return rc;
}

static int
bench_score(const struct train_rank_opts *o, const struct window *w,
            const struct rank_model *m, struct diag *d)
{
    struct rank_context *ctx = NULL;
    struct cands *c;
    double t0 = cli_now(), t1, t2;

    if (rank_context_build(m, w, o->t, &ctx, d) < 0)
        return -1;
    t1 = cli_now();
    c = rank_bench_cands(ctx, w, o->bench_items, o->bench_cands, o->p.seed);
    t2 = cli_now();
    if (rank_score_cands(m, ctx, c, d) < 0) {
        cands_free(c);
        rank_context_free(ctx);
        return -1;
    }
    cli_log(1, "scoring: context + theta %.2f s; %zu pairs in %.2f s "
            "(%.0f pairs/s)", t1 - t0, c->n, cli_now() - t2,
            (double)c->n / (cli_now() - t2));
    cands_free(c);
    rank_context_free(ctx);
    return 0;
}

int
main(int argc, char **argv)
{
    struct train_rank_opts o = { .days = 30, .xgb_rounds = 100,
                                 .xgb_max = 2000000, .theta_items = 1000,
                                 .theta_cands = 500,
                                 .p = rank_default_params() };
    struct diag d = DIAG_INIT;
    struct window *w = NULL;
    struct rank_model *m = NULL;
    struct segment *test = NULL;
    struct rank_train_stats st;
    int opt;

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case O_SEG: o.segroot = optarg; break;
        case O_DATE: o.date = cli_parse_date(optarg, "--date");
                     o.have_date = 1; break;
        case O_DAYS: o.days = cli_parse_u32(optarg, "--days"); break;
        case O_TOWER: o.tower = optarg; break;
        case O_EPOCHS: o.p.epochs = cli_parse_u32(optarg, "--epochs"); break;
        case O_SEED: o.p.seed = cli_parse_u64(optarg, "--seed"); break;
        case O_OUT: o.out = optarg; break;
        case O_DIM: o.p.dim = cli_parse_u32(optarg, "--dim"); break;
        case O_HIDDEN: o.p.hidden = cli_parse_u32(optarg, "--hidden"); break;
        case O_HASH: o.p.hash_bits = cli_parse_u32(optarg, "--hash-bits");
                     break;
        case O_LR: o.p.lr = (float)cli_parse_double(optarg, "--lr"); break;
        case O_BATCH: o.p.batch = cli_parse_u32(optarg, "--batch"); break;
        case O_MAXDAY: o.p.max_samples_per_day
                           = cli_parse_u32(optarg, "--max-per-day"); break;
        case O_NOAUG: o.p.flags &= ~(unsigned)RANK_AUGMENT; break;
        case O_NOEXTRA: o.p.flags &= ~(unsigned)RANK_EXTRA; break;
        case O_WEIGHTS: parse_weights(optarg, o.p.weight); break;
        case O_THETA: o.p.theta_weight
                          = (float)cli_parse_double(optarg, "--theta-weight");
                      break;
        case O_EVAL: o.eval = 1; break;
        case O_ABL: o.eval = o.ablation = 1; break;
        case O_XGBR: o.xgb_rounds = cli_parse_u32(optarg, "--xgb-rounds");
                     break;
        case O_XGBM: o.xgb_max = cli_parse_u32(optarg, "--xgb-max"); break;
        case O_BENCH:
            if (sscanf(optarg, "%zu,%zu", &o.bench_items, &o.bench_cands) != 2
                || o.bench_items == 0 || o.bench_cands == 0)
                cli_bad_usage("--bench-score: expected ITEMS,CANDS, got '%s'",
                              optarg);
            break;
        case O_THREP:
            if (sscanf(optarg, "%zu,%zu", &o.theta_items, &o.theta_cands)
                != 2 || o.theta_items == 0 || o.theta_cands == 0)
                cli_bad_usage("--theta-report: expected ITEMS,CANDS, got "
                              "'%s'", optarg);
            break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default: cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || o.segroot == NULL || !o.have_date || o.out == NULL)
        cli_usage_exit(usage_text);
    if (o.days < 2 || o.days > 3660)
        cli_bad_usage("--days must be 2..3660, got '%u'", o.days);
    if (o.tower != NULL && tower_load(o.tower, &o.t, &d) < 0)
        cli_diag_exit(&d);

    if (o.eval) {
        /* the test day first: no point training when it is missing */
        char *path = segment_path(o.segroot, o.date + 1);

        if (segment_load(path, &test, &d) < 0)
            cli_diag_exit(&d);
        free(path);
    }
    if (window_open(o.segroot, o.date, (int)o.days, WINDOW_NO_INTER, &w, &d)
        < 0)
        cli_diag_exit(&d);
    {
        /* a day without exposures may be ratings (interactions only),
         * learnt from as samples with negatives: then the interactions
         * are needed, otherwise their memory is not */
        int bare = 0;

        for (int k = 0; k < w->n_days; k++)
            bare |= w->seg[k] != NULL && w->seg[k]->n_exp == 0;
        if (bare) {
            window_free(w);
            w = NULL;
            if (window_open(o.segroot, o.date, (int)o.days, 0, &w, &d) < 0)
                cli_diag_exit(&d);
        }
    }
    if (w->n_missing > 0)
        cli_log(1, "%d of %d days missing in the window; trained without "
                "them", w->n_missing, w->n_days);
    if (rank_train(w, o.t, &o.p, &m, &st, &d) < 0
        || rank_save(m, o.out, &d) < 0)
        cli_diag_exit(&d);
    cli_log(1, "trained on %llu exposures (%llu samples with augmentation, "
            "%u epochs) in %.1f s: %.0f samples/s, loss %.4f -> %.4f",
            (unsigned long long)st.n_exposures,
            (unsigned long long)st.n_samples, o.p.epochs, st.seconds,
            (double)st.n_samples / (st.seconds > 0 ? st.seconds : 1),
            st.loss_first, st.loss_last);
    if (st.n_sampled_days > 0)
        cli_log(1, "%d day(s) without exposures: learnt from their "
                "interactions (click = interacted, like etc. = their events) "
                "with %d negatives per interaction drawn by popularity "
                "(docs/ranking.md)", st.n_sampled_days, RANK_NEG_PER_POS);
    if ((o.eval && evaluate(&o, w, m, test, &d) < 0)
        || (o.bench_items > 0 && bench_score(&o, w, m, &d) < 0))
        cli_diag_exit(&d);
    rank_free(m);
    segment_free(test);
    window_free(w);
    tower_free(o.t);
    return RC_OK;
}
