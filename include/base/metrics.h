/*
 * metrics.h -- the offline metrics of binary predictions, defined once:
 * ROC AUC, log-loss and calibration by quantile bins.  Every evaluation in
 * dualrec (the UAC validation stored in avail.bin, rank_eval, the replay
 * report of dualrec-eval) calls these, so a figure means the same thing in
 * every report.
 *
 * Conventions (the same in every function):
 *   labels   y[i] != 0 is a positive, 0 a negative;
 *   scores   compared as floats; a NaN score ranks below every number and
 *            ties with the other NaNs, so the order is total;
 *   ties     equal scores are ordered by index where an order is needed
 *            (calibration bins); AUC gives a tied positive-negative pair
 *            half credit;
 *   empty    a figure that is undefined (AUC with one class missing,
 *            log-loss of no rows, an empty calibration bin) is NaN.
 * All functions are pure: inputs are not modified; O(n log n).
 */
#ifndef DUALREC_METRICS_H
#define DUALREC_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Probabilities are clamped to [METRICS_EPS, 1 - METRICS_EPS] (in double)
 * before the logarithm, so one confident mistake costs at most ~16.1. */
#define METRICS_EPS 1e-7

/*
 * Area under the ROC curve of scores s for labels y: the probability that
 * a random positive scores above a random negative, ties counting one half
 * (Mann-Whitney U over mid-ranks).  NaN when either class is empty.
 */
double metrics_auc(const float *s, const uint8_t *y, size_t n);

/*
 * Mean log-loss -mean(y log p + (1 - y) log(1 - p)) of probabilities p,
 * each clamped to [METRICS_EPS, 1 - METRICS_EPS]; a NaN p counts as
 * METRICS_EPS (a confident "no").  NaN when n = 0.
 */
double metrics_logloss(const float *p, const uint8_t *y, size_t n);

/*
 * Calibration by quantile bins: sort rows by p (ties by index), cut into
 * nbins bins of near-equal count (bin b holds sorted rows
 * [n*b/nbins, n*(b+1)/nbins)), and give per bin the mean predicted p, the
 * observed rate of y and the count.  mean_p, rate (double[nbins]) and
 * count (size_t[nbins]) are filled; an empty bin has count 0 and NaN
 * mean_p and rate.  nbins >= 1.
 */
void metrics_calibration(const float *p, const uint8_t *y, size_t n,
                         int nbins, double *mean_p, double *rate,
                         size_t *count);

#endif
