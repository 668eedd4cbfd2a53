/*
 * layout.c -- date partitions and the run-root table of layout.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "layout.h"
#include "xmem.h"

char *
layout_dt(int32_t day, char buf[LAYOUT_DT_SIZE])
{
    memcpy(buf, "dt=", 3);
    dates_format_day(day, buf + 3);
    return buf;
}

int
layout_parse_dt(const char *name, int32_t *day)
{
    char buf[LAYOUT_DT_SIZE];

    /* only the canonical spelling, as layout_dt writes it */
    if (strncmp(name, "dt=", 3) != 0 || dates_parse_day(name + 3, day) < 0)
        return -1;
    return strcmp(layout_dt(*day, buf), name) == 0 ? 0 : -1;
}

char *
layout_day(const char *dir, int32_t day, const char *name)
{
    char dt[LAYOUT_DT_SIZE];
    size_t n = strlen(dir) + LAYOUT_DT_SIZE + (name ? strlen(name) : 0) + 4;
    char *p = xmalloc(n);

    layout_dt(day, dt);
    if (name != NULL)
        snprintf(p, n, "%s/%s/%s", dir, dt, name);
    else
        snprintf(p, n, "%s/%s", dir, dt);
    return p;
}

/* One row of the run-root table: a dated file or folder of a kind. */
static const struct {
    const char *key, *dir, *name;
} rows[] = {
    { "logs",     LAYOUT_LOGS_DIR,     NULL },
    { "segment",  LAYOUT_SEGMENTS_DIR, LAYOUT_SEGMENT },
    { "rejects",  LAYOUT_SEGMENTS_DIR, LAYOUT_REJECTS },
    { "dict",     LAYOUT_SEGMENTS_DIR, NULL },          /* undated */
    { "tower",    LAYOUT_MODELS_DIR,   LAYOUT_TOWER },
    { "rank",     LAYOUT_MODELS_DIR,   LAYOUT_RANK },
    { "avail",    LAYOUT_AVAIL_DIR,    LAYOUT_AVAIL },
    { "out",      LAYOUT_OUT_DIR,      NULL },
    { "manifest", LAYOUT_OUT_DIR,      LAYOUT_MANIFEST },
    { "success",  LAYOUT_OUT_DIR,      LAYOUT_SUCCESS },
    { "eval",     LAYOUT_EVAL_DIR,     NULL },
    { "runlog",   LAYOUT_RUNLOGS_DIR,  NULL },          /* dt=D.log */
};

void
layout_print(FILE *fp, const char *root, int32_t day)
{
    char dt[LAYOUT_DT_SIZE];

    layout_dt(day, dt);
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        size_t n = strlen(root) + strlen(rows[k].dir) + 2;
        char *dir = xmalloc(n), *p;

        snprintf(dir, n, "%s/%s", root, rows[k].dir);
        if (strcmp(rows[k].key, "dict") == 0) {
            fprintf(fp, "%s\t%s/%s\n", rows[k].key, dir, LAYOUT_DICT_DIR);
        } else if (strcmp(rows[k].key, "runlog") == 0) {
            fprintf(fp, "%s\t%s/%s.log\n", rows[k].key, dir, dt);
        } else {
            p = layout_day(dir, day, rows[k].name);
            fprintf(fp, "%s\t%s\n", rows[k].key, p);
            free(p);
        }
        free(dir);
    }
}
