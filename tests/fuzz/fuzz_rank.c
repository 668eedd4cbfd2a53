/*
 * fuzz_rank -- the ranker model reader (rank_load, rank.h).
 *
 * Input: byte 0 bit 0 set: the rest is the whole file; clear: the rest is
 * the payload of a valid binfile ("\x89DRRANK\x01", RANK_VERSION).
 */
#include "fuzz_common.h"
#include "rank.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char magic[BINFILE_MAGIC_SIZE] = {
        '\x89', 'D', 'R', 'R', 'A', 'N', 'K', '\x01'
    };
    struct diag d = DIAG_INIT;
    struct rank_model *m = NULL;
    const char *path;

    if (size < 1)
        return 0;
    path = fuzz_binfile("rank.bin", data[0] & 1, magic, RANK_VERSION,
                        data + 1, size - 1);
    if (rank_load(path, &m, &d) == 0)
        rank_free(m);
    return 0;
}
