/*
 * uaceval.h -- the UAC stage judged on the days it predicts, reached by
 * `dualrec-eval uac` (docs/uac.md): for each run date of a backtest the
 * availability table is built from its window with the stage's parameters
 * (the same flags as dualrec-uac, cmd/uac_flags.h) and scored on the next
 * day's segment; the (day, user) rows of all run dates are pooled before
 * the metrics are computed (avail_evalpool, src/model/avail_eval.c), and
 * the result is printed as avail_eval_print's table.  One run date is the
 * evaluation of that date's table.  The figures depend only on the inputs
 * and the parameters, not on the thread count.
 */
#ifndef DUALREC_UACEVAL_H
#define DUALREC_UACEVAL_H

#include <stdint.h>
#include <stdio.h>

#include "avail.h"
#include "diag.h"

struct uaceval_opts {
    const char *segroot;
    int32_t date;               /* D: the last run date */
    uint32_t days;              /* each run date's window (30) */
    uint32_t eval_days;         /* run dates D-N+1 .. D pooled (1) */
    struct avail_params p;      /* the stage's parameters */
};

/*
 * Build and score the tables of the run dates and print the pooled
 * evaluation on out.  RC_NOINPUT when the next day's segment of any run
 * date is missing (checked before any work) or a window cannot be read,
 * RC_DATA for corrupt inputs or an xgboost failure.  Memory: one window
 * and one next-day segment at a time, plus the pool (~26 bytes per
 * (day, user) row).
 */
int uaceval_run(const struct uaceval_opts *o, FILE *out, struct diag *d);

#endif
