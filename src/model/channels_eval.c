/*
 * channels_eval.c -- offline evaluation helpers for retrieval: ground
 * truth of the days after the window, the window's unseen items, recall,
 * the most-active-users baseline and a concentration measure (see
 * channels.h).  Used by
 * dualrec-eval-retrieval; nothing here runs in the nightly pipeline.
 */
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "xmem.h"

/* qsort that accepts an empty (possibly NULL) array. */
static void
sortv(void *base, size_t n, size_t size,
      int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

static int
in_sorted(const uint32_t *a, size_t n, uint32_t v)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && a[lo] == v;
}

struct ku {
    uint32_t k, u, fb, any;     /* any: an interaction row */
};

static int
cmp_ku(const void *pa, const void *pb)
{
    const struct ku *a = pa, *b = pb;

    if (a->k != b->k)
        return a->k < b->k ? -1 : 1;
    return a->u < b->u ? -1 : a->u > b->u;
}

/* Append the target rows of one segment to ev (see channels_truth). */
static void
truth_rows(const struct segment *s, const uint32_t *tmap, uint32_t max_item,
           unsigned flags, struct ku **ev, size_t *n, size_t *cap)
{
    for (size_t j = 0; j < s->n_exp + s->n_inter; j++) {
        uint32_t it, u, fb;
        int row = j >= s->n_exp;
        segment_row(s, j, &it, &u, &fb);
        if (it >= max_item || tmap[it] == UINT32_MAX)
            continue;
        if (fb == 0 && !(row && (flags & CHANNELS_TRUTH_ANY_ROW)))
            continue;
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            *ev = xreallocarray(*ev, *cap, sizeof **ev);
        }
        (*ev)[*n].k = tmap[it];
        (*ev)[*n].u = u;
        (*ev)[*n].fb = fb;
        (*ev)[*n].any = row;
        (*n)++;
    }
}

void
channels_truth(const struct segment *const *next, size_t n_next,
               const struct tower_data *seen,
               const struct channels_params *p, unsigned flags,
               const uint32_t *targets, size_t n_targets, size_t **off,
               uint32_t **user)
{
    struct tower_params tp = tower_default_params();
    uint32_t max_item = 0;
    struct ku *ev = NULL;
    size_t n = 0, cap = 0, m = 0, ucap;

    memcpy(tp.fb_weight, p->fb_weight, sizeof tp.fb_weight);
    tp.neg_weight = 0;
    for (size_t k = 0; k < n_targets; k++)
        if (targets[k] + 1 > max_item)
            max_item = targets[k] + 1;
    uint32_t *tmap = xmalloc(((size_t)max_item + 1) * sizeof *tmap);
    for (uint32_t i = 0; i < max_item; i++)
        tmap[i] = UINT32_MAX;
    for (size_t k = n_targets; k-- > 0;)
        tmap[targets[k]] = (uint32_t)k;
    for (size_t s = 0; s < n_next; s++)
        if (next[s] != NULL)
            truth_rows(next[s], tmap, max_item, flags, &ev, &n, &cap);
    sortv(ev, n, sizeof *ev, cmp_ku);
    *off = xcalloc(n_targets + 1, sizeof **off);
    ucap = n ? n : 1;
    *user = xmalloc(ucap * sizeof **user);
    /* Rows of duplicate targets are read through tmap. */
    size_t *first = xcalloc(n_targets + 1, sizeof *first);
    size_t *last = xcalloc(n_targets + 1, sizeof *last);
    for (size_t j = 0; j < n;) {
        size_t j0 = j;
        while (j < n && ev[j].k == ev[j0].k)
            j++;
        first[ev[j0].k] = j0;
        last[ev[j0].k] = j;
    }
    for (size_t k = 0; k < n_targets; k++) {
        uint32_t kk = tmap[targets[k]], it = targets[k];
        const uint32_t *su = NULL;
        size_t sn = 0;
        if (seen != NULL && it < seen->n_items) {
            su = seen->iuser + seen->ioff[it];
            sn = seen->ioff[it + 1] - seen->ioff[it];
        }
        for (size_t j = first[kk]; j < last[kk];) {
            uint32_t u = ev[j].u, fb = 0, any = 0;
            for (; j < last[kk] && ev[j].u == u; j++) {
                fb |= ev[j].fb;
                any |= ev[j].any;
            }
            int truth = tower_obs_value(fb, 1, &tp) > 0
                     || (any && (flags & CHANNELS_TRUTH_ANY_ROW));
            if (truth && !in_sorted(su, sn, u)) {
                if (m == ucap) {    /* only with duplicate targets */
                    ucap *= 2;
                    *user = xreallocarray(*user, ucap, sizeof **user);
                }
                (*user)[m++] = u;
            }
        }
        (*off)[k + 1] = m;
    }
    free(first);
    free(last);
    free(tmap);
    free(ev);
}

size_t
channels_recall(const struct cands *c, const size_t *off, const uint32_t *user,
                double *micro, double *macro)
{
    size_t hits = 0, total = 0, items = 0;
    double mac = 0;

    for (size_t k = 0; k < c->n_items; k++) {
        size_t nt = off[k + 1] - off[k], h = 0;
        if (nt == 0)
            continue;
        for (size_t j = c->off[k]; j < c->off[k + 1]; j++)
            h += in_sorted(user + off[k], nt, c->user[j]);
        hits += h;
        total += nt;
        mac += (double)h / (double)nt;
        items++;
    }
    *micro = total ? (double)hits / (double)total : 0;
    *macro = items ? mac / (double)items : 0;
    return items;
}

uint32_t *
channels_unseen_items(const struct window *w, size_t *n)
{
    uint32_t ni = w->cat.n_items;
    uint8_t *seen = xcalloc((size_t)ni + 1, 1);
    uint32_t *out = xmalloc(((size_t)ni + 1) * sizeof *out);

    for (int k = 0; k < w->n_days; k++) {
        const struct segment *s = w->seg[k];
        if (s == NULL)
            continue;
        for (size_t j = 0; j < s->n_exp; j++)
            if (s->exp[j].item < ni)
                seen[s->exp[j].item] = 1;
        for (size_t j = 0; j < s->n_inter; j++)
            if (s->inter[j].item < ni)
                seen[s->inter[j].item] = 1;
    }
    *n = 0;
    for (uint32_t i = 0; i < ni; i++)
        if (!seen[i])
            out[(*n)++] = i;
    free(seen);
    return out;
}

struct uc {
    uint32_t u, n;
};

static int
cmp_uc(const void *pa, const void *pb)
{
    const struct uc *a = pa, *b = pb;

    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return a->u < b->u ? -1 : a->u > b->u;
}

struct cands *
channels_most_active(const struct tower_data *x, const uint32_t *targets,
                     size_t n_targets, uint32_t L, const uint8_t *eligible)
{
    struct uc *r = xmalloc(((size_t)x->n_users + 1) * sizeof *r);
    struct cands *c = cands_new(n_targets, n_targets * (size_t)L);

    for (uint32_t u = 0; u < x->n_users; u++) {
        r[u].u = u;
        r[u].n = 0;
        for (size_t j = x->uoff[u]; j < x->uoff[u + 1]; j++)
            r[u].n += x->uval[j] > 0;
    }
    sortv(r, x->n_users, sizeof *r, cmp_uc);
    size_t e = 0;
    for (size_t k = 0; k < n_targets; k++) {
        uint32_t it = targets[k], got = 0;
        const uint32_t *su = NULL;
        size_t sn = 0;
        if (it < x->n_items) {
            su = x->iuser + x->ioff[it];
            sn = x->ioff[it + 1] - x->ioff[it];
        }
        c->items[k] = it;
        for (uint32_t j = 0; j < x->n_users && got < L; j++) {
            uint32_t u = r[j].u;
            if ((eligible != NULL && !eligible[u]) || in_sorted(su, sn, u))
                continue;
            c->user[e] = u;
            c->channels[e] = 0;
            c->retr[e] = (float)r[j].n;
            c->score[e] = 0;
            memset(c->p + e * CANDS_N_TASKS, 0,
                   CANDS_N_TASKS * sizeof *c->p);
            e++;
            got++;
        }
        c->off[k + 1] = e;
    }
    c->n = e;
    free(r);
    return c;
}

double
channels_top_user_share(const struct cands *c, uint32_t n_users)
{
    uint32_t *freq = xcalloc((size_t)n_users + 1, sizeof *freq);
    double top = 0;

    if (c->n == 0 || n_users == 0) {
        free(freq);
        return 0;
    }
    for (size_t j = 0; j < c->n; j++)
        if (c->user[j] < n_users)
            freq[c->user[j]]++;
    /* Sort the counts descending (counting sort over the values). */
    uint32_t maxf = 0;
    for (uint32_t u = 0; u < n_users; u++)
        if (freq[u] > maxf)
            maxf = freq[u];
    size_t *hist = xcalloc((size_t)maxf + 1, sizeof *hist);
    for (uint32_t u = 0; u < n_users; u++)
        hist[freq[u]]++;
    size_t want = n_users / 100 ? n_users / 100 : 1, got = 0;
    for (uint32_t f = maxf + 1; f-- > 0 && got < want;) {
        size_t take = hist[f] < want - got ? hist[f] : want - got;
        top += (double)take * f;
        got += take;
    }
    free(hist);
    free(freq);
    return top / (double)c->n;
}
