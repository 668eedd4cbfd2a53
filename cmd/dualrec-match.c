/*
 * dualrec-match -- for each target item, the users who will receive it:
 * retrieval, ranking, UAC-gated capacity-aware assignment, published as
 * OUTROOT/dt=D/ tables.  All the work is in src/stage/match.c; this file turns
 * argv into options and a diag into an exit code.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "match.h"
#include "rc.h"
#include "targets.h"

static const char usage_text[] =
    "usage: dualrec-match --segments SEGROOT --date YYYY-MM-DD --tower FILE\n"
    "                     --rank FILE --avail FILE [--out OUTROOT]\n"
    "                     [--targets FILE|-] [--L N] [--long-tail-max N]\n"
    "                     [--long-tail-budget auto|all|N]\n"
    "                     [--long-tail-over F]\n"
    "                     [--slice HH-HH] [--days N] [--candidates N]\n"
    "                     [--method auction|greedy|greedy-items|exact]\n"
    "                     [--min-audience N]\n"
    "                     [--redis FILE|-] [--redis-prefix P]\n"
    "                     [--redis-ttl SECONDS] [--stdout]\n"
    "                     [--dump-cands FILE] [--new-first 0|1]\n"
    "                     [--min-capacity-ratio R] [-q|-v]\n"
    "Matches the targets of day D (uploads of D and long-tail items, or\n"
    "the ids in --targets) to available users and publishes\n"
    "OUTROOT/dt=D/{item_users,user_items}.tsv.zst, manifest.json, _SUCCESS.\n"
    "--stdout writes item->users TSV to stdout; --redis writes Redis\n"
    "protocol for redis-cli --pipe.  At least one output is required.\n"
    "--dump-cands writes every scored candidate (plain TSV) for\n"
    "dualrec-eval oracle.  --new-first 1 (default): the day's uploads are\n"
    "assigned first, long-tail targets get the capacity left.  Long-tail\n"
    "targets are at most --long-tail-budget: auto (default) = F (2) x the\n"
    "pairs the eligible users' capacity has left after L x the day's\n"
    "uploads, / L; the fewest-exposed go first.  all = no budget.  The sum of\n"
    "Q_u over eligible users below L x the day's uploads (L x targets with\n"
    "--targets) is warned about; below R (0.25) times that need, or times\n"
    "10 x the known users if smaller, the stage exits 65 after publishing.\n";

enum { OPT_SEG = 256, OPT_DATE, OPT_TOWER, OPT_RANK, OPT_AVAIL, OPT_OUT,
       OPT_TARGETS, OPT_L, OPT_TAIL, OPT_SLICE, OPT_DAYS, OPT_CANDS,
       OPT_METHOD, OPT_REDIS, OPT_RPREFIX, OPT_RTTL, OPT_STDOUT,
       OPT_FLOOR, OPT_DUMP, OPT_MINCAP, OPT_NEWFIRST, OPT_BUDGET,
       OPT_OVER };

static const struct option long_opts[] = {
    { "segments",      required_argument, NULL, OPT_SEG },
    { "date",          required_argument, NULL, OPT_DATE },
    { "tower",         required_argument, NULL, OPT_TOWER },
    { "rank",          required_argument, NULL, OPT_RANK },
    { "avail",         required_argument, NULL, OPT_AVAIL },
    { "out",           required_argument, NULL, OPT_OUT },
    { "targets",       required_argument, NULL, OPT_TARGETS },
    { "L",             required_argument, NULL, OPT_L },
    { "long-tail-max", required_argument, NULL, OPT_TAIL },
    { "long-tail-budget", required_argument, NULL, OPT_BUDGET },
    { "long-tail-over", required_argument, NULL, OPT_OVER },
    { "slice",         required_argument, NULL, OPT_SLICE },
    { "days",          required_argument, NULL, OPT_DAYS },
    { "candidates",    required_argument, NULL, OPT_CANDS },
    { "method",        required_argument, NULL, OPT_METHOD },
    { "redis",         required_argument, NULL, OPT_REDIS },
    { "redis-prefix",  required_argument, NULL, OPT_RPREFIX },
    { "redis-ttl",     required_argument, NULL, OPT_RTTL },
    { "stdout",        no_argument,       NULL, OPT_STDOUT },
    { "min-audience",  required_argument, NULL, OPT_FLOOR },
    { "dump-cands",    required_argument, NULL, OPT_DUMP },
    { "min-capacity-ratio", required_argument, NULL, OPT_MINCAP },
    { "new-first",     required_argument, NULL, OPT_NEWFIRST },
    { "quiet",         no_argument,       NULL, 'q' },
    { "verbose",       no_argument,       NULL, 'v' },
    { "help",          no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static void
parse_slice(const char *s, struct match_opts *o)
{
    int lo, hi, n = 0;

    if (sscanf(s, "%2d-%2d%n", &lo, &hi, &n) != 2 || s[n] != '\0'
        || lo < 0 || lo > 23 || hi < 0 || hi > 24 || lo == hi)
        cli_bad_usage("--slice: expected HH-HH with hours 0..24, got '%s'",
                      s);
    o->slice_lo = lo;
    o->slice_hi = hi;
}

/* --long-tail-budget auto|all|N */
static void
parse_budget(const char *s, struct match_opts *o)
{
    o->long_tail_auto = strcmp(s, "auto") == 0;
    if (o->long_tail_auto)
        return;
    o->long_tail_budget = strcmp(s, "all") == 0
                          ? TARGETS_BUDGET_ALL
                          : cli_parse_u32(s, "--long-tail-budget");
}

static void
report(const struct match_opts *o, const struct match_report *r)
{
    if (r->n_unknown > 0)
        cli_log(1, "%zu unknown item(s) in the target list; first: %s",
                r->n_unknown, r->unknown_example);
    if (r->n_long_tail_eligible > r->n_long_tail)
        cli_log(1, "long-tail budget %zu: %zu of %zu long-tail items are "
                "targets", r->long_tail_budget, r->n_long_tail,
                r->n_long_tail_eligible);
    cli_log(1, "%zu targets (%zu new, %zu long tail), %u/%u users "
            "eligible, %zu candidates, %zu pairs; items full %zu, empty "
            "%zu; %zu users matched%s%s", r->n_targets, r->n_new,
            r->n_long_tail, r->n_eligible, r->n_users, r->n_cands,
            r->assign.pairs, r->assign.full, r->assign.empty,
            r->assign.users_matched, r->published ? "; published " : "",
            r->published ? r->final_dir : "");
    if (r->empty_cause[0] != '\0')
        cli_log(1, "warning: %zu of %zu targets (%.0f%%) got no user; %s",
                r->assign.empty, r->n_targets,
                r->n_targets ? 100.0 * (double)r->assign.empty
                                   / (double)r->n_targets : 100.0,
                r->empty_cause);
    if (r->segments_before_window > 0)
        cli_log(1, "note: %u older day segment(s) are outside the %d-day "
                "window and not used; widen it with --days N",
                r->segments_before_window, o->window_days);
    if (o->assign.method == ASSIGN_AUCTION && !r->assign.converged
        && r->assign.pairs > 0)
        cli_log(1, "auction stopped at %u rounds; the rest was filled "
                "greedily", r->assign.rounds);
    for (int s = 0; s < MS_N_STEPS; s++)
        cli_log(2, "  %-10s %8.2f s", match_step_names[s], r->seconds[s]);
    cli_log(2, "  items per eligible user: 0:%zu 1:%zu 2:%zu 3:%zu 4:%zu "
            "5:%zu 6:%zu 7:%zu 8:%zu 9:%zu 10:%zu >=11:%zu", r->hist[0],
            r->hist[1], r->hist[2], r->hist[3], r->hist[4], r->hist[5],
            r->hist[6], r->hist[7], r->hist[8], r->hist[9], r->hist[10],
            r->hist[11]);
    cli_log(2, "  objective %.6g, score sum %.6g, auction rounds %u, peak "
            "RSS %.0f MB", r->assign.objective, r->assign.score_sum,
            r->assign.rounds, cli_peak_rss_mb());
}

int
main(int argc, char **argv)
{
    struct match_opts o;
    struct match_report r;
    struct diag d = DIAG_INIT;
    int opt, have_date = 0;

    cli_init(argv[0]);
    match_default_opts(&o);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case OPT_SEG:     o.segroot = optarg; break;
        case OPT_DATE:    o.day = cli_parse_date(optarg, "--date");
                          have_date = 1; break;
        case OPT_TOWER:   o.tower_path = optarg; break;
        case OPT_RANK:    o.rank_path = optarg; break;
        case OPT_AVAIL:   o.avail_path = optarg; break;
        case OPT_OUT:     o.outroot = optarg; break;
        case OPT_TARGETS: o.targets_path = optarg; break;
        case OPT_L:       o.assign.L = cli_parse_u32(optarg, "--L"); break;
        case OPT_TAIL:    o.long_tail_max = cli_parse_u32(optarg,
                                                          "--long-tail-max");
                          break;
        case OPT_BUDGET:  parse_budget(optarg, &o); break;
        case OPT_OVER:    o.long_tail_over = cli_parse_double(optarg,
                                                  "--long-tail-over");
                          if (!(o.long_tail_over >= 0))
                              cli_bad_usage("--long-tail-over must be at "
                                            "least 0, got '%s'", optarg);
                          break;
        case OPT_SLICE:   parse_slice(optarg, &o); break;
        case OPT_DAYS:    o.window_days = (int)cli_parse_u32(optarg,
                                                             "--days");
                          break;
        case OPT_CANDS:   o.channels.k = cli_parse_u32(optarg,
                                                       "--candidates");
                          break;
        case OPT_METHOD:
            if (assign_method_parse(optarg, &o.assign.method) < 0)
                cli_bad_usage("--method: unknown method '%s'", optarg);
            break;
        case OPT_REDIS:   o.redis_path = optarg; break;
        case OPT_RPREFIX: o.redis_prefix = optarg; break;
        case OPT_RTTL:    o.redis_ttl = cli_parse_u32(optarg, "--redis-ttl");
                          break;
        case OPT_STDOUT:  o.to_stdout = 1; break;
        case OPT_DUMP:    o.cands_path = optarg; break;
        case OPT_MINCAP:  o.min_cap_ratio = cli_parse_double(optarg,
                                              "--min-capacity-ratio");
                          break;
        case OPT_NEWFIRST:
            if (strcmp(optarg, "0") != 0 && strcmp(optarg, "1") != 0)
                cli_bad_usage("--new-first: expected 0 or 1, got '%s'",
                              optarg);
            o.new_first = optarg[0] == '1';
            break;
        case OPT_FLOOR:   o.assign.min_audience = cli_parse_u32(optarg,
                                                    "--min-audience");
                          break;
        case 'q':         cli_verbosity = 0; break;
        case 'v':         cli_verbosity = 2; break;
        case 'h':         fputs(usage_text, stdout); return RC_OK;
        default:          cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || o.segroot == NULL || !have_date
        || o.tower_path == NULL || o.rank_path == NULL
        || o.avail_path == NULL)
        cli_usage_exit(usage_text);
    if (o.outroot == NULL && !o.to_stdout && o.redis_path == NULL)
        cli_bad_usage("no output: give --out, --stdout or --redis");
    if (o.to_stdout && o.redis_path != NULL
        && strcmp(o.redis_path, "-") == 0)
        cli_bad_usage("--stdout and --redis - both write to stdout");
    if (o.assign.L == 0)
        cli_bad_usage("--L must be at least 1");
    if (o.window_days < 1 || o.window_days > 366)
        cli_bad_usage("--days must be in 1..366");
    if (o.channels.k < o.assign.L)
        o.channels.k = o.assign.L;

    if (match_run(&o, &r, &d) < 0)
        cli_diag_exit(&d);
    report(&o, &r);
    if (r.cap_supply < r.cap_demand)
        fprintf(stderr, "%s: warning: capacity short: eligible users can "
                "take %llu pairs, the targets need %llu (%llu reachable "
                "from %u users at Q=%d; ratio %.3f)\n", cli_prog,
                (unsigned long long)r.cap_supply,
                (unsigned long long)r.cap_demand,
                (unsigned long long)r.cap_reachable, r.n_users,
                MATCH_CAP_REF, r.cap_ratio);
    if (r.cap_ratio < o.min_cap_ratio) {
        fprintf(stderr, "%s: capacity ratio %.3f below --min-capacity-ratio "
                "%g%s\n", cli_prog, r.cap_ratio, o.min_cap_ratio,
                r.published ? " (tables published)" : "");
        return RC_DATA;
    }
    return RC_OK;
}
