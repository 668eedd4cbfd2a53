/*
 * check_bgthread.c -- bgthread.h: a started thread runs and is joined,
 * a disabled start fails cleanly, and the fallbacks of its users give the
 * same results: binfile_save's checksum on the calling thread (same file
 * bytes) and zin reading on the caller (same bytes, plain and zstd).
 * ingest's fallbacks are in check_ingest.c.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "bgthread.h"
#include "binfile.h"
#include "check_common.h"
#include "xmem.h"
#include "zin.h"

static void *
add_one(void *arg)
{
    int *x = arg;

    (*x)++;
    return NULL;
}

START_TEST(test_bgthread_runs_and_joins)
{
    struct bgthread t;
    int x = 41;

    ck_assert_int_eq(bgthread_start(&t, add_one, &x), 0);
    ck_assert_int_eq(t.running, 1);
    bgthread_join(&t);
    ck_assert_int_eq(t.running, 0);
    ck_assert_int_eq(x, 42);
    bgthread_join(&t);                  /* a second join is a no-op */
    bgthread_set_enabled(0);
    ck_assert_int_eq(bgthread_start(&t, add_one, &x), -1);
    ck_assert_int_eq(t.running, 0);
    bgthread_join(&t);
    bgthread_set_enabled(1);
    ck_assert_int_eq(x, 42);
}
END_TEST

static const char magic[8] = { '\x89', 'D', 'R', 'T', 'H', 'R', 'D', '1' };

START_TEST(test_bgthread_binfile_same_bytes_without_thread)
{
    const char *dir = test_tmpdir();
    size_t n = (size_t)3 << 20;         /* above the checksum thread's floor */
    unsigned char *p = xmalloc(n);
    char a[4200], b[4200];
    char *fa, *fb;
    size_t na, nb;
    struct diag d = DIAG_INIT;

    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 2654435761u >> 13);
    snprintf(a, sizeof a, "%s/a.bin", dir);
    snprintf(b, sizeof b, "%s/b.bin", dir);
    ck_assert_int_eq(binfile_save(a, magic, 1, p, n, 0, &d), 0);
    bgthread_set_enabled(0);
    ck_assert_int_eq(binfile_save(b, magic, 1, p, n, 0, &d), 0);
    bgthread_set_enabled(1);
    ck_assert_int_eq(file_read_all(a, &fa, &na, &d), 0);
    ck_assert_int_eq(file_read_all(b, &fb, &nb, &d), 0);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(fa, fb, na) == 0);
    free(fa);
    free(fb);
    free(p);
    test_rmtree(dir);
}
END_TEST

/* The whole stream through zin, read in odd-sized pieces with zin_start
 * naming the next buffer as the readers do. */
static char *
zin_slurp(const char *path, size_t *len)
{
    struct diag d = DIAG_INIT;
    struct zin *z;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = xmalloc(cap);

    ck_assert_msg(zin_open(path, &z, &d) == 0, "%s", d.msg);
    for (;;) {
        size_t want = 777;

        if (n + want > cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ck_assert_int_eq(zin_read(z, buf + n, want, &got, &d), 0);
        if (got == 0)
            break;
        n += got;
        if (n + want <= cap)
            zin_start(z, buf + n, want);
    }
    zin_close(z);
    *len = n;
    return buf;
}

START_TEST(test_bgthread_zin_same_bytes_without_thread)
{
    static const char *const paths[] = {
        SAMPLE("ingest/dt=2022-04-10/exposures.csv"),
        SAMPLE("world/logs/dt=2026-01-17/items.csv.zst"),
    };

    for (size_t k = 0; k < 2; k++) {
        size_t na, nb;
        char *a = zin_slurp(paths[k], &na), *b;

        bgthread_set_enabled(0);
        b = zin_slurp(paths[k], &nb);
        bgthread_set_enabled(1);
        ck_assert_uint_gt(na, 0);
        ck_assert_uint_eq(na, nb);
        ck_assert(memcmp(a, b, na) == 0);
        free(a);
        free(b);
    }
}
END_TEST

Suite *
bgthread_suite(void)
{
    Suite *s = suite_create("bgthread");
    TCase *tc = tcase_create("threads");

    tcase_add_test(tc, test_bgthread_runs_and_joins);
    tcase_add_test(tc, test_bgthread_binfile_same_bytes_without_thread);
    tcase_add_test(tc, test_bgthread_zin_same_bytes_without_thread);
    suite_add_tcase(s, tc);
    return s;
}
