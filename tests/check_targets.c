/*
 * check_targets.c -- targets.h: the window rule on a hand-made window, the
 * targets file (comments, header, unknown ids with their line, repeats),
 * the rule against a brute-force reading of its definition on random
 * windows, and the two selections agreeing: the window's targets written
 * as a file read back as the same set; the long-tail budget's formula and
 * its cut (fewest exposures first, ties rotated by day) against a
 * brute-force reading of the definition.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "check_common.h"
#include "dates.h"
#include "rng.h"
#include "targets.h"
#include "xmem.h"

/* A two-day window with five catalog items, built in memory. */
static struct window *
window_fixture(int32_t day)
{
    struct window *w = xcalloc(1, sizeof *w);
    int64_t t0 = dates_day_start(day, 0);
    struct catalog *cat = &w->cat;

    w->last_day = day;
    w->first_day = day - 1;
    w->n_days = 2;
    w->seg = xcalloc(2, sizeof *w->seg);
    for (int k = 0; k < 2; k++) {
        struct segment *s = xcalloc(1, sizeof *s);

        s->day = day - 1 + k;
        s->zone_offset = 0;
        w->seg[k] = s;
    }
    /* item 2: 30 exposures the day before; item 4: 100 on the day */
    w->seg[0]->n_exp = 30;
    w->seg[0]->exp = xcalloc(30, sizeof *w->seg[0]->exp);
    for (int j = 0; j < 30; j++)
        w->seg[0]->exp[j].item = 2;
    w->seg[1]->n_exp = 100;
    w->seg[1]->exp = xcalloc(100, sizeof *w->seg[1]->exp);
    for (int j = 0; j < 100; j++)
        w->seg[1]->exp[j].item = 4;
    cat->n_items = 5;
    cat->creator = xcalloc(5, sizeof *cat->creator);
    cat->upload_t = xcalloc(5, sizeof *cat->upload_t);
    cat->upload_t[0] = t0 + 3600;           /* new on D */
    cat->upload_t[1] = t0 - 3600;           /* D-1, never shown */
    cat->upload_t[2] = t0 - 7200;           /* D-1, 30 exposures */
    cat->upload_t[3] = INT64_MIN;           /* never described */
    cat->creator[3] = SEG_NONE;
    cat->upload_t[4] = t0 + 60;             /* new on D, 100 exposures */
    return w;
}

static void
window_fixture_free(struct window *w)
{
    for (int k = 0; k < 2; k++) {
        free(w->seg[k]->exp);
        free(w->seg[k]);
    }
    free(w->seg);
    free(w->cat.creator);
    free(w->cat.upload_t);
    free(w);
}

START_TEST(test_targets_window_rule)
{
    int32_t day = dates_from_civil(2026, 1, 10);
    struct window *w = window_fixture(day);
    struct targets t;

    ck_assert_int_eq(targets_window(&t, w, day, 20, NULL), 0);
    ck_assert_uint_eq(t.n, 3);
    ck_assert_uint_eq(t.item[0], 0);
    ck_assert_uint_eq(t.item[1], 1);
    ck_assert_uint_eq(t.item[2], 4);
    ck_assert_uint_eq(t.n_new, 2);
    ck_assert_uint_eq(t.n_long_tail, 1);
    targets_release(&t);
    /* long tail off: uploads of the day only */
    ck_assert_int_eq(targets_window(&t, w, day, 0, NULL), 0);
    ck_assert_uint_eq(t.n, 2);
    ck_assert_uint_eq(t.n_long_tail, 0);
    targets_release(&t);
    /* a threshold above item 2's 30 exposures takes it too */
    ck_assert_int_eq(targets_window(&t, w, day, 31, NULL), 0);
    ck_assert_uint_eq(t.n, 4);
    targets_release(&t);
    window_fixture_free(w);
}
END_TEST

START_TEST(test_targets_file_reports_unknown)
{
    const char *dir = test_tmpdir();
    char path[4200];
    struct iddict *items = iddict_new();
    struct targets t;
    struct diag d = DIAG_INIT;
    static const char text[] = "item\n b \n# comment\n\nzzz\na\nb\nc\n";

    iddict_add(items, "a", 1);
    iddict_add(items, "b", 1);
    iddict_add(items, "c", 1);
    snprintf(path, sizeof path, "%s/targets.txt", dir);
    ck_assert_int_eq(atomicfile_write(path, text, sizeof text - 1, &d), 0);
    /* "c" is in the dictionary but past the catalog: unknown too */
    ck_assert_int_eq(targets_file(&t, path, items, 2, &d), 0);
    ck_assert_uint_eq(t.n, 2);
    ck_assert_uint_eq(t.item[0], 0);
    ck_assert_uint_eq(t.item[1], 1);
    ck_assert_uint_eq(t.n_unknown, 2);
    ck_assert_str_eq(strstr(t.unknown_example, "targets.txt"),
                     "targets.txt:5: unknown item 'zzz'");
    targets_release(&t);
    snprintf(path, sizeof path, "%s/missing.txt", dir);
    ck_assert_int_eq(targets_file(&t, path, items, 3, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    iddict_free(items);
    test_rmtree(dir);
}
END_TEST

/* A random window: n_days days, n_items items, random uploads around
 * the last day, random creators and exposures. */
static struct window *
random_window(struct rng *r, int32_t day, int n_days, uint32_t n_items)
{
    struct window *w = xcalloc(1, sizeof *w);
    struct catalog *cat = &w->cat;

    w->last_day = day;
    w->first_day = day - n_days + 1;
    w->n_days = n_days;
    w->seg = xcalloc((size_t)n_days, sizeof *w->seg);
    for (int k = 0; k < n_days; k++) {
        struct segment *s;

        if (k < n_days - 1 && rng_uniform(r) < 0.2)
            continue;                       /* a missing day */
        s = xcalloc(1, sizeof *s);
        s->day = w->first_day + k;
        s->zone_offset = 3600;              /* +01:00 */
        s->n_exp = (size_t)rng_below(r, 300);
        s->exp = xcalloc(s->n_exp + 1, sizeof *s->exp);
        for (size_t j = 0; j < s->n_exp; j++)
            s->exp[j].item = (uint32_t)rng_below(r, n_items);
        w->seg[k] = s;
    }
    cat->n_items = n_items;
    cat->creator = xcalloc(n_items, sizeof *cat->creator);
    cat->upload_t = xcalloc(n_items, sizeof *cat->upload_t);
    for (uint32_t i = 0; i < n_items; i++) {
        cat->upload_t[i] = rng_uniform(r) < 0.3 ? INT64_MIN
            : dates_day_start(day, 0) + (int64_t)rng_below(r, 4 * 86400)
              - 2 * 86400;
        cat->creator[i] = rng_uniform(r) < 0.3 ? SEG_NONE
                                                : (uint32_t)rng_below(r, 9);
    }
    return w;
}

static void
random_window_free(struct window *w)
{
    for (int k = 0; k < w->n_days; k++) {
        if (w->seg[k] != NULL)
            free(w->seg[k]->exp);
        free(w->seg[k]);
    }
    free(w->seg);
    free(w->cat.creator);
    free(w->cat.upload_t);
    free(w);
}

START_TEST(test_targets_window_matches_definition)
{
    struct rng r;
    int32_t day = dates_from_civil(2026, 3, 1);

    for (int trial = 0; trial < 30; trial++) {
        uint32_t n_items = 1 + (uint32_t)trial * 7;
        uint32_t tail = (uint32_t)trial % 5;
        struct window *w;
        struct targets t;
        size_t m = 0, n_new = 0;

        rng_seed(&r, 15, 2, (uint64_t)trial);
        w = random_window(&r, day, 1 + trial % 4, n_items);
        ck_assert_int_eq(targets_window(&t, w, day, tail, NULL), 0);
        for (uint32_t i = 0; i < n_items; i++) {
            size_t nexp = 0;
            int is_new, described, want;

            for (int k = 0; k < w->n_days; k++)
                for (size_t j = 0; w->seg[k] && j < w->seg[k]->n_exp; j++)
                    nexp += w->seg[k]->exp[j].item == i;
            /* upload on D in the zone +01:00 */
            is_new = w->cat.upload_t[i] != INT64_MIN
                     && w->cat.upload_t[i] >= dates_day_start(day, 3600)
                     && w->cat.upload_t[i] < dates_day_start(day + 1, 3600);
            described = w->cat.upload_t[i] != INT64_MIN
                        || w->cat.creator[i] != SEG_NONE;
            want = is_new || (described && nexp < tail);
            n_new += is_new;
            if (want) {
                ck_assert_uint_lt(m, t.n);
                ck_assert_uint_eq(t.item[m], i);
                m++;
            }
        }
        ck_assert_uint_eq(m, t.n);
        ck_assert_uint_eq(t.n_new, n_new);
        ck_assert_uint_eq(t.n_new + t.n_long_tail, t.n);
        targets_release(&t);
        random_window_free(w);
    }
}
END_TEST

START_TEST(test_targets_file_and_window_agree)
{
    const char *dir = test_tmpdir();
    char path[4200];
    int32_t day = dates_from_civil(2026, 3, 1);
    struct iddict *items = iddict_new();
    struct diag d = DIAG_INIT;
    struct rng r;
    struct window *w;
    struct targets tw, tf;
    FILE *fp;

    rng_seed(&r, 15, 3, 0);
    w = random_window(&r, day, 3, 120);
    for (uint32_t i = 0; i < 120; i++) {
        char name[16];

        snprintf(name, sizeof name, "it%u", i);
        iddict_add(items, name, strlen(name));
    }
    ck_assert_int_eq(targets_window(&tw, w, day, 3, NULL), 0);
    ck_assert_uint_gt(tw.n, 0);
    snprintf(path, sizeof path, "%s/targets.txt", dir);
    fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("item\n", fp);
    /* backwards and each twice: the file is read as a set */
    for (size_t k = tw.n; k-- > 0;)
        fprintf(fp, "it%u\n  it%u\n", tw.item[k], tw.item[k]);
    ck_assert_int_eq(fclose(fp), 0);
    ck_assert_int_eq(targets_file(&tf, path, items, 120, &d), 0);
    ck_assert_uint_eq(tf.n, tw.n);
    ck_assert_uint_eq(tf.n_unknown, 0);
    ck_assert(memcmp(tf.item, tw.item, tw.n * sizeof *tw.item) == 0);
    targets_release(&tw);
    targets_release(&tf);
    random_window_free(w);
    iddict_free(items);
    test_rmtree(dir);
}
END_TEST

/* The budget: ceil(over x (supply - L x uploads) / L), never negative. */
START_TEST(test_targets_long_tail_budget_formula)
{
    ck_assert_uint_eq(targets_long_tail_budget(1000, 2, 100, 2.0), 16);
    ck_assert_uint_eq(targets_long_tail_budget(101, 0, 100, 1.0), 2);
    ck_assert_uint_eq(targets_long_tail_budget(100, 0, 100, 1.0), 1);
    ck_assert_uint_eq(targets_long_tail_budget(1000, 0, 100, 0.0), 0);
    /* the uploads' demand takes it all, or more */
    ck_assert_uint_eq(targets_long_tail_budget(1000, 10, 100, 2.0), 0);
    ck_assert_uint_eq(targets_long_tail_budget(1000, 50, 100, 2.0), 0);
    ck_assert_uint_eq(targets_long_tail_budget(1000, 0, 0, 2.0), 0);
}
END_TEST

/* Expected order of the long-tail cut: exposures, then the (item, day)
 * hash, then the item. */
struct want_ent {
    uint32_t nexp;
    uint64_t turn;
    uint32_t item;
};

static int
cmp_want(const void *pa, const void *pb)
{
    const struct want_ent *a = pa, *b = pb;

    if (a->nexp != b->nexp)
        return a->nexp < b->nexp ? -1 : 1;
    if (a->turn != b->turn)
        return a->turn < b->turn ? -1 : 1;
    return a->item < b->item ? -1 : a->item > b->item;
}

static int
has_item(const struct targets *t, uint32_t i)
{
    for (size_t k = 0; k < t->n; k++)
        if (t->item[k] == i)
            return 1;
    return 0;
}

/* The cut against its definition on random windows: every upload kept,
 * exactly `budget` long-tail items, those first in the order above, the
 * set still ascending. */
START_TEST(test_targets_limit_long_tail_matches_definition)
{
    int32_t day = dates_from_civil(2026, 3, 1);
    struct rng r;

    for (int trial = 0; trial < 20; trial++) {
        struct window *w;
        struct targets all, cut;
        struct want_ent *want;
        size_t m = 0, budget;

        rng_seed(&r, 15, 4, (uint64_t)trial);
        w = random_window(&r, day, 1 + trial % 4, 40 + (uint32_t)trial * 9);
        ck_assert_int_eq(targets_window(&all, w, day, 4, NULL), 0);
        ck_assert_int_eq(targets_window(&cut, w, day, 4, NULL), 0);
        budget = all.n_long_tail / 3;
        targets_limit_long_tail(&cut, budget, day);
        ck_assert_uint_eq(cut.n_long_tail, budget);
        ck_assert_uint_eq(cut.n_long_tail_eligible, all.n_long_tail);
        ck_assert_uint_eq(cut.n_new, all.n_new);
        ck_assert_uint_eq(cut.n, all.n_new + budget);
        for (size_t k = 1; k < cut.n; k++)
            ck_assert_uint_lt(cut.item[k - 1], cut.item[k]);
        want = xmalloc((all.n + 1) * sizeof *want);
        for (size_t k = 0; k < all.n; k++) {
            if (!all.long_tail[k]) {
                ck_assert(has_item(&cut, all.item[k]));
                continue;
            }
            want[m].nexp = all.exposures[k];
            want[m].turn = rng_mix64(((uint64_t)all.item[k] << 32)
                                     ^ (uint32_t)day);
            want[m].item = all.item[k];
            m++;
        }
        qsort(want, m, sizeof *want, cmp_want);
        for (size_t j = 0; j < m; j++)
            ck_assert_int_eq(has_item(&cut, want[j].item), j < budget);
        free(want);
        targets_release(&all);
        targets_release(&cut);
        random_window_free(w);
    }
}
END_TEST

/* Within budget (or "all") nothing changes; among items of equal
 * exposure, another night takes others. */
START_TEST(test_targets_limit_long_tail_rotates_by_day)
{
    int32_t day = dates_from_civil(2026, 3, 1);
    struct window w;
    struct targets a, b;
    size_t same = 0;

    /* 60 described items, none exposed, none uploaded on the day */
    memset(&w, 0, sizeof w);
    w.last_day = w.first_day = day;
    w.n_days = 0;
    w.cat.n_items = 60;
    w.cat.upload_t = xcalloc(60, sizeof *w.cat.upload_t);
    w.cat.creator = xcalloc(60, sizeof *w.cat.creator);
    for (uint32_t i = 0; i < 60; i++)
        w.cat.upload_t[i] = dates_day_start(day - 3, 0);
    ck_assert_int_eq(targets_window(&a, &w, day, 20, NULL), 0);
    ck_assert_uint_eq(a.n_long_tail, 60);
    targets_limit_long_tail(&a, TARGETS_BUDGET_ALL, day);
    ck_assert_uint_eq(a.n, 60);
    targets_limit_long_tail(&a, 60, day);
    ck_assert_uint_eq(a.n, 60);
    targets_limit_long_tail(&a, 10, day);
    ck_assert_int_eq(targets_window(&b, &w, day + 1, 20, NULL), 0);
    targets_limit_long_tail(&b, 10, day + 1);
    ck_assert_uint_eq(a.n, 10);
    ck_assert_uint_eq(b.n, 10);
    for (size_t k = 0; k < a.n; k++)
        same += has_item(&b, a.item[k]);
    ck_assert_uint_lt(same, 10);
    targets_release(&a);
    targets_release(&b);
    free(w.cat.upload_t);
    free(w.cat.creator);
}
END_TEST

Suite *
targets_suite(void)
{
    Suite *s = suite_create("targets");
    TCase *tc = tcase_create("select");

    tcase_add_test(tc, test_targets_window_rule);
    tcase_add_test(tc, test_targets_file_reports_unknown);
    tcase_add_test(tc, test_targets_window_matches_definition);
    tcase_add_test(tc, test_targets_file_and_window_agree);
    tcase_add_test(tc, test_targets_long_tail_budget_formula);
    tcase_add_test(tc, test_targets_limit_long_tail_matches_definition);
    tcase_add_test(tc, test_targets_limit_long_tail_rotates_by_day);
    suite_add_tcase(s, tc);
    return s;
}
