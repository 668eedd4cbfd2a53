/*
 * diag.c -- filling struct diag.  See diag.h for the message conventions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

int
diag_set(struct diag *d, int rc, const char *fmt, ...)
{
    va_list ap;

    if (d == NULL)
        return -1;
    d->rc = rc;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int
diag_errno(struct diag *d, int rc, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    size_t n;

    if (d == NULL)
        return -1;
    d->rc = rc;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    n = strlen(d->msg);
    snprintf(d->msg + n, sizeof d->msg - n, ": %s", strerror(saved));
    return -1;
}

void
diag_clear(struct diag *d)
{
    if (d == NULL)
        return;
    d->rc = RC_OK;
    d->msg[0] = '\0';
}
