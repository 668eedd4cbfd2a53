/*
 * uac_flags.h -- the training flags of the UAC stage, parsed in one place
 * for the two mains that take them: dualrec-uac (builds and writes the
 * table of one run date) and `dualrec-eval uac` (rebuilds the tables of a
 * backtest, one per run date, and scores each on its next day).  The
 * backtest needs every parameter the stage was given (window, target,
 * capacity, windows, training days, rounds, seed), so both mains share
 * this table and its checks and the flags cannot drift apart.
 *
 * Included by cmd/ mains only (it uses cli.h, which may print and exit).
 * A main lists UAC_FLAGS_OPTIONS in its option table, numbers its own
 * options from UF_END, passes every getopt_long result to uac_flags_opt
 * and, after the loop, calls uac_flags_check.
 */
#ifndef DUALREC_UAC_FLAGS_H
#define DUALREC_UAC_FLAGS_H

#include <getopt.h>
#include <omp.h>
#include <stdint.h>

#include "avail.h"
#include "cli.h"

#define UAC_FLAGS_USAGE \
    "  --segments SEGROOT --date YYYY-MM-DD [--days N]\n" \
    "  [--target-recall R | --target-precision P | --threshold T]\n" \
    "  [--cap-min N] [--cap-max N] [--cap-scale F] [--window-share S]\n" \
    "  [--train-days N] [--rounds N] [--threads N] [--seed N] [-q|-v]\n"

enum { UF_SEG = 256, UF_DATE, UF_DAYS, UF_REC, UF_PREC, UF_THR, UF_CMIN,
       UF_CMAX, UF_CSCALE, UF_SHARE, UF_TDAYS, UF_ROUNDS, UF_THREADS,
       UF_SEED, UF_END };

#define UAC_FLAGS_OPTIONS \
    { "segments", required_argument, NULL, UF_SEG }, \
    { "date", required_argument, NULL, UF_DATE }, \
    { "days", required_argument, NULL, UF_DAYS }, \
    { "target-recall", required_argument, NULL, UF_REC }, \
    { "target-precision", required_argument, NULL, UF_PREC }, \
    { "threshold", required_argument, NULL, UF_THR }, \
    { "cap-min", required_argument, NULL, UF_CMIN }, \
    { "cap-max", required_argument, NULL, UF_CMAX }, \
    { "cap-scale", required_argument, NULL, UF_CSCALE }, \
    { "window-share", required_argument, NULL, UF_SHARE }, \
    { "train-days", required_argument, NULL, UF_TDAYS }, \
    { "rounds", required_argument, NULL, UF_ROUNDS }, \
    { "threads", required_argument, NULL, UF_THREADS }, \
    { "seed", required_argument, NULL, UF_SEED }, \
    { "quiet", no_argument, NULL, 'q' }, \
    { "verbose", no_argument, NULL, 'v' }

struct uac_flags {
    const char *segroot;
    int32_t date;               /* INT32_MIN until --date */
    uint32_t days;              /* window (30) */
    struct avail_params p;      /* complete after uac_flags_check */
    uint32_t cap_min, cap_max;  /* checked, then copied into p */
    int n_target;               /* target flags given */
};

static inline void
uac_flags_init(struct uac_flags *f)
{
    f->segroot = NULL;
    f->date = INT32_MIN;
    f->days = 30;
    f->p = avail_default_params();
    f->cap_min = f->p.cap_min;
    f->cap_max = f->p.cap_max;
    f->n_target = 0;
}

static inline double
uac_flags_unit(const char *s, const char *opt)
{
    double v = cli_parse_double(s, opt);

    if (!(v >= 0 && v <= 1))
        cli_bad_usage("%s must be in [0, 1] '%s'", opt, s);
    return v;
}

/* 1 when opt is a training flag (applied to f), else 0. */
static inline int
uac_flags_opt(struct uac_flags *f, int opt, const char *arg)
{
    struct avail_params *p = &f->p;

    switch (opt) {
    case UF_SEG: f->segroot = arg; break;
    case UF_DATE: f->date = cli_parse_date(arg, "--date"); break;
    case UF_DAYS: f->days = cli_parse_u32(arg, "--days"); break;
    case UF_REC: p->target = AVAIL_TARGET_RECALL;
        p->target_value = uac_flags_unit(arg, "--target-recall");
        f->n_target++;
        break;
    case UF_PREC: p->target = AVAIL_TARGET_PRECISION;
        p->target_value = uac_flags_unit(arg, "--target-precision");
        f->n_target++;
        break;
    case UF_THR: p->target = AVAIL_TARGET_FIXED;
        p->target_value = uac_flags_unit(arg, "--threshold");
        f->n_target++;
        break;
    case UF_CMIN: f->cap_min = cli_parse_u32(arg, "--cap-min"); break;
    case UF_CMAX: f->cap_max = cli_parse_u32(arg, "--cap-max"); break;
    case UF_CSCALE: p->cap_scale = cli_parse_double(arg, "--cap-scale");
        break;
    case UF_SHARE: p->window_share = uac_flags_unit(arg, "--window-share");
        break;
    case UF_TDAYS: p->train_days = (int)cli_parse_u32(arg, "--train-days");
        break;
    case UF_ROUNDS: p->gbdt.rounds = (int)cli_parse_u32(arg, "--rounds");
        break;
    case UF_THREADS: p->nthread = (int)cli_parse_u32(arg, "--threads");
        break;
    case UF_SEED: p->seed = cli_parse_u64(arg, "--seed"); break;
    case 'q': cli_verbosity = 0; break;
    case 'v': cli_verbosity = 2; break;
    default: return 0;
    }
    return 1;
}

/*
 * After the option loop: --segments and --date are required (usage
 * otherwise), values are checked (a bad one exits RC_USAGE with a
 * message), the boosters take the thread count and seed, and OpenMP the
 * thread count.
 */
static inline void
uac_flags_check(struct uac_flags *f, const char *usage_text)
{
    struct avail_params *p = &f->p;

    if (!f->segroot || f->date == INT32_MIN)
        cli_usage_exit(usage_text);
    if (f->n_target > 1)
        cli_bad_usage("give one of --target-recall, --target-precision, "
                      "--threshold");
    if (f->days < 1 || f->days > 366)
        cli_bad_usage("--days must be in 1..366 '%u'", f->days);
    if (f->cap_max > 65535 || f->cap_min > f->cap_max
        || !(p->cap_scale >= 0))
        cli_bad_usage("need --cap-min <= --cap-max <= 65535 and "
                      "--cap-scale >= 0");
    p->cap_min = (uint16_t)f->cap_min;
    p->cap_max = (uint16_t)f->cap_max;
    if (p->nthread < 1 || p->nthread > 256)
        cli_bad_usage("--threads must be in 1..256 '%d'", p->nthread);
    p->gbdt.nthread = p->cap_gbdt.nthread = p->nthread;
    p->gbdt.seed = p->cap_gbdt.seed = p->seed;
    omp_set_num_threads(p->nthread);
}

#endif
