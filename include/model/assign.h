/*
 * assign.h -- global, capacity-aware assignment of target items to users.
 *
 * The last step of dualrec-match.  Input: a scored candidate table
 * (cands.h: item k -> users with the ranker's integrated score), a
 * per-user capacity Q_u (items the user may still receive today, from UAC)
 * and an eligibility mask (a_u = 1).  Output: for every item at most L
 * users, every user at most Q_u items, each (item, user) pair at most once.
 *
 * Objective.  With s_e the score of candidate edge e = (k, u), the
 * assignment A maximises
 *
 *     sum over e in A of  v_e,   v_e = s_e - s_lo + B
 *
 * where s_lo is the lowest usable score of the table and B the fill bonus
 * (params.fill_bonus times the score range s_hi - s_lo; 1 when the range is
 * 0).  Every usable edge is worth at least B, so one more matched pair
 * outweighs a score loss of up to B: with the default (1.0) the optimum
 * fills audiences first (coverage, the paper's new-item metric) and ranks
 * users by score among equal fills.  For a fixed number of pairs the
 * objective is the total score.  With params.raw_values, v_e = s_e
 * instead (no shift, no bonus; only edges with s_e > 0 are usable): the
 * plain maximum-weight assignment, for scores that are values already.
 * Edges of ineligible users, users with
 * capacity 0 and non-finite scores are not usable.
 *
 * Fairness floor.  The objective alone lets a market short of user
 * capacity starve the items whose candidates score lower everywhere.  With
 * 0 < params.min_audience < L, when the one-stage result leaves an item
 * below min(min_audience, its usable candidates), the auction and greedy
 * methods redo it in two stages: first with room min_audience per item
 * (the fill bonus then spreads users over as many items as it can), then
 * the rest with the capacity left.  The result is not the single-stage
 * optimum; the benchmark reports the difference (the price of the floor).
 *
 * Methods (enum assign_method):
 *   ASSIGN_AUCTION      the default: an auction on user capacity.  Items
 *                       bid for users; a full user's price is its lowest
 *                       accepted bid; an item with free slots bids for its
 *                       best users by v_e - price_u.  Jacobi rounds (all
 *                       items bid on the same prices, in parallel), so the
 *                       result does not depend on the thread count.  It
 *                       ends eps-optimal: within eps * (pairs) of the
 *                       optimum, eps = params.eps_rel * (s_hi - s_lo + B).
 *                       When user capacity is short (sum of min(Q_u,
 *                       degree) below sum of min(L, degree)) the mirror
 *                       auction runs instead: users bid for items, which
 *                       converges in few rounds there; if the first
 *                       direction does not converge in max_rounds, the
 *                       other runs too and the better result, completed
 *                       by a greedy fill, is kept.
 *   ASSIGN_GREEDY_ITEMS the paper's method, for comparison: items in index
 *                       order, each takes its best users that have room.
 *   ASSIGN_GREEDY       all usable edges by descending score, taken when
 *                       both sides have room.
 *   ASSIGN_EXACT        the optimum, by successive shortest paths (min-cost
 *                       flow, Dijkstra with potentials).  O(pairs * E log V):
 *                       for tests and benchmarks on small instances only.
 *
 * Determinism: ties are broken by edge index (item order, then position in
 * the item's candidate list); floating-point sums run in a fixed order.
 */
#ifndef DUALREC_ASSIGN_H
#define DUALREC_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "cands.h"
#include "diag.h"

enum assign_method {
    ASSIGN_AUCTION,
    ASSIGN_GREEDY_ITEMS,
    ASSIGN_GREEDY,
    ASSIGN_EXACT
};

struct assign_params {
    uint32_t L;                 /* users per item at most (200) */
    enum assign_method method;  /* ASSIGN_AUCTION */
    double fill_bonus;          /* B relative to the score range (1.0) */
    double eps_rel;             /* auction step relative to the value
                                   range (1e-3) */
    uint32_t max_rounds;        /* auction rounds per direction (300) */
    uint32_t min_audience;      /* auction/greedy: first stage with this
                                   room per item, then the rest (10; 0 or
                                   >= L: one stage) */
    int raw_values;             /* 1: v_e = s_e, edges with s_e <= 0 not
                                   usable, no fill bonus (the oracle of
                                   dualrec-eval: scores are expected
                                   feedback); 0: the objective above */
};

struct assign_params assign_default_params(void);

/* "auction", "greedy-items", "greedy", "exact"; parse returns -1 when
 * unknown. */
const char *assign_method_name(enum assign_method m);
int assign_method_parse(const char *s, enum assign_method *m);

/*
 * The result.  Item k (cands->items[k]) received the entries
 * edge[off[k] .. off[k+1]) of the candidate table, ordered by descending
 * score, ties by ascending user index (rank 1 first).
 */
struct assign {
    size_t n_items;         /* = cands->n_items */
    size_t *off;            /* n_items + 1 */
    size_t *edge;           /* n pair indices into the cands entries */
    size_t n;               /* pairs assigned */
    uint32_t n_users;
    uint32_t *user_items;   /* n_users: items assigned to each user */
    size_t n_full;          /* items that received L users */
    size_t n_empty;         /* items that received none */
    size_t n_usable;        /* usable edges of the table */
    double objective;       /* sum of v_e (see above) */
    double score_sum;       /* sum of s_e */
    double value_shift;     /* v_e - s_e = B - s_lo */
    uint32_t rounds;        /* auction rounds run, both directions (0
                               for other methods) */
    int converged;          /* the kept auction converged (eps-optimal) */
    int reverse;            /* the reverse auction's result was kept */
};

/*
 * Assign with params->method.  cap[u] is user u's capacity (items it may
 * still receive); eligible[u] != 0 marks available users (NULL: all).
 * RC_DATA when a candidate names a user >= n_users or params are invalid
 * (L = 0, negative bonus, eps_rel <= 0).  *out is new; free with
 * assign_free.
 */
int assign_run(const struct cands *c, uint32_t n_users, const uint16_t *cap,
               const uint8_t *eligible, const struct assign_params *params,
               struct assign **out, struct diag *d);

void assign_free(struct assign *a);

/*
 * Check that a satisfies every constraint (L, Q_u, eligibility, distinct
 * pairs, usable edges, rank order) and that its counters match; RC_INTERNAL
 * with the first violation otherwise.  Used by tests and, cheaply, by
 * dualrec-match before publishing.
 */
int assign_check(const struct cands *c, uint32_t n_users,
                 const uint16_t *cap, const uint8_t *eligible,
                 const struct assign_params *params, const struct assign *a,
                 struct diag *d);

/*
 * Histogram of items per user among eligible users: hist[j] = users with
 * j items for j < n_hist - 1, hist[n_hist - 1] = users with n_hist - 1 or
 * more.
 */
void assign_user_histogram(const struct assign *a, const uint8_t *eligible,
                           size_t *hist, size_t n_hist);

#endif
