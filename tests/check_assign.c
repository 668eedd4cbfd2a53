/*
 * check_assign.c -- the assignment methods against brute force and the
 * exact min-cost-flow optimum, feasibility, the adversarial cases of
 * greedy-in-item-order, and thread-count independence.
 */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "check_common.h"
#include "rng.h"
#include "xmem.h"

/* A random instance: K items with deg distinct users each out of U. */
struct inst {
    struct cands *c;
    uint32_t n_users;
    uint16_t *cap;
    uint8_t *elig;
};

static void
inst_random(struct inst *in, uint64_t seed, size_t K, uint32_t U,
            size_t deg, unsigned max_cap, double p_elig)
{
    struct rng r;
    uint32_t *perm = xmalloc(U * sizeof *perm);

    rng_seed(&r, seed, 6, 0);
    in->n_users = U;
    in->cap = xmalloc(U * sizeof *in->cap);
    in->elig = xmalloc(U);
    for (uint32_t u = 0; u < U; u++) {
        in->cap[u] = (uint16_t)rng_below(&r, max_cap + 1);
        in->elig[u] = rng_uniform(&r) < p_elig;
        perm[u] = u;
    }
    in->c = cands_new(K, K * deg);
    for (size_t k = 0; k < K; k++) {
        size_t base = k * deg;

        in->c->items[k] = (uint32_t)k;
        for (size_t j = 0; j < deg; j++) {
            size_t t = j + rng_below(&r, U - j);
            uint32_t x = perm[j];
            /* skewed users: low indices are popular */
            perm[j] = perm[t];
            perm[t] = x;
            in->c->user[base + j] = perm[j];
            in->c->score[base + j] = (float)(rng_uniform(&r)
                                     + 0.5 / (1.0 + perm[j] % 7));
            in->c->channels[base + j] = CH_TOWER;
        }
        in->c->off[k + 1] = base + deg;
    }
    in->c->n = K * deg;
    free(perm);
}

static void
inst_release(struct inst *in)
{
    cands_free(in->c);
    free(in->cap);
    free(in->elig);
}

static struct assign *
run(const struct inst *in, enum assign_method m, uint32_t L)
{
    struct assign_params p = assign_default_params();
    struct diag d = DIAG_INIT;
    struct assign *a = NULL;

    p.L = L;
    p.method = m;
    ck_assert_int_eq(assign_run(in->c, in->n_users, in->cap, in->elig, &p,
                                &a, &d), 0);
    ck_assert_msg(assign_check(in->c, in->n_users, in->cap, in->elig, &p, a,
                               &d) == 0, "%s: %s", assign_method_name(m),
                  d.msg);
    return a;
}

/* Best objective over all subsets of usable edges (tiny instances). */
static double
brute_force(const struct inst *in, uint32_t L, double shift)
{
    const struct cands *c = in->c;
    size_t n = c->n;
    double best = 0;

    ck_assert_uint_le(n, 16);
    for (uint32_t mask = 0; mask < (1u << n); mask++) {
        uint32_t ucnt[16] = { 0 }, icnt[16] = { 0 };
        double v = 0;
        int ok = 1;

        for (size_t k = 0; k < c->n_items && ok; k++) {
            for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
                uint32_t u = c->user[e];

                if (!(mask & (1u << e)))
                    continue;
                if (!in->elig[u] || ++ucnt[u] > in->cap[u]
                    || ++icnt[k] > L) {
                    ok = 0;
                    break;
                }
                v += c->score[e] + shift;
            }
        }
        if (ok && v > best)
            best = v;
    }
    return best;
}

START_TEST(test_assign_exact_matches_brute_force)
{
    for (uint64_t seed = 1; seed <= 40; seed++) {
        struct inst in;
        struct assign *a;
        double bf;

        inst_random(&in, seed, 4, 5, 3, 2, 0.8);
        a = run(&in, ASSIGN_EXACT, 2);
        bf = brute_force(&in, 2, a->value_shift);
        ck_assert_double_eq_tol(a->objective, bf, 1e-9);
        assign_free(a);
        inst_release(&in);
    }
}
END_TEST

START_TEST(test_assign_auction_near_optimum)
{
    double worst = 0;

    for (uint64_t seed = 1; seed <= 12; seed++) {
        struct inst in;
        struct assign *opt, *auc, *gi, *gg;

        /* seeds 1-6: short of user capacity (reverse auction); 7-12:
         * plenty (forward) */
        if (seed <= 6)
            inst_random(&in, 100 + seed, 40, 80, 15, 3, 0.9);
        else
            inst_random(&in, 100 + seed, 40, 60, 15, 16, 0.9);
        opt = run(&in, ASSIGN_EXACT, 6);
        auc = run(&in, ASSIGN_AUCTION, 6);
        gi = run(&in, ASSIGN_GREEDY_ITEMS, 6);
        gg = run(&in, ASSIGN_GREEDY, 6);
        /* the optimum bounds every feasible assignment */
        ck_assert(auc->objective <= opt->objective + 1e-9);
        ck_assert(gi->objective <= opt->objective + 1e-9);
        ck_assert(gg->objective <= opt->objective + 1e-9);
        /* eps-optimality: eps_rel 1e-3 of the value range per pair */
        ck_assert_msg(auc->objective >= opt->objective * (1 - 2e-3),
                      "seed %u: auction %.6f optimum %.6f", (unsigned)seed,
                      auc->objective, opt->objective);
        ck_assert(auc->converged);
        ck_assert_int_eq(auc->reverse, seed <= 6);
        if (1 - auc->objective / opt->objective > worst)
            worst = 1 - auc->objective / opt->objective;
        /* and at least as good as the paper's item-order greedy */
        ck_assert(auc->objective >= gi->objective - 1e-9);
        assign_free(opt);
        assign_free(auc);
        assign_free(gi);
        assign_free(gg);
        inst_release(&in);
    }
    ck_assert(worst < 2e-3);
}
END_TEST

/* A hand-built instance: users[k][j] / scores[k][j], -1 ends a row. */
static void
inst_manual(struct inst *in, size_t K, uint32_t U, const int users[][4],
            const float scores[][4], uint16_t cap)
{
    size_t n = 0;

    in->n_users = U;
    in->cap = xmalloc(U * sizeof *in->cap);
    in->elig = xmalloc(U);
    for (uint32_t u = 0; u < U; u++) {
        in->cap[u] = cap;
        in->elig[u] = 1;
    }
    in->c = cands_new(K, 16);
    for (size_t k = 0; k < K; k++) {
        in->c->items[k] = (uint32_t)k;
        for (int j = 0; j < 4 && users[k][j] >= 0; j++) {
            in->c->user[n] = (uint32_t)users[k][j];
            in->c->score[n] = scores[k][j];
            in->c->channels[n] = CH_TOWER;
            n++;
        }
        in->c->off[k + 1] = n;
    }
    in->c->n = n;
}

START_TEST(test_assign_beats_greedy_items_on_coverage)
{
    /* item 0 likes u0 best and could use u1; item 1 can only use u0 */
    static const int users[2][4] = { { 0, 1, -1 }, { 0, -1 } };
    static const float scores[2][4] = { { 0.9f, 0.8f }, { 0.85f } };
    struct inst in;
    struct assign *gi, *auc;

    inst_manual(&in, 2, 2, users, scores, 1);
    gi = run(&in, ASSIGN_GREEDY_ITEMS, 1);
    auc = run(&in, ASSIGN_AUCTION, 1);
    ck_assert_uint_eq(gi->n, 1);
    ck_assert_uint_eq(gi->n_empty, 1);
    assign_free(gi);
    gi = run(&in, ASSIGN_GREEDY, 1);    /* score order fails the same way */
    ck_assert_uint_eq(gi->n, 1);
    ck_assert_uint_eq(auc->n, 2);
    ck_assert_uint_eq(auc->n_full, 2);
    ck_assert_uint_eq(in.c->user[auc->edge[0]], 1);
    ck_assert_uint_eq(in.c->user[auc->edge[1]], 0);
    assign_free(gi);
    assign_free(auc);
    inst_release(&in);
}
END_TEST

START_TEST(test_assign_beats_greedy_items_on_score)
{
    /* item 0 takes u0 first; item 1 values u0 far more */
    static const int users[2][4] = { { 0, 1, -1 }, { 0, 1, -1 } };
    static const float scores[2][4] = { { 0.9f, 0.1f }, { 1.0f, 0.0f } };
    struct inst in;
    struct assign *gi, *auc, *opt;

    inst_manual(&in, 2, 2, users, scores, 1);
    gi = run(&in, ASSIGN_GREEDY_ITEMS, 1);
    auc = run(&in, ASSIGN_AUCTION, 1);
    opt = run(&in, ASSIGN_EXACT, 1);
    ck_assert_double_eq_tol(gi->score_sum, 0.9, 1e-6);
    ck_assert_double_eq_tol(auc->score_sum, 1.1, 1e-6);
    ck_assert_double_eq_tol(opt->score_sum, 1.1, 1e-6);
    assign_free(gi);
    assign_free(auc);
    assign_free(opt);
    inst_release(&in);
}
END_TEST

START_TEST(test_assign_min_audience_feeds_every_item)
{
    /* 30 users of capacity 1; items 0-9 score high on all of them, items
     * 10-19 low: one stage gives every user to the high items */
    struct inst in;
    struct assign_params p = assign_default_params();
    struct diag d = DIAG_INIT;
    struct assign *one, *two;

    in.n_users = 30;
    in.cap = xmalloc(30 * sizeof *in.cap);
    in.elig = xmalloc(30);
    in.c = cands_new(20, 600);
    for (uint32_t u = 0; u < 30; u++) {
        in.cap[u] = 1;
        in.elig[u] = 1;
    }
    for (size_t k = 0; k < 20; k++) {
        in.c->items[k] = (uint32_t)k;
        for (uint32_t u = 0; u < 30; u++) {
            size_t e = k * 30 + u;

            in.c->user[e] = u;
            in.c->score[e] = (k < 10 ? 0.9f : 0.1f) + 0.001f * (float)u;
            in.c->channels[e] = CH_TOWER;
        }
        in.c->off[k + 1] = (k + 1) * 30;
    }
    in.c->n = 600;
    p.L = 5;
    for (int m = ASSIGN_AUCTION; m <= ASSIGN_GREEDY; m += 2) {
        p.method = (enum assign_method)m;
        p.min_audience = 0;
        ck_assert_int_eq(assign_run(in.c, 30, in.cap, in.elig, &p, &one, &d),
                         0);
        p.min_audience = 1;
        ck_assert_int_eq(assign_run(in.c, 30, in.cap, in.elig, &p, &two, &d),
                         0);
        ck_assert_int_eq(assign_check(in.c, 30, in.cap, in.elig, &p, two, &d),
                         0);
        ck_assert_uint_eq(one->n, 30);
        ck_assert_uint_ge(one->n_empty, 10);     /* all low items */
        ck_assert_uint_eq(two->n, 30);
        ck_assert_uint_eq(two->n_empty, 0);
        ck_assert(two->objective < one->objective);     /* the floor's price */
        assign_free(one);
        assign_free(two);
    }
    inst_release(&in);
}
END_TEST

START_TEST(test_assign_same_bytes_with_1_and_2_threads)
{
    struct inst in;
    struct assign *a1, *a2;
    int saved = omp_get_max_threads();

    /* big enough that rounds run in parallel (AUCTION_PAR_MIN); both
     * directions */
    for (int regime = 0; regime < 2; regime++) {
        inst_random(&in, 7, 2500, 6000, 100, regime ? 40 : 4, 0.85);
        omp_set_num_threads(1);
        a1 = run(&in, ASSIGN_AUCTION, 12);
        omp_set_num_threads(2);
        a2 = run(&in, ASSIGN_AUCTION, 12);
        omp_set_num_threads(saved);
        ck_assert_int_eq(a1->reverse, !regime);
        ck_assert_uint_eq(a1->n, a2->n);
        ck_assert_uint_eq(a1->rounds, a2->rounds);
        ck_assert(memcmp(a1->off, a2->off,
                         (a1->n_items + 1) * sizeof *a1->off) == 0);
        ck_assert(memcmp(a1->edge, a2->edge, a1->n * sizeof *a1->edge)
                  == 0);
        ck_assert(memcmp(&a1->objective, &a2->objective, sizeof(double))
                  == 0);
        ck_assert_uint_gt(a1->rounds, 1);
        assign_free(a1);
        assign_free(a2);
        inst_release(&in);
    }
}
END_TEST

START_TEST(test_assign_skips_unusable_users)
{
    struct inst in;
    struct assign *a;

    inst_random(&in, 3, 50, 100, 20, 3, 0.5);
    in.c->score[0] = NAN;               /* never usable */
    for (int m = ASSIGN_AUCTION; m <= ASSIGN_EXACT; m++) {
        a = run(&in, (enum assign_method)m, 4);    /* checks eligibility */
        for (uint32_t u = 0; u < in.n_users; u++) {
            if (!in.elig[u] || in.cap[u] == 0)
                ck_assert_uint_eq(a->user_items[u], 0);
        }
        for (size_t j = 0; j < a->n; j++)
            ck_assert_uint_ne(a->edge[j], 0);
        assign_free(a);
    }
    inst_release(&in);
}
END_TEST

START_TEST(test_assign_auction_round_limit_still_feasible)
{
    struct inst in;
    struct assign_params p = assign_default_params();
    struct diag d = DIAG_INIT;
    struct assign *a, *opt;

    inst_random(&in, 11, 200, 300, 30, 2, 1.0);
    p.L = 5;
    p.max_rounds = 2;
    ck_assert_int_eq(assign_run(in.c, in.n_users, in.cap, in.elig, &p, &a,
                                &d), 0);
    ck_assert_int_eq(assign_check(in.c, in.n_users, in.cap, in.elig, &p, a,
                                  &d), 0);
    ck_assert_uint_le(a->rounds, 4);
    opt = run(&in, ASSIGN_EXACT, 5);
    ck_assert(a->objective <= opt->objective + 1e-9);
    assign_free(a);
    assign_free(opt);
    inst_release(&in);
}
END_TEST

START_TEST(test_assign_empty_table)
{
    struct inst in;
    struct assign *a;

    inst_random(&in, 1, 0, 10, 0, 2, 1.0);
    for (int m = ASSIGN_AUCTION; m <= ASSIGN_EXACT; m++) {
        a = run(&in, (enum assign_method)m, 3);
        ck_assert_uint_eq(a->n, 0);
        ck_assert_uint_eq(a->n_items, 0);
        assign_free(a);
    }
    inst_release(&in);
}
END_TEST

START_TEST(test_assign_rejects_user_out_of_range)
{
    struct inst in;
    struct assign_params p = assign_default_params();
    struct diag d = DIAG_INIT;
    struct assign *a = NULL;

    inst_random(&in, 1, 3, 10, 4, 2, 1.0);
    in.c->user[5] = 10;
    ck_assert_int_eq(assign_run(in.c, in.n_users, in.cap, in.elig, &p, &a,
                                &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_str_eq(d.msg, "candidates: entry 5: user index 10 out of "
                     "range (10 users)");
    ck_assert_ptr_null(a);
    p.L = 0;
    in.c->user[5] = 1;
    ck_assert_int_eq(assign_run(in.c, in.n_users, in.cap, in.elig, &p, &a,
                                &d), -1);
    ck_assert_str_eq(d.msg, "assignment: L must be at least 1");
    inst_release(&in);
}
END_TEST

START_TEST(test_assign_method_names)
{
    enum assign_method m;

    for (int i = ASSIGN_AUCTION; i <= ASSIGN_EXACT; i++) {
        ck_assert_int_eq(assign_method_parse(
            assign_method_name((enum assign_method)i), &m), 0);
        ck_assert_int_eq(m, i);
    }
    ck_assert_int_eq(assign_method_parse("hungarian", &m), -1);
}
END_TEST

START_TEST(test_assign_histogram)
{
    struct inst in;
    struct assign *a;
    size_t hist[4], total = 0, elig = 0;

    inst_random(&in, 5, 100, 200, 20, 6, 0.9);
    a = run(&in, ASSIGN_AUCTION, 10);
    assign_user_histogram(a, in.elig, hist, 4);
    for (int j = 0; j < 4; j++)
        total += hist[j];
    for (uint32_t u = 0; u < in.n_users; u++)
        elig += in.elig[u] != 0;
    ck_assert_uint_eq(total, elig);
    assign_free(a);
    inst_release(&in);
}
END_TEST

Suite *
assign_suite(void)
{
    Suite *s = suite_create("assign");
    TCase *tc = tcase_create("optimum");
    TCase *tb = tcase_create("behaviour");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_assign_exact_matches_brute_force);
    tcase_add_test(tc, test_assign_auction_near_optimum);
    tcase_add_test(tc, test_assign_beats_greedy_items_on_coverage);
    tcase_add_test(tc, test_assign_beats_greedy_items_on_score);
    tcase_add_test(tb, test_assign_min_audience_feeds_every_item);
    tcase_add_test(tb, test_assign_same_bytes_with_1_and_2_threads);
    tcase_add_test(tb, test_assign_skips_unusable_users);
    tcase_add_test(tb, test_assign_auction_round_limit_still_feasible);
    tcase_add_test(tb, test_assign_empty_table);
    tcase_add_test(tb, test_assign_rejects_user_out_of_range);
    tcase_add_test(tb, test_assign_method_names);
    tcase_add_test(tb, test_assign_histogram);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tb);
    return s;
}
