/*
 * zin.c -- plain / zstd / stdin byte streams for the log readers (zin.h).
 *
 * One helper thread reads the file (and, for zstd, decompresses it)
 * straight into the caller's buffer: the caller names the buffer it will
 * read next (zin_start) and goes on with other work; zin_read waits for
 * the bytes (or, without zin_start, asks and waits).  Only the thread
 * touches the file descriptor and the zstd context after open.  A request
 * ends with the buffer full, at the end of the stream, or at an error;
 * the bytes before an error are handed out first and the error on the
 * next call.  When no thread can be started (bgthread.h), zin_start is a
 * no-op and zin_read fills the buffer on the caller's thread: the same
 * bytes, without the overlap.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* for ZSTD_customMem: the contexts' buffers come from xmem (huge pages) */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "bgthread.h"
#include "xmem.h"
#include "zin.h"

#define ZIN_RAW     (1u << 20)      /* file bytes per read() */

enum req_state { REQ_NONE, REQ_PENDING, REQ_DONE };
enum stream_state { STREAM_MORE, STREAM_EOF, STREAM_ERR };

struct zin {
    char *path;
    int fd;
    int zstd;
    uint64_t bytes_in;      /* file bytes behind what was handed out */

    /* owned by the thread after open */
    ZSTD_DCtx *dctx;
    unsigned char *raw;     /* file bytes read, not yet consumed */
    size_t raw_pos, raw_len;
    int raw_eof;
    size_t last_ret;        /* ZSTD_decompressStream's last hint */
    uint64_t raw_total;

    /* the request, under mu */
    unsigned char *req_buf;
    size_t req_cap, req_got;
    int req;                /* enum req_state */
    int stream;             /* enum stream_state after the request */
    uint64_t req_raw_in;    /* file bytes consumed when it was done */
    struct diag err;        /* when stream == STREAM_ERR */
    int done;               /* the end or the error was handed out */
    int stop, started;      /* started: the helper thread runs */
    int inline_stream;      /* no thread: the stream state between reads */
    struct bgthread thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int
is_zstd_magic(const unsigned char *p, size_t n)
{
    if (n < 4)
        return 0;
    if (p[0] == 0x28 && p[1] == 0xB5 && p[2] == 0x2F && p[3] == 0xFD)
        return 1;
    /* skippable frames 0x184D2A50 .. 0x184D2A5F */
    return (p[0] & 0xF0) == 0x50 && p[1] == 0x2A && p[2] == 0x4D
        && p[3] == 0x18;
}

/* Read into z->raw until it holds at least want bytes or the file ends. */
static int
raw_fill(struct zin *z, size_t want, struct diag *d)
{
    while (z->raw_len < want && !z->raw_eof) {
        ssize_t n = read(z->fd, z->raw + z->raw_len, ZIN_RAW - z->raw_len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return diag_errno(d, RC_IO, "%s: read failed", z->path);
        }
        if (n == 0)
            z->raw_eof = 1;
        z->raw_len += (size_t)n;
        z->raw_total += (uint64_t)n;
    }
    return 0;
}

/* Decompress into buf[0..cap) until it is full or the stream ends;
 * *got bytes.  Returns the stream's state.  Runs on the helper thread. */
static int
fill_zstd(struct zin *z, unsigned char *buf, size_t cap, size_t *got,
          struct diag *err)
{
    ZSTD_outBuffer out = { buf, cap, 0 };

    *got = 0;
    while (out.pos < cap) {
        ZSTD_inBuffer in;
        size_t ret;

        if (z->raw_pos == z->raw_len) {
            z->raw_pos = z->raw_len = 0;
            if (raw_fill(z, 1, err) < 0)
                break;
            if (z->raw_len == 0) {
                *got = out.pos;
                if (z->last_ret != 0) {
                    diag_set(err, RC_DATA, "%s: truncated zstd frame (input "
                             "ends at offset %llu)", z->path,
                             (unsigned long long)z->raw_total);
                    return STREAM_ERR;
                }
                return STREAM_EOF;
            }
        }
        in.src = z->raw;
        in.size = z->raw_len;
        in.pos = z->raw_pos;
        ret = ZSTD_decompressStream(z->dctx, &out, &in);
        if (ZSTD_isError(ret)) {
            *got = out.pos;
            diag_set(err, RC_DATA, "%s: corrupt zstd data near offset %llu: %s",
                     z->path, (unsigned long long)(z->raw_total - z->raw_len
                                                   + in.pos),
                     ZSTD_getErrorName(ret));
            return STREAM_ERR;
        }
        z->raw_pos = in.pos;
        z->last_ret = ret;
    }
    *got = out.pos;
    return out.pos < cap ? STREAM_ERR : STREAM_MORE;
}

/* Read the file into buf[0..cap) until it is full or the file ends (the
 * bytes peeked at open first).  Runs on the helper thread. */
static int
fill_plain(struct zin *z, unsigned char *buf, size_t cap, size_t *got,
           struct diag *err)
{
    size_t n = 0;

    if (z->raw_pos < z->raw_len) {
        size_t k = z->raw_len - z->raw_pos;

        if (k > cap)
            k = cap;
        memcpy(buf, z->raw + z->raw_pos, k);
        z->raw_pos += k;
        n += k;
    }
    while (n < cap && !z->raw_eof) {
        ssize_t r = read(z->fd, buf + n, cap - n);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            *got = n;
            diag_errno(err, RC_IO, "%s: read failed", z->path);
            return STREAM_ERR;
        }
        if (r == 0)
            z->raw_eof = 1;
        n += (size_t)r;
        z->raw_total += (uint64_t)r;
    }
    *got = n;
    return n < cap ? STREAM_EOF : STREAM_MORE;
}

/* Serve the pending request: fill z->req_buf (outside mu), then record
 * the result (under mu when a thread runs).  *stream carries the state
 * from one request to the next. */
static void
serve(struct zin *z, int *stream, int locked)
{
    struct diag err = DIAG_INIT;
    size_t got = 0;

    if (locked)
        pthread_mutex_unlock(&z->mu);
    if (*stream == STREAM_MORE)
        *stream = z->zstd ? fill_zstd(z, z->req_buf, z->req_cap, &got, &err)
                          : fill_plain(z, z->req_buf, z->req_cap, &got, &err);
    if (locked)
        pthread_mutex_lock(&z->mu);
    if (*stream == STREAM_ERR && err.rc != RC_OK)
        z->err = err;
    z->req_got = got;
    z->stream = *stream;
    z->req_raw_in = z->zstd ? z->raw_total - (z->raw_len - z->raw_pos)
                            : z->raw_total;
    z->req = REQ_DONE;
}

static void *
worker(void *arg)
{
    struct zin *z = arg;
    int stream = STREAM_MORE;

    pthread_mutex_lock(&z->mu);
    for (;;) {
        while (!z->stop && z->req != REQ_PENDING)
            pthread_cond_wait(&z->cv, &z->mu);
        if (z->stop)
            break;
        serve(z, &stream, 1);
        pthread_cond_broadcast(&z->cv);
    }
    pthread_mutex_unlock(&z->mu);
    return NULL;
}

int
zin_open(const char *path, struct zin **out, struct diag *d)
{
    struct zin *z = xcalloc(1, sizeof *z);
    int want_zstd = ends_with(path, ".zst");

    *out = NULL;
    z->path = xstrdup(path);
    if (strcmp(path, "-") == 0) {
        z->fd = STDIN_FILENO;
    } else {
        z->fd = open(path, O_RDONLY);
        if (z->fd < 0) {
            diag_errno(d, errno == ENOENT ? RC_NOINPUT : RC_IO,
                       "%s: cannot open", path);
            free(z->path);
            free(z);
            return -1;
        }
    }
    /* Peek at the magic; the peeked bytes stay in raw for either mode. */
    z->raw = xmalloc(ZIN_RAW);
    if (raw_fill(z, 4, d) < 0) {
        zin_close(z);
        return -1;
    }
    z->zstd = is_zstd_magic(z->raw, z->raw_len);
    if (want_zstd && !z->zstd) {
        diag_set(d, RC_DATA, "%s: not a zstd file (bad magic)", path);
        zin_close(z);
        return -1;
    }
    if (z->zstd) {
        const ZSTD_customMem mem = { xmem_zstd_alloc, xmem_zstd_free,
                                     NULL };

        z->dctx = ZSTD_createDCtx_advanced(mem);
        if (z->dctx == NULL) {
            diag_set(d, RC_INTERNAL, "%s: cannot create zstd context",
                     path);
            zin_close(z);
            return -1;
        }
    }
    pthread_mutex_init(&z->mu, NULL);
    pthread_cond_init(&z->cv, NULL);
    /* without a thread, zin_read fills on the caller's thread */
    z->started = bgthread_start(&z->thread, worker, z) == 0;
    if (!z->started) {
        pthread_mutex_destroy(&z->mu);
        pthread_cond_destroy(&z->cv);
    }
    z->inline_stream = STREAM_MORE;
    *out = z;
    return 0;
}

void
zin_start(struct zin *z, void *buf, size_t cap)
{
    if (!z->started)
        return;             /* no thread: zin_read does the work */
    pthread_mutex_lock(&z->mu);
    if (z->req == REQ_NONE && !z->done && cap > 0) {
        z->req_buf = buf;
        z->req_cap = cap;
        z->req = REQ_PENDING;
        pthread_cond_broadcast(&z->cv);
    }
    pthread_mutex_unlock(&z->mu);
}

int
zin_read(struct zin *z, void *buf, size_t cap, size_t *got, struct diag *d)
{
    size_t n;
    int stream;

    *got = 0;
    if (z->done || cap == 0)
        return 0;
    if (!z->started) {
        z->req_buf = buf;
        z->req_cap = cap;
        serve(z, &z->inline_stream, 0);
    } else {
        pthread_mutex_lock(&z->mu);
        if (z->req == REQ_NONE) {
            z->req_buf = buf;
            z->req_cap = cap;
            z->req = REQ_PENDING;
            pthread_cond_broadcast(&z->cv);
        }
        while (z->req != REQ_DONE)
            pthread_cond_wait(&z->cv, &z->mu);
    }
    n = z->req_got;
    stream = z->stream;
    z->bytes_in = z->req_raw_in;
    z->req = REQ_NONE;
    if (z->started)
        pthread_mutex_unlock(&z->mu);
    /* zin_start's buffer is the caller's next one; should the caller read
     * elsewhere after all, the bytes move there */
    if (z->req_buf != (unsigned char *)buf) {
        if (n > cap)
            n = cap;        /* not reached: callers read where they said */
        memmove(buf, z->req_buf, n);
    }
    if (n > 0) {
        *got = n;
        return 0;           /* an error after these bytes comes next call */
    }
    z->done = 1;
    if (stream == STREAM_ERR) {
        if (d != NULL)
            *d = z->err;
        return -1;
    }
    return 0;
}

uint64_t
zin_bytes_in(const struct zin *z)
{
    return z->bytes_in;
}

int
zin_is_zstd(const struct zin *z)
{
    return z->zstd;
}

const char *
zin_path(const struct zin *z)
{
    return z->path;
}

void
zin_close(struct zin *z)
{
    if (z == NULL)
        return;
    if (z->started) {
        pthread_mutex_lock(&z->mu);
        z->stop = 1;
        pthread_cond_broadcast(&z->cv);
        pthread_mutex_unlock(&z->mu);
        bgthread_join(&z->thread);
        pthread_mutex_destroy(&z->mu);
        pthread_cond_destroy(&z->cv);
    }
    ZSTD_freeDCtx(z->dctx);
    if (z->fd > STDIN_FILENO)
        close(z->fd);
    free(z->raw);
    free(z->path);
    free(z);
}
