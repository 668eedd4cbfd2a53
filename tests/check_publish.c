/*
 * check_publish.c -- date partitions appear whole: temp directory, the
 * manifest (exact bytes), _SUCCESS, reruns that replace a date, aborts that
 * leave nothing, and input fingerprints.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "binfile.h"
#include "check_common.h"
#include "dates.h"
#include "publish.h"
#include "xmem.h"

static char *
cat(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = xmalloc(n);

    snprintf(s, n, "%s/%s", a, b);
    return s;
}

/* Number of directory entries (besides . and ..). */
static int
count_entries(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (dp == NULL)
        return -1;
    while ((de = readdir(dp)) != NULL)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(dp);
    return n;
}

/* Publish one date with a one-table partition whose row is `row`. */
static void
publish_one(const char *root, int32_t day, const char *row)
{
    struct publish *p;
    struct outtable *t;
    struct outtable_stats st;
    struct diag d = DIAG_INIT;
    char *path;

    ck_assert_int_eq(publish_begin(root, day, &p, &d), 0);
    path = publish_path(p, "t.tsv.zst");
    ck_assert_int_eq(outtable_open(path, "k\tv", 0, &t, &d), 0);
    if (row != NULL)
        ck_assert_int_eq(outtable_row(t, row, strlen(row), &d), 0);
    ck_assert_int_eq(outtable_close(t, &st, &d), 0);
    publish_add_table(p, "t.tsv.zst", &st);
    publish_add_param(p, "L", "200");
    publish_add_param(p, "note", "a \"quoted\"\tvalue");
    publish_add_stat(p, "pairs", row ? "1" : "0");
    ck_assert_int_eq(publish_commit(p, &d), 0);
    free(path);
}

START_TEST(test_publish_partition_and_manifest)
{
    const char *root = test_tmpdir();
    int32_t day = dates_from_civil(2026, 11, 28);
    char *final = cat(root, "dt=2026-11-28"), *mpath, *text;
    char *tpath = cat(final, "t.tsv.zst"), *spath = cat(final, "_SUCCESS");
    struct diag d = DIAG_INIT;
    size_t len, tlen;
    char *tbytes, expect[1024];

    publish_one(root, day, "a\t1");
    ck_assert(path_exists(spath));
    ck_assert_int_eq(count_entries(final), 3);   /* table, manifest, OK */
    ck_assert_int_eq(count_entries(root), 1);    /* no temp left */
    mpath = cat(final, "manifest.json");
    ck_assert_int_eq(file_read_all(mpath, &text, &len, &d), 0);
    ck_assert_int_eq(file_read_all(tpath, &tbytes, &tlen, &d), 0);
    snprintf(expect, sizeof expect,
        "{\n"
        "  \"format\": \"dualrec-manifest\",\n"
        "  \"version\": 1,\n"
        "  \"date\": \"2026-11-28\",\n"
        "  \"tables\": [\n"
        "    {\"name\": \"t.tsv.zst\", \"rows\": 1, \"bytes\": %zu, "
        "\"raw_bytes\": 8, \"checksum64\": \"%016llx\"}\n"
        "  ],\n"
        "  \"params\": {\n"
        "    \"L\": \"200\",\n"
        "    \"note\": \"a \\\"quoted\\\"\\u0009value\"\n"
        "  },\n"
        "  \"stats\": {\n"
        "    \"pairs\": \"1\"\n"
        "  },\n"
        "  \"inputs\": []\n"
        "}\n", tlen,
        (unsigned long long)checksum64(tbytes, tlen, 0));
    ck_assert_str_eq(text, expect);
    free(text);
    free(tbytes);
    free(mpath);
    free(tpath);
    free(spath);
    free(final);
    test_rmtree(root);
}
END_TEST

START_TEST(test_publish_rerun_replaces_and_is_identical)
{
    const char *root = test_tmpdir();
    int32_t day = dates_from_civil(2026, 11, 28);
    char *final = cat(root, "dt=2026-11-28");
    char *mpath = cat(final, "manifest.json"), *t1, *t2, *t3;
    struct diag d = DIAG_INIT;
    size_t n1, n2, n3;

    publish_one(root, day, "a\t1");
    ck_assert_int_eq(file_read_all(mpath, &t1, &n1, &d), 0);
    publish_one(root, day, "a\t1");             /* same inputs */
    ck_assert_int_eq(file_read_all(mpath, &t2, &n2, &d), 0);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(t1, t2, n1) == 0);
    publish_one(root, day, "b\t2");             /* replaced */
    ck_assert_int_eq(file_read_all(mpath, &t3, &n3, &d), 0);
    ck_assert(strcmp(t1, t3) != 0);
    ck_assert_int_eq(count_entries(root), 1);
    ck_assert_int_eq(count_entries(final), 3);
    free(t1);
    free(t2);
    free(t3);
    free(mpath);
    free(final);
    test_rmtree(root);
}
END_TEST

START_TEST(test_publish_abort_leaves_nothing)
{
    const char *root = test_tmpdir();
    struct publish *p;
    struct diag d = DIAG_INIT;
    char *path;

    ck_assert_int_eq(publish_begin(root, 20000, &p, &d), 0);
    path = publish_path(p, "x");
    ck_assert_int_eq(atomicfile_write(path, "x", 1, &d), 0);
    free(path);
    publish_abort(p);
    ck_assert_int_eq(count_entries(root), 0);
    publish_abort(NULL);
    test_rmtree(root);
}
END_TEST

START_TEST(test_publish_records_inputs)
{
    const char *root = test_tmpdir();
    char *model = cat(root, "model.bin"), *out = cat(root, "out");
    char *mpath = cat(out, "dt=2026-11-28/manifest.json"), *text, want[256];
    static const char magic[8] = { '\x89', 'D', 'R', 'T', 'O', 'W', 'E', 'R' };
    struct publish *p;
    struct diag d = DIAG_INIT;
    uint64_t sum;
    size_t len;

    ck_assert_int_eq(binfile_save(model, magic, 3, "payload", 7, 0, &d), 0);
    ck_assert_int_eq(binfile_checksum(model, &sum, &d), 0);
    ck_assert_int_eq(publish_begin(out, dates_from_civil(2026, 11, 28), &p,
                                   &d), 0);
    ck_assert_int_eq(publish_add_input(p, "tower", model, &d), 0);
    ck_assert_int_eq(publish_add_input(p, "rank", "/nonexistent/rank.bin",
                                       &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    ck_assert_int_eq(publish_commit(p, &d), 0);
    ck_assert_int_eq(file_read_all(mpath, &text, &len, &d), 0);
    snprintf(want, sizeof want, "{\"kind\": \"tower\", \"path\": \"%s\", "
             "\"format\": \"TOWER\", \"version\": 3, \"checksum64\": "
             "\"%016llx\"}", model, (unsigned long long)sum);
    ck_assert_ptr_nonnull(strstr(text, want));
    free(text);
    free(mpath);
    free(model);
    free(out);
    test_rmtree(root);
}
END_TEST

START_TEST(test_publish_unwritable_root)
{
    const char *root = test_tmpdir();
    char *file = cat(root, "file"), *bad = cat(file, "out");
    struct publish *p;
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(atomicfile_write(file, "x", 1, &d), 0);
    ck_assert_int_eq(publish_begin(bad, 20000, &p, &d), -1);
    ck_assert_int_eq(d.rc, RC_CANTCREAT);
    ck_assert_ptr_null(p);
    free(file);
    free(bad);
    test_rmtree(root);
}
END_TEST

START_TEST(test_publish_manifest_readers)
{
    const char *js = "{\"params\": {\"L\": \"200\", \"method\": "
                     "\"auction\"},\n \"stats\": {\"targets\": \"17\"}}";
    char buf[64];

    ck_assert_int_eq(publish_manifest_get(js, "params", "L", buf, sizeof buf),
                     0);
    ck_assert_str_eq(buf, "200");
    ck_assert_int_eq(publish_manifest_get(js, "stats", "targets", buf,
                                          sizeof buf), 0);
    ck_assert_str_eq(buf, "17");
    /* a key of another section is not found */
    ck_assert_int_eq(publish_manifest_get(js, "params", "targets", buf,
                                          sizeof buf), -1);
    ck_assert_int_eq(publish_manifest_get(js, "inputs", "L", buf, sizeof buf),
                     -1);
    publish_manifest_section(js, "params", buf, sizeof buf);
    ck_assert_str_eq(buf, "L=200, method=auction");
    publish_manifest_section(js, "nothing", buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    {
        const char *dir = test_tmpdir();
        char *path = cat(dir, "manifest.json"), *got = NULL;
        struct diag d = DIAG_INIT;

        ck_assert_int_eq(atomicfile_write(path, js, strlen(js), &d), 0);
        ck_assert_int_eq(publish_manifest_load(dir, &got, &d), 0);
        ck_assert_str_eq(got, js);
        free(got);
        free(path);
        path = cat(dir, "none");
        ck_assert_int_eq(publish_manifest_load(path, &got, &d), -1);
        ck_assert_int_eq(d.rc, RC_NOINPUT);
        free(path);
        test_rmtree(dir);
    }
}
END_TEST

Suite *
publish_suite(void)
{
    Suite *s = suite_create("publish");
    TCase *tc = tcase_create("partition");

    tcase_add_test(tc, test_publish_partition_and_manifest);
    tcase_add_test(tc, test_publish_rerun_replaces_and_is_identical);
    tcase_add_test(tc, test_publish_abort_leaves_nothing);
    tcase_add_test(tc, test_publish_records_inputs);
    tcase_add_test(tc, test_publish_unwritable_root);
    tcase_add_test(tc, test_publish_manifest_readers);
    suite_add_tcase(s, tc);
    return s;
}
