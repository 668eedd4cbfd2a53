/*
 * ingest.h -- one day of CSV logs into one day segment (dualrec-ingest).
 *
 * ingest_run reads the day's files (exposures, interactions, items,
 * follows, users; any may be absent, but exposures or interactions must
 * be there) through logread, maps ids to indices with the four
 * dictionaries under <segroot>/dict/ (loaded, extended, saved), builds one
 * struct segment as segment.h specifies (sorted, exact duplicates removed,
 * interaction feedback OR-ed into the latest matching exposure) and saves
 * it to segment_path(segroot, day).
 *
 * Rules:
 *  - Rows whose time falls outside the day (in the zone of opts.lr) are
 *    counted and reported, not stored (item rows carry no event time and
 *    are never out of day).
 *  - Malformed rows are rejects: counted, passed to opts.on_reject, and
 *    written to the reject file (CSV: file,line,reason,record).  When
 *    rejected / read > max_reject_ratio the run fails with RC_DATA and
 *    writes only the reject file: no dictionary, no segment.
 *  - Dictionary indices of new ids are appended in file order (tables in
 *    enum logread_table order, rows in file order), so re-ingesting a day
 *    writes the same bytes, and other days keep their indices.
 *  - An exclusive lock on <segroot>/dict/.lock is held for the whole run
 *    (RC_RETRY when another ingest holds it); the dictionaries are saved
 *    (atomically) before the segment.
 *  - A fatal error (missing file, bad header, truncated zstd, I/O) leaves
 *    every output as it was.
 * Memory: the dictionaries plus the day's compact rows (20 bytes per
 * exposure; 52 while sorting, the sorted 32-byte rows and the segment's
 * 25-byte payload while saving) plus the readers' fixed buffers.
 */
#ifndef DUALREC_INGEST_H
#define DUALREC_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "logread.h"

#define INGEST_MAX_REJECT_RATIO 0.01

struct ingest_stats {
    uint64_t read[LOGREAD_N_TABLES];        /* records, blank lines excluded */
    uint64_t rejected[LOGREAD_N_TABLES];
    uint64_t duplicates[LOGREAD_N_TABLES];  /* exact duplicates dropped */
    uint64_t out_of_day[LOGREAD_N_TABLES];
    uint64_t stored[LOGREAD_N_TABLES];      /* rows in the segment */
    uint64_t rows_read, accepted;     /* totals over the tables */
    uint64_t rows_rejected, rows_duplicate, rows_out_of_day;
    uint64_t items_superseded;  /* earlier rows for an item listed again */
    uint64_t fb_merged;         /* interactions OR-ed into an exposure */
    uint64_t bytes_in;          /* file bytes (compressed for zstd) */
    uint64_t bytes_parsed;      /* CSV bytes (uncompressed) */
    uint32_t day_users, day_items;  /* distinct in the day's rows */
    uint32_t dict_users, dict_items, dict_creators, dict_tags;
    const char *first_ood_path; /* first out-of-day row, for the report */
    uint64_t first_ood_line;
    double seconds;
    double read_s, sort_s, save_s;  /* phases of seconds */
};

struct ingest_opts {
    const char *segroot;
    int32_t day;
    const char *paths[LOGREAD_N_TABLES];    /* NULL = absent; "-" stdin */
    struct logread_opts lr;                 /* lr.zone_offset: the day zone */
    double max_reject_ratio;                /* < 0: INGEST_MAX_REJECT_RATIO */
    const char *rejects_path;   /* NULL: <segroot>/dt=D/rejects.csv */
    int lock_held;              /* the caller holds <segroot>/dict/.lock */
    /* Called with every reject message, in file order (may be NULL). */
    void (*on_reject)(void *ctx, const char *msg);
    /* Called now and then while reading, and once per file (may be NULL). */
    void (*on_progress)(void *ctx, const char *path,
                        const struct ingest_stats *st);
    void *ctx;
};

/* Default options: no files, budget INGEST_MAX_REJECT_RATIO, UTC. */
struct ingest_opts ingest_default_opts(void);

/*
 * Run the ingest.  Fills *st (also on failure, as far as it got).
 * RC_USAGE when neither exposures nor interactions are given; RC_NOINPUT
 * for a missing file; RC_DATA for a bad header, bad zstd data or rejects
 * over budget; RC_RETRY when the dictionary lock is held; RC_IO /
 * RC_CANTCREAT for output failures.
 */
int ingest_run(const struct ingest_opts *o, struct ingest_stats *st,
               struct diag *d);

struct ingest_split_stats {
    uint64_t rows_read, rows_rejected;  /* of the day-split tables */
    uint64_t rows_out_of_range;     /* outside [from, to], not stored */
    uint64_t rows_spilled;          /* written to the days' spill files */
    uint32_t days;                  /* segments written */
    int32_t first_day, last_day;    /* of those; INT32_MIN when none */
    double seconds;
};

/*
 * Ingest a file spanning many days (exposures, interactions and follows:
 * the tables with event times) into one segment per day present in it,
 * within [from, to] (days; INT32_MIN / INT32_MAX for no bound).  With a
 * bound given, every day of the range gets a segment, days without a row
 * too (empty, as a one-day ingest of the day writes), the unbounded side
 * ending at the first or last day present.  o->day is
 * ignored; items and users (no event time) are catalogue tables given to
 * every day, as a one-day ingest does.
 *
 * Two passes, memory bounded by the day count, not the file: the first
 * reads the tables once (rejects: counted, written to o->rejects_path or
 * <segroot>/rejects-split.csv, budget o->max_reject_ratio over the whole
 * file) and appends each good record, as it is in the file, to a spill
 * file per day and table under <segroot>/.split.tmp.<pid>/ (plain CSV:
 * disk for one uncompressed copy of those tables), with the header line;
 * the second runs ingest_run on each day in date order, holding the
 * dictionary lock throughout.  A day's records are the same records in
 * the same order as in the file, so each segment is byte-identical to a
 * one-day ingest of that day with the same files, run in date order.
 * Each day is written atomically; on a failure the days before it stay
 * written, the failing one and those after are not.  The spill directory
 * is removed in every case.  on_day (may be NULL) is called after each
 * day with its stats.  Errors as ingest_run; RC_USAGE when neither
 * exposures nor interactions are given, or a catalogue table is stdin.
 */
int ingest_split_days(const struct ingest_opts *o, int32_t from, int32_t to,
                      void (*on_day)(void *ctx, int32_t day,
                                     const struct ingest_stats *st),
                      struct ingest_split_stats *sst, struct diag *d);

/*
 * Find a day's files in dir by name: "<table>.csv" or "<table>.csv.zst"
 * (both present is an error).  paths[t] is a new xmalloc'd string or NULL;
 * the caller frees them.  RC_NOINPUT when dir is missing or holds neither
 * exposures nor interactions.
 */
int ingest_find_logs(const char *dir, char *paths[LOGREAD_N_TABLES],
                     struct diag *d);

/*
 * Sort exposures in segment_sort's order (user, t, item, play_ms, dur_ms,
 * fb) and drop exact duplicates, in parallel: a counting sort by user,
 * then each user's rows sorted independently (OpenMP).  Every user index
 * must be < n_users.  *exp is replaced by a new array (the old one is
 * freed); returns the new count.  Same result as segment_sort for any
 * thread count.
 */
struct seg_exposure;
size_t ingest_sort_exposures(struct seg_exposure **exp, size_t n,
                             uint32_t n_users);

#endif
