/*
 * targets.h -- which items are the night's targets, defined once.
 *
 * For run date D (data up to and including D) over a window of segments
 * ending at D, the targets are, by the window rule,
 *   new        items whose upload time falls on D, the day read in the
 *              window's zone (the zone offset of its last present
 *              segment; UTC when none is present);
 *   long tail  the other items described in the window (an upload time or
 *              a creator) with fewer than long_tail_max exposures in the
 *              whole window (0 turns long tail off, leaving the uploads);
 * or, instead, an explicit list of external item ids (a targets file).
 * Either way the result is a set: item indices ascending, each once.
 * dualrec-match, dualrec-retrieve and dualrec-eval-retrieval all select
 * through this module (docs/matching.md, "Targets").
 */
#ifndef DUALREC_TARGETS_H
#define DUALREC_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "iddict.h"
#include "segment.h"

/* The long-tail bound of the nightly run (dualrec-match --long-tail-max). */
#define TARGETS_LONG_TAIL_MAX 20

/* The long-tail budget's over-provisioning (dualrec-match
 * --long-tail-over): a long-tail target seldom fills its L slots. */
#define TARGETS_LONG_TAIL_OVER 2.0

/* "No budget": every long-tail item is a target (the rule alone). */
#define TARGETS_BUDGET_ALL SIZE_MAX

struct targets {
    uint32_t *item;             /* n item indices, ascending, no repeats */
    size_t n;
    uint32_t *exposures;        /* window rule: n window exposures per
                                   target (NULL for a targets file) */
    uint8_t *long_tail;         /* window rule: n flags, 1 = long tail */
    size_t n_new, n_long_tail;  /* window rule: why they are targets */
    size_t n_long_tail_eligible; /* long-tail items the rule found, before
                                    targets_limit_long_tail */
    size_t n_unknown;           /* file: ids the dictionary does not know */
    char unknown_example[128];  /* the first one, "FILE:LINE: unknown
                                   item 'x'" (truncated) */
};

/* The window rule above for day `day`; fills *t (release with
 * targets_release).  Reads the window one day's exposures at a time
 * (window_get_day), so a WINDOW_LAZY window works and holds one day;
 * errors are window_load_day's (*t is then empty). */
int targets_window(struct targets *t, const struct window *w, int32_t day,
                   uint32_t long_tail_max, struct diag *d);

/*
 * The long-tail budget, in targets: the pairs the eligible users' capacity
 * `supply` (sum of Q_u) has left once the day's n_new uploads take their
 * L each, divided by L and multiplied by `over` (a long-tail target seldom
 * fills L): ceil(over * max(0, supply - L * n_new) / L).  0 when the
 * uploads' demand takes the whole capacity or L is 0.
 */
size_t targets_long_tail_budget(uint64_t supply, size_t n_new, uint32_t L,
                                double over);

/*
 * Keeps every new target and at most `budget` long-tail ones (window rule
 * only; TARGETS_BUDGET_ALL keeps all).  Over budget, the long-tail items
 * with the fewest window exposures go in first (they need a first
 * audience most); ties are broken by a hash of (item, day), so that on
 * other nights other items of the same exposure get their turn, then by
 * item index.  Deterministic; the result stays in ascending item order and
 * n_long_tail_eligible keeps the count before the cut.
 */
void targets_limit_long_tail(struct targets *t, size_t budget, int32_t day);

/*
 * Targets from a list of external item ids, one per line ('#' comments
 * and blank lines skipped, surrounding spaces trimmed, an optional header
 * line "item" skipped); path "-" reads stdin.  Ids the dictionary does not
 * know, or whose index is not below n_catalog, are counted in n_unknown,
 * not fatal; duplicates are kept once.  RC_NOINPUT when the file is
 * missing, RC_IO on a read error (*t is then empty).
 */
int targets_file(struct targets *t, const char *path,
                 const struct iddict *items, uint32_t n_catalog,
                 struct diag *d);

/* Frees t->item and empties *t. */
void targets_release(struct targets *t);

#endif
