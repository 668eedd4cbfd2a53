/*
 * check_metrics.c -- metrics.h against brute-force references on random
 * data with many ties: AUC against O(n^2) pair counting (ties half, NaN
 * scores lowest), log-loss against the clamped formula term by term,
 * calibration against bins cut from an insertion-sorted copy; plus the
 * undefined cases (one class, no rows, empty bins).
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "check_common.h"
#include "metrics.h"
#include "rng.h"
#include "xmem.h"

/* a > b in the metrics order: NaN below every number. */
static int
naive_above(float a, float b)
{
    if (isnan(a))
        return 0;
    return isnan(b) || a > b;
}

static double
naive_auc(const float *s, const uint8_t *y, size_t n)
{
    double num = 0, den = 0;

    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (!y[i] || y[j])
                continue;
            den += 1;
            num += naive_above(s[i], s[j]) ? 1
                 : naive_above(s[j], s[i]) ? 0 : 0.5;
        }
    return den > 0 ? num / den : NAN;
}

/* Random scores from few distinct values (ties), some NaN; labels with
 * any byte value for a positive. */
static void
random_case(struct rng *r, float *s, uint8_t *y, size_t n, int trial)
{
    uint64_t levels = trial % 3 == 0 ? 4 : trial % 3 == 1 ? 30 : 100000;

    for (size_t i = 0; i < n; i++) {
        s[i] = (float)rng_below(r, levels) / (float)levels;
        if (trial % 4 == 3 && rng_uniform(r) < 0.05)
            s[i] = NAN;
        y[i] = rng_uniform(r) < 0.3 ? (uint8_t)(1 + rng_below(r, 255)) : 0;
    }
}

START_TEST(test_metrics_auc_matches_pair_counting)
{
    struct rng r;
    float s[400];
    uint8_t y[400];

    for (int trial = 0; trial < 40; trial++) {
        size_t n = (size_t)trial * 10;
        double a, b;

        rng_seed(&r, 11, 1, (uint64_t)trial);
        random_case(&r, s, y, n, trial);
        a = metrics_auc(s, y, n);
        b = naive_auc(s, y, n);
        if (isnan(b))
            ck_assert(isnan(a));
        else
            ck_assert_double_eq_tol(a, b, 1e-12);
    }
}
END_TEST

START_TEST(test_metrics_auc_extremes)
{
    float s[4] = { 0.1f, 0.2f, 0.3f, 0.4f };
    uint8_t up[4] = { 0, 0, 1, 1 }, down[4] = { 1, 1, 0, 0 };
    uint8_t none[4] = { 0, 0, 0, 0 }, all[4] = { 1, 1, 1, 1 };
    float flat[4] = { 1, 1, 1, 1 };
    float mixed[4] = { 0.1f, 0.4f, 0.35f, 0.8f };

    ck_assert_double_eq(metrics_auc(s, up, 4), 1.0);
    ck_assert_double_eq(metrics_auc(s, down, 4), 0.0);
    ck_assert_double_eq(metrics_auc(flat, up, 4), 0.5);
    ck_assert_double_eq_tol(metrics_auc(mixed, up, 4), 0.75, 1e-15);
    ck_assert(isnan(metrics_auc(s, none, 4)));
    ck_assert(isnan(metrics_auc(s, all, 4)));
    ck_assert(isnan(metrics_auc(s, up, 0)));
}
END_TEST

START_TEST(test_metrics_logloss_matches_formula)
{
    struct rng r;
    float p[300];
    uint8_t y[300];

    for (int trial = 0; trial < 20; trial++) {
        size_t n = 1 + (size_t)trial * 15;
        double ref = 0;

        rng_seed(&r, 11, 2, (uint64_t)trial);
        for (size_t i = 0; i < n; i++) {
            double u = rng_uniform(&r);

            /* include exact 0 and 1, values past the clamp and NaN */
            p[i] = u < 0.05 ? 0.0f : u < 0.1 ? 1.0f : u < 0.12 ? NAN
                 : u < 0.15 ? 1e-9f : (float)rng_uniform(&r);
            y[i] = rng_uniform(&r) < 0.4;
        }
        for (size_t i = 0; i < n; i++) {
            double q = isnan(p[i]) ? 1e-7 : fmin(fmax(p[i], 1e-7), 1 - 1e-7);

            ref += y[i] ? -log(q) : -log(1 - q);
        }
        ck_assert_double_eq_tol(metrics_logloss(p, y, n), ref / (double)n,
                                1e-12);
    }
    {
        float half[4] = { 0.5f, 0.5f, 0.5f, 0.5f };
        uint8_t yy[4] = { 0, 1, 0, 1 };

        ck_assert_double_eq_tol(metrics_logloss(half, yy, 4), log(2.0),
                                1e-12);
        ck_assert(isnan(metrics_logloss(half, yy, 0)));
    }
}
END_TEST

START_TEST(test_metrics_calibration_matches_sorted_bins)
{
    struct rng r;
    float p[500];
    uint8_t y[500];
    size_t idx[500];

    for (int trial = 0; trial < 24; trial++) {
        size_t n = (size_t)trial * 21;
        int nbins = 1 + trial % 12;
        double mp[12], rate[12];
        size_t cnt[12], total = 0;

        rng_seed(&r, 11, 3, (uint64_t)trial);
        random_case(&r, p, y, n, trial & ~3);   /* no NaN here */
        /* stable insertion sort of the indices by p */
        for (size_t i = 0; i < n; i++) {
            size_t j = i;

            while (j > 0 && p[idx[j - 1]] > p[i]) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = i;
        }
        metrics_calibration(p, y, n, nbins, mp, rate, cnt);
        for (int b = 0; b < nbins; b++) {
            size_t lo = n * (size_t)b / (size_t)nbins;
            size_t hi = n * (size_t)(b + 1) / (size_t)nbins;
            double sp = 0, sy = 0;

            for (size_t k = lo; k < hi; k++) {
                sp += p[idx[k]];
                sy += y[idx[k]] != 0;
            }
            ck_assert_uint_eq(cnt[b], hi - lo);
            total += cnt[b];
            if (hi == lo) {
                ck_assert(isnan(mp[b]) && isnan(rate[b]));
                continue;
            }
            ck_assert_double_eq_tol(mp[b], sp / (double)(hi - lo), 1e-12);
            ck_assert_double_eq_tol(rate[b], sy / (double)(hi - lo), 1e-12);
        }
        ck_assert_uint_eq(total, n);
    }
}
END_TEST

START_TEST(test_metrics_calibration_small_bins)
{
    float p[10] = { 0.9f, 0.1f, 0.2f, 0.8f, 0.3f, 0.7f, 0.4f, 0.6f, 0.5f,
                    0.0f };
    uint8_t y[10] = { 1, 0, 0, 1, 0, 1, 1, 0, 0, 0 };
    double mp[5], rate[5], mp3[3], rate3[3];
    size_t cnt[5], cnt3[3];

    metrics_calibration(p, y, 10, 5, mp, rate, cnt);
    /* sorted: 0.0 0.1 | 0.2 0.3 | 0.4 0.5 | 0.6 0.7 | 0.8 0.9 */
    ck_assert_uint_eq(cnt[0], 2);
    ck_assert_double_eq_tol(mp[0], 0.05, 1e-6);
    ck_assert_double_eq_tol(rate[2], 0.5, 1e-12);
    ck_assert_double_eq_tol(rate[3], 0.5, 1e-12);
    ck_assert_double_eq_tol(rate[4], 1.0, 1e-12);
    /* more bins than points: empty bins are NaN */
    metrics_calibration(p, y, 2, 3, mp3, rate3, cnt3);
    ck_assert_uint_eq(cnt3[0] + cnt3[1] + cnt3[2], 2);
    ck_assert_uint_eq(cnt3[0], 0);
    ck_assert(isnan(rate3[0]) && isnan(mp3[0]));
}
END_TEST

Suite *
metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("reference");

    tcase_add_test(tc, test_metrics_auc_matches_pair_counting);
    tcase_add_test(tc, test_metrics_auc_extremes);
    tcase_add_test(tc, test_metrics_logloss_matches_formula);
    tcase_add_test(tc, test_metrics_calibration_matches_sorted_bins);
    tcase_add_test(tc, test_metrics_calibration_small_bins);
    suite_add_tcase(s, tc);
    return s;
}
