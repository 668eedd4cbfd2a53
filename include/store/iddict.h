/*
 * iddict.h -- external string ids to dense uint32_t indices.
 *
 * Users, items, creators and tags arrive as arbitrary strings; every stage
 * after ingest works on dense indices 0..n-1.  A dictionary only grows: an
 * id keeps its index forever, new ids are appended, so day segments written
 * on different days agree on every index (ingest keeps one dictionary per
 * kind under <segments>/dict/).  Lookups are O(1) (open addressing); names
 * are stored once in an arena.
 *
 * Not thread-safe for iddict_add; concurrent iddict_find/iddict_name on a
 * dictionary nobody is adding to are safe.
 */
#ifndef DUALREC_IDDICT_H
#define DUALREC_IDDICT_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define IDDICT_NONE UINT32_MAX
#define IDDICT_MAX_ID_LEN 1024  /* longer ids are rejected by ingest */

struct iddict;

struct iddict *iddict_new(void);
void iddict_free(struct iddict *dict);

uint32_t iddict_count(const struct iddict *dict);

/* Index of id s[0..n) (not NUL-terminated), appending it when new. */
uint32_t iddict_add(struct iddict *dict, const char *s, size_t n);

/* Index of id s[0..n), or IDDICT_NONE. */
uint32_t iddict_find(const struct iddict *dict, const char *s, size_t n);

/* One lookup of iddict_find_many: the id s[0..n) in, its index out. */
struct iddict_query {
    const char *s;
    size_t n;
    uint32_t idx;               /* out: the index, or IDDICT_NONE */
};

/*
 * iddict_find for each of q[0..n), faster than one by one for many ids: a
 * dictionary of millions of ids is tens of MB touched at random, so the
 * queries are visited in the order of their slots (one pass through the
 * table instead of a cache and TLB miss each).  One thread; callers run
 * several batches at once for more (it only reads the dictionary).
 */
void iddict_find_many(const struct iddict *dict, struct iddict_query *q,
                      size_t n);

/* Prefetch the memory iddict_find(dict, s, n) will touch first: call it a
 * few lookups ahead when looking up many ids. */
void iddict_prefetch(const struct iddict *dict, const char *s, size_t n);

/* The id of index idx (NUL-terminated), valid while dict lives and until
 * the next iddict_add. idx must be < iddict_count(). */
const char *iddict_name(const struct iddict *dict, uint32_t idx);

/* Save/load (binfile container, magic "\x89DRIDICT"); load: RC_NOINPUT when
 * missing, RC_DATA when corrupt. */
int iddict_save(const struct iddict *dict, const char *path, struct diag *d);
int iddict_load(const char *path, struct iddict **out, struct diag *d);

#endif
