/*
 * evalrep.c -- the Gini helper, file checks and the report writers of
 * evalrep.h (AUC, log-loss and calibration are in base/metrics.h).
 *
 * The report is kept as a flat list of items (section starts, numbers,
 * tables, charts) in insertion order; each writer walks it once.  The HTML
 * page is XHTML-polyglot: every element closed, attributes quoted, text
 * escaped, so it is well-formed XML and renders the same in any browser
 * without network access.  Charts are drawn as inline SVG with fixed
 * geometry, so the bytes depend only on the numbers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "evalrep.h"
#include "xmem.h"

/* ---- metric helpers ----------------------------------------------------- */

static int
u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

double
evalrep_gini(const uint32_t *x, size_t n)
{
    uint32_t *v;
    double num = 0, total = 0;

    if (n == 0)
        return 0;
    v = xmalloc(n * sizeof *v);
    memcpy(v, x, n * sizeof *v);
    qsort(v, n, sizeof *v, u32_cmp);
    for (size_t i = 0; i < n; i++) {
        num += (2.0 * (double)i - (double)n + 1) * v[i];
        total += v[i];
    }
    free(v);
    return total > 0 ? num / ((double)n * total) : 0;
}

/* ---- the report model ---------------------------------------------------- */

enum item_kind { IT_SECTION, IT_NOTE, IT_NUM, IT_TABLE, IT_BARS, IT_XY };

struct evalrep_table {
    int ncols;
    char **cols;            /* ncols */
    enum evalrep_fmt *fmt;  /* ncols */
    char *label_title;
    size_t nrows, cap, vcap;
    char **labels;          /* nrows */
    double *v;              /* nrows * ncols */
};

struct item {
    enum item_kind kind;
    char *key, *title;
    double v;               /* IT_NUM */
    enum evalrep_fmt fmt;
    int headline;
    struct evalrep_table *table;
    size_t n;               /* IT_BARS, IT_XY */
    char **labels;          /* IT_BARS */
    double *x, *y;          /* IT_XY: x, y; IT_BARS: y */
    char *xlabel, *ylabel;
    unsigned flags;
};

struct evalrep {
    char *title;
    struct item *items;
    size_t n, cap;
};

struct evalrep *
evalrep_new(const char *title)
{
    struct evalrep *r = xcalloc(1, sizeof *r);

    r->title = xstrdup(title);
    return r;
}

static void
table_free(struct evalrep_table *t)
{
    if (t == NULL)
        return;
    for (int c = 0; c < t->ncols; c++)
        free(t->cols[c]);
    for (size_t i = 0; i < t->nrows; i++)
        free(t->labels[i]);
    free(t->cols);
    free(t->fmt);
    free(t->label_title);
    free(t->labels);
    free(t->v);
    free(t);
}

void
evalrep_free(struct evalrep *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        struct item *it = &r->items[i];

        free(it->key);
        free(it->title);
        table_free(it->table);
        if (it->labels)
            for (size_t k = 0; k < it->n; k++)
                free(it->labels[k]);
        free(it->labels);
        free(it->x);
        free(it->y);
        free(it->xlabel);
        free(it->ylabel);
    }
    free(r->items);
    free(r->title);
    free(r);
}

static struct item *
add_item(struct evalrep *r, enum item_kind kind, const char *key,
         const char *title)
{
    struct item *it;

    r->items = xgrow(r->items, &r->cap, r->n + 1, sizeof *r->items);
    it = &r->items[r->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->key = xstrdup(key ? key : "");
    it->title = xstrdup(title ? title : "");
    return it;
}

void
evalrep_note(struct evalrep *r, const char *text)
{
    add_item(r, IT_NOTE, "", text);
}

void
evalrep_section(struct evalrep *r, const char *key, const char *title)
{
    add_item(r, IT_SECTION, key, title);
}

void
evalrep_num(struct evalrep *r, const char *key, const char *title, double v,
            enum evalrep_fmt fmt, int headline)
{
    struct item *it = add_item(r, IT_NUM, key, title);

    it->v = v;
    it->fmt = fmt;
    it->headline = headline;
}

struct evalrep_table *
evalrep_table(struct evalrep *r, const char *key, const char *title,
              const char *label_title, int ncols, const char *const *cols,
              const enum evalrep_fmt *fmt)
{
    struct item *it = add_item(r, IT_TABLE, key, title);
    struct evalrep_table *t = xcalloc(1, sizeof *t);

    t->ncols = ncols;
    t->cols = xmalloc((size_t)ncols * sizeof *t->cols);
    t->fmt = xmalloc((size_t)ncols * sizeof *t->fmt);
    for (int c = 0; c < ncols; c++) {
        t->cols[c] = xstrdup(cols[c]);
        t->fmt[c] = fmt[c];
    }
    t->label_title = xstrdup(label_title);
    it->table = t;
    return t;
}

void
evalrep_row(struct evalrep_table *t, const char *label, const double *v)
{
    t->labels = xgrow(t->labels, &t->cap, t->nrows + 1, sizeof *t->labels);
    t->v = xgrow(t->v, &t->vcap, (t->nrows + 1) * (size_t)t->ncols,
                 sizeof *t->v);
    t->labels[t->nrows] = xstrdup(label);
    memcpy(t->v + t->nrows * (size_t)t->ncols, v,
           (size_t)t->ncols * sizeof *v);
    t->nrows++;
}

static double *
dup_doubles(const double *v, size_t n)
{
    double *p = xmalloc((n ? n : 1) * sizeof *p);

    if (n)
        memcpy(p, v, n * sizeof *p);
    return p;
}

void
evalrep_bars(struct evalrep *r, const char *key, const char *title, size_t n,
             const char *const *labels, const double *v, const char *xlabel,
             const char *ylabel)
{
    struct item *it = add_item(r, IT_BARS, key, title);

    it->n = n;
    it->labels = xmalloc((n ? n : 1) * sizeof *it->labels);
    for (size_t k = 0; k < n; k++)
        it->labels[k] = xstrdup(labels[k]);
    it->y = dup_doubles(v, n);
    it->xlabel = xstrdup(xlabel);
    it->ylabel = xstrdup(ylabel);
}

void
evalrep_xy(struct evalrep *r, const char *key, const char *title, size_t n,
           const double *x, const double *y, const char *xlabel,
           const char *ylabel, unsigned flags)
{
    struct item *it = add_item(r, IT_XY, key, title);

    it->n = n;
    it->x = dup_doubles(x, n);
    it->y = dup_doubles(y, n);
    it->xlabel = xstrdup(xlabel);
    it->ylabel = xstrdup(ylabel);
    it->flags = flags;
}

/* ---- formatting ------------------------------------------------------------ */

static const char *
fmt_value(double v, enum evalrep_fmt fmt, char *buf, size_t len)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "n/a");
        return buf;
    }
    switch (fmt) {
    case EVALREP_INT:  snprintf(buf, len, "%.0f", v); break;
    case EVALREP_PCT:  snprintf(buf, len, "%.1f%%", 100 * v); break;
    case EVALREP_SECS: snprintf(buf, len, "%.2f s", v); break;
    case EVALREP_REAL:
    default:
        if (v != 0 && fabs(v) < 1e-3)
            snprintf(buf, len, "%.3g", v);
        else
            snprintf(buf, len, "%.4f", v);
        break;
    }
    return buf;
}

static void
put_escaped_xml(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default: fputc(*s, fp); break;
        }
    }
}

static void
put_json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", fp);
        else if (c < 0x20)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

static void
put_json_num(FILE *fp, double v)
{
    if (!isfinite(v))
        fputs("null", fp);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(fp, "%.0f", v);
    else
        fprintf(fp, "%.17g", v);
}

/* A JSON array of n numbers / n strings. */
static void
put_json_nums(FILE *fp, const double *v, size_t n)
{
    fputc('[', fp);
    for (size_t k = 0; k < n; k++) {
        if (k)
            fputs(", ", fp);
        put_json_num(fp, v[k]);
    }
    fputc(']', fp);
}

static void
put_json_strs(FILE *fp, const char *const *v, size_t n)
{
    fputc('[', fp);
    for (size_t k = 0; k < n; k++) {
        if (k)
            fputs(", ", fp);
        put_json_str(fp, v[k]);
    }
    fputc(']', fp);
}

/* ---- JSON -------------------------------------------------------------------- */

static void
json_item(FILE *fp, const struct item *it)
{
    put_json_str(fp, it->key);
    fputs(": ", fp);
    switch (it->kind) {
    case IT_NUM:
        put_json_num(fp, it->v);
        break;
    case IT_TABLE: {
        const struct evalrep_table *t = it->table;

        fputs("{\"title\": ", fp);
        put_json_str(fp, it->title);
        fputs(", \"rows\": [", fp);
        for (size_t i = 0; i < t->nrows; i++) {
            fputs(i ? ",\n        {" : "\n        {", fp);
            put_json_str(fp, t->label_title);
            fputs(": ", fp);
            put_json_str(fp, t->labels[i]);
            for (int c = 0; c < t->ncols; c++) {
                fputs(", ", fp);
                put_json_str(fp, t->cols[c]);
                fputs(": ", fp);
                put_json_num(fp, t->v[i * (size_t)t->ncols + (size_t)c]);
            }
            fputc('}', fp);
        }
        fputs("]}", fp);
        break;
    }
    case IT_BARS:
        fputs("{\"title\": ", fp);
        put_json_str(fp, it->title);
        fputs(", \"labels\": ", fp);
        put_json_strs(fp, (const char *const *)it->labels, it->n);
        fputs(", \"values\": ", fp);
        put_json_nums(fp, it->y, it->n);
        fputc('}', fp);
        break;
    case IT_XY:
        fputs("{\"title\": ", fp);
        put_json_str(fp, it->title);
        fputs(", \"x\": ", fp);
        put_json_nums(fp, it->x, it->n);
        fputs(", \"y\": ", fp);
        put_json_nums(fp, it->y, it->n);
        fputc('}', fp);
        break;
    default:
        break;
    }
}

static void
json_write(const struct evalrep *r, FILE *fp)
{
    int first_note = 1, in_section = 0, first_item = 1;

    fputs("{\n  \"title\": ", fp);
    put_json_str(fp, r->title);
    fputs(",\n  \"notes\": [", fp);
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].kind != IT_NOTE)
            continue;
        fputs(first_note ? "\n    " : ",\n    ", fp);
        put_json_str(fp, r->items[i].title);
        first_note = 0;
    }
    fputs("],\n  \"sections\": {", fp);
    for (size_t i = 0; i < r->n; i++) {
        const struct item *it = &r->items[i];

        if (it->kind == IT_NOTE)
            continue;
        if (it->kind == IT_SECTION) {
            fputs(in_section ? "\n    },\n    " : "\n    ", fp);
            put_json_str(fp, it->key);
            fputs(": {\n      \"title\": ", fp);
            put_json_str(fp, it->title);
            in_section = 1;
            first_item = 0;
            continue;
        }
        if (!in_section) {
            /* items before any section go into "main" */
            fputs("\n    \"main\": {", fp);
            in_section = 1;
            first_item = 1;
        }
        fputs(first_item ? "\n      " : ",\n      ", fp);
        json_item(fp, it);
        first_item = 0;
    }
    fputs(in_section ? "\n    }\n  }\n}\n" : "}\n}\n", fp);
}

/* ---- SVG charts ---------------------------------------------------------------- */

#define SVG_W 640
#define SVG_H 280
#define SVG_L 64        /* left margin (y ticks) */
#define SVG_R 16
#define SVG_T 16
#define SVG_B 56        /* bottom margin (x labels, axis title) */

/*
 * An axis from 0 to at least m in n steps of a "nice" size (1, 2, 2.5 or 5
 * times a power of 10), about five steps.
 */
struct axis {
    double max, step;
    int n;
};

static struct axis
nice_axis(double m)
{
    struct axis a;
    double p, f;

    if (!(m > 0) || !isfinite(m))
        m = 1;
    p = pow(10, floor(log10(m / 5)));
    f = m / 5 / p;
    a.step = f <= 1 ? p : f <= 2 ? 2 * p : f <= 2.5 ? 2.5 * p
           : f <= 5 ? 5 * p : 10 * p;
    a.n = (int)ceil(m / a.step - 1e-9);
    if (a.n < 1)
        a.n = 1;
    a.max = a.n * a.step;
    return a;
}

static void
svg_axes(FILE *fp, struct axis y, const char *xlabel, const char *ylabel)
{
    int pw = SVG_W - SVG_L - SVG_R, ph = SVG_H - SVG_T - SVG_B;

    for (int k = 0; k <= y.n; k++) {
        double yy = SVG_T + ph - (double)ph * k / y.n;

        fprintf(fp, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                "class=\"grid\"/>\n", SVG_L, yy, SVG_L + pw, yy);
        fprintf(fp, "<text x=\"%d\" y=\"%.1f\" class=\"yt\">%.4g</text>\n",
                SVG_L - 6, yy + 4, y.step * k);
    }
    fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
            "class=\"axis\"/>\n", SVG_L, SVG_T + ph, SVG_L + pw, SVG_T + ph);
    fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
            "class=\"axis\"/>\n", SVG_L, SVG_T, SVG_L, SVG_T + ph);
    fprintf(fp, "<text x=\"%d\" y=\"%d\" class=\"xl\">", SVG_L + pw / 2,
            SVG_H - 8);
    put_escaped_xml(fp, xlabel);
    fprintf(fp, "</text>\n<text x=\"14\" y=\"%d\" class=\"yl\" "
            "transform=\"rotate(-90 14 %d)\">", SVG_T + ph / 2,
            SVG_T + ph / 2);
    put_escaped_xml(fp, ylabel);
    fputs("</text>\n", fp);
}

static void
svg_bars(FILE *fp, const struct item *it)
{
    int pw = SVG_W - SVG_L - SVG_R, ph = SVG_H - SVG_T - SVG_B;
    double m = 0, bw;
    struct axis ya;
    size_t step;

    for (size_t k = 0; k < it->n; k++)
        if (isfinite(it->y[k]) && it->y[k] > m)
            m = it->y[k];
    ya = nice_axis(m);
    bw = it->n ? (double)pw / (double)it->n : pw;
    step = it->n > 16 ? (it->n + 15) / 16 : 1;  /* at most ~16 x labels */
    fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
            SVG_W, SVG_H, SVG_W, SVG_H);
    svg_axes(fp, ya, it->xlabel, it->ylabel);
    for (size_t k = 0; k < it->n; k++) {
        double v = isfinite(it->y[k]) ? it->y[k] : 0;
        double h = (double)ph * v / ya.max;
        double x = SVG_L + bw * (double)k;

        fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"%.1f\" class=\"bar\"><title>", x + bw * 0.1,
                SVG_T + ph - h, bw * 0.8, h);
        put_escaped_xml(fp, it->labels[k]);
        fprintf(fp, ": %.6g</title></rect>\n", v);
        if (k % step == 0) {
            fprintf(fp, "<text x=\"%.1f\" y=\"%d\" class=\"xt\">",
                    x + bw / 2, SVG_T + ph + 16);
            put_escaped_xml(fp, it->labels[k]);
            fputs("</text>\n", fp);
        }
    }
    fputs("</svg>\n", fp);
}

static void
svg_xy(FILE *fp, const struct item *it)
{
    int pw = SVG_W - SVG_L - SVG_R, ph = SVG_H - SVG_T - SVG_B;
    double mx = 0, my = 0;
    struct axis xa, ya;

    for (size_t k = 0; k < it->n; k++) {
        if (isfinite(it->x[k]) && it->x[k] > mx)
            mx = it->x[k];
        if (isfinite(it->y[k]) && it->y[k] > my)
            my = it->y[k];
    }
    if (it->flags & EVALREP_XY_DIAGONAL) {
        xa = ya = nice_axis(mx > my ? mx : my);
    } else {
        xa = nice_axis(mx);
        ya = nice_axis(my);
    }
    mx = xa.max;
    my = ya.max;
    fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
            SVG_W, SVG_H, SVG_W, SVG_H);
    svg_axes(fp, ya, it->xlabel, it->ylabel);
    for (int k = 0; k <= xa.n; k++)
        fprintf(fp, "<text x=\"%.1f\" y=\"%d\" class=\"xt\">%.4g</text>\n",
                SVG_L + (double)pw * k / xa.n, SVG_T + ph + 16, xa.step * k);
    if (it->flags & EVALREP_XY_DIAGONAL)
        fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                "class=\"diag\"/>\n", SVG_L, SVG_T + ph, SVG_L + pw, SVG_T);
    fputs("<polyline class=\"line\" points=\"", fp);
    for (size_t k = 0; k < it->n; k++) {
        if (!isfinite(it->x[k]) || !isfinite(it->y[k]))
            continue;
        fprintf(fp, "%s%.1f,%.1f", k ? " " : "",
                SVG_L + (double)pw * it->x[k] / mx,
                SVG_T + ph - (double)ph * it->y[k] / my);
    }
    fputs("\"/>\n", fp);
    for (size_t k = 0; k < it->n; k++) {
        if (!isfinite(it->x[k]) || !isfinite(it->y[k]))
            continue;
        fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" class=\"pt\">"
                "<title>%.4g, %.4g</title></circle>\n",
                SVG_L + (double)pw * it->x[k] / mx,
                SVG_T + ph - (double)ph * it->y[k] / my, it->x[k], it->y[k]);
    }
    fputs("</svg>\n", fp);
}

/* ---- HTML ------------------------------------------------------------------------ */

static const char html_style[] =
    "body{font-family:sans-serif;margin:2em auto;max-width:60em;"
    "color:#222;line-height:1.4}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;"
    "margin-top:2em}h3{font-size:1em}\n"
    "table{border-collapse:collapse;margin:0.5em 0}"
    "td,th{border:1px solid #ccc;padding:0.2em 0.6em}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#f2f2f2}\n"
    "p.note{color:#555}\n"
    ".grid{stroke:#e4e4e4}.axis{stroke:#444}.bar{fill:#4a7bb7}"
    ".diag{stroke:#aaa;stroke-dasharray:4 4}"
    ".line{fill:none;stroke:#c0504d;stroke-width:2}.pt{fill:#c0504d}\n"
    "text{font-size:11px;fill:#333}.yt{text-anchor:end}"
    ".xt{text-anchor:middle}.xl{text-anchor:middle}.yl{text-anchor:middle}\n";

static void
html_table(FILE *fp, const struct item *it)
{
    const struct evalrep_table *t = it->table;
    char buf[64];

    fputs("<h3>", fp);
    put_escaped_xml(fp, it->title);
    fputs("</h3>\n<table>\n<tr><th>", fp);
    put_escaped_xml(fp, t->label_title);
    fputs("</th>", fp);
    for (int c = 0; c < t->ncols; c++) {
        fputs("<th>", fp);
        put_escaped_xml(fp, t->cols[c]);
        fputs("</th>", fp);
    }
    fputs("</tr>\n", fp);
    for (size_t i = 0; i < t->nrows; i++) {
        fputs("<tr><td>", fp);
        put_escaped_xml(fp, t->labels[i]);
        fputs("</td>", fp);
        for (int c = 0; c < t->ncols; c++)
            fprintf(fp, "<td class=\"n\">%s</td>",
                    fmt_value(t->v[i * (size_t)t->ncols + (size_t)c],
                              t->fmt[c], buf, sizeof buf));
        fputs("</tr>\n", fp);
    }
    fputs("</table>\n", fp);
}

static void
html_write(const struct evalrep *r, FILE *fp)
{
    int in_nums = 0;
    char buf[64];

    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" "
          "lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>", fp);
    put_escaped_xml(fp, r->title);
    fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>",
            html_style);
    put_escaped_xml(fp, r->title);
    fputs("</h1>\n", fp);
    for (size_t i = 0; i < r->n; i++) {
        const struct item *it = &r->items[i];

        if (in_nums && it->kind != IT_NUM) {
            fputs("</table>\n", fp);
            in_nums = 0;
        }
        switch (it->kind) {
        case IT_NOTE:
            fputs("<p class=\"note\">", fp);
            put_escaped_xml(fp, it->title);
            fputs("</p>\n", fp);
            break;
        case IT_SECTION:
            fputs("<h2 id=\"", fp);
            put_escaped_xml(fp, it->key);
            fputs("\">", fp);
            put_escaped_xml(fp, it->title);
            fputs("</h2>\n", fp);
            break;
        case IT_NUM:
            if (!in_nums) {
                fputs("<table>\n", fp);
                in_nums = 1;
            }
            fputs("<tr><td>", fp);
            put_escaped_xml(fp, it->title);
            fprintf(fp, "</td><td class=\"n\">%s</td></tr>\n",
                    fmt_value(it->v, it->fmt, buf, sizeof buf));
            break;
        case IT_TABLE:
            html_table(fp, it);
            break;
        case IT_BARS:
        case IT_XY:
            fputs("<h3>", fp);
            put_escaped_xml(fp, it->title);
            fputs("</h3>\n", fp);
            if (it->kind == IT_BARS)
                svg_bars(fp, it);
            else
                svg_xy(fp, it);
            break;
        }
    }
    if (in_nums)
        fputs("</table>\n", fp);
    fputs("</body>\n</html>\n", fp);
}

/* ---- text ------------------------------------------------------------------------ */

void
evalrep_write_text(const struct evalrep *r, FILE *fp)
{
    char buf[64];
    int lw = 0;

    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].kind == IT_NUM && r->items[i].headline
            && (int)strlen(r->items[i].title) > lw)
            lw = (int)strlen(r->items[i].title);
    fprintf(fp, "%s\n", r->title);
    for (size_t i = 0; i < r->n; i++) {
        const struct item *it = &r->items[i];

        if (it->kind == IT_NUM && it->headline) {
            fprintf(fp, "  %-*s %10s\n", lw, it->title,
                    fmt_value(it->v, it->fmt, buf, sizeof buf));
        } else if (it->kind == IT_TABLE) {
            const struct evalrep_table *t = it->table;
            int tw = (int)strlen(t->label_title);

            for (size_t k = 0; k < t->nrows; k++)
                if ((int)strlen(t->labels[k]) > tw)
                    tw = (int)strlen(t->labels[k]);
            fprintf(fp, "%s\n  %-*s", it->title, tw, t->label_title);
            for (int c = 0; c < t->ncols; c++)
                fprintf(fp, " %*s", strlen(t->cols[c]) > 9
                        ? (int)strlen(t->cols[c]) : 9, t->cols[c]);
            fputc('\n', fp);
            for (size_t k = 0; k < t->nrows; k++) {
                fprintf(fp, "  %-*s", tw, t->labels[k]);
                for (int c = 0; c < t->ncols; c++)
                    fprintf(fp, " %*s", strlen(t->cols[c]) > 9
                            ? (int)strlen(t->cols[c]) : 9,
                            fmt_value(t->v[k * (size_t)t->ncols + (size_t)c],
                                      t->fmt[c], buf, sizeof buf));
                fputc('\n', fp);
            }
        }
    }
}

/* ---- file writers ------------------------------------------------------------------ */

static int
write_with(const struct evalrep *r, const char *path,
           void (*fn)(const struct evalrep *, FILE *), struct diag *d)
{
    struct atomicfile af;

    if (atomicfile_open(&af, path, d) < 0)
        return -1;
    fn(r, af.fp);
    return atomicfile_commit(&af, d);
}

int
evalrep_write_html(const struct evalrep *r, const char *path, struct diag *d)
{
    return write_with(r, path, html_write, d);
}

int
evalrep_write_json(const struct evalrep *r, const char *path, struct diag *d)
{
    return write_with(r, path, json_write, d);
}
