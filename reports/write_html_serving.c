/* write_html_serving.c — the serving section of the HTML report: the plan
 * (devices for the load, energy per 1000 queries), every served result,
 * and per server workload the latency-rate curve of each target (p99
 * against the offered rate, from the rate search's loads) with the bound
 * drawn and the knee (the largest rate within it) marked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_util.h"
#include "svg.h"

#define MAX_CURVES 16

static void esc(FILE *f, const char *s) { rb_xml_escape(f, s); }

static const rb_serve_plan_row *plan_of(const rb_recommendation *rec, size_t result)
{
    for (size_t k = 0; k < rec->n_serve; k++)
        if (rec->serve[k].result == result)
            return &rec->serve[k];
    return NULL;
}

static int by_offered(const void *a, const void *b)
{
    double x = ((const rb_rep_load *)a)->offered_qps, y = ((const rb_rep_load *)b)->offered_qps;
    return x < y ? -1 : x > y;
}

/* p99 against offered rate for every target on workload key; the bound as
 * a dashed line. */
static void curve(FILE *f, const rb_report *r, const rb_recommendation *rec, size_t first,
                  size_t count, int idx)
{
    const rb_rep_result *x0 = &r->results[first];
    rb_chart_series s[MAX_CURVES + 1];
    double *xs[MAX_CURVES] = {0}, *ys[MAX_CURVES] = {0};
    char names[MAX_CURVES][RB_REP_TARGET_MAX + 16];
    int n = 0;
    double lo = INFINITY, hi = 0;
    for (size_t i = first; i < first + count && n < MAX_CURVES; i++) {
        const rb_rep_result *x = &r->results[i];
        if (!x->n_load)
            continue;
        rb_rep_load *l = malloc((size_t)x->n_load * sizeof *l);
        xs[n] = malloc((size_t)x->n_load * sizeof(double));
        ys[n] = malloc((size_t)x->n_load * sizeof(double));
        if (!l || !xs[n] || !ys[n]) {
            free(l);
            break;
        }
        memcpy(l, x->load, (size_t)x->n_load * sizeof *l);
        qsort(l, (size_t)x->n_load, sizeof *l, by_offered);
        for (int k = 0; k < x->n_load; k++) {
            xs[n][k] = l[k].offered_qps;
            ys[n][k] = l[k].p99_ms;
            lo = fmin(lo, l[k].offered_qps);
            hi = fmax(hi, l[k].offered_qps);
        }
        free(l);
        snprintf(names[n], sizeof names[n], "%s (%s)", r->devices[x->device].target,
                 x->latency_source);
        s[n] = (rb_chart_series){names[n], x->n_load, xs[n], ys[n], NULL, 0, x->device, 0};
        n++;
    }
    double bx[2] = {lo, hi}, by[2] = {x0->w.serve.slo_us * 1e-3, x0->w.serve.slo_us * 1e-3};
    int ns = n;
    if (n && x0->w.serve.slo_us && isfinite(lo))
        s[ns++] = (rb_chart_series){"p99 bound", 2, bx, by, NULL, RB_SVG_LINE, 7, 1};
    char id[48], title[RB_KEY_MAX + 64], mark[160] = "";
    snprintf(id, sizeof id, "chart-serving-%d", idx);
    snprintf(title, sizeof title, "p99 latency against offered load: %s", x0->w.key);
    rb_chart c = {0};
    c.id = id;
    c.title = title;
    c.x_label = "offered load (queries/s)";
    c.y_label = "p99 latency (ms)";
    c.x_log = c.y_log = 1;
    c.n_series = ns;
    c.series = s;
    c.empty_note = "no load points stored";
    const rb_serve_plan_row *best = rec->n_serve && rec->serve[0].rank ? &rec->serve[0] : NULL;
    if (best && best->result >= first && best->result < first + count) {
        c.has_mark = 1;
        c.mark_x = best->capacity_qps;
        c.mark_y = x0->w.serve.slo_us * 1e-3;
        snprintf(mark, sizeof mark, "%s: %.4g q/s",
                 r->devices[r->results[best->result].device].target, best->capacity_qps);
        c.mark_label = mark;
    }
    rb_svg_figure(f, &c);
    for (int k = 0; k < n; k++) {
        free(xs[k]);
        free(ys[k]);
    }
}

void rb_html_serving(FILE *f, const rb_report *r, const rb_recommendation *rec)
{
    size_t served = 0;
    for (size_t i = 0; i < r->n_results; i++)
        served += r->results[i].w.serve.scenario != RB_SCN_NONE;
    if (!served)
        return;
    fputs("<section id=\"serving\"><h2>Serving</h2>\n", f);
    if (rec->serving[0]) {
        fputs("<p class=\"headline\" id=\"serving-headline\">", f);
        esc(f, rec->serving);
        fputs("</p>\n", f);
    }
    fputs("<p class=\"note\">Latency of a query is its completion minus its <em>scheduled</em> "
          "arrival: a stall delays the queries behind it and shows in theirs. Measured targets "
          "served a real load generator; simulated and modeled ones an event simulation of the "
          "same server with their own latency per batch size. Devices for a load: that load over "
          "the largest rate one device serves within the bound.</p>\n",
          f);
    int priced = 0; /* the cost columns only where a person gave prices */
    for (size_t k = 0; k < rec->n_serve; k++)
        priced |= isfinite(rec->serve[k].price_per_h);
    fprintf(f,
            "<table id=\"serving-results\"><tr><th>workload</th><th>target</th><th>latency</th>"
            "<th>p50 (ms)</th><th>p99 (ms)</th><th>p99.9 (ms)</th><th>QPS</th><th>max QPS in "
            "SLO</th><th>devices</th><th>J / 1000 queries</th>%s<th>over SLO</th><th>busy</th>"
            "<th>queries</th><th>status</th></tr>\n",
            priced ? "<th>price / h (given)</th><th>cost / 1M queries</th>" : "");
    for (size_t i = 0; i < r->n_results; i++) {
        const rb_rep_result *x = &r->results[i];
        if (!x->w.serve.scenario)
            continue;
        const rb_serve_plan_row *p = plan_of(rec, i);
        fputs("<tr><td><code>", f);
        esc(f, x->w.key);
        fputs("</code></td><td>", f);
        esc(f, r->devices[x->device].target);
        fputs("</td><td>", f);
        esc(f, x->latency_source[0] ? x->latency_source : "-");
        fputs("</td>", f);
        rb_html_td_num(f, x->median_ms, "%.4g");
        rb_html_td_num(f, x->p99_ms, "%.4g");
        rb_html_td_num(f, x->p999_ms, "%.4g");
        rb_html_td_num(f, x->achieved_qps, "%.4g");
        rb_html_td_num(f, x->max_qps, "%.4g");
        rb_html_td_num(f, p && p->devices ? p->devices : NAN, "%.0f");
        rb_html_td_num(f, isfinite(x->energy_j) ? 1000 * x->energy_j : NAN, "%.3g");
        if (priced) {
            rb_html_td_num(f, p ? p->price_per_h : NAN, "%.4g");
            rb_html_td_num(f, p ? p->cost_per_m : NAN, "%.4g");
        }
        rb_html_td_num(f, 100 * x->over_slo_frac, "%.3g%%");
        rb_html_td_num(f, 100 * x->busy_frac, "%.3g%%");
        rb_html_td_num(f, x->reps, "%.0f");
        fputs("<td>", f);
        esc(f, x->status);
        if (x->message && x->message[0]) {
            fputs(": ", f);
            esc(f, x->message);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    int charts = 0;
    for (size_t i = 0; i < r->n_results && charts < 8;) {
        size_t j = i + 1;
        while (j < r->n_results && !strcmp(r->results[j].w.key, r->results[i].w.key))
            j++;
        if (r->results[i].w.serve.scenario == RB_SCN_SERVER)
            curve(f, r, rec, i, j - i, charts++);
        i = j;
    }
    fputs("</section>\n", f);
}
