/*
 * worldgen_truth.c -- the ground truth of a generated world, in
 * <root>/truth/, and its loader (worldgen.h).
 *
 * Files (binfile.h containers; integers little-endian, floats IEEE-754
 * binary32 LE; arrays are SoA, vectors (n, dim) row-major):
 *
 *   world.bin  magic "\x89DRWORLD", version WORLD_VERSION
 *     OFFSET SIZE      TYPE  FIELD
 *          0    8      u64   seed
 *          8    4      u32   n_users
 *         12    4      u32   n_creators (resolved)
 *         16    4      u32   items_per_day
 *         20    4      u32   n_days
 *         24    4      i32   start_day (days since 1970-01-01)
 *         28    4      u32   dim
 *         32    4      u32   n_tags
 *         36    4      u32   warmup_days
 *         40    4      u32   max_age_days
 *         44    8      f64   imp_per_session
 *         52    8      f64   pop_share
 *         60    8      f64   tag_share
 *         68    4      u32   push_per_session
 *         72    .      f32   user_vec (n_users, dim), user_bias[n_users]
 *                      f32   per user, 11 arrays of n_users: level, pday,
 *                            wkend, s_extra, imp_mean, peak1, width1,
 *                            peak2, width2, mix, wshift
 *                      i32   arrive[n_users], churn[n_users],
 *                            dorm_from[n_users], dorm_to[n_users]
 *                            (dormant on [dorm_from, dorm_to); INT32_MAX
 *                            for churn and dorm_*: never)
 *                      u8    client[n_users] (0 app, 1 lite)
 *                      f32   tag_vec (n_tags, dim), tag_pop[n_tags]
 *                      f32   creator_vec (n_creators, dim),
 *                            creator_bias[], creator_prod[]
 *                      u16   creator_tags (n_creators, 3)
 *
 *   items.bin  magic "\x89DRWITEM", version ITEMS_VERSION: every item
 *     uploaded up to the last generated day (warm-up items first)
 *          0    4      u32   n_items
 *          4    4      u32   dim
 *          8    .      f32   item_vec (n_items, dim), bias[n_items]
 *                      u32   creator[n_items]
 *                      i64   upload_t[n_items] (epoch seconds)
 *                      u32   dur_ms[n_items]
 *                      i32   day[n_items] (upload day)
 *                      u8    n_tags[n_items]
 *                      u16   tags (n_items, 3), unused slots 0
 *
 *   days/dt=YYYY-MM-DD.bin  magic "\x89DRWDAYS", version DAYS_VERSION:
 *     one generated day's realised outcome (also what replaying the
 *     popularity state needs)
 *          0    4      i32   day
 *          4    4      u32   n_users
 *          8    .      u32   user_imp[n_users] (impressions)
 *                      u32   user_hours[n_users] (bit h: a session
 *                            started in hour h, UTC)
 *                      u32   n_items (items existing that day)
 *                      u32   imp[n_items], click[n_items], like[n_items]
 *
 *   summary.tsv  one row per day: date, active users, impressions, the
 *     seven feedback counts, uploads, uploads with no impression that
 *     day, share of impressions on items at most one day old.
 *   params.tsv   key<TAB>value of every parameter.
 *   hours.tsv    per weekday (of the generated days) and hour: expected
 *     and realised number of users starting a session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "binfile.h"
#include "byteio.h"
#include "dates.h"
#include "layout.h"
#include "worldgen.h"
#include "worldgen_int.h"
#include "xmem.h"

#define WORLD_VERSION 1
#define ITEMS_VERSION 1
#define DAYS_VERSION  1

/* Paths under a truth dir (itself < 4096 bytes). */
#define TPATH 4200

static const char world_magic[BINFILE_MAGIC_SIZE] = "\x89" "DRWORLD";
static const char items_magic[BINFILE_MAGIC_SIZE] = "\x89" "DRWITEM";
static const char days_magic[BINFILE_MAGIC_SIZE] = "\x89" "DRWDAYS";

static void
put_params(struct bbuf *b, const struct worldgen_params *p)
{
    bbuf_put_le64(b, p->seed);
    bbuf_put_le32(b, p->n_users);
    bbuf_put_le32(b, p->n_creators);
    bbuf_put_le32(b, p->items_per_day);
    bbuf_put_le32(b, p->n_days);
    bbuf_put_le32(b, (uint32_t)p->start_day);
    bbuf_put_le32(b, p->dim);
    bbuf_put_le32(b, p->n_tags);
    bbuf_put_le32(b, p->warmup_days);
    bbuf_put_le32(b, p->max_age_days);
    bbuf_put_f64(b, p->imp_per_session);
    bbuf_put_f64(b, p->pop_share);
    bbuf_put_f64(b, p->tag_share);
    bbuf_put_le32(b, p->push_per_session);
}

static void
get_params(struct bcur *c, struct worldgen_params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = bcur_get_le64(c);
    p->n_users = bcur_get_le32(c);
    p->n_creators = bcur_get_le32(c);
    p->items_per_day = bcur_get_le32(c);
    p->n_days = bcur_get_le32(c);
    p->start_day = (int32_t)bcur_get_le32(c);
    p->dim = bcur_get_le32(c);
    p->n_tags = bcur_get_le32(c);
    p->warmup_days = bcur_get_le32(c);
    p->max_age_days = bcur_get_le32(c);
    p->imp_per_session = bcur_get_f64(c);
    p->pop_share = bcur_get_f64(c);
    p->tag_share = bcur_get_f64(c);
    p->push_per_session = bcur_get_le32(c);
}

/* The user-side part of world.bin after the parameters. */
static void
put_users(struct bbuf *b, const struct worldgen *w)
{
    uint32_t n = w->p.n_users;

    bbuf_put_f32v(b, w->user_vec, (size_t)n * w->p.dim);
    bbuf_put_f32v(b, w->user_bias, n);
#define ACT_F32(field) \
    for (uint32_t u = 0; u < n; u++) \
        bbuf_put_f32(b, w->act[u].field)
    ACT_F32(level); ACT_F32(pday); ACT_F32(wkend); ACT_F32(s_extra);
    ACT_F32(imp_mean); ACT_F32(peak1); ACT_F32(width1); ACT_F32(peak2);
    ACT_F32(width2); ACT_F32(mix); ACT_F32(wshift);
#undef ACT_F32
    for (uint32_t u = 0; u < n; u++)
        bbuf_put_le32(b, (uint32_t)w->act[u].arrive);
    for (uint32_t u = 0; u < n; u++)
        bbuf_put_le32(b, (uint32_t)w->act[u].churn);
    for (uint32_t u = 0; u < n; u++)
        bbuf_put_le32(b, (uint32_t)w->act[u].dorm_from);
    for (uint32_t u = 0; u < n; u++)
        bbuf_put_le32(b, (uint32_t)w->act[u].dorm_to);
    for (uint32_t u = 0; u < n; u++)
        bbuf_put_u8(b, w->act[u].client);
    bbuf_put_f32v(b, w->tag_vec, (size_t)w->p.n_tags * w->p.dim);
    bbuf_put_f32v(b, w->tag_pop, w->p.n_tags);
    bbuf_put_f32v(b, w->creator_vec, (size_t)w->p.n_creators * w->p.dim);
    bbuf_put_f32v(b, w->creator_bias, w->p.n_creators);
    bbuf_put_f32v(b, w->creator_prod, w->p.n_creators);
    for (size_t k = 0; k < (size_t)w->p.n_creators * WORLDGEN_FAV_TAGS; k++)
        bbuf_put_le16(b, w->creator_tags[k]);
}

static void
put_day_path(char *buf, size_t n, const char *tdir, int32_t day)
{
    char dt[LAYOUT_DT_SIZE];

    snprintf(buf, n, "%s/days/%s.bin", tdir, layout_dt(day, dt));
}

int
wg_truth_begin(struct wg_truth_writer *tw, const struct worldgen *w,
               const char *root, struct diag *d)
{
    struct bbuf b = BBUF_INIT;
    char path[TPATH];
    int rc;

    memset(tw, 0, sizeof *tw);
    snprintf(path, sizeof path, "%s/truth/days", root);
    if (mkdir_p(path, d) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/truth", root);
    tw->dir = xstrdup(path);
    put_params(&b, &w->p);
    put_users(&b, w);
    snprintf(path, sizeof path, "%s/world.bin", tw->dir);
    rc = binfile_save(path, world_magic, WORLD_VERSION, b.p, b.len, 3, d);
    bbuf_release(&b);
    {
        static const char head[] = "date\tactive_users\timpressions\tclick"
            "\tlong_view\tlike\tcomment\tfollow\tshare\thate\tuploads"
            "\tuploads_unseen\tnew_item_imp_share\n";

        bbuf_put(&tw->summary, head, sizeof head - 1);
    }
    return rc;
}

int
wg_truth_day(struct wg_truth_writer *tw, const struct worldgen *w,
             const struct worldgen_daystats *st, struct diag *d)
{
    struct bbuf b = BBUF_INIT;
    char path[TPATH], line[512], date[16];
    uint64_t fresh_imp = 0;
    uint32_t unseen = 0;
    int rc, n;

    bbuf_put_le32(&b, (uint32_t)st->day);
    bbuf_put_le32(&b, st->n_users);
    bbuf_put_le32v(&b, st->user_imp, st->n_users);
    bbuf_put_le32v(&b, st->user_hours, st->n_users);
    bbuf_put_le32(&b, st->n_items);
    bbuf_put_le32v(&b, st->imp, st->n_items);
    bbuf_put_le32v(&b, st->click, st->n_items);
    bbuf_put_le32v(&b, st->like, st->n_items);
    put_day_path(path, sizeof path, tw->dir, st->day);
    rc = binfile_save(path, days_magic, DAYS_VERSION, b.p, b.len, 3, d);
    bbuf_release(&b);
    if (rc < 0)
        return -1;
    {
        int wd = dates_weekday(st->day);

        tw->n_weekday[wd]++;
        for (uint32_t u = 0; u < st->n_users; u++)
            for (uint32_t m = st->user_hours[u]; m != 0; m &= m - 1)
                tw->hours_real[wd][__builtin_ctz(m)] += 1.0;
    }
    for (uint32_t i = 0; i < st->n_items; i++) {
        if (w->items[i].day >= st->day - 1)
            fresh_imp += st->imp[i];
        if (i >= w->first_today && st->imp[i] == 0)
            unseen++;
    }
    n = snprintf(line, sizeof line, "%s\t%u\t%llu",
                 dates_format_day(st->day, date), st->n_active_users,
                 (unsigned long long)st->n_imp);
    /* click, long_view, like, comment, follow, share, hate: the flag
     * bits in order */
    for (int k = 0; k < 7; k++)
        n += snprintf(line + n, sizeof line - (size_t)n, "\t%llu",
                      (unsigned long long)st->n_fb[k]);
    n += snprintf(line + n, sizeof line - (size_t)n, "\t%u\t%u\t%.4f\n",
                  w->n_items - w->first_today, unseen,
                  st->n_imp ? (double)fresh_imp / (double)st->n_imp : 0.0);
    bbuf_put(&tw->summary, line, (size_t)n);
    return 0;
}

#define HOURS_BLOCK 4096

/*
 * hours.tsv: per weekday and hour, the expected number of users starting a
 * session (sum of worldgen_p_online over users, averaged over the
 * generated days of that weekday) beside the realised number.  Per-block
 * partial sums added in block order, so the file does not depend on the
 * thread count.
 */
static int
write_hours(const struct wg_truth_writer *tw, const struct worldgen *w,
            struct diag *d)
{
    const struct worldgen_params *p = &w->p;
    uint32_t nb = (p->n_users + HOURS_BLOCK - 1) / HOURS_BLOCK;
    double (*part)[7][24] = xcalloc(nb, sizeof *part);
    double expect[7][24];
    struct bbuf b = BBUF_INIT;
    char path[TPATH], line[160];
    static const char *const wdname[7] = {
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
    };
    int rc;

    #pragma omp parallel for schedule(dynamic, 1)
    for (uint32_t k = 0; k < nb; k++) {
        uint32_t u1 = (k + 1) * HOURS_BLOCK < p->n_users
                    ? (k + 1) * HOURS_BLOCK : p->n_users;

        for (uint32_t u = k * HOURS_BLOCK; u < u1; u++) {
            double week[7][24];

            worldgen_p_online_week(w, u, week);
            for (uint32_t j = 0; j < p->n_days; j++) {
                int32_t day = p->start_day + (int32_t)j;
                int wd = dates_weekday(day);

                if (worldgen_p_active_day(w, u, day) == 0.0)
                    continue;
                for (int h = 0; h < 24; h++)
                    part[k][wd][h] += week[wd][h];
            }
        }
    }
    memset(expect, 0, sizeof expect);
    for (uint32_t k = 0; k < nb; k++)
        for (int wd = 0; wd < 7; wd++)
            for (int h = 0; h < 24; h++)
                expect[wd][h] += part[k][wd][h];
    free(part);
    {
        static const char head[] = "weekday\thour\texpected_users"
                                   "\trealised_users\n";

        bbuf_put(&b, head, sizeof head - 1);
    }
    for (int wd = 0; wd < 7; wd++) {
        if (tw->n_weekday[wd] == 0)
            continue;
        for (int h = 0; h < 24; h++) {
            int n = snprintf(line, sizeof line, "%s\t%d\t%.1f\t%.1f\n",
                             wdname[wd], h, expect[wd][h] / tw->n_weekday[wd],
                             tw->hours_real[wd][h] / tw->n_weekday[wd]);

            bbuf_put(&b, line, (size_t)n);
        }
    }
    snprintf(path, sizeof path, "%s/hours.tsv", tw->dir);
    rc = atomicfile_write(path, b.p, b.len, d);
    bbuf_release(&b);
    return rc;
}

int
wg_truth_end(struct wg_truth_writer *tw, const struct worldgen *w,
             struct diag *d)
{
    struct bbuf b = BBUF_INIT;
    char path[TPATH], line[256], date[16];
    uint32_t n = w->n_items, dim = w->p.dim;
    const struct worldgen_params *p = &w->p;
    int rc, k;

    bbuf_put_le32(&b, n);
    bbuf_put_le32(&b, dim);
    bbuf_put_f32v(&b, w->item_vec, (size_t)n * dim);
    for (uint32_t i = 0; i < n; i++)
        bbuf_put_f32(&b, w->items[i].bias);
    for (uint32_t i = 0; i < n; i++)
        bbuf_put_le32(&b, w->items[i].creator);
    for (uint32_t i = 0; i < n; i++)
        bbuf_put_le64(&b, (uint64_t)w->items[i].upload_t);
    for (uint32_t i = 0; i < n; i++)
        bbuf_put_le32(&b, w->items[i].dur_ms);
    for (uint32_t i = 0; i < n; i++)
        bbuf_put_le32(&b, (uint32_t)w->items[i].day);
    for (uint32_t i = 0; i < n; i++)
        bbuf_put_u8(&b, (uint8_t)w->items[i].n_tags);
    for (uint32_t i = 0; i < n; i++)
        for (int j = 0; j < WORLDGEN_TAGS_MAX; j++)
            bbuf_put_le16(&b, j < w->items[i].n_tags ? w->items[i].tags[j]
                                                      : 0);
    snprintf(path, sizeof path, "%s/items.bin", tw->dir);
    rc = binfile_save(path, items_magic, ITEMS_VERSION, b.p, b.len, 3, d);
    bbuf_release(&b);
    if (rc < 0)
        return -1;
    snprintf(path, sizeof path, "%s/summary.tsv", tw->dir);
    if (atomicfile_write(path, tw->summary.p, tw->summary.len, d) < 0)
        return -1;
    k = snprintf(line, sizeof line,
                 "seed\t%llu\nusers\t%u\ncreators\t%u\nitems_per_day\t%u\n"
                 "days\t%u\nstart\t%s\ndim\t%u\ntags\t%u\nwarmup_days\t%u\n"
                 "max_age_days\t%u\n",
                 (unsigned long long)p->seed, p->n_users, p->n_creators,
                 p->items_per_day, p->n_days,
                 dates_format_day(p->start_day, date), p->dim, p->n_tags,
                 p->warmup_days, p->max_age_days);
    bbuf_release(&b);
    bbuf_put(&b, line, (size_t)k);
    k = snprintf(line, sizeof line,
                 "imp_per_session\t%g\npop_share\t%g\ntag_share\t%g\n"
                 "push_per_session\t%u\nitems\t%u\n",
                 p->imp_per_session, p->pop_share, p->tag_share,
                 p->push_per_session, w->n_items);
    bbuf_put(&b, line, (size_t)k);
    snprintf(path, sizeof path, "%s/params.tsv", tw->dir);
    rc = atomicfile_write(path, b.p, b.len, d);
    bbuf_release(&b);
    if (rc == 0)
        rc = write_hours(tw, w, d);
    return rc;
}

void
wg_truth_release(struct wg_truth_writer *tw)
{
    free(tw->dir);
    bbuf_release(&tw->summary);
    memset(tw, 0, sizeof *tw);
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */

static int
load_world_params(const char *tdir, struct worldgen_params *p,
                  void **buf, size_t *len, struct diag *d)
{
    char path[TPATH];
    struct bcur c;

    snprintf(path, sizeof path, "%s/world.bin", tdir);
    if (binfile_load(path, world_magic, WORLD_VERSION, buf, len, d) < 0)
        return -1;
    bcur_init(&c, *buf, *len);
    get_params(&c, p);
    if (!bcur_ok(&c) || worldgen_params_check(p, NULL) < 0
        || p->n_creators == 0) {
        free(*buf);
        *buf = NULL;
        return diag_set(d, RC_DATA, "%s: offset 0: bad parameter block",
                        path);
    }
    return 0;
}

/*
 * Rebuild the world from the parameters stored in world.bin and check it
 * against the stored users, tags and creators: the generator's code must
 * be the one that wrote the truth.
 */
static int
rebuild_world(const char *tdir, struct worldgen **out, struct diag *d)
{
    struct worldgen_params p;
    struct worldgen *w = NULL;
    struct bbuf b = BBUF_INIT;
    void *buf = NULL;
    size_t len = 0;
    int rc = 0;

    *out = NULL;
    if (load_world_params(tdir, &p, &buf, &len, d) < 0)
        return -1;
    if (worldgen_new(&p, &w, d) < 0) {
        free(buf);
        return -1;
    }
    put_params(&b, &w->p);
    put_users(&b, w);
    if (b.len != len || memcmp(b.p, buf, len) != 0) {
        rc = diag_set(d, RC_DATA, "%s/world.bin: the world rebuilt from its "
                      "parameters differs from the stored one (written by "
                      "another generator version)", tdir);
        worldgen_free(w);
        w = NULL;
    }
    bbuf_release(&b);
    free(buf);
    *out = w;
    return rc;
}

/* Load one day file; the arrays are new (caller releases st). */
static int
load_day(const char *tdir, int32_t day, struct worldgen_daystats *st,
         struct diag *d)
{
    char path[TPATH];
    void *buf;
    size_t len;
    struct bcur c;
    int rc = 0;

    memset(st, 0, sizeof *st);
    put_day_path(path, sizeof path, tdir, day);
    if (binfile_load(path, days_magic, DAYS_VERSION, &buf, &len, d) < 0)
        return -1;
    bcur_init(&c, buf, len);
    st->day = (int32_t)bcur_get_le32(&c);
    st->n_users = bcur_get_le32(&c);
    if (bcur_ok(&c) && (size_t)st->n_users * 8 <= bcur_left(&c)) {
        st->user_imp = xmalloc((size_t)st->n_users * 4 + 1);
        st->user_hours = xmalloc((size_t)st->n_users * 4 + 1);
        bcur_get_le32v(&c, st->user_imp, st->n_users);
        bcur_get_le32v(&c, st->user_hours, st->n_users);
        st->n_items = bcur_get_le32(&c);
        if (bcur_ok(&c) && (size_t)st->n_items * 12 == bcur_left(&c)) {
            st->imp = xmalloc((size_t)st->n_items * 4 + 1);
            st->click = xmalloc((size_t)st->n_items * 4 + 1);
            st->like = xmalloc((size_t)st->n_items * 4 + 1);
            bcur_get_le32v(&c, st->imp, st->n_items);
            bcur_get_le32v(&c, st->click, st->n_items);
            bcur_get_le32v(&c, st->like, st->n_items);
        } else
            c.bad = 1;
    } else
        c.bad = 1;
    if (!bcur_ok(&c) || st->day != day)
        rc = diag_set(d, RC_DATA, "%s: offset 0: bad day record", path);
    free(buf);
    if (rc < 0)
        worldgen_daystats_release(st);
    return rc;
}

int
worldgen_open_at(const char *dir, int32_t day, struct worldgen **out,
                 struct diag *d)
{
    char tdir[4096];
    struct worldgen *w;

    *out = NULL;
    if ((size_t)snprintf(tdir, sizeof tdir, "%s/truth", dir) >= sizeof tdir)
        return diag_set(d, RC_NOINPUT, "%s: path too long", dir);
    if (rebuild_world(tdir, &w, d) < 0)
        return -1;
    if (day < w->p.start_day
        || day > w->p.start_day + (int32_t)w->p.n_days) {
        char a[16], b[16], c[16];

        diag_set(d, RC_USAGE, "day %s outside the generated world (%s .. %s)",
                 dates_format_day(day, a),
                 dates_format_day(w->p.start_day, b),
                 dates_format_day(w->p.start_day + (int32_t)w->p.n_days, c));
        worldgen_free(w);
        return -1;
    }
    while (w->day < day) {
        struct worldgen_daystats st;

        if (load_day(tdir, w->day, &st, d) < 0) {
            worldgen_free(w);
            return -1;
        }
        if (st.n_items != w->n_items || st.n_users != w->p.n_users) {
            char path[TPATH];

            put_day_path(path, sizeof path, tdir, w->day);
            worldgen_daystats_release(&st);
            worldgen_free(w);
            return diag_set(d, RC_DATA, "%s: item or user count differs "
                            "from the rebuilt world", path);
        }
        worldgen_advance(w, &st);
        worldgen_daystats_release(&st);
    }
    *out = w;
    return 0;
}

int
worldgen_truth_load(const char *dir, struct worldgen_truth **out,
                    struct diag *d)
{
    struct worldgen_truth *t;
    struct worldgen *w = NULL;
    char tdir[4096], path[TPATH];
    void *buf = NULL;
    size_t len = 0;
    struct bcur c;
    uint32_t n, dim;

    *out = NULL;
    if ((size_t)snprintf(tdir, sizeof tdir, "%s/truth", dir) >= sizeof tdir)
        return diag_set(d, RC_NOINPUT, "%s: path too long", dir);
    {
        struct worldgen_params p;

        if (load_world_params(tdir, &p, &buf, &len, d) < 0)
            return -1;
        free(buf);
        buf = NULL;
        if (worldgen_open_at(dir, p.start_day + (int32_t)p.n_days, &w, d)
            < 0)
            return -1;
    }
    t = xcalloc(1, sizeof *t);
    t->world = w;
    t->params = w->p;
    t->n_users = w->p.n_users;
    t->n_creators = w->p.n_creators;
    t->n_tags = w->p.n_tags;
    t->dim = dim = w->p.dim;
    t->user_vec = xmalloc((size_t)t->n_users * dim * sizeof(float));
    memcpy(t->user_vec, w->user_vec, (size_t)t->n_users * dim
                                     * sizeof(float));
    t->user_bias = xmalloc(t->n_users * sizeof(float));
    memcpy(t->user_bias, w->user_bias, t->n_users * sizeof(float));

    snprintf(path, sizeof path, "%s/items.bin", tdir);
    if (binfile_load(path, items_magic, ITEMS_VERSION, &buf, &len, d) < 0)
        goto fail;
    bcur_init(&c, buf, len);
    n = bcur_get_le32(&c);
    if (bcur_get_le32(&c) != dim || !bcur_ok(&c)
        || (uint64_t)n * (dim * 4 + 4 + 4 + 8 + 4 + 4 + 1 + 6)
           != bcur_left(&c)) {
        diag_set(d, RC_DATA, "%s: offset 0: bad item table header", path);
        goto fail;
    }
    t->n_items = n;
    t->item_vec = xmalloc((size_t)n * dim * sizeof(float) + 1);
    t->item_bias = xmalloc((size_t)n * sizeof(float) + 1);
    t->item_creator = xmalloc((size_t)n * sizeof(uint32_t) + 1);
    t->item_upload_t = xmalloc((size_t)n * sizeof(int64_t) + 1);
    bcur_get_f32v(&c, t->item_vec, (size_t)n * dim);
    bcur_get_f32v(&c, t->item_bias, n);
    bcur_get_le32v(&c, t->item_creator, n);
    for (uint32_t i = 0; i < n; i++)
        t->item_upload_t[i] = (int64_t)bcur_get_le64(&c);
    if (n != w->first_today
        || memcmp(t->item_vec, w->item_vec, (size_t)n * dim * sizeof(float))
           != 0) {
        diag_set(d, RC_DATA, "%s: items differ from the rebuilt world",
                 path);
        goto fail;
    }
    free(buf);
    buf = NULL;

    t->n_days = w->p.n_days;
    t->first_day = w->p.start_day;
    t->day_imp = xmalloc((size_t)t->n_days * t->n_users * sizeof(uint32_t));
    t->day_hours = xmalloc((size_t)t->n_days * t->n_users
                           * sizeof(uint32_t));
    for (uint32_t k = 0; k < t->n_days; k++) {
        struct worldgen_daystats st;

        if (load_day(tdir, t->first_day + (int32_t)k, &st, d) < 0)
            goto fail;
        if (st.n_users != t->n_users) {
            put_day_path(path, sizeof path, tdir, t->first_day + (int32_t)k);
            worldgen_daystats_release(&st);
            diag_set(d, RC_DATA, "%s: user count %u (expected %u)", path,
                     st.n_users, t->n_users);
            goto fail;
        }
        memcpy(t->day_imp + (size_t)k * t->n_users, st.user_imp,
               t->n_users * sizeof(uint32_t));
        memcpy(t->day_hours + (size_t)k * t->n_users, st.user_hours,
               t->n_users * sizeof(uint32_t));
        worldgen_daystats_release(&st);
    }
    *out = t;
    return 0;
fail:
    free(buf);
    worldgen_truth_free(t);
    return -1;
}

void
worldgen_truth_free(struct worldgen_truth *t)
{
    if (t == NULL)
        return;
    free(t->user_vec);
    free(t->user_bias);
    free(t->item_vec);
    free(t->item_bias);
    free(t->item_creator);
    free(t->item_upload_t);
    free(t->day_imp);
    free(t->day_hours);
    worldgen_free(t->world);
    free(t);
}
