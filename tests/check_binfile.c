/*
 * check_binfile.c -- the binfile container with payloads of several zstd
 * jobs: identical file bytes for 1, 2 and 4 threads (zstd workers), the
 * header checksum equal to checksum64 of the payload, round trips of large
 * and empty payloads, truncation, a flipped byte and a bad checksum, and a
 * write that fails half-way leaving no file behind.  (Small payloads, bad
 * magic and version: check_foundation.c.)
 */
#include <dirent.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <zstd.h>

#include "atomicfile.h"
#include "binfile.h"
#include "byteio.h"
#include "check_common.h"
#include "rng.h"
#include "xmem.h"

static const char BIG_MAGIC[8] = { '\x89', 'D', 'R', 'T', 'E', 'S', 'T',
                                   'B' };

/*
 * A compressible payload of 2.5 zstd jobs: little-endian words of skewed
 * size, so that zstd finds matches but not one long run.
 */
static unsigned char *
make_payload(size_t *n)
{
    size_t len = BINFILE_ZSTD_JOB_SIZE * 5 / 2 + 12345;
    unsigned char *p = xmalloc(len);
    struct rng r;

    rng_seed(&r, 7, 1, 0);
    for (size_t i = 0; i + 8 <= len; i += 8)
        put_le64(p + i, rng_below(&r, 1u << rng_below(&r, 24)));
    for (size_t i = len - len % 8; i < len; i++)
        p[i] = (unsigned char)i;
    *n = len;
    return p;
}

/* Load path expecting RC_DATA with a message containing `what`. */
static void
expect_corrupt(const char *path, const char *what)
{
    struct diag d = DIAG_INIT;
    void *p = NULL;
    size_t n;

    ck_assert_int_eq(binfile_load(path, BIG_MAGIC, 1, &p, &n, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(d.msg, path) == d.msg && strstr(d.msg, what),
                  "message '%s' (expected '%s')", d.msg, what);
}

START_TEST(test_binfile_same_bytes_for_any_worker_count)
{
    const char *dir = test_tmpdir();
    const int threads[] = { 1, 2, 4 };
    int saved = omp_get_max_threads();
    unsigned char *payload, *file[3];
    char path[4200];
    struct diag d = DIAG_INIT;
    size_t n, len[3];
    uint64_t sum;

    payload = make_payload(&n);
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/t%d.bin", dir, threads[k]);
        omp_set_num_threads(threads[k]);
        ck_assert_int_eq(binfile_save(path, BIG_MAGIC, 1, payload, n, 3,
                                      &d), 0);
        file[k] = test_read_file(path, &len[k]);
    }
    omp_set_num_threads(saved);
    for (int k = 1; k < 3; k++) {
        ck_assert_uint_eq(len[k], len[0]);
        ck_assert(memcmp(file[k], file[0], len[0]) == 0);
    }
    /* The header: sizes, and the checksum of the payload as before. */
    ck_assert_uint_eq(get_le64(file[0] + 24), n);
    ck_assert_uint_eq(get_le64(file[0] + 32), checksum64(payload, n, 0));
    ck_assert_uint_eq(get_le64(file[0] + 40), len[0] - BINFILE_HEADER_SIZE);
    ck_assert_uint_lt(len[0], n / 2);
    ck_assert_int_eq(binfile_checksum(path, &sum, &d), 0);
    ck_assert_uint_eq(sum, checksum64(payload, n, 0));
    for (int k = 0; k < 3; k++)
        free(file[k]);
    free(payload);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_binfile_large_round_trip_and_corruption)
{
    const char *dir = test_tmpdir();
    char path[4200], bad[4200];
    struct diag d = DIAG_INIT;
    unsigned char *payload, *file;
    void *back;
    size_t n, len, n_back;

    payload = make_payload(&n);
    snprintf(path, sizeof path, "%s/big.bin", dir);
    snprintf(bad, sizeof bad, "%s/bad.bin", dir);
    ck_assert_int_eq(binfile_save(path, BIG_MAGIC, 1, payload, n, 0, &d), 0);
    ck_assert_int_eq(binfile_load(path, BIG_MAGIC, 1, &back, &n_back, &d),
                     0);
    ck_assert_uint_eq(n_back, n);
    ck_assert(memcmp(back, payload, n) == 0);
    free(back);

    file = test_read_file(path, &len);
    test_write_file(bad, file, 30);
    expect_corrupt(bad, "truncated header");
    test_write_file(bad, file, BINFILE_HEADER_SIZE + (len - BINFILE_HEADER_SIZE)
               / 2);
    expect_corrupt(bad, "truncated payload");
    test_write_file(bad, file, len - 1);
    expect_corrupt(bad, "truncated payload");

    /* A flipped byte in the last job's data, then a wrong checksum. */
    file[len - len / 8] ^= 0x10;
    test_write_file(bad, file, len);
    expect_corrupt(bad, "corrupt payload");
    file[len - len / 8] ^= 0x10;
    file[32] ^= 1;
    test_write_file(bad, file, len);
    expect_corrupt(bad, "payload checksum mismatch");
    file[32] ^= 1;

    /* Damaged sizes are errors, never huge allocations: a payload length
     * the frame does not hold, a compressed length past the file's end,
     * bytes after the frame. */
    put_le64(file + 24, get_le64(file + 24) + ((uint64_t)1 << 36));
    test_write_file(bad, file, len);
    expect_corrupt(bad, "but the zstd frame holds");
    put_le64(file + 24, get_le64(file + 24) - ((uint64_t)1 << 36));
    put_le64(file + 40, get_le64(file + 40) + ((uint64_t)1 << 36));
    test_write_file(bad, file, len);
    expect_corrupt(bad, "truncated payload");
    put_le64(file + 40, get_le64(file + 40) - ((uint64_t)1 << 36));
    file = xrealloc(file, len + 1);
    file[len] = 0;
    test_write_file(bad, file, len + 1);
    expect_corrupt(bad, "bytes after the payload");
    free(file);
    free(payload);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_binfile_empty_payload)
{
    const char *dir = test_tmpdir();
    char path[4200];
    struct diag d = DIAG_INIT;
    void *back;
    size_t n_back = 1;

    snprintf(path, sizeof path, "%s/empty.bin", dir);
    ck_assert_int_eq(binfile_save(path, BIG_MAGIC, 1, NULL, 0, 0, &d), 0);
    ck_assert_int_eq(binfile_load(path, BIG_MAGIC, 1, &back, &n_back, &d),
                     0);
    ck_assert_uint_eq(n_back, 0);
    free(back);
    test_rmtree(dir);
}
END_TEST

/*
 * 2026-12-04: a frame that does not state its content size let the
 * header's payload length (anything up to 2^40) decide the allocation:
 * fuzz_iddict asked for 4 GB and died out of memory instead of RC_DATA.
 * Such a frame (binfile_save always states the size) is corrupt.
 */
START_TEST(test_binfile_frame_without_content_size)
{
    const char *dir = test_tmpdir();
    char path[4200];
    unsigned char f[BINFILE_HEADER_SIZE + 256];
    const char payload[] = "five ids";
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t clen;
    FILE *fp;

    ck_assert_ptr_nonnull(cc);
    ck_assert(!ZSTD_isError(ZSTD_CCtx_setParameter(cc,
                                                   ZSTD_c_contentSizeFlag,
                                                   0)));
    clen = ZSTD_compress2(cc, f + BINFILE_HEADER_SIZE, 256, payload,
                          sizeof payload);
    ck_assert(!ZSTD_isError(clen));
    ZSTD_freeCCtx(cc);
    memcpy(f, BIG_MAGIC, 8);
    put_le32(f + 8, 1);
    put_le32(f + 12, 0);
    put_le32(f + 16, 0x01020304);
    put_le32(f + 20, BINFILE_HEADER_SIZE);
    put_le64(f + 24, (uint64_t)4 << 30);        /* a damaged length */
    put_le64(f + 32, checksum64(payload, sizeof payload, 0));
    put_le64(f + 40, clen);
    snprintf(path, sizeof path, "%s/nosize.bin", dir);
    fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(f, 1, BINFILE_HEADER_SIZE + clen, fp),
                      BINFILE_HEADER_SIZE + clen);
    fclose(fp);
    expect_corrupt(path, ": offset 48: zstd frame does not state its "
                   "content size");
    test_rmtree(dir);
}
END_TEST

/* Names in dir other than "." and "..". */
static int
count_entries(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(dp);
    while ((e = readdir(dp)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(dp);
    return n;
}

/*
 * A write that fails part-way through the frame (the file size limit,
 * so write() fails with EFBIG): RC_IO naming the temp file, and neither
 * the file nor the temp file is left.
 */
START_TEST(test_binfile_failed_write_leaves_nothing)
{
    const char *dir = test_tmpdir();
    char path[4200], msg[4400];
    struct diag d = DIAG_INIT;
    struct rlimit old, lim;
    void (*old_handler)(int);
    unsigned char *payload;
    size_t n;
    int rc;

    payload = make_payload(&n);
    snprintf(path, sizeof path, "%s/big.bin", dir);
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 1 << 20;
    old_handler = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    rc = binfile_save(path, BIG_MAGIC, 1, payload, n, 3, &d);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(d.rc, RC_IO);
    snprintf(msg, sizeof msg, "%s.tmp.%ld: write failed", path,
             (long)getpid());
    ck_assert_msg(strncmp(d.msg, msg, strlen(msg)) == 0, "message '%s'",
                  d.msg);
    ck_assert_int_eq(count_entries(dir), 0);

    snprintf(path, sizeof path, "%s/no/such/dir/big.bin", dir);
    ck_assert_int_eq(binfile_save(path, BIG_MAGIC, 1, payload, n, 3, &d),
                     -1);
    ck_assert_int_eq(d.rc, RC_CANTCREAT);
    ck_assert_int_eq(count_entries(dir), 0);
    free(payload);
    test_rmtree(dir);
}
END_TEST

static const char test_magic[8] = { '\x89', 'D', 'R', 'T', 'E', 'S', 'T',
                                    '1' };

START_TEST(test_binfile_verify_good_missing_corrupt_truncated)
{
    const char *dir = test_tmpdir();
    char path[4200], bad[4200];
    struct diag d = DIAG_INIT;
    char payload[1000];
    char *buf;
    size_t len;

    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (char)(i * 7);
    snprintf(path, sizeof path, "%s/x.bin", dir);
    ck_assert_int_eq(binfile_save(path, test_magic, 3, payload,
                                  sizeof payload, 0, &d), 0);
    ck_assert_int_eq(binfile_verify(path, &d), 0);

    snprintf(bad, sizeof bad, "%s/missing.bin", dir);
    ck_assert_int_eq(binfile_verify(bad, &d), -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);

    ck_assert_int_eq(file_read_all(path, &buf, &len, &d), 0);
    snprintf(bad, sizeof bad, "%s/trunc.bin", dir);
    ck_assert_int_eq(atomicfile_write(bad, buf, len - 5, &d), 0);
    ck_assert_int_eq(binfile_verify(bad, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);

    buf[len - 3] ^= 0x40;
    snprintf(bad, sizeof bad, "%s/flip.bin", dir);
    ck_assert_int_eq(atomicfile_write(bad, buf, len, &d), 0);
    ck_assert_int_eq(binfile_verify(bad, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);

    snprintf(bad, sizeof bad, "%s/text.bin", dir);
    ck_assert_int_eq(atomicfile_write(bad, "hello world, not binary", 23,
                                      &d), 0);
    ck_assert_int_eq(binfile_verify(bad, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_ptr_nonnull(strstr(d.msg, "offset 0: not a dualrec file"));
    free(buf);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_binfile_read_header_fields)
{
    const char *dir = test_tmpdir();
    char path[4200];
    struct diag d = DIAG_INIT;
    struct binfile_header h;
    char payload[100] = { 1, 2, 3 };
    uint64_t sum;

    snprintf(path, sizeof path, "%s/x.bin", dir);
    ck_assert_int_eq(binfile_save(path, test_magic, 7, payload,
                                  sizeof payload, 0, &d), 0);
    ck_assert_int_eq(binfile_read_header(path, &h, &d), 0);
    ck_assert(memcmp(h.magic, test_magic, sizeof h.magic) == 0);
    ck_assert_uint_eq(h.version, 7);
    ck_assert_uint_eq(h.flags, 0);
    ck_assert_uint_eq(h.byte_order, 0x01020304);
    ck_assert_uint_eq(h.header_size, BINFILE_HEADER_SIZE);
    ck_assert_uint_eq(h.payload_len, sizeof payload);
    ck_assert_int_eq(binfile_checksum(path, &sum, &d), 0);
    ck_assert_uint_eq(sum, h.checksum);
    snprintf(path, sizeof path, "%s/short.bin", dir);
    ck_assert_int_eq(atomicfile_write(path, "\x89" "DR", 3, &d), 0);
    ck_assert_int_eq(binfile_read_header(path, &h, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_ptr_nonnull(strstr(d.msg, "offset 3: truncated header "
                                        "(3 of 48 bytes)"));
    test_rmtree(dir);
}
END_TEST

Suite *
binfile_suite(void)
{
    Suite *s = suite_create("binfile");
    TCase *tc = tcase_create("large");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_binfile_same_bytes_for_any_worker_count);
    tcase_add_test(tc, test_binfile_large_round_trip_and_corruption);
    tcase_add_test(tc, test_binfile_empty_payload);
    tcase_add_test(tc, test_binfile_failed_write_leaves_nothing);
    tcase_add_test(tc, test_binfile_frame_without_content_size);
    tcase_add_test(tc, test_binfile_verify_good_missing_corrupt_truncated);
    tcase_add_test(tc, test_binfile_read_header_fields);
    suite_add_tcase(s, tc);
    return s;
}
