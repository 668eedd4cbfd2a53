/*
 * atomicfile.c -- temp + fsync + rename outputs (see atomicfile.h), and the
 * few filesystem helpers stages share (mkdir -p, whole-file reads).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xmem.h"

static void
release(struct atomicfile *af)
{
    free(af->path);
    free(af->tmp);
    af->path = af->tmp = NULL;
    af->fp = NULL;
}

int
atomicfile_open(struct atomicfile *af, const char *path, struct diag *d)
{
    size_t n = strlen(path) + 32;

    af->path = xstrdup(path);
    af->tmp = xmalloc(n);
    snprintf(af->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp, "wb");
    if (af->fp == NULL) {
        diag_errno(d, RC_CANTCREAT, "%s: cannot create", af->tmp);
        release(af);
        return -1;
    }
    return 0;
}

static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

int
atomicfile_commit(struct atomicfile *af, struct diag *d)
{
    const char *op = NULL;
    char *dir;
    int rc;

    if (fflush(af->fp) != 0) {
        op = "fflush";
    } else if (ferror(af->fp)) {
        /* an earlier buffered write failed (writers need not check every
         * fputs): its bytes are lost even if this flush went through */
        op = "write";
        if (errno == 0)
            errno = EIO;
    } else if (fsync(fileno(af->fp)) != 0) {
        op = "fsync";
    }
    if (op != NULL) {
        diag_errno(d, RC_IO, "%s: %s failed", af->tmp, op);
        fclose(af->fp);
        unlink(af->tmp);
        release(af);
        return -1;
    }
    if (fclose(af->fp) != 0) {
        diag_errno(d, RC_IO, "%s: fclose failed", af->tmp);
        unlink(af->tmp);
        release(af);
        return -1;
    }
    af->fp = NULL;
    if (rename(af->tmp, af->path) != 0) {
        diag_errno(d, RC_IO, "%s: rename to '%s' failed", af->tmp, af->path);
        unlink(af->tmp);
        release(af);
        return -1;
    }
    dir = dir_of(af->path);
    rc = fsync_dir(dir, d);
    free(dir);
    release(af);
    return rc;
}

void
atomicfile_abort(struct atomicfile *af)
{
    if (af->fp != NULL)
        fclose(af->fp);
    if (af->tmp != NULL)
        unlink(af->tmp);
    release(af);
}

int
atomicfile_write(const char *path, const void *p, size_t n, struct diag *d)
{
    struct atomicfile af;

    if (atomicfile_open(&af, path, d) < 0)
        return -1;
    if (n > 0 && fwrite(p, 1, n, af.fp) != n) {
        diag_errno(d, RC_IO, "%s: write failed", af.tmp);
        atomicfile_abort(&af);
        return -1;
    }
    return atomicfile_commit(&af, d);
}

int
fsync_dir(const char *dir, struct diag *d)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);

    if (fd < 0)
        return diag_errno(d, RC_IO, "%s: cannot open directory", dir);
    if (fsync(fd) != 0 && errno != EINVAL) {
        close(fd);
        return diag_errno(d, RC_IO, "%s: fsync of directory failed", dir);
    }
    close(fd);
    return 0;
}

int
mkdir_p(const char *dir, struct diag *d)
{
    char *buf = xstrdup(dir);
    size_t n = strlen(buf);

    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            diag_errno(d, RC_CANTCREAT, "%s: cannot create directory", buf);
            free(buf);
            return -1;
        }
        if (i < n)
            buf[i] = '/';
    }
    free(buf);
    return 0;
}

int
path_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

int
file_read_all(const char *path, char **out, size_t *len, struct diag *d)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    *out = NULL;
    *len = 0;
    if (fp == NULL)
        return diag_errno(d, errno == ENOENT ? RC_NOINPUT : RC_IO,
                          "%s: cannot open", path);
    do {
        buf = xgrow(buf, &cap, n + 65536 + 1, 1);
        got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
    } while (got > 0);
    if (ferror(fp)) {
        diag_errno(d, RC_IO, "%s: read failed", path);
        fclose(fp);
        free(buf);
        return -1;
    }
    fclose(fp);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}
