/*
 * match.c -- the dualrec-match stage (see match.h): inputs are loaded and
 * checked before anything is written; every later step works on dense
 * indices; external ids appear only in the outputs.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomicfile.h"
#include "avail.h"
#include "dates.h"
#include "layout.h"
#include "match.h"
#include "outtable.h"
#include "publish.h"
#include "rank.h"
#include "targets.h"
#include "tower.h"
#include "xmem.h"

const char *const match_step_names[MS_N_STEPS] = {
    "load", "targets", "retrieval", "ranking", "assignment", "output"
};

void
match_default_opts(struct match_opts *o)
{
    memset(o, 0, sizeof *o);
    o->window_days = 30;
    o->long_tail_max = TARGETS_LONG_TAIL_MAX;
    o->long_tail_auto = 1;
    o->long_tail_budget = TARGETS_BUDGET_ALL;
    o->long_tail_over = TARGETS_LONG_TAIL_OVER;
    o->slice_lo = o->slice_hi = -1;
    o->redis_prefix = "dualrec";
    o->new_first = 1;
    o->min_cap_ratio = 0.25;
    o->assign = assign_default_params();
    o->channels = channels_default_params();
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void
match_slice_mask(const float *hourly, uint32_t n_users, int lo, int hi,
                 uint8_t *mask)
{
    for (uint32_t u = 0; u < n_users; u++) {
        const float *h = hourly + (size_t)u * 24;
        int peak = 0, in;

        for (int j = 1; j < 24; j++) {
            if (h[j] > h[peak])
                peak = j;
        }
        in = lo <= hi ? peak >= lo && peak < hi : peak >= lo || peak < hi;
        if (!in)
            mask[u] = 0;
    }
}

/* Everything loaded by the stage, released in one place. */
struct run {
    struct tower *tower;
    struct rank_model *rank;
    struct avail *avail;
    struct window *w;
    struct rank_context *ctx;
    struct targets tg;
    uint32_t n_users;
    uint8_t *eligible;
    uint16_t *cap;
    float *p_active;
    struct cands *c;
    struct assign *a;
    const char **user_names, **item_names;
};

static void
run_release(struct run *x)
{
    tower_free(x->tower);
    rank_free(x->rank);
    avail_free(x->avail);
    rank_context_free(x->ctx);
    window_free(x->w);
    targets_release(&x->tg);
    free(x->eligible);
    free(x->cap);
    free(x->p_active);
    cands_free(x->c);
    assign_free(x->a);
    free(x->user_names);
    free(x->item_names);
}

static int
load_inputs(const struct match_opts *o, struct run *x, struct diag *d)
{
    char want[16], got[16];

    if (tower_load(o->tower_path, &x->tower, d) < 0
        || rank_load(o->rank_path, &x->rank, d) < 0
        || avail_load(o->avail_path, &x->avail, d) < 0)
        return -1;
    if (x->avail->day != o->day + 1)
        return diag_set(d, RC_DATA, "%s: availability is for %s, expected "
                        "%s", o->avail_path,
                        dates_format_day(x->avail->day, got),
                        dates_format_day(o->day + 1, want));
    if (window_open(o->segroot, o->day, o->window_days, WINDOW_LAZY, &x->w, d) < 0)
        return -1;
    return 0;
}

/* a_u, Q_u and p_active over the window's users (users the availability
 * table does not know are not available). */
static void
build_users(const struct match_opts *o, struct run *x,
            struct match_report *r)
{
    uint32_t nu = iddict_count(x->w->users), na = x->avail->n_users;

    x->n_users = nu;
    x->eligible = xcalloc(nu ? nu : 1, 1);
    x->cap = xcalloc(nu ? nu : 1, sizeof *x->cap);
    x->p_active = xcalloc(nu ? nu : 1, sizeof *x->p_active);
    for (uint32_t u = 0; u < nu && u < na; u++) {
        x->eligible[u] = x->avail->active[u] && x->avail->cap[u] > 0;
        x->cap[u] = x->avail->cap[u];
        x->p_active[u] = x->avail->p_active[u];
    }
    if (o->slice_lo >= 0)
        match_slice_mask(x->avail->hourly, nu < na ? nu : na, o->slice_lo,
                         o->slice_hi, x->eligible);
    r->n_users = nu;
    r->n_eligible = 0;
    r->cap_supply = 0;
    for (uint32_t u = 0; u < nu; u++) {
        r->n_eligible += x->eligible[u];
        if (x->eligible[u])
            r->cap_supply += x->cap[u];
    }
}

static void
names_of(struct run *x)
{
    uint32_t nu = iddict_count(x->w->users), ni = iddict_count(x->w->items);

    x->user_names = xmalloc((nu ? nu : 1) * sizeof *x->user_names);
    x->item_names = xmalloc((ni ? ni : 1) * sizeof *x->item_names);
    for (uint32_t u = 0; u < nu; u++)
        x->user_names[u] = iddict_name(x->w->users, u);
    for (uint32_t i = 0; i < ni; i++)
        x->item_names[i] = iddict_name(x->w->items, i);
}

static struct outtable_src
src_of(const struct run *x)
{
    struct outtable_src s;

    s.c = x->c;
    s.a = x->a;
    s.user_names = x->user_names;
    s.item_names = x->item_names;
    s.p_active = x->p_active;
    return s;
}

static int
write_table(struct publish *p, const char *name, const char *header,
            int level, const struct outtable_src *src, int item_users,
            struct diag *d)
{
    char *path = publish_path(p, name);
    struct outtable *t;
    struct outtable_stats st;
    int rc;

    rc = outtable_open(path, header, level, &t, d);
    free(path);
    if (rc < 0)
        return -1;
    rc = item_users ? outtable_item_users(t, src, d)
                    : outtable_user_items(t, src, d);
    if (rc < 0) {
        outtable_abort(t);
        return -1;
    }
    if (outtable_close(t, &st, d) < 0)
        return -1;
    publish_add_table(p, name, &st);
    return 0;
}

static void
param_u(struct publish *p, const char *key, unsigned long long v)
{
    char buf[32];

    snprintf(buf, sizeof buf, "%llu", v);
    publish_add_param(p, key, buf);
}

static void
stat_u(struct publish *p, const char *key, unsigned long long v)
{
    char buf[32];

    snprintf(buf, sizeof buf, "%llu", v);
    publish_add_stat(p, key, buf);
}

static void
stat_g(struct publish *p, const char *key, double v)
{
    char buf[32];

    snprintf(buf, sizeof buf, "%.9g", v);
    publish_add_stat(p, key, buf);
}

/* The manifest's parameters, summary and input fingerprints. */
static int
describe(const struct match_opts *o, const struct run *x,
         const struct match_report *r, struct publish *p, struct diag *d)
{
    char buf[64];
    const char *kinds[] = { "users", "items", "creators", "tags" };

    dates_format_day(o->day, buf);
    publish_add_param(p, "date", buf);
    param_u(p, "window_days", (unsigned long long)o->window_days);
    publish_add_param(p, "targets", o->targets_path ? o->targets_path
                                                     : "window");
    param_u(p, "long_tail_max", o->long_tail_max);
    if (o->long_tail_auto)
        publish_add_param(p, "long_tail_budget", "auto");
    else if (o->long_tail_budget == TARGETS_BUDGET_ALL)
        publish_add_param(p, "long_tail_budget", "all");
    else
        param_u(p, "long_tail_budget", o->long_tail_budget);
    snprintf(buf, sizeof buf, "%g", o->long_tail_over);
    publish_add_param(p, "long_tail_over", buf);
    if (o->slice_lo >= 0) {
        snprintf(buf, sizeof buf, "%02d-%02d", o->slice_lo, o->slice_hi);
        publish_add_param(p, "slice", buf);
    } else {
        publish_add_param(p, "slice", "-");
    }
    param_u(p, "L", o->assign.L);
    publish_add_param(p, "method", assign_method_name(o->assign.method));
    snprintf(buf, sizeof buf, "%g", o->assign.fill_bonus);
    publish_add_param(p, "fill_bonus", buf);
    snprintf(buf, sizeof buf, "%g", o->assign.eps_rel);
    publish_add_param(p, "eps_rel", buf);
    param_u(p, "max_rounds", o->assign.max_rounds);
    param_u(p, "min_audience", o->assign.min_audience);
    param_u(p, "candidates_per_item", o->channels.k);
    snprintf(buf, sizeof buf, "0x%x", o->channels.enabled);
    publish_add_param(p, "channels", buf);

    stat_u(p, "targets", r->n_targets);
    stat_u(p, "targets_new", r->n_new);
    stat_u(p, "targets_long_tail", r->n_long_tail);
    stat_u(p, "targets_long_tail_eligible", r->n_long_tail_eligible);
    if (r->long_tail_budget == TARGETS_BUDGET_ALL)
        publish_add_stat(p, "long_tail_budget_applied", "all");
    else
        stat_u(p, "long_tail_budget_applied", r->long_tail_budget);
    stat_u(p, "long_tail_capacity", r->long_tail_capacity);
    stat_u(p, "targets_unknown", r->n_unknown);
    stat_u(p, "users", r->n_users);
    stat_u(p, "users_eligible", r->n_eligible);
    stat_u(p, "candidates", r->n_cands);
    stat_u(p, "pairs", r->assign.pairs);
    stat_u(p, "items_full", r->assign.full);
    stat_u(p, "items_empty", r->assign.empty);
    stat_u(p, "users_matched", r->assign.users_matched);
    stat_g(p, "score_sum", r->assign.score_sum);
    stat_g(p, "objective", r->assign.objective);
    stat_u(p, "auction_rounds", r->assign.rounds);
    stat_g(p, "targets_empty_share",
           r->n_targets ? (double)r->assign.empty / (double)r->n_targets : 0);
    stat_u(p, "targets_empty_no_candidates", r->empty_no_cands);
    stat_u(p, "capacity_eligible", r->cap_eligible);
    stat_u(p, "segments_before_window", r->segments_before_window);
    publish_add_param(p, "empty_cause", r->empty_cause[0] ? r->empty_cause
                                                          : "-");
    stat_u(p, "capacity_supply", r->cap_supply);
    stat_u(p, "capacity_demand", r->cap_demand);
    stat_u(p, "capacity_reachable", r->cap_reachable);
    stat_g(p, "capacity_ratio", r->cap_ratio);

    if (publish_add_input(p, "tower", o->tower_path, d) < 0
        || publish_add_input(p, "rank", o->rank_path, d) < 0
        || publish_add_input(p, "avail", o->avail_path, d) < 0)
        return -1;
    for (int k = 0; k < 4; k++) {
        char *path = segment_dict_path(o->segroot, kinds[k]);
        int rc = publish_add_input(p, "dict", path, d);

        free(path);
        if (rc < 0)
            return -1;
    }
    for (int k = 0; k < x->w->n_days; k++) {
        char *path;
        int rc;

        if (x->w->seg[k] == NULL)
            continue;
        path = segment_path(o->segroot, x->w->first_day + k);
        rc = publish_add_input(p, "segment", path, d);
        free(path);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int
publish_all(const struct match_opts *o, const struct run *x,
            struct match_report *r, struct diag *d)
{
    struct outtable_src src = src_of(x);
    struct publish *p;

    if (publish_begin(o->outroot, o->day, &p, d) < 0)
        return -1;
    if (write_table(p, LAYOUT_ITEM_USERS, OUTTABLE_ITEM_USERS_HEADER,
                    o->zstd_level, &src, 1, d) < 0
        || write_table(p, LAYOUT_USER_ITEMS, OUTTABLE_USER_ITEMS_HEADER,
                       o->zstd_level, &src, 0, d) < 0
        || describe(o, x, r, p, d) < 0) {
        publish_abort(p);
        return -1;
    }
    snprintf(r->final_dir, sizeof r->final_dir, "%s",
             publish_final_dir(p));
    if (publish_commit(p, d) < 0)
        return -1;
    r->published = 1;
    return 0;
}

static int
write_redis(const struct match_opts *o, const struct run *x,
            struct diag *d)
{
    struct outtable_src src = src_of(x);
    struct atomicfile af;
    char dt[LAYOUT_DT_SIZE];

    layout_dt(o->day, dt);
    if (strcmp(o->redis_path, "-") == 0)
        return outtable_redis(stdout, "<stdout>", &src, o->redis_prefix, dt,
                              o->redis_ttl, d);
    if (atomicfile_open(&af, o->redis_path, d) < 0)
        return -1;
    if (outtable_redis(af.fp, o->redis_path, &src, o->redis_prefix, dt,
                       o->redis_ttl, d) < 0) {
        atomicfile_abort(&af);
        return -1;
    }
    return atomicfile_commit(&af, d);
}

static int
write_stdout(const struct run *x, struct diag *d)
{
    struct outtable_src src = src_of(x);
    struct outtable *t;

    if (outtable_open_stream(stdout, "<stdout>", OUTTABLE_ITEM_USERS_HEADER,
                             &t, d) < 0)
        return -1;
    if (outtable_item_users(t, &src, d) < 0) {
        outtable_abort(t);
        return -1;
    }
    return outtable_close(t, NULL, d);
}

/*
 * Most targets empty: say why.  No eligible user at all (UAC), targets
 * that no channel found a candidate for, or eligible users whose
 * capacity ran out.  The share is over the targets; "most" is more than
 * half.
 */
static void
explain_empty(const struct run *x, struct match_report *r)
{
    size_t empty = x->a->n_empty, n = x->tg.n;

    r->empty_no_cands = 0;
    r->cap_eligible = 0;
    for (size_t k = 0; k < x->c->n_items; k++)
        r->empty_no_cands += x->c->off[k + 1] == x->c->off[k];
    for (uint32_t u = 0; u < x->n_users; u++)
        if (x->eligible[u])
            r->cap_eligible += x->cap[u];
    r->empty_cause[0] = '\0';
    if (n == 0) {
        snprintf(r->empty_cause, sizeof r->empty_cause,
                 "no targets: no item uploaded on the day or long-tail with "
                 "an items row (creator or upload time); give --targets FILE");
        return;
    }
    if (2 * empty <= n)
        return;
    if (r->n_eligible == 0)
        snprintf(r->empty_cause, sizeof r->empty_cause,
                 "no available users: UAC predicts none of the %u users "
                 "active tomorrow (dualrec-uac --target-recall or "
                 "--threshold)", r->n_users);
    else if (2 * r->empty_no_cands > empty)
        snprintf(r->empty_cause, sizeof r->empty_cause,
                 "no candidates: %zu of the %zu empty targets have no "
                 "candidate among the %u available users (no engagers, no "
                 "features, or too little history in the window)",
                 r->empty_no_cands, empty, r->n_eligible);
    else
        snprintf(r->empty_cause, sizeof r->empty_cause,
                 "no capacity: the %u available users take %llu items in "
                 "all for %zu targets (capacities from the availability "
                 "table: run_daily.sh --Q N or dualrec-uac --cap-min N "
                 "raise them)", r->n_eligible,
                 (unsigned long long)r->cap_eligible, n);
}

/* Day segments (dt=YYYY-MM-DD folders) older than day first. */
static uint32_t
segments_before(const char *segroot, int32_t first)
{
    DIR *dir = opendir(segroot);
    struct dirent *e;
    uint32_t n = 0;

    if (dir == NULL)
        return 0;
    while ((e = readdir(dir)) != NULL) {
        int32_t day;

        if (layout_parse_dt(e->d_name, &day) == 0 && day < first)
            n++;
    }
    closedir(dir);
    return n;
}

/*
 * One market: retrieval among the users marked in elig, ranking and
 * assignment with capacities cap, for n target items (ascending).  The
 * step times add up over the markets of a run.
 */
static int
market_run(const struct match_opts *o, struct run *x, const uint32_t *items,
           size_t n, const uint8_t *elig, const uint16_t *cap,
           struct cands **c, struct assign **a, struct match_report *r,
           struct diag *d)
{
    double t = now();

    if (n == 0)
        *c = cands_new(0, 0);
    else if (channels_generate(x->w, x->tower, &o->channels, items, n, elig,
                               c, d) < 0)
        return -1;
    r->seconds[MS_RETRIEVAL] += now() - t;

    t = now();
    if ((*c)->n > 0
        && ((x->ctx == NULL
             && rank_context_build(x->rank, x->w, x->tower, &x->ctx, d) < 0)
            || rank_score_cands(x->rank, x->ctx, *c, d) < 0))
        return -1;
    r->seconds[MS_RANKING] += now() - t;

    t = now();
    if (assign_run(*c, x->n_users, cap, elig, &o->assign, a, d) < 0)
        return -1;
    r->seconds[MS_ASSIGN] += now() - t;
    return 0;
}

/* Entry e of c copied to entry j of dst. */
static void
cands_copy_entry(struct cands *dst, size_t j, const struct cands *c,
                 size_t e)
{
    dst->user[j] = c->user[e];
    dst->channels[j] = c->channels[e];
    dst->retr[j] = c->retr[e];
    dst->score[j] = c->score[e];
    memcpy(dst->p + j * CANDS_N_TASKS, c->p + e * CANDS_N_TASKS,
           CANDS_N_TASKS * sizeof *dst->p);
}

/*
 * The two markets' tables and assignments (items disjoint, each
 * ascending) as one of each, items ascending, into x->c and x->a: what the
 * outputs and the check read.
 */
static void
join_markets(struct run *x, struct cands *c[2], struct assign *sa[2])
{
    size_t ni = c[0]->n_items + c[1]->n_items, n = c[0]->n + c[1]->n;
    size_t q[2] = { 0, 0 }, j = 0, np = 0;
    struct cands *jc = cands_new(ni, n);
    struct assign *a = xcalloc(1, sizeof *a);

    a->n_items = ni;
    a->off = xcalloc(ni + 1, sizeof *a->off);
    a->n = sa[0]->n + sa[1]->n;
    a->edge = xmalloc((a->n ? a->n : 1) * sizeof *a->edge);
    a->n_users = x->n_users;
    a->user_items = xcalloc(x->n_users ? x->n_users : 1,
                            sizeof *a->user_items);
    for (size_t k = 0; k < ni; k++) {
        int t = q[0] == c[0]->n_items
                || (q[1] < c[1]->n_items
                    && c[1]->items[q[1]] < c[0]->items[q[0]]);
        size_t i = q[t]++, base = j;

        jc->items[k] = c[t]->items[i];
        for (size_t e = c[t]->off[i]; e < c[t]->off[i + 1]; e++)
            cands_copy_entry(jc, j++, c[t], e);
        jc->off[k + 1] = j;
        for (size_t p = sa[t]->off[i]; p < sa[t]->off[i + 1]; p++)
            a->edge[np++] = base + (sa[t]->edge[p] - c[t]->off[i]);
        a->off[k + 1] = np;
    }
    jc->n = j;
    a->converged = 1;
    for (int t = 0; t < 2; t++) {
        for (uint32_t u = 0; u < x->n_users; u++)
            a->user_items[u] += sa[t]->user_items[u];
        a->n_full += sa[t]->n_full;
        a->n_empty += sa[t]->n_empty;
        a->n_usable += sa[t]->n_usable;
        a->objective += sa[t]->objective;
        a->score_sum += sa[t]->score_sum;
        a->rounds += sa[t]->rounds;
        a->converged = a->converged && sa[t]->converged;
    }
    a->value_shift = sa[0]->value_shift;
    x->c = jc;
    x->a = a;
}

/* The targets with long_tail[k] == want, ascending (new array). */
static uint32_t *
targets_of(const struct targets *tg, int want, size_t *n)
{
    uint32_t *v = xmalloc((tg->n ? tg->n : 1) * sizeof *v);

    *n = 0;
    for (size_t k = 0; k < tg->n; k++)
        if (tg->long_tail[k] == want)
            v[(*n)++] = tg->item[k];
    return v;
}

/*
 * Uploads of D first (--new-first 1, window rule): the day's uploads are
 * retrieved, ranked and assigned with the whole capacity; the long-tail
 * budget is then what their assignment left (pairs, turned into targets),
 * and only the budget's long-tail targets are retrieved, among the users
 * with capacity left, and assigned with it.  Long-tail items are many
 * (every described item with few exposures) and each is worth little: in
 * one market they took most of the capacity the day's uploads needed, and
 * retrieving them all cost 99% of the stage for pairs nobody could take.
 */
static int
run_markets(const struct match_opts *o, struct run *x,
            struct match_report *r, struct diag *d)
{
    struct cands *c[2] = { NULL, NULL };
    struct assign *a[2] = { NULL, NULL };
    uint16_t *cap2 = xmalloc((x->n_users ? x->n_users : 1) * sizeof *cap2);
    uint8_t *elig2 = xmalloc(x->n_users ? x->n_users : 1);
    uint32_t *items;
    size_t n;
    int rc;

    items = targets_of(&x->tg, 0, &n);
    rc = market_run(o, x, items, n, x->eligible, x->cap, &c[0], &a[0], r, d);
    free(items);
    if (rc == 0) {
        r->long_tail_capacity = 0;
        for (uint32_t u = 0; u < x->n_users; u++) {
            cap2[u] = (uint16_t)(x->cap[u] - a[0]->user_items[u]);
            elig2[u] = x->eligible[u] && cap2[u] > 0;
            if (elig2[u])
                r->long_tail_capacity += cap2[u];
        }
        r->long_tail_budget = o->long_tail_auto
            ? targets_long_tail_budget(r->long_tail_capacity, 0,
                                       o->assign.L, o->long_tail_over)
            : o->long_tail_budget;
        targets_limit_long_tail(&x->tg, r->long_tail_budget, o->day);
        items = targets_of(&x->tg, 1, &n);
        rc = market_run(o, x, items, n, elig2, cap2, &c[1], &a[1], r, d);
        free(items);
    }
    if (rc == 0)
        join_markets(x, c, a);
    for (int t = 0; t < 2; t++) {
        assign_free(a[t]);
        cands_free(c[t]);
    }
    free(cap2);
    free(elig2);
    return rc;
}

/*
 * One market for all targets (--new-first 0, an explicit list, or no
 * uploads or no long tail): the long-tail budget (window rule) is decided
 * before retrieval, from the capacity left after L x the day's uploads.
 */
static int
run_one_market(const struct match_opts *o, struct run *x,
               struct match_report *r, struct diag *d)
{
    if (o->targets_path == NULL) {
        uint64_t need = (uint64_t)o->assign.L * x->tg.n_new;

        r->long_tail_capacity = r->cap_supply > need ? r->cap_supply - need
                                                     : 0;
        r->long_tail_budget = o->long_tail_auto
            ? targets_long_tail_budget(r->cap_supply, x->tg.n_new,
                                       o->assign.L, o->long_tail_over)
            : o->long_tail_budget;
        targets_limit_long_tail(&x->tg, r->long_tail_budget, o->day);
    }
    return market_run(o, x, x->tg.item, x->tg.n, x->eligible, x->cap, &x->c,
                      &x->a, r, d);
}

/*
 * Every scored candidate as plain TSV (a header row, then `item user
 * score p_click p_like p_comment p_follow`), in the order of the candidate table (items in target order,
 * users as retrieval listed them): what the oracle evaluation needs to
 * tell retrieval losses from ranking and matching losses.
 */
static int
write_cands(const char *path, const struct run *x, struct diag *d)
{
    static const int task[4] = { TASK_CLICK, TASK_LIKE, TASK_COMMENT,
                                 TASK_FOLLOW };
    const struct cands *c = x->c;
    struct bbuf row = BBUF_INIT;
    struct atomicfile af;
    char num[32];
    int ok = 1;

    if (atomicfile_open(&af, path, d) < 0)
        return -1;
    fputs("item\tuser\tscore\tp_click\tp_like\tp_comment\tp_follow\n",
          af.fp);
    for (size_t k = 0; k < c->n_items && ok; k++) {
        for (size_t e = c->off[k]; e < c->off[k + 1]; e++) {
            row.len = 0;
            outtable_put_id(&row, x->item_names[c->items[k]]);
            bbuf_put_u8(&row, '\t');
            outtable_put_id(&row, x->user_names[c->user[e]]);
            snprintf(num, sizeof num, "\t%.6g", (double)c->score[e]);
            bbuf_put(&row, num, strlen(num));
            for (int j = 0; j < 4; j++) {
                snprintf(num, sizeof num, "\t%.6g",
                         (double)c->p[e * CANDS_N_TASKS + task[j]]);
                bbuf_put(&row, num, strlen(num));
            }
            bbuf_put_u8(&row, '\n');
            if (fwrite(row.p, 1, row.len, af.fp) != row.len) {
                ok = 0;
                break;
            }
        }
    }
    bbuf_release(&row);
    if (!ok) {
        atomicfile_abort(&af);
        return diag_set(d, RC_IO, "%s: write failed", path);
    }
    return atomicfile_commit(&af, d);
}

static int
run_steps(const struct match_opts *o, struct run *x, struct match_report *r,
          struct diag *d)
{
    double t = now();

    if (load_inputs(o, x, d) < 0)
        return -1;
    build_users(o, x, r);
    r->seconds[MS_LOAD] = now() - t;

    t = now();
    if (o->targets_path != NULL) {
        if (targets_file(&x->tg, o->targets_path, x->w->items,
                         x->w->cat.n_items, d) < 0)
            return -1;
        r->n_unknown = x->tg.n_unknown;
        snprintf(r->unknown_example, sizeof r->unknown_example, "%s",
                 x->tg.unknown_example);
    } else {
        if (targets_window(&x->tg, x->w, o->day, o->long_tail_max, d) < 0)
            return -1;
    }
    r->seconds[MS_TARGETS] = now() - t;

    if (o->new_first && o->targets_path == NULL && x->tg.n_new > 0
        && x->tg.n_long_tail > 0) {
        if (run_markets(o, x, r, d) < 0)
            return -1;
    } else if (run_one_market(o, x, r, d) < 0) {
        return -1;
    }
    r->n_new = x->tg.n_new;
    r->n_long_tail = x->tg.n_long_tail;
    r->n_long_tail_eligible = x->tg.n_long_tail_eligible;
    r->n_targets = x->tg.n;
    r->n_cands = x->c->n;

    t = now();
    if (assign_check(x->c, x->n_users, x->cap, x->eligible, &o->assign,
                        x->a, d) < 0)
        return -1;
    r->cap_demand = (uint64_t)o->assign.L
                    * (o->targets_path == NULL ? r->n_new : r->n_targets);
    r->cap_reachable = (uint64_t)MATCH_CAP_REF * x->n_users;
    if (r->cap_demand < r->cap_reachable)
        r->cap_reachable = r->cap_demand;
    r->cap_ratio = r->cap_reachable > 0 ? (double)r->cap_supply
                                          / (double)r->cap_reachable
                                        : INFINITY;
    r->assign.pairs = x->a->n;
    r->assign.full = x->a->n_full;
    r->assign.empty = x->a->n_empty;
    r->assign.objective = x->a->objective;
    r->assign.score_sum = x->a->score_sum;
    r->assign.rounds = x->a->rounds;
    r->assign.converged = x->a->converged;
    for (uint32_t u = 0; u < x->n_users; u++)
        r->assign.users_matched += x->a->user_items[u] > 0;
    assign_user_histogram(x->a, x->eligible, r->hist, 12);
    explain_empty(x, r);
    r->segments_before_window = segments_before(o->segroot,
                                                x->w->first_day);
    r->seconds[MS_ASSIGN] += now() - t;

    t = now();
    names_of(x);
    if (o->outroot != NULL && publish_all(o, x, r, d) < 0)
        return -1;
    if (o->to_stdout && write_stdout(x, d) < 0)
        return -1;
    if (o->redis_path != NULL && write_redis(o, x, d) < 0)
        return -1;
    if (o->cands_path != NULL && write_cands(o->cands_path, x, d) < 0)
        return -1;
    r->seconds[MS_OUTPUT] = now() - t;
    return 0;
}

int
match_run(const struct match_opts *o, struct match_report *r,
          struct diag *d)
{
    struct run x;
    int rc;

    memset(&x, 0, sizeof x);
    memset(r, 0, sizeof *r);
    rc = run_steps(o, &x, r, d);
    run_release(&x);
    return rc;
}
