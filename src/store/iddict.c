/*
 * iddict.c -- external string ids to dense uint32_t indices (iddict.h).
 *
 * Names live back to back, each NUL-terminated, in one growable arena;
 * off[i] is where name i starts, so off[i + 1] - off[i] - 1 is its length.
 * The hash table is open addressing with linear probing over a power-of-two
 * array of 16-byte slots, kept at most half full.  Nothing is ever removed,
 * so no tombstones are needed.
 *
 * A lookup in a dictionary of millions of ids misses the CPU caches, so a
 * slot carries what a probe needs to decide without touching anything
 * else: the index, a tag (24 bits of the hash that did not pick the slot,
 * and the length, saturated at 255) and the id's first 8 bytes (zero
 * padded).  For ids of at most 8 bytes, the usual case, a tag and word
 * match is an exact match: one cache line per lookup, and
 * iddict_prefetch can fetch it ahead.  Longer ids are compared in the
 * arena after a tag and word match.  Growth walks the old table in slot
 * order (see rehash).
 *
 * File payload (inside a binfile, magic "\x89DRIDICT", version 1):
 *
 *   OFFSET   SIZE   TYPE      FIELD
 *        0      4   u32       n, the number of ids
 *        4      8   u64       total bytes of the names (no terminators)
 *       12     4n   u32[n]    length of id i (1..IDDICT_MAX_ID_LEN)
 *    12+4n      .   u8[]      the ids in index order, back to back
 *
 * Integers little-endian.  Index i of the file is index i in memory.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "binfile.h"
#include "byteio.h"
#include "iddict.h"
#include "xmem.h"

#define IDDICT_VERSION 1
static const char IDDICT_MAGIC[BINFILE_MAGIC_SIZE] = {
    '\x89', 'D', 'R', 'I', 'D', 'I', 'C', 'T'
};

struct slot {
    uint64_t word;          /* the id's first 8 bytes, zero padded */
    uint32_t idx;           /* IDDICT_NONE: empty */
    uint32_t tag;           /* hash bits 40..63, length (<= 255) */
};

struct iddict {
    uint32_t n;             /* ids held */
    size_t   cap;           /* capacity of off (n + 1 used) */
    size_t  *off;           /* n + 1: start of name i in arena */
    char    *arena;         /* names, each NUL-terminated */
    size_t   arena_cap;
    struct slot *slots;     /* mask + 1 */
    size_t   mask;          /* nslots - 1 */
};

/*
 * A 64-bit multiply-xorshift hash over 8-byte words (in the manner of
 * wyhash/murmur finalisers); ids are short, so this is a handful of
 * multiplications per lookup.  The low bits pick the slot, the high bits
 * make the tag.
 */
/*
 * The last n % 8 bytes (1..7) of an id as a little-endian word, zero
 * padded: what memcpy into a zeroed word gives, without the byte loop
 * and the stalled reload of a partly written word that a variable-length
 * memcpy compiles to (a third of a lookup's time).  Overlapping loads
 * carry the same bytes, so OR-ing them is exact.
 */
static inline uint64_t
tail_word(const unsigned char *p, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 4) {
        uint32_t lo, hi;

        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
    }
    return (uint64_t)p[0] | (uint64_t)p[n / 2] << (8 * (n / 2))
         | (uint64_t)p[n - 1] << (8 * (n - 1));
#else
    uint64_t w = 0;

    memcpy(&w, p, n);
    return w;
#endif
}

static uint64_t
hash_bytes(const char *s, size_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = 0x243f6a8885a308d3ull ^ (n * k);
    const unsigned char *p = (const unsigned char *)s;

    while (n >= 8) {
        uint64_t w;

        memcpy(&w, p, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        h = (h ^ tail_word(p, n)) * k;
        h ^= h >> 29;
    }
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

static uint32_t
make_tag(uint64_t h, size_t n)
{
    return ((uint32_t)(h >> 32) & ~0xffu) | (uint32_t)(n < 255 ? n : 255);
}

static uint64_t
first_word(const char *s, size_t n)
{
    uint64_t w;

    if (n >= 8) {
        memcpy(&w, s, 8);
        return w;
    }
    return n > 0 ? tail_word((const unsigned char *)s, n) : 0;
}

/*
 * The slot table of a large dictionary spans tens of MB touched at random:
 * on 4 KiB pages nearly every lookup also misses the TLB.  Ask for
 * transparent huge pages (a hint; without them it only costs speed).
 */
static struct slot *
slots_new(size_t nslots)
{
    const size_t huge = 2u << 20;
    size_t bytes;
    void *p = NULL;
    struct slot *sl;

    bytes = nslots * sizeof *sl;    /* nslots <= 2^33: no overflow */
    if (bytes < huge || posix_memalign(&p, huge, bytes) != 0)
        p = xreallocarray(NULL, nslots, sizeof *sl);
#ifdef MADV_HUGEPAGE
    else
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
    sl = p;
    for (size_t i = 0; i < nslots; i++) {
        sl[i].word = 0;
        sl[i].idx = IDDICT_NONE;
        sl[i].tag = 0;
    }
    return sl;
}

struct iddict *
iddict_new(void)
{
    struct iddict *dict = xcalloc(1, sizeof *dict);

    dict->cap = 16;
    dict->off = xmalloc(dict->cap * sizeof *dict->off);
    dict->off[0] = 0;
    dict->arena_cap = 256;
    dict->arena = xmalloc(dict->arena_cap);
    dict->mask = 31;
    dict->slots = slots_new(dict->mask + 1);
    return dict;
}

void
iddict_free(struct iddict *dict)
{
    if (dict == NULL)
        return;
    free(dict->off);
    free(dict->arena);
    free(dict->slots);
    free(dict);
}

uint32_t
iddict_count(const struct iddict *dict)
{
    return dict->n;
}

/* The slot holding s (its index), or the empty slot where it would go;
 * h is its hash, word its first_word. */
static size_t
probe_word(const struct iddict *dict, const char *s, size_t n, uint64_t h,
           uint64_t word)
{
    size_t i = (size_t)h & dict->mask;
    uint32_t tag = make_tag(h, n);

    for (;;) {
        const struct slot *sl = &dict->slots[i];

        if (sl->idx == IDDICT_NONE)
            return i;
        if (sl->tag == tag && sl->word == word) {
            size_t o;

            if (n <= 8)
                return i;   /* tag holds the length, word the bytes */
            o = dict->off[sl->idx];
            if (dict->off[sl->idx + 1] - o - 1 == n
                && memcmp(dict->arena + o + 8, s + 8, n - 8) == 0)
                return i;
        }
        i = (i + 1) & dict->mask;
    }
}

static size_t
probe(const struct iddict *dict, const char *s, size_t n, uint64_t h)
{
    return probe_word(dict, s, n, h, first_word(s, n));
}

/*
 * Rebuild the slot table with nslots slots (a power of two).  Walks the
 * old table in slot order: a slot's new position is its hash's low bits,
 * so the writes advance through the new table almost in order, and ids of
 * at most 8 bytes are re-hashed from the slot's word without touching the
 * arena.
 */
static void
rehash(struct iddict *dict, size_t nslots)
{
    struct slot *old = dict->slots;
    size_t old_n = dict->mask + 1;

    dict->slots = slots_new(nslots);
    dict->mask = nslots - 1;
    for (size_t k = 0; k < old_n; k++) {
        const struct slot *o = &old[k];
        size_t n = o->tag & 0xff, i;
        uint64_t h;

        if (o->idx == IDDICT_NONE)
            continue;
        if (n <= 8) {
            h = hash_bytes((const char *)&o->word, n);
        } else {
            n = dict->off[o->idx + 1] - dict->off[o->idx] - 1;
            h = hash_bytes(dict->arena + dict->off[o->idx], n);
        }
        i = (size_t)h & dict->mask;
        while (dict->slots[i].idx != IDDICT_NONE)
            i = (i + 1) & dict->mask;
        dict->slots[i] = *o;
    }
    free(old);
}

/* Room for n ids of `bytes` name bytes in all, without regrowth. */
static void
reserve(struct iddict *dict, uint32_t n, size_t bytes)
{
    size_t nslots = dict->mask + 1;

    dict->off = xreallocarray(dict->off, (size_t)n + 2, sizeof *dict->off);
    dict->cap = (size_t)n + 2;
    dict->arena = xrealloc(dict->arena, bytes + n + 1);
    dict->arena_cap = bytes + n + 1;
    while (nslots < (size_t)n * 2 + 2)
        nslots *= 2;
    if (nslots != dict->mask + 1)
        rehash(dict, nslots);
}

uint32_t
iddict_find(const struct iddict *dict, const char *s, size_t n)
{
    return dict->slots[probe(dict, s, n, hash_bytes(s, n))].idx;
}

/*
 * The queries are put in slot order by one counting-sort pass on the top
 * bits of their slot (a bucket spans a few cache lines), so the probes
 * sweep the table from front to back.  Below QUERY_SORT_MIN queries, or
 * for a table that fits the caches, the order is left as it is.
 */
#define QUERY_SORT_MIN 4096
#define QUERY_SORT_TABLE (1u << 20)     /* bytes of slots */
#define QUERY_AHEAD 16                  /* probes prefetched ahead */

/* A query taken out of its place: its hash and first word are read from
 * the id once, in query order, so the probes in slot order touch only the
 * table (and the id again only when it is longer than 8 bytes). */
struct pending {
    uint64_t h, word;
    uint32_t q, n;              /* the query's position, the id's length */
};

void
iddict_find_many(const struct iddict *dict, struct iddict_query *q, size_t n)
{
    size_t nslots = dict->mask + 1, nbuckets = 1, i;
    unsigned shift = 0;
    struct pending *p;
    size_t *start;
    long k;

    if (n < QUERY_SORT_MIN || n > UINT32_MAX
        || nslots * sizeof *dict->slots < QUERY_SORT_TABLE) {
        for (i = 0; i < n; i++)
            q[i].idx = iddict_find(dict, q[i].s, q[i].n);
        return;
    }
    /* about 4 queries a bucket, and never fewer than 4 slots a bucket */
    while (nbuckets * 4 < n && nbuckets * 4 < nslots)
        nbuckets *= 2;
    while ((nslots >> shift) > nbuckets)
        shift++;
    p = xmalloc(n * sizeof *p);
    start = xcalloc(nbuckets + 1, sizeof *start);
    for (k = 0; k < (long)n; k++) {
        p[k].h = hash_bytes(q[k].s, q[k].n);
        p[k].word = first_word(q[k].s, q[k].n);
        p[k].q = (uint32_t)k;
        p[k].n = (uint32_t)q[k].n;
    }
    {
        struct pending *sorted = xmalloc(n * sizeof *sorted);

        for (i = 0; i < n; i++)
            start[((p[i].h & dict->mask) >> shift) + 1]++;
        for (i = 0; i < nbuckets; i++)
            start[i + 1] += start[i];
        for (i = 0; i < n; i++)
            sorted[start[(p[i].h & dict->mask) >> shift]++] = p[i];
        free(p);
        p = sorted;
    }
    for (k = 0; k < (long)n; k++) {
        const struct pending *e = &p[k];

        if (k + QUERY_AHEAD < (long)n)
            __builtin_prefetch(&dict->slots[p[k + QUERY_AHEAD].h
                                            & dict->mask]);
        /* q[e->q].s is read only for ids longer than 8 bytes */
        q[e->q].idx = dict->slots[probe_word(dict, q[e->q].s, e->n, e->h,
                                             e->word)].idx;
    }
    free(start);
    free(p);
}

void
iddict_prefetch(const struct iddict *dict, const char *s, size_t n)
{
    __builtin_prefetch(&dict->slots[(size_t)hash_bytes(s, n) & dict->mask]);
}

uint32_t
iddict_add(struct iddict *dict, const char *s, size_t n)
{
    uint64_t h = hash_bytes(s, n);
    size_t i = probe(dict, s, n, h), start;
    uint32_t idx;

    if (dict->slots[i].idx != IDDICT_NONE)
        return dict->slots[i].idx;
    assert(dict->n < IDDICT_NONE - 1);
    idx = dict->n;
    if (idx + 2 > dict->cap)
        dict->off = xgrow_big(dict->off, &dict->cap, idx + 2,
                              sizeof *dict->off);
    start = dict->off[idx];
    dict->arena = xgrow_big(dict->arena, &dict->arena_cap, start + n + 1, 1);
    memcpy(dict->arena + start, s, n);
    dict->arena[start + n] = '\0';
    dict->off[idx + 1] = start + n + 1;
    dict->slots[i].word = first_word(s, n);
    dict->slots[i].idx = idx;
    dict->slots[i].tag = make_tag(h, n);
    dict->n++;
    if ((size_t)dict->n * 2 > dict->mask + 1)
        rehash(dict, (dict->mask + 1) * 2);
    return idx;
}

const char *
iddict_name(const struct iddict *dict, uint32_t idx)
{
    assert(idx < dict->n);
    return dict->arena + dict->off[idx];
}

int
iddict_save(const struct iddict *dict, const char *path, struct diag *d)
{
    struct bbuf b = BBUF_INIT;
    int rc;

    bbuf_reserve(&b, 12 + (size_t)dict->n * 4 + dict->off[dict->n] - dict->n);
    bbuf_put_le32(&b, dict->n);
    bbuf_put_le64(&b, dict->off[dict->n] - dict->n);
    for (uint32_t i = 0; i < dict->n; i++)
        bbuf_put_le32(&b, (uint32_t)(dict->off[i + 1] - dict->off[i] - 1));
    for (uint32_t i = 0; i < dict->n; i++)
        bbuf_put(&b, dict->arena + dict->off[i],
                 dict->off[i + 1] - dict->off[i] - 1);
    rc = binfile_save(path, IDDICT_MAGIC, IDDICT_VERSION, b.p, b.len, 3, d);
    bbuf_release(&b);
    return rc;
}

int
iddict_load(const char *path, struct iddict **out, struct diag *d)
{
    void *payload;
    size_t len, names_off, pos;
    struct bcur c;
    struct iddict *dict = NULL;
    uint32_t n;
    uint64_t total;
    const unsigned char *lens, *names;

    *out = NULL;
    if (binfile_load(path, IDDICT_MAGIC, IDDICT_VERSION, &payload, &len,
                     d) < 0)
        return -1;
    bcur_init(&c, payload, len);
    n = bcur_get_le32(&c);
    total = bcur_get_le64(&c);
    if (!bcur_ok(&c) || n == IDDICT_NONE || n > (len - 12) / 4
        || total != len - 12 - (uint64_t)n * 4) {
        diag_set(d, RC_DATA, "%s: offset 0: inconsistent id count %u and "
                 "name bytes %llu for a %zu-byte payload", path, n,
                 (unsigned long long)total, len);
        goto fail;
    }
    lens = (const unsigned char *)payload + 12;
    names_off = 12 + (size_t)n * 4;
    names = (const unsigned char *)payload + names_off;
    dict = iddict_new();
    reserve(dict, n, (size_t)total);
    pos = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l = get_le32(lens + 4 * (size_t)i);
        const char *s = (const char *)names + pos;

        if (l == 0 || l > IDDICT_MAX_ID_LEN || l > total - pos) {
            diag_set(d, RC_DATA, "%s: offset %zu: bad length %u of id %u",
                     path, (size_t)12 + 4 * (size_t)i, l, i);
            goto fail;
        }
        if (memchr(s, '\0', l) != NULL) {
            diag_set(d, RC_DATA, "%s: offset %zu: NUL byte in id %u", path,
                     names_off + pos, i);
            goto fail;
        }
        if (iddict_add(dict, s, l) != i) {
            diag_set(d, RC_DATA, "%s: offset %zu: duplicate id '%.*s'",
                     path, names_off + pos, (int)(l > 64 ? 64 : l), s);
            goto fail;
        }
        pos += l;
    }
    if (pos != total) {
        diag_set(d, RC_DATA, "%s: offset %zu: %llu trailing bytes after the "
                 "last id", path, names_off + pos,
                 (unsigned long long)(total - pos));
        goto fail;
    }
    free(payload);
    *out = dict;
    return 0;
fail:
    iddict_free(dict);
    free(payload);
    return -1;
}
