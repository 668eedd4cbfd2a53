/*
 * avail_tsv.c -- the TSV export of an availability table, for people and
 * scripts that inspect it (the matching stage reads the binary table).
 *
 * Columns: user (external id), p_active, a_u, Q_u, h00 .. h23 (P(online in
 * hour h of the day)), window (hours of the window as a comma list, "-"
 * when empty).  Floats with 6 significant digits, '.' as the decimal
 * point (no locale is set).  Written atomically.
 */
#include <stdio.h>

#include "atomicfile.h"
#include "avail.h"

int
avail_write_tsv(const struct avail *a, const struct iddict *users,
                const char *path, struct diag *d)
{
    struct atomicfile af;
    FILE *fp;

    if (atomicfile_open(&af, path, d) < 0)
        return -1;
    fp = af.fp;
    fputs("user\tp_active\ta_u\tQ_u", fp);
    for (int h = 0; h < AVAIL_HOURS; h++)
        fprintf(fp, "\th%02d", h);
    fputs("\twindow\n", fp);
    for (uint32_t u = 0; u < a->n_users; u++) {
        const float *hp = a->hourly + (size_t)u * AVAIL_HOURS;
        int first = 1;

        if (users && u < iddict_count(users))
            fputs(iddict_name(users, u), fp);
        else
            fprintf(fp, "%u", u);
        fprintf(fp, "\t%.6g\t%u\t%u", (double)a->p_active[u],
                (unsigned)a->active[u], (unsigned)a->cap[u]);
        for (int h = 0; h < AVAIL_HOURS; h++)
            fprintf(fp, "\t%.6g", (double)hp[h]);
        fputc('\t', fp);
        for (int h = 0; h < AVAIL_HOURS; h++) {
            if ((a->hours[u] >> h) & 1u) {
                fprintf(fp, first ? "%d" : ",%d", h);
                first = 0;
            }
        }
        if (first)
            fputc('-', fp);
        fputc('\n', fp);
    }
    if (ferror(fp)) {
        atomicfile_abort(&af);
        return diag_errno(d, RC_IO, "%s: write failed", path);
    }
    return atomicfile_commit(&af, d);
}
