/*
 * tower_window.c -- the tower's training observations from a window of
 * day segments (tower_data_from_window in tower.h).
 *
 * Users are independent: each user's exposures and interaction rows are
 * gathered from every day through per-day user offsets, sorted by item,
 * and merged into one pair per (user, item) whose feedback bits are the OR
 * over the window.  Two passes (count, fill) give the CSR layout without
 * locks, so the result does not depend on the thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "tower.h"
#include "xmem.h"

/* qsort that accepts an empty (possibly NULL) array. */
static void
sortv(void *base, size_t n, size_t size,
      int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

struct obs {
    uint32_t item;
    uint32_t fb;
    uint32_t exposed;
};

static int
cmp_obs(const void *pa, const void *pb)
{
    const struct obs *a = pa, *b = pb;

    return a->item < b->item ? -1 : a->item > b->item;
}

/* Per-user events of the window, merged by item; returns the number of
 * kept pairs and, when it/val are not NULL, writes them. */
static size_t
user_pairs(const struct window *w, uint32_t u, size_t *const *eoff,
           size_t *const *ioff, const struct tower_params *p,
           struct obs **buf, size_t *cap, uint32_t *it, float *val)
{
    size_t n = 0, kept = 0;

    for (int k = 0; k < w->n_days; k++) {
        const struct segment *s = w->seg[k];
        if (s == NULL)
            continue;
        size_t need = n + (eoff[k][u + 1] - eoff[k][u])
                    + (ioff[k][u + 1] - ioff[k][u]);
        if (need > *cap) {
            *cap = need * 2;
            *buf = xreallocarray(*buf, *cap, sizeof **buf);
        }
        for (size_t j = eoff[k][u]; j < eoff[k][u + 1]; j++) {
            (*buf)[n].item = s->exp[j].item;
            (*buf)[n].fb = s->exp[j].fb;
            (*buf)[n].exposed = 1;
            n++;
        }
        for (size_t j = ioff[k][u]; j < ioff[k][u + 1]; j++) {
            (*buf)[n].item = s->inter[j].item;
            (*buf)[n].fb = s->inter[j].fb;
            (*buf)[n].exposed = 0;
            n++;
        }
    }
    sortv(*buf, n, sizeof **buf, cmp_obs);
    for (size_t j = 0; j < n;) {
        uint32_t fb = 0, ex = 0, item = (*buf)[j].item;
        for (; j < n && (*buf)[j].item == item; j++) {
            fb |= (*buf)[j].fb;
            ex |= (*buf)[j].exposed;
        }
        float v = tower_obs_value(fb, (int)ex, p);
        if (v == 0.0f || item >= w->cat.n_items)
            continue;
        if (it != NULL) {
            it[kept] = item;
            val[kept] = v;
        }
        kept++;
    }
    return kept;
}

struct tower_data *
tower_data_from_window(const struct window *w, const struct tower_params *p)
{
    struct tower_data *x = xcalloc(1, sizeof *x);
    uint32_t nu = iddict_count(w->users);
    size_t **eoff = xcalloc((size_t)w->n_days + 1, sizeof *eoff);
    size_t **ioff = xcalloc((size_t)w->n_days + 1, sizeof *ioff);
    size_t *cnt;

    x->n_users = nu;
    x->n_items = w->cat.n_items;
    for (int k = 0; k < w->n_days; k++) {
        const struct segment *s = w->seg[k];
        if (s == NULL)
            continue;
        segment_user_offsets(s, nu, &eoff[k]);
        ioff[k] = xcalloc((size_t)nu + 1, sizeof *ioff[k]);
        for (size_t j = 0; j < s->n_inter; j++)
            if (s->inter[j].user < nu)
                ioff[k][s->inter[j].user + 1]++;
        for (uint32_t u = 0; u < nu; u++)
            ioff[k][u + 1] += ioff[k][u];
    }
    cnt = xcalloc((size_t)nu + 1, sizeof *cnt);
    #pragma omp parallel if(nu > 1024)
    {
        struct obs *buf = NULL;
        size_t cap = 0;
        #pragma omp for schedule(dynamic, 256)
        for (uint32_t u = 0; u < nu; u++)
            cnt[u + 1] = user_pairs(w, u, eoff, ioff, p, &buf, &cap, NULL,
                                    NULL);
        free(buf);
    }
    for (uint32_t u = 0; u < nu; u++)
        cnt[u + 1] += cnt[u];
    x->uoff = cnt;
    x->n = cnt[nu];
    x->uitem = xmalloc((x->n ? x->n : 1) * sizeof *x->uitem);
    x->uval = xmalloc((x->n ? x->n : 1) * sizeof *x->uval);
    #pragma omp parallel if(nu > 1024)
    {
        struct obs *buf = NULL;
        size_t cap = 0;
        #pragma omp for schedule(dynamic, 256)
        for (uint32_t u = 0; u < nu; u++)
            user_pairs(w, u, eoff, ioff, p, &buf, &cap, x->uitem + cnt[u],
                       x->uval + cnt[u]);
        free(buf);
    }
    for (int k = 0; k < w->n_days; k++) {
        free(eoff[k]);
        free(ioff[k]);
    }
    free(eoff);
    free(ioff);
    tower_data_index(x);
    return x;
}

