/*
 * check_logread.c -- the CSV log reader and the zstd/plain input layer:
 * committed fixtures (good, bad/, real/), CSV edge cases written to a temp
 * dir, the fast splitter against libcsv, chunked parsing with 1 and 2
 * threads, truncated and corrupted zstd streams.
 */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "check_common.h"
#include "logread.h"
#include "segment.h"
#include "xmem.h"

#define DAY1 SAMPLE("ingest/dt=2022-04-10")

struct dump {
    char *text;
    size_t len, cap;
    int rows, rejects, result;  /* result: LOGREAD_EOF or LOGREAD_FAIL */
    struct diag d;              /* the open/fail error */
    char first_reject[DIAG_MSG_MAX];
};

static void
dump_add(struct dump *o, const char *s)
{
    size_t n = strlen(s);

    o->text = xgrow(o->text, &o->cap, o->len + n + 1, 1);
    memcpy(o->text + o->len, s, n + 1);
    o->len += n;
}

/* Read a whole file; returns 0 when open worked. */
static int
dump_file(const char *path, enum logread_table t,
          const struct logread_opts *o, struct dump *out)
{
    struct logread *r = NULL;
    struct logread_row row;
    char buf[8192];
    int got;

    memset(out, 0, sizeof *out);
    dump_add(out, "");
    if (logread_open(path, t, o, &r, &out->d) < 0)
        return -1;
    while ((got = logread_next(r, &row, &out->d)) != LOGREAD_EOF
           && got != LOGREAD_FAIL) {
        if (got == LOGREAD_REJECT) {
            if (out->rejects++ == 0)
                strcpy(out->first_reject, out->d.msg);
            snprintf(buf, sizeof buf, "%llu|REJECT|%s\n",
                     (unsigned long long)row.line, out->d.msg);
            diag_clear(&out->d);
        } else {
            out->rows++;
            snprintf(buf, sizeof buf,
                     "%llu|%lld|%.*s|%.*s|%.*s|%.*s|%u|%u|%u|%g\n",
                     (unsigned long long)row.line, (long long)row.t,
                     (int)row.user.n, row.user.p, (int)row.item.n,
                     row.item.p, (int)row.creator.n, row.creator.p,
                     (int)row.tags.n, row.tags.p, row.fb, row.play_ms,
                     row.dur_ms, (double)row.value);
        }
        dump_add(out, buf);
    }
    out->result = got;
    logread_close(r);
    return 0;
}

static void
dump_free(struct dump *o)
{
    free(o->text);
}

static char *
tmp_path(const char *dir, const char *name)
{
    char *p = xmalloc(strlen(dir) + strlen(name) + 2);

    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* zstd with a content checksum, as the zstd CLI writes it. */
static void
write_zstd(const char *path, const void *p, size_t n)
{
    size_t bound = ZSTD_compressBound(n), clen;
    void *c = xmalloc(bound);
    ZSTD_CCtx *cc = ZSTD_createCCtx();

    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    clen = ZSTD_compress2(cc, c, bound, p, n);
    ck_assert(!ZSTD_isError(clen));
    ZSTD_freeCCtx(cc);
    test_write_file(path, c, clen);
    free(c);
}

START_TEST(test_logread_reads_kuairand_layout_exposures)
{
    struct dump o;

    ck_assert_int_eq(dump_file(DAY1 "/exposures.csv", LOGREAD_EXPOSURES,
                               NULL, &o), 0);
    ck_assert_int_eq(o.result, LOGREAD_EOF);
    ck_assert_int_eq(o.rows, 8);
    ck_assert_int_eq(o.rejects, 0);
    /* time_ms -> seconds; is_click + long_view; play/duration */
    ck_assert(strncmp(o.text, "2|1649577600|u1|v10|||33|12000|15000|0\n",
                      39) == 0);
    ck_assert_ptr_nonnull(strstr(o.text,
        "\n5|1649579400|u2|v12|||13|5000|60000|0\n"));
    ck_assert_ptr_nonnull(strstr(o.text,
        "\n6|1649584800|u3|v11|||64|300|30000|0\n"));
    dump_free(&o);
}
END_TEST

START_TEST(test_logread_zstd_by_name_or_magic_matches_plain)
{
    const char *dir = test_tmpdir();
    char *zpath = tmp_path(dir, "exposures.csv.zst");
    char *npath = tmp_path(dir, "exposures_noext");
    size_t n;
    char *csv = test_read_file(DAY1 "/exposures.csv", &n);
    struct dump a, b, c;

    write_zstd(zpath, csv, n);
    write_zstd(npath, csv, n);      /* detected by magic, not by name */
    ck_assert_int_eq(dump_file(DAY1 "/exposures.csv", LOGREAD_EXPOSURES,
                               NULL, &a), 0);
    ck_assert_int_eq(dump_file(zpath, LOGREAD_EXPOSURES, NULL, &b), 0);
    ck_assert_int_eq(dump_file(npath, LOGREAD_EXPOSURES, NULL, &c), 0);
    ck_assert_int_eq(b.result, LOGREAD_EOF);
    ck_assert_str_eq(a.text, b.text);
    ck_assert_str_eq(a.text, c.text);
    dump_free(&a);
    dump_free(&b);
    dump_free(&c);
    free(csv);
    free(zpath);
    free(npath);
    test_rmtree(dir);
}
END_TEST

static const struct {
    const char *file;
    enum logread_table table;
    const char *msg;            /* after "<path>:" */
    int rows;                   /* good rows in the file */
} bad_cases[] = {
    { "bad/short_row.csv", LOGREAD_EXPOSURES,
      "3: expected 5 columns, found 4", 1 },
    { "bad/extra_column.csv", LOGREAD_EXPOSURES,
      "3: expected 5 columns, found 6", 1 },
    { "bad/bad_time.csv", LOGREAD_EXPOSURES,
      "3: column 'time': unparseable time 'yesterday'", 1 },
    { "bad/empty_id.csv", LOGREAD_EXPOSURES,
      "3: column 'user': empty id", 1 },
    { "bad/bad_flag.csv", LOGREAD_EXPOSURES,
      "3: column 'click': bad flag value '2'", 1 },
    { "bad/bad_utf8.csv", LOGREAD_EXPOSURES,
      "3: column 'user': invalid UTF-8 'u\\xff2'", 1 },
    { "bad/long_id.csv", LOGREAD_EXPOSURES,
      "3: column 'user': id longer than 1024 bytes "
      "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'",
      1 },
    { "bad/bad_quote.csv", LOGREAD_EXPOSURES,
      "3: malformed quoting '1649577601,\"u\"2\",v2,1,0'", 2 },
    { "bad/items_bad_number.csv", LOGREAD_ITEMS,
      "3: column 'duration_ms': bad number '-5'", 1 },
    { "bad/interactions_empty_event.csv", LOGREAD_INTERACTIONS,
      "3: column 'event': empty event", 1 },
};

START_TEST(test_logread_rejects_bad_rows_with_location)
{
    struct dump o;
    char want[2048];
    char path[1024];

    snprintf(path, sizeof path, "%s/%s", SAMPLES_DIR, bad_cases[_i].file);
    snprintf(want, sizeof want, "%s:%s", path, bad_cases[_i].msg);
    ck_assert_int_eq(dump_file(path, bad_cases[_i].table, NULL, &o), 0);
    ck_assert_int_eq(o.result, LOGREAD_EOF);
    ck_assert_int_eq(o.rejects, 1);
    ck_assert_int_eq(o.rows, bad_cases[_i].rows);
    ck_assert_str_eq(o.first_reject, want);
    dump_free(&o);
}
END_TEST

START_TEST(test_logread_missing_column_names_file_and_column)
{
    struct dump o;

    ck_assert_int_eq(dump_file(SAMPLE("bad/missing_column.csv"),
                               LOGREAD_EXPOSURES, NULL, &o), -1);
    ck_assert_int_eq(o.d.rc, RC_DATA);
    ck_assert_str_eq(o.d.msg, SAMPLE("bad/missing_column.csv")
                     ":1: missing column 'user' (tried user, user_id, "
                     "userId); header split on ',' into 4 columns "
                     "'time,uid,video_id,click'; fix: --map user=NAME with "
                     "NAME one of the header's columns");
    dump_free(&o);
    ck_assert_int_eq(dump_file(SAMPLE("bad/empty.csv"), LOGREAD_EXPOSURES,
                               NULL, &o), -1);
    ck_assert_int_eq(o.d.rc, RC_DATA);
    ck_assert_str_eq(o.d.msg, SAMPLE("bad/empty.csv")
                     ": empty file, expected a header row");
    dump_free(&o);
    ck_assert_int_eq(dump_file(SAMPLE("bad/no_such_file.csv"),
                               LOGREAD_EXPOSURES, NULL, &o), -1);
    ck_assert_int_eq(o.d.rc, RC_NOINPUT);
    ck_assert_str_eq(o.d.msg, SAMPLE("bad/no_such_file.csv")
                     ": cannot open: No such file or directory");
    dump_free(&o);
    ck_assert_int_eq(dump_file(SAMPLE("bad/not_zstd.csv.zst"),
                               LOGREAD_EXPOSURES, NULL, &o), -1);
    ck_assert_int_eq(o.d.rc, RC_DATA);
    ck_assert_str_eq(o.d.msg, SAMPLE("bad/not_zstd.csv.zst")
                     ": not a zstd file (bad magic)");
    dump_free(&o);
}
END_TEST

START_TEST(test_logread_csv_edge_cases)
{
    static const char csv[] =
        "\xEF\xBB\xBFtime,user,item,click,like\r\n"
        "1649577600,\"u,1\",\"v\n1\",1,0\r\n"
        "\r\n"
        "\n"
        "1649577601,\"say \"\"hi\"\"\",v2,0,1\r\n"
        "1649577602,u3,v3,,TRUE\r\n"
        "1649577603,u4,v4,1\r\n"
        "1649577604,u5,v5,1,0";
    const char *dir = test_tmpdir();
    char *path = tmp_path(dir, "edge.csv");
    struct dump o;

    test_write_file(path, csv, sizeof csv - 1);
    ck_assert_int_eq(dump_file(path, LOGREAD_EXPOSURES, NULL, &o), 0);
    ck_assert_int_eq(o.result, LOGREAD_EOF);
    ck_assert_int_eq(o.rows, 4);
    ck_assert_int_eq(o.rejects, 1);
    {
        char want[2048];

        snprintf(want, sizeof want,
                 "2|1649577600|u,1|v\n1|||1|0|0|0\n"
                 "6|1649577601|say \"hi\"|v2|||2|0|0|0\n"
                 "7|1649577602|u3|v3|||2|0|0|0\n"
                 "8|REJECT|%s:8: expected 5 columns, found 4\n"
                 "9|1649577604|u5|v5|||1|0|0|0\n", path);
        ck_assert_str_eq(o.text, want);
    }
    dump_free(&o);
    free(path);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_logread_header_only_and_unterminated_quote)
{
    const char *dir = test_tmpdir();
    char *p1 = tmp_path(dir, "h.csv"), *p2 = tmp_path(dir, "q.csv");
    struct dump o;
    char want[1024];

    test_write_file(p1, "time,user,item\n", 15);
    ck_assert_int_eq(dump_file(p1, LOGREAD_EXPOSURES, NULL, &o), 0);
    ck_assert_int_eq(o.result, LOGREAD_EOF);
    ck_assert_int_eq(o.rows + o.rejects, 0);
    dump_free(&o);

    test_write_file(p2, "time,user,item\n1,u1,v1\n2,\"u2,v2\n3,u3,v3\n", 40);
    ck_assert_int_eq(dump_file(p2, LOGREAD_EXPOSURES, NULL, &o), 0);
    ck_assert_int_eq(o.rows, 2);
    ck_assert_int_eq(o.rejects, 1);
    snprintf(want, sizeof want, "%s:3: malformed quoting '2,\"u2,v2'", p2);
    ck_assert_str_eq(o.first_reject, want);
    dump_free(&o);
    free(p1);
    free(p2);
    test_rmtree(dir);
}
END_TEST

/* A field over the cap, a record over the record cap, and a record longer
 * than the whole read buffer are rejects; reading goes on with the right
 * line numbers. */
START_TEST(test_logread_huge_fields)
{
    const char *dir = test_tmpdir();
    char *path = tmp_path(dir, "huge.csv");
    size_t big = 100000, rec = 3u << 20, whole = 20u << 20, n = 0;
    char *csv = xmalloc(big + rec + whole + 1024);
    struct dump o;
    char want[4096];

    n += (size_t)sprintf(csv + n, "time,user,item\n1,u1,v1\n2,");
    memset(csv + n, 'a', big);
    n += big;
    n += (size_t)sprintf(csv + n, ",v2\n3,u3,");
    memset(csv + n, 'b', rec);
    n += rec;
    n += (size_t)sprintf(csv + n, "\n4,\"");
    memset(csv + n, 'c', whole);
    n += whole;
    n += (size_t)sprintf(csv + n, "\",v4\n5,u5,v5\n");
    test_write_file(path, csv, n);
    ck_assert_int_eq(dump_file(path, LOGREAD_EXPOSURES, NULL, &o), 0);
    ck_assert_int_eq(o.result, LOGREAD_EOF);
    ck_assert_int_eq(o.rows, 2);
    ck_assert_int_eq(o.rejects, 3);
    snprintf(want, sizeof want,
             "2|1|u1|v1|||0|0|0|0\n"
             "3|REJECT|%s:3: column 'user': field longer than 65536 bytes "
             "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "a...'\n"
             "4|REJECT|%s:4: record longer than 1048576 bytes\n"
             "5|REJECT|%s:5: record longer than 8388608 bytes\n"
             "6|5|u5|v5|||0|0|0|0\n", path, path, path);
    ck_assert_str_eq(o.text, want);
    dump_free(&o);
    free(csv);
    free(path);
    test_rmtree(dir);
}
END_TEST

/*
 * Fast splitter vs libcsv, and chunking vs threads: the same random
 * records written with minimal quoting and with every field quoted read
 * back identically, equal to the generated values, with 1 and 2 threads.
 */
START_TEST(test_logread_fast_path_matches_libcsv_and_threads)
{
    const char *dir = test_tmpdir();
    char *pa = tmp_path(dir, "min.csv"), *pb = tmp_path(dir, "all.csv");
    char *pc = tmp_path(dir, "plain.csv");
    size_t cap = 8u << 20, na = 0, nb = 0, nc = 0, nrows = 40000, i;
    char *a = xmalloc(cap), *b = xmalloc(cap), *c = xmalloc(cap);
    char *truth = xmalloc(cap);
    size_t nt = 0;
    uint64_t x = 12345, line = 2;
    struct dump da, db, dc1, dc2;
    static const char alphabet[] = "abcxyz019,\"\n _";

    na += (size_t)sprintf(a, "time,user,item,like\n");
    nb += (size_t)sprintf(b, "\"time\",\"user\",\"item\",\"like\"\n");
    nc += (size_t)sprintf(c, "time,user,item,like\n");
    for (i = 0; i < nrows; i++) {
        char user[32];
        size_t len, k;
        int special = 0, nl = 0;

        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        len = 1 + (x >> 60);
        for (k = 0; k < len; k++) {
            uint64_t y = x >> (4 * (k % 12));

            user[k] = (i % 7 == 0) ? alphabet[y % (sizeof alphabet - 1)]
                                   : alphabet[y % 6];
            special |= user[k] == ',' || user[k] == '"' || user[k] == '\n';
            nl += user[k] == '\n';
        }
        user[len] = '\0';
        nt += (size_t)sprintf(truth + nt, "%llu|%zu|%s|v%zu|||%d|0|0|0\n",
                              (unsigned long long)line, 1649577600 + i, user,
                              i, (int)(i % 2) * FB_LIKE);
        nc += (size_t)sprintf(c + nc, "%zu,u%zu,v%zu,%d\n",
                              1649577600 + i, i, i, (int)(i % 2));
        na += (size_t)sprintf(a + na, "%zu,", 1649577600 + i);
        nb += (size_t)sprintf(b + nb, "\"%zu\",\"", 1649577600 + i);
        if (special)
            a[na++] = '"';
        for (k = 0; k < len; k++) {
            if (user[k] == '"') {
                if (special)
                    a[na++] = '"';
                b[nb++] = '"';
            }
            a[na++] = user[k];
            b[nb++] = user[k];
        }
        if (special)
            a[na++] = '"';
        na += (size_t)sprintf(a + na, ",v%zu,%d\n", i, (int)(i % 2));
        nb += (size_t)sprintf(b + nb, "\",\"v%zu\",\"%d\"\n", i,
                              (int)(i % 2));
        line += 1 + (uint64_t)nl;
    }
    ck_assert_uint_lt(na, cap);
    ck_assert_uint_lt(nb, cap);
    test_write_file(pa, a, na);
    test_write_file(pb, b, nb);
    test_write_file(pc, c, nc);

    omp_set_num_threads(1);
    ck_assert_int_eq(dump_file(pa, LOGREAD_EXPOSURES, NULL, &da), 0);
    ck_assert_int_eq(dump_file(pc, LOGREAD_EXPOSURES, NULL, &dc1), 0);
    omp_set_num_threads(2);
    ck_assert_int_eq(dump_file(pb, LOGREAD_EXPOSURES, NULL, &db), 0);
    ck_assert_int_eq(dump_file(pc, LOGREAD_EXPOSURES, NULL, &dc2), 0);
    ck_assert_int_eq(da.rows, (int)nrows);
    ck_assert_int_eq(da.rejects, 0);
    ck_assert_str_eq(da.text, truth);
    ck_assert_str_eq(db.text, truth);
    ck_assert_int_eq(dc1.rows, (int)nrows);
    ck_assert_str_eq(dc1.text, dc2.text);
    dump_free(&da);
    dump_free(&db);
    dump_free(&dc1);
    dump_free(&dc2);
    free(a);
    free(b);
    free(c);
    free(truth);
    free(pa);
    free(pb);
    free(pc);
    test_rmtree(dir);
}
END_TEST

/* A quoted field over the field limit is rejected wherever its record
 * falls, also when the unquoted values of a chunk fill more than one block
 * of its arena (thousands of quoted records before it). */
START_TEST(test_logread_long_quoted_field_rejected)
{
    const char *dir = test_tmpdir();
    char *path = tmp_path(dir, "quoted.csv");
    size_t cap = 1u << 20, n = 0, i;
    char *csv = xmalloc(cap), want[256];
    struct logread_opts lo;
    struct dump o;

    memset(&lo, 0, sizeof lo);
    lo.max_field = 64;
    n += (size_t)sprintf(csv, "time,user,item\n");
    for (i = 0; i < 5000; i++) {
        if (i % 1000 == 999)
            n += (size_t)sprintf(csv + n, "%zu,\"u,%0100zu\",v\n", i, i);
        else
            n += (size_t)sprintf(csv + n, "%zu,\"u,%040zu\",v\n", i, i);
    }
    ck_assert_uint_lt(n, cap);
    test_write_file(path, csv, n);
    ck_assert_int_eq(dump_file(path, LOGREAD_EXPOSURES, &lo, &o), 0);
    ck_assert_int_eq(o.rows, 4995);
    ck_assert_int_eq(o.rejects, 5);
    snprintf(want, sizeof want, "%s:1001: column 'user': field longer than "
             "64 bytes", path);
    ck_assert_msg(strncmp(o.first_reject, want, strlen(want)) == 0, "%s",
                  o.first_reject);
    dump_free(&o);
    free(csv);
    free(path);
    test_rmtree(dir);
}
END_TEST

/* A value for a test field: one of the listed ones, or random digits. */
static const char *
pick(uint64_t *x, const char *const *list, size_t n, char *buf, int digits)
{
    size_t k, len;

    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    if (digits == 0 || (*x >> 62) == 0)
        return list[(*x >> 33) % n];
    len = 1 + (size_t)((*x >> 20) % (unsigned)digits);
    for (k = 0; k < len; k++)
        buf[k] = (char)('0' + (*x >> (3 * k % 40)) % 10);
    buf[len] = '\0';
    return buf;
}

/*
 * The one-pass conversion of ids, times, flags and milliseconds (word at a
 * time, with falls back to the full path for anything unusual) against a
 * plain reference: random rows of usual and unusual values, each read back
 * as the reference says, or rejected when it says so.  The file ends
 * without a newline on a short field (reads past the data).
 */
START_TEST(test_logread_conversions_match_reference)
{
    static const char *const times[] = {
        "1649577600", "1649577600123", "99999999999", "100000000000",
        "0", "2022-04-10T08:00:00Z", "12a", "", "1649577600.5",
        "00000000000000001" };
    static const char *const ids[] = {
        "u", "user_0000000000000", "abcdefgh", "abcdefghi", "\xc3\xa9t\xc3\xa9",
        "bad\xff", "", "x y" };
    static const char *const flags[] = { "0", "1", "", "true", "False", "2",
                                         "01", " 1" };
    static const char *const ms[] = { "", "0", "12.5", "4294967295",
                                      "4294967296", "-1", "1e3", "87433.0" };
    const char *dir = test_tmpdir();
    char *path = tmp_path(dir, "conv.csv");
    size_t cap = 4u << 20, n = 0, nrows = 20000, i;
    char *text = xmalloc(cap), **want = xcalloc(nrows, sizeof *want);
    uint64_t x = 777;
    struct dump d;
    char *line;

    n += (size_t)sprintf(text, "time,user,item,click,like,play_ms,"
                               "duration_ms");
    for (i = 0; i < nrows; i++) {
        char tb[24], ub[24], pb[24], db[24], c1[8], c2[8];
        const char *t = pick(&x, times, 10, tb, 17);
        const char *u = pick(&x, ids, 8, ub, 0);
        const char *cl = pick(&x, flags, 8, c1, 0);
        const char *lk = pick(&x, flags, 8, c2, 0);
        const char *pl = pick(&x, ms, 8, pb, 10);
        const char *du = pick(&x, ms, 8, db, 10);
        const char *fl[2] = { cl, lk };
        const char *mv[2] = { pl, du };
        long long tv = 0;
        unsigned long long m[2] = { 0, 0 };
        unsigned fb = 0;
        int ok = 1, k;
        char *end;

        n += (size_t)sprintf(text + n, "\n%s,%s,v%zu,%s,%s,%s,%s", t, u, i,
                             cl, lk, pl, du);
        /* the reference */
        if (strcmp(t, "2022-04-10T08:00:00Z") == 0
            || strcmp(t, "1649577600.5") == 0) {    /* fractions dropped */
            tv = 1649577600;
        } else if (t[0] != '\0' && strspn(t, "0123456789") == strlen(t)) {
            tv = (long long)strtoull(t, NULL, 10);
            if (tv >= 100000000000LL)
                tv /= 1000;
        } else {
            ok = 0;
        }
        ok &= u[0] != '\0' && strchr(u, '\xff') == NULL;
        for (k = 0; k < 2; k++) {
            if (strcmp(fl[k], "1") == 0 || strcmp(fl[k], "true") == 0)
                fb |= k == 0 ? FB_CLICK : FB_LIKE;
            else if (strcmp(fl[k], "0") != 0 && strcmp(fl[k], "") != 0
                     && strcmp(fl[k], "False") != 0)
                ok = 0;
            if (mv[k][0] == '\0') {
                m[k] = 0;
            } else {
                double v = strtod(mv[k], &end);

                if (*end != '\0' || v < 0 || v + 0.5 >= 4294967296.0)
                    ok = 0;
                else
                    m[k] = (unsigned long long)(v + 0.5);
            }
        }
        if (ok) {
            want[i] = xmalloc(128);
            sprintf(want[i], "%zu|%lld|%s|v%zu|||%u|%llu|%llu|0", i + 2, tv,
                    u, i, fb, m[0], m[1]);
        }
    }
    ck_assert_uint_lt(n, cap);
    test_write_file(path, text, n);
    ck_assert_int_eq(dump_file(path, LOGREAD_EXPOSURES, NULL, &d), 0);
    ck_assert_int_eq(d.result, LOGREAD_EOF);
    line = d.text;
    for (i = 0; i < nrows; i++) {
        char *nl = strchr(line, '\n');

        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        if (want[i] != NULL)
            ck_assert_str_eq(line, want[i]);
        else
            ck_assert_msg(strstr(line, "|REJECT|") != NULL, "row %zu: %s",
                          i, line);
        line = nl + 1;
        free(want[i]);
    }
    ck_assert_int_gt(d.rows, 1000);
    ck_assert_int_gt(d.rejects, 1000);
    dump_free(&d);
    free(want);
    free(text);
    free(path);
    test_rmtree(dir);
}
END_TEST

/*
 * Several blocks (the reader cuts 8 MiB blocks and parses the next one
 * while the current one is handed out): every row and reject in file
 * order with its line, with 1 and 2 threads, plain and zstd; a zstd
 * stream cut short hands out rows from before the cut, in order, then
 * fails.
 */
START_TEST(test_logread_many_blocks_in_order)
{
    const char *dir = test_tmpdir();
    char *pp = tmp_path(dir, "big.csv"), *pz = tmp_path(dir, "big.csv.zst");
    size_t cap = 40u << 20, n = 0, nt = 0, nrows = 700000, i, zn;
    char *csv = xmalloc(cap), *truth = xmalloc(cap), *z;
    uint64_t x = 99;
    struct dump o1, o2, oz, ot;
    int threads;

    n += (size_t)sprintf(csv, "time,user,item,like\n");
    for (i = 0; i < nrows; i++) {
        size_t pad;

        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        pad = (size_t)(x >> 59);            /* ids of varying length */
        if (i % 99991 == 7) {               /* a reject now and then */
            n += (size_t)sprintf(csv + n, "%zu,u%zu\n", i, i);
            nt += (size_t)sprintf(truth + nt,
                                  "%zu|REJECT|%s:%zu: expected 4 columns, "
                                  "found 2\n", i + 2, pp, i + 2);
            continue;
        }
        n += (size_t)sprintf(csv + n, "%zu,u%0*zu,v%zu,%d\n", 1000 + i,
                             (int)pad, i, i % 77, (int)(i % 2));
        nt += (size_t)sprintf(truth + nt, "%zu|%zu|u%0*zu|v%zu|||%d|0|0|0\n",
                              i + 2, 1000 + i, (int)pad, i, i % 77,
                              (int)(i % 2) * FB_LIKE);
    }
    ck_assert_uint_lt(n, cap);
    ck_assert_uint_gt(n, 2 * (8u << 20));
    test_write_file(pp, csv, n);
    write_zstd(pz, csv, n);
    for (threads = 1; threads <= 2; threads++) {
        omp_set_num_threads(threads);
        ck_assert_int_eq(dump_file(pp, LOGREAD_EXPOSURES, NULL,
                                   threads == 1 ? &o1 : &o2), 0);
    }
    ck_assert_int_eq(o1.result, LOGREAD_EOF);
    ck_assert_str_eq(o1.text, truth);
    ck_assert_str_eq(o2.text, truth);
    ck_assert_int_eq(dump_file(pz, LOGREAD_EXPOSURES, NULL, &oz), 0);
    ck_assert_int_eq(oz.result, LOGREAD_EOF);
    ck_assert_int_eq(oz.rows, o1.rows);

    z = test_read_file(pz, &zn);
    test_write_file(pz, z, zn * 2 / 3);     /* same name: same messages */
    ck_assert_int_eq(dump_file(pz, LOGREAD_EXPOSURES, NULL, &ot), 0);
    ck_assert_int_eq(ot.result, LOGREAD_FAIL);
    ck_assert_ptr_nonnull(strstr(ot.d.msg, "truncated zstd frame"));
    ck_assert_int_gt(ot.rows, 0);
    ck_assert_int_lt(ot.rows, o1.rows);
    ck_assert_int_eq(strncmp(ot.text, oz.text, ot.len), 0);
    dump_free(&o1);
    dump_free(&o2);
    dump_free(&oz);
    dump_free(&ot);
    free(z);
    free(csv);
    free(truth);
    free(pp);
    free(pz);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_logread_zstd_truncated_or_corrupt_is_an_error)
{
    const char *dir = test_tmpdir();
    char *zpath = tmp_path(dir, "e.csv.zst"), *tpath = tmp_path(dir,
                                                             "t.csv.zst");
    size_t n, zn, cut, i;
    char *csv = xmalloc(300000), *z;
    struct dump o;

    /* a few hundred KB so the stream spans several zstd blocks */
    n = (size_t)sprintf(csv, "time,user,item\n");
    for (i = 0; n < 290000; i++)
        n += (size_t)sprintf(csv + n, "%zu,user%zu,item%zu\n",
                             1649577600 + i % 86400, i * 7919 % 100003,
                             i % 977);
    write_zstd(zpath, csv, n);
    z = test_read_file(zpath, &zn);
    for (cut = 0; cut < zn; cut += cut < 16 ? 1 : zn / 13) {
        test_write_file(tpath, z, cut);
        if (dump_file(tpath, LOGREAD_EXPOSURES, NULL, &o) == 0)
            ck_assert_int_eq(o.result, LOGREAD_FAIL);
        ck_assert_int_eq(o.d.rc, RC_DATA);
        if (cut >= 4 && o.result == LOGREAD_FAIL)
            ck_assert_ptr_nonnull(strstr(o.d.msg, "zstd"));
        dump_free(&o);
    }
    for (i = 1; i <= 7; i++) {
        size_t at = i == 7 ? zn - 1 : zn * i / 7;

        z[at] ^= 0x40;
        test_write_file(tpath, z, zn);
        z[at] ^= 0x40;
        if (dump_file(tpath, LOGREAD_EXPOSURES, NULL, &o) == 0)
            ck_assert_int_eq(o.result, LOGREAD_FAIL);
        ck_assert_int_eq(o.d.rc, RC_DATA);
        dump_free(&o);
    }
    free(csv);
    free(z);
    free(zpath);
    free(tpath);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_logread_kuairand_video_table_as_items)
{
    struct dump o;

    ck_assert_int_eq(dump_file(SAMPLE("real/kuairand/"
                                      "video_features_basic_pure.csv"),
                               LOGREAD_ITEMS, NULL, &o), 0);
    ck_assert_int_eq(o.result, LOGREAD_EOF);
    ck_assert_int_eq(o.rows, 200);
    ck_assert_int_eq(o.rejects, 0);
    /* 2022-04-10 00:00 UTC; duration 87433.0 ms */
    ck_assert(strncmp(o.text, "2|1649548800||0|7349781|39|0|0|87433|0\n",
                      39) == 0);
    /* a quoted comma-separated tag list */
    ck_assert_ptr_nonnull(strstr(o.text,
        "\n7|1649548800||5|8367059|20,43|0|0|358016|0\n"));
    /* empty video_duration: 0 */
    ck_assert_ptr_nonnull(strstr(o.text,
        "\n9|1649548800||7|7676925|20,67|0|0|0|0\n"));
    dump_free(&o);
}
END_TEST

START_TEST(test_logread_movielens_ratings_with_const_event)
{
    static const char *const consts[] = { "event=rate" };
    struct logread_opts lo;
    struct dump o;
    const char *p;
    int likes = 0;

    memset(&lo, 0, sizeof lo);
    lo.consts = consts;
    lo.n_consts = 1;
    lo.value_event_fb = FB_LIKE;
    lo.value_event_min = 4.0;
    ck_assert_int_eq(dump_file(SAMPLE("real/movielens/ratings.csv"),
                               LOGREAD_INTERACTIONS, &lo, &o), 0);
    ck_assert_int_eq(o.result, LOGREAD_EOF);
    ck_assert_int_eq(o.rows, 248);
    ck_assert_int_eq(o.rejects, 0);
    for (p = o.text; (p = strstr(p, "|||2|0|0|")) != NULL; p++)
        likes++;
    ck_assert_int_eq(likes, 65 + 13 + 31);     /* ratings 4, 4.5, 5 */
    ck_assert(strncmp(o.text, "2|1435", 6) == 0);
    dump_free(&o);

    /* without the constant the event column is missing */
    ck_assert_int_eq(dump_file(SAMPLE("real/movielens/ratings.csv"),
                               LOGREAD_INTERACTIONS, NULL, &o), -1);
    ck_assert_str_eq(o.d.msg, SAMPLE("real/movielens/ratings.csv")
                     ":1: missing column 'event' (tried event, action, "
                     "type); header split on ',' into 4 columns "
                     "'userId,movieId,rating,timestamp'; fix: --const "
                     "event=rate for a file of ratings (with --value-event "
                     "like:4), or --map event=NAME");
    dump_free(&o);
}
END_TEST

/* The same records with another delimiter (found from the header, or
 * given) read as the comma file does, on both split paths (plain blocks
 * and blocks with quotes) and across many chunks. */
START_TEST(test_logread_delimiters_read_like_commas)
{
    static const char delims[] = { '\t', ';', '|' };
    const char *dir = test_tmpdir();
    char *comma = tmp_path(dir, "c.csv"), *other = tmp_path(dir, "o.csv");
    size_t cap = 1 << 20, n = 0, i, k;
    char *text = xmalloc(cap), *alt = xmalloc(cap);
    struct dump ref, got;

    n += (size_t)snprintf(text + n, cap - n, "time,user_id,item,click,tags\n");
    for (i = 0; i < 20000; i++)
        n += (size_t)snprintf(text + n, cap - n, "%zu,u%zu,i%zu,%zu,%s\n",
                              1649548800 + i, i % 97, i % 13, i % 2,
                              i == 15000 ? "\"q,\"\"x\"\"\"" : "t");
    test_write_file(comma, text, n);
    ck_assert_int_eq(dump_file(comma, LOGREAD_EXPOSURES, NULL, &ref), 0);
    ck_assert_int_eq(ref.rows, 20000);
    for (k = 0; k < sizeof delims; k++) {
        struct logread_opts lo;
        int quoted = 0;

        /* the delimiter replaces the commas outside quotes */
        for (i = 0; i < n; i++) {
            if (text[i] == '"')
                quoted = !quoted;
            alt[i] = text[i] == ',' && !quoted ? delims[k] : text[i];
        }
        test_write_file(other, alt, n);
        ck_assert_int_eq(dump_file(other, LOGREAD_EXPOSURES, NULL, &got), 0);
        ck_assert_str_eq(got.text, ref.text);
        dump_free(&got);
        memset(&lo, 0, sizeof lo);
        lo.delimiter = delims[k];
        ck_assert_int_eq(dump_file(other, LOGREAD_EXPOSURES, &lo, &got), 0);
        ck_assert_str_eq(got.text, ref.text);
        dump_free(&got);
    }
    dump_free(&ref);
    free(text);
    free(alt);
    free(comma);
    free(other);
}
END_TEST

/* 2026-12-04: a tab-separated RecBole file (typed headers "user_id:token")
 * was rejected as "missing column 'time'" without a hint. */
START_TEST(test_logread_recbole_typed_tab_header)
{
    static const char *const cst[] = { "event=rate" };
    struct logread_opts lo;
    struct dump o;

    memset(&lo, 0, sizeof lo);
    lo.consts = cst;
    lo.n_consts = 1;
    lo.value_event_fb = FB_LIKE;
    lo.value_event_min = 4;
    ck_assert_int_eq(dump_file(SAMPLE("real/movielens/ratings.inter"),
                               LOGREAD_INTERACTIONS, &lo, &o), 0);
    ck_assert_int_eq(o.rows, 248);
    ck_assert_int_eq(o.rejects, 0);
    ck_assert(strncmp(o.text, "2|1435942468|119|1||", 20) == 0);
    dump_free(&o);
    /* read as commas: the error names the delimiter, the header, the fix */
    lo.delimiter = ',';
    ck_assert_int_eq(dump_file(SAMPLE("real/movielens/ratings.inter"),
                               LOGREAD_INTERACTIONS, &lo, &o), -1);
    ck_assert_int_eq(o.d.rc, RC_DATA);
    ck_assert_str_eq(o.d.msg, SAMPLE("real/movielens/ratings.inter")
                     ":1: missing column 'time' (tried time, timestamp, "
                     "time_ms, ts); header split on ',' into 1 column "
                     "'user_id:token\\titem_id:token\\trating:float\\t"
                     "timestamp:float'; fix: --delimiter '\\t' (the header "
                     "has 3 of them), or --map time=NAME");
    dump_free(&o);
}
END_TEST

START_TEST(test_logread_map_option)
{
    static const char *const map[] = { "user=uid", "item=thing" };
    static const char *const twice[] = { "user=uid", "item=uid" };
    static const char *const bad_map[] = { "user=nope" };
    static const char *const bad_col[] = { "usr=uid" };
    const char *dir = test_tmpdir();
    char *path = tmp_path(dir, "m.csv");
    struct logread_opts lo;
    struct dump o;

    test_write_file(path, "ts,uid,thing,user\n7,a,b,c\n", 26);
    memset(&lo, 0, sizeof lo);
    lo.map = map;
    lo.n_map = 2;
    ck_assert_int_eq(dump_file(path, LOGREAD_EXPOSURES, &lo, &o), 0);
    ck_assert_str_eq(o.text, "2|7|a|b|||0|0|0|0\n");
    dump_free(&o);
    /* one header column read as two canonical columns */
    lo.map = twice;
    ck_assert_int_eq(dump_file(path, LOGREAD_EXPOSURES, &lo, &o), 0);
    ck_assert_str_eq(o.text, "2|7|a|a|||0|0|0|0\n");
    dump_free(&o);
    lo.map = bad_map;
    lo.n_map = 1;
    ck_assert_int_eq(dump_file(path, LOGREAD_EXPOSURES, &lo, &o), -1);
    ck_assert_int_eq(o.d.rc, RC_DATA);
    ck_assert_ptr_nonnull(strstr(o.d.msg,
        ":1: missing column 'nope' (mapped to user)"));
    dump_free(&o);
    lo.map = bad_col;
    ck_assert_int_eq(dump_file(path, LOGREAD_EXPOSURES, &lo, &o), -1);
    ck_assert_int_eq(o.d.rc, RC_USAGE);
    ck_assert_str_eq(o.d.msg, "--map: unknown column 'usr'");
    dump_free(&o);
    free(path);
    test_rmtree(dir);
}
END_TEST

Suite *
logread_suite(void)
{
    Suite *s = suite_create("logread");
    TCase *tc_ok = tcase_create("valid");
    TCase *tc_bad = tcase_create("malformed");

    tcase_set_timeout(tc_ok, 120);
    tcase_set_timeout(tc_bad, 120);
    tcase_add_test(tc_ok, test_logread_reads_kuairand_layout_exposures);
    tcase_add_test(tc_ok, test_logread_zstd_by_name_or_magic_matches_plain);
    tcase_add_test(tc_ok, test_logread_csv_edge_cases);
    tcase_add_test(tc_ok, test_logread_fast_path_matches_libcsv_and_threads);
    tcase_add_test(tc_ok, test_logread_conversions_match_reference);
    tcase_add_test(tc_ok, test_logread_kuairand_video_table_as_items);
    tcase_add_test(tc_ok, test_logread_movielens_ratings_with_const_event);
    tcase_add_test(tc_ok, test_logread_map_option);
    tcase_add_test(tc_ok, test_logread_delimiters_read_like_commas);
    tcase_add_test(tc_ok, test_logread_recbole_typed_tab_header);
    tcase_add_loop_test(tc_bad, test_logread_rejects_bad_rows_with_location,
                        0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc_bad, test_logread_missing_column_names_file_and_column);
    tcase_add_test(tc_bad, test_logread_header_only_and_unterminated_quote);
    tcase_add_test(tc_bad, test_logread_huge_fields);
    tcase_add_test(tc_bad, test_logread_long_quoted_field_rejected);
    tcase_add_test(tc_bad, test_logread_zstd_truncated_or_corrupt_is_an_error);
    tcase_add_test(tc_bad, test_logread_many_blocks_in_order);
    suite_add_tcase(s, tc_ok);
    suite_add_tcase(s, tc_bad);
    return s;
}
