/*
 * outtable.c -- sorted zstd TSV tables, their stdout variant, and the
 * Redis protocol output (see outtable.h).
 *
 * Rows are buffered (OUT_CHUNK bytes) and fed to one zstd stream with the
 * content checksum on; the compressed bytes go to an atomicfile, so the
 * final path appears only complete.  The key check keeps the previous
 * row's first field and compares bytewise, which is what `LC_ALL=C sort`
 * and merge-joins on the loader side rely on.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "atomicfile.h"
#include "byteio.h"
#include "outtable.h"
#include "xmem.h"

#define OUT_CHUNK (1u << 20)

struct outtable {
    char *name;
    struct atomicfile af;
    FILE *fp;               /* af.fp, or the caller's stream */
    int plain;              /* stream mode: no compression, no commit */
    ZSTD_CCtx *cc;
    unsigned char *zbuf;
    size_t zcap;
    struct bbuf in;         /* pending uncompressed text */
    struct bbuf key;        /* first field of the previous row */
    int have_key;
    uint64_t rows, raw_bytes;
};

static int
write_out(struct outtable *t, const void *p, size_t n, struct diag *d)
{
    if (n > 0 && fwrite(p, 1, n, t->fp) != n)
        return diag_errno(d, RC_IO, "%s: write failed", t->name);
    return 0;
}

/* Push pending text through zstd (or straight out in plain mode). */
static int
drain(struct outtable *t, ZSTD_EndDirective mode, struct diag *d)
{
    ZSTD_inBuffer ib = { t->in.p, t->in.len, 0 };

    if (t->plain) {
        int rc = write_out(t, t->in.p, t->in.len, d);

        t->in.len = 0;
        return rc;
    }
    for (;;) {
        ZSTD_outBuffer ob = { t->zbuf, t->zcap, 0 };
        size_t left = ZSTD_compressStream2(t->cc, &ob, &ib, mode);

        if (ZSTD_isError(left))
            return diag_set(d, RC_INTERNAL, "%s: zstd compression failed: "
                            "%s", t->name, ZSTD_getErrorName(left));
        if (write_out(t, t->zbuf, ob.pos, d) < 0)
            return -1;
        if (mode == ZSTD_e_continue ? ib.pos == ib.size : left == 0)
            break;
    }
    t->in.len = 0;
    return 0;
}

static struct outtable *
table_new(const char *name, const char *header)
{
    struct outtable *t = xcalloc(1, sizeof *t);

    t->name = xstrdup(name);
    bbuf_put(&t->in, header, strlen(header));
    bbuf_put_u8(&t->in, '\n');
    t->raw_bytes = t->in.len;
    return t;
}

static void
table_free(struct outtable *t)
{
    if (t->cc != NULL)
        ZSTD_freeCCtx(t->cc);
    free(t->zbuf);
    bbuf_release(&t->in);
    bbuf_release(&t->key);
    free(t->name);
    free(t);
}

int
outtable_open(const char *path, const char *header, int level,
              struct outtable **out, struct diag *d)
{
    struct outtable *t = table_new(path, header);

    *out = NULL;
    t->cc = ZSTD_createCCtx();
    if (t->cc == NULL) {
        table_free(t);
        return diag_set(d, RC_INTERNAL, "%s: cannot create zstd context",
                        path);
    }
    ZSTD_CCtx_setParameter(t->cc, ZSTD_c_compressionLevel,
                           level ? level : 3);
    ZSTD_CCtx_setParameter(t->cc, ZSTD_c_checksumFlag, 1);
    t->zcap = ZSTD_CStreamOutSize();
    t->zbuf = xmalloc(t->zcap);
    if (atomicfile_open(&t->af, path, d) < 0) {
        table_free(t);
        return -1;
    }
    t->fp = t->af.fp;
    *out = t;
    return 0;
}

int
outtable_open_stream(FILE *fp, const char *name, const char *header,
                     struct outtable **out, struct diag *d)
{
    struct outtable *t = table_new(name, header);

    (void)d;
    t->plain = 1;
    t->fp = fp;
    *out = t;
    return 0;
}

int
outtable_row(struct outtable *t, const char *row, size_t n, struct diag *d)
{
    const char *tab = memchr(row, '\t', n);
    size_t kn = tab ? (size_t)(tab - row) : n;

    if (t->have_key) {
        size_t m = kn < t->key.len ? kn : t->key.len;
        int c = memcmp(row, t->key.p, m);

        if (c < 0 || (c == 0 && kn < t->key.len))
            return diag_set(d, RC_INTERNAL, "%s: row %llu: key out of "
                            "order", t->name,
                            (unsigned long long)t->rows + 1);
    }
    t->key.len = 0;
    bbuf_put(&t->key, row, kn);
    t->have_key = 1;
    bbuf_put(&t->in, row, n);
    bbuf_put_u8(&t->in, '\n');
    t->rows++;
    t->raw_bytes += n + 1;
    if (t->in.len >= OUT_CHUNK)
        return drain(t, ZSTD_e_continue, d);
    return 0;
}

void
outtable_abort(struct outtable *t)
{
    if (t == NULL)
        return;
    if (!t->plain)
        atomicfile_abort(&t->af);
    table_free(t);
}

int
outtable_close(struct outtable *t, struct outtable_stats *st,
               struct diag *d)
{
    char *buf = NULL;
    size_t len = 0;
    char *path;

    if (drain(t, ZSTD_e_end, d) < 0) {
        outtable_abort(t);
        return -1;
    }
    if (t->plain) {
        if (fflush(t->fp) != 0) {
            diag_errno(d, RC_IO, "%s: write failed", t->name);
            table_free(t);
            return -1;
        }
        if (st != NULL) {
            st->rows = t->rows;
            st->raw_bytes = st->bytes = t->raw_bytes;
            st->checksum = 0;
        }
        table_free(t);
        return 0;
    }
    if (atomicfile_commit(&t->af, d) < 0) {
        table_free(t);
        return -1;
    }
    path = xstrdup(t->name);
    if (st != NULL) {
        st->rows = t->rows;
        st->raw_bytes = t->raw_bytes;
    }
    table_free(t);
    /* the fingerprint is of the bytes on disk, as a loader would see them */
    if (st != NULL) {
        if (file_read_all(path, &buf, &len, d) < 0) {
            free(path);
            return -1;
        }
        st->bytes = len;
        st->checksum = checksum64(buf, len, 0);
        free(buf);
    }
    free(path);
    return 0;
}

int
outtable_read(const char *path, char **text, size_t *len, struct diag *d)
{
    char *raw = NULL;
    size_t rn = 0;
    ZSTD_DCtx *dc;
    ZSTD_inBuffer ib;
    struct bbuf out = BBUF_INIT;
    size_t ret = 0;

    *text = NULL;
    *len = 0;
    if (file_read_all(path, &raw, &rn, d) < 0)
        return -1;
    dc = ZSTD_createDCtx();
    if (dc == NULL) {
        free(raw);
        return diag_set(d, RC_INTERNAL, "%s: cannot create zstd context",
                        path);
    }
    ib.src = raw;
    ib.size = rn;
    ib.pos = 0;
    for (;;) {
        ZSTD_outBuffer ob;

        ob.dst = bbuf_reserve(&out, 1u << 16);
        ob.size = 1u << 16;
        ob.pos = 0;
        ret = ZSTD_decompressStream(dc, &ob, &ib);
        if (ZSTD_isError(ret)) {
            ZSTD_freeDCtx(dc);
            free(raw);
            bbuf_release(&out);
            return diag_set(d, RC_DATA, "%s: corrupt zstd frame: %s", path,
                            ZSTD_getErrorName(ret));
        }
        out.len += ob.pos;
        /* done when the input is used up and zstd holds nothing back */
        if (ib.pos == ib.size && (ret == 0 || ob.pos < ob.size))
            break;
    }
    ZSTD_freeDCtx(dc);
    free(raw);
    if (ret != 0 || rn == 0) {
        bbuf_release(&out);
        return diag_set(d, RC_DATA, "%s: truncated zstd frame", path);
    }
    bbuf_put_u8(&out, '\0');
    *text = (char *)out.p;
    *len = out.len - 1;
    return 0;
}

int
outtable_reader_open(struct outtable_reader *r, const char *path,
                     const char *header, const char *what, int n_fields,
                     struct diag *d)
{
    size_t len, hl = strlen(header);
    char *nl;

    assert(n_fields > 0 && n_fields <= OUTTABLE_MAX_FIELDS);
    memset(r, 0, sizeof *r);
    if (outtable_read(path, &r->text, &len, d) < 0)
        return -1;
    nl = memchr(r->text, '\n', len);
    if (nl == NULL || (size_t)(nl - r->text) != hl
        || memcmp(r->text, header, hl) != 0) {
        free(r->text);
        r->text = NULL;
        return diag_set(d, RC_DATA, "%s:1: not %s table (unexpected "
                        "header)", path, what);
    }
    r->path = path;
    r->p = nl + 1;
    r->end = r->text + len;
    r->line = 1;
    r->n_fields = n_fields;
    return 0;
}

int
outtable_reader_next(struct outtable_reader *r, const char **f, size_t *fl,
                     struct diag *d)
{
    char *nl, *q;
    int nf = 0;

    if (r->p >= r->end)
        return 0;
    r->line++;
    nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    if (nl == NULL)
        nl = r->end;
    for (q = r->p;;) {
        char *tab = memchr(q, '\t', (size_t)(nl - q));

        if (nf < r->n_fields) {
            f[nf] = q;
            fl[nf] = (size_t)((tab ? tab : nl) - q);
        }
        nf++;
        if (tab == NULL)
            break;
        q = tab + 1;
    }
    r->p = nl + 1;
    if (nf != r->n_fields)
        return diag_set(d, RC_DATA, "%s:%zu: expected %d fields, found %d",
                        r->path, r->line, r->n_fields, nf);
    return 1;
}

void
outtable_reader_close(struct outtable_reader *r)
{
    free(r->text);
    memset(r, 0, sizeof *r);
}

void
outtable_put_id(struct bbuf *row, const char *id)
{
    for (const char *s = id; *s != '\0'; s++) {
        switch (*s) {
        case '\t': bbuf_put(row, "\\t", 2); break;
        case '\n': bbuf_put(row, "\\n", 2); break;
        case '\r': bbuf_put(row, "\\r", 2); break;
        case '\\': bbuf_put(row, "\\\\", 2); break;
        default:   bbuf_put_u8(row, (uint8_t)*s); break;
        }
    }
}

void
outtable_unescape(const char *f, size_t n, char *buf, size_t cap)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        char c = f[i];

        if (c == '\\' && i + 1 < n) {
            c = f[++i];
            c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
        }
        buf[k++] = c;
    }
    buf[k] = '\0';
}

/*
 * Compare two ids in their escaped form (the bytes the key check sees),
 * without building the escaped strings.
 */
static size_t
esc_at(const char *s, size_t *i, unsigned char out[2])
{
    unsigned char ch = (unsigned char)s[(*i)++];

    switch (ch) {
    case '\t': out[0] = '\\'; out[1] = 't'; return 2;
    case '\n': out[0] = '\\'; out[1] = 'n'; return 2;
    case '\r': out[0] = '\\'; out[1] = 'r'; return 2;
    case '\\': out[0] = '\\'; out[1] = '\\'; return 2;
    default:   out[0] = ch; return 1;
    }
}

static int
cmp_escaped(const char *a, const char *b)
{
    size_t i = 0, j = 0, na = 0, nb = 0, pa = 0, pb = 0;
    unsigned char ba[2], bb[2];

    for (;;) {
        if (pa == na) {
            if (a[i] == '\0')
                na = pa = 0;
            else {
                na = esc_at(a, &i, ba);
                pa = 0;
            }
        }
        if (pb == nb) {
            if (b[j] == '\0')
                nb = pb = 0;
            else {
                nb = esc_at(b, &j, bb);
                pb = 0;
            }
        }
        if (na == 0 || nb == 0)
            return (na != 0) - (nb != 0);
        if (ba[pa] != bb[pb])
            return ba[pa] < bb[pb] ? -1 : 1;
        pa++;
        pb++;
    }
}

/* Sort keys: an index with its name, ties by index. */
struct named {
    const char *name;
    size_t idx;
};

static int
cmp_named(const void *x, const void *y)
{
    const struct named *a = x, *b = y;
    int c = cmp_escaped(a->name, b->name);

    if (c != 0)
        return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void
put_uint(struct bbuf *b, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);

    bbuf_put(b, tmp, (size_t)n);
}

static void
put_float(struct bbuf *b, float v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.6g", (double)v);

    bbuf_put(b, tmp, (size_t)n);
}

int
outtable_item_users(struct outtable *t, const struct outtable_src *src,
                    struct diag *d)
{
    const struct cands *c = src->c;
    const struct assign *a = src->a;
    struct named *order = xmalloc((a->n_items ? a->n_items : 1)
                                  * sizeof *order);
    struct bbuf row = BBUF_INIT;
    char chbuf[48];
    int rc = 0;

    for (size_t k = 0; k < a->n_items; k++) {
        order[k].name = src->item_names[c->items[k]];
        order[k].idx = k;
    }
    qsort(order, a->n_items, sizeof *order, cmp_named);
    for (size_t i = 0; i < a->n_items && rc == 0; i++) {
        size_t k = order[i].idx;

        for (size_t j = a->off[k]; j < a->off[k + 1] && rc == 0; j++) {
            size_t e = a->edge[j];
            uint32_t u = c->user[e];

            row.len = 0;
            outtable_put_id(&row, order[i].name);
            bbuf_put_u8(&row, '\t');
            put_uint(&row, j - a->off[k] + 1);
            bbuf_put_u8(&row, '\t');
            outtable_put_id(&row, src->user_names[u]);
            bbuf_put_u8(&row, '\t');
            put_float(&row, c->score[e]);
            bbuf_put_u8(&row, '\t');
            cands_channels_str(c->channels[e], chbuf);
            bbuf_put(&row, chbuf, strlen(chbuf));
            bbuf_put_u8(&row, '\t');
            put_float(&row, src->p_active ? src->p_active[u] : 0.0f);
            rc = outtable_row(t, (const char *)row.p, row.len, d);
        }
    }
    bbuf_release(&row);
    free(order);
    return rc;
}

/* The assigned pairs grouped by user: CSR over users, in user index. */
struct by_user {
    size_t *off;            /* n_users + 1 */
    size_t *pair;           /* entries e of the cands table */
    uint32_t *item_pos;     /* for each pair, the target position k */
};

static const struct cands *bu_c;

static int
cmp_user_pair(const void *x, const void *y)
{
    const size_t *a = x, *b = y;
    float sa = bu_c->score[a[0]], sb = bu_c->score[b[0]];
    uint32_t ia = bu_c->items[a[1]], ib = bu_c->items[b[1]];

    if (sa != sb)
        return sa > sb ? -1 : 1;
    return ia < ib ? -1 : ia > ib;
}

/*
 * pairs[2*j] = entry, pairs[2*j+1] = target position, grouped by user and
 * ordered inside a user by score descending then item index.
 */
static size_t *
group_by_user(const struct cands *c, const struct assign *a, size_t **offp)
{
    size_t *off = xcalloc((size_t)a->n_users + 1, sizeof *off);
    size_t *pairs = xmalloc((a->n ? a->n : 1) * 2 * sizeof *pairs);
    size_t *pos;

    for (size_t j = 0; j < a->n; j++)
        off[c->user[a->edge[j]] + 1]++;
    for (uint32_t u = 0; u < a->n_users; u++)
        off[u + 1] += off[u];
    pos = xmalloc(((size_t)a->n_users + 1) * sizeof *pos);
    memcpy(pos, off, ((size_t)a->n_users + 1) * sizeof *pos);
    for (size_t k = 0; k < a->n_items; k++) {
        for (size_t j = a->off[k]; j < a->off[k + 1]; j++) {
            size_t p = pos[c->user[a->edge[j]]]++;

            pairs[2 * p] = a->edge[j];
            pairs[2 * p + 1] = k;
        }
    }
    free(pos);
    bu_c = c;
    for (uint32_t u = 0; u < a->n_users; u++)
        qsort(pairs + 2 * off[u], off[u + 1] - off[u], 2 * sizeof *pairs,
              cmp_user_pair);
    *offp = off;
    return pairs;
}

int
outtable_user_items(struct outtable *t, const struct outtable_src *src,
                    struct diag *d)
{
    const struct cands *c = src->c;
    const struct assign *a = src->a;
    size_t *off, *pairs = group_by_user(c, a, &off), nu = 0;
    struct named *order = xmalloc(((size_t)a->n_users + 1) * sizeof *order);
    struct bbuf row = BBUF_INIT;
    char chbuf[48];
    int rc = 0;

    for (uint32_t u = 0; u < a->n_users; u++) {
        if (off[u + 1] > off[u]) {
            order[nu].name = src->user_names[u];
            order[nu].idx = u;
            nu++;
        }
    }
    qsort(order, nu, sizeof *order, cmp_named);
    for (size_t i = 0; i < nu && rc == 0; i++) {
        size_t u = order[i].idx;

        for (size_t p = off[u]; p < off[u + 1] && rc == 0; p++) {
            size_t e = pairs[2 * p], k = pairs[2 * p + 1];

            row.len = 0;
            outtable_put_id(&row, order[i].name);
            bbuf_put_u8(&row, '\t');
            put_uint(&row, p - off[u] + 1);
            bbuf_put_u8(&row, '\t');
            outtable_put_id(&row, src->item_names[c->items[k]]);
            bbuf_put_u8(&row, '\t');
            put_float(&row, c->score[e]);
            bbuf_put_u8(&row, '\t');
            cands_channels_str(c->channels[e], chbuf);
            bbuf_put(&row, chbuf, strlen(chbuf));
            rc = outtable_row(t, (const char *)row.p, row.len, d);
        }
    }
    bbuf_release(&row);
    free(order);
    free(pairs);
    free(off);
    return rc;
}

/* ---- Redis protocol -------------------------------------------------- */

static void
resp_bulk(struct bbuf *b, const char *s, size_t n)
{
    char tmp[32];
    int m = snprintf(tmp, sizeof tmp, "$%zu\r\n", n);

    bbuf_put(b, tmp, (size_t)m);
    bbuf_put(b, s, n);
    bbuf_put(b, "\r\n", 2);
}

static void
resp_array(struct bbuf *b, size_t n)
{
    char tmp[32];
    int m = snprintf(tmp, sizeof tmp, "*%zu\r\n", n);

    bbuf_put(b, tmp, (size_t)m);
}

#define REDIS_MAX_ARGS 1000

/* One list key: DEL, RPUSH in chunks, EXPIRE. */
static void
resp_list(struct bbuf *b, const char *key, const char *const *vals,
          size_t n, uint32_t ttl)
{
    size_t klen = strlen(key);

    resp_array(b, 2);
    resp_bulk(b, "DEL", 3);
    resp_bulk(b, key, klen);
    for (size_t i = 0; i < n; i += REDIS_MAX_ARGS) {
        size_t m = n - i < REDIS_MAX_ARGS ? n - i : REDIS_MAX_ARGS;

        resp_array(b, m + 2);
        resp_bulk(b, "RPUSH", 5);
        resp_bulk(b, key, klen);
        for (size_t j = 0; j < m; j++)
            resp_bulk(b, vals[i + j], strlen(vals[i + j]));
    }
    if (ttl > 0) {
        char tmp[16];
        int m = snprintf(tmp, sizeof tmp, "%u", ttl);

        resp_array(b, 3);
        resp_bulk(b, "EXPIRE", 6);
        resp_bulk(b, key, klen);
        resp_bulk(b, tmp, (size_t)m);
    }
}

static int
resp_flush(FILE *fp, const char *name, struct bbuf *b, size_t at_least,
           struct diag *d)
{
    if (b->len < at_least || b->len == 0)
        return 0;
    if (fwrite(b->p, 1, b->len, fp) != b->len)
        return diag_errno(d, RC_IO, "%s: write failed", name);
    b->len = 0;
    return 0;
}

int
outtable_redis(FILE *fp, const char *name, const struct outtable_src *src,
               const char *prefix, const char *dt, uint32_t ttl,
               struct diag *d)
{
    const struct cands *c = src->c;
    const struct assign *a = src->a;
    struct bbuf b = BBUF_INIT, key = BBUF_INIT;
    const char **vals = NULL;
    size_t vcap = 0, *off, *pairs;
    int rc = 0;

    for (size_t k = 0; k < a->n_items && rc == 0; k++) {
        size_t m = a->off[k + 1] - a->off[k];

        if (m == 0)
            continue;
        vals = xgrow(vals, &vcap, m, sizeof *vals);
        for (size_t j = 0; j < m; j++)
            vals[j] = src->user_names[c->user[a->edge[a->off[k] + j]]];
        key.len = 0;
        bbuf_put(&key, prefix, strlen(prefix));
        bbuf_put_u8(&key, ':');
        bbuf_put(&key, dt, strlen(dt));
        bbuf_put(&key, ":item:", 6);
        bbuf_put(&key, src->item_names[c->items[k]],
                 strlen(src->item_names[c->items[k]]));
        bbuf_put_u8(&key, '\0');
        resp_list(&b, (const char *)key.p, vals, m, ttl);
        rc = resp_flush(fp, name, &b, OUT_CHUNK, d);
    }
    pairs = group_by_user(c, a, &off);
    for (uint32_t u = 0; u < a->n_users && rc == 0; u++) {
        size_t m = off[u + 1] - off[u];

        if (m == 0)
            continue;
        vals = xgrow(vals, &vcap, m, sizeof *vals);
        for (size_t j = 0; j < m; j++)
            vals[j] = src->item_names[c->items[pairs[2 * (off[u] + j) + 1]]];
        key.len = 0;
        bbuf_put(&key, prefix, strlen(prefix));
        bbuf_put_u8(&key, ':');
        bbuf_put(&key, dt, strlen(dt));
        bbuf_put(&key, ":user:", 6);
        bbuf_put(&key, src->user_names[u], strlen(src->user_names[u]));
        bbuf_put_u8(&key, '\0');
        resp_list(&b, (const char *)key.p, vals, m, ttl);
        rc = resp_flush(fp, name, &b, OUT_CHUNK, d);
    }
    if (rc == 0) {
        key.len = 0;
        bbuf_put(&key, prefix, strlen(prefix));
        bbuf_put(&key, ":current", 8);
        resp_array(&b, 3);
        resp_bulk(&b, "SET", 3);
        resp_bulk(&b, (const char *)key.p, key.len);
        resp_bulk(&b, dt, strlen(dt));
        rc = resp_flush(fp, name, &b, 0, d);
    }
    if (rc == 0 && fflush(fp) != 0)
        rc = diag_errno(d, RC_IO, "%s: write failed", name);
    free(pairs);
    free(off);
    free(vals);
    bbuf_release(&b);
    bbuf_release(&key);
    return rc;
}
