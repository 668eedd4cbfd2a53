/*
 * targets.c -- the night's target items (see targets.h): the window rule
 * and the targets file.  Both return a sorted set of item indices, so a
 * caller never depends on file order or repeats.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "rng.h"
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

int
targets_window(struct targets *t, const struct window *w, int32_t day,
               uint32_t long_tail_max, struct diag *d)
{
    const struct catalog *cat = &w->cat;
    uint32_t *nexp = xcalloc(cat->n_items ? cat->n_items : 1, sizeof *nexp);
    int32_t zone = 0;

    memset(t, 0, sizeof *t);
    t->item = xmalloc((cat->n_items ? cat->n_items : 1) * sizeof *t->item);
    t->exposures = xmalloc((cat->n_items ? cat->n_items : 1)
                           * sizeof *t->exposures);
    t->long_tail = xmalloc(cat->n_items ? cat->n_items : 1);
    /* One day's exposures at a time (the window may be lazy): only the
     * per-item counts stay. */
    for (int k = 0; k < w->n_days; k++) {
        struct day_ref ref;
        const struct segment *s;

        if (window_get_day(w, k, WINDOW_NO_INTER | (w->flags & WINDOW_NO_EXP),
                           &ref, d) < 0) {
            free(nexp);
            targets_release(t);
            return -1;
        }
        s = ref.seg;
        if (s == NULL)
            continue;
        zone = s->zone_offset;
        for (size_t j = 0; j < s->n_exp; j++) {
            uint32_t i = s->exp[j].item;

            if (i < cat->n_items && nexp[i] < UINT32_MAX)
                nexp[i]++;
        }
        window_put_day(&ref);
    }
    for (uint32_t i = 0; i < cat->n_items; i++) {
        int described = cat->upload_t[i] != INT64_MIN
                        || cat->creator[i] != SEG_NONE;

        if (cat->upload_t[i] != INT64_MIN
            && dates_day_of(cat->upload_t[i], zone) == day) {
            t->exposures[t->n] = nexp[i];
            t->long_tail[t->n] = 0;
            t->item[t->n++] = i;
            t->n_new++;
        } else if (described && nexp[i] < long_tail_max) {
            t->exposures[t->n] = nexp[i];
            t->long_tail[t->n] = 1;
            t->item[t->n++] = i;
            t->n_long_tail++;
        }
    }
    t->n_long_tail_eligible = t->n_long_tail;
    free(nexp);
    return 0;
}

size_t
targets_long_tail_budget(uint64_t supply, size_t n_new, uint32_t L,
                         double over)
{
    uint64_t need = (uint64_t)n_new * L;
    double b;

    if (L == 0 || supply <= need)
        return 0;
    b = ceil(over * (double)(supply - need) / (double)L);
    return b >= (double)SIZE_MAX ? SIZE_MAX : (size_t)b;
}

/* A long-tail candidate for the budget: its order key and its slot. */
struct tail_ent {
    uint32_t exposures;
    uint64_t turn;              /* hash of (item, day): the rotation */
    uint32_t item;
    size_t slot;                /* index in the targets */
};

static int
cmp_tail(const void *pa, const void *pb)
{
    const struct tail_ent *a = pa, *b = pb;

    if (a->exposures != b->exposures)
        return a->exposures < b->exposures ? -1 : 1;
    if (a->turn != b->turn)
        return a->turn < b->turn ? -1 : 1;
    return a->item < b->item ? -1 : a->item > b->item;
}

static int
cmp_size(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

    return a < b ? -1 : a > b;
}

void
targets_limit_long_tail(struct targets *t, size_t budget, int32_t day)
{
    struct tail_ent *e;
    size_t *keep, m = 0, n = 0;

    if (t->long_tail == NULL || t->n_long_tail <= budget)
        return;
    e = xmalloc(t->n_long_tail * sizeof *e);
    for (size_t k = 0; k < t->n; k++) {
        if (!t->long_tail[k])
            continue;
        e[m].exposures = t->exposures[k];
        e[m].turn = rng_mix64(((uint64_t)t->item[k] << 32)
                              ^ (uint32_t)day);
        e[m].item = t->item[k];
        e[m].slot = k;
        m++;
    }
    qsort(e, m, sizeof *e, cmp_tail);
    /* The kept slots in target order: new ones and the first `budget`. */
    keep = xmalloc((t->n - m + budget + 1) * sizeof *keep);
    for (size_t k = 0; k < t->n; k++)
        if (!t->long_tail[k])
            keep[n++] = k;
    for (size_t j = 0; j < budget; j++)
        keep[n++] = e[j].slot;
    qsort(keep, n, sizeof *keep, cmp_size);
    for (size_t j = 0; j < n; j++) {
        t->item[j] = t->item[keep[j]];
        t->exposures[j] = t->exposures[keep[j]];
        t->long_tail[j] = t->long_tail[keep[j]];
    }
    t->n = n;
    t->n_long_tail = budget;
    free(keep);
    free(e);
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
    free(t->exposures);
    free(t->long_tail);
    memset(t, 0, sizeof *t);
}
