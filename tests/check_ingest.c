/*
 * check_ingest.c -- a day's logs into a segment: contents of the sample
 * day, idempotent re-ingest and thread independence (same bytes),
 * dictionary stability across days, the day zone, the reject budget,
 * fatal errors that leave nothing behind, the dictionary lock, and the
 * real MovieLens / KuaiRand cuts.
 */
#include <dirent.h>
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "atomicfile.h"
#include "bgthread.h"
#include "check_common.h"
#include "dates.h"
#include "iddict.h"
#include "ingest.h"
#include "segment.h"
#include "xmem.h"

#define DAY1 SAMPLE("ingest/dt=2022-04-10")
#define DAY2 SAMPLE("ingest/dt=2022-04-11")

static char *
cat(const char *a, const char *b)
{
    char *p = xmalloc(strlen(a) + strlen(b) + 1);

    strcpy(p, a);
    strcat(p, b);
    return p;
}

static int32_t
day_of(const char *s)
{
    int32_t day;

    ck_assert_int_eq(dates_parse_day(s, &day), 0);
    return day;
}

/* Ingest DAYDIR's files into segroot for day s; returns ingest_run's rc. */
static int
run_day(const char *segroot, const char *daydir, const char *s,
        struct ingest_opts *o, struct ingest_stats *st, struct diag *d)
{
    char *found[LOGREAD_N_TABLES];
    int t, rc;

    ck_assert_int_eq(ingest_find_logs(daydir, found, d), 0);
    o->segroot = segroot;
    o->day = day_of(s);
    for (t = 0; t < LOGREAD_N_TABLES; t++)
        o->paths[t] = found[t];
    rc = ingest_run(o, st, d);
    for (t = 0; t < LOGREAD_N_TABLES; t++) {
        free(found[t]);
        o->paths[t] = NULL;
    }
    return rc;
}

static struct segment *
load_day(const char *segroot, const char *s)
{
    char *p = segment_path(segroot, day_of(s));
    struct segment *seg = NULL;
    struct diag d = DIAG_INIT;

    ck_assert_msg(segment_load(p, &seg, &d) == 0, "%s", d.msg);
    free(p);
    return seg;
}

static uint32_t
id_of(const char *segroot, const char *kind, const char *id)
{
    char *p = segment_dict_path(segroot, kind);
    struct iddict *dict = NULL;
    struct diag d = DIAG_INIT;
    uint32_t ix;

    ck_assert_msg(iddict_load(p, &dict, &d) == 0, "%s", d.msg);
    ix = iddict_find(dict, id, strlen(id));
    iddict_free(dict);
    free(p);
    return ix;
}

static char *
slurp(const char *path, size_t *n)
{
    char *p = NULL;
    struct diag d = DIAG_INIT;

    ck_assert_msg(file_read_all(path, &p, n, &d) == 0, "%s", d.msg);
    return p;
}

static void
assert_same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *pa = slurp(a, &na), *pb = slurp(b, &nb);

    ck_assert_uint_eq(na, nb);
    ck_assert_msg(memcmp(pa, pb, na) == 0, "%s and %s differ", a, b);
    free(pa);
    free(pb);
}

START_TEST(test_ingest_sample_day_contents)
{
    const char *root = test_tmpdir();
    struct ingest_opts o = ingest_default_opts();
    struct ingest_stats st;
    struct diag d = DIAG_INIT;
    struct segment *seg;
    uint32_t u1, v10, k;
    int found = 0;

    ck_assert_msg(run_day(root, DAY1, "2022-04-10", &o, &st, &d) == 0, "%s",
                  d.msg);
    ck_assert_uint_eq(st.rows_read, 20);
    ck_assert_uint_eq(st.rows_rejected, 0);
    ck_assert_uint_eq(st.rows_duplicate, 2);     /* an exposure, a follow */
    ck_assert_uint_eq(st.rows_out_of_day, 1);
    ck_assert_uint_eq(st.first_ood_line, 8);
    ck_assert_uint_eq(st.accepted, 17);
    ck_assert_uint_eq(st.fb_merged, 3);
    ck_assert_uint_eq(st.day_users, 5);
    ck_assert_uint_eq(st.day_items, 5);
    seg = load_day(root, "2022-04-10");
    ck_assert_uint_eq(seg->n_exp, 6);
    ck_assert_uint_eq(seg->n_inter, 4);
    ck_assert_uint_eq(seg->n_items, 4);
    ck_assert_uint_eq(seg->n_tags, 5);
    ck_assert_uint_eq(seg->n_follows, 1);
    ck_assert_uint_eq(seg->n_users, 2);
    u1 = id_of(root, "users", "u1");
    v10 = id_of(root, "items", "v10");
    ck_assert_uint_ne(u1, IDDICT_NONE);
    for (k = 0; k < seg->n_exp; k++) {
        const struct seg_exposure *e = &seg->exp[k];

        if (e->user == u1 && e->item == v10) {
            /* logged click + long_view, like from interactions.csv */
            ck_assert_uint_eq(e->fb, FB_CLICK | FB_LIKE | FB_LONG_VIEW);
            ck_assert_int_eq(e->t, 1649577600);
            ck_assert_uint_eq(e->play_ms, 12000);
            ck_assert_uint_eq(e->dur_ms, 15000);
            found++;
        }
    }
    ck_assert_int_eq(found, 1);
    /* v13's row has no creator, no upload time */
    ck_assert_uint_eq(seg->items[3].item, id_of(root, "items", "v13"));
    ck_assert_uint_eq(seg->items[3].creator, SEG_NONE);
    ck_assert(seg->items[3].upload_t == INT64_MIN);
    /* "news, world": two trimmed tags */
    ck_assert_uint_eq(seg->items[2].n_tags, 2);
    ck_assert_uint_eq(seg->tags[seg->items[2].tag_off + 1],
                      id_of(root, "tags", "world"));
    segment_free(seg);
    test_rmtree(root);
}
END_TEST

START_TEST(test_ingest_same_bytes_rerun_and_threads)
{
    const char *root = test_tmpdir();
    char *a = cat(root, "/a"), *b = cat(root, "/b");
    char *sa = segment_path(a, day_of("2022-04-10"));
    char *sb = segment_path(b, day_of("2022-04-10"));
    char *sa_copy = cat(root, "/a-first.bin");
    struct ingest_opts o = ingest_default_opts();
    struct ingest_stats st;
    struct diag d = DIAG_INIT;
    static const char *const kinds[] = { "users", "items", "creators",
                                         "tags" };
    size_t n;
    char *bytes;
    int k;

    omp_set_num_threads(1);
    ck_assert_int_eq(run_day(a, DAY1, "2022-04-10", &o, &st, &d), 0);
    omp_set_num_threads(2);
    ck_assert_int_eq(run_day(b, DAY1, "2022-04-10", &o, &st, &d), 0);
    assert_same_file(sa, sb);
    for (k = 0; k < 4; k++) {
        char *da = segment_dict_path(a, kinds[k]);
        char *db = segment_dict_path(b, kinds[k]);

        assert_same_file(da, db);
        free(da);
        free(db);
    }
    /* re-ingesting a day writes the same bytes */
    bytes = slurp(sa, &n);
    ck_assert_int_eq(atomicfile_write(sa_copy, bytes, n, &d), 0);
    free(bytes);
    ck_assert_int_eq(run_day(a, DAY1, "2022-04-10", &o, &st, &d), 0);
    assert_same_file(sa, sa_copy);
    free(a);
    free(b);
    free(sa);
    free(sb);
    free(sa_copy);
    test_rmtree(root);
}
END_TEST

/* A log spanning many parse chunks, ids repeating across them: the same
 * dictionaries and segment with 1 and 2 threads. */
START_TEST(test_ingest_many_chunks_same_bytes_with_1_and_2_threads)
{
    const char *root = test_tmpdir();
    char *csv = cat(root, "/exposures.csv");
    char *a = cat(root, "/a"), *b = cat(root, "/b");
    char *sa = segment_path(a, day_of("2022-04-10"));
    char *sb = segment_path(b, day_of("2022-04-10"));
    char *ua = segment_dict_path(a, "users"), *ub = segment_dict_path(b,
                                                                    "users");
    struct ingest_opts o = ingest_default_opts();
    struct ingest_stats st;
    struct diag d = DIAG_INIT;
    FILE *fp = fopen(csv, "w");
    uint64_t x = 7;
    int i;

    ck_assert_ptr_nonnull(fp);
    fputs("time,user,item,click,like\n", fp);
    for (i = 0; i < 30000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        fprintf(fp, "%d,user%d,\"item,%d\",%d,%d\n",
                1649548800 + (int)(x >> 48) % 86400, (int)(x >> 33) % 3000,
                (int)(x >> 20) % 500, (int)(x >> 60) & 1, (int)(x >> 61) & 1);
    }
    ck_assert_int_eq(fclose(fp), 0);
    o.day = day_of("2022-04-10");
    o.paths[LOGREAD_EXPOSURES] = csv;
    omp_set_num_threads(1);
    o.segroot = a;
    ck_assert_int_eq(ingest_run(&o, &st, &d), 0);
    ck_assert_uint_eq(st.rows_read, 30000);
    omp_set_num_threads(2);
    o.segroot = b;
    ck_assert_int_eq(ingest_run(&o, &st, &d), 0);
    assert_same_file(sa, sb);
    assert_same_file(ua, ub);
    free(csv);
    free(a);
    free(b);
    free(sa);
    free(sb);
    free(ua);
    free(ub);
    test_rmtree(root);
}
END_TEST

START_TEST(test_ingest_dictionaries_stable_across_days)
{
    const char *root = test_tmpdir();
    struct ingest_opts o = ingest_default_opts();
    struct ingest_stats st;
    struct diag d = DIAG_INIT;
    uint32_t u1, u2, v10, c1, n_users;
    struct segment *seg;
    size_t k;

    ck_assert_int_eq(run_day(root, DAY1, "2022-04-10", &o, &st, &d), 0);
    u1 = id_of(root, "users", "u1");
    u2 = id_of(root, "users", "u2");
    v10 = id_of(root, "items", "v10");
    c1 = id_of(root, "creators", "c1");
    n_users = st.dict_users;
    ck_assert_uint_eq(id_of(root, "users", "u7"), IDDICT_NONE);
    /* day 2 is zstd */
    ck_assert_msg(run_day(root, DAY2, "2022-04-11", &o, &st, &d) == 0, "%s",
                  d.msg);
    ck_assert_uint_eq(id_of(root, "users", "u1"), u1);
    ck_assert_uint_eq(id_of(root, "users", "u2"), u2);
    ck_assert_uint_eq(id_of(root, "items", "v10"), v10);
    ck_assert_uint_eq(id_of(root, "creators", "c1"), c1);
    ck_assert_uint_eq(id_of(root, "users", "u7"), n_users);  /* appended */
    seg = load_day(root, "2022-04-11");
    ck_assert_uint_eq(seg->n_exp, 3);
    for (k = 0; k < seg->n_exp; k++)
        if (seg->exp[k].user == n_users)
            ck_assert_uint_eq(seg->exp[k].item, v10);
    segment_free(seg);
    test_rmtree(root);
}
END_TEST

START_TEST(test_ingest_zone_moves_the_day_boundary)
{
    const char *root = test_tmpdir();
    struct ingest_opts o = ingest_default_opts();
    struct ingest_stats st;
    struct diag d = DIAG_INIT;
    struct segment *seg;

    ck_assert_int_eq(dates_parse_zone("+08:00", &o.lr.zone_offset), 0);
    ck_assert_int_eq(run_day(root, DAY1, "2022-04-10", &o, &st, &d), 0);
    /* +08:00: 04-09 23:30Z is in the day, 04-10 23:59Z is not */
    ck_assert_uint_eq(st.rows_out_of_day, 1);
    ck_assert_uint_eq(st.first_ood_line, 9);
    seg = load_day(root, "2022-04-10");
    ck_assert_int_eq(seg->zone_offset, 8 * 3600);
    ck_assert_uint_eq(seg->n_exp, 6);
    /* "2022-04-10T06:00:00+08:00" keeps its zone; "2022-04-09" is local */
    ck_assert_int_eq(seg->items[0].upload_t, 1649462400 - 8 * 3600);
    ck_assert_int_eq(seg->items[1].upload_t, 1649541600);
    segment_free(seg);
    test_rmtree(root);
}
END_TEST

START_TEST(test_ingest_reject_budget)
{
    const char *root = test_tmpdir();
    struct ingest_opts o = ingest_default_opts();
    struct ingest_stats st;
    struct diag d = DIAG_INIT;
    char *seg = segment_path(root, day_of("2022-04-10"));
    char *dict = segment_dict_path(root, "users");
    char *rej = cat(root, "/dt=2022-04-10/rejects.csv");
    char want[2048];
    size_t n;
    char *text;

    o.segroot = root;
    o.day = day_of("2022-04-10");
    o.paths[LOGREAD_EXPOSURES] = SAMPLE("bad/bad_flag.csv");
    ck_assert_int_eq(ingest_run(&o, &st, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    snprintf(want, sizeof want,
             "1 of 2 rows rejected (50.00%%), over the budget of 1.00%% "
             "(--max-reject-ratio 0.01); see %s", rej);
    ck_assert_str_eq(d.msg, want);
    ck_assert(!path_exists(seg));
    ck_assert(!path_exists(dict));
    text = slurp(rej, &n);
    ck_assert_str_eq(text, "file,line,reason,record\n"
                     SAMPLES_DIR "/bad/bad_flag.csv,3,"
                     "column 'click': bad flag value '2',"
                     "\"1649577601,u2,v2,2,0\"\n");
    free(text);

    o.max_reject_ratio = 0.5;
    diag_clear(&d);
    ck_assert_int_eq(ingest_run(&o, &st, &d), 0);
    ck_assert_uint_eq(st.rows_rejected, 1);
    ck_assert_uint_eq(st.accepted, 1);
    ck_assert(path_exists(seg));
    ck_assert(path_exists(dict));
    free(seg);
    free(dict);
    free(rej);
    test_rmtree(root);
}
END_TEST

/* A fatal input error leaves every output as it was. */
START_TEST(test_ingest_fatal_errors_write_nothing)
{
    static const struct {
        const char *exposures, *items;
        int rc;
        const char *msg_end;
    } cases[] = {
        { SAMPLE("ingest/dt=2022-04-10/exposures.csv"),
          SAMPLE("bad/no_such_items.csv"), RC_NOINPUT,
          "no_such_items.csv: cannot open: No such file or directory" },
        { SAMPLE("bad/truncated.csv.zst"), NULL, RC_DATA,
          "truncated.csv.zst: truncated zstd frame (input ends at offset "
          "150)" },
        { SAMPLE("ingest/dt=2022-04-10/exposures.csv"),
          SAMPLE("bad/missing_column.csv"), RC_DATA,
          "missing_column.csv:1: missing column 'creator' (tried creator, "
          "author_id, creator_id); header split on ',' into 4 columns "
          "'time,uid,video_id,click'; fix: --map creator=NAME with NAME one "
          "of the header's columns" },
    };
    const char *root = test_tmpdir();
    char *seg = segment_path(root, day_of("2022-04-10"));
    char *dict = segment_dict_path(root, "users");
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ingest_opts o = ingest_default_opts();
        struct ingest_stats st;
        struct diag d = DIAG_INIT;
        size_t ml = strlen(cases[i].msg_end);

        o.segroot = root;
        o.day = day_of("2022-04-10");
        o.paths[LOGREAD_EXPOSURES] = cases[i].exposures;
        o.paths[LOGREAD_ITEMS] = cases[i].items;
        ck_assert_int_eq(ingest_run(&o, &st, &d), -1);
        ck_assert_int_eq(d.rc, cases[i].rc);
        ck_assert_uint_ge(strlen(d.msg), ml);
        ck_assert_str_eq(d.msg + strlen(d.msg) - ml, cases[i].msg_end);
        ck_assert(!path_exists(seg));
        ck_assert(!path_exists(dict));
    }
    free(seg);
    free(dict);
    test_rmtree(root);
}
END_TEST

START_TEST(test_ingest_lock_held_is_retry)
{
    const char *root = test_tmpdir();
    char *dir = cat(root, "/dict"), *lock = cat(root, "/dict/.lock");
    struct ingest_opts o = ingest_default_opts();
    struct ingest_stats st;
    struct diag d = DIAG_INIT;
    char want[1024];
    int fd;

    ck_assert_int_eq(mkdir_p(dir, &d), 0);
    fd = open(lock, O_RDWR | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX), 0);
    ck_assert_int_eq(run_day(root, DAY1, "2022-04-10", &o, &st, &d), -1);
    ck_assert_int_eq(d.rc, RC_RETRY);
    snprintf(want, sizeof want, "%s: another ingest holds the dictionary "
             "lock, retry later", lock);
    ck_assert_str_eq(d.msg, want);
    close(fd);
    diag_clear(&d);
    ck_assert_int_eq(run_day(root, DAY1, "2022-04-10", &o, &st, &d), 0);
    free(dir);
    free(lock);
    test_rmtree(root);
}
END_TEST

START_TEST(test_ingest_real_movielens_and_kuairand_cuts)
{
    static const char *const consts[] = { "event=rate" };
    const char *root = test_tmpdir();
    struct ingest_opts o = ingest_default_opts();
    struct ingest_stats st;
    struct diag d = DIAG_INIT;
    struct segment *seg;
    size_t k, likes = 0, rated = 0;

    o.segroot = root;
    o.day = day_of("2015-07-02");
    o.paths[LOGREAD_INTERACTIONS] = SAMPLE("real/movielens/ratings.csv");
    o.paths[LOGREAD_ITEMS] = SAMPLE("real/kuairand/"
                                    "video_features_basic_pure.csv");
    o.lr.consts = consts;
    o.lr.n_consts = 1;
    o.lr.value_event_fb = FB_LIKE;
    o.lr.value_event_min = 4.0;
    ck_assert_msg(ingest_run(&o, &st, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(st.read[LOGREAD_INTERACTIONS], 248);
    ck_assert_uint_eq(st.read[LOGREAD_ITEMS], 200);
    ck_assert_uint_eq(st.rows_rejected, 0);
    ck_assert_uint_eq(st.out_of_day[LOGREAD_INTERACTIONS], 83);
    seg = load_day(root, "2015-07-02");
    ck_assert_uint_eq(seg->n_inter, 165);
    ck_assert_uint_eq(seg->n_items, 200);
    for (k = 0; k < seg->n_inter; k++) {
        likes += seg->inter[k].fb == FB_LIKE;
        rated += seg->inter[k].value > 0;
        if (seg->inter[k].fb == FB_LIKE)
            ck_assert(seg->inter[k].value >= 4.0f);
        else
            ck_assert(seg->inter[k].value < 4.0f);
    }
    ck_assert_uint_eq(rated, 165);
    ck_assert_uint_gt(likes, 0);
    /* KuaiRand video 5: author 8367059, tags "20,43", 358016 ms */
    {
        uint32_t v5 = id_of(root, "items", "5");

        for (k = 0; k < seg->n_items && seg->items[k].item != v5; k++)
            ;
        ck_assert_uint_lt(k, seg->n_items);
        ck_assert_uint_eq(seg->items[k].creator,
                          id_of(root, "creators", "8367059"));
        ck_assert_uint_eq(seg->items[k].dur_ms, 358016);
        ck_assert_uint_eq(seg->items[k].n_tags, 2);
        ck_assert_uint_eq(seg->tags[seg->items[k].tag_off],
                          id_of(root, "tags", "20"));
        ck_assert_int_eq(seg->items[k].upload_t, 1649548800);
    }
    segment_free(seg);
    test_rmtree(root);
}
END_TEST

/*
 * A multi-day file split into its days gives, day by day, the bytes of a
 * one-day ingest of the whole file run in date order (segments and
 * dictionaries), with rejects, a quoted record spanning lines, CRLF line
 * ends, a zone, an items file, tables of which some days have no rows, and
 * a --from/--to range.
 */
START_TEST(test_ingest_split_days_same_bytes_as_one_day_ingests)
{
    const char *root = test_tmpdir();
    char *a = cat(root, "/split"), *b = cat(root, "/alone");
    char *exp = cat(root, "/exp.csv"), *inter = cat(root, "/inter.csv");
    char *items = cat(root, "/items.csv"), *budget;
    size_t cap = 1 << 20, n = 0, i;
    char *text = xmalloc(cap);
    struct ingest_opts o = ingest_default_opts();
    struct ingest_split_stats sst;
    struct diag d = DIAG_INIT;
    int32_t day;

    n += (size_t)snprintf(text + n, cap - n,
                          "time,user,item,click,like\r\n");
    for (i = 0; i < 6000; i++) {
        /* times wander over six days, out of order */
        long t = 1649548800L + (long)((i * 7919) % (6 * 86400));

        if (i == 100)
            n += (size_t)snprintf(text + n, cap - n, "oops,u1,i1,0,0\r\n");
        else if (i == 200)
            n += (size_t)snprintf(text + n, cap - n,
                                  "%ld,\"u,\r\n2\",i2,1,0\r\n", t);
        else
            n += (size_t)snprintf(text + n, cap - n, "%ld,u%zu,i%zu,%zu,0\r\n",
                                  t, (i * 31) % 211, (i * 17) % 97, i % 2);
    }
    test_write_file(exp, text, n);
    n = (size_t)snprintf(text, cap, "time,user,item,event\n"
                         "1649548800,u1,i1,like\n"   /* day 1 only */
                         "1649721600,x9,i5,like\n");    /* day 3 */
    test_write_file(inter, text, n);
    n = (size_t)snprintf(text, cap, "item,creator,upload_time\n"
                         "i1,c1,2022-04-01\ni7,c2,2022-04-02\n");
    test_write_file(items, text, n);

    o.segroot = a;
    o.paths[LOGREAD_EXPOSURES] = exp;
    o.paths[LOGREAD_INTERACTIONS] = inter;
    o.paths[LOGREAD_ITEMS] = items;
    o.lr.zone_offset = 8 * 3600;
    o.max_reject_ratio = 0.5;
    ck_assert_msg(ingest_split_days(&o, day_of("2022-04-10"),
                                    day_of("2022-04-14"), NULL, &sst,
                                    &d) == 0, "%s", d.msg);
    ck_assert_int_eq(sst.rows_rejected, 1);
    ck_assert_int_eq(sst.days, 5);
    ck_assert_int_eq(sst.first_day, day_of("2022-04-10"));
    ck_assert_int_eq(sst.last_day, day_of("2022-04-14"));
    ck_assert_uint_gt(sst.rows_out_of_range, 0);
    ck_assert_uint_eq(sst.rows_read, 6002);
    ck_assert_uint_eq(sst.rows_read - sst.rows_rejected, sst.rows_spilled
                      + sst.rows_out_of_range);
    {
        /* the spill directory is gone */
        DIR *dir = opendir(a);
        struct dirent *e;

        ck_assert_ptr_nonnull(dir);
        while ((e = readdir(dir)) != NULL)
            ck_assert_msg(strncmp(e->d_name, ".split", 6) != 0, "%s left",
                          e->d_name);
        closedir(dir);
    }
    o.segroot = b;
    for (day = sst.first_day; day <= sst.last_day; day++) {
        struct ingest_stats st;
        char *pa = segment_path(a, day), *pb = segment_path(b, day);

        o.day = day;
        ck_assert_msg(ingest_run(&o, &st, &d) == 0, "%s", d.msg);
        assert_same_file(pa, pb);
        free(pa);
        free(pb);
    }
    {
        const char *kinds[] = { "users", "items", "creators", "tags" };

        for (i = 0; i < 4; i++) {
            char *pa = segment_dict_path(a, kinds[i]);
            char *pb = segment_dict_path(b, kinds[i]);

            assert_same_file(pa, pb);
            free(pa);
            free(pb);
        }
    }
    /* the reject file of the pass names the original file and line */
    {
        char *rp = cat(a, "/rejects-split.csv"), *txt;
        size_t m;

        txt = slurp(rp, &m);
        ck_assert_ptr_nonnull(strstr(txt, "exp.csv,102,column 'time': "
                                          "unparseable time 'oops'"));
        free(txt);
        free(rp);
    }
    /* a range gives every day of it a segment, empty days too, each as
     * a one-day ingest in date order writes it */
    {
        char *c = cat(root, "/range"), *e = cat(root, "/range-alone");

        o.segroot = c;
        ck_assert_int_eq(ingest_split_days(&o, day_of("2022-04-08"),
                                           day_of("2022-04-11"), NULL, &sst,
                                           &d), 0);
        ck_assert_int_eq(sst.days, 4);
        o.segroot = e;
        for (day = day_of("2022-04-08"); day <= day_of("2022-04-11");
             day++) {
            struct ingest_stats st;
            char *pa = segment_path(c, day), *pb = segment_path(e, day);

            o.day = day;
            ck_assert_msg(ingest_run(&o, &st, &d) == 0, "%s", d.msg);
            assert_same_file(pa, pb);
            free(pa);
            free(pb);
        }
        free(c);
        free(e);
    }
    /* over the budget: the reject file only, no day */
    budget = cat(root, "/budget");
    o.segroot = budget;
    o.max_reject_ratio = 0;
    ck_assert_int_eq(ingest_split_days(&o, INT32_MIN, INT32_MAX, NULL, &sst,
                                       &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    {
        char *p = segment_path(o.segroot, day_of("2022-04-10"));

        ck_assert(!path_exists(p));
        free(p);
    }
    free(budget);
    free(a);
    free(b);
    free(exp);
    free(inter);
    free(items);
    free(text);
}
END_TEST

START_TEST(test_ingest_find_logs)
{
    const char *root = test_tmpdir();
    char *found[LOGREAD_N_TABLES];
    char *a = cat(root, "/exposures.csv"), *b = cat(root, "/exposures.csv.zst");
    char want[1024];
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(ingest_find_logs(root, found, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    ck_assert_int_eq(atomicfile_write(a, "time,user,item\n", 15, &d), 0);
    ck_assert_int_eq(ingest_find_logs(root, found, &d), 0);
    ck_assert_str_eq(found[LOGREAD_EXPOSURES], a);
    ck_assert_ptr_null(found[LOGREAD_ITEMS]);
    free(found[LOGREAD_EXPOSURES]);
    ck_assert_int_eq(atomicfile_write(b, "x", 1, &d), 0);
    ck_assert_int_eq(ingest_find_logs(root, found, &d), -1);
    snprintf(want, sizeof want, "%s: both exposures.csv and "
             "exposures.csv.zst present", root);
    ck_assert_str_eq(d.msg, want);
    free(a);
    free(b);
    test_rmtree(root);
}
END_TEST

/* The parallel exposure sort against segment_sort (the reference), with
 * 1, 2 and 3 parts; very heavy users (thousands of rows: many merge
 * passes), heavy ones (a few dozen: one or two) and light ones (insertion
 * sort only). */
START_TEST(test_ingest_sort_exposures_matches_segment_sort)
{
    size_t n = 50000, i, m;
    struct segment *ref = xcalloc(1, sizeof *ref);
    struct seg_exposure *orig = xcalloc(n, sizeof *orig), *fast;
    uint64_t x = 99;
    int threads;

    for (i = 0; i < n; i++) {
        struct seg_exposure *e = &orig[i];

        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if (i > 0 && i % 5 == 0) {      /* exact duplicates */
            *e = orig[(x >> 20) % i];
            continue;
        }
        e->user = i % 7 == 3 ? (uint32_t)(x >> 33) % 3
                : i % 2 ? (uint32_t)(x >> 33) % 700
                        : 700 + (uint32_t)(x >> 33) % 9000;
        e->t = 1649548800 + (int64_t)((x >> 20) % 50);
        e->item = (uint32_t)(x >> 45) % 30;
        e->play_ms = (uint32_t)(x >> 58) % 3;
        e->dur_ms = (uint32_t)(x >> 60) % 2;
        e->fb = (uint32_t)(x >> 61) & (FB_CLICK | FB_LIKE);
    }
    ref->exp = xmalloc(n * sizeof *ref->exp);
    memcpy(ref->exp, orig, n * sizeof *orig);
    ref->n_exp = n;
    ref->items = xmalloc(sizeof *ref->items);
    ref->tags = xmalloc(sizeof *ref->tags);
    segment_sort(ref, NULL);
    ck_assert_uint_lt(ref->n_exp, n);
    for (threads = 1; threads <= 3; threads++) {
        fast = xmalloc(n * sizeof *fast);
        memcpy(fast, orig, n * sizeof *orig);
        omp_set_num_threads(threads);
        m = ingest_sort_exposures(&fast, n, 9700);
        ck_assert_uint_eq(m, ref->n_exp);
        for (i = 0; i < m; i++) {
            ck_assert_uint_eq(fast[i].user, ref->exp[i].user);
            ck_assert_int_eq(fast[i].t, ref->exp[i].t);
            ck_assert_uint_eq(fast[i].item, ref->exp[i].item);
            ck_assert_uint_eq(fast[i].play_ms, ref->exp[i].play_ms);
            ck_assert_uint_eq(fast[i].dur_ms, ref->exp[i].dur_ms);
            ck_assert_uint_eq(fast[i].fb, ref->exp[i].fb);
        }
        free(fast);
    }
    free(orig);
    segment_free(ref);
}
END_TEST

/* Without helper threads (bgthread.h's fallbacks: blocks made inline,
 * no parser threads, zin reading on the caller, dictionaries saved before
 * the segment is built) ingest writes the same bytes, plain and zstd. */
START_TEST(test_ingest_same_bytes_without_helper_threads)
{
    static const char *const days[2][2] = {
        { DAY1, "2022-04-10" },
        { SAMPLE("world/logs/dt=2026-01-17"), "2026-01-17" },
    };
    static const char *const kinds[] = { "users", "items", "creators",
                                         "tags" };
    const char *root = test_tmpdir();
    char *a = cat(root, "/a"), *b = cat(root, "/b");
    struct ingest_opts o = ingest_default_opts();
    struct ingest_stats st;
    struct diag d = DIAG_INIT;

    omp_set_num_threads(2);
    for (int k = 0; k < 2; k++) {
        char *sa = segment_path(a, day_of(days[k][1]));
        char *sb = segment_path(b, day_of(days[k][1]));

        ck_assert_int_eq(run_day(a, days[k][0], days[k][1], &o, &st, &d), 0);
        bgthread_set_enabled(0);
        ck_assert_msg(run_day(b, days[k][0], days[k][1], &o, &st, &d) == 0,
                      "%s", d.msg);
        bgthread_set_enabled(1);
        assert_same_file(sa, sb);
        free(sa);
        free(sb);
    }
    for (int k = 0; k < 4; k++) {
        char *da = segment_dict_path(a, kinds[k]);
        char *db = segment_dict_path(b, kinds[k]);

        assert_same_file(da, db);
        free(da);
        free(db);
    }
    free(a);
    free(b);
    test_rmtree(root);
}
END_TEST

Suite *
ingest_suite(void)
{
    Suite *s = suite_create("ingest");
    TCase *tc = tcase_create("ingest");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ingest_sample_day_contents);
    tcase_add_test(tc, test_ingest_same_bytes_rerun_and_threads);
    tcase_add_test(tc, test_ingest_same_bytes_without_helper_threads);
    tcase_add_test(tc, test_ingest_many_chunks_same_bytes_with_1_and_2_threads);
    tcase_add_test(tc, test_ingest_dictionaries_stable_across_days);
    tcase_add_test(tc, test_ingest_zone_moves_the_day_boundary);
    tcase_add_test(tc, test_ingest_reject_budget);
    tcase_add_test(tc, test_ingest_fatal_errors_write_nothing);
    tcase_add_test(tc, test_ingest_lock_held_is_retry);
    tcase_add_test(tc, test_ingest_real_movielens_and_kuairand_cuts);
    tcase_add_test(tc, test_ingest_find_logs);
    tcase_add_test(tc, test_ingest_split_days_same_bytes_as_one_day_ingests);
    tcase_add_test(tc, test_ingest_sort_exposures_matches_segment_sort);
    suite_add_tcase(s, tc);
    return s;
}
