/*
 * check_outtable.c -- zstd TSV tables (round trip, zstd -t compatibility,
 * key order, escaping, corruption), the two dualrec tables from a small
 * assignment, and the Redis protocol output, including an end-to-end run
 * against a real redis-server on a loopback port.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "check_common.h"
#include "outtable.h"
#include "xmem.h"

static char *
tmp_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = xmalloc(n);

    snprintf(s, n, "%s/%s", dir, name);
    return s;
}

START_TEST(test_outtable_round_trip_and_zstd_cli)
{
    const char *dir = test_tmpdir();
    char *path = tmp_path(dir, "t.tsv.zst"), *text, cmd[4300];
    struct outtable *t;
    struct outtable_stats st;
    struct diag d = DIAG_INIT;
    size_t len;
    FILE *fp;

    ck_assert_int_eq(outtable_open(path, "a\tb", 0, &t, &d), 0);
    ck_assert_int_eq(outtable_row(t, "x\t1", 3, &d), 0);
    ck_assert_int_eq(outtable_row(t, "x\t2", 3, &d), 0);
    ck_assert_int_eq(outtable_row(t, "y\t1", 3, &d), 0);
    ck_assert(!path_exists(path));          /* only the temp file so far */
    ck_assert_int_eq(outtable_close(t, &st, &d), 0);
    ck_assert_uint_eq(st.rows, 3);
    ck_assert_uint_eq(st.raw_bytes, 16);
    ck_assert_uint_gt(st.bytes, 0);
    ck_assert_int_eq(outtable_read(path, &text, &len, &d), 0);
    ck_assert_str_eq(text, "a\tb\nx\t1\nx\t2\ny\t1\n");
    free(text);
    /* the standard tool agrees (frame checksum included) */
    snprintf(cmd, sizeof cmd, "zstd -q -t '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "zstd -q -dc '%s'", path);
    fp = popen(cmd, "r");
    ck_assert_ptr_nonnull(fp);
    {
        char buf[64] = { 0 };
        size_t got = fread(buf, 1, sizeof buf - 1, fp);

        ck_assert_uint_eq(got, 16);
        ck_assert_str_eq(buf, "a\tb\nx\t1\nx\t2\ny\t1\n");
    }
    ck_assert_int_eq(pclose(fp), 0);
    free(path);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_outtable_rejects_key_out_of_order)
{
    const char *dir = test_tmpdir();
    char *path = tmp_path(dir, "t.tsv.zst");
    struct outtable *t;
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(outtable_open(path, "k\tv", 0, &t, &d), 0);
    ck_assert_int_eq(outtable_row(t, "b\t1", 3, &d), 0);
    ck_assert_int_eq(outtable_row(t, "ab\t1", 4, &d), -1);
    ck_assert_int_eq(d.rc, RC_INTERNAL);
    ck_assert_str_eq(strstr(d.msg, "t.tsv.zst"),
                     "t.tsv.zst: row 2: key out of order");
    outtable_abort(t);
    ck_assert(!path_exists(path));
    free(path);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_outtable_detects_corruption_and_truncation)
{
    const char *dir = test_tmpdir();
    char *path = tmp_path(dir, "t.tsv.zst"), *raw, *text;
    struct outtable *t;
    struct diag d = DIAG_INIT;
    char row[64];
    size_t len;

    ck_assert_int_eq(outtable_open(path, "k\tv", 1, &t, &d), 0);
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(row, sizeof row, "k%05d\t%d", i, i * 7);

        ck_assert_int_eq(outtable_row(t, row, (size_t)n, &d), 0);
    }
    ck_assert_int_eq(outtable_close(t, NULL, &d), 0);
    ck_assert_int_eq(file_read_all(path, &raw, &len, &d), 0);
    /* truncated */
    ck_assert_int_eq(atomicfile_write(path, raw, len - 5, &d), 0);
    ck_assert_int_eq(outtable_read(path, &text, &len, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    /* one flipped byte in the middle: the frame checksum catches it */
    ck_assert_int_eq(file_read_all(path, &text, &len, &d), 0);
    free(text);
    raw[len / 2] ^= 0x5a;
    ck_assert_int_eq(atomicfile_write(path, raw, len + 5, &d), 0);
    ck_assert_int_eq(outtable_read(path, &text, &len, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    free(raw);
    /* missing */
    unlink(path);
    ck_assert_int_eq(outtable_read(path, &text, &len, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    free(path);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_outtable_escapes_ids)
{
    struct bbuf b = BBUF_INIT;

    outtable_put_id(&b, "a\tb\\c\nd\re");
    bbuf_put_u8(&b, 0);
    ck_assert_str_eq((char *)b.p, "a\\tb\\\\c\\nd\\re");
    bbuf_release(&b);
}
END_TEST

/*
 * Two items, three users, hand-made assignment inputs.  Item names sort
 * in the other order than their indices; user "u\tx" needs escaping.
 */
struct fixture {
    struct cands *c;
    struct assign *a;
    uint16_t cap[3];
    const char *users[3];
    const char *items[2];
    float p_active[3];
};

static void
fixture_init(struct fixture *f)
{
    static const uint32_t user[] = { 0, 1, 2, 1, 2 };
    static const float score[] = { 0.5f, 0.25f, 0.125f, 0.75f, 0.5f };
    static const uint8_t ch[] = { CH_TOWER, CH_TOWER | CH_CREATOR, CH_I2I2U,
                                  CH_I2U2U, CH_TOWER };
    struct assign_params p = assign_default_params();
    struct diag d = DIAG_INIT;

    f->c = cands_new(2, 8);
    f->c->items[0] = 0;
    f->c->items[1] = 1;
    f->c->off[1] = 3;
    f->c->off[2] = 5;
    f->c->n = 5;
    for (int e = 0; e < 5; e++) {
        f->c->user[e] = user[e];
        f->c->score[e] = score[e];
        f->c->channels[e] = ch[e];
    }
    f->cap[0] = f->cap[1] = f->cap[2] = 2;
    f->users[0] = "ann";
    f->users[1] = "u\tx";
    f->users[2] = "bob";
    f->items[0] = "v9";
    f->items[1] = "v10";
    f->p_active[0] = 0.9f;
    f->p_active[1] = 0.5f;
    f->p_active[2] = 1.0f;
    p.L = 2;
    ck_assert_int_eq(assign_run(f->c, 3, f->cap, NULL, &p, &f->a, &d), 0);
}

static void
fixture_release(struct fixture *f)
{
    assign_free(f->a);
    cands_free(f->c);
}

static struct outtable_src
fixture_src(const struct fixture *f)
{
    struct outtable_src s;

    s.c = f->c;
    s.a = f->a;
    s.user_names = f->users;
    s.item_names = f->items;
    s.p_active = f->p_active;
    return s;
}

START_TEST(test_outtable_dualrec_tables)
{
    const char *dir = test_tmpdir();
    char *p1 = tmp_path(dir, "iu.tsv.zst"), *p2 = tmp_path(dir, "ui.tsv.zst");
    char *text;
    struct fixture f;
    struct outtable_src src;
    struct outtable *t;
    struct diag d = DIAG_INIT;
    size_t len;

    fixture_init(&f);
    src = fixture_src(&f);
    ck_assert_int_eq(outtable_open(p1, OUTTABLE_ITEM_USERS_HEADER, 0, &t,
                                   &d), 0);
    ck_assert_int_eq(outtable_item_users(t, &src, &d), 0);
    ck_assert_int_eq(outtable_close(t, NULL, &d), 0);
    ck_assert_int_eq(outtable_read(p1, &text, &len, &d), 0);
    ck_assert_str_eq(text,
        "item\trank\tuser\tscore\tchannel\tp_active\n"
        "v10\t1\tu\\tx\t0.75\ti2u2u\t0.5\n"
        "v10\t2\tbob\t0.5\ttower\t1\n"
        "v9\t1\tann\t0.5\ttower\t0.9\n"
        "v9\t2\tu\\tx\t0.25\ttower+creator\t0.5\n");
    free(text);
    ck_assert_int_eq(outtable_open(p2, OUTTABLE_USER_ITEMS_HEADER, 0, &t,
                                   &d), 0);
    ck_assert_int_eq(outtable_user_items(t, &src, &d), 0);
    ck_assert_int_eq(outtable_close(t, NULL, &d), 0);
    ck_assert_int_eq(outtable_read(p2, &text, &len, &d), 0);
    ck_assert_str_eq(text,
        "user\trank\titem\tscore\tchannel\n"
        "ann\t1\tv9\t0.5\ttower\n"
        "bob\t1\tv10\t0.5\ttower\n"
        "u\\tx\t1\tv10\t0.75\ti2u2u\n"
        "u\\tx\t2\tv9\t0.25\ttower+creator\n");
    free(text);
    fixture_release(&f);
    free(p1);
    free(p2);
    test_rmtree(dir);
}
END_TEST

/* The one reader of published tables: rows as fields, the header and
 * every row's field count checked with the file and line. */
START_TEST(test_outtable_reader_rows_and_errors)
{
    struct diag d = DIAG_INIT;
    struct outtable *t = NULL;
    struct outtable_reader r;
    const char *f[3];
    size_t fl[3];
    const char *dir = test_tmpdir();
    char path[4096], want[4200];

    snprintf(path, sizeof path, "%s/r.tsv.zst", dir);
    ck_assert_int_eq(outtable_open(path, "k\tv\tw", 0, &t, &d), 0);
    ck_assert_int_eq(outtable_row(t, "a\t1\tx", 5, &d), 0);
    ck_assert_int_eq(outtable_row(t, "b\t\t", 3, &d), 0);
    ck_assert_int_eq(outtable_row(t, "c\t3", 3, &d), 0);
    ck_assert_int_eq(outtable_close(t, NULL, &d), 0);

    ck_assert_int_eq(outtable_reader_open(&r, path, "k\tv", "a kv", 3, &d),
                     -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    snprintf(want, sizeof want, "%s:1: not a kv table (unexpected header)",
             path);
    ck_assert_str_eq(d.msg, want);

    ck_assert_int_eq(outtable_reader_open(&r, path, "k\tv\tw", "a kvw", 3,
                                          &d), 0);
    ck_assert_int_eq(outtable_reader_next(&r, f, fl, &d), 1);
    ck_assert_uint_eq(r.line, 2);
    ck_assert(fl[0] == 1 && f[0][0] == 'a' && fl[1] == 1 && f[1][0] == '1'
              && fl[2] == 1 && f[2][0] == 'x');
    ck_assert_int_eq(outtable_reader_next(&r, f, fl, &d), 1);
    ck_assert(fl[0] == 1 && f[0][0] == 'b' && fl[1] == 0 && fl[2] == 0);
    ck_assert_int_eq(outtable_reader_next(&r, f, fl, &d), -1);
    snprintf(want, sizeof want, "%s:4: expected 3 fields, found 2", path);
    ck_assert_str_eq(d.msg, want);
    ck_assert_int_eq(outtable_reader_next(&r, f, fl, &d), 0);
    outtable_reader_close(&r);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_outtable_stream_mode)
{
    struct fixture f;
    struct outtable_src src;
    struct outtable *t;
    struct outtable_stats st;
    struct diag d = DIAG_INIT;
    char buf[512] = { 0 };
    FILE *fp = tmpfile();

    fixture_init(&f);
    src = fixture_src(&f);
    ck_assert_int_eq(outtable_open_stream(fp, "<stdout>",
                                          OUTTABLE_ITEM_USERS_HEADER, &t,
                                          &d), 0);
    ck_assert_int_eq(outtable_item_users(t, &src, &d), 0);
    ck_assert_int_eq(outtable_close(t, &st, &d), 0);
    ck_assert_uint_eq(st.rows, 4);
    rewind(fp);
    ck_assert_uint_gt(fread(buf, 1, sizeof buf - 1, fp), 0);
    ck_assert_str_eq(buf,
        "item\trank\tuser\tscore\tchannel\tp_active\n"
        "v10\t1\tu\\tx\t0.75\ti2u2u\t0.5\n"
        "v10\t2\tbob\t0.5\ttower\t1\n"
        "v9\t1\tann\t0.5\ttower\t0.9\n"
        "v9\t2\tu\\tx\t0.25\ttower+creator\t0.5\n");
    fclose(fp);
    fixture_release(&f);
}
END_TEST

START_TEST(test_outtable_redis_protocol_bytes)
{
    struct fixture f;
    struct outtable_src src;
    struct diag d = DIAG_INIT;
    char buf[2048] = { 0 };
    FILE *fp = tmpfile();

    fixture_init(&f);
    f.users[1] = "ux";
    src = fixture_src(&f);
    ck_assert_int_eq(outtable_redis(fp, "r", &src, "dr", "dt=2026-11-28", 0,
                                    &d), 0);
    rewind(fp);
    ck_assert_uint_gt(fread(buf, 1, sizeof buf - 1, fp), 0);
    ck_assert_str_eq(buf,
        "*2\r\n$3\r\nDEL\r\n$24\r\ndr:dt=2026-11-28:item:v9\r\n"
        "*4\r\n$5\r\nRPUSH\r\n$24\r\ndr:dt=2026-11-28:item:v9\r\n"
        "$3\r\nann\r\n$2\r\nux\r\n"
        "*2\r\n$3\r\nDEL\r\n$25\r\ndr:dt=2026-11-28:item:v10\r\n"
        "*4\r\n$5\r\nRPUSH\r\n$25\r\ndr:dt=2026-11-28:item:v10\r\n"
        "$2\r\nux\r\n$3\r\nbob\r\n"
        "*2\r\n$3\r\nDEL\r\n$25\r\ndr:dt=2026-11-28:user:ann\r\n"
        "*3\r\n$5\r\nRPUSH\r\n$25\r\ndr:dt=2026-11-28:user:ann\r\n"
        "$2\r\nv9\r\n"
        "*2\r\n$3\r\nDEL\r\n$24\r\ndr:dt=2026-11-28:user:ux\r\n"
        "*4\r\n$5\r\nRPUSH\r\n$24\r\ndr:dt=2026-11-28:user:ux\r\n"
        "$3\r\nv10\r\n$2\r\nv9\r\n"
        "*2\r\n$3\r\nDEL\r\n$25\r\ndr:dt=2026-11-28:user:bob\r\n"
        "*3\r\n$5\r\nRPUSH\r\n$25\r\ndr:dt=2026-11-28:user:bob\r\n"
        "$3\r\nv10\r\n"
        "*3\r\n$3\r\nSET\r\n$10\r\ndr:current\r\n$13\r\ndt=2026-11-28\r\n");
    fclose(fp);
    fixture_release(&f);
}
END_TEST

/* Output of a shell command, trailing newline removed; NULL on failure. */
static char *
run_capture(const char *cmd)
{
    FILE *fp = popen(cmd, "r");
    char buf[4096];
    size_t n;

    if (fp == NULL)
        return NULL;
    n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    if (pclose(fp) != 0)
        return NULL;
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    return xstrdup(buf);
}

static int
have_redis(void)
{
    if (system("command -v redis-server >/dev/null 2>&1 && "
               "command -v redis-cli >/dev/null 2>&1") == 0)
        return 1;
    /* install in the test setup when missing (works as root, as in CI) */
    if (system("'" SAMPLES_DIR "/../scripts/install-deps.sh' --redis "
               ">/dev/null 2>&1") != 0)
        return 0;
    return system("command -v redis-server >/dev/null 2>&1") == 0;
}

START_TEST(test_outtable_redis_end_to_end)
{
    const char *dir;
    char *rpath, *got, cmd[4600];
    struct fixture f;
    struct outtable_src src;
    struct diag d = DIAG_INIT;
    int port = 0, up = 0;
    FILE *fp;

    if (!have_redis()) {
        fprintf(stderr, "SKIP: test_outtable_redis_end_to_end: redis-server"
                " is not installed and could not be installed "
                "(run scripts/install-deps.sh --redis as root)\n");
        return;
    }
    dir = test_tmpdir();
    rpath = tmp_path(dir, "load.resp");
    fixture_init(&f);
    src = fixture_src(&f);              /* user "u\tx": binary-safe keys */
    fp = fopen(rpath, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(outtable_redis(fp, rpath, &src, "dualrec",
                                    "dt=2026-11-28", 3600, &d), 0);
    fclose(fp);
    /* a private server on a loopback port, data in the temp dir */
    for (int attempt = 0; attempt < 5 && !up; attempt++) {
        port = 20000 + (int)((getpid() * 7 + attempt * 131) % 30000);
        snprintf(cmd, sizeof cmd, "cd '%s' && redis-server --port %d "
                 "--bind 127.0.0.1 --save '' --appendonly no --daemonize "
                 "yes --pidfile '%s/redis.pid' --logfile '%s/redis.log' "
                 "--dir '%s' >/dev/null 2>&1", dir, port, dir, dir, dir);
        if (system(cmd) != 0)
            continue;
        for (int w = 0; w < 50 && !up; w++) {
            snprintf(cmd, sizeof cmd, "redis-cli -p %d ping 2>/dev/null",
                     port);
            got = run_capture(cmd);
            up = got != NULL && strcmp(got, "PONG") == 0;
            free(got);
            if (!up)
                usleep(100000);
        }
    }
    ck_assert_msg(up, "redis-server did not start");
    snprintf(cmd, sizeof cmd, "redis-cli -p %d --pipe < '%s' >/dev/null",
             port, rpath);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d GET dualrec:current", port);
    got = run_capture(cmd);
    ck_assert_str_eq(got, "dt=2026-11-28");
    free(got);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d LRANGE "
             "dualrec:dt=2026-11-28:item:v10 0 -1", port);
    got = run_capture(cmd);
    ck_assert_str_eq(got, "u\tx\nbob");
    free(got);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d LRANGE "
             "\"$(printf 'dualrec:dt=2026-11-28:user:u\\tx')\" 0 -1", port);
    got = run_capture(cmd);
    ck_assert_str_eq(got, "v10\nv9");
    free(got);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d TTL "
             "dualrec:dt=2026-11-28:item:v9", port);
    got = run_capture(cmd);
    ck_assert(got != NULL && atoi(got) > 3000 && atoi(got) <= 3600);
    free(got);
    /* reloading the same file is idempotent (DEL before RPUSH) */
    snprintf(cmd, sizeof cmd, "redis-cli -p %d --pipe < '%s' >/dev/null",
             port, rpath);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d LLEN "
             "dualrec:dt=2026-11-28:item:v9", port);
    got = run_capture(cmd);
    ck_assert_str_eq(got, "2");
    free(got);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d shutdown nosave "
             ">/dev/null 2>&1", port);
    ck_assert(system(cmd) >= 0);
    fixture_release(&f);
    free(rpath);
    test_rmtree(dir);
}
END_TEST

Suite *
outtable_suite(void)
{
    Suite *s = suite_create("outtable");
    TCase *tc = tcase_create("tables");
    TCase *tr = tcase_create("redis");

    tcase_add_test(tc, test_outtable_round_trip_and_zstd_cli);
    tcase_add_test(tc, test_outtable_rejects_key_out_of_order);
    tcase_add_test(tc, test_outtable_detects_corruption_and_truncation);
    tcase_add_test(tc, test_outtable_escapes_ids);
    tcase_add_test(tc, test_outtable_dualrec_tables);
    tcase_add_test(tc, test_outtable_reader_rows_and_errors);
    tcase_add_test(tc, test_outtable_stream_mode);
    tcase_add_test(tr, test_outtable_redis_protocol_bytes);
    tcase_set_timeout(tr, 120);
    tcase_add_test(tr, test_outtable_redis_end_to_end);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tr);
    return s;
}
