/*
 * ingest.c -- a day's CSV logs into a day segment (see ingest.h).
 *
 * Pipeline: lock the dictionaries; load them; read each table through
 * logread, appending compact rows and new ids (file order); check the
 * reject budget; sort every array as segment.h specifies and drop exact
 * duplicates; OR interaction feedback into exposures; save the
 * dictionaries (on a thread, during the sort), then the segment; unlock.
 *
 * Speed: a block's ids are looked up on every core once logread has parsed
 * it (the prepare hook: iddict_find_many per chunk, in table order); only
 * ids not yet known are added afterwards, in file order, their slots
 * prefetched a few rows ahead.  Exposures, the bulk of a day, are kept in
 * 20-byte rows in blocks that a helper thread makes ahead, then sorted by
 * ingest_sort.c in the same order as segment_sort, which sorts the other
 * arrays.  Nothing depends on the thread count.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "bgthread.h"
#include "dates.h"
#include "iddict.h"
#include "ingest.h"
#include "ingest_int.h"
#include "layout.h"
#include "segment.h"
#include "warmbuf.h"
#include "xmem.h"

#define PROGRESS_BYTES (64u << 20)

enum { D_USERS, D_ITEMS, D_CREATORS, D_TAGS, D_N };

static const char *const dict_kind[D_N] = {
    "users", "items", "creators", "tags"
};

/* An item row as read (file order; segment_sort keeps the last). */
struct item_row {
    struct seg_item it;
};

/*
 * The exposure blocks are fresh memory, and the kernel clears each page on
 * first touch, on the thread that touches it: the thread taking the rows,
 * which paces the whole read.  So a helper thread allocates and touches
 * the next block while the current one fills.
 */
struct block_maker {
    struct bgthread thread;
    int started, stop;
    int wanted;                 /* a block is asked for */
    void *ready;                /* made, not yet taken */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

#define EXP_BLOCK_BYTES (EXP_BLOCK * sizeof(struct exp_row))

static void *
make_block(void)
{
    char *p = xmalloc_big(EXP_BLOCK_BYTES);
    volatile char *touch = p;
    size_t off;

    for (off = 0; off < EXP_BLOCK_BYTES; off += 4096)
        touch[off] = 0;
    return p;
}

static void *
block_maker_main(void *arg)
{
    struct block_maker *m = arg;

    pthread_mutex_lock(&m->mu);
    for (;;) {
        void *p;

        while (!m->stop && !(m->wanted && m->ready == NULL))
            pthread_cond_wait(&m->cv, &m->mu);
        if (m->stop)
            break;
        pthread_mutex_unlock(&m->mu);
        p = make_block();
        pthread_mutex_lock(&m->mu);
        m->ready = p;
        m->wanted = 0;
        pthread_cond_broadcast(&m->cv);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* A new exposure block: the one made ahead if any; then ask for the next. */
static void *
take_block(struct block_maker *m)
{
    void *p = NULL;

    if (!m->started) {
        pthread_mutex_init(&m->mu, NULL);
        pthread_cond_init(&m->cv, NULL);
        m->started = bgthread_start(&m->thread, block_maker_main, m) == 0
                     ? 1 : -1;
    }
    if (m->started < 0)
        return xmalloc_big(EXP_BLOCK_BYTES);
    pthread_mutex_lock(&m->mu);
    while (m->wanted && m->ready == NULL)
        pthread_cond_wait(&m->cv, &m->mu);
    p = m->ready;
    m->ready = NULL;
    m->wanted = 1;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    return p != NULL ? p : xmalloc_big(EXP_BLOCK_BYTES);
}

static void
stop_block_maker(struct block_maker *m)
{
    if (m->started <= 0)
        return;
    pthread_mutex_lock(&m->mu);
    m->stop = 1;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    bgthread_join(&m->thread);
    free(m->ready);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    m->started = 0;
}

struct acc {
    struct exp_row **eblk;
    size_t n_eblk, cap_eblk;
    size_t n_exp;
    struct seg_inter *inter;
    size_t n_inter, cap_inter;
    struct item_row *items;
    size_t n_items, cap_items;
    uint32_t *tags;
    size_t n_tags, cap_tags;
    struct seg_follow *follows;
    size_t n_follows, cap_follows;
    uint32_t *users;
    size_t n_users, cap_users;
};

struct run {
    const struct ingest_opts *o;
    struct ingest_stats *st;
    struct iddict *dict[D_N];
    struct block_maker maker;       /* exposure blocks made ahead */
    struct warmbuf *sort_dst;       /* the sort's output, warmed ahead */
    int loaded[D_N];                /* read from disk, with n_loaded ids */
    uint32_t n_loaded[D_N];
    struct acc a;
    struct atomicfile rej;
    int rej_open;
    char *rej_path;
    int lock_fd;
    int64_t day_lo, day_hi;         /* [lo, hi) epoch seconds */
    double t0;
};

struct ingest_opts
ingest_default_opts(void)
{
    struct ingest_opts o;

    memset(&o, 0, sizeof o);
    o.max_reject_ratio = INGEST_MAX_REJECT_RATIO;
    return o;
}

static char *
join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = xmalloc(n);

    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- locking and dictionaries ---- */

int
ingest_lock(const char *segroot, int *fd, struct diag *d)
{
    char *dir = join(segroot, LAYOUT_DICT_DIR);
    char *path = join(dir, ".lock");
    int rc = 0;

    *fd = -1;
    if (mkdir_p(dir, d) < 0) {
        rc = -1;
        goto out;
    }
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0) {
        rc = diag_errno(d, RC_CANTCREAT, "%s: cannot create lock file",
                        path);
        goto out;
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            rc = diag_set(d, RC_RETRY,
                          "%s: another ingest holds the dictionary lock, "
                          "retry later", path);
        else
            rc = diag_errno(d, RC_IO, "%s: cannot lock", path);
        close(*fd);
        *fd = -1;
    }
out:
    free(dir);
    free(path);
    return rc;
}

static int
take_lock(struct run *r, struct diag *d)
{
    if (r->o->lock_held)
        return 0;
    return ingest_lock(r->o->segroot, &r->lock_fd, d);
}

static int
load_dicts(struct run *r, struct diag *d)
{
    int k;

    for (k = 0; k < D_N; k++) {
        char *p = segment_dict_path(r->o->segroot, dict_kind[k]);
        struct diag d2 = DIAG_INIT;

        if (iddict_load(p, &r->dict[k], &d2) < 0) {
            if (d2.rc != RC_NOINPUT) {
                free(p);
                if (d != NULL)
                    *d = d2;
                return -1;
            }
            r->dict[k] = iddict_new();
        } else {
            r->loaded[k] = 1;
            r->n_loaded[k] = iddict_count(r->dict[k]);
        }
        free(p);
    }
    return 0;
}

/* Save the dictionaries that grew (or were not on disk): one that only
 * grows and has as many ids as it was loaded with is unchanged. */
static int
save_dicts(struct run *r, struct diag *d)
{
    int k;

    for (k = 0; k < D_N; k++) {
        char *p;
        int rc;

        if (r->loaded[k] && iddict_count(r->dict[k]) == r->n_loaded[k])
            continue;
        p = segment_dict_path(r->o->segroot, dict_kind[k]);
        rc = iddict_save(r->dict[k], p, d);

        free(p);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* save_dicts on a thread of its own. */
struct dict_saver {
    struct run *r;
    struct bgthread thread;
    int started, rc;
    struct diag d;
};

static void *
save_dicts_thread(void *arg)
{
    struct dict_saver *ds = arg;

    ds->rc = save_dicts(ds->r, &ds->d);
    return NULL;
}

/* ---- the reject file ---- */

static void
put_csv_field(FILE *fp, const char *p, size_t n)
{
    size_t i;
    int quote = 0;

    for (i = 0; i < n && !quote; i++)
        if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r')
            quote = 1;
    if (!quote) {
        fwrite(p, 1, n, fp);
        return;
    }
    fputc('"', fp);
    for (i = 0; i < n; i++) {
        if (p[i] == '"')
            fputc('"', fp);
        fputc(p[i], fp);
    }
    fputc('"', fp);
}

static int
open_rejects(struct run *r, struct diag *d)
{
    if (r->o->rejects_path != NULL) {
        r->rej_path = xstrdup(r->o->rejects_path);
    } else {
        char *dir = layout_day(r->o->segroot, r->o->day, NULL);

        if (mkdir_p(dir, d) < 0) {
            free(dir);
            return -1;
        }
        r->rej_path = join(dir, LAYOUT_REJECTS);
        free(dir);
    }
    if (atomicfile_open(&r->rej, r->rej_path, d) < 0)
        return -1;
    r->rej_open = 1;
    fputs("file,line,reason,record\n", r->rej.fp);
    return 0;
}

void
ingest_write_reject(FILE *fp, const char *path,
                    const struct logread_row *row, const char *msg)
{
    char prefix[64];
    size_t skip = strlen(path);
    int n;

    /* the reason is the message without its "path:line: " prefix */
    n = snprintf(prefix, sizeof prefix, ":%llu: ",
                 (unsigned long long)row->line);
    if (strncmp(msg, path, skip) == 0
        && strncmp(msg + skip, prefix, (size_t)n) == 0)
        skip += (size_t)n;
    else
        skip = 0;
    put_csv_field(fp, path, strlen(path));
    fprintf(fp, ",%llu,", (unsigned long long)row->line);
    put_csv_field(fp, msg + skip, strlen(msg + skip));
    fputc(',', fp);
    put_csv_field(fp, row->raw.p, row->raw.n);
    fputc('\n', fp);
}

/* ---- reading ---- */

static int
in_day(struct run *r, enum logread_table t, const char *path,
       const struct logread_row *row)
{
    if (row->t >= r->day_lo && row->t < r->day_hi)
        return 1;
    if (r->st->out_of_day[LOGREAD_EXPOSURES]
        + r->st->out_of_day[LOGREAD_INTERACTIONS]
        + r->st->out_of_day[LOGREAD_FOLLOWS] == 0) {
        r->st->first_ood_path = path;
        r->st->first_ood_line = row->line;
    }
    r->st->out_of_day[t]++;
    return 0;
}

static uint32_t id_add(struct run *r, int kind, const char *s, size_t n);

static void
add_tags(struct run *r, struct item_row *ir, struct logread_str s)
{
    struct acc *a = &r->a;
    size_t i = 0, first = a->n_tags;

    ir->it.tag_off = (uint32_t)a->n_tags;
    while (i < s.n) {
        size_t b = i, e;
        uint32_t tag, k;
        int dup = 0;

        while (i < s.n && s.p[i] != '|' && s.p[i] != ',')
            i++;
        e = i++;
        while (b < e && (s.p[b] == ' ' || s.p[b] == '\t'))
            b++;
        while (e > b && (s.p[e - 1] == ' ' || s.p[e - 1] == '\t'))
            e--;
        if (e == b)
            continue;
        tag = id_add(r, D_TAGS, s.p + b, e - b);
        for (k = (uint32_t)first; k < a->n_tags && !dup; k++)
            dup = a->tags[k] == tag;
        if (dup)
            continue;
        a->tags = xgrow(a->tags, &a->cap_tags, a->n_tags + 1,
                        sizeof *a->tags);
        a->tags[a->n_tags++] = tag;
    }
    ir->it.n_tags = (uint32_t)(a->n_tags - first);
}

/*
 * logread's prepare hook, called for each chunk of a block on the core
 * parsing it: look the chunk's ids up, all users at once, then all items,
 * then all creators (iddict_find_many visits them in table order).  Only
 * finds (nobody adds to the dictionaries while a block is parsed); ids not
 * yet known are added in file order by take_row, so indices do not depend
 * on the thread count.
 */
static void
lookup_ids(struct iddict *dict, struct iddict_query *q,
           struct logread_row *const *rows, size_t n, int which)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const struct logread_str *s = which == 0 ? &rows[i]->user
                                    : which == 1 ? &rows[i]->item
                                    : &rows[i]->creator;

        q[i].s = s->p;
        q[i].n = s->n;
    }
    iddict_find_many(dict, q, n);
    for (i = 0; i < n; i++)
        rows[i]->ix[which] = q[i].idx;
}

static void
prepare_rows(void *ctx, enum logread_table t, struct logread_row *const *rows,
             size_t n)
{
    struct run *r = ctx;
    struct iddict_query *q = xmalloc((n + 1) * sizeof *q);
    size_t i;

    if (t != LOGREAD_ITEMS)
        lookup_ids(r->dict[D_USERS], q, rows, n, 0);
    if (t == LOGREAD_EXPOSURES || t == LOGREAD_INTERACTIONS
        || t == LOGREAD_ITEMS)
        lookup_ids(r->dict[D_ITEMS], q, rows, n, 1);
    if (t == LOGREAD_FOLLOWS || t == LOGREAD_ITEMS) {
        lookup_ids(r->dict[D_CREATORS], q, rows, n, 2);
        for (i = 0; i < n; i++)     /* an empty creator is "none" */
            if (rows[i]->creator.n == 0)
                rows[i]->ix[2] = IDDICT_NONE;
    }
    free(q);
}

/*
 * logread's ahead hook: take_row will add the ids prepare_row did not
 * find, one by one on this thread; fetch their slots a few rows early.
 */
static void
ahead_row(void *ctx, enum logread_table t, const struct logread_row *row)
{
    struct run *r = ctx;

    if (t != LOGREAD_ITEMS && row->ix[0] == IDDICT_NONE)
        iddict_prefetch(r->dict[D_USERS], row->user.p, row->user.n);
    if ((t == LOGREAD_EXPOSURES || t == LOGREAD_INTERACTIONS
         || t == LOGREAD_ITEMS) && row->ix[1] == IDDICT_NONE)
        iddict_prefetch(r->dict[D_ITEMS], row->item.p, row->item.n);
}

/* The index of id s[0..n) of a kind, appending it when new. */
static uint32_t
id_add(struct run *r, int kind, const char *s, size_t n)
{
    return iddict_add(r->dict[kind], s, n);
}

/* The index of a row's id: the one prepare_row found, or id_add's. */
static uint32_t
id_ix(struct run *r, int kind, uint32_t found, struct logread_str s)
{
    if (found != IDDICT_NONE)
        return found;
    return id_add(r, kind, s.p, s.n);
}

/* The sort's output array (a struct seg_exposure per row, 32 bytes
 * against the 20 of a stored row) is faulted in while rows are still
 * being read, in idle time, a step of this many rows ahead. */
#define SORT_WARM_ROWS ((size_t)1 << 16)

static void
take_row(struct run *r, enum logread_table t, const char *path,
         const struct logread_row *row)
{
    struct acc *a = &r->a;

    switch (t) {
    case LOGREAD_EXPOSURES: {
        struct exp_row *e;

        if (!in_day(r, t, path, row))
            return;
        if (a->n_exp == a->n_eblk * EXP_BLOCK) {
            a->eblk = xgrow(a->eblk, &a->cap_eblk, a->n_eblk + 1,
                            sizeof *a->eblk);
            a->eblk[a->n_eblk++] = take_block(&r->maker);
        }
        if ((a->n_exp & (SORT_WARM_ROWS - 1)) == 0) {
            if (r->sort_dst == NULL)
                r->sort_dst = warmbuf_new();
            warmbuf_want(r->sort_dst, (a->n_exp + SORT_WARM_ROWS + 1)
                                      * sizeof(struct seg_exposure));
        }
        e = &a->eblk[a->n_exp >> EXP_BLOCK_LOG2][a->n_exp & (EXP_BLOCK - 1)];
        a->n_exp++;
        e->user = id_ix(r, D_USERS, row->ix[0], row->user);
        e->item = id_ix(r, D_ITEMS, row->ix[1], row->item);
        e->t_fb = (uint32_t)(row->t - r->day_lo) | row->fb << EXP_T_BITS;
        e->play_ms = row->play_ms;
        e->dur_ms = row->dur_ms;
        break;
    }
    case LOGREAD_INTERACTIONS: {
        struct seg_inter *e;

        if (!in_day(r, t, path, row))
            return;
        a->inter = xgrow(a->inter, &a->cap_inter, a->n_inter + 1,
                         sizeof *a->inter);
        e = &a->inter[a->n_inter++];
        memset(e, 0, sizeof *e);
        e->t = row->t;
        e->user = id_ix(r, D_USERS, row->ix[0], row->user);
        e->item = id_ix(r, D_ITEMS, row->ix[1], row->item);
        e->fb = row->fb;
        e->value = row->value;
        break;
    }
    case LOGREAD_ITEMS: {
        struct item_row *ir;

        a->items = xgrow(a->items, &a->cap_items, a->n_items + 1,
                         sizeof *a->items);
        ir = &a->items[a->n_items];
        memset(ir, 0, sizeof *ir);
        a->n_items++;
        ir->it.item = id_ix(r, D_ITEMS, row->ix[1], row->item);
        ir->it.creator = row->creator.n == 0 ? SEG_NONE
            : id_ix(r, D_CREATORS, row->ix[2], row->creator);
        ir->it.upload_t = row->t;
        ir->it.dur_ms = row->dur_ms;
        add_tags(r, ir, row->tags);
        break;
    }
    case LOGREAD_FOLLOWS: {
        struct seg_follow *f;

        if (!in_day(r, t, path, row))
            return;
        a->follows = xgrow(a->follows, &a->cap_follows, a->n_follows + 1,
                           sizeof *a->follows);
        f = &a->follows[a->n_follows++];
        memset(f, 0, sizeof *f);
        f->t = row->t;
        f->user = id_ix(r, D_USERS, row->ix[0], row->user);
        f->creator = id_ix(r, D_CREATORS, row->ix[2], row->creator);
        break;
    }
    case LOGREAD_USERS:
        a->users = xgrow(a->users, &a->cap_users, a->n_users + 1,
                         sizeof *a->users);
        a->users[a->n_users++] = id_ix(r, D_USERS, row->ix[0], row->user);
        break;
    default:
        break;
    }
}

static void
update_bytes(struct run *r, const struct logread *lr, uint64_t base_in,
             uint64_t base_parsed)
{
    r->st->bytes_in = base_in + logread_bytes_in(lr);
    r->st->bytes_parsed = base_parsed + logread_bytes_parsed(lr);
    r->st->seconds = now() - r->t0;
}

static int
read_table(struct run *r, enum logread_table t, struct diag *d)
{
    const char *path = r->o->paths[t];
    struct ingest_stats *st = r->st;
    struct logread *lr = NULL;
    struct logread_row *row;
    struct logread_opts lo;
    uint64_t base_in = st->bytes_in, base_parsed = st->bytes_parsed;
    uint64_t next_report = PROGRESS_BYTES;
    int got;

    lo = r->o->lr;
    lo.prepare = prepare_rows;
    lo.ahead = ahead_row;
    lo.prepare_ctx = r;
    if (logread_open(path, t, &lo, &lr, d) < 0)
        return -1;
    while ((got = logread_next_ref(lr, &row, d)) != LOGREAD_EOF) {
        if (got == LOGREAD_FAIL) {
            logread_close(lr);
            return -1;
        }
        st->read[t]++;
        if (got == LOGREAD_REJECT) {
            st->rejected[t]++;
            if (r->o->on_reject != NULL)
                r->o->on_reject(r->o->ctx, d->msg);
            ingest_write_reject(r->rej.fp, path, row, d->msg);
            diag_clear(d);
            continue;
        }
        take_row(r, t, path, row);
        if (r->o->on_progress != NULL
            && logread_bytes_parsed(lr) >= next_report) {
            update_bytes(r, lr, base_in, base_parsed);
            r->o->on_progress(r->o->ctx, path, st);
            next_report += PROGRESS_BYTES;
        }
    }
    update_bytes(r, lr, base_in, base_parsed);
    logread_close(lr);
    if (r->o->on_progress != NULL)
        r->o->on_progress(r->o->ctx, path, st);
    return 0;
}

/* ---- the segment ---- */

/*
 * Move the accumulated rows into seg, then sort, dedup and fold feedback
 * with segment.c's canonical functions (one definition of the on-disk
 * order for every writer).
 */
static void
build_segment(struct run *r, struct segment *seg)
{
    struct acc *a = &r->a;
    struct ingest_stats *st = r->st;
    struct segment_sort_stats ss;
    struct exp_src src = { NULL, 0, NULL };
    size_t i, n;

    seg->items = xmalloc((a->n_items + 1) * sizeof *seg->items);
    for (i = 0; i < a->n_items; i++)
        seg->items[i] = a->items[i].it;
    seg->n_items = a->n_items;
    free(a->items);
    seg->tags = a->tags;
    seg->n_tags = a->n_tags;
    /*
     * Exposures are the bulk of a day: sort them on every core (as
     * ingest_sort_exposures, same order as segment_sort, tested against
     * it) and let segment_sort do the other arrays.
     */
    src.blk = a->eblk;
    src.day_lo = r->day_lo;
    n = (a->n_exp + 1) * sizeof *seg->exp;
    seg->exp = r->sort_dst != NULL ? warmbuf_take(r->sort_dst, n)
                                   : xmalloc_big(n);
    r->sort_dst = NULL;
    n = ingest_sort_src(&src, a->n_exp, iddict_count(r->dict[D_USERS]),
                        seg->exp);
    st->duplicates[LOGREAD_EXPOSURES] = a->n_exp - n;
    for (i = 0; i < a->n_eblk; i++)
        free(a->eblk[i]);
    free(a->eblk);
    seg->inter = a->inter;
    seg->n_inter = a->n_inter;
    seg->follows = a->follows;
    seg->n_follows = a->n_follows;
    seg->users = a->users;
    seg->n_users = a->n_users;
    memset(a, 0, sizeof *a);

    seg->n_exp = 0;
    segment_sort(seg, &ss);
    seg->n_exp = n;
    st->duplicates[LOGREAD_INTERACTIONS] = ss.inter_dups;
    st->duplicates[LOGREAD_FOLLOWS] = ss.follow_dups;
    st->duplicates[LOGREAD_USERS] = ss.user_dups;
    st->items_superseded = ss.item_dups;
    st->fb_merged = segment_fold_feedback(seg);

    st->stored[LOGREAD_EXPOSURES] = seg->n_exp;
    st->stored[LOGREAD_INTERACTIONS] = seg->n_inter;
    st->stored[LOGREAD_ITEMS] = seg->n_items;
    st->stored[LOGREAD_FOLLOWS] = seg->n_follows;
    st->stored[LOGREAD_USERS] = seg->n_users;
}

/* Distinct users and items in the day's rows. */
static void
count_distinct(struct run *r, const struct segment *seg)
{
    uint32_t nu = iddict_count(r->dict[D_USERS]);
    uint32_t ni = iddict_count(r->dict[D_ITEMS]);
    unsigned char *su = xcalloc((size_t)nu + 1, 1);
    unsigned char *si = xcalloc((size_t)ni + 1, 1);
    uint32_t cu = 0, ci = 0;
    size_t k;

#define MARK(set, cnt, x) do { if (!set[x]) { set[x] = 1; cnt++; } } while (0)
    for (k = 0; k < seg->n_exp; k++) {
        MARK(su, cu, seg->exp[k].user);
        MARK(si, ci, seg->exp[k].item);
    }
    for (k = 0; k < seg->n_inter; k++) {
        MARK(su, cu, seg->inter[k].user);
        MARK(si, ci, seg->inter[k].item);
    }
    for (k = 0; k < seg->n_follows; k++)
        MARK(su, cu, seg->follows[k].user);
    for (k = 0; k < seg->n_users; k++)
        MARK(su, cu, seg->users[k]);
    for (k = 0; k < seg->n_items; k++)
        MARK(si, ci, seg->items[k].item);
#undef MARK
    r->st->day_users = cu;
    r->st->day_items = ci;
    free(su);
    free(si);
}

static void
release_run(struct run *r)
{
    int k;

    stop_block_maker(&r->maker);
    warmbuf_free(r->sort_dst);
    for (k = 0; k < D_N; k++) {
        iddict_free(r->dict[k]);
    }
    for (k = 0; k < (int)r->a.n_eblk; k++)
        free(r->a.eblk[k]);
    free(r->a.eblk);
    free(r->a.inter);
    free(r->a.items);
    free(r->a.tags);
    free(r->a.follows);
    free(r->a.users);
    if (r->rej_open)
        atomicfile_abort(&r->rej);
    free(r->rej_path);
    if (r->lock_fd >= 0)
        close(r->lock_fd);          /* releases the flock */
}

int
ingest_run(const struct ingest_opts *o, struct ingest_stats *st,
           struct diag *d)
{
    struct run r;
    struct dict_saver dict_saver = { 0 };
    struct segment *seg = NULL;
    double ratio = o->max_reject_ratio < 0 ? INGEST_MAX_REJECT_RATIO
                                           : o->max_reject_ratio;
    char *seg_path = NULL;
    int t, rc = -1;

    memset(st, 0, sizeof *st);
    memset(&r, 0, sizeof r);
    r.o = o;
    r.st = st;
    r.lock_fd = -1;
    r.t0 = now();
    r.day_lo = dates_day_start(o->day, o->lr.zone_offset);
    r.day_hi = r.day_lo + DATES_DAY_SECONDS;
    if (o->paths[LOGREAD_EXPOSURES] == NULL
        && o->paths[LOGREAD_INTERACTIONS] == NULL)
        return diag_set(d, RC_USAGE,
                        "no exposures or interactions file given");
    if (logread_check_opts(&o->lr, d) < 0)
        return -1;
    for (t = 0; t < LOGREAD_N_TABLES; t++)
        if (o->paths[t] != NULL && strcmp(o->paths[t], "-") != 0
            && !path_exists(o->paths[t]))
            return diag_set(d, RC_NOINPUT, "%s: cannot open: %s",
                            o->paths[t], strerror(ENOENT));
    if (take_lock(&r, d) < 0 || load_dicts(&r, d) < 0
        || open_rejects(&r, d) < 0)
        goto out;
    for (t = 0; t < LOGREAD_N_TABLES; t++)
        if (o->paths[t] != NULL && read_table(&r, t, d) < 0)
            goto out;
    for (t = 0; t < LOGREAD_N_TABLES; t++) {
        st->rows_read += st->read[t];
        st->rows_rejected += st->rejected[t];
        st->rows_out_of_day += st->out_of_day[t];
    }
    r.rej_open = 0;
    if (atomicfile_commit(&r.rej, d) < 0)
        goto out;
    if (st->rows_rejected > 0
        && (double)st->rows_rejected > ratio * (double)st->rows_read) {
        rc = diag_set(d, RC_DATA,
                      "%llu of %llu rows rejected (%.2f%%), over the budget "
                      "of %.2f%% (--max-reject-ratio %g); see %s",
                      (unsigned long long)st->rows_rejected,
                      (unsigned long long)st->rows_read,
                      100.0 * (double)st->rows_rejected
                          / (double)st->rows_read,
                      100.0 * ratio, ratio, r.rej_path);
        goto out;
    }

    stop_block_maker(&r.maker);
    st->read_s = now() - r.t0;
    /* the dictionaries are final: save them while the segment is built
     * (they must be on disk before the segment, which is saved last) */
    dict_saver.r = &r;
    dict_saver.started = bgthread_start(&dict_saver.thread, save_dicts_thread,
                                        &dict_saver) == 0;
    seg = xcalloc(1, sizeof *seg);
    seg->day = o->day;
    seg->zone_offset = o->lr.zone_offset;
    build_segment(&r, seg);
    st->sort_s = now() - r.t0 - st->read_s;
    for (t = 0; t < LOGREAD_N_TABLES; t++) {
        st->rows_duplicate += st->duplicates[t];
        st->accepted += st->stored[t];
    }
    count_distinct(&r, seg);
    st->dict_users = iddict_count(r.dict[D_USERS]);
    st->dict_items = iddict_count(r.dict[D_ITEMS]);
    st->dict_creators = iddict_count(r.dict[D_CREATORS]);
    st->dict_tags = iddict_count(r.dict[D_TAGS]);

    if (dict_saver.started) {
        bgthread_join(&dict_saver.thread);
        dict_saver.started = 0;
    } else {
        dict_saver.rc = save_dicts(&r, &dict_saver.d);
    }
    if (dict_saver.rc < 0) {
        if (d != NULL)
            *d = dict_saver.d;
        goto out;
    }
    seg_path = segment_path(o->segroot, o->day);
    {
        char *slash = strrchr(seg_path, '/');

        *slash = '\0';
        t = mkdir_p(seg_path, d);
        *slash = '/';
        if (t < 0)
            goto out;
    }
    if (segment_save(seg, seg_path, d) < 0)
        goto out;
    st->save_s = now() - r.t0 - st->read_s - st->sort_s;
    rc = 0;
out:
    if (dict_saver.started)
        bgthread_join(&dict_saver.thread);
    st->seconds = now() - r.t0;
    segment_free(seg);
    free(seg_path);
    release_run(&r);
    return rc;
}

/* ---- finding a day's files ---- */

int
ingest_find_logs(const char *dir, char *paths[LOGREAD_N_TABLES],
                 struct diag *d)
{
    int t;

    for (t = 0; t < LOGREAD_N_TABLES; t++)
        paths[t] = NULL;
    if (!path_exists(dir))
        return diag_set(d, RC_NOINPUT, "%s: no such log directory", dir);
    for (t = 0; t < LOGREAD_N_TABLES; t++) {
        char name[64];
        char *plain, *zst;

        snprintf(name, sizeof name, "%s.csv", logread_table_name(t));
        plain = join(dir, name);
        snprintf(name, sizeof name, "%s.csv.zst", logread_table_name(t));
        zst = join(dir, name);
        if (path_exists(plain) && path_exists(zst)) {
            diag_set(d, RC_DATA, "%s: both %s.csv and %s.csv.zst present",
                     dir, logread_table_name(t), logread_table_name(t));
            free(plain);
            free(zst);
            for (t = 0; t < LOGREAD_N_TABLES; t++) {
                free(paths[t]);
                paths[t] = NULL;
            }
            return -1;
        }
        if (path_exists(plain)) {
            paths[t] = plain;
            free(zst);
        } else if (path_exists(zst)) {
            paths[t] = zst;
            free(plain);
        } else {
            free(plain);
            free(zst);
        }
    }
    if (paths[LOGREAD_EXPOSURES] == NULL
        && paths[LOGREAD_INTERACTIONS] == NULL) {
        for (t = 0; t < LOGREAD_N_TABLES; t++) {
            free(paths[t]);
            paths[t] = NULL;
        }
        return diag_set(d, RC_NOINPUT,
                        "%s: no exposures.csv[.zst] or "
                        "interactions.csv[.zst]", dir);
    }
    return 0;
}
