/*
 * xmem.h -- allocators that never return NULL.
 *
 * Out of memory is not an error path in dualrec: these print
 * "<prog>: out of memory (N bytes)" on stderr and exit 75 (RC_RETRY), since
 * a rerun on a larger machine or with smaller blocks can succeed.
 * Never NULL-check their results.  xmalloc(0) returns a valid pointer.
 */
#ifndef DUALREC_XMEM_H
#define DUALREC_XMEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Reallocate p to count * size bytes, checking the multiplication. */
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/*
 * Grow a dynamic array so that it holds at least `need` elements of
 * `size` bytes; *cap is updated.  Returns the (possibly moved) array.
 */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);

/*
 * xmalloc for a large buffer that is written once front to back: from
 * 2 MiB up it is 2 MiB-aligned and marked for transparent huge pages
 * (madvise MADV_HUGEPAGE, a hint), which makes faulting it in much
 * cheaper.  Release it with free().
 */
void *xmalloc_big(size_t n);

/* xmalloc_big that returns NULL instead of ending the process, for an
 * allocation that is only an optimisation (warmbuf.c). */
void *xmem_try_big(size_t n);

/* xgrow for an array that grows large: from 2 MiB up the new array comes
 * from xmalloc_big (huge pages: a few faults instead of thousands). */
void *xgrow_big(void *p, size_t *cap, size_t need, size_t size);

/*
 * An allocator for libzstd's contexts (the alloc/free pair of a
 * ZSTD_customMem, opaque unused): their window and job buffers, several
 * MB each, come from xmalloc_big, so they fault in as a few huge pages
 * rather than thousands of small ones.  Aborts on exhaustion like xmalloc.
 */
void *xmem_zstd_alloc(void *opaque, size_t n);
void xmem_zstd_free(void *opaque, void *p);

#endif
