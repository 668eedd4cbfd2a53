/*
 * fuzz_common.h -- what the libFuzzer targets in tests/fuzz/ share.
 *
 * dualrec's readers take a path, so each target writes the input to a file of its own under a
 * per-process directory and calls the reader on it.  Payload readers sit
 * behind binfile's checksum, which random bytes never pass; fuzz_binfile_wrap
 * therefore writes an input as a valid binfile around the bytes (the
 * layout of binfile.h, checked against binfile_save by the seeds), so the payload parsers see what
 * the fuzzer chose.  Built only by `make fuzz` (docs/reliability.md).
 */
#ifndef DUALREC_FUZZ_COMMON_H
#define DUALREC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "binfile.h"
#include "byteio.h"
#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The path "<dir>/<name>" in this process's scratch directory (static). */
static inline const char *
fuzz_path(const char *name)
{
    static char dir[256];
    static char path[512];

    if (dir[0] == '\0') {
        const char *t = getenv("TMPDIR");

        snprintf(dir, sizeof dir, "%s/dualrec-fuzz.%ld",
                 t != NULL && *t != '\0' ? t : "/tmp", (long)getpid());
        if (mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0)
            abort();
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* Write p[0..n) to the scratch file name; its path (static). */
static inline const char *
fuzz_write(const char *name, const void *p, size_t n)
{
    const char *path = fuzz_path(name);
    FILE *fp = fopen(path, "wb");

    if (fp == NULL || (n > 0 && fwrite(p, 1, n, fp) != n) || fclose(fp) != 0)
        abort();
    return path;
}

/*
 * The scratch file name holding p[0..n): as they are when raw, else as the
 * payload of a binfile of the given magic and version.  The path (static).
 */
static inline const char *
fuzz_binfile(const char *name, int raw, const char magic[BINFILE_MAGIC_SIZE],
             uint32_t version, const void *p, size_t n)
{
    static ZSTD_CCtx *cc;      /* kept for the process, as libFuzzer runs */
    unsigned char *f;
    size_t bound, clen;
    const char *path;

    if (raw)
        return fuzz_write(name, p, n);
    /* binfile.h's layout, one single-threaded frame: binfile_save's
     * thread pool per call would cost more than the reader under test */
    bound = ZSTD_compressBound(n);
    f = malloc(BINFILE_HEADER_SIZE + bound);
    if (f == NULL)
        abort();
    if (cc == NULL) {
        cc = ZSTD_createCCtx();
        if (cc == NULL
            || ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1))
            || ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel,
                                                   1)))
            abort();
    }
    clen = ZSTD_compress2(cc, f + BINFILE_HEADER_SIZE, bound, p, n);
    if (ZSTD_isError(clen))
        abort();
    memcpy(f, magic, BINFILE_MAGIC_SIZE);
    put_le32(f + 8, version);
    put_le32(f + 12, 0);
    put_le32(f + 16, 0x01020304);
    put_le32(f + 20, BINFILE_HEADER_SIZE);
    put_le64(f + 24, n);
    put_le64(f + 32, checksum64(p, n, 0));
    put_le64(f + 40, clen);
    path = fuzz_write(name, f, BINFILE_HEADER_SIZE + clen);
    free(f);
    return path;
}

#endif
