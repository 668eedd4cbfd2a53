/*
 * uac_synth.c -- bench helper: write a window of day segments (and the
 * dictionaries) for N users straight through segment_save, without CSV
 * and ingest, so that dualrec-uac can be timed at 1M users x 30 days.
 *
 *   uac_synth SEGROOT N_USERS N_DAYS LAST_DAY(YYYY-MM-DD) SEED
 *
 * User u is active on a day with probability 0.05..0.95 (ten levels),
 * online around a preferred hour, and sees 1 + Poisson(2 * heavy)
 * exposures on an active day (heavy in {0.5, 1, 2}).  Built by
 * bench/bench_uac.sh against build/libpipeline.a; not part of the library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "dates.h"
#include "diag.h"
#include "iddict.h"
#include "rng.h"
#include "segment.h"
#include "xmem.h"

#define N_ITEMS 1000

static void
die(const struct diag *d)
{
    fprintf(stderr, "uac_synth: %s\n", d->msg);
    exit(d->rc ? d->rc : 1);
}

int
main(int argc, char **argv)
{
    struct diag d = DIAG_INIT;
    struct iddict *users = iddict_new(), *items = iddict_new();
    struct iddict *creators = iddict_new(), *tags = iddict_new();
    uint32_t n_users, n_days;
    int32_t last;
    uint64_t seed;
    char buf[4200];

    if (argc != 6 || dates_parse_day(argv[4], &last) < 0) {
        fprintf(stderr, "usage: uac_synth SEGROOT N_USERS N_DAYS "
                "LAST_DAY SEED\n");
        return 64;
    }
    n_users = (uint32_t)strtoul(argv[2], NULL, 10);
    n_days = (uint32_t)strtoul(argv[3], NULL, 10);
    seed = strtoull(argv[5], NULL, 10);
    for (uint32_t u = 0; u < n_users; u++) {
        int n = snprintf(buf, sizeof buf, "u%u", u);

        iddict_add(users, buf, (size_t)n);
    }
    for (uint32_t i = 0; i < N_ITEMS; i++) {
        int n = snprintf(buf, sizeof buf, "i%u", i);

        iddict_add(items, buf, (size_t)n);
        n = snprintf(buf, sizeof buf, "c%u", i % 100);
        iddict_add(creators, buf, (size_t)n);
    }
    snprintf(buf, sizeof buf, "%s/dict", argv[1]);
    if (mkdir_p(buf, &d) < 0)
        die(&d);
#define SAVE(dict, name)                                                 \
    do {                                                                 \
        char *dp = segment_dict_path(argv[1], name);                     \
        if (iddict_save(dict, dp, &d) < 0)                               \
            die(&d);                                                     \
        free(dp);                                                        \
    } while (0)
    SAVE(users, "users");
    SAVE(items, "items");
    SAVE(creators, "creators");
    SAVE(tags, "tags");

    for (uint32_t k = 0; k < n_days; k++) {
        int32_t day = last - (int32_t)n_days + 1 + (int32_t)k;
        struct segment seg;
        size_t cap = 0;
        char *path, *dir;
        struct rng r;

        memset(&seg, 0, sizeof seg);
        seg.day = day;
        /* One stream per day: users in order, so exposures come out
         * sorted by (user, t) after a per-user sort of times. */
        rng_seed(&r, seed, 0x5541, (uint64_t)day);
        for (uint32_t u = 0; u < n_users; u++) {
            double rate = 0.05 + 0.9 * (double)(rng_mix64(u) % 10) / 9.0;
            double heavy = (double)(1u << (rng_mix64(u + 7) % 3)) * 0.5;
            int hour = (int)(rng_mix64(u + 13) % 24);
            uint32_t ne;

            if (rng_uniform(&r) >= rate * 0.7)
                continue;
            ne = 1 + rng_poisson(&r, 2 * heavy);
            seg.exp = xgrow(seg.exp, &cap, seg.n_exp + ne, sizeof *seg.exp);
            for (uint32_t e = 0; e < ne; e++) {
                struct seg_exposure *x = &seg.exp[seg.n_exp++];
                int h = (hour + (int)rng_below(&r, 3)) % 24;

                memset(x, 0, sizeof *x);
                x->user = u;
                x->item = (uint32_t)rng_below(&r, N_ITEMS);
                x->t = dates_day_start(day, 0) + h * 3600
                     + (int64_t)rng_below(&r, 3600);
                x->fb = rng_uniform(&r) < 0.1 ? FB_CLICK : 0;
            }
        }
        /* Canonical order and no duplicate rows, as ingest leaves them. */
        segment_sort(&seg, NULL);
        path = segment_path(argv[1], day);
        dir = xstrdup(path);
        *strrchr(dir, '/') = '\0';
        if (mkdir_p(dir, &d) < 0 || segment_save(&seg, path, &d) < 0)
            die(&d);
        fprintf(stderr, "uac_synth: %s: %zu exposures\n", path, seg.n_exp);
        free(seg.exp);
        free(path);
        free(dir);
    }
    iddict_free(users);
    iddict_free(items);
    iddict_free(creators);
    iddict_free(tags);
    return 0;
}
