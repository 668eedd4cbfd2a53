/*
 * oracle.h -- expected creator feedback of a published item->users table
 * in a generated world, against the best assignment ground truth allows,
 * simple baselines, and a regret decomposition (docs/quality.md).
 *
 * The world (dualrec-gen, worldgen.h) knows for every user u and item i
 * the expected creator feedback of one impression, f(u, i) = P(like) +
 * P(comment) + P(follow) (worldgen_expected_feedback), and the probability
 * that u is active on day D+1, p(u).  A pushed pair is worth
 *     value(u, i) = p(u) * f(u, i)
 * expected like + comment + follow on D+1 (every pushed item of an active
 * user counts as shown).  The items are the world's uploads of day D (UTC
 * days of the world), the users those the pipeline knows at D (its users
 * dictionary); every policy gets at most L users per item and Q items per
 * user.
 *
 * Policies: the oracle (the assignment maximising the sum of true values),
 * the published table (its pairs for day D's uploads), most-active and
 * most-likes users (impressions and likes in the window), random users.
 * Regret: a chain of oracle variants, each swapping one true quantity for
 * the pipeline's, so that the steps add up to oracle - published:
 *   V0 oracle              true p, true f, capacity Q, all known users
 *   V1 availability        predicted p_active instead of p
 *   V2 capacity            the UAC's Q_u and a_u instead of Q for all
 *   V3 retrieval           only the pairs retrieval proposed
 *   V4 affinity            the ranker's p_like + p_comment + p_follow
 *                          instead of f
 *   published              the product's own objective and matching
 * Each variant chooses with its quantities and is valued with the true
 * ones; loss of a step = value(previous) - value(this one).
 */
#ifndef DUALREC_ORACLE_H
#define DUALREC_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "evalrep.h"

struct oracle_opts {
    const char *world_dir;      /* dualrec-gen --out DIR */
    const char *outroot;        /* published dates, OUTROOT/dt=D */
    const char *segroot;        /* the pipeline's segments (dictionaries,
                                   window for the baselines) */
    const char *avail_path;     /* NULL: no availability/capacity steps */
    const char *cands_path;     /* dualrec-match --dump-cands; NULL: no
                                   retrieval/affinity steps */
    int32_t date;               /* run date D */
    uint32_t L, Q;              /* 200, 10 */
    int days;                   /* baseline window (30) */
    uint64_t seed;              /* random baseline */
};

void oracle_default_opts(struct oracle_opts *o);

/*
 * The best assignment for a value matrix: value is (n_items, n_users)
 * row-major, entries <= 0 are not allowed pairs; cap[u] items per user
 * (0: none), L users per item.  Each item's candidates are its top K users
 * by value with K = L + ceil((n_items - 1) * L / q_min) (q_min the smallest
 * positive cap), which cannot drop a pair of some optimum (a better user
 * left out would have to be full); past max_edges in total K is cut and
 * *exact is 0.  Then the auction of assign.h on raw values (eps-optimal).
 * Picks: *pick (new array, item * n_users + user, ascending), *n_pick.
 * Returns the sum of value over the picks.
 */
double oracle_solve(uint32_t n_items, uint32_t n_users, const float *value,
                    const uint16_t *cap, uint32_t L, size_t max_edges,
                    uint64_t **pick, size_t *n_pick, int *exact);

/*
 * Run the evaluation and build the report (sections "oracle", "regret").
 * RC_NOINPUT when the world, the date's tables or another input is
 * missing; RC_DATA when they do not belong together (table ids that are
 * not the world's, a date outside the world or other than the manifest's,
 * availability for another day).
 */
int oracle_run(const struct oracle_opts *o, struct evalrep **out,
               struct diag *d);

#endif
