/*
 * rank_feat.c -- the ranker's feature context: running statistics of the
 * days seen so far and the features of a (user, item) pair drawn from them.
 *
 * Training walks the window day by day: the samples of day d are built
 * from a context holding days < d, then day d is added (no leakage).
 * Scoring builds the context from every day of the window and scores
 * pairs for the day after.  All statistics are plain counts over the days
 * added; the content and profile vectors are fixed random projections of
 * tags, creator and duration bucket (RANK_PROF_DIM), so that content
 * similarity needs no training of its own.
 *
 * Invariant: after rank_ctx_add_day the context is read-only until the
 * next add; rank_ctx_item/rank_ctx_pair only read, so any number of
 * threads may call them concurrently.  Indices outside the dictionaries
 * (a segment or candidate table newer than the window) are treated as
 * unknown, never read out of bounds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "dates.h"
#include "rank_int.h"
#include "rng.h"
#include "tower.h"
#include "xmem.h"

#define T RANK_N_TASKS
#define P RANK_PROF_DIM

/* ---- per-shard (user, x) maps ---- */

/* One update of a day: user u's pair with x gains inc, and the flag bit
 * (follows) when set. */
struct pdelta {
    uint32_t u, x, inc, flag;
};

/* Growing arrays of a day's updates, one per shard. */
struct pbuf {
    struct pdelta *d;
    size_t n, cap;
};

static void
pbuf_add(struct pbuf *b, uint32_t u, uint32_t x, uint32_t inc, uint32_t flag)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1024;
        b->d = xreallocarray(b->d, b->cap, sizeof *b->d);
    }
    b->d[b->n].u = u;
    b->d[b->n].x = x;
    b->d[b->n].inc = inc;
    b->d[b->n].flag = flag;
    b->n++;
}

static int
cmp_pdelta(const void *pa, const void *pb)
{
    const struct pdelta *a = pa, *b = pb;

    if (a->u != b->u)
        return a->u < b->u ? -1 : 1;
    return a->x < b->x ? -1 : a->x > b->x;
}

static void
pmap_init(struct rank_pmap *m, uint32_t n_users)
{
    m->off = xcalloc((size_t)n_users + 1, sizeof *m->off);
    m->key = NULL;
    m->val = NULL;
    m->n = 0;
}

static void
pmap_release(struct rank_pmap *m)
{
    free(m->off);
    free(m->key);
    free(m->val);
    memset(m, 0, sizeof *m);
}

/*
 * Merge a day's updates b of the shard's users [u0, u0 + nu) into m: per
 * (user, x) the counts add (val += inc << shift) and flag bits OR in.
 * The values are counts and flags, so the order of updates does not
 * matter.
 */
static void
pmap_merge(struct rank_pmap *m, struct pbuf *b, uint32_t u0, uint32_t nu,
           unsigned shift)
{
    uint32_t *off, *key, *val;
    size_t n = 0, j = 0;

    if (b->n == 0)
        return;
    qsort(b->d, b->n, sizeof *b->d, cmp_pdelta);
    off = xmalloc(((size_t)nu + 1) * sizeof *off);
    key = xmalloc((m->n + b->n) * sizeof *key);
    val = xmalloc((m->n + b->n) * sizeof *val);
    for (uint32_t r = 0; r < nu; r++) {
        uint32_t a = m->off[r], ae = m->off[r + 1], u = u0 + r;

        off[r] = (uint32_t)n;
        while (a < ae || (j < b->n && b->d[j].u == u)) {
            if (j < b->n && b->d[j].u == u
                && (a == ae || b->d[j].x <= m->key[a])) {
                uint32_t x = b->d[j].x, v = 0;

                if (a < ae && m->key[a] == x)
                    v = m->val[a++];
                for (; j < b->n && b->d[j].u == u && b->d[j].x == x; j++)
                    v = (v + (b->d[j].inc << shift)) | b->d[j].flag;
                key[n] = x;
                val[n++] = v;
            } else {
                key[n] = m->key[a];
                val[n++] = m->val[a++];
            }
        }
    }
    off[nu] = (uint32_t)n;
    free(m->off);
    free(m->key);
    free(m->val);
    m->off = off;
    m->key = xreallocarray(key, n ? n : 1, sizeof *key);
    m->val = xreallocarray(val, n ? n : 1, sizeof *val);
    m->n = n;
    b->n = 0;
}

/* The value of (u, x), u in the shard starting at u0; NULL when absent. */
static const uint32_t *
pmap_get(const struct rank_pmap *m, uint32_t u0, uint32_t u, uint32_t x)
{
    size_t lo = m->off[u - u0], hi = m->off[u - u0 + 1];

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (m->key[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->off[u - u0 + 1] && m->key[lo] == x ? &m->val[lo] : NULL;
}

/* ---- content vectors ---- */

/* A fixed pseudo-random direction for (kind, id), added with weight wt. */
static void
add_direction(float *v, uint64_t kind, uint64_t id, float wt)
{
    struct rng r;

    rng_seed(&r, RANK_FEAT_SEED, kind, id);
    for (int k = 0; k < P; k++)
        v[k] += wt * (float)rng_normal(&r);
}

static float
norm(const float *v)
{
    double s = 0;

    for (int k = 0; k < P; k++)
        s += (double)v[k] * v[k];
    return (float)sqrt(s);
}

static void
unit_into(float *dst, const float *v)
{
    float n = norm(v);

    for (int k = 0; k < P; k++)
        dst[k] = n > 0 ? v[k] / n : 0.0f;
}

static float
dot(const float *a, const float *b, uint32_t n)
{
    float s = 0;

    for (uint32_t k = 0; k < n; k++)
        s += a[k] * b[k];
    return s;
}

static uint32_t
dur_bucket(uint32_t dur_ms)
{
    uint32_t b = 0, s = dur_ms / 1000;

    if (dur_ms == 0)
        return 0;
    while (s > 0 && b < 15) {
        s >>= 1;
        b++;
    }
    return b + 1;
}

static void
content_vec(const struct rank_context *ctx, uint32_t i, float *out)
{
    float v[P] = { 0 };

    for (uint32_t k = ctx->tag_off[i]; k < ctx->tag_off[i + 1]; k++)
        add_direction(v, 1, ctx->tags[k], 1.0f);
    if (ctx->creator[i] != SEG_NONE)
        add_direction(v, 2, ctx->creator[i], 1.0f);
    if (ctx->dur_ms[i] != 0)
        add_direction(v, 3, dur_bucket(ctx->dur_ms[i]), 0.5f);
    unit_into(out, v);
}

/* ---- context ---- */

struct rank_context *
rank_ctx_new(const struct window *w, uint32_t n_users_min, unsigned flags,
             uint32_t hash_bits)
{
    struct rank_context *ctx = xcalloc(1, sizeof *ctx);
    const struct catalog *cat = &w->cat;
    uint32_t ni = cat->n_items, nt;

    /*
     * The dictionaries say how many ids exist; indices in the segments and
     * catalog are below those counts, but take the larger anyway so that a
     * window assembled by hand (tests, tools) is never read out of bounds.
     */
    ctx->n_users = w->users ? iddict_count(w->users) : 0;
    ctx->n_items = ni;
    ctx->n_creators = w->creators ? iddict_count(w->creators) : 0;
    if (ctx->n_users < n_users_min)
        ctx->n_users = n_users_min;
    /* resident exposures only: a lazy window holds none, and its days'
     * indices are checked against the dictionaries when read */
    for (int k = 0; k < w->n_days; k++) {
        const struct segment *seg = w->seg[k];

        for (size_t e = 0; seg != NULL && e < seg->n_exp; e++)
            if (seg->exp[e].user != SEG_NONE
                && seg->exp[e].user >= ctx->n_users)
                ctx->n_users = seg->exp[e].user + 1;
    }
    for (uint32_t i = 0; i < ni; i++)
        if (cat->creator[i] != SEG_NONE && cat->creator[i] >= ctx->n_creators)
            ctx->n_creators = cat->creator[i] + 1;
    ctx->day = w->first_day;
    ctx->flags = flags;
    ctx->hash_bits = hash_bits;
    for (int k = 0; k < w->n_days; k++)
        if (w->seg[k] != NULL)
            ctx->zone_offset = w->seg[k]->zone_offset;
    ctx->creator = xmalloc((ni ? ni : 1) * sizeof *ctx->creator);
    ctx->upload_t = xmalloc((ni ? ni : 1) * sizeof *ctx->upload_t);
    ctx->dur_ms = xmalloc((ni ? ni : 1) * sizeof *ctx->dur_ms);
    ctx->tag_off = xmalloc((ni + 1) * sizeof *ctx->tag_off);
    ctx->tag_off[0] = 0;
    if (ni > 0) {
        memcpy(ctx->creator, cat->creator, ni * sizeof *ctx->creator);
        memcpy(ctx->upload_t, cat->upload_t, ni * sizeof *ctx->upload_t);
        memcpy(ctx->dur_ms, cat->dur_ms, ni * sizeof *ctx->dur_ms);
        memcpy(ctx->tag_off, cat->tag_off, (ni + 1) * sizeof *ctx->tag_off);
    }
    nt = ctx->tag_off[ni];
    ctx->tags = xmalloc((nt ? nt : 1) * sizeof *ctx->tags);
    if (nt > 0)
        memcpy(ctx->tags, cat->tags, nt * sizeof *ctx->tags);

    ctx->u_cnt = xcalloc((size_t)ctx->n_users * (1 + T) + 1, sizeof(float));
    ctx->i_cnt = xcalloc((size_t)ni * (1 + T) + 1, sizeof(float));
    ctx->c_cnt = xcalloc((size_t)ctx->n_creators * 2 + 1, sizeof(float));
    ctx->shard_users = ctx->n_users / RANK_USER_SHARDS + 1;
    for (int q = 0; q < RANK_USER_SHARDS; q++) {
        pmap_init(&ctx->uc[q], ctx->shard_users);
        pmap_init(&ctx->ut[q], ctx->shard_users);
    }
    ctx->prof = xcalloc((size_t)ctx->n_users * P + 1, sizeof(float));
    ctx->ivec = xcalloc((size_t)ni * P + 1, sizeof(float));
    ctx->eng = xcalloc((size_t)ni * P + 1, sizeof(float));
    ctx->i_neng = xcalloc((size_t)ni + 1, sizeof(float));
    #pragma omp parallel for schedule(dynamic, 1024)
    for (uint32_t i = 0; i < ni; i++)
        content_vec(ctx, i, ctx->ivec + (size_t)i * P);
    return ctx;
}

void
rank_context_free(struct rank_context *ctx)
{
    if (ctx == NULL)
        return;
    free(ctx->creator);
    free(ctx->upload_t);
    free(ctx->dur_ms);
    free(ctx->tag_off);
    free(ctx->tags);
    free(ctx->u_cnt);
    free(ctx->i_cnt);
    free(ctx->c_cnt);
    for (int q = 0; q < RANK_USER_SHARDS; q++) {
        pmap_release(&ctx->uc[q]);
        pmap_release(&ctx->ut[q]);
    }
    free(ctx->prof);
    free(ctx->ivec);
    free(ctx->eng);
    free(ctx->i_neng);
    free(ctx->tow_u);
    free(ctx->tow_i);
    free(ctx->tow_u_ok);
    free(ctx->theta);
    free(ctx);
}

/* The map shard of user u (u < n_users). */
static size_t
shard_of(const struct rank_context *ctx, uint32_t u)
{
    return u / ctx->shard_users;
}

/* Where shard q's users start in a user-sorted array of n rows: the first
 * row whose user is >= q * shard_users (rows is exp or follows). */
static size_t
first_row_of(const struct rank_context *ctx, const struct segment *seg,
             int follows, int q)
{
    uint64_t u0 = (uint64_t)q * ctx->shard_users;
    size_t lo = 0, hi = follows ? seg->n_follows : seg->n_exp;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t u = follows ? seg->follows[mid].user : seg->exp[mid].user;

        if (u < u0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Cut the exposures and follows of seg into the rows of each user shard:
 * shard q is exp[cut[q] .. cut[q + 1]) and follows[fcut[q] ..
 * fcut[q + 1]), users past the dictionary in the last.  Returns the
 * number of ranges: RANK_USER_SHARDS, or 1 (all rows, one thread) for
 * rows not sorted by user, which a hand-built segment may have.
 */
static int
shard_cuts(const struct rank_context *ctx, const struct segment *seg,
           size_t *cut, size_t *fcut)
{
    int sorted = 1;

    for (size_t k = 1; k < seg->n_exp && sorted; k++)
        sorted = seg->exp[k - 1].user <= seg->exp[k].user;
    for (size_t k = 1; k < seg->n_follows && sorted; k++)
        sorted = seg->follows[k - 1].user <= seg->follows[k].user;
    if (!sorted) {
        cut[0] = fcut[0] = 0;
        cut[1] = seg->n_exp;
        fcut[1] = seg->n_follows;
        return 1;
    }
    for (int q = 0; q < RANK_USER_SHARDS; q++) {
        cut[q] = first_row_of(ctx, seg, 0, q);
        fcut[q] = first_row_of(ctx, seg, 1, q);
    }
    cut[RANK_USER_SHARDS] = seg->n_exp;
    fcut[RANK_USER_SHARDS] = seg->n_follows;
    return RANK_USER_SHARDS;
}

/* What counts as an engagement for affinities, profiles and engagers. */
#define ENGAGED (FB_EXPLICIT | FB_LONG_VIEW)

/*
 * The user side of a day, for exposures exp[lo .. hi) and follows
 * flo .. fhi: the global counts (into g: 1 + T, then explicit), the
 * users' counts and the (user, creator) and (user, tag) maps.
 */
static void
add_users(struct rank_context *ctx, const struct segment *seg, size_t lo,
          size_t hi, size_t flo, size_t fhi, double *g, struct pbuf *bc,
          struct pbuf *bt)
{
    uint8_t y[T];

    for (size_t k = lo; k < hi; k++) {
        const struct seg_exposure *e = &seg->exp[k];
        uint32_t u = e->user, i = e->item, c = SEG_NONE;
        int uok = u < ctx->n_users, iok = i < ctx->n_items;
        size_t q;

        rank_labels(e->fb, y);
        g[0] += 1;
        for (int t = 0; t < T; t++)
            g[1 + t] += y[t];
        g[1 + T] += (e->fb & FB_EXPLICIT) != 0;
        if (!uok)
            continue;
        {
            float *uc = ctx->u_cnt + (size_t)u * (1 + T);

            uc[0] += 1;
            for (int t = 0; t < T; t++)
                uc[1 + t] += y[t];
        }
        if (!iok || !(e->fb & (ENGAGED | FB_FOLLOW)))
            continue;
        q = shard_of(ctx, u);
        c = ctx->creator[i];
        if (c != SEG_NONE)
            pbuf_add(&bc[q], u, c, (e->fb & ENGAGED) != 0,
                     (e->fb & FB_FOLLOW) != 0);
        if (!(e->fb & ENGAGED))
            continue;
        for (uint32_t j = ctx->tag_off[i]; j < ctx->tag_off[i + 1]; j++)
            pbuf_add(&bt[q], u, ctx->tags[j], 1, 0);
    }
    for (size_t k = flo; k < fhi; k++) {
        const struct seg_follow *f = &seg->follows[k];

        if (f->user < ctx->n_users && f->creator < ctx->n_creators)
            pbuf_add(&bc[shard_of(ctx, f->user)], f->user, f->creator, 0, 1);
    }
}

/*
 * The item side of a day for items [i0, i1) and creators [c0, c1): the
 * items' and creators' counts and the items' engager vectors, from the
 * engagers' profiles as they stood before the day.  Every exposure is
 * read, those of other items skipped, so each item's sums run in the
 * day's exposure order whatever the ranges.
 */
static void
add_items(struct rank_context *ctx, const struct segment *seg, uint32_t i0,
          uint32_t i1, uint32_t c0, uint32_t c1)
{
    uint8_t y[T];

    for (size_t k = 0; k < seg->n_exp; k++) {
        const struct seg_exposure *e = &seg->exp[k];
        uint32_t u = e->user, i = e->item, c;

        if (i >= ctx->n_items)
            continue;
        c = ctx->creator[i];
        if (c != SEG_NONE && c >= c0 && c < c1) {
            ctx->c_cnt[2 * (size_t)c] += 1;
            ctx->c_cnt[2 * (size_t)c + 1] += (e->fb & FB_EXPLICIT) != 0;
        }
        if (i < i0 || i >= i1)
            continue;
        rank_labels(e->fb, y);
        {
            float *ic = ctx->i_cnt + (size_t)i * (1 + T);

            ic[0] += 1;
            for (int t = 0; t < T; t++)
                ic[1 + t] += y[t];
        }
        if (u >= ctx->n_users || !(e->fb & ENGAGED))
            continue;
        {
            float pu[P];

            unit_into(pu, ctx->prof + (size_t)u * P);
            for (int q = 0; q < P; q++)
                ctx->eng[(size_t)i * P + q] += pu[q];
            ctx->i_neng[i] += 1;
        }
    }
}

/* The profiles of the users of exp[lo .. hi) take in the day's engaged
 * content (after add_items has read them). */
static void
add_profiles(struct rank_context *ctx, const struct segment *seg, size_t lo,
             size_t hi)
{
    for (size_t k = lo; k < hi; k++) {
        const struct seg_exposure *e = &seg->exp[k];

        if (e->user >= ctx->n_users || e->item >= ctx->n_items
            || !(e->fb & ENGAGED))
            continue;
        for (int q = 0; q < P; q++)
            ctx->prof[(size_t)e->user * P + q]
                += ctx->ivec[(size_t)e->item * P + q];
    }
}

/*
 * Every statistic is a sum over the day's exposures.  The counts add 0 or
 * 1 (exact in float up to 2^24, in double beyond any log), so their order
 * does not matter; the float vector sums (engagers per item, profiles per
 * user) are order-sensitive, so each key's sum is made by one thread in
 * exposure order.  The user side runs over RANK_USER_SHARDS fixed ranges
 * of users (the exposures are sorted by user, so a range is a run of
 * rows, and each range has its own maps); the item side gives each
 * thread a range of items and of creators, each thread reading every
 * exposure.  The result is the same for any thread count.
 */
void
rank_ctx_add_day(struct rank_context *ctx, const struct segment *seg)
{
    size_t cut[RANK_USER_SHARDS + 1], fcut[RANK_USER_SHARDS + 1];
    double g[RANK_USER_SHARDS][2 + T];
    struct pbuf bc[RANK_USER_SHARDS], bt[RANK_USER_SHARDS];
    int ns = shard_cuts(ctx, seg, cut, fcut);

    memset(g, 0, sizeof g);
    memset(bc, 0, sizeof bc);
    memset(bt, 0, sizeof bt);
    #pragma omp parallel
    {
        uint64_t nt = (uint64_t)omp_get_num_threads();
        uint64_t th = (uint64_t)omp_get_thread_num();

        add_items(ctx, seg, (uint32_t)(th * ctx->n_items / nt),
                  (uint32_t)((th + 1) * ctx->n_items / nt),
                  (uint32_t)(th * ctx->n_creators / nt),
                  (uint32_t)((th + 1) * ctx->n_creators / nt));
        #pragma omp for schedule(dynamic, 1)
        for (int q = 0; q < ns; q++)
            add_users(ctx, seg, cut[q], cut[q + 1], fcut[q], fcut[q + 1],
                      g[q], bc, bt);
        /* the barrier above: add_items has read every profile, and every
         * update of the maps is in its shard's buffer */
        #pragma omp for schedule(dynamic, 1)
        for (int q = 0; q < RANK_USER_SHARDS; q++) {
            uint32_t u0 = (uint32_t)q * ctx->shard_users;

            if (q < ns)
                add_profiles(ctx, seg, cut[q], cut[q + 1]);
            pmap_merge(&ctx->uc[q], &bc[q], u0, ctx->shard_users, 1);
            pmap_merge(&ctx->ut[q], &bt[q], u0, ctx->shard_users, 0);
        }
    }
    for (int q = 0; q < RANK_USER_SHARDS; q++) {
        free(bc[q].d);
        free(bt[q].d);
    }
    for (int q = 0; q < ns; q++) {
        for (int t = 0; t < 1 + T; t++)
            ctx->g_cnt[t] += g[q][t];
        ctx->g_expl += g[q][1 + T];
    }
    ctx->zone_offset = seg->zone_offset;
    ctx->day = seg->day + 1;
    ctx->n_days_added++;
}

int
rank_ctx_tower(struct rank_context *ctx, const struct window *w,
               const struct tower *t, struct diag *d)
{
    uint32_t dim, *items;
    size_t chunk = 4096;

    if (!(ctx->flags & RANK_TOWER))
        return 0;           /* the model does not use the feature */
    if (t == NULL)
        return diag_set(d, RC_USAGE, "the ranking model was trained with "
                        "the two-tower feature: a tower model is needed");
    dim = tower_dim(t);
    ctx->tdim = dim;
    ctx->tow_u = xcalloc((size_t)ctx->n_users * dim + 1, sizeof(float));
    ctx->tow_u_ok = xcalloc((size_t)ctx->n_users + 1, 1);
    ctx->tow_i = xcalloc((size_t)ctx->n_items * dim + 1, sizeof(float));
    for (uint32_t u = 0; u < ctx->n_users; u++) {
        const float *v = tower_user_vec(t, u);

        if (v != NULL) {
            memcpy(ctx->tow_u + (size_t)u * dim, v, dim * sizeof(float));
            ctx->tow_u_ok[u] = 1;
        }
    }
    items = xmalloc(chunk * sizeof *items);
    for (size_t lo = 0; lo < ctx->n_items; lo += chunk) {
        size_t n = ctx->n_items - lo < chunk ? ctx->n_items - lo : chunk;

        for (size_t k = 0; k < n; k++)
            items[k] = (uint32_t)(lo + k);
        tower_item_vecs(t, &w->cat, items, n, ctx->tow_i + lo * dim);
    }
    free(items);
    return 0;
}

/* ---- features ---- */

static float
rate(const float *cnt, int t, const double *g)
{
    double prior = g[0] > 0 ? g[1 + t] / g[0] : 0;

    return (float)((cnt[1 + t] + RANK_RATE_PRIOR * prior)
                   / (cnt[0] + RANK_RATE_PRIOR));
}

void
rank_ctx_item(const struct rank_context *ctx, uint32_t item,
              struct rank_item_feat *it)
{
    static const float zero[1 + T];
    const float *ic = zero;

    memset(it, 0, sizeof *it);
    it->item = item < ctx->n_items ? item : UINT32_MAX;
    it->creator = SEG_NONE;
    if (it->item != UINT32_MAX) {
        uint32_t i = item;

        ic = ctx->i_cnt + (size_t)i * (1 + T);
        it->creator = ctx->creator[i];
        it->tags = ctx->tags + ctx->tag_off[i];
        it->n_tags = ctx->tag_off[i + 1] - ctx->tag_off[i];
        if (it->n_tags > RANK_MAX_TAGS)
            it->n_tags = RANK_MAX_TAGS;
        if (ctx->upload_t[i] != INT64_MIN) {
            int32_t up = dates_day_of(ctx->upload_t[i], ctx->zone_offset);
            int32_t age = ctx->day - up;

            it->f[RD_I_AGE] = log1pf((float)(age > 0 ? age : 0));
        }
        if (ctx->dur_ms[i] != 0)
            it->f[RD_DUR] = log1pf((float)ctx->dur_ms[i] / 1000.0f);
        memcpy(it->cvec, ctx->ivec + (size_t)i * P, sizeof it->cvec);
        unit_into(it->evec, ctx->eng + (size_t)i * P);
        if (ctx->flags & RANK_EXTRA)
            it->f[RD_I_NENG] = log1pf(ctx->i_neng[i]);
        if (ctx->tow_i != NULL)
            it->tvec = ctx->tow_i + (size_t)i * ctx->tdim;
    }
    it->drop_id = ic[0] == 0;
    it->f[RD_I_NEXP] = log1pf(ic[0]);
    for (int t = 0; t < T; t++)
        it->f[RD_I_RATE + t] = rate(ic, t, ctx->g_cnt);
    it->f[RD_I_NEW] = ic[0] == 0;
    if (it->creator != SEG_NONE) {
        const float *cc = ctx->c_cnt + 2 * (size_t)it->creator;
        double prior = ctx->g_cnt[0] > 0 ? ctx->g_expl / ctx->g_cnt[0] : 0;

        it->f[RD_C_NEXP] = log1pf(cc[0]);
        it->f[RD_C_EXPL] = (float)((cc[1] + RANK_RATE_PRIOR * prior)
                                   / (cc[0] + RANK_RATE_PRIOR));
    } else {
        it->f[RD_C_EXPL] = ctx->g_cnt[0] > 0
                         ? (float)(ctx->g_expl / ctx->g_cnt[0]) : 0;
    }
}

enum bucket_kind { BK_LOG, BK_RATE, BK_SIM, BK_FLAG, BK_SCORE };

static const uint8_t bucket_kind[RANK_N_DENSE] = {
    [RD_U_NEXP] = BK_LOG,
    [RD_U_RATE] = BK_RATE, BK_RATE, BK_RATE, BK_RATE, BK_RATE,
    [RD_I_NEXP] = BK_LOG,
    [RD_I_RATE] = BK_RATE, BK_RATE, BK_RATE, BK_RATE, BK_RATE,
    [RD_I_AGE] = BK_LOG,
    [RD_I_NEW] = BK_FLAG,
    [RD_C_NEXP] = BK_LOG,
    [RD_C_EXPL] = BK_RATE,
    [RD_UC_POS] = BK_LOG,
    [RD_UC_FOLLOW] = BK_FLAG,
    [RD_UT_AFF] = BK_LOG,
    [RD_DUR] = BK_LOG,
    [RD_CONTENT_SIM] = BK_SIM,
    [RD_ENGAGER_SIM] = BK_SIM,
    [RD_I_NENG] = BK_LOG,
    [RD_TOWER] = BK_SCORE,
    [RD_HAS_TOWER] = BK_FLAG,
};

static int
bucket_of(int kind, float v)
{
    float b;

    switch (kind) {
    case BK_LOG:   b = v * 2.0f; break;
    case BK_RATE:  b = sqrtf(v > 0 ? v : 0) * 20.0f; break;
    case BK_SIM:   b = (v + 1.0f) * 8.0f; break;
    case BK_FLAG:  b = v; break;
    default:       b = v * 2.0f + 8.0f; break;
    }
    if (!(b > 0))
        return 0;
    return b >= 15.0f ? 15 : (int)b;
}

enum row_field { FLD_USER = 1, FLD_ITEM, FLD_CREATOR, FLD_TAG,
                 FLD_BUCKET = 16 };

static uint32_t
row_of(const struct rank_context *ctx, uint32_t field, uint32_t value)
{
    return (uint32_t)(rng_mix64((uint64_t)field << 32 | value)
                      >> (64 - ctx->hash_bits));
}

static int
is_extra(int k)
{
    return k == RD_CONTENT_SIM || k == RD_ENGAGER_SIM || k == RD_I_NENG;
}

void
rank_ctx_pair(const struct rank_context *ctx, uint32_t user,
              const struct rank_item_feat *it, struct rank_feat *x)
{
    static const float zero[1 + T];
    const float *uc = zero;
    int uok = user < ctx->n_users;
    uint32_t n = 0;

    memcpy(x->f, it->f, sizeof x->f);
    if (uok)
        uc = ctx->u_cnt + (size_t)user * (1 + T);
    x->f[RD_U_NEXP] = log1pf(uc[0]);
    for (int t = 0; t < T; t++)
        x->f[RD_U_RATE + t] = rate(uc, t, ctx->g_cnt);
    if (uok && it->creator != SEG_NONE) {
        size_t q = shard_of(ctx, user);
        const uint32_t *v = pmap_get(&ctx->uc[q],
                                     (uint32_t)q * ctx->shard_users, user,
                                     it->creator);

        /* a count below 2^24, exact in float as the sum of ones it is */
        if (v != NULL) {
            x->f[RD_UC_POS] = log1pf((float)(*v >> 1));
            x->f[RD_UC_FOLLOW] = (float)(*v & 1);
        }
    }
    if (uok && it->n_tags > 0) {
        float s = 0;

        for (uint32_t k = 0; k < it->n_tags; k++) {
            size_t q = shard_of(ctx, user);
            const uint32_t *v = pmap_get(&ctx->ut[q],
                                         (uint32_t)q * ctx->shard_users,
                                         user, it->tags[k]);

            if (v != NULL)
                s += (float)*v;
        }
        x->f[RD_UT_AFF] = log1pf(s / (float)it->n_tags);
    }
    if (uok && (ctx->flags & RANK_EXTRA)) {
        float pu[P];

        unit_into(pu, ctx->prof + (size_t)user * P);
        x->f[RD_CONTENT_SIM] = dot(pu, it->cvec, P);
        x->f[RD_ENGAGER_SIM] = dot(pu, it->evec, P);
    }
    if (uok && it->tvec != NULL && ctx->tow_u_ok[user]) {
        x->f[RD_TOWER] = dot(ctx->tow_u + (size_t)user * ctx->tdim, it->tvec,
                             ctx->tdim);
        x->f[RD_HAS_TOWER] = 1;
    }
    for (int k = 0; k < RANK_N_DENSE; k++)
        if (!isfinite(x->f[k]))
            x->f[k] = 0;

    x->item_slot = -1;
    x->drop_item = it->drop_id;
    if (uok) {
        x->row[n] = row_of(ctx, FLD_USER, user);
        x->x[n++] = 1;
    }
    if (it->item != UINT32_MAX) {
        x->item_slot = (int)n;
        x->row[n] = row_of(ctx, FLD_ITEM, it->item);
        x->x[n++] = 1;
    }
    if (it->creator != SEG_NONE) {
        x->row[n] = row_of(ctx, FLD_CREATOR, it->creator);
        x->x[n++] = 1;
    }
    for (uint32_t k = 0; k < it->n_tags; k++) {
        x->row[n] = row_of(ctx, FLD_TAG, it->tags[k]);
        x->x[n++] = 1.0f / sqrtf((float)it->n_tags);
    }
    for (int k = 0; k < RANK_N_DENSE; k++) {
        if (is_extra(k) && !(ctx->flags & RANK_EXTRA))
            continue;
        x->row[n] = row_of(ctx, FLD_BUCKET + (uint32_t)k,
                           (uint32_t)bucket_of(bucket_kind[k], x->f[k]));
        x->x[n++] = 1;
    }
    x->n_rows = n;
}
