/*
 * byteio.h -- little-endian encoding into growable buffers and bounds-checked
 * decoding out of them.
 *
 * Every binary file of dualrec is built as a `struct bbuf` with the put_*
 * functions and read back through a `struct bcur` with the get_* functions;
 * no struct is ever written with fwrite, so files are the same bytes on
 * every host.  Integers are little-endian; floats are IEEE-754 binary32/64
 * little-endian.
 *
 * A bcur never reads past its end: a short read sets cur->bad, returns 0 and
 * leaves the cursor at the end, so a decoder can read a whole record and
 * check bcur_ok() once (the style of redis' rioRead checks, batched).
 */
#ifndef DUALREC_BYTEIO_H
#define DUALREC_BYTEIO_H

#include <stddef.h>
#include <stdint.h>

struct bbuf {
    unsigned char *p;   /* owned; NULL when empty */
    size_t len;
    size_t cap;
};

#define BBUF_INIT { NULL, 0, 0 }

void bbuf_release(struct bbuf *b);
/* Ensure room for n more bytes; returns a pointer to the first free byte. */
unsigned char *bbuf_reserve(struct bbuf *b, size_t n);
void bbuf_put(struct bbuf *b, const void *src, size_t n);
void bbuf_put_u8(struct bbuf *b, uint8_t v);
void bbuf_put_le16(struct bbuf *b, uint16_t v);
void bbuf_put_le32(struct bbuf *b, uint32_t v);
void bbuf_put_le64(struct bbuf *b, uint64_t v);
void bbuf_put_f32(struct bbuf *b, float v);
void bbuf_put_f64(struct bbuf *b, double v);
/* n floats, each binary32 LE (a memcpy on little-endian hosts). */
void bbuf_put_f32v(struct bbuf *b, const float *v, size_t n);
void bbuf_put_le32v(struct bbuf *b, const uint32_t *v, size_t n);
/* A string as u32 length + bytes (no terminator). */
void bbuf_put_str(struct bbuf *b, const char *s);

struct bcur {
    const unsigned char *p;
    size_t len;
    size_t off;
    int bad;            /* set by any read past the end */
};

void bcur_init(struct bcur *c, const void *p, size_t len);
static inline int bcur_ok(const struct bcur *c) { return !c->bad; }
static inline size_t bcur_left(const struct bcur *c) { return c->len - c->off; }
/* Pointer to the next n bytes and advance, or NULL (and bad) when short. */
const void *bcur_take(struct bcur *c, size_t n);
uint8_t  bcur_get_u8(struct bcur *c);
uint16_t bcur_get_le16(struct bcur *c);
uint32_t bcur_get_le32(struct bcur *c);
uint64_t bcur_get_le64(struct bcur *c);
float    bcur_get_f32(struct bcur *c);
double   bcur_get_f64(struct bcur *c);
/* Read n floats into dst; returns 0, or -1 (and bad) when short. */
int bcur_get_f32v(struct bcur *c, float *dst, size_t n);
int bcur_get_le32v(struct bcur *c, uint32_t *dst, size_t n);
/* A u32-length string, copied into a new xmalloc'd NUL-terminated buffer;
 * NULL when short. Caller frees. */
char *bcur_get_str(struct bcur *c);

/* Raw little-endian helpers on memory. */
static inline void
put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t
get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16
         | (uint32_t)p[3] << 24;
}

static inline void
put_le64(unsigned char *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t
get_le64(const unsigned char *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/*
 * A 64-bit checksum of n bytes (four-lane multiply-rotate, in the manner of
 * xxHash64; not cryptographic).  Same value on every host.
 */
uint64_t checksum64(const void *p, size_t n, uint64_t seed);

#endif
