/*
 * check_worldgen.c -- the synthetic world: determinism (same seed, 1 and
 * 2 threads), the CSVs it writes, the shape of its statistics, the truth
 * files and the push hook of the delivery simulator.  Worlds are tiny.
 */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "atomicfile.h"
#include "byteio.h"
#include "check_common.h"
#include "dates.h"
#include "worldgen.h"
#include "xmem.h"

static struct worldgen_params
tiny_params(void)
{
    struct worldgen_params p = worldgen_default_params();

    p.seed = 7;
    p.n_users = 300;
    p.items_per_day = 40;
    p.n_days = 3;
    p.warmup_days = 3;
    return p;
}

static const char *const day_files[] = {
    "exposures", "interactions", "items", "follows", "users"
};

static void
day_path(char *buf, size_t n, const char *root, int32_t day,
         const char *name, const char *ext)
{
    char date[16];

    snprintf(buf, n, "%s/logs/dt=%s/%s.%s", root,
             dates_format_day(day, date), name, ext);
}

static char *
slurp(const char *path, size_t *len)
{
    struct diag d = DIAG_INIT;
    char *p = NULL;

    ck_assert_msg(file_read_all(path, &p, len, &d) == 0, "%s", d.msg);
    return p;
}

static void
assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *pa = slurp(a, &la), *pb = slurp(b, &lb);

    ck_assert_msg(la == lb && memcmp(pa, pb, la) == 0, "%s differs from %s",
                  a, b);
    free(pa);
    free(pb);
}

static void
generate(const struct worldgen_params *p, const char *dir, unsigned flags)
{
    struct worldgen_summary sum;
    struct diag d = DIAG_INIT;

    ck_assert_msg(worldgen_generate(p, dir, flags, NULL, NULL, &sum, &d)
                  == 0, "%s", d.msg);
    ck_assert_uint_gt(sum.rows[0], 0);
}

START_TEST(test_worldgen_same_seed_same_bytes_any_threads)
{
    struct worldgen_params p = tiny_params();
    char a[4096], b[4096], fa[4300], fb[4300];
    int nt = omp_get_max_threads();

    snprintf(a, sizeof a, "%s", test_tmpdir());
    snprintf(b, sizeof b, "%s", test_tmpdir());
    omp_set_num_threads(1);
    generate(&p, a, 0);
    omp_set_num_threads(2);
    generate(&p, b, 0);
    omp_set_num_threads(nt);
    for (uint32_t k = 0; k < p.n_days; k++)
        for (size_t f = 0; f < 5; f++) {
            day_path(fa, sizeof fa, a, p.start_day + (int32_t)k,
                     day_files[f], "csv");
            day_path(fb, sizeof fb, b, p.start_day + (int32_t)k,
                     day_files[f], "csv");
            assert_same_file(fa, fb);
        }
    snprintf(fa, sizeof fa, "%s/truth/items.bin", a);
    snprintf(fb, sizeof fb, "%s/truth/items.bin", b);
    assert_same_file(fa, fb);
    snprintf(fa, sizeof fa, "%s/truth/world.bin", a);
    snprintf(fb, sizeof fb, "%s/truth/world.bin", b);
    assert_same_file(fa, fb);
    snprintf(fa, sizeof fa, "%s/truth/summary.tsv", a);
    snprintf(fb, sizeof fb, "%s/truth/summary.tsv", b);
    assert_same_file(fa, fb);
    test_rmtree(a);
    test_rmtree(b);
}
END_TEST

START_TEST(test_worldgen_other_seed_other_world)
{
    struct worldgen_params p = tiny_params();
    struct worldgen *w1, *w2;
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(worldgen_new(&p, &w1, &d), 0);
    p.seed++;
    ck_assert_int_eq(worldgen_new(&p, &w2, &d), 0);
    ck_assert(memcmp(worldgen_user_vec(w1, 0), worldgen_user_vec(w2, 0),
                     p.dim * sizeof(float)) != 0);
    worldgen_free(w1);
    worldgen_free(w2);
}
END_TEST

/* Split a line (no newline) on ',' into at most max fields, in place. */
static int
split(char *s, char **f, int max)
{
    int n = 0;

    f[n++] = s;
    for (; *s; s++)
        if (*s == ',') {
            *s = '\0';
            if (n == max)
                return max + 1;
            f[n++] = s + 1;
        }
    return n;
}

static int
is_id(const char *s, char prefix)
{
    uint32_t x;

    return worldgen_parse_id(s, prefix, &x) == 0;
}

static int
is_flag(const char *s)
{
    return strcmp(s, "0") == 0 || strcmp(s, "1") == 0;
}

START_TEST(test_worldgen_csv_rows_parse)
{
    static const char *const header[] = {
        "time,user,item,click,like,comment,follow,share,long_view,hate,"
        "play_ms,duration_ms",
        "time,user,item,event,value",
        "item,creator,upload_time,tags,duration_ms",
        "time,user,creator",
        "user,signup_date,client"
    };
    static const int ncol[] = { 12, 5, 5, 3, 3 };
    struct worldgen_params p = tiny_params();
    char dir[4096], path[4300];
    uint64_t rows[5] = { 0 };

    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    generate(&p, dir, 0);
    for (uint32_t k = 0; k < p.n_days; k++) {
        int32_t day = p.start_day + (int32_t)k;
        int64_t t0 = dates_day_start(day, 0);

        for (int f = 0; f < 5; f++) {
            size_t len;
            char *text, *line, *save = NULL;
            int first = 1;

            day_path(path, sizeof path, dir, day, day_files[f], "csv");
            text = slurp(path, &len);
            ck_assert_msg(len > 0 && text[len - 1] == '\n', "%s", path);
            for (line = strtok_r(text, "\n", &save); line != NULL;
                 line = strtok_r(NULL, "\n", &save)) {
                char *c[16];
                int n;

                if (first) {
                    ck_assert_str_eq(line, header[f]);
                    first = 0;
                    continue;
                }
                n = split(line, c, 15);
                ck_assert_msg(n == ncol[f], "%s: %d columns", path, n);
                rows[f]++;
                if (f == 0) {
                    int64_t t = atoll(c[0]);

                    ck_assert(t >= t0 && t < t0 + DATES_DAY_SECONDS);
                    ck_assert(is_id(c[1], 'u') && is_id(c[2], 'i'));
                    for (int j = 3; j < 10; j++)
                        ck_assert(is_flag(c[j]));
                    ck_assert_int_le(atoll(c[10]), atoll(c[11]));
                } else if (f == 1) {
                    ck_assert(is_id(c[1], 'u') && is_id(c[2], 'i'));
                    ck_assert(strcmp(c[3], "like") == 0
                              || strcmp(c[3], "comment") == 0
                              || strcmp(c[3], "follow") == 0
                              || strcmp(c[3], "share") == 0
                              || strcmp(c[3], "hate") == 0);
                    ck_assert_str_eq(c[4], "1");
                } else if (f == 2) {
                    ck_assert(is_id(c[0], 'i') && is_id(c[1], 'c'));
                    ck_assert(atoll(c[2]) < t0 + DATES_DAY_SECONDS);
                    ck_assert(c[3][0] == '\0' || c[3][0] == 't');
                    ck_assert_int_gt(atoll(c[4]), 0);
                } else if (f == 3) {
                    ck_assert(is_id(c[1], 'u') && is_id(c[2], 'c'));
                } else {
                    int32_t sd;

                    ck_assert(is_id(c[0], 'u'));
                    ck_assert_int_eq(dates_parse_day(c[1], &sd), 0);
                    ck_assert_int_le(sd, day);
                    ck_assert(strcmp(c[2], "app") == 0
                              || strcmp(c[2], "lite") == 0);
                }
            }
            free(text);
        }
    }
    for (int f = 0; f < 5; f++)
        ck_assert_msg(rows[f] > 0, "no rows in %s", day_files[f]);
    ck_assert_uint_eq(rows[4], p.n_users);  /* every user listed once */
    test_rmtree(dir);
}
END_TEST

/* Decompress a whole zstd file (one or more frames). */
static char *
unzstd(const char *path, size_t *len)
{
    size_t zlen, cap = 1 << 16, n = 0;
    char *z = slurp(path, &zlen), *out = xmalloc(cap);
    ZSTD_DStream *ds = ZSTD_createDStream();
    ZSTD_inBuffer in = { z, zlen, 0 };

    while (in.pos < in.size) {
        ZSTD_outBuffer o;
        size_t r;

        if (cap - n < (1 << 15)) {
            cap *= 2;
            out = xrealloc(out, cap);
        }
        o.dst = out + n;
        o.size = cap - n;
        o.pos = 0;
        r = ZSTD_decompressStream(ds, &o, &in);
        ck_assert_msg(!ZSTD_isError(r), "%s: %s", path, ZSTD_getErrorName(r));
        n += o.pos;
    }
    ZSTD_freeDStream(ds);
    free(z);
    *len = n;
    return out;
}

START_TEST(test_worldgen_zstd_matches_plain)
{
    struct worldgen_params p = tiny_params();
    char a[4096], b[4096], fa[4300], fb[4300];

    p.n_days = 2;
    snprintf(a, sizeof a, "%s", test_tmpdir());
    snprintf(b, sizeof b, "%s", test_tmpdir());
    generate(&p, a, 0);
    generate(&p, b, WORLDGEN_ZSTD);
    for (size_t f = 0; f < 5; f++) {
        size_t la, lb;
        char *pa, *pb;

        day_path(fa, sizeof fa, a, p.start_day + 1, day_files[f], "csv");
        day_path(fb, sizeof fb, b, p.start_day + 1, day_files[f], "csv.zst");
        pa = slurp(fa, &la);
        pb = unzstd(fb, &lb);
        ck_assert_msg(la == lb && memcmp(pa, pb, la) == 0, "%s", fb);
        free(pa);
        free(pb);
    }
    test_rmtree(a);
    test_rmtree(b);
}
END_TEST

/* A sink that keeps every event. */
struct evlog {
    struct worldgen_event *ev;
    size_t n, cap;
};

static int
keep_events(void *arg, const struct worldgen_event *ev, size_t n,
            struct diag *d)
{
    struct evlog *l = arg;

    (void)d;
    l->ev = xgrow(l->ev, &l->cap, l->n + n, sizeof *l->ev);
    memcpy(l->ev + l->n, ev, n * sizeof *ev);
    l->n += n;
    return 0;
}

static uint64_t
events_sum(const struct evlog *l)
{
    struct bbuf b = BBUF_INIT;
    uint64_t s;

    for (size_t k = 0; k < l->n; k++) {
        const struct worldgen_event *e = &l->ev[k];

        bbuf_put_le64(&b, (uint64_t)e->t);
        bbuf_put_le32(&b, e->user);
        bbuf_put_le32(&b, e->item);
        bbuf_put_le32(&b, e->play_ms);
        bbuf_put_le32(&b, e->dur_ms);
        bbuf_put_le16(&b, e->session);
        bbuf_put_u8(&b, e->fb);
    }
    s = checksum64(b.p, b.len, 0);
    bbuf_release(&b);
    return s;
}

static void
sim(const struct worldgen *w, const struct worldgen_push *push,
    struct evlog *l, struct worldgen_daystats *st)
{
    struct diag d = DIAG_INIT;

    memset(l, 0, sizeof *l);
    ck_assert_msg(worldgen_sim_day(w, push, keep_events, l, st, &d) == 0,
                  "%s", d.msg);
}

/*
 * Statistical shape, on a world of 1500 users: heavy users dominate
 * impressions, feedback rates are realistic, new items get little of the
 * feed, and items per creator are as skewed as in KuaiRand.
 */
START_TEST(test_worldgen_shape)
{
    struct worldgen_params p = worldgen_default_params();
    struct worldgen *w;
    struct worldgen_daystats st;
    struct diag d = DIAG_INIT;
    uint64_t imp = 0, fb[7] = { 0 }, fresh_imp = 0, top = 0;
    uint32_t *uimp, fresh_items = 0, live_items = 0;
    int32_t day;

    p.seed = 3;
    p.n_users = 1500;
    p.items_per_day = 100;
    p.n_days = 4;
    ck_assert_int_eq(worldgen_new(&p, &w, &d), 0);
    uimp = xcalloc(p.n_users, sizeof *uimp);
    for (uint32_t k = 0; k < p.n_days; k++) {
        ck_assert_int_eq(worldgen_sim_day(w, NULL, NULL, NULL, &st, &d), 0);
        day = worldgen_day(w);
        imp += st.n_imp;
        for (int f = 0; f < 7; f++)
            fb[f] += st.n_fb[f];
        for (uint32_t u = 0; u < p.n_users; u++)
            uimp[u] += st.user_imp[u];
        if (k == p.n_days - 1) {
            for (uint32_t i = 0; i < st.n_items; i++) {
                struct worldgen_item_info it;

                worldgen_item(w, i, &it);
                if (dates_day_of(it.upload_t, 0) >= day - 1) {
                    fresh_imp += st.imp[i];
                    fresh_items++;
                }
                live_items++;
            }
        }
        worldgen_advance(w, &st);
        worldgen_daystats_release(&st);
    }
    /* Top 10% of users by impressions. */
    {
        uint32_t *s = xmalloc(p.n_users * sizeof *s);

        memcpy(s, uimp, p.n_users * sizeof *s);
        for (uint32_t i = 0; i < p.n_users / 10; i++) {
            uint32_t best = i;

            for (uint32_t j = i + 1; j < p.n_users; j++)
                if (s[j] > s[best])
                    best = j;
            top += s[best];
            s[best] = s[i];
        }
        free(s);
    }
    ck_assert_msg((double)top / imp > 0.35, "top 10%% share %.3f",
                  (double)top / imp);
    ck_assert_msg((double)fb[0] / imp > 0.30 && (double)fb[0] / imp < 0.50,
                  "click rate %.3f", (double)fb[0] / imp);
    ck_assert_msg((double)fb[2] / imp > 0.02 && (double)fb[2] / imp < 0.05,
                  "like rate %.4f", (double)fb[2] / imp);
    for (int f = 3; f < 7; f++)
        ck_assert_msg((double)fb[f] / imp > 0.0005
                      && (double)fb[f] / imp < 0.01,
                      "flag %d rate %.4f", f, (double)fb[f] / imp);
    ck_assert_msg(fb[1] < fb[0], "long views %llu vs clicks %llu",
                  (unsigned long long)fb[1], (unsigned long long)fb[0]);
    /* New items (today's and yesterday's uploads): a fair part of the
     * catalog, a small part of the feed. */
    ck_assert_msg((double)fresh_imp / imp * p.n_days < 0.10,
                  "new items' impression share %.3f",
                  (double)fresh_imp * p.n_days / imp);
    ck_assert_msg((double)fresh_items / live_items > 0.15,
                  "new items' catalog share %.3f",
                  (double)fresh_items / live_items);
    free(uimp);
    worldgen_free(w);
}
END_TEST

/*
 * Items per creator over three days of uploads with the default creator
 * count reproduce KuaiRand's shape: about 87% of the creators with an
 * upload have exactly one, a few have many.
 */
START_TEST(test_worldgen_items_per_creator_skew)
{
    struct worldgen_params p = worldgen_default_params();
    struct worldgen *w;
    struct diag d = DIAG_INIT;
    uint32_t *cnt, n_cr, active = 0, ones = 0, max = 0, n;

    p.n_users = 10;
    p.items_per_day = 3000;
    p.warmup_days = 2;                  /* + day 0 = three days */
    ck_assert_int_eq(worldgen_new(&p, &w, &d), 0);
    n_cr = worldgen_params(w)->n_creators;
    ck_assert_uint_eq(n_cr, 27 * p.items_per_day);
    cnt = xcalloc(n_cr, sizeof *cnt);
    n = worldgen_n_items(w);
    for (uint32_t i = 0; i < n; i++) {
        struct worldgen_item_info it;

        worldgen_item(w, i, &it);
        cnt[it.creator]++;
    }
    for (uint32_t c = 0; c < n_cr; c++) {
        active += cnt[c] > 0;
        ones += cnt[c] == 1;
        if (cnt[c] > max)
            max = cnt[c];
    }
    ck_assert_msg((double)ones / active > 0.82 && (double)ones / active < 0.92,
                  "single-item creators %.3f", (double)ones / active);
    ck_assert_msg((double)n / active > 1.08 && (double)n / active < 1.30,
                  "items per active creator %.3f", (double)n / active);
    ck_assert_uint_ge(max, 5);
    free(cnt);
    worldgen_free(w);
}
END_TEST

START_TEST(test_worldgen_sim_same_with_threads)
{
    struct worldgen_params p = tiny_params();
    struct worldgen *w;
    struct diag d = DIAG_INIT;
    struct evlog a, b;
    int nt = omp_get_max_threads();

    p.n_users = 1200;                   /* several blocks */
    ck_assert_int_eq(worldgen_new(&p, &w, &d), 0);
    omp_set_num_threads(1);
    sim(w, NULL, &a, NULL);
    omp_set_num_threads(2);
    sim(w, NULL, &b, NULL);
    omp_set_num_threads(nt);
    ck_assert_uint_gt(a.n, 1000);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert(events_sum(&a) == events_sum(&b));
    /* Users ascending, each user's impressions by time. */
    for (size_t k = 1; k < a.n; k++)
        ck_assert(a.ev[k].user > a.ev[k - 1].user
                  || (a.ev[k].user == a.ev[k - 1].user
                      && a.ev[k].t >= a.ev[k - 1].t));
    free(a.ev);
    free(b.ev);
    worldgen_free(w);
}
END_TEST

/*
 * The simulator hook: pushed items reach an online user (in the first
 * slots of a session, flagged WG_PUSHED), never an offline one, and
 * nobody else's day changes (common random numbers).
 */
START_TEST(test_worldgen_push_online_and_offline_users)
{
    struct worldgen_params p = tiny_params();
    struct worldgen *w;
    struct diag d = DIAG_INIT;
    struct worldgen_daystats st;
    struct evlog base, pushed;
    uint32_t on = UINT32_MAX, off = UINT32_MAX, items[6], off_v[302];
    struct worldgen_push push;
    size_t i_base, i_push;
    int found[3] = { 0, 0, 0 };

    ck_assert_int_eq(worldgen_new(&p, &w, &d), 0);
    sim(w, NULL, &base, &st);
    for (uint32_t u = 0; u < p.n_users; u++) {
        if (on == UINT32_MAX && st.user_imp[u] >= 5)
            on = u;
        if (off == UINT32_MAX && st.user_imp[u] == 0)
            off = u;
    }
    ck_assert(on != UINT32_MAX && off != UINT32_MAX);
    /* Three warm-up items the online user did not see organically. */
    {
        uint32_t n = 0;

        for (uint32_t i = 0; i < worldgen_first_item_of_day(w) && n < 3;
             i++) {
            int seen = 0;

            for (size_t k = 0; k < base.n; k++)
                seen |= base.ev[k].user == on && base.ev[k].item == i;
            if (!seen)
                items[n++] = i;
        }
        ck_assert_uint_eq(n, 3);
        items[3] = items[0];
        items[4] = items[1];
        items[5] = items[2];
    }
    memset(off_v, 0, sizeof off_v);
    for (uint32_t u = 0; u <= p.n_users; u++)
        off_v[u] = (u > on ? 3 : 0) + (u > off ? 3 : 0);
    /* Both lists are items[0..2], so items[] is the CSR payload in
     * either user order. */
    push.n_users = p.n_users;
    push.off = off_v;
    push.items = items;
    sim(w, &push, &pushed, NULL);
    for (size_t k = 0; k < pushed.n; k++) {
        const struct worldgen_event *e = &pushed.ev[k];

        if (e->fb & WG_PUSHED) {
            ck_assert_uint_eq(e->user, on);
            for (int j = 0; j < 3; j++)
                found[j] |= e->item == items[j];
        }
        ck_assert_uint_ne(e->user, off);
    }
    ck_assert(found[0] && found[1] && found[2]);
    /* The online user's first impression of the day is the first pushed
     * item (pushed items lead sessions). */
    for (size_t k = 0; k < pushed.n; k++)
        if (pushed.ev[k].user == on) {
            ck_assert_uint_eq(pushed.ev[k].item, items[0]);
            ck_assert(pushed.ev[k].fb & WG_PUSHED);
            break;
        }
    /* Every other user's day is unchanged. */
    i_base = i_push = 0;
    while (i_base < base.n || i_push < pushed.n) {
        while (i_base < base.n && base.ev[i_base].user == on)
            i_base++;
        while (i_push < pushed.n && pushed.ev[i_push].user == on)
            i_push++;
        if (i_base == base.n || i_push == pushed.n)
            break;
        ck_assert(memcmp(&base.ev[i_base], &pushed.ev[i_push],
                         sizeof base.ev[0]) == 0);
        i_base++;
        i_push++;
    }
    ck_assert(i_base == base.n && i_push == pushed.n);
    worldgen_daystats_release(&st);
    free(base.ev);
    free(pushed.ev);
    worldgen_free(w);
}
END_TEST

/*
 * Boost details: at most push_per_session pushed items per session, ahead
 * of the organic ones; never before the item's upload; unknown indices
 * skipped; the same push gives the same events.
 */
START_TEST(test_worldgen_push_cap_and_order)
{
    struct worldgen_params p = tiny_params();
    struct worldgen *w;
    struct diag d = DIAG_INIT;
    struct worldgen_daystats st;
    struct evlog base, a, b;
    uint32_t *off, *items, n = 0, n_items;
    struct worldgen_push push;
    uint64_t shown = 0;

    p.push_per_session = 2;
    ck_assert_int_eq(worldgen_new(&p, &w, &d), 0);
    n_items = worldgen_n_items(w);
    sim(w, NULL, &base, &st);
    /* Every user gets 12 pushes: an unknown index, then items spread over
     * the catalog including today's uploads. */
    off = xmalloc((p.n_users + 1) * sizeof *off);
    items = xmalloc((size_t)p.n_users * 12 * sizeof *items);
    for (uint32_t u = 0; u < p.n_users; u++) {
        off[u] = n;
        items[n++] = n_items + 5;
        for (uint32_t k = 0; k < 11; k++)
            items[n++] = (u * 7 + k * 97) % n_items;
    }
    off[p.n_users] = n;
    push.n_users = p.n_users;
    push.off = off;
    push.items = items;
    sim(w, &push, &a, NULL);
    sim(w, &push, &b, NULL);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert(events_sum(&a) == events_sum(&b));
    /* Same sessions: organic picks may come up empty in a world this
     * small (the slot is then skipped), pushed ones do not. */
    ck_assert_uint_ge(a.n, base.n * 95 / 100);
    for (size_t k = 0; k < a.n; k++) {
        const struct worldgen_event *e = &a.ev[k];
        struct worldgen_item_info it;
        int first = k == 0 || a.ev[k - 1].user != e->user
                 || a.ev[k - 1].session != e->session;

        ck_assert_uint_lt(e->item, n_items);
        worldgen_item(w, e->item, &it);
        ck_assert(e->t >= it.upload_t);
        if (e->fb & WG_PUSHED) {
            /* a pushed slot is the session's first or follows one */
            ck_assert(first || (a.ev[k - 1].fb & WG_PUSHED));
            /* at most two in a row */
            ck_assert(first || k < 2 || !(a.ev[k - 2].fb & WG_PUSHED)
                      || a.ev[k - 2].session != e->session
                      || a.ev[k - 2].user != e->user);
            shown++;
        }
    }
    ck_assert_uint_gt(shown, 100);
    {
        struct worldgen_daystats st2;

        ck_assert_int_eq(worldgen_sim_day(w, &push, NULL, NULL, &st2, &d), 0);
        /* Whoever was online still is (watch times differ, so session
         * ends and the day-end cut may move). */
        for (uint32_t u = 0; u < p.n_users; u++)
            ck_assert(st.user_imp[u] == 0 || st2.user_imp[u] > 0);
        ck_assert_uint_eq(st2.n_pushed_shown, shown);
        worldgen_daystats_release(&st2);
    }
    worldgen_daystats_release(&st);
    free(off);
    free(items);
    free(base.ev);
    free(a.ev);
    free(b.ev);
    worldgen_free(w);
}
END_TEST

START_TEST(test_worldgen_truth_round_trip)
{
    struct worldgen_params p = tiny_params();
    struct worldgen_truth *t = NULL;
    struct worldgen *w, *w2;
    struct diag d = DIAG_INIT;
    char dir[4096];
    uint64_t imp = 0;

    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    generate(&p, dir, 0);
    ck_assert_msg(worldgen_truth_load(dir, &t, &d) == 0, "%s", d.msg);
    ck_assert_int_eq(worldgen_new(&p, &w, &d), 0);
    ck_assert_uint_eq(t->n_users, p.n_users);
    ck_assert_uint_eq(t->n_days, p.n_days);
    ck_assert(memcmp(t->user_vec, worldgen_user_vec(w, 0),
                     (size_t)p.n_users * p.dim * sizeof(float)) == 0);
    ck_assert_int_eq(worldgen_day(t->world), p.start_day + (int)p.n_days);
    /* Realised activity of day 1 equals a fresh simulation of it. */
    {
        struct worldgen_daystats st;

        ck_assert_int_eq(worldgen_sim_day(w, NULL, NULL, NULL, &st, &d), 0);
        ck_assert(memcmp(st.user_imp, t->day_imp,
                         p.n_users * sizeof(uint32_t)) == 0);
        ck_assert(memcmp(st.user_hours, t->day_hours,
                         p.n_users * sizeof(uint32_t)) == 0);
        worldgen_advance(w, &st);
        worldgen_daystats_release(&st);
    }
    for (size_t k = 0; k < (size_t)t->n_days * t->n_users; k++)
        imp += t->day_imp[k];
    ck_assert_uint_gt(imp, 0);
    /* open_at(day 2) reproduces the world advanced through day 1. */
    ck_assert_msg(worldgen_open_at(dir, p.start_day + 1, &w2, &d) == 0, "%s",
                  d.msg);
    {
        struct evlog a, b;

        sim(w, NULL, &a, NULL);
        sim(w2, NULL, &b, NULL);
        ck_assert_uint_eq(a.n, b.n);
        ck_assert(events_sum(&a) == events_sum(&b));
        free(a.ev);
        free(b.ev);
    }
    {
        struct worldgen *w3 = NULL;

        ck_assert_int_eq(worldgen_open_at(dir, p.start_day - 1, &w3, &d), -1);
        ck_assert_int_eq(d.rc, RC_USAGE);
        ck_assert_ptr_null(w3);
    }
    for (uint32_t u = 0; u < p.n_users; u++)
        for (int h = 0; h < 24; h++) {
            double q = worldgen_p_online(t->world, u, p.start_day, h);

            ck_assert(q >= 0.0 && q <= 1.0);
        }
    worldgen_free(w2);
    worldgen_free(w);
    worldgen_truth_free(t);
    test_rmtree(dir);
}
END_TEST

/* Corrupt truth files fail with RC_DATA and the file's name. */
START_TEST(test_worldgen_truth_bad_files)
{
    struct worldgen_params p = tiny_params();
    struct worldgen_truth *t = NULL;
    struct diag d = DIAG_INIT;
    char dir[4096], path[4300];
    size_t len;
    char *buf;

    p.n_days = 1;
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    generate(&p, dir, 0);
    snprintf(path, sizeof path, "%s/truth/items.bin", dir);
    buf = slurp(path, &len);
    /* truncated */
    ck_assert_int_eq(atomicfile_write(path, buf, len / 2, &d), 0);
    ck_assert_int_eq(worldgen_truth_load(dir, &t, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_ptr_nonnull(strstr(d.msg, "items.bin"));
    /* bad magic */
    buf[1] = 'X';
    ck_assert_int_eq(atomicfile_write(path, buf, len, &d), 0);
    ck_assert_int_eq(worldgen_truth_load(dir, &t, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_ptr_nonnull(strstr(d.msg, "bad magic"));
    /* wrong version */
    buf[1] = 'D';
    put_le32((unsigned char *)buf + 8, 99);
    ck_assert_int_eq(atomicfile_write(path, buf, len, &d), 0);
    ck_assert_int_eq(worldgen_truth_load(dir, &t, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_ptr_nonnull(strstr(d.msg, "unsupported version 99"));
    free(buf);
    /* missing */
    snprintf(path, sizeof path, "%s/truth/world.bin", dir);
    ck_assert_int_eq(remove(path), 0);
    ck_assert_int_eq(worldgen_truth_load(dir, &t, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    ck_assert_ptr_null(t);
    test_rmtree(dir);
}
END_TEST

/*
 * The hour-of-day truth is the generator's: summed over users and days,
 * realised session hours match worldgen_p_online within sampling noise.
 */
START_TEST(test_worldgen_p_online_calibrated)
{
    struct worldgen_params p = tiny_params();
    struct worldgen *w;
    struct diag d = DIAG_INIT;
    double expect[24] = { 0 }, got[24] = { 0 }, te = 0, tg = 0;

    p.n_users = 2000;
    p.n_days = 6;
    p.items_per_day = 20;
    ck_assert_int_eq(worldgen_new(&p, &w, &d), 0);
    for (uint32_t k = 0; k < p.n_days; k++) {
        struct worldgen_daystats st;
        int32_t day = worldgen_day(w);

        ck_assert_int_eq(worldgen_sim_day(w, NULL, NULL, NULL, &st, &d), 0);
        for (uint32_t u = 0; u < p.n_users; u++)
            for (int h = 0; h < 24; h++) {
                expect[h] += worldgen_p_online(w, u, day, h);
                got[h] += (st.user_hours[u] >> h) & 1;
            }
        worldgen_advance(w, &st);
        worldgen_daystats_release(&st);
    }
    for (int h = 0; h < 24; h++) {
        te += expect[h];
        tg += got[h];
        /* Poisson-ish noise: 5 sigma, plus the day-end truncation. */
        ck_assert_msg(fabs(got[h] - expect[h])
                      < 5 * sqrt(expect[h]) + 0.03 * expect[h],
                      "hour %d: %g sessions, expected %g", h, got[h],
                      expect[h]);
    }
    ck_assert(tg > 1000);
    ck_assert_msg(fabs(tg - te) < 0.03 * te, "%g vs %g", tg, te);
    /* The weekly table is p_online on the days the user is around. */
    for (uint32_t u = 0; u < 50; u++) {
        double week[7][24];

        worldgen_p_online_week(w, u, week);
        for (int32_t day = p.start_day; day < p.start_day + 7; day++)
            for (int h = 0; h < 24; h++) {
                double q = worldgen_p_online(w, u, day, h);

                if (worldgen_p_active_day(w, u, day) > 0.0)
                    ck_assert(q == week[dates_weekday(day)][h]);
                else
                    ck_assert(q == 0.0);
            }
    }
    worldgen_free(w);
}
END_TEST

START_TEST(test_worldgen_push_from_pairs_keeps_order)
{
    static const uint32_t user[] = { 3, 1, 3, 0, 9, 1, 3 };
    static const uint32_t item[] = { 30, 10, 31, 0, 90, 11, 32 };
    static const uint32_t want_off[] = { 0, 1, 3, 3, 6 };
    static const uint32_t want_items[] = { 0, 10, 11, 30, 31, 32 };
    struct worldgen_push push;

    worldgen_push_from_pairs(4, user, item, 7, &push);    /* user 9 dropped */
    ck_assert_uint_eq(push.n_users, 4);
    ck_assert(memcmp(push.off, want_off, sizeof want_off) == 0);
    ck_assert(memcmp(push.items, want_items, sizeof want_items) == 0);
    worldgen_push_release(&push);
    ck_assert_ptr_null(push.off);
    worldgen_push_from_pairs(2, user, item, 0, &push);
    ck_assert_uint_eq(push.off[2], 0);
    worldgen_push_release(&push);
}
END_TEST

START_TEST(test_worldgen_parse_id)
{
    uint32_t x;

    ck_assert_int_eq(worldgen_parse_id("i123", 'i', &x), 0);
    ck_assert_uint_eq(x, 123);
    ck_assert_int_eq(worldgen_parse_id("u0", 'u', &x), 0);
    ck_assert_uint_eq(x, 0);
    ck_assert_int_eq(worldgen_parse_id("i", 'i', &x), -1);
    ck_assert_int_eq(worldgen_parse_id("u12", 'i', &x), -1);
    ck_assert_int_eq(worldgen_parse_id("i12x", 'i', &x), -1);
    ck_assert_int_eq(worldgen_parse_id("i99999999999", 'i', &x), -1);
}
END_TEST

START_TEST(test_worldgen_bad_params)
{
    struct worldgen_params p = tiny_params();
    struct worldgen *w = NULL;
    struct diag d = DIAG_INIT;

    p.dim = WORLDGEN_DIM_MAX + 1;
    ck_assert_int_eq(worldgen_new(&p, &w, &d), -1);
    ck_assert_int_eq(d.rc, RC_USAGE);
    ck_assert_str_eq(d.msg, "dim must be in 1..64 '65'");
    ck_assert_ptr_null(w);
    p = tiny_params();
    p.n_users = 0;
    ck_assert_int_eq(worldgen_params_check(&p, &d), -1);
    ck_assert_str_eq(d.msg, "users must be positive");
}
END_TEST

Suite *
worldgen_suite(void)
{
    Suite *s = suite_create("worldgen");
    TCase *tc_files = tcase_create("files");
    TCase *tc_model = tcase_create("model");
    TCase *tc_sim = tcase_create("sim");

    tcase_add_test(tc_files, test_worldgen_same_seed_same_bytes_any_threads);
    tcase_add_test(tc_files, test_worldgen_csv_rows_parse);
    tcase_add_test(tc_files, test_worldgen_zstd_matches_plain);
    tcase_add_test(tc_files, test_worldgen_truth_round_trip);
    tcase_add_test(tc_files, test_worldgen_truth_bad_files);
    tcase_add_test(tc_model, test_worldgen_other_seed_other_world);
    tcase_add_test(tc_model, test_worldgen_shape);
    tcase_add_test(tc_model, test_worldgen_items_per_creator_skew);
    tcase_add_test(tc_model, test_worldgen_p_online_calibrated);
    tcase_add_test(tc_model, test_worldgen_parse_id);
    tcase_add_test(tc_model, test_worldgen_bad_params);
    tcase_add_test(tc_sim, test_worldgen_sim_same_with_threads);
    tcase_add_test(tc_sim, test_worldgen_push_online_and_offline_users);
    tcase_add_test(tc_sim, test_worldgen_push_cap_and_order);
    tcase_add_test(tc_sim, test_worldgen_push_from_pairs_keeps_order);
    suite_add_tcase(s, tc_files);
    suite_add_tcase(s, tc_model);
    suite_add_tcase(s, tc_sim);
    return s;
}
