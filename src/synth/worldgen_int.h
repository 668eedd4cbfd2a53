/*
 * worldgen_int.h -- the world's internal layout, shared by worldgen.c (the
 * model), worldgen_out.c (logs) and worldgen_truth.c (ground truth).  Not
 * for other modules: they use worldgen.h.
 */
#ifndef DUALREC_WORLDGEN_INT_H
#define DUALREC_WORLDGEN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "byteio.h"
#include "rng.h"
#include "worldgen.h"

/* Stream stages: rng_seed(seed, stage << 32 | day, block). */
enum wg_stage {
    WG_ST_USER = 1,     /* block = user */
    WG_ST_TAG,          /* block = tag (day 1: the popularity order) */
    WG_ST_CREATOR,      /* block = creator */
    WG_ST_UPLOAD,       /* day's upload count */
    WG_ST_ITEM,         /* block = index of the upload within its day */
    WG_ST_WARM,         /* block = item: warm-up popularity */
    WG_ST_ACTIVITY,     /* block = user: sessions of the day */
    WG_ST_FEED,         /* block = user: organic picks of the day */
    WG_ST_FEEDBACK      /* block = user << 32 | item */
};

#define WG_USER_TAGS 3

enum wg_client {
    WG_CLIENT_APP = 0,  /* reports feedback inline on exposures */
    WG_CLIENT_LITE = 1  /* reports it as separate interaction rows */
};

/* A user's activity parameters (docs/worldgen.md, "Activity"). */
struct wg_user_act {
    float   level;      /* lognormal activity level, median 1 */
    float   pday;       /* P(active on a weekday) */
    float   wkend;      /* weekend multiplier of pday */
    float   s_extra;    /* mean extra sessions on an active day */
    float   imp_mean;   /* mean impressions per session */
    float   peak1, width1;  /* evening bump: centre hour, width (h) */
    float   peak2, width2;  /* day-time bump */
    float   mix;        /* weight of the evening bump */
    float   wshift;     /* weekend: bumps later by this many hours */
    int32_t arrive;     /* first day the user exists (signup) */
    int32_t churn;      /* first day the user is gone (INT32_MAX: never) */
    int32_t dorm_from;  /* dormant on [dorm_from, dorm_to) (INT32_MAX: */
    int32_t dorm_to;    /* never) */
    uint8_t client;     /* enum wg_client */
};

struct wg_item {
    int64_t  upload_t;
    uint32_t creator;
    uint32_t dur_ms;
    int32_t  day;
    float    bias;
    uint16_t tags[WORLDGEN_TAGS_MAX];
    uint16_t n_tags;
};

/* Walker alias table; one 16-byte slot per outcome, so a draw touches
 * one cache line. */
struct wg_alias_slot {
    float    prob;              /* keep `id` when u < prob */
    uint32_t id;
    uint32_t alias_id;          /* otherwise this */
    uint32_t pad;
};

struct wg_alias {
    uint32_t n;
    struct wg_alias_slot *slot;
};

struct worldgen {
    struct worldgen_params p;   /* n_creators resolved */
    int32_t  day;               /* the day sim_day simulates */
    uint32_t first_today;       /* first item uploaded on `day` */
    /* users */
    float    *user_vec;         /* (n_users, dim) */
    float    *user_bias;
    struct wg_user_act *act;
    uint16_t *user_tags;        /* (n_users, WG_USER_TAGS) best tags */
    /* tags */
    float    *tag_vec;          /* (n_tags, dim) */
    float    *tag_pop;          /* Zipf weights */
    struct wg_alias tag_alias;
    /* creators */
    float    *creator_vec;      /* (n_creators, dim) */
    float    *creator_bias;
    float    *creator_prod;     /* lognormal productivity */
    uint16_t *creator_tags;     /* (n_creators, WORLDGEN_FAV_TAGS) */
    struct wg_alias creator_alias;
    /* items, by upload order (warm-up days first) */
    uint32_t n_items;
    size_t   cap_items;
    struct wg_item *items;
    float    *item_vec;         /* (cap_items, dim) */
    float    *item_bias;        /* copy of items[].bias, dense for the */
                                /* feed's scoring */
    float    *pop;              /* popularity state */
};

/*
 * One day with two hooks: par(arg, slot, ev, n) runs inside the parallel
 * loop once per user block (slot < WG_WAVE_BLOCKS: the block's place in
 * its wave; blocks of one wave run concurrently, so par may only touch
 * per-slot state), ser(arg, slot, ev, n, d) runs afterwards on one thread
 * in block order.  worldgen_sim_day is this with ser = its sink.
 */
#define WG_WAVE_BLOCKS 64
typedef void (*wg_par_fn)(void *arg, unsigned slot,
                          const struct worldgen_event *ev, size_t n);
typedef int (*wg_ser_fn)(void *arg, unsigned slot,
                         const struct worldgen_event *ev, size_t n,
                         struct diag *d);
int wg_sim_day(const struct worldgen *w, const struct worldgen_push *push,
               wg_par_fn par, wg_ser_fn ser, void *arg,
               struct worldgen_daystats *stats, struct diag *d);

void wg_alias_build(struct wg_alias *a, const double *wt, const uint32_t *id,
                    uint32_t n);
void wg_alias_release(struct wg_alias *a);
uint32_t wg_alias_draw(const struct wg_alias *a, struct rng *r);
/* Ground-truth writer used by worldgen_generate (worldgen_truth.c). */
struct wg_truth_writer {
    char *dir;                  /* <root>/truth */
    struct bbuf summary;        /* summary.tsv text */
    double hours_real[7][24];   /* users with a session starting in the */
                                /* hour, summed over days of the weekday */
    uint32_t n_weekday[7];      /* generated days of each weekday */
};
int wg_truth_begin(struct wg_truth_writer *tw, const struct worldgen *w,
                   const char *root, struct diag *d);
int wg_truth_day(struct wg_truth_writer *tw, const struct worldgen *w,
                 const struct worldgen_daystats *st, struct diag *d);
int wg_truth_end(struct wg_truth_writer *tw, const struct worldgen *w,
                 struct diag *d);
void wg_truth_release(struct wg_truth_writer *tw);

void wg_hour_profile(const struct worldgen *w, uint32_t u, int wkend,
                     double g[24]);

#endif
