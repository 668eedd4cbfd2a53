/*
 * fuzz_zin -- the streaming input reader (zin.h): plain and zstd files.
 *
 * Input: byte 0 picks the file name (bit 0: ".zst", which requires a zstd
 * frame; otherwise zin sniffs the magic), the read size (bits 1-3: 1 byte
 * to 1 MiB, so frame and buffer edges fall everywhere) and whether reads
 * are started ahead (bit 4, zin_start, as logread does).  The rest is the
 * file.  Read to the end or the first error; a truncated or corrupt frame
 * must be an error, never a crash.
 */
#include "fuzz_common.h"
#include "zin.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[8] = { 1, 7, 64, 4096, 65536, 131072, 1 << 19,
                                    1 << 20 };
    struct diag d = DIAG_INIT;
    struct zin *z = NULL;
    const char *path;
    unsigned char *buf[2];
    size_t cap, got, total = 0;
    int ahead, k = 0;

    if (size < 1)
        return 0;
    path = fuzz_write((data[0] & 1) ? "in.zst" : "in.bin", data + 1, size - 1);
    cap = caps[(data[0] >> 1) & 7];
    ahead = (data[0] >> 4) & 1;
    buf[0] = malloc(cap);
    buf[1] = malloc(cap);
    if (buf[0] == NULL || buf[1] == NULL)
        goto out;
    if (zin_open(path, &z, &d) < 0)
        goto out;
    if (ahead)
        zin_start(z, buf[0], cap);
    for (;;) {
        if (zin_read(z, buf[k], cap, &got, &d) < 0 || got == 0)
            break;
        if (got > cap)
            abort();
        total += got;
        if (total > ((size_t)8 << 20))  /* a tiny frame may inflate a lot */
            break;
        k ^= 1;
        if (ahead)
            zin_start(z, buf[k], cap);
    }
    zin_close(z);
out:
    free(buf[0]);
    free(buf[1]);
    return 0;
}
