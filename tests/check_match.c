/*
 * check_match.c -- the stage's own pieces: target selection by the window
 * rule and from a list (unknown ids reported with their line), and the
 * time-slice mask.  The whole stage runs end to end in
 * tests/cli/dualrec-match_e2e.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "check_common.h"
#include "dates.h"
#include "match.h"
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

START_TEST(test_match_targets_window_rule)
{
    int32_t day = dates_from_civil(2026, 1, 10);
    struct window *w = window_fixture(day);
    size_t n, n_new, n_tail;
    uint32_t *t;

    t = match_targets_window(w, day, 20, &n, &n_new, &n_tail);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(t[0], 0);
    ck_assert_uint_eq(t[1], 1);
    ck_assert_uint_eq(t[2], 4);
    ck_assert_uint_eq(n_new, 2);
    ck_assert_uint_eq(n_tail, 1);
    free(t);
    /* long tail off: uploads of the day only */
    t = match_targets_window(w, day, 0, &n, &n_new, &n_tail);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(n_tail, 0);
    free(t);
    /* a threshold above item 2's 30 exposures takes it too */
    t = match_targets_window(w, day, 31, &n, &n_new, &n_tail);
    ck_assert_uint_eq(n, 4);
    free(t);
    window_fixture_free(w);
}
END_TEST

START_TEST(test_match_targets_file_reports_unknown)
{
    const char *dir = test_tmpdir();
    char path[4200];
    struct iddict *items = iddict_new();
    struct match_report r;
    struct diag d = DIAG_INIT;
    uint32_t *t;
    size_t n;
    static const char text[] = "item\n b \n# comment\n\nzzz\na\nb\nc\n";

    iddict_add(items, "a", 1);
    iddict_add(items, "b", 1);
    iddict_add(items, "c", 1);
    snprintf(path, sizeof path, "%s/targets.txt", dir);
    ck_assert_int_eq(atomicfile_write(path, text, sizeof text - 1, &d), 0);
    memset(&r, 0, sizeof r);
    /* "c" is in the dictionary but past the catalog: unknown too */
    ck_assert_int_eq(match_targets_file(path, items, 2, &t, &n, &r, &d), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(t[0], 0);
    ck_assert_uint_eq(t[1], 1);
    ck_assert_uint_eq(r.n_unknown, 2);
    ck_assert_str_eq(strstr(r.unknown_example, "targets.txt"),
                     "targets.txt:5: unknown item 'zzz'");
    free(t);
    snprintf(path, sizeof path, "%s/missing.txt", dir);
    ck_assert_int_eq(match_targets_file(path, items, 3, &t, &n, &r, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    iddict_free(items);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_match_slice_by_peak_hour)
{
    float hourly[3 * 24] = { 0 };
    uint8_t mask[3];

    hourly[0 * 24 + 2] = 0.5f;
    hourly[1 * 24 + 10] = 0.5f;
    hourly[2 * 24 + 23] = 0.5f;
    hourly[2 * 24 + 22] = 0.5f;             /* tie: the earlier hour, 22 */
    memset(mask, 1, sizeof mask);
    match_slice_mask(hourly, 3, 22, 3, mask);       /* wraps midnight */
    ck_assert(mask[0] && !mask[1] && mask[2]);
    memset(mask, 1, sizeof mask);
    match_slice_mask(hourly, 3, 8, 12, mask);
    ck_assert(!mask[0] && mask[1] && !mask[2]);
    memset(mask, 1, sizeof mask);
    match_slice_mask(hourly, 3, 23, 24, mask);
    ck_assert(!mask[0] && !mask[1] && !mask[2]);
}
END_TEST

Suite *
match_suite(void)
{
    Suite *s = suite_create("match");
    TCase *tc = tcase_create("targets");

    tcase_add_test(tc, test_match_targets_window_rule);
    tcase_add_test(tc, test_match_targets_file_reports_unknown);
    tcase_add_test(tc, test_match_slice_by_peak_hour);
    suite_add_tcase(s, tc);
    return s;
}
