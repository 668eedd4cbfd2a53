/*
 * sim.c -- the delivery simulator of sim.h: push lists from published
 * tables, one simulated day per policy on common random numbers, and the
 * comparison table.
 *
 * Memory: per policy a few counters per item, user and creator of the
 * world, reused across policies; the push lists themselves (8 bytes per
 * pushed pair).  The world's day simulation streams events to sim_sink in
 * a fixed order, so every count is deterministic for any thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "iddict.h"
#include "outtable.h"
#include "sim.h"
#include "xmem.h"

#define EXPLICIT_FB (WG_LIKE | WG_COMMENT | WG_FOLLOW | WG_SHARE)

static const uint32_t reach_at[3] = { 1, 10, 100 };

/* ---- policies -------------------------------------------------------------- */

struct push_row {
    uint32_t user, rank, item;
};

static int
push_row_cmp(const void *a, const void *b)
{
    const struct push_row *x = a, *y = b;

    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->item < y->item ? -1 : x->item > y->item;
}

void
sim_policy_none(struct sim_policy *out, const char *name, const char *desc)
{
    memset(out, 0, sizeof *out);
    out->name = xstrdup(name);
    out->desc = xstrdup(desc);
}

int
sim_policy_load(const char *path, const struct worldgen *w, const char *name,
                const char *desc, struct sim_policy *out, struct diag *d)
{
    uint32_t nu = worldgen_params(w)->n_users, ni = worldgen_n_items(w);
    struct push_row *rows = NULL;
    size_t n_rows = 0, cap = 0;
    struct outtable_reader r;
    const char *f[5];
    size_t fl[5];
    int got = 0, rc = 0;

    memset(out, 0, sizeof *out);
    if (outtable_reader_open(&r, path, OUTTABLE_USER_ITEMS_HEADER,
                             "a user->items", 5, d) < 0)
        return -1;
    while (rc == 0 && (got = outtable_reader_next(&r, f, fl, d)) == 1) {
        char id[IDDICT_MAX_ID_LEN + 1], *rank_end;
        uint32_t user, item;
        unsigned long rank;

        outtable_unescape(f[0], fl[0], id, sizeof id);
        if (worldgen_parse_id(id, 'u', &user) < 0 || user >= nu) {
            rc = diag_set(d, RC_DATA, "%s:%zu: user not in the world '%s'",
                          path, r.line, id);
            break;
        }
        outtable_unescape(f[2], fl[2], id, sizeof id);
        if (worldgen_parse_id(id, 'i', &item) < 0 || item >= ni) {
            rc = diag_set(d, RC_DATA, "%s:%zu: item not in the world '%s'",
                          path, r.line, id);
            break;
        }
        rank = strtoul(f[1], &rank_end, 10);
        if (rank_end != f[1] + fl[1] || fl[1] == 0 || rank == 0
            || rank > UINT32_MAX) {
            outtable_unescape(f[1], fl[1], id, sizeof id);
            rc = diag_set(d, RC_DATA, "%s:%zu: bad rank '%s'", path,
                          r.line, id);
            break;
        }
        rows = xgrow(rows, &cap, n_rows + 1, sizeof *rows);
        rows[n_rows].user = user;
        rows[n_rows].rank = (uint32_t)rank;
        rows[n_rows].item = item;
        n_rows++;
    }
    outtable_reader_close(&r);
    if (rc < 0 || got < 0) {
        free(rows);
        return -1;
    }
    qsort(rows, n_rows, sizeof *rows, push_row_cmp);
    out->name = xstrdup(name);
    out->desc = xstrdup(desc);
    out->has_push = 1;
    out->n_users = nu;
    out->off = xcalloc((size_t)nu + 1, sizeof *out->off);
    out->items = xmalloc((n_rows ? n_rows : 1) * sizeof *out->items);
    for (size_t k = 0; k < n_rows; k++) {
        out->off[rows[k].user + 1]++;
        out->items[k] = rows[k].item;
    }
    for (uint32_t u = 0; u < nu; u++)
        out->off[u + 1] += out->off[u];
    free(rows);
    return 0;
}

void
sim_policy_release(struct sim_policy *p)
{
    if (p == NULL)
        return;
    free(p->name);
    free(p->desc);
    free(p->off);
    free(p->items);
    memset(p, 0, sizeof *p);
}

/* ---- simulation ------------------------------------------------------------ */

struct sink_state {
    uint32_t *item_imp, *item_expl, *user_shown;
    uint64_t n_imp, n_explicit, n_click, n_pushed, n_pushed_expl;
};

static int
sim_sink(void *arg, const struct worldgen_event *ev, size_t n,
         struct diag *d)
{
    struct sink_state *s = arg;

    (void)d;
    for (size_t k = 0; k < n; k++) {
        const struct worldgen_event *e = &ev[k];
        int expl = (e->fb & EXPLICIT_FB) != 0;

        s->item_imp[e->item]++;
        s->item_expl[e->item] += (uint32_t)expl;
        s->n_imp++;
        s->n_explicit += (uint64_t)expl;
        s->n_click += (e->fb & WG_CLICK) != 0;
        if (e->fb & WG_PUSHED) {
            s->user_shown[e->user]++;
            s->n_pushed++;
            s->n_pushed_expl += (uint64_t)expl;
        }
    }
    return 0;
}

static void
hist_add(uint64_t *hist, uint32_t v)
{
    hist[v < SIM_HIST - 1 ? v : SIM_HIST - 1]++;
}

int
sim_run(const struct worldgen *w, int32_t new_day,
        const struct sim_policy *pol, int n_pol, struct sim_result *res,
        struct diag *d)
{
    uint32_t nu = worldgen_params(w)->n_users, ni = worldgen_n_items(w);
    uint32_t n_creators = 0, *creator = xmalloc((ni ? ni : 1) * sizeof *creator);
    uint8_t *is_new = xcalloc(ni ? ni : 1, 1), *is_target = xcalloc(ni ? ni : 1, 1);
    uint8_t *has_items, *has_new;
    uint32_t *cfb, *tmp = xmalloc(((size_t)nu + ni + 1) * sizeof *tmp);
    struct sink_state s;
    int rc = 0;

    for (uint32_t i = 0; i < ni; i++) {
        struct worldgen_item_info info;

        worldgen_item(w, i, &info);
        creator[i] = info.creator;
        if (info.creator + 1 > n_creators)
            n_creators = info.creator + 1;
        is_new[i] = dates_day_of(info.upload_t, 0) == new_day;
    }
    for (int k = 0; k < n_pol; k++)
        if (pol[k].has_push)
            for (uint32_t j = 0; j < pol[k].off[pol[k].n_users]; j++)
                if (pol[k].items[j] < ni)
                    is_target[pol[k].items[j]] = 1;
    has_items = xcalloc(n_creators + 1, 1);
    has_new = xcalloc(n_creators + 1, 1);
    cfb = xcalloc(n_creators + 1, sizeof *cfb);
    for (uint32_t i = 0; i < ni; i++) {
        has_items[creator[i]] = 1;
        has_new[creator[i]] |= is_new[i];
    }

    memset(&s, 0, sizeof s);
    s.item_imp = xcalloc(ni ? ni : 1, sizeof *s.item_imp);
    s.item_expl = xcalloc(ni ? ni : 1, sizeof *s.item_expl);
    s.user_shown = xcalloc(nu ? nu : 1, sizeof *s.user_shown);
    for (int k = 0; k < n_pol && rc == 0; k++) {
        const struct sim_policy *p = &pol[k];
        struct sim_result *r = &res[k];
        struct worldgen_push push;
        struct worldgen_daystats st;
        size_t m;

        memset(r, 0, sizeof *r);
        memset(s.item_imp, 0, ni * sizeof *s.item_imp);
        memset(s.item_expl, 0, ni * sizeof *s.item_expl);
        memset(s.user_shown, 0, nu * sizeof *s.user_shown);
        s.n_imp = s.n_explicit = s.n_click = s.n_pushed = 0;
        s.n_pushed_expl = 0;
        push.n_users = p->has_push ? p->n_users : 0;
        push.off = p->off;
        push.items = p->items;
        if (worldgen_sim_day(w, p->has_push ? &push : NULL, sim_sink, &s,
                             &st, d) < 0) {
            rc = -1;
            break;
        }

        /* D_u */
        m = 0;
        for (uint32_t u = 0; p->has_push && u < p->n_users; u++) {
            uint32_t du = p->off[u + 1] - p->off[u];

            if (du == 0)
                continue;
            r->n_pairs += du;
            r->n_push_users++;
            r->n_push_active += u < st.n_users && st.user_imp[u] > 0;
            if (du > r->du_max)
                r->du_max = du;
            hist_add(r->du_hist, du);
            tmp[m++] = du;
        }
        r->du_gini = evalrep_gini(tmp, m);

        /* delivery, over active users */
        m = 0;
        for (uint32_t u = 0; u < nu; u++) {
            if (u >= st.n_users || st.user_imp[u] == 0)
                continue;
            if (s.user_shown[u] > r->shown_max)
                r->shown_max = s.user_shown[u];
            hist_add(r->shown_hist, s.user_shown[u]);
            tmp[m++] = s.user_shown[u];
        }
        r->shown_gini = evalrep_gini(tmp, m);
        r->n_pushed_shown = s.n_pushed;
        r->n_pushed_explicit = s.n_pushed_expl;
        r->n_imp = s.n_imp;
        r->n_explicit = s.n_explicit;
        r->n_click = s.n_click;
        r->n_active = st.n_active_users;

        /* items and creators */
        memset(cfb, 0, (n_creators + 1) * sizeof *cfb);
        for (uint32_t i = 0; i < ni; i++) {
            cfb[creator[i]] += s.item_expl[i];
            if (is_new[i]) {
                r->n_new++;
                for (int t = 0; t < 3; t++)
                    r->new_reach[t] += s.item_imp[i] >= reach_at[t];
                r->new_fb += s.item_expl[i] > 0;
                r->new_imp += s.item_imp[i];
                r->new_explicit += s.item_expl[i];
            }
            if (is_target[i]) {
                r->n_target++;
                for (int t = 0; t < 3; t++)
                    r->target_reach[t] += s.item_imp[i] >= reach_at[t];
                r->target_fb += s.item_expl[i] > 0;
                r->target_imp += s.item_imp[i];
                r->target_explicit += s.item_expl[i];
            }
        }
        m = 0;
        for (uint32_t c = 0; c < n_creators; c++) {
            if (!has_items[c])
                continue;
            r->n_creators++;
            r->creators_fb += cfb[c] > 0;
            r->new_creators += has_new[c];
            tmp[m++] = cfb[c];
        }
        r->creator_fb_gini = evalrep_gini(tmp, m);
        /* creators of new items whose new items got feedback */
        memset(cfb, 0, (n_creators + 1) * sizeof *cfb);
        for (uint32_t i = 0; i < ni; i++)
            if (is_new[i])
                cfb[creator[i]] += s.item_expl[i];
        for (uint32_t c = 0; c < n_creators; c++)
            r->new_creators_fb += has_new[c] && cfb[c] > 0;
        worldgen_daystats_release(&st);
    }
    free(s.item_imp);
    free(s.item_expl);
    free(s.user_shown);
    free(creator);
    free(is_new);
    free(is_target);
    free(has_items);
    free(has_new);
    free(cfb);
    free(tmp);
    return rc;
}

/* ---- the comparison report -------------------------------------------------- */

static double
ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

static int
find_policy(const struct sim_policy *pol, int n_pol, const char *name)
{
    for (int k = 0; k < n_pol; k++)
        if (strcmp(pol[k].name, name) == 0)
            return k;
    return -1;
}

/* One direction: metric of policy `hi` should exceed that of `lo`. */
static void
direction_row(struct evalrep_table *t, const char *claim, double lo,
              double hi)
{
    double v[5];

    v[0] = lo;
    v[1] = hi;
    v[2] = hi - lo;
    v[3] = lo > 0 ? (hi - lo) / lo : NAN;
    v[4] = isfinite(lo) && isfinite(hi) ? (hi > lo ? 1 : 0) : NAN;
    evalrep_row(t, claim, v);
}

void
sim_report(struct evalrep *r, const struct sim_policy *pol, int n_pol,
           const struct sim_result *res)
{
    static const char *const cols[] = {
        "hit rate", "D_u pairs", "delivered", "max |D_u|", "Gini |D_u|",
        "new >=1 imp", "new >=10 imp", "new >=100 imp", "new with fb",
        "fb on new", "targets >=1 imp", "targets with fb",
        "creators with fb", "fb / imp (feed)"
    };
    static const enum evalrep_fmt fmts[] = {
        EVALREP_PCT, EVALREP_INT, EVALREP_PCT, EVALREP_INT, EVALREP_REAL,
        EVALREP_PCT, EVALREP_PCT, EVALREP_PCT, EVALREP_PCT, EVALREP_INT,
        EVALREP_PCT, EVALREP_PCT, EVALREP_INT, EVALREP_PCT
    };
    static const char *const dcols[] = {
        "baseline", "policy", "change", "relative", "holds"
    };
    static const enum evalrep_fmt dfmts[] = {
        EVALREP_REAL, EVALREP_REAL, EVALREP_REAL, EVALREP_PCT, EVALREP_INT
    };
    struct evalrep_table *t;
    int a, b, c, f;
    char key[64], title[160], lab[SIM_HIST][16];
    const char *labels[SIM_HIST];
    double v[14], hist[SIM_HIST];

    evalrep_section(r, "policies", "Policies on the simulated day");
    for (int k = 0; k < n_pol; k++) {
        snprintf(title, sizeof title, "%s: %s", pol[k].name, pol[k].desc);
        evalrep_note(r, title);
    }
    t = evalrep_table(r, "policies", "What creators get, per policy",
                      "policy", 14, cols, fmts);
    for (int k = 0; k < n_pol; k++) {
        const struct sim_result *x = &res[k];

        v[0] = x->n_push_users ? ratio(x->n_push_active, x->n_push_users)
                               : NAN;
        v[1] = (double)x->n_pairs;
        v[2] = x->n_pairs ? ratio((double)x->n_pushed_shown,
                                  (double)x->n_pairs) : NAN;
        v[3] = x->du_max;
        v[4] = x->n_push_users ? x->du_gini : NAN;
        for (int j = 0; j < 3; j++)
            v[5 + j] = ratio(x->new_reach[j], x->n_new);
        v[8] = ratio(x->new_fb, x->n_new);
        v[9] = (double)x->new_explicit;
        v[10] = ratio(x->target_reach[0], x->n_target);
        v[11] = ratio(x->target_fb, x->n_target);
        v[12] = x->creators_fb;
        v[13] = ratio((double)x->n_explicit, (double)x->n_imp);
        evalrep_row(t, pol[k].name, v);
    }
    a = find_policy(pol, n_pol, "none");
    b = find_policy(pol, n_pol, "no-uac");
    c = find_policy(pol, n_pol, "paper-uac");
    f = find_policy(pol, n_pol, "full");
    evalrep_section(r, "directions", "The paper's directions");
    t = evalrep_table(r, "directions", "Which of the paper's directions "
                      "hold (holds = 1)", "direction (baseline -> policy)",
                      5, dcols, dfmts);
    if (b >= 0 && c >= 0) {
        direction_row(t, "UAC raises hit rate (paper 49% -> 82%): "
                      "no-uac -> paper-uac",
                      ratio(res[b].n_push_active, res[b].n_push_users),
                      ratio(res[c].n_push_active, res[c].n_push_users));
        direction_row(t, "UAC raises new-item coverage, >=1 imp (paper "
                      "41.7% -> 82.3%): no-uac -> paper-uac",
                      ratio(res[b].new_reach[0], res[b].n_new),
                      ratio(res[c].new_reach[0], res[c].n_new));
        direction_row(t, "without UAC some users get far more items: "
                      "max |D_u| paper-uac -> no-uac",
                      res[c].du_max, res[b].du_max);
        direction_row(t, "without UAC items per user are more unequal: "
                      "Gini |D_u| paper-uac -> no-uac",
                      res[c].du_gini, res[b].du_gini);
    }
    if (a >= 0 && c >= 0) {
        direction_row(t, "dualrec raises new-item coverage over the "
                      "user-side feed (paper 13.6% -> 82.3%): none -> "
                      "paper-uac", ratio(res[a].new_reach[0], res[a].n_new),
                      ratio(res[c].new_reach[0], res[c].n_new));
        direction_row(t, "ExpoReach-10 of new items (paper v1 +8-12%): "
                      "none -> paper-uac",
                      ratio(res[a].new_reach[1], res[a].n_new),
                      ratio(res[c].new_reach[1], res[c].n_new));
        direction_row(t, "new items with explicit feedback: none -> "
                      "paper-uac", ratio(res[a].new_fb, res[a].n_new),
                      ratio(res[c].new_fb, res[c].n_new));
        direction_row(t, "targets (new and long-tail) reaching 1 "
                      "impression: none -> paper-uac",
                      ratio(res[a].target_reach[0], res[a].n_target),
                      ratio(res[c].target_reach[0], res[c].n_target));
        direction_row(t, "targets with explicit feedback: none -> "
                      "paper-uac", ratio(res[a].target_fb, res[a].n_target),
                      ratio(res[c].target_fb, res[c].n_target));
        direction_row(t, "creators with feedback (paper daily active "
                      "creators +2.9%): none -> paper-uac",
                      res[a].creators_fb, res[c].creators_fb);
    }
    if (c >= 0 && f >= 0) {
        direction_row(t, "beyond the paper: new items with feedback, "
                      "paper-uac -> full", ratio(res[c].new_fb, res[c].n_new),
                      ratio(res[f].new_fb, res[f].n_new));
        direction_row(t, "beyond the paper: targets reaching 1 "
                      "impression, paper-uac -> full",
                      ratio(res[c].target_reach[0], res[c].n_target),
                      ratio(res[f].target_reach[0], res[f].n_target));
        direction_row(t, "beyond the paper: targets with explicit "
                      "feedback, paper-uac -> full",
                      ratio(res[c].target_fb, res[c].n_target),
                      ratio(res[f].target_fb, res[f].n_target));
        direction_row(t, "beyond the paper: creators with feedback, "
                      "paper-uac -> full", res[c].creators_fb,
                      res[f].creators_fb);
        direction_row(t, "beyond the paper: explicit feedback on new "
                      "items, paper-uac -> full",
                      (double)res[c].new_explicit,
                      (double)res[f].new_explicit);
        direction_row(t, "beyond the paper: hit rate, paper-uac -> full",
                      ratio(res[c].n_push_active, res[c].n_push_users),
                      ratio(res[f].n_push_active, res[f].n_push_users));
        direction_row(t, "beyond the paper: delivered share of D_u, "
                      "paper-uac -> full",
                      ratio((double)res[c].n_pushed_shown,
                            (double)res[c].n_pairs),
                      ratio((double)res[f].n_pushed_shown,
                            (double)res[f].n_pairs));
    }
    if (a >= 0 && f >= 0) {
        direction_row(t, "dualrec full over the user-side feed: new-item "
                      "coverage, >=1 imp, none -> full",
                      ratio(res[a].new_reach[0], res[a].n_new),
                      ratio(res[f].new_reach[0], res[f].n_new));
        direction_row(t, "dualrec full over the user-side feed: "
                      "ExpoReach-10 of new items, none -> full",
                      ratio(res[a].new_reach[1], res[a].n_new),
                      ratio(res[f].new_reach[1], res[f].n_new));
        direction_row(t, "dualrec full over the user-side feed: new items "
                      "with explicit feedback, none -> full",
                      ratio(res[a].new_fb, res[a].n_new),
                      ratio(res[f].new_fb, res[f].n_new));
        direction_row(t, "dualrec full over the user-side feed: creators "
                      "with feedback (paper +2.9%), none -> full",
                      res[a].creators_fb, res[f].creators_fb);
        direction_row(t, "user side: explicit feedback per impression of "
                      "the whole feed, none -> full",
                      ratio((double)res[a].n_explicit, (double)res[a].n_imp),
                      ratio((double)res[f].n_explicit, (double)res[f].n_imp));
    }

    for (int k = 0; k < n_pol; k++) {
        const struct sim_result *x = &res[k];

        snprintf(key, sizeof key, "%s", pol[k].name);
        for (char *q = key; *q; q++)
            if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9')))
                *q = '_';
        evalrep_section(r, key, pol[k].name);
        evalrep_num(r, "active_users", "users active on the day",
                    x->n_active, EVALREP_INT, 0);
        evalrep_num(r, "push_users", "users with a non-empty D_u",
                    x->n_push_users, EVALREP_INT, 0);
        evalrep_num(r, "push_users_active", "... active on the day",
                    x->n_push_active, EVALREP_INT, 0);
        evalrep_num(r, "pairs", "D_u pairs", (double)x->n_pairs,
                    EVALREP_INT, 0);
        evalrep_num(r, "pushed_shown", "pushed impressions",
                    (double)x->n_pushed_shown, EVALREP_INT, 0);
        evalrep_num(r, "pushed_explicit", "pushed impressions with "
                    "explicit feedback", (double)x->n_pushed_explicit,
                    EVALREP_INT, 0);
        evalrep_num(r, "du_max", "largest D_u", x->du_max, EVALREP_INT, 0);
        evalrep_num(r, "du_gini", "Gini of |D_u|", x->du_gini,
                    EVALREP_REAL, 0);
        evalrep_num(r, "shown_max", "most pushed impressions of one user",
                    x->shown_max, EVALREP_INT, 0);
        evalrep_num(r, "shown_gini", "Gini of pushed impressions over "
                    "active users", x->shown_gini, EVALREP_REAL, 0);
        evalrep_num(r, "impressions", "impressions (whole feed)",
                    (double)x->n_imp, EVALREP_INT, 0);
        evalrep_num(r, "explicit", "explicit feedback (whole feed)",
                    (double)x->n_explicit, EVALREP_INT, 0);
        evalrep_num(r, "clicks", "clicks (whole feed)", (double)x->n_click,
                    EVALREP_INT, 0);
        evalrep_num(r, "new_items", "items uploaded on D", x->n_new,
                    EVALREP_INT, 0);
        for (int j = 0; j < 3; j++) {
            snprintf(key, sizeof key, "new_reach_%u", reach_at[j]);
            snprintf(title, sizeof title, "new items reaching %u "
                     "impressions", reach_at[j]);
            evalrep_num(r, key, title, x->new_reach[j], EVALREP_INT, 0);
        }
        evalrep_num(r, "new_with_fb", "new items with explicit feedback",
                    x->new_fb, EVALREP_INT, 0);
        evalrep_num(r, "new_impressions", "impressions of new items",
                    (double)x->new_imp, EVALREP_INT, 0);
        evalrep_num(r, "new_explicit", "explicit feedback on new items",
                    (double)x->new_explicit, EVALREP_INT, 0);
        evalrep_num(r, "targets", "target items (any policy)", x->n_target,
                    EVALREP_INT, 0);
        for (int j = 0; j < 3; j++) {
            snprintf(key, sizeof key, "target_reach_%u", reach_at[j]);
            snprintf(title, sizeof title, "targets reaching %u impressions",
                     reach_at[j]);
            evalrep_num(r, key, title, x->target_reach[j], EVALREP_INT, 0);
        }
        evalrep_num(r, "target_with_fb", "targets with explicit feedback",
                    x->target_fb, EVALREP_INT, 0);
        evalrep_num(r, "target_explicit", "explicit feedback on targets",
                    (double)x->target_explicit, EVALREP_INT, 0);
        evalrep_num(r, "creators", "creators with items", x->n_creators,
                    EVALREP_INT, 0);
        evalrep_num(r, "creators_with_fb", "creators with explicit "
                    "feedback", x->creators_fb, EVALREP_INT, 0);
        evalrep_num(r, "new_creators", "creators of new items",
                    x->new_creators, EVALREP_INT, 0);
        evalrep_num(r, "new_creators_with_fb", "... whose new items got "
                    "explicit feedback", x->new_creators_fb, EVALREP_INT, 0);
        evalrep_num(r, "creator_fb_gini", "Gini of feedback per creator",
                    x->creator_fb_gini, EVALREP_REAL, 0);
        for (int j = 0; j < SIM_HIST; j++) {
            snprintf(lab[j], sizeof lab[j], j == SIM_HIST - 1 ? "%d+" : "%d",
                     j);
            labels[j] = lab[j];
        }
        if (x->n_push_users) {
            for (int j = 0; j < SIM_HIST; j++)
                hist[j] = (double)x->du_hist[j];
            snprintf(title, sizeof title, "%s: matched items per user "
                     "(|D_u|, users with one)", pol[k].name);
            evalrep_bars(r, "du_hist", title, SIM_HIST, labels, hist,
                         "items in D_u", "users");
            for (int j = 0; j < SIM_HIST; j++)
                hist[j] = (double)x->shown_hist[j];
            snprintf(title, sizeof title, "%s: pushed items shown per "
                     "active user", pol[k].name);
            evalrep_bars(r, "shown_hist", title, SIM_HIST, labels, hist,
                         "pushed impressions", "users");
        }
    }
}
