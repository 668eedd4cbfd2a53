/*
 * channels.h -- candidate users for target items from every retrieval
 * channel, merged into one struct cands (cands.h).
 *
 * Channels (enum cands_channel):
 *   tower    exact top users by s_u . q_i (topk.h) among eligible users
 *   i2i2u    items similar to the target -- by cosine of item-tower vectors
 *            and by shared creator/tags -- among items with recent positive
 *            feedback, then the users who gave that feedback, scored
 *            sum_j sim(target, j) * weight(u, j)
 *   i2u2u    the target's own early engagers (positive feedback in the
 *            window) -> the users most similar to them by cosine of user
 *            vectors, scored sum_e weight(e) * cos(e, u)
 *   creator  users who follow the target's creator (window follows) or gave
 *            positive feedback to the creator's recent items, most engaged
 *            first
 * Every channel leaves out ineligible users and users already exposed to
 * (or interacting with) the target in the window.  The merge gives each
 * target up to k users: each channel first fills its quota from its own
 * ranking (skipping users already taken), then remaining room goes to the
 * channels' next users in turn.  Quotas summing to more than k are scaled
 * down in proportion.  A user's channel bits name every channel
 * whose list held it; retr is the tower score s_u . q_i for every user,
 * so that one scale serves all channels; score and p are zero (ranking
 * fills them).  Within a target, users are sorted by retr descending, ties
 * by user index.
 *
 * Determinism: targets are processed independently with fixed-order
 * arithmetic; output does not depend on OMP_NUM_THREADS.
 */
#ifndef DUALREC_CHANNELS_H
#define DUALREC_CHANNELS_H

#include <stddef.h>
#include <stdint.h>

#include "cands.h"
#include "diag.h"
#include "segment.h"
#include "tower.h"

struct channels_params {
    uint32_t k;                         /* candidates per target, merged */
    uint32_t quota[CANDS_N_CHANNELS];   /* per channel, by bit position */
    uint32_t recent_days;               /* "recent" = last N window days */
    uint32_t n_similar_items;           /* i2i2u: similar items per target */
    uint32_t n_seed_users;              /* i2u2u: engagers used per target */
    uint32_t n_similar_users;           /* i2u2u: neighbours per engager */
    float follow_weight;                /* creator: a follow, in fb units */
    float fb_weight[FB_N_KINDS];        /* engagement weights (tower.h) */
    uint32_t enabled;                   /* enum cands_channel bits */
};

struct channels_params channels_default_params(void);

/* What happened, for the stage's summary. */
struct channels_stats {
    size_t n_targets;
    size_t kept[CANDS_N_CHANNELS];      /* merged candidates with this bit */
    size_t served[CANDS_N_CHANNELS];    /* targets the channel gave >= 1 */
    size_t no_features;     /* targets with no creator, tags or duration */
    size_t no_engagers;     /* targets without early engagers */
    size_t no_creator;      /* targets whose creator is unknown */
    size_t empty;           /* targets left with no candidate at all */
    size_t pool_items;      /* items with recent positive feedback */
    int days_loaded;        /* window days present */
};

/*
 * Candidates for targets[0..n_targets) (item indices of w's dictionary),
 * in a new cands table (caller frees) with items[k] = targets[k].
 * eligible: NULL or iddict_count(w->users) bytes (users past the model's
 * are never eligible for the tower and i2u2u channels, which need vectors).
 * RC_DATA when a target is not in the window's catalog.
 */
int channels_generate(const struct window *w, const struct tower *t,
                      const struct channels_params *p,
                      const uint32_t *targets, size_t n_targets,
                      const uint8_t *eligible, struct cands **out,
                      struct diag *d);

/* The same, also filling *st (when not NULL). */
int channels_generate_stats(const struct window *w, const struct tower *t,
                            const struct channels_params *p,
                            const uint32_t *targets, size_t n_targets,
                            const uint8_t *eligible, struct cands **out,
                            struct channels_stats *st, struct diag *d);

/*
 * One channel's own ranked list per target, before the merge (for
 * evaluation): like channels_generate with only channel `ch` enabled, its
 * quota and k set to L.
 */
int channels_one(const struct window *w, const struct tower *t,
                 const struct channels_params *p, enum cands_channel ch,
                 uint32_t L, const uint32_t *targets, size_t n_targets,
                 const uint8_t *eligible, struct cands **out,
                 struct diag *d);

/* ---- evaluation helpers (src/model/channels_eval.c) ---- */

/* What counts as ground truth (channels_truth). */
enum channels_truth_flags {
    /* every interaction row counts (a rating of any value, an event that
     * is not a feedback kind), not only positive feedback; exposures
     * still need feedback, an impression alone is not engagement */
    CHANNELS_TRUTH_ANY_ROW = 1 << 0
};

/*
 * Ground truth for targets: the users with positive feedback (weights of
 * p, as tower_obs_value) on target k in any of the segments
 * next[0..n_next) (NULL entries, missing days, are skipped), leaving out
 * users listed for that item in `seen` (the window's observations, e.g.
 * the tower_data with negatives on: every exposed pair).  flags: enum
 * channels_truth_flags.  CSR by target, users ascending and unique;
 * caller frees off and user.
 */
void channels_truth(const struct segment *const *next, size_t n_next,
                    const struct tower_data *seen,
                    const struct channels_params *p, unsigned flags,
                    const uint32_t *targets, size_t n_targets, size_t **off,
                    uint32_t **user);

/*
 * The catalog items of w that no exposure or interaction row of the
 * window names (never seen, rated or engaged with: new to the window),
 * ascending, in a new array (caller frees); *n gets their count.
 */
uint32_t *channels_unseen_items(const struct window *w, size_t *n);

/*
 * Recall of c against the truth rows (c->items[k] matches target k):
 * micro = hits / truth users, macro = mean over targets with truth.
 * Returns the number of targets with truth.
 */
size_t channels_recall(const struct cands *c, const size_t *off,
                       const uint32_t *user, double *micro, double *macro);

/*
 * Baseline: the L users with the most positive observations in x, the
 * same for every target except that users listed for the target in x
 * (already seen) and ineligible users are skipped.  Channel bits 0.
 */
struct cands *channels_most_active(const struct tower_data *x,
                                   const uint32_t *targets, size_t n_targets,
                                   uint32_t L, const uint8_t *eligible);

/*
 * Concentration of a candidate table: the share of all entries held by
 * the 1% of users (at least one) who appear most often.
 */
double channels_top_user_share(const struct cands *c, uint32_t n_users);

#endif
