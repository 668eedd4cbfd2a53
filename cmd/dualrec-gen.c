/*
 * dualrec-gen -- generate a synthetic world: daily input logs in README's
 * format and the ground truth beside them.  All the work is in
 * src/worldgen*.c; this file turns argv into parameters and a diag into an
 * exit code.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "dates.h"
#include "diag.h"
#include "rc.h"
#include "worldgen.h"

static const char usage_text[] =
    "usage: dualrec-gen --out DIR [--users N] [--items-per-day N] [--days N]\n"
    "                   [--start YYYY-MM-DD] [--seed S] [--creators N]\n"
    "                   [--dim N] [--tags N] [--imp-per-session X] [--zstd]\n"
    "                   [-q|-v]\n"
    "\n"
    "Writes DIR/logs/dt=YYYY-MM-DD/{exposures,interactions,items,follows,\n"
    "users}.csv[.zst] and DIR/truth/ (docs/worldgen.md).\n"
    "  --out DIR            output root (created)\n"
    "  --users N            users (default 2000)\n"
    "  --items-per-day N    mean uploads per day (default 200)\n"
    "  --days N             days to write (default 14)\n"
    "  --start DATE         first day, UTC (default 2026-01-05)\n"
    "  --seed S             random seed (default 1)\n"
    "  --creators N         creators (default 27 per daily upload)\n"
    "  --dim N              latent dimension (default 16)\n"
    "  --tags N             tag vocabulary (default 48)\n"
    "  --imp-per-session X  mean impressions per session of a median user\n"
    "                       (default 6; heavier users see more)\n"
    "  --zstd               write .csv.zst\n"
    "  -q, --quiet          no summary;  -v, --verbose  one line per day\n"
    "  -h, --help           this text\n";

static const struct option long_opts[] = {
    { "out",           required_argument, NULL, 'o' },
    { "users",         required_argument, NULL, 'u' },
    { "items-per-day", required_argument, NULL, 'i' },
    { "days",          required_argument, NULL, 'n' },
    { "start",         required_argument, NULL, 'S' },
    { "seed",          required_argument, NULL, 's' },
    { "creators",      required_argument, NULL, 'c' },
    { "dim",           required_argument, NULL, 'k' },
    { "tags",          required_argument, NULL, 't' },
    { "imp-per-session", required_argument, NULL, 'I' },
    { "zstd",          no_argument,       NULL, 'z' },
    { "quiet",         no_argument,       NULL, 'q' },
    { "verbose",       no_argument,       NULL, 'v' },
    { "help",          no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static void
progress(void *arg, int32_t day, const struct worldgen_daystats *s)
{
    char date[16];

    (void)arg;
    cli_log(2, "%s: %u active users, %llu impressions, %llu clicks, "
            "%llu likes", dates_format_day(day, date), s->n_active_users,
            (unsigned long long)s->n_imp, (unsigned long long)s->n_fb[0],
            (unsigned long long)s->n_fb[2]);
}

int
main(int argc, char **argv)
{
    struct worldgen_params p = worldgen_default_params();
    struct worldgen_summary sum;
    struct diag d = DIAG_INIT;
    const char *out = NULL;
    unsigned flags = 0;
    double t0;
    int opt;

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'u': p.n_users = cli_parse_u32(optarg, "--users"); break;
        case 'i': p.items_per_day = cli_parse_u32(optarg, "--items-per-day");
                  break;
        case 'n': p.n_days = cli_parse_u32(optarg, "--days"); break;
        case 'S': p.start_day = cli_parse_date(optarg, "--start"); break;
        case 's': p.seed = cli_parse_u64(optarg, "--seed"); break;
        case 'c': p.n_creators = cli_parse_u32(optarg, "--creators"); break;
        case 'k': p.dim = cli_parse_u32(optarg, "--dim"); break;
        case 't': p.n_tags = cli_parse_u32(optarg, "--tags"); break;
        case 'I': p.imp_per_session = cli_parse_double(optarg,
                                                       "--imp-per-session");
                  break;
        case 'z': flags |= WORLDGEN_ZSTD; break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default:  cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || out == NULL)
        cli_usage_exit(usage_text);
    if (worldgen_params_check(&p, &d) < 0)
        cli_bad_usage("%s", d.msg);

    t0 = cli_now();
    if (worldgen_generate(&p, out, flags, progress, NULL, &sum, &d) < 0)
        cli_diag_exit(&d);
    cli_log(1, "%u days, %u users, %u items: %llu exposures, %llu "
            "interactions, %llu follows, %llu item rows, %llu user rows; "
            "%.1f MB in %.2f s, peak %.0f MB",
            p.n_days, p.n_users, sum.n_items,
            (unsigned long long)sum.rows[0], (unsigned long long)sum.rows[1],
            (unsigned long long)sum.rows[3], (unsigned long long)sum.rows[2],
            (unsigned long long)sum.rows[4], (double)sum.bytes / 1e6,
            cli_now() - t0, cli_peak_rss_mb());
    if (sum.rows[0] > 0)
        cli_log(1, "rates per exposure: click %.3f, long_view %.3f, like "
                "%.4f, comment %.4f, follow %.4f, share %.4f, hate %.4f",
                (double)sum.n_fb[0] / (double)sum.rows[0],
                (double)sum.n_fb[1] / (double)sum.rows[0],
                (double)sum.n_fb[2] / (double)sum.rows[0],
                (double)sum.n_fb[3] / (double)sum.rows[0],
                (double)sum.n_fb[4] / (double)sum.rows[0],
                (double)sum.n_fb[5] / (double)sum.rows[0],
                (double)sum.n_fb[6] / (double)sum.rows[0]);
    return RC_OK;
}
