/*
 * evalrep.h -- evaluation reports: the metric helpers shared by replay
 * evaluation and the delivery simulator, and one report model written three
 * ways (a self-contained HTML page with inline SVG charts, a JSON file with
 * every number, a short text table).
 *
 * A report is a list of sections; a section holds numbers, tables, bar
 * charts (histograms) and x-y charts (calibration curves).  Every item has
 * a key (JSON name, [a-z0-9_]) and a title (what a person reads).  The HTML
 * page references nothing outside itself (no scripts, fonts, or links), so
 * it opens offline; it is well-formed XML (XHTML polyglot), so `xmllint`
 * accepts it.  Numbers are printed with "%.17g" in JSON (exact round trip)
 * and NaN/inf as null.  Output bytes depend only on the report's content.
 *
 * Ownership: the report copies every string and array it is given.
 */
#ifndef DUALREC_EVALREP_H
#define DUALREC_EVALREP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

/* ---- metric helpers (pure functions) ----------------------------------- */

/*
 * Gini coefficient of non-negative counts x[0..n): 0 when all equal, near 1
 * when one holds everything; 0 for n = 0 or an all-zero vector.  Computed
 * as sum_i (2i - n + 1) x_(i) / (n sum x) over x sorted ascending.
 */
double evalrep_gini(const uint32_t *x, size_t n);

/* ---- the report ---------------------------------------------------------- */

struct evalrep;

/* How a number is shown in HTML and text (JSON always has the raw value). */
enum evalrep_fmt {
    EVALREP_INT,        /* 12345 */
    EVALREP_REAL,       /* 0.1234 (4 significant decimals) */
    EVALREP_PCT,        /* a share in [0,1] shown as 12.3% */
    EVALREP_SECS        /* 1.23 s */
};

enum evalrep_xy_flags {
    EVALREP_XY_DIAGONAL = 1 << 0    /* draw y = x (calibration) */
};

struct evalrep *evalrep_new(const char *title);
void evalrep_free(struct evalrep *r);

/* A paragraph of plain text at the top of the page (JSON "notes"). */
void evalrep_note(struct evalrep *r, const char *text);

/* Start a section; later items go into it. */
void evalrep_section(struct evalrep *r, const char *key, const char *title);

/*
 * A named number in the current section.  headline != 0 also lists it in
 * the text summary (evalrep_write_text).
 */
void evalrep_num(struct evalrep *r, const char *key, const char *title,
                 double v, enum evalrep_fmt fmt, int headline);

/*
 * A table: ncols columns after a first label column (title label_title).
 * Rows are added with evalrep_row; the handle is valid until the next
 * evalrep_* call that adds an item.  fmt[ncols] gives each column's format.
 */
struct evalrep_table;
struct evalrep_table *evalrep_table(struct evalrep *r, const char *key,
                                    const char *title,
                                    const char *label_title, int ncols,
                                    const char *const *cols,
                                    const enum evalrep_fmt *fmt);
void evalrep_row(struct evalrep_table *t, const char *label,
                 const double *v);

/* A bar chart: n bars with labels and values (e.g. a histogram). */
void evalrep_bars(struct evalrep *r, const char *key, const char *title,
                  size_t n, const char *const *labels, const double *v,
                  const char *xlabel, const char *ylabel);

/* An x-y chart of n points joined by a line, axes [0, max] each. */
void evalrep_xy(struct evalrep *r, const char *key, const char *title,
                size_t n, const double *x, const double *y,
                const char *xlabel, const char *ylabel, unsigned flags);

/* Write the report: HTML page, JSON, or the text summary (headline numbers
 * and tables, for stderr/stdout).  File writers are atomic; RC_CANTCREAT or
 * RC_IO on failure. */
int evalrep_write_html(const struct evalrep *r, const char *path,
                       struct diag *d);
int evalrep_write_json(const struct evalrep *r, const char *path,
                       struct diag *d);
void evalrep_write_text(const struct evalrep *r, FILE *fp);

#endif
