/*
 * targets.c -- the night's target items (see targets.h): the window rule
 * and the targets file.  Both return a sorted set of item indices, so a
 * caller never depends on file order or repeats.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "targets.h"
#include "xmem.h"

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* Sort and drop duplicates; returns the new count. */
static size_t
sort_unique_u32(uint32_t *v, size_t n)
{
    size_t m = 0;

    if (n > 1)
        qsort(v, n, sizeof *v, cmp_u32);
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || v[m - 1] != v[i])
            v[m++] = v[i];
    }
    return m;
}

void
targets_window(struct targets *t, const struct window *w, int32_t day,
               uint32_t long_tail_max)
{
    const struct catalog *cat = &w->cat;
    uint32_t *nexp = xcalloc(cat->n_items ? cat->n_items : 1, sizeof *nexp);
    int32_t zone = 0;

    memset(t, 0, sizeof *t);
    t->item = xmalloc((cat->n_items ? cat->n_items : 1) * sizeof *t->item);
    for (int k = 0; k < w->n_days; k++) {
        const struct segment *s = w->seg[k];

        if (s == NULL)
            continue;
        zone = s->zone_offset;
        for (size_t j = 0; j < s->n_exp; j++) {
            uint32_t i = s->exp[j].item;

            if (i < cat->n_items && nexp[i] < UINT32_MAX)
                nexp[i]++;
        }
    }
    for (uint32_t i = 0; i < cat->n_items; i++) {
        int described = cat->upload_t[i] != INT64_MIN
                        || cat->creator[i] != SEG_NONE;

        if (cat->upload_t[i] != INT64_MIN
            && dates_day_of(cat->upload_t[i], zone) == day) {
            t->item[t->n++] = i;
            t->n_new++;
        } else if (described && nexp[i] < long_tail_max) {
            t->item[t->n++] = i;
            t->n_long_tail++;
        }
    }
    free(nexp);
}

int
targets_file(struct targets *t, const char *path, const struct iddict *items,
             uint32_t n_catalog, struct diag *d)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = NULL;
    size_t lcap = 0, m = 0, cap = 0, lineno = 0;
    uint32_t *v = NULL;
    ssize_t got;

    memset(t, 0, sizeof *t);
    if (fp == NULL)
        return diag_errno(d, RC_NOINPUT, "%s: cannot open", path);
    while ((got = getline(&line, &lcap, fp)) >= 0) {
        char *s = line, *e = line + got;
        uint32_t idx;

        lineno++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        while (s < e && isspace((unsigned char)*s))
            s++;
        if (s == e || *s == '#')
            continue;
        if (lineno == 1 && e - s == 4 && memcmp(s, "item", 4) == 0)
            continue;
        idx = iddict_find(items, s, (size_t)(e - s));
        if (idx == IDDICT_NONE || idx >= n_catalog) {
            if (t->n_unknown++ == 0)
                snprintf(t->unknown_example, sizeof t->unknown_example,
                         "%s:%zu: unknown item '%.*s'", path, lineno,
                         (int)(e - s > 60 ? 60 : e - s), s);
            continue;
        }
        v = xgrow(v, &cap, m + 1, sizeof *v);
        v[m++] = idx;
    }
    if (ferror(fp)) {
        diag_errno(d, RC_IO, "%s: read failed", path);
        if (fp != stdin)
            fclose(fp);
        free(line);
        free(v);
        memset(t, 0, sizeof *t);
        return -1;
    }
    if (fp != stdin)
        fclose(fp);
    free(line);
    if (v == NULL)
        v = xmalloc(sizeof *v);
    t->n = sort_unique_u32(v, m);
    t->item = v;
    return 0;
}

void
targets_release(struct targets *t)
{
    free(t->item);
    memset(t, 0, sizeof *t);
}
