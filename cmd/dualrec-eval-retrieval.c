/*
 * dualrec-eval-retrieval -- offline evaluation of the retrieval channels:
 * for the items uploaded on --date (or every item, or the items the window
 * never saw), recall@L of the users who give them positive feedback (or
 * rate them) in the --test-days after it, per channel and merged, against two
 * baselines computed in the same run (most-active users; id-only
 * factorisation without the feature tower).  Trains both towers itself
 * (or takes --tower for the feature model).  Prints a table on stdout.
 * The work is in src/model/tower.c, src/model/channels.c and src/model/channels_eval.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "cli.h"
#include "dates.h"
#include "diag.h"
#include "rc.h"
#include "segment.h"
#include "targets.h"
#include "tower.h"
#include "xmem.h"

static const char usage_text[] =
    "usage: dualrec-eval-retrieval --segments SEGROOT --date YYYY-MM-DD\n"
    "                              [--days N] [-L N] [--dim N] [--epochs N]\n"
    "                              [--seed S] [--tower FILE]\n"
    "                              [--all-items|--new-items] [--test-days N]\n"
    "                              [--truth positive|rated]\n"
    "                              [--oracle-avail] [--param NAME=V]...\n"
    "                              [-q|-v]\n"
    "\n"
    "Recall@L of the engagers of the test days (the --test-days after\n"
    "--date; at least one of their segments must exist) for the items\n"
    "uploaded on --date, per channel, merged, and for the baselines\n"
    "most-active users and id-only factorisation.  Recall: per target\n"
    "with >= 1 engager, the share of its engagers among its L users\n"
    "(macro = the mean of that, micro = all hits / all engagers).\n"
    "  --days N      training / retrieval window (default 30)\n"
    "  -L N          candidates per item (default 200)\n"
    "  --test-days N truth from the N days after --date (default 1)\n"
    "  --all-items   targets: every item with test-day feedback, not only\n"
    "                the day's uploads\n"
    "  --new-items   targets: the items no row of the window names (first\n"
    "                seen in the test days), e.g. a time split's new items\n"
    "  --truth rated an engager is any user with an interaction row (a\n"
    "                rating of any value), not only positive feedback\n"
    "  --tower FILE  use this feature model instead of training one\n"
    "  --param NAME=V  a model parameter (tower.h: alpha, w0, reg, ...)\n"
    "  --oracle-avail  only users active in the test days (any row) are\n"
    "                eligible (a perfect availability model, as UAC gates\n"
    "                in matching)\n";

static const struct option long_opts[] = {
    { "segments",  required_argument, NULL, 'S' },
    { "date",      required_argument, NULL, 'D' },
    { "days",      required_argument, NULL, 'n' },
    { "dim",       required_argument, NULL, 'k' },
    { "epochs",    required_argument, NULL, 'e' },
    { "seed",      required_argument, NULL, 's' },
    { "tower",     required_argument, NULL, 't' },
    { "all-items", no_argument,       NULL, 'A' },
    { "new-items", no_argument,       NULL, 'N' },
    { "test-days", required_argument, NULL, 'T' },
    { "truth",     required_argument, NULL, 'R' },
    { "oracle-avail", no_argument,    NULL, 'O' },
    { "param",     required_argument, NULL, 'P' },
    { "quiet",     no_argument,       NULL, 'q' },
    { "verbose",   no_argument,       NULL, 'v' },
    { "help",      no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static struct tower *
train(const struct window *w, const struct tower_data *x,
      const struct tower_params *p, const char *what)
{
    struct tower_trainer *tr;
    struct diag d = DIAG_INIT;
    double loss = 0, t0 = cli_now();

    if (tower_trainer_new(x, &w->cat, iddict_count(w->creators),
                          iddict_count(w->tags), p, NULL, &tr, &d) < 0)
        cli_diag_exit(&d);
    for (uint32_t e = 0; e < p->epochs; e++)
        tower_trainer_epoch(tr, &loss);
    cli_log(1, "%s: %u epochs, final loss %.5f, %.2f s/epoch", what,
            p->epochs, loss, (cli_now() - t0) / (p->epochs ? p->epochs : 1));
    return tower_trainer_finish(tr, w->last_day);
}

static void
row(const char *name, const struct cands *c, const size_t *off,
    const uint32_t *user, uint32_t n_users)
{
    double mi, ma;
    size_t items = channels_recall(c, off, user, &mi, &ma);

    printf("%-22s %8.4f %8.4f %7zu %8.1f %8.4f\n", name, mi, ma, items,
           c->n_items ? (double)c->n / c->n_items : 0.0,
           channels_top_user_share(c, n_users));
}

int
main(int argc, char **argv)
{
    struct tower_params tp = tower_default_params();
    struct channels_params cp = channels_default_params();
    const char *segroot = NULL, *tower_path = NULL;
    int32_t date = 0;
    int have_date = 0, all_items = 0, new_items = 0, oracle = 0;
    uint32_t days = 30, L = 200, test_days = 1;
    unsigned truth_flags = 0;
    struct diag d = DIAG_INIT;
    struct window *w;
    struct window *test;
    int opt;

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "L:qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'S': segroot = optarg; break;
        case 'D': date = cli_parse_date(optarg, "--date"); have_date = 1;
                  break;
        case 'n': days = cli_parse_u32(optarg, "--days"); break;
        case 'L': L = cli_parse_u32(optarg, "-L"); break;
        case 'k': tp.dim = cli_parse_u32(optarg, "--dim"); break;
        case 'e': tp.epochs = cli_parse_u32(optarg, "--epochs"); break;
        case 's': tp.seed = cli_parse_u64(optarg, "--seed"); break;
        case 't': tower_path = optarg; break;
        case 'A': all_items = 1; break;
        case 'N': new_items = 1; break;
        case 'T': test_days = cli_parse_u32(optarg, "--test-days"); break;
        case 'R': if (strcmp(optarg, "rated") == 0)
                      truth_flags = CHANNELS_TRUTH_ANY_ROW;
                  else if (strcmp(optarg, "positive") != 0)
                      cli_bad_usage("--truth: expected positive or rated, "
                                    "found '%s'", optarg);
                  break;
        case 'O': oracle = 1; break;
        case 'P': if (tower_params_set(&tp, optarg, &d) < 0)
                      cli_bad_usage("--param: %s", d.msg);
                  break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default:  cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || segroot == NULL || !have_date)
        cli_usage_exit(usage_text);
    if (days < 1 || L < 1 || test_days < 1)
        cli_bad_usage("--days, -L and --test-days must be at least 1");
    if (all_items && new_items)
        cli_bad_usage("--all-items and --new-items exclude each other");

    if (window_open(segroot, date + (int32_t)test_days, (int)test_days,
                    0, &test, &d) < 0)
        cli_diag_exit(&d);
    if (test->n_missing == test->n_days) {
        diag_set(&d, RC_NOINPUT, "%s: no segment in the %u test day(s) "
                 "after the window", segroot, test_days);
        cli_diag_exit(&d);
    }
    if (window_open(segroot, date, (int)days, 0, &w, &d) < 0)
        cli_diag_exit(&d);
    struct tower_data *x = tower_data_from_window(w, &tp);

    uint32_t *targets;
    size_t nt;
    const char *what = new_items ? "items new to the window"
                     : all_items ? "items" : "items uploaded on the day";
    if (new_items) {
        targets = channels_unseen_items(w, &nt);
    } else if (all_items) {
        nt = 0;
        targets = xmalloc(((size_t)w->cat.n_items + 1) * sizeof *targets);
        for (uint32_t i = 0; i < w->cat.n_items; i++)
            targets[nt++] = i;
    } else {
        struct targets tg;

        /* the new items of the night's targets (no long tail) */
        if (targets_window(&tg, w, date, 0, &d) < 0)
            cli_diag_exit(&d);
        targets = tg.item;
        nt = tg.n;
        /* only the item list is kept (freed with targets) */
        free(tg.exposures);
        free(tg.long_tail);
    }
    size_t *toff;
    uint32_t *tuser;
    channels_truth((const struct segment *const *)test->seg,
                   (size_t)test->n_days, x, &cp, truth_flags, targets, nt,
                   &toff, &tuser);
    /* Keep only targets with truth: recall is defined on them, and the
     * channels need not run for the rest. */
    size_t m = 0, tm = 0;
    for (size_t k = 0; k < nt; k++) {
        size_t a = toff[k], b = toff[k + 1];
        if (a == b)
            continue;
        targets[m] = targets[k];
        memmove(tuser + tm, tuser + a, (b - a) * sizeof *tuser);
        tm += b - a;
        toff[++m] = tm;
    }
    cli_log(1, "%zu target items (%s), %zu with test-day engagers, "
            "%zu engagers", nt, what, m, tm);
    nt = m;
    if (nt == 0) {
        diag_set(&d, RC_DATA, "%s: no target item has feedback in the "
                 "%u test day(s)", segroot, test_days);
        cli_diag_exit(&d);
    }

    struct tower *tf;
    if (tower_path != NULL) {
        if (tower_load(tower_path, &tf, &d) < 0)
            cli_diag_exit(&d);
    } else {
        tf = train(w, x, &tp, "feature tower");
    }
    struct tower_params tq = tp;
    tq.use_features = 0;
    struct tower *ti = train(w, x, &tq, "id-only");

    uint32_t nu = iddict_count(w->users);
    uint8_t *elig = NULL;
    if (oracle) {
        elig = calloc((size_t)nu + 1, 1);
        for (int k = 0; k < test->n_days; k++) {
            const struct segment *s = test->seg[k];
            for (size_t j = 0; s != NULL && j < s->n_exp; j++)
                if (s->exp[j].user < nu)
                    elig[s->exp[j].user] = 1;
            for (size_t j = 0; s != NULL && j < s->n_inter; j++)
                if (s->inter[j].user < nu)
                    elig[s->inter[j].user] = 1;
        }
    }
    printf("recall@%u of the %s of %u test day(s), %zu %s with them, "
           "eligible: %s\n", L, truth_flags ? "raters" : "engagers",
           test_days, nt, what,
           oracle ? "users active in the test days" : "all users");
    printf("%-22s %8s %8s %7s %8s %8s\n", "method", "micro", "macro",
           "items", "cands", "top1%");
    static const enum cands_channel chs[4] = { CH_TOWER, CH_I2I2U, CH_I2U2U,
                                               CH_CREATOR };
    struct cands *c;
    for (int k = 0; k < 4; k++) {
        if (channels_one(w, tf, &cp, chs[k], L, targets, nt, elig, &c, &d) < 0)
            cli_diag_exit(&d);
        char name[40];
        snprintf(name, sizeof name, "%s", cands_channel_name(chs[k]));
        row(name, c, toff, tuser, nu);
        cands_free(c);
    }
    /* Merged, quotas scaled from the defaults to k = L. */
    struct channels_params mp = cp;
    mp.k = L;
    for (int k = 0; k < CANDS_N_CHANNELS; k++)
        mp.quota[k] = (uint32_t)((double)cp.quota[k] * L / cp.k + 0.5);
    struct channels_stats st;
    if (channels_generate_stats(w, tf, &mp, targets, nt, elig, &c, &st,
                                &d) < 0)
        cli_diag_exit(&d);
    row("merged", c, toff, tuser, nu);
    cands_free(c);
    if (channels_one(w, ti, &cp, CH_TOWER, L, targets, nt, elig, &c, &d) < 0)
        cli_diag_exit(&d);
    row("baseline id-only MF", c, toff, tuser, nu);
    cands_free(c);
    c = channels_most_active(x, targets, nt, L, elig);
    row("baseline most-active", c, toff, tuser, nu);
    cands_free(c);
    /* The tower without popularity debiasing, for the record. */
    tower_set_user_norm(tf, 0.0f);
    if (channels_one(w, tf, &cp, CH_TOWER, L, targets, nt, elig, &c, &d) < 0)
        cli_diag_exit(&d);
    row("tower, user_norm 0", c, toff, tuser, nu);
    cands_free(c);
    tower_set_user_norm(tf, 1.0f);
    if (channels_one(w, tf, &cp, CH_TOWER, L, targets, nt, elig, &c, &d) < 0)
        cli_diag_exit(&d);
    row("tower, user_norm 1", c, toff, tuser, nu);
    cands_free(c);
    printf("(micro = hits / engagers, macro = mean per item; cands = mean "
           "per item; top1%% = share of slots held by the 1%% most frequent "
           "users)\n");
    cli_log(1, "merged: %zu no-feature items, %zu without early engagers, "
            "%zu pool items", st.no_features, st.no_engagers, st.pool_items);

    free(elig);
    free(targets);
    free(toff);
    free(tuser);
    tower_free(tf);
    tower_free(ti);
    tower_data_free(x);
    window_free(test);
    window_free(w);
    return RC_OK;
}
