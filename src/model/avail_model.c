/*
 * avail_model.c -- the logistic-regression baseline of UAC, the metrics
 * it and the boosted trees are judged by (AUC, log-loss, calibration), the
 * choice of the a_u threshold on the validation day, and the shortest
 * availability window.
 *
 * The baseline is fitted by Newton's method (IRLS) on standardised
 * features: with X (n, F+1) (a constant 1 last), p = sigmoid(X w),
 *   g = X^T (p - y) + l2 * w,   H = X^T diag(p (1 - p)) X + l2 * I
 * (no penalty on the bias), w -= H^-1 g by Cholesky.  Sums run over fixed
 * blocks of rows combined in block order, so the weights do not depend on
 * the number of threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "avail.h"
#include "xmem.h"

#define F AVAIL_N_FEATURES
#define LR_BLOCK 8192
#define LR_ITERS 25

static double
sigmoid(double z)
{
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    return exp(z) / (1.0 + exp(z));
}

/* Standardised row with the constant last. */
static void
lr_row(const struct avail_lr *m, const float *x, double *z)
{
    for (int j = 0; j < F; j++)
        z[j] = ((double)x[j] - m->mean[j]) / m->sd[j];
    z[F] = 1.0;
}

/* Solve (a) x = b for a symmetric positive definite (n x n); a and b are
 * overwritten; returns -1 when not positive definite. */
static int
cholesky_solve(double *a, double *b, int n)
{
    for (int j = 0; j < n; j++) {
        double s = a[j * n + j];

        for (int k = 0; k < j; k++)
            s -= a[j * n + k] * a[j * n + k];
        if (!(s > 0))
            return -1;
        a[j * n + j] = sqrt(s);
        for (int i = j + 1; i < n; i++) {
            double t = a[i * n + j];

            for (int k = 0; k < j; k++)
                t -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = t / a[j * n + j];
        }
    }
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < i; k++)
            b[i] -= a[i * n + k] * b[k];
        b[i] /= a[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        for (int k = i + 1; k < n; k++)
            b[i] -= a[k * n + i] * b[k];
        b[i] /= a[i * n + i];
    }
    return 0;
}

void
avail_lr_fit(const float *x, const float *y, size_t n, double l2,
             int nthread, struct avail_lr *m)
{
    const int D = F + 1;
    size_t nb = (n + LR_BLOCK - 1) / LR_BLOCK;
    double *part = xmalloc((nb ? nb : 1) * (size_t)(D * D + D)
                           * sizeof *part);
    double pos = 0;

    memset(m, 0, sizeof *m);
    m->f = F;
    for (int j = 0; j < F; j++) {
        double s = 0, ss = 0;

        for (size_t i = 0; i < n; i++)
            s += x[i * F + j];
        m->mean[j] = n ? s / (double)n : 0;
        for (size_t i = 0; i < n; i++) {
            double t = x[i * F + j] - m->mean[j];

            ss += t * t;
        }
        m->sd[j] = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
        if (!(m->sd[j] > 1e-9))
            m->sd[j] = 1.0;
    }
    for (size_t i = 0; i < n; i++)
        pos += y[i];
    /* Start at the base rate so the first step is small. */
    if (n > 0 && pos > 0 && pos < (double)n)
        m->w[F] = log(pos / ((double)n - pos));
    for (int it = 0; it < LR_ITERS && n > 0; it++) {
        double h[(F + 1) * (F + 1)], g[F + 1];
        double step = 0;

#pragma omp parallel for schedule(static) num_threads(nthread > 0 ? nthread : 1)
        for (size_t b = 0; b < nb; b++) {
            double *ph = part + b * (size_t)(D * D + D), *pg = ph + D * D;
            size_t i1 = (b + 1) * LR_BLOCK < n ? (b + 1) * LR_BLOCK : n;
            double z[F + 1];

            memset(ph, 0, (size_t)(D * D + D) * sizeof *ph);
            for (size_t i = b * LR_BLOCK; i < i1; i++) {
                double a = 0, pr, wt;

                lr_row(m, x + i * F, z);
                for (int j = 0; j < D; j++)
                    a += m->w[j] * z[j];
                pr = sigmoid(a);
                wt = pr * (1.0 - pr);
                for (int j = 0; j < D; j++) {
                    pg[j] += (pr - y[i]) * z[j];
                    for (int k = 0; k <= j; k++)
                        ph[j * D + k] += wt * z[j] * z[k];
                }
            }
        }
        memset(h, 0, sizeof h);
        memset(g, 0, sizeof g);
        for (size_t b = 0; b < nb; b++) {
            const double *ph = part + b * (size_t)(D * D + D);

            for (int j = 0; j < D * D; j++)
                h[j] += ph[j];
            for (int j = 0; j < D; j++)
                g[j] += ph[D * D + j];
        }
        for (int j = 0; j < D; j++)
            for (int k = j + 1; k < D; k++)
                h[j * D + k] = h[k * D + j];
        for (int j = 0; j < F; j++) {
            h[j * D + j] += l2;
            g[j] += l2 * m->w[j];
        }
        h[F * D + F] += 1e-9;
        if (cholesky_solve(h, g, D) < 0)
            break;
        for (int j = 0; j < D; j++) {
            m->w[j] -= g[j];
            if (fabs(g[j]) > step)
                step = fabs(g[j]);
        }
        if (step < 1e-7)
            break;
    }
    free(part);
}

void
avail_lr_predict(const struct avail_lr *m, const float *x, size_t n,
                 int nthread, float *out)
{
#pragma omp parallel for schedule(static) num_threads(nthread > 0 ? nthread : 1)
    for (size_t i = 0; i < n; i++) {
        double z[F + 1], a = 0;

        lr_row(m, x + i * F, z);
        for (int j = 0; j <= F; j++)
            a += m->w[j] * z[j];
        out[i] = (float)sigmoid(a);
    }
}

struct scored {
    float s;
    float y;
    size_t i;
};

static int
cmp_scored_asc(const void *a, const void *b)
{
    const struct scored *x = a, *y = b;

    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static struct scored *
sorted_scores(const float *s, const float *y, size_t n)
{
    struct scored *v = xmalloc((n ? n : 1) * sizeof *v);

    for (size_t i = 0; i < n; i++) {
        v[i].s = s[i];
        v[i].y = y[i];
        v[i].i = i;
    }
    qsort(v, n, sizeof *v, cmp_scored_asc);
    return v;
}

uint8_t *
avail_labels(const float *y, size_t n)
{
    uint8_t *b = xmalloc(n ? n : 1);

    for (size_t i = 0; i < n; i++)
        b[i] = y[i] > 0.5f;
    return b;
}

float
avail_pick_threshold(const float *s, const float *y, size_t n,
                     enum avail_target target, double value,
                     double *recall, double *precision)
{
    struct scored *v;
    double pos = 0, tp = 0, cnt = 0;
    float t;
    int found = 0;

    if (target == AVAIL_TARGET_FIXED || n == 0) {
        t = target == AVAIL_TARGET_FIXED ? (float)value : 0.5f;
        goto measure;
    }
    v = sorted_scores(s, y, n);
    for (size_t i = 0; i < n; i++)
        pos += v[i].y > 0.5;
    t = v[n - 1].s;                 /* the largest score */
    /* Walk groups of equal score from the top. */
    for (size_t j = n; j > 0;) {
        size_t i = j;

        while (i > 0 && v[i - 1].s == v[j - 1].s) {
            i--;
            tp += v[i].y > 0.5;
            cnt++;
        }
        if (target == AVAIL_TARGET_RECALL) {
            if (pos > 0 && tp >= value * pos - 1e-9 * pos) {
                t = v[i].s;
                found = 1;
                break;
            }
        } else if (tp >= value * cnt - 1e-9 * cnt) {
            t = v[i].s;             /* keep going: a lower one may hold */
            found = 1;
        }
        j = i;
    }
    if (!found && target == AVAIL_TARGET_RECALL)
        t = v[0].s;                 /* no positives: everyone */
    free(v);
measure:
    if (recall || precision) {
        double p_all = 0, tp_t = 0, sel = 0;

        for (size_t i = 0; i < n; i++) {
            int yy = y[i] > 0.5, in = s[i] >= t;

            p_all += yy;
            tp_t += yy && in;
            sel += in;
        }
        if (recall)
            *recall = p_all > 0 ? tp_t / p_all : 0;
        if (precision)
            *precision = sel > 0 ? tp_t / sel : 0;
    }
    return t;
}

uint32_t
avail_window_hours(const float *cond, double share)
{
    int ord[AVAIL_HOURS];
    double total = 0, acc = 0;
    uint32_t mask = 0;

    for (int h = 0; h < AVAIL_HOURS; h++) {
        ord[h] = h;
        total += cond[h] > 0 ? cond[h] : 0;
    }
    if (!(total > 0))
        return 0;
    /* Insertion sort: descending probability, lower hour first on ties. */
    for (int i = 1; i < AVAIL_HOURS; i++) {
        int h = ord[i], j = i;

        while (j > 0 && cond[ord[j - 1]] < cond[h]) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = h;
    }
    for (int i = 0; i < AVAIL_HOURS; i++) {
        if (acc >= share * total * (1 - 1e-12))
            break;
        mask |= 1u << ord[i];
        acc += cond[ord[i]] > 0 ? cond[ord[i]] : 0;
    }
    return mask;
}
