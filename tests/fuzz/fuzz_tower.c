/*
 * fuzz_tower -- the two-tower model reader (tower_load, tower.h).
 *
 * Input: byte 0 bit 0 set: the rest is the whole file; clear: the rest is
 * the payload of a valid binfile ("\x89DRTOWER", TOWER_VERSION).  A model
 * that loads has every user vector readable (dim x n_users floats).
 */
#include "fuzz_common.h"
#include "tower.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char magic[BINFILE_MAGIC_SIZE] = {
        '\x89', 'D', 'R', 'T', 'O', 'W', 'E', 'R'
    };
    struct diag d = DIAG_INIT;
    struct tower *t = NULL;
    const char *path;

    if (size < 1)
        return 0;
    path = fuzz_binfile("tower.bin", data[0] & 1, magic, TOWER_VERSION,
                        data + 1, size - 1);
    if (tower_load(path, &t, &d) == 0) {
        uint32_t nu = tower_n_users(t), dim = tower_dim(t);
        volatile float sink = 0;

        for (uint32_t u = 0; u < nu; u++)
            if (dim > 0)
                sink += tower_user_vec(t, u)[dim - 1];
        (void)sink;
        tower_free(t);
    }
    return 0;
}
