/*
 * atomicfile.h -- outputs that appear whole or not at all.
 *
 * A writer opens "<path>.tmp.<pid>", writes through af->fp, then commits:
 * fflush, fsync, fclose (each checked and named in the error, after redis'
 * err_op), rename over <path>, fsync of the directory.  On any failure, or
 * on atomicfile_abort(), the temp file is unlinked.  Readers therefore never
 * see a partial file, and a crash leaves at worst a stale *.tmp.* that the
 * next run overwrites or ignores.
 */
#ifndef DUALREC_ATOMICFILE_H
#define DUALREC_ATOMICFILE_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"

struct atomicfile {
    char *path;     /* final name, owned */
    char *tmp;      /* temp name, owned */
    FILE *fp;       /* open for writing until commit/abort */
};

/* Create the temp file; RC_CANTCREAT when the directory is not writable. */
int atomicfile_open(struct atomicfile *af, const char *path, struct diag *d);
/* Flush, fsync, close, rename, fsync the directory; RC_IO on failure (the
 * temp file is removed), including a write through af->fp that failed
 * earlier (the stream's error flag), so writers may leave fputs/fprintf
 * unchecked.  Releases af in every case. */
int atomicfile_commit(struct atomicfile *af, struct diag *d);
/* Discard: close and unlink the temp file; releases af.  Safe to call on a
 * zeroed or already released struct. */
void atomicfile_abort(struct atomicfile *af);

/* Write n bytes to path atomically (open + fwrite + commit). */
int atomicfile_write(const char *path, const void *p, size_t n,
                     struct diag *d);

/* fsync a directory so that renames inside it are durable. */
int fsync_dir(const char *dir, struct diag *d);

/* mkdir -p; RC_CANTCREAT on failure. */
int mkdir_p(const char *dir, struct diag *d);

/* 1 if path exists (any type), 0 if not. */
int path_exists(const char *path);

/*
 * Read a whole file into a new xmalloc'd buffer (NUL-terminated, the
 * terminator not counted in *len).  RC_NOINPUT when missing, RC_IO on a
 * read error.
 */
int file_read_all(const char *path, char **out, size_t *len, struct diag *d);

#endif
