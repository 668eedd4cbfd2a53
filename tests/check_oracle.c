/*
 * check_oracle.c -- the oracle evaluation (oracle.h): the solver against
 * brute force on tiny instances, and a whole run on a tiny generated world
 * with a hand-written table, users dictionary and manifest.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "check_common.h"
#include "dates.h"
#include "iddict.h"
#include "oracle.h"
#include "outtable.h"
#include "rng.h"
#include "segment.h"
#include "worldgen.h"

/* The best sum over all subsets of the edges meeting L and cap. */
static double
brute_force(uint32_t ni, uint32_t nu, const float *v, const uint16_t *cap,
            uint32_t L)
{
    uint32_t ne = ni * nu;
    double best = 0;

    for (uint32_t mask = 0; mask < (1u << ne); mask++) {
        uint32_t per_u[8] = { 0 }, per_i[8] = { 0 };
        double sum = 0;
        int ok = 1;

        for (uint32_t e = 0; e < ne && ok; e++) {
            if (!(mask >> e & 1))
                continue;
            if (v[e] <= 0 || ++per_i[e / nu] > L || ++per_u[e % nu]
                > cap[e % nu])
                ok = 0;
            sum += v[e];
        }
        if (ok && sum > best)
            best = sum;
    }
    return best;
}

START_TEST(test_oracle_solve_matches_brute_force)
{
    struct rng r;

    rng_seed(&r, 7, 1, 0);
    for (int t = 0; t < 60; t++) {
        uint32_t ni = 1 + (uint32_t)rng_below(&r, 3);
        uint32_t nu = 1 + (uint32_t)rng_below(&r, 4);
        uint32_t L = 1 + (uint32_t)rng_below(&r, 3);
        float v[12];
        uint16_t cap[4];
        uint64_t *pick;
        size_t n;
        int exact;
        double got, want, sum = 0;
        uint32_t per_u[4] = { 0 }, per_i[3] = { 0 };

        for (uint32_t e = 0; e < ni * nu; e++)
            v[e] = rng_uniform(&r) < 0.2 ? 0.0f
                                         : (float)rng_uniform(&r);
        for (uint32_t u = 0; u < nu; u++)
            cap[u] = (uint16_t)rng_below(&r, 3);
        got = oracle_solve(ni, nu, v, cap, L, 1000, &pick, &n, &exact);
        want = brute_force(ni, nu, v, cap, L);
        ck_assert_int_eq(exact, 1);
        for (size_t j = 0; j < n; j++) {
            ck_assert(v[pick[j]] > 0);
            ck_assert_uint_le(++per_i[pick[j] / nu], L);
            ck_assert_uint_le(++per_u[pick[j] % nu], cap[pick[j] % nu]);
            if (j > 0)
                ck_assert(pick[j] > pick[j - 1]);
            sum += v[pick[j]];
        }
        ck_assert_double_eq_tol(got, sum, 1e-9);
        /* eps-optimal: within 1e-4 of the largest value per pair */
        ck_assert(got <= want + 1e-9);
        ck_assert(got >= want - 1e-3 * (double)(n + 1));
        free(pick);
    }
}
END_TEST

/* A tiny world (40 users, ~6 uploads a day, 3 days) and a pipeline-like
 * root: users dictionary u0..u39, empty other dictionaries, a date with
 * a manifest and an item->users table of the given rows. */
#define N_USERS 40

static const char *start = "2026-01-05";

static void
make_world(const char *dir)
{
    struct worldgen_params p = worldgen_default_params();
    struct worldgen_summary sum;
    struct diag d = DIAG_INIT;
    char world[4200];

    p.n_users = N_USERS;
    p.items_per_day = 6;
    p.n_days = 3;
    ck_assert_int_eq(dates_parse_day(start, &p.start_day), 0);
    snprintf(world, sizeof world, "%s/world", dir);
    ck_assert_int_eq(worldgen_generate(&p, world, 0, NULL, NULL, &sum, &d),
                     0);
}

static void
make_dicts(const char *dir)
{
    const char *kinds[] = { "users", "items", "creators", "tags" };
    struct diag d = DIAG_INIT;
    char seg[4200];

    snprintf(seg, sizeof seg, "%s/segments/dict", dir);
    ck_assert_int_eq(mkdir_p(seg, &d), 0);
    snprintf(seg, sizeof seg, "%s/segments", dir);
    for (int k = 0; k < 4; k++) {
        struct iddict *dict = iddict_new();
        char *path = segment_dict_path(seg, kinds[k]);

        for (uint32_t u = 0; k == 0 && u < N_USERS; u++) {
            char id[16];

            snprintf(id, sizeof id, "u%u", u);
            iddict_add(dict, id, strlen(id));
        }
        ck_assert_int_eq(iddict_save(dict, path, &d), 0);
        free(path);
        iddict_free(dict);
    }
}

static void
make_date(const char *dir, const char *day, const char *manifest_day,
          const char *rows)
{
    struct diag d = DIAG_INIT;
    struct outtable *t;
    char path[4200], json[128];

    snprintf(path, sizeof path, "%s/out/dt=%s", dir, day);
    ck_assert_int_eq(mkdir_p(path, &d), 0);
    snprintf(path, sizeof path, "%s/out/dt=%s/manifest.json", dir, day);
    snprintf(json, sizeof json, "{\"params\": {\"date\": \"%s\"}}\n",
             manifest_day);
    test_write_file(path, json, strlen(json));
    snprintf(path, sizeof path, "%s/out/dt=%s/item_users.tsv.zst", dir,
             day);
    ck_assert_int_eq(outtable_open(path, OUTTABLE_ITEM_USERS_HEADER, 0, &t,
                                   &d), 0);
    for (const char *p = rows; *p; ) {
        const char *e = strchr(p, '\n');

        ck_assert_int_eq(outtable_row(t, p, (size_t)(e - p), &d), 0);
        p = e + 1;
    }
    ck_assert_int_eq(outtable_close(t, NULL, &d), 0);
}

static void
set_opts(struct oracle_opts *o, const char *dir, char *world, char *seg,
         char *out, const char *day)
{
    oracle_default_opts(o);
    sprintf(world, "%s/world", dir);
    sprintf(seg, "%s/segments", dir);
    sprintf(out, "%s/out", dir);
    o->world_dir = world;
    o->segroot = seg;
    o->outroot = out;
    o->L = 5;
    o->Q = 2;
    ck_assert_int_eq(dates_parse_day(day, &o->date), 0);
}

/* The value of "key": in a report's JSON. */
static double
json_num(const struct evalrep *r, const char *dir, const char *key)
{
    struct diag d = DIAG_INIT;
    char path[4200], pat[96], *text, *p;
    size_t len;
    double v;

    snprintf(path, sizeof path, "%s/oracle.json", dir);
    ck_assert_int_eq(evalrep_write_json(r, path, &d), 0);
    ck_assert_int_eq(file_read_all(path, &text, &len, &d), 0);
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    p = strstr(text, pat);
    ck_assert_ptr_nonnull(p);
    v = strtod(p + strlen(pat), NULL);
    free(text);
    return v;
}

START_TEST(test_oracle_run_tiny_world)
{
    const char *dir = test_tmpdir();
    struct worldgen_truth *t;
    struct oracle_opts o;
    struct evalrep *r = NULL;
    struct diag d = DIAG_INIT;
    char world[4200], seg[4200], out[4200], rows[512];
    uint32_t first = UINT32_MAX, n_day = 0;
    int32_t day;
    double want = 0, pub, orc;

    make_world(dir);
    make_dicts(dir);
    set_opts(&o, dir, world, seg, out, "2026-01-06");
    day = o.date;
    ck_assert_int_eq(worldgen_truth_load(world, &t, &d), 0);
    for (uint32_t i = 0; i < t->n_items; i++)
        if (dates_day_of(t->item_upload_t[i], 0) == day) {
            if (first == UINT32_MAX)
                first = i;
            n_day++;
        }
    ck_assert_uint_gt(n_day, 1e-9);
    /* three users for the first upload of the day, one row of a warm-up
     * item (not an upload of D: counted, not valued) */
    snprintf(rows, sizeof rows,
             "i%u\t1\tu3\t1\ttower\t0.5\n"
             "i%u\t2\tu7\t1\ttower\t0.5\n"
             "i%u\t3\tu9\t1\ttower\t0.5\n",
             first, first, first);
    if (first > 0) {
        char extra[64];

        /* "i0" sorts before "i<first>" bytewise */
        snprintf(extra, sizeof extra, "i0\t1\tu1\t1\ttower\t0.5\n");
        memmove(rows + strlen(extra), rows, strlen(rows) + 1);
        memcpy(rows, extra, strlen(extra));
    }
    for (int j = 0; j < 3; j++) {
        static const uint32_t users[3] = { 3, 7, 9 };

        want += worldgen_p_active_day(t->world, users[j], day + 1)
                * worldgen_expected_feedback(t->world, users[j], first);
    }
    make_date(dir, "2026-01-06", "2026-01-06", rows);
    ck_assert_int_eq(oracle_run(&o, &r, &d), 0);
    pub = json_num(r, dir, "feedback_published");
    orc = json_num(r, dir, "feedback_oracle");
    ck_assert_double_eq_tol(pub, want / n_day, 1e-5 * want + 1e-9);
    ck_assert(orc > pub);
    ck_assert_double_eq_tol(json_num(r, dir, "uploads"), n_day, 1e-9);
    ck_assert_double_eq_tol(json_num(r, dir, "coverage"), 1.0 / n_day,
                            1e-12);
    ck_assert_double_eq_tol(json_num(r, dir, "oracle_exact"), 1, 1e-9);
    ck_assert_double_eq_tol(json_num(r, dir, "table_other_items"),
                            first > 0 ? 1 : 0, 1e-9);
    evalrep_free(r);
    worldgen_truth_free(t);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_oracle_rejects_foreign_ids_and_dates)
{
    const char *dir = test_tmpdir();
    struct oracle_opts o;
    struct evalrep *r = NULL;
    struct diag d = DIAG_INIT;
    char world[4200], seg[4200], out[4200], want[8600];

    make_world(dir);
    make_dicts(dir);
    set_opts(&o, dir, world, seg, out, "2026-01-06");
    make_date(dir, "2026-01-06", "2026-01-06", "i1\t1\tu999\t1\ttower\t1\n");
    ck_assert_int_eq(oracle_run(&o, &r, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    snprintf(want, sizeof want, "%s/dt=2026-01-06/item_users.tsv.zst:2: "
             "user 'u999' is not a user of the world '%s' (40 users)", out,
             world);
    ck_assert_str_eq(d.msg, want);

    make_date(dir, "2026-01-06", "2026-01-06", "x1\t1\tu1\t1\ttower\t1\n");
    d = (struct diag)DIAG_INIT;
    ck_assert_int_eq(oracle_run(&o, &r, &d), -1);
    snprintf(want, sizeof want, "%s/dt=2026-01-06/item_users.tsv.zst:2: "
             "item 'x1' is not an item of the world '%s'", out, world);
    ck_assert_int_eq(strncmp(d.msg, want, strlen(want)), 0);

    make_date(dir, "2026-01-06", "2026-01-05", "i1\t1\tu1\t1\ttower\t1\n");
    d = (struct diag)DIAG_INIT;
    ck_assert_int_eq(oracle_run(&o, &r, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    snprintf(want, sizeof want, "%s/dt=2026-01-06/manifest.json: date "
             "'2026-01-05', expected '2026-01-06'", out);
    ck_assert_str_eq(d.msg, want);

    make_date(dir, "2026-02-06", "2026-02-06", "i1\t1\tu1\t1\ttower\t1\n");
    set_opts(&o, dir, world, seg, out, "2026-02-06");
    d = (struct diag)DIAG_INIT;
    ck_assert_int_eq(oracle_run(&o, &r, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    snprintf(want, sizeof want, "%s: date 2026-02-06 is outside the "
             "world's days 2026-01-05..2026-01-07", world);
    ck_assert_str_eq(d.msg, want);
    test_rmtree(dir);
}
END_TEST

Suite *
oracle_suite(void)
{
    Suite *s = suite_create("oracle");
    TCase *tc = tcase_create("oracle");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_oracle_solve_matches_brute_force);
    tcase_add_test(tc, test_oracle_run_tiny_world);
    tcase_add_test(tc, test_oracle_rejects_foreign_ids_and_dates);
    suite_add_tcase(s, tc);
    return s;
}
