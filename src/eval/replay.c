/*
 * replay.c -- replay evaluation of a published date (replay.h).
 *
 * Reads the item->users table of date D (whole, via outtable_read: about
 * 40 bytes per matched pair; a streaming reader would bound this), day
 * D+1's segment (and D's, for the new items), then the optional ranking
 * model (with a window of `days` days ending at D for its feature context)
 * and availability table.  Membership tests of (item, user) pairs use one
 * sorted array of the matched pairs and binary search, so the work is
 * O((pairs + engagements) log pairs) and the result does not depend on the
 * table's row order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "avail.h"
#include "cands.h"
#include "dates.h"
#include "layout.h"
#include "metrics.h"
#include "outtable.h"
#include "publish.h"
#include "rank.h"
#include "replay.h"
#include "segment.h"
#include "tower.h"
#include "xmem.h"

#define HIST_BINS 32            /* 0..30 items, then 31+ */
#define ENGAGE_ANY (FB_CLICK | FB_LONG_VIEW | FB_EXPLICIT)

struct pair {
    uint32_t item, user;
};

static int
pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;

    if (x->item != y->item)
        return x->item < y->item ? -1 : 1;
    return x->user < y->user ? -1 : x->user > y->user;
}

/* Sort and drop duplicates; returns the new count. */
static size_t
pairs_unique(struct pair *p, size_t n)
{
    size_t m = 0;

    if (n == 0)
        return 0;               /* p may be NULL: no qsort(NULL, 0) */
    qsort(p, n, sizeof *p, pair_cmp);
    for (size_t k = 0; k < n; k++)
        if (m == 0 || pair_cmp(&p[m - 1], &p[k]) != 0)
            p[m++] = p[k];
    return m;
}

static int
pairs_has(const struct pair *p, size_t n, struct pair key)
{
    return n > 0 && bsearch(&key, p, n, sizeof *p, pair_cmp) != NULL;
}

/* Channel bits of a "tower+i2i2u" field. */
static unsigned
parse_channels(const char *s, size_t n)
{
    unsigned bits = 0;

    for (int c = 0; c < CANDS_N_CHANNELS; c++) {
        const char *name = cands_channel_name((enum cands_channel)(1 << c));
        size_t len = strlen(name);

        for (size_t i = 0; i + len <= n; i++)
            if (memcmp(s + i, name, len) == 0
                && (i == 0 || s[i - 1] == '+')
                && (i + len == n || s[i + len] == '+'))
                bits |= 1u << c;
    }
    return bits;
}

/* The matched pairs of the item->users table, in world indices. */
struct matched {
    struct pair *p;             /* as read, then sorted by (item, user) */
    uint8_t *ch;                /* channel bits per row (read order) */
    uint32_t *row_user;         /* user per row (read order) */
    size_t n, cap;
    size_t n_rows;              /* rows read (n before deduplication) */
    size_t n_unknown;           /* rows naming ids outside the dicts */
};

static int
read_table(const char *path, const struct window *w, struct matched *m,
           struct diag *d)
{
    struct outtable_reader r;
    const char *f[6];
    size_t fl[6];
    char id[IDDICT_MAX_ID_LEN + 1];
    int got;

    if (outtable_reader_open(&r, path, OUTTABLE_ITEM_USERS_HEADER,
                             "an item->users", 6, d) < 0)
        return -1;
    while ((got = outtable_reader_next(&r, f, fl, d)) == 1) {
        uint32_t item, user;

        outtable_unescape(f[0], fl[0], id, sizeof id);
        item = iddict_find(w->items, id, strlen(id));
        outtable_unescape(f[2], fl[2], id, sizeof id);
        user = iddict_find(w->users, id, strlen(id));
        if (item == IDDICT_NONE || user == IDDICT_NONE) {
            m->n_unknown++;
            continue;
        }
        if (m->n == m->cap) {
            m->p = xgrow(m->p, &m->cap, m->n + 1, sizeof *m->p);
            m->ch = xreallocarray(m->ch, m->cap, sizeof *m->ch);
            m->row_user = xreallocarray(m->row_user, m->cap,
                                        sizeof *m->row_user);
        }
        m->p[m->n].item = item;
        m->p[m->n].user = user;
        m->ch[m->n] = (uint8_t)parse_channels(f[4], fl[4]);
        m->row_user[m->n] = user;
        m->n++;
    }
    outtable_reader_close(&r);
    return got < 0 ? -1 : 0;
}

static void
add_hist(struct evalrep *r, const char *key, const char *title,
         const uint64_t *hist, const char *xlabel)
{
    char lab[HIST_BINS][16];
    const char *labels[HIST_BINS];
    double v[HIST_BINS];

    for (int j = 0; j < HIST_BINS; j++) {
        snprintf(lab[j], sizeof lab[j], j == HIST_BINS - 1 ? "%d+" : "%d",
                 j);
        labels[j] = lab[j];
        v[j] = (double)hist[j];
    }
    evalrep_bars(r, key, title, HIST_BINS, labels, v, xlabel, "users");
}

static double
share(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

/* ---- sections -------------------------------------------------------------- */

static int
rank_section(const struct replay_opts *o, const struct segment *test,
             struct evalrep *r, struct diag *d)
{
    static const char *const cols[] = {
        "AUC", "log-loss", "AUC new items", "AUC old items", "positives"
    };
    static const enum evalrep_fmt fmts[] = {
        EVALREP_REAL, EVALREP_REAL, EVALREP_REAL, EVALREP_REAL, EVALREP_INT
    };
    struct rank_model *m = NULL;
    struct tower *t = NULL;
    struct window *w = NULL;
    struct rank_context *ctx = NULL;
    struct rank_eval ev;
    struct evalrep_table *tab;
    int rc = -1;

    if (rank_load(o->rank_path, &m, d) < 0
        || (o->tower_path && tower_load(o->tower_path, &t, d) < 0)
        || window_open(o->segroot, o->date, o->days > 0 ? o->days : 30,
                       WINDOW_LAZY, &w, d) < 0
        || rank_context_build(m, w, t, &ctx, d) < 0)
        goto out;
    window_free(w);
    w = NULL;
    if (rank_evaluate(m, ctx, test, &ev, d) < 0)
        goto out;
    evalrep_section(r, "ranking", "Ranking on D+1's exposures");
    evalrep_num(r, "exposures", "exposures scored", (double)ev.n,
                EVALREP_INT, 0);
    evalrep_num(r, "exposures_new", "... of items new on D+1",
                (double)ev.n_new, EVALREP_INT, 0);
    evalrep_num(r, "auc_score", "AUC of the integrated score for explicit "
                "feedback", ev.auc_score, EVALREP_REAL, 1);
    tab = evalrep_table(r, "tasks", "Per-task AUC and log-loss", "task", 5,
                        cols, fmts);
    for (int k = 0; k < RANK_N_TASKS; k++) {
        double v[5] = { ev.task[k].auc, ev.task[k].logloss,
                        ev.task[k].auc_new, ev.task[k].auc_old,
                        (double)ev.task[k].n_pos };

        evalrep_row(tab, rank_task_name(k), v);
    }
    rc = 0;
out:
    rank_context_free(ctx);
    window_free(w);
    tower_free(t);
    rank_free(m);
    return rc;
}

static void
uac_section(const struct avail *a, const uint8_t *active,
            const uint32_t *imp1, uint32_t n_users, const struct segment *s1,
            struct evalrep *r)
{
    static const char *const cols[] = { "mean p_active", "realised", "users" };
    static const enum evalrep_fmt fmts[] = {
        EVALREP_REAL, EVALREP_REAL, EVALREP_INT
    };
    uint8_t *y;
    uint32_t n = a->n_users;
    double mp[10], rate[10], xs[10], ys[10], v[3];
    size_t cnt[10], sel = 0, sel_act = 0, act = 0, n_xy = 0;
    double ae = 0, pred = 0, real = 0, in_win = 0, all_imp = 0, hours = 0;
    size_t n_cap = 0;
    struct evalrep_table *t;

    y = xcalloc(n ? n : 1, 1);
    for (uint32_t u = 0; u < n; u++) {
        y[u] = u < n_users && active[u];
        act += y[u];
        if (a->active[u]) {
            sel++;
            sel_act += y[u];
            hours += __builtin_popcount(a->hours[u]);
        }
        if (y[u]) {
            pred += a->imp[u];
            real += imp1[u];
            ae += fabs((double)a->imp[u] - imp1[u]);
            n_cap++;
        }
    }
    for (size_t k = 0; k < s1->n_exp; k++) {
        const struct seg_exposure *e = &s1->exp[k];

        if (e->user >= n)
            continue;
        all_imp += 1;
        in_win += (a->hours[e->user]
                   >> dates_hour_of(e->t, s1->zone_offset)) & 1;
    }
    evalrep_section(r, "uac", "UAC: availability against D+1");
    evalrep_num(r, "users", "users in the availability table", n,
                EVALREP_INT, 0);
    evalrep_num(r, "active_rate", "share active on D+1", share(act, n),
                EVALREP_PCT, 0);
    evalrep_num(r, "auc", "AUC of p_active", metrics_auc(a->p_active, y, n),
                EVALREP_REAL, 1);
    evalrep_num(r, "logloss", "log-loss of p_active",
                metrics_logloss(a->p_active, y, n), EVALREP_REAL, 0);
    evalrep_num(r, "auc_lr", "AUC of the logistic baseline",
                metrics_auc(a->p_lr, y, n), EVALREP_REAL, 0);
    evalrep_num(r, "available", "users with a_u = 1", (double)sel,
                EVALREP_INT, 0);
    evalrep_num(r, "precision", "precision of a_u (a_u = 1 and active)",
                share((double)sel_act, (double)sel), EVALREP_PCT, 1);
    evalrep_num(r, "recall", "recall of a_u (active users with a_u = 1)",
                share((double)sel_act, (double)act), EVALREP_PCT, 1);
    evalrep_num(r, "imp_pred_mean", "predicted impressions per active user",
                share(pred, (double)n_cap), EVALREP_REAL, 0);
    evalrep_num(r, "imp_real_mean", "realised impressions per active user",
                share(real, (double)n_cap), EVALREP_REAL, 0);
    evalrep_num(r, "imp_mae", "mean absolute error of impressions",
                share(ae, (double)n_cap), EVALREP_REAL, 0);
    evalrep_num(r, "window_hours", "mean window length of a_u = 1 users "
                "(hours)", share(hours, (double)sel), EVALREP_REAL, 0);
    evalrep_num(r, "window_share", "share of D+1 impressions inside the "
                "predicted windows", share(in_win, all_imp), EVALREP_PCT, 0);
    metrics_calibration(a->p_active, y, n, 10, mp, rate, cnt);
    t = evalrep_table(r, "calibration", "Calibration by decile of p_active",
                      "decile", 3, cols, fmts);
    for (int b = 0; b < 10; b++) {
        char lab[8];

        snprintf(lab, sizeof lab, "%d", b + 1);
        v[0] = mp[b];
        v[1] = rate[b];
        v[2] = (double)cnt[b];
        evalrep_row(t, lab, v);
        if (cnt[b] > 0) {
            xs[n_xy] = mp[b];
            ys[n_xy++] = rate[b];
        }
    }
    evalrep_xy(r, "calibration_plot", "Calibration: realised activity by "
               "decile of p_active", n_xy, xs, ys, "mean p_active",
               "share active on D+1", EVALREP_XY_DIAGONAL);
    free(y);
}

/* ---- the report ---------------------------------------------------------------- */

int
replay_run(const struct replay_opts *o, struct evalrep **out, struct diag *d)
{
    char date_s[16], next_s[16], val[64], title[160];
    char *dir, *path, *manifest = NULL;
    size_t n_dir;
    struct window *w = NULL;
    struct matched m = { 0 };
    struct avail *a = NULL;
    struct evalrep *r = NULL;
    const struct segment *s0, *s1;
    uint32_t n_users, n_items, n_known = 0, L = 0, max_aud = 0;
    uint8_t *active = NULL, *is_target = NULL, *is_new = NULL;
    uint32_t *imp1 = NULL, *aud = NULL, *per_user = NULL, *tmp = NULL;
    uint32_t *eng_x = NULL, *hit_x = NULL, *eng_a = NULL, *hit_a = NULL;
    struct pair *ex = NULL, *ea = NULL;
    size_t n_ex = 0, n_ea = 0, cap_ex = 0, cap_ea = 0;
    int rc = -1;

    *out = NULL;
    dates_format_day(o->date, date_s);
    dates_format_day(o->date + 1, next_s);
    n_dir = strlen(o->outroot) + 64;
    dir = layout_day(o->outroot, o->date, NULL);
    path = xmalloc(n_dir + 32);
    snprintf(path, n_dir + 32, "%s/" LAYOUT_SUCCESS, dir);
    if (!path_exists(path)) {
        diag_set(d, RC_NOINPUT, "%s: date %s is not published (no "
                 "_SUCCESS)", dir, date_s);
        goto out;
    }
    if (publish_manifest_load(dir, &manifest, d) < 0)
        goto out;
    if (publish_manifest_get(manifest, "params", "L", val, sizeof val) == 0)
        L = (uint32_t)strtoul(val, NULL, 10);

    if (window_open(o->segroot, o->date + 1, 2, 0, &w, d) < 0)
        goto out;
    s0 = w->seg[0];
    s1 = w->seg[1];
    if (s1 == NULL) {
        diag_set(d, RC_NOINPUT, "%s/dt=%s: no segment for the day after "
                 "the tables (%s)", o->segroot, next_s, date_s);
        goto out;
    }
    n_users = iddict_count(w->users);
    n_items = iddict_count(w->items);

    snprintf(path, n_dir + 32, "%s/" LAYOUT_ITEM_USERS, dir);
    if (read_table(path, w, &m, d) < 0)
        goto out;

    /* activity and engagement on D+1 */
    active = xcalloc(n_users ? n_users : 1, 1);
    imp1 = xcalloc(n_users ? n_users : 1, sizeof *imp1);
    for (size_t k = 0; k < s1->n_exp; k++) {
        active[s1->exp[k].user] = 1;
        imp1[s1->exp[k].user]++;
    }
    for (size_t k = 0; k < s1->n_inter; k++)
        active[s1->inter[k].user] = 1;

    is_target = xcalloc(n_items ? n_items : 1, 1);
    aud = xcalloc(n_items ? n_items : 1, sizeof *aud);
    per_user = xcalloc(n_users ? n_users : 1, sizeof *per_user);
    for (size_t k = 0; k < m.n; k++) {
        is_target[m.p[k].item] = 1;
        aud[m.p[k].item]++;
        per_user[m.p[k].user]++;
    }
    m.n_rows = m.n;
    m.n = pairs_unique(m.p, m.n);
    for (uint32_t i = 0; i < n_items; i++)
        if (aud[i] > max_aud)
            max_aud = aud[i];
    if (L == 0)
        L = max_aud;

    for (size_t k = 0; k < s1->n_exp; k++) {
        const struct seg_exposure *e = &s1->exp[k];
        struct pair pr = { e->item, e->user };

        if (!is_target[e->item])
            continue;
        if (e->fb & FB_EXPLICIT) {
            ex = xgrow(ex, &cap_ex, n_ex + 1, sizeof *ex);
            ex[n_ex++] = pr;
        }
        if (e->fb & ENGAGE_ANY) {
            ea = xgrow(ea, &cap_ea, n_ea + 1, sizeof *ea);
            ea[n_ea++] = pr;
        }
    }
    for (size_t k = 0; k < s1->n_inter; k++) {
        const struct seg_inter *e = &s1->inter[k];
        struct pair pr = { e->item, e->user };

        if (!is_target[e->item])
            continue;
        if (e->fb & FB_EXPLICIT) {
            ex = xgrow(ex, &cap_ex, n_ex + 1, sizeof *ex);
            ex[n_ex++] = pr;
        }
        if (e->fb & ENGAGE_ANY) {
            ea = xgrow(ea, &cap_ea, n_ea + 1, sizeof *ea);
            ea[n_ea++] = pr;
        }
    }
    n_ex = pairs_unique(ex, n_ex);
    n_ea = pairs_unique(ea, n_ea);
    eng_x = xcalloc(n_items ? n_items : 1, sizeof *eng_x);
    hit_x = xcalloc(n_items ? n_items : 1, sizeof *hit_x);
    eng_a = xcalloc(n_items ? n_items : 1, sizeof *eng_a);
    hit_a = xcalloc(n_items ? n_items : 1, sizeof *hit_a);
    for (size_t k = 0; k < n_ex; k++) {
        eng_x[ex[k].item]++;
        hit_x[ex[k].item] += (uint32_t)pairs_has(m.p, m.n, ex[k]);
    }
    for (size_t k = 0; k < n_ea; k++) {
        eng_a[ea[k].item]++;
        hit_a[ea[k].item] += (uint32_t)pairs_has(m.p, m.n, ea[k]);
    }

    /* new items: uploaded on D (D's item table, in the ingest zone) */
    is_new = xcalloc(n_items ? n_items : 1, 1);
    for (size_t k = 0; s0 && k < s0->n_items; k++) {
        const struct seg_item *it = &s0->items[k];

        if (it->upload_t != INT64_MIN
            && dates_day_of(it->upload_t, s0->zone_offset) == o->date)
            is_new[it->item] = 1;
    }

    if (o->avail_path && avail_load(o->avail_path, &a, d) < 0)
        goto out;
    if (a != NULL) {
        n_known = a->n_users;
    } else {
        /* users known at D: the indices seen up to D (dictionaries only
           grow, so later users have larger indices) */
        for (size_t k = 0; s0 && k < s0->n_exp; k++)
            if (s0->exp[k].user + 1 > n_known)
                n_known = s0->exp[k].user + 1;
        for (size_t k = 0; k < m.n; k++)
            if (m.p[k].user + 1 > n_known)
                n_known = m.p[k].user + 1;
    }
    if (n_known > n_users)
        n_known = n_users;

    snprintf(title, sizeof title, "dualrec replay: the tables of %s on %s",
             date_s, next_s);
    r = evalrep_new(title);
    evalrep_note(r, "Replay of the published tables on the next day's "
                 "logs: the users were not actually sent these items, so "
                 "hit rate and recall measure how well the tables anticipate "
                 "who comes back and who engages (docs/nightly.md).");
    if (m.n_unknown) {
        snprintf(title, sizeof title, "%zu table rows name ids unknown to "
                 "the dictionaries and were left out", m.n_unknown);
        evalrep_note(r, title);
    }
    if (s0 == NULL)
        evalrep_note(r, "day D's segment is missing: new items unknown");

    {   /* hit rate */
        size_t mu = 0, mu_act = 0, pa = 0, known_act = 0, au = 0, au_act = 0;

        for (uint32_t u = 0; u < n_users; u++) {
            if (per_user[u]) {
                mu++;
                mu_act += active[u];
            }
            if (u < n_known)
                known_act += active[u];
            if (a && u < a->n_users && a->active[u]) {
                au++;
                au_act += active[u];
            }
        }
        for (size_t k = 0; k < m.n; k++)
            pa += active[m.p[k].user];
        evalrep_section(r, "hit_rate", "Hit rate: matched users active on "
                        "D+1");
        evalrep_num(r, "matched_users", "matched users", (double)mu,
                    EVALREP_INT, 1);
        evalrep_num(r, "pairs", "matched (item, user) pairs", (double)m.n,
                    EVALREP_INT, 1);
        evalrep_num(r, "hit_rate_users", "hit rate: matched users active on "
                    "D+1 (paper: 49% without UAC, 82% with)",
                    share((double)mu_act, (double)mu), EVALREP_PCT, 1);
        evalrep_num(r, "hit_rate_pairs", "hit rate of pairs (user active)",
                    share((double)pa, (double)m.n), EVALREP_PCT, 0);
        evalrep_num(r, "known_users", "users known at D", n_known,
                    EVALREP_INT, 0);
        evalrep_num(r, "base_active_rate", "baseline: all users known at D "
                    "active on D+1", share((double)known_act, n_known),
                    EVALREP_PCT, 1);
        if (a != NULL)
            evalrep_num(r, "available_active_rate", "users with a_u = 1 "
                        "active on D+1", share((double)au_act, (double)au),
                        EVALREP_PCT, 0);
    }

    {   /* recall */
        double sx = 0, hx = 0, rx = 0, sa = 0, ha = 0, ra = 0;
        double macro_x = 0, macro_a = 0;
        size_t nx = 0, na = 0;

        for (uint32_t i = 0; i < n_items; i++) {
            double p_rand = n_known ? (double)aud[i] / n_known : 0;

            if (eng_x[i]) {
                sx += eng_x[i];
                hx += hit_x[i];
                rx += eng_x[i] * p_rand;
                macro_x += (double)hit_x[i] / eng_x[i];
                nx++;
            }
            if (eng_a[i]) {
                sa += eng_a[i];
                ha += hit_a[i];
                ra += eng_a[i] * p_rand;
                macro_a += (double)hit_a[i] / eng_a[i];
                na++;
            }
        }
        evalrep_section(r, "recall", "Recall of the users who engaged with "
                        "each target on D+1");
        evalrep_num(r, "engaged_pairs_explicit", "(target, user) pairs with "
                    "explicit feedback", sx, EVALREP_INT, 0);
        evalrep_num(r, "recall_explicit", "recall of explicit engagers "
                    "(micro)", share(hx, sx), EVALREP_PCT, 1);
        evalrep_num(r, "recall_explicit_macro", "recall of explicit "
                    "engagers (mean over items)", share(macro_x, (double)nx),
                    EVALREP_PCT, 0);
        evalrep_num(r, "recall_explicit_random", "baseline: a random "
                    "audience of the same size", share(rx, sx), EVALREP_PCT,
                    1);
        evalrep_num(r, "engaged_pairs_any", "(target, user) pairs with a "
                    "click, long view or explicit feedback", sa, EVALREP_INT,
                    0);
        evalrep_num(r, "recall_any", "recall of any engagers (micro)",
                    share(ha, sa), EVALREP_PCT, 0);
        evalrep_num(r, "recall_any_macro", "recall of any engagers (mean "
                    "over items)", share(macro_a, (double)na), EVALREP_PCT, 0);
        evalrep_num(r, "recall_any_random", "baseline: a random audience of "
                    "the same size", share(ra, sa), EVALREP_PCT, 0);
    }

    {   /* coverage */
        size_t nt = 0, nt_full = 0, nn = 0, nn_cov = 0, nn_full = 0;
        double n_targets = NAN;

        for (uint32_t i = 0; i < n_items; i++) {
            if (aud[i]) {
                nt++;
                nt_full += aud[i] >= L;
            }
            if (is_new[i]) {
                nn++;
                nn_cov += aud[i] > 0;
                nn_full += aud[i] >= L;
            }
        }
        if (publish_manifest_get(manifest, "stats", "targets", val,
                                 sizeof val) == 0)
            n_targets = strtod(val, NULL);
        evalrep_section(r, "coverage", "Coverage of target and new items");
        evalrep_num(r, "L", "audience size L", L, EVALREP_INT, 0);
        evalrep_num(r, "targets", "target items (manifest)", n_targets,
                    EVALREP_INT, 0);
        evalrep_num(r, "items_matched", "items with >= 1 matched user",
                    (double)nt, EVALREP_INT, 0);
        evalrep_num(r, "target_coverage", "targets with >= 1 matched user",
                    share((double)nt, n_targets), EVALREP_PCT, 1);
        evalrep_num(r, "target_full", "targets with a full audience (L)",
                    share((double)nt_full, n_targets), EVALREP_PCT, 0);
        evalrep_num(r, "new_items", "items uploaded on D", (double)nn,
                    EVALREP_INT, 0);
        evalrep_num(r, "new_coverage", "new-item coverage: new items with "
                    ">= 1 matched user (paper: 41.7% -> 82.3%)",
                    share((double)nn_cov, (double)nn), EVALREP_PCT, 1);
        evalrep_num(r, "new_full", "new items with a full audience (L)",
                    share((double)nn_full, (double)nn), EVALREP_PCT, 0);
    }

    {   /* items per user */
        uint64_t hist[HIST_BINS] = { 0 }, hist_av[HIST_BINS] = { 0 };
        size_t nm = 0, nav = 0, nav0 = 0;
        uint32_t mx = 0;

        tmp = xmalloc(((size_t)n_users + 1) * sizeof *tmp);
        for (uint32_t u = 0; u < n_users; u++) {
            if (per_user[u] == 0)
                continue;
            hist[per_user[u] < HIST_BINS - 1 ? per_user[u] : HIST_BINS - 1]++;
            if (per_user[u] > mx)
                mx = per_user[u];
            tmp[nm++] = per_user[u];
        }
        evalrep_section(r, "items_per_user", "Items per user (D_u)");
        evalrep_num(r, "max", "largest D_u", mx, EVALREP_INT, 1);
        evalrep_num(r, "mean", "mean D_u of matched users",
                    share((double)m.n, (double)nm), EVALREP_REAL, 0);
        evalrep_num(r, "gini", "Gini of D_u over matched users",
                    evalrep_gini(tmp, nm), EVALREP_REAL, 1);
        add_hist(r, "hist", "Matched items per user (users with >= 1)",
                 hist, "items in D_u");
        if (a != NULL) {
            for (uint32_t u = 0; u < a->n_users && u < n_users; u++) {
                if (!a->active[u])
                    continue;
                tmp[nav++] = per_user[u];
                nav0 += per_user[u] == 0;
                hist_av[per_user[u] < HIST_BINS - 1 ? per_user[u]
                                                    : HIST_BINS - 1]++;
            }
            evalrep_num(r, "available_zero", "available users (a_u = 1) with "
                        "no item", share((double)nav0, (double)nav),
                        EVALREP_PCT, 0);
            evalrep_num(r, "gini_available", "Gini of D_u over available "
                        "users, zeros included", evalrep_gini(tmp, nav),
                        EVALREP_REAL, 0);
            add_hist(r, "hist_available", "Matched items per available user "
                     "(a_u = 1, zeros included)", hist_av, "items in D_u");
        }
    }

    {   /* channels */
        static const char *const cols[] = {
            "pairs", "share of pairs", "hit rate"
        };
        static const enum evalrep_fmt fmts[] = {
            EVALREP_INT, EVALREP_PCT, EVALREP_PCT
        };
        struct evalrep_table *t;
        size_t n_rows = 0;

        evalrep_section(r, "channels", "Retrieval channels of the matched "
                        "pairs");
        t = evalrep_table(r, "channels", "Matched pairs per channel (a pair "
                          "may come from several)", "channel", 3, cols, fmts);
        n_rows = m.n_rows;
        for (int c = 0; c < CANDS_N_CHANNELS; c++) {
            double v[3] = { 0, 0, 0 }, act = 0;

            for (size_t k = 0; k < n_rows; k++)
                if (m.ch[k] & (1u << c)) {
                    v[0] += 1;
                    act += active[m.row_user[k]];
                }
            v[1] = share(v[0], (double)n_rows);
            v[2] = share(act, v[0]);
            evalrep_row(t, cands_channel_name((enum cands_channel)(1 << c)),
                        v);
        }
    }

    if (o->rank_path && rank_section(o, s1, r, d) < 0)
        goto out;
    if (a != NULL)
        uac_section(a, active, imp1, n_users, s1, r);
    rc = 0;
out:
    if (rc < 0) {
        evalrep_free(r);
        r = NULL;
    }
    avail_free(a);
    window_free(w);
    free(m.p);
    free(m.ch);
    free(m.row_user);
    free(active);
    free(imp1);
    free(is_target);
    free(is_new);
    free(aud);
    free(per_user);
    free(tmp);
    free(eng_x);
    free(hit_x);
    free(eng_a);
    free(hit_a);
    free(ex);
    free(ea);
    free(dir);
    free(path);
    free(manifest);
    *out = r;
    return rc;
}
