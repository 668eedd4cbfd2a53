/*
 * warmbuf.c -- a scratch buffer faulted in ahead of use, in idle time (see
 * warmbuf.h).
 *
 * The thread owns buf/cap while it runs and the taker owns them after the
 * join; want and stop pass between them under mu, and the touch loop
 * also polls stop without the lock so that a take never waits for more
 * than one step.
 */
#define _GNU_SOURCE             /* SCHED_IDLE */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "bgthread.h"
#include "warmbuf.h"
#include "xmem.h"

#define WARM_STEP ((size_t)2 << 20)     /* bytes touched between polls */
#define WARM_PAGE ((size_t)4096)

struct warmbuf {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct bgthread thread;
    int started;                /* 1 running, 0 not yet, -1 never */
    size_t want;                /* under mu */
    atomic_int stop;
    char *buf;                  /* the thread's until joined */
    size_t cap;
    atomic_size_t warmed;       /* bytes of buf faulted in */
};

/* Fault in buf[from, to) a page at a time; stops early on w->stop. */
static size_t
touch(struct warmbuf *w, size_t from, size_t to)
{
    volatile char *p = w->buf;

    while (from < to && !atomic_load_explicit(&w->stop, memory_order_relaxed)) {
        size_t end = to - from > WARM_STEP ? from + WARM_STEP : to;

        for (; from < end; from += WARM_PAGE)
            p[from] = 0;
        from = end;
        atomic_store_explicit(&w->warmed, from, memory_order_relaxed);
    }
    return from;
}

static void *
warm_main(void *arg)
{
    struct warmbuf *w = arg;
    size_t done = 0;

#ifdef SCHED_IDLE
    {
        struct sched_param sp = { 0 };

        /* at normal priority it would take a core from the reading */
        if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0)
            return NULL;
    }
#endif
    pthread_mutex_lock(&w->mu);
    for (;;) {
        size_t target;

        while (!atomic_load(&w->stop) && done >= w->want)
            pthread_cond_wait(&w->cv, &w->mu);
        if (atomic_load(&w->stop))
            break;
        target = w->want;
        pthread_mutex_unlock(&w->mu);
        if (target > w->cap) {
            /* grow by half again; the old pages, just freed, are the
             * cheapest the kernel can hand back for the new ones */
            free(w->buf);
            w->cap = target + target / 2;
            w->buf = xmem_try_big(w->cap);   /* warming is optional */
            done = 0;
            atomic_store(&w->warmed, 0);
            if (w->buf == NULL) {       /* leave the take to allocate */
                w->cap = 0;
                pthread_mutex_lock(&w->mu);
                break;
            }
        }
        done = touch(w, done, target);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct warmbuf *
warmbuf_new(void)
{
    struct warmbuf *w = xcalloc(1, sizeof *w);

    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    atomic_init(&w->stop, 0);
    atomic_init(&w->warmed, 0);
#ifndef SCHED_IDLE
    w->started = -1;
#endif
    return w;
}

void
warmbuf_want(struct warmbuf *w, size_t bytes)
{
    if (w->started < 0)
        return;
    pthread_mutex_lock(&w->mu);
    if (bytes > w->want) {
        w->want = bytes;
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    if (w->started == 0)
        w->started = bgthread_start(&w->thread, warm_main, w) == 0 ? 1 : -1;
}

static void
stop(struct warmbuf *w)
{
    if (w->started != 1)
        return;
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->stop, 1);
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    bgthread_join(&w->thread);
    w->started = -1;
}

static void
destroy(struct warmbuf *w)
{
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

void *
warmbuf_take(struct warmbuf *w, size_t bytes)
{
    void *p;

    stop(w);
    p = w->buf;
    if (w->cap < bytes || p == NULL) {
        free(p);
        p = xmalloc_big(bytes > 0 ? bytes : 1);
    }
    destroy(w);
    return p;
}

void
warmbuf_free(struct warmbuf *w)
{
    if (w == NULL)
        return;
    stop(w);
    free(w->buf);
    destroy(w);
}

size_t
warmbuf_warmed(struct warmbuf *w)
{
    return atomic_load(&w->warmed);
}
