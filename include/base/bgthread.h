/*
 * bgthread.h -- the one place that creates and joins raw threads.
 *
 * Data-parallel work uses OpenMP (`#pragma omp parallel for` over fixed
 * blocks).  A few jobs are not loops but a second activity overlapping the
 * main one, so they need a long-lived thread of their own:
 *   ingest     makes the next exposure block (page faults) while rows fill
 *              the current one; saves the dictionaries while the segment
 *              is built
 *   logread    parser threads, fed chunks while the main thread reads
 *   zin        decompresses the next buffer while the caller parses
 *   binfile    checksums the payload while zstd compresses it
 *   warmbuf    faults in a growing buffer ahead of its writer
 * They all start and join through here, so failure is handled one way:
 * bgthread_start returns -1 when no thread can be created, and each caller
 * has a documented fallback (do the work on the calling thread, or fail
 * with RC_INTERNAL where there is none).  Results never depend on whether
 * a thread ran: the threads only move work in time.
 *
 * bgthread_set_enabled(0) makes every later start fail, so tests can run
 * the fallbacks (check_bgthread.c compares their outputs).
 */
#ifndef DUALREC_BGTHREAD_H
#define DUALREC_BGTHREAD_H

#include <pthread.h>

struct bgthread {
    pthread_t thread;
    int running;                /* started and not yet joined */
};

/* Run fn(arg) on a new thread; 0, or -1 (t->running 0) when the thread
 * cannot be created or threads are disabled. */
int bgthread_start(struct bgthread *t, void *(*fn)(void *), void *arg);

/* Wait for the thread when it runs; a no-op otherwise (t->running 0). */
void bgthread_join(struct bgthread *t);

/* Test hook: 0 makes bgthread_start fail from now on, 1 restores it. */
void bgthread_set_enabled(int on);

#endif
