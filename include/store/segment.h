/*
 * segment.h -- one day of events on disk, and a window of days in memory.
 *
 * dualrec-ingest parses a day's CSV logs once and writes
 * <segroot>/dt=YYYY-MM-DD/segment.bin; every later stage reads only
 * segments, never CSV.  Indices are dense ids from the dictionaries in
 * <segroot>/dict/{users,items,creators,tags}.dict (iddict.h), which only
 * grow, so an index means the same thing in every segment.
 *
 * In memory a segment is a set of plain arrays:
 *   exp    exposures (impressions) with inline feedback, sorted by
 *          (user, t, item); feedback that arrived as separate interaction
 *          rows is also OR-ed into the latest exposure of the same
 *          (user, item) at or before its time on that day, when there is one
 *   inter  interaction rows (time, user, item, event, value) sorted by
 *          (user, t, item, event)
 *   items  the item table rows of the day (item, creator, upload time,
 *          duration, tags), sorted by item; tags of items[k] are
 *          tags[items[k].tag_off .. + n_tags]
 *   follows (user, creator, t) sorted by (user, creator, t)
 *   users  indices of users listed in the day's users table (sorted)
 * Exact duplicate rows are removed by ingest, so none appear here.
 *
 * The file is a binfile (binfile.h) with magic "\x89DRSEGMT" and version
 * SEGMENT_VERSION; the payload layout is in segment.c's header comment.
 */
#ifndef DUALREC_SEGMENT_H
#define DUALREC_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "iddict.h"

#define SEGMENT_VERSION 2
#define SEG_NONE UINT32_MAX

/* Feedback kinds, as bits of seg_exposure.fb and values of seg_inter.fb. */
enum seg_fb {
    FB_CLICK     = 1 << 0,
    FB_LIKE      = 1 << 1,
    FB_COMMENT   = 1 << 2,
    FB_FOLLOW    = 1 << 3,
    FB_SHARE     = 1 << 4,
    FB_LONG_VIEW = 1 << 5,
    FB_HATE      = 1 << 6      /* explicit negative ("hate", "dislike") */
};
#define FB_N_KINDS 7
/* Positive explicit feedback: what creators feel. */
#define FB_EXPLICIT (FB_LIKE | FB_COMMENT | FB_FOLLOW | FB_SHARE)

struct seg_exposure {
    int64_t  t;         /* epoch seconds */
    uint32_t user;
    uint32_t item;
    uint32_t play_ms;   /* watch time, 0 when unknown */
    uint32_t dur_ms;    /* item duration as logged, 0 when unknown */
    uint32_t fb;        /* enum seg_fb bits */
};

struct seg_inter {
    int64_t  t;
    uint32_t user;
    uint32_t item;
    uint32_t fb;        /* one enum seg_fb bit; 0 for an event name that is
                           not a known feedback kind (kept, counted) */
    float    value;     /* the row's value column, 0 when absent */
};

struct seg_item {
    uint32_t item;
    uint32_t creator;   /* SEG_NONE when the row had none */
    int64_t  upload_t;  /* epoch seconds; INT64_MIN when unknown */
    uint32_t dur_ms;    /* 0 when unknown */
    uint32_t tag_off;   /* into segment.tags */
    uint32_t n_tags;
};

struct seg_follow {
    int64_t  t;
    uint32_t user;
    uint32_t creator;
};

struct segment {
    int32_t day;            /* days since 1970-01-01 in the ingest zone */
    int32_t zone_offset;    /* seconds east of UTC that defined the day */
    size_t n_exp, n_inter, n_items, n_tags, n_follows, n_users;
    struct seg_exposure *exp;
    struct seg_inter *inter;
    struct seg_item *items;
    uint32_t *tags;
    struct seg_follow *follows;
    uint32_t *users;
    /* Rows in the file, also when window flags skipped them (segment_load
     * sets these; segment_save ignores them). */
    size_t n_exp_file, n_inter_file;
};

/* Row j of a segment's exposures followed by its interactions (j below
 * n_exp + n_inter): the item, user and feedback bits, for the passes that
 * treat both kinds of row alike. */
static inline void
segment_row(const struct segment *s, size_t j, uint32_t *item, uint32_t *user,
            uint32_t *fb)
{
    if (j < s->n_exp) {
        *item = s->exp[j].item;
        *user = s->exp[j].user;
        *fb = s->exp[j].fb;
    } else {
        *item = s->inter[j - s->n_exp].item;
        *user = s->inter[j - s->n_exp].user;
        *fb = s->inter[j - s->n_exp].fb;
    }
}

/* Free all arrays and the struct; NULL is a no-op. */
void segment_free(struct segment *seg);

/* The path of a day's segment: "<segroot>/dt=YYYY-MM-DD/segment.bin" in a
 * new xmalloc'd string. */
char *segment_path(const char *segroot, int32_t day);

/* The path of a dictionary: "<segroot>/dict/<kind>.dict" in a new
 * xmalloc'd string; kind is "users", "items", "creators" or "tags".
 * Ingest writes there (iddict_save) and window_open reads there. */
char *segment_dict_path(const char *segroot, const char *kind);

/*
 * Write seg to path atomically.  The arrays must already be sorted as
 * described above (asserted).  RC_CANTCREAT/RC_IO on failure.
 */
int segment_save(const struct segment *seg, const char *path,
                 struct diag *d);

/* What segment_sort removed. */
struct segment_sort_stats {
    size_t exp_dups;        /* exposures equal in every field to another */
    size_t inter_dups;      /* interactions equal in every field (value
                               compared bit for bit) */
    size_t follow_dups;
    size_t item_dups;       /* item rows superseded by a later row of the
                               same item (the later row is kept) */
    size_t user_dups;       /* repeated entries of users[] */
};

/*
 * The exposure order, every field a key: (user, t, item, play_ms, dur_ms,
 * fb); 0 only for identical rows.  Inline, for sorts that call it per
 * comparison (segment_sort, ingest's own exposure sort).
 */
static inline int
seg_exposure_cmp(const struct seg_exposure *a, const struct seg_exposure *b)
{
    if (a->user != b->user)
        return a->user < b->user ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->item != b->item)
        return a->item < b->item ? -1 : 1;
    if (a->play_ms != b->play_ms)
        return a->play_ms < b->play_ms ? -1 : 1;
    if (a->dur_ms != b->dur_ms)
        return a->dur_ms < b->dur_ms ? -1 : 1;
    if (a->fb != b->fb)
        return a->fb < b->fb ? -1 : 1;
    return 0;
}

/*
 * Bring an ingested day into the form segment_save expects, whatever the
 * order rows arrived in: sort every array by the keys above (ties broken
 * by the remaining fields, so the result and the saved bytes depend only
 * on the set of rows), drop exact duplicates, keep only the last given
 * row of each item, and repack tags so items[k].tag_off runs in item
 * order.  Arrays shrink in place; counts are updated.  stats may be NULL.
 */
void segment_sort(struct segment *seg, struct segment_sort_stats *stats);

/*
 * OR the feedback of every interaction row (fb != 0) into the latest
 * exposure of the same (user, item) at or before the row's time, when
 * there is one.  exp and inter must be sorted (segment_sort).  Returns the
 * number of interaction rows that found an exposure.
 */
size_t segment_fold_feedback(struct segment *seg);

/*
 * Read a segment.  RC_NOINPUT when missing; RC_DATA for bad magic, another
 * version, truncation, checksum mismatch or inconsistent counts (the
 * message names path and offset).
 */
int segment_load(const char *path, struct segment **out, struct diag *d);

/*
 * The item catalog of a window: for every item index known to the items
 * dictionary, its latest metadata seen in the window (later days win).
 * Items never described in the window have creator SEG_NONE,
 * upload_t INT64_MIN, dur_ms 0 and no tags.
 */
struct catalog {
    uint32_t n_items;
    uint32_t *creator;      /* n_items */
    int64_t  *upload_t;     /* n_items */
    uint32_t *dur_ms;       /* n_items */
    uint32_t *tag_off;      /* n_items + 1: CSR offsets into tags */
    uint32_t *tags;
};

/*
 * A window of n_days consecutive days ending at last_day (inclusive),
 * loaded into memory with the dictionaries and the catalog.  Days whose
 * segment is missing are NULL in seg[] and listed in missing[]; callers
 * decide whether that is fatal (and say how they treated it).
 */
struct window {
    int32_t last_day;
    int n_days;
    struct segment **seg;       /* n_days; seg[k] is day first_day + k */
    int32_t first_day;
    int n_missing;
    int32_t *missing;           /* the missing days, ascending */
    struct iddict *users, *items, *creators, *tags;
    struct catalog cat;
    char *segroot;              /* as given to window_open */
    unsigned flags;             /* as given to window_open */
};

enum window_flags {
    WINDOW_NO_INTER   = 1 << 0,  /* skip interaction rows (saves memory) */
    WINDOW_NO_EXP     = 1 << 1,  /* skip exposures (catalog/follows only) */
    WINDOW_LAZY       = 1 << 2   /* keep no day's exposures or interactions
                                    resident: seg[] holds only the items,
                                    follows and users of each day, and
                                    window_load_day reads a day's rows */
};
/* A skipped kind reads as empty: n_inter (n_exp) is 0, inter (exp) NULL. */

/*
 * Load the window.  RC_NOINPUT when the dictionaries are missing (nothing
 * ingested yet; all four of segment_dict_path's files must exist); a
 * missing day is not an error (see struct window).  RC_DATA when a day's
 * file is corrupt (segment_load), holds another day, or holds an index
 * not below its dictionary's count (the message names the path).  Days
 * load in parallel (OpenMP); the result does not depend on the thread
 * count.  RC_USAGE when n_days < 1.
 * Memory: the compact arrays of the loaded days (~32 bytes per exposure);
 * with WINDOW_LAZY only the dictionaries, the catalog and the days' item,
 * follow and user rows, whatever the number of exposures.
 */
int window_open(const char *segroot, int32_t last_day, int n_days,
                unsigned flags, struct window **out, struct diag *d);
/* NULL is a no-op. */
void window_free(struct window *w);

/*
 * Read one day of w (from w->segroot) in full, for a window opened with
 * WINDOW_LAZY, whose seg[k]->n_exp_file tells which days have rows: flags
 * takes WINDOW_NO_INTER / WINDOW_NO_EXP as in window_open.  The day's
 * segment gets window_open's checks (checksum, day, every index below its
 * dictionary's count, the path in every message).  *out is NULL, and 0 is
 * returned, for a day listed in w->missing or outside the window; a day
 * that was present at window_open and is gone now is RC_NOINPUT.  The
 * caller owns *out (segment_free), so at most the days it holds are
 * resident.
 */
int window_load_day(const struct window *w, int32_t day, unsigned flags,
                    struct segment **out, struct diag *d);

/*
 * One day of a window for a pass that reads every day in turn, whether the
 * window is lazy or not: ref->seg is w's own segment when its rows are
 * resident, else the day read now with flags (window_load_day), owned by
 * ref until window_put_day.  ref->seg is NULL for a missing day.  A pass
 * over a lazy window thus holds one day's rows at a time; errors are
 * window_load_day's.
 */
struct day_ref {
    const struct segment *seg;
    struct segment *own;
};
int window_get_day(const struct window *w, int k, unsigned flags,
                   struct day_ref *ref, struct diag *d);
/* Release what window_get_day read; ref reads as a missing day after. */
void window_put_day(struct day_ref *ref);

/* The segment of day in w, or NULL when the day is missing or outside the
 * window.  Borrowed: valid while w lives. */
const struct segment *window_day(const struct window *w, int32_t day);

/*
 * Per-user ranges over one segment's exposures: on return off has
 * n_users + 1 entries and user u's exposures are exp[off[u] .. off[u+1]).
 * n_users is usually iddict_count(w->users).  Caller frees *off.
 */
void segment_user_offsets(const struct segment *seg, uint32_t n_users,
                          size_t **off);

/*
 * Per-item index over one segment's exposures: on return off has
 * n_items + 1 entries and rows[off[i] .. off[i+1]) are the exposure rows
 * (indices into exp) of item i, ascending, so in (user, t) order.
 * n_items is usually iddict_count(w->items).  Caller frees *off and *rows.
 */
void segment_item_offsets(const struct segment *seg, uint32_t n_items,
                          size_t **off, uint32_t **rows);

/* The name of one feedback bit ("click", "like", "comment", "follow",
 * "share", "long_view", "hate"), or NULL for anything else. */
const char *segment_fb_name(uint32_t bit);

/* The parts of a segment that segment_write_tsv can print. */
enum segment_section {
    SEGMENT_SUMMARY,        /* key<TAB>value: day, zone and the counts */
    SEGMENT_EXPOSURES,
    SEGMENT_INTER,
    SEGMENT_ITEMS,
    SEGMENT_FOLLOWS,
    SEGMENT_USERS
};

/* Dictionaries to print external ids with; any may be NULL (indices). */
struct segment_names {
    const struct iddict *users, *items, *creators, *tags;
};

/*
 * Print one section of seg to out as TSV with a header line (the summary
 * has none).  Times are epoch seconds; feedback is a comma-separated list
 * of segment_fb_name()s (empty for none); an unknown creator prints "-"
 * and an unknown upload time or duration prints empty.  Indices are
 * mapped to ids through names (NULL: numbers).  path names seg in
 * messages: RC_DATA when an index is not in its dictionary, RC_IO when
 * writing fails.
 */
int segment_write_tsv(const struct segment *seg, enum segment_section sec,
                      const struct segment_names *names, FILE *out,
                      const char *path, struct diag *d);

#endif
