/*
 * ingest_int.h -- what ingest.c, ingest_sort.c and ingest_split.c share
 * (private to them).
 */
#ifndef DUALREC_INGEST_INT_H
#define DUALREC_INGEST_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "logread.h"
#include "segment.h"

/* Take the exclusive lock <segroot>/dict/.lock (creating dict/); *fd is
 * the locked descriptor (close it to release).  RC_RETRY when another
 * ingest holds it. */
int ingest_lock(const char *segroot, int *fd, struct diag *d);

/* One reject as a line of the reject file (file,line,reason,record). */
void ingest_write_reject(FILE *fp, const char *path,
                         const struct logread_row *row, const char *msg);

/*
 * Exposures accumulate in fixed blocks of EXP_BLOCK rows rather than one
 * growing array: growing hundreds of MB by realloc copies them again and
 * again; the sort reads the blocks and writes one array.  A row is kept in
 * 20 bytes rather than a struct seg_exposure's 32 (fresh memory is costly:
 * the kernel clears every page): every stored row falls in the day, so its
 * time is an offset below 2^17 seconds, sharing a word with its feedback.
 */
#define EXP_BLOCK_LOG2 20
#define EXP_BLOCK ((size_t)1 << EXP_BLOCK_LOG2)
#define EXP_T_BITS 17

struct exp_row {
    uint32_t user, item;
    uint32_t t_fb;              /* t - day start | fb << EXP_T_BITS */
    uint32_t play_ms, dur_ms;
};

/* The rows to sort: ingest's compact blocks, or a plain array. */
struct exp_src {
    struct exp_row *const *blk;     /* row i: blk[i >> EXP_BLOCK_LOG2]... */
    int64_t day_lo;                 /* ... whose times count from here */
    const struct seg_exposure *arr; /* or row i: arr[i] */
};

/*
 * Sort the n rows of src by segment.h's exposure order into dst (room for
 * n + 1 rows) on every core, dropping exact duplicates; returns the count
 * kept.  n_users bounds the user indices.  Same result for any number of
 * threads.
 */
size_t ingest_sort_src(const struct exp_src *src, size_t n, uint32_t n_users,
                       struct seg_exposure *dst);

#endif
