/*
 * bgthread.c -- raw threads, started and joined in one place (see
 * bgthread.h for who uses them and why OpenMP does not fit there).
 */
#include <stdatomic.h>

#include "bgthread.h"

static atomic_int enabled = 1;

int
bgthread_start(struct bgthread *t, void *(*fn)(void *), void *arg)
{
    t->running = atomic_load(&enabled)
                 && pthread_create(&t->thread, NULL, fn, arg) == 0;
    return t->running ? 0 : -1;
}

void
bgthread_join(struct bgthread *t)
{
    if (!t->running)
        return;
    pthread_join(t->thread, NULL);
    t->running = 0;
}

void
bgthread_set_enabled(int on)
{
    atomic_store(&enabled, on != 0);
}
