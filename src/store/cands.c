/*
 * cands.c -- the candidate table shared by retrieval, ranking and matching
 * (see cands.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cands.h"
#include "xmem.h"

struct cands *
cands_new(size_t n_items, size_t cap)
{
    struct cands *c = xcalloc(1, sizeof *c);

    c->n_items = n_items;
    c->items = xcalloc(n_items ? n_items : 1, sizeof *c->items);
    c->off = xcalloc(n_items + 1, sizeof *c->off);
    cands_reserve(c, cap);
    return c;
}

void
cands_reserve(struct cands *c, size_t need)
{
    size_t cap;

    if (need <= c->cap && c->user != NULL)
        return;
    cap = c->cap;
    if (need < 16)
        need = 16;
    while (cap < need)
        cap = cap < 16 ? 16 : cap + cap / 2;
    c->user = xreallocarray(c->user, cap, sizeof *c->user);
    c->channels = xreallocarray(c->channels, cap, sizeof *c->channels);
    c->retr = xreallocarray(c->retr, cap, sizeof *c->retr);
    c->score = xreallocarray(c->score, cap, sizeof *c->score);
    c->p = xreallocarray(c->p, cap, CANDS_N_TASKS * sizeof *c->p);
    c->cap = cap;
}

void
cands_free(struct cands *c)
{
    if (c == NULL)
        return;
    free(c->items);
    free(c->off);
    free(c->user);
    free(c->channels);
    free(c->retr);
    free(c->score);
    free(c->p);
    free(c);
}

const char *
cands_channel_name(enum cands_channel ch)
{
    switch (ch) {
    case CH_TOWER:   return "tower";
    case CH_I2I2U:   return "i2i2u";
    case CH_I2U2U:   return "i2u2u";
    case CH_CREATOR: return "creator";
    }
    return "?";
}

char *
cands_channels_str(unsigned channels, char *buf)
{
    buf[0] = '\0';
    for (int i = 0; i < CANDS_N_CHANNELS; i++) {
        if (!(channels & (1u << i)))
            continue;
        if (buf[0] != '\0')
            strcat(buf, "+");
        strcat(buf, cands_channel_name((enum cands_channel)(1u << i)));
    }
    if (buf[0] == '\0')
        strcpy(buf, "-");
    return buf;
}
