/*
 * check_main.c -- one runner for every suite; CK_RUN_SUITE=<mod> narrows
 * it (a Check feature).  The suite list comes from the file names
 * tests/check_<mod>.c via the generated suites.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_common.h"

const char *
test_tmpdir(void)
{
    static char buf[4096];
    const char *root = getenv("TMPDIR");

    snprintf(buf, sizeof buf, "%s/dualrec-test-XXXXXX", root ? root : "/tmp");
    if (mkdtemp(buf) == NULL) {
        perror("mkdtemp");
        abort();
    }
    return buf;
}

void
test_rmtree(const char *path)
{
    char cmd[4200];

    if (strstr(path, "/dualrec-test-") == NULL)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", path);
}

int
main(void)
{
    SRunner *sr = srunner_create(NULL);
    int failed;

#define SUITE(name) srunner_add_suite(sr, name##_suite());
#include "suites.h"
#undef SUITE
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
