/*
 * oracle.c -- expected creator feedback of a published table against the
 * ground-truth oracle, baselines and the regret decomposition (oracle.h,
 * docs/quality.md).
 *
 * Everything is a dense (items, users) matrix over the day's uploads and
 * the pipeline's known users: the true value, and for each policy the
 * value it chooses by.  4 bytes per pair (200 uploads x 50k users: 40 MB
 * per matrix, two or three at a time), so this is an evaluation for worlds
 * up to a few hundred thousand users, not a production path.  The
 * matrices are filled in parallel over items, each entry a pure function
 * of its pair, and every sum runs serially in index order, so the report
 * does not depend on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "atomicfile.h"
#include "avail.h"
#include "cands.h"
#include "dates.h"
#include "iddict.h"
#include "layout.h"
#include "oracle.h"
#include "outtable.h"
#include "publish.h"
#include "rng.h"
#include "segment.h"
#include "worldgen.h"
#include "xmem.h"

#define RNG_ST_ORACLE 0x4f52u   /* random baseline stream */
#define MAX_EDGES ((size_t)8 << 20)

void
oracle_default_opts(struct oracle_opts *o)
{
    memset(o, 0, sizeof *o);
    o->L = 200;
    o->Q = 10;
    o->days = 30;
    o->seed = 1;
}

/* ---- the solver -------------------------------------------------------- */

struct vu {
    float v;
    uint32_t u;
};

static int
vu_cmp(const void *a, const void *b)
{
    const struct vu *x = a, *y = b;

    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return x->u < y->u ? -1 : x->u > y->u;
}

static int
u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

double
oracle_solve(uint32_t n_items, uint32_t n_users, const float *value,
             const uint16_t *cap, uint32_t L, size_t max_edges,
             uint64_t **pick, size_t *n_pick, int *exact)
{
    struct assign_params ap = assign_default_params();
    struct cands *c;
    struct assign *a = NULL;
    struct diag d = DIAG_INIT;
    uint32_t qmin = 0;
    size_t K, *cnt = xcalloc(n_items + 1, sizeof *cnt), n = 0;
    struct vu **top = xcalloc(n_items ? n_items : 1, sizeof *top);
    double sum = 0;
    uint64_t *out;

    for (uint32_t u = 0; u < n_users; u++)
        if (cap[u] > 0 && (qmin == 0 || cap[u] < qmin))
            qmin = cap[u];
    if (qmin == 0)
        qmin = 1;
    K = L + ((size_t)(n_items ? n_items - 1 : 0) * L + qmin - 1) / qmin;
    *exact = 1;
    if (n_items > 0 && K * n_items > max_edges) {
        K = max_edges / n_items > L ? max_edges / n_items : L;
        *exact = 0;
    }
    #pragma omp parallel for schedule(dynamic, 1)
    for (uint32_t k = 0; k < n_items; k++) {
        const float *row = value + (size_t)k * n_users;
        struct vu *v = xmalloc((n_users ? n_users : 1) * sizeof *v);
        size_t m = 0;

        for (uint32_t u = 0; u < n_users; u++)
            if (cap[u] > 0 && row[u] > 0) {
                v[m].v = row[u];
                v[m++].u = u;
            }
        qsort(v, m, sizeof *v, vu_cmp);
        cnt[k] = m < K ? m : K;
        top[k] = v;
    }
    for (uint32_t k = 0; k < n_items; k++)
        n += cnt[k];
    c = cands_new(n_items, n);
    n = 0;
    for (uint32_t k = 0; k < n_items; k++) {
        c->items[k] = k;
        for (size_t j = 0; j < cnt[k]; j++) {
            c->user[n] = top[k][j].u;
            c->score[n] = top[k][j].v;
            c->channels[n] = 0;
            c->retr[n] = 0;
            n++;
        }
        c->off[k + 1] = n;
        free(top[k]);
    }
    c->n = n;
    free(top);
    free(cnt);
    ap.L = L;
    ap.raw_values = 1;
    ap.fill_bonus = 0;
    ap.eps_rel = 1e-4;
    ap.max_rounds = 3000;
    ap.min_audience = 0;
    if (assign_run(c, n_users, cap, NULL, &ap, &a, &d) < 0) {
        /* the inputs are built above: users in range, params valid */
        abort();
    }
    out = xmalloc((a->n ? a->n : 1) * sizeof *out);
    n = 0;
    for (size_t k = 0; k < a->n_items; k++)
        for (size_t j = a->off[k]; j < a->off[k + 1]; j++)
            out[n++] = (uint64_t)k * n_users + c->user[a->edge[j]];
    qsort(out, n, sizeof *out, u64_cmp);
    for (size_t j = 0; j < n; j++)
        sum += value[out[j]];
    *pick = out;
    *n_pick = n;
    assign_free(a);
    cands_free(c);
    return sum;
}

/* ---- inputs ------------------------------------------------------------ */

/* The day's uploads and the known users, with their world indices. */
struct ctx {
    const struct oracle_opts *o;
    struct worldgen_truth *t;
    uint32_t n_items;           /* uploads of D */
    uint32_t *item;             /* world index of each */
    int32_t *item_slot;         /* world item -> slot, -1 if not of D */
    uint32_t n_users;           /* known users (dictionary order) */
    uint32_t *user;             /* world index of each */
    int32_t *user_slot;         /* world user -> slot, -1 if unknown */
    float *p_true, *f_true;     /* n_users; (n_items, n_users) */
    float *p_hat;               /* n_users, NULL without avail */
    uint16_t *q_hat;            /* n_users: a_u ? Q_u : 0 */
    float *f_hat;               /* (n_items, n_users), 0 off candidates */
    uint8_t *is_cand;           /* (n_items, n_users) */
    size_t n_cands, n_cands_day;
    double *act, *likes;        /* n_users: window impressions, likes */
};

static void
ctx_release(struct ctx *x)
{
    worldgen_truth_free(x->t);
    free(x->item);
    free(x->item_slot);
    free(x->user);
    free(x->user_slot);
    free(x->p_true);
    free(x->f_true);
    free(x->p_hat);
    free(x->q_hat);
    free(x->f_hat);
    free(x->is_cand);
    free(x->act);
    free(x->likes);
}

static int
load_users(struct ctx *x, struct diag *d)
{
    char *path = segment_dict_path(x->o->segroot, "users");
    struct iddict *dict;
    uint32_t nw = x->t->n_users, n;

    if (iddict_load(path, &dict, d) < 0) {
        free(path);
        return -1;
    }
    n = iddict_count(dict);
    x->user = xmalloc((n ? n : 1) * sizeof *x->user);
    x->user_slot = xmalloc((nw ? nw : 1) * sizeof *x->user_slot);
    for (uint32_t u = 0; u < nw; u++)
        x->user_slot[u] = -1;
    for (uint32_t i = 0; i < n; i++) {
        const char *name = iddict_name(dict, i);
        uint32_t w;

        if (worldgen_parse_id(name, 'u', &w) < 0 || w >= nw) {
            int rc = diag_set(d, RC_DATA, "%s: user '%s' is not a user of "
                              "the world '%s' (%u users)", path, name,
                              x->o->world_dir, nw);

            iddict_free(dict);
            free(path);
            return rc;
        }
        x->user[i] = w;
        x->user_slot[w] = (int32_t)i;
    }
    x->n_users = n;
    iddict_free(dict);
    free(path);
    return 0;
}

static void
load_items(struct ctx *x)
{
    const struct worldgen_truth *t = x->t;
    int32_t day = x->o->date;

    x->item = xmalloc((t->n_items ? t->n_items : 1) * sizeof *x->item);
    x->item_slot = xmalloc((t->n_items ? t->n_items : 1)
                           * sizeof *x->item_slot);
    for (uint32_t i = 0; i < t->n_items; i++) {
        x->item_slot[i] = -1;
        if (dates_day_of(t->item_upload_t[i], 0) == day) {
            x->item_slot[i] = (int32_t)x->n_items;
            x->item[x->n_items++] = i;
        }
    }
}

static void
fill_truth(struct ctx *x)
{
    const struct worldgen *w = x->t->world;
    uint32_t nu = x->n_users;
    size_t nm = (size_t)x->n_items * nu;

    x->p_true = xmalloc((nu ? nu : 1) * sizeof *x->p_true);
    for (uint32_t s = 0; s < nu; s++)
        x->p_true[s] = (float)worldgen_p_active_day(w, x->user[s],
                                                    x->o->date + 1);
    x->f_true = xmalloc((nm ? nm : 1) * sizeof *x->f_true);
    #pragma omp parallel for schedule(dynamic, 1)
    for (uint32_t k = 0; k < x->n_items; k++)
        for (uint32_t s = 0; s < nu; s++)
            x->f_true[(size_t)k * nu + s] = (float)
                worldgen_expected_feedback(w, x->user[s], x->item[k]);
}

static int
load_avail(struct ctx *x, struct diag *d)
{
    struct avail *a;
    char want[16], got[16];

    if (avail_load(x->o->avail_path, &a, d) < 0)
        return -1;
    if (a->day != x->o->date + 1) {
        diag_set(d, RC_DATA, "%s: availability is for %s, expected %s",
                 x->o->avail_path, dates_format_day(a->day, got),
                 dates_format_day(x->o->date + 1, want));
        avail_free(a);
        return -1;
    }
    if (a->n_users > x->n_users) {
        diag_set(d, RC_DATA, "%s: %u users, more than the users "
                 "dictionary's %u (other segments?)", x->o->avail_path,
                 a->n_users, x->n_users);
        avail_free(a);
        return -1;
    }
    x->p_hat = xcalloc(x->n_users ? x->n_users : 1, sizeof *x->p_hat);
    x->q_hat = xcalloc(x->n_users ? x->n_users : 1, sizeof *x->q_hat);
    for (uint32_t s = 0; s < a->n_users; s++) {
        x->p_hat[s] = a->p_active[s];
        x->q_hat[s] = a->active[s] ? a->cap[s] : 0;
    }
    avail_free(a);
    return 0;
}

/* Split a row into at most nmax tab-separated fields; returns the count. */
static int
split(char *p, char *nl, char **f, size_t *fl, int nmax)
{
    int nf = 0;

    while (nf < nmax) {
        char *tab = memchr(p, '\t', (size_t)(nl - p));

        f[nf] = p;
        fl[nf] = (size_t)((tab ? tab : nl) - p);
        nf++;
        if (tab == NULL)
            break;
        p = tab + 1;
    }
    return nf;
}

/*
 * World slots of a row's item and user: 0 and *k, *s (k = -1 when the item
 * is not an upload of D, s = -1 when the user is unknown to the pipeline);
 * -1 with d set when an id is not the world's.
 */
static int
row_ids(const struct ctx *x, const char *path, size_t line,
        const char *const *f, const size_t *fl, int32_t *k, int32_t *s,
        struct diag *d)
{
    char id[IDDICT_MAX_ID_LEN + 1];
    uint32_t i, u;

    outtable_unescape(f[0], fl[0], id, sizeof id);
    if (worldgen_parse_id(id, 'i', &i) < 0 || i >= x->t->n_items)
        return diag_set(d, RC_DATA, "%s:%zu: item '%s' is not an item of "
                        "the world '%s' (%u items)", path, line, id,
                        x->o->world_dir, x->t->n_items);
    outtable_unescape(f[1], fl[1], id, sizeof id);
    if (worldgen_parse_id(id, 'u', &u) < 0 || u >= x->t->n_users)
        return diag_set(d, RC_DATA, "%s:%zu: user '%s' is not a user of "
                        "the world '%s' (%u users)", path, line, id,
                        x->o->world_dir, x->t->n_users);
    *k = x->item_slot[i];
    *s = x->user_slot[u];
    return 0;
}

static int
load_cands(struct ctx *x, struct diag *d)
{
    const char *path = x->o->cands_path;
    static const char header[] = "item\tuser\tscore\tp_click\tp_like\t"
                                 "p_comment\tp_follow";
    size_t nm = (size_t)x->n_items * x->n_users, len, line = 1;
    char *text, *p, *end;

    if (file_read_all(path, &text, &len, d) < 0)
        return -1;
    end = text + len;
    p = memchr(text, '\n', len);
    if (p == NULL || (size_t)(p - text) != sizeof header - 1
        || memcmp(text, header, sizeof header - 1) != 0) {
        free(text);
        return diag_set(d, RC_DATA, "%s:1: not a candidates table "
                        "(dualrec-match --dump-cands)", path);
    }
    x->f_hat = xcalloc(nm ? nm : 1, sizeof *x->f_hat);
    x->is_cand = xcalloc(nm ? nm : 1, 1);
    for (p++; p < end; p++) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *f[7];
        size_t fl[7];
        int32_t k, s;
        double fh = 0;

        line++;
        if (nl == NULL)
            nl = end;
        if (split(p, nl, f, fl, 7) != 7) {
            free(text);
            return diag_set(d, RC_DATA, "%s:%zu: expected 7 fields", path,
                            line);
        }
        if (row_ids(x, path, line, (const char *const *)f, fl, &k, &s,
                    d) < 0) {
            free(text);
            return -1;
        }
        for (int j = 4; j < 7; j++)
            fh += strtod(f[j], NULL);
        p = nl;
        x->n_cands++;
        if (k < 0 || s < 0)
            continue;
        x->n_cands_day++;
        x->is_cand[(size_t)k * x->n_users + (size_t)s] = 1;
        x->f_hat[(size_t)k * x->n_users + (size_t)s] =
            fh > 0 ? (float)fh : 1e-30f;
    }
    free(text);
    return 0;
}

/* Window impressions and likes per known user (most-active, most-likes). */
static int
load_activity(struct ctx *x, struct diag *d)
{
    struct window *w;

    if (window_open(x->o->segroot, x->o->date, x->o->days, WINDOW_NO_INTER,
                    &w, d) < 0)
        return -1;
    x->act = xcalloc(x->n_users ? x->n_users : 1, sizeof *x->act);
    x->likes = xcalloc(x->n_users ? x->n_users : 1, sizeof *x->likes);
    for (int k = 0; k < w->n_days; k++) {
        const struct segment *s = w->seg[k];

        if (s == NULL)
            continue;
        for (size_t j = 0; j < s->n_exp; j++) {
            uint32_t u = s->exp[j].user;

            if (u >= x->n_users)
                continue;
            x->act[u] += 1;
            x->likes[u] += (s->exp[j].fb & FB_LIKE) != 0;
        }
    }
    window_free(w);
    return 0;
}

/* ---- the published table ------------------------------------------------ */

struct table {
    uint64_t *pair;             /* k * n_users + s, sorted, unique */
    size_t n, n_rows, n_other_items, n_unknown_users;
};

static int
load_table(struct ctx *x, const char *path, struct table *tb,
           struct diag *d)
{
    struct outtable_reader r;
    const char *f[6];
    size_t fl[6], cap = 0, m = 0;
    int got;

    memset(tb, 0, sizeof *tb);
    if (outtable_reader_open(&r, path, OUTTABLE_ITEM_USERS_HEADER,
                             "an item->users", 6, d) < 0)
        return -1;
    while ((got = outtable_reader_next(&r, f, fl, d)) == 1) {
        const char *g[2];
        size_t gl[2];
        int32_t k, s;

        g[0] = f[0];
        gl[0] = fl[0];
        g[1] = f[2];
        gl[1] = fl[2];
        if (row_ids(x, path, r.line, g, gl, &k, &s, d) < 0) {
            got = -1;
            break;
        }
        tb->n_rows++;
        if (k < 0) {
            tb->n_other_items++;
            continue;
        }
        if (s < 0) {
            tb->n_unknown_users++;
            continue;
        }
        tb->pair = xgrow(tb->pair, &cap, m + 1, sizeof *tb->pair);
        tb->pair[m++] = (uint64_t)k * x->n_users + (uint64_t)s;
    }
    outtable_reader_close(&r);
    if (got < 0)
        return -1;
    qsort(tb->pair, m, sizeof *tb->pair, u64_cmp);
    tb->n = 0;
    for (size_t j = 0; j < m; j++)
        if (tb->n == 0 || tb->pair[tb->n - 1] != tb->pair[j])
            tb->pair[tb->n++] = tb->pair[j];
    return 0;
}

/* ---- policies ------------------------------------------------------------ */

/* What a set of pairs achieves, valued with the truth. */
struct outcome {
    double value;               /* expected like + comment + follow */
    size_t pairs;
    uint32_t covered;           /* uploads with >= 1 user */
    uint32_t over_q;            /* users above Q */
    uint32_t users;             /* users with >= 1 item */
    double med_items;           /* median items per user with any */
    int exact;                  /* solver bound met (variants) */
};

static int
u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static struct outcome
outcome_of(const struct ctx *x, const uint64_t *pair, size_t n)
{
    struct outcome r;
    uint32_t nu = x->n_users, *per = xcalloc(nu ? nu : 1, sizeof *per);
    uint8_t *cov = xcalloc(x->n_items ? x->n_items : 1, 1);
    uint32_t *sorted, m = 0;

    memset(&r, 0, sizeof r);
    r.exact = 1;
    for (size_t j = 0; j < n; j++) {
        uint32_t k = (uint32_t)(pair[j] / nu), s = (uint32_t)(pair[j] % nu);

        r.value += (double)x->p_true[s] * x->f_true[pair[j]];
        per[s]++;
        cov[k] = 1;
    }
    r.pairs = n;
    for (uint32_t k = 0; k < x->n_items; k++)
        r.covered += cov[k];
    sorted = xmalloc((nu ? nu : 1) * sizeof *sorted);
    for (uint32_t s = 0; s < nu; s++) {
        r.over_q += per[s] > x->o->Q;
        if (per[s] > 0)
            sorted[m++] = per[s];
    }
    r.users = m;
    if (m > 0) {
        qsort(sorted, m, sizeof *sorted, u32_cmp);
        r.med_items = m % 2 ? sorted[m / 2]
                            : 0.5 * (sorted[m / 2 - 1] + sorted[m / 2]);
    }
    free(sorted);
    free(per);
    free(cov);
    return r;
}

/*
 * Solve with the choice matrix val (n_items x n_users) and capacities cap,
 * value the picks with the truth.
 */
static struct outcome
variant(const struct ctx *x, const float *val, const uint16_t *cap)
{
    uint64_t *pick;
    size_t n;
    int exact;
    struct outcome r;

    oracle_solve(x->n_items, x->n_users, val, cap, x->o->L, MAX_EDGES,
                 &pick, &n, &exact);
    r = outcome_of(x, pick, n);
    r.exact = exact;
    free(pick);
    return r;
}

/* val = (p or p_hat) * (f_true or f_hat), 0 off the mask when given. */
static void
fill_choice(const struct ctx *x, float *val, const float *p, const float *f,
            const uint8_t *mask)
{
    uint32_t nu = x->n_users;

    #pragma omp parallel for schedule(static)
    for (uint32_t k = 0; k < x->n_items; k++)
        for (uint32_t s = 0; s < nu; s++) {
            size_t e = (size_t)k * nu + s;

            val[e] = (mask == NULL || mask[e]) ? p[s] * f[e] : 0.0f;
        }
}

struct rank_key {
    double v;
    uint32_t s;
};

static int
key_cmp(const void *a, const void *b)
{
    const struct rank_key *x = a, *y = b;

    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return x->s < y->s ? -1 : x->s > y->s;
}

/*
 * Baseline: users ranked by score (descending, ties by index); items in
 * order each take the first L users of the ranking that still have room
 * (Q).  score NULL: random users per item (seeded by item).
 */
static struct outcome
baseline(const struct ctx *x, const double *score)
{
    uint32_t nu = x->n_users, L = x->o->L;
    uint32_t *room = xmalloc((nu ? nu : 1) * sizeof *room);
    uint32_t *order = xmalloc((nu ? nu : 1) * sizeof *order);
    size_t n = 0, np = (size_t)x->n_items * L;
    uint64_t *pair = xmalloc((np ? np : 1) * sizeof *pair);
    struct outcome r;

    for (uint32_t s = 0; s < nu; s++)
        room[s] = x->o->Q;
    if (score != NULL) {
        struct rank_key *key = xmalloc((nu ? nu : 1) * sizeof *key);

        for (uint32_t s = 0; s < nu; s++) {
            key[s].v = score[s];
            key[s].s = s;
        }
        qsort(key, nu, sizeof *key, key_cmp);
        for (uint32_t s = 0; s < nu; s++)
            order[s] = key[s].s;
        free(key);
    }
    for (uint32_t k = 0; k < x->n_items; k++) {
        uint32_t got = 0, m = 0;

        if (score == NULL) {
            struct rng rg;

            rng_seed(&rg, x->o->seed, RNG_ST_ORACLE, k);
            for (uint32_t s = 0; s < nu; s++)
                if (room[s] > 0)
                    order[m++] = s;
            for (uint32_t j = 0; j < m && j < L; j++) {
                uint32_t t = j + (uint32_t)rng_below(&rg, m - j), tmp;

                tmp = order[j];
                order[j] = order[t];
                order[t] = tmp;
            }
        } else {
            m = nu;
        }
        for (uint32_t j = 0; j < m && got < L; j++) {
            uint32_t s = order[j];

            if (room[s] == 0)
                continue;
            room[s]--;
            pair[n++] = (uint64_t)k * nu + s;
            got++;
        }
    }
    qsort(pair, n, sizeof *pair, u64_cmp);
    r = outcome_of(x, pair, n);
    free(pair);
    free(order);
    free(room);
    return r;
}

/* ---- report -------------------------------------------------------------- */

static void
policy_row(struct evalrep_table *tb, const char *name,
           const struct outcome *r, const struct outcome *orc, double n_it,
           double budget)
{
    double v[8];

    v[0] = n_it > 0 ? r->value / n_it : NAN;
    v[1] = orc->value > 0 ? r->value / orc->value : NAN;
    v[2] = (double)r->pairs;
    v[3] = budget > 0 ? (double)r->pairs / budget : NAN;
    v[4] = n_it > 0 ? r->covered / n_it : NAN;
    v[5] = (double)r->users;
    v[6] = r->med_items;
    v[7] = (double)r->over_q;
    evalrep_row(tb, name, v);
}

static void
report(const struct ctx *x, const struct table *tb,
       const struct outcome *pol, const char *const *pol_names, int n_pol,
       const struct outcome *var, int n_var, struct evalrep *r)
{
    static const char *const pcols[] = {
        "feedback per item", "share of oracle", "pairs", "pair budget used",
        "uploads covered", "users with items", "median items per user",
        "users above Q"
    };
    static const enum evalrep_fmt pfmt[] = {
        EVALREP_REAL, EVALREP_PCT, EVALREP_INT, EVALREP_PCT, EVALREP_PCT,
        EVALREP_INT, EVALREP_REAL, EVALREP_INT
    };
    static const char *const vnames[] = {
        "V0 oracle (true p, true f, Q)", "V1 predicted p_active",
        "V2 + capacity Q_u, a_u", "V3 + retrieval candidates only",
        "V4 + ranker's f", "published table"
    };
    static const char *const steps[] = {
        "availability", "capacity", "retrieval", "affinity", "matching"
    };
    static const char *const rcols[] = { "loss per item", "share of gap" };
    static const enum evalrep_fmt rfmt[] = { EVALREP_REAL, EVALREP_PCT };
    double n_it = x->n_items, budget = (double)x->n_items * x->o->L;
    const struct outcome *orc = &pol[0], *pub = &pol[1];
    struct evalrep_table *t;
    char buf[256];

    evalrep_section(r, "oracle", "Expected creator feedback against the "
                    "oracle");
    evalrep_num(r, "uploads", "uploads of the day", n_it, EVALREP_INT, 0);
    evalrep_num(r, "users", "known users", x->n_users, EVALREP_INT, 0);
    evalrep_num(r, "L", "L", x->o->L, EVALREP_INT, 0);
    evalrep_num(r, "Q", "Q", x->o->Q, EVALREP_INT, 0);
    evalrep_num(r, "table_rows", "table rows", (double)tb->n_rows,
                EVALREP_INT, 0);
    evalrep_num(r, "table_other_items", "table rows of other targets "
                "(not uploads of the day)", (double)tb->n_other_items,
                EVALREP_INT, 0);
    evalrep_num(r, "feedback_oracle", "oracle: feedback per upload",
                n_it > 0 ? orc->value / n_it : NAN, EVALREP_REAL, 1);
    evalrep_num(r, "feedback_published", "published: feedback per upload",
                n_it > 0 ? pub->value / n_it : NAN, EVALREP_REAL, 1);
    evalrep_num(r, "share_of_oracle", "published / oracle",
                orc->value > 0 ? pub->value / orc->value : NAN,
                EVALREP_PCT, 1);
    evalrep_num(r, "vs_most_active", "published / most-active",
                pol[2].value > 0 ? pub->value / pol[2].value : NAN,
                EVALREP_REAL, 1);
    evalrep_num(r, "coverage", "uploads with >= 1 user (published)",
                n_it > 0 ? pub->covered / n_it : NAN, EVALREP_PCT, 1);
    evalrep_num(r, "budget_used", "pair budget used (published)",
                budget > 0 ? pub->pairs / budget : NAN, EVALREP_PCT, 1);
    evalrep_num(r, "oracle_exact", "oracle candidate bound met (1 = exact "
                "up to the auction's eps)", orc->exact, EVALREP_INT, 0);
    t = evalrep_table(r, "policies", "Policies (same L and Q; value = true "
                      "p_active(D+1) x true P(like+comment+follow))",
                      "policy", 8, pcols, pfmt);
    for (int j = 0; j < n_pol; j++)
        policy_row(t, pol_names[j], &pol[j], orc, n_it, budget);

    evalrep_section(r, "regret", "Regret decomposition");
    if (n_var < 5) {
        snprintf(buf, sizeof buf, "not computed: needs %s",
                 x->p_hat == NULL ? "--avail and --cands" : "--cands");
        evalrep_note(r, buf);
        return;
    }
    t = evalrep_table(r, "variants", "Oracle variants (each chooses with "
                      "its quantities, valued with the truth)", "variant",
                      8, pcols, pfmt);
    for (int j = 0; j < n_var; j++)
        policy_row(t, vnames[j], &var[j], orc, n_it, budget);
    policy_row(t, vnames[5], pub, orc, n_it, budget);
    t = evalrep_table(r, "steps", "Loss per step (adds up to oracle - "
                      "published)", "step", 2, rcols, rfmt);
    for (int j = 0; j < 5; j++) {
        double hi = var[j].value;
        double lo = j + 1 < n_var ? var[j + 1].value : pub->value;
        double gap = orc->value - pub->value, v[2];

        v[0] = n_it > 0 ? (hi - lo) / n_it : NAN;
        v[1] = gap != 0 ? (hi - lo) / gap : NAN;
        evalrep_row(t, steps[j], v);
        snprintf(buf, sizeof buf, "loss_%s", steps[j]);
        evalrep_num(r, buf, steps[j], v[0], EVALREP_REAL, 0);
    }
    evalrep_num(r, "candidates", "candidate pairs (all targets)",
                (double)x->n_cands, EVALREP_INT, 0);
    evalrep_num(r, "candidates_day", "candidate pairs of the day's uploads",
                (double)x->n_cands_day, EVALREP_INT, 0);
}

/* ---- the run ------------------------------------------------------------- */

static int
check_date(const struct ctx *x, char *manifest, struct diag *d)
{
    const struct oracle_opts *o = x->o;
    char got[32] = "", want[16], a[16], b[16];
    int32_t first = x->t->first_day, last = first + (int32_t)x->t->n_days;

    dates_format_day(o->date, want);
    if (o->date < first || o->date >= last)
        return diag_set(d, RC_DATA, "%s: date %s is outside the world's "
                        "days %s..%s", o->world_dir, want,
                        dates_format_day(first, a),
                        dates_format_day(last - 1, b));
    if (publish_manifest_get(manifest, "params", "date", got,
                             sizeof got) < 0 || strcmp(got, want) != 0)
        return diag_set(d, RC_DATA, "%s/dt=%s/" LAYOUT_MANIFEST ": date "
                        "'%s', expected '%s'", o->outroot, want, got, want);
    return 0;
}

int
oracle_run(const struct oracle_opts *o, struct evalrep **out,
           struct diag *d)
{
    static const char *const names[] = {
        "oracle", "published", "most-active", "most-likes", "random"
    };
    struct ctx x;
    struct table tb;
    struct outcome pol[5], var[5];
    char *dir, *path = NULL, *manifest = NULL, day[16], note[512];
    size_t nm;
    uint16_t *qall = NULL;
    float *val = NULL;
    struct evalrep *r;
    int n_var = 0, rc = -1;

    memset(&x, 0, sizeof x);
    memset(&tb, 0, sizeof tb);
    x.o = o;
    dates_format_day(o->date, day);
    dir = layout_day(o->outroot, o->date, NULL);
    if (worldgen_truth_load(o->world_dir, &x.t, d) < 0
        || publish_manifest_load(dir, &manifest, d) < 0
        || check_date(&x, manifest, d) < 0 || load_users(&x, d) < 0)
        goto done;
    load_items(&x);
    path = layout_day(o->outroot, o->date, LAYOUT_ITEM_USERS);
    if (load_table(&x, path, &tb, d) < 0
        || load_activity(&x, d) < 0
        || (o->avail_path != NULL && load_avail(&x, d) < 0)
        || (o->cands_path != NULL && load_cands(&x, d) < 0))
        goto done;
    fill_truth(&x);

    nm = (size_t)x.n_items * x.n_users;
    val = xmalloc((nm ? nm : 1) * sizeof *val);
    qall = xmalloc((x.n_users ? x.n_users : 1) * sizeof *qall);
    for (uint32_t s = 0; s < x.n_users; s++)
        qall[s] = (uint16_t)(o->Q < UINT16_MAX ? o->Q : UINT16_MAX);

    fill_choice(&x, val, x.p_true, x.f_true, NULL);
    var[0] = variant(&x, val, qall);
    n_var = 1;
    if (x.p_hat != NULL) {
        fill_choice(&x, val, x.p_hat, x.f_true, NULL);
        var[1] = variant(&x, val, qall);
        var[2] = variant(&x, val, x.q_hat);
        n_var = 3;
        if (x.is_cand != NULL) {
            fill_choice(&x, val, x.p_hat, x.f_true, x.is_cand);
            var[3] = variant(&x, val, x.q_hat);
            fill_choice(&x, val, x.p_hat, x.f_hat, x.is_cand);
            var[4] = variant(&x, val, x.q_hat);
            n_var = 5;
        }
    }
    pol[0] = var[0];
    pol[1] = outcome_of(&x, tb.pair, tb.n);
    pol[2] = baseline(&x, x.act);
    pol[3] = baseline(&x, x.likes);
    pol[4] = baseline(&x, NULL);

    r = evalrep_new("dualrec oracle evaluation");
    snprintf(note, sizeof note, "date %s, world %s, tables %s", day,
             o->world_dir, dir);
    evalrep_note(r, note);
    report(&x, &tb, pol, names, 5, var, n_var, r);
    *out = r;
    rc = 0;
done:
    free(val);
    free(qall);
    free(tb.pair);
    free(manifest);
    free(dir);
    free(path);
    ctx_release(&x);
    return rc;
}
