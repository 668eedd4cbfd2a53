/*
 * uaceval.c -- the UAC backtest (see uaceval.h): the stage run for each
 * run date, oldest first, on its own window, and the tables scored on
 * their next days in one pool.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "avail.h"
#include "segment.h"
#include "uaceval.h"

/* Every next day's segment is there: a missing one fails before work. */
static int
check_next_days(const struct uaceval_opts *o, struct diag *d)
{
    for (int32_t day = o->date - (int32_t)o->eval_days + 1; day <= o->date;
         day++) {
        char *path = segment_path(o->segroot, day + 1);
        int rc = 0;

        if (access(path, R_OK) != 0)
            rc = diag_errno(d, errno == ENOENT ? RC_NOINPUT : RC_IO,
                            "%s: cannot open", path);
        free(path);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Build day's table and add it, scored on day + 1, to the pool. */
static int
add_day(const struct uaceval_opts *o, int32_t day,
        struct avail_evalpool *pool, struct diag *d)
{
    struct segment *next = NULL;
    struct window *w = NULL;
    struct avail *a = NULL;
    struct avail_report rep;
    char *path = segment_path(o->segroot, day + 1);
    int rc;

    rc = segment_load(path, &next, d) < 0
      || window_open(o->segroot, day, (int)o->days, 0, &w, d) < 0
      || avail_build(w, iddict_count(w->users), &o->p, &a, &rep, d) < 0
      || avail_evalpool_add(pool, a, w, next, &o->p, d) < 0 ? -1 : 0;
    free(path);
    avail_free(a);
    window_free(w);
    segment_free(next);
    return rc;
}

int
uaceval_run(const struct uaceval_opts *o, FILE *out, struct diag *d)
{
    struct avail_evalpool *pool;
    struct avail_eval ev;
    char label[64];

    if (o->eval_days < 1)
        return diag_set(d, RC_USAGE, "eval_days must be at least 1 '%u'",
                        o->eval_days);
    if (check_next_days(o, d) < 0)
        return -1;
    pool = avail_evalpool_new();
    for (int32_t day = o->date - (int32_t)o->eval_days + 1; day <= o->date;
         day++) {
        if (add_day(o, day, pool, d) < 0) {
            avail_evalpool_free(pool);
            return -1;
        }
    }
    avail_evalpool_finish(pool, &ev);
    snprintf(label, sizeof label, "window of %u days", o->days);
    avail_eval_print(&ev, label, out);
    avail_evalpool_free(pool);
    return 0;
}
