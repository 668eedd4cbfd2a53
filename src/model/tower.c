/*
 * tower.c -- the two-tower retrieval model: observations, implicit-ALS
 * training with a feature tower, the model file and item vectors
 * (see tower.h for the model, the loss and the file layout).
 *
 * Shapes: P is (n_users, dim), Q (the item vectors being fitted) is
 * (n_items, dim), W = [g; C; T; D] is (n_feat, dim) with feature index
 * 0 = global, 1 + c = creator c, 1 + n_creators + t = tag t,
 * 1 + n_creators + n_tags + b = duration bucket b.  In the parameter block
 * g, C, T and D are contiguous, so W is one matrix starting at g.
 *
 * Every vector kernel assumes dim % 4 == 0 (checked by the trainer and the
 * loader) and sums in a fixed order, so results do not depend on threads.
 */
#include <cblas.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "binfile.h"
#include "byteio.h"
#include "rng.h"
#include "tower.h"
#include "xmem.h"

/* qsort that accepts an empty (possibly NULL) array. */
static void
sortv(void *base, size_t n, size_t size,
      int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

static const char TOWER_MAGIC[BINFILE_MAGIC_SIZE] = "\x89" "DRTOWER";

#define ROW_BLOCK 4096          /* rows per fixed reduction block */
#define STAGE_INIT_USER 1
#define STAGE_INIT_ITEM 2
#define STAGE_DROP 3

/* ---- small vector kernels (dim % 4 == 0) ---- */

typedef float v4f __attribute__((vector_size(16)));

static inline v4f
ld4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void
st4(float *p, v4f v)
{
    memcpy(p, &v, sizeof v);
}

static inline float
dotv(const float *a, const float *b, uint32_t d)
{
    v4f s0 = { 0, 0, 0, 0 }, s1 = { 0, 0, 0, 0 };
    uint32_t j = 0;

    for (; j + 8 <= d; j += 8) {
        s0 += ld4(a + j) * ld4(b + j);
        s1 += ld4(a + j + 4) * ld4(b + j + 4);
    }
    if (j < d)
        s0 += ld4(a + j) * ld4(b + j);
    s0 += s1;
    return (s0[0] + s0[1]) + (s0[2] + s0[3]);
}

/* y += a * x */
static inline void
axpyv(float *y, float a, const float *x, uint32_t d)
{
    v4f av = { a, a, a, a };

    for (uint32_t j = 0; j < d; j += 4)
        st4(y + j, ld4(y + j) + av * ld4(x + j));
}

/* ---- parameters ---- */

struct tower_params
tower_default_params(void)
{
    struct tower_params p;

    memset(&p, 0, sizeof p);
    p.dim = 64;
    p.epochs = 8;
    p.seed = 1;
    p.cg_steps = 3;
    p.reg = 0.05f;
    p.prior = 0.5f;
    p.reg_feat = 0.5f;
    p.alpha = 2.0f;
    p.w0 = 0.5f;
    p.neg_weight = 0.0f;      /* measured: 0.5 cost 20% recall */
    p.hate_weight = 2.0f;
    p.fb_weight[0] = 1.0f;      /* click */
    p.fb_weight[1] = 4.0f;      /* like */
    p.fb_weight[2] = 4.0f;      /* comment */
    p.fb_weight[3] = 6.0f;      /* follow */
    p.fb_weight[4] = 4.0f;      /* share */
    p.fb_weight[5] = 2.0f;      /* long view */
    p.fb_weight[6] = 0.0f;      /* hate: see hate_weight */
    p.id_drop = 0.25f;
    p.user_norm = 0.5f;
    p.use_features = 1;
    return p;
}

int
tower_params_set(struct tower_params *p, const char *kv, struct diag *d)
{
    static const struct {
        const char *name;
        size_t off;
        int is_u32;
    } tab[] = {
        { "dim", offsetof(struct tower_params, dim), 1 },
        { "epochs", offsetof(struct tower_params, epochs), 1 },
        { "cg_steps", offsetof(struct tower_params, cg_steps), 1 },
        { "reg", offsetof(struct tower_params, reg), 0 },
        { "prior", offsetof(struct tower_params, prior), 0 },
        { "reg_feat", offsetof(struct tower_params, reg_feat), 0 },
        { "alpha", offsetof(struct tower_params, alpha), 0 },
        { "w0", offsetof(struct tower_params, w0), 0 },
        { "neg_weight", offsetof(struct tower_params, neg_weight), 0 },
        { "hate_weight", offsetof(struct tower_params, hate_weight), 0 },
        { "w_click", offsetof(struct tower_params, fb_weight[0]), 0 },
        { "w_like", offsetof(struct tower_params, fb_weight[1]), 0 },
        { "w_comment", offsetof(struct tower_params, fb_weight[2]), 0 },
        { "w_follow", offsetof(struct tower_params, fb_weight[3]), 0 },
        { "w_share", offsetof(struct tower_params, fb_weight[4]), 0 },
        { "w_long_view", offsetof(struct tower_params, fb_weight[5]), 0 },
        { "id_drop", offsetof(struct tower_params, id_drop), 0 },
        { "user_norm", offsetof(struct tower_params, user_norm), 0 },
    };
    const char *eq = strchr(kv, '=');
    char *end;

    if (eq != NULL) {
        for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++) {
            if (strlen(tab[k].name) != (size_t)(eq - kv)
                || strncmp(tab[k].name, kv, (size_t)(eq - kv)) != 0)
                continue;
            double v = strtod(eq + 1, &end);
            if (end == eq + 1 || *end != '\0' || !isfinite(v) || v < 0
                || (tab[k].is_u32 && (v != floor(v) || v > UINT32_MAX)))
                break;
            if (tab[k].is_u32)
                *(uint32_t *)(void *)((char *)p + tab[k].off) = (uint32_t)v;
            else
                *(float *)(void *)((char *)p + tab[k].off) = (float)v;
            return 0;
        }
    }
    return diag_set(d, RC_USAGE, "bad model parameter '%s'", kv);
}

uint32_t
tower_dur_bucket(uint32_t dur_ms)
{
    static const uint32_t edges[] = { 10000, 30000, 60000, 180000, 600000 };

    if (dur_ms == 0)
        return 0;
    for (uint32_t b = 0; b < sizeof edges / sizeof edges[0]; b++)
        if (dur_ms < edges[b])
            return b + 1;
    return TOWER_N_DUR - 1;
}

/* ---- observations ---- */

float
tower_obs_value(uint32_t fb, int exposed, const struct tower_params *p)
{
    float w = 0.0f;

    if (fb & FB_HATE)
        return p->hate_weight > 0 ? -(p->w0 + p->hate_weight) : 0.0f;
    for (int k = 0; k < FB_N_KINDS; k++)
        if ((fb & (1u << k)) && (1u << k) != FB_HATE)
            w += p->fb_weight[k];
    if (w > 0)
        return 1.0f + p->alpha * w;
    if (exposed && p->neg_weight > 0)
        return -(p->w0 + p->neg_weight);
    return 0.0f;
}

void
tower_data_index(struct tower_data *x)
{
    size_t *fill;

    x->ioff = xcalloc((size_t)x->n_items + 1, sizeof *x->ioff);
    x->iuser = xmalloc((x->n ? x->n : 1) * sizeof *x->iuser);
    x->ival = xmalloc((x->n ? x->n : 1) * sizeof *x->ival);
    for (size_t j = 0; j < x->n; j++)
        x->ioff[x->uitem[j] + 1]++;
    for (uint32_t i = 0; i < x->n_items; i++)
        x->ioff[i + 1] += x->ioff[i];
    fill = xmalloc(((size_t)x->n_items + 1) * sizeof *fill);
    memcpy(fill, x->ioff, ((size_t)x->n_items + 1) * sizeof *fill);
    x->n_pos = 0;
    for (uint32_t u = 0; u < x->n_users; u++) {
        for (size_t j = x->uoff[u]; j < x->uoff[u + 1]; j++) {
            size_t k = fill[x->uitem[j]]++;
            x->iuser[k] = u;
            x->ival[k] = x->uval[j];
            x->n_pos += x->uval[j] > 0;
        }
    }
    free(fill);
}

struct coo {
    uint32_t u, i;
    float v;
};

static int
cmp_coo(const void *pa, const void *pb)
{
    const struct coo *a = pa, *b = pb;

    if (a->u != b->u)
        return a->u < b->u ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

struct tower_data *
tower_data_from_triples(uint32_t n_users, uint32_t n_items, size_t n,
                        const uint32_t *user, const uint32_t *item,
                        const float *val)
{
    struct tower_data *x = xcalloc(1, sizeof *x);
    struct coo *t = xmalloc((n ? n : 1) * sizeof *t);
    size_t m = 0;

    for (size_t j = 0; j < n; j++) {
        t[j].u = user[j];
        t[j].i = item[j];
        t[j].v = val[j];
    }
    sortv(t, n, sizeof *t, cmp_coo);
    for (size_t j = 0; j < n; j++) {
        if (m > 0 && t[m - 1].u == t[j].u && t[m - 1].i == t[j].i)
            t[m - 1].v += t[j].v;
        else
            t[m++] = t[j];
    }
    x->n_users = n_users;
    x->n_items = n_items;
    x->n = m;
    x->uoff = xcalloc((size_t)n_users + 1, sizeof *x->uoff);
    x->uitem = xmalloc((m ? m : 1) * sizeof *x->uitem);
    x->uval = xmalloc((m ? m : 1) * sizeof *x->uval);
    for (size_t j = 0; j < m; j++) {
        x->uoff[t[j].u + 1]++;
        x->uitem[j] = t[j].i;
        x->uval[j] = t[j].v;
    }
    for (uint32_t u = 0; u < n_users; u++)
        x->uoff[u + 1] += x->uoff[u];
    free(t);
    tower_data_index(x);
    return x;
}

void
tower_data_free(struct tower_data *x)
{
    if (x == NULL)
        return;
    free(x->uoff);
    free(x->uitem);
    free(x->uval);
    free(x->ioff);
    free(x->iuser);
    free(x->ival);
    free(x);
}

/* ---- the model object ---- */

static struct tower *
tower_alloc(uint32_t dim, uint32_t n_users, uint32_t n_items,
            uint32_t n_creators, uint32_t n_tags)
{
    struct tower *t = xcalloc(1, sizeof *t);
    size_t d = dim;

    t->dim = dim;
    t->n_users = n_users;
    t->n_items = n_items;
    t->n_creators = n_creators;
    t->n_tags = n_tags;
    t->n_dur = TOWER_N_DUR;
    t->n_params = d * ((size_t)n_users + n_items + 1 + n_creators + n_tags
                       + TOWER_N_DUR);
    t->params = xcalloc(t->n_params, sizeof *t->params);
    t->P = t->params;
    t->E = t->P + d * n_users;
    t->g = t->E + d * n_items;
    t->C = t->g + d;
    t->T = t->C + d * n_creators;
    t->D = t->T + d * n_tags;
    t->S = xmalloc((d * n_users + 1) * sizeof *t->S);
    return t;
}

void
tower_free(struct tower *t)
{
    if (t == NULL)
        return;
    free(t->params);
    free(t->S);
    free(t);
}

void
tower_set_user_norm(struct tower *t, float beta)
{
    uint32_t d = t->dim;

    t->user_norm = beta;
    #pragma omp parallel for schedule(static) if(t->n_users > 4096)
    for (uint32_t u = 0; u < t->n_users; u++) {
        const float *p = t->P + (size_t)u * d;
        float *s = t->S + (size_t)u * d;
        float nrm = sqrtf(dotv(p, p, d));
        float scale = beta == 0.0f || nrm <= 1e-12f ? 1.0f
                    : 1.0f / powf(nrm, beta);
        for (uint32_t j = 0; j < d; j++)
            s[j] = p[j] * scale;
    }
}

uint32_t
tower_dim(const struct tower *t)
{
    return t->dim;
}

uint32_t
tower_n_users(const struct tower *t)
{
    return t->n_users;
}

const float *
tower_user_vec(const struct tower *t, uint32_t user)
{
    if (user >= t->n_users)
        return NULL;
    return t->S + (size_t)user * t->dim;
}

const float *
tower_user_matrix(const struct tower *t)
{
    return t->S;
}

/*
 * The feature row of item i: up to cap (index, weight) pairs into W.
 * Returns the count; only features the model knows are used.  n_creators
 * and n_tags are the model's.
 */
static uint32_t
feature_row(const struct catalog *cat, uint32_t item, uint32_t n_creators,
            uint32_t n_tags, uint32_t *idx, float *val, uint32_t cap)
{
    uint32_t n = 0, groups = 1, n_known_tags = 0;
    uint32_t c = SEG_NONE, b = 0;

    if (cat != NULL && item < cat->n_items) {
        c = cat->creator[item];
        if (c != SEG_NONE && c < n_creators)
            groups++;
        else
            c = SEG_NONE;
        for (uint32_t j = cat->tag_off[item]; j < cat->tag_off[item + 1]; j++)
            n_known_tags += cat->tags[j] < n_tags;
        if (n_known_tags > 0)
            groups++;
        b = tower_dur_bucket(cat->dur_ms[item]);
        if (b != 0)
            groups++;
    }
    float gw = 1.0f / (float)groups;
    idx[n] = 0;
    val[n++] = gw;
    if (c != SEG_NONE) {
        idx[n] = 1 + c;
        val[n++] = gw;
    }
    if (n_known_tags > 0) {
        float tw = gw / (float)n_known_tags;
        for (uint32_t j = cat->tag_off[item];
             j < cat->tag_off[item + 1] && n + 1 < cap; j++) {
            if (cat->tags[j] < n_tags) {
                idx[n] = 1 + n_creators + cat->tags[j];
                val[n++] = tw;
            }
        }
    }
    if (b != 0 && n < cap) {
        idx[n] = 1 + n_creators + n_tags + b;
        val[n++] = gw;
    }
    return n;
}

static uint32_t
max_row_len(const struct catalog *cat)
{
    uint32_t m = 0;

    if (cat == NULL)
        return 4;
    for (uint32_t i = 0; i < cat->n_items; i++)
        if (cat->tag_off[i + 1] - cat->tag_off[i] > m)
            m = cat->tag_off[i + 1] - cat->tag_off[i];
    return m + 4;
}

void
tower_item_vecs(const struct tower *t, const struct catalog *cat,
                const uint32_t *items, size_t n, float *out)
{
    uint32_t d = t->dim, cap = max_row_len(cat);
    int feats = (t->flags & TOWER_F_FEATURES) != 0;

    #pragma omp parallel if(n > 1024)
    {
        uint32_t *idx = xmalloc(cap * sizeof *idx);
        float *val = xmalloc(cap * sizeof *val);
        #pragma omp for schedule(static)
        for (size_t k = 0; k < n; k++) {
            float *q = out + k * d;
            uint32_t it = items[k];
            memset(q, 0, d * sizeof *q);
            if (it < t->n_items)
                memcpy(q, t->E + (size_t)it * d, d * sizeof *q);
            if (!feats)
                continue;
            uint32_t m = feature_row(cat, it, t->n_creators, t->n_tags, idx,
                                     val, cap);
            for (uint32_t j = 0; j < m; j++)
                axpyv(q, val[j], t->g + (size_t)idx[j] * d, d);
        }
        free(idx);
        free(val);
    }
}

/* ---- training ---- */

struct tower_trainer {
    const struct tower_data *x;
    struct tower_params p;
    struct tower *t;            /* P and W live here; E filled at finish */
    uint32_t n_feat;
    float *Q;                   /* n_items x dim: fitted item vectors */
    float *Qf;                  /* n_items x dim: x_i W */
    float *Qu;                  /* n_items x dim: what the user step sees */
    size_t *foff;               /* CSR of the feature rows of items */
    uint32_t *fidx;
    float *fval;
    size_t *toff;               /* the transpose, by feature */
    uint32_t *titem;
    float *tval;
    uint8_t *observed;          /* items with >= 1 observation */
    uint32_t epoch;
};

/* G = sum_r M_r M_r^T over n rows (dim d), in fixed row blocks. */
static void
gram(const float *M, size_t n, uint32_t d, float *G)
{
    size_t nb = (n + ROW_BLOCK - 1) / ROW_BLOCK;
    float *part = xcalloc((nb ? nb : 1) * d * d, sizeof *part);

    #pragma omp parallel for schedule(dynamic, 1) if(nb > 1)
    for (size_t b = 0; b < nb; b++) {
        size_t r0 = b * ROW_BLOCK;
        size_t nr = n - r0 < ROW_BLOCK ? n - r0 : ROW_BLOCK;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)d,
                    (int)nr, 1.0f, M + r0 * d, (int)d, M + r0 * d, (int)d,
                    0.0f, part + b * d * d, (int)d);
    }
    memset(G, 0, (size_t)d * d * sizeof *G);
    for (size_t b = 0; b < nb; b++)
        for (size_t j = 0; j < (size_t)d * d; j++)
            G[j] += part[b * d * d + j];
    free(part);
}

#define CG_CHUNK 512             /* rows gathered per sgemv */
#define CG_SCRATCH(d) (3 * (size_t)(d) + CG_CHUNK * ((size_t)(d) + 1))

/*
 * ap = w0 G v + lam v + sum_j (c_j - w0) (y_j . v) y_j  when b_mode == 0;
 * ap = -(that) + sum_{j pos} c_j y_j                    when b_mode == 1
 * (the residual's right-hand side, before b0).  Rows y_j = Y[idx[j]] are
 * gathered CG_CHUNK at a time so that both products are BLAS sgemv calls.
 */
static void
cg_apply(float *ap, const float *v, const float *G, float w0, float lam,
         const float *Y, const uint32_t *idx, const float *val, size_t n,
         int b_mode, uint32_t d, float *yg, float *tv, int gathered)
{
    float sgn = b_mode ? -1.0f : 1.0f;

    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)d, (int)d, sgn * w0, G,
                (int)d, v, 1, 0.0f, ap, 1);
    axpyv(ap, sgn * lam, v, d);
    for (size_t c0 = 0; c0 < n; c0 += CG_CHUNK) {
        size_t m = n - c0 < CG_CHUNK ? n - c0 : CG_CHUNK;
        for (size_t j = 0; j < m && !gathered; j++)
            memcpy(yg + j * d, Y + (size_t)idx[c0 + j] * d, d * sizeof *yg);
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)d, 1.0f, yg,
                    (int)d, v, 1, 0.0f, tv, 1);
        for (size_t j = 0; j < m; j++) {
            float vj = val[c0 + j], c = fabsf(vj);
            tv[j] = sgn * (c - w0) * tv[j];
            if (b_mode && vj > 0)
                tv[j] += c;
        }
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)m, (int)d, 1.0f, yg,
                    (int)d, tv, 1, 1.0f, ap, 1);
    }
}

/*
 * Solve (w0 G + lam I + sum_j (c_j - w0) y_j y_j^T) x = b0 + sum_{j pos}
 * c_j y_j by `steps` iterations of conjugate gradient from the current x.
 * Rows y_j = Y[idx[j]], c_j = |val[j]|, positive when val[j] > 0.
 * scratch: 3 d + CG_CHUNK (d + 1) floats.
 */
static void
cg_solve(float *x, const float *G, float w0, float lam, const float *Y,
         const uint32_t *idx, const float *val, size_t n, const float *b0,
         uint32_t steps, uint32_t d, float *scratch)
{
    float *r = scratch, *pd = r + d, *ap = pd + d;
    float *yg = ap + d, *tv = yg + (size_t)CG_CHUNK * d;

    /* r = b - A x.  Rows are gathered once when they fit in one chunk
     * (most users and items); longer lists are gathered per product. */
    cg_apply(r, x, G, w0, lam, Y, idx, val, n, 1, d, yg, tv, 0);
    int keep = n <= CG_CHUNK;
    if (b0 != NULL)
        axpyv(r, 1.0f, b0, d);
    memcpy(pd, r, d * sizeof *pd);
    float rs = dotv(r, r, d);
    for (uint32_t s = 0; s < steps; s++) {
        if (rs < 1e-20f)
            break;
        cg_apply(ap, pd, G, w0, lam, Y, idx, val, n, 0, d, yg, tv, keep);
        float pap = dotv(pd, ap, d);
        if (!(pap > 0.0f))
            break;
        float al = rs / pap;
        axpyv(x, al, pd, d);
        axpyv(r, -al, ap, d);
        float rsn = dotv(r, r, d);
        float be = rsn / rs;
        for (uint32_t a = 0; a < d; a++)
            pd[a] = r[a] + be * pd[a];
        rs = rsn;
    }
}

/* Qf = X W over all items. */
static void
feature_part(struct tower_trainer *tr, const float *W, float *out)
{
    uint32_t d = tr->t->dim;
    uint32_t n = tr->x->n_items;

    #pragma omp parallel for schedule(static) if(n > 4096)
    for (uint32_t i = 0; i < n; i++) {
        float *q = out + (size_t)i * d;
        memset(q, 0, d * sizeof *q);
        for (size_t j = tr->foff[i]; j < tr->foff[i + 1]; j++)
            axpyv(q, tr->fval[j], W + (size_t)tr->fidx[j] * d, d);
    }
}

/* out = X^T Z restricted to observed items (rows of Z are items). */
static void
feature_gather(struct tower_trainer *tr, const float *Z, float *out)
{
    uint32_t d = tr->t->dim;

    #pragma omp parallel for schedule(dynamic, 64) if(tr->n_feat > 1024)
    for (uint32_t f = 0; f < tr->n_feat; f++) {
        float *o = out + (size_t)f * d;
        memset(o, 0, d * sizeof *o);
        for (size_t j = tr->toff[f]; j < tr->toff[f + 1]; j++)
            if (tr->observed[tr->titem[j]])
                axpyv(o, tr->tval[j], Z + (size_t)tr->titem[j] * d, d);
    }
}

/* <A, B> over n rows of dim d, fixed blocks, double partials. */
static double
frob_dot(const float *A, const float *B, size_t n, uint32_t d)
{
    size_t nb = (n + ROW_BLOCK - 1) / ROW_BLOCK;
    double *part = xcalloc(nb ? nb : 1, sizeof *part), s = 0;

    #pragma omp parallel for schedule(static) if(nb > 1)
    for (size_t b = 0; b < nb; b++) {
        size_t r1 = (b + 1) * ROW_BLOCK < n ? (b + 1) * ROW_BLOCK : n;
        double acc = 0;
        for (size_t r = b * ROW_BLOCK; r < r1; r++)
            acc += dotv(A + r * d, B + r * d, d);
        part[b] = acc;
    }
    for (size_t b = 0; b < nb; b++)
        s += part[b];
    free(part);
    return s;
}

/* Ridge regression of the observed items' Q on their features, by CG on
 * (X^T X + mu I) W = X^T Q, warm-started from the current W. */
static void
fit_features(struct tower_trainer *tr, uint32_t iters)
{
    uint32_t d = tr->t->dim;
    size_t nf = tr->n_feat, sz = nf * d;
    float mu = tr->p.reg_feat / (tr->p.prior > 0 ? tr->p.prior : 1.0f);
    float *W = tr->t->g;
    float *R = xmalloc(sz * sizeof *R), *Pd = xmalloc(sz * sizeof *Pd);
    float *AP = xmalloc(sz * sizeof *AP);
    float *Z = xmalloc(((size_t)tr->x->n_items * d + 1) * sizeof *Z);

    /* R = X^T Q - (X^T X W + mu W) */
    feature_gather(tr, tr->Q, R);
    feature_part(tr, W, Z);
    feature_gather(tr, Z, AP);
    for (size_t j = 0; j < sz; j++)
        R[j] -= AP[j] + mu * W[j];
    memcpy(Pd, R, sz * sizeof *Pd);
    double rs = frob_dot(R, R, nf, d);
    for (uint32_t it = 0; it < iters && rs > 1e-20; it++) {
        feature_part(tr, Pd, Z);
        feature_gather(tr, Z, AP);
        for (size_t j = 0; j < sz; j++)
            AP[j] += mu * Pd[j];
        double pap = frob_dot(Pd, AP, nf, d);
        if (!(pap > 0))
            break;
        float al = (float)(rs / pap);
        for (size_t j = 0; j < sz; j++) {
            W[j] += al * Pd[j];
            R[j] -= al * AP[j];
        }
        double rsn = frob_dot(R, R, nf, d);
        float be = (float)(rsn / rs);
        for (size_t j = 0; j < sz; j++)
            Pd[j] = R[j] + be * Pd[j];
        rs = rsn;
    }
    free(R);
    free(Pd);
    free(AP);
    free(Z);
}

static void
random_rows(float *M, size_t n, uint32_t d, uint64_t seed, uint64_t stage,
            size_t from)
{
    size_t nb = (n + ROW_BLOCK - 1) / ROW_BLOCK;
    float sd = 0.1f / sqrtf((float)d);

    #pragma omp parallel for schedule(static) if(nb > 1)
    for (size_t b = from / ROW_BLOCK; b < nb; b++) {
        struct rng r;
        rng_seed(&r, seed, stage, b);
        size_t r1 = (b + 1) * ROW_BLOCK < n ? (b + 1) * ROW_BLOCK : n;
        for (size_t i = b * ROW_BLOCK; i < r1; i++)
            for (uint32_t j = 0; j < d; j++) {
                float v = (float)rng_normal(&r) * sd;
                if (i >= from)
                    M[i * d + j] = v;
            }
    }
}

int
tower_trainer_new(const struct tower_data *x, const struct catalog *cat,
                  uint32_t n_creators, uint32_t n_tags,
                  const struct tower_params *p, const struct tower *warm,
                  struct tower_trainer **out, struct diag *d)
{
    struct tower_trainer *tr;
    uint32_t dim = p->dim, cap;
    int feats = p->use_features && cat != NULL;

    if (dim < 4 || dim > 1024 || dim % 4 != 0)
        return diag_set(d, RC_USAGE, "dimension must be a multiple of 4 "
                        "in 4..1024 '%u'", dim);
    if (warm != NULL && warm->dim != dim)
        return diag_set(d, RC_USAGE, "warm model has dimension %u, "
                        "expected %u", warm->dim, dim);
    if (cat != NULL && cat->n_items < x->n_items)
        return diag_set(d, RC_INTERNAL, "catalog has %u items, data %u",
                        cat->n_items, x->n_items);
    tr = xcalloc(1, sizeof *tr);
    tr->x = x;
    tr->p = *p;
    tr->p.use_features = feats;
    if (!feats) {
        n_creators = 0;
        n_tags = 0;
    }
    tr->t = tower_alloc(dim, x->n_users, x->n_items, n_creators, n_tags);
    tr->t->flags = feats ? TOWER_F_FEATURES : 0;
    tr->n_feat = 1 + n_creators + n_tags + TOWER_N_DUR;
    size_t qsz = (size_t)x->n_items * dim + 1;
    tr->Q = xmalloc(qsz * sizeof *tr->Q);
    tr->Qf = xcalloc(qsz, sizeof *tr->Qf);
    tr->Qu = xmalloc(qsz * sizeof *tr->Qu);
    tr->observed = xcalloc((size_t)x->n_items + 1, 1);
    for (uint32_t i = 0; i < x->n_items; i++)
        tr->observed[i] = x->ioff[i + 1] > x->ioff[i];

    /* Feature rows (empty when the tower is off) and their transpose. */
    cap = max_row_len(feats ? cat : NULL);
    tr->foff = xcalloc((size_t)x->n_items + 1, sizeof *tr->foff);
    {
        uint32_t *idx = xmalloc(cap * sizeof *idx);
        float *val = xmalloc(cap * sizeof *val);
        size_t total = 0;
        for (uint32_t i = 0; i < x->n_items; i++) {
            if (feats)
                total += feature_row(cat, i, n_creators, n_tags, idx, val,
                                     cap);
            tr->foff[i + 1] = total;
        }
        tr->fidx = xmalloc((total ? total : 1) * sizeof *tr->fidx);
        tr->fval = xmalloc((total ? total : 1) * sizeof *tr->fval);
        for (uint32_t i = 0; feats && i < x->n_items; i++)
            feature_row(cat, i, n_creators, n_tags, tr->fidx + tr->foff[i],
                        tr->fval + tr->foff[i], cap);
        free(idx);
        free(val);
        tr->toff = xcalloc((size_t)tr->n_feat + 1, sizeof *tr->toff);
        tr->titem = xmalloc((total ? total : 1) * sizeof *tr->titem);
        tr->tval = xmalloc((total ? total : 1) * sizeof *tr->tval);
        for (size_t j = 0; j < total; j++)
            tr->toff[tr->fidx[j] + 1]++;
        for (uint32_t f = 0; f < tr->n_feat; f++)
            tr->toff[f + 1] += tr->toff[f];
        size_t *fill = xmalloc(((size_t)tr->n_feat + 1) * sizeof *fill);
        memcpy(fill, tr->toff, ((size_t)tr->n_feat + 1) * sizeof *fill);
        for (uint32_t i = 0; i < x->n_items; i++)
            for (size_t j = tr->foff[i]; j < tr->foff[i + 1]; j++) {
                size_t k = fill[tr->fidx[j]]++;
                tr->titem[k] = i;
                tr->tval[k] = tr->fval[j];
            }
        free(fill);
    }

    /* Start: the warm model where it knows the row, random elsewhere. */
    random_rows(tr->t->P, x->n_users, dim, p->seed, STAGE_INIT_USER, 0);
    random_rows(tr->Q, x->n_items, dim, p->seed, STAGE_INIT_ITEM, 0);
    if (warm != NULL) {
        uint32_t nu = warm->n_users < x->n_users ? warm->n_users
                                                 : x->n_users;
        memcpy(tr->t->P, warm->P, (size_t)nu * dim * sizeof *tr->t->P);
        if (feats && (warm->flags & TOWER_F_FEATURES)) {
            uint32_t nc = warm->n_creators < n_creators ? warm->n_creators
                                                        : n_creators;
            uint32_t nt = warm->n_tags < n_tags ? warm->n_tags : n_tags;
            memcpy(tr->t->g, warm->g, dim * sizeof *tr->t->g);
            memcpy(tr->t->C, warm->C, (size_t)nc * dim * sizeof *tr->t->C);
            memcpy(tr->t->T, warm->T, (size_t)nt * dim * sizeof *tr->t->T);
            memcpy(tr->t->D, warm->D,
                   (size_t)TOWER_N_DUR * dim * sizeof *tr->t->D);
        }
        uint32_t ni = warm->n_items < x->n_items ? warm->n_items
                                                 : x->n_items;
        uint32_t *items = xmalloc((ni ? ni : 1) * sizeof *items);
        for (uint32_t i = 0; i < ni; i++)
            items[i] = i;
        tower_item_vecs(warm, cat, items, ni, tr->Q);
        free(items);
        tr->t->epochs = warm->epochs;
    }
    feature_part(tr, tr->t->g, tr->Qf);
    *out = tr;
    return 0;
}

void
tower_trainer_epoch(struct tower_trainer *tr, double *loss)
{
    const struct tower_data *x = tr->x;
    const struct tower_params *p = &tr->p;
    uint32_t d = tr->t->dim, nu = x->n_users, ni = x->n_items;
    float *G = xmalloc((size_t)d * d * sizeof *G);
    float *GP = xmalloc((size_t)d * d * sizeof *GP);
    int blas_threads = openblas_get_num_threads();
    size_t nib = ((size_t)ni + ROW_BLOCK - 1) / ROW_BLOCK;

    openblas_set_num_threads(1);

    /* What the user step sees: q_i, or x_i W for a dropped item. */
    #pragma omp parallel for schedule(static) if(nib > 1)
    for (size_t b = 0; b < nib; b++) {
        struct rng r;
        size_t r1 = (b + 1) * ROW_BLOCK < ni ? (b + 1) * ROW_BLOCK : ni;
        rng_seed(&r, p->seed, STAGE_DROP + 16 * (uint64_t)tr->epoch, b);
        for (size_t i = b * ROW_BLOCK; i < r1; i++) {
            int drop = p->use_features && p->id_drop > 0
                    && rng_uniform(&r) < p->id_drop;
            memcpy(tr->Qu + i * d, (drop ? tr->Qf : tr->Q) + i * d,
                   d * sizeof *tr->Qu);
        }
    }

    /* User step. */
    gram(tr->Qu, ni, d, G);
    #pragma omp parallel if(nu > 256)
    {
        float *scratch = xmalloc(CG_SCRATCH(d) * sizeof *scratch);
        #pragma omp for schedule(dynamic, 512)
        for (uint32_t u = 0; u < nu; u++) {
            size_t a = x->uoff[u], n = x->uoff[u + 1] - a;
            cg_solve(tr->t->P + (size_t)u * d, G, p->w0, p->reg, tr->Qu,
                     x->uitem + a, x->uval + a, n, NULL, p->cg_steps, d,
                     scratch);
        }
        free(scratch);
    }

    /* Item step. */
    gram(tr->t->P, nu, d, GP);
    float lam = p->use_features ? p->prior : p->reg;
    #pragma omp parallel if(ni > 256)
    {
        float *scratch = xmalloc((CG_SCRATCH(d) + d) * sizeof *scratch);
        float *b0 = scratch + CG_SCRATCH(d);
        #pragma omp for schedule(dynamic, 64)
        for (uint32_t i = 0; i < ni; i++) {
            size_t a = x->ioff[i], n = x->ioff[i + 1] - a;
            float *q = tr->Q + (size_t)i * d;
            const float *qf = tr->Qf + (size_t)i * d;
            if (n == 0) {
                memcpy(q, qf, d * sizeof *q);
                continue;
            }
            for (uint32_t j = 0; j < d; j++)
                b0[j] = p->use_features ? lam * qf[j] : 0.0f;
            cg_solve(q, GP, p->w0, lam, tr->t->P, x->iuser + a, x->ival + a,
                     n, b0, p->cg_steps, d, scratch);
        }
        free(scratch);
    }

    /* Feature tower. */
    if (p->use_features) {
        fit_features(tr, 8);
        feature_part(tr, tr->t->g, tr->Qf);
    }

    /* Objective, divided by the number of observations. */
    {
        size_t nb = ((size_t)nu + ROW_BLOCK - 1) / ROW_BLOCK;
        double *part = xcalloc(nb ? nb : 1, sizeof *part), obj = 0;
        gram(tr->Q, ni, d, G);
        #pragma omp parallel for schedule(dynamic, 1) if(nb > 1)
        for (size_t b = 0; b < nb; b++) {
            size_t r1 = (b + 1) * ROW_BLOCK < nu ? (b + 1) * ROW_BLOCK : nu;
            double acc = 0;
            for (size_t u = b * ROW_BLOCK; u < r1; u++) {
                const float *pu = tr->t->P + u * d;
                for (size_t j = x->uoff[u]; j < x->uoff[u + 1]; j++) {
                    float s = dotv(pu, tr->Q + (size_t)x->uitem[j] * d, d);
                    float c = fabsf(x->uval[j]);
                    float e = s - (x->uval[j] > 0 ? 1.0f : 0.0f);
                    acc += (double)c * e * e - (double)p->w0 * s * s;
                }
                acc += p->reg * dotv(pu, pu, d);
            }
            part[b] = acc;
        }
        for (size_t b = 0; b < nb; b++)
            obj += part[b];
        for (size_t j = 0; j < (size_t)d * d; j++)
            obj += (double)p->w0 * G[j] * GP[j];
        free(part);
        if (p->use_features) {
            double pr = 0;
            for (uint32_t i = 0; i < ni; i++) {
                if (!tr->observed[i])
                    continue;
                for (uint32_t j = 0; j < d; j++) {
                    double e = tr->Q[(size_t)i * d + j]
                             - tr->Qf[(size_t)i * d + j];
                    pr += e * e;
                }
            }
            obj += p->prior * pr + p->reg_feat
                 * frob_dot(tr->t->g, tr->t->g, tr->n_feat, d);
        } else {
            obj += p->reg * frob_dot(tr->Q, tr->Q, ni, d);
        }
        *loss = obj / (double)(x->n ? x->n : 1);
    }

    openblas_set_num_threads(blas_threads);
    free(G);
    free(GP);
    tr->epoch++;
    tr->t->epochs++;
}

struct tower *
tower_trainer_finish(struct tower_trainer *tr, int32_t day)
{
    struct tower *t = tr->t;
    uint32_t d = t->dim;

    for (uint32_t i = 0; i < tr->x->n_items; i++) {
        float *e = t->E + (size_t)i * d;
        if (!tr->observed[i]) {
            memset(e, 0, d * sizeof *e);
            continue;
        }
        for (uint32_t j = 0; j < d; j++)
            e[j] = tr->Q[(size_t)i * d + j]
                 - (tr->p.use_features ? tr->Qf[(size_t)i * d + j] : 0.0f);
    }
    t->day = day;
    tower_set_user_norm(t, tr->p.user_norm);
    free(tr->Q);
    free(tr->Qf);
    free(tr->Qu);
    free(tr->foff);
    free(tr->fidx);
    free(tr->fval);
    free(tr->toff);
    free(tr->titem);
    free(tr->tval);
    free(tr->observed);
    free(tr);
    return t;
}

/* ---- file ---- */

int
tower_save(const struct tower *t, const char *path, struct diag *d)
{
    struct bbuf b = BBUF_INIT;
    int rc;

    bbuf_put_le32(&b, t->dim);
    bbuf_put_le32(&b, t->n_users);
    bbuf_put_le32(&b, t->n_items);
    bbuf_put_le32(&b, t->n_creators);
    bbuf_put_le32(&b, t->n_tags);
    bbuf_put_le32(&b, t->n_dur);
    bbuf_put_le32(&b, t->flags);
    bbuf_put_f32(&b, t->user_norm);
    bbuf_put_le32(&b, (uint32_t)t->day);
    bbuf_put_le32(&b, t->epochs);
    bbuf_put_f32v(&b, t->params, t->n_params);
    rc = binfile_save(path, TOWER_MAGIC, TOWER_VERSION, b.p, b.len, 1, d);
    bbuf_release(&b);
    return rc;
}

int
tower_load(const char *path, struct tower **out, struct diag *d)
{
    void *buf;
    size_t n;
    struct bcur c;
    uint32_t h[7];

    if (binfile_load(path, TOWER_MAGIC, TOWER_VERSION, &buf, &n, d) < 0)
        return -1;
    bcur_init(&c, buf, n);
    for (int k = 0; k < 7; k++)
        h[k] = bcur_get_le32(&c);
    float beta = bcur_get_f32(&c);
    int32_t day = (int32_t)bcur_get_le32(&c);
    uint32_t epochs = bcur_get_le32(&c);
    if (!bcur_ok(&c)) {
        free(buf);
        return diag_set(d, RC_DATA, "%s: offset 0: truncated tower header",
                        path);
    }
    if (h[0] < 4 || h[0] > 1024 || h[0] % 4 != 0 || h[5] != TOWER_N_DUR
        || (h[6] & ~TOWER_F_FEATURES) != 0 || !isfinite(beta)) {
        free(buf);
        return diag_set(d, RC_DATA, "%s: offset 0: bad tower header "
                        "(dim %u, %u duration buckets, flags %#x)", path,
                        h[0], h[5], h[6]);
    }
    uint64_t want = (uint64_t)h[0] * ((uint64_t)h[1] + h[2] + 1 + h[3] + h[4]
                                      + TOWER_N_DUR);
    if (bcur_left(&c) != want * sizeof(float)) {
        size_t left = bcur_left(&c);
        free(buf);
        return diag_set(d, RC_DATA, "%s: offset 40: parameter block has %zu "
                        "bytes, expected %llu", path, left,
                        (unsigned long long)(want * sizeof(float)));
    }
    struct tower *t = tower_alloc(h[0], h[1], h[2], h[3], h[4]);
    t->flags = h[6];
    t->day = day;
    t->epochs = epochs;
    bcur_get_f32v(&c, t->params, t->n_params);
    free(buf);
    tower_set_user_norm(t, beta);
    *out = t;
    return 0;
}
