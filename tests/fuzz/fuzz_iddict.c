/*
 * fuzz_iddict -- the id dictionary reader (iddict_load, iddict.h).
 *
 * Input: byte 0 bit 0 set: the rest is the whole file; clear: the rest is
 * the payload of a valid binfile ("\x89DRIDICT", version 1).  A dictionary
 * that loads must answer every lookup consistently: each index's name
 * finds that index again (a duplicate name in a file must be rejected).
 */
#include "fuzz_common.h"
#include "iddict.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char magic[BINFILE_MAGIC_SIZE] = {
        '\x89', 'D', 'R', 'I', 'D', 'I', 'C', 'T'
    };
    struct diag d = DIAG_INIT;
    struct iddict *dict = NULL;
    const char *path;

    if (size < 1)
        return 0;
    path = fuzz_binfile("ids.dict", data[0] & 1, magic, 1, data + 1,
                        size - 1);
    if (iddict_load(path, &dict, &d) == 0) {
        uint32_t n = iddict_count(dict);

        for (uint32_t i = 0; i < n; i++) {
            const char *s = iddict_name(dict, i);

            if (iddict_find(dict, s, strlen(s)) != i)
                abort();
        }
        iddict_free(dict);
    }
    return 0;
}
