/*
 * binfile.c -- header + zstd container for every binary file (binfile.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "atomicfile.h"
#include "binfile.h"
#include "byteio.h"
#include "xmem.h"

#define BOM 0x01020304u

int
binfile_save(const char *path, const char magic[BINFILE_MAGIC_SIZE],
             uint32_t version, const void *p, size_t n, int level,
             struct diag *d)
{
    size_t bound = ZSTD_compressBound(n), clen;
    unsigned char *buf = xmalloc(BINFILE_HEADER_SIZE + bound);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    int rc;

    if (cc == NULL) {
        free(buf);
        return diag_set(d, RC_INTERNAL, "%s: cannot create zstd context",
                        path);
    }
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level ? level : 3);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    clen = ZSTD_compress2(cc, buf + BINFILE_HEADER_SIZE, bound, p, n);
    ZSTD_freeCCtx(cc);
    if (ZSTD_isError(clen)) {
        free(buf);
        return diag_set(d, RC_INTERNAL, "%s: zstd compression failed: %s",
                        path, ZSTD_getErrorName(clen));
    }
    memcpy(buf, magic, BINFILE_MAGIC_SIZE);
    put_le32(buf + 8, version);
    put_le32(buf + 12, 0);
    put_le32(buf + 16, BOM);
    put_le32(buf + 20, BINFILE_HEADER_SIZE);
    put_le64(buf + 24, n);
    put_le64(buf + 32, checksum64(p, n, 0));
    put_le64(buf + 40, clen);
    rc = atomicfile_write(path, buf, BINFILE_HEADER_SIZE + clen, d);
    free(buf);
    return rc;
}

static int
read_header(FILE *fp, const char *path, unsigned char h[BINFILE_HEADER_SIZE],
            struct diag *d)
{
    size_t got = fread(h, 1, BINFILE_HEADER_SIZE, fp);

    if (got != BINFILE_HEADER_SIZE) {
        if (ferror(fp))
            return diag_errno(d, RC_IO, "%s: read failed", path);
        return diag_set(d, RC_DATA,
                        "%s: offset %zu: truncated header (%zu of %d bytes)",
                        path, got, got, BINFILE_HEADER_SIZE);
    }
    return 0;
}

int
binfile_load(const char *path, const char magic[BINFILE_MAGIC_SIZE],
             uint32_t version, void **out, size_t *n, struct diag *d)
{
    unsigned char h[BINFILE_HEADER_SIZE];
    uint64_t raw, sum, clen;
    unsigned char *cbuf = NULL, *pbuf = NULL;
    FILE *fp;
    size_t got;

    *out = NULL;
    *n = 0;
    fp = fopen(path, "rb");
    if (fp == NULL)
        return diag_errno(d, errno == ENOENT ? RC_NOINPUT : RC_IO,
                          "%s: cannot open", path);
    if (read_header(fp, path, h, d) < 0)
        goto fail;
    if (memcmp(h, magic, BINFILE_MAGIC_SIZE) != 0) {
        diag_set(d, RC_DATA, "%s: offset 0: bad magic (not a '%.5s' file)",
                 path, magic + 3);
        goto fail;
    }
    if (get_le32(h + 8) != version) {
        diag_set(d, RC_DATA, "%s: offset 8: unsupported version %u "
                 "(expected %u)", path, get_le32(h + 8), version);
        goto fail;
    }
    if (get_le32(h + 12) != 0 || get_le32(h + 16) != BOM
        || get_le32(h + 20) != BINFILE_HEADER_SIZE) {
        diag_set(d, RC_DATA, "%s: offset 12: unsupported flags, byte order "
                 "or header size", path);
        goto fail;
    }
    raw = get_le64(h + 24);
    sum = get_le64(h + 32);
    clen = get_le64(h + 40);
    if (clen > ((uint64_t)1 << 40) || raw > ((uint64_t)1 << 40)) {
        diag_set(d, RC_DATA, "%s: offset 24: implausible payload size", path);
        goto fail;
    }
    cbuf = xmalloc((size_t)clen);
    got = fread(cbuf, 1, (size_t)clen, fp);
    if (got != clen) {
        if (ferror(fp))
            diag_errno(d, RC_IO, "%s: read failed", path);
        else
            diag_set(d, RC_DATA, "%s: offset %zu: truncated payload "
                     "(%zu of %llu bytes)", path,
                     (size_t)BINFILE_HEADER_SIZE + got, got,
                     (unsigned long long)clen);
        goto fail;
    }
    pbuf = xmalloc((size_t)raw + 1);
    got = ZSTD_decompress(pbuf, (size_t)raw + 1, cbuf, (size_t)clen);
    if (ZSTD_isError(got) || got != raw) {
        diag_set(d, RC_DATA, "%s: offset %d: corrupt payload (%s)", path,
                 BINFILE_HEADER_SIZE,
                 ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong length");
        goto fail;
    }
    if (checksum64(pbuf, (size_t)raw, 0) != sum) {
        diag_set(d, RC_DATA, "%s: offset %d: payload checksum mismatch",
                 path, BINFILE_HEADER_SIZE);
        goto fail;
    }
    free(cbuf);
    fclose(fp);
    *out = pbuf;
    *n = (size_t)raw;
    return 0;
fail:
    free(cbuf);
    free(pbuf);
    fclose(fp);
    return -1;
}

int
binfile_checksum(const char *path, uint64_t *sum, struct diag *d)
{
    unsigned char h[BINFILE_HEADER_SIZE];
    FILE *fp = fopen(path, "rb");
    int rc;

    if (fp == NULL)
        return diag_errno(d, errno == ENOENT ? RC_NOINPUT : RC_IO,
                          "%s: cannot open", path);
    rc = read_header(fp, path, h, d);
    fclose(fp);
    if (rc == 0)
        *sum = get_le64(h + 32);
    return rc;
}
