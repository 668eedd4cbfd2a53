/*
 * binfile.c -- header + zstd container for every binary file (binfile.h).
 */
#include <errno.h>
#include <sys/stat.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
/* for ZSTD_customMem: the contexts' buffers come from xmem (huge pages) */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "atomicfile.h"
#include "bgthread.h"
#include "binfile.h"
#include "byteio.h"
#include "xmem.h"

#define BOM 0x01020304u

/*
 * Compression runs in zstd's multithreaded mode with a fixed job size.
 * Its output is the same for every number of workers >= 1 (it differs
 * from the single-threaded mode, workers = 0), so files are byte-identical
 * whatever the machine's core count: never use 0 workers.  The job size
 * (BINFILE_ZSTD_JOB_SIZE, zstd's own choice at level 3) is pinned so that
 * the bytes do not follow zstd's defaults for other levels either.  The
 * worker cap bounds the memory zstd holds for jobs in flight: for a
 * 200 MB payload, about 60 MB with 1 worker and 110 MB with 4 (measured),
 * where a one-shot compression into a compressBound buffer held more than
 * the payload's size.
 */
#define ZSTD_MAX_WORKERS 4
/* The compressed frame is written out in pieces of this size. */
#define OUT_CHUNK        ((size_t)4 << 20)
/* Below this, the checksum is computed inline rather than on a thread. */
#define SUM_THREAD_MIN   ((size_t)1 << 20)

/* checksum64(p, n, 0), computed on its own thread during compression. */
struct sum_job {
    const void *p;
    size_t n;
    uint64_t sum;
};

static void *
sum_run(void *arg)
{
    struct sum_job *j = arg;

    j->sum = checksum64(j->p, j->n, 0);
    return NULL;
}

/* The zstd context binfile_save compresses with; NULL + diag on failure. */
static ZSTD_CCtx *
make_cctx(const char *path, int level, size_t n, struct diag *d)
{
    const ZSTD_customMem mem = { xmem_zstd_alloc, xmem_zstd_free, NULL };
    ZSTD_CCtx *cc = ZSTD_createCCtx_advanced(mem);
    int workers = omp_get_max_threads();
    size_t r;

    if (cc == NULL) {
        diag_set(d, RC_INTERNAL, "%s: cannot create zstd context", path);
        return NULL;
    }
    if (workers < 1)
        workers = 1;
    if (workers > ZSTD_MAX_WORKERS)
        workers = ZSTD_MAX_WORKERS;
    if (ZSTD_isError(r = ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel,
                                                level ? level : 3))
        || ZSTD_isError(r = ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag,
                                                   1))
        || ZSTD_isError(r = ZSTD_CCtx_setParameter(cc, ZSTD_c_nbWorkers,
                                                   workers))
        || ZSTD_isError(r = ZSTD_CCtx_setParameter(cc, ZSTD_c_jobSize,
                                                   (int)BINFILE_ZSTD_JOB_SIZE))
        || ZSTD_isError(r = ZSTD_CCtx_setPledgedSrcSize(cc, n))) {
        diag_set(d, RC_INTERNAL, "%s: cannot set up zstd (multithreaded "
                 "libzstd required): %s", path, ZSTD_getErrorName(r));
        ZSTD_freeCCtx(cc);
        return NULL;
    }
    return cc;
}

/*
 * Compress p[0..n) into af's file after a zeroed header (binfile_save
 * fills it in once the frame is written), in OUT_CHUNK pieces; *clen is
 * the frame's length.
 */
static int
write_frame(ZSTD_CCtx *cc, struct atomicfile *af, const void *p, size_t n,
            uint64_t *clen, struct diag *d)
{
    unsigned char zero[BINFILE_HEADER_SIZE] = { 0 };
    unsigned char *obuf;
    ZSTD_inBuffer in = { p, n, 0 };
    size_t left;
    int rc = 0;

    *clen = 0;
    if (fwrite(zero, 1, sizeof zero, af->fp) != sizeof zero)
        return diag_errno(d, RC_IO, "%s: write failed", af->tmp);
    obuf = xmalloc_big(OUT_CHUNK);
    do {
        ZSTD_outBuffer out = { obuf, OUT_CHUNK, 0 };

        left = ZSTD_compressStream2(cc, &out, &in, ZSTD_e_end);
        if (ZSTD_isError(left)) {
            rc = diag_set(d, RC_INTERNAL, "%s: zstd compression failed: %s",
                          af->path, ZSTD_getErrorName(left));
            break;
        }
        if (out.pos > 0 && fwrite(obuf, 1, out.pos, af->fp) != out.pos) {
            rc = diag_errno(d, RC_IO, "%s: write failed", af->tmp);
            break;
        }
        *clen += out.pos;
    } while (left != 0);
    free(obuf);
    return rc;
}

int
binfile_save(const char *path, const char magic[BINFILE_MAGIC_SIZE],
             uint32_t version, const void *p, size_t n, int level,
             struct diag *d)
{
    unsigned char h[BINFILE_HEADER_SIZE];
    struct sum_job sum = { p, n, 0 };
    struct atomicfile af;
    ZSTD_CCtx *cc;
    struct bgthread thread;
    int rc;
    uint64_t clen;

    cc = make_cctx(path, level, n, d);
    if (cc == NULL)
        return -1;
    if (atomicfile_open(&af, path, d) < 0) {
        ZSTD_freeCCtx(cc);
        return -1;
    }
    /* zstd's workers and the checksum share the cores; the calling thread
     * mostly waits for compressed output. */
    if (n < SUM_THREAD_MIN || bgthread_start(&thread, sum_run, &sum) < 0)
        thread.running = 0;
    rc = write_frame(cc, &af, p, n, &clen, d);
    if (thread.running)
        bgthread_join(&thread);
    else
        sum_run(&sum);
    ZSTD_freeCCtx(cc);
    if (rc < 0) {
        atomicfile_abort(&af);
        return -1;
    }
    memcpy(h, magic, BINFILE_MAGIC_SIZE);
    put_le32(h + 8, version);
    put_le32(h + 12, 0);
    put_le32(h + 16, BOM);
    put_le32(h + 20, BINFILE_HEADER_SIZE);
    put_le64(h + 24, n);
    put_le64(h + 32, sum.sum);
    put_le64(h + 40, clen);
    if (fseek(af.fp, 0, SEEK_SET) != 0
        || fwrite(h, 1, sizeof h, af.fp) != sizeof h) {
        diag_errno(d, RC_IO, "%s: write failed", af.tmp);
        atomicfile_abort(&af);
        return -1;
    }
    return atomicfile_commit(&af, d);
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
    struct stat sb;
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
    /* sizes from a damaged header must not decide what is allocated:
     * the compressed bytes are the rest of the file, and the frame states
     * the payload length too */
    if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode)
        && (uint64_t)sb.st_size - BINFILE_HEADER_SIZE < clen) {
        got = (size_t)((uint64_t)sb.st_size - BINFILE_HEADER_SIZE);
        diag_set(d, RC_DATA, "%s: offset %zu: truncated payload "
                 "(%zu of %llu bytes)", path,
                 (size_t)BINFILE_HEADER_SIZE + got, got,
                 (unsigned long long)clen);
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
    if (fgetc(fp) != EOF) {
        diag_set(d, RC_DATA, "%s: offset %llu: bytes after the payload",
                 path, (unsigned long long)(BINFILE_HEADER_SIZE + clen));
        goto fail;
    }
    {
        unsigned long long fsz = ZSTD_getFrameContentSize(cbuf,
                                                           (size_t)clen);

        /* the writer always states the content size (pledged); a frame
         * without it would leave the header's length, up to 2^40, to
         * decide the allocation below */
        if (fsz == ZSTD_CONTENTSIZE_UNKNOWN) {
            diag_set(d, RC_DATA, "%s: offset %d: zstd frame does not state "
                     "its content size", path, BINFILE_HEADER_SIZE);
            goto fail;
        }
        if (fsz != raw) {
            diag_set(d, RC_DATA, "%s: offset 24: payload length %llu, but "
                     "the zstd frame holds %llu bytes", path,
                     (unsigned long long)raw, fsz);
            goto fail;
        }
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
binfile_read_header(const char *path, struct binfile_header *hd,
                    struct diag *d)
{
    unsigned char h[BINFILE_HEADER_SIZE];
    FILE *fp = fopen(path, "rb");
    int rc;

    if (fp == NULL)
        return diag_errno(d, errno == ENOENT ? RC_NOINPUT : RC_IO,
                          "%s: cannot open", path);
    rc = read_header(fp, path, h, d);
    fclose(fp);
    if (rc < 0)
        return -1;
    memcpy(hd->magic, h, BINFILE_MAGIC_SIZE);
    hd->version = get_le32(h + 8);
    hd->flags = get_le32(h + 12);
    hd->byte_order = get_le32(h + 16);
    hd->header_size = get_le32(h + 20);
    hd->payload_len = get_le64(h + 24);
    hd->checksum = get_le64(h + 32);
    hd->comp_len = get_le64(h + 40);
    return 0;
}

int
binfile_checksum(const char *path, uint64_t *sum, struct diag *d)
{
    struct binfile_header h;

    if (binfile_read_header(path, &h, d) < 0)
        return -1;
    *sum = h.checksum;
    return 0;
}

int
binfile_verify(const char *path, struct diag *d)
{
    unsigned char h[12];
    char magic[BINFILE_MAGIC_SIZE];
    void *payload = NULL;
    size_t n = 0;
    FILE *fp = fopen(path, "rb");

    /* The first 12 bytes decide "is it ours" before binfile_load checks
     * the rest, so that a text file is named as such, not as truncated. */
    if (fp == NULL)
        return diag_errno(d, path_exists(path) ? RC_IO : RC_NOINPUT,
                          "%s: cannot open", path);
    if (fread(h, 1, sizeof h, fp) != sizeof h) {
        fclose(fp);
        return diag_set(d, RC_DATA, "%s: offset 0: too short for a dualrec "
                        "file", path);
    }
    fclose(fp);
    if (h[0] != 0x89 || h[1] != 'D' || h[2] != 'R')
        return diag_set(d, RC_DATA, "%s: offset 0: not a dualrec file", path);
    memcpy(magic, h, sizeof magic);
    if (binfile_load(path, magic, get_le32(h + 8), &payload, &n, d) < 0)
        return -1;
    free(payload);
    return 0;
}
