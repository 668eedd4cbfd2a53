/*
 * worldgen_out.c -- dualrec-gen's writer: runs the world day by day and
 * writes each day's logs in README's input format (canonical column
 * names), plain CSV or one zstd frame per file, plus the ground truth
 * (worldgen_truth.c).
 *
 * Memory: one day's per-item and per-user counters and the text of one
 * wave of user blocks.  Each block's rows are formatted by the thread that
 * simulated it into the block's slot, and appended to the files in block
 * order, so files are the same bytes for any thread count.
 * Every file is written through atomicfile (temp, fsync, rename).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "atomicfile.h"
#include "byteio.h"
#include "dates.h"
#include "layout.h"
#include "worldgen.h"
#include "worldgen_int.h"
#include "xmem.h"

#define FLUSH_BYTES (1u << 20)

/* One output CSV: text accumulates in buf and is flushed (compressed when
 * zstd) past FLUSH_BYTES. */
struct csvout {
    struct atomicfile af;
    ZSTD_CCtx *cc;              /* NULL: plain CSV */
    struct bbuf buf;
    unsigned char *z;
    size_t zcap;
    uint64_t rows;
    uint64_t bytes;             /* written to the file */
    int open;
};

static int
out_write(struct csvout *o, const void *p, size_t n, struct diag *d)
{
    if (n > 0 && fwrite(p, 1, n, o->af.fp) != n)
        return diag_errno(d, RC_IO, "%s: write failed", o->af.path);
    o->bytes += n;
    return 0;
}

static int
out_flush(struct csvout *o, int end, struct diag *d)
{
    ZSTD_inBuffer in;
    size_t r;

    if (o->cc == NULL) {
        if (out_write(o, o->buf.p, o->buf.len, d) < 0)
            return -1;
        o->buf.len = 0;
        return 0;
    }
    in.src = o->buf.p;
    in.size = o->buf.len;
    in.pos = 0;
    do {
        ZSTD_outBuffer out = { o->z, o->zcap, 0 };

        r = ZSTD_compressStream2(o->cc, &out, &in,
                                 end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(r))
            return diag_set(d, RC_INTERNAL, "%s: zstd compression failed: "
                            "%s", o->af.path, ZSTD_getErrorName(r));
        if (out_write(o, o->z, out.pos, d) < 0)
            return -1;
    } while (end ? r != 0 : in.pos < in.size);
    o->buf.len = 0;
    return 0;
}

static int
out_open(struct csvout *o, const char *dir, const char *name, int zstd,
         const char *header, struct diag *d)
{
    char path[4096];

    memset(o, 0, sizeof *o);
    if ((size_t)snprintf(path, sizeof path, "%s/%s.csv%s", dir, name,
                         zstd ? ".zst" : "") >= sizeof path)
        return diag_set(d, RC_CANTCREAT, "%s: path too long", dir);
    if (atomicfile_open(&o->af, path, d) < 0)
        return -1;
    o->open = 1;
    if (zstd) {
        o->cc = ZSTD_createCCtx();
        if (o->cc == NULL) {
            atomicfile_abort(&o->af);
            o->open = 0;
            return diag_set(d, RC_INTERNAL, "%s: cannot create zstd "
                            "context", path);
        }
        ZSTD_CCtx_setParameter(o->cc, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(o->cc, ZSTD_c_checksumFlag, 1);
        o->zcap = ZSTD_CStreamOutSize();
        o->z = xmalloc(o->zcap);
    }
    bbuf_put(&o->buf, header, strlen(header));
    return 0;
}

static void
out_release(struct csvout *o)
{
    if (o->open)
        atomicfile_abort(&o->af);
    ZSTD_freeCCtx(o->cc);
    free(o->z);
    bbuf_release(&o->buf);
    memset(o, 0, sizeof *o);
}

static int
out_commit(struct csvout *o, struct diag *d)
{
    int rc = out_flush(o, 1, d);

    if (rc == 0) {
        o->open = 0;
        rc = atomicfile_commit(&o->af, d);
    }
    return rc;
}

static inline int
out_maybe_flush(struct csvout *o, struct diag *d)
{
    return o->buf.len >= FLUSH_BYTES ? out_flush(o, 0, d) : 0;
}

/* Fast text formatting (the logs are the bulk of the work). */
static inline void
put_u64(struct bbuf *b, uint64_t v)
{
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    {
        unsigned char *p = bbuf_reserve(b, (size_t)n);

        for (int i = 0; i < n; i++)
            p[i] = (unsigned char)tmp[n - 1 - i];
        b->len += (size_t)n;
    }
}

static inline void
put_ch(struct bbuf *b, char c)
{
    *bbuf_reserve(b, 1) = (unsigned char)c;
    b->len++;
}

static inline void
put_id(struct bbuf *b, char prefix, uint32_t v)
{
    put_ch(b, prefix);
    put_u64(b, v);
}

static inline void
put_flag(struct bbuf *b, int on)
{
    put_ch(b, ',');
    put_ch(b, on ? '1' : '0');
}

enum { F_EXP, F_INTER, F_ITEMS, F_FOLLOWS, F_USERS, F_N };
static const char *const file_name[F_N] = {
    "exposures", "interactions", "items", "follows", "users"
};
static const char *const file_header[F_N] = {
    "time,user,item,click,like,comment,follow,share,long_view,hate,"
    "play_ms,duration_ms\n",
    "time,user,item,event,value\n",
    "item,creator,upload_time,tags,duration_ms\n",
    "time,user,creator\n",
    "user,signup_date,client\n"
};

/* Text of one user block, formatted in the parallel phase. */
struct slot_text {
    struct bbuf b[F_N];         /* exposures, interactions, follows used */
    uint64_t rows[F_N];
};

struct day_writer {
    const struct worldgen *w;
    struct csvout f[F_N];
    struct slot_text slot[WG_WAVE_BLOCKS];
};

/* Interaction events of a "lite" client, in flag order. */
static const struct {
    uint8_t bit;
    const char *name;
} lite_events[] = {
    { WG_LIKE, "like" }, { WG_COMMENT, "comment" }, { WG_FOLLOW, "follow" },
    { WG_SHARE, "share" }, { WG_HATE, "hate" }
};

/* Format a block's events into its slot (parallel phase). */
static void
format_events(void *arg, unsigned slot, const struct worldgen_event *ev,
              size_t n)
{
    struct day_writer *dw = arg;
    struct slot_text *st = &dw->slot[slot];
    const struct worldgen *w = dw->w;
    int64_t day_last = dates_day_start(w->day, 0) + DATES_DAY_SECONDS - 1;

    for (size_t k = 0; k < n; k++) {
        const struct worldgen_event *e = &ev[k];
        int lite = w->act[e->user].client == WG_CLIENT_LITE;
        uint8_t inl = lite ? (uint8_t)(e->fb & (WG_CLICK | WG_LONG_VIEW))
                           : e->fb;
        struct bbuf *b = &st->b[F_EXP];
        int64_t te = e->t + (e->play_ms + 999) / 1000;

        if (te > day_last)
            te = day_last;
        put_u64(b, (uint64_t)e->t);
        put_ch(b, ',');
        put_id(b, 'u', e->user);
        put_ch(b, ',');
        put_id(b, 'i', e->item);
        put_flag(b, inl & WG_CLICK);
        put_flag(b, inl & WG_LIKE);
        put_flag(b, inl & WG_COMMENT);
        put_flag(b, inl & WG_FOLLOW);
        put_flag(b, inl & WG_SHARE);
        put_flag(b, inl & WG_LONG_VIEW);
        put_flag(b, inl & WG_HATE);
        put_ch(b, ',');
        put_u64(b, e->play_ms);
        put_ch(b, ',');
        put_u64(b, e->dur_ms);
        put_ch(b, '\n');
        st->rows[F_EXP]++;
        if (lite) {
            for (size_t j = 0; j < sizeof lite_events / sizeof *lite_events;
                 j++) {
                if (!(e->fb & lite_events[j].bit))
                    continue;
                b = &st->b[F_INTER];
                put_u64(b, (uint64_t)te);
                put_ch(b, ',');
                put_id(b, 'u', e->user);
                put_ch(b, ',');
                put_id(b, 'i', e->item);
                put_ch(b, ',');
                bbuf_put(b, lite_events[j].name,
                         strlen(lite_events[j].name));
                bbuf_put(b, ",1\n", 3);
                st->rows[F_INTER]++;
            }
        }
        if (e->fb & WG_FOLLOW) {
            b = &st->b[F_FOLLOWS];
            put_u64(b, (uint64_t)te);
            put_ch(b, ',');
            put_id(b, 'u', e->user);
            put_ch(b, ',');
            put_id(b, 'c', w->items[e->item].creator);
            put_ch(b, '\n');
            st->rows[F_FOLLOWS]++;
        }
    }
}

/* Append a block's text to the files, in block order (serial phase). */
static int
write_events(void *arg, unsigned k, const struct worldgen_event *ev,
             size_t n, struct diag *d)
{
    struct day_writer *dw = arg;
    struct slot_text *st = &dw->slot[k];

    (void)ev;
    (void)n;
    for (int f = 0; f < F_N; f++) {
        bbuf_put(&dw->f[f].buf, st->b[f].p, st->b[f].len);
        dw->f[f].rows += st->rows[f];
        st->b[f].len = 0;
        st->rows[f] = 0;
        if (out_maybe_flush(&dw->f[f], d) < 0)
            return -1;
    }
    return 0;
}

/* Items uploaded from item `from` to the end; users signing up on the
 * day (on the first day: every user signed up by then). */
static int
write_catalog(struct day_writer *dw, uint32_t from, int first_day,
              struct diag *d)
{
    const struct worldgen *w = dw->w;
    struct bbuf *b = &dw->f[F_ITEMS].buf;
    char date[16];

    for (uint32_t i = from; i < w->n_items; i++) {
        const struct wg_item *it = &w->items[i];

        put_id(b, 'i', i);
        put_ch(b, ',');
        put_id(b, 'c', it->creator);
        put_ch(b, ',');
        put_u64(b, (uint64_t)it->upload_t);
        put_ch(b, ',');
        for (uint32_t k = 0; k < it->n_tags; k++) {
            if (k > 0)
                put_ch(b, '|');
            put_id(b, 't', it->tags[k]);
        }
        put_ch(b, ',');
        put_u64(b, it->dur_ms);
        put_ch(b, '\n');
        dw->f[F_ITEMS].rows++;
        if (out_maybe_flush(&dw->f[F_ITEMS], d) < 0)
            return -1;
    }
    b = &dw->f[F_USERS].buf;
    for (uint32_t u = 0; u < w->p.n_users; u++) {
        const struct wg_user_act *a = &w->act[u];

        if (first_day ? a->arrive > w->day : a->arrive != w->day)
            continue;
        put_id(b, 'u', u);
        put_ch(b, ',');
        bbuf_put(b, dates_format_day(a->arrive, date), 10);
        bbuf_put(b, a->client == WG_CLIENT_LITE ? ",lite\n" : ",app\n",
                 a->client == WG_CLIENT_LITE ? 6 : 5);
        dw->f[F_USERS].rows++;
        if (out_maybe_flush(&dw->f[F_USERS], d) < 0)
            return -1;
    }
    return 0;
}

static int
write_day(struct worldgen *w, const char *root, unsigned flags,
          struct worldgen_daystats *st, struct worldgen_summary *sum,
          struct diag *d)
{
    struct day_writer dw;
    char dir[4096], dt[LAYOUT_DT_SIZE];
    int rc = 0, f;

    memset(&dw, 0, sizeof dw);
    dw.w = w;
    if ((size_t)snprintf(dir, sizeof dir, "%s/" LAYOUT_LOGS_DIR "/%s", root,
                         layout_dt(w->day, dt)) >= sizeof dir)
        return diag_set(d, RC_CANTCREAT, "%s: path too long", root);
    if (mkdir_p(dir, d) < 0)
        return -1;
    for (f = 0; f < F_N && rc == 0; f++)
        rc = out_open(&dw.f[f], dir, file_name[f], flags & WORLDGEN_ZSTD,
                      file_header[f], d);
    if (rc == 0)
        rc = write_catalog(&dw, w->day == w->p.start_day ? 0
                                                         : w->first_today,
                           w->day == w->p.start_day, d);
    if (rc == 0)
        rc = wg_sim_day(w, NULL, format_events, write_events, &dw, st, d);
    for (f = 0; f < F_N && rc == 0; f++)
        rc = out_commit(&dw.f[f], d);
    for (f = 0; f < F_N; f++) {
        sum->rows[f] += dw.f[f].rows;
        sum->bytes += dw.f[f].bytes;
        out_release(&dw.f[f]);
        for (int k = 0; k < WG_WAVE_BLOCKS; k++)
            bbuf_release(&dw.slot[k].b[f]);
    }
    return rc;
}

int
worldgen_generate(const struct worldgen_params *p, const char *dir,
                  unsigned flags, worldgen_progress_fn progress, void *parg,
                  struct worldgen_summary *sum, struct diag *d)
{
    struct worldgen *w = NULL;
    struct wg_truth_writer tw;
    int rc;

    memset(sum, 0, sizeof *sum);
    if (worldgen_new(p, &w, d) < 0)
        return -1;
    rc = wg_truth_begin(&tw, w, dir, d);
    for (uint32_t k = 0; k < p->n_days && rc == 0; k++) {
        struct worldgen_daystats st;

        rc = write_day(w, dir, flags, &st, sum, d);
        if (rc < 0)
            break;
        rc = wg_truth_day(&tw, w, &st, d);
        for (int f = 0; f < 7; f++)
            sum->n_fb[f] += st.n_fb[f];
        if (progress != NULL)
            progress(parg, w->day, &st);
        if (k + 1 < p->n_days)
            worldgen_advance(w, &st);
        worldgen_daystats_release(&st);
    }
    if (rc == 0)
        rc = wg_truth_end(&tw, w, d);
    wg_truth_release(&tw);
    sum->n_items = w->n_items;
    worldgen_free(w);
    return rc;
}
