/*
 * tower_window.c -- the tower's training observations read from a window of
 * day segments (tower_data_read / tower_data_from_window in tower.h).
 *
 * One pass over the days, one day's rows resident at a time (the window may
 * be lazy): every exposure or interaction row that can change a pair's
 * value is kept as a compact record (user, item, feedback bits with the
 * "exposed" mark); rows that cannot are dropped at once, so memory follows
 * the rows with feedback, not the exposures.  A row cannot matter when it
 * carries no weighted feedback bit and no explicit negative, and it is an
 * interaction row or an exposure while negatives are off (neg_weight 0, the
 * default).  The records are then placed by user (counting sort), and each
 * user's are sorted by item and merged into one pair per (user, item) whose
 * feedback bits are the OR over the window: the same pairs, in the same
 * order, as a merge over every row.  Count and fill passes give the CSR
 * layout without locks, so the result does not depend on the thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "tower.h"
#include "xmem.h"

#define EXPOSED_BIT (1u << 31)  /* in rec.fb: the row was an exposure */

struct rec {
    uint32_t user;
    uint32_t item;
    uint32_t fb;            /* enum seg_fb bits | EXPOSED_BIT */
};

struct obs {
    uint32_t item;
    uint32_t fb;
};

static int
cmp_obs(const void *pa, const void *pb)
{
    const struct obs *a = pa, *b = pb;

    return a->item < b->item ? -1 : a->item > b->item;
}

/* The feedback bits whose presence can change a pair's value. */
static uint32_t
bits_that_matter(const struct tower_params *p)
{
    uint32_t m = FB_HATE;

    for (int k = 0; k < FB_N_KINDS; k++)
        if ((1u << k) != FB_HATE && p->fb_weight[k] != 0.0f)
            m |= 1u << k;
    return m;
}

struct recs {
    struct rec *r;
    size_t n, cap;
};

static void
recs_push(struct recs *a, uint32_t user, uint32_t item, uint32_t fb)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 1u << 16;
        a->r = xreallocarray(a->r, a->cap, sizeof *a->r);
    }
    a->r[a->n].user = user;
    a->r[a->n].item = item;
    a->r[a->n].fb = fb;
    a->n++;
}

/* The rows of one day that can matter, appended to a. */
static void
day_records(const struct segment *s, uint32_t nu, uint32_t matter,
            int keep_exposed, struct recs *a)
{
    for (size_t j = 0; j < s->n_exp; j++) {
        const struct seg_exposure *e = &s->exp[j];
        if (e->user < nu && ((e->fb & matter) || keep_exposed))
            recs_push(a, e->user, e->item, e->fb | EXPOSED_BIT);
    }
    for (size_t j = 0; j < s->n_inter; j++) {
        const struct seg_inter *e = &s->inter[j];
        if (e->user < nu && (e->fb & matter))
            recs_push(a, e->user, e->item, e->fb);
    }
}

/* One user's records (sorted in place by item) merged into pairs; returns
 * the number of pairs kept and, when it/val are not NULL, writes them. */
static size_t
user_pairs(struct obs *o, size_t n, uint32_t n_items,
           const struct tower_params *p, uint32_t *it, float *val)
{
    size_t kept = 0;

    if (n > 1)
        qsort(o, n, sizeof *o, cmp_obs);
    for (size_t j = 0; j < n;) {
        uint32_t fb = 0, item = o[j].item;
        for (; j < n && o[j].item == item; j++)
            fb |= o[j].fb;
        float v = tower_obs_value(fb & ~EXPOSED_BIT,
                                  (fb & EXPOSED_BIT) != 0, p);
        if (v == 0.0f || item >= n_items)
            continue;
        if (it != NULL) {
            it[kept] = item;
            val[kept] = v;
        }
        kept++;
    }
    return kept;
}

int
tower_data_read(const struct window *w, const struct tower_params *p,
                struct tower_data **out, struct diag *d)
{
    uint32_t nu = iddict_count(w->users), matter = bits_that_matter(p);
    int keep_exposed = p->neg_weight > 0;
    struct recs a = { NULL, 0, 0 };
    struct tower_data *x;
    struct obs *by_user;
    size_t *roff, *fill, *cnt;

    *out = NULL;
    for (int k = 0; k < w->n_days; k++) {
        struct day_ref ref;
        if (window_get_day(w, k, 0, &ref, d) < 0) {
            free(a.r);
            return -1;
        }
        if (ref.seg != NULL)
            day_records(ref.seg, nu, matter, keep_exposed, &a);
        window_put_day(&ref);
    }

    /* by user (counting sort; a user's records keep day order) */
    roff = xcalloc((size_t)nu + 1, sizeof *roff);
    for (size_t j = 0; j < a.n; j++)
        roff[a.r[j].user + 1]++;
    for (uint32_t u = 0; u < nu; u++)
        roff[u + 1] += roff[u];
    fill = xmalloc(((size_t)nu + 1) * sizeof *fill);
    memcpy(fill, roff, ((size_t)nu + 1) * sizeof *fill);
    by_user = xmalloc((a.n ? a.n : 1) * sizeof *by_user);
    for (size_t j = 0; j < a.n; j++) {
        size_t at = fill[a.r[j].user]++;
        by_user[at].item = a.r[j].item;
        by_user[at].fb = a.r[j].fb;
    }
    free(fill);
    free(a.r);

    x = xcalloc(1, sizeof *x);
    x->n_users = nu;
    x->n_items = w->cat.n_items;
    cnt = xcalloc((size_t)nu + 1, sizeof *cnt);
    #pragma omp parallel for schedule(dynamic, 256) if(nu > 1024)
    for (uint32_t u = 0; u < nu; u++)
        cnt[u + 1] = user_pairs(by_user + roff[u], roff[u + 1] - roff[u],
                                x->n_items, p, NULL, NULL);
    for (uint32_t u = 0; u < nu; u++)
        cnt[u + 1] += cnt[u];
    x->uoff = cnt;
    x->n = cnt[nu];
    x->uitem = xmalloc((x->n ? x->n : 1) * sizeof *x->uitem);
    x->uval = xmalloc((x->n ? x->n : 1) * sizeof *x->uval);
    /* (already sorted: the second merge of a user's records is cheap) */
    #pragma omp parallel for schedule(dynamic, 256) if(nu > 1024)
    for (uint32_t u = 0; u < nu; u++)
        user_pairs(by_user + roff[u], roff[u + 1] - roff[u], x->n_items, p,
                   x->uitem + cnt[u], x->uval + cnt[u]);
    free(by_user);
    free(roff);
    tower_data_index(x);
    *out = x;
    return 0;
}

struct tower_data *
tower_data_from_window(const struct window *w, const struct tower_params *p)
{
    struct tower_data *x;
    struct diag d = DIAG_INIT;

    /* a window whose rows are resident: no day is read, nothing can fail */
    if (tower_data_read(w, p, &x, &d) < 0)
        abort();
    return x;
}
