/*
 * xmem.c -- aborting allocators (see xmem.h).  The only place in src/ besides
 * cli.c that may print or exit: an allocation failure has no caller that can
 * do better than stop.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rc.h"
#include "xmem.h"

static void
oom(size_t n)
{
    extern const char *cli_prog;

    fprintf(stderr, "%s: out of memory (%zu bytes)\n",
            cli_prog ? cli_prog : "dualrec", n);
    exit(RC_RETRY);
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        oom(n);
    return p;
}

void *
xcalloc(size_t count, size_t size)
{
    void *p;

    if (count == 0 || size == 0)
        count = size = 1;
    p = calloc(count, size);
    if (p == NULL)
        oom(count * size);
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        oom(n);
    return q;
}

void *
xreallocarray(void *p, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        oom(SIZE_MAX);
    return xrealloc(p, count * size);
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* The capacity xgrow and xgrow_big move to: half again, from 16 up. */
static size_t
grown_cap(size_t c, size_t need)
{
    if (c < 16)
        c = 16;
    while (c < need)
        c += c / 2;
    return c;
}

void *
xgrow(void *p, size_t *cap, size_t need, size_t size)
{
    size_t c;

    if (need <= *cap)
        return p;
    c = grown_cap(*cap, need);
    *cap = c;
    return xreallocarray(p, c, size);
}

void *
xmem_try_big(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    void *p = NULL;

    if (n < huge)
        return malloc(n ? n : 1);
    if (posix_memalign(&p, huge, n) != 0)
        return malloc(n);
#ifdef MADV_HUGEPAGE
    madvise(p, n, MADV_HUGEPAGE);
#endif
    return p;
}

void *
xmalloc_big(size_t n)
{
    void *p = xmem_try_big(n);

    if (p == NULL)
        oom(n);
    return p;
}

void *
xgrow_big(void *p, size_t *cap, size_t need, size_t size)
{
    size_t old = *cap, c;
    void *q;

    if (need <= old)
        return p;
    c = grown_cap(old, need);
    if (c > SIZE_MAX / size)
        return xgrow(p, cap, need, size);   /* xgrow reports the overflow */
    if (c * size < ((size_t)2 << 20))
        return xgrow(p, cap, need, size);
    q = xmalloc_big(c * size);
    if (old > 0)
        memcpy(q, p, old * size);
    free(p);
    *cap = c;
    return q;
}

void *
xmem_zstd_alloc(void *opaque, size_t n)
{
    (void)opaque;
    return xmalloc_big(n);
}

void
xmem_zstd_free(void *opaque, void *p)
{
    (void)opaque;
    free(p);
}
