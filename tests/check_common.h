/*
 * check_common.h -- shared bits of the Check suites.
 *
 * SAMPLE("x.csv") is SAMPLES_DIR "/x.csv" (SAMPLES_DIR comes from the
 * Makefile), so tests find the committed fixtures from any directory.
 * test_tmpdir() makes a fresh temporary directory for outputs.
 */
#ifndef DUALREC_CHECK_COMMON_H
#define DUALREC_CHECK_COMMON_H

#include <check.h>
#include <stddef.h>

#define SAMPLE(name) SAMPLES_DIR "/" name

#define SUITE(name) Suite *name##_suite(void);
#include "suites.h"
#undef SUITE

/* A new empty directory under $TMPDIR (or /tmp); returns a static buffer
 * valid until the next call.  Removed by test_rmtree(). */
const char *test_tmpdir(void);
/* rm -rf path (only paths under the temp root are accepted). */
void test_rmtree(const char *path);
/* A whole file in a new xmalloc'd buffer (one spare byte after it);
 * *n gets its length.  Fails the test when unreadable. */
void *test_read_file(const char *path, size_t *n);
/* Write p[0..n) to path (replacing it); fails the test on error. */
void test_write_file(const char *path, const void *p, size_t n);

#endif
