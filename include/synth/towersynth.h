/*
 * towersynth.h -- a planted-cluster interaction world in memory, for the
 * tower's tests and benchmark (no files, no segments).
 *
 * n_clusters taste clusters; each user and each creator belongs to one.
 * An item's creator is drawn at random; its tags are two of its creator's
 * cluster's tags plus one tag drawn from all tags; its duration is random.
 * A user gives a heavy-tailed number of distinct positives (mean
 * pos_per_user, at most half the trained items),
 * a share `affinity` of them to items of the user's cluster (popular items
 * more often), the rest to any item.  Only items < n_train_items receive
 * positives, so items past it are "new uploads" whose vectors must come
 * from their creator and tags.  Deterministic for a seed.
 */
#ifndef DUALREC_TOWERSYNTH_H
#define DUALREC_TOWERSYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "segment.h"

struct towersynth {
    uint32_t n_users, n_items, n_train_items, n_creators, n_tags;
    uint32_t n_clusters;
    uint32_t *user_cluster;     /* n_users */
    uint32_t *item_cluster;     /* n_items */
    struct catalog cat;         /* n_items entries */
    size_t n;                   /* triples */
    uint32_t *user, *item;
    float *val;                 /* 1 + alpha-free weight: all 1 (positives) */
};

struct towersynth *towersynth_new(uint32_t n_users, uint32_t n_items,
                                  uint32_t n_train_items, uint32_t n_clusters,
                                  double pos_per_user, double affinity,
                                  uint64_t seed);
void towersynth_free(struct towersynth *s);

#endif
