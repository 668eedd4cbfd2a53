/*
 * worldgen.h -- a synthetic short-video world with known ground truth: the
 * users, creators, tags and items of dualrec-gen, its user-side feed, and
 * the hook the delivery simulator uses to push items (D_u) into that feed.
 *
 * The world is a pure function of its parameters (seed included):
 *   - users: taste vector (dim floats), bias, activity level, day-active
 *     probability, weekend factor, two hour-of-day profiles (weekday and
 *     weekend), arrival day and churn day;
 *   - tags: a vector and a Zipf popularity; creators: a vector, a bias, a
 *     lognormal productivity and three favourite tags;
 *   - items: uploaded day by day (creator drawn by productivity, tags from
 *     the creator's favourites, duration lognormal), vector = mix of the
 *     creator's and the tags' vectors plus noise, bias = creator bias plus
 *     noise;
 *   - a popularity state per item (decayed clicks and likes), the only
 *     state that evolves from day to day.
 * docs/worldgen.md gives the formulas and the file formats.
 *
 * One simulated day (worldgen_sim_day) walks the users in fixed blocks
 * (OpenMP over blocks); each user's day draws from random streams keyed by
 * (seed, day, user) for activity and by (seed, day, user, item) for
 * feedback, so results are the same for any thread count and two runs
 * that push different items share every other random draw (common random
 * numbers).  A sim never changes the world; worldgen_advance() applies one
 * day's outcome to the popularity state and moves to the next day.
 *
 * Ownership: the caller owns what worldgen_new/worldgen_truth_load return
 * and frees it with the matching _free.  Event arrays passed to a sink are
 * borrowed for the duration of the call.
 */
#ifndef DUALREC_WORLDGEN_H
#define DUALREC_WORLDGEN_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define WORLDGEN_DIM_MAX    64
#define WORLDGEN_TAGS_MAX   3       /* tags per item */
#define WORLDGEN_FAV_TAGS   3       /* favourite tags per creator */

struct worldgen_params {
    uint64_t seed;
    uint32_t n_users;
    uint32_t n_creators;        /* 0: derived from items_per_day */
    uint32_t items_per_day;     /* mean uploads per day */
    uint32_t n_days;            /* days written by the generator */
    int32_t  start_day;         /* days since 1970-01-01 (UTC) */
    uint32_t dim;               /* latent dimension, <= WORLDGEN_DIM_MAX */
    uint32_t n_tags;            /* tag vocabulary size */
    uint32_t warmup_days;       /* catalog uploaded before start_day */
    uint32_t max_age_days;      /* items older than this leave the feed */
    double   imp_per_session;   /* mean impressions of a median user */
    double   pop_share;         /* feed slots from the popular pool */
    double   tag_share;         /* feed slots from the user's tags */
                                /* (the rest: fresh uploads) */
    uint32_t push_per_session;  /* pushed items per session, 0: no cap */
};

/* The defaults (docs/worldgen.md); the caller then sets what it needs. */
struct worldgen_params worldgen_default_params(void);

/* Check a parameter set; RC_USAGE with the offending field otherwise. */
int worldgen_params_check(const struct worldgen_params *p, struct diag *d);

struct worldgen;

/*
 * Build the world for p: users, tags, creators, the warm-up catalog and
 * its popularity.  The world starts at day p->start_day.  Memory:
 * ~(dim + 24) * 4 bytes per user, per creator and per item.
 */
int worldgen_new(const struct worldgen_params *p, struct worldgen **out,
                 struct diag *d);
void worldgen_free(struct worldgen *w);

const struct worldgen_params *worldgen_params(const struct worldgen *w);
/* The day the next worldgen_sim_day simulates. */
int32_t worldgen_day(const struct worldgen *w);
/* Items uploaded so far (warm-up, then every simulated day's uploads
 * including the current day's, which exist from the day's start on). */
uint32_t worldgen_n_items(const struct worldgen *w);
/* Index of the first item uploaded on the current day. */
uint32_t worldgen_first_item_of_day(const struct worldgen *w);

/* Read-only views of the world's entities (NULL-free, bounds asserted). */
struct worldgen_item_info {
    uint32_t creator;
    int64_t  upload_t;          /* epoch seconds */
    uint32_t dur_ms;
    uint32_t n_tags;
    uint16_t tags[WORLDGEN_TAGS_MAX];
    float    bias;
    const float *vec;           /* dim floats, valid while w lives */
};
void worldgen_item(const struct worldgen *w, uint32_t item,
                   struct worldgen_item_info *out);
const float *worldgen_user_vec(const struct worldgen *w, uint32_t user);
float worldgen_user_bias(const struct worldgen *w, uint32_t user);

/*
 * Ground-truth probability that `user` starts at least one session in
 * hour `hour` (0..23, UTC) of `day`: life(day) * p_active(weekday) *
 * (1 - (1 - g_h) * exp(-s * g_h)), with g the user's hour profile for
 * the weekday or weekend and s the mean number of extra sessions (the
 * model of docs/worldgen.md).  worldgen_p_active_day is the probability
 * of at least one session that day.
 */
double worldgen_p_online(const struct worldgen *w, uint32_t user,
                         int32_t day, int hour);
double worldgen_p_active_day(const struct worldgen *w, uint32_t user,
                             int32_t day);
/*
 * The user's weekly table: p[weekday][hour] (weekday 0 = Monday) is
 * worldgen_p_online on a day of that weekday when the user is neither
 * before signup, dormant nor churned.
 */
void worldgen_p_online_week(const struct worldgen *w, uint32_t user,
                            double p[7][24]);

/*
 * Expected creator feedback of one impression of item i to user u: the
 * probability of a like plus that of a comment plus that of a follow,
 * each given the click they need (the feedback model of docs/worldgen.md):
 * sigmoid(a + C_CLICK) * (sigmoid(a + C_LIKE) + sigmoid(a + C_COMMENT) +
 * sigmoid(a + creator bias + C_FOLLOW)), a = u . v + b_u + b_i.
 */
double worldgen_expected_feedback(const struct worldgen *w, uint32_t u,
                                  uint32_t i);

/* Feedback flags of an impression. */
enum worldgen_fb {
    WG_CLICK     = 1 << 0,
    WG_LONG_VIEW = 1 << 1,
    WG_LIKE      = 1 << 2,
    WG_COMMENT   = 1 << 3,
    WG_FOLLOW    = 1 << 4,
    WG_SHARE     = 1 << 5,
    WG_HATE      = 1 << 6,
    WG_PUSHED    = 1 << 7       /* the slot held a pushed item */
};

/* One impression, as the feed produced it. */
struct worldgen_event {
    int64_t  t;                 /* epoch seconds */
    uint32_t user;
    uint32_t item;
    uint32_t play_ms;
    uint32_t dur_ms;
    uint16_t session;           /* 0-based session number in the day */
    uint8_t  fb;                /* enum worldgen_fb */
    uint8_t  pad;
};

/*
 * Items pushed per user for one day, in CSR form: user u's list is
 * items[off[u] .. off[u + 1]), in priority order; off has n_users + 1
 * entries (n_users may be smaller than the world's: later users have no
 * pushes).  Borrowed by worldgen_sim_day.
 *
 * Boost model: when the user is online, pushed items take the first slots
 * of each session, at most push_per_session per session (params; 0 = no
 * cap), in list order, until the list is used up; each pushed item is
 * shown at most once per day; items not yet uploaded at the session's
 * time, items already shown that day and indices outside the world are
 * skipped.  Session count and lengths do not depend on pushes, so pushed
 * items displace organic ones at the end of sessions.
 */
struct worldgen_push {
    uint32_t n_users;
    const uint32_t *off;
    const uint32_t *items;
};

/*
 * Build push lists from (user, item) pairs given in priority order (e.g.
 * the rows of dualrec's user -> items table mapped with
 * worldgen_parse_id): a stable counting sort by user, so each user's items
 * keep their order.  Pairs with user >= n_users are dropped.  *push points
 * into new arrays the caller frees with worldgen_push_release.
 */
void worldgen_push_from_pairs(uint32_t n_users, const uint32_t *user,
                              const uint32_t *item, size_t n,
                              struct worldgen_push *push);
void worldgen_push_release(struct worldgen_push *push);

/*
 * A sink receives the day's impressions block by block, users ascending,
 * each user's impressions by time; calls come from one thread in a fixed
 * order.  Return 0, or -1 with d filled to stop the simulation.
 */
typedef int (*worldgen_sink_fn)(void *arg, const struct worldgen_event *ev,
                                size_t n, struct diag *d);

/* Per-day realised outcome, what worldgen_advance needs. */
struct worldgen_daystats {
    int32_t  day;
    uint32_t n_items;           /* length of the arrays below */
    uint32_t *imp;              /* impressions per item */
    uint32_t *click;            /* clicks per item */
    uint32_t *like;             /* likes per item */
    uint64_t n_imp;             /* totals of the day */
    uint64_t n_fb[7];           /* per flag bit 0..6 */
    uint64_t n_pushed_shown;
    uint32_t n_active_users;
    uint32_t n_users;           /* length of the two arrays below */
    uint32_t *user_imp;         /* impressions per user */
    uint32_t *user_hours;       /* bit h set: a session started in hour h */
                                /* (after a session running late pushed */
                                /* the next one back) */
};
void worldgen_daystats_release(struct worldgen_daystats *s);

/*
 * Simulate the current day: every user's sessions, feed and feedback,
 * with `push` (NULL: no pushes, the generator's feed).  Events go to sink
 * (may be NULL); stats (may be NULL) receives the day's totals and
 * per-item counters (release with worldgen_daystats_release).  The world
 * is not changed.  Same world + same push lists -> same events.  Fails
 * only when the sink fails.
 */
int worldgen_sim_day(const struct worldgen *w, const struct worldgen_push *push,
                     worldgen_sink_fn sink, void *arg,
                     struct worldgen_daystats *stats, struct diag *d);

/*
 * Apply a day's outcome (from worldgen_sim_day on the current day) to the
 * popularity state and move to the next day, uploading its items.
 */
void worldgen_advance(struct worldgen *w, const struct worldgen_daystats *s);

/*
 * Parse an external id of the world ("u12", "i34", "c5", "t6") with the
 * given prefix character; returns 0 and *idx, or -1 when malformed.
 */
int worldgen_parse_id(const char *s, char prefix, uint32_t *idx);

/* ---- Generator: logs and truth on disk (worldgen_out.c) ---- */

enum worldgen_write_flags {
    WORLDGEN_ZSTD = 1 << 0      /* write .csv.zst instead of .csv */
};

struct worldgen_summary {
    uint64_t rows[5];           /* exposures, interactions, items, */
                                /* follows, users */
    uint64_t bytes;             /* bytes written to logs/ */
    uint64_t n_fb[7];           /* feedback flags over all days */
    uint32_t n_items;           /* items in the world at the end */
};

/* Progress callback (one call per finished day), may be NULL. */
typedef void (*worldgen_progress_fn)(void *arg, int32_t day,
                                     const struct worldgen_daystats *s);

/*
 * Generate p->n_days days into dir: dir/logs/dt=D/{exposures,
 * interactions,items,follows,users}.csv[.zst] and dir/truth/ (see
 * docs/worldgen.md).  Every file is written atomically.  RC_CANTCREAT or
 * RC_IO on output failures.
 */
int worldgen_generate(const struct worldgen_params *p, const char *dir,
                      unsigned flags, worldgen_progress_fn progress,
                      void *parg, struct worldgen_summary *sum,
                      struct diag *d);

/* ---- Ground truth (worldgen_truth.c) ---- */

/*
 * What dir/truth/ holds, loaded: the parameters, user and item vectors and
 * biases, the users' activity parameters, and realised activity per day.
 * Arrays are SoA; vectors are (n, dim) row-major.
 */
struct worldgen_truth {
    struct worldgen_params params;
    uint32_t n_users, n_items, n_creators, n_tags, dim;
    float    *user_vec;         /* (n_users, dim) */
    float    *user_bias;        /* n_users */
    float    *item_vec;         /* (n_items, dim) */
    float    *item_bias;        /* n_items */
    uint32_t *item_creator;     /* n_items */
    int64_t  *item_upload_t;    /* n_items */
    uint32_t n_days;            /* days with realised activity */
    int32_t  first_day;
    uint32_t *day_imp;          /* (n_days, n_users) impressions */
    uint32_t *day_hours;        /* (n_days, n_users) bit h: a session */
                                /* started in hour h */
    struct worldgen *world;     /* the world rebuilt from params, at */
                                /* first_day + n_days (for p_online and */
                                /* simulation) */
};

/* Load dir/truth/ (dir as given to worldgen_generate).  RC_NOINPUT when
 * missing, RC_DATA when corrupt or of another version, or when the world
 * rebuilt from the stored parameters does not match the stored vectors. */
int worldgen_truth_load(const char *dir, struct worldgen_truth **out,
                        struct diag *d);
void worldgen_truth_free(struct worldgen_truth *t);

/*
 * Rebuild the world of a generated directory and bring it to `day`
 * (start_day <= day <= start_day + n_days), replaying the organic days
 * before it; the result can simulate `day` with pushes (issue 7's
 * delivery simulator).  RC_USAGE when day is out of range.
 */
int worldgen_open_at(const char *dir, int32_t day, struct worldgen **out,
                     struct diag *d);

#endif
