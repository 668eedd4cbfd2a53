/*
 * check_replay.c -- replay evaluation (replay.h) on a hand-built run root
 * whose every number is worked out below: 10 users, 6 items, a published
 * item->users table of 8 pairs, day D+1 with known activity and feedback,
 * and an availability table.  Also the errors for an unpublished date and
 * a missing next day.
 *
 * The world of the fixture:
 *   users u0..u9; active on D+1: u0..u5 (u3 only through an interaction)
 *   items i0..i2 uploaded on D-5, i3..i5 uploaded on D (new)
 *   tables (L = 3, 4 targets): i2 -> u0 u6; i3 -> u1 u2 u7; i4 -> u1 u8 u9
 *   D+1 feedback on targets: u1 likes i3, u3 comments on i3 (interaction
 *   row), u5 shares i4 (explicit); u2 clicks i4, u0 long-views i2 (any)
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "avail.h"
#include "check_common.h"
#include "dates.h"
#include "evalrep.h"
#include "iddict.h"
#include "outtable.h"
#include "replay.h"
#include "segment.h"
#include "xmem.h"

#define FIX_D 20000             /* the run date D */

static void
save_dict(const char *root, const char *kind, char prefix, int n)
{
    struct iddict *dict = iddict_new();
    struct diag d = DIAG_INIT;
    char id[16], *path = segment_dict_path(root, kind);

    for (int i = 0; i < n; i++) {
        int len = snprintf(id, sizeof id, "%c%d", prefix, i);

        iddict_add(dict, id, (size_t)len);
    }
    ck_assert_int_eq(iddict_save(dict, path, &d), 0);
    iddict_free(dict);
    free(path);
}

static void
add_exp(struct segment *s, uint32_t user, uint32_t item, uint32_t fb,
        int64_t t)
{
    struct seg_exposure *e = &s->exp[s->n_exp++];

    memset(e, 0, sizeof *e);
    e->t = t;
    e->user = user;
    e->item = item;
    e->fb = fb;
}

/* Free the arrays of a stack segment (segment_sort may have replaced
 * them, e.g. the repacked tags). */
static void
release_arrays(struct segment *s)
{
    free(s->exp);
    free(s->inter);
    free(s->items);
    free(s->tags);
    free(s->follows);
    free(s->users);
}

static void
save_segment(const char *root, struct segment *s)
{
    struct diag d = DIAG_INIT;
    char *path = segment_path(root, s->day), *dir = xstrdup(path);

    *strrchr(dir, '/') = '\0';
    ck_assert_int_eq(mkdir_p(dir, &d), 0);
    segment_sort(s, NULL);
    ck_assert_int_eq(segment_save(s, path, &d), 0);
    free(path);
    free(dir);
}

static void
build_segments(const char *root)
{
    struct segment s0, s1;
    int64_t t0 = dates_day_start(FIX_D, 0), t1 = t0 + DATES_DAY_SECONDS;
    struct diag d = DIAG_INIT;
    char dict_dir[4300];

    snprintf(dict_dir, sizeof dict_dir, "%s/dict", root);
    ck_assert_int_eq(mkdir_p(dict_dir, &d), 0);
    save_dict(root, "users", 'u', 10);
    save_dict(root, "items", 'i', 6);
    save_dict(root, "creators", 'c', 3);
    save_dict(root, "tags", 't', 0);

    /* day D: every user seen, the item table with the new uploads */
    memset(&s0, 0, sizeof s0);
    s0.day = FIX_D;
    s0.exp = xcalloc(10, sizeof *s0.exp);
    for (uint32_t u = 0; u < 10; u++)
        add_exp(&s0, u, u % 3, 0, t0 + 100 + u);
    s0.items = xcalloc(6, sizeof *s0.items);
    s0.n_items = 6;
    for (uint32_t i = 0; i < 6; i++) {
        s0.items[i].item = i;
        s0.items[i].creator = i % 3;
        s0.items[i].upload_t = i < 3 ? t0 - 5 * DATES_DAY_SECONDS : t0 + 60;
    }
    save_segment(root, &s0);
    release_arrays(&s0);

    /* day D+1 */
    memset(&s1, 0, sizeof s1);
    s1.day = FIX_D + 1;
    s1.exp = xcalloc(16, sizeof *s1.exp);
    add_exp(&s1, 0, 2, FB_CLICK | FB_LONG_VIEW, t1 + 10);
    add_exp(&s1, 1, 3, FB_CLICK | FB_LIKE, t1 + 3600);
    add_exp(&s1, 1, 0, 0, t1 + 3700);
    add_exp(&s1, 2, 4, FB_CLICK, t1 + 7200);
    add_exp(&s1, 4, 0, 0, t1 + 8000);
    add_exp(&s1, 5, 4, FB_SHARE, t1 + 9000);
    s1.inter = xcalloc(1, sizeof *s1.inter);
    s1.n_inter = 1;
    s1.inter[0].t = t1 + 500;
    s1.inter[0].user = 3;
    s1.inter[0].item = 3;
    s1.inter[0].fb = FB_COMMENT;
    save_segment(root, &s1);
    release_arrays(&s1);
}

static void
publish_fixture(const char *root)
{
    static const char *const rows[] = {
        "i2\t1\tu0\t0.9\ttower\t0.9",
        "i2\t2\tu6\t0.5\tcreator\t0.3",
        "i3\t1\tu1\t0.8\ttower+i2i2u\t0.8",
        "i3\t2\tu2\t0.7\ti2i2u\t0.7",
        "i3\t3\tu7\t0.1\ttower\t0.2",
        "i4\t1\tu1\t0.6\ttower\t0.8",
        "i4\t2\tu8\t0.4\ti2u2u\t0.1",
        "i4\t3\tu9\t0.3\ttower\t0.05",
    };
    char dir[4200], path[4300], date[16];
    struct outtable *t = NULL;
    struct diag d = DIAG_INIT;
    const char *manifest =
        "{\n  \"format\": \"dualrec-manifest\",\n  \"version\": 1,\n"
        "  \"tables\": [],\n  \"params\": {\"date\": \"x\", \"L\": \"3\", "
        "\"method\": \"auction\"},\n  \"stats\": {\"targets\": \"4\", "
        "\"pairs\": \"8\"},\n  \"inputs\": []\n}\n";

    snprintf(dir, sizeof dir, "%s/out/dt=%s", root,
             dates_format_day(FIX_D, date));
    ck_assert_int_eq(mkdir_p(dir, &d), 0);
    snprintf(path, sizeof path, "%s/item_users.tsv.zst", dir);
    ck_assert_int_eq(outtable_open(path, OUTTABLE_ITEM_USERS_HEADER, 0, &t,
                                   &d), 0);
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
        ck_assert_int_eq(outtable_row(t, rows[k], strlen(rows[k]), &d), 0);
    ck_assert_int_eq(outtable_close(t, NULL, &d), 0);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    ck_assert_int_eq(atomicfile_write(path, manifest, strlen(manifest), &d),
                     0);
    snprintf(path, sizeof path, "%s/_SUCCESS", dir);
    ck_assert_int_eq(atomicfile_write(path, "", 0, &d), 0);
}

static void
save_avail(const char *path)
{
    struct avail a;
    struct diag d = DIAG_INIT;

    memset(&a, 0, sizeof a);
    a.day = FIX_D + 1;
    a.n_users = 10;
    a.p_active = xcalloc(10, sizeof *a.p_active);
    a.p_lr = xcalloc(10, sizeof *a.p_lr);
    a.imp = xcalloc(10, sizeof *a.imp);
    a.active = xcalloc(10, 1);
    a.cap = xcalloc(10, sizeof *a.cap);
    a.hours = xcalloc(10, sizeof *a.hours);
    a.hourly = xcalloc(10 * AVAIL_HOURS, sizeof *a.hourly);
    for (int u = 0; u < 10; u++) {
        a.p_active[u] = 0.95f - 0.1f * (float)u;    /* active first */
        a.p_lr[u] = 0.5f;
        a.active[u] = u < 8;            /* 6 active of 8 available */
        a.cap[u] = 2;
        a.imp[u] = 1;
        a.hours[u] = 1u << 0;           /* hour 0 only */
    }
    ck_assert_int_eq(avail_save(&a, path, &d), 0);
    free(a.p_active);
    free(a.p_lr);
    free(a.imp);
    free(a.active);
    free(a.cap);
    free(a.hours);
    free(a.hourly);
}

/* The value of "key": N in the JSON text, after "section": {. */
static double
json_num(const char *js, const char *section, const char *key)
{
    char pat[128];
    const char *s;

    snprintf(pat, sizeof pat, "\"%s\": {", section);
    s = strstr(js, pat);
    ck_assert_ptr_nonnull(s);
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    s = strstr(s, pat);
    ck_assert_ptr_nonnull(s);
    s += strlen(pat);
    return strncmp(s, "null", 4) == 0 ? NAN : strtod(s, NULL);
}

static char *
replay_json(const char *root, int with_avail)
{
    struct replay_opts o;
    struct evalrep *r = NULL;
    struct diag d = DIAG_INIT;
    char seg[4200], out[4200], av[4200], path[4300], *js;
    size_t len;

    snprintf(seg, sizeof seg, "%s/segments", root);
    snprintf(out, sizeof out, "%s/out", root);
    snprintf(av, sizeof av, "%s/avail.bin", root);
    memset(&o, 0, sizeof o);
    o.segroot = seg;
    o.outroot = out;
    o.date = FIX_D;
    o.avail_path = with_avail ? av : NULL;
    ck_assert_msg(replay_run(&o, &r, &d) == 0, "%s", d.msg);
    snprintf(path, sizeof path, "%s/report.json", root);
    ck_assert_int_eq(evalrep_write_json(r, path, &d), 0);
    snprintf(path, sizeof path, "%s/report.html", root);
    ck_assert_int_eq(evalrep_write_html(r, path, &d), 0);
    evalrep_free(r);
    snprintf(path, sizeof path, "%s/report.json", root);
    ck_assert_int_eq(file_read_all(path, &js, &len, &d), 0);
    return js;
}

static const char *
fixture(void)
{
    const char *root = test_tmpdir();
    char seg[4200], av[4200];

    snprintf(seg, sizeof seg, "%s/segments", root);
    build_segments(seg);
    publish_fixture(root);
    snprintf(av, sizeof av, "%s/avail.bin", root);
    save_avail(av);
    return root;
}

START_TEST(test_replay_metrics_of_the_fixture)
{
    const char *root = fixture();
    char *js = replay_json(root, 0);

    ck_assert_double_eq(json_num(js, "hit_rate", "matched_users"), 7);
    ck_assert_double_eq(json_num(js, "hit_rate", "pairs"), 8);
    ck_assert_double_eq_tol(json_num(js, "hit_rate", "hit_rate_users"),
                            3.0 / 7, 1e-12);
    ck_assert_double_eq_tol(json_num(js, "hit_rate", "hit_rate_pairs"),
                            4.0 / 8, 1e-12);
    ck_assert_double_eq(json_num(js, "hit_rate", "known_users"), 10);
    ck_assert_double_eq_tol(json_num(js, "hit_rate", "base_active_rate"),
                            0.6, 1e-12);
    ck_assert_double_eq(json_num(js, "recall", "engaged_pairs_explicit"), 3);
    ck_assert_double_eq_tol(json_num(js, "recall", "recall_explicit"),
                            1.0 / 3, 1e-12);
    ck_assert_double_eq_tol(json_num(js, "recall", "recall_explicit_macro"),
                            0.25, 1e-12);
    ck_assert_double_eq_tol(json_num(js, "recall", "recall_explicit_random"),
                            0.3, 1e-12);
    ck_assert_double_eq(json_num(js, "recall", "engaged_pairs_any"), 5);
    ck_assert_double_eq_tol(json_num(js, "recall", "recall_any"), 0.4, 1e-12);
    ck_assert_double_eq(json_num(js, "coverage", "L"), 3);
    ck_assert_double_eq(json_num(js, "coverage", "targets"), 4);
    ck_assert_double_eq_tol(json_num(js, "coverage", "target_coverage"),
                            0.75, 1e-12);
    ck_assert_double_eq_tol(json_num(js, "coverage", "target_full"), 0.5,
                            1e-12);
    ck_assert_double_eq(json_num(js, "coverage", "new_items"), 3);
    ck_assert_double_eq_tol(json_num(js, "coverage", "new_coverage"),
                            2.0 / 3, 1e-12);
    ck_assert_double_eq(json_num(js, "items_per_user", "max"), 2);
    ck_assert_double_eq_tol(json_num(js, "items_per_user", "gini"),
                            6.0 / 56, 1e-12);
    ck_assert_ptr_nonnull(strstr(js, "\"channel\": \"tower\", \"pairs\": 5, "
                                     "\"share of pairs\": 0.625, "
                                     "\"hit rate\": 0.59999999999999998}"));
    ck_assert_ptr_null(strstr(js, "\"uac\""));
    free(js);
    test_rmtree(root);
}
END_TEST

START_TEST(test_replay_uac_section)
{
    const char *root = fixture();
    char *js = replay_json(root, 1);

    /* p_active ranks the 6 active users first: AUC 1 */
    ck_assert_double_eq_tol(json_num(js, "uac", "auc"), 1.0, 1e-12);
    ck_assert_double_eq(json_num(js, "uac", "available"), 8);
    ck_assert_double_eq_tol(json_num(js, "uac", "precision"), 6.0 / 8, 1e-12);
    ck_assert_double_eq_tol(json_num(js, "uac", "recall"), 1.0, 1e-12);
    /* impressions of users 0..5 on D+1: 1, 2, 1, 0, 1, 1 -> the one in
       hour 0 (u0 at +10 s) is inside the window */
    ck_assert_double_eq_tol(json_num(js, "uac", "window_share"), 1.0 / 6,
                            1e-12);
    /* available users: u0..u7, D_u sizes 1,2,1,0,0,0,1,1 */
    ck_assert_double_eq_tol(json_num(js, "items_per_user", "available_zero"),
                            3.0 / 8, 1e-12);
    ck_assert_double_eq(json_num(js, "hit_rate", "known_users"), 10);
    free(js);
    test_rmtree(root);
}
END_TEST

START_TEST(test_replay_html_report_is_self_contained)
{
    const char *root = fixture();
    char *js = replay_json(root, 1), *html, path[4300];
    size_t len;
    struct diag d = DIAG_INIT;

    snprintf(path, sizeof path, "%s/report.html", root);
    ck_assert_int_eq(file_read_all(path, &html, &len, &d), 0);
    ck_assert_ptr_nonnull(strstr(html, "<svg"));
    ck_assert_ptr_nonnull(strstr(html, "Calibration"));
    ck_assert_ptr_null(strstr(html, "http://www.w3.org/1999/xlink"));
    ck_assert_ptr_null(strstr(html, "src="));
    ck_assert_ptr_null(strstr(html, "<script"));
    free(html);
    free(js);
    test_rmtree(root);
}
END_TEST

START_TEST(test_replay_errors)
{
    const char *root = fixture();
    struct replay_opts o;
    struct evalrep *r = NULL;
    struct diag d = DIAG_INIT;
    char seg[4200], out[4200], want[4400], path[4300];

    snprintf(seg, sizeof seg, "%s/segments", root);
    snprintf(out, sizeof out, "%s/out", root);
    memset(&o, 0, sizeof o);
    o.segroot = seg;
    o.outroot = out;

    o.date = FIX_D - 1;         /* not published */
    ck_assert_int_eq(replay_run(&o, &r, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    snprintf(want, sizeof want, "%s/dt=2024-10-03: date 2024-10-03 is not "
             "published (no _SUCCESS)", out);
    ck_assert_str_eq(d.msg, want);
    ck_assert_ptr_null(r);

    o.date = FIX_D;             /* D+1 missing */
    snprintf(path, sizeof path, "%s/dt=2024-10-05/segment.bin", seg);
    ck_assert_int_eq(remove(path), 0);
    ck_assert_int_eq(replay_run(&o, &r, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    snprintf(want, sizeof want, "%s/dt=2024-10-05: no segment for the day "
             "after the tables (2024-10-04)", seg);
    ck_assert_str_eq(d.msg, want);
    test_rmtree(root);
}
END_TEST


Suite *
replay_suite(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("replay");

    tcase_add_test(tc, test_replay_metrics_of_the_fixture);
    tcase_add_test(tc, test_replay_uac_section);
    tcase_add_test(tc, test_replay_html_report_is_self_contained);
    tcase_add_test(tc, test_replay_errors);
    suite_add_tcase(s, tc);
    return s;
}
