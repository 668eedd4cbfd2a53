/*
 * gbdt.h -- gradient-boosted trees through libxgboost's C API.
 *
 * The only module that includes <xgboost/c_api.h>: it turns dense row-major
 * float matrices into DMatrix objects, trains a booster for a fixed number
 * of rounds, predicts, and serialises the booster to bytes (xgboost's UBJSON
 * model format) so that callers can keep it inside their own binfile.
 * Every xgboost failure is turned into a struct diag with XGBGetLastError's
 * text.
 *
 * Determinism: tree_method is "exact" or "hist", no row or column
 * subsampling, a fixed seed; training is run with the nthread of the
 * params.  check_avail.c asserts that nthread 1 and 2 give the same model
 * bytes, and the stage trains with params.nthread (documented in
 * docs/uac.md).
 */
#ifndef DUALREC_GBDT_H
#define DUALREC_GBDT_H

#include <stddef.h>
#include <stdint.h>

#include "byteio.h"
#include "diag.h"

struct gbdt_params {
    const char *objective;  /* "binary:logistic", "count:poisson", ... */
    const char *tree_method;/* "hist" (default) or "exact" */
    int rounds;             /* boosting rounds */
    int max_depth;
    double eta;             /* learning rate */
    double min_child_weight;
    double lambda;          /* L2 on leaf weights */
    int max_bin;            /* hist only */
    double base_score;      /* initial prediction (probability or mean);
                               0 keeps xgboost's default of 0.5 */
    int nthread;            /* threads inside xgboost (>= 1) */
    uint64_t seed;
};

struct gbdt;

/* Defaults: binary:logistic, hist, 60 rounds, depth 6, eta 0.15,
 * min_child_weight 1, lambda 1, max_bin 256, nthread 2, seed 1. */
struct gbdt_params gbdt_default_params(void);

/*
 * Train on x (n rows, f columns, row-major) with labels y (n) and optional
 * weights w (n, NULL for 1).  n > 0.  RC_DATA on an xgboost error (the
 * message is xgboost's).  The caller owns *out (gbdt_free).
 */
int gbdt_train(const float *x, const float *y, const float *w, size_t n,
               size_t f, const struct gbdt_params *p, struct gbdt **out,
               struct diag *d);

/*
 * Predict n rows of x (f columns) into out (n): probabilities for
 * binary:logistic, expected counts for count:poisson.  Rows are scored in
 * chunks so that xgboost's copy of x stays bounded.
 */
int gbdt_predict(const struct gbdt *g, const float *x, size_t n, size_t f,
                 float *out, struct diag *d);

/* Append the booster's model bytes (UBJSON) to b. */
int gbdt_save_buffer(const struct gbdt *g, struct bbuf *b, struct diag *d);

/* A booster from bytes written by gbdt_save_buffer; nthread for
 * prediction.  RC_DATA when xgboost rejects them. */
int gbdt_load_buffer(const void *p, size_t n, int nthread,
                     struct gbdt **out, struct diag *d);

/* The number of features the booster was trained with. */
size_t gbdt_n_features(const struct gbdt *g);

void gbdt_free(struct gbdt *g);

#endif
