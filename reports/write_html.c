/* write_html.c — `rnnbench report --html`: one self-contained page a person
 * reads: the decision first, then the charts (inline SVG, svg.c), the tables
 * per workload, and the host and devices behind the numbers.
 *
 * Nothing is loaded from anywhere: no scripts, no external stylesheets or
 * fonts, so the file opens from disk in any browser.  Every piece of text
 * from the database or the command line goes through rb_xml_escape. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cells_view.h"
#include "report.h"
#include "report_util.h"
#include "svg.h"

/* The charts section (write_html_charts.c). */
void rb_html_charts(FILE *f, const rb_report *r, const rb_recommendation *rec);
void rb_html_serving(FILE *f, const rb_report *r, const rb_recommendation *rec);
/* The design-space section of an explore run (write_html_explore.c). */
void rb_html_explore(FILE *f, const rb_report *r);

#define esc rb_xml_escape

static const char k_css[] =
    "body{font-family:sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#222;"
    "line-height:1.4}"
    "h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}"
    "table{border-collapse:collapse;margin:.5em 0 1em;font-size:90%;display:block;overflow-x:auto;"
    "max-width:100%}" /* a wide table scrolls in its own box, not the page */
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".headline{font-size:120%;background:#eef6ee;border-left:6px solid #2a7;padding:.6em 1em}"
    ".none{background:#fbeeee;border-left-color:#c33}"
    ".note{color:#555;font-size:90%}.badge{display:inline-block;padding:0 .4em;border-radius:.3em;"
    "font-size:80%;border:1px solid #999}.measured{background:#e6f2ff}.simulated{background:#fff4d6}"
    ".modeled{background:#f3e6ff}.user{background:#e6f7e6}"
    ".banner{background:#fff4e5;border-left:6px solid #e69500;padding:.4em 1em;margin:1em 0}.bad{color:#a00}.charts{display:flex;flex-wrap:wrap;gap:1em}"
    ".rb-chart{width:100%;height:auto;border:1px solid #eee}"
    "code{background:#f6f6f6;padding:0 .2em}";

static void badge(FILE *f, const char *kind)
{
    const char *k = kind && *kind ? kind : "unknown";
    fputs("<span class=\"badge ", f);
    esc(f, k);
    fputs("\">", f);
    esc(f, k);
    fputs("</span>", f);
}


static void td_text(FILE *f, const char *s)
{
    fputs("<td>", f);
    esc(f, s);
    fputs("</td>", f);
}

/* ---- the decision ------------------------------------------------------------------ */

static void write_decision(FILE *f, const rb_report *r, const rb_recommendation *rec)
{
    int none = !rec->n_overall || !rec->overall[0].eligible;
    fputs("<section id=\"recommendation\"><h2>Recommendation</h2>\n<p class=\"headline", f);
    fputs(none ? " none" : "", f);
    fputs("\" id=\"headline\">", f);
    esc(f, rec->headline);
    fputs("</p>\n<p class=\"note\">", f);
    esc(f, rec->provenance);
    fputs("</p>\n<table id=\"overall\"><tr><th>rank</th><th>target</th><th>device</th>"
          "<th>latency</th><th>best on</th><th>eligible / ran</th><th>vs the best "
          "(geomean)</th><th>why</th></tr>\n",
          f);
    for (int i = 0; i < rec->n_overall; i++) {
        const rb_overall_entry *o = &rec->overall[i];
        const rb_rep_device *d = &r->devices[o->device];
        fputs("<tr>", f);
        if (o->rank)
            fprintf(f, "<td class=\"num\">%d</td>", o->rank);
        else
            fputs("<td class=\"num\">&#8211;</td>", f);
        td_text(f, d->target);
        td_text(f, d->name);
        fputs("<td>", f);
        badge(f, d->method);
        fprintf(f, "</td><td class=\"num\">%d</td><td class=\"num\">%d / %d</td>", o->wins,
                o->eligible, o->ran);
        rb_html_td_num(f, o->geomean, "%.3gx");
        td_text(f, o->reason);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    if (r->n_missing) {
        fputs("<h3>Not available on this host</h3><ul id=\"unavailable\">", f);
        for (int i = 0; i < r->n_missing; i++) {
            fputs("<li><code>", f);
            esc(f, r->missing[i].target);
            fputs("</code>: ", f);
            esc(f, r->missing[i].why ? r->missing[i].why : "not available (no reason recorded)");
            fputs("</li>", f);
        }
        fputs("</ul>\n", f);
    }
    fprintf(f, "<p class=\"note\">Objective: <b>%s</b>", rb_objective_name(rec->opts.objective));
    if (isfinite(rec->opts.slo_ms))
        fprintf(f, "; p99 latency &#8804; %g ms", rec->opts.slo_ms);
    if (isfinite(rec->opts.max_power_w))
        fprintf(f, "; average power &#8804; %g W", rec->opts.max_power_w);
    if (isfinite(rec->opts.max_error))
        fprintf(f, "; max error &#8804; %g", rec->opts.max_error);
    if (isfinite(rec->opts.max_accuracy_drop))
        fprintf(f, "; text-classification accuracy drop vs fp32 &#8804; %g",
                rec->opts.max_accuracy_drop);
    fputs(". Measured results whose 95% intervals of the median overlap are ties; a "
          "comparison with a simulated or modeled figure (no interval) states its margin.</p>\n"
          "</section>\n",
          f);
}

/* ---- per workload ------------------------------------------------------------------- */

/* The cells side by side (cells_view.h): per target and shape, each
 * cell's median latency and its ratio to the LSTM's. */
static void write_cells(FILE *f, const rb_report *r)
{
    rb_cells_view v;
    rb_err e = {0};
    if (rb_cells_view_of(r, &v, &e) || !v.n) {
        rb_cells_view_free(&v);
        return;
    }
    fputs("<section id=\"cells\"><h2>Cells side by side</h2>\n<p class=\"note\">The same "
          "shape as each recurrent cell on each target: median latency per call (ms), and in "
          "parentheses its ratio to the LSTM's. A GRU has three gate rows to the LSTM's four, "
          "a plain RNN one; how much of that a target turns into time is what this shows. "
          "Each figure is obtained as its target's are (the method column).</p>\n"
          "<table><thead><tr><th>target</th><th>method</th><th>shape</th>",
          f);
    for (int i = 0; i < RB_CELL_COUNT; i++)
        if (v.has[rb_cells_order[i]])
            fprintf(f, "<th>%s</th>", rb_cell_name(rb_cells_order[i]));
    fputs("</tr></thead><tbody>\n", f);
    for (int k = 0; k < v.n; k++) {
        const rb_cells_row *w = &v.rows[k];
        const rb_rep_device *d = &r->devices[w->device];
        char shape[96];
        fputs("<tr>", f);
        td_text(f, d->target);
        fputs("<td>", f);
        badge(f, d->method);
        fputs("</td>", f);
        td_text(f, rb_cells_shape(&w->w, shape, sizeof shape));
        for (int i = 0; i < RB_CELL_COUNT; i++) {
            const rb_cell c = rb_cells_order[i];
            if (!v.has[c])
                continue;
            if (isfinite(w->ms[c]) && c != RB_CELL_LSTM && isfinite(w->ms[RB_CELL_LSTM]))
                fprintf(f, "<td class=\"num\">%.4g (%.2fx)</td>", w->ms[c],
                        w->ms[c] / w->ms[RB_CELL_LSTM]);
            else
                rb_html_td_num(f, w->ms[c], "%.4g");
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></section>\n", f);
    rb_cells_view_free(&v);
}

static void write_workloads(FILE *f, const rb_report *r, const rb_recommendation *rec)
{
    fputs("<section id=\"workloads\"><h2>Per workload</h2>\n<p class=\"note\">Error against "
          "the reference: an fp32 target is checked against the bound in parentheses; other "
          "number formats have no bound, their error is a quality figure.</p>\n",
          f);
    for (size_t k = 0; k < rec->n_workloads; k++) {
        const rb_workload_rec *w = &rec->w[k];
        const rb_workload *wl = &r->results[w->first].w;
        fputs("<h3 id=\"w-", f);
        esc(f, wl->key);
        fputs("\">", f);
        esc(f, wl->key);
        fprintf(f,
                "</h3>\n<p class=\"note\">%s, %s, T = %d, batch %d, input %d, hidden %d, %d "
                "layer%s%s; %.4g GFLOP per call.</p>\n<ol>",
                rb_cell_name(wl->cell), rb_mode_name(wl->mode), wl->seq, wl->batch, wl->input,
                wl->hidden, wl->layers, wl->layers > 1 ? "s" : "",
                wl->input_proj ? "" : ", recurrent part only", r->results[w->first].flops * 1e-9);
        for (size_t i = 0; i < w->count; i++) {
            const rb_rank_entry *en = &w->entries[i];
            fputs(en->eligible ? "<li>" : "<li class=\"bad\">", f);
            if (en->tie)
                fputs("(tie) ", f);
            esc(f, en->reason);
            fputs("</li>", f);
        }
        fputs("</ol>\n<table><tr><th>target</th><th>status</th><th>latency</th>", f);
        for (int c = 0; c < RB_N_FIGURES; c++)
            if (rb_rep_fig_column(c)) {
                char h[96];
                rb_rep_fig_header(c, h, sizeof h);
                fputs("<th>", f);
                esc(f, h);
                fputs("</th>", f);
            }
        fputs("<th>noise (CI / median)</th><th>energy / seq (J)</th><th>energy</th>"
              "<th>numerics</th></tr>\n",
              f);
        for (size_t i = 0; i < w->count; i++) {
            const rb_rep_result *x = &r->results[w->entries[i].result];
            fputs("<tr>", f);
            td_text(f, r->devices[x->device].target);
            fputs(rb_rep_ok(x) ? "<td>" : "<td class=\"bad\">", f);
            esc(f, x->status);
            if (x->message && *x->message) {
                fputs(": ", f);
                esc(f, x->message);
            }
            fputs("</td><td>", f);
            badge(f, x->latency_source);
            char sched[128];
            rb_rep_schedule_note(x, sched, sizeof sched);
            if (*sched) {
                fputs(" <span class=\"note\">", f);
                esc(f, sched);
                fputs("</span>", f);
            }
            fputs("</td>", f);
            for (int c = 0; c < RB_N_FIGURES; c++)
                if (rb_rep_fig_column(c)) {
                    char cell[96];
                    rb_rep_fig_cell(x, c, "&#8211;", cell, sizeof cell);
                    fprintf(f, "<td class=\"num\">%s</td>", cell);
                }
            char noise[32];
            rb_rep_noise_cell(x, "&#8211;", noise, sizeof noise);
            fprintf(f, "<td class=\"num%s\">%s</td>", strstr(noise, "noisy") ? " bad" : "", noise);
            rb_html_td_num(f, rb_rep_energy_per_seq(x), "%.3g");
            fputs("<td>", f);
            if (x->energy_source[0]) {
                badge(f, rb_rep_energy_kind(x));
                fputc(' ', f);
                esc(f, x->energy_source);
                if (x->energy_boundary[0]) {
                    fputs(", ", f);
                    esc(f, x->energy_boundary);
                }
            } else {
                fputs("&#8211;", f);
            }
            fputs("</td>", f);
            td_text(f, x->numerics);
            fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    fputs("</section>\n", f);
}

/* ---- metadata ----------------------------------------------------------------------- */

static void json_kv_table(FILE *f, const char *id, const char *json)
{
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    fprintf(f, "<table id=\"%s\"><tr><th>key</th><th>value</th></tr>\n", id);
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        fputs("<tr><td>", f);
        esc(f, it->string);
        fputs("</td><td>", f);
        if (cJSON_IsString(it)) {
            esc(f, it->valuestring);
        } else {
            char *s = cJSON_PrintUnformatted(it);
            esc(f, s);
            free(s);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    cJSON_Delete(o);
}

/* ---- the text-classification task ---------------------------------------------------- */

static void write_accuracy(FILE *f, const rb_report *r, const rb_recommendation *rec)
{
    /* a report with no task data has no such section, unless a constraint
     * on accuracy asked for it (then it says why nothing is there) */
    if (!r->n_accuracy && !isfinite(rec->opts.max_accuracy_drop))
        return;
    fputs("<section id=\"accuracy\"><h2>Accuracy on the text-classification task</h2>\n", f);
    if (!r->n_accuracy) {
        fputs("<p class=\"note\">No training or evaluation in this database: <code>rnnbench "
              "train</code> and <code>rnnbench eval --model DIR</code> measure what each "
              "target's number format does to accuracy.</p></section>\n",
              f);
        return;
    }
    const char *ref = rec->opts.reference;
    fputs("<p class=\"note\">The recurrent stack runs on the target in its number format; the "
          "embedding and the classifier head on the host in fp32. Agreement: the fraction of "
          "test predictions equal to the evaluation's reference target's. From the newest "
          "<code>rnnbench eval</code> and <code>train</code> runs",
          f);
    if (isfinite(rec->opts.max_accuracy_drop)) {
        fprintf(f, "; the recommendation excludes targets more than %g below the accuracy of ",
                rec->opts.max_accuracy_drop);
        esc(f, ref);
    }
    fputs(".</p>\n<table id=\"accuracy-eval\"><tr><th>target</th><th>numerics</th><th>task</th>"
          "<th>model</th><th>epoch</th><th>test docs</th><th>accuracy</th><th>macro-F1</th>"
          "<th>drop vs ",
          f);
    esc(f, ref);
    fputs("</th><th>agreement</th><th>loss</th><th>majority baseline</th><th>run</th></tr>\n", f);
    for (size_t i = 0; i < r->n_accuracy; i++) {
        const rb_rep_accuracy *a = &r->accuracy[i], *cpu = NULL;
        if (strcmp(a->phase, "eval"))
            continue;
        for (size_t j = 0; j < r->n_accuracy; j++)
            if (r->accuracy[j].run_id == a->run_id && !strcmp(r->accuracy[j].target, ref) &&
                !strcmp(r->accuracy[j].model, a->model) && !strcmp(r->accuracy[j].phase, "eval"))
                cpu = &r->accuracy[j];
        fputs("<tr>", f);
        td_text(f, a->target);
        td_text(f, a->numerics);
        td_text(f, a->task);
        td_text(f, a->model);
        rb_html_td_num(f, a->epoch, "%.0f");
        rb_html_td_num(f, (double)a->n, "%.0f");
        rb_html_td_num(f, a->accuracy, "%.4f");
        rb_html_td_num(f, a->macro_f1, "%.4f");
        rb_html_td_num(f, cpu ? cpu->accuracy - a->accuracy : NAN, "%+.4f");
        rb_html_td_num(f, a->agreement, "%.4f");
        rb_html_td_num(f, a->loss, "%.4f");
        rb_html_td_num(f, a->baseline_accuracy, "%.4f");
        rb_html_td_num(f, (double)a->run_id, "%.0f");
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<table id=\"accuracy-train\"><tr><th>task</th><th>model</th><th>trained "
          "on</th><th>epochs</th><th>train accuracy</th><th>test accuracy</th><th>test "
          "macro-F1</th><th>majority baseline</th><th>run</th></tr>\n",
          f);
    for (size_t i = 0; i < r->n_accuracy; i++) {
        const rb_rep_accuracy *a = &r->accuracy[i];
        /* the last epoch of each model's test curve, with its train figure beside it */
        if (strcmp(a->phase, "train") || strcmp(a->split, "test") ||
            (i + 1 < r->n_accuracy && rb_rep_same_curve(a, &r->accuracy[i + 1])))
            continue;
        const rb_rep_accuracy *tr = NULL;
        for (size_t j = 0; j < r->n_accuracy; j++)
            if (!strcmp(r->accuracy[j].phase, "train") && !strcmp(r->accuracy[j].split, "train") &&
                !strcmp(r->accuracy[j].model, a->model) && !strcmp(r->accuracy[j].task, a->task) &&
                r->accuracy[j].epoch == a->epoch)
                tr = &r->accuracy[j];
        fputs("<tr>", f);
        td_text(f, a->task);
        td_text(f, a->model);
        td_text(f, a->target);
        rb_html_td_num(f, a->epoch, "%.0f");
        rb_html_td_num(f, tr ? tr->accuracy : NAN, "%.4f");
        rb_html_td_num(f, a->accuracy, "%.4f");
        rb_html_td_num(f, a->macro_f1, "%.4f");
        rb_html_td_num(f, a->baseline_accuracy, "%.4f");
        rb_html_td_num(f, (double)a->run_id, "%.0f");
        fputs("</tr>\n", f);
    }
    fputs("</table></section>\n", f);
}

/* The run's warnings first, where a person reads before trusting a figure. */
static void write_banner(FILE *f, const rb_report *r)
{
    cJSON *w = r->run.warnings_json ? cJSON_Parse(r->run.warnings_json) : NULL;
    if (cJSON_GetArraySize(w) > 0) {
        fputs("<div class=\"banner\" id=\"run-warnings\"><b>Read the measured figures with "
              "care: the run warned</b><ul id=\"warnings\">",
              f);
        const cJSON *it;
        cJSON_ArrayForEach(it, w)
        {
            fputs("<li>", f);
            esc(f, cJSON_IsString(it) ? it->valuestring : "?");
            fputs("</li>", f);
        }
        fputs("</ul></div>\n", f);
    }
    cJSON_Delete(w);
}

static void write_metadata(FILE *f, const rb_report *r)
{
    fputs("<section id=\"metadata\"><h2>Run, host and devices</h2>\n<table id=\"run\">", f);
    fprintf(f, "<tr><th>run</th><td>%lld</td></tr><tr><th>label</th><td>", r->run.id);
    esc(f, r->run.label);
    fputs("</td></tr><tr><th>started / finished</th><td>", f);
    esc(f, r->run.started_at);
    fputs(" / ", f);
    esc(f, r->run.finished_at);
    fputs("</td></tr><tr><th>status</th><td>", f);
    esc(f, r->run.status);
    fputs("</td></tr><tr><th>command</th><td><code>", f);
    esc(f, r->run.command_line);
    fputs("</code></td></tr><tr><th>rnnbench</th><td>", f);
    esc(f, r->run.version);
    fputs(" ", f);
    esc(f, r->run.git_sha);
    fputs("</td></tr></table>\n", f);
    fputs("<h3>Host</h3>\n", f);
    json_kv_table(f, "host", r->run.host_json);
    fputs("<h3>Devices</h3>\n<table id=\"devices\"><tr><th>target</th><th>device</th><th>type"
          "</th><th>latency</th><th>numerics</th><th>peak GFLOP/s</th><th>memory GB/s</th>"
          "<th>power (W)</th><th>power source</th><th>resources</th></tr>\n",
          f);
    for (int i = 0; i < r->n_devices; i++) {
        const rb_rep_device *d = &r->devices[i];
        fputs("<tr>", f);
        td_text(f, d->target);
        td_text(f, d->name);
        td_text(f, d->type);
        fputs("<td>", f);
        badge(f, d->method);
        fputs("</td>", f);
        td_text(f, d->numerics);
        rb_html_td_num(f, d->peak_flops * 1e-9, "%.4g");
        rb_html_td_num(f, d->mem_bw * 1e-9, "%.4g");
        rb_html_td_num(f, d->power_w, "%.3g");
        td_text(f, d->power_source);
        fputs("<td>", f);
        for (int k = 0; k < d->n_resources; k++) {
            esc(f, d->resources[k].name);
            fprintf(f, " %g%s", d->resources[k].value, d->resources[k].unit[0] ? " " : "");
            esc(f, d->resources[k].unit);
            fputs(" (", f);
            esc(f, d->resources[k].source);
            fputs(k + 1 < d->n_resources ? "), " : ")", f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n</section>\n", f);
}

int rb_report_write_html(FILE *f, const rb_report *r, const rb_recommendation *rec, rb_err *e)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
          "<title>rnnbench report: run ",
          f);
    fprintf(f, "%lld", r->run.id);
    if (r->run.label) {
        fputs(" (", f);
        esc(f, r->run.label);
        fputc(')', f);
    }
    fprintf(f,
            "</title>\n<style>%s</style></head>\n<body>\n<header><h1>rnnbench report</h1>\n"
            "<p>Run %lld",
            k_css, r->run.id);
    if (r->run.label) {
        fputs(" &#183; <b>", f);
        esc(f, r->run.label);
        fputs("</b>", f);
    }
    if (r->n_runs > 1)
        fprintf(f, " and %d more run%s, combined: each target says its run", r->n_runs - 1,
                r->n_runs > 2 ? "s" : "");
    fputs(" &#183; ", f);
    esc(f, r->run.started_at);
    fputs(" &#183; ", f);
    esc(f, r->run.status);
    fprintf(f, " &#183; %zu results on %d target%s</p></header>\n", r->n_results, r->n_devices,
            r->n_devices == 1 ? "" : "s");
    write_banner(f, r);
    rb_html_explore(f, r);
    write_decision(f, r, rec);
    rb_html_serving(f, r, rec);
    rb_html_charts(f, r, rec);
    write_accuracy(f, r, rec);
    write_cells(f, r);
    write_workloads(f, r, rec);
    write_metadata(f, r);
    fputs("<footer><p class=\"note\">Written by rnnbench ", f);
    esc(f, r->run.version);
    fputs(" from results.db. Latency: <span class=\"badge measured\">measured</span> on the "
          "device, <span class=\"badge simulated\">simulated</span> in RTL, <span class=\"badge "
          "modeled\">modeled</span> analytically; energy sources rapl and nvml are measured, "
          "model is modeled.</p></footer>\n</body></html>\n",
          f);
    return ferror(f) ? rb_errf(e, RB_ERUNTIME, "report: writing the HTML failed") : 0;
}
