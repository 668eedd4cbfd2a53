/*
 * dualrec-uac -- user availability (UAC) for the day after --date: reads
 * the window of segments ending at --date and writes the availability
 * table (--out, binary) and optionally a TSV.  The work is in
 * src/model/avail*.c; this file maps flags to parameters (cmd/uac_flags.h,
 * shared with `dualrec-eval uac`, which evaluates and backtests the stage:
 * src/eval/uaceval.c) and a diag to an exit code.  stdout stays empty.
 */
#include <getopt.h>
#include <stdio.h>

#include "avail.h"
#include "cli.h"
#include "dates.h"
#include "rc.h"
#include "segment.h"
#include "uac_flags.h"

static const char usage_text[] =
    "usage: dualrec-uac --out FILE [--tsv FILE] TRAINING-FLAGS\n"
    "TRAINING-FLAGS (the same as dualrec-eval uac's):\n"
    UAC_FLAGS_USAGE
    "  Availability for the day after --date from the --days (30) days up\n"
    "  to it.  a_u: threshold chosen on the last day for recall 0.9 unless\n"
    "  told otherwise.  Evaluate the stage on the next day's segment with\n"
    "  `dualrec-eval uac` (same flags).\n";

enum { O_OUT = UF_END, O_TSV };

static const struct option long_opts[] = {
    UAC_FLAGS_OPTIONS,
    { "out", required_argument, NULL, O_OUT },
    { "tsv", required_argument, NULL, O_TSV },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

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
    struct uac_flags f;
    const char *out = NULL, *tsv = NULL;
    struct diag d = DIAG_INIT;
    struct window *w = NULL;
    struct avail *a = NULL;
    struct avail_report rep;
    double t0;
    int opt;

    cli_init(argv[0]);
    uac_flags_init(&f);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        if (uac_flags_opt(&f, opt, optarg))
            continue;
        switch (opt) {
        case O_OUT: out = optarg; break;
        case O_TSV: tsv = optarg; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default: cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || !out)
        cli_usage_exit(usage_text);
    uac_flags_check(&f, usage_text);

    t0 = cli_now();
    /* Lazy: the scan reads one day at a time into per-user summaries. */
    if (window_open(f.segroot, f.date, (int)f.days, WINDOW_LAZY, &w, &d) < 0
     || avail_build(w, iddict_count(w->users), &f.p, &a, &rep, &d) < 0)
        cli_diag_exit(&d);
    report(w, a, &rep);
    if (avail_save(a, out, &d) < 0
     || (tsv && avail_write_tsv(a, w->users, tsv, &d) < 0))
        cli_diag_exit(&d);
    avail_free(a);
    window_free(w);
    cli_log(2, "done in %.2f s, peak RSS %.0f MB", cli_now() - t0,
            cli_peak_rss_mb());
    return RC_OK;
}
