/*
 * byteio.c -- little-endian buffers and cursors (see byteio.h), and the
 * payload checksum every binary file carries in its header.
 */
#include <stdlib.h>
#include <string.h>

#include "byteio.h"
#include "xmem.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1
#else
#define HOST_LE 0
#endif

void
bbuf_release(struct bbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

unsigned char *
bbuf_reserve(struct bbuf *b, size_t n)
{
    b->p = xgrow_big(b->p, &b->cap, b->len + n, 1);
    return b->p + b->len;
}

void
bbuf_put(struct bbuf *b, const void *src, size_t n)
{
    if (n == 0)
        return;
    memcpy(bbuf_reserve(b, n), src, n);
    b->len += n;
}

void
bbuf_put_u8(struct bbuf *b, uint8_t v)
{
    bbuf_put(b, &v, 1);
}

void
bbuf_put_le16(struct bbuf *b, uint16_t v)
{
    unsigned char t[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

    bbuf_put(b, t, 2);
}

void
bbuf_put_le32(struct bbuf *b, uint32_t v)
{
    put_le32(bbuf_reserve(b, 4), v);
    b->len += 4;
}

void
bbuf_put_le64(struct bbuf *b, uint64_t v)
{
    put_le64(bbuf_reserve(b, 8), v);
    b->len += 8;
}

void
bbuf_put_f32(struct bbuf *b, float v)
{
    uint32_t u;

    memcpy(&u, &v, 4);
    bbuf_put_le32(b, u);
}

void
bbuf_put_f64(struct bbuf *b, double v)
{
    uint64_t u;

    memcpy(&u, &v, 8);
    bbuf_put_le64(b, u);
}

void
bbuf_put_f32v(struct bbuf *b, const float *v, size_t n)
{
    if (HOST_LE) {
        bbuf_put(b, v, n * 4);
        return;
    }
    for (size_t i = 0; i < n; i++)
        bbuf_put_f32(b, v[i]);
}

void
bbuf_put_le32v(struct bbuf *b, const uint32_t *v, size_t n)
{
    if (HOST_LE) {
        bbuf_put(b, v, n * 4);
        return;
    }
    for (size_t i = 0; i < n; i++)
        bbuf_put_le32(b, v[i]);
}

void
bbuf_put_str(struct bbuf *b, const char *s)
{
    size_t n = strlen(s);

    bbuf_put_le32(b, (uint32_t)n);
    bbuf_put(b, s, n);
}

void
bcur_init(struct bcur *c, const void *p, size_t len)
{
    c->p = p;
    c->len = len;
    c->off = 0;
    c->bad = 0;
}

const void *
bcur_take(struct bcur *c, size_t n)
{
    const unsigned char *r;

    if (c->bad || n > c->len - c->off) {
        c->bad = 1;
        c->off = c->len;
        return NULL;
    }
    r = c->p + c->off;
    c->off += n;
    return r;
}

uint8_t
bcur_get_u8(struct bcur *c)
{
    const unsigned char *p = bcur_take(c, 1);

    return p ? p[0] : 0;
}

uint16_t
bcur_get_le16(struct bcur *c)
{
    const unsigned char *p = bcur_take(c, 2);

    return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

uint32_t
bcur_get_le32(struct bcur *c)
{
    const unsigned char *p = bcur_take(c, 4);

    return p ? get_le32(p) : 0;
}

uint64_t
bcur_get_le64(struct bcur *c)
{
    const unsigned char *p = bcur_take(c, 8);

    return p ? get_le64(p) : 0;
}

float
bcur_get_f32(struct bcur *c)
{
    uint32_t u = bcur_get_le32(c);
    float v;

    memcpy(&v, &u, 4);
    return v;
}

double
bcur_get_f64(struct bcur *c)
{
    uint64_t u = bcur_get_le64(c);
    double v;

    memcpy(&v, &u, 8);
    return v;
}

int
bcur_get_f32v(struct bcur *c, float *dst, size_t n)
{
    const unsigned char *p;

    if (n > SIZE_MAX / 4 || (p = bcur_take(c, n * 4)) == NULL)
        return -1;
    if (HOST_LE) {
        memcpy(dst, p, n * 4);
    } else {
        for (size_t i = 0; i < n; i++) {
            uint32_t u = get_le32(p + 4 * i);
            memcpy(&dst[i], &u, 4);
        }
    }
    return 0;
}

int
bcur_get_le32v(struct bcur *c, uint32_t *dst, size_t n)
{
    const unsigned char *p;

    if (n > SIZE_MAX / 4 || (p = bcur_take(c, n * 4)) == NULL)
        return -1;
    if (HOST_LE) {
        memcpy(dst, p, n * 4);
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = get_le32(p + 4 * i);
    }
    return 0;
}

char *
bcur_get_str(struct bcur *c)
{
    uint32_t n = bcur_get_le32(c);
    const char *p = bcur_take(c, n);

    return p ? xstrndup(p, n) : NULL;
}

/*
 * Four independent lanes of 64-bit multiply-rotate over 32-byte stripes,
 * then the tail, then an avalanche.  Lanes keep the multiplier latency off
 * the critical path; the constants are the usual 64-bit primes.
 */
#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t
rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t
round64(uint64_t acc, uint64_t in)
{
    acc += in * P2;
    acc = rotl64(acc, 31);
    return acc * P1;
}

uint64_t
checksum64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data, *end = p + n;
    uint64_t h;

    if (n >= 32) {
        uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed,
                 v4 = seed - P1;
        const unsigned char *limit = end - 32;

        do {
            v1 = round64(v1, get_le64(p));
            v2 = round64(v2, get_le64(p + 8));
            v3 = round64(v3, get_le64(p + 16));
            v4 = round64(v4, get_le64(p + 24));
            p += 32;
        } while (p <= limit);
        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = (h ^ round64(0, v1)) * P1 + P4;
        h = (h ^ round64(0, v2)) * P1 + P4;
        h = (h ^ round64(0, v3)) * P1 + P4;
        h = (h ^ round64(0, v4)) * P1 + P4;
    } else {
        h = seed + P5;
    }
    h += (uint64_t)n;
    for (; p + 8 <= end; p += 8)
        h = rotl64(h ^ round64(0, get_le64(p)), 27) * P1 + P4;
    if (p + 4 <= end) {
        h = rotl64(h ^ ((uint64_t)get_le32(p) * P1), 23) * P2 + P3;
        p += 4;
    }
    for (; p < end; p++)
        h = rotl64(h ^ (*p * P5), 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}
