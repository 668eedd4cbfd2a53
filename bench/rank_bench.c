/*
 * rank_bench -- time the ranker's scoring of a candidate table: load a
 * saved model (dualrec-train-rank --out) and its window, build the
 * scoring context (features, theta_u), draw ITEMS x CANDS pairs with the
 * model's seed (rank_bench_cands) and score them.  Used by
 * bench/bench_rank.sh; it was --bench-score of dualrec-train-rank.
 *
 * Output: one "key value" line per figure on stdout; the same figures as
 * a sentence on stderr (unless -q).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "rank.h"
#include "rc.h"
#include "segment.h"
#include "tower.h"

static const char usage_text[] =
    "usage: rank_bench --segments SEGROOT --date D --rank FILE\n"
    "                  [--tower FILE] [--days N] [--score ITEMS,CANDS]\n"
    "                  [-q|-v]\n"
    "  Times the scoring of ITEMS x CANDS pairs (default 100000,500) by\n"
    "  the model FILE of date D on its window D-N+1 .. D (N 30; --tower:\n"
    "  the tower it was trained with).\n";

static const struct option long_opts[] = {
    { "segments", required_argument, NULL, 's' },
    { "date",     required_argument, NULL, 'd' },
    { "rank",     required_argument, NULL, 'r' },
    { "tower",    required_argument, NULL, 'T' },
    { "days",     required_argument, NULL, 'D' },
    { "score",    required_argument, NULL, 'S' },
    { "quiet",    no_argument,       NULL, 'q' },
    { "verbose",  no_argument,       NULL, 'v' },
    { "help",     no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static int
bench_score(const struct rank_model *m, const struct window *w,
            const struct tower *t, size_t items, size_t n_cands,
            struct diag *d)
{
    struct rank_context *ctx = NULL;
    struct cands *c;
    double t0 = cli_now(), t1, t2, t3;

    if (rank_context_build(m, w, t, &ctx, d) < 0)
        return -1;
    t1 = cli_now();
    c = rank_bench_cands(ctx, w, items, n_cands, m->seed);
    t2 = cli_now();
    if (rank_score_cands(m, ctx, c, d) < 0) {
        cands_free(c);
        rank_context_free(ctx);
        return -1;
    }
    t3 = cli_now();
    printf("context_s %.3f\npairs %zu\nscore_s %.3f\npairs_per_s %.0f\n",
           t1 - t0, c->n, t3 - t2, (double)c->n / (t3 - t2));
    cli_log(1, "scoring: context + theta %.2f s; %zu pairs in %.2f s "
            "(%.0f pairs/s)", t1 - t0, c->n, t3 - t2,
            (double)c->n / (t3 - t2));
    cands_free(c);
    rank_context_free(ctx);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *segroot = NULL, *rank_path = NULL, *tower_path = NULL;
    int32_t date = 0;
    uint32_t days = 30;
    size_t items = 100000, n_cands = 500;
    int have_date = 0, opt;
    struct diag d = DIAG_INIT;
    struct rank_model *m = NULL;
    struct tower *t = NULL;
    struct window *w = NULL;

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 's': segroot = optarg; break;
        case 'd': date = cli_parse_date(optarg, "--date"); have_date = 1;
                  break;
        case 'r': rank_path = optarg; break;
        case 'T': tower_path = optarg; break;
        case 'D': days = cli_parse_u32(optarg, "--days"); break;
        case 'S':
            if (sscanf(optarg, "%zu,%zu", &items, &n_cands) != 2
                || items == 0 || n_cands == 0)
                cli_bad_usage("--score: expected ITEMS,CANDS, got '%s'",
                              optarg);
            break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default: cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || !segroot || !rank_path || !have_date)
        cli_usage_exit(usage_text);
    if (days < 2 || days > 3660)
        cli_bad_usage("--days must be 2..3660, got '%u'", days);
    if (rank_load(rank_path, &m, &d) < 0
        || (tower_path && tower_load(tower_path, &t, &d) < 0)
        /* interactions too, as dualrec-eval rank: days of ratings are
         * scored as samples (rank_sample.c) */
        || window_open(segroot, date, (int)days, 0, &w, &d) < 0
        || bench_score(m, w, t, items, n_cands, &d) < 0)
        cli_diag_exit(&d);
    window_free(w);
    tower_free(t);
    rank_free(m);
    return RC_OK;
}
