/*
 * fuzz_avail -- the availability (UAC) reader (avail_load, avail.h),
 * including the xgboost models it carries.
 *
 * Input: byte 0 bit 0 set: the rest is the whole file; clear: the rest is
 * the payload of a valid binfile ("\x89DRAVAIL", AVAIL_VERSION).
 */
#include "avail.h"
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char magic[BINFILE_MAGIC_SIZE] = {
        '\x89', 'D', 'R', 'A', 'V', 'A', 'I', 'L'
    };
    struct diag d = DIAG_INIT;
    struct avail *a = NULL;
    const char *path;

    if (size < 1)
        return 0;
    path = fuzz_binfile("avail.bin", data[0] & 1, magic, AVAIL_VERSION,
                        data + 1, size - 1);
    if (avail_load(path, &a, &d) == 0)
        avail_free(a);
    return 0;
}
