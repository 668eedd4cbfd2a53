/*
 * topk.c -- exact blocked top-L inner-product search (see topk.h).
 *
 * Shape of the work, for n items, m users, dimension d:
 *   for each item block I (TOPK_ITEM_BLOCK rows, in parallel):
 *     for each user block U (TOPK_USER_BLOCK rows, ascending):
 *       S = I . U^T                     (one cblas_sgemm, |I| x |U|)
 *       for each item row r: push S[r][*] into heap[r]
 * Users are visited in ascending order, so once a heap is full a new user
 * can only enter with a score strictly above the heap's worst: an equal
 * score loses the tie to the lower user index already inside.  That makes
 * the full-heap scan a plain "any score > threshold" test, done four lanes
 * at a time where SSE2 exists; hits are rare after the first blocks.
 *
 * An eligibility mask is applied by packing the eligible users' vectors
 * into a contiguous matrix first (order kept, so ties still go to the lower
 * user index), which also saves the products for ineligible users.
 * Exclusions are walked with one cursor per item (rows are sorted).
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

struct hent {
    float s;
    uint32_t u;
};

/* a is worse than b: lower score, or equal score and higher user. */
static inline int
worse(struct hent a, struct hent b)
{
    return a.s < b.s || (a.s == b.s && a.u > b.u);
}

/* Min-heap on "worse": h[0] is the worst entry kept. */
static void
heap_sift_down(struct hent *h, uint32_t n, uint32_t i)
{
    struct hent x = h[i];

    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && worse(h[c + 1], h[c]))
            c++;
        if (!worse(h[c], x))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static void
heap_push(struct hent *h, uint32_t *n, struct hent x)
{
    uint32_t i = (*n)++;

    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!worse(x, h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

static int
cmp_best_first(const void *pa, const void *pb)
{
    const struct hent *a = pa, *b = pb;

    if (a->s != b->s)
        return a->s > b->s ? -1 : 1;
    return a->u < b->u ? -1 : a->u > b->u;
}

/* Index of the first s[i] > thr with i in [i, n), or n. */
static size_t
next_above(const float *s, size_t i, size_t n, float thr)
{
#if defined(__SSE2__)
    __m128 t = _mm_set1_ps(thr);

    while (i < n && (i & 3) != 0) {
        if (s[i] > thr)
            return i;
        i++;
    }
    for (; i + 16 <= n; i += 16) {
        __m128 a = _mm_cmpgt_ps(_mm_loadu_ps(s + i), t);
        __m128 b = _mm_cmpgt_ps(_mm_loadu_ps(s + i + 4), t);
        __m128 c = _mm_cmpgt_ps(_mm_loadu_ps(s + i + 8), t);
        __m128 e = _mm_cmpgt_ps(_mm_loadu_ps(s + i + 12), t);
        if (_mm_movemask_ps(_mm_or_ps(_mm_or_ps(a, b), _mm_or_ps(c, e))))
            break;
    }
#endif
    for (; i < n; i++)
        if (s[i] > thr)
            return i;
    return n;
}

static int
check_excl(const struct topk_excl *excl, size_t n_items, uint32_t n_users,
           struct diag *d)
{
    for (size_t k = 0; k < n_items; k++) {
        for (size_t j = excl->off[k]; j < excl->off[k + 1]; j++) {
            if (excl->users[j] >= n_users)
                return diag_set(d, RC_DATA,
                                "exclusion row %zu: user %u out of range "
                                "(%u users)", k, excl->users[j], n_users);
            if (j > excl->off[k] && excl->users[j] < excl->users[j - 1])
                return diag_set(d, RC_DATA,
                                "exclusion row %zu: users not sorted at "
                                "entry %zu", k, j - excl->off[k]);
        }
    }
    return 0;
}

static void
emit(struct hent *h, uint32_t n, uint32_t L, uint32_t *out_user,
     float *out_score, uint32_t *out_n)
{
    sortv(h, n, sizeof *h, cmp_best_first);
    for (uint32_t j = 0; j < L; j++) {
        out_user[j] = j < n ? h[j].u : UINT32_MAX;
        if (out_score != NULL)
            out_score[j] = j < n ? h[j].s : -INFINITY;
    }
    *out_n = n;
}

/*
 * Per-thread state for one item block: heaps (rows x L), heap sizes and
 * exclusion cursors.  The packed user index space is 0..m-1; map[p] gives
 * the user (identity when map is NULL).  Exclusions are translated through
 * pos[] (user -> packed index or UINT32_MAX) when packing.
 */
struct blockstate {
    struct hent *heap;
    uint32_t *hn;
    size_t *cur;
    float *scores;
};

static void
scan_row(float *row, size_t u0, size_t u1, struct hent *h, uint32_t *hn,
         uint32_t L, const uint32_t *ex, size_t *cur, size_t ex_end,
         const uint32_t *pos)
{
    size_t u = u0;
    size_t e = *cur;

    /* The heap is not full yet: take every user that is not excluded. */
    while (*hn < L && u < u1) {
        uint32_t xu;
        while (e < ex_end
               && ((xu = pos ? pos[ex[e]] : ex[e]) == UINT32_MAX || xu < u))
            e++;
        if (e < ex_end && (pos ? pos[ex[e]] : ex[e]) == u) {
            u++;
            continue;
        }
        struct hent x = { row[u - u0], (uint32_t)u };
        if (isnan(x.s))
            x.s = -INFINITY;
        heap_push(h, hn, x);
        u++;
    }
    if (u < u1) {
        /* Full: mask the excluded users left in this block, then only a
         * strictly higher score than the worst kept can enter. */
        for (size_t f = e; f < ex_end; f++) {
            uint32_t xu = pos ? pos[ex[f]] : ex[f];
            if (xu == UINT32_MAX || xu < u)
                continue;
            if (xu >= u1)
                break;
            row[xu - u0] = -INFINITY;
        }
        size_t n = u1 - u0, i = u - u0;
        float thr = h[0].s;
        while ((i = next_above(row, i, n, thr)) < n) {
            h[0].s = row[i];
            h[0].u = (uint32_t)(u0 + i);
            heap_sift_down(h, L, 0);
            thr = h[0].s;
            i++;
        }
    }
    /* Leave the cursor at the first exclusion at or past u1. */
    while (e < ex_end) {
        uint32_t xu = pos ? pos[ex[e]] : ex[e];
        if (xu != UINT32_MAX && xu >= u1)
            break;
        e++;
    }
    *cur = e;
}

int
topk_users(const float *items, size_t n_items, const float *users,
           uint32_t n_users, uint32_t dim, uint32_t L,
           const uint8_t *eligible, const struct topk_excl *excl,
           uint32_t *out_user, float *out_score, uint32_t *out_n,
           struct diag *d)
{
    const float *mat = users;
    float *packed = NULL;
    uint32_t *map = NULL, *pos = NULL;
    size_t m = n_users;

    if (dim == 0 || L == 0)
        return diag_set(d, RC_USAGE, "top-k search needs dim > 0 and L > 0");
    if (excl != NULL && check_excl(excl, n_items, n_users, d) < 0)
        return -1;
    if (n_items == 0)
        return 0;

    if (eligible != NULL) {
        m = 0;
        for (uint32_t u = 0; u < n_users; u++)
            m += eligible[u] != 0;
        map = xmalloc((m ? m : 1) * sizeof *map);
        pos = xmalloc((n_users ? n_users : 1) * sizeof *pos);
        packed = xmalloc((m ? m : 1) * dim * sizeof *packed);
        m = 0;
        for (uint32_t u = 0; u < n_users; u++) {
            if (eligible[u]) {
                memcpy(packed + m * dim, users + (size_t)u * dim,
                       dim * sizeof *packed);
                pos[u] = (uint32_t)m;
                map[m++] = u;
            } else {
                pos[u] = UINT32_MAX;
            }
        }
        mat = packed;
    }

    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);

    size_t n_blocks = (n_items + TOPK_ITEM_BLOCK - 1) / TOPK_ITEM_BLOCK;
    #pragma omp parallel if(n_blocks > 1)
    {
        struct blockstate bs;
        bs.heap = xmalloc((size_t)TOPK_ITEM_BLOCK * L * sizeof *bs.heap);
        bs.hn = xmalloc(TOPK_ITEM_BLOCK * sizeof *bs.hn);
        bs.cur = xmalloc(TOPK_ITEM_BLOCK * sizeof *bs.cur);
        bs.scores = xmalloc((size_t)TOPK_ITEM_BLOCK * TOPK_USER_BLOCK
                            * sizeof *bs.scores);

        #pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < n_blocks; b++) {
            size_t i0 = b * TOPK_ITEM_BLOCK;
            size_t ni = n_items - i0 < TOPK_ITEM_BLOCK ? n_items - i0
                                                         : TOPK_ITEM_BLOCK;
            for (size_t r = 0; r < ni; r++) {
                bs.hn[r] = 0;
                bs.cur[r] = excl ? excl->off[i0 + r] : 0;
            }
            for (size_t u0 = 0; u0 < m; u0 += TOPK_USER_BLOCK) {
                size_t nu = m - u0 < TOPK_USER_BLOCK ? m - u0
                                                      : TOPK_USER_BLOCK;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                            (int)ni, (int)nu, (int)dim, 1.0f,
                            items + i0 * dim, (int)dim,
                            mat + u0 * dim, (int)dim, 0.0f,
                            bs.scores, (int)nu);
                for (size_t r = 0; r < ni; r++) {
                    const uint32_t *ex = excl ? excl->users : NULL;
                    size_t ex_end = excl ? excl->off[i0 + r + 1] : 0;
                    scan_row(bs.scores + r * nu, u0, u0 + nu,
                             bs.heap + r * L, &bs.hn[r], L, ex, &bs.cur[r],
                             ex_end, pos);
                }
            }
            for (size_t r = 0; r < ni; r++) {
                struct hent *h = bs.heap + r * L;
                if (map != NULL)
                    for (uint32_t j = 0; j < bs.hn[r]; j++)
                        h[j].u = map[h[j].u];
                emit(h, bs.hn[r], L, out_user + (i0 + r) * L,
                     out_score ? out_score + (i0 + r) * L : NULL,
                     &out_n[i0 + r]);
            }
        }
        free(bs.heap);
        free(bs.hn);
        free(bs.cur);
        free(bs.scores);
    }

    openblas_set_num_threads(blas_threads);
    free(packed);
    free(map);
    free(pos);
    return 0;
}

int
topk_users_naive(const float *items, size_t n_items, const float *users,
                 uint32_t n_users, uint32_t dim, uint32_t L,
                 const uint8_t *eligible, const struct topk_excl *excl,
                 uint32_t *out_user, float *out_score, uint32_t *out_n,
                 struct diag *d)
{
    struct hent *all;

    if (dim == 0 || L == 0)
        return diag_set(d, RC_USAGE, "top-k search needs dim > 0 and L > 0");
    if (excl != NULL && check_excl(excl, n_items, n_users, d) < 0)
        return -1;
    all = xmalloc((n_users ? n_users : 1) * sizeof *all);
    for (size_t k = 0; k < n_items; k++) {
        uint32_t n = 0;
        for (uint32_t u = 0; u < n_users; u++) {
            if (eligible != NULL && !eligible[u])
                continue;
            if (excl != NULL) {
                int skip = 0;
                for (size_t j = excl->off[k]; j < excl->off[k + 1]; j++)
                    skip |= excl->users[j] == u;
                if (skip)
                    continue;
            }
            float s = 0.0f;
            for (uint32_t j = 0; j < dim; j++)
                s += items[k * dim + j] * users[(size_t)u * dim + j];
            all[n].s = isnan(s) ? -INFINITY : s;
            all[n].u = u;
            n++;
        }
        sortv(all, n, sizeof *all, cmp_best_first);
        emit(all, n < L ? n : L, L, out_user + k * L,
             out_score ? out_score + k * L : NULL, &out_n[k]);
    }
    free(all);
    return 0;
}
