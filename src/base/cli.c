/*
 * cli.c -- option parsing and exits for cmd/ mains (see cli.h).  Together
 * with xmem.c's out-of-memory exit, the only code in src/ that prints to
 * stderr or exits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli.h"
#include "dates.h"

const char *cli_prog = "dualrec";
int cli_verbosity = 1;

void
cli_init(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');

    cli_prog = slash ? slash + 1 : argv0;
}

void
cli_usage_exit(const char *usage_text)
{
    fputs(usage_text, stderr);
    exit(RC_USAGE);
}

void
cli_bad_usage(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(RC_USAGE);
}

void
cli_diag_exit(const struct diag *d)
{
    fprintf(stderr, "%s: %s\n", cli_prog,
            d->msg[0] ? d->msg : "failed (no message)");
    exit(d->rc != RC_OK ? d->rc : RC_INTERNAL);
}

void
cli_log(int level, const char *fmt, ...)
{
    va_list ap;

    if (cli_verbosity < level)
        return;
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
}

uint64_t
cli_parse_u64(const char *s, const char *opt)
{
    char *end;
    unsigned long long v;

    errno = 0;
    if (*s == '-' || *s == '\0')
        cli_bad_usage("%s: expected a whole number, got '%s'", opt, s);
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        cli_bad_usage("%s: expected a whole number, got '%s'", opt, s);
    return v;
}

uint32_t
cli_parse_u32(const char *s, const char *opt)
{
    uint64_t v = cli_parse_u64(s, opt);

    if (v > UINT32_MAX)
        cli_bad_usage("%s: value too large '%s'", opt, s);
    return (uint32_t)v;
}

double
cli_parse_double(const char *s, const char *opt)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || *s == '\0' || *end != '\0' || v != v)
        cli_bad_usage("%s: expected a number, got '%s'", opt, s);
    return v;
}

int32_t
cli_parse_date(const char *s, const char *opt)
{
    int32_t day;

    if (dates_parse_day(s, &day) < 0)
        cli_bad_usage("%s: expected a date YYYY-MM-DD, got '%s'", opt, s);
    return day;
}

double
cli_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double
cli_peak_rss_mb(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0.0;
    return (double)ru.ru_maxrss / 1024.0;
}
