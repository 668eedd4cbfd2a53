/*
 * fuzz_binfile -- the binary container (binfile.h) on arbitrary files: the
 * header checks, the zstd frame, the payload length and checksum, as
 * binfile_load, binfile_read_header, binfile_checksum and dualrec-eval
 * --verify (which accepts any dualrec magic, binfile_verify) read them.  The input is the
 * whole file; a valid header with a random frame is the interesting case,
 * so the seeds are real files the stages write.
 */
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char magic[BINFILE_MAGIC_SIZE] = {
        '\x89', 'D', 'R', 'S', 'E', 'G', 'M', 'T'
    };
    struct diag d = DIAG_INIT;
    const char *path = fuzz_write("in.bin", data, size);
    void *p = NULL;
    size_t n = 0;
    struct binfile_header h;
    uint64_t sum;

    (void)binfile_verify(path, &d);
    d = (struct diag)DIAG_INIT;
    (void)binfile_read_header(path, &h, &d);
    d = (struct diag)DIAG_INIT;
    (void)binfile_checksum(path, &sum, &d);
    d = (struct diag)DIAG_INIT;
    /* the version a file states, so every file reaches the frame checks */
    if (binfile_load(path, magic, size >= 12 ? (uint32_t)data[8]
                     | (uint32_t)data[9] << 8 | (uint32_t)data[10] << 16
                     | (uint32_t)data[11] << 24 : 2, &p, &n, &d) == 0) {
        volatile unsigned char sink = 0;

        if (n > 0)
            sink ^= ((unsigned char *)p)[n - 1];
        (void)sink;
        free(p);
    }
    return 0;
}
