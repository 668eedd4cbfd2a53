/*
 * sim.h -- the delivery simulator: what creators get when the online side
 * delivers each user's D_u, compared across matching policies.
 *
 * In a generated world (worldgen.h) brought to day D+1, each policy is a
 * set of push lists D_u (from the user->items table dualrec-match published
 * for date D, or none at all for the user-side feed alone).  For every
 * policy the same day is simulated with worldgen_sim_day: users come
 * online when the world says, pushed items take the first feed slots of
 * their sessions, and feedback is drawn from ground truth.  The world's
 * random streams are keyed by (day, user) and (day, user, item), so all
 * policies share every draw they can share (common random numbers): who
 * is active, when, and how a given user reacts to a given item.  The
 * differences between policies are therefore the policies' effect, not
 * noise.
 *
 * Counted per policy (docs/nightly.md defines each):
 *   hit rate          users with a non-empty D_u who are active on D+1
 *   delivery          pairs of D_u actually shown
 *   new-item reach    items uploaded on D reaching >= 1 / 10 / 100
 *                     impressions and >= 1 explicit feedback on D+1
 *                     (ExpoReach-style), the same for the policy targets
 *   creators          creators whose items got explicit feedback on D+1,
 *                     feedback per creator (Gini)
 *   items per user    sizes of D_u (matched) and pushed items shown
 *                     (delivered): histogram, max, Gini
 *   user side         explicit feedback per impression over the whole feed
 * where explicit feedback = like, comment, follow or share.
 */
#ifndef DUALREC_SIM_H
#define DUALREC_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "evalrep.h"
#include "worldgen.h"

#define SIM_HIST 32     /* histogram bins: 0..30 items, then 31+ */

/* One policy's push lists in world indices (CSR over users, as
 * struct worldgen_push), owned. */
struct sim_policy {
    char *name;
    char *desc;             /* how it was produced (match flags) */
    int has_push;           /* 0: the user-side feed alone */
    uint32_t n_users;
    uint32_t *off;          /* n_users + 1 */
    uint32_t *items;        /* off[n_users] */
};

/*
 * Read a published user->items table (outtable.h: user, rank, item, score,
 * channel; zstd TSV with a header) and turn it into push lists in the
 * world's indices (ids "u<N>" / "i<N>", worldgen_parse_id), each user's
 * items in rank order.  RC_NOINPUT when missing; RC_DATA with
 * "<path>:<line>: ..." for a malformed row or an id outside the world.
 * name and desc are copied.
 */
int sim_policy_load(const char *path, const struct worldgen *w,
                    const char *name, const char *desc,
                    struct sim_policy *out, struct diag *d);

/* A policy that pushes nothing (the user-side feed alone). */
void sim_policy_none(struct sim_policy *out, const char *name,
                     const char *desc);

void sim_policy_release(struct sim_policy *p);

/* What one policy achieved on the simulated day. */
struct sim_result {
    /* D_u, before delivery */
    uint64_t n_pairs;           /* (user, item) pairs pushed */
    uint32_t n_push_users;      /* users with a non-empty D_u */
    uint32_t n_push_active;     /* ... of them active on D+1 */
    uint32_t du_max;            /* largest D_u */
    double du_gini;             /* Gini of |D_u| over users with one */
    uint64_t du_hist[SIM_HIST]; /* users by |D_u| (users with one) */
    /* delivery */
    uint64_t n_pushed_shown;    /* pushed impressions */
    uint64_t n_pushed_explicit; /* ... with explicit feedback */
    uint32_t shown_max;         /* most pushed impressions of one user */
    double shown_gini;          /* Gini over active users */
    uint64_t shown_hist[SIM_HIST];  /* active users by pushed shown */
    /* whole feed */
    uint64_t n_imp, n_explicit, n_click;
    uint32_t n_active;          /* active users (same for every policy) */
    /* new items (uploaded on D) and targets (union of all policies') */
    uint32_t n_new, new_reach[3], new_fb;       /* reach >= 1, 10, 100 */
    uint64_t new_imp, new_explicit;
    uint32_t n_target, target_reach[3], target_fb;
    uint64_t target_imp, target_explicit;
    /* creators */
    uint32_t n_creators;        /* creators with at least one item */
    uint32_t creators_fb;       /* with explicit feedback on D+1 */
    uint32_t new_creators;      /* creators of new items */
    uint32_t new_creators_fb;   /* ... whose new items got feedback */
    double creator_fb_gini;     /* Gini of feedback per creator */
};

/*
 * Simulate the world's current day once per policy (same world state,
 * common random numbers) and fill res[n_pol].  new_day is the upload day
 * of the "new items" (normally the current day - 1).  Targets are the
 * items appearing in any policy's push lists.  The world is not changed.
 */
int sim_run(const struct worldgen *w, int32_t new_day,
            const struct sim_policy *pol, int n_pol, struct sim_result *res,
            struct diag *d);

/*
 * Add the comparison to a report: one table of the policies' figures,
 * items-per-user histograms, and a table of the paper's directions
 * (which hold and by how much).  The directions are read from the policy
 * names "none", "no-uac", "paper-uac", "full" when present.
 */
void sim_report(struct evalrep *r, const struct sim_policy *pol, int n_pol,
                const struct sim_result *res);

#endif
