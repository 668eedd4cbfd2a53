/*
 * dualrec-train-tower -- fit the two-tower retrieval model on a window of
 * day segments and write the model file.  The work is in src/model/tower.c and
 * src/model/tower_window.c; this file turns argv into parameters, reports each
 * epoch on stderr and maps a diag to an exit code.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dates.h"
#include "diag.h"
#include "rc.h"
#include "segment.h"
#include "tower.h"

static const char usage_text[] =
    "usage: dualrec-train-tower --segments SEGROOT --date YYYY-MM-DD\n"
    "                           --out FILE [--days N] [--dim N] [--epochs N]\n"
    "                           [--seed S] [--warm OLDMODEL] [--no-features]\n"
    "                           [--user-norm B] [--id-drop P]\n"
    "                           [--param NAME=V]... [-q|-v]\n"
    "\n"
    "Train user vectors and the item feature tower (implicit ALS) on the N\n"
    "days ending at --date (inclusive) and write the model to --out.\n"
    "  --days N         window length (default 30)\n"
    "  --dim N          vector dimension, a multiple of 4 (default 64)\n"
    "  --epochs N       ALS epochs (default 8; 2 with --warm)\n"
    "  --seed S         random seed (default 1)\n"
    "  --warm FILE      start from an older model; new users/items are added\n"
    "  --no-features    id-only factorisation (the baseline; new items get\n"
    "                   no vector)\n"
    "  --user-norm B    search vectors are p/|p|^B (default 0.5)\n"
    "  --id-drop P      share of items seen without their id part (0.25)\n"
    "  --param NAME=V   any other model parameter (include/model/tower.h):\n"
    "                   reg, prior, reg_feat, alpha, w0, neg_weight,\n"
    "                   hate_weight, cg_steps, w_click, w_like, ...\n"
    "  -q, --quiet      errors only;  -v, --verbose  more detail\n"
    "  -h, --help       this text\n";

static const struct option long_opts[] = {
    { "segments",    required_argument, NULL, 'S' },
    { "date",        required_argument, NULL, 'D' },
    { "days",        required_argument, NULL, 'n' },
    { "dim",         required_argument, NULL, 'k' },
    { "epochs",      required_argument, NULL, 'e' },
    { "seed",        required_argument, NULL, 's' },
    { "warm",        required_argument, NULL, 'w' },
    { "out",         required_argument, NULL, 'o' },
    { "no-features", no_argument,       NULL, 'N' },
    { "user-norm",   required_argument, NULL, 'b' },
    { "id-drop",     required_argument, NULL, 'p' },
    { "param",       required_argument, NULL, 'P' },
    { "quiet",       no_argument,       NULL, 'q' },
    { "verbose",     no_argument,       NULL, 'v' },
    { "help",        no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

struct train_opts {
    const char *segroot, *out, *warm;
    int32_t date;
    int have_date, have_epochs;
    uint32_t days;
};

int
main(int argc, char **argv)
{
    struct train_opts o = { NULL, NULL, NULL, 0, 0, 0, 30 };
    struct tower_params p = tower_default_params();
    struct diag d = DIAG_INIT;
    struct window *w = NULL;
    struct tower *warm = NULL, *t;
    struct tower_trainer *tr;
    char day_s[16];
    int opt;

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'S': o.segroot = optarg; break;
        case 'D': o.date = cli_parse_date(optarg, "--date");
                  o.have_date = 1; break;
        case 'n': o.days = cli_parse_u32(optarg, "--days"); break;
        case 'k': p.dim = cli_parse_u32(optarg, "--dim"); break;
        case 'e': p.epochs = cli_parse_u32(optarg, "--epochs");
                  o.have_epochs = 1; break;
        case 's': p.seed = cli_parse_u64(optarg, "--seed"); break;
        case 'w': o.warm = optarg; break;
        case 'o': o.out = optarg; break;
        case 'N': p.use_features = 0; break;
        case 'b': p.user_norm = (float)cli_parse_double(optarg, "--user-norm");
                  break;
        case 'p': p.id_drop = (float)cli_parse_double(optarg, "--id-drop");
                  break;
        case 'P': if (tower_params_set(&p, optarg, &d) < 0)
                      cli_bad_usage("--param: %s", d.msg);
                  break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default:  cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || o.segroot == NULL || o.out == NULL || !o.have_date)
        cli_usage_exit(usage_text);
    if (o.days < 1 || o.days > 3660)
        cli_bad_usage("--days: expected 1..3660 '%u'", o.days);
    if (p.dim < 4 || p.dim > 1024 || p.dim % 4 != 0)
        cli_bad_usage("--dim: expected a multiple of 4 in 4..1024 '%u'",
                      p.dim);
    if (!(p.id_drop >= 0 && p.id_drop < 1))
        cli_bad_usage("--id-drop: expected 0 <= P < 1");

    double t0 = cli_now();
    if (window_open(o.segroot, o.date, (int)o.days, WINDOW_LAZY, &w, &d) < 0)
        cli_diag_exit(&d);
    dates_format_day(o.date, day_s);
    if (w->n_missing == w->n_days) {
        diag_set(&d, RC_NOINPUT, "%s: no segment in the %d days ending %s",
                 o.segroot, w->n_days, day_s);
        window_free(w);
        cli_diag_exit(&d);
    }
    if (w->n_missing > 0) {
        char m[16];
        cli_log(1, "%d of %d days missing (first %s): trained without them",
                w->n_missing, w->n_days, dates_format_day(w->missing[0], m));
    }
    if (o.warm != NULL && tower_load(o.warm, &warm, &d) < 0) {
        window_free(w);
        cli_diag_exit(&d);
    }
    if (warm != NULL && !o.have_epochs)
        p.epochs = TOWER_WARM_EPOCHS;
    struct tower_data *x;
    if (tower_data_read(w, &p, &x, &d) < 0) {
        tower_free(warm);
        window_free(w);
        cli_diag_exit(&d);
    }
    cli_log(1, "window %d days to %s: %u users, %u items, %zu observations "
            "(%zu positive), %.1f s", w->n_days, day_s, x->n_users,
            x->n_items, x->n, x->n_pos, cli_now() - t0);
    if (tower_trainer_new(x, &w->cat, iddict_count(w->creators),
                          iddict_count(w->tags), &p, warm, &tr, &d) < 0) {
        tower_data_free(x);
        tower_free(warm);
        window_free(w);
        cli_diag_exit(&d);
    }
    double tsum = 0;
    for (uint32_t e = 0; e < p.epochs; e++) {
        double loss, t1 = cli_now();
        tower_trainer_epoch(tr, &loss);
        tsum += cli_now() - t1;
        cli_log(1, "epoch %u/%u: loss %.6f, %.2f s", e + 1, p.epochs, loss,
                cli_now() - t1);
    }
    t = tower_trainer_finish(tr, o.date);
    tower_data_free(x);
    tower_free(warm);
    window_free(w);
    if (tower_save(t, o.out, &d) < 0) {
        tower_free(t);
        cli_diag_exit(&d);
    }
    cli_log(1, "wrote %s: dim %u, %u users, %u items, %u creators, %u tags, "
            "%s, %.2f s/epoch, %.1f s total, peak %.0f MB", o.out, t->dim,
            t->n_users, t->n_items, t->n_creators, t->n_tags,
            (t->flags & TOWER_F_FEATURES) ? "feature tower" : "id only",
            p.epochs ? tsum / p.epochs : 0.0, cli_now() - t0,
            cli_peak_rss_mb());
    tower_free(t);
    return RC_OK;
}
