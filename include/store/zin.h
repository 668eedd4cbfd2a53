/*
 * zin.h -- streaming byte input for the log readers: a plain file, a zstd
 * file, or stdin ("-"), read front to back in large pieces.
 *
 * A stream is zstd when its name ends in ".zst" (then the zstd magic is
 * required) or, for any other name and for stdin, when its first bytes are
 * a zstd frame magic.  A helper thread reads (and decompresses) straight
 * into the buffer the caller will read next, named ahead with zin_start,
 * while the caller parses: reading, decompressing and parsing overlap, and
 * the bytes handed out are the same whatever the scheduling (and without
 * the thread, when none can be started: then zin_read does the work).
 * Memory is bounded (the caller's buffers, a 1 MiB read buffer and zstd's
 * window), independent of the file length.
 *
 * A zstd stream must end on a complete frame: a truncated or corrupt frame
 * is an error (RC_DATA), never silently short data.
 */
#ifndef DUALREC_ZIN_H
#define DUALREC_ZIN_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct zin;

/*
 * Open path for reading ("-" is stdin, never closed by zin).  RC_NOINPUT
 * when the file does not exist, RC_IO when it cannot be opened or read,
 * RC_DATA when a ".zst" file does not start with a zstd frame.
 */
int zin_open(const char *path, struct zin **out, struct diag *d);

/*
 * Start filling buf[0..cap) in the background: the next zin_read, which
 * must be for the same buffer, then waits for the bytes instead of asking
 * for them.  The caller leaves buf alone meanwhile.  Does nothing when a
 * fill is already under way or the stream has ended.
 */
void zin_start(struct zin *z, void *buf, size_t cap);

/*
 * Read up to cap bytes of (decompressed) data into buf; *got is 0 only at
 * the end of the stream.  RC_IO on a read error; RC_DATA for a truncated
 * or corrupt zstd stream ("<path>: truncated zstd frame ...").  Blocks
 * until cap bytes are available or the stream ends.
 */
int zin_read(struct zin *z, void *buf, size_t cap, size_t *got,
             struct diag *d);

/* Bytes read from the file itself so far (compressed bytes for zstd). */
uint64_t zin_bytes_in(const struct zin *z);

/* 1 when the stream is zstd-compressed. */
int zin_is_zstd(const struct zin *z);

/* The name given to zin_open ("-" for stdin), valid while z lives. */
const char *zin_path(const struct zin *z);

/* Stop the helper thread, close the file, free z.  NULL is a no-op. */
void zin_close(struct zin *z);

#endif
