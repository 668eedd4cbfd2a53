/*
 * dualrec-train-rank -- fit the multi-task creator-experience ranker on a
 * window of day segments and write the model file.  All the work is in
 * src/model/rank*.c; the evaluation on the next day is `dualrec-eval rank`
 * (src/eval/modeleval.c) and the timing of scoring bench/rank_bench.c.
 * Progress on stderr; stdout stays empty.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "rank.h"
#include "segment.h"
#include "tower.h"

static const char usage_text[] =
    "usage: dualrec-train-rank --segments SEGROOT --date D [--days N]\n"
    "           [--tower FILE] [--warm FILE] [--epochs N] [--seed S]\n"
    "           --out FILE [-q|-v]\n"
    "           [--dim K] [--hidden H] [--hash-bits B] [--lr X]\n"
    "           [--batch N] [--max-per-day N] [--no-augment] [--no-extra]\n"
    "           [--weights C,L,CM,F,LV] [--theta-weight X]\n"
    "  Trains on the days D-N+1 .. D (default N 30) and writes FILE\n"
    "  (evaluate it with `dualrec-eval rank`).\n"
    "  --max-per-day N  training budget: a fixed-seed sample of at most N\n"
    "                   exposures of each day (default 100000; 0 = all)\n"
    "  --warm FILE      start from an older model of the same shape (e.g.\n"
    "                   yesterday's)\n";

enum { O_SEG = 256, O_DATE, O_DAYS, O_TOWER, O_EPOCHS, O_SEED, O_OUT,
       O_DIM, O_HIDDEN, O_HASH, O_LR, O_BATCH, O_MAXDAY, O_NOAUG,
       O_NOEXTRA, O_WEIGHTS, O_THETA, O_WARM };

static const struct option long_opts[] = {
    { "segments", required_argument, NULL, O_SEG },
    { "date", required_argument, NULL, O_DATE },
    { "days", required_argument, NULL, O_DAYS },
    { "tower", required_argument, NULL, O_TOWER },
    { "warm", required_argument, NULL, O_WARM },
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
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

struct train_rank_opts {
    const char *segroot, *tower, *warm, *out;
    struct tower *t;            /* loaded from --tower, or NULL */
    struct rank_model *old;     /* loaded from --warm, or NULL */
    int32_t date;
    uint32_t days;
    int have_date;
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

int
main(int argc, char **argv)
{
    struct train_rank_opts o = { .days = 30, .p = rank_default_params() };
    struct diag d = DIAG_INIT;
    struct window *w = NULL;
    struct rank_model *m = NULL;
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
        case O_WARM: o.warm = optarg; break;
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
    if (o.warm != NULL) {
        if (rank_load(o.warm, &o.old, &d) < 0)
            cli_diag_exit(&d);
        o.p.warm = o.old;
    }

    /* lazy: training reads one day's rows at a time (exposures, or the
     * interactions of a day of ratings, rank_sample.c) */
    if (window_open(o.segroot, o.date, (int)o.days, WINDOW_LAZY, &w, &d)
        < 0)
        cli_diag_exit(&d);
    if (w->n_missing > 0)
        cli_log(1, "%d of %d days missing in the window; trained without "
                "them", w->n_missing, w->n_days);
    if (rank_train(w, o.t, &o.p, &m, &st, &d) < 0
        || rank_save(m, o.out, &d) < 0)
        cli_diag_exit(&d);
    cli_log(1, "trained on %llu exposures (%llu samples with augmentation, "
            "%u epochs%s) in %.1f s: %.0f samples/s, loss %.4f -> %.4f",
            (unsigned long long)st.n_exposures,
            (unsigned long long)st.n_samples, o.p.epochs,
            o.old != NULL ? ", warm" : "", st.seconds,
            (double)st.n_samples / (st.seconds > 0 ? st.seconds : 1),
            st.loss_first, st.loss_last);
    if (st.n_sampled_days > 0)
        cli_log(1, "%d day(s) without exposures: learnt from their "
                "interactions (click = interacted, like etc. = their events) "
                "with %d negatives per interaction drawn by popularity "
                "(docs/ranking.md)", st.n_sampled_days, RANK_NEG_PER_POS);
    rank_free(m);
    rank_free(o.old);
    window_free(w);
    tower_free(o.t);
    return RC_OK;
}
