/*
 * match.h -- the dualrec-match stage: targets -> candidates -> ranking ->
 * UAC-gated assignment -> published tables.
 *
 * For run date D (data up to and including D; the tables serve D+1):
 *   1. load the models (tower, rank) and the availability table for D+1
 *      first, so that a missing input fails before anything is written;
 *   2. open the window of segments ending at D;
 *   3. targets (targets.h): items uploaded on D plus long-tail items
 *      (fewer than long_tail_max exposures in the window), or an explicit
 *      list of external ids (unknown ids are counted and reported, not
 *      fatal);
 *   4. eligible users: a_u = 1 and Q_u > 0, and in time-slice mode only
 *      users whose peak hour (the argmax of hourly[u], ties: earliest)
 *      falls in the slice -- so slices that partition the day partition
 *      the users and each user's capacity is spent in one run only;
 *   5. candidates from the retrieval channels among eligible users
 *      (channels.h; it leaves out users already exposed to the target);
 *   6. ranking fills the integrated score (theta_u subtracted) and the
 *      task probabilities (rank.h);
 *   7. assignment (assign.h) under L per item and Q_u per user;
 *   8. outputs: the date partition (publish.h, outtable.h), and optionally
 *      item->users TSV on stdout and a Redis protocol file.
 * docs/matching.md describes the objective and the output formats.
 */
#ifndef DUALREC_MATCH_H
#define DUALREC_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "assign.h"
#include "channels.h"
#include "diag.h"
#include "iddict.h"
#include "segment.h"

struct match_opts {
    const char *segroot;
    int32_t day;                /* run date D */
    int window_days;            /* segments read, ending at D (30) */
    const char *tower_path, *rank_path, *avail_path;
    const char *outroot;        /* NULL: do not publish */
    const char *targets_path;   /* NULL: window rule; "-": stdin */
    uint32_t long_tail_max;     /* exposures below which an item is long
                                   tail (20); 0 disables */
    int long_tail_auto;         /* budget from the capacity left after the
                                   uploads (targets_long_tail_budget; 1) */
    size_t long_tail_budget;    /* else at most this many long-tail
                                   targets; TARGETS_BUDGET_ALL: no cut */
    double long_tail_over;      /* over-provisioning of the automatic
                                   budget (TARGETS_LONG_TAIL_OVER) */
    double min_cap_ratio;       /* capacity ratio below which the stage
                                   fails after publishing (0.25) */
    int new_first;              /* window rule: the day's uploads are
                                   assigned first, long-tail targets get
                                   the capacity left (1) */
    int slice_lo, slice_hi;     /* hours [lo, hi), wrapping when lo > hi;
                                   -1: no slice */
    int to_stdout;              /* item->users TSV on stdout */
    const char *redis_path;     /* NULL: none; "-": stdout */
    const char *redis_prefix;   /* "dualrec" */
    const char *cands_path;     /* NULL: none; else every scored candidate
                                   as a zstd TSV (for dualrec-eval oracle's
                                   regret decomposition) */
    uint32_t redis_ttl;         /* seconds, 0 = keys do not expire */
    int zstd_level;             /* tables (0 = 3) */
    struct assign_params assign;
    struct channels_params channels;
};

void match_default_opts(struct match_opts *o);

/* Step names for the timing report. */
enum match_step {
    MS_LOAD, MS_TARGETS, MS_RETRIEVAL, MS_RANKING, MS_ASSIGN, MS_OUTPUT,
    MS_N_STEPS
};
extern const char *const match_step_names[MS_N_STEPS];

/*
 * The capacity check's reference: a platform with U known users can give
 * the targets at most U x Q pairs, Q the paper's per-user capacity.  The
 * check fails only when the eligible users' capacity is far below that
 * (or below the targets' need, if smaller): a starving capacity model, not
 * a catalogue larger than its audience.
 */
#define MATCH_CAP_REF 10

struct match_report {
    double seconds[MS_N_STEPS];
    size_t n_targets;           /* target items matched */
    size_t n_new, n_long_tail;  /* window rule: why they are targets */
    size_t n_long_tail_eligible; /* long-tail items before the budget */
    size_t long_tail_budget;    /* the budget applied (TARGETS_BUDGET_ALL:
                                   none) */
    uint64_t long_tail_capacity; /* pairs the eligible users can still take
                                    once the uploads are served (assigned,
                                    or L each in one market) */
    size_t n_unknown;           /* explicit list: ids not known */
    char unknown_example[128];  /* the first unknown id (truncated) */
    uint32_t n_users, n_eligible;
    size_t n_cands;
    struct assign_stats {
        size_t pairs, full, empty, users_matched;
        double objective, score_sum;
        uint32_t rounds;
        int converged;
    } assign;
    size_t hist[12];            /* eligible users with 0..10, >= 11 items */
    /* Why targets went without a user (match_explain_empty): targets
     * without any candidate, the eligible users' total capacity, and a
     * sentence when most targets are empty ("" otherwise). */
    size_t empty_no_cands;
    uint64_t cap_eligible;
    char empty_cause[256];
    /* day segments older than the window (history it does not use) */
    uint32_t segments_before_window;
    uint64_t cap_supply;        /* sum of Q_u over eligible users */
    uint64_t cap_demand;        /* L x the day's uploads (window rule) or
                                   L x targets (explicit list) */
    uint64_t cap_reachable;     /* min(demand, MATCH_CAP_REF x users):
                                   what the targets could take from every
                                   known user at the paper's Q */
    double cap_ratio;           /* supply / reachable (inf when none) */
    int published;
    char final_dir[4096];
};

/*
 * Run the stage.  RC_NOINPUT when a model, the availability table, the
 * segments' dictionaries or the targets file is missing (nothing is
 * written); RC_DATA for corrupt or inconsistent inputs (availability for
 * another day); RC_CANTCREAT/RC_IO for outputs.  Fills *r.
 */
int match_run(const struct match_opts *o, struct match_report *r,
              struct diag *d);

/*
 * The peak hour of each user's hourly availability (hourly is n_users x
 * 24) is in [lo, hi) (wrapping when lo > hi)?  Clears mask[u] otherwise.
 */
void match_slice_mask(const float *hourly, uint32_t n_users, int lo, int hi,
                      uint8_t *mask);

#endif
