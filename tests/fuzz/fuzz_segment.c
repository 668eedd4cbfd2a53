/*
 * fuzz_segment -- the day segment reader (segment_load, segment.h).
 *
 * Input: byte 0 bit 0 set: the rest is the whole file (container checks);
 * clear: the rest is the payload, written as a valid binfile (magic
 * "\x89DRSEGMT", SEGMENT_VERSION) so that the payload parser -- counts,
 * column lengths, offsets, sort order -- gets the fuzzer's bytes.
 */
#include "fuzz_common.h"
#include "segment.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char magic[BINFILE_MAGIC_SIZE] = {
        '\x89', 'D', 'R', 'S', 'E', 'G', 'M', 'T'
    };
    struct diag d = DIAG_INIT;
    struct segment *seg = NULL;
    const char *path;

    if (size < 1)
        return 0;
    path = fuzz_binfile("segment.bin", data[0] & 1, magic, SEGMENT_VERSION,
                        data + 1, size - 1);
    if (segment_load(path, &seg, &d) == 0) {
        size_t *off = NULL;
        uint32_t n_users = 0;

        /* what every stage does first with a loaded day (window_open has
         * checked indices against the dictionaries by then) */
        for (size_t i = 0; i < seg->n_exp; i++)
            if (seg->exp[i].user >= n_users)
                n_users = seg->exp[i].user + 1;
        if (n_users <= (1u << 20)) {   /* not 16 GB of offsets */
            segment_user_offsets(seg, n_users, &off);
            free(off);
        }
        segment_free(seg);
    }
    return 0;
}
