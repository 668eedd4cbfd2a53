/*
 * check_sim.c -- the delivery simulator (sim.h): push lists read back from
 * a published user->items table, exact messages for bad tables, common
 * random numbers across policies (pushes change which items are shown,
 * never who is active), counts that
 * agree with the world's own day statistics, and the same results for 1
 * and 2 threads.
 */
#include <check.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "check_common.h"
#include "evalrep.h"
#include "outtable.h"
#include "sim.h"
#include "worldgen.h"

static struct worldgen *
small_world(void)
{
    struct worldgen_params p = worldgen_default_params();
    struct worldgen *w = NULL;
    struct diag d = DIAG_INIT;

    p.n_users = 300;
    p.items_per_day = 40;
    p.n_days = 3;
    p.warmup_days = 3;
    ck_assert_int_eq(worldgen_new(&p, &w, &d), 0);
    return w;
}

/* Users 0..n_users-1 in the bytewise order of their ids "u<N>". */
static int
id_cmp(const void *a, const void *b)
{
    char x[16], y[16];

    snprintf(x, sizeof x, "u%u", *(const uint32_t *)a);
    snprintf(y, sizeof y, "u%u", *(const uint32_t *)b);
    return strcmp(x, y);
}

/*
 * Write a user->items table pushing, to every user u with u % every == 0,
 * the k newest items (rank 1 = newest).
 */
static void
write_table(const char *path, const struct worldgen *w, uint32_t every,
            uint32_t k)
{
    uint32_t nu = worldgen_params(w)->n_users, ni = worldgen_n_items(w);
    uint32_t *users = malloc(nu * sizeof *users);
    struct outtable *t = NULL;
    struct diag d = DIAG_INIT;
    char row[128];

    for (uint32_t u = 0; u < nu; u++)
        users[u] = u;
    qsort(users, nu, sizeof *users, id_cmp);
    ck_assert_int_eq(outtable_open(path, OUTTABLE_USER_ITEMS_HEADER, 0, &t,
                                   &d), 0);
    for (uint32_t j = 0; j < nu; j++) {
        if (users[j] % every != 0)
            continue;
        for (uint32_t r = 1; r <= k; r++) {
            int n = snprintf(row, sizeof row, "u%u\t%u\ti%u\t%.3f\ttower",
                             users[j], r, ni - r, 1.0 / r);

            ck_assert_int_eq(outtable_row(t, row, (size_t)n, &d), 0);
        }
    }
    ck_assert_int_eq(outtable_close(t, NULL, &d), 0);
    free(users);
}

START_TEST(test_sim_policy_load_reads_rank_order)
{
    const char *dir = test_tmpdir();
    struct worldgen *w = small_world();
    uint32_t ni = worldgen_n_items(w);
    struct sim_policy p;
    struct diag d = DIAG_INIT;
    char path[4200];

    snprintf(path, sizeof path, "%s/user_items.tsv.zst", dir);
    write_table(path, w, 3, 4);
    ck_assert_int_eq(sim_policy_load(path, w, "x", "test", &p, &d), 0);
    ck_assert_int_eq(p.has_push, 1);
    ck_assert_uint_eq(p.n_users, 300);
    ck_assert_uint_eq(p.off[300], 100 * 4);
    /* user 3: items ni-1, ni-2, ... in rank order; user 4: none */
    ck_assert_uint_eq(p.off[4] - p.off[3], 4);
    ck_assert_uint_eq(p.items[p.off[3]], ni - 1);
    ck_assert_uint_eq(p.items[p.off[3] + 3], ni - 4);
    ck_assert_uint_eq(p.off[5] - p.off[4], 0);
    sim_policy_release(&p);
    worldgen_free(w);
    test_rmtree(dir);
}
END_TEST

static void
write_raw(const char *path, const char *text)
{
    struct outtable *t = NULL;
    struct diag d = DIAG_INIT;
    const char *nl = strchr(text, '\n');
    char header[128];

    memcpy(header, text, (size_t)(nl - text));
    header[nl - text] = '\0';
    ck_assert_int_eq(outtable_open(path, header, 0, &t, &d), 0);
    for (const char *p = nl + 1; *p; ) {
        const char *e = strchr(p, '\n');

        ck_assert_int_eq(outtable_row(t, p, (size_t)(e - p), &d), 0);
        p = e + 1;
    }
    ck_assert_int_eq(outtable_close(t, NULL, &d), 0);
}

START_TEST(test_sim_policy_load_bad_tables)
{
    const char *dir = test_tmpdir();
    struct worldgen *w = small_world();
    struct sim_policy p;
    struct diag d = DIAG_INIT;
    char path[4200], want[4400];

    snprintf(path, sizeof path, "%s/t.tsv.zst", dir);
    write_raw(path, "item\trank\tuser\tscore\tchannel\tp_active\n"
                    "i1\t1\tu1\t0.5\ttower\t0.9\n");
    ck_assert_int_eq(sim_policy_load(path, w, "x", "", &p, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    snprintf(want, sizeof want, "%s:1: not a user->items table "
             "(unexpected header)", path);
    ck_assert_str_eq(d.msg, want);

    write_raw(path, OUTTABLE_USER_ITEMS_HEADER "\n"
                    "u1\t1\ti2\t0.5\ttower\n"
                    "u9999\t1\ti2\t0.5\ttower\n");
    ck_assert_int_eq(sim_policy_load(path, w, "x", "", &p, &d), -1);
    snprintf(want, sizeof want, "%s:3: user not in the world 'u9999'", path);
    ck_assert_str_eq(d.msg, want);

    write_raw(path, OUTTABLE_USER_ITEMS_HEADER "\n"
                    "u1\t1\tz2\t0.5\ttower\n");
    ck_assert_int_eq(sim_policy_load(path, w, "x", "", &p, &d), -1);
    snprintf(want, sizeof want, "%s:2: item not in the world 'z2'", path);
    ck_assert_str_eq(d.msg, want);

    write_raw(path, OUTTABLE_USER_ITEMS_HEADER "\n"
                    "u1\tfirst\ti2\t0.5\ttower\n");
    ck_assert_int_eq(sim_policy_load(path, w, "x", "", &p, &d), -1);
    snprintf(want, sizeof want, "%s:2: bad rank 'first'", path);
    ck_assert_str_eq(d.msg, want);

    write_raw(path, OUTTABLE_USER_ITEMS_HEADER "\n"
                    "u1\t1\ti2\n");
    ck_assert_int_eq(sim_policy_load(path, w, "x", "", &p, &d), -1);
    snprintf(want, sizeof want, "%s:2: expected 5 fields, found 3", path);
    ck_assert_str_eq(d.msg, want);

    snprintf(path, sizeof path, "%s/missing.tsv.zst", dir);
    ck_assert_int_eq(sim_policy_load(path, w, "x", "", &p, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    worldgen_free(w);
    test_rmtree(dir);
}
END_TEST

struct count_sink {
    uint64_t pushed, imp;
};

static int
count_events(void *arg, const struct worldgen_event *ev, size_t n,
             struct diag *d)
{
    struct count_sink *c = arg;

    (void)d;
    for (size_t k = 0; k < n; k++) {
        c->imp++;
        c->pushed += (ev[k].fb & WG_PUSHED) != 0;
    }
    return 0;
}

static void
run_policies(struct worldgen *w, const char *dir, struct sim_policy *pol,
             struct sim_result *res)
{
    struct diag d = DIAG_INIT;
    char path[4200];

    snprintf(path, sizeof path, "%s/a.tsv.zst", dir);
    write_table(path, w, 1, 5);
    sim_policy_none(&pol[0], "none", "no pushes");
    ck_assert_int_eq(sim_policy_load(path, w, "all", "every user", &pol[1],
                                     &d), 0);
    snprintf(path, sizeof path, "%s/b.tsv.zst", dir);
    write_table(path, w, 7, 2);
    ck_assert_int_eq(sim_policy_load(path, w, "some", "every 7th user",
                                     &pol[2], &d), 0);
    ck_assert_int_eq(sim_run(w, worldgen_day(w) - 1, pol, 3, res, &d), 0);
}

START_TEST(test_sim_common_random_numbers)
{
    const char *dir = test_tmpdir();
    struct worldgen *w = small_world();
    struct sim_policy pol[3];
    struct sim_result res[3];
    struct count_sink c = { 0, 0 };
    struct worldgen_push push;
    struct worldgen_daystats st;
    struct diag d = DIAG_INIT;

    run_policies(w, dir, pol, res);
    /*
     * who is active: the same for every policy (impression totals may
     * differ a little: watch times of pushed items move later sessions,
     * and a session cut at midnight is shorter)
     */
    for (int k = 1; k < 3; k++) {
        ck_assert_uint_eq(res[k].n_active, res[0].n_active);
        ck_assert_uint_eq(res[k].n_new, res[0].n_new);
        ck_assert_uint_eq(res[k].n_creators, res[0].n_creators);
    }
    ck_assert_uint_eq(res[0].n_pairs, 0);
    ck_assert_uint_eq(res[0].n_pushed_shown, 0);
    ck_assert_uint_eq(res[1].n_pairs, 300 * 5);
    ck_assert_uint_eq(res[1].n_push_users, 300);
    /* every user pushed: the hit rate is the active rate */
    ck_assert_uint_eq(res[1].n_push_active, res[1].n_active);
    ck_assert_uint_gt(res[1].n_pushed_shown, 0);
    ck_assert_uint_le(res[1].n_pushed_shown, res[1].n_pairs);
    ck_assert_uint_le(res[2].n_pushed_shown, res[2].n_pairs);
    ck_assert_uint_eq(res[2].n_push_users, 43);     /* 0, 7, ..., 294 */
    ck_assert_uint_eq(res[1].du_max, 5);
    ck_assert_double_eq_tol(res[1].du_gini, 0, 1e-12);

    /* the counts agree with the world's own sink and day statistics */
    push.n_users = pol[1].n_users;
    push.off = pol[1].off;
    push.items = pol[1].items;
    ck_assert_int_eq(worldgen_sim_day(w, &push, count_events, &c, &st, &d),
                     0);
    ck_assert_uint_eq(c.pushed, res[1].n_pushed_shown);
    ck_assert_uint_eq(st.n_pushed_shown, res[1].n_pushed_shown);
    ck_assert_uint_eq(c.imp, res[1].n_imp);
    ck_assert_uint_eq(st.n_active_users, res[1].n_active);
    worldgen_daystats_release(&st);
    for (int k = 0; k < 3; k++)
        sim_policy_release(&pol[k]);
    worldgen_free(w);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_sim_same_results_for_1_and_2_threads)
{
    const char *dir = test_tmpdir();
    struct worldgen *w = small_world();
    struct sim_policy pol[3];
    struct sim_result r1[3], r2[3];
    int saved = omp_get_max_threads();

    omp_set_num_threads(1);
    run_policies(w, dir, pol, r1);
    for (int k = 0; k < 3; k++)
        sim_policy_release(&pol[k]);
    omp_set_num_threads(2);
    run_policies(w, dir, pol, r2);
    omp_set_num_threads(saved);
    ck_assert_int_eq(memcmp(r1, r2, sizeof r1), 0);
    for (int k = 0; k < 3; k++)
        sim_policy_release(&pol[k]);
    worldgen_free(w);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_sim_report_directions)
{
    struct sim_policy pol[4];
    struct sim_result res[4];
    const char *names[4] = { "none", "no-uac", "paper-uac", "full" };
    const char *dir = test_tmpdir();
    struct evalrep *r = evalrep_new("sim");
    struct diag d = DIAG_INIT;
    char path[4200], *js;
    size_t len;

    memset(res, 0, sizeof res);
    for (int k = 0; k < 4; k++) {
        sim_policy_none(&pol[k], names[k], "");
        res[k].n_new = 100;
        res[k].n_imp = 1000;
    }
    res[1].n_push_users = 200;      /* no-uac: 49% hit rate */
    res[1].n_push_active = 98;
    res[2].n_push_users = 100;      /* paper-uac: 82% */
    res[2].n_push_active = 82;
    res[0].new_reach[0] = 14;
    res[1].new_reach[0] = 42;
    res[2].new_reach[0] = 82;
    sim_report(r, pol, 4, res);
    snprintf(path, sizeof path, "%s/sim.json", dir);
    ck_assert_int_eq(evalrep_write_json(r, path, &d), 0);
    ck_assert_int_eq(file_read_all(path, &js, &len, &d), 0);
    ck_assert_ptr_nonnull(strstr(js, "no-uac -> paper-uac\", \"baseline\": "
                                     "0.48999999999999999, \"policy\": "
                                     "0.81999999999999995, \"change\": "
                                     "0.32999999999999996, \"relative\": "
                                     "0.67346938775510201, \"holds\": 1}"));
    ck_assert_ptr_nonnull(strstr(js, "\"baseline\": 0.41999999999999998, "
                                     "\"policy\": 0.81999999999999995"));
    free(js);
    evalrep_free(r);
    for (int k = 0; k < 4; k++)
        sim_policy_release(&pol[k]);
    test_rmtree(dir);
}
END_TEST

Suite *
sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("sim");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sim_policy_load_reads_rank_order);
    tcase_add_test(tc, test_sim_policy_load_bad_tables);
    tcase_add_test(tc, test_sim_common_random_numbers);
    tcase_add_test(tc, test_sim_same_results_for_1_and_2_threads);
    tcase_add_test(tc, test_sim_report_directions);
    suite_add_tcase(s, tc);
    return s;
}
