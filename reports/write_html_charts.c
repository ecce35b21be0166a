/* write_html_charts.c — the charts section of the HTML report: latency
 * against batch, throughput against hidden size, energy per sequence, the
 * latency-energy Pareto front, a roofline per device, task accuracy and
 * training curves, history across runs (inline SVG through svg.c). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_util.h"
#include "svg.h"

#define MAX_SERIES 32
#define MAX_CATEGORIES 60

typedef struct series_buf {
    rb_chart_series s[MAX_SERIES];
    char names[MAX_SERIES][96];
    double *x[MAX_SERIES], *y[MAX_SERIES];
    int n;
    int dropped; /* series left out over MAX_SERIES */
} series_buf;

static void series_free(series_buf *b)
{
    for (int i = 0; i < b->n; i++) {
        free(b->x[i]);
        free(b->y[i]);
    }
}

/* A new series with room for cap points; NULL when full. */
static rb_chart_series *series_add(series_buf *b, const char *name, int color, size_t cap)
{
    if (b->n == MAX_SERIES) {
        b->dropped++;
        return NULL;
    }
    int i = b->n;
    b->x[i] = malloc((cap ? cap : 1) * sizeof(double));
    b->y[i] = malloc((cap ? cap : 1) * sizeof(double));
    if (!b->x[i] || !b->y[i]) {
        free(b->x[i]);
        free(b->y[i]);
        return NULL;
    }
    b->n++;
    snprintf(b->names[i], sizeof b->names[i], "%s", name);
    b->s[i] = (rb_chart_series){b->names[i], 0, b->x[i], b->y[i], NULL, 0, color, 0};
    return &b->s[i];
}

static void series_push(rb_chart_series *s, double x, double y)
{
    ((double *)s->x)[s->n] = x;
    ((double *)s->y)[s->n] = y;
    s->n++;
}

/* Results of one family are equal in everything but the varied axis (batch,
 * or hidden size): ordered by device, family and that axis, each family of a
 * device is one run of the order. */
typedef struct family_ctx {
    const rb_report *r;
    int vary_batch;
} family_ctx;

static int family_cmp(const void *pa, const void *pb, void *ctx)
{
    const family_ctx *c = ctx;
    const rb_rep_result *a = &c->r->results[*(const size_t *)pa];
    const rb_rep_result *b = &c->r->results[*(const size_t *)pb];
    const rb_workload *x = &a->w, *y = &b->w;
    int k[][2] = {{a->device, b->device},
                  {x->cell, y->cell},
                  {x->mode, y->mode},
                  {x->seq, y->seq},
                  {x->layers, y->layers},
                  {x->input_proj, y->input_proj},
                  {c->vary_batch ? x->hidden : x->batch, c->vary_batch ? y->hidden : y->batch},
                  {c->vary_batch ? x->input : 0, c->vary_batch ? y->input : 0},
                  {c->vary_batch ? x->batch : x->hidden, c->vary_batch ? y->batch : y->hidden}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (k[i][0] != k[i][1])
            return k[i][0] < k[i][1] ? -1 : 1;
    return 0;
}

/* One series per (target, family) with at least two points along the axis
 * (batch, or hidden size), y from a result.  O(n log n): a report may hold
 * 100 000 results. */
static void family_series(const rb_report *r, series_buf *b, int vary_batch,
                          double (*yof)(const rb_rep_result *))
{
    size_t *idx = malloc((r->n_results ? r->n_results : 1) * sizeof *idx), n = 0;
    if (!idx)
        return;
    for (size_t i = 0; i < r->n_results; i++)
        if (rb_rep_ok(&r->results[i]) && isfinite(yof(&r->results[i])))
            idx[n++] = i;
    family_ctx c = {r, vary_batch};
    if (n > 1)
        qsort_r(idx, n, sizeof *idx, family_cmp, &c);
    for (size_t i = 0; i < n;) {
        /* the run of results equal to the first in all but the varied axis */
        size_t j = i + 1;
        const rb_rep_result *a = &r->results[idx[i]];
        while (j < n) {
            const rb_rep_result *x = &r->results[idx[j]];
            if (x->device != a->device || x->w.cell != a->w.cell || x->w.mode != a->w.mode ||
                x->w.seq != a->w.seq || x->w.layers != a->w.layers ||
                x->w.input_proj != a->w.input_proj ||
                (vary_batch ? x->w.hidden != a->w.hidden || x->w.input != a->w.input
                            : x->w.batch != a->w.batch))
                break;
            j++;
        }
        if (j - i >= 2) {
            char name[160];
            if (vary_batch)
                snprintf(name, sizeof name, "%s %s t%d h%d", r->devices[a->device].target,
                         rb_cell_name(a->w.cell), a->w.seq, a->w.hidden);
            else
                snprintf(name, sizeof name, "%s %s t%d b%d", r->devices[a->device].target,
                         rb_cell_name(a->w.cell), a->w.seq, a->w.batch);
            /* a target's second, third ... family: its colour, another dash */
            int same = 0;
            for (int q = 0; q < b->n; q++)
                same += b->s[q].color == a->device;
            rb_chart_series *s = series_add(b, name, a->device, j - i);
            if (s)
                s->dashed = same;
            for (size_t k = i; s && k < j; k++) { /* already in order along x */
                const rb_rep_result *x = &r->results[idx[k]];
                series_push(s, vary_batch ? x->w.batch : x->w.hidden, yof(x));
            }
        }
        i = j;
    }
    free(idx);
}

/* The report's --slo-ms bound as a dashed line across the drawn data:
 * horizontal at y = slo (a latency y axis), or vertical at x = slo. */
static void bound_line(series_buf *b, double slo, int vertical)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < b->n; i++)
        for (int k = 0; k < b->s[i].n; k++) {
            double v = vertical ? b->s[i].y[k] : b->s[i].x[k];
            if (isfinite(v) && v > 0) {
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        }
    char name[64];
    snprintf(name, sizeof name, "p99 bound %g ms (--slo-ms)", slo);
    rb_chart_series *s = isfinite(slo) && b->n && lo <= hi ? series_add(b, name, 7, 2) : NULL;
    if (!s)
        return;
    s->style = RB_SVG_LINE;
    s->dashed = 1;
    series_push(s, vertical ? slo : lo, vertical ? lo : slo);
    series_push(s, vertical ? slo : hi, vertical ? hi : slo);
}

static double y_median(const rb_rep_result *x) { return x->median_ms; }

static double y_throughput(const rb_rep_result *x)
{
    return rb_objective_value(RB_OBJ_THROUGHPUT, x);
}

static void chart_note(FILE *f, const series_buf *b)
{
    if (b->dropped)
        fprintf(f,
                "<p class=\"note\">%d more series not drawn (the chart shows %d); the tables "
                "below have every result.</p>\n",
                b->dropped, MAX_SERIES);
}

static void draw_xy(FILE *f, const char *id, const char *title, const char *xl, const char *yl,
                    int xlog, int ylog, series_buf *b, const char *empty)
{
    rb_chart c = {0};
    c.id = id;
    c.title = title;
    c.x_label = xl;
    c.y_label = yl;
    c.x_log = xlog;
    c.y_log = ylog;
    c.n_series = b->n;
    c.series = b->s;
    c.empty_note = empty;
    rb_svg_figure(f, &c);
    chart_note(f, b);
}

/* Energy per sequence: one point per target on each workload (categories). */
static void chart_energy(FILE *f, const rb_report *r, const rb_recommendation *rec)
{
    size_t nk = rec->n_workloads < MAX_CATEGORIES ? rec->n_workloads : MAX_CATEGORIES;
    const char **cats = calloc(nk ? nk : 1, sizeof *cats);
    series_buf b = {0};
    for (int d = 0; cats && d < r->n_devices; d++) {
        rb_chart_series *s = series_add(&b, r->devices[d].target, d, nk);
        for (size_t k = 0; s && k < nk; k++) {
            const rb_workload_rec *w = &rec->w[k];
            cats[k] = r->results[w->first].w.key;
            for (size_t i = 0; i < w->count; i++) {
                const rb_rep_result *x = &r->results[w->first + i];
                if (x->device == d && rb_rep_ok(x) && isfinite(rb_rep_energy_per_seq(x)))
                    series_push(s, (double)k, rb_rep_energy_per_seq(x));
            }
        }
    }
    rb_chart c = {0};
    c.id = "chart-energy";
    c.title = "Energy per sequence, per target (source in the tables)";
    c.x_label = "workload";
    c.y_label = "energy per sequence (J)";
    c.y_log = 1;
    c.categories = cats;
    c.n_categories = (int)nk;
    c.n_series = b.n;
    c.series = b.s;
    for (int i = 0; i < b.n; i++)
        b.s[i].style = RB_SVG_POINTS;
    c.empty_note = "no result has an energy figure";
    rb_svg_figure(f, &c);
    if (rec->n_workloads > nk)
        fprintf(f, "<p class=\"note\">The first %zu of %zu workloads are drawn.</p>\n", nk,
                rec->n_workloads);
    series_free(&b);
    free(cats);
}

/* The workload most targets qualify on (ties: the most FLOP): the one the
 * Pareto chart shows. */
static const rb_workload_rec *headline_workload(const rb_report *r, const rb_recommendation *rec)
{
    const rb_workload_rec *best = NULL;
    for (size_t k = 0; k < rec->n_workloads; k++) {
        const rb_workload_rec *w = &rec->w[k];
        if (!best || w->n_eligible > best->n_eligible ||
            (w->n_eligible == best->n_eligible &&
             r->results[w->first].flops > r->results[best->first].flops))
            best = w;
    }
    return best;
}

static void chart_pareto(FILE *f, const rb_report *r, const rb_recommendation *rec)
{
    const rb_workload_rec *w = headline_workload(r, rec);
    series_buf b = {0};
    char title[RB_KEY_MAX + 48] = "Latency vs energy per sequence";
    rb_chart c = {0};
    if (w) {
        snprintf(title, sizeof title, "Latency vs energy per sequence: %s",
                 r->results[w->first].w.key);
        for (size_t i = 0; i < w->count; i++) {
            const rb_rep_result *x = &r->results[w->first + i];
            if (!rb_rep_ok(x) || !isfinite(rb_rep_energy_per_seq(x)) || !(x->median_ms > 0))
                continue;
            /* a target the constraints exclude: hollow, and named so */
            int eligible = 0;
            for (size_t k = 0; k < w->count; k++)
                if (w->entries[k].result == w->first + i)
                    eligible = w->entries[k].eligible;
            char name[160];
            snprintf(name, sizeof name, "%s%s", r->devices[x->device].target,
                     eligible ? "" : " (excluded)");
            rb_chart_series *s = series_add(&b, name, x->device, 1);
            if (s) {
                s->style = RB_SVG_POINTS;
                s->dashed = !eligible;
                series_push(s, x->median_ms, rb_rep_energy_per_seq(x));
            }
        }
        /* the Pareto front: no other point is both faster and cheaper */
        rb_chart_series *front = series_add(&b, "Pareto front", 7, (size_t)b.n);
        if (front) {
            int n = b.n - 1;
            for (int i = 0; i < n; i++) {
                int dominated = 0;
                for (int j = 0; j < n && !dominated; j++)
                    dominated = j != i && b.s[j].x[0] <= b.s[i].x[0] &&
                                b.s[j].y[0] <= b.s[i].y[0] &&
                                (b.s[j].x[0] < b.s[i].x[0] || b.s[j].y[0] < b.s[i].y[0]);
                if (!dominated)
                    series_push(front, b.s[i].x[0], b.s[i].y[0]);
            }
            for (int p = 1; p < front->n; p++) /* by latency, for the line */
                for (int q = p; q > 0 && front->x[q - 1] > front->x[q]; q--) {
                    double *xs = (double *)front->x, *ys = (double *)front->y, t;
                    t = xs[q], xs[q] = xs[q - 1], xs[q - 1] = t;
                    t = ys[q], ys[q] = ys[q - 1], ys[q - 1] = t;
                }
            front->style = RB_SVG_LINE;
            front->dashed = 1;
        }
        if (w->n_eligible) {
            const rb_rep_result *top = &r->results[w->entries[0].result];
            if (isfinite(rb_rep_energy_per_seq(top))) {
                c.has_mark = 1;
                c.mark_x = top->median_ms;
                c.mark_y = rb_rep_energy_per_seq(top);
                c.mark_label = "recommended";
            }
        }
    }
    bound_line(&b, rec->opts.slo_ms, 1);
    c.id = "chart-pareto";
    c.title = title;
    c.x_label = "median latency per call (ms)";
    c.y_label = "energy per sequence (J)";
    c.x_log = c.y_log = 1;
    c.n_series = b.n;
    c.series = b.s;
    c.empty_note = "no target has both a latency and an energy figure here";
    rb_svg_figure(f, &c);
    series_free(&b);
}

/* Bytes per value of a result's number format (fp32 4, bf16/fp16/int16 2,
 * int8 1, fixed Qm.n: its width) for the roofline's traffic model. */
static double bytes_per_value(const char *numerics)
{
    int qi, qf;
    if (strstr(numerics, "int8"))
        return 1;
    if (strstr(numerics, "int16") || strstr(numerics, "bf16") || strstr(numerics, "fp16"))
        return 2;
    const char *q = strstr(numerics, "Q");
    if (q && sscanf(q, "Q%d.%d", &qi, &qf) == 2)
        return ceil((qi + qf + 1) / 8.0);
    return 4;
}

/* Operational intensity: FLOP per byte when every timestep reads every
 * weight once (a recurrent matrix-vector product's traffic; README.md). */
static double intensity(const rb_rep_result *x)
{
    const rb_workload *w = &x->w;
    /* in doubles, closed form: the shapes come from a database, which may
     * hold any integer (a tampered 2^31 - 1 must not overflow or loop) */
    double g = rb_cell_gates(w->cell), h = w->hidden, in = w->input_proj ? w->input : 0;
    double params = g * h * (in + h) + (w->layers - 1.0) * g * h * (h + h);
    return x->flops / ((double)w->seq * params * bytes_per_value(x->numerics));
}

static void chart_roofline(FILE *f, const rb_report *r, int d)
{
    const rb_rep_device *dv = &r->devices[d];
    series_buf b = {0};
    size_t cnt = 0;
    for (size_t i = 0; i < r->n_results; i++)
        cnt += r->results[i].device == d;
    rb_chart_series *s = series_add(&b, "achieved", d, cnt);
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; s && i < r->n_results; i++) {
        const rb_rep_result *x = &r->results[i];
        if (x->device != d || !rb_rep_ok(x) || !(x->gflops > 0))
            continue;
        double oi = intensity(x);
        series_push(s, oi, x->gflops);
        lo = fmin(lo, oi);
        hi = fmax(hi, oi);
    }
    if (s)
        s->style = RB_SVG_POINTS;
    if (dv->peak_flops > 0 && dv->mem_bw > 0 && isfinite(lo)) {
        double peak = dv->peak_flops * 1e-9, bw = dv->mem_bw * 1e-9, ridge = peak / bw;
        double x0 = fmin(lo, ridge) / 2, x1 = fmax(hi, ridge) * 2;
        rb_chart_series *roof = series_add(&b, "roof: min(peak, bandwidth x intensity)", 7, 3);
        if (roof) {
            series_push(roof, x0, bw * x0);
            series_push(roof, ridge, peak);
            series_push(roof, x1, peak);
            roof->style = RB_SVG_LINE;
            roof->dashed = 1;
        }
    }
    char id[160], title[300];
    /* an id from the instance's name: letters, digits and '-' ("fpga-large") */
    int n = snprintf(id, sizeof id, "chart-roofline-%s", dv->target);
    for (char *p = id + 15; p < id + (n < (int)sizeof id ? n : (int)sizeof id - 1); p++)
        if (!isalnum((unsigned char)*p))
            *p = '-';
    snprintf(title, sizeof title, "Roofline: %s (%.120s)", dv->target, dv->name);
    draw_xy(f, id, title, "operational intensity (FLOP per weight byte)", "achieved GFLOP/s", 1, 1,
            &b, "no result, or no peak and bandwidth figure for this device");
    series_free(&b);
}

/* Rows a..b of the same (phase, task, model, target, split): the loader's order. */
static void chart_accuracy(FILE *f, const rb_report *r)
{
    /* accuracy per target: every evaluation on the test split */
    rb_bar bars[64];
    char labels[64][64], tips[64][200];
    int nb = 0;
    for (size_t i = 0; i < r->n_accuracy && nb < 64; i++) {
        const rb_rep_accuracy *a = &r->accuracy[i];
        if (strcmp(a->phase, "eval") || strcmp(a->split, "test"))
            continue;
        /* short labels (the chart cuts them); the model and the figures in the tip */
        snprintf(labels[nb], sizeof labels[nb], "%.40s %.22s", a->target, a->numerics);
        snprintf(tips[nb], sizeof tips[nb],
                 "%.30s %.60s: test accuracy %.4f, macro-F1 %.4f, "
                 "agreement with the reference %.4f",
                 a->task, a->model, a->accuracy, a->macro_f1, a->agreement);
        bars[nb] = (rb_bar){labels[nb], a->accuracy, nb, tips[nb]};
        nb++;
    }
    rb_bar_chart bc = {"chart-accuracy",
                       "Text classification: test accuracy per target",
                       "accuracy",
                       0,
                       0,
                       nb,
                       bars};
    fputs("<figure>", f);
    rb_svg_bars(f, &bc);
    fputs("</figure>\n", f);

    /* training curves: per model, train (solid) and test (dashed) accuracy per epoch */
    series_buf b = {0};
    int model = -1;
    for (size_t i = 0; i < r->n_accuracy; i++) {
        const rb_rep_accuracy *a = &r->accuracy[i];
        if (strcmp(a->phase, "train") || (i > 0 && rb_rep_same_curve(&r->accuracy[i - 1], a)))
            continue; /* the first row of each curve starts a series */
        if (i == 0 || strcmp(r->accuracy[i - 1].model, a->model) ||
            strcmp(r->accuracy[i - 1].phase, a->phase))
            model++; /* one color per model */
        size_t cnt = 0;
        while (i + cnt < r->n_accuracy && rb_rep_same_curve(&r->accuracy[i + cnt], a))
            cnt++;
        char name[96];
        snprintf(name, sizeof name, "%.60s %.16s", a->model, a->split); /* the table has the rest */
        rb_chart_series *s = series_add(&b, name, model, cnt);
        for (size_t j = i; s && j < i + cnt; j++)
            series_push(s, r->accuracy[j].epoch, r->accuracy[j].accuracy);
        if (s)
            s->dashed = strcmp(a->split, "train") != 0;
    }
    draw_xy(f, "chart-training", "Training curves: accuracy per epoch (dashed: test split)",
            "epoch", "accuracy", 0, 0, &b,
            "no training in this database (rnnbench train writes the curves)");
    series_free(&b);
}

/* Latency per run relative to this one, a line per target: where a step
 * happened is visible at a glance; `rnnbench history` names it. */
/* Each target's latency across the runs, on an axis of the runs themselves
 * ("run 12, 2026-12-03"), in order: run ids are not a scale. */
#define MAX_HISTORY_RUNS 64
static void chart_history(FILE *f, const rb_report *r)
{
    if (!r->n_history)
        return;
    long long runs[MAX_HISTORY_RUNS];
    char labels[MAX_HISTORY_RUNS][48];
    const char *cats[MAX_HISTORY_RUNS];
    int nr = 0;
    for (size_t i = 0; i < r->n_history; i++) { /* the distinct runs, ascending */
        long long id = r->history[i].run_id;
        int at = 0;
        while (at < nr && runs[at] < id)
            at++;
        if ((at < nr && runs[at] == id) || nr == MAX_HISTORY_RUNS)
            continue;
        memmove(runs + at + 1, runs + at, (size_t)(nr - at) * sizeof *runs);
        memmove(labels + at + 1, labels + at, (size_t)(nr - at) * sizeof *labels);
        runs[at] = id;
        snprintf(labels[at], sizeof labels[at], "run %lld, %.10s", id, r->history[i].started_at);
        nr++;
    }
    for (int k = 0; k < nr; k++)
        cats[k] = labels[k];
    series_buf b = {0};
    for (size_t i = 0, color = 0; i < r->n_history; color++) {
        size_t j = i;
        while (j < r->n_history && !strcmp(r->history[j].target, r->history[i].target))
            j++;
        /* the target's colour in every other chart: its device's index */
        int c = (int)(r->n_devices + color);
        for (int d = 0; d < r->n_devices; d++)
            if (!strcmp(r->devices[d].target, r->history[i].target)) {
                c = d;
                break;
            }
        rb_chart_series *s = series_add(&b, r->history[i].target, c, j - i);
        for (size_t k = i; s && k < j; k++)
            for (int q = 0; q < nr; q++)
                if (runs[q] == r->history[k].run_id)
                    series_push(s, q, r->history[k].rel);
        i = j;
    }
    rb_chart ch = {0};
    ch.id = "chart-history";
    ch.title = "History: median latency per run, relative to this run (geometric mean over the "
               "workloads both ran)";
    ch.x_label = "run";
    ch.y_label = "latency relative to this run";
    ch.categories = cats;
    ch.n_categories = nr;
    ch.n_series = b.n;
    ch.series = b.s;
    rb_svg_figure(f, &ch);
    chart_note(f, &b);
    series_free(&b);
}

void rb_html_charts(FILE *f, const rb_report *r, const rb_recommendation *rec)
{
    fputs("<section id=\"charts\"><h2>Charts</h2>\n<p class=\"note\">Hover a point for its value. "
          "Each figure's source (measured, simulated, modeled) is in the tables below.</p>\n",
          f);
    series_buf b = {0};
    family_series(r, &b, 1, y_median);
    bound_line(&b, rec->opts.slo_ms, 0);
    draw_xy(f, "chart-latency-batch", "Latency vs batch", "batch", "median latency per call (ms)",
            1, 1, &b, "no workload family with two or more batch sizes");
    series_free(&b);
    memset(&b, 0, sizeof b);
    family_series(r, &b, 0, y_throughput);
    draw_xy(f, "chart-throughput-hidden", "Throughput vs hidden size", "hidden size",
            "throughput (sequences/s)", 1, 1, &b,
            "no workload family with two or more hidden sizes");
    series_free(&b);
    chart_energy(f, r, rec);
    chart_pareto(f, r, rec);
    for (int d = 0; d < r->n_devices; d++)
        chart_roofline(f, r, d);
    if (r->n_accuracy || isfinite(rec->opts.max_accuracy_drop)) /* the task's, when asked */
        chart_accuracy(f, r);
    chart_history(f, r);
    fputs("</section>\n", f);
}
