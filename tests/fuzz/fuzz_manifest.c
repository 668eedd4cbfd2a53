/*
 * fuzz_manifest -- the readers of a published manifest.json
 * (publish_manifest_load, _get and _section, publish.h), which dualrec-eval
 * uses on the tables it replays.  The input is the file; every section and
 * key the product asks for is looked up, with tight and roomy buffers.
 */
#include "fuzz_common.h"
#include "publish.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sections[] = { "params", "stats", "tables",
                                            "inputs", "" };
    static const char *const keys[] = { "L", "targets", "Q", "date",
                                        "rows", "" };
    struct diag d = DIAG_INIT;
    char *json = NULL, *dir, *slash;
    char small[4], big[512], sec[2048];

    dir = strdup(fuzz_write("manifest.json", data, size));
    if (dir == NULL)
        return 0;
    slash = strrchr(dir, '/');
    *slash = '\0';
    if (publish_manifest_load(dir, &json, &d) < 0) {
        free(dir);
        return 0;
    }
    free(dir);
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            (void)publish_manifest_get(json, sections[s], keys[k], small,
                                       sizeof small);
            (void)publish_manifest_get(json, sections[s], keys[k], big,
                                       sizeof big);
        }
        publish_manifest_section(json, sections[s], small, sizeof small);
        publish_manifest_section(json, sections[s], sec, sizeof sec);
    }
    free(json);
    return 0;
}
