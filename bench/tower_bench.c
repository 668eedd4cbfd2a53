/*
 * tower_bench -- time the tower's training and exact top-L user
 * search on a planted-cluster world held in memory (towersynth.h), and
 * measure raw sgemm throughput of the same shape.  Used by
 * bench/bench_tower.sh; optionally writes the vectors as raw float32 files
 * so that a peer (Faiss) can search the very same vectors.
 *
 * Output: one "key value" line per figure on stdout (the bench script
 * turns them into a table); progress on stderr.
 */
#include <cblas.h>
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "diag.h"
#include "rc.h"
#include "topk.h"
#include "tower.h"
#include "towersynth.h"
#include "xmem.h"

static const char usage_text[] =
    "usage: tower_bench [--users N] [--items N] [--positives N]\n"
    "                   [--dim N] [--epochs N] [--top L]\n"
    "                   [--clusters N] [--seed S] [--no-features]\n"
    "                   [--vecs DIR] [-q|-v]\n"
    "  Trains the tower on a generated world (10% of items are new, without\n"
    "  history), searches the top L users of every item, and prints\n"
    "  figures as 'key value' lines.  --vecs DIR writes users.f32 and\n"
    "  items.f32 (row-major float32) and topk.u32 for a peer to compare.\n"
    "  --top 0 times the training only.\n";

static const struct option long_opts[] = {
    { "users",       required_argument, NULL, 'U' },
    { "items",       required_argument, NULL, 'I' },
    { "positives",   required_argument, NULL, 'P' },
    { "dim",         required_argument, NULL, 'k' },
    { "epochs",      required_argument, NULL, 'e' },
    { "top",         required_argument, NULL, 'L' },
    { "clusters",    required_argument, NULL, 'c' },
    { "seed",        required_argument, NULL, 's' },
    { "no-features", no_argument,       NULL, 'N' },
    { "vecs",        required_argument, NULL, 'o' },
    { "quiet",       no_argument,       NULL, 'q' },
    { "verbose",     no_argument,       NULL, 'v' },
    { "help",        no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* CPU seconds of this process (all threads): on a shared machine wall
 * time alone hides how much of the cores the run actually had. */
static double
cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
write_raw(const char *dir, const char *name, const void *p, size_t n,
          struct diag *d)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL)
        return diag_errno(d, RC_CANTCREAT, "%s", path);
    if (fwrite(p, 1, n, f) != n || fclose(f) != 0)
        return diag_errno(d, RC_IO, "%s", path);
    return 0;
}

int
main(int argc, char **argv)
{
    struct tower_params p = tower_default_params();
    uint32_t n_users = 20000, n_items = 5000, dim = 64, L = 100;
    uint32_t clusters = 64;
    uint64_t n_pos = 400000;
    const char *vecs = NULL;
    struct diag d = DIAG_INIT;
    int opt;

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'U': n_users = cli_parse_u32(optarg, "--users"); break;
        case 'I': n_items = cli_parse_u32(optarg, "--items"); break;
        case 'P': n_pos = cli_parse_u64(optarg, "--positives"); break;
        case 'k': dim = cli_parse_u32(optarg, "--dim"); break;
        case 'e': p.epochs = cli_parse_u32(optarg, "--epochs"); break;
        case 'L': L = cli_parse_u32(optarg, "--top"); break;
        case 'c': clusters = cli_parse_u32(optarg, "--clusters"); break;
        case 's': p.seed = cli_parse_u64(optarg, "--seed"); break;
        case 'N': p.use_features = 0; break;
        case 'o': vecs = optarg; break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default:  cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || n_users == 0 || n_items < 10)
        cli_usage_exit(usage_text);
    p.dim = dim;

    double t0 = cli_now();
    uint32_t n_train = n_items - n_items / 10;
    struct towersynth *w = towersynth_new(n_users, n_items, n_train, clusters,
                                          (double)n_pos / n_users, 0.8,
                                          p.seed);
    struct tower_data *x = tower_data_from_triples(n_users, n_items, w->n,
                                                   w->user, w->item, w->val);
    cli_log(1, "world: %u users, %u items (%u new), %zu positives, "
            "%.1f s", n_users, n_items, n_items - n_train, x->n,
            cli_now() - t0);
    printf("threads %d\n", omp_get_max_threads());
    printf("positives %zu\n", x->n);

    struct tower_trainer *tr;
    if (tower_trainer_new(x, &w->cat, w->n_creators, w->n_tags, &p, NULL, &tr,
                          &d) < 0)
        cli_diag_exit(&d);
    double tsum = 0, csum = 0;
    for (uint32_t e = 0; e < p.epochs; e++) {
        double loss, t1 = cli_now(), c1 = cpu_now();
        tower_trainer_epoch(tr, &loss);
        double dt = cli_now() - t1, dc = cpu_now() - c1;
        tsum += dt;
        csum += dc;
        cli_log(1, "epoch %u: loss %.5f, %.2f s (%.2f CPU s)", e + 1, loss, dt,
                dc);
    }
    struct tower *t = tower_trainer_finish(tr, 0);
    printf("train_s_per_epoch %.3f\n", tsum / (p.epochs ? p.epochs : 1));
    printf("train_cpu_s_per_epoch %.3f\n", csum / (p.epochs ? p.epochs : 1));
    if (L == 0) {               /* training only */
        tower_free(t);
        tower_data_free(x);
        towersynth_free(w);
        return RC_OK;
    }

    /* Search: top L users of every item. */
    uint32_t *items = xmalloc(n_items * sizeof *items);
    float *iv = xmalloc((size_t)n_items * dim * sizeof *iv);
    for (uint32_t i = 0; i < n_items; i++)
        items[i] = i;
    tower_item_vecs(t, &w->cat, items, n_items, iv);
    uint32_t *ou = xmalloc((size_t)n_items * L * sizeof *ou);
    float *os = xmalloc((size_t)n_items * L * sizeof *os);
    uint32_t *on = xmalloc(n_items * sizeof *on);
    double t2 = cli_now(), c2 = cpu_now();
    if (topk_users(iv, n_items, tower_user_matrix(t), n_users, dim, L, NULL,
                   NULL, ou, os, on, &d) < 0)
        cli_diag_exit(&d);
    double ts = cli_now() - t2, cs = cpu_now() - c2;
    double flop = 2.0 * n_items * (double)n_users * dim;
    printf("topk_s %.3f\n", ts);
    printf("topk_cpu_s %.3f\n", cs);
    printf("topk_gflops %.1f\n", flop / ts / 1e9);

    /* Quality on the planted clusters: share of each item's top L users in
     * the item's own cluster, for trained and new items; concentration:
     * share of all top-L slots held by the 1% most frequent users. */
    double prec_old = 0, prec_new = 0;
    uint32_t *freq = xcalloc(n_users, sizeof *freq);
    for (uint32_t i = 0; i < n_items; i++) {
        uint32_t hit = 0;
        for (uint32_t j = 0; j < on[i]; j++) {
            uint32_t u = ou[(size_t)i * L + j];
            hit += w->user_cluster[u] == w->item_cluster[i];
            freq[u]++;
        }
        double pr = on[i] ? (double)hit / on[i] : 0;
        if (i < n_train)
            prec_old += pr;
        else
            prec_new += pr;
    }
    printf("cluster_precision_trained %.4f\n", prec_old / n_train);
    printf("cluster_precision_new %.4f\n", prec_new / (n_items - n_train));
    {
        /* top 1% by frequency: partial selection via counting */
        uint32_t maxf = 0;
        for (uint32_t u = 0; u < n_users; u++)
            if (freq[u] > maxf)
                maxf = freq[u];
        size_t *hist = xcalloc((size_t)maxf + 1, sizeof *hist);
        for (uint32_t u = 0; u < n_users; u++)
            hist[freq[u]]++;
        size_t want = n_users / 100 ? n_users / 100 : 1, got = 0;
        double slots = 0, total = 0;
        for (uint32_t f = maxf + 1; f-- > 0 && got < want;) {
            size_t take = hist[f] < want - got ? hist[f] : want - got;
            slots += (double)take * f;
            got += take;
        }
        for (uint32_t i = 0; i < n_items; i++)
            total += on[i];
        printf("top1pct_user_share %.4f\n", total > 0 ? slots / total : 0);
        printf("max_items_per_user %u\n", maxf);
        free(hist);
    }

    /* Raw sgemm of the search's block shape, all threads to BLAS. */
    {
        int m = 4096, n = 16384, k = (int)dim, reps = 3;
        float *A = xcalloc((size_t)m * k, sizeof *A);
        float *B = xcalloc((size_t)n * k, sizeof *B);
        float *C = xmalloc((size_t)m * n * sizeof *C);
        for (size_t j = 0; j < (size_t)m * k; j++)
            A[j] = (float)(j % 7) * 0.1f;
        for (size_t j = 0; j < (size_t)n * k; j++)
            B[j] = (float)(j % 5) * 0.1f;
        openblas_set_num_threads(omp_get_max_threads());
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f,
                    A, k, B, k, 0.0f, C, n);
        double t3 = cli_now(), c3 = cpu_now();
        for (int r = 0; r < reps; r++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k,
                        1.0f, A, k, B, k, 0.0f, C, n);
        double tg = cli_now() - t3, cg = cpu_now() - c3;
        printf("sgemm_gflops %.1f\n", 2.0 * m * (double)n * k * reps / tg
                                      / 1e9);
        /* per CPU second, times the thread count: what the same work
         * would reach with the cores to itself */
        printf("sgemm_gflops_cpu %.1f\n", 2.0 * m * (double)n * k * reps
               / cg * omp_get_max_threads() / 1e9);
        free(A);
        free(B);
        free(C);
    }

    if (vecs != NULL
        && (write_raw(vecs, "users.f32", tower_user_matrix(t),
                      (size_t)n_users * dim * sizeof(float), &d) < 0
            || write_raw(vecs, "items.f32", iv,
                         (size_t)n_items * dim * sizeof(float), &d) < 0
            || write_raw(vecs, "topk.u32", ou,
                         (size_t)n_items * L * sizeof(uint32_t), &d) < 0))
        cli_diag_exit(&d);

    free(freq);
    free(items);
    free(iv);
    free(ou);
    free(os);
    free(on);
    tower_free(t);
    tower_data_free(x);
    towersynth_free(w);
    return RC_OK;
}
