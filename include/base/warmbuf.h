/*
 * warmbuf.h -- a scratch buffer faulted in ahead of use, in idle time.
 *
 * Touching fresh memory costs the kernel a page clear per page (and, on a
 * virtual machine, the host its backing): for the hundreds of MB a day's
 * sort writes, a real share of ingest.  A warmbuf's thread faults the
 * buffer in while the caller is still reading, at the lowest scheduling
 * class (SCHED_IDLE), so it only uses a core that would otherwise wait and
 * never slows the reading down.  Where that class is not available no
 * thread is started and warmbuf_take simply allocates.
 *
 * The caller raises the size it expects to need as it learns it
 * (warmbuf_want), then takes the buffer once (warmbuf_take).  Only the
 * taker owns the memory; the contents are unspecified (not zeroed).
 */
#ifndef DUALREC_WARMBUF_H
#define DUALREC_WARMBUF_H

#include <stddef.h>

struct warmbuf;

/* A warmbuf with nothing wanted yet; its thread starts at the first want.
 * Free it with warmbuf_take or warmbuf_free. */
struct warmbuf *warmbuf_new(void);

/* Expect to need at least `bytes` (a smaller value than before is
 * ignored).  Cheap: callers may call it every few thousand rows. */
void warmbuf_want(struct warmbuf *w, size_t bytes);

/* Stop the thread, free w, and return a buffer of at least `bytes`
 * (xmalloc_big-like; release it with free()).  As much of it as the
 * thread had time for is already faulted in. */
void *warmbuf_take(struct warmbuf *w, size_t bytes);

/* Stop the thread and free w and its buffer (w may be NULL). */
void warmbuf_free(struct warmbuf *w);

/* Bytes the thread has faulted in so far (for tests and -v). */
size_t warmbuf_warmed(struct warmbuf *w);

#endif
