/*
 * cli.h -- helpers for the thin mains in cmd/: program name, verbosity,
 * option parsing with usage errors, and the one-line exit on failure.
 *
 * Only cmd/ uses this module (and xmem's out-of-memory message reads
 * cli_prog).  These functions may print and exit; library code may not.
 */
#ifndef DUALREC_CLI_H
#define DUALREC_CLI_H

#include <stdint.h>

#include "diag.h"

extern const char *cli_prog;    /* basename of argv[0] */
extern int cli_verbosity;       /* 0 quiet, 1 default, 2 verbose */

/* Set cli_prog from argv0. */
void cli_init(const char *argv0);

/* Print usage to stderr and exit RC_USAGE. */
void cli_usage_exit(const char *usage_text) __attribute__((noreturn));

/* Print "prog: <msg>" and exit RC_USAGE (a bad option value). */
void cli_bad_usage(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* Print "prog: <d->msg>" on stderr and exit d->rc (RC_INTERNAL if unset). */
void cli_diag_exit(const struct diag *d) __attribute__((noreturn));

/* Progress/info on stderr, shown when cli_verbosity >= level. */
void cli_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse whole numbers and reals; a bad value exits RC_USAGE naming opt. */
uint32_t cli_parse_u32(const char *s, const char *opt);
uint64_t cli_parse_u64(const char *s, const char *opt);
double cli_parse_double(const char *s, const char *opt);

/*
 * Parse a date "YYYY-MM-DD" into days since 1970-01-01; a bad value exits
 * RC_USAGE naming opt.
 */
int32_t cli_parse_date(const char *s, const char *opt);

/* Seconds since an arbitrary start (monotonic clock). */
double cli_now(void);

/* Peak resident set size of this process, in MiB. */
double cli_peak_rss_mb(void);

#endif
