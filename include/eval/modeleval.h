/*
 * modeleval.h -- offline evaluation of a saved model on the day after its
 * window: the experiments that used to live in the training mains, reached
 * by `dualrec-eval rank` (docs/ranking.md).
 *
 * Rank: per-task AUC / log-loss (metrics.h conventions), new vs old
 * items, the integrated score's AUC for explicit feedback, the xgboost
 * baseline on the same dense features, the effect of theta_u on the top
 * users of the day's most exposed items, and optionally the paper's
 * Table 4 ablation (four models retrained with and without augmentation
 * and the extra features, with the saved model's settings).  Output is
 * markdown tables on `out`; the figures depend only on the inputs.
 */
#ifndef DUALREC_MODELEVAL_H
#define DUALREC_MODELEVAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "rank.h"

struct modeleval_rank_opts {
    const char *segroot;
    const char *rank_path;      /* the model of date D */
    const char *tower_path;     /* the tower it was trained with, or NULL */
    int32_t date;               /* D: the window ends at D, test is D+1 */
    uint32_t days;              /* window (30) */
    uint32_t xgb_rounds;        /* baseline rounds (100); 0 skips it */
    uint64_t xgb_max;           /* baseline training samples (2000000) */
    size_t theta_items, theta_cands;    /* theta report size (1000, 500) */
    int ablation;               /* also the Table 4 ablation */
    uint32_t max_per_day;       /* ablation: samples per day (0 = all) */
};

void modeleval_rank_default_opts(struct modeleval_rank_opts *o);

/*
 * Evaluate the model on day D+1 and print the tables.  RC_NOINPUT when
 * the model, the tower, the dictionaries or day D+1's segment is missing
 * (checked before any work), RC_DATA for corrupt inputs; the window's
 * missing days are skipped, as in training.
 */
int modeleval_rank(const struct modeleval_rank_opts *o, FILE *out,
                   struct diag *d);

#endif
