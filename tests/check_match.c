/*
 * check_match.c -- the stage's own pieces: the time-slice mask (target
 * selection is tested in check_targets.c).  The whole stage runs end to end in
 * tests/cli/dualrec-match_e2e.sh.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_common.h"
#include "match.h"

START_TEST(test_match_slice_by_peak_hour)
{
    float hourly[3 * 24] = { 0 };
    uint8_t mask[3];

    hourly[0 * 24 + 2] = 0.5f;
    hourly[1 * 24 + 10] = 0.5f;
    hourly[2 * 24 + 23] = 0.5f;
    hourly[2 * 24 + 22] = 0.5f;             /* tie: the earlier hour, 22 */
    memset(mask, 1, sizeof mask);
    match_slice_mask(hourly, 3, 22, 3, mask);       /* wraps midnight */
    ck_assert(mask[0] && !mask[1] && mask[2]);
    memset(mask, 1, sizeof mask);
    match_slice_mask(hourly, 3, 8, 12, mask);
    ck_assert(!mask[0] && mask[1] && !mask[2]);
    memset(mask, 1, sizeof mask);
    match_slice_mask(hourly, 3, 23, 24, mask);
    ck_assert(!mask[0] && !mask[1] && !mask[2]);
}
END_TEST

Suite *
match_suite(void)
{
    Suite *s = suite_create("match");
    TCase *tc = tcase_create("targets");

    tcase_add_test(tc, test_match_slice_by_peak_hour);
    suite_add_tcase(s, tc);
    return s;
}
