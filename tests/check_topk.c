/*
 * check_topk.c -- the blocked top-L search against the naive full sort.
 *
 * Vectors hold small integers so every dot product is exact in float: the
 * two implementations must then agree bit for bit, ties included (many
 * ties: values come from a handful of levels).
 */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "check_common.h"
#include "rng.h"
#include "topk.h"
#include "xmem.h"

struct prob {
    size_t n_items;
    uint32_t n_users, dim, L;
    float *items, *users;
    uint8_t *elig;
    size_t *off;
    uint32_t *ex;
};

static void
prob_make(struct prob *p, size_t n_items, uint32_t n_users, uint32_t dim,
          uint32_t L, int levels, int with_mask, int with_excl, uint64_t seed)
{
    struct rng r;

    rng_seed(&r, seed, 1, 0);
    p->n_items = n_items;
    p->n_users = n_users;
    p->dim = dim;
    p->L = L;
    p->items = xmalloc((n_items * dim + 1) * sizeof *p->items);
    p->users = xmalloc(((size_t)n_users * dim + 1) * sizeof *p->users);
    for (size_t i = 0; i < n_items * dim; i++)
        p->items[i] = (float)((int)rng_below(&r, (uint64_t)levels)
                              - levels / 2);
    for (size_t i = 0; i < (size_t)n_users * dim; i++)
        p->users[i] = (float)((int)rng_below(&r, (uint64_t)levels)
                              - levels / 2);
    p->elig = NULL;
    if (with_mask) {
        p->elig = xmalloc(n_users + 1);
        for (uint32_t u = 0; u < n_users; u++)
            p->elig[u] = rng_below(&r, 3) != 0;
    }
    p->off = NULL;
    p->ex = NULL;
    if (with_excl) {
        size_t n = 0;
        p->off = xmalloc((n_items + 1) * sizeof *p->off);
        p->ex = xmalloc((n_items * (size_t)n_users / 4 + 1) * sizeof *p->ex);
        p->off[0] = 0;
        for (size_t k = 0; k < n_items; k++) {
            for (uint32_t u = 0; u < n_users; u++) {
                if (rng_below(&r, 8) == 0) {
                    p->ex[n++] = u;
                    if (rng_below(&r, 4) == 0)   /* duplicates allowed */
                        p->ex[n++] = u;
                }
                if (n + 2 >= n_items * (size_t)n_users / 4)
                    break;
            }
            p->off[k + 1] = n;
        }
    }
}

static void
prob_free(struct prob *p)
{
    free(p->items);
    free(p->users);
    free(p->elig);
    free(p->off);
    free(p->ex);
}

static void
run(const struct prob *p, int naive, uint32_t **u, float **s, uint32_t **n)
{
    struct diag d = DIAG_INIT;
    struct topk_excl ex = { p->off, p->ex };
    size_t cells = p->n_items * p->L;

    *u = xmalloc((cells + 1) * sizeof **u);
    *s = xmalloc((cells + 1) * sizeof **s);
    *n = xmalloc((p->n_items + 1) * sizeof **n);
    int rc = (naive ? topk_users_naive : topk_users)(
        p->items, p->n_items, p->users, p->n_users, p->dim, p->L, p->elig,
        p->off ? &ex : NULL, *u, *s, *n, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
}

static void
compare(const struct prob *p)
{
    uint32_t *u1, *u2, *n1, *n2;
    float *s1, *s2;

    run(p, 0, &u1, &s1, &n1);
    run(p, 1, &u2, &s2, &n2);
    for (size_t k = 0; k < p->n_items; k++)
        ck_assert_uint_eq(n1[k], n2[k]);
    ck_assert(memcmp(u1, u2, p->n_items * p->L * sizeof *u1) == 0);
    ck_assert(memcmp(s1, s2, p->n_items * p->L * sizeof *s1) == 0);
    free(u1); free(u2); free(s1); free(s2); free(n1); free(n2);
}

START_TEST(test_topk_matches_naive_with_ties)
{
    struct prob p;

    /* Several item and user blocks, short rows at both ends. */
    prob_make(&p, TOPK_ITEM_BLOCK + 37, 2 * TOPK_USER_BLOCK + 301, 8, 25,
              3, 0, 0, 11);
    compare(&p);
    prob_free(&p);
}
END_TEST

START_TEST(test_topk_matches_naive_with_mask_and_exclusions)
{
    struct prob p;

    prob_make(&p, 70, TOPK_USER_BLOCK + 999, 5, 40, 4, 1, 1, 12);
    compare(&p);
    prob_free(&p);
    prob_make(&p, 33, 500, 3, 17, 2, 0, 1, 13);   /* very many ties */
    compare(&p);
    prob_free(&p);
}
END_TEST

START_TEST(test_topk_fewer_users_than_L)
{
    struct prob p;
    uint32_t *u, *n;
    float *s;

    prob_make(&p, 5, 30, 4, 50, 5, 1, 1, 14);
    compare(&p);
    run(&p, 0, &u, &s, &n);
    for (size_t k = 0; k < p.n_items; k++) {
        ck_assert_uint_lt(n[k], 50);
        ck_assert_uint_eq(u[k * 50 + n[k]], UINT32_MAX);
        ck_assert(isinf(s[k * 50 + n[k]]) && s[k * 50 + n[k]] < 0);
        for (uint32_t j = 1; j < n[k]; j++)
            ck_assert(s[k * 50 + j - 1] >= s[k * 50 + j]);
    }
    free(u); free(s); free(n);
    prob_free(&p);
}
END_TEST

START_TEST(test_topk_same_bytes_one_and_two_threads)
{
    struct prob p;
    uint32_t *u1, *u2, *n1, *n2;
    float *s1, *s2;
    struct rng r;
    int saved = omp_get_max_threads();

    /* Real-valued vectors this time. */
    prob_make(&p, 3 * TOPK_ITEM_BLOCK + 5, TOPK_USER_BLOCK + 77, 16, 30,
              2, 1, 1, 15);
    rng_seed(&r, 15, 2, 0);
    for (size_t i = 0; i < p.n_items * p.dim; i++)
        p.items[i] = (float)rng_normal(&r);
    for (size_t i = 0; i < (size_t)p.n_users * p.dim; i++)
        p.users[i] = (float)rng_normal(&r);
    omp_set_num_threads(1);
    run(&p, 0, &u1, &s1, &n1);
    omp_set_num_threads(2);
    run(&p, 0, &u2, &s2, &n2);
    omp_set_num_threads(saved);
    ck_assert(memcmp(u1, u2, p.n_items * p.L * sizeof *u1) == 0);
    ck_assert(memcmp(s1, s2, p.n_items * p.L * sizeof *s1) == 0);
    ck_assert(memcmp(n1, n2, p.n_items * sizeof *n1) == 0);
    /* And the real-valued scores agree with the naive ones closely. */
    {
        uint32_t *u3, *n3;
        float *s3;
        run(&p, 1, &u3, &s3, &n3);
        for (size_t i = 0; i < p.n_items * p.L; i++)
            ck_assert_float_eq_tol(s1[i], s3[i], 1e-3);
        free(u3); free(s3); free(n3);
    }
    free(u1); free(u2); free(s1); free(s2); free(n1); free(n2);
    prob_free(&p);
}
END_TEST

START_TEST(test_topk_rejects_unsorted_exclusions)
{
    float items[2] = { 1, 2 }, users[3] = { 1, 2, 3 };
    size_t off[2] = { 0, 2 };
    uint32_t ex[2] = { 2, 1 }, ou[2], on[1];
    struct topk_excl e = { off, ex };
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(topk_users(items, 1, users, 3, 1, 2, NULL, &e, ou, NULL,
                                on, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_str_eq(d.msg, "exclusion row 0: users not sorted at entry 1");
    ex[0] = 7;
    ck_assert_int_eq(topk_users(items, 1, users, 3, 1, 2, NULL, &e, ou, NULL,
                                on, &d), -1);
    ck_assert_str_eq(d.msg, "exclusion row 0: user 7 out of range (3 users)");
}
END_TEST

START_TEST(test_topk_nan_scores_rank_last)
{
    float items[1] = { 1 };
    float users[4] = { NAN, 2, -1, NAN };
    uint32_t ou[4], on[1];
    float os[4];
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(topk_users(items, 1, users, 4, 1, 4, NULL, NULL, ou, os,
                                on, &d), 0);
    ck_assert_uint_eq(on[0], 4);
    ck_assert_uint_eq(ou[0], 1);
    ck_assert_uint_eq(ou[1], 2);
    ck_assert_uint_eq(ou[2], 0);
    ck_assert_uint_eq(ou[3], 3);
}
END_TEST

Suite *
topk_suite(void)
{
    Suite *s = suite_create("topk");
    TCase *tc = tcase_create("search");

    tcase_add_test(tc, test_topk_matches_naive_with_ties);
    tcase_add_test(tc, test_topk_matches_naive_with_mask_and_exclusions);
    tcase_add_test(tc, test_topk_fewer_users_than_L);
    tcase_add_test(tc, test_topk_same_bytes_one_and_two_threads);
    tcase_add_test(tc, test_topk_rejects_unsorted_exclusions);
    tcase_add_test(tc, test_topk_nan_scores_rank_last);
    suite_add_tcase(s, tc);
    return s;
}
