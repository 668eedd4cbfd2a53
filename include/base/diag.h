/*
 * diag.h -- error values passed up from the library to main().
 *
 * Every fallible library function takes a `struct diag *d` and, on failure,
 * fills it with an RC_* code and one line of text, then returns -1.  The
 * layer that has the context (path, line, value) writes the text; callers
 * pass it up unchanged.  The library never prints and never exits.
 *
 * Message shape: "<path>:<line>: <what is wrong> '<value>'", lowercase, no
 * full stop; binary inputs use "<path>: offset <n>: ...".
 */
#ifndef DUALREC_DIAG_H
#define DUALREC_DIAG_H

#include "rc.h"

#define DIAG_MSG_MAX 512

struct diag {
    int  rc;                    /* RC_* of the failure, RC_OK when none */
    char msg[DIAG_MSG_MAX];     /* one line, no trailing newline */
};

#define DIAG_INIT { RC_OK, { 0 } }

#if defined(__GNUC__)
#define DIAG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DIAG_PRINTF(f, a)
#endif

/*
 * Record a failure: rc and a printf-style message.  Always returns -1 so
 * that callers can write `return diag_set(d, RC_DATA, "...")`.  d may be
 * NULL (the failure is then only returned).
 */
int diag_set(struct diag *d, int rc, const char *fmt, ...) DIAG_PRINTF(3, 4);

/*
 * Like diag_set, with ": strerror(errno)" appended (errno read on entry).
 */
int diag_errno(struct diag *d, int rc, const char *fmt, ...) DIAG_PRINTF(3, 4);

/* Reset d to "no error". */
void diag_clear(struct diag *d);

#endif
