/*
 * channels.c -- the retrieval channels and their merge (see channels.h).
 *
 * Flow for a batch of targets:
 *   1. one pass over the window's exposures and interactions, one day's
 *      rows at a time (window_get_day: the window may be lazy), collects,
 *      per target, the users already exposed (excluded everywhere) and the
 *      early engagers with their feedback weight (i2u2u seeds);
 *   2. the same pass keeps the rows of the last recent_days that carry
 *      feedback, turned into positive (user, item, weight) observations,
 *      CSR by user and by item (what tower_data_from_window gives on the
 *      tail of the window with negatives off);
 *   Only these derived lists stay resident, never a day's raw rows.
 *   3. each enabled channel writes a ranked list of up to cap[ch] users per
 *      target (tower and the similarity searches through topk_users);
 *   4. the merge applies quotas, dedupes and records channel bits.
 * Heavy users: i2i2u divides a user's engagement weight by the square root
 * of the user's recent positive count, so that users who like everything
 * do not top every list (the tower has its own user_norm).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "topk.h"
#include "xmem.h"

/* qsort that accepts an empty (possibly NULL) array. */
static void
sortv(void *base, size_t n, size_t size,
      int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

#define CH_IDX_TOWER 0
#define CH_IDX_I2I2U 1
#define CH_IDX_I2U2U 2
#define CH_IDX_CREATOR 3
#define CONTENT_SCAN 256        /* pool items read per creator / tag list */

struct channels_params
channels_default_params(void)
{
    struct channels_params p;
    struct tower_params tp = tower_default_params();

    memset(&p, 0, sizeof p);
    p.k = 400;
    /* Shares near the paper's exposure shares (tower 59%, i2i2u 39%,
     * i2u2u 3%) with room for the creator channel, tilted towards the
     * tower, the strongest single channel in our evaluation. */
    p.quota[CH_IDX_TOWER] = 240;
    p.quota[CH_IDX_I2I2U] = 100;
    p.quota[CH_IDX_I2U2U] = 20;
    p.quota[CH_IDX_CREATOR] = 40;
    p.recent_days = 7;
    p.n_similar_items = 20;
    p.n_seed_users = 20;
    p.n_similar_users = 20;
    p.follow_weight = 10.0f;
    memcpy(p.fb_weight, tp.fb_weight, sizeof p.fb_weight);
    p.enabled = CH_TOWER | CH_I2I2U | CH_I2U2U | CH_CREATOR;
    return p;
}

/* A ranked list per target: entries [k * cap, k * cap + n[k]). */
struct rlist {
    uint32_t cap;
    uint32_t *u;
    float *s;
    uint32_t *n;
};

struct ctx {
    const struct window *w;
    const struct tower *t;
    const struct channels_params *p;
    struct tower_params tp;     /* weights for tower_obs_value */
    uint32_t n_users;           /* window users */
    uint32_t n_tu;              /* users with vectors */
    uint32_t dim;
    const uint8_t *elig;
    size_t nt;
    const uint32_t *targets;
    size_t *xoff;               /* exposed users per target, sorted */
    uint32_t *xuser;
    size_t *eoff;               /* engagers per target, by weight desc */
    uint32_t *euser;
    float *ew;
    struct tower_data *rec;     /* recent positives */
    float *tq;                  /* nt x dim target vectors */
    struct rlist list[CANDS_N_CHANNELS];
};

struct hit {
    uint32_t u;
    float s;
};

static int
cmp_hit_best(const void *pa, const void *pb)
{
    const struct hit *a = pa, *b = pb;

    if (a->s != b->s)
        return a->s > b->s ? -1 : 1;
    return a->u < b->u ? -1 : a->u > b->u;
}

static int
is_excluded(const struct ctx *c, size_t k, uint32_t u)
{
    size_t lo = c->xoff[k], hi = c->xoff[k + 1];

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->xuser[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->xoff[k + 1] && c->xuser[lo] == u;
}

static int
usable(const struct ctx *c, size_t k, uint32_t u)
{
    return u < c->n_users && (c->elig == NULL || c->elig[u])
        && !is_excluded(c, k, u);
}

/* Min-heap on cmp_hit_best: h[0] is the worst hit kept. */
static void
hit_sift_down(struct hit *h, size_t n, size_t i)
{
    struct hit x = h[i];

    for (;;) {
        size_t ch = 2 * i + 1;

        if (ch >= n)
            break;
        if (ch + 1 < n && cmp_hit_best(&h[ch + 1], &h[ch]) > 0)
            ch++;
        if (cmp_hit_best(&h[ch], &x) <= 0)
            break;
        h[i] = h[ch];
        i = ch;
    }
    h[i] = x;
}

/* The best cap hits of h[0..n) in h[0..cap), in any order. */
static void
select_best(struct hit *h, size_t n, size_t cap)
{
    for (size_t i = cap / 2; i-- > 0;)
        hit_sift_down(h, cap, i);
    for (size_t j = cap; j < n; j++) {
        if (cmp_hit_best(&h[j], &h[0]) < 0) {
            h[0] = h[j];
            hit_sift_down(h, cap, 0);
        }
    }
}

/*
 * Keep the best cap usable hits of h[0..n) into list row k (h is
 * reordered).  The unusable hits are dropped first and only the best cap
 * are sorted: the lists hold a few hundred of tens of thousands of hits,
 * and a full sort of them was most of this channel's time.  The order is
 * total (score, then user), so the rows equal a full sort's.
 */
static void
take_best(const struct ctx *c, struct rlist *l, size_t k, struct hit *h,
          size_t n)
{
    size_t m = 0;

    for (size_t j = 0; j < n; j++)
        if (usable(c, k, h[j].u))
            h[m++] = h[j];
    if (m > l->cap) {
        select_best(h, m, l->cap);
        m = l->cap;
    }
    sortv(h, m, sizeof *h, cmp_hit_best);
    for (size_t j = 0; j < m; j++) {
        l->u[k * l->cap + j] = h[j].u;
        l->s[k * l->cap + j] = h[j].s;
    }
    l->n[k] = (uint32_t)m;
}

/* ---- 1. exposures and engagers of the targets ---- */

struct tev {
    uint32_t k, u, fb, pad;
};

static int
cmp_tev(const void *pa, const void *pb)
{
    const struct tev *a = pa, *b = pb;

    if (a->k != b->k)
        return a->k < b->k ? -1 : 1;
    return a->u < b->u ? -1 : a->u > b->u;
}

static int
cmp_engager(const void *pa, const void *pb)
{
    return cmp_hit_best(pa, pb);
}

/*
 * The exposed users and engagers of every target from its events ev[0..n)
 * (target slot through tmap, user, feedback; ev is sorted here and freed by
 * the caller).
 */
static void
target_lists(struct ctx *c, const uint32_t *tmap, struct tev *ev, size_t n)
{
    /* Several targets may name the same item: events carry the first
     * target's index (tmap), and every target reads them through tmap. */
    sortv(ev, n, sizeof *ev, cmp_tev);
    c->xoff = xcalloc(c->nt + 1, sizeof *c->xoff);
    c->eoff = xcalloc(c->nt + 1, sizeof *c->eoff);
    size_t *first = xmalloc((c->nt + 1) * sizeof *first);
    size_t *last = xmalloc((c->nt + 1) * sizeof *last);
    for (size_t k = 0; k < c->nt; k++)
        first[k] = last[k] = 0;
    for (size_t j = 0; j < n;) {
        size_t j0 = j;
        uint32_t k = ev[j].k;
        while (j < n && ev[j].k == k)
            j++;
        first[k] = j0;
        last[k] = j;
    }
    size_t nx = 0, ne = 0;
    /* Sizes: count per target through its canonical index. */
    for (size_t k = 0; k < c->nt; k++) {
        uint32_t kk = tmap[c->targets[k]];
        uint32_t prev = UINT32_MAX;
        size_t ux = 0;
        for (size_t j = first[kk]; j < last[kk]; j++) {
            if (ev[j].u != prev)
                ux++;
            prev = ev[j].u;
        }
        nx += ux;
        c->xoff[k + 1] = nx;
    }
    c->xuser = xmalloc((nx ? nx : 1) * sizeof *c->xuser);
    c->euser = xmalloc((nx ? nx : 1) * sizeof *c->euser);
    c->ew = xmalloc((nx ? nx : 1) * sizeof *c->ew);
    struct hit *tmp = xmalloc((n ? n : 1) * sizeof *tmp);
    for (size_t k = 0; k < c->nt; k++) {
        uint32_t kk = tmap[c->targets[k]];
        size_t m = c->xoff[k], nh = 0;
        for (size_t j = first[kk]; j < last[kk];) {
            uint32_t u = ev[j].u, fb = 0;
            for (; j < last[kk] && ev[j].u == u; j++)
                fb |= ev[j].fb;
            c->xuser[m++] = u;
            float v = tower_obs_value(fb, 0, &c->tp);
            if (v > 0) {
                tmp[nh].u = u;
                tmp[nh].s = v;
                nh++;
            }
        }
        sortv(tmp, nh, sizeof *tmp, cmp_engager);
        for (size_t j = 0; j < nh; j++) {
            c->euser[ne + j] = tmp[j].u;
            c->ew[ne + j] = tmp[j].s;
        }
        ne += nh;
        c->eoff[k + 1] = ne;
    }
    free(tmp);
    free(first);
    free(last);
}


/* ---- 2. recent positives ---- */

/* A recent row that can make an observation: (user, item, feedback bits
 * that tower_obs_value reads). */
struct rpos {
    uint32_t u, item, fb;
};

/* One (item, OR-ed bits) of a user, once rows are grouped by user. */
struct ipos {
    uint32_t item, fb;
};

static int
cmp_ipos(const void *pa, const void *pb)
{
    const struct ipos *a = pa, *b = pb;

    return a->item < b->item ? -1 : a->item > b->item;
}

/* The feedback bits that can change tower_obs_value with p's weights and
 * no negatives: a row with none of them adds nothing to an OR. */
static uint32_t
obs_bits(const struct tower_params *p)
{
    uint32_t m = FB_HATE;

    for (int k = 0; k < FB_N_KINDS; k++)
        if (p->fb_weight[k] != 0.0f)
            m |= 1u << k;
    return m;
}

/*
 * The observations of rows r[0..n) (r is freed): per (user, item) the OR
 * of the bits, its tower_obs_value when nonzero, users' items ascending.
 * The same table tower_data_from_window builds from the days' rows when
 * negatives are off (p->neg_weight 0), which is why the rows without
 * obs_bits could be dropped on the way.
 */
static struct tower_data *
recent_data(uint32_t nu, uint32_t n_items, struct rpos *r, size_t n,
            const struct tower_params *p)
{
    struct tower_data *x = xcalloc(1, sizeof *x);
    size_t *off = xcalloc((size_t)nu + 2, sizeof *off);
    size_t *cnt = xcalloc((size_t)nu + 1, sizeof *cnt);
    struct ipos *b = xmalloc((n ? n : 1) * sizeof *b);

    for (size_t j = 0; j < n; j++)
        off[r[j].u + 2]++;
    for (uint32_t u = 0; u < nu; u++)
        off[u + 2] += off[u + 1];
    for (size_t j = 0; j < n; j++) {
        size_t q = off[r[j].u + 1]++;
        b[q].item = r[j].item;
        b[q].fb = r[j].fb;
    }
    free(r);
    /* off[u] .. off[u + 1] are user u's rows now; fold them in place. */
    #pragma omp parallel for schedule(dynamic, 256) if(nu > 1024)
    for (uint32_t u = 0; u < nu; u++) {
        struct ipos *v = b + off[u];
        size_t m = off[u + 1] - off[u], kept = 0;

        sortv(v, m, sizeof *v, cmp_ipos);
        for (size_t j = 0; j < m;) {
            uint32_t item = v[j].item, fb = 0;
            for (; j < m && v[j].item == item; j++)
                fb |= v[j].fb;
            if (item < n_items && tower_obs_value(fb, 0, p) != 0.0f) {
                v[kept].item = item;
                v[kept].fb = fb;
                kept++;
            }
        }
        cnt[u + 1] = kept;
    }
    for (uint32_t u = 0; u < nu; u++)
        cnt[u + 1] += cnt[u];
    x->n_users = nu;
    x->n_items = n_items;
    x->n = cnt[nu];
    x->uoff = cnt;
    x->uitem = xmalloc((x->n ? x->n : 1) * sizeof *x->uitem);
    x->uval = xmalloc((x->n ? x->n : 1) * sizeof *x->uval);
    #pragma omp parallel for schedule(dynamic, 256) if(nu > 1024)
    for (uint32_t u = 0; u < nu; u++) {
        const struct ipos *v = b + off[u];
        for (size_t j = 0; j < cnt[u + 1] - cnt[u]; j++) {
            x->uitem[cnt[u] + j] = v[j].item;
            x->uval[cnt[u] + j] = tower_obs_value(v[j].fb, 0, p);
        }
    }
    free(b);
    free(off);
    tower_data_index(x);
    return x;
}

/* ---- 1 and 2: one pass over the window ---- */

/*
 * Read the window one day at a time (window_get_day, so a lazy window
 * holds one day's rows) and keep only what the channels use: the events
 * of the targets (every day) and the rows of the last recent_days that
 * carry observation bits.  Then the targets' exposed users and engagers
 * (c->xoff.., c->eoff..) and the recent positives c->rec.
 */
static int
scan_window(struct ctx *c, struct diag *d)
{
    const struct window *w = c->w;
    uint32_t ni = w->cat.n_items, nu = c->n_users;
    uint32_t *tmap = xmalloc(((size_t)ni + 1) * sizeof *tmap);
    uint32_t bits = obs_bits(&c->tp);
    unsigned flags = w->flags & (WINDOW_NO_INTER | WINDOW_NO_EXP);
    int r = c->p->recent_days > 0 && (int)c->p->recent_days < w->n_days
          ? (int)c->p->recent_days : w->n_days;
    struct tev *ev = NULL;
    struct rpos *rp = NULL;
    size_t n = 0, cap = 0, nr = 0, rcap = 0;

    for (uint32_t i = 0; i < ni; i++)
        tmap[i] = UINT32_MAX;
    for (size_t k = c->nt; k-- > 0;)
        tmap[c->targets[k]] = (uint32_t)k;
    for (int day = 0; day < w->n_days; day++) {
        struct day_ref ref;
        int recent = day >= w->n_days - r;

        if (window_get_day(w, day, flags, &ref, d) < 0) {
            free(tmap);
            free(ev);
            free(rp);
            return -1;
        }
        const struct segment *s = ref.seg;
        if (s == NULL)
            continue;
        for (size_t j = 0; j < s->n_exp + s->n_inter; j++) {
            uint32_t it, u, fb;
            segment_row(s, j, &it, &u, &fb);
            if (it >= ni || u >= nu)
                continue;
            if (recent && (fb & bits) != 0) {
                if (nr == rcap) {
                    rcap = rcap ? rcap * 2 : 1024;
                    rp = xreallocarray(rp, rcap, sizeof *rp);
                }
                rp[nr].u = u;
                rp[nr].item = it;
                rp[nr].fb = fb & bits;
                nr++;
            }
            if (tmap[it] == UINT32_MAX)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                ev = xreallocarray(ev, cap, sizeof *ev);
            }
            ev[n].k = tmap[it];
            ev[n].u = u;
            ev[n].fb = fb;
            ev[n].pad = 0;
            n++;
        }
        window_put_day(&ref);
    }
    target_lists(c, tmap, ev, n);
    free(ev);
    free(tmap);
    c->rec = recent_data(nu, ni, rp, nr, &c->tp);
    return 0;
}

/* ---- 3a. tower ---- */

/* Exclusion rows restricted to users < limit (topk checks ranges). */
static void
excl_below(const struct ctx *c, uint32_t limit, size_t **off, uint32_t **u)
{
    size_t n = 0;

    *off = xmalloc((c->nt + 1) * sizeof **off);
    *u = xmalloc((c->xoff[c->nt] + 1) * sizeof **u);
    (*off)[0] = 0;
    for (size_t k = 0; k < c->nt; k++) {
        for (size_t j = c->xoff[k]; j < c->xoff[k + 1]; j++)
            if (c->xuser[j] < limit)
                (*u)[n++] = c->xuser[j];
        (*off)[k + 1] = n;
    }
}

static int
run_tower(struct ctx *c, struct diag *d)
{
    struct rlist *l = &c->list[CH_IDX_TOWER];
    size_t *off;
    uint32_t *ex;
    int rc;

    if (c->n_tu == 0) {
        memset(l->n, 0, c->nt * sizeof *l->n);
        return 0;
    }
    excl_below(c, c->n_tu, &off, &ex);
    struct topk_excl e = { off, ex };
    rc = topk_users(c->tq, c->nt, tower_user_matrix(c->t), c->n_tu, c->dim,
                    l->cap, c->elig, &e, l->u, l->s, l->n, d);
    free(off);
    free(ex);
    return rc;
}

/* ---- 3b. i2i2u ---- */

static void
normalise_rows(float *m, size_t n, uint32_t d)
{
    #pragma omp parallel for schedule(static) if(n > 1024)
    for (size_t i = 0; i < n; i++) {
        float *r = m + i * d, s = 0;
        for (uint32_t j = 0; j < d; j++)
            s += r[j] * r[j];
        s = s > 1e-24f ? 1.0f / sqrtf(s) : 0.0f;
        for (uint32_t j = 0; j < d; j++)
            r[j] *= s;
    }
}

static int
cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

    return a < b ? -1 : a > b;
}

struct pool {
    uint32_t n;
    uint32_t *item;             /* pool index -> item */
    uint32_t *pos;              /* item -> pool index or UINT32_MAX */
    size_t *coff;               /* creator -> pool items (by engagement) */
    uint32_t *citem;
    size_t *toff;               /* tag -> pool items (by engagement) */
    uint32_t *titem;
};

struct pe {
    uint32_t key, cnt, p;
};

static int
cmp_pe(const void *pa, const void *pb)
{
    const struct pe *a = pa, *b = pb;

    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->cnt != b->cnt)
        return a->cnt > b->cnt ? -1 : 1;
    return a->p < b->p ? -1 : a->p > b->p;
}

/* CSR key -> pool indices, most engaged first. */
static void
pool_index(struct pe *e, size_t n, uint32_t n_keys, size_t **off,
           uint32_t **val)
{
    sortv(e, n, sizeof *e, cmp_pe);
    *off = xcalloc((size_t)n_keys + 1, sizeof **off);
    *val = xmalloc((n ? n : 1) * sizeof **val);
    for (size_t j = 0; j < n; j++) {
        (*off)[e[j].key + 1]++;
        (*val)[j] = e[j].p;
    }
    for (uint32_t k = 0; k < n_keys; k++)
        (*off)[k + 1] += (*off)[k];
}

static void
pool_build(const struct ctx *c, struct pool *pl)
{
    const struct catalog *cat = &c->w->cat;
    const struct tower_data *r = c->rec;
    uint32_t nc = iddict_count(c->w->creators), ntag = iddict_count(c->w->tags);
    size_t ne = 0, nte = 0;

    pl->pos = xmalloc(((size_t)cat->n_items + 1) * sizeof *pl->pos);
    pl->item = xmalloc(((size_t)r->n_items + 1) * sizeof *pl->item);
    pl->n = 0;
    for (uint32_t i = 0; i < cat->n_items; i++) {
        pl->pos[i] = UINT32_MAX;
        if (i < r->n_items && r->ioff[i + 1] > r->ioff[i]) {
            pl->pos[i] = pl->n;
            pl->item[pl->n++] = i;
        }
    }
    struct pe *ce = xmalloc(((size_t)pl->n + 1) * sizeof *ce);
    for (uint32_t j = 0; j < pl->n; j++)
        nte += cat->tag_off[pl->item[j] + 1] - cat->tag_off[pl->item[j]];
    struct pe *te = xmalloc((nte + 1) * sizeof *te);
    nte = 0;
    for (uint32_t j = 0; j < pl->n; j++) {
        uint32_t i = pl->item[j];
        uint32_t cnt = (uint32_t)(r->ioff[i + 1] - r->ioff[i]);
        if (cat->creator[i] != SEG_NONE && cat->creator[i] < nc) {
            ce[ne].key = cat->creator[i];
            ce[ne].cnt = cnt;
            ce[ne].p = j;
            ne++;
        }
        for (uint32_t a = cat->tag_off[i]; a < cat->tag_off[i + 1]; a++) {
            if (cat->tags[a] >= ntag)
                continue;
            te[nte].key = cat->tags[a];
            te[nte].cnt = cnt;
            te[nte].p = j;
            nte++;
        }
    }
    pool_index(ce, ne, nc, &pl->coff, &pl->citem);
    pool_index(te, nte, ntag, &pl->toff, &pl->titem);
    free(ce);
    free(te);
}

static void
pool_free(struct pool *pl)
{
    free(pl->item);
    free(pl->pos);
    free(pl->coff);
    free(pl->citem);
    free(pl->toff);
    free(pl->titem);
}

/* Content similarity of items a and b: half for the same creator, half
 * the Jaccard index of their tags. */
static float
content_sim(const struct catalog *cat, uint32_t a, uint32_t b)
{
    float s = 0;
    uint32_t inter = 0, na = cat->tag_off[a + 1] - cat->tag_off[a];
    uint32_t nb = cat->tag_off[b + 1] - cat->tag_off[b];

    if (cat->creator[a] != SEG_NONE && cat->creator[a] == cat->creator[b])
        s += 0.5f;
    for (uint32_t x = cat->tag_off[a]; x < cat->tag_off[a + 1]; x++)
        for (uint32_t y = cat->tag_off[b]; y < cat->tag_off[b + 1]; y++)
            inter += cat->tags[x] == cat->tags[y];
    if (na + nb > inter)
        s += 0.5f * (float)inter / (float)(na + nb - inter);
    return s;
}

static int
run_i2i2u(struct ctx *c, size_t *pool_items, struct diag *d)
{
    const struct catalog *cat = &c->w->cat;
    const struct tower_data *r = c->rec;
    struct rlist *l = &c->list[CH_IDX_I2I2U];
    struct pool pl;
    uint32_t S = c->p->n_similar_items ? c->p->n_similar_items : 1;
    int rc = 0;

    pool_build(c, &pl);
    *pool_items = pl.n;
    if (pl.n == 0) {
        memset(l->n, 0, c->nt * sizeof *l->n);
        pool_free(&pl);
        return 0;
    }
    /* Similar by vectors: cosine over the pool, the target itself left
     * out. */
    float *pv = xmalloc(((size_t)pl.n * c->dim + 1) * sizeof *pv);
    float *tv = xmalloc((c->nt * c->dim + 1) * sizeof *tv);
    tower_item_vecs(c->t, cat, pl.item, pl.n, pv);
    normalise_rows(pv, pl.n, c->dim);
    memcpy(tv, c->tq, c->nt * c->dim * sizeof *tv);
    normalise_rows(tv, c->nt, c->dim);
    size_t *eoff = xmalloc((c->nt + 1) * sizeof *eoff);
    uint32_t *eu = xmalloc((c->nt + 1) * sizeof *eu);
    eoff[0] = 0;
    for (size_t k = 0; k < c->nt; k++) {
        uint32_t ps = pl.pos[c->targets[k]];
        eoff[k + 1] = eoff[k];
        if (ps != UINT32_MAX)
            eu[eoff[k + 1]++] = ps;
    }
    struct topk_excl ex = { eoff, eu };
    uint32_t *su = xmalloc(c->nt * S * sizeof *su);
    float *ss = xmalloc(c->nt * S * sizeof *ss);
    uint32_t *sn = xmalloc((c->nt + 1) * sizeof *sn);
    rc = topk_users(tv, c->nt, pv, pl.n, c->dim, S, NULL, &ex, su, ss, sn, d);
    free(pv);
    free(tv);
    free(eoff);
    free(eu);
    if (rc < 0)
        goto out;

    /* Per-user debias: sqrt of the user's recent positive count. */
    #pragma omp parallel if(c->nt > 16)
    {
        float *acc = xcalloc((size_t)c->n_users + 1, sizeof *acc);
        uint32_t *touched = xmalloc(((size_t)c->n_users + 1)
                                    * sizeof *touched);
        struct hit *sim = xmalloc(((size_t)S + CONTENT_SCAN * 64 + 1)
                                  * sizeof *sim);
        uint32_t *cand = xmalloc((CONTENT_SCAN * 64 + 1) * sizeof *cand);
        struct hit *h = xmalloc(((size_t)c->n_users + 1) * sizeof *h);
        #pragma omp for schedule(dynamic, 4)
        for (size_t k = 0; k < c->nt; k++) {
            uint32_t it = c->targets[k], ns = 0, nc = 0, nt_ = 0;
            for (uint32_t j = 0; j < sn[k]; j++) {
                float s = ss[k * S + j];
                if (s > 0) {
                    sim[ns].u = su[k * S + j];
                    sim[ns].s = s;
                    ns++;
                }
            }
            /* Similar by content: pool items sharing creator or tags. */
            if (cat->creator[it] != SEG_NONE
                && cat->creator[it] < iddict_count(c->w->creators)) {
                uint32_t cr = cat->creator[it];
                for (size_t j = pl.coff[cr];
                     j < pl.coff[cr + 1] && j - pl.coff[cr] < CONTENT_SCAN;
                     j++)
                    cand[nc++] = pl.citem[j];
            }
            for (uint32_t a = cat->tag_off[it];
                 a < cat->tag_off[it + 1] && nt_ < 63; a++, nt_++) {
                uint32_t tg = cat->tags[a];
                if (tg >= iddict_count(c->w->tags))
                    continue;
                for (size_t j = pl.toff[tg];
                     j < pl.toff[tg + 1] && j - pl.toff[tg] < CONTENT_SCAN;
                     j++)
                    cand[nc++] = pl.titem[j];
            }
            sortv(cand, nc, sizeof *cand, cmp_u32);
            uint32_t nci = 0;
            struct hit *cs = sim + ns;
            for (uint32_t j = 0; j < nc; j++) {
                if ((j > 0 && cand[j] == cand[j - 1])
                    || pl.item[cand[j]] == it)
                    continue;
                cs[nci].u = cand[j];
                cs[nci].s = content_sim(cat, it, pl.item[cand[j]]);
                nci++;
            }
            sortv(cs, nci, sizeof *cs, cmp_hit_best);
            ns += nci < S ? nci : S;

            /* Users: sum over similar items of sim * weight / sqrt(n). */
            uint32_t nt2 = 0;
            for (uint32_t j = 0; j < ns; j++) {
                uint32_t i = pl.item[sim[j].u];
                for (size_t e = r->ioff[i]; e < r->ioff[i + 1]; e++) {
                    uint32_t u = r->iuser[e];
                    float nu = (float)(r->uoff[u + 1] - r->uoff[u]);
                    if (acc[u] == 0.0f)
                        touched[nt2++] = u;
                    acc[u] += sim[j].s * r->ival[e] / sqrtf(nu);
                }
            }
            for (uint32_t j = 0; j < nt2; j++) {
                h[j].u = touched[j];
                h[j].s = acc[touched[j]];
                acc[touched[j]] = 0.0f;
            }
            take_best(c, l, k, h, nt2);
        }
        free(acc);
        free(touched);
        free(sim);
        free(cand);
        free(h);
    }
out:
    free(su);
    free(ss);
    free(sn);
    pool_free(&pl);
    return rc;
}

/* ---- 3c. i2u2u ---- */

static int
run_i2u2u(struct ctx *c, struct diag *d)
{
    struct rlist *l = &c->list[CH_IDX_I2U2U];
    uint32_t E = c->p->n_seed_users ? c->p->n_seed_users : 1;
    uint32_t M = (c->p->n_similar_users ? c->p->n_similar_users : 1) + 1;
    size_t *qoff = xmalloc((c->nt + 1) * sizeof *qoff);
    size_t nq = 0;
    int rc = 0;

    qoff[0] = 0;
    for (size_t k = 0; k < c->nt; k++) {
        uint32_t m = 0;
        for (size_t j = c->eoff[k]; j < c->eoff[k + 1] && m < E; j++)
            m += c->euser[j] < c->n_tu;
        nq += m;
        qoff[k + 1] = nq;
    }
    memset(l->n, 0, c->nt * sizeof *l->n);
    if (nq == 0 || c->n_tu == 0) {
        free(qoff);
        return 0;
    }
    uint32_t *seed = xmalloc(nq * sizeof *seed);
    float *sw = xmalloc(nq * sizeof *sw);
    float *qv = xmalloc(nq * c->dim * sizeof *qv);
    for (size_t k = 0; k < c->nt; k++) {
        size_t q = qoff[k];
        for (size_t j = c->eoff[k]; j < c->eoff[k + 1] && q < qoff[k + 1];
             j++) {
            if (c->euser[j] >= c->n_tu)
                continue;
            seed[q] = c->euser[j];
            sw[q] = c->ew[j];
            memcpy(qv + q * c->dim, tower_user_vec(c->t, c->euser[j]),
                   c->dim * sizeof *qv);
            q++;
        }
    }
    normalise_rows(qv, nq, c->dim);
    float *un = xmalloc(((size_t)c->n_tu * c->dim + 1) * sizeof *un);
    memcpy(un, tower_user_matrix(c->t),
           (size_t)c->n_tu * c->dim * sizeof *un);
    normalise_rows(un, c->n_tu, c->dim);
    uint32_t *nu_ = xmalloc(nq * M * sizeof *nu_);
    float *ns = xmalloc(nq * M * sizeof *ns);
    uint32_t *nn = xmalloc(nq * sizeof *nn);
    rc = topk_users(qv, nq, un, c->n_tu, c->dim, M, c->elig, NULL, nu_, ns,
                    nn, d);
    free(un);
    free(qv);
    if (rc == 0) {
        #pragma omp parallel if(c->nt > 16)
        {
            struct hit *h = xmalloc((E * M + 1) * sizeof *h);
            #pragma omp for schedule(dynamic, 16)
            for (size_t k = 0; k < c->nt; k++) {
                size_t nh = 0;
                for (size_t q = qoff[k]; q < qoff[k + 1]; q++)
                    for (uint32_t j = 0; j < nn[q]; j++) {
                        uint32_t v = nu_[q * M + j];
                        float s = ns[q * M + j];
                        if (v == seed[q] || !(s > 0))
                            continue;
                        h[nh].u = v;
                        h[nh].s = sw[q] * s;
                        nh++;
                    }
                /* Sum duplicates: sort by user, fold. */
                for (size_t a = 1; a < nh; a++) {
                    struct hit x = h[a];
                    size_t b = a;
                    while (b > 0 && h[b - 1].u > x.u) {
                        h[b] = h[b - 1];
                        b--;
                    }
                    h[b] = x;
                }
                size_t m = 0;
                for (size_t a = 0; a < nh; a++) {
                    if (m > 0 && h[m - 1].u == h[a].u)
                        h[m - 1].s += h[a].s;
                    else
                        h[m++] = h[a];
                }
                take_best(c, l, k, h, m);
            }
            free(h);
        }
    }
    free(seed);
    free(sw);
    free(nu_);
    free(ns);
    free(nn);
    free(qoff);
    return rc;
}

/* ---- 3d. creator ---- */

static void
run_creator(struct ctx *c)
{
    const struct window *w = c->w;
    const struct catalog *cat = &w->cat;
    const struct tower_data *r = c->rec;
    struct rlist *l = &c->list[CH_IDX_CREATOR];
    uint32_t nc = iddict_count(w->creators);
    uint32_t *slot = xmalloc(((size_t)nc + 1) * sizeof *slot);
    uint32_t ns = 0;
    struct tev *ev = NULL;
    float *evw = NULL;
    size_t n = 0, cap = 0;

    for (uint32_t a = 0; a < nc; a++)
        slot[a] = UINT32_MAX;
    for (size_t k = 0; k < c->nt; k++) {
        uint32_t cr = cat->creator[c->targets[k]];
        if (cr != SEG_NONE && cr < nc && slot[cr] == UINT32_MAX)
            slot[cr] = ns++;
    }
    /* (slot, user, weight) from recent positives and from follows. */
    for (uint32_t u = 0; u < r->n_users && ns > 0; u++) {
        for (size_t j = r->uoff[u]; j < r->uoff[u + 1]; j++) {
            uint32_t cr = cat->creator[r->uitem[j]];
            if (cr == SEG_NONE || cr >= nc || slot[cr] == UINT32_MAX)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                ev = xreallocarray(ev, cap, sizeof *ev);
                evw = xreallocarray(evw, cap, sizeof *evw);
            }
            ev[n].k = slot[cr];
            ev[n].u = u;
            ev[n].fb = (uint32_t)n;
            ev[n].pad = 0;
            evw[n] = r->uval[j];
            n++;
        }
    }
    for (int day = 0; day < w->n_days && ns > 0; day++) {
        const struct segment *s = w->seg[day];
        if (s == NULL)
            continue;
        for (size_t j = 0; j < s->n_follows; j++) {
            uint32_t cr = s->follows[j].creator;
            if (cr >= nc || slot[cr] == UINT32_MAX
                || s->follows[j].user >= c->n_users)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                ev = xreallocarray(ev, cap, sizeof *ev);
                evw = xreallocarray(evw, cap, sizeof *evw);
            }
            ev[n].k = slot[cr];
            ev[n].u = s->follows[j].user;
            ev[n].fb = (uint32_t)n;
            ev[n].pad = 0;
            evw[n] = c->p->follow_weight;
            n++;
        }
    }
    sortv(ev, n, sizeof *ev, cmp_tev);
    /* Fold per (slot, user): engagement weights and follows add up. */
    size_t *soff = xcalloc((size_t)ns + 1, sizeof *soff);
    struct hit *sh = xmalloc((n ? n : 1) * sizeof *sh);
    size_t m = 0;
    for (size_t j = 0; j < n;) {
        uint32_t k = ev[j].k, u = ev[j].u;
        float s = 0;
        for (; j < n && ev[j].k == k && ev[j].u == u; j++)
            s += evw[ev[j].fb];
        sh[m].u = u;
        sh[m].s = s;
        soff[k + 1]++;
        m++;
    }
    for (uint32_t k = 0; k < ns; k++)
        soff[k + 1] += soff[k];
    for (uint32_t k = 0; k < ns; k++)
        sortv(sh + soff[k], soff[k + 1] - soff[k], sizeof *sh,
              cmp_hit_best);
    #pragma omp parallel for schedule(dynamic, 16) if(c->nt > 16)
    for (size_t k = 0; k < c->nt; k++) {
        uint32_t cr = cat->creator[c->targets[k]];
        uint32_t got = 0;
        if (cr != SEG_NONE && cr < nc) {
            uint32_t sl = slot[cr];
            for (size_t j = soff[sl]; j < soff[sl + 1] && got < l->cap; j++) {
                if (!usable(c, k, sh[j].u))
                    continue;
                l->u[k * l->cap + got] = sh[j].u;
                l->s[k * l->cap + got] = sh[j].s;
                got++;
            }
        }
        l->n[k] = got;
    }
    free(soff);
    free(sh);
    free(ev);
    free(evw);
    free(slot);
}

/* ---- 4. merge ---- */

struct ment {
    uint32_t u;
    uint8_t ch;
    uint32_t rank;
};

static int
cmp_ment(const void *pa, const void *pb)
{
    const struct ment *a = pa, *b = pb;

    if (a->u != b->u)
        return a->u < b->u ? -1 : 1;
    if (a->ch != b->ch)
        return a->ch < b->ch ? -1 : 1;
    return a->rank < b->rank ? -1 : a->rank > b->rank;
}

struct sel {
    uint32_t u;
    uint8_t bits;
    float retr;
};

static int
cmp_sel(const void *pa, const void *pb)
{
    const struct sel *a = pa, *b = pb;

    if (a->retr != b->retr)
        return a->retr > b->retr ? -1 : 1;
    return a->u < b->u ? -1 : a->u > b->u;
}

/*
 * Merge the channel lists of target k into sel[]; returns the count.
 * scratch: ment[] of sum of caps, didx[] (per channel rank -> distinct).
 */
static uint32_t
merge_one(const struct ctx *c, size_t k, struct ment *me, uint32_t *didx,
          uint8_t *dbits, uint8_t *taken, struct sel *sel)
{
    const struct channels_params *p = c->p;
    uint32_t n = 0, nd = 0, base[CANDS_N_CHANNELS], out = 0;

    for (int ch = 0; ch < CANDS_N_CHANNELS; ch++) {
        const struct rlist *l = &c->list[ch];
        base[ch] = n;
        if (!(p->enabled & (1u << ch)))
            continue;
        for (uint32_t r = 0; r < l->n[k]; r++) {
            me[n].u = l->u[k * l->cap + r];
            me[n].ch = (uint8_t)ch;
            me[n].rank = r;
            n++;
        }
    }
    sortv(me, n, sizeof *me, cmp_ment);
    for (uint32_t j = 0; j < n; j++) {
        if (j == 0 || me[j].u != me[j - 1].u) {
            dbits[nd] = 0;
            taken[nd] = 0;
            nd++;
        }
        dbits[nd - 1] |= (uint8_t)(1u << me[j].ch);
        didx[base[me[j].ch] + me[j].rank] = nd - 1;
        sel[nd - 1].u = me[j].u;
    }
    /* Quotas in channel order, then the rest in turn by rank. */
    uint32_t ptr[CANDS_N_CHANNELS] = { 0 };
    for (int ch = 0; ch < CANDS_N_CHANNELS; ch++) {
        const struct rlist *l = &c->list[ch];
        uint32_t got = 0;
        if (!(p->enabled & (1u << ch)))
            continue;
        while (ptr[ch] < l->n[k] && got < p->quota[ch] && out < p->k) {
            uint32_t di = didx[base[ch] + ptr[ch]++];
            if (!taken[di]) {
                taken[di] = 1;
                got++;
                out++;
            }
        }
    }
    for (int more = 1; more && out < p->k;) {
        more = 0;
        for (int ch = 0; ch < CANDS_N_CHANNELS && out < p->k; ch++) {
            const struct rlist *l = &c->list[ch];
            if (!(p->enabled & (1u << ch)))
                continue;
            while (ptr[ch] < l->n[k] && taken[didx[base[ch] + ptr[ch]]])
                ptr[ch]++;
            if (ptr[ch] < l->n[k]) {
                taken[didx[base[ch] + ptr[ch]++]] = 1;
                out++;
                more = 1;
            }
        }
    }
    /* Compact the taken users with their bits and tower scores. */
    uint32_t m = 0;
    const float *q = c->tq + k * c->dim;
    for (uint32_t j = 0; j < nd; j++) {
        if (!taken[j])
            continue;
        const float *s = sel[j].u < c->n_tu ? tower_user_vec(c->t, sel[j].u)
                                            : NULL;
        float retr = 0;
        if (s != NULL)
            for (uint32_t a = 0; a < c->dim; a++)
                retr += s[a] * q[a];
        sel[m].u = sel[j].u;
        sel[m].bits = dbits[j];
        sel[m].retr = isnan(retr) ? 0.0f : retr;
        m++;
    }
    sortv(sel, m, sizeof *sel, cmp_sel);
    return m;
}

static int
no_features(const struct catalog *cat, uint32_t i)
{
    return cat->creator[i] == SEG_NONE && cat->tag_off[i + 1] == cat->tag_off[i]
        && cat->dur_ms[i] == 0;
}

int
channels_generate_stats(const struct window *w, const struct tower *t,
                        const struct channels_params *p,
                        const uint32_t *targets, size_t n_targets,
                        const uint8_t *eligible, struct cands **out,
                        struct channels_stats *st, struct diag *d)
{
    struct ctx c;
    struct channels_stats local;
    int rc = 0;

    if (st == NULL)
        st = &local;
    memset(st, 0, sizeof *st);
    *out = NULL;
    for (size_t k = 0; k < n_targets; k++)
        if (targets[k] >= w->cat.n_items)
            return diag_set(d, RC_DATA, "target item %u not in the catalog "
                            "(%u items)", targets[k], w->cat.n_items);
    /* Quotas above k shrink in proportion (remainders to the channels in
     * order), so that every enabled channel keeps its share. */
    struct channels_params pp = *p;
    uint32_t qs = 0;
    for (int ch = 0; ch < CANDS_N_CHANNELS; ch++) {
        if (!(pp.enabled & (1u << ch)))
            pp.quota[ch] = 0;
        qs += pp.quota[ch];
    }
    if (qs > pp.k) {
        uint32_t given = 0;
        for (int ch = 0; ch < CANDS_N_CHANNELS; ch++) {
            pp.quota[ch] = (uint32_t)((uint64_t)p->quota[ch] * pp.k / qs)
                         * ((pp.enabled >> ch) & 1u);
            given += pp.quota[ch];
        }
        for (int ch = 0; ch < CANDS_N_CHANNELS && given < pp.k; ch++)
            if ((pp.enabled & (1u << ch)) && p->quota[ch] > pp.quota[ch]) {
                pp.quota[ch]++;
                given++;
            }
    }
    p = &pp;
    memset(&c, 0, sizeof c);
    c.w = w;
    c.t = t;
    c.p = p;
    c.tp = tower_default_params();
    memcpy(c.tp.fb_weight, p->fb_weight, sizeof c.tp.fb_weight);
    c.tp.neg_weight = 0;
    c.tp.hate_weight = 0;
    c.n_users = iddict_count(w->users);
    c.n_tu = tower_n_users(t) < c.n_users ? tower_n_users(t) : c.n_users;
    c.dim = tower_dim(t);
    c.elig = eligible;
    c.nt = n_targets;
    c.targets = targets;

    st->n_targets = n_targets;
    st->days_loaded = w->n_days - w->n_missing;
    for (size_t k = 0; k < n_targets; k++) {
        uint32_t i = targets[k];
        st->no_features += no_features(&w->cat, i);
        st->no_creator += w->cat.creator[i] == SEG_NONE;
    }

    if (scan_window(&c, d) < 0)
        return -1;
    for (size_t k = 0; k < n_targets; k++)
        st->no_engagers += c.eoff[k + 1] == c.eoff[k];
    c.tq = xmalloc((n_targets * c.dim + 1) * sizeof *c.tq);
    tower_item_vecs(t, &w->cat, targets, n_targets, c.tq);

    /* List lengths: twice the quota (dedupe eats some), and enough for
     * the room the quotas leave under k, never more than k. */
    uint32_t qsum = 0;
    for (int ch = 0; ch < CANDS_N_CHANNELS; ch++)
        if (p->enabled & (1u << ch))
            qsum += p->quota[ch];
    for (int ch = 0; ch < CANDS_N_CHANNELS; ch++) {
        struct rlist *l = &c.list[ch];
        uint32_t q = p->quota[ch];
        uint32_t cap = 2 * q;
        if (p->k > qsum && q + (p->k - qsum) > cap)
            cap = q + (p->k - qsum);
        l->cap = cap < p->k ? cap : p->k;
        if (l->cap == 0)
            l->cap = 1;
        l->u = xmalloc((n_targets * l->cap + 1) * sizeof *l->u);
        l->s = xmalloc((n_targets * l->cap + 1) * sizeof *l->s);
        l->n = xcalloc(n_targets + 1, sizeof *l->n);
    }
    if ((p->enabled & CH_TOWER) && run_tower(&c, d) < 0)
        rc = -1;
    if (rc == 0 && (p->enabled & CH_I2I2U)
        && run_i2i2u(&c, &st->pool_items, d) < 0)
        rc = -1;
    if (rc == 0 && (p->enabled & CH_I2U2U) && run_i2u2u(&c, d) < 0)
        rc = -1;
    if (rc == 0 && (p->enabled & CH_CREATOR))
        run_creator(&c);

    if (rc == 0) {
        size_t sum_cap = 0;
        for (int ch = 0; ch < CANDS_N_CHANNELS; ch++)
            sum_cap += c.list[ch].cap;
        struct sel **rows = xcalloc(n_targets + 1, sizeof *rows);
        uint32_t *cnt = xcalloc(n_targets + 1, sizeof *cnt);
        #pragma omp parallel if(n_targets > 16)
        {
            struct ment *me = xmalloc((sum_cap + 1) * sizeof *me);
            uint32_t *didx = xmalloc((sum_cap + 1) * sizeof *didx);
            uint8_t *dbits = xmalloc(sum_cap + 1);
            uint8_t *taken = xmalloc(sum_cap + 1);
            struct sel *sel = xmalloc((sum_cap + 1) * sizeof *sel);
            #pragma omp for schedule(dynamic, 16)
            for (size_t k = 0; k < n_targets; k++) {
                cnt[k] = merge_one(&c, k, me, didx, dbits, taken, sel);
                rows[k] = xmalloc((cnt[k] + 1) * sizeof **rows);
                memcpy(rows[k], sel, cnt[k] * sizeof *sel);
            }
            free(me);
            free(didx);
            free(dbits);
            free(taken);
            free(sel);
        }
        size_t total = 0;
        for (size_t k = 0; k < n_targets; k++)
            total += cnt[k];
        struct cands *cd = cands_new(n_targets, total);
        for (size_t k = 0; k < n_targets; k++) {
            cd->items[k] = targets[k];
            cd->off[k + 1] = cd->off[k] + cnt[k];
            for (uint32_t j = 0; j < cnt[k]; j++) {
                size_t e = cd->off[k] + j;
                cd->user[e] = rows[k][j].u;
                cd->channels[e] = rows[k][j].bits;
                cd->retr[e] = rows[k][j].retr;
                cd->score[e] = 0.0f;
                for (int a = 0; a < CANDS_N_TASKS; a++)
                    cd->p[e * CANDS_N_TASKS + a] = 0.0f;
                for (int ch = 0; ch < CANDS_N_CHANNELS; ch++)
                    st->kept[ch] += (rows[k][j].bits >> ch) & 1;
            }
            st->empty += cnt[k] == 0;
            for (int ch = 0; ch < CANDS_N_CHANNELS; ch++)
                st->served[ch] += c.list[ch].n[k] > 0;
            free(rows[k]);
        }
        cd->n = total;
        free(rows);
        free(cnt);
        *out = cd;
    }

    for (int ch = 0; ch < CANDS_N_CHANNELS; ch++) {
        free(c.list[ch].u);
        free(c.list[ch].s);
        free(c.list[ch].n);
    }
    free(c.tq);
    tower_data_free(c.rec);
    free(c.xoff);
    free(c.xuser);
    free(c.eoff);
    free(c.euser);
    free(c.ew);
    return rc;
}

int
channels_generate(const struct window *w, const struct tower *t,
                  const struct channels_params *p, const uint32_t *targets,
                  size_t n_targets, const uint8_t *eligible,
                  struct cands **out, struct diag *d)
{
    return channels_generate_stats(w, t, p, targets, n_targets, eligible,
                                   out, NULL, d);
}

int
channels_one(const struct window *w, const struct tower *t,
             const struct channels_params *p, enum cands_channel ch,
             uint32_t L, const uint32_t *targets, size_t n_targets,
             const uint8_t *eligible, struct cands **out, struct diag *d)
{
    struct channels_params q = *p;

    q.enabled = (uint32_t)ch;
    q.k = L;
    for (int j = 0; j < CANDS_N_CHANNELS; j++)
        q.quota[j] = (1u << j) == (uint32_t)ch ? L : 0;
    return channels_generate_stats(w, t, &q, targets, n_targets, eligible,
                                   out, NULL, d);
}
