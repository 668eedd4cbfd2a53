/*
 * rank.c -- the multi-task creator-experience ranker: model, training,
 * model file, scoring of candidate tables (rank.h has the formulas).
 *
 * Training is data-parallel over fixed blocks and deterministic: a batch
 * of `batch` samples is cut into RANK_BLOCKS blocks of fixed size; each
 * block computes its samples' forward and backward passes against the
 * parameters as they stood at the batch start, writing sparse row
 * gradients and dense partial sums into its own buffers.  Then the row
 * updates are applied by RANK_PARTS partitions of the row space, each
 * walking the blocks and entries in order (a row belongs to one
 * partition, so its updates keep the sample order), and the dense sums
 * are reduced in block order.  Nothing depends on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "binfile.h"
#include "byteio.h"
#include "rank_int.h"
#include "rng.h"
#include "xmem.h"

#include <omp.h>

#define T RANK_N_TASKS
#define RANK_BLOCKS 16
#define RANK_PARTS 16
#define ADAGRAD_INIT 0.1f
#define LOGIT_CLAMP 30.0f

static const char rank_magic[BINFILE_MAGIC_SIZE] = {
    '\x89', 'D', 'R', 'R', 'A', 'N', 'K', '\x01'
};

static const char *const task_names[T] = {
    "click", "like", "comment", "follow", "long_view"
};

const char *
rank_task_name(int task)
{
    return task >= 0 && task < T ? task_names[task] : "?";
}

struct rank_params
rank_default_params(void)
{
    struct rank_params p = {
        .dim = 8, .hidden = 32, .hash_bits = 20, .epochs = 2,
        .batch = 256, .warmup_days = 1, .lr = 0.05f, .l2 = 1e-6f,
        .seed = 1, .flags = RANK_AUGMENT | RANK_EXTRA,
        /* explicit feedback first: follow > comment > like > watch time */
        .weight = { 0.1f, 1.0f, 2.0f, 4.0f, 0.3f },
        .theta_weight = 0.5f, .theta_ref = RANK_THETA_REF,
        .max_samples_per_day = RANK_MAX_PER_DAY, .warm = NULL,
    };
    return p;
}

void
rank_labels(uint32_t fb, uint8_t *y)
{
    y[TASK_CLICK] = (fb & FB_CLICK) != 0;
    y[TASK_LIKE] = (fb & FB_LIKE) != 0;
    y[TASK_COMMENT] = (fb & FB_COMMENT) != 0;
    y[TASK_FOLLOW] = (fb & FB_FOLLOW) != 0;
    y[TASK_LONG_VIEW] = (fb & FB_LONG_VIEW) != 0;
}

/* ---- parameters ---- */

static size_t
zdim(const struct rank_model *m)
{
    return m->dim + RANK_N_DENSE;
}

static size_t
row_width(const struct rank_model *m)
{
    return T + m->dim;
}

static size_t
n_dense_params(const struct rank_model *m)
{
    size_t z = zdim(m), h = m->hidden;

    return T + T * z + T * h + h * z + h;
}

/* Floats in the parameter block of m's shape. */
static size_t
param_count(const struct rank_model *m)
{
    return ((size_t)1 << m->hash_bits) * row_width(m) + n_dense_params(m);
}

/* Point the named blocks into m->params (which must be allocated). */
static void
model_bind(struct rank_model *m)
{
    size_t rows = (size_t)1 << m->hash_bits, z = zdim(m), h = m->hidden;

    m->n_params = param_count(m);
    m->rows = m->params;
    m->b = m->rows + rows * row_width(m);
    m->a = m->b + T;
    m->c = m->a + T * z;
    m->w1 = m->c + T * h;
    m->b1 = m->w1 + h * z;
}

static struct rank_model *
model_new(const struct rank_params *p)
{
    struct rank_model *m = xcalloc(1, sizeof *m);

    m->dim = p->dim;
    m->hidden = p->hidden;
    m->hash_bits = p->hash_bits;
    m->flags = p->flags;
    m->theta_ref = p->theta_ref;
    m->seed = p->seed;
    memcpy(m->weight, p->weight, sizeof m->weight);
    m->theta_weight = p->theta_weight;
    m->params = xcalloc(param_count(m), sizeof(float));
    model_bind(m);
    return m;
}

void
rank_free(struct rank_model *m)
{
    if (m == NULL)
        return;
    free(m->params);
    free(m);
}

/* Random initial factors and hidden weights from (seed, stage, block). */
static void
model_init(struct rank_model *m, const double *base_rate)
{
    size_t rows = (size_t)1 << m->hash_bits, z = zdim(m), h = m->hidden;
    size_t rw = row_width(m);

    #pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < (rows + 4095) / 4096; blk++) {
        struct rng r;

        rng_seed(&r, m->seed, 0x10, blk);
        for (size_t j = blk * 4096; j < rows && j < (blk + 1) * 4096; j++)
            for (uint32_t k = 0; k < m->dim; k++)
                m->rows[j * rw + T + k] = 0.01f * (float)rng_normal(&r);
    }
    {
        struct rng r;
        float sc = 1.0f / sqrtf((float)z);

        rng_seed(&r, m->seed, 0x11, 0);
        for (size_t j = 0; j < h * z; j++)
            m->w1[j] = sc * (float)rng_normal(&r);
        for (size_t j = 0; j < h; j++)
            m->b1[j] = 0.01f;
    }
    for (int t = 0; t < T; t++) {
        double q = base_rate[t];

        q = q < 1e-4 ? 1e-4 : q > 1 - 1e-4 ? 1 - 1e-4 : q;
        m->b[t] = (float)log(q / (1 - q));
    }
}

/*
 * Copy the parameters of an older model of the same shape and flags into
 * m: yesterday's model already holds the ids and the statistics' effects
 * of all but the newest day, so a short pass refines it instead of
 * relearning from random factors.
 */
static int
warm_start(struct rank_model *m, const struct rank_model *old,
           struct diag *d)
{
    if (old->dim != m->dim || old->hidden != m->hidden
        || old->hash_bits != m->hash_bits || old->flags != m->flags)
        return diag_set(d, RC_USAGE, "warm model has dim %u, hidden %u, "
                        "hash bits %u, flags %u; expected %u, %u, %u, %u "
                        "(train without the warm model after a change of "
                        "shape, features or tower)", old->dim, old->hidden,
                        old->hash_bits, old->flags, m->dim, m->hidden,
                        m->hash_bits, m->flags);
    memcpy(m->params, old->params, m->n_params * sizeof(float));
    m->epochs = old->epochs;
    return 0;
}

/* ---- forward / backward ---- */

struct fwd {
    float S[RANK_MAX_DIM];
    float z[RANK_MAX_Z];
    float pre[RANK_MAX_HIDDEN];
    float h[RANK_MAX_HIDDEN];
    float logit[T];
};

static float
sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

/* skip: a row index of x not to use (the dropped item id), or -1. */
static void
forward(const struct rank_model *m, const struct rank_feat *x, int skip,
        struct fwd *f)
{
    size_t rw = row_width(m), z = zdim(m);
    uint32_t K = m->dim, H = m->hidden;
    float Q[RANK_MAX_DIM];

    for (int t = 0; t < T; t++)
        f->logit[t] = m->b[t];
    memset(f->S, 0, K * sizeof(float));
    memset(Q, 0, K * sizeof(float));
    for (uint32_t j = 0; j < x->n_rows; j++) {
        const float *r = m->rows + (size_t)x->row[j] * rw;
        float xv = x->x[j];

        if ((int)j == skip)
            continue;
        for (int t = 0; t < T; t++)
            f->logit[t] += xv * r[t];
        for (uint32_t k = 0; k < K; k++) {
            float v = xv * r[T + k];

            f->S[k] += v;
            Q[k] += v * v;
        }
    }
    for (uint32_t k = 0; k < K; k++)
        f->z[k] = 0.5f * (f->S[k] * f->S[k] - Q[k]);
    memcpy(f->z + K, x->f, RANK_N_DENSE * sizeof(float));
    /* W1 is stored (Z, H) so that this is a vectorisable axpy per k */
    memcpy(f->pre, m->b1, H * sizeof(float));
    for (size_t k = 0; k < z; k++) {
        const float *w = m->w1 + k * H;
        float zk = f->z[k];

        if (zk == 0)
            continue;
        for (uint32_t q = 0; q < H; q++)
            f->pre[q] += w[q] * zk;
    }
    for (uint32_t q = 0; q < H; q++)
        f->h[q] = f->pre[q] > 0 ? f->pre[q] : 0;
    for (int t = 0; t < T; t++) {
        const float *a = m->a + (size_t)t * z, *c = m->c + (size_t)t * H;
        float s = 0;

        for (size_t k = 0; k < z; k++)
            s += a[k] * f->z[k];
        for (uint32_t q = 0; q < H; q++)
            s += c[q] * f->h[q];
        s += f->logit[t];
        f->logit[t] = s > LOGIT_CLAMP ? LOGIT_CLAMP
                    : s < -LOGIT_CLAMP ? -LOGIT_CLAMP
                    : isfinite(s) ? s : 0.0f;
    }
}

void
rank_predict(const struct rank_model *m, const struct rank_feat *x,
             float *p)
{
    struct fwd f;

    forward(m, x, x->drop_item ? x->item_slot : -1, &f);
    for (int t = 0; t < T; t++)
        p[t] = sigmoid(f.logit[t]);
}

float
rank_integrate(const struct rank_model *m, const float *p)
{
    float s = 0;

    for (int t = 0; t < T; t++)
        s += m->weight[t] * p[t];
    return s;
}

/* One block's gradient buffers. */
struct block_grad {
    uint32_t n;                 /* sparse entries */
    uint32_t *row;              /* cap entries */
    float *g;                   /* cap x row_width */
    float *dense;               /* n_dense_params, a sum over samples */
    double loss;
    uint32_t *by_part;          /* entry indices grouped by partition */
    uint32_t part_off[RANK_PARTS + 1];
};

/*
 * Backward pass of one sample (after forward): appends row gradients to
 * bg and adds dense gradients.  Shapes as in rank.h.
 */
static void
backward(const struct rank_model *m, const struct rank_feat *x, int skip,
         const struct fwd *f, const uint8_t *y, struct block_grad *bg)
{
    size_t rw = row_width(m), z = zdim(m);
    uint32_t K = m->dim, H = m->hidden;
    float g[T], dz[RANK_MAX_Z], dpre[RANK_MAX_HIDDEN];
    float *db = bg->dense, *da = db + T, *dc = da + T * z;
    float *dw1 = dc + T * H, *db1 = dw1 + H * z;

    for (int t = 0; t < T; t++) {
        float p = sigmoid(f->logit[t]);

        g[t] = p - y[t];
        bg->loss -= y[t] ? log(p > 1e-7f ? p : 1e-7f)
                         : log(1 - p > 1e-7f ? 1 - p : 1e-7f);
        db[t] += g[t];
    }
    memset(dz, 0, z * sizeof(float));
    memset(dpre, 0, H * sizeof(float));
    for (int t = 0; t < T; t++) {
        const float *a = m->a + (size_t)t * z, *c = m->c + (size_t)t * H;

        for (size_t k = 0; k < z; k++) {
            da[t * z + k] += g[t] * f->z[k];
            dz[k] += g[t] * a[k];
        }
        for (uint32_t q = 0; q < H; q++) {
            dc[t * H + q] += g[t] * f->h[q];
            dpre[q] += g[t] * c[q];
        }
    }
    for (uint32_t q = 0; q < H; q++) {
        if (f->pre[q] <= 0)
            dpre[q] = 0;
        db1[q] += dpre[q];
    }
    for (size_t k = 0; k < z; k++) {
        const float *w = m->w1 + k * H;
        float *dw = dw1 + k * H, zk = f->z[k], s = 0;

        for (uint32_t q = 0; q < H; q++) {
            dw[q] += dpre[q] * zk;
            s += dpre[q] * w[q];
        }
        dz[k] += s;
    }
    for (uint32_t j = 0; j < x->n_rows; j++) {
        const float *r = m->rows + (size_t)x->row[j] * rw;
        float xv = x->x[j], *o;

        if ((int)j == skip)
            continue;
        o = bg->g + (size_t)bg->n * rw;
        bg->row[bg->n++] = x->row[j];
        for (int t = 0; t < T; t++)
            o[t] = g[t] * xv;
        /* d s_k / d v_jk = x_j S_k - x_j^2 v_jk */
        for (uint32_t k = 0; k < K; k++)
            o[T + k] = dz[k] * (xv * f->S[k] - xv * xv * r[T + k]);
    }
}

/* ---- training ---- */

struct trainer {
    struct rank_model *m;
    const struct rank_params *p;
    float *acc;                 /* AdaGrad accumulators, n_params */
    struct block_grad bg[RANK_BLOCKS];
    uint32_t per_block;         /* sample slots per block */
    float *gsum;                /* rows x row_width, zero between batches */
    uint8_t *touched;           /* rows */
    uint32_t *tlist[RANK_PARTS];    /* touched rows per partition */
};

static void
adagrad(float *w, float *acc, float g, float lr)
{
    if (!isfinite(g))
        return;
    *acc += g * g;
    *w -= lr * g / sqrtf(*acc);
}

struct day_samples {
    const struct segment *seg;
    uint32_t *order;            /* n exposure indices, a shuffled sample */
    size_t n;
    uint32_t *buf;              /* owns order */
};

/*
 * One batch: samples order[lo..hi) of the day, each used once with all
 * rows and, with RANK_AUGMENT, once more without its item-id row.
 */
static void
train_batch(struct trainer *tr, const struct rank_context *ctx,
            const struct day_samples *ds, size_t lo, size_t hi)
{
    struct rank_model *m = tr->m;
    size_t rw = row_width(m), nd = n_dense_params(m);
    size_t per = (hi - lo + RANK_BLOCKS - 1) / RANK_BLOCKS;
    int aug = (m->flags & RANK_AUGMENT) != 0;

    #pragma omp parallel for schedule(static)
    for (int b = 0; b < RANK_BLOCKS; b++) {
        struct block_grad *bg = &tr->bg[b];
        size_t s0 = lo + (size_t)b * per, s1 = s0 + per;

        bg->n = 0;
        bg->loss = 0;
        memset(bg->dense, 0, nd * sizeof(float));
        if (s1 > hi)
            s1 = hi;
        for (size_t s = s0; s < s1; s++) {
            const struct seg_exposure *e = &ds->seg->exp[ds->order[s]];
            struct rank_item_feat it;
            struct rank_feat x;
            struct fwd f;
            uint8_t y[T];

            rank_labels(e->fb, y);
            rank_ctx_item(ctx, e->item, &it);
            rank_ctx_pair(ctx, e->user, &it, &x);
            forward(m, &x, -1, &f);
            backward(m, &x, -1, &f, y, bg);
            if (aug && x.item_slot >= 0) {
                forward(m, &x, x.item_slot, &f);
                backward(m, &x, x.item_slot, &f, y, bg);
            }
        }
        /* group the entries by partition, keeping their order */
        memset(bg->part_off, 0, sizeof bg->part_off);
        for (uint32_t e = 0; e < bg->n; e++)
            bg->part_off[bg->row[e] % RANK_PARTS + 1]++;
        for (int q = 0; q < RANK_PARTS; q++)
            bg->part_off[q + 1] += bg->part_off[q];
        {
            uint32_t pos[RANK_PARTS];

            memcpy(pos, bg->part_off, sizeof pos);
            for (uint32_t e = 0; e < bg->n; e++)
                bg->by_part[pos[bg->row[e] % RANK_PARTS]++] = e;
        }
    }
    /*
     * Rows: partition p owns rows with (row % RANK_PARTS) == p.  It sums
     * each row's gradients over the batch (blocks and entries in order,
     * so the float sums are the same on every run), then takes one
     * AdaGrad step per touched row.
     */
    #pragma omp parallel for schedule(static)
    for (int part = 0; part < RANK_PARTS; part++) {
        uint32_t *list = tr->tlist[part], nt = 0;

        for (int b = 0; b < RANK_BLOCKS; b++) {
            const struct block_grad *bg = &tr->bg[b];

            for (uint32_t q = bg->part_off[part]; q < bg->part_off[part + 1];
                 q++) {
                uint32_t e = bg->by_part[q];
                size_t r = bg->row[e];
                float *gs = tr->gsum + r * rw;
                const float *g = bg->g + (size_t)e * rw;

                if (!tr->touched[r]) {
                    tr->touched[r] = 1;
                    list[nt++] = (uint32_t)r;
                }
                for (size_t k = 0; k < rw; k++)
                    gs[k] += g[k];
            }
        }
        for (uint32_t q = 0; q < nt; q++) {
            size_t r = list[q];
            float *w = m->rows + r * rw, *acc = tr->acc + r * rw;
            float *gs = tr->gsum + r * rw;

            for (size_t k = 0; k < rw; k++) {
                adagrad(&w[k], &acc[k], gs[k] + tr->p->l2 * w[k], tr->p->lr);
                gs[k] = 0;
            }
            tr->touched[r] = 0;
        }
    }
    /* Dense: block sums reduced in block order, one step per batch. */
    {
        float *dst = tr->bg[0].dense;
        float *w = m->b, *acc = tr->acc + (m->b - m->params);

        for (int b = 1; b < RANK_BLOCKS; b++)
            for (size_t k = 0; k < nd; k++)
                dst[k] += tr->bg[b].dense[k];
        for (size_t k = 0; k < nd; k++)
            adagrad(&w[k], &acc[k], dst[k], tr->p->lr);
    }
}

static int
check_params(const struct rank_params *p, struct diag *d)
{
    if (p->dim < 1 || p->dim > RANK_MAX_DIM)
        return diag_set(d, RC_USAGE, "dim must be 1..%d, got '%u'",
                        RANK_MAX_DIM, p->dim);
    if (p->hidden < 1 || p->hidden > RANK_MAX_HIDDEN)
        return diag_set(d, RC_USAGE, "hidden must be 1..%d, got '%u'",
                        RANK_MAX_HIDDEN, p->hidden);
    if (p->hash_bits < 8 || p->hash_bits > 26)
        return diag_set(d, RC_USAGE, "hash bits must be 8..26, got '%u'",
                        p->hash_bits);
    if (p->epochs < 1 || p->batch < RANK_BLOCKS)
        return diag_set(d, RC_USAGE, "epochs must be >= 1 and batch >= %d",
                        RANK_BLOCKS);
    if (!(p->lr > 0) || !(p->l2 >= 0) || !(p->theta_weight >= 0))
        return diag_set(d, RC_USAGE, "lr must be > 0, l2 and theta weight "
                        ">= 0");
    for (int t = 0; t < T; t++)
        if (!(p->weight[t] >= 0) || !isfinite(p->weight[t]))
            return diag_set(d, RC_USAGE, "task weights must be >= 0");
    return 0;
}

/*
 * The day's training exposures for an epoch: a uniform shuffle of all of
 * them, or with a budget (max_samples_per_day) a uniform sample of that
 * many in random order.  Fisher-Yates from the end finalises the last
 * positions first, so the sample is the last `budget` positions after
 * `budget` draws: the cost is the budget, not the day's size.
 */
static struct day_samples
day_order(const struct segment *seg, const struct rank_params *p,
          uint32_t epoch)
{
    struct day_samples ds = { seg, NULL, seg->n_exp, NULL };
    size_t n = seg->n_exp, stop = 1;
    struct rng r;

    ds.buf = xmalloc((n ? n : 1) * sizeof *ds.buf);
    for (size_t k = 0; k < n; k++)
        ds.buf[k] = (uint32_t)k;
    if (p->max_samples_per_day > 0 && n > p->max_samples_per_day) {
        ds.n = p->max_samples_per_day;
        stop = n - ds.n;
    }
    rng_seed(&r, p->seed, 0x20 + epoch, (uint64_t)(uint32_t)seg->day);
    for (size_t k = n; k > stop; k--) {
        size_t j = (size_t)rng_below(&r, k);
        uint32_t tmp = ds.buf[k - 1];

        ds.buf[k - 1] = ds.buf[j];
        ds.buf[j] = tmp;
    }
    ds.order = ds.buf + (n - ds.n);
    return ds;
}

static void
trainer_release(struct trainer *tr)
{
    for (int b = 0; b < RANK_BLOCKS; b++) {
        free(tr->bg[b].row);
        free(tr->bg[b].g);
        free(tr->bg[b].dense);
        free(tr->bg[b].by_part);
    }
    for (int q = 0; q < RANK_PARTS; q++)
        free(tr->tlist[q]);
    free(tr->gsum);
    free(tr->touched);
    free(tr->acc);
}

int
rank_train(const struct window *win, const struct tower *t,
           const struct rank_params *p, struct rank_model **out,
           struct rank_train_stats *st, struct diag *d)
{
    struct rank_train_stats s;
    struct trainer tr;
    struct rank_model *m;
    struct rank_view view;
    const struct window *w = win;
    double t0 = omp_get_wtime();
    double cnt[1 + T] = { 0 };
    uint64_t n_train = 0;

    memset(&s, 0, sizeof s);
    if (check_params(p, d) < 0)
        return -1;
    /* days of interactions only are learnt from as samples with
     * negatives (rank_sample.c) */
    if (rank_view_init(&view, win, p->seed, d) < 0)
        return -1;
    s.n_sampled_days = view.n_sampled_days;
    /* Base rates over the training days, for the initial biases. */
    for (int k = (int)p->warmup_days; k < w->n_days; k++) {
        struct rank_day day;
        const struct segment *seg;
        uint8_t y[T];

        if (rank_view_get_day(&view, k, &day, d) < 0) {
            rank_view_release(&view);
            return -1;
        }
        seg = day.seg;
        for (size_t e = 0; seg != NULL && e < seg->n_exp; e++) {
            rank_labels(seg->exp[e].fb, y);
            cnt[0] += 1;
            for (int q = 0; q < T; q++)
                cnt[1 + q] += y[q];
        }
        n_train += seg != NULL ? seg->n_exp : 0;
        rank_view_put_day(&day);
    }
    if (n_train == 0) {
        rank_view_release(&view);
        return diag_set(d, RC_DATA, "no exposures or interactions to train "
                        "on in the window (%d days, %u warm-up, %d missing); "
                        "fix: ingest more days or widen it with --days",
                        w->n_days, p->warmup_days, w->n_missing);
    }
    for (int q = 0; q < T; q++)
        s.base_rate[q] = cnt[1 + q] / cnt[0];

    m = model_new(p);
    m->flags = (p->flags & (RANK_AUGMENT | RANK_EXTRA))
             | (t != NULL ? RANK_TOWER : 0);
    if (p->warm != NULL) {
        if (warm_start(m, p->warm, d) < 0) {
            rank_free(m);
            rank_view_release(&view);
            return -1;
        }
    } else {
        model_init(m, s.base_rate);
    }
    memset(&tr, 0, sizeof tr);
    tr.m = m;
    tr.p = p;
    tr.acc = xmalloc(m->n_params * sizeof(float));
    for (size_t k = 0; k < m->n_params; k++)
        tr.acc[k] = ADAGRAD_INIT;
    tr.per_block = (p->batch + RANK_BLOCKS - 1) / RANK_BLOCKS;
    for (int b = 0; b < RANK_BLOCKS; b++) {
        size_t cap = (size_t)tr.per_block * 2 * RANK_MAX_ROWS;

        tr.bg[b].row = xmalloc(cap * sizeof(uint32_t));
        tr.bg[b].g = xmalloc(cap * row_width(m) * sizeof(float));
        tr.bg[b].dense = xmalloc(n_dense_params(m) * sizeof(float));
        tr.bg[b].by_part = xmalloc(cap * sizeof(uint32_t));
    }
    tr.gsum = xcalloc((size_t)1 << m->hash_bits, row_width(m) * sizeof(float));
    tr.touched = xcalloc((size_t)1 << m->hash_bits, 1);
    for (int q = 0; q < RANK_PARTS; q++)
        tr.tlist[q] = xmalloc((size_t)tr.per_block * 2 * RANK_MAX_ROWS
                              * RANK_BLOCKS * sizeof(uint32_t));

    for (uint32_t ep = 0; ep < p->epochs; ep++) {
        struct rank_context *ctx = rank_ctx_new(w, view.n_users_min,
                                                m->flags, m->hash_bits);
        double loss = 0;
        uint64_t n_loss = 0;

        if (rank_ctx_tower(ctx, w, t, d) < 0) {
            rank_context_free(ctx);
            goto fail;
        }
        for (int k = 0; k < w->n_days; k++) {
            struct rank_day day;
            const struct segment *seg;

            if (rank_view_get_day(&view, k, &day, d) < 0) {
                rank_context_free(ctx);
                goto fail;
            }
            seg = day.seg;
            if (seg == NULL)
                continue;
            if (k >= (int)p->warmup_days) {
                /* the model's epoch count, not ep: a warm start on the
                 * next night samples other exposures of the shared days */
                struct day_samples ds = day_order(seg, p, m->epochs);

                for (size_t lo = 0; lo < ds.n; lo += p->batch) {
                    size_t hi = lo + p->batch < ds.n ? lo + p->batch : ds.n;

                    train_batch(&tr, ctx, &ds, lo, hi);
                    for (int b = 0; b < RANK_BLOCKS; b++)
                        loss += tr.bg[b].loss;
                }
                n_loss += ds.n;
                if (ep == 0)
                    s.n_exposures += ds.n;
                s.n_samples += ds.n * ((m->flags & RANK_AUGMENT) ? 2 : 1);
                free(ds.buf);
            }
            rank_ctx_add_day(ctx, seg);
            rank_view_put_day(&day);
        }
        rank_context_free(ctx);
        /* mean per gradient sample, augmented copies included */
        loss /= (double)n_loss * ((m->flags & RANK_AUGMENT) ? 2 : 1);
        if (ep == 0)
            s.loss_first = loss;
        s.loss_last = loss;
        m->epochs++;
    }
    trainer_release(&tr);
    rank_view_release(&view);
    s.seconds = omp_get_wtime() - t0;
    if (st != NULL)
        *st = s;
    *out = m;
    return 0;
fail:
    trainer_release(&tr);
    rank_view_release(&view);
    rank_free(m);
    return -1;
}

/* ---- model file ---- */

int
rank_save(const struct rank_model *m, const char *path, struct diag *d)
{
    struct bbuf b = BBUF_INIT;
    int rc;

    bbuf_put_le32(&b, m->dim);
    bbuf_put_le32(&b, m->hidden);
    bbuf_put_le32(&b, m->hash_bits);
    bbuf_put_le32(&b, RANK_N_DENSE);
    bbuf_put_le32(&b, T);
    bbuf_put_le32(&b, m->flags);
    bbuf_put_le32(&b, m->theta_ref);
    bbuf_put_le32(&b, m->epochs);
    bbuf_put_le64(&b, m->seed);
    bbuf_put_f32v(&b, m->weight, T);
    bbuf_put_f32(&b, m->theta_weight);
    bbuf_put_le64(&b, m->n_params);
    bbuf_put_f32v(&b, m->params, m->n_params);
    rc = binfile_save(path, rank_magic, RANK_VERSION, b.p, b.len, 3, d);
    bbuf_release(&b);
    return rc;
}

int
rank_load(const char *path, struct rank_model **out, struct diag *d)
{
    struct rank_model *m;
    struct bcur c;
    void *buf;
    size_t n;
    uint32_t nd, nt;
    uint64_t np;

    if (binfile_load(path, rank_magic, RANK_VERSION, &buf, &n, d) < 0)
        return -1;
    bcur_init(&c, buf, n);
    m = xcalloc(1, sizeof *m);
    m->dim = bcur_get_le32(&c);
    m->hidden = bcur_get_le32(&c);
    m->hash_bits = bcur_get_le32(&c);
    nd = bcur_get_le32(&c);
    nt = bcur_get_le32(&c);
    m->flags = bcur_get_le32(&c);
    m->theta_ref = bcur_get_le32(&c);
    m->epochs = bcur_get_le32(&c);
    m->seed = bcur_get_le64(&c);
    bcur_get_f32v(&c, m->weight, T);
    m->theta_weight = bcur_get_f32(&c);
    np = bcur_get_le64(&c);
    if (!bcur_ok(&c)) {
        free(buf);
        free(m);
        return diag_set(d, RC_DATA, "%s: offset %zu: truncated model header",
                        path, n);
    }
    if (nd != RANK_N_DENSE || nt != T || m->dim < 1
        || m->dim > RANK_MAX_DIM || m->hidden < 1
        || m->hidden > RANK_MAX_HIDDEN || m->hash_bits < 8
        || m->hash_bits > 26 || (m->flags & ~7u) != 0) {
        diag_set(d, RC_DATA, "%s: offset 0: unsupported model shape "
                 "(dense %u, tasks %u, dim %u, hidden %u, hash bits %u; "
                 "expected dense %d, tasks %d)", path, nd, nt, m->dim,
                 m->hidden, m->hash_bits, RANK_N_DENSE, T);
        free(buf);
        free(m);
        return -1;
    }
    /* the size first: binding before params exists would be arithmetic
     * on a null pointer */
    m->n_params = param_count(m);
    if (np != m->n_params || bcur_left(&c) != np * sizeof(float)) {
        size_t want = m->n_params;

        free(buf);
        free(m);
        return diag_set(d, RC_DATA, "%s: offset 72: parameter block of "
                        "%llu floats (expected %zu)", path,
                        (unsigned long long)np, want);
    }
    m->params = xmalloc(m->n_params * sizeof(float));
    bcur_get_f32v(&c, m->params, m->n_params);
    free(buf);
    model_bind(m);
    for (size_t k = 0; k < m->n_params; k++) {
        if (!isfinite(m->params[k])) {
            rank_free(m);
            return diag_set(d, RC_DATA, "%s: offset %zu: non-finite "
                            "parameter", path, 72 + 4 * k);
        }
    }
    *out = m;
    return 0;
}

/* ---- context and scoring ---- */

/* The reference set R of theta_u: the most exposed items of the last
 * day with exposures, whose per-item counts are cnt. */
static uint32_t
theta_refs(uint32_t *cnt, uint32_t want, uint32_t n_items, uint32_t *ref)
{
    uint32_t n = 0;

    if (cnt == NULL || n_items == 0)
        return 0;
    /* selection by repeated max: want is small */
    while (n < want) {
        uint32_t best = UINT32_MAX;

        for (uint32_t i = 0; i < n_items; i++)
            if (cnt[i] > 0 && (best == UINT32_MAX || cnt[i] > cnt[best]))
                best = i;
        if (best == UINT32_MAX)
            break;
        ref[n++] = best;
        cnt[best] = 0;
    }
    return n;
}

static float
theta_of(const struct rank_model *m, const struct rank_context *ctx,
         uint32_t u, const struct rank_item_feat *it, uint32_t n_ref)
{
    double s = 0;

    for (uint32_t r = 0; r < n_ref; r++) {
        struct rank_feat x;
        float p[T];

        rank_ctx_pair(ctx, u, &it[r], &x);
        rank_predict(m, &x, p);
        s += rank_integrate(m, p);
    }
    return n_ref > 0 ? (float)(s / n_ref) : 0.0f;
}

int
rank_context_build(const struct rank_model *m, const struct window *win,
                   const struct tower *t, struct rank_context **out,
                   struct diag *d)
{
    struct rank_view view;
    const struct window *w = win;
    struct rank_context *ctx;
    struct rank_item_feat *it;
    uint32_t *ref, n_ref, nu, *cnt = NULL;
    int k_ref = -1;
    float cold;

    /* the statistics the model was trained with (rank_train's view) */
    if (rank_view_init(&view, win, m->seed, d) < 0)
        return -1;
    ctx = rank_ctx_new(w, view.n_users_min, m->flags, m->hash_bits);
    if (rank_ctx_tower(ctx, w, t, d) < 0) {
        rank_context_free(ctx);
        rank_view_release(&view);
        return -1;
    }
    /* the last day with exposures (a sampled day has some) gives R */
    for (int k = 0; k < w->n_days; k++) {
        size_t ne, ni;

        rank_day_rows(w, k, &ne, &ni);
        if (ne + ni > 0)
            k_ref = k;
    }
    for (int k = 0; k < w->n_days; k++) {
        struct rank_day day;

        if (rank_view_get_day(&view, k, &day, d) < 0) {
            rank_context_free(ctx);
            rank_view_release(&view);
            free(cnt);
            return -1;
        }
        if (day.seg == NULL)
            continue;
        if (k == k_ref && ctx->n_items > 0) {
            cnt = xcalloc(ctx->n_items, sizeof *cnt);
            for (size_t e = 0; e < day.seg->n_exp; e++)
                if (day.seg->exp[e].item < ctx->n_items)
                    cnt[day.seg->exp[e].item]++;
        }
        rank_ctx_add_day(ctx, day.seg);
        rank_view_put_day(&day);
    }
    ctx->day = w->last_day + 1;

    nu = ctx->n_users;
    ctx->theta = xcalloc((size_t)nu + 1, sizeof(float));
    ref = xmalloc((m->theta_ref ? m->theta_ref : 1) * sizeof *ref);
    n_ref = theta_refs(cnt, m->theta_ref, ctx->n_items, ref);
    free(cnt);
    it = xmalloc((n_ref ? n_ref : 1) * sizeof *it);
    for (uint32_t r = 0; r < n_ref; r++)
        rank_ctx_item(ctx, ref[r], &it[r]);
    cold = theta_of(m, ctx, UINT32_MAX, it, n_ref);
    ctx->theta[nu] = cold;
    /* Users without history are all cold: share one value. */
    #pragma omp parallel for schedule(dynamic, 256)
    for (uint32_t u = 0; u < nu; u++)
        ctx->theta[u] = ctx->u_cnt[(size_t)u * (1 + T)] > 0
                      ? theta_of(m, ctx, u, it, n_ref) : cold;
    free(it);
    free(ref);
    rank_view_release(&view);
    *out = ctx;
    return 0;
}

float
rank_context_theta(const struct rank_context *ctx, uint32_t u)
{
    return ctx->theta[u < ctx->n_users ? u : ctx->n_users];
}

int
rank_score_cands(const struct rank_model *m, const struct rank_context *ctx,
                 struct cands *c, struct diag *d)
{
    if (ctx->hash_bits != m->hash_bits || ctx->flags != m->flags)
        return diag_set(d, RC_DATA, "ranking context was built for another "
                        "model (hash bits %u, flags %u; model %u, %u)",
                        ctx->hash_bits, ctx->flags, m->hash_bits, m->flags);
    #pragma omp parallel for schedule(dynamic, 8)
    for (size_t k = 0; k < c->n_items; k++) {
        struct rank_item_feat it;

        rank_ctx_item(ctx, c->items[k], &it);
        for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
            struct rank_feat x;
            struct fwd f;
            float *p = c->p + e * T, s;

            rank_ctx_pair(ctx, c->user[e], &it, &x);
            forward(m, &x, x.drop_item ? x.item_slot : -1, &f);
            for (int t = 0; t < T; t++)
                p[t] = sigmoid(f.logit[t]);
            s = rank_integrate(m, p)
              - m->theta_weight * rank_context_theta(ctx, c->user[e]);
            c->score[e] = isfinite(s) ? s : 0.0f;
        }
    }
    return 0;
}
