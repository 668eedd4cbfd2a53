/*
 * topk.h -- exact top-L users by inner product for a batch of item vectors.
 *
 * Retrieval asks, for every target item, which users have the largest
 * inner product u . q with the item's vector q.  The search is exact: the
 * item and user matrices are cut into fixed blocks (TOPK_ITEM_BLOCK items x
 * TOPK_USER_BLOCK users), each pair of blocks is one cblas_sgemm into a
 * scratch block of scores, and every item keeps a bounded heap of its best
 * L users.  Memory is bounded by the block sizes (per thread: one score
 * block and the heaps of one item block), never by users x items.
 *
 * Order: score descending, ties broken by the lower user index, so the
 * result is a function of the scores alone.  The block grid does not depend
 * on the thread count and OpenMP runs over item blocks (each item's heap is
 * touched by one thread), so the bytes are the same for any
 * OMP_NUM_THREADS.  BLAS runs single-threaded inside the OpenMP region.
 *
 * The same search serves any "rows vs. columns" inner-product problem: the
 * channels use it for item -> similar items and user -> similar users too.
 */
#ifndef DUALREC_TOPK_H
#define DUALREC_TOPK_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define TOPK_ITEM_BLOCK 256
#define TOPK_USER_BLOCK 2048

/*
 * Pairs to leave out of the search: row k (the k-th query item, not its
 * catalog index) excludes users[off[k] .. off[k+1]), which must be sorted
 * ascending (duplicates allowed).  Typically the users already exposed to
 * the item.  Borrowed.
 */
struct topk_excl {
    const size_t *off;          /* n_items + 1 */
    const uint32_t *users;
};

/*
 * For each of the n_items query vectors items[k*dim .. +dim), the top L
 * users u < n_users by items[k] . users[u] among users with eligible[u] != 0
 * (eligible NULL: all users), leaving out the pairs in excl (NULL: none).
 *
 * Output (caller-allocated, n_items * L entries each): row k of out_user and
 * out_score holds out_n[k] <= L results sorted by score descending, ties by
 * user ascending; entries past out_n[k] are set to UINT32_MAX / -INFINITY.
 * out_score may be NULL.  Non-finite scores (NaN) are treated as -INFINITY
 * and still ranked by user index.
 *
 * Returns 0, or -1 with RC_DATA when an exclusion row is not sorted or names
 * a user >= n_users, RC_USAGE when dim == 0 or L == 0.
 */
int topk_users(const float *items, size_t n_items, const float *users,
               uint32_t n_users, uint32_t dim, uint32_t L,
               const uint8_t *eligible, const struct topk_excl *excl,
               uint32_t *out_user, float *out_score, uint32_t *out_n,
               struct diag *d);

/*
 * The reference: the same contract computed by scoring every pair with a
 * plain float dot product (summed over dimensions in index order) and a
 * full sort.  For tests and tiny inputs only:
 * O(n_items * n_users * dim) time, O(n_users) memory.  Scores equal
 * topk_users' exactly when every product and partial sum is exactly
 * representable (small integers), which is how the tests compare them.
 */
int topk_users_naive(const float *items, size_t n_items, const float *users,
                     uint32_t n_users, uint32_t dim, uint32_t L,
                     const uint8_t *eligible, const struct topk_excl *excl,
                     uint32_t *out_user, float *out_score, uint32_t *out_n,
                     struct diag *d);

#endif
