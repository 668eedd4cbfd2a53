/*
 * tower.h -- the item->user two-tower retrieval model: user vectors and an
 * item feature tower, trained by weighted implicit ALS.
 *
 * Model.  User u has a vector p_u (dim floats).  Item i has
 *     q_i = e_i + x_i W,
 * where x_i is the item's sparse feature row (a global feature, its creator,
 * its tags, its duration bucket; each group gets weight 1, the tags share
 * theirs, and the row is divided by the number of groups present) and W
 * holds one embedding per feature.  e_i, the id part, is non-zero only for
 * items that had feedback in training; a brand-new item gets q_i = x_i W
 * from its creator and tags alone.  The search score is s_u . q_i where s_u
 * is p_u divided by ||p_u||^beta (beta = user_norm): with beta > 0 heavy
 * users, whose vectors grow with their activity, stop winning every item.
 *
 * Loss (implicit ALS with a feature prior, Hu-Koren-Volinsky 2008 plus the
 * regression prior of Agarwal-Chen 2009):
 *     sum_{u,i} c_ui (p_u . q_i - r_ui)^2
 *   + reg ||P||^2 + prior sum_i ||q_i - x_i W||^2 + reg_feat ||W||^2
 * where r_ui = 1 for a positive (feedback kinds weighted by fb_weight),
 * c_ui = 1 + alpha * weight for a positive, w0 + neg_weight for an exposure
 * without feedback (r = 0), w0 + hate_weight for explicit negative feedback
 * (r = 0) and w0 for every other pair (the all-pairs term is folded into a
 * dim x dim Gram matrix, so its cost does not grow with users x items).
 * One epoch: a user step (conjugate gradient per user, warm-started), an
 * item step (the same per item, pulled towards x_i W by `prior`), and a
 * ridge regression of the item vectors on their features for W (CG).  In
 * the user step a random share id_drop of items is seen as x_i W only, so
 * user vectors also fit the feature-only vectors new items get.
 *
 * Determinism: per-user and per-item solves are independent; Gram matrices
 * and reductions are summed over fixed blocks in a fixed order; random
 * draws come from rng_seed(seed, stage, block).  Bytes do not depend on
 * OMP_NUM_THREADS.
 *
 * File (binfile container, magic "\x89DRTOWER", version TOWER_VERSION),
 * payload:
 *   OFFSET SIZE TYPE  FIELD
 *        0    4 u32   dim
 *        4    4 u32   n_users
 *        8    4 u32   n_items
 *       12    4 u32   n_creators
 *       16    4 u32   n_tags
 *       20    4 u32   n_dur (duration buckets, TOWER_N_DUR)
 *       24    4 u32   flags: bit 0 = feature tower in use
 *       28    4 f32   user_norm (beta)
 *       32    4 i32   last training day (days since 1970-01-01)
 *       36    4 u32   epochs trained so far (including warm starts)
 *       40    .  f32  parameters, one block:
 *                     P (n_users x dim), E (n_items x dim), g (dim),
 *                     C (n_creators x dim), T (n_tags x dim),
 *                     D (n_dur x dim)
 * Integers little-endian; floats IEEE-754 binary32 LE.
 */
#ifndef DUALREC_TOWER_H
#define DUALREC_TOWER_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "segment.h"

#define TOWER_VERSION 1
#define TOWER_N_DUR 7           /* unknown, <10s, <30s, <1m, <3m, <10m, more */
#define TOWER_F_FEATURES (1u << 0)
/*
 * ALS epochs when warm-started from yesterday's model and no epoch count
 * is given (dualrec-train-tower --warm): the old vectors are already near
 * the fixed point, so two sweeps refit the newest day (docs/retrieval.md,
 * "Warm start") at a quarter of the cold 8.
 */
#define TOWER_WARM_EPOCHS 2

struct tower {
    uint32_t dim, n_users, n_items, n_creators, n_tags, n_dur;
    uint32_t flags;
    float user_norm;
    int32_t day;
    uint32_t epochs;
    float *params;      /* the one block */
    size_t n_params;
    float *P, *E, *g, *C, *T, *D;   /* named pointers into params */
    float *S;           /* search vectors s_u (derived, n_users x dim) */
};

struct tower_params {
    uint32_t dim;           /* multiple of 4, 4..1024 */
    uint32_t epochs;
    uint64_t seed;
    uint32_t cg_steps;      /* CG iterations per solve */
    float reg;              /* on P (and on q in the id-only model) */
    float prior;            /* pull of q_i towards x_i W */
    float reg_feat;         /* on W */
    float alpha;            /* positive confidence: 1 + alpha * weight */
    float w0;               /* weight of every unobserved pair */
    float neg_weight;       /* extra confidence of exposed, no feedback */
    float hate_weight;      /* extra confidence of explicit negatives */
    float fb_weight[FB_N_KINDS];  /* per enum seg_fb bit (HATE unused) */
    float id_drop;          /* share of items seen as x_i W in user steps */
    float user_norm;        /* beta of the search vectors */
    int use_features;       /* 0: id-only factorisation (baseline) */
};

struct tower_params tower_default_params(void);

/*
 * Set one parameter from "name=value" (names as the struct fields; the
 * feedback weights are w_click, w_like, w_comment, w_follow, w_share,
 * w_long_view).  RC_USAGE naming the text when unknown or not a number.
 */
int tower_params_set(struct tower_params *p, const char *kv, struct diag *d);

/*
 * Training observations: for each user the distinct items with a
 * confidence and a label, CSR by user (items ascending) and by item (users
 * ascending).  val > 0: positive with c = val; val < 0: negative (r = 0)
 * with c = -val.  Owned by the struct (tower_data_free).
 */
struct tower_data {
    uint32_t n_users, n_items;
    size_t n;
    size_t *uoff;       /* n_users + 1 */
    uint32_t *uitem;    /* n */
    float *uval;        /* n */
    size_t *ioff;       /* n_items + 1 */
    uint32_t *iuser;    /* n */
    float *ival;        /* n */
    size_t n_pos;
};

/*
 * Observations of a window: per (user, item) the feedback bits OR-ed over
 * all days (exposures' inline flags and interaction rows), weighted by
 * p->fb_weight; pairs exposed without feedback become negatives when
 * p->neg_weight > 0.  Sizes come from the window's dictionaries.  Reads
 * one day at a time (window_get_day), so a WINDOW_LAZY window holds one
 * day's rows at once; memory follows the rows with feedback (and the
 * exposures only when neg_weight > 0).  Errors are window_load_day's.
 */
int tower_data_read(const struct window *w, const struct tower_params *p,
                    struct tower_data **out, struct diag *d);
/* tower_data_read for a window whose rows are resident (not WINDOW_LAZY),
 * where no day is read and nothing can fail. */
struct tower_data *tower_data_from_window(const struct window *w,
                                          const struct tower_params *p);
/*
 * Build from COO triples (user, item, val as above); duplicates of a pair
 * are summed (both must then have the same sign).  Copies the input.
 */
struct tower_data *tower_data_from_triples(uint32_t n_users,
                                           uint32_t n_items, size_t n,
                                           const uint32_t *user,
                                           const uint32_t *item,
                                           const float *val);
void tower_data_free(struct tower_data *x);

/* Fill the item-side CSR (ioff, iuser, ival) and n_pos from the user side
 * of x (uoff, uitem, uval, n); for callers that build the user side. */
void tower_data_index(struct tower_data *x);

/* The observation value (see struct tower_data) of a (user, item) pair
 * with OR-ed feedback bits fb, exposed or not; 0 when the pair is not an
 * observation. */
float tower_obs_value(uint32_t fb, int exposed, const struct tower_params *p);

/*
 * Training, one epoch per call so that the caller can report progress.
 * cat gives item features (NULL or use_features = 0: none); warm, when not
 * NULL, seeds every user, item and feature it knows (same dim required:
 * RC_USAGE otherwise); the rest start from small random vectors.
 * The trainer borrows x and cat until tower_trainer_finish.
 */
struct tower_trainer;
int tower_trainer_new(const struct tower_data *x, const struct catalog *cat,
                      uint32_t n_creators, uint32_t n_tags,
                      const struct tower_params *p, const struct tower *warm,
                      struct tower_trainer **out, struct diag *d);
/* One epoch; *loss = the objective above divided by the number of
 * observations. */
void tower_trainer_epoch(struct tower_trainer *tr, double *loss);
/* The trained model (caller owns it); frees the trainer. */
struct tower *tower_trainer_finish(struct tower_trainer *tr, int32_t day);

/* Load/save the model file.  load: RC_NOINPUT when missing, RC_DATA when
 * corrupt, of another version or inconsistent. */
int tower_load(const char *path, struct tower **out, struct diag *d);
int tower_save(const struct tower *t, const char *path, struct diag *d);
void tower_free(struct tower *t);

uint32_t tower_dim(const struct tower *t);
uint32_t tower_n_users(const struct tower *t);
/* The search vector s_u of user, or NULL when the model does not know the
 * user.  Valid while t lives. */
const float *tower_user_vec(const struct tower *t, uint32_t user);
/* The search matrix (n_users x dim), row u = tower_user_vec(t, u). */
const float *tower_user_matrix(const struct tower *t);

/*
 * Item vectors q_i for items[0..n): the feature part from cat (creator,
 * tags, duration; features the model does not know are skipped, and so is
 * the feature tower when cat is NULL) plus the id part when the model knows
 * the item.  out is n x dim, caller-allocated.
 */
void tower_item_vecs(const struct tower *t, const struct catalog *cat,
                     const uint32_t *items, size_t n, float *out);

/* Duration bucket of a duration in milliseconds (0 = unknown). */
uint32_t tower_dur_bucket(uint32_t dur_ms);

/* Recompute the search vectors after changing t->user_norm. */
void tower_set_user_norm(struct tower *t, float beta);

#endif
