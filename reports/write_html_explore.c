/* write_html_explore.c — the design-space section of the HTML report of a
 * `rnnbench explore` run: the choice and why, the stored candidates (the
 * Pareto front, the choice, the cheaper one that misses the bound) on a
 * latency-power chart with the bound drawn, and their table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore_view.h"
#include "report_util.h"
#include "svg.h"

static void esc(FILE *f, const char *s) { rb_xml_escape(f, s); }

static void chart(FILE *f, const rb_report *r, const rb_xview *v)
{
    double *x = calloc((size_t)v->n * 2 + 2, sizeof *x),
           *y = calloc((size_t)v->n * 2 + 2, sizeof *y);
    const char **tips = calloc((size_t)v->n * 2 + 2, sizeof *tips);
    if (!x || !y || !tips) {
        free(x);
        free(y);
        free(tips);
        return;
    }
    /* the front, then the others */
    int nf = 0, no = 0;
    double *fx = x, *fy = y, *ox = x + v->n, *oy = y + v->n;
    const char **ft = tips, **ot = tips + v->n; /* hover: the candidate's figures */
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < v->n; i++) {
        const rb_xview_row *w = &v->rows[i];
        if (w->front) {
            ft[nf] = w->summary;
            fx[nf] = w->lat_ms;
            fy[nf++] = w->power_w;
        } else {
            ot[no] = w->summary;
            ox[no] = w->lat_ms;
            oy[no++] = w->power_w;
        }
        lo = fmin(lo, w->power_w);
        hi = fmax(hi, w->power_w);
    }
    double bx[2] = {v->slo_ms, v->slo_ms}, by[2] = {lo, hi};
    rb_chart_series s[3] = {
        /* points, not a line: the front is over resources too, so two of
         * its members may be ordered on both axes drawn here */
        {.name = "Pareto front (latency, power, resources)",
         .n = nf,
         .x = fx,
         .y = fy,
         .tips = ft,
         .style = RB_SVG_POINTS,
         .color = 0},
        {.name = "stored, not on the front",
         .n = no,
         .x = ox,
         .y = oy,
         .tips = ot,
         .style = RB_SVG_POINTS,
         .color = 1,
         .dashed = 1},
        {.name = "latency bound (--slo-ms)",
         .n = 2,
         .x = bx,
         .y = by,
         .style = RB_SVG_LINE,
         .color = 7,
         .dashed = 1},
    };
    rb_chart c = {0};
    c.id = "chart-explore";
    c.title = "Explored candidates: latency vs power";
    c.x_label = isfinite(v->qps) ? "p99 latency under the load (ms)" : "latency per call (ms)";
    c.y_label = "modeled power (W)";
    c.x_log = c.y_log = 1;
    c.series = s;
    c.n_series = isfinite(v->slo_ms) && lo <= hi ? 3 : 2;
    if (v->chosen >= 0) {
        c.has_mark = 1;
        c.mark_x = v->rows[v->chosen].lat_ms;
        c.mark_y = v->rows[v->chosen].power_w;
        c.mark_label = r->devices[v->rows[v->chosen].device].target;
    }
    c.empty_note = "no candidate has both a latency and a power figure";
    rb_svg_figure(f, &c);
    free(x);
    free(y);
    free(tips);
}


static double resource(const rb_rep_device *d, const char *name)
{
    for (int i = 0; i < d->n_resources; i++)
        if (!strcmp(d->resources[i].name, name))
            return d->resources[i].value;
    return NAN;
}

void rb_html_explore(FILE *f, const rb_report *r)
{
    rb_xview v;
    rb_err e = {0};
    if (rb_xview_of(r, &v, &e) || !v.n) {
        rb_xview_free(&v);
        return;
    }
    fputs("<section id=\"explore\"><h2>Design space</h2>\n", f);
    fprintf(f, "<p class=\"headline%s\" id=\"explore-headline\">", v.chosen < 0 ? " none" : "");
    if (v.chosen >= 0) {
        fputs("Chosen: <b>", f);
        esc(f, r->devices[v.rows[v.chosen].device].target);
        fputs("</b>, ", f);
        esc(f, v.rows[v.chosen].summary);
        fputs(".", f);
    } else
        fputs("No candidate fits the part and meets the bound.", f);
    if (v.near_miss >= 0) {
        fputs(v.chosen >= 0 ? " Cheaper: " : " Nearest: ", f);
        esc(f, r->devices[v.rows[v.near_miss].device].target);
        fputs(", ", f);
        esc(f, v.rows[v.near_miss].summary);
        fputs(".", f);
    }
    fputs("</p>\n<p class=\"note\">Each candidate is a configuration of the fpga accelerator, "
          "estimated by the cycle formula its RTL is tested to match, the resource model fitted "
          "to Yosys syntheses and the documented power model; <em>confirmed</em> figures come "
          "from simulating the RTL built with its parameters (outputs checked bit for bit "
          "against the golden model) and from synthesizing it. The choice minimises ",
          f);
    esc(f, v.objective);
    fprintf(f, " among the candidates that fit an %s", v.part);
    if (isfinite(v.slo_ms))
        fprintf(f, " and meet the %g ms bound", v.slo_ms);
    if (isfinite(v.qps))
        fprintf(f, " at p99 under %g queries/s", v.qps);
    fputs(". Only the front, the choice and the cheaper miss are stored; the ranking below "
          "weighs latency alone.</p>\n",
          f);
    chart(f, r, &v);
    /* an fpga's resources on its part, or an asic's area */
    int fpga = !strncmp(r->devices[v.rows[0].device].target, "fpga", 4);
    fprintf(f,
            "<table id=\"explore-candidates\"><tr><th>candidate</th><th>latency (ms)</th>"
            "<th>bound</th><th>power (W)</th>%s<th>cycles</th><th>resources</th>",
            fpga ? "<th>share of part</th><th>LUT</th><th>DSP</th><th>BRAM36</th>"
                 : "<th>area (mm&#178;)</th><th>MAC array</th><th>SRAM</th>");
    if (v.has_accuracy)
        fputs("<th>test accuracy (fp64)</th>", f);
    fputs("<th></th></tr>\n", f);
    for (int i = 0; i < v.n; i++) {
        const rb_xview_row *w = &v.rows[i];
        const rb_rep_device *d = &r->devices[w->device];
        fputs("<tr><td>", f);
        esc(f, d->target);
        fputs("</td>", f);
        rb_html_td_num(f, w->lat_ms, "%.4g");
        fprintf(f, "<td>%s</td>", !isfinite(v.slo_ms) ? "" : w->meets ? "meets" : "misses");
        rb_html_td_num(f, w->power_w, "%.3g");
        if (fpga) {
            fputs("<td class=\"num\">", f);
            if (isfinite(w->util)) {
                fprintf(f, "%.0f %% (", w->util * 100);
                esc(f, w->util_of);
                fputs(")", f);
            }
            fputs("</td>", f);
            rb_html_td_num(f, resource(d, "LUT"), "%.0f");
            rb_html_td_num(f, resource(d, "DSP"), "%.0f");
            rb_html_td_num(f, resource(d, "BRAM36"), "%.0f");
        } else {
            rb_html_td_num(f, resource(d, "area_mm2"), "%.3g");
            rb_html_td_num(f, resource(d, "mac_array_mm2"), "%.3g");
            rb_html_td_num(f, resource(d, "sram_mm2"), "%.3g");
        }
        fprintf(f, "<td><span class=\"badge %s\">",
                strcmp(w->cycles, "confirmed") ? "modeled" : "simulated");
        esc(f, w->cycles);
        fprintf(f, "</span></td><td><span class=\"badge %s\">",
                strcmp(w->resources, "confirmed") ? "modeled" : "simulated");
        esc(f, w->resources);
        fputs("</span></td>", f);
        if (v.has_accuracy) {
            fputs("<td class=\"num\">", f);
            if (isfinite(w->accuracy))
                fprintf(f, "%.3f (%.3f)", w->accuracy, w->accuracy_fp64);
            fputs("</td>", f);
        }
        fputs("<td>", f);
        esc(f, w->chosen      ? "chosen"
               : w->near_miss ? (v.chosen >= 0 ? "cheaper, misses" : "nearest")
               : w->front     ? "front"
                              : "");
        if (w->note[0]) {
            fputs(" <span class=\"note\">", f);
            esc(f, w->note);
            fputs("</span>", f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n</section>\n", f);
    rb_xview_free(&v);
}
