/*
 * check_foundation.c -- the support modules: dates, byteio, binfile,
 * atomicfile, rng, xmem, warmbuf.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "binfile.h"
#include "byteio.h"
#include "check_common.h"
#include "dates.h"
#include "rng.h"
#include "warmbuf.h"
#include "xmem.h"

static const char TEST_MAGIC[8] = { '\x89', 'D', 'R', 'T', 'E', 'S', 'T',
                                    '1' };

START_TEST(test_dates_civil_round_trip)
{
    for (int32_t n = -800000; n < 800000; n += 37) {
        int y, m, d;

        dates_to_civil(n, &y, &m, &d);
        ck_assert_int_eq(dates_from_civil(y, m, d), n);
    }
    ck_assert_int_eq(dates_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(dates_from_civil(2022, 4, 8), 19090);
    ck_assert_int_eq(dates_weekday(dates_from_civil(2026, 11, 28)), 5);
}
END_TEST

START_TEST(test_dates_parse_time_forms)
{
    int64_t t;

    ck_assert_int_eq(dates_parse_time("1650000000", 0, &t), 0);
    ck_assert_int_eq(t, 1650000000);
    ck_assert_int_eq(dates_parse_time("1650000000123", 0, &t), 0);
    ck_assert_int_eq(t, 1650000000);
    ck_assert_int_eq(dates_parse_time("1650000000.75", 0, &t), 0);
    ck_assert_int_eq(t, 1650000000);
    ck_assert_int_eq(dates_parse_time("2022-04-15T05:20:00Z", 0, &t), 0);
    ck_assert_int_eq(t, 1650000000);                 /* 05:20 UTC */
    ck_assert_int_eq(dates_parse_time("2022-04-15 05:20:00.5", 0, &t), 0);
    ck_assert_int_eq(t, 1650000000);
    ck_assert_int_eq(dates_parse_time("2022-04-15", 3600, &t), 0);
    ck_assert_int_eq(t, (int64_t)dates_from_civil(2022, 4, 15) * 86400
                     - 3600);
    ck_assert_int_eq(dates_parse_time("2022-02-30", 0, &t), -1);
    ck_assert_int_eq(dates_parse_time("12ab", 0, &t), -1);
    ck_assert_int_eq(dates_parse_time("", 0, &t), -1);
    ck_assert_int_eq(dates_parse_time("2022-04-15T25:00", 0, &t), -1);
}
END_TEST

START_TEST(test_dates_zone_offsets_agree)
{
    int64_t a, b, c;
    int32_t off;

    ck_assert_int_eq(dates_parse_time("2022-04-15T05:20:00Z", 0, &a), 0);
    ck_assert_int_eq(dates_parse_time("2022-04-15T13:20:00+08:00", 0, &b),
                     0);
    ck_assert_int_eq(dates_parse_time("2022-04-15T00:20:00-0500", 0, &c),
                     0);
    ck_assert_int_eq(a, b);
    ck_assert_int_eq(a, c);
    ck_assert_int_eq(a, (int64_t)dates_from_civil(2022, 4, 15) * 86400
                     + 5 * 3600 + 20 * 60);
    ck_assert_int_eq(dates_parse_zone("+08:00", &off), 0);
    ck_assert_int_eq(off, 28800);
    ck_assert_int_eq(dates_parse_zone("UTC", &off), 0);
    ck_assert_int_eq(off, 0);
    ck_assert_int_eq(dates_day_of(a, 0), dates_from_civil(2022, 4, 15));
    ck_assert_int_eq(dates_day_of(a - 6 * 3600, 0),
                     dates_from_civil(2022, 4, 14));
    ck_assert_int_eq(dates_hour_of(a, 28800), 13);
}
END_TEST

START_TEST(test_byteio_round_trip_and_short_read)
{
    struct bbuf b = BBUF_INIT;
    struct bcur c;
    float fv[3] = { 1.5f, -2.0f, 3.25f }, got[3];
    char *s;

    bbuf_put_le32(&b, 0xdeadbeef);
    bbuf_put_le64(&b, 0x0123456789abcdefULL);
    bbuf_put_f32v(&b, fv, 3);
    bbuf_put_str(&b, "user-7");
    ck_assert_int_eq(b.p[0], 0xef);         /* little-endian on disk */
    bcur_init(&c, b.p, b.len);
    ck_assert_uint_eq(bcur_get_le32(&c), 0xdeadbeef);
    ck_assert(bcur_get_le64(&c) == 0x0123456789abcdefULL);
    ck_assert_int_eq(bcur_get_f32v(&c, got, 3), 0);
    ck_assert(memcmp(got, fv, sizeof fv) == 0);
    s = bcur_get_str(&c);
    ck_assert_str_eq(s, "user-7");
    free(s);
    ck_assert(bcur_ok(&c));
    ck_assert_uint_eq(bcur_get_le32(&c), 0);
    ck_assert(!bcur_ok(&c));
    bbuf_release(&b);
}
END_TEST

START_TEST(test_checksum64_is_stable_and_sensitive)
{
    unsigned char buf[100];

    for (int i = 0; i < 100; i++)
        buf[i] = (unsigned char)i;
    /* Golden value: the file format depends on it never changing. */
    ck_assert(checksum64(buf, 100, 0) == checksum64(buf, 100, 0));
    for (size_t n = 0; n < 100; n++) {
        uint64_t h = checksum64(buf, n, 0);

        buf[n / 2] ^= 1;
        if (n > 0)
            ck_assert(checksum64(buf, n, 0) != h);
        buf[n / 2] ^= 1;
    }
}
END_TEST

static void
write_sample(const char *path)
{
    struct diag d = DIAG_INIT;
    char payload[1000];

    for (int i = 0; i < 1000; i++)
        payload[i] = (char)(i * 7);
    ck_assert_int_eq(binfile_save(path, TEST_MAGIC, 3, payload, 1000, 0,
                                  &d), 0);
}

static void
flip_byte(const char *path, long off)
{
    FILE *fp = fopen(path, "r+b");
    int ch;

    ck_assert_ptr_nonnull(fp);
    fseek(fp, off, SEEK_SET);
    ch = fgetc(fp);
    fseek(fp, off, SEEK_SET);
    fputc(ch ^ 0x40, fp);
    fclose(fp);
}

START_TEST(test_binfile_round_trip_and_corruption)
{
    const char *dir = test_tmpdir();
    char path[4200], msg[4400];
    struct diag d = DIAG_INIT;
    void *p;
    size_t n;

    snprintf(path, sizeof path, "%s/x.bin", dir);
    write_sample(path);
    ck_assert_int_eq(binfile_load(path, TEST_MAGIC, 3, &p, &n, &d), 0);
    ck_assert_uint_eq(n, 1000);
    ck_assert_int_eq(((char *)p)[999], (char)(999 * 7));
    free(p);

    ck_assert_int_eq(binfile_load(path, TEST_MAGIC, 4, &p, &n, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    snprintf(msg, sizeof msg,
             "%s: offset 8: unsupported version 3 (expected 4)", path);
    ck_assert_str_eq(d.msg, msg);

    flip_byte(path, 1);
    ck_assert_int_eq(binfile_load(path, TEST_MAGIC, 3, &p, &n, &d), -1);
    snprintf(msg, sizeof msg, "%s: offset 0: bad magic (not a 'TEST1' file)",
             path);
    ck_assert_str_eq(d.msg, msg);

    write_sample(path);
    flip_byte(path, BINFILE_HEADER_SIZE + 20);
    ck_assert_int_eq(binfile_load(path, TEST_MAGIC, 3, &p, &n, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);

    write_sample(path);
    ck_assert_int_eq(truncate(path, 60), 0);
    ck_assert_int_eq(binfile_load(path, TEST_MAGIC, 3, &p, &n, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_ptr_nonnull(strstr(d.msg, "truncated payload"));

    ck_assert_int_eq(truncate(path, 20), 0);
    ck_assert_int_eq(binfile_load(path, TEST_MAGIC, 3, &p, &n, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "truncated header"));

    snprintf(path, sizeof path, "%s/missing.bin", dir);
    ck_assert_int_eq(binfile_load(path, TEST_MAGIC, 3, &p, &n, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_atomicfile_abort_leaves_nothing)
{
    const char *dir = test_tmpdir();
    char path[4400], sub[4200];
    struct atomicfile af;
    struct diag d = DIAG_INIT;

    snprintf(sub, sizeof sub, "%s/a/b/c", dir);
    ck_assert_int_eq(mkdir_p(sub, &d), 0);
    snprintf(path, sizeof path, "%s/out.txt", sub);
    ck_assert_int_eq(atomicfile_open(&af, path, &d), 0);
    fputs("partial", af.fp);
    ck_assert(!path_exists(path));
    atomicfile_abort(&af);
    ck_assert(!path_exists(path));
    ck_assert_int_eq(atomicfile_write(path, "whole", 5, &d), 0);
    ck_assert(path_exists(path));
    test_rmtree(dir);
}
END_TEST

/*
 * 2026-12-04: atomicfile_commit checked fflush but not the stream's error
 * flag, so a buffered write that had failed earlier (its bytes dropped)
 * went unseen when the final flush succeeded: dualrec-eval committed a
 * truncated report and exited 0 (tests/cli/dualrec-eval_faults.sh).  A
 * stream whose writes fail (here: one reading the temp file) must fail
 * the commit with "write failed" and leave nothing.
 */
START_TEST(test_atomicfile_commit_sees_earlier_write_error)
{
    const char *dir = test_tmpdir();
    char path[4400], tmp[4400];
    struct atomicfile af;
    struct diag d = DIAG_INIT;

    snprintf(path, sizeof path, "%s/report.json", dir);
    ck_assert_int_eq(atomicfile_open(&af, path, &d), 0);
    snprintf(tmp, sizeof tmp, "%s", af.tmp);
    fclose(af.fp);
    af.fp = fopen(tmp, "r");
    ck_assert_ptr_nonnull(af.fp);
    ck_assert_int_eq(fputs("lost", af.fp), EOF);
    ck_assert(ferror(af.fp));
    ck_assert_int_eq(atomicfile_commit(&af, &d), -1);
    ck_assert_int_eq(d.rc, RC_IO);
    ck_assert_ptr_nonnull(strstr(d.msg, ": write failed"));
    ck_assert(!path_exists(path));
    ck_assert(!path_exists(tmp));
    test_rmtree(dir);
}
END_TEST

/* xgrow and xgrow_big keep the contents while growing past 2 MiB, where
 * xgrow_big switches to huge-page buffers. */
START_TEST(test_xgrow_big_keeps_contents)
{
    uint32_t *a = NULL, *b = NULL;
    size_t cap_a = 0, cap_b = 0, i, n = 3u << 20;      /* 12 MB of u32 */

    for (i = 0; i < n; i++) {
        a = xgrow(a, &cap_a, i + 1, sizeof *a);
        b = xgrow_big(b, &cap_b, i + 1, sizeof *b);
        a[i] = b[i] = (uint32_t)(i * 2654435761u);
    }
    ck_assert_uint_ge(cap_b, n);
    ck_assert(memcmp(a, b, n * sizeof *a) == 0);
    free(a);
    free(b);
}
END_TEST

/* A warmbuf faults in what is wanted, in idle time (this thread sleeps),
 * and hands over a buffer of the size asked for, whether that is under,
 * at or over what was wanted. */
START_TEST(test_warmbuf_warms_and_hands_over)
{
    const size_t mb = (size_t)1 << 20;
    struct warmbuf *w;
    unsigned char *p;
    int waited;

    p = warmbuf_take(warmbuf_new(), 1000);  /* nothing wanted: allocated */
    memset(p, 1, 1000);
    free(p);
    warmbuf_free(NULL);
    w = warmbuf_new();
    warmbuf_want(w, 3 * mb);
    warmbuf_free(w);                        /* stopped, nothing leaks */

    w = warmbuf_new();
    for (size_t k = 1; k <= 6; k++)         /* grows past its capacity */
        warmbuf_want(w, k * 4 * mb);
    warmbuf_want(w, 5 * mb);                /* smaller: ignored */
    for (waited = 0; warmbuf_warmed(w) < 24 * mb && waited < 10000; waited++)
        usleep(1000);
    ck_assert_uint_eq(warmbuf_warmed(w), 24 * mb);
    p = warmbuf_take(w, 20 * mb);
    memset(p, 2, 20 * mb);
    ck_assert_uint_eq(p[20 * mb - 1], 2);
    free(p);

    w = warmbuf_new();
    warmbuf_want(w, 2 * mb);
    p = warmbuf_take(w, 40 * mb);           /* more than wanted */
    memset(p, 3, 40 * mb);
    ck_assert_uint_eq(p[40 * mb - 1], 3);
    free(p);
}
END_TEST

START_TEST(test_rng_streams_are_reproducible)
{
    struct rng a, b;
    double sum = 0;

    rng_seed(&a, 42, 1, 7);
    rng_seed(&b, 42, 1, 7);
    for (int i = 0; i < 1000; i++)
        ck_assert(rng_next(&a) == rng_next(&b));
    rng_seed(&b, 42, 1, 8);
    ck_assert(rng_next(&a) != rng_next(&b));
    for (int i = 0; i < 100000; i++)
        sum += rng_poisson(&a, 3.0);
    ck_assert_double_eq_tol(sum / 100000, 3.0, 0.05);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_lt(rng_below(&a, 13), 13);
}
END_TEST

Suite *
foundation_suite(void)
{
    Suite *s = suite_create("foundation");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_dates_civil_round_trip);
    tcase_add_test(tc, test_dates_parse_time_forms);
    tcase_add_test(tc, test_dates_zone_offsets_agree);
    tcase_add_test(tc, test_byteio_round_trip_and_short_read);
    tcase_add_test(tc, test_checksum64_is_stable_and_sensitive);
    tcase_add_test(tc, test_binfile_round_trip_and_corruption);
    tcase_add_test(tc, test_atomicfile_abort_leaves_nothing);
    tcase_add_test(tc, test_atomicfile_commit_sees_earlier_write_error);
    tcase_add_test(tc, test_rng_streams_are_reproducible);
    tcase_add_test(tc, test_xgrow_big_keeps_contents);
    tcase_add_test(tc, test_warmbuf_warms_and_hands_over);
    suite_add_tcase(s, tc);
    return s;
}
