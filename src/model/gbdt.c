/*
 * gbdt.c -- the xgboost C API behind gbdt.h.
 *
 * Every call into xgboost goes through XGB() below, which turns a non-zero
 * return into RC_DATA with "xgboost: <what>: <XGBGetLastError()>".  Handles
 * are freed on every path.  xgboost's own logging is silenced once
 * (verbosity 0) so that the library never prints.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "gbdt.h"
#include "xmem.h"

struct gbdt {
    BoosterHandle h;
    size_t n_features;
};

/* Rows per prediction call: bounds xgboost's internal copy of x. */
#define GBDT_PREDICT_CHUNK 65536

#define XGB(call, what)                                                   \
    do {                                                                  \
        if ((call) != 0) {                                                \
            diag_set(d, RC_DATA, "xgboost: %s: %s", (what),               \
                     XGBGetLastError());                                  \
            goto fail;                                                    \
        }                                                                 \
    } while (0)

static void
quiet_once(void)
{
    static int done;

    /* Benign if two threads race: both set the same global config. */
    if (!done) {
        XGBSetGlobalConfig("{\"verbosity\": 0}");
        done = 1;
    }
}

struct gbdt_params
gbdt_default_params(void)
{
    struct gbdt_params p;

    memset(&p, 0, sizeof p);
    p.objective = "binary:logistic";
    p.tree_method = "hist";
    p.rounds = 60;
    p.max_depth = 6;
    p.eta = 0.15;
    p.min_child_weight = 1.0;
    p.lambda = 1.0;
    p.max_bin = 256;
    p.nthread = 2;
    p.seed = 1;
    return p;
}

static int
set_params(BoosterHandle h, const struct gbdt_params *p, struct diag *d)
{
    char v[64];

    XGB(XGBoosterSetParam(h, "objective", p->objective), "objective");
    XGB(XGBoosterSetParam(h, "tree_method", p->tree_method), "tree_method");
    snprintf(v, sizeof v, "%d", p->max_depth);
    XGB(XGBoosterSetParam(h, "max_depth", v), "max_depth");
    snprintf(v, sizeof v, "%.17g", p->eta);
    XGB(XGBoosterSetParam(h, "eta", v), "eta");
    snprintf(v, sizeof v, "%.17g", p->min_child_weight);
    XGB(XGBoosterSetParam(h, "min_child_weight", v), "min_child_weight");
    snprintf(v, sizeof v, "%.17g", p->lambda);
    XGB(XGBoosterSetParam(h, "lambda", v), "lambda");
    snprintf(v, sizeof v, "%d", p->max_bin);
    XGB(XGBoosterSetParam(h, "max_bin", v), "max_bin");
    snprintf(v, sizeof v, "%d", p->nthread > 0 ? p->nthread : 1);
    XGB(XGBoosterSetParam(h, "nthread", v), "nthread");
    /* xgboost's seed is an int; fold the 64-bit seed into 31 bits. */
    snprintf(v, sizeof v, "%d",
             (int)((p->seed ^ (p->seed >> 31)) & 0x7fffffff));
    XGB(XGBoosterSetParam(h, "seed", v), "seed");
    if (p->base_score > 0) {
        snprintf(v, sizeof v, "%.17g", p->base_score);
        XGB(XGBoosterSetParam(h, "base_score", v), "base_score");
    }
    XGB(XGBoosterSetParam(h, "subsample", "1"), "subsample");
    XGB(XGBoosterSetParam(h, "colsample_bytree", "1"), "colsample_bytree");
    XGB(XGBoosterSetParam(h, "verbosity", "0"), "verbosity");
    return 0;
fail:
    return -1;
}

int
gbdt_train(const float *x, const float *y, const float *w, size_t n,
           size_t f, const struct gbdt_params *p, struct gbdt **out,
           struct diag *d)
{
    DMatrixHandle dm = NULL;
    BoosterHandle h = NULL;
    struct gbdt *g;

    *out = NULL;
    if (n == 0 || f == 0)
        return diag_set(d, RC_DATA, "gbdt: no training rows");
    quiet_once();
    XGB(XGDMatrixCreateFromMat_omp(x, (bst_ulong)n, (bst_ulong)f, NAN, &dm,
                                   p->nthread > 0 ? p->nthread : 1),
        "create training matrix");
    XGB(XGDMatrixSetFloatInfo(dm, "label", y, (bst_ulong)n), "set labels");
    if (w)
        XGB(XGDMatrixSetFloatInfo(dm, "weight", w, (bst_ulong)n),
            "set weights");
    XGB(XGBoosterCreate(&dm, 1, &h), "create booster");
    if (set_params(h, p, d) < 0)
        goto fail_quiet;
    for (int it = 0; it < p->rounds; it++)
        XGB(XGBoosterUpdateOneIter(h, it, dm), "boosting round");
    XGDMatrixFree(dm);
    g = xmalloc(sizeof *g);
    g->h = h;
    g->n_features = f;
    *out = g;
    return 0;
fail:
fail_quiet:
    if (h)
        XGBoosterFree(h);
    if (dm)
        XGDMatrixFree(dm);
    return -1;
}

int
gbdt_predict(const struct gbdt *g, const float *x, size_t n, size_t f,
             float *out, struct diag *d)
{
    DMatrixHandle dm = NULL;

    if (f != g->n_features)
        return diag_set(d, RC_INTERNAL,
                        "gbdt: %zu features given, model has %zu", f,
                        g->n_features);
    for (size_t r0 = 0; r0 < n; r0 += GBDT_PREDICT_CHUNK) {
        size_t m = n - r0 < GBDT_PREDICT_CHUNK ? n - r0 : GBDT_PREDICT_CHUNK;
        bst_ulong len = 0;
        const float *res = NULL;

        XGB(XGDMatrixCreateFromMat_omp(x + r0 * f, (bst_ulong)m,
                                       (bst_ulong)f, NAN, &dm, 1),
            "create prediction matrix");
        XGB(XGBoosterPredict(g->h, dm, 0, 0, 0, &len, &res), "predict");
        if (len != m) {
            diag_set(d, RC_INTERNAL, "gbdt: %llu predictions for %zu rows",
                     (unsigned long long)len, m);
            goto fail;
        }
        memcpy(out + r0, res, m * sizeof *out);
        XGDMatrixFree(dm);
        dm = NULL;
    }
    return 0;
fail:
    if (dm)
        XGDMatrixFree(dm);
    return -1;
}

int
gbdt_save_buffer(const struct gbdt *g, struct bbuf *b, struct diag *d)
{
    bst_ulong len = 0;
    const char *p = NULL;

    XGB(XGBoosterSaveModelToBuffer(g->h, "{\"format\": \"ubj\"}", &len, &p),
        "save model");
    bbuf_put(b, p, (size_t)len);
    return 0;
fail:
    return -1;
}

int
gbdt_load_buffer(const void *p, size_t n, int nthread, struct gbdt **out,
                 struct diag *d)
{
    BoosterHandle h = NULL;
    bst_ulong nf = 0;
    char v[32];
    struct gbdt *g;

    *out = NULL;
    quiet_once();
    XGB(XGBoosterCreate(NULL, 0, &h), "create booster");
    XGB(XGBoosterLoadModelFromBuffer(h, p, (bst_ulong)n), "load model");
    snprintf(v, sizeof v, "%d", nthread > 0 ? nthread : 1);
    XGB(XGBoosterSetParam(h, "nthread", v), "nthread");
    XGB(XGBoosterGetNumFeature(h, &nf), "number of features");
    g = xmalloc(sizeof *g);
    g->h = h;
    g->n_features = (size_t)nf;
    *out = g;
    return 0;
fail:
    if (h)
        XGBoosterFree(h);
    return -1;
}

size_t
gbdt_n_features(const struct gbdt *g)
{
    return g->n_features;
}

void
gbdt_free(struct gbdt *g)
{
    if (!g)
        return;
    XGBoosterFree(g->h);
    free(g);
}
