/*
 * zin.c -- plain / zstd / stdin byte streams for the log readers (zin.h).
 *
 * Plain input is read straight into the caller's buffer.  zstd input is
 * decompressed by one helper thread into a ring of ZIN_NSLOT buffers of
 * ZIN_BLOCK bytes: the thread fills slot i while the caller drains slot
 * i - 1, so decompression overlaps parsing.  Only the thread touches the
 * file descriptor and the zstd context after open; the caller only reads
 * published slots.  A slot carries its data and, after the data, how the
 * stream went on: more data, end of stream, or an error (whose diag the
 * caller returns once it has drained the bytes before it).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "xmem.h"
#include "zin.h"

#define ZIN_NSLOT   3
#define ZIN_RAW     (1u << 20)      /* compressed bytes per read() */

enum slot_state { SLOT_MORE, SLOT_EOF, SLOT_ERR };

struct slot {
    unsigned char *buf;
    size_t len;
    int state;              /* enum slot_state, valid once published */
    uint64_t raw_in;        /* file bytes consumed when it was published */
    struct diag err;        /* when state == SLOT_ERR */
};

struct zin {
    char *path;
    int fd;
    int zstd;
    uint64_t bytes_in;

    /* zstd only: input buffer (owned by the thread after open) */
    ZSTD_DCtx *dctx;
    unsigned char *raw;
    size_t raw_pos, raw_len;
    int raw_eof;
    size_t last_ret;        /* ZSTD_decompressStream's last hint */
    uint64_t raw_total;

    /* the ring */
    struct slot slot[ZIN_NSLOT];
    unsigned n_full, wi, ri;
    size_t rpos;            /* read position in slot[ri] */
    int stop, started, done;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_data, cv_space;
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

/*
 * Decompress into s until it is full or the stream ends.  Runs on the
 * helper thread.
 */
static void
fill_slot(struct zin *z, struct slot *s)
{
    s->len = 0;
    s->state = SLOT_MORE;
    while (s->len < ZIN_BLOCK) {
        ZSTD_inBuffer in;
        ZSTD_outBuffer out = { s->buf, ZIN_BLOCK, s->len };
        size_t ret;

        if (z->raw_pos == z->raw_len) {
            z->raw_pos = z->raw_len = 0;
            if (raw_fill(z, 1, &s->err) < 0) {
                s->state = SLOT_ERR;
                return;
            }
            if (z->raw_len == 0) {
                if (z->last_ret != 0) {
                    diag_set(&s->err, RC_DATA,
                             "%s: truncated zstd frame (input ends at "
                             "offset %llu)", z->path,
                             (unsigned long long)z->raw_total);
                    s->state = SLOT_ERR;
                } else {
                    s->state = SLOT_EOF;
                }
                return;
            }
        }
        in.src = z->raw;
        in.size = z->raw_len;
        in.pos = z->raw_pos;
        ret = ZSTD_decompressStream(z->dctx, &out, &in);
        if (ZSTD_isError(ret)) {
            diag_set(&s->err, RC_DATA,
                     "%s: corrupt zstd data near offset %llu: %s", z->path,
                     (unsigned long long)(z->raw_total - z->raw_len
                                          + in.pos),
                     ZSTD_getErrorName(ret));
            s->state = SLOT_ERR;
            return;
        }
        z->raw_pos = in.pos;
        z->last_ret = ret;
        s->len = out.pos;
    }
}

static void *
worker(void *arg)
{
    struct zin *z = arg;

    for (;;) {
        struct slot *s;
        int state;

        pthread_mutex_lock(&z->mu);
        while (z->n_full == ZIN_NSLOT && !z->stop)
            pthread_cond_wait(&z->cv_space, &z->mu);
        if (z->stop) {
            pthread_mutex_unlock(&z->mu);
            break;
        }
        s = &z->slot[z->wi];
        pthread_mutex_unlock(&z->mu);

        fill_slot(z, s);
        state = s->state;
        s->raw_in = z->raw_total - (z->raw_len - z->raw_pos);

        pthread_mutex_lock(&z->mu);
        z->n_full++;
        z->wi = (z->wi + 1) % ZIN_NSLOT;
        pthread_cond_signal(&z->cv_data);
        pthread_mutex_unlock(&z->mu);
        if (state != SLOT_MORE)
            break;
    }
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
        unsigned i;

        z->dctx = ZSTD_createDCtx();
        if (z->dctx == NULL) {
            diag_set(d, RC_INTERNAL, "%s: cannot create zstd context",
                     path);
            zin_close(z);
            return -1;
        }
        for (i = 0; i < ZIN_NSLOT; i++)
            z->slot[i].buf = xmalloc(ZIN_BLOCK);
        pthread_mutex_init(&z->mu, NULL);
        pthread_cond_init(&z->cv_data, NULL);
        pthread_cond_init(&z->cv_space, NULL);
        if (pthread_create(&z->thread, NULL, worker, z) != 0) {
            diag_set(d, RC_INTERNAL, "%s: cannot start reader thread",
                     path);
            pthread_mutex_destroy(&z->mu);
            pthread_cond_destroy(&z->cv_data);
            pthread_cond_destroy(&z->cv_space);
            zin_close(z);
            return -1;
        }
        z->started = 1;
    }
    *out = z;
    return 0;
}

static int
read_plain(struct zin *z, unsigned char *buf, size_t cap, size_t *got,
           struct diag *d)
{
    size_t n = 0;

    /* first hand out what the magic peek left in raw */
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
            return diag_errno(d, RC_IO, "%s: read failed", z->path);
        }
        if (r == 0)
            z->raw_eof = 1;
        n += (size_t)r;
        z->raw_total += (uint64_t)r;
    }
    z->bytes_in = z->raw_total;
    *got = n;
    return 0;
}

int
zin_read(struct zin *z, void *buf, size_t cap, size_t *got,
         struct diag *d)
{
    unsigned char *dst = buf;
    size_t n = 0;

    *got = 0;
    if (!z->zstd)
        return read_plain(z, dst, cap, got, d);
    while (n < cap && !z->done) {
        struct slot *s;

        pthread_mutex_lock(&z->mu);
        while (z->n_full == 0)
            pthread_cond_wait(&z->cv_data, &z->mu);
        pthread_mutex_unlock(&z->mu);
        s = &z->slot[z->ri];
        if (z->rpos < s->len) {
            size_t k = s->len - z->rpos;

            if (k > cap - n)
                k = cap - n;
            memcpy(dst + n, s->buf + z->rpos, k);
            z->rpos += k;
            n += k;
            continue;
        }
        z->bytes_in = s->raw_in;
        if (s->state == SLOT_ERR) {
            if (d != NULL)
                *d = s->err;
            z->done = 1;
            return -1;
        }
        if (s->state == SLOT_EOF) {
            z->done = 1;
            break;
        }
        pthread_mutex_lock(&z->mu);
        z->n_full--;
        z->ri = (z->ri + 1) % ZIN_NSLOT;
        z->rpos = 0;
        pthread_cond_signal(&z->cv_space);
        pthread_mutex_unlock(&z->mu);
    }
    *got = n;
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
    unsigned i;

    if (z == NULL)
        return;
    if (z->started) {
        pthread_mutex_lock(&z->mu);
        z->stop = 1;
        pthread_cond_broadcast(&z->cv_space);
        pthread_mutex_unlock(&z->mu);
        pthread_join(z->thread, NULL);
        pthread_mutex_destroy(&z->mu);
        pthread_cond_destroy(&z->cv_data);
        pthread_cond_destroy(&z->cv_space);
    }
    for (i = 0; i < ZIN_NSLOT; i++)
        free(z->slot[i].buf);
    ZSTD_freeDCtx(z->dctx);
    if (z->fd > STDIN_FILENO)
        close(z->fd);
    free(z->raw);
    free(z->path);
    free(z);
}
