/*
 * metrics.c -- AUC, log-loss and calibration of binary predictions (see
 * metrics.h for the conventions).  AUC and calibration sort (score, index)
 * pairs once; the index makes the order total, so the bins are the same on
 * every platform and qsort implementation.
 */
#include <math.h>
#include <stdlib.h>

#include "metrics.h"
#include "xmem.h"

struct scored {
    float s;
    uint8_t y;
    size_t i;
};

/* Ascending by score, NaN below every number, then by index. */
static int
scored_cmp(const void *pa, const void *pb)
{
    const struct scored *a = pa, *b = pb;
    int na = isnan(a->s), nb = isnan(b->s);

    if (na != nb)
        return na ? -1 : 1;
    if (!na && a->s != b->s)
        return a->s < b->s ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int
same_score(float a, float b)
{
    return a == b || (isnan(a) && isnan(b));
}

static struct scored *
scored_sorted(const float *s, const uint8_t *y, size_t n)
{
    struct scored *v = xmalloc((n ? n : 1) * sizeof *v);

    for (size_t i = 0; i < n; i++) {
        v[i].s = s[i];
        v[i].y = y[i] != 0;
        v[i].i = i;
    }
    qsort(v, n, sizeof *v, scored_cmp);
    return v;
}

double
metrics_auc(const float *s, const uint8_t *y, size_t n)
{
    struct scored *v = scored_sorted(s, y, n);
    double rank_sum = 0, npos = 0, nneg;
    size_t i = 0;

    /* Mann-Whitney U: the positives' 1-based ranks, tied ranks i+1 .. j
     * sharing their mean. */
    while (i < n) {
        size_t j = i;
        double pos = 0;

        while (j < n && same_score(v[j].s, v[i].s))
            pos += v[j++].y;
        rank_sum += pos * ((double)(i + 1) + (double)j) / 2.0;
        npos += pos;
        i = j;
    }
    free(v);
    nneg = (double)n - npos;
    if (npos == 0 || nneg == 0)
        return NAN;
    return (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg);
}

double
metrics_logloss(const float *p, const uint8_t *y, size_t n)
{
    double sum = 0;

    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        double q = p[i];

        if (!(q >= METRICS_EPS))        /* NaN included */
            q = METRICS_EPS;
        if (q > 1 - METRICS_EPS)
            q = 1 - METRICS_EPS;
        sum -= y[i] ? log(q) : log(1 - q);
    }
    return sum / (double)n;
}

void
metrics_calibration(const float *p, const uint8_t *y, size_t n, int nbins,
                    double *mean_p, double *rate, size_t *count)
{
    struct scored *v = scored_sorted(p, y, n);

    for (int b = 0; b < nbins; b++) {
        size_t lo = n * (size_t)b / (size_t)nbins;
        size_t hi = n * (size_t)(b + 1) / (size_t)nbins;
        double sp = 0, sy = 0;

        for (size_t i = lo; i < hi; i++) {
            sp += v[i].s;
            sy += v[i].y;
        }
        count[b] = hi - lo;
        mean_p[b] = hi > lo ? sp / (double)(hi - lo) : NAN;
        rate[b] = hi > lo ? sy / (double)(hi - lo) : NAN;
    }
    free(v);
}
