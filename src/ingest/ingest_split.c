/*
 * ingest_split.c -- a multi-day log into its day segments
 * (ingest_split_days, ingest.h; dualrec-ingest --split-days).
 *
 * Pass 1 reads each day-split table (exposures, interactions, follows)
 * once through logread and appends every good record, byte for byte as in
 * the file, to the spill file of its day (<spill>/<day>.<table>.csv, which
 * starts with the file's header line).  Pass 2 runs ingest_run on each day
 * in date order with the spill files in place of the originals (and the
 * catalogue tables, items and users, as given).  ingest_run of a spill
 * file sees exactly the records of the day, in file order, that it keeps
 * when given the whole file, so the segment's bytes are those of a one-day
 * ingest; only the counts of out-of-day rows and rejects differ, and those
 * are pass 1's.
 *
 * Memory is bounded by the number of days (a small record per day), not
 * by the file: records stream from logread to the spill files, of which at
 * most SPILL_OPEN are open at once (others are reopened to append).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "dates.h"
#include "ingest.h"
#include "ingest_int.h"
#include "rc.h"
#include "xmem.h"

#define SPILL_OPEN 32           /* spill files open at once */
#define N_SPLIT 3               /* exposures, interactions, follows */

static const enum logread_table split_tables[N_SPLIT] = {
    LOGREAD_EXPOSURES, LOGREAD_INTERACTIONS, LOGREAD_FOLLOWS
};

struct spill_day {
    int32_t day;
    FILE *fp[N_SPLIT];
    int created[N_SPLIT];
    uint64_t used;              /* for closing the least recently used */
};

struct spill {
    char *dir;
    struct spill_day *days;     /* sorted by day */
    size_t n, cap;
    size_t n_open;
    uint64_t clock;
    char *header[N_SPLIT];      /* each table's header line */
};

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *
spill_path(const struct spill *s, int32_t day, int k)
{
    char buf[16], *p;
    size_t n;

    dates_format_day(day, buf);
    n = strlen(s->dir) + 64;
    p = xmalloc(n);
    snprintf(p, n, "%s/%s.%s.csv", s->dir, buf,
             logread_table_name(split_tables[k]));
    return p;
}

/* The day's slot, added (in order) when new. */
static struct spill_day *
spill_find(struct spill *s, int32_t day)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (s->days[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n && s->days[lo].day == day)
        return &s->days[lo];
    s->days = xgrow(s->days, &s->cap, s->n + 1, sizeof *s->days);
    memmove(&s->days[lo + 1], &s->days[lo],
            (s->n - lo) * sizeof *s->days);
    memset(&s->days[lo], 0, sizeof *s->days);
    s->days[lo].day = day;
    s->n++;
    return &s->days[lo];
}

static int
spill_close(struct spill *s, struct spill_day *sd, int k, struct diag *d)
{
    int bad;

    if (sd->fp[k] == NULL)
        return 0;
    bad = ferror(sd->fp[k]);
    bad |= fclose(sd->fp[k]) != 0;
    sd->fp[k] = NULL;
    s->n_open--;
    if (bad) {
        char *p = spill_path(s, sd->day, k);

        diag_errno(d, RC_IO, "%s: cannot write spill file", p);
        free(p);
        return -1;
    }
    return 0;
}

/* Close the least recently used spill file. */
static int
spill_evict(struct spill *s, struct diag *d)
{
    struct spill_day *best = NULL;
    int bk = 0;

    for (size_t i = 0; i < s->n; i++)
        for (int k = 0; k < N_SPLIT; k++)
            if (s->days[i].fp[k] != NULL
                && (best == NULL || s->days[i].used < best->used)) {
                best = &s->days[i];
                bk = k;
            }
    return best != NULL ? spill_close(s, best, bk, d) : 0;
}

/* The open spill file of (day, table k), with its header when new. */
static FILE *
spill_file(struct spill *s, int32_t day, int k, struct diag *d)
{
    struct spill_day *sd = spill_find(s, day);
    char *p;

    sd->used = ++s->clock;
    if (sd->fp[k] != NULL)
        return sd->fp[k];
    if (s->n_open >= SPILL_OPEN && spill_evict(s, d) < 0)
        return NULL;
    sd = spill_find(s, day);        /* (evicting does not move slots) */
    p = spill_path(s, day, k);
    sd->fp[k] = fopen(p, sd->created[k] ? "a" : "w");
    if (sd->fp[k] == NULL) {
        diag_errno(d, RC_CANTCREAT, "%s: cannot create spill file", p);
        free(p);
        return NULL;
    }
    free(p);
    s->n_open++;
    if (!sd->created[k]) {
        sd->created[k] = 1;
        fputs(s->header[k], sd->fp[k]);
        fputc('\n', sd->fp[k]);
    }
    return sd->fp[k];
}

static int
spill_close_all(struct spill *s, struct diag *d)
{
    int rc = 0;

    for (size_t i = 0; i < s->n; i++)
        for (int k = 0; k < N_SPLIT; k++)
            if (spill_close(s, &s->days[i], k, d) < 0)
                rc = -1;
    return rc;
}

static void
spill_remove(struct spill *s)
{
    DIR *dir;
    struct dirent *e;

    for (size_t i = 0; i < s->n; i++)
        for (int k = 0; k < N_SPLIT; k++)
            if (s->days[i].fp[k] != NULL) {
                fclose(s->days[i].fp[k]);
                s->days[i].fp[k] = NULL;
            }
    if (s->dir == NULL || (dir = opendir(s->dir)) == NULL)
        return;
    while ((e = readdir(dir)) != NULL) {
        size_t n;
        char *p;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n = strlen(s->dir) + strlen(e->d_name) + 2;
        p = xmalloc(n);
        snprintf(p, n, "%s/%s", s->dir, e->d_name);
        unlink(p);
        free(p);
    }
    closedir(dir);
    rmdir(s->dir);
}

/* Pass 1 over table k: good records to their days' spill files. */
static int
split_table(const struct ingest_opts *o, int k, int32_t from, int32_t to,
            struct spill *s, FILE *rej, struct ingest_split_stats *sst,
            struct diag *d)
{
    enum logread_table t = split_tables[k];
    const char *path = o->paths[t];
    struct logread_opts lo = o->lr;
    struct logread *lr = NULL;
    struct logread_row *row;
    int got;

    lo.prepare = NULL;
    lo.ahead = NULL;
    if (logread_open(path, t, &lo, &lr, d) < 0)
        return -1;
    s->header[k] = xstrdup(logread_header(lr));
    while ((got = logread_next_ref(lr, &row, d)) != LOGREAD_EOF) {
        int32_t day;
        FILE *fp;

        if (got == LOGREAD_FAIL)
            goto fail;
        sst->rows_read++;
        if (got == LOGREAD_REJECT) {
            sst->rows_rejected++;
            if (o->on_reject != NULL)
                o->on_reject(o->ctx, d->msg);
            ingest_write_reject(rej, path, row, d->msg);
            diag_clear(d);
            continue;
        }
        day = dates_day_of(row->t, o->lr.zone_offset);
        if (day < from || day > to) {
            sst->rows_out_of_range++;
            continue;
        }
        if ((fp = spill_file(s, day, k, d)) == NULL)
            goto fail;
        fwrite(row->raw.p, 1, row->raw.n, fp);
        fputc('\n', fp);
        sst->rows_spilled++;
    }
    if (spill_close_all(s, d) < 0)
        goto fail;
    logread_close(lr);
    return 0;
fail:
    logread_close(lr);
    return -1;
}

/* The days without a record of a table get its header only, so that
 * each day's ingest is given the same tables. */
static int
spill_fill(const struct ingest_opts *o, struct spill *s, struct diag *d)
{
    for (int k = 0; k < N_SPLIT; k++) {
        if (o->paths[split_tables[k]] == NULL)
            continue;
        for (size_t i = 0; i < s->n; i++)
            if (!s->days[i].created[k]
                && spill_file(s, s->days[i].day, k, d) == NULL)
                return -1;
        if (spill_close_all(s, d) < 0)
            return -1;
    }
    return 0;
}

int
ingest_split_days(const struct ingest_opts *o, int32_t from, int32_t to,
                  void (*on_day)(void *ctx, int32_t day,
                                 const struct ingest_stats *st),
                  struct ingest_split_stats *sst, struct diag *d)
{
    struct spill s;
    struct atomicfile rej;
    char *rej_path = NULL;
    double ratio = o->max_reject_ratio < 0 ? INGEST_MAX_REJECT_RATIO
                                           : o->max_reject_ratio;
    double t0 = now();
    int lock_fd = -1, rej_open = 0, rc = -1, k;
    size_t n;

    memset(sst, 0, sizeof *sst);
    memset(&s, 0, sizeof s);
    sst->first_day = sst->last_day = INT32_MIN;
    if (o->paths[LOGREAD_EXPOSURES] == NULL
        && o->paths[LOGREAD_INTERACTIONS] == NULL)
        return diag_set(d, RC_USAGE,
                        "no exposures or interactions file given");
    if ((o->paths[LOGREAD_ITEMS] != NULL
         && strcmp(o->paths[LOGREAD_ITEMS], "-") == 0)
        || (o->paths[LOGREAD_USERS] != NULL
            && strcmp(o->paths[LOGREAD_USERS], "-") == 0))
        return diag_set(d, RC_USAGE,
                        "--split-days: items and users are read for every "
                        "day, so they cannot come from stdin ('-')");
    if (logread_check_opts(&o->lr, d) < 0)
        return -1;
    for (int t = 0; t < LOGREAD_N_TABLES; t++)
        if (o->paths[t] != NULL && strcmp(o->paths[t], "-") != 0
            && !path_exists(o->paths[t]))
            return diag_set(d, RC_NOINPUT, "%s: cannot open: %s",
                            o->paths[t], strerror(ENOENT));
    if (ingest_lock(o->segroot, &lock_fd, d) < 0)
        return -1;

    n = strlen(o->segroot) + 64;
    s.dir = xmalloc(n);
    snprintf(s.dir, n, "%s/.split.tmp.%ld", o->segroot, (long)getpid());
    if (mkdir_p(s.dir, d) < 0)
        goto out;
    if (o->rejects_path != NULL) {
        rej_path = xstrdup(o->rejects_path);
    } else {
        n = strlen(o->segroot) + 32;
        rej_path = xmalloc(n);
        snprintf(rej_path, n, "%s/rejects-split.csv", o->segroot);
    }
    if (atomicfile_open(&rej, rej_path, d) < 0)
        goto out;
    rej_open = 1;
    fputs("file,line,reason,record\n", rej.fp);

    for (k = 0; k < N_SPLIT; k++)
        if (o->paths[split_tables[k]] != NULL
            && split_table(o, k, from, to, &s, rej.fp, sst, d) < 0)
            goto out;
    /* a range names its days: each gets a segment, empty or not (as a
     * one-day ingest of it writes one), bounded by the days present on the
     * side not given */
    if ((from != INT32_MIN || to != INT32_MAX) && s.n > 0) {
        int32_t lo = from != INT32_MIN ? from : s.days[0].day;
        int32_t hi = to != INT32_MAX ? to : s.days[s.n - 1].day;

        for (int32_t day = lo; day <= hi; day++)
            spill_find(&s, day);
    }
    if (spill_fill(o, &s, d) < 0)
        goto out;
    rej_open = 0;
    if (atomicfile_commit(&rej, d) < 0)
        goto out;
    if (sst->rows_rejected > 0
        && (double)sst->rows_rejected > ratio * (double)sst->rows_read) {
        diag_set(d, RC_DATA,
                 "%llu of %llu rows rejected (%.2f%%), over the budget of "
                 "%.2f%% (--max-reject-ratio %g); see %s; no day written",
                 (unsigned long long)sst->rows_rejected,
                 (unsigned long long)sst->rows_read,
                 100.0 * (double)sst->rows_rejected
                     / (double)sst->rows_read,
                 100.0 * ratio, ratio, rej_path);
        goto out;
    }

    for (size_t i = 0; i < s.n; i++) {
        struct ingest_opts day_o = *o;
        struct ingest_stats st;
        char *paths[N_SPLIT] = { NULL };
        int r;

        day_o.day = s.days[i].day;
        day_o.lock_held = 1;
        day_o.rejects_path = NULL;
        /* every record is good; the spill files are split on the
         * delimiter the originals were */
        for (k = 0; k < N_SPLIT; k++)
            if (o->paths[split_tables[k]] != NULL) {
                paths[k] = spill_path(&s, s.days[i].day, k);
                day_o.paths[split_tables[k]] = paths[k];
            }
        r = ingest_run(&day_o, &st, d);
        for (k = 0; k < N_SPLIT; k++)
            free(paths[k]);
        if (r < 0)
            goto out;
        sst->days++;
        if (sst->first_day == INT32_MIN)
            sst->first_day = s.days[i].day;
        sst->last_day = s.days[i].day;
        if (on_day != NULL)
            on_day(o->ctx, s.days[i].day, &st);
    }
    rc = 0;
out:
    if (rej_open)
        atomicfile_abort(&rej);
    spill_remove(&s);
    for (k = 0; k < N_SPLIT; k++)
        free(s.header[k]);
    free(s.dir);
    free(s.days);
    free(rej_path);
    if (lock_fd >= 0)
        close(lock_fd);
    sst->seconds = now() - t0;
    return rc;
}
