/*
 * rank_eval.c -- offline evaluation of the ranker on the day after its
 * window (global time split), the gradient-boosted-trees baseline on the
 * same dense features (trained through gbdt.h), and the top-user
 * concentration measure of theta_u.
 *
 * Metrics are computed over every exposure of the test day, with the
 * conventions of metrics.h: per task AUC of the raw predictions and mean
 * log-loss, AUC split by new items (no exposure anywhere in the window)
 * and old ones, and the AUC of the integrated score for explicit
 * feedback.  The baseline replays the window exactly as training does
 * (same warm-up, same day-ahead features) so both models see the same
 * information.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "gbdt.h"
#include "metrics.h"
#include "rank_int.h"
#include "rng.h"
#include "xmem.h"

#define T RANK_N_TASKS

/*
 * Per-item AUC of score s for labels y, averaged over items with both
 * classes weighted by their exposures; items[k] groups the entries.
 */
static double
group_auc(const float *s, const uint8_t *y, const uint32_t *items, size_t n,
          uint64_t *n_groups)
{
    uint32_t max_i = 0;
    size_t *off;
    uint32_t *idx;
    float *gs;
    uint8_t *gy;
    double sum = 0, wsum = 0;

    *n_groups = 0;
    for (size_t k = 0; k < n; k++)
        if (items[k] != UINT32_MAX && items[k] > max_i)
            max_i = items[k];
    off = xcalloc((size_t)max_i + 2, sizeof *off);
    for (size_t k = 0; k < n; k++)
        off[items[k] + 1]++;
    for (uint32_t i = 0; i <= max_i; i++)
        off[i + 1] += off[i];
    idx = xmalloc((n ? n : 1) * sizeof *idx);
    {
        size_t *pos = xmalloc(((size_t)max_i + 1) * sizeof *pos);

        memcpy(pos, off, ((size_t)max_i + 1) * sizeof *pos);
        for (size_t k = 0; k < n; k++)
            idx[pos[items[k]]++] = (uint32_t)k;
        free(pos);
    }
    gs = xmalloc((n ? n : 1) * sizeof *gs);
    gy = xmalloc(n ? n : 1);
    for (uint32_t i = 0; i <= max_i; i++) {
        size_t m = off[i + 1] - off[i];
        double a;

        for (size_t k = 0; k < m; k++) {
            gs[k] = s[idx[off[i] + k]];
            gy[k] = y[idx[off[i] + k]];
        }
        a = metrics_auc(gs, gy, m);
        if (isnan(a))
            continue;
        sum += a * (double)m;
        wsum += (double)m;
        (*n_groups)++;
    }
    free(off);
    free(idx);
    free(gs);
    free(gy);
    return wsum > 0 ? sum / wsum : NAN;
}

/* Metrics from predictions p (n x T), labels y (n x T), new flags; items
 * and theta (may be NULL) for the per-item view. */
static void
metrics(const float *p, const uint8_t *y, const uint8_t *is_new,
        const uint8_t *expl, const uint32_t *items, const float *theta,
        size_t n, const float *weight, struct rank_eval *ev)
{
    float *s = xmalloc((n ? n : 1) * sizeof *s);
    uint8_t *yy = xmalloc(n ? n : 1);
    float *sn = xmalloc((n ? n : 1) * sizeof *sn);
    uint8_t *yn = xmalloc(n ? n : 1);

    memset(ev, 0, sizeof *ev);
    ev->n = n;
    for (size_t k = 0; k < n; k++)
        ev->n_new += is_new[k];
    for (int t = 0; t < T; t++) {
        struct rank_eval_task *et = &ev->task[t];
        size_t a = 0, b = 0;

        for (size_t k = 0; k < n; k++) {
            s[k] = p[k * T + t];
            yy[k] = y[k * T + t];
            et->n_pos += yy[k];
        }
        et->logloss = metrics_logloss(s, yy, n);
        et->auc = metrics_auc(s, yy, n);
        for (size_t k = 0; k < n; k++) {
            if (is_new[k]) {
                sn[a] = s[k];
                yn[a++] = yy[k];
            }
        }
        et->auc_new = metrics_auc(sn, yn, a);
        for (size_t k = 0; k < n; k++) {
            if (!is_new[k]) {
                sn[b] = s[k];
                yn[b++] = yy[k];
            }
        }
        et->auc_old = metrics_auc(sn, yn, b);
    }
    for (size_t k = 0; k < n; k++) {
        float v = 0;

        for (int t = 0; t < T; t++)
            v += weight[t] * p[k * T + t];
        s[k] = v;
    }
    ev->auc_score = metrics_auc(s, expl, n);
    ev->gauc_score = group_auc(s, expl, items, n, &ev->gauc_items);
    ev->gauc_theta = NAN;
    if (theta != NULL) {
        uint64_t ng;

        for (size_t k = 0; k < n; k++)
            s[k] -= theta[k];
        ev->gauc_theta = group_auc(s, expl, items, n, &ng);
    }
    free(s);
    free(yy);
    free(sn);
    free(yn);
}

static void
test_labels(const struct segment *test, uint8_t *y, uint8_t *expl,
            uint32_t *items)
{
    for (size_t k = 0; k < test->n_exp; k++) {
        rank_labels(test->exp[k].fb, y + k * T);
        expl[k] = (test->exp[k].fb & FB_EXPLICIT) != 0;
        items[k] = test->exp[k].item;
    }
}

int
rank_evaluate(const struct rank_model *m, const struct rank_context *ctx,
              const struct segment *test, struct rank_eval *ev,
              struct diag *d)
{
    /* a day of ratings: scored as samples with negatives (rank_sample.c) */
    struct segment *own = rank_sample_test_day(test, ctx->n_items, m->seed);
    size_t n;
    float *p, *theta;
    uint8_t *y, *is_new, *expl;
    uint32_t *items;

    if (ctx->hash_bits != m->hash_bits || ctx->flags != m->flags) {
        rank_sample_free(own);
        return diag_set(d, RC_DATA, "ranking context was built for another "
                        "model");
    }
    if (own != NULL)
        test = own;
    n = test->n_exp;
    p = xmalloc((n ? n : 1) * T * sizeof *p);
    y = xmalloc((n ? n : 1) * T);
    is_new = xmalloc(n ? n : 1);
    expl = xmalloc(n ? n : 1);
    items = xmalloc((n ? n : 1) * sizeof *items);
    theta = xmalloc((n ? n : 1) * sizeof *theta);
    test_labels(test, y, expl, items);
    #pragma omp parallel for schedule(static, 1024)
    for (size_t k = 0; k < n; k++) {
        const struct seg_exposure *e = &test->exp[k];
        struct rank_item_feat it;
        struct rank_feat x;

        rank_ctx_item(ctx, e->item, &it);
        rank_ctx_pair(ctx, e->user, &it, &x);
        rank_predict(m, &x, p + k * T);
        is_new[k] = it.drop_id != 0;
        theta[k] = m->theta_weight * rank_context_theta(ctx, e->user);
    }
    metrics(p, y, is_new, expl, items, theta, n, m->weight, ev);
    free(items);
    free(theta);
    free(p);
    free(y);
    free(is_new);
    free(expl);
    rank_sample_free(own);
    return 0;
}

/* ---- xgboost baseline ---- */

/* Dense features of every exposure of seg into f (n x D). */
static void
dense_rows(const struct rank_context *ctx, const struct segment *seg,
           const uint32_t *pick, size_t n, float *f)
{
    #pragma omp parallel for schedule(static, 1024)
    for (size_t k = 0; k < n; k++) {
        const struct seg_exposure *e = &seg->exp[pick ? pick[k] : k];
        struct rank_item_feat it;
        struct rank_feat x;

        rank_ctx_item(ctx, e->item, &it);
        rank_ctx_pair(ctx, e->user, &it, &x);
        memcpy(f + k * RANK_N_DENSE, x.f, sizeof x.f);
    }
}

int
rank_xgb_baseline(const struct window *w, const struct tower *t,
                  const struct segment *test, unsigned flags,
                  uint64_t max_train, uint32_t rounds, uint32_t depth,
                  uint64_t seed, struct rank_eval *ev, struct diag *d)
{
    struct rank_params defp = rank_default_params();
    struct rank_context *ctx = rank_ctx_new(w, 0, flags, 20);
    uint64_t total = 0;
    size_t n = 0, cap = 0, nt = test->n_exp;
    float *f = NULL, *ft = NULL, *p = NULL;
    uint8_t *y = NULL, *yt = NULL, *is_new = NULL, *expl = NULL;
    uint32_t *items = NULL;
    struct gbdt_params gp = gbdt_default_params();
    float *lab = NULL, *pt = NULL;
    double keep;
    int rc = -1;

    if (rank_ctx_tower(ctx, w, t, d) < 0) {
        rank_context_free(ctx);
        return -1;
    }
    for (int k = (int)defp.warmup_days; k < w->n_days; k++) {
        size_t ne, ni;

        rank_day_rows(w, k, &ne, &ni);
        total += ne;
    }
    keep = total > max_train ? (double)max_train / (double)total : 1.0;
    /* one day's rows at a time: exposures, follows and items */
    for (int k = 0; k < w->n_days; k++) {
        struct day_ref day;
        const struct segment *seg;

        if (window_get_day(w, k, WINDOW_NO_INTER, &day, d) < 0)
            goto out;
        seg = day.seg;
        if (seg == NULL)
            continue;
        if (k >= (int)defp.warmup_days) {
            uint32_t *pick = xmalloc((seg->n_exp ? seg->n_exp : 1)
                                     * sizeof *pick);
            size_t np = 0;
            struct rng r;

            rng_seed(&r, seed, 0x40, (uint64_t)(uint32_t)seg->day);
            for (size_t e = 0; e < seg->n_exp; e++)
                if (keep >= 1.0 || rng_uniform(&r) < keep)
                    pick[np++] = (uint32_t)e;
            if (n + np > cap) {
                cap = (n + np) * 2;
                f = xreallocarray(f, cap, RANK_N_DENSE * sizeof *f);
                y = xreallocarray(y, cap, T);
            }
            dense_rows(ctx, seg, pick, np, f + n * RANK_N_DENSE);
            for (size_t e = 0; e < np; e++)
                rank_labels(seg->exp[pick[e]].fb, y + (n + e) * T);
            n += np;
            free(pick);
        }
        rank_ctx_add_day(ctx, seg);
        window_put_day(&day);
    }
    ctx->day = w->last_day + 1;
    ft = xmalloc((nt ? nt : 1) * RANK_N_DENSE * sizeof *ft);
    p = xmalloc((nt ? nt : 1) * T * sizeof *p);
    yt = xmalloc((nt ? nt : 1) * T);
    is_new = xmalloc(nt ? nt : 1);
    expl = xmalloc(nt ? nt : 1);
    items = xmalloc((nt ? nt : 1) * sizeof *items);
    dense_rows(ctx, test, NULL, nt, ft);
    test_labels(test, yt, expl, items);
    for (size_t k = 0; k < nt; k++) {
        uint32_t i = test->exp[k].item;

        is_new[k] = i >= ctx->n_items || ctx->i_cnt[(size_t)i * (1 + T)] == 0;
    }
    if (n == 0) {
        diag_set(d, RC_DATA, "no exposures to train the baseline on");
        goto out;
    }
    gp.objective = "binary:logistic";
    gp.tree_method = "hist";
    gp.rounds = (int)rounds;
    gp.max_depth = (int)depth;
    gp.eta = 0.1;
    gp.nthread = omp_get_max_threads();
    gp.seed = seed % 1000003;
    lab = xmalloc(n * sizeof *lab);
    pt = xmalloc((nt ? nt : 1) * sizeof *pt);
    for (int task = 0; task < T; task++) {
        struct gbdt *g = NULL;

        for (size_t k = 0; k < n; k++)
            lab[k] = y[k * T + task];
        if (gbdt_train(f, lab, NULL, n, RANK_N_DENSE, &gp, &g, d) < 0
            || gbdt_predict(g, ft, nt, RANK_N_DENSE, pt, d) < 0) {
            gbdt_free(g);
            goto out;
        }
        gbdt_free(g);
        for (size_t k = 0; k < nt; k++)
            p[k * T + task] = pt[k];
    }
    metrics(p, yt, is_new, expl, items, NULL, nt, defp.weight, ev);
    rc = 0;
out:
    rank_context_free(ctx);
    free(lab);
    free(pt);
    free(f);
    free(y);
    free(ft);
    free(p);
    free(yt);
    free(is_new);
    free(expl);
    free(items);
    return rc;
}

/* ---- theta_u effect ---- */

struct slot {
    float s;
    uint32_t user;
};

static int
slot_cmp(const void *pa, const void *pb)
{
    const struct slot *a = pa, *b = pb;

    if (a->s != b->s)
        return a->s > b->s ? -1 : 1;
    return a->user < b->user ? -1 : a->user > b->user;
}

static int
u32_desc(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

    return a > b ? -1 : a < b;
}

double
rank_top_concentration(const struct cands *c, uint32_t top_k,
                       uint32_t heavy, uint32_t *distinct)
{
    uint32_t max_u = 0, *cnt, nd = 0;
    uint64_t slots = 0, top = 0;
    struct slot *buf = NULL;
    size_t bcap = 0;

    for (size_t e = 0; e < c->n; e++)
        if (c->user[e] > max_u)
            max_u = c->user[e];
    cnt = xcalloc((size_t)max_u + 1, sizeof *cnt);
    for (size_t k = 0; k < c->n_items; k++) {
        size_t m = c->off[k + 1] - c->off[k];

        buf = xgrow(buf, &bcap, m ? m : 1, sizeof *buf);
        for (size_t e = 0; e < m; e++) {
            buf[e].s = c->score[c->off[k] + e];
            buf[e].user = c->user[c->off[k] + e];
        }
        qsort(buf, m, sizeof *buf, slot_cmp);
        for (size_t e = 0; e < m && e < top_k; e++) {
            cnt[buf[e].user]++;
            slots++;
        }
    }
    for (uint32_t u = 0; u <= max_u; u++)
        nd += cnt[u] > 0;
    qsort(cnt, (size_t)max_u + 1, sizeof *cnt, u32_desc);
    for (uint32_t u = 0; u < heavy && u <= max_u; u++)
        top += cnt[u];
    free(cnt);
    free(buf);
    if (distinct != NULL)
        *distinct = nd;
    return slots > 0 ? (double)top / (double)slots : 0.0;
}

struct cands *
rank_bench_cands(const struct rank_context *ctx, const struct window *w,
                 size_t n_items, size_t n_cands, uint64_t seed)
{
    uint32_t ni = w->cat.n_items, nu = ctx->n_users;
    struct cands *c;
    uint32_t stride = 7919;
    struct rng r;

    if (nu == 0)
        nu = 1;
    if (n_cands > nu)
        n_cands = nu;
    if (nu % stride == 0)
        stride = 1;
    c = cands_new(n_items, n_items * n_cands);
    rng_seed(&r, seed, 0x50, 0);
    for (size_t k = 0; k < n_items; k++) {
        uint64_t start = rng_below(&r, nu);

        c->items[k] = ni > 0 ? ni - 1 - (uint32_t)(k % ni) : 0;
        c->off[k] = k * n_cands;
        for (size_t j = 0; j < n_cands; j++) {
            size_t e = k * n_cands + j;

            c->user[e] = (uint32_t)((start + j * (uint64_t)stride) % nu);
            c->channels[e] = CH_TOWER;
            c->retr[e] = 0;
        }
    }
    c->off[n_items] = n_items * n_cands;
    c->n = n_items * n_cands;
    return c;
}

struct cands *
rank_eval_cands(const struct segment *test, size_t n_items, size_t n_cands,
                uint64_t seed)
{
    uint32_t max_i = 0, nu = 0, *cnt, *users, *items;
    size_t ni = 0;
    struct cands *c;
    struct rng r;

    for (size_t k = 0; k < test->n_exp; k++)
        if (test->exp[k].item > max_i)
            max_i = test->exp[k].item;
    cnt = xcalloc((size_t)max_i + 1, sizeof *cnt);
    users = xmalloc((test->n_exp ? test->n_exp : 1) * sizeof *users);
    for (size_t k = 0; k < test->n_exp; k++) {
        cnt[test->exp[k].item]++;
        /* exposures are sorted by user: distinct users in order */
        if (nu == 0 || users[nu - 1] != test->exp[k].user)
            users[nu++] = test->exp[k].user;
    }
    items = xmalloc((n_items ? n_items : 1) * sizeof *items);
    while (ni < n_items) {
        uint32_t best = UINT32_MAX;

        for (uint32_t i = 0; i <= max_i && test->n_exp > 0; i++)
            if (cnt[i] > 0 && (best == UINT32_MAX || cnt[i] > cnt[best]))
                best = i;
        if (best == UINT32_MAX)
            break;
        items[ni++] = best;
        cnt[best] = 0;
    }
    if (n_cands > nu)
        n_cands = nu;
    c = cands_new(ni, ni * n_cands);
    rng_seed(&r, seed, 0x60, 0);
    for (size_t k = 0; k < ni; k++) {
        c->items[k] = items[k];
        c->off[k] = k * n_cands;
        /* partial Fisher-Yates over the active users */
        for (size_t j = 0; j < n_cands; j++) {
            size_t q = j + (size_t)rng_below(&r, nu - j);
            uint32_t tmp = users[j];

            users[j] = users[q];
            users[q] = tmp;
            c->user[k * n_cands + j] = users[j];
            c->channels[k * n_cands + j] = 0;
            c->retr[k * n_cands + j] = 0;
        }
    }
    c->off[ni] = c->n = ni * n_cands;
    free(cnt);
    free(users);
    free(items);
    return c;
}
