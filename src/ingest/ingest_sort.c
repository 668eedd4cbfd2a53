/*
 * ingest_sort.c -- a day's exposures in segment order (see ingest_int.h):
 * by user with a two-pass counting sort on the dense user index, then each
 * user's rows on the rest of the fields, exact duplicates dropped.
 */
#include <assert.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "ingest_int.h"
#include "xmem.h"

/* Insertion sort by seg_exposure_cmp, for a handful of rows. */
static void
insertion_sort_rows(struct seg_exposure *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct seg_exposure x = a[i];
        size_t j;

        for (j = i; j > 0 && seg_exposure_cmp(&a[j - 1], &x) > 0; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

/*
 * Sort one user's rows by seg_exposure_cmp.  The usual handful by
 * insertion; a heavy user's hundreds by a bottom-up merge sort through
 * tmp (room for n rows), its comparison inlined (qsort's call per
 * comparison was most of the sort's time for them).  Rows that compare
 * equal are identical, so the order is the same as any other sort's.
 */
#define SORT_RUN 16

static void
sort_user_rows(struct seg_exposure *a, size_t n, struct seg_exposure *tmp)
{
    struct seg_exposure *src = a, *dst = tmp, *t;
    size_t i, w;

    for (i = 0; i < n; i += SORT_RUN)
        insertion_sort_rows(a + i, n - i < SORT_RUN ? n - i : SORT_RUN);
    for (w = SORT_RUN; w < n; w *= 2) {
        for (i = 0; i < n; i += 2 * w) {
            size_t lo = i, mid = i + w < n ? i + w : n;
            size_t hi = i + 2 * w < n ? i + 2 * w : n, x = lo, y = mid;
            size_t o = lo;

            while (x < mid && y < hi)
                dst[o++] = seg_exposure_cmp(&src[y], &src[x]) < 0
                         ? src[y++] : src[x++];
            while (x < mid)
                dst[o++] = src[x++];
            while (y < hi)
                dst[o++] = src[y++];
        }
        t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* Drop exact duplicates from one user's sorted rows; the count kept. */
static size_t
dedup_user_rows(struct seg_exposure *a, size_t n)
{
    size_t i, o;

    for (i = o = 1; i < n; i++)
        if (seg_exposure_cmp(&a[o - 1], &a[i]) != 0)
            a[o++] = a[i];
    return n < o ? n : o;
}

#define SORT_PART_MIN 16384     /* rows: fewer are counted in one part */

static inline uint32_t
src_user(const struct exp_src *s, size_t i)
{
    if (s->arr != NULL)
        return s->arr[i].user;
    return s->blk[i >> EXP_BLOCK_LOG2][i & (EXP_BLOCK - 1)].user;
}

static inline void
src_row(const struct exp_src *s, size_t i, struct seg_exposure *e)
{
    const struct exp_row *c;

    if (s->arr != NULL) {
        *e = s->arr[i];
        return;
    }
    c = &s->blk[i >> EXP_BLOCK_LOG2][i & (EXP_BLOCK - 1)];
    memset(e, 0, sizeof *e);
    e->t = s->day_lo + (int64_t)(c->t_fb & (((uint32_t)1 << EXP_T_BITS) - 1));
    e->user = c->user;
    e->item = c->item;
    e->play_ms = c->play_ms;
    e->dur_ms = c->dur_ms;
    e->fb = c->t_fb >> EXP_T_BITS;
}

/*
 * A stable counting sort by user, in two passes so that writes stay
 * local (one pass straight to each row's place writes all over hundreds
 * of MB, a cache miss per row):
 *  1. the rows are cut into one part per thread; each part counts its
 *     users; then each part moves its rows into their bucket (a range of
 *     SORT_BUCKET_USERS users), whose place in the output the counts give:
 *     a thousand or so write streams, each advancing in order;
 *  2. each bucket, a few hundred KB, is counting-sorted by user within its
 *     range, and each user's rows sorted and deduplicated, in cache.
 * Rows of a user keep their part order and, within a part, their row
 * order, so the result is the same for any number of parts.
 */
#define SORT_BUCKET_LOG2 10     /* users per bucket: 1024 */

size_t
ingest_sort_src(const struct exp_src *src, size_t n, uint32_t n_users,
                struct seg_exposure *dst)
{
    const unsigned shift = SORT_BUCKET_LOG2;
    size_t n_buckets = ((size_t)n_users >> shift) + 1;
    int nparts = omp_get_max_threads();
    size_t **cnt, **bpos, *start, *kept, dups = 0;
    long b;
    int k;

    if (nparts < 1 || n < SORT_PART_MIN)
        nparts = 1;
    cnt = xmalloc((size_t)nparts * sizeof *cnt);
    bpos = xmalloc((size_t)nparts * sizeof *bpos);
    for (k = 0; k < nparts; k++) {
        cnt[k] = xmalloc_big(((size_t)n_users + 1) * sizeof **cnt);
        memset(cnt[k], 0, ((size_t)n_users + 1) * sizeof **cnt);
        bpos[k] = xcalloc(n_buckets + 1, sizeof **bpos);
    }
    start = xmalloc_big(((size_t)n_users + 1) * sizeof *start);
#pragma omp parallel for schedule(static, 1) num_threads(nparts)
    for (k = 0; k < nparts; k++) {
        size_t lo = n / (size_t)nparts * (size_t)k;
        size_t hi = k == nparts - 1 ? n : n / (size_t)nparts * (size_t)(k + 1);

        for (size_t i = lo; i < hi; i++) {
            assert(src_user(src, i) < n_users);
            cnt[k][src_user(src, i)]++;
        }
    }
    /* start[u]: where user u's rows begin; bpos[k][b]: where part k's
     * first row of bucket b goes (parts in order within a bucket) */
    {
        size_t at = 0;

        for (size_t u = 0; u < n_users; u++) {
            start[u] = at;
            for (k = 0; k < nparts; k++)
                at += cnt[k][u];
        }
        start[n_users] = at;
        at = 0;
        for (size_t bb = 0; bb < n_buckets; bb++) {
            size_t u0 = bb << shift, u1 = (bb + 1) << shift;

            if (u1 > n_users)
                u1 = n_users;
            for (k = 0; k < nparts; k++) {
                bpos[k][bb] = at;
                for (size_t u = u0; u < u1; u++)
                    at += cnt[k][u];
            }
        }
    }
    for (k = 0; k < nparts; k++)
        free(cnt[k]);
    free(cnt);
#pragma omp parallel for schedule(static, 1) num_threads(nparts)
    for (k = 0; k < nparts; k++) {
        size_t lo = n / (size_t)nparts * (size_t)k;
        size_t hi = k == nparts - 1 ? n : n / (size_t)nparts * (size_t)(k + 1);
        size_t *p = bpos[k];

        for (size_t i = lo; i < hi; i++)
            src_row(src, i, &dst[p[src_user(src, i) >> shift]++]);
    }
    for (k = 0; k < nparts; k++)
        free(bpos[k]);
    free(bpos);
    kept = xmalloc_big(((size_t)n_users + 1) * sizeof *kept);
#pragma omp parallel reduction(+ : dups)
    {
        struct seg_exposure *tmp = NULL;
        size_t cap_tmp = 0, off[(size_t)1 << SORT_BUCKET_LOG2];

#pragma omp for schedule(dynamic, 1)
        for (b = 0; b < (long)n_buckets; b++) {
            size_t u0 = (size_t)b << shift, u1 = u0 + ((size_t)1 << shift);
            size_t lo, hi, i, u;

            if (u1 > n_users)
                u1 = n_users;
            if (u0 >= u1)
                continue;
            lo = start[u0];
            hi = start[u1];
            if (hi - lo > cap_tmp)
                tmp = xgrow(tmp, &cap_tmp, hi - lo, sizeof *tmp);
            if (hi > lo)
                memcpy(tmp, dst + lo, (hi - lo) * sizeof *tmp);
            for (u = u0; u < u1; u++)
                off[u - u0] = start[u];
            for (i = 0; i < hi - lo; i++)
                dst[off[tmp[i].user - u0]++] = tmp[i];
            /* tmp is free again: scratch for the heavy users' sort */
            for (u = u0; u < u1; u++) {
                size_t m = start[u + 1] - start[u];

                sort_user_rows(dst + start[u], m, tmp);
                kept[u] = dedup_user_rows(dst + start[u], m);
                dups += m - kept[u];
            }
        }
        free(tmp);
    }
    if (dups > 0) {
        size_t o = 0;

        for (size_t u = 0; u < n_users; u++) {
            memmove(dst + o, dst + start[u], kept[u] * sizeof *dst);
            o += kept[u];
        }
    }
    free(kept);
    free(start);
    return n - dups;
}

size_t
ingest_sort_exposures(struct seg_exposure **exp, size_t n, uint32_t n_users)
{
    struct exp_src src = { NULL, 0, *exp };
    struct seg_exposure *sorted = xmalloc_big((n + 1) * sizeof *sorted);
    size_t m = ingest_sort_src(&src, n, n_users, sorted);

    free(*exp);
    *exp = sorted;
    return m;
}
