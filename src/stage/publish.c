/*
 * publish.c -- temp directory, manifest, atomic move into place, _SUCCESS
 * (see publish.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "atomicfile.h"
#include "binfile.h"
#include "byteio.h"
#include "dates.h"
#include "publish.h"
#include "xmem.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

struct kv {
    char *key;
    char *value;
};

struct table_rec {
    char *name;
    struct outtable_stats st;
};

struct input_rec {
    char *kind;
    char *path;
    char format[6];         /* the 5 magic bytes naming the format */
    uint32_t version;
    uint64_t checksum;
};

struct publish {
    char *outroot;
    char *tmpdir;
    char *final;
    int32_t day;
    struct table_rec *tables;
    size_t n_tables, cap_tables;
    struct kv *params, *stats;
    size_t n_params, cap_params, n_stats, cap_stats;
    struct input_rec *inputs;
    size_t n_inputs, cap_inputs;
};

int
publish_rmtree(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    int rc = 0;

    if (dp == NULL)
        return errno == ENOENT ? 0 : -1;
    while ((de = readdir(dp)) != NULL) {
        size_t n;
        char *path;
        struct stat sb;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        n = strlen(dir) + strlen(de->d_name) + 2;
        path = xmalloc(n);
        snprintf(path, n, "%s/%s", dir, de->d_name);
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            rc |= publish_rmtree(path);
        else if (unlink(path) != 0)
            rc = -1;
        free(path);
    }
    closedir(dp);
    if (rmdir(dir) != 0)
        rc = -1;
    return rc;
}

static char *
join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = xmalloc(n);

    snprintf(s, n, "%s/%s", a, b);
    return s;
}

int
publish_begin(const char *outroot, int32_t day, struct publish **out,
              struct diag *d)
{
    struct publish *p;
    char dt[LAYOUT_DT_SIZE], name[64];

    *out = NULL;
    if (mkdir_p(outroot, d) < 0)
        return -1;
    p = xcalloc(1, sizeof *p);
    p->outroot = xstrdup(outroot);
    p->day = day;
    layout_dt(day, dt);
    p->final = join(outroot, dt);
    snprintf(name, sizeof name, ".%s.tmp.%ld", dt, (long)getpid());
    p->tmpdir = join(outroot, name);
    /* a leftover from a crashed run with our pid: start clean */
    publish_rmtree(p->tmpdir);
    if (mkdir(p->tmpdir, 0777) != 0) {
        diag_errno(d, RC_CANTCREAT, "%s: cannot create", p->tmpdir);
        publish_abort(p);
        return -1;
    }
    *out = p;
    return 0;
}

char *
publish_path(const struct publish *p, const char *name)
{
    return join(p->tmpdir, name);
}

const char *
publish_final_dir(const struct publish *p)
{
    return p->final;
}

void
publish_add_table(struct publish *p, const char *name,
                  const struct outtable_stats *st)
{
    p->tables = xgrow(p->tables, &p->cap_tables, p->n_tables + 1,
                      sizeof *p->tables);
    p->tables[p->n_tables].name = xstrdup(name);
    p->tables[p->n_tables].st = *st;
    p->n_tables++;
}

static void
add_kv(struct kv **arr, size_t *n, size_t *cap, const char *key,
       const char *value)
{
    *arr = xgrow(*arr, cap, *n + 1, sizeof **arr);
    (*arr)[*n].key = xstrdup(key);
    (*arr)[*n].value = xstrdup(value);
    (*n)++;
}

void
publish_add_param(struct publish *p, const char *key, const char *value)
{
    add_kv(&p->params, &p->n_params, &p->cap_params, key, value);
}

void
publish_add_stat(struct publish *p, const char *key, const char *value)
{
    add_kv(&p->stats, &p->n_stats, &p->cap_stats, key, value);
}

int
publish_add_input(struct publish *p, const char *kind, const char *path,
                  struct diag *d)
{
    struct binfile_header h;
    struct input_rec r;

    if (binfile_read_header(path, &h, d) < 0)
        return -1;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 5; i++) {
        unsigned char ch = (unsigned char)h.magic[3 + i];

        r.format[i] = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\'
                      ? (char)ch : '?';
    }
    r.version = h.version;
    r.checksum = h.checksum;
    r.kind = xstrdup(kind);
    r.path = xstrdup(path);
    p->inputs = xgrow(p->inputs, &p->cap_inputs, p->n_inputs + 1,
                      sizeof *p->inputs);
    p->inputs[p->n_inputs++] = r;
    return 0;
}

/* A JSON string literal. */
static void
json_str(struct bbuf *b, const char *s)
{
    bbuf_put_u8(b, '"');
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\') {
            bbuf_put_u8(b, '\\');
            bbuf_put_u8(b, ch);
        } else if (ch < 0x20) {
            char tmp[8];

            snprintf(tmp, sizeof tmp, "\\u%04x", ch);
            bbuf_put(b, tmp, 6);
        } else {
            bbuf_put_u8(b, ch);
        }
    }
    bbuf_put_u8(b, '"');
}

static void
putf(struct bbuf *b, const char *fmt, ...) DIAG_PRINTF(2, 3);

static void
putf(struct bbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    bbuf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void
json_kvs(struct bbuf *b, const struct kv *kv, size_t n)
{
    bbuf_put(b, "{", 1);
    for (size_t i = 0; i < n; i++) {
        bbuf_put(b, i ? ",\n    " : "\n    ", i ? 6 : 5);
        json_str(b, kv[i].key);
        bbuf_put(b, ": ", 2);
        json_str(b, kv[i].value);
    }
    bbuf_put(b, n ? "\n  }" : "}", n ? 4 : 1);
}

static void
manifest_build(const struct publish *p, struct bbuf *b)
{
    char date[16];

    dates_format_day(p->day, date);
    putf(b, "{\n  \"format\": \"dualrec-manifest\",\n  \"version\": %d,\n"
         "  \"date\": \"%s\",\n  \"tables\": [", PUBLISH_VERSION, date);
    for (size_t i = 0; i < p->n_tables; i++) {
        const struct table_rec *t = &p->tables[i];

        bbuf_put(b, i ? ",\n    {\"name\": " : "\n    {\"name\": ",
                 i ? 15 : 14);
        json_str(b, t->name);
        putf(b, ", \"rows\": %llu, \"bytes\": %llu, \"raw_bytes\": %llu, "
             "\"checksum64\": \"%016llx\"}", (unsigned long long)t->st.rows,
             (unsigned long long)t->st.bytes,
             (unsigned long long)t->st.raw_bytes,
             (unsigned long long)t->st.checksum);
    }
    bbuf_put(b, p->n_tables ? "\n  ],\n  \"params\": " : "],\n  \"params\": ",
             p->n_tables ? 18 : 15);
    json_kvs(b, p->params, p->n_params);
    bbuf_put(b, ",\n  \"stats\": ", 13);
    json_kvs(b, p->stats, p->n_stats);
    bbuf_put(b, ",\n  \"inputs\": [", 15);
    for (size_t i = 0; i < p->n_inputs; i++) {
        const struct input_rec *r = &p->inputs[i];

        bbuf_put(b, i ? ",\n    {\"kind\": " : "\n    {\"kind\": ",
                 i ? 15 : 14);
        json_str(b, r->kind);
        bbuf_put(b, ", \"path\": ", 10);
        json_str(b, r->path);
        putf(b, ", \"format\": \"%s\", \"version\": %u, "
             "\"checksum64\": \"%016llx\"}", r->format, r->version,
             (unsigned long long)r->checksum);
    }
    bbuf_put(b, p->n_inputs ? "\n  ]\n}\n" : "]\n}\n",
             p->n_inputs ? 7 : 4);
}

static void
publish_free(struct publish *p)
{
    for (size_t i = 0; i < p->n_tables; i++)
        free(p->tables[i].name);
    for (size_t i = 0; i < p->n_params; i++) {
        free(p->params[i].key);
        free(p->params[i].value);
    }
    for (size_t i = 0; i < p->n_stats; i++) {
        free(p->stats[i].key);
        free(p->stats[i].value);
    }
    for (size_t i = 0; i < p->n_inputs; i++) {
        free(p->inputs[i].kind);
        free(p->inputs[i].path);
    }
    free(p->tables);
    free(p->params);
    free(p->stats);
    free(p->inputs);
    free(p->outroot);
    free(p->tmpdir);
    free(p->final);
    free(p);
}

void
publish_abort(struct publish *p)
{
    if (p == NULL)
        return;
    publish_rmtree(p->tmpdir);
    publish_free(p);
}

/* Swap two paths atomically; -1 with errno when unsupported or failed. */
static int
exchange(const char *a, const char *b)
{
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b,
                        RENAME_EXCHANGE);
#else
    (void)a;
    (void)b;
    errno = ENOSYS;
    return -1;
#endif
}

static int
move_into_place(struct publish *p, struct diag *d)
{
    char *old;
    size_t n;

    if (!path_exists(p->final)) {
        if (rename(p->tmpdir, p->final) != 0)
            return diag_errno(d, RC_IO, "%s: cannot rename to %s",
                              p->tmpdir, p->final);
        return 0;
    }
    /* an earlier run of this date: swap, then drop the old tree */
    if (exchange(p->tmpdir, p->final) == 0) {
        publish_rmtree(p->tmpdir);
        return 0;
    }
    n = strlen(p->tmpdir) + 8;
    old = xmalloc(n);
    snprintf(old, n, "%s.old", p->tmpdir);
    if (rename(p->final, old) != 0) {
        diag_errno(d, RC_IO, "%s: cannot rename to %s", p->final, old);
        free(old);
        return -1;
    }
    if (rename(p->tmpdir, p->final) != 0) {
        diag_errno(d, RC_IO, "%s: cannot rename to %s", p->tmpdir,
                   p->final);
        rename(old, p->final);      /* put the earlier run back */
        free(old);
        return -1;
    }
    publish_rmtree(old);
    free(old);
    return 0;
}

int
publish_commit(struct publish *p, struct diag *d)
{
    struct bbuf b = BBUF_INIT;
    char *path;
    int rc;

    manifest_build(p, &b);
    path = publish_path(p, PUBLISH_MANIFEST);
    rc = atomicfile_write(path, b.p, b.len, d);
    free(path);
    bbuf_release(&b);
    if (rc == 0)
        rc = fsync_dir(p->tmpdir, d);
    if (rc == 0)
        rc = move_into_place(p, d);
    if (rc < 0) {
        publish_abort(p);
        return -1;
    }
    rc = fsync_dir(p->outroot, d);
    if (rc == 0) {
        path = join(p->final, PUBLISH_SUCCESS);
        rc = atomicfile_write(path, "", 0, d);
        /* a failure after the rename (the directory's fsync): a run that
         * fails leaves no _SUCCESS, durable or not */
        if (rc < 0)
            unlink(path);
        free(path);
    }
    publish_free(p);
    return rc;
}

/* ---- reading a manifest ------------------------------------------------- */

int
publish_manifest_load(const char *dir, char **json, struct diag *d)
{
    char *path = join(dir, PUBLISH_MANIFEST);
    size_t len;
    int rc = file_read_all(path, json, &len, d);

    free(path);
    return rc;
}

int
publish_manifest_get(const char *json, const char *section, const char *key,
                     char *buf, size_t cap)
{
    char pat[128];
    const char *s, *end, *v, *q;

    snprintf(pat, sizeof pat, "\"%s\": {", section);
    s = strstr(json, pat);
    if (s == NULL)
        return -1;
    s += strlen(pat);
    end = strchr(s, '}');
    if (end == NULL)
        return -1;
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    v = strstr(s, pat);
    if (v == NULL || v > end)
        return -1;
    v += strlen(pat);
    q = strchr(v, '"');
    if (q == NULL || q > end || (size_t)(q - v) >= cap)
        return -1;
    memcpy(buf, v, (size_t)(q - v));
    buf[q - v] = '\0';
    return 0;
}

void
publish_manifest_section(const char *json, const char *section, char *buf,
                         size_t cap)
{
    char pat[128];
    const char *s, *end;
    size_t k = 0;
    int in_str = 0, n_str = 0;

    buf[0] = '\0';
    snprintf(pat, sizeof pat, "\"%s\": {", section);
    s = strstr(json, pat);
    if (s == NULL || cap < 4)
        return;
    s += strlen(pat);
    end = strchr(s, '}');
    if (end == NULL)
        return;
    /* strings alternate key, value: key=value, ... */
    for (; s < end && k + 4 < cap; s++) {
        if (*s == '"' && s[-1] != '\\') {
            in_str = !in_str;
            if (!in_str && ++n_str % 2 == 1)
                buf[k++] = '=';
            else if (!in_str && memchr(s + 1, '"', (size_t)(end - s - 1))) {
                buf[k++] = ',';
                buf[k++] = ' ';
            }
            continue;
        }
        if (in_str)
            buf[k++] = *s;
    }
    buf[k] = '\0';
}
