/*
 * check_eval.c -- the helpers and report writers of evalrep.h: Gini
 * against the mean-absolute-difference definition (AUC and calibration
 * are tested in check_metrics.c, file verification in check_binfile.c,
 * the manifest readers in check_publish.c), and the HTML
 * page being well-formed XML with no external reference.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "binfile.h"
#include "check_common.h"
#include "evalrep.h"
#include "rng.h"

START_TEST(test_evalrep_gini_matches_definition)
{
    struct rng r;
    uint32_t x[200];

    for (int trial = 0; trial < 10; trial++) {
        size_t n = 2 + (size_t)trial * 19;
        double mad = 0, mean = 0;

        rng_seed(&r, 3, 2, (uint64_t)trial);
        for (size_t i = 0; i < n; i++) {
            x[i] = (uint32_t)rng_below(&r, 50);
            mean += x[i];
        }
        x[0] += 1;      /* never all zero */
        mean += 1;
        mean /= (double)n;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                mad += fabs((double)x[i] - (double)x[j]);
        mad /= (double)n * (double)n;
        ck_assert_double_eq_tol(evalrep_gini(x, n), mad / (2 * mean),
                                1e-12);
    }
    {
        uint32_t eq[5] = { 3, 3, 3, 3, 3 }, one[4] = { 0, 0, 0, 8 };

        ck_assert_double_eq_tol(evalrep_gini(eq, 5), 0, 1e-15);
        ck_assert_double_eq_tol(evalrep_gini(one, 4), 0.75, 1e-15);
        ck_assert_double_eq(evalrep_gini(eq, 0), 0);
    }
}
END_TEST

/*
 * A small well-formedness check: every tag closed in order, attributes
 * quoted, '&' only as an entity, no '<' in text.  Returns 0 when the
 * document (after an optional <!DOCTYPE ...>) is well-formed.
 */
static int
xml_well_formed(const char *s)
{
    char stack[64][32];
    int depth = 0, roots = 0;

    if (strncmp(s, "<!DOCTYPE", 9) == 0)
        s = strchr(s, '>') + 1;
    while (*s) {
        if (*s == '&') {
            const char *e = strchr(s, ';');

            if (e == NULL || e - s > 6)
                return -1;
            s = e + 1;
        } else if (*s == '<') {
            int closing = s[1] == '/';
            const char *p = s + 1 + closing;
            char name[32];
            size_t n = 0;
            int self = 0;
            char q = 0;

            while (*p && *p != ' ' && *p != '>' && *p != '/' && n < 31)
                name[n++] = *p++;
            name[n] = '\0';
            if (n == 0)
                return -1;
            for (; *p && (q || *p != '>'); p++) {
                if (q && *p == q)
                    q = 0;
                else if (!q && (*p == '"' || *p == '\''))
                    q = *p;
                else if (!q && *p == '=' && p[1] != '"' && p[1] != '\'')
                    return -1;
                else if (q && *p == '<')
                    return -1;
            }
            if (*p != '>')
                return -1;
            self = p[-1] == '/';
            if (closing) {
                if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
                    return -1;
                depth--;
            } else if (!self) {
                if (depth == 0)
                    roots++;
                if (depth == 64)
                    return -1;
                strcpy(stack[depth++], name);
            }
            s = p + 1;
        } else if (*s == '>' && depth == 0) {
            return -1;
        } else {
            s++;
        }
    }
    return depth == 0 && roots == 1 ? 0 : -1;
}

START_TEST(test_evalrep_xml_checker_rejects_bad_documents)
{
    ck_assert_int_eq(xml_well_formed("<a><b x=\"1\"/>t&amp;</a>"), 0);
    ck_assert_int_eq(xml_well_formed("<a><b></a></b>"), -1);
    ck_assert_int_eq(xml_well_formed("<a>x & y</a>"), -1);
    ck_assert_int_eq(xml_well_formed("<a x=1></a>"), -1);
    ck_assert_int_eq(xml_well_formed("<a></a><a></a>"), -1);
}
END_TEST

static struct evalrep *
sample_report(void)
{
    struct evalrep *r = evalrep_new("replay <D> & \"more\"");
    const char *cols[2] = { "hit rate", "items" };
    enum evalrep_fmt fmts[2] = { EVALREP_PCT, EVALREP_INT };
    const char *labels[3] = { "0", "1", "2+" };
    double bars[3] = { 5, 12, 3 }, x[3] = { 0.1, 0.5, 0.9 };
    double y[3] = { 0.12, 0.47, NAN };
    double row[2] = { 0.82, 1234 };
    struct evalrep_table *t;

    evalrep_note(r, "a note with <angle> brackets");
    evalrep_section(r, "delivery", "Delivery");
    evalrep_num(r, "hit_rate", "matched users active on D+1", 0.8125,
                EVALREP_PCT, 1);
    evalrep_num(r, "auc", "AUC", NAN, EVALREP_REAL, 0);
    t = evalrep_table(r, "policies", "Policies", "policy", 2, cols, fmts);
    evalrep_row(t, "full", row);
    row[0] = 0.49;
    evalrep_row(t, "no UAC", row);
    evalrep_bars(r, "items_per_user", "Items per user", 3, labels, bars,
                 "items", "users");
    evalrep_xy(r, "calibration", "Calibration", 3, x, y, "predicted",
               "realised", EVALREP_XY_DIAGONAL);
    return r;
}

START_TEST(test_evalrep_html_is_well_formed_and_offline)
{
    const char *dir = test_tmpdir();
    char path[4200];
    struct diag d = DIAG_INIT;
    struct evalrep *r = sample_report();
    char *html;
    size_t len;

    snprintf(path, sizeof path, "%s/report.html", dir);
    ck_assert_int_eq(evalrep_write_html(r, path, &d), 0);
    ck_assert_int_eq(file_read_all(path, &html, &len, &d), 0);
    ck_assert_int_eq(xml_well_formed(html), 0);
    ck_assert_ptr_nonnull(strstr(html, "<svg"));
    ck_assert_ptr_nonnull(strstr(html, "81.2%"));
    ck_assert_ptr_nonnull(strstr(html, "replay &lt;D&gt; &amp;"));
    /* nothing fetched from elsewhere */
    ck_assert_ptr_null(strstr(html, "src="));
    ck_assert_ptr_null(strstr(html, "href="));
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "@import"));
    free(html);
    evalrep_free(r);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_evalrep_json_has_every_number)
{
    const char *dir = test_tmpdir();
    char path[4200];
    struct diag d = DIAG_INIT;
    struct evalrep *r = sample_report();
    char *js;
    size_t len;

    snprintf(path, sizeof path, "%s/report.json", dir);
    ck_assert_int_eq(evalrep_write_json(r, path, &d), 0);
    ck_assert_int_eq(file_read_all(path, &js, &len, &d), 0);
    ck_assert_ptr_nonnull(strstr(js, "\"hit_rate\": 0.8125"));
    ck_assert_ptr_nonnull(strstr(js, "\"auc\": null"));
    ck_assert_ptr_nonnull(strstr(js, "\"policy\": \"no UAC\", "
                                     "\"hit rate\": 0.48999999999999999, "
                                     "\"items\": 1234"));
    ck_assert_ptr_nonnull(strstr(js, "\"values\": [5, 12, 3]"));
    ck_assert_ptr_nonnull(strstr(js, "\"y\": [0.12, 0.46999999999999997, "
                                     "null]"));
    ck_assert_ptr_nonnull(strstr(js, "\"title\": \"replay <D> & "
                                     "\\\"more\\\"\""));
    free(js);
    evalrep_free(r);
    test_rmtree(dir);
}
END_TEST

Suite *
eval_suite(void)
{
    Suite *s = suite_create("eval");
    TCase *tm = tcase_create("metrics");
    TCase *tr = tcase_create("report");

    tcase_add_test(tm, test_evalrep_gini_matches_definition);
    tcase_add_test(tr, test_evalrep_xml_checker_rejects_bad_documents);
    tcase_add_test(tr, test_evalrep_html_is_well_formed_and_offline);
    tcase_add_test(tr, test_evalrep_json_has_every_number);
    suite_add_tcase(s, tm);
    suite_add_tcase(s, tr);
    return s;
}
