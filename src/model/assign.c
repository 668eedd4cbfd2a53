/*
 * assign.c -- capacity-aware assignment of target items to users
 * (assign.h): the auction used by dualrec-match, the greedy baselines, and
 * an exact min-cost-flow solver that tests and benchmarks measure them
 * against.
 *
 * Invariants shared by every method: only usable edges are taken; an item
 * never holds more than L edges nor the same user twice (cands guarantees
 * distinct users per item); a user never holds more than cap[u] edges.  The
 * result is built from a per-edge selection flag by one routine
 * (build_result), so ordering, counters and sums are computed the same way
 * for every method.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "xmem.h"

struct assign_params
assign_default_params(void)
{
    struct assign_params p;

    p.L = 200;
    p.method = ASSIGN_AUCTION;
    p.fill_bonus = 1.0;
    p.eps_rel = 1e-3;
    p.max_rounds = 300;
    p.min_audience = 10;
    p.raw_values = 0;
    return p;
}

static const char *const method_names[] = {
    "auction", "greedy-items", "greedy", "exact"
};

const char *
assign_method_name(enum assign_method m)
{
    if ((unsigned)m < sizeof method_names / sizeof method_names[0])
        return method_names[m];
    return "?";
}

int
assign_method_parse(const char *s, enum assign_method *m)
{
    for (unsigned i = 0; i < sizeof method_names / sizeof method_names[0];
         i++) {
        if (strcmp(s, method_names[i]) == 0) {
            *m = (enum assign_method)i;
            return 0;
        }
    }
    return -1;
}

/* What every method needs: usability of each edge and the value shift. */
struct prep {
    const struct cands *c;
    uint32_t n_users;
    const uint16_t *cap;
    uint32_t L;
    uint32_t *Lk;           /* per item: room (L, less in a second stage) */
    uint8_t *usable;        /* per edge */
    size_t n_usable;
    double shift;           /* v_e = s_e + shift */
    double vmax;            /* largest v_e */
};

static int
prep_init(struct prep *pr, const struct cands *c, uint32_t n_users,
          const uint16_t *cap, const uint8_t *eligible,
          const struct assign_params *p, struct diag *d)
{
    double lo = INFINITY, hi = -INFINITY, range, bonus;
    size_t n_usable = 0;

    memset(pr, 0, sizeof *pr);
    if (p->L == 0)
        return diag_set(d, RC_DATA, "assignment: L must be at least 1");
    if (!(p->fill_bonus >= 0) || !isfinite(p->fill_bonus))
        return diag_set(d, RC_DATA, "assignment: bad fill bonus '%g'",
                        p->fill_bonus);
    if (!(p->eps_rel > 0) || !isfinite(p->eps_rel))
        return diag_set(d, RC_DATA, "assignment: bad auction step '%g'",
                        p->eps_rel);
    for (size_t e = 0; e < c->n; e++) {
        if (c->user[e] >= n_users)
            return diag_set(d, RC_DATA,
                            "candidates: entry %zu: user index %u out of "
                            "range (%u users)", e, c->user[e], n_users);
    }
    pr->c = c;
    pr->n_users = n_users;
    pr->cap = cap;
    pr->L = p->L;
    pr->Lk = xmalloc((c->n_items ? c->n_items : 1) * sizeof *pr->Lk);
    for (size_t k = 0; k < c->n_items; k++)
        pr->Lk[k] = p->L;
    pr->usable = xmalloc(c->n ? c->n : 1);
    for (size_t e = 0; e < c->n; e++) {
        uint32_t u = c->user[e];
        float s = c->score[e];
        int ok = cap[u] > 0 && (eligible == NULL || eligible[u])
                 && isfinite(s) && (!p->raw_values || s > 0);

        pr->usable[e] = (uint8_t)ok;
        if (ok) {
            n_usable++;
            if (s < lo)
                lo = s;
            if (s > hi)
                hi = s;
        }
    }
    pr->n_usable = n_usable;
    if (n_usable == 0) {
        pr->shift = 0;
        pr->vmax = 0;
        return 0;
    }
    if (p->raw_values) {
        pr->shift = 0;
        pr->vmax = hi;
        return 0;
    }
    range = hi - lo;
    bonus = range > 0 ? p->fill_bonus * range : 1.0;
    pr->shift = bonus - lo;
    pr->vmax = hi + pr->shift;
    return 0;
}

static void
prep_release(struct prep *pr)
{
    free(pr->usable);
    free(pr->Lk);
    pr->usable = NULL;
    pr->Lk = NULL;
}

static inline double
value_of(const struct prep *pr, size_t e)
{
    return (double)pr->c->score[e] + pr->shift;
}

/* Rank order inside an item: score descending, then user ascending. */
static const struct cands *sort_c;

static int
cmp_rank(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    float sx = sort_c->score[x], sy = sort_c->score[y];

    if (sx != sy)
        return sx > sy ? -1 : 1;
    if (sort_c->user[x] != sort_c->user[y])
        return sort_c->user[x] < sort_c->user[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Edges ordered by score descending, then edge index (greedy order). */
struct scored {
    float s;
    size_t e;
};

static int
cmp_scored(const void *a, const void *b)
{
    const struct scored *x = a, *y = b;

    if (x->s != y->s)
        return x->s > y->s ? -1 : 1;
    return x->e < y->e ? -1 : x->e > y->e;
}

/*
 * Turn the selection flags sel[e] into a struct assign.  The per-item sort
 * uses the static sort_c, so it runs serially (qsort has no context
 * argument in C11).
 */
static struct assign *
build_result(const struct prep *pr, const uint8_t *sel)
{
    const struct cands *c = pr->c;
    struct assign *a = xcalloc(1, sizeof *a);
    size_t n = 0;

    for (size_t e = 0; e < c->n; e++)
        n += sel[e] != 0;
    a->n_items = c->n_items;
    a->off = xcalloc(c->n_items + 1, sizeof *a->off);
    a->edge = xmalloc((n ? n : 1) * sizeof *a->edge);
    a->n = n;
    a->n_users = pr->n_users;
    a->user_items = xcalloc(pr->n_users ? pr->n_users : 1,
                            sizeof *a->user_items);
    a->n_usable = pr->n_usable;
    a->value_shift = pr->shift;
    sort_c = c;
    n = 0;
    for (size_t k = 0; k < c->n_items; k++) {
        size_t first = n;

        for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
            if (sel[e])
                a->edge[n++] = e;
        }
        qsort(a->edge + first, n - first, sizeof *a->edge, cmp_rank);
        a->off[k + 1] = n;
        if (n - first == pr->L)
            a->n_full++;
        if (n == first)
            a->n_empty++;
        for (size_t j = first; j < n; j++) {
            size_t e = a->edge[j];

            a->user_items[c->user[e]]++;
            a->score_sum += c->score[e];
            a->objective += value_of(pr, e);
        }
    }
    return a;
}

void
assign_free(struct assign *a)
{
    if (a == NULL)
        return;
    free(a->off);
    free(a->edge);
    free(a->user_items);
    free(a);
}

/* ---- greedy baselines ------------------------------------------------ */

static struct assign *
greedy_items(const struct prep *pr)
{
    const struct cands *c = pr->c;
    uint8_t *sel = xcalloc(c->n ? c->n : 1, 1);
    uint32_t *used = xcalloc(pr->n_users ? pr->n_users : 1, sizeof *used);
    size_t maxdeg = 0, *order;
    struct assign *a;

    for (size_t k = 0; k < c->n_items; k++) {
        if (c->off[k + 1] - c->off[k] > maxdeg)
            maxdeg = c->off[k + 1] - c->off[k];
    }
    order = xmalloc((maxdeg ? maxdeg : 1) * sizeof *order);
    sort_c = c;
    for (size_t k = 0; k < c->n_items; k++) {
        size_t m = 0, took = 0;

        for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
            if (pr->usable[e])
                order[m++] = e;
        }
        qsort(order, m, sizeof *order, cmp_rank);
        for (size_t j = 0; j < m && took < pr->L; j++) {
            uint32_t u = c->user[order[j]];

            if (used[u] < pr->cap[u]) {
                used[u]++;
                sel[order[j]] = 1;
                took++;
            }
        }
    }
    a = build_result(pr, sel);
    free(order);
    free(used);
    free(sel);
    return a;
}

/* Item of edge e: the k with off[k] <= e < off[k + 1]. */
static size_t
item_of(const struct cands *c, size_t e)
{
    size_t lo = 0, hi = c->n_items;

    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;

        if (c->off[mid] <= e)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Take usable, unselected edges by descending score while both the item
 * (nheld < L) and the user (used < cap) have room.  Used alone as
 * ASSIGN_GREEDY and as the auction's final fill.
 */
static void
greedy_fill(const struct prep *pr, uint8_t *sel, uint32_t *nheld,
            uint32_t *used)
{
    const struct cands *c = pr->c;
    struct scored *list;
    size_t m = 0;

    for (size_t e = 0; e < c->n; e++)
        m += pr->usable[e] && !sel[e];
    list = xmalloc((m ? m : 1) * sizeof *list);
    m = 0;
    for (size_t e = 0; e < c->n; e++) {
        if (pr->usable[e] && !sel[e]) {
            list[m].s = c->score[e];
            list[m].e = e;
            m++;
        }
    }
    qsort(list, m, sizeof *list, cmp_scored);
    for (size_t j = 0; j < m; j++) {
        size_t e = list[j].e, k = item_of(c, e);
        uint32_t u = c->user[e];

        if (nheld[k] < pr->Lk[k] && used[u] < pr->cap[u]) {
            sel[e] = 1;
            nheld[k]++;
            used[u]++;
        }
    }
    free(list);
}

static uint8_t *
greedy_sel(const struct prep *pr)
{
    const struct cands *c = pr->c;
    uint8_t *sel = xcalloc(c->n ? c->n : 1, 1);
    uint32_t *nheld = xcalloc(c->n_items ? c->n_items : 1, sizeof *nheld);
    uint32_t *used = xcalloc(pr->n_users ? pr->n_users : 1, sizeof *used);

    greedy_fill(pr, sel, nheld, used);
    free(nheld);
    free(used);
    return sel;
}

/* What the auction did, summed over stages and directions. */
struct run_info {
    uint32_t rounds;
    int converged;          /* every stage converged */
    int reverse;            /* some stage kept the reverse direction */
};

/* ---- auction --------------------------------------------------------- */

/*
 * One side bids for the other.  Forward: items bid for users (the
 * candidate table as it is); reverse: users bid for items (its transpose).
 * Bidder b owns positions boff[b] .. boff[b + 1); position j is candidate
 * edge pedge[j] (j itself when pedge is NULL) whose other end, the object,
 * is obj[j].  Within a bidder, positions are in ascending edge order.
 * Bidder b holds at most bcap[b] objects; object o accepts at most ocap[o]
 * bidders.
 */
struct side {
    size_t nb, no;
    const size_t *boff;
    const size_t *pedge;
    const uint32_t *obj;
    const uint32_t *bcap;
    const uint32_t *ocap;
};

/*
 * A bid or an accepted hold: `bidder` offers `bid` for object `obj` along
 * edge e.  Ordered by bid descending, then edge ascending (the tie rule).
 */
struct bid {
    double bid;
    size_t e;
    uint32_t bidder;
    uint32_t obj;
};

static int
cmp_bid(const void *a, const void *b)
{
    const struct bid *x = a, *y = b;

    if (x->bid != y->bid)
        return x->bid > y->bid ? -1 : 1;
    return x->e < y->e ? -1 : x->e > y->e;
}

/* A candidate of one bidder during bidding: net value v_e - price. */
struct netval {
    double v;
    size_t e;
    size_t pos;
};

/* Better = larger net value, then smaller edge index. */
static inline int
nv_better(const struct netval *x, const struct netval *y)
{
    return x->v > y->v || (x->v == y->v && x->e < y->e);
}

/*
 * Partially order a[0..n) so that a[0..k) are the k best (in any order)
 * and a[k] is the best of the rest.  Deterministic: the comparison is a
 * total order, so the chosen set does not depend on pivots.
 */
static void
select_top(struct netval *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n;

    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2, i, j;
        struct netval pivot, t;

        /* median of three as pivot, moved to the end */
        if (nv_better(&a[hi - 1], &a[lo])) {
            t = a[lo]; a[lo] = a[hi - 1]; a[hi - 1] = t;
        }
        if (nv_better(&a[mid], &a[lo])) {
            t = a[lo]; a[lo] = a[mid]; a[mid] = t;
        }
        if (nv_better(&a[hi - 1], &a[mid])) {
            t = a[mid]; a[mid] = a[hi - 1]; a[hi - 1] = t;
        }
        t = a[mid]; a[mid] = a[hi - 1]; a[hi - 1] = t;
        pivot = a[hi - 1];
        for (i = j = lo; j < hi - 1; j++) {
            if (nv_better(&a[j], &pivot)) {
                t = a[i]; a[i] = a[j]; a[j] = t;
                i++;
            }
        }
        t = a[i]; a[i] = a[hi - 1]; a[hi - 1] = t;
        if (i == k)
            return;
        if (i < k)
            lo = i + 1;
        else
            hi = i;
    }
}

/* Edges to scan in a round below which it runs on one thread. */
#define AUCTION_PAR_MIN 200000

struct auction {
    const struct prep *pr;
    const struct side *sd;
    double eps;
    uint8_t *sel;           /* per edge: held */
    uint32_t *nheld;        /* per bidder */
    uint8_t *exhausted;     /* per bidder: no positive net value left */
    double *price;          /* per object */
    size_t *hoff;           /* per object + 1: hold slots */
    uint32_t *hcnt;         /* per object: holds in use */
    struct bid *hold;
    size_t *boff;           /* per bidder + 1: bid slots */
    uint32_t *nbid;         /* per bidder: bids this round */
    struct bid *bids;
    size_t *ucnt;           /* per object + 1: bucket offsets */
    struct bid *bucket;     /* bids grouped by object, bidder order */
    uint32_t *live;         /* per bidder, from sd->boff[b]: positions
                               (relative) of edges still worth a bid */
    uint32_t *nlive;        /* per bidder */
    size_t maxdeg;
};

static inline size_t
edge_at(const struct side *sd, size_t pos)
{
    return sd->pedge != NULL ? sd->pedge[pos] : pos;
}

/* One bidder's bids for its free slots, on the current prices. */
static void
bidder_bid(struct auction *au, size_t b, struct netval *nv)
{
    const struct prep *pr = au->pr;
    const struct side *sd = au->sd;
    size_t m = 0, f = sd->bcap[b] - au->nheld[b], top;
    struct bid *out = au->bids + au->boff[b];
    uint32_t *live = au->live + sd->boff[b], n = au->nlive[b];
    double w;

    au->nbid[b] = 0;
    /*
     * Prices never fall, so an edge whose net value is <= 0 stays so: it
     * leaves the live list for good (swap with the last).  Held edges stay.
     * The list order does not matter: the choice below is by a total order.
     */
    for (uint32_t j = 0; j < n;) {
        size_t pos = sd->boff[b] + live[j], e = edge_at(sd, pos);
        double v;

        if (au->sel[e]) {
            j++;
            continue;
        }
        v = value_of(pr, e) - au->price[sd->obj[pos]];
        if (v > 0) {
            nv[m].v = v;
            nv[m].e = e;
            nv[m].pos = pos;
            m++;
            j++;
        } else {
            live[j] = live[--n];
        }
    }
    au->nlive[b] = n;
    if (m == 0) {
        au->exhausted[b] = 1;
        return;
    }
    if (m > f) {
        select_top(nv, m, f);
        w = nv[f].v;            /* the best option left out */
        top = f;
    } else {
        w = 0;                  /* the null option: a free slot */
        top = m;
    }
    for (size_t j = 0; j < top; j++) {
        uint32_t o = sd->obj[nv[j].pos];

        out[j].bid = au->price[o] + (nv[j].v - w) + au->eps;
        out[j].e = nv[j].e;
        out[j].bidder = (uint32_t)b;
        out[j].obj = o;
    }
    au->nbid[b] = (uint32_t)top;
}

/*
 * Object o merges its holds with this round's bids and keeps the best
 * ocap[o]; the rest are released.  scratch holds at least hcnt + bids.
 */
static void
object_resolve(struct auction *au, uint32_t o, struct bid *scratch)
{
    const struct side *sd = au->sd;
    size_t nb = au->ucnt[o + 1] - au->ucnt[o], nh = au->hcnt[o], m, keep;
    size_t i = 0, j = 0;
    struct bid *h = au->hold + au->hoff[o], *in = au->bucket + au->ucnt[o];

    /* holds are kept in order: sort the new bids, then merge */
    qsort(in, nb, sizeof *in, cmp_bid);
    m = nh + nb;
    for (size_t t = 0; t < m; t++) {
        if (j == nb || (i < nh && cmp_bid(&h[i], &in[j]) <= 0))
            scratch[t] = h[i++];
        else
            scratch[t] = in[j++];
    }
    keep = m < sd->ocap[o] ? m : sd->ocap[o];
    for (j = 0; j < m; j++) {
        size_t e = scratch[j].e;
        uint32_t b = scratch[j].bidder;

        if (j < keep && !au->sel[e]) {
            au->sel[e] = 1;             /* a new bid accepted */
            #pragma omp atomic
            au->nheld[b]++;
        } else if (j >= keep && au->sel[e]) {
            au->sel[e] = 0;             /* a hold outbid: bidder rebids */
            #pragma omp atomic
            au->nheld[b]--;
            #pragma omp atomic write
            au->exhausted[b] = 0;
        }
    }
    memcpy(h, scratch, keep * sizeof *h);
    au->hcnt[o] = (uint32_t)keep;
    if (sd->ocap[o] == 0)
        au->price[o] = INFINITY;        /* takes nobody */
    else if (keep == sd->ocap[o])
        au->price[o] = scratch[keep - 1].bid;
}

/*
 * Run the auction on one side until no bidder with free slots has a
 * positive net value (converged) or max_rounds.  Fills sel (per edge,
 * zeroed by the caller).
 */
static void
auction_side(const struct prep *pr, const struct side *sd,
             const struct assign_params *p, uint8_t *sel,
             uint32_t *rounds_out, int *converged_out)
{
    size_t NB = sd->nb, NO = sd->no;
    struct auction au;
    uint32_t *odeg = xcalloc(NO ? NO : 1, sizeof *odeg);
    uint32_t rounds = 0;
    int converged = 0;

    memset(&au, 0, sizeof au);
    au.pr = pr;
    au.sd = sd;
    au.eps = p->eps_rel * (pr->vmax > 0 ? pr->vmax : 1.0);
    au.sel = sel;
    au.nheld = xcalloc(NB ? NB : 1, sizeof *au.nheld);
    au.exhausted = xcalloc(NB ? NB : 1, 1);
    au.price = xcalloc(NO ? NO : 1, sizeof *au.price);
    au.hoff = xcalloc(NO + 1, sizeof *au.hoff);
    au.hcnt = xcalloc(NO ? NO : 1, sizeof *au.hcnt);
    au.boff = xcalloc(NB + 1, sizeof *au.boff);
    au.nbid = xcalloc(NB ? NB : 1, sizeof *au.nbid);
    au.ucnt = xcalloc(NO + 1, sizeof *au.ucnt);
    au.live = xmalloc((sd->boff[NB] ? sd->boff[NB] : 1) * sizeof *au.live);
    au.nlive = xcalloc(NB ? NB : 1, sizeof *au.nlive);
    for (size_t b = 0; b < NB; b++) {
        size_t deg = 0;

        for (size_t pos = sd->boff[b]; pos < sd->boff[b + 1]; pos++) {
            if (pr->usable[edge_at(sd, pos)]) {
                au.live[sd->boff[b] + deg++] = (uint32_t)(pos - sd->boff[b]);
                odeg[sd->obj[pos]]++;
            }
        }
        au.nlive[b] = (uint32_t)deg;
        au.boff[b + 1] = au.boff[b] + (deg < sd->bcap[b] ? deg : sd->bcap[b]);
        if (deg > au.maxdeg)
            au.maxdeg = deg;
    }
    for (size_t o = 0; o < NO; o++)
        au.hoff[o + 1] = au.hoff[o]
                         + (odeg[o] < sd->ocap[o] ? odeg[o] : sd->ocap[o]);
    au.hold = xmalloc((au.hoff[NO] ? au.hoff[NO] : 1) * sizeof *au.hold);
    au.bids = xmalloc((au.boff[NB] ? au.boff[NB] : 1) * sizeof *au.bids);
    au.bucket = xmalloc((au.boff[NB] ? au.boff[NB] : 1) * sizeof *au.bucket);

    while (rounds < p->max_rounds) {
        size_t total = 0, work = 0;

        rounds++;
        /*
         * Threads only pay off on big rounds: late rounds touch a few
         * bidders, and a parallel region per round costs more than that
         * on a busy machine.  The result does not depend on it.
         */
        for (size_t b = 0; b < NB; b++) {
            if (!au.exhausted[b] && au.nheld[b] < sd->bcap[b])
                work += au.nlive[b];
        }
        #pragma omp parallel if (work > AUCTION_PAR_MIN)
        {
            struct netval *nv = xmalloc((au.maxdeg ? au.maxdeg : 1)
                                        * sizeof *nv);

            #pragma omp for schedule(dynamic, 64)
            for (size_t b = 0; b < NB; b++) {
                au.nbid[b] = 0;
                if (!au.exhausted[b] && au.nheld[b] < sd->bcap[b])
                    bidder_bid(&au, b, nv);
            }
            free(nv);
        }
        for (size_t b = 0; b < NB; b++)
            total += au.nbid[b];
        if (total == 0) {
            converged = 1;
            break;
        }
        /* group the bids by object, keeping bidder order (counting sort) */
        memset(au.ucnt, 0, (NO + 1) * sizeof *au.ucnt);
        for (size_t b = 0; b < NB; b++) {
            for (size_t j = 0; j < au.nbid[b]; j++)
                au.ucnt[au.bids[au.boff[b] + j].obj + 1]++;
        }
        for (size_t o = 0; o < NO; o++)
            au.ucnt[o + 1] += au.ucnt[o];
        {
            size_t *pos = xmalloc((NO ? NO : 1) * sizeof *pos);

            memcpy(pos, au.ucnt, NO * sizeof *pos);
            for (size_t b = 0; b < NB; b++) {
                for (size_t j = 0; j < au.nbid[b]; j++) {
                    struct bid *bd = &au.bids[au.boff[b] + j];

                    au.bucket[pos[bd->obj]++] = *bd;
                }
            }
            free(pos);
        }
        #pragma omp parallel if (total > AUCTION_PAR_MIN / 8)
        {
            size_t scap = 64;
            struct bid *scratch = xmalloc(scap * sizeof *scratch);

            #pragma omp for schedule(dynamic, 256)
            for (size_t o = 0; o < NO; o++) {
                size_t need = au.ucnt[o + 1] - au.ucnt[o];

                if (need == 0)
                    continue;
                need += au.hcnt[o];
                if (need > scap) {
                    scap = need;
                    scratch = xrealloc(scratch, scap * sizeof *scratch);
                }
                object_resolve(&au, (uint32_t)o, scratch);
            }
            free(scratch);
        }
    }
    *rounds_out = rounds;
    *converged_out = converged;
    free(odeg);
    free(au.nheld);
    free(au.exhausted);
    free(au.price);
    free(au.hoff);
    free(au.hcnt);
    free(au.hold);
    free(au.boff);
    free(au.nbid);
    free(au.bids);
    free(au.ucnt);
    free(au.bucket);
    free(au.live);
    free(au.nlive);
}

/* Objective of a selection, summed in edge order. */
static double
objective_of(const struct prep *pr, const uint8_t *sel)
{
    double sum = 0;

    for (size_t e = 0; e < pr->c->n; e++) {
        if (sel[e])
            sum += value_of(pr, e);
    }
    return sum;
}

/* Complete a selection with the greedy fill (counts rebuilt from sel). */
static void
fill_rest(const struct prep *pr, uint8_t *sel)
{
    const struct cands *c = pr->c;
    uint32_t *nheld = xcalloc(c->n_items ? c->n_items : 1, sizeof *nheld);
    uint32_t *used = xcalloc(pr->n_users ? pr->n_users : 1, sizeof *used);

    for (size_t k = 0; k < c->n_items; k++) {
        for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
            if (sel[e]) {
                nheld[k]++;
                used[c->user[e]]++;
            }
        }
    }
    greedy_fill(pr, sel, nheld, used);
    free(nheld);
    free(used);
}

/*
 * Items bid for users (forward) when user capacity is plentiful; users
 * bid for items (reverse) when it is short: in a market short of user
 * capacity every item keeps bidding until prices reach its values (a
 * price war of ~ vmax / eps rounds), while users, who are the scarce side
 * there, settle fast.  "Short" compares the usable supply sum_u
 * min(Q_u, degree) with the demand sum_k min(L, degree).  When the first
 * direction does not converge within max_rounds the other one runs too,
 * and the better of the two (each completed by the greedy fill) is kept.
 */
static uint8_t *
auction_sel(const struct prep *pr, const struct assign_params *p,
            struct run_info *ri)
{
    const struct cands *c = pr->c;
    size_t K = c->n_items, U = pr->n_users, E = c->n;
    uint32_t *Lcap = xmalloc((K ? K : 1) * sizeof *Lcap);
    uint32_t *ucap = xmalloc((U ? U : 1) * sizeof *ucap);
    uint8_t *sel = xcalloc(E ? E : 1, 1);
    uint32_t rounds;
    int converged, reverse = 0;
    size_t *uoff = xcalloc(U + 1, sizeof *uoff), *pos;
    size_t *pedge = xmalloc((pr->n_usable ? pr->n_usable : 1)
                            * sizeof *pedge);
    uint32_t *obj = xmalloc((pr->n_usable ? pr->n_usable : 1) * sizeof *obj);
    uint64_t demand = 0, supply = 0;
    struct side sides[2], *first, *second;

    for (size_t k = 0; k < K; k++) {
        size_t deg = 0;

        Lcap[k] = pr->Lk[k];
        for (size_t e = c->off[k]; e < c->off[k + 1]; e++)
            deg += pr->usable[e];
        demand += deg < Lcap[k] ? deg : Lcap[k];
    }
    /* the transpose: users' usable edges in ascending edge order */
    for (size_t e = 0; e < E; e++)
        uoff[c->user[e] + 1] += pr->usable[e];
    for (size_t u = 0; u < U; u++) {
        size_t deg = uoff[u + 1];

        ucap[u] = pr->cap[u];
        supply += deg < ucap[u] ? deg : ucap[u];
        uoff[u + 1] += uoff[u];
    }
    pos = xmalloc((U ? U : 1) * sizeof *pos);
    memcpy(pos, uoff, U * sizeof *pos);
    for (size_t k = 0; k < K; k++) {
        for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
            if (pr->usable[e]) {
                size_t j = pos[c->user[e]]++;

                pedge[j] = e;
                obj[j] = (uint32_t)k;
            }
        }
    }
    free(pos);
    sides[0] = (struct side){ K, U, c->off, NULL, c->user, Lcap, ucap };
    sides[1] = (struct side){ U, K, uoff, pedge, obj, ucap, Lcap };
    /* the scarce side is the one whose holders are bid up */
    reverse = supply < demand;
    first = &sides[reverse];
    second = &sides[!reverse];
    auction_side(pr, first, p, sel, &rounds, &converged);
    if (!converged) {
        uint8_t *sel2 = xcalloc(E ? E : 1, 1);
        uint32_t rounds2;
        int converged2;

        auction_side(pr, second, p, sel2, &rounds2, &converged2);
        fill_rest(pr, sel);
        fill_rest(pr, sel2);
        if (objective_of(pr, sel2) > objective_of(pr, sel)) {
            memcpy(sel, sel2, E ? E : 1);
            reverse = !reverse;
            converged = converged2;
        }
        rounds += rounds2;
        free(sel2);
    }
    free(uoff);
    free(pedge);
    free(obj);
    free(Lcap);
    free(ucap);
    ri->rounds += rounds;
    ri->converged &= converged;
    ri->reverse |= reverse;
    return sel;
}

static uint8_t *
method_sel(const struct prep *pr, const struct assign_params *p,
           struct run_info *ri)
{
    if (p->method == ASSIGN_AUCTION)
        return auction_sel(pr, p, ri);
    return greedy_sel(pr);
}

/* Does some item hold fewer than min(m, its usable candidates) users? */
static int
below_floor(const struct prep *pr, const uint8_t *sel, uint32_t m)
{
    const struct cands *c = pr->c;

    for (size_t k = 0; k < c->n_items; k++) {
        uint32_t held = 0, deg = 0;

        for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
            held += sel[e];
            deg += pr->usable[e];
        }
        if (held < (deg < m ? deg : m))
            return 1;
    }
    return 0;
}

/*
 * The global methods, in one stage or two.  The one-stage result is kept
 * when every item got min(min_audience, its usable candidates) users.
 * Otherwise, with 0 < min_audience < L, stage 1 assigns with room
 * min_audience per item: with the fill bonus its optimum spreads users
 * over as many items as it can, so every item that can get an audience
 * gets one before any item gets a large one.  Stage 2 assigns the rest
 * (room L minus stage 1, capacity left) with the same objective.  The two
 * together are not the one-stage optimum: the difference is the price of
 * the floor, which the benchmark reports.
 */
static struct assign *
global_run(const struct prep *pr, const struct assign_params *p)
{
    const struct cands *c = pr->c;
    struct run_info ri = { 0, 1, 0 };
    uint32_t m = p->min_audience;
    struct assign *a;
    uint8_t *sel;

    sel = method_sel(pr, p, &ri);
    if (m > 0 && m < pr->L && below_floor(pr, sel, m)) {
        struct prep p1 = *pr, p2 = *pr;
        uint16_t *cap2 = xmalloc((pr->n_users ? pr->n_users : 1)
                                 * sizeof *cap2);
        uint8_t *sel2;

        free(sel);
        ri.rounds = 0;
        ri.converged = 1;
        ri.reverse = 0;

        p1.Lk = xmalloc((c->n_items ? c->n_items : 1) * sizeof *p1.Lk);
        for (size_t k = 0; k < c->n_items; k++)
            p1.Lk[k] = m;
        sel = method_sel(&p1, p, &ri);
        p2.Lk = xmalloc((c->n_items ? c->n_items : 1) * sizeof *p2.Lk);
        p2.usable = xmalloc(c->n ? c->n : 1);
        memcpy(cap2, pr->cap, pr->n_users * sizeof *cap2);
        for (size_t k = 0; k < c->n_items; k++) {
            p2.Lk[k] = pr->L;
            for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
                if (sel[e]) {
                    p2.Lk[k]--;
                    cap2[c->user[e]]--;
                }
            }
        }
        p2.cap = cap2;
        p2.n_usable = 0;
        for (size_t k = 0; k < c->n_items; k++) {
            for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
                p2.usable[e] = pr->usable[e] && !sel[e] && p2.Lk[k] > 0
                               && cap2[c->user[e]] > 0;
                p2.n_usable += p2.usable[e];
            }
        }
        sel2 = method_sel(&p2, p, &ri);
        for (size_t e = 0; e < c->n; e++)
            sel[e] |= sel2[e];
        free(sel2);
        free(p1.Lk);
        free(p2.Lk);
        free(p2.usable);
        free(cap2);
    }
    a = build_result(pr, sel);
    if (p->method == ASSIGN_AUCTION) {
        a->rounds = ri.rounds;
        a->converged = ri.converged;
        a->reverse = ri.reverse;
    }
    free(sel);
    return a;
}

/* ---- exact: min-cost flow by successive shortest paths --------------- */

/*
 * Network: source -> item k (capacity L, cost 0), item -> user (capacity 1,
 * cost -v_e, usable edges only), user -> sink (capacity cap[u], cost 0).
 * Augmenting one unit at a time along shortest paths (Dijkstra on reduced
 * costs, potentials initialised on the DAG) while the path cost is
 * negative yields a maximum-weight assignment.
 */
struct arc {
    uint32_t to;
    uint32_t rev;
    int32_t cap;
    double cost;
    size_t edge;            /* cands entry for item -> user arcs */
};

struct graph {
    uint32_t n;
    uint32_t *head;         /* n + 1 offsets into arcs (CSR) */
    struct arc *arcs;
    uint32_t *fill;
};

struct heap_node {
    double d;
    uint32_t v;
};

static void
heap_push(struct heap_node *h, size_t *n, double d, uint32_t v)
{
    size_t i = (*n)++;

    while (i > 0) {
        size_t up = (i - 1) / 2;

        if (h[up].d < d || (h[up].d == d && h[up].v <= v))
            break;
        h[i] = h[up];
        i = up;
    }
    h[i].d = d;
    h[i].v = v;
}

static struct heap_node
heap_pop(struct heap_node *h, size_t *n)
{
    struct heap_node top = h[0], last = h[--(*n)];
    size_t i = 0;

    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        struct heap_node *best = &last;

        if (l < *n && (h[l].d < best->d
                       || (h[l].d == best->d && h[l].v < best->v))) {
            m = l;
            best = &h[l];
        }
        if (r < *n && (h[r].d < best->d
                       || (h[r].d == best->d && h[r].v < best->v))) {
            m = r;
            best = &h[r];
        }
        if (m == i)
            break;
        h[i] = h[m];
        i = m;
    }
    if (*n > 0)
        h[i] = last;
    return top;
}

static void
add_arc(struct graph *g, uint32_t a, uint32_t b, int32_t cap, double cost,
        size_t edge)
{
    uint32_t i = g->head[a] + g->fill[a]++, j = g->head[b] + g->fill[b]++;

    g->arcs[i] = (struct arc){ b, j, cap, cost, edge };
    g->arcs[j] = (struct arc){ a, i, 0, -cost, edge };
}

static struct assign *
exact_run(const struct prep *pr)
{
    const struct cands *c = pr->c;
    uint32_t K = (uint32_t)c->n_items, U = pr->n_users;
    uint32_t src = 0, sink = K + U + 1, n = K + U + 2;
    struct graph g;
    size_t n_arcs = 0, hn;
    double *pot, *dist;
    uint32_t *par;
    uint8_t *done, *sel;
    struct heap_node *heap;
    size_t heap_cap;
    struct assign *a;

    g.n = n;
    g.head = xcalloc(n + 1, sizeof *g.head);
    g.fill = xcalloc(n, sizeof *g.fill);
    /* degrees, then CSR offsets; every arc has a reverse twin */
    for (uint32_t k = 0; k < K; k++) {
        g.head[src + 1]++;
        g.head[1 + k + 1]++;
        for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
            if (pr->usable[e]) {
                g.head[1 + k + 1]++;
                g.head[1 + K + c->user[e] + 1]++;
            }
        }
    }
    for (uint32_t u = 0; u < U; u++) {
        g.head[1 + K + u + 1]++;
        g.head[sink + 1]++;
    }
    for (uint32_t v = 0; v < n; v++)
        g.head[v + 1] += g.head[v];
    n_arcs = g.head[n];
    g.arcs = xmalloc((n_arcs ? n_arcs : 1) * sizeof *g.arcs);
    for (uint32_t k = 0; k < K; k++) {
        add_arc(&g, src, 1 + k, (int32_t)pr->L, 0, 0);
        for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
            if (pr->usable[e])
                add_arc(&g, 1 + k, 1 + K + c->user[e], 1,
                        -value_of(pr, e), e);
        }
    }
    for (uint32_t u = 0; u < U; u++)
        add_arc(&g, 1 + K + u, sink, pr->cap[u], 0, 0);

    /* potentials: shortest distances on the initial DAG */
    pot = xcalloc(n, sizeof *pot);
    for (uint32_t k = 0; k < K; k++) {
        for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
            uint32_t v = 1 + K + c->user[e];

            if (pr->usable[e] && -value_of(pr, e) < pot[v])
                pot[v] = -value_of(pr, e);
        }
    }
    for (uint32_t u = 0; u < U; u++) {
        if (pot[1 + K + u] < pot[sink])
            pot[sink] = pot[1 + K + u];
    }

    dist = xmalloc(n * sizeof *dist);
    par = xmalloc(n * sizeof *par);
    done = xmalloc(n);
    heap_cap = n_arcs + n + 1;
    heap = xmalloc(heap_cap * sizeof *heap);
    for (;;) {
        double D, cost;

        for (uint32_t v = 0; v < n; v++) {
            dist[v] = INFINITY;
            done[v] = 0;
        }
        dist[src] = 0;
        hn = 0;
        heap_push(heap, &hn, 0, src);
        while (hn > 0) {
            struct heap_node t = heap_pop(heap, &hn);

            if (done[t.v])
                continue;
            done[t.v] = 1;
            if (t.v == sink)
                break;
            for (uint32_t i = g.head[t.v]; i < g.head[t.v + 1]; i++) {
                struct arc *ar = &g.arcs[i];
                double rc, nd;

                if (ar->cap <= 0 || done[ar->to])
                    continue;
                rc = ar->cost + pot[t.v] - pot[ar->to];
                if (rc < 0)
                    rc = 0;     /* rounding noise on a tight arc */
                nd = t.d + rc;
                if (nd < dist[ar->to]) {
                    dist[ar->to] = nd;
                    par[ar->to] = i;
                    heap_push(heap, &hn, nd, ar->to);
                }
            }
        }
        if (!done[sink])
            break;
        D = dist[sink];
        cost = D - pot[src] + pot[sink];
        if (cost >= -1e-12 * (pr->vmax > 1 ? pr->vmax : 1))
            break;              /* no path improves the objective */
        for (uint32_t v = sink; v != src;) {
            struct arc *ar = &g.arcs[par[v]];

            ar->cap--;
            g.arcs[ar->rev].cap++;
            v = g.arcs[ar->rev].to;
        }
        for (uint32_t v = 0; v < n; v++)
            pot[v] += done[v] && dist[v] < D ? dist[v] : D;
    }

    sel = xcalloc(c->n ? c->n : 1, 1);
    for (uint32_t k = 0; k < K; k++) {
        for (uint32_t i = g.head[1 + k]; i < g.head[2 + k]; i++) {
            struct arc *ar = &g.arcs[i];

            if (ar->to > K && ar->to < sink && ar->cap == 0
                && ar->cost < 0)
                sel[ar->edge] = 1;
        }
    }
    a = build_result(pr, sel);
    free(sel);
    free(heap);
    free(done);
    free(par);
    free(dist);
    free(pot);
    free(g.arcs);
    free(g.fill);
    free(g.head);
    return a;
}

int
assign_run(const struct cands *c, uint32_t n_users, const uint16_t *cap,
           const uint8_t *eligible, const struct assign_params *params,
           struct assign **out, struct diag *d)
{
    struct prep pr;

    *out = NULL;
    if (prep_init(&pr, c, n_users, cap, eligible, params, d) < 0) {
        prep_release(&pr);
        return -1;
    }
    if (params->method == ASSIGN_EXACT
        && (c->n_items + (size_t)n_users + 2 > UINT32_MAX / 2
            || pr.n_usable > UINT32_MAX / 4)) {
        prep_release(&pr);
        return diag_set(d, RC_DATA, "assignment: instance too large for "
                        "the exact solver");
    }
    switch (params->method) {
    case ASSIGN_AUCTION:
    case ASSIGN_GREEDY:       *out = global_run(&pr, params); break;
    case ASSIGN_GREEDY_ITEMS: *out = greedy_items(&pr); break;
    case ASSIGN_EXACT:        *out = exact_run(&pr); break;
    default:
        prep_release(&pr);
        return diag_set(d, RC_DATA, "assignment: unknown method %d",
                        (int)params->method);
    }
    prep_release(&pr);
    return 0;
}

int
assign_check(const struct cands *c, uint32_t n_users, const uint16_t *cap,
             const uint8_t *eligible, const struct assign_params *params,
             const struct assign *a, struct diag *d)
{
    uint32_t *cnt;
    size_t full = 0, empty = 0;
    int rc = 0;

    if (a->n_items != c->n_items || a->n_users != n_users
        || a->off[0] != 0 || a->off[a->n_items] != a->n)
        return diag_set(d, RC_INTERNAL, "assignment: bad shape");
    cnt = xcalloc(n_users ? n_users : 1, sizeof *cnt);
    for (size_t k = 0; k < a->n_items && rc == 0; k++) {
        size_t m = a->off[k + 1] - a->off[k];

        if (m > params->L) {
            rc = diag_set(d, RC_INTERNAL, "assignment: item %zu has %zu "
                          "users (L = %u)", k, m, params->L);
            break;
        }
        full += m == params->L;
        empty += m == 0;
        for (size_t j = a->off[k]; j < a->off[k + 1]; j++) {
            size_t e = a->edge[j];
            uint32_t u;

            if (e < c->off[k] || e >= c->off[k + 1]) {
                rc = diag_set(d, RC_INTERNAL, "assignment: item %zu holds "
                              "entry %zu of another item", k, e);
                break;
            }
            u = c->user[e];
            if (u >= n_users || (eligible != NULL && !eligible[u])
                || !isfinite(c->score[e])) {
                rc = diag_set(d, RC_INTERNAL, "assignment: item %zu holds "
                              "unusable user %u", k, u);
                break;
            }
            if (j > a->off[k]) {
                size_t p = a->edge[j - 1];

                if (c->score[p] < c->score[e]
                    || (c->score[p] == c->score[e] && c->user[p] >= u)) {
                    rc = diag_set(d, RC_INTERNAL, "assignment: item %zu "
                                  "out of rank order at %zu", k, j);
                    break;
                }
            }
            cnt[u]++;
        }
    }
    for (uint32_t u = 0; u < n_users && rc == 0; u++) {
        if (cnt[u] > cap[u])
            rc = diag_set(d, RC_INTERNAL, "assignment: user %u has %u "
                          "items (capacity %u)", u, cnt[u], cap[u]);
        else if (cnt[u] != a->user_items[u])
            rc = diag_set(d, RC_INTERNAL, "assignment: user %u count %u, "
                          "recorded %u", u, cnt[u], a->user_items[u]);
    }
    if (rc == 0 && (full != a->n_full || empty != a->n_empty))
        rc = diag_set(d, RC_INTERNAL, "assignment: full/empty counts "
                      "%zu/%zu, recorded %zu/%zu", full, empty, a->n_full,
                      a->n_empty);
    free(cnt);
    return rc;
}

void
assign_user_histogram(const struct assign *a, const uint8_t *eligible,
                      size_t *hist, size_t n_hist)
{
    memset(hist, 0, n_hist * sizeof *hist);
    if (n_hist == 0)
        return;
    for (uint32_t u = 0; u < a->n_users; u++) {
        uint32_t m = a->user_items[u];

        if (eligible != NULL && !eligible[u])
            continue;
        hist[m < n_hist - 1 ? m : n_hist - 1]++;
    }
}
