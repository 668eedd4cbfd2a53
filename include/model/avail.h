/*
 * avail.h -- UAC: per-user availability for the day after the run date.
 *
 * dualrec-uac reads a window of day segments ending at the run date D and
 * writes, for every user of the users dictionary, the table the matching
 * stage gates on:
 *   p_active  P(user is active on D+1), gradient-boosted trees (gbdt.h)
 *             on 30-day activity features, trained on (features up to
 *             d-1, active on d) pairs of the window
 *   active    a_u = p_active >= threshold, the threshold chosen on the
 *             window's last observed day for a stated target (recall of
 *             tomorrow's active users by default)
 *   cap       Q_u: capacity from the predicted impressions of the user on
 *             an active day (a second booster, Poisson), scaled and clamped
 *   hourly    P(online in hour h of D+1) = p_active * P(h | active), the
 *             conditional profile being the user's recency-decayed,
 *             weekday-weighted hour presence smoothed toward the population
 *   hours     the shortest set of hours holding a configured share of the
 *             conditional profile (bit h = hour h)
 * A logistic-regression baseline on the same features runs in the same
 * stage; its validation metrics and predictions are kept for evaluation.
 *
 * File: binfile (binfile.h), magic "\x89DRAVAIL", version AVAIL_VERSION.
 * Integers little-endian; floats IEEE-754 binary32 LE (f64 binary64 LE).
 * Payload (n = n_users):
 *
 *   OFFSET SIZE   TYPE     FIELD
 *        0    4   u32      n_users
 *        4    4   i32      day (D+1, the day predicted for)
 *        8    4   i32      first_day of the window read
 *       12    4   u32      n_days of the window
 *       16    4   u32      n_missing (missing or empty days in the window)
 *       20    4   u32      target kind (enum avail_target)
 *       24    8   f64      target value
 *       32    4   f32      threshold used for a_u
 *       36    4   f32      cap_scale
 *       40    2   u16      cap_min
 *       42    2   u16      cap_max
 *       44    4   f32      window_share
 *       48    4   u32      flags (enum avail_flags)
 *       52   48   f64[6]   validation: gbdt AUC, gbdt log-loss, lr AUC,
 *                          lr log-loss, recall, precision at threshold
 *      100    4   u32      model_len
 *      104    m   u8[m]    the p_active booster (xgboost UBJSON, may be 0)
 *        .   4n   f32[n]   p_active
 *        .   4n   f32[n]   p_lr (baseline)
 *        .   4n   f32[n]   imp (predicted impressions if active)
 *        .    n   u8[n]    active
 *        .   2n   u16[n]   cap
 *        .   4n   u32[n]   hours
 *        .  96n   f32[24n] hourly
 * Nothing follows; the reader rejects trailing bytes.
 */
#ifndef DUALREC_AVAIL_H
#define DUALREC_AVAIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "gbdt.h"
#include "iddict.h"
#include "segment.h"

#define AVAIL_VERSION 1
#define AVAIL_HOURS 24

enum avail_target {
    AVAIL_TARGET_RECALL = 0,    /* smallest set reaching recall R */
    AVAIL_TARGET_PRECISION = 1, /* largest set keeping precision P */
    AVAIL_TARGET_FIXED = 2      /* the given threshold */
};

enum avail_flags {
    AVAIL_F_FALLBACK = 1 << 0   /* no usable training pairs: p_active is a
                                   smoothed recent activity rate */
};

struct avail {
    int32_t  day;          /* the day predicted for (run date D + 1) */
    uint32_t n_users;      /* = users dictionary size at D */
    float   *p_active;     /* n_users */
    uint8_t *active;       /* n_users: a_u (0/1) */
    uint16_t *cap;         /* n_users: Q_u */
    float   *hourly;       /* n_users * 24: P(online in hour h of day) */
    uint32_t *hours;       /* n_users: bit h set = hour h in the window */
    float   *p_lr;         /* n_users: logistic-regression baseline */
    float   *imp;          /* n_users: predicted impressions if active */
    int32_t first_day;     /* window read */
    uint32_t n_days;
    uint32_t n_missing;
    enum avail_target target;
    double target_value;
    float threshold;
    float cap_scale;
    uint16_t cap_min, cap_max;
    float window_share;
    uint32_t flags;
    double valid[6];       /* see the file layout */
    unsigned char *model;  /* booster bytes, model_len */
    size_t model_len;
};

struct avail_params {
    int train_days;             /* label days before the validation day */
    size_t max_train_rows;      /* deterministic subsample above this */
    size_t max_valid_rows;
    enum avail_target target;
    double target_value;        /* recall / precision / threshold */
    double cap_scale;           /* Q_u = round(scale * imp), clamped */
    uint16_t cap_min, cap_max;
    double window_share;        /* share of P(h | active) in the window */
    double hour_decay;          /* weight decay per day back */
    double weekday_boost;       /* extra weight of same-weekday days */
    double prior_days;          /* population profile strength, in days */
    double lr_l2;               /* ridge of the baseline */
    struct gbdt_params gbdt;    /* p_active booster */
    struct gbdt_params cap_gbdt;/* impressions booster (count:poisson) */
    int nthread;                /* OpenMP threads for features */
    uint64_t seed;
};

/* Defaults (docs/uac.md): 7 train days, 400k/400k rows, recall 0.9,
 * cap 0.25 x imp in [1, 50], window share 0.8, decay 0.85, weekday boost
 * 2, prior 1 day, 60/40 rounds, nthread 2, seed 1. */
struct avail_params avail_default_params(void);

/* What the stage did, for the summary line and the tests. */
struct avail_report {
    int n_missing;              /* days of the window without a segment */
    int n_empty;                /* days with a segment but no events */
    int32_t valid_day;          /* INT32_MIN when none */
    int n_train_days;
    size_t n_train_rows, n_valid_rows;
    uint64_t n_skewed;          /* events whose time is outside their
                                   segment's day (clock skew) */
    uint32_t n_history;         /* users with any event in the window */
    const char *fallback;       /* NULL, or why the fallback was used */
    double sec_scan;            /* wall seconds: features (one scan) */
    double sec_fit;             /* training and validation of the models */
    double sec_predict;         /* scoring every user, capacity, windows */
};

/* ---- features (avail_feat.c) -------------------------------------- */

enum avail_feature {
    AF_N_OBS, AF_ACT_RATE, AF_ACT_RATE7, AF_ACT_RATE3, AF_ACT_LAST,
    AF_RECENCY, AF_STREAK, AF_MAX_STREAK, AF_EXP_PER_ACTIVE, AF_EXP_LAST,
    AF_EXP7, AF_TREND_ACT, AF_TREND_EXP, AF_CLICK_RATE, AF_EXPLICIT_RATE,
    AF_LONG_RATE, AF_INTER_PER_ACTIVE, AF_WD_RATE, AF_TARGET_WD,
    AF_HOUR_ENTROPY, AF_N_HOURS, AF_SESS_PER_ACTIVE, AF_EXP_PER_SESS,
    AF_AGE, AF_HOURS_SINCE_LAST, AF_MEAN_GAP,
    AVAIL_N_FEATURES
};

/* Feature names, AVAIL_N_FEATURES entries. */
extern const char *const avail_feature_names[AVAIL_N_FEATURES];

/* Recency of a user never active in the history (days). */
#define AVAIL_RECENCY_NEVER 32.0f
/* A new session starts after this gap between events (seconds). */
#define AVAIL_SESSION_GAP 1800

/* Training or validation rows: x is (n, AVAIL_N_FEATURES) row-major. */
struct avail_rows {
    size_t n, cap;
    float *x;
    float *y_act;       /* 1 when active on asof + 1 */
    float *y_imp;       /* events on asof + 1 (exposures) */
    uint32_t *user;
    int32_t *asof;
};

void avail_rows_release(struct avail_rows *r);

/*
 * Everything the stage reads from the window in one pass over the users
 * (avail_scan):
 *   train   rows for the label days in train_label[] (as-of = d - 1),
 *           users with at least one active day up to d - 1, subsampled
 *           deterministically to at most max_train_rows
 *   valid   rows for valid_label (same rule, max_valid_rows)
 *   x       (n_users, F) features as of w->last_day for every user
 *   hnum    (n_users, 24) weighted hour presence, hden (n_users) weights,
 *           pop_num/pop_den the population sums (weights in avail.c)
 *   last_hours  online hours of each user's last active day (0 if none)
 *   mean_exp    exposures per active day of each user (0 if none)
 */
struct avail_scan {
    struct avail_rows train, valid;
    float *x;
    float *hnum, *hden;
    double pop_num[AVAIL_HOURS], pop_den;
    uint32_t *last_hours;
    float *mean_exp;
    uint64_t n_skewed;
    uint32_t n_history;
};

/*
 * Scan w for users 0..n_users-1.  observed[k] (w->n_days) says whether
 * day first_day + k counts as observed (a missing or empty day does not:
 * it is neither active nor inactive, and it is never a label day).
 * train_label/n_train and valid_label (INT32_MIN: none) are label days.
 * Deterministic for any number of threads.  w may be lazy (WINDOW_LAZY):
 * days are read one at a time into per-user per-day summaries (~40 bytes
 * per user and day), so memory does not grow with the exposures; then a
 * day that fails to load is an error (window_load_day's).
 */
int avail_scan(const struct window *w, uint32_t n_users,
               const uint8_t *observed, const int32_t *train_label,
               int n_train, int32_t valid_label,
               const struct avail_params *p, struct avail_scan *out,
               struct diag *d);
void avail_scan_release(struct avail_scan *s);

/* ---- models and metrics (avail_model.c) --------------------------- */

/* L2-regularised logistic regression on standardised features (IRLS). */
struct avail_lr {
    int f;
    double mean[AVAIL_N_FEATURES], sd[AVAIL_N_FEATURES];
    double w[AVAIL_N_FEATURES + 1];     /* bias last */
};

/* Fit on n rows of x (f = AVAIL_N_FEATURES columns) with 0/1 labels y,
 * on nthread OpenMP threads (the weights do not depend on it). */
void avail_lr_fit(const float *x, const float *y, size_t n, double l2,
                  int nthread, struct avail_lr *m);
void avail_lr_predict(const struct avail_lr *m, const float *x, size_t n,
                      int nthread, float *out);

/* The 0/1 float labels y as bytes (y > 0.5), the label form of metrics.h
 * (AUC, log-loss, calibration); a new xmalloc'd array the caller frees. */
uint8_t *avail_labels(const float *y, size_t n);

/*
 * The threshold for a_u on validation scores s / labels y:
 *   RECALL     the largest score t such that {s >= t} holds at least a
 *              share `value` of the positives
 *   PRECISION  the smallest score t such that {s >= t} has precision at
 *              least `value` (the largest score when none does)
 *   FIXED      value itself
 * recall/precision (may be NULL) receive what t achieves on (s, y).
 */
float avail_pick_threshold(const float *s, const float *y, size_t n,
                           enum avail_target target, double value,
                           double *recall, double *precision);

/*
 * The shortest set of hours whose probabilities in cond[24] sum to at
 * least share of their total (ties: lower hour first).  Bit h = hour h.
 */
uint32_t avail_window_hours(const float *cond, double share);

/* ---- the stage (avail.c) ------------------------------------------ */

/*
 * Build the availability table for the day after w->last_day from the
 * window w (n_users users).  Fills rep.  RC_DATA on an xgboost failure;
 * a window without training pairs is not an error (fallback, reported).
 * The caller owns *out.
 */
int avail_build(const struct window *w, uint32_t n_users,
                const struct avail_params *p, struct avail **out,
                struct avail_report *rep, struct diag *d);

/* Save (atomic, binfile).  RC_CANTCREAT/RC_IO. */
int avail_save(const struct avail *a, const char *path, struct diag *d);

/* Load; RC_NOINPUT when missing, RC_DATA for bad magic, version,
 * truncation, checksum or inconsistent fields. */
int avail_load(const char *path, struct avail **out, struct diag *d);

/*
 * TSV export: header, then one row per user: external id (from users;
 * the index when users is NULL), p_active, a_u, Q_u, h00..h23, window
 * hours as a comma list ("-" when empty).  Atomic.
 */
int avail_write_tsv(const struct avail *a, const struct iddict *users,
                    const char *path, struct diag *d);

void avail_free(struct avail *a);

/* ---- evaluation on the realised day (avail_eval.c) ----------------- */

/*
 * How the table for day D+1 did on that day's segment.  Index [0] is the
 * stage's choice (boosted trees, a_u, predicted impressions, windows),
 * the others are baselines:
 *   auc/logloss/cal  [1] logistic regression
 *   precision/recall [1] the same number of users, top by p_lr
 *   cap_mae/cap_ratio  [1] the user's mean exposures per active day in
 *                    the window; over users active on D+1; ratio is
 *                    sum predicted / sum realised
 *   win_share        share of D+1 events (exposures and interactions of
 *                    table users) in an hour of the user's window;
 *                    [1] the same number of hours, top of the population
 *                    profile; [2] the same number from the user's last
 *                    active day (ranked, then padded, by the population)
 */
struct avail_eval {
    int32_t day;            /* the (last) day evaluated */
    int n_days;             /* days pooled */
    uint64_t n_users;       /* (day, user) rows pooled */
    uint64_t n_active, n_new_users, n_flagged;
    double auc[2], logloss[2];
    double cal_pred[2][10], cal_obs[2][10];
    size_t cal_n[10];
    double precision[2], recall[2];
    double cap_mae[2], cap_ratio[2];
    double win_hours;       /* mean window size over active users */
    double win_share[3];
    uint64_t n_events;      /* D+1 events of table users */
};

/*
 * Evaluate a (built from window w with params p) against next, the
 * segment of day a->day.  RC_DATA when next is of another day.
 */
int avail_evaluate(const struct avail *a, const struct window *w,
                   const struct segment *next, const struct avail_params *p,
                   struct avail_eval *ev, struct diag *d);

/*
 * A pool of evaluated days, for a backtest over several run dates (small
 * logs give too few active users on one day): add each day's table, then
 * compute the metrics over all (day, user) rows at once.  The baseline's
 * a_u takes as many rows as a_u does over the pool.
 */
struct avail_evalpool;

struct avail_evalpool *avail_evalpool_new(void);
int avail_evalpool_add(struct avail_evalpool *pool, const struct avail *a,
                       const struct window *w, const struct segment *next,
                       const struct avail_params *p, struct diag *d);
void avail_evalpool_finish(const struct avail_evalpool *pool,
                           struct avail_eval *ev);
void avail_evalpool_free(struct avail_evalpool *pool);

/* The evaluation as a small text table (stdout of dualrec-eval uac). */
void avail_eval_print(const struct avail_eval *ev, const char *label,
                      FILE *fp);

#endif
