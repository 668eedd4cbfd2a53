/*
 * dualrec-eval -- replay evaluation of one published date, and a check of
 * dualrec binary files.
 *
 * Replay: for the tables published for date D (OUT/dt=D/), read day D+1's
 * segment and measure what the tables would have done: hit rate, recall of
 * the actual engagers, new-item coverage, items per user, ranking AUC per
 * task and UAC calibration (src/eval/replay.c).  Writes DIR/report.html and
 * DIR/report.json; prints a short table on stdout.
 *
 * rank: the ranker of date D on day D+1 (per-task AUC and log-loss, the
 * xgboost baseline, theta_u, the Table 4 ablation; src/eval/modeleval.c),
 * markdown tables on stdout.
 *
 * uac: the UAC stage rebuilt for one or more run dates with dualrec-uac's
 * training flags (cmd/uac_flags.h) and scored on each next day, pooled
 * (src/eval/uaceval.c); a text table on stdout.
 *
 * --verify FILE...: check that each file is a complete, uncorrupted dualrec
 * binary file (header, zstd frame, checksum); run_daily.sh uses it to decide
 * whether a stage's output is complete.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "binfile.h"
#include "cli.h"
#include "dates.h"
#include "evalrep.h"
#include "layout.h"
#include "modeleval.h"
#include "oracle.h"
#include "rc.h"
#include "replay.h"
#include "uac_flags.h"
#include "uaceval.h"
#include "xmem.h"

static const char usage_text[] =
    "usage: dualrec-eval --segments SEGROOT --tables OUTROOT --date D\n"
    "                    [--avail FILE] [--rank FILE [--tower FILE]]\n"
    "                    [--days N] [--report DIR] [-q] [-v]\n"
    "       dualrec-eval --verify FILE...\n"
    "       dualrec-eval rank --segments SEGROOT --date D --rank FILE\n"
    "                    [--tower FILE] [--days N] [--xgb-rounds N]\n"
    "                    [--xgb-max N] [--theta-report ITEMS,CANDS]\n"
    "                    [--ablation [--max-per-day N]] [-q] [-v]\n"
    "       dualrec-eval oracle --world DIR --segments SEGROOT --tables\n"
    "                    OUTROOT --date D [--avail FILE] [--cands FILE]\n"
    "                    [--L N] [--Q N] [--days N] [--seed N]\n"
    "                    [--report DIR] [-q] [-v]\n"
    "       dualrec-eval uac [--eval-days N] UAC-TRAINING-FLAGS\n"
    "Replay the tables published for date D (OUTROOT/dt=D) on day D+1's\n"
    "segment: hit rate, recall, coverage, items per user, ranking AUC per\n"
    "task (--rank, the model of date D), UAC calibration (--avail, the\n"
    "table of date D; --tower: the tower the ranker was trained with,\n"
    "--days: the ranker's feature window, default 30).  Writes\n"
    "DIR/report.html and DIR/report.json\n"
    "(default OUTROOT/../eval/dt=D) and a short table on stdout.\n"
    "  --verify   check dualrec binary files (header, frame, checksum):\n"
    "             prints the path of each complete one on stdout, a message\n"
    "             for each other on stderr; exit 0 when all are complete,\n"
    "             else the code of the first failure (65 or 66)\n"
    "  rank       evaluate the ranker of date D on day D+1: tables on\n"
    "             stdout, with the xgboost baseline (--xgb-rounds, default\n"
    "             100; 0 skips it) on up to --xgb-max samples, theta_u's\n"
    "             effect on the ITEMS most exposed items x CANDS active\n"
    "             users (default 1000,500) and with --ablation the model\n"
    "             retrained without augmentation / extra features\n"
    "  oracle     in a generated world (dualrec-gen --out DIR): expected\n"
    "             like+comment+follow of the table for D's uploads vs the\n"
    "             oracle, most-active, most-likes and random users (same L,\n"
    "             Q) and the regret decomposition (--avail: the UAC table\n"
    "             of D; --cands: dualrec-match --dump-cands); writes\n"
    "             DIR/oracle.html, DIR/oracle.json (default\n"
    "             OUTROOT/../eval/dt=D), docs/quality.md\n"
    "  uac        build the UAC table of date D as dualrec-uac would (the\n"
    "             same flags) and score it on day D+1: activity, capacity\n"
    "             and windows against baselines, on stdout; --eval-days N\n"
    "             does so for the N dates up to D and pools the days (a\n"
    "             backtest).  UAC-TRAINING-FLAGS, those of dualrec-uac:\n"
    UAC_FLAGS_USAGE;

enum { R_XGBR = 256, R_XGBM, R_THREP, R_ABL, R_MAXDAY };

static const struct option rank_opts[] = {
    { "segments",     required_argument, NULL, 's' },
    { "date",         required_argument, NULL, 'd' },
    { "rank",         required_argument, NULL, 'r' },
    { "tower",        required_argument, NULL, 'T' },
    { "days",         required_argument, NULL, 'D' },
    { "xgb-rounds",   required_argument, NULL, R_XGBR },
    { "xgb-max",      required_argument, NULL, R_XGBM },
    { "theta-report", required_argument, NULL, R_THREP },
    { "ablation",     no_argument,       NULL, R_ABL },
    { "max-per-day",  required_argument, NULL, R_MAXDAY },
    { "quiet",        no_argument,       NULL, 'q' },
    { "verbose",      no_argument,       NULL, 'v' },
    { "help",         no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

enum { U_EDAYS = UF_END };

static const struct option uac_opts[] = {
    UAC_FLAGS_OPTIONS,
    { "eval-days", required_argument, NULL, U_EDAYS },
    { "help",      no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static const struct option long_opts[] = {
    { "segments", required_argument, NULL, 's' },
    { "tables",   required_argument, NULL, 't' },
    { "date",     required_argument, NULL, 'd' },
    { "avail",    required_argument, NULL, 'a' },
    { "rank",     required_argument, NULL, 'r' },
    { "tower",    required_argument, NULL, 'T' },
    { "days",     required_argument, NULL, 'D' },
    { "report",   required_argument, NULL, 'o' },
    { "verify",   no_argument,       NULL, 'V' },
    { "quiet",    no_argument,       NULL, 'q' },
    { "verbose",  no_argument,       NULL, 'v' },
    { "help",     no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static const struct option oracle_opts_long[] = {
    { "world",    required_argument, NULL, 'w' },
    { "segments", required_argument, NULL, 's' },
    { "tables",   required_argument, NULL, 't' },
    { "date",     required_argument, NULL, 'd' },
    { "avail",    required_argument, NULL, 'a' },
    { "cands",    required_argument, NULL, 'c' },
    { "L",        required_argument, NULL, 'L' },
    { "Q",        required_argument, NULL, 'Q' },
    { "days",     required_argument, NULL, 'D' },
    { "seed",     required_argument, NULL, 'S' },
    { "report",   required_argument, NULL, 'o' },
    { "quiet",    no_argument,       NULL, 'q' },
    { "verbose",  no_argument,       NULL, 'v' },
    { "help",     no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* Path DIR/NAME, or OUTROOT/../eval/dt=D/NAME when dir is NULL (the eval
 * folder beside OUTROOT in the run root, as for the replay report). */
static char *
report_path(const char *dir, const char *outroot, int32_t date,
            const char *name)
{
    size_t n = (dir ? strlen(dir) : strlen(outroot)) + strlen(name)
               + sizeof "/../" LAYOUT_EVAL_DIR + 2;
    char *p = xmalloc(n), *q;

    if (dir != NULL) {
        snprintf(p, n, "%s/%s", dir, name);
        return p;
    }
    snprintf(p, n, "%s/../" LAYOUT_EVAL_DIR, outroot);
    q = layout_day(p, date, *name ? name : NULL);
    free(p);
    return q;
}

static int
oracle_main(int argc, char **argv)
{
    struct oracle_opts o;
    struct diag d = DIAG_INIT;
    struct evalrep *rep = NULL;
    const char *dir = NULL;
    char *html, *json, *rdir;
    int have_date = 0, opt;

    oracle_default_opts(&o);
    while ((opt = getopt_long(argc, argv, "qvh", oracle_opts_long, NULL))
           != -1) {
        switch (opt) {
        case 'w': o.world_dir = optarg; break;
        case 's': o.segroot = optarg; break;
        case 't': o.outroot = optarg; break;
        case 'd': o.date = cli_parse_date(optarg, "--date"); have_date = 1;
                  break;
        case 'a': o.avail_path = optarg; break;
        case 'c': o.cands_path = optarg; break;
        case 'L': o.L = cli_parse_u32(optarg, "--L"); break;
        case 'Q': o.Q = cli_parse_u32(optarg, "--Q"); break;
        case 'D': o.days = (int)cli_parse_u32(optarg, "--days"); break;
        case 'S': o.seed = cli_parse_u64(optarg, "--seed"); break;
        case 'o': dir = optarg; break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default: cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || !o.world_dir || !o.segroot || !o.outroot
        || !have_date)
        cli_usage_exit(usage_text);
    if (o.L == 0 || o.Q == 0 || o.Q > 65535 || o.days < 1)
        cli_bad_usage("--L and --Q must be at least 1 (Q at most 65535), "
                      "--days at least 1");
    html = report_path(dir, o.outroot, o.date, "oracle.html");
    json = report_path(dir, o.outroot, o.date, "oracle.json");
    rdir = report_path(dir, o.outroot, o.date, "");
    if (oracle_run(&o, &rep, &d) < 0 || mkdir_p(rdir, &d) < 0
        || evalrep_write_json(rep, json, &d) < 0
        || evalrep_write_html(rep, html, &d) < 0)
        cli_diag_exit(&d);
    evalrep_write_text(rep, stdout);
    cli_log(1, "report %s", html);
    evalrep_free(rep);
    free(html);
    free(json);
    free(rdir);
    return RC_OK;
}

static int
verify_files(int n, char **paths)
{
    int rc = RC_OK;

    for (int i = 0; i < n; i++) {
        struct diag d = DIAG_INIT;

        if (binfile_verify(paths[i], &d) < 0) {
            fprintf(stderr, "%s: %s\n", cli_prog, d.msg);
            if (rc == RC_OK)
                rc = d.rc;
        } else {
            puts(paths[i]);
        }
    }
    return rc;
}

/* dualrec-eval rank ...: argv[0] is "rank". */
static int
rank_main(int argc, char **argv)
{
    struct modeleval_rank_opts o;
    struct diag d = DIAG_INIT;
    int have_date = 0, opt;

    modeleval_rank_default_opts(&o);
    while ((opt = getopt_long(argc, argv, "qvh", rank_opts, NULL)) != -1) {
        switch (opt) {
        case 's': o.segroot = optarg; break;
        case 'd': o.date = cli_parse_date(optarg, "--date"); have_date = 1;
                  break;
        case 'r': o.rank_path = optarg; break;
        case 'T': o.tower_path = optarg; break;
        case 'D': o.days = cli_parse_u32(optarg, "--days"); break;
        case R_XGBR: o.xgb_rounds = cli_parse_u32(optarg, "--xgb-rounds");
                     break;
        case R_XGBM: o.xgb_max = cli_parse_u64(optarg, "--xgb-max"); break;
        case R_THREP:
            if (sscanf(optarg, "%zu,%zu", &o.theta_items, &o.theta_cands)
                != 2 || o.theta_items == 0 || o.theta_cands == 0)
                cli_bad_usage("--theta-report: expected ITEMS,CANDS, got "
                              "'%s'", optarg);
            break;
        case R_ABL: o.ablation = 1; break;
        case R_MAXDAY: o.max_per_day = cli_parse_u32(optarg, "--max-per-day");
                       break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default: cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || !o.segroot || !o.rank_path || !have_date)
        cli_usage_exit(usage_text);
    if (o.days < 2 || o.days > 3660)
        cli_bad_usage("--days must be 2..3660, got '%u'", o.days);
    if (modeleval_rank(&o, stdout, &d) < 0)
        cli_diag_exit(&d);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        diag_errno(&d, RC_IO, "stdout: write failed");
        cli_diag_exit(&d);
    }
    return RC_OK;
}

/* dualrec-eval uac ...: argv[0] is "uac". */
static int
uac_main(int argc, char **argv)
{
    struct uac_flags f;
    struct uaceval_opts o = { .eval_days = 1 };
    struct diag d = DIAG_INIT;
    double t0;
    int opt;

    uac_flags_init(&f);
    while ((opt = getopt_long(argc, argv, "qvh", uac_opts, NULL)) != -1) {
        if (uac_flags_opt(&f, opt, optarg))
            continue;
        switch (opt) {
        case U_EDAYS: o.eval_days = cli_parse_u32(optarg, "--eval-days");
                      break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default: cli_usage_exit(usage_text);
        }
    }
    if (optind != argc)
        cli_usage_exit(usage_text);
    uac_flags_check(&f, usage_text);
    if (o.eval_days < 1 || o.eval_days > 3660)
        cli_bad_usage("--eval-days must be in 1..3660 '%u'", o.eval_days);
    o.segroot = f.segroot;
    o.date = f.date;
    o.days = f.days;
    o.p = f.p;

    t0 = cli_now();
    if (uaceval_run(&o, stdout, &d) < 0)
        cli_diag_exit(&d);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        diag_errno(&d, RC_IO, "stdout: write failed");
        cli_diag_exit(&d);
    }
    cli_log(2, "%u run date(s) evaluated in %.2f s, peak RSS %.0f MB",
            o.eval_days, cli_now() - t0, cli_peak_rss_mb());
    return RC_OK;
}

int
main(int argc, char **argv)
{
    struct replay_opts o = { 0 };
    struct diag d = DIAG_INIT;
    struct evalrep *rep = NULL;
    char *report_dir = NULL, *html = NULL, *json = NULL;
    int verify = 0, have_date = 0, opt;
    double t0;

    cli_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "rank") == 0)
        return rank_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "oracle") == 0)
        return oracle_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "uac") == 0)
        return uac_main(argc - 1, argv + 1);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 's': o.segroot = optarg; break;
        case 't': o.outroot = optarg; break;
        case 'd': o.date = cli_parse_date(optarg, "--date"); have_date = 1;
                  break;
        case 'a': o.avail_path = optarg; break;
        case 'r': o.rank_path = optarg; break;
        case 'T': o.tower_path = optarg; break;
        case 'D': o.days = (int)cli_parse_u32(optarg, "--days"); break;
        case 'o': report_dir = xstrdup(optarg); break;
        case 'V': verify = 1; break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default: cli_usage_exit(usage_text);
        }
    }
    if (verify) {
        if (optind >= argc)
            cli_usage_exit(usage_text);
        return verify_files(argc - optind, argv + optind);
    }
    if (optind != argc || !o.segroot || !o.outroot || !have_date)
        cli_usage_exit(usage_text);
    if (report_dir == NULL) {
        /* the eval folder beside OUTROOT in the run root */
        size_t n = strlen(o.outroot) + sizeof "/../" LAYOUT_EVAL_DIR;
        char *evalroot = xmalloc(n);

        snprintf(evalroot, n, "%s/../" LAYOUT_EVAL_DIR, o.outroot);
        report_dir = layout_day(evalroot, o.date, NULL);
        free(evalroot);
    }
    html = xmalloc(strlen(report_dir) + 16);
    json = xmalloc(strlen(report_dir) + 16);
    sprintf(html, "%s/" LAYOUT_REPORT_HTML, report_dir);
    sprintf(json, "%s/" LAYOUT_REPORT_JSON, report_dir);

    t0 = cli_now();
    if (replay_run(&o, &rep, &d) < 0 || mkdir_p(report_dir, &d) < 0
        || evalrep_write_json(rep, json, &d) < 0
        || evalrep_write_html(rep, html, &d) < 0)
        cli_diag_exit(&d);
    evalrep_write_text(rep, stdout);
    cli_log(1, "report %s (%.1f s)", html, cli_now() - t0);

    evalrep_free(rep);
    free(report_dir);
    free(html);
    free(json);
    return RC_OK;
}
