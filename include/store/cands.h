/*
 * cands.h -- candidate users per target item: what retrieval produces,
 * ranking scores, and matching assigns from.
 *
 * A CSR table: target item k (items[k]) owns entries off[k] .. off[k+1]-1 of
 * the per-entry arrays.  Within an item, users are distinct.  Retrieval
 * fills user, channels and retr (its own score); ranking fills score (the
 * integrated creator-experience score, theta_u already subtracted) and p
 * (per-task probabilities); matching reads user and score.
 *
 * Ownership: cands_new/cands_free; the arrays are owned by the struct.
 * Sharding: a cands table covers any subset of items, so item shards are
 * independent (DESIGN.md, Scale).
 */
#ifndef DUALREC_CANDS_H
#define DUALREC_CANDS_H

#include <stddef.h>
#include <stdint.h>

/* Retrieval channels, as bits of cands.channels[]. */
enum cands_channel {
    CH_TOWER   = 1 << 0,    /* two-tower inner-product search */
    CH_I2I2U   = 1 << 1,    /* similar items -> their recent engagers */
    CH_I2U2U   = 1 << 2,    /* the item's engagers -> similar users */
    CH_CREATOR = 1 << 3     /* followers / engagers of the item's creator */
};
#define CANDS_N_CHANNELS 4

/* Ranking tasks, as indices into cands.p[]. */
enum cands_task {
    TASK_CLICK, TASK_LIKE, TASK_COMMENT, TASK_FOLLOW, TASK_LONG_VIEW,
    CANDS_N_TASKS
};

struct cands {
    size_t n_items;
    uint32_t *items;        /* n_items target item indices */
    size_t *off;            /* n_items + 1 */
    size_t n;               /* off[n_items], total entries */
    size_t cap;
    uint32_t *user;         /* n */
    uint8_t *channels;      /* n, enum cands_channel bits */
    float *retr;            /* n, retrieval score (channel-specific scale) */
    float *score;           /* n, integrated ranking score (NaN never) */
    float *p;               /* n * CANDS_N_TASKS task probabilities */
};

/* An empty table for n_items items (off all zero) with room for cap
 * entries; arrays grow with cands_reserve. */
struct cands *cands_new(size_t n_items, size_t cap);
void cands_free(struct cands *c);
/* Ensure room for `need` entries in total. */
void cands_reserve(struct cands *c, size_t need);

/* Short channel names for tables: "tower", "i2i2u", "i2u2u", "creator";
 * cands_channels_str writes e.g. "tower+creator" into buf (>= 40 bytes). */
const char *cands_channel_name(enum cands_channel ch);
char *cands_channels_str(unsigned channels, char *buf);

#endif
