/*
 * match_synth.c -- assignment-only benchmark on a synthetic candidate
 * table (built by bench/bench_match.sh against build/libpipeline.a).
 *
 *   match_synth ITEMS USERS DEG L Q SEED METHOD[,METHOD...]
 *
 * Users have a popularity skew (candidates favour low indices, as
 * retrieval favours heavy users) and a quality term shared by all items;
 * 70% are eligible (a_u = 1) with capacity Q.  For each method prints
 * time, pairs, objective, share of items with a full audience, the items
 * per user distribution, and the gap to "exact" when it ran.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "cli.h"
#include "rng.h"
#include "xmem.h"

static int
cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    size_t K, deg;
    uint32_t U, L, Q;
    uint64_t seed;
    struct cands *c;
    uint16_t *cap;
    uint8_t *elig;
    float *quality;
    double best = NAN;
    char *methods, *tok, *save = NULL;

    cli_init(argv[0]);
    if (argc != 8) {
        fputs("usage: match_synth ITEMS USERS DEG L Q SEED METHODS\n",
              stderr);
        return 64;
    }
    K = strtoull(argv[1], NULL, 10);
    U = (uint32_t)strtoul(argv[2], NULL, 10);
    deg = strtoull(argv[3], NULL, 10);
    L = (uint32_t)strtoul(argv[4], NULL, 10);
    Q = (uint32_t)strtoul(argv[5], NULL, 10);
    seed = strtoull(argv[6], NULL, 10);
    if (deg > U)
        deg = U;

    double t0 = cli_now();
    cap = xmalloc(U * sizeof *cap);
    elig = xmalloc(U);
    quality = xmalloc(U * sizeof *quality);
    for (uint32_t u = 0; u < U; u++) {
        struct rng r;

        rng_seed(&r, seed, 1, u);
        elig[u] = rng_uniform(&r) < 0.7;
        cap[u] = (uint16_t)Q;
        quality[u] = (float)rng_uniform(&r);
    }
    c = cands_new(K, K * deg);
    for (size_t k = 0; k < K; k++) {
        c->items[k] = (uint32_t)k;
        c->off[k + 1] = (k + 1) * deg;
    }
    c->n = K * deg;
    #pragma omp parallel
    {
        uint32_t *mark = xcalloc(U, sizeof *mark);

        #pragma omp for schedule(static)
        for (size_t k = 0; k < K; k++) {
            struct rng r;
            size_t j = 0;

            rng_seed(&r, seed, 2, k);
            while (j < deg) {
                double x = rng_uniform(&r);
                uint32_t u = (uint32_t)(U * x * x);    /* skew to low u */

                if (mark[u] == k + 1)
                    continue;
                mark[u] = (uint32_t)(k + 1);
                c->user[k * deg + j] = u;
                c->score[k * deg + j] = (float)(0.4 * quality[u]
                                        + 0.6 * rng_uniform(&r));
                c->channels[k * deg + j] = CH_TOWER;
                j++;
            }
        }
        free(mark);
    }
    printf("instance: %zu items x %zu candidates, %u users (70%% eligible,"
           " Q=%u), L=%u, %d threads, built in %.2f s\n", K, deg, U, Q, L,
           omp_get_max_threads(), cli_now() - t0);

    methods = xstrdup(argv[7]);
    for (tok = strtok_r(methods, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        struct assign_params p = assign_default_params();
        struct diag d = DIAG_INIT;
        struct assign *a;
        size_t hist[12];
        char label[40];
        double t;

        p.L = L;
        {
            /* "auction/0": min_audience 0 (one stage) */
            char *slash = strchr(tok, '/');

            if (slash != NULL) {
                *slash = '\0';
                p.min_audience = (uint32_t)strtoul(slash + 1, NULL, 10);
            }
        }
        if (assign_method_parse(tok, &p.method) < 0) {
            fprintf(stderr, "match_synth: unknown method '%s'\n", tok);
            return 64;
        }
        t = cli_now();
        if (assign_run(c, U, cap, elig, &p, &a, &d) < 0
            || assign_check(c, U, cap, elig, &p, a, &d) < 0) {
            fprintf(stderr, "match_synth: %s\n", d.msg);
            return d.rc;
        }
        t = cli_now() - t;
        if (p.method == ASSIGN_EXACT)
            best = a->objective;
        if (p.method == ASSIGN_AUCTION || p.method == ASSIGN_GREEDY)
            snprintf(label, sizeof label, "%s/%u", tok,
                     p.min_audience < L ? p.min_audience : 0);
        else
            snprintf(label, sizeof label, "%s", tok);
        printf("%-15s %8.2f s  pairs %9zu  objective %.6e  score %.6e  "
               "full %5.1f%%  empty %5.1f%%", label, t, a->n, a->objective,
               a->score_sum, 100.0 * a->n_full / (K ? K : 1),
               100.0 * a->n_empty / (K ? K : 1));
        if (p.method == ASSIGN_AUCTION)
            printf("  rounds %u%s", a->rounds,
                   a->converged ? "" : " (limit)");
        if (!isnan(best))
            printf("  gap %.4f%%", 100.0 * (1 - a->objective / best));
        {
            size_t *aud = xmalloc((K ? K : 1) * sizeof *aud);

            for (size_t k = 0; k < K; k++)
                aud[k] = a->off[k + 1] - a->off[k];
            qsort(aud, K, sizeof *aud, cmp_size);
            printf("\n    audience per item: min %zu p10 %zu median %zu "
                   "p90 %zu max %zu", K ? aud[0] : 0, K ? aud[K / 10] : 0,
                   K ? aud[K / 2] : 0, K ? aud[K - 1 - K / 10] : 0,
                   K ? aud[K - 1] : 0);
            free(aud);
        }
        printf("\n    items/user (eligible):");
        assign_user_histogram(a, elig, hist, 12);
        for (int j = 0; j < 12; j++)
            printf(" %s%d:%zu", j == 11 ? ">=" : "", j, hist[j]);
        printf("\n");
        fflush(stdout);
        assign_free(a);
    }
    printf("peak RSS %.0f MB\n", cli_peak_rss_mb());
    free(methods);
    cands_free(c);
    free(cap);
    free(elig);
    free(quality);
    return 0;
}
