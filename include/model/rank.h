/*
 * rank.h -- the multi-task creator-experience ranker.
 *
 * Stage: dualrec-train-rank fits the model on the exposures of a window of
 * day segments; dualrec-match loads it and scores every (item, candidate
 * user) pair of its candidate table.  The score orders the users of one
 * item by how much feedback the creator can expect from them.
 *
 * Model (docs/ranking.md has the derivation and the evidence): a
 * multi-task factorisation machine with a small shared hidden layer.  Per
 * sample the features are hashed sparse rows j (user id, item id, creator
 * id, tags, and one bucket row per dense statistic) with values x_j, and a
 * dense vector f of RANK_N_DENSE statistics.  With per-row parameters
 * w_j (T task weights) and v_j (K factors):
 *     S = sum_j x_j v_j,  s = (S*S - sum_j x_j^2 v_j*v_j) / 2      (K)
 *     z = [s ; f]                                                 (Z=K+D)
 *     h = relu(W1 z + b1)                                         (H)
 *     logit_t = b_t + sum_j x_j w_jt + a_t . z + c_t . h          (T=5)
 * trained on the sum of the five binary cross-entropies by AdaGrad in
 * fixed blocks (bit-identical for any thread count).
 *
 * The paper's creator-side changes: (1) sample augmentation -- every
 * training exposure is used twice, once with the item-id row dropped, and
 * at scoring time items the window never showed are scored without it;
 * (2) extra item features -- content similarity of the item to the user's
 * engagement profile, similarity of the user to the item's recent
 * engagers, and their number; (3) the integrated score
 *     score(u,i) = sum_t weight_t p_t(u,i) - theta_weight * theta_u
 * whose default weights favour like/comment/follow over click/long view;
 * (4) theta_u, the user's mean integrated score (before subtraction) over
 * a reference set R of items: the RANK_THETA_REF items with the most
 * exposures on the window's last day.  A user who engages with
 * everything scores high on every item; theta_u takes that part out so
 * such users do not win every item.
 *
 * Model file: binfile (binfile.h), magic "\x89DRRANK\x01", version
 * RANK_VERSION.  Payload (integers u32 LE, floats binary32 LE):
 *
 *   OFFSET SIZE TYPE    FIELD
 *        0    4 u32     dim K
 *        4    4 u32     hidden H
 *        8    4 u32     hash_bits (rows = 1 << hash_bits)
 *       12    4 u32     n_dense D (must be RANK_N_DENSE)
 *       16    4 u32     n_tasks T (must be CANDS_N_TASKS)
 *       20    4 u32     flags (enum rank_flags)
 *       24    4 u32     theta_ref
 *       28    4 u32     epochs trained
 *       32    8 u64     seed
 *       40   20 f32[5]  task weights of the integrated score
 *       60    4 f32     theta_weight
 *       64    8 u64     n_params
 *       72  4*n f32[n]  parameters, one block: rows*(T+K) row params
 *                       (w_j then v_j), b (T), a (T*Z), c (T*H),
 *                       W1 (Z*H, row k = input k), b1 (H)
 *
 * Threads: training and scoring use OpenMP over fixed blocks / items;
 * output bytes do not depend on OMP_NUM_THREADS.
 */
#ifndef DUALREC_RANK_H
#define DUALREC_RANK_H

#include <stddef.h>
#include <stdint.h>

#include "cands.h"
#include "diag.h"
#include "segment.h"

#define RANK_VERSION 1
/* Negatives drawn per (user, item) interacted with, on days without
 * exposures (docs/ranking.md, "Ratings-only logs"). */
#define RANK_NEG_PER_POS 4
#define RANK_N_TASKS CANDS_N_TASKS
#define RANK_THETA_REF 32
/*
 * The default training budget: exposures sampled per day of the window
 * (docs/ranking.md, "Training budget").  Training cost is then bounded by
 * days x budget whatever the log volume; only the statistics pass reads
 * every exposure.
 */
#define RANK_MAX_PER_DAY 100000

struct tower;               /* tower.h (two-tower retrieval), optional */

/* Dense statistics of a (user, item) pair, indices into rank features. */
enum rank_dense {
    RD_U_NEXP,              /* log1p(user exposures before the day) */
    RD_U_RATE,              /* .. + task: user's smoothed rate per task */
    RD_I_NEXP = RD_U_RATE + RANK_N_TASKS,   /* log1p(item exposures) */
    RD_I_RATE,              /* .. + task: item's smoothed rate per task */
    RD_I_AGE = RD_I_RATE + RANK_N_TASKS,    /* log1p(days since upload) */
    RD_I_NEW,               /* 1 when the item has no exposure before */
    RD_C_NEXP,              /* log1p(creator exposures) */
    RD_C_EXPL,              /* creator's smoothed explicit-feedback rate */
    RD_UC_POS,              /* log1p(user's engagements with creator) */
    RD_UC_FOLLOW,           /* 1 when the user follows the creator */
    RD_UT_AFF,              /* log1p(user's engagements with the tags) */
    RD_DUR,                 /* log1p(duration seconds), 0 unknown */
    RD_CONTENT_SIM,         /* extra: cos(user profile, item content) */
    RD_ENGAGER_SIM,         /* extra: cos(user profile, item engagers) */
    RD_I_NENG,              /* extra: log1p(item's engagers) */
    RD_TOWER,               /* two-tower inner product, 0 without */
    RD_HAS_TOWER,           /* 1 when the tower score is present */
    RANK_N_DENSE
};

enum rank_flags {
    RANK_AUGMENT = 1 << 0,  /* train each sample also without item id */
    RANK_EXTRA   = 1 << 1,  /* use the paper's extra item features */
    RANK_TOWER   = 1 << 2   /* trained with the two-tower score (set by
                               rank_train when given a tower) */
};

struct rank_params {
    uint32_t dim;           /* K, factor size (8) */
    uint32_t hidden;        /* H, shared hidden units (32) */
    uint32_t hash_bits;     /* sparse rows = 1 << hash_bits (20) */
    uint32_t epochs;        /* passes over the window (2) */
    uint32_t batch;         /* samples per AdaGrad step (256) */
    uint32_t warmup_days;   /* first days only feed statistics (1) */
    float lr;               /* AdaGrad step (0.05) */
    float l2;               /* L2 on touched rows (1e-6) */
    uint64_t seed;
    unsigned flags;         /* enum rank_flags (both) */
    float weight[RANK_N_TASKS];     /* integrated-score weights */
    float theta_weight;     /* multiplier of theta_u (0.5) */
    uint32_t theta_ref;     /* |R| (RANK_THETA_REF) */
    uint32_t max_samples_per_day;   /* training budget: at most this many
                               exposures of a day, a fixed-seed sample
                               (RANK_MAX_PER_DAY); 0 = all */
    const struct rank_model *warm;  /* start from this model (borrowed),
                               NULL: from random initial parameters */
};

struct rank_model {
    uint32_t dim, hidden, hash_bits, flags, theta_ref, epochs;
    uint64_t seed;
    float weight[RANK_N_TASKS];
    float theta_weight;
    size_t n_params;
    float *params;          /* one block, owned */
    /* named views into params */
    float *rows;            /* (1 << hash_bits) x (T + K) */
    float *b;               /* T */
    float *a;               /* T x Z */
    float *c;               /* T x H */
    float *w1;              /* Z x H (input-major) */
    float *b1;              /* H */
};

struct rank_train_stats {
    uint64_t n_exposures;   /* exposures turned into samples (per epoch) */
    uint64_t n_samples;     /* gradient samples, all epochs (augmented) */
    double loss_first;      /* mean summed BCE over the first epoch */
    double loss_last;       /* ... over the last epoch */
    double seconds;         /* training wall time */
    double base_rate[RANK_N_TASKS];
    int n_sampled_days;     /* days of interactions only, learnt from as
                               samples with negatives (docs/ranking.md) */
};

/* Defaults as documented in struct rank_params. */
struct rank_params rank_default_params(void);

/* Short task names: "click", "like", "comment", "follow", "long_view". */
const char *rank_task_name(int task);

/*
 * Train on the window w: days before warmup_days only build statistics;
 * every exposure of a later day becomes a sample whose features come from
 * the days before it (at most max_samples_per_day of them, a fixed-seed
 * sample).  t may be NULL (no tower feature).  With p->warm the
 * parameters start from that model (its epochs count on) instead of the
 * random initialisation; it must have the shape of p (dim, hidden,
 * hash_bits) and the same flags (augment, extra, tower), else RC_USAGE.
 * *out is a new model; st may be NULL.  RC_DATA when the window has no
 * exposure to train on; RC_USAGE for bad parameters.
 */
int rank_train(const struct window *w, const struct tower *t,
               const struct rank_params *p, struct rank_model **out,
               struct rank_train_stats *st, struct diag *d);

/* Read a model: RC_NOINPUT when missing, RC_DATA when corrupt, of another
 * version or inconsistent (the message names the path). */
int rank_load(const char *path, struct rank_model **out, struct diag *d);
/* Write atomically; RC_CANTCREAT / RC_IO. */
int rank_save(const struct rank_model *m, const char *path, struct diag *d);
void rank_free(struct rank_model *m);

/*
 * Per-run feature context built once from the whole window (statistics of
 * every loaded day) for scoring pairs of the day after it, plus theta_u
 * of every user (this needs the model).  tower may be NULL when the model
 * was trained without one (RC_USAGE otherwise); a tower given to a model
 * trained without it is not used.  The context
 * keeps no pointer into w; it is read-only afterwards and safe to share
 * between threads.
 */
struct rank_context;
int rank_context_build(const struct rank_model *m, const struct window *w,
                       const struct tower *t, struct rank_context **out,
                       struct diag *d);
void rank_context_free(struct rank_context *ctx);
/* theta_u of user u (the cold-user value for unknown indices). */
float rank_context_theta(const struct rank_context *ctx, uint32_t u);

/*
 * Fill c->p (RANK_N_TASKS probabilities per entry) and c->score (the
 * integrated score minus theta_weight * theta_u) for every entry of c.
 * Users or items outside the context's dictionaries are scored as cold
 * (no history, unknown creator, no tags).  Never writes NaN.  OpenMP over
 * items.  RC_DATA when the context was built for another model shape.
 */
int rank_score_cands(const struct rank_model *m, const struct rank_context *ctx,
                     struct cands *c, struct diag *d);

/* The integrated score of probabilities p without theta. */
float rank_integrate(const struct rank_model *m, const float *p);

/* ---- evaluation (src/model/rank_eval.c) ---- */

struct rank_eval_task {
    double auc, logloss;        /* all test exposures */
    double auc_new, auc_old;    /* items new on the test day / seen */
    uint64_t n_pos;
};

struct rank_eval {
    uint64_t n, n_new;          /* test exposures; of new items */
    struct rank_eval_task task[RANK_N_TASKS];
    double auc_score;           /* AUC of the integrated score for explicit
                                   feedback (like|comment|follow|share) */
    double gauc_score;          /* the same per item, averaged over items
                                   with both classes, weighted by exposures
                                   (the creator-side view: which users of
                                   one item engage) */
    double gauc_theta;          /* ... of the score minus theta_u (NaN for
                                   the baseline, which has no theta) */
    uint64_t gauc_items;        /* items in the per-item average */
};

/*
 * Score every exposure of `test` (the day after w's last day) with the
 * model and context built from w, and report AUC/log-loss per task, for
 * all items and split by new (no exposure in w) vs old.  NaN for an AUC
 * whose class is empty.  A test day of interactions only (ratings) is
 * scored as samples: its (user, item) pairs (click = 1, their events)
 * and RANK_NEG_PER_POS negatives each, drawn by that day's popularity
 * among the items the user has no interaction with that day.
 */
int rank_evaluate(const struct rank_model *m, const struct rank_context *ctx,
                  const struct segment *test, struct rank_eval *ev,
                  struct diag *d);

/*
 * The samples the ranker learns from on day k of w (for inspection and
 * tests): the day's exposures when it has any; for a day of interactions
 * only, one exposure per (user, item) interacted with (FB_CLICK | their
 * feedback, the earliest time) and RANK_NEG_PER_POS negatives per such
 * exposure drawn by popularity from the items the user has no interaction
 * with in w (docs/ranking.md).  *out is a new array in segment order, the
 * count returned.
 */
size_t rank_day_samples(const struct window *w, int k, uint64_t seed,
                        struct seg_exposure **out);

/*
 * Gradient-boosted trees (libxgboost) on exactly the dense features of the
 * ranker, one booster per task, trained on up to max_train samples of the
 * window (same day split, same warm-up) and evaluated like rank_evaluate.
 * flags selects the feature set (RANK_EXTRA).  RC_INTERNAL when xgboost
 * fails.
 */
int rank_xgb_baseline(const struct window *w, const struct tower *t,
                      const struct segment *test, unsigned flags,
                      uint64_t max_train, uint32_t rounds, uint32_t depth,
                      uint64_t seed, struct rank_eval *ev, struct diag *d);

/*
 * Concentration of the top users across items: for each item of c take
 * its top_k entries by c->score (ties by user index); returns the share of
 * all those slots held by the `heavy` users with most slots, and writes
 * the number of distinct users holding a slot to *distinct.
 */
double rank_top_concentration(const struct cands *c, uint32_t top_k,
                              uint32_t heavy, uint32_t *distinct);

/*
 * A candidate table for the theta_u report: the n_items items with most
 * exposures in test (ties by index), each with n_cands distinct users
 * drawn with a fixed seed from the users active in test.  Caller frees.
 */
struct cands *rank_eval_cands(const struct segment *test, size_t n_items,
                              size_t n_cands, uint64_t seed);

/*
 * Benchmark helper: a candidate table of n_items items (the most recent
 * in the catalog, cycling) x n_cands users drawn with a fixed seed from
 * the context's users.  Caller frees.
 */
struct cands *rank_bench_cands(const struct rank_context *ctx,
                               const struct window *w, size_t n_items,
                               size_t n_cands, uint64_t seed);

#endif
