/*
 * rank_int.h -- internals shared by rank.c (model, training, scoring),
 * rank_feat.c (the feature context) and rank_eval.c (evaluation).  Not a
 * public interface: other modules use rank.h.
 *
 * A sample's features are a struct rank_feat: hashed sparse rows with
 * values, and the dense statistics.  They are computed from a struct
 * rank_context that holds running statistics of the days added so far,
 * so a sample of day d only ever sees days before d.
 */
#ifndef DUALREC_RANK_INT_H
#define DUALREC_RANK_INT_H

#include <stdint.h>

#include "rank.h"

#define RANK_MAX_TAGS 8         /* tags of an item used as rows */
#define RANK_MAX_ROWS (3 + RANK_MAX_TAGS + RANK_N_DENSE)
#define RANK_MAX_DIM 64
#define RANK_MAX_HIDDEN 256
#define RANK_MAX_Z (RANK_MAX_DIM + RANK_N_DENSE)
#define RANK_PROF_DIM 16        /* content / profile vectors */
#define RANK_RATE_PRIOR 20.0f   /* pseudo-exposures of rate smoothing */
#define RANK_USER_SHARDS 64     /* fixed ranges of users of the
                                   statistics pass (rank_feat.c) */
#define RANK_FEAT_SEED 0x72616e6b66656174ull    /* content vectors */

/*
 * The window as the ranker learns from it and scores with it
 * (rank_sample.c), read one day at a time: a day with exposures as it is;
 * a day without exposures but with interactions as samples made of them:
 * one exposure per (user, item) interacted with, feedback FB_CLICK | the
 * interactions' feedback, and RANK_NEG_PER_POS negatives drawn by
 * popularity from items the user has no interaction with in the window.
 * Depends on the seed only, and not on whether w is lazy: a lazy window
 * is read a day at a time (window_get_day), so a pass holds one day's
 * rows; the negatives' tables (built only when some day is sampled) hold
 * the window's interaction pairs.
 */
struct negs;
struct rank_view {
    const struct window *w;     /* borrowed */
    uint64_t seed;
    struct negs *ng;            /* NULL when no day is sampled */
    int n_sampled_days;
    uint32_t n_users_min;       /* users a sampled day of a hand-built
                                   window holds past its dictionary */
};

/* One day of a view: seg is NULL for a missing day. */
struct rank_day {
    const struct segment *seg;
    struct day_ref ref;
    struct segment *own;        /* the samples of a sampled day */
};

/* The rows a day of w has (its file's counts on a lazy window, skipped
 * kinds read as 0). */
void rank_day_rows(const struct window *w, int k, size_t *n_exp,
                   size_t *n_inter);
/* Errors are window_get_day's (a lazy window's day that fails to read). */
int rank_view_init(struct rank_view *v, const struct window *w,
                   uint64_t seed, struct diag *d);
void rank_view_release(struct rank_view *v);
int rank_view_get_day(const struct rank_view *v, int k, struct rank_day *day,
                      struct diag *d);
/* Release what rank_view_get_day made or read. */
void rank_view_put_day(struct rank_day *day);

/*
 * A test day of interactions only as the samples rank_evaluate scores:
 * its (user, item) pairs and RANK_NEG_PER_POS negatives each, drawn by
 * popularity on that day among the items the user has no interaction
 * with that day.  NULL when the day has exposures or no interactions.
 * Free with rank_sample_free.
 */
struct segment *rank_sample_test_day(const struct segment *test,
                                     uint32_t n_items, uint64_t seed);
void rank_sample_free(struct segment *s);

/*
 * (user, x) -> u32 for the users of one shard: per user (off, relative to
 * the shard's first user) its x ascending with their values.  8 bytes a
 * pair: the (user, creator) and (user, tag) statistics are the largest
 * part of a context (a user engages with ~100 creators in a month).
 */
struct rank_pmap {
    uint32_t *off;              /* shard_users + 1 */
    uint32_t *key;              /* n: x */
    uint32_t *val;              /* n */
    size_t n;
};

struct rank_context {
    uint32_t n_users, n_items, n_creators;
    int32_t day;                /* the day features are for */
    int32_t zone_offset;
    unsigned flags;             /* RANK_EXTRA of the model it serves */
    uint32_t hash_bits;
    int n_days_added;
    /* catalog copy */
    uint32_t *creator;          /* n_items, SEG_NONE unknown */
    int64_t *upload_t;
    uint32_t *dur_ms;
    uint32_t *tag_off;          /* n_items + 1 */
    uint32_t *tags;
    /* counts: [0] exposures, [1 + t] positives of task t */
    float *u_cnt;               /* n_users x (1 + T) */
    float *i_cnt;               /* n_items x (1 + T) */
    float *c_cnt;               /* n_creators x 2: exposures, explicit */
    double g_cnt[1 + RANK_N_TASKS];
    double g_expl;
    /* maps by user shard: user u's keys are in shard u / shard_users */
    uint32_t shard_users;
    struct rank_pmap uc[RANK_USER_SHARDS];  /* (user, creator) -> engaged
                                               << 1 | follows */
    struct rank_pmap ut[RANK_USER_SHARDS];  /* (user, tag) -> engaged */
    float *prof;                /* n_users x P: sum of engaged content */
    float *ivec;                /* n_items x P: unit content vectors */
    float *eng;                 /* n_items x P: sum of engagers' unit
                                   profiles at engagement time */
    float *i_neng;              /* n_items */
    /* two-tower hook: n_users x tdim and n_items x tdim, or NULL */
    uint32_t tdim;
    float *tow_u, *tow_i;
    uint8_t *tow_u_ok;          /* n_users, 1 when the tower knows u */
    /* theta_u, n_users + 1 (the last is the cold user) */
    float *theta;
};

/* Per-item part of the features, computed once per item. */
struct rank_item_feat {
    uint32_t item;              /* UINT32_MAX when unknown */
    uint32_t creator;           /* SEG_NONE when unknown */
    int drop_id;                /* scoring: the window never showed it */
    const uint32_t *tags;
    uint32_t n_tags;
    float f[RANK_N_DENSE];      /* item-only entries filled */
    float cvec[RANK_PROF_DIM];  /* unit content vector (or 0) */
    float evec[RANK_PROF_DIM];  /* unit engager vector (or 0) */
    const float *tvec;          /* tower item vector or NULL */
};

struct rank_feat {
    uint32_t n_rows;
    int item_slot;              /* index of the item-id row, -1 none */
    int drop_item;              /* score without it (unseen item) */
    uint32_t row[RANK_MAX_ROWS];
    float x[RANK_MAX_ROWS];
    float f[RANK_N_DENSE];
};

/* rank_feat.c */
/* A context with no day added: the catalog of w, counts for at least
 * n_users_min users (and every user of w's resident exposures). */
struct rank_context *rank_ctx_new(const struct window *w,
                                  uint32_t n_users_min, unsigned flags,
                                  uint32_t hash_bits);
/* Fold a day's events into the statistics; ctx->day becomes seg->day+1. */
void rank_ctx_add_day(struct rank_context *ctx, const struct segment *seg);
void rank_ctx_item(const struct rank_context *ctx, uint32_t item,
                   struct rank_item_feat *it);
void rank_ctx_pair(const struct rank_context *ctx, uint32_t user,
                   const struct rank_item_feat *it, struct rank_feat *x);
/* Attach the two-tower vectors (t may be NULL: no-op). */
int rank_ctx_tower(struct rank_context *ctx, const struct window *w,
                   const struct tower *t, struct diag *d);

/* rank.c */
/* Task probabilities of one sample (RANK_N_TASKS). */
void rank_predict(const struct rank_model *m, const struct rank_feat *x,
                  float *p);
/* Labels of an exposure's feedback bits. */
void rank_labels(uint32_t fb, uint8_t *y);

#endif
