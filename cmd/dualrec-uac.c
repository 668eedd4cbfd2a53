/*
 * dualrec-uac -- user availability (UAC) for the day after --date: reads
 * the window of segments ending at --date, writes the availability table
 * (--out, binary) and optionally a TSV; --eval also scores the table on
 * the segment of the next day and prints the evaluation on stdout.  The
 * work is in src/avail*.c; this file maps flags to parameters and a diag
 * to an exit code.
 */
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "avail.h"
#include "cli.h"
#include "dates.h"
#include "rc.h"
#include "segment.h"

static const char usage_text[] =
    "usage: dualrec-uac --segments SEGROOT --date YYYY-MM-DD [--days N]\n"
    "                   --out FILE [--tsv FILE] [--eval] [--eval-days N]\n"
    "                   [--target-recall R | --target-precision P |"
    " --threshold T]\n"
    "                   [--cap-min N] [--cap-max N] [--cap-scale F]\n"
    "                   [--window-share S] [--train-days N] [--rounds N]\n"
    "                   [--threads N] [--seed N] [-q|-v]\n"
    "  Availability for the day after --date from the --days (30) days up\n"
    "  to it.  a_u: threshold chosen on the last day for recall 0.9 unless\n"
    "  told otherwise.  --eval prints metrics on the next day's segment\n"
    "  (then --out is optional); --eval-days N runs the stage for the N\n"
    "  dates up to --date and pools the evaluation (a backtest).\n";

enum { O_SEG = 256, O_DATE, O_DAYS, O_OUT, O_TSV, O_EVAL, O_REC, O_PREC,
       O_THR, O_CMIN, O_CMAX, O_CSCALE, O_SHARE, O_TDAYS, O_ROUNDS,
       O_THREADS, O_SEED, O_EDAYS };

static const struct option long_opts[] = {
    { "segments", required_argument, NULL, O_SEG },
    { "date", required_argument, NULL, O_DATE },
    { "days", required_argument, NULL, O_DAYS },
    { "out", required_argument, NULL, O_OUT },
    { "tsv", required_argument, NULL, O_TSV },
    { "eval", no_argument, NULL, O_EVAL },
    { "eval-days", required_argument, NULL, O_EDAYS },
    { "target-recall", required_argument, NULL, O_REC },
    { "target-precision", required_argument, NULL, O_PREC },
    { "threshold", required_argument, NULL, O_THR },
    { "cap-min", required_argument, NULL, O_CMIN },
    { "cap-max", required_argument, NULL, O_CMAX },
    { "cap-scale", required_argument, NULL, O_CSCALE },
    { "window-share", required_argument, NULL, O_SHARE },
    { "train-days", required_argument, NULL, O_TDAYS },
    { "rounds", required_argument, NULL, O_ROUNDS },
    { "threads", required_argument, NULL, O_THREADS },
    { "seed", required_argument, NULL, O_SEED },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static double
unit(const char *s, const char *opt)
{
    double v = cli_parse_double(s, opt);

    if (!(v >= 0 && v <= 1))
        cli_bad_usage("%s must be in [0, 1] '%s'", opt, s);
    return v;
}

static void
report(const struct window *w, const struct avail *a,
       const struct avail_report *r)
{
    char b1[16], b2[16];
    uint32_t n_act = 0;

    for (int k = 0; k < w->n_days; k++) {
        const struct segment *s = w->seg[k];

        if (!s || s->n_exp + s->n_inter == 0)
            cli_log(1, "%s day %s in the window: treated as unobserved "
                    "(no evidence either way, not a label day)",
                    s ? "empty" : "missing",
                    dates_format_day(w->first_day + k, b1));
    }
    if (r->n_skewed)
        cli_log(1, "%llu events lie outside their segment's day (clock "
                "skew): kept on that day", (unsigned long long)r->n_skewed);
    if (r->fallback)
        cli_log(1, "%s: p_active is the smoothed recent activity rate",
                r->fallback);
    for (uint32_t u = 0; u < a->n_users; u++)
        n_act += a->active[u];
    cli_log(1, "%s: %u users (%u with history), a_u=1 for %u; threshold "
            "%.4f (validation %s: recall %.3f, precision %.3f); auc gbdt "
            "%.4f, logreg %.4f; %zu train rows over %d days",
            dates_format_day(a->day, b1), a->n_users, r->n_history, n_act,
            (double)a->threshold,
            r->valid_day == INT32_MIN ? "none"
                                      : dates_format_day(r->valid_day, b2),
            a->valid[4], a->valid[5], a->valid[0], a->valid[2],
            r->n_train_rows, r->n_train_days);
    cli_log(2, "seconds: features %.2f, training %.2f, prediction %.2f",
            r->sec_scan, r->sec_fit, r->sec_predict);
}

int
main(int argc, char **argv)
{
    struct avail_params p = avail_default_params();
    const char *segroot = NULL, *out = NULL, *tsv = NULL;
    int32_t date = INT32_MIN;
    uint32_t days = 30, eval_days = 1, cap_min = p.cap_min, cap_max = p.cap_max;
    int eval = 0, opt, n_target = 0;
    struct diag d = DIAG_INIT;
    struct window *w = NULL;
    struct avail *a = NULL;
    struct avail_evalpool *pool;
    struct avail_report rep;
    double t0;

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case O_SEG: segroot = optarg; break;
        case O_DATE: date = cli_parse_date(optarg, "--date"); break;
        case O_DAYS: days = cli_parse_u32(optarg, "--days"); break;
        case O_OUT: out = optarg; break;
        case O_TSV: tsv = optarg; break;
        case O_EVAL: eval = 1; break;
        case O_EDAYS: eval_days = cli_parse_u32(optarg, "--eval-days");
            eval = 1;
            break;
        case O_REC: p.target = AVAIL_TARGET_RECALL;
            p.target_value = unit(optarg, "--target-recall"); n_target++;
            break;
        case O_PREC: p.target = AVAIL_TARGET_PRECISION;
            p.target_value = unit(optarg, "--target-precision"); n_target++;
            break;
        case O_THR: p.target = AVAIL_TARGET_FIXED;
            p.target_value = unit(optarg, "--threshold"); n_target++; break;
        case O_CMIN: cap_min = cli_parse_u32(optarg, "--cap-min"); break;
        case O_CMAX: cap_max = cli_parse_u32(optarg, "--cap-max"); break;
        case O_CSCALE: p.cap_scale = cli_parse_double(optarg, "--cap-scale");
            break;
        case O_SHARE: p.window_share = unit(optarg, "--window-share"); break;
        case O_TDAYS: p.train_days = (int)cli_parse_u32(optarg,
                                                        "--train-days");
            break;
        case O_ROUNDS: p.gbdt.rounds = (int)cli_parse_u32(optarg, "--rounds");
            break;
        case O_THREADS: p.nthread = (int)cli_parse_u32(optarg, "--threads");
            break;
        case O_SEED: p.seed = cli_parse_u64(optarg, "--seed"); break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default: cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || !segroot || date == INT32_MIN || (!out && !eval))
        cli_usage_exit(usage_text);
    if (n_target > 1)
        cli_bad_usage("give one of --target-recall, --target-precision, "
                      "--threshold");
    if (days < 1 || days > 366)
        cli_bad_usage("--days must be in 1..366 '%u'", days);
    if (eval_days < 1 || eval_days > 3660)
        cli_bad_usage("--eval-days must be in 1..3660 '%u'", eval_days);
    if (cap_max > 65535 || cap_min > cap_max || !(p.cap_scale >= 0))
        cli_bad_usage("need --cap-min <= --cap-max <= 65535 and "
                      "--cap-scale >= 0");
    p.cap_min = (uint16_t)cap_min;
    p.cap_max = (uint16_t)cap_max;
    if (p.nthread < 1 || p.nthread > 256)
        cli_bad_usage("--threads must be in 1..256 '%d'", p.nthread);
    p.gbdt.nthread = p.cap_gbdt.nthread = p.nthread;
    p.gbdt.seed = p.cap_gbdt.seed = p.seed;
    omp_set_num_threads(p.nthread);

    t0 = cli_now();
    pool = eval ? avail_evalpool_new() : NULL;
    /* Oldest run date first; the outputs are those of --date. */
    for (int32_t day = date - (int32_t)eval_days + 1; day <= date; day++) {
        struct segment *next = NULL;

        /* The day evaluated on first: a missing one fails before work. */
        if (eval) {
            char *path = segment_path(segroot, day + 1);

            if (segment_load(path, &next, &d) < 0)
                cli_diag_exit(&d);
            free(path);
        }
        if (window_open(segroot, day, (int)days, 0, &w, &d) < 0
         || avail_build(w, iddict_count(w->users), &p, &a, &rep, &d) < 0)
            cli_diag_exit(&d);
        if (day == date) {
            report(w, a, &rep);
            if ((out && avail_save(a, out, &d) < 0)
             || (tsv && avail_write_tsv(a, w->users, tsv, &d) < 0))
                cli_diag_exit(&d);
        }
        if (eval && avail_evalpool_add(pool, a, w, next, &p, &d) < 0)
            cli_diag_exit(&d);
        segment_free(next);
        avail_free(a);
        window_free(w);
    }
    if (eval) {
        struct avail_eval ev;
        char label[64];

        avail_evalpool_finish(pool, &ev);
        snprintf(label, sizeof label, "window of %u days", days);
        avail_eval_print(&ev, label, stdout);
        avail_evalpool_free(pool);
    }
    cli_log(2, "done in %.2f s, peak RSS %.0f MB", cli_now() - t0,
            cli_peak_rss_mb());
    return RC_OK;
}
