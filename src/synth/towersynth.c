/*
 * towersynth.c -- the planted-cluster world of towersynth.h.
 *
 * Items are laid out so that cluster k's items are a list; a user picks an
 * in-cluster item by a Zipf-like draw over that list (index = floor(n *
 * U^2)) so that some items are popular, and an out-of-cluster item
 * uniformly.  Users' positive counts are 1 + Poisson(mean * Gamma(0.7)),
 * a heavy tail with a few very active users.  Work is split into fixed
 * blocks of users with their own random streams.
 */
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "towersynth.h"
#include "xmem.h"

#define USER_BLOCK 4096
#define TAGS_PER_CLUSTER 6

struct towersynth *
towersynth_new(uint32_t n_users, uint32_t n_items, uint32_t n_train_items,
               uint32_t n_clusters, double pos_per_user, double affinity,
               uint64_t seed)
{
    struct towersynth *s = xcalloc(1, sizeof *s);
    struct rng r;
    uint32_t **members, *n_members;
    size_t nb = (n_users + USER_BLOCK - 1) / USER_BLOCK;
    size_t *bcount = xcalloc(nb + 1, sizeof *bcount);

    if (n_clusters == 0)
        n_clusters = 1;
    if (n_train_items > n_items)
        n_train_items = n_items;
    s->n_users = n_users;
    s->n_items = n_items;
    s->n_train_items = n_train_items;
    s->n_clusters = n_clusters;
    s->n_creators = n_items / 20 + n_clusters;
    s->n_tags = n_clusters * TAGS_PER_CLUSTER;
    rng_seed(&r, seed, 100, 0);

    s->user_cluster = xmalloc((n_users + 1) * sizeof *s->user_cluster);
    for (uint32_t u = 0; u < n_users; u++)
        s->user_cluster[u] = (uint32_t)rng_below(&r, n_clusters);
    uint32_t *creator_cluster = xmalloc(s->n_creators
                                        * sizeof *creator_cluster);
    for (uint32_t c = 0; c < s->n_creators; c++)
        creator_cluster[c] = c < n_clusters ? c
                           : (uint32_t)rng_below(&r, n_clusters);

    struct catalog *cat = &s->cat;
    cat->n_items = n_items;
    cat->creator = xmalloc((n_items + 1) * sizeof *cat->creator);
    cat->upload_t = xmalloc((n_items + 1) * sizeof *cat->upload_t);
    cat->dur_ms = xmalloc((n_items + 1) * sizeof *cat->dur_ms);
    cat->tag_off = xmalloc(((size_t)n_items + 1) * sizeof *cat->tag_off);
    cat->tags = xmalloc(((size_t)n_items * 3 + 1) * sizeof *cat->tags);
    s->item_cluster = xmalloc((n_items + 1) * sizeof *s->item_cluster);
    n_members = xcalloc(n_clusters, sizeof *n_members);
    cat->tag_off[0] = 0;
    for (uint32_t i = 0; i < n_items; i++) {
        uint32_t c = (uint32_t)rng_below(&r, s->n_creators);
        uint32_t k = creator_cluster[c];
        uint32_t o = cat->tag_off[i];
        uint32_t t1 = (uint32_t)rng_below(&r, TAGS_PER_CLUSTER);
        uint32_t t2 = (t1 + 1 + (uint32_t)rng_below(&r, TAGS_PER_CLUSTER - 1))
                    % TAGS_PER_CLUSTER;
        uint32_t t3 = (uint32_t)rng_below(&r, s->n_tags);
        uint32_t tg[3] = { k * TAGS_PER_CLUSTER + t1,
                           k * TAGS_PER_CLUSTER + t2, t3 };
        uint32_t nt = 0;
        for (int a = 0; a < 3; a++) {
            int dup = 0;
            for (uint32_t b = 0; b < nt; b++)
                dup |= cat->tags[o + b] == tg[a];
            if (!dup)
                cat->tags[o + nt++] = tg[a];
        }
        cat->tag_off[i + 1] = o + nt;
        cat->creator[i] = c;
        cat->upload_t[i] = 1700000000 + (int64_t)i;
        cat->dur_ms[i] = 3000 + (uint32_t)rng_below(&r, 900000);
        s->item_cluster[i] = k;
        if (i < n_train_items)
            n_members[k]++;
    }
    members = xcalloc(n_clusters, sizeof *members);
    for (uint32_t k = 0; k < n_clusters; k++)
        members[k] = xmalloc((n_members[k] + 1) * sizeof *members[k]);
    memset(n_members, 0, n_clusters * sizeof *n_members);
    for (uint32_t i = 0; i < n_train_items; i++) {
        uint32_t k = s->item_cluster[i];
        members[k][n_members[k]++] = i;
    }

    /* Positive counts per user, then the draws, per fixed user block. */
    uint32_t *npos = xmalloc((n_users + 1) * sizeof *npos);
    #pragma omp parallel for schedule(static)
    for (size_t b = 0; b < nb; b++) {
        struct rng rb;
        uint32_t u1 = (uint32_t)((b + 1) * USER_BLOCK < n_users
                                 ? (b + 1) * USER_BLOCK : n_users);
        size_t tot = 0;
        rng_seed(&rb, seed, 101, b);
        for (uint32_t u = (uint32_t)(b * USER_BLOCK); u < u1; u++) {
            double lam = pos_per_user * rng_gamma(&rb, 0.7) / 0.7;
            npos[u] = n_train_items ? 1 + rng_poisson(&rb, lam) : 0;
            /* Distinct items per user: at most half the catalog. */
            if (npos[u] > n_train_items / 2)
                npos[u] = n_train_items / 2 > 0 ? n_train_items / 2 : 1;
            tot += npos[u];
        }
        bcount[b + 1] = tot;
    }
    for (size_t b = 0; b < nb; b++)
        bcount[b + 1] += bcount[b];
    s->n = bcount[nb];
    s->user = xmalloc((s->n + 1) * sizeof *s->user);
    s->item = xmalloc((s->n + 1) * sizeof *s->item);
    s->val = xmalloc((s->n + 1) * sizeof *s->val);
    #pragma omp parallel
    {
        /* stamp[i] == u + 1: item i already drawn for user u. */
        uint32_t *stamp = xcalloc((size_t)n_items + 1, sizeof *stamp);
        #pragma omp for schedule(static)
        for (size_t b = 0; b < nb; b++) {
            struct rng rb;
            size_t j = bcount[b];
            uint32_t u1 = (uint32_t)((b + 1) * USER_BLOCK < n_users
                                     ? (b + 1) * USER_BLOCK : n_users);
            rng_seed(&rb, seed, 102, b);
            for (uint32_t u = (uint32_t)(b * USER_BLOCK); u < u1; u++) {
                uint32_t k = s->user_cluster[u];
                for (uint32_t m = 0; m < npos[u]; m++) {
                    uint32_t it;
                    do {
                        if (n_members[k] > 0 && rng_uniform(&rb) < affinity) {
                            double x = rng_uniform(&rb);
                            it = members[k][(uint32_t)(x * x * n_members[k])];
                        } else {
                            it = (uint32_t)rng_below(&rb, n_train_items);
                        }
                    } while (stamp[it] == u + 1);
                    stamp[it] = u + 1;
                    s->user[j] = u;
                    s->item[j] = it;
                    s->val[j] = 1.0f;
                    j++;
                }
            }
        }
        free(stamp);
    }
    for (uint32_t k = 0; k < n_clusters; k++)
        free(members[k]);
    free(members);
    free(n_members);
    free(npos);
    free(bcount);
    free(creator_cluster);
    return s;
}

void
towersynth_free(struct towersynth *s)
{
    if (s == NULL)
        return;
    free(s->user_cluster);
    free(s->item_cluster);
    free(s->cat.creator);
    free(s->cat.upload_t);
    free(s->cat.dur_ms);
    free(s->cat.tag_off);
    free(s->cat.tags);
    free(s->user);
    free(s->item);
    free(s->val);
    free(s);
}
