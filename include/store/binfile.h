/*
 * binfile.h -- the one container every binary file of dualrec uses.
 *
 * A stage serialises its object into a byte buffer (byteio.h) and hands it
 * here; binfile adds the common header and a zstd frame:
 *
 *   OFFSET SIZE TYPE    FIELD
 *        0    8 u8[8]   magic: 0x89 'D' 'R' + 5 bytes naming the format
 *        8    4 u32     format version (per format; readers accept one)
 *       12    4 u32     flags, must be 0
 *       16    4 u32     byte-order tag 0x01020304 (reads 04 03 02 01: LE)
 *       20    4 u32     header size in bytes (48)
 *       24    8 u64     payload length, uncompressed
 *       32    8 u64     checksum64(payload) (byteio.h)
 *       40    8 u64     compressed length that follows
 *       48    .  zstd   one zstd frame with content checksum (zstd -t can
 *                       verify it after skipping 48 bytes)
 *
 * Integers little-endian; floats IEEE-754 binary32 LE.  The reader rejects
 * bad magic, another version, non-zero flags, a short file, a bad frame and
 * a checksum mismatch, each with "<path>: ..." and RC_DATA.  Writes are
 * atomic (atomicfile.h).
 */
#ifndef DUALREC_BINFILE_H
#define DUALREC_BINFILE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define BINFILE_HEADER_SIZE 48
#define BINFILE_MAGIC_SIZE  8

/*
 * zstd compresses in jobs of this many payload bytes on its worker
 * threads (binfile.c says why the size is pinned).
 */
#define BINFILE_ZSTD_JOB_SIZE ((size_t)8 << 20)

/*
 * Write payload p[0..n) to path with the given 8-byte magic and version,
 * compressed at zstd level `level` (1..19; 0 picks 3).  The file's bytes
 * depend only on the arguments, not on the thread count or the machine:
 * zstd runs multithreaded (omp_get_max_threads() workers, at most 4, at
 * least 1) with a fixed job size.  The frame is streamed to the temp file
 * in pieces while another thread computes the checksum, so memory beyond
 * the payload stays a few job sizes.  RC_CANTCREAT/RC_IO when writing
 * fails (no file appears), RC_INTERNAL when zstd fails (e.g. a libzstd
 * built without threads).
 */
int binfile_save(const char *path, const char magic[BINFILE_MAGIC_SIZE],
                 uint32_t version, const void *p, size_t n, int level,
                 struct diag *d);

/*
 * Read path, check magic/version/flags/checksum and return the payload in a
 * new xmalloc'd buffer (*out, *n); the caller frees it.  RC_NOINPUT when
 * missing, RC_DATA when corrupt or of another version, RC_IO on read error.
 */
int binfile_load(const char *path, const char magic[BINFILE_MAGIC_SIZE],
                 uint32_t version, void **out, size_t *n, struct diag *d);

/* The fields of a file's 48-byte header, as stored (see the table above). */
struct binfile_header {
    char magic[BINFILE_MAGIC_SIZE];
    uint32_t version, flags, byte_order, header_size;
    uint64_t payload_len, checksum, comp_len;
};

/*
 * Read only the header of path into *h, without checking the fields or
 * reading the payload (manifests record magic, version and checksum as
 * the file's fingerprint).  RC_NOINPUT when missing, RC_IO on a read
 * error, RC_DATA "<path>: offset <n>: truncated header" when short.
 */
int binfile_read_header(const char *path, struct binfile_header *h,
                        struct diag *d);

/* The checksum stored in a file's header (binfile_read_header). */
int binfile_checksum(const char *path, uint64_t *sum, struct diag *d);

/*
 * Check that a file is a complete dualrec binary file of any format: a
 * magic starting "\x89DR", the version it states, the zstd frame and the
 * payload checksum (binfile_load); the payload is not interpreted.
 * RC_NOINPUT when missing, RC_DATA when corrupt or not a dualrec file
 * ("<path>: offset 0: not a dualrec file").
 */
int binfile_verify(const char *path, struct diag *d);

#endif
