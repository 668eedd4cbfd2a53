/*
 * fuzz_manifest -- the readers of a published manifest.json
 * (evalrep_manifest_get and evalrep_manifest_section, evalrep.h), which
 * dualrec-eval uses on the tables it replays.  The input is the file's
 * text (NUL-terminated, as file_read_all returns it); every section and
 * key the product asks for is looked up, with tight and roomy buffers.
 */
#include "evalrep.h"
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sections[] = { "params", "stats", "tables",
                                            "inputs", "" };
    static const char *const keys[] = { "L", "targets", "Q", "date",
                                        "rows", "" };
    char *json = malloc(size + 1);
    char small[4], big[512], sec[2048];

    if (json == NULL)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            (void)evalrep_manifest_get(json, sections[s], keys[k], small,
                                       sizeof small);
            (void)evalrep_manifest_get(json, sections[s], keys[k], big,
                                       sizeof big);
        }
        evalrep_manifest_section(json, sections[s], small, sizeof small);
        evalrep_manifest_section(json, sections[s], sec, sizeof sec);
    }
    free(json);
    return 0;
}
