/*
 * check_iddict.c -- the id dictionary: add/find/name, growth through many
 * rehashes, save/load round trip and corrupt files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binfile.h"
#include "byteio.h"
#include "check_common.h"
#include "iddict.h"
#include "xmem.h"

static const char MAGIC[8] = { '\x89', 'D', 'R', 'I', 'D', 'I', 'C', 'T' };

static void
id_of(char *buf, size_t cap, uint32_t k)
{
    snprintf(buf, cap, "user-%u", k * 7919u);
}

START_TEST(test_iddict_add_find_name)
{
    struct iddict *dict = iddict_new();

    ck_assert_uint_eq(iddict_count(dict), 0);
    ck_assert_uint_eq(iddict_find(dict, "a", 1), IDDICT_NONE);
    ck_assert_uint_eq(iddict_add(dict, "alice", 5), 0);
    ck_assert_uint_eq(iddict_add(dict, "bob", 3), 1);
    ck_assert_uint_eq(iddict_add(dict, "alice", 5), 0);
    /* Not NUL-terminated input: only n bytes count. */
    ck_assert_uint_eq(iddict_add(dict, "bobby", 3), 1);
    ck_assert_uint_eq(iddict_add(dict, "bobby", 5), 2);
    ck_assert_uint_eq(iddict_add(dict, "", 0), 3);
    ck_assert_uint_eq(iddict_count(dict), 4);
    ck_assert_uint_eq(iddict_find(dict, "bob", 3), 1);
    ck_assert_uint_eq(iddict_find(dict, "bo", 2), IDDICT_NONE);
    ck_assert_uint_eq(iddict_find(dict, "", 0), 3);
    ck_assert_str_eq(iddict_name(dict, 0), "alice");
    ck_assert_str_eq(iddict_name(dict, 1), "bob");
    ck_assert_str_eq(iddict_name(dict, 2), "bobby");
    ck_assert_str_eq(iddict_name(dict, 3), "");
    iddict_free(dict);
    iddict_free(NULL);
}
END_TEST

START_TEST(test_iddict_growth_keeps_indices)
{
    struct iddict *dict = iddict_new();
    const uint32_t n = 200000;          /* many doublings of the table */
    char buf[64];

    for (uint32_t k = 0; k < n; k++) {
        id_of(buf, sizeof buf, k);
        ck_assert_uint_eq(iddict_add(dict, buf, strlen(buf)), k);
    }
    ck_assert_uint_eq(iddict_count(dict), n);
    for (uint32_t k = 0; k < n; k++) {
        id_of(buf, sizeof buf, k);
        if (iddict_find(dict, buf, strlen(buf)) != k)
            ck_abort_msg("find of id %u failed", k);
        if (strcmp(iddict_name(dict, k), buf) != 0)
            ck_abort_msg("name of id %u is '%s'", k, iddict_name(dict, k));
    }
    ck_assert_uint_eq(iddict_find(dict, "user-1", 6), IDDICT_NONE);
    /* Re-adding appends nothing. */
    for (uint32_t k = 0; k < n; k += 97) {
        id_of(buf, sizeof buf, k);
        ck_assert_uint_eq(iddict_add(dict, buf, strlen(buf)), k);
    }
    ck_assert_uint_eq(iddict_count(dict), n);
    iddict_free(dict);
}
END_TEST

/*
 * Against a brute-force reference: ids that share their first 8 bytes
 * (the slot's inline word), differ only in length (around 8 and around
 * the tag's 255 saturation), hold NUL bytes, or differ only past byte 8.
 */
START_TEST(test_iddict_matches_linear_reference)
{
    enum { N_IDS = 1500, MAXLEN = 300 };
    static char ids[N_IDS][MAXLEN];
    size_t lens[N_IDS];
    struct iddict *dict = iddict_new();
    uint32_t n_ref = 0, *ref_of = xmalloc(N_IDS * sizeof *ref_of);
    uint64_t x = 12345;

    for (int k = 0; k < N_IDS; k++) {
        size_t len;

        x = x * 6364136223846793005ull + 1442695040888963407ull;
        switch ((x >> 33) % 4) {
        case 0: len = (x >> 40) % 17; break;            /* 0..16 */
        case 1: len = 250 + (x >> 40) % 10; break;      /* 250..259 */
        case 2: len = 8 + (x >> 40) % 3; break;         /* 8..10 */
        default: len = (x >> 40) % MAXLEN; break;
        }
        memset(ids[k], 'p', MAXLEN);                    /* shared prefix */
        if (len > 0)
            ids[k][(x >> 20) % len] = (char)('a' + (x >> 50) % 3);
        if (len > 3 && (x >> 60) == 0)
            ids[k][1] = '\0';
        lens[k] = len;
    }
    for (int k = 0; k < N_IDS; k++) {
        uint32_t want = IDDICT_NONE, got;

        for (int j = 0; j < k && want == IDDICT_NONE; j++)
            if (lens[j] == lens[k] && memcmp(ids[j], ids[k], lens[k]) == 0)
                want = ref_of[j];
        got = iddict_find(dict, ids[k], lens[k]);
        if (got != want)
            ck_abort_msg("find of id %d: %u, want %u", k, got, want);
        if (want == IDDICT_NONE)
            want = n_ref++;
        ref_of[k] = want;
        got = iddict_add(dict, ids[k], lens[k]);
        if (got != want)
            ck_abort_msg("add of id %d: %u, want %u", k, got, want);
    }
    ck_assert_uint_eq(iddict_count(dict), n_ref);
    for (int k = 0; k < N_IDS; k++) {
        ck_assert_uint_eq(iddict_find(dict, ids[k], lens[k]), ref_of[k]);
        ck_assert_int_eq(memcmp(iddict_name(dict, ref_of[k]), ids[k],
                                lens[k]), 0);
    }
    free(ref_of);
    iddict_free(dict);
}
END_TEST

/*
 * iddict_find_many against iddict_find one by one: a table big enough to
 * be visited in slot order, ids of 1..20 bytes (the word-only and the
 * arena comparisons), present and absent ones, repeats; and a small
 * batch (looked up in order).
 */
START_TEST(test_iddict_find_many_matches_find)
{
    struct iddict *dict = iddict_new();
    size_t nq = 30000, i;
    struct iddict_query *q = xcalloc(nq, sizeof *q);
    char (*ids)[32] = xcalloc(nq, sizeof *ids);
    uint64_t x = 7;
    size_t found = 0;

    for (i = 0; i < 60000; i++) {
        char b[32];
        int n = snprintf(b, sizeof b, i % 3 ? "%zu" : "user-%zu-long-id",
                         i * 13);

        iddict_add(dict, b, (size_t)n);
    }
    for (i = 0; i < nq; i++) {
        size_t v;

        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        v = (size_t)(x >> 33) % 90000;      /* a third are absent */
        q[i].n = (size_t)snprintf(ids[i], sizeof ids[i],
                                  v % 3 ? "%zu" : "user-%zu-long-id", v * 13);
        q[i].s = ids[i];
    }
    for (i = 0; i < nq; i++)
        q[i].idx = 12345;
    iddict_find_many(dict, q, nq);
    for (i = 0; i < nq; i++) {
        ck_assert_uint_eq(q[i].idx, iddict_find(dict, q[i].s, q[i].n));
        found += q[i].idx != IDDICT_NONE;
    }
    ck_assert_uint_gt(found, nq / 2);
    ck_assert_uint_lt(found, nq);
    iddict_find_many(dict, q + 5, 10);
    for (i = 5; i < 15; i++)
        ck_assert_uint_eq(q[i].idx, iddict_find(dict, q[i].s, q[i].n));
    iddict_find_many(dict, q, 0);
    free(ids);
    free(q);
    iddict_free(dict);
}
END_TEST

START_TEST(test_iddict_save_load_round_trip)
{
    const char *dir = test_tmpdir();
    char path[4200], path2[4200], buf[64];
    struct iddict *dict = iddict_new(), *back = NULL;
    struct diag d = DIAG_INIT;
    unsigned char *a, *b;
    size_t na, nb;
    const uint32_t n = 5000;

    snprintf(path, sizeof path, "%s/users.dict", dir);
    snprintf(path2, sizeof path2, "%s/again.dict", dir);
    for (uint32_t k = 0; k < n; k++) {
        id_of(buf, sizeof buf, k);
        iddict_add(dict, buf, strlen(buf));
    }
    iddict_add(dict, "with,comma \"and\" quotes\t", 24);
    ck_assert_int_eq(iddict_save(dict, path, &d), 0);
    ck_assert_int_eq(iddict_load(path, &back, &d), 0);
    ck_assert_uint_eq(iddict_count(back), n + 1);
    for (uint32_t k = 0; k <= n; k++)
        ck_assert_str_eq(iddict_name(back, k), iddict_name(dict, k));
    ck_assert_uint_eq(iddict_find(back, "with,comma \"and\" quotes\t", 24),
                      n);
    /* Growing a loaded dictionary appends after the loaded ids. */
    ck_assert_uint_eq(iddict_add(back, "new", 3), n + 1);
    /* Same dictionary, same bytes. */
    ck_assert_int_eq(iddict_save(dict, path2, &d), 0);
    a = test_read_file(path, &na);
    b = test_read_file(path2, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(a, b, na) == 0);
    free(a);
    free(b);
    iddict_free(back);

    /* An empty dictionary round-trips too. */
    iddict_free(dict);
    dict = iddict_new();
    ck_assert_int_eq(iddict_save(dict, path, &d), 0);
    ck_assert_int_eq(iddict_load(path, &back, &d), 0);
    ck_assert_uint_eq(iddict_count(back), 0);
    iddict_free(back);
    iddict_free(dict);
    test_rmtree(dir);
}
END_TEST

START_TEST(test_iddict_load_missing)
{
    struct iddict *back = NULL;
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(iddict_load("/nonexistent/dualrec/x.dict", &back, &d),
                     -1);
    ck_assert_int_eq(d.rc, RC_NOINPUT);
    ck_assert_ptr_null(back);
}
END_TEST

static void
save_small(const char *path)
{
    struct iddict *dict = iddict_new();
    struct diag d = DIAG_INIT;

    iddict_add(dict, "a", 1);
    iddict_add(dict, "bb", 2);
    iddict_add(dict, "ccc", 3);
    ck_assert_int_eq(iddict_save(dict, path, &d), 0);
    iddict_free(dict);
}

static void
expect_load_fails(const char *path, const char *msg)
{
    struct iddict *back = NULL;
    struct diag d = DIAG_INIT;

    ck_assert_int_eq(iddict_load(path, &back, &d), -1);
    ck_assert_int_eq(d.rc, RC_DATA);
    ck_assert_ptr_null(back);
    if (msg != NULL)
        ck_assert_str_eq(d.msg, msg);
}

START_TEST(test_iddict_bad_magic_version_truncation)
{
    const char *dir = test_tmpdir();
    char path[4200], msg[4400];
    unsigned char *p;
    size_t n;

    snprintf(path, sizeof path, "%s/x.dict", dir);
    save_small(path);
    p = test_read_file(path, &n);

    p[3] ^= 0x20;
    test_write_file(path, p, n);
    snprintf(msg, sizeof msg, "%s: offset 0: bad magic (not a 'IDICT' file)",
             path);
    expect_load_fails(path, msg);
    p[3] ^= 0x20;

    put_le32(p + 8, 2);
    test_write_file(path, p, n);
    snprintf(msg, sizeof msg, "%s: offset 8: unsupported version 2 "
             "(expected 1)", path);
    expect_load_fails(path, msg);
    put_le32(p + 8, 1);

    for (size_t cut = 0; cut < n; cut += (cut < 60 ? 7 : 1)) {
        test_write_file(path, p, cut);
        expect_load_fails(path, NULL);
    }
    p[n - 5] ^= 0x01;                  /* inside the zstd frame */
    test_write_file(path, p, n);
    expect_load_fails(path, NULL);
    free(p);
    test_rmtree(dir);
}
END_TEST

/* Well-formed container, inconsistent payload: caught by the decoder. */
START_TEST(test_iddict_bad_payload)
{
    const char *dir = test_tmpdir();
    char path[4200], msg[4400];
    struct bbuf b = BBUF_INIT;
    struct diag d = DIAG_INIT;

    snprintf(path, sizeof path, "%s/x.dict", dir);

    /* Duplicate id. */
    bbuf_put_le32(&b, 2);
    bbuf_put_le64(&b, 4);
    bbuf_put_le32(&b, 2);
    bbuf_put_le32(&b, 2);
    bbuf_put(&b, "abab", 4);
    ck_assert_int_eq(binfile_save(path, MAGIC, 1, b.p, b.len, 1, &d), 0);
    snprintf(msg, sizeof msg, "%s: offset 22: duplicate id 'ab'", path);
    expect_load_fails(path, msg);

    /* Count that does not fit the payload. */
    b.len = 0;
    bbuf_put_le32(&b, 1000);
    bbuf_put_le64(&b, 4);
    bbuf_put_le32(&b, 2);
    ck_assert_int_eq(binfile_save(path, MAGIC, 1, b.p, b.len, 1, &d), 0);
    expect_load_fails(path, NULL);

    /* Lengths not adding up to the name bytes. */
    b.len = 0;
    bbuf_put_le32(&b, 2);
    bbuf_put_le64(&b, 4);
    bbuf_put_le32(&b, 1);
    bbuf_put_le32(&b, 1);
    bbuf_put(&b, "abcd", 4);
    ck_assert_int_eq(binfile_save(path, MAGIC, 1, b.p, b.len, 1, &d), 0);
    snprintf(msg, sizeof msg, "%s: offset 22: 2 trailing bytes after the "
             "last id", path);
    expect_load_fails(path, msg);

    /* An empty id. */
    b.len = 0;
    bbuf_put_le32(&b, 1);
    bbuf_put_le64(&b, 0);
    bbuf_put_le32(&b, 0);
    ck_assert_int_eq(binfile_save(path, MAGIC, 1, b.p, b.len, 1, &d), 0);
    snprintf(msg, sizeof msg, "%s: offset 12: bad length 0 of id 0", path);
    expect_load_fails(path, msg);

    bbuf_release(&b);
    test_rmtree(dir);
}
END_TEST

Suite *
iddict_suite(void)
{
    Suite *s = suite_create("iddict");
    TCase *tc = tcase_create("dict");
    TCase *tf = tcase_create("file");

    tcase_add_test(tc, test_iddict_add_find_name);
    tcase_add_test(tc, test_iddict_growth_keeps_indices);
    tcase_add_test(tc, test_iddict_matches_linear_reference);
    tcase_add_test(tc, test_iddict_find_many_matches_find);
    tcase_add_test(tf, test_iddict_save_load_round_trip);
    tcase_add_test(tf, test_iddict_load_missing);
    tcase_add_test(tf, test_iddict_bad_magic_version_truncation);
    tcase_add_test(tf, test_iddict_bad_payload);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tf);
    return s;
}
