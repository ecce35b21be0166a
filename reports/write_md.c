/* write_md.c — `rnnbench report --md`: the decision for a CI job summary or
 * a pull-request comment: the recommendation, the ranking over the matrix,
 * each workload's winner, and what was not ranked and why. */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "report.h"
#include "cells_view.h"
#include "explore_view.h"
#include "report_util.h"

/* Text from the database in Markdown table cells: rb_md_text (report.h). */
static void cell(FILE *f, const char *s) { rb_md_text(f, s); }

/* The serving plan: the decision and each server result's devices and energy. */
static void write_serving(FILE *f, const rb_report *r, const rb_recommendation *rec)
{
    if (!rec->n_serve)
        return;
    int priced = 0; /* the cost column only where a person gave prices */
    for (size_t k = 0; k < rec->n_serve; k++)
        priced |= isfinite(rec->serve[k].price_per_h);
    fputs("\n\n### Serving\n\n**", f);
    cell(f, rec->serving);
    fprintf(f,
            "**\n\n| rank | workload | target | latency | p99 (ms) | max QPS in SLO | devices | "
            "J / 1000 queries |%s\n|---|---|---|---|---|---|---|---|%s\n",
            priced ? " price / h | cost / 1M queries |" : "", priced ? "---|---|" : "");
    for (size_t k = 0; k < rec->n_serve; k++) {
        const rb_serve_plan_row *p = &rec->serve[k];
        const rb_rep_result *x = &r->results[p->result];
        fprintf(f, "| %d | `", p->rank);
        cell(f, x->w.key);
        fputs("` | ", f);
        cell(f, r->devices[x->device].target);
        fputs(" | ", f);
        cell(f, x->latency_source);
        const double v[] = {p->p99_ms,     p->capacity_qps, p->devices ? p->devices : NAN,
                            p->j_per_1000, p->price_per_h,  p->cost_per_m};
        for (int j = 0; j < (priced ? 6 : 4); j++)
            if (isfinite(v[j]))
                fprintf(f, " | %.4g", v[j]);
            else
                fputs(" | –", f);
        fputs(" |\n", f);
    }
}

/* Every result with the figures of the human tables, folded away: a CI
 * summary shows the decision first. */
static void write_results(FILE *f, const rb_report *r)
{
    fprintf(f,
            "\n<details><summary>Every result (%zu)</summary>\n\n"
            "| workload | target | status | latency |",
            r->n_results);
    int cols = 4;
    for (int k = 0; k < RB_N_FIGURES; k++)
        if (rb_rep_fig_column(k)) {
            char h[96];
            rb_rep_fig_header(k, h, sizeof h);
            fputc(' ', f);
            cell(f, h);
            fputs(" |", f);
            cols++;
        }
    fputs(" noise (CI / median) | energy / seq (J) | numerics |\n|", f);
    for (int k = 0; k < cols + 3; k++)
        fputs("---|", f);
    fputc('\n', f);
    for (size_t i = 0; i < r->n_results; i++) {
        const rb_rep_result *x = &r->results[i];
        fputs("| `", f);
        cell(f, x->w.key);
        fputs("` | ", f);
        cell(f, r->devices[x->device].target);
        fputs(" | ", f);
        cell(f, x->status);
        fputs(" | ", f);
        cell(f, x->latency_source[0] ? x->latency_source : "–");
        char sched[128];
        rb_rep_schedule_note(x, sched, sizeof sched);
        if (*sched) {
            fputs(", ", f);
            cell(f, sched);
        }
        for (int k = 0; k < RB_N_FIGURES; k++)
            if (rb_rep_fig_column(k)) {
                char c[96];
                rb_rep_fig_cell(x, k, "–", c, sizeof c);
                fprintf(f, " | %s", c);
            }
        char noise[32];
        rb_rep_noise_cell(x, "–", noise, sizeof noise);
        fprintf(f, " | %s", noise);
        double eps = rb_rep_energy_per_seq(x);
        if (isfinite(eps))
            fprintf(f, " | %.3g (%s%s%s)", eps, x->energy_source,
                    x->energy_boundary[0] ? ", " : "", x->energy_boundary);
        else
            fputs(" | –", f);
        fputs(" | ", f);
        cell(f, x->numerics);
        fputs(" |\n", f);
    }
    fputs("\n</details>\n", f);
}

/* The cells side by side (cells_view.h): each cell's median and its
 * ratio to the LSTM's, per target and shape. */
static void write_cells(FILE *f, const rb_report *r)
{
    rb_cells_view v;
    rb_err e = {0};
    if (rb_cells_view_of(r, &v, &e) || !v.n) {
        rb_cells_view_free(&v);
        return;
    }
    fputs("\n### Cells side by side (median ms; ratio to the LSTM)\n\n| target | shape |", f);
    for (int i = 0; i < RB_CELL_COUNT; i++)
        if (v.has[rb_cells_order[i]])
            fprintf(f, " %s |", rb_cell_name(rb_cells_order[i]));
    fputs("\n|---|---|", f);
    for (int c = 0; c < RB_CELL_COUNT; c++)
        fputs(v.has[c] ? "---|" : "", f);
    fputc('\n', f);
    for (int k = 0; k < v.n; k++) {
        const rb_cells_row *w = &v.rows[k];
        char shape[96];
        fputs("| ", f);
        cell(f, r->devices[w->device].target);
        fprintf(f, " (%s) | %s |", r->devices[w->device].method,
                rb_cells_shape(&w->w, shape, sizeof shape));
        for (int i = 0; i < RB_CELL_COUNT; i++) {
            const rb_cell c = rb_cells_order[i];
            if (!v.has[c])
                continue;
            if (!isfinite(w->ms[c]))
                fputs(" – |", f);
            else if (c != RB_CELL_LSTM && isfinite(w->ms[RB_CELL_LSTM]))
                fprintf(f, " %.4g (%.2fx) |", w->ms[c], w->ms[c] / w->ms[RB_CELL_LSTM]);
            else
                fprintf(f, " %.4g |", w->ms[c]);
        }
        fputc('\n', f);
    }
    rb_cells_view_free(&v);
}

/* The run's warnings, before any figure. */
/* An explore run's choice and its stored candidates (explore_view.h). */
static void write_explore(FILE *f, const rb_report *r)
{
    rb_xview v;
    rb_err e = {0};
    if (rb_xview_of(r, &v, &e) || !v.n) {
        rb_xview_free(&v);
        return;
    }
    fputs("### Design space\n\n", f);
    if (v.chosen >= 0) {
        fputs("**Chosen: ", f);
        cell(f, r->devices[v.rows[v.chosen].device].target);
        fputs("**, ", f);
        cell(f, v.rows[v.chosen].summary);
    } else
        fputs("**No candidate fits the part and meets the bound.**", f);
    if (v.near_miss >= 0) {
        fputs(v.chosen >= 0 ? ". Cheaper: " : ". Nearest: ", f);
        cell(f, r->devices[v.rows[v.near_miss].device].target);
        fputs(", ", f);
        cell(f, v.rows[v.near_miss].summary);
    }
    fputs(
        ".\n\n| candidate | latency (ms) | power (W) | share of the part or area | cycles | resources | |\n"
        "|---|---|---|---|---|---|---|\n",
        f);
    for (int i = 0; i < v.n; i++) {
        const rb_xview_row *w = &v.rows[i];
        fputs("| ", f);
        cell(f, r->devices[w->device].target);
        fprintf(f, " | %.4g | %.3g | ", w->lat_ms, w->power_w);
        if (isfinite(w->util)) {
            fprintf(f, "%.0f %% (", w->util * 100);
            cell(f, w->util_of);
            fputs(")", f);
        } else
            fprintf(f, "%.3g mm^2", w->area_mm2);
        fputs(" | ", f);
        cell(f, w->cycles);
        fputs(" | ", f);
        cell(f, w->resources);
        fprintf(f, " | %s |\n",
                w->chosen      ? "chosen"
                : w->near_miss ? (v.chosen >= 0 ? "cheaper, misses" : "nearest")
                : w->front     ? "front"
                               : "");
    }
    fputs("\n", f);
    rb_xview_free(&v);
}

static void write_banner(FILE *f, const rb_report *r)
{
    cJSON *w = r->run.warnings_json ? cJSON_Parse(r->run.warnings_json) : NULL;
    const cJSON *it;
    int first = 1;
    cJSON_ArrayForEach(it, w)
    {
        if (first)
            fputs("> **Read the measured figures with care: the run warned**\n", f);
        first = 0;
        fputs(">\n> - ", f);
        cell(f, cJSON_IsString(it) ? it->valuestring : "?");
        fputc('\n', f);
    }
    if (!first)
        fputc('\n', f);
    cJSON_Delete(w);
}

int rb_report_write_md(FILE *f, const rb_report *r, const rb_recommendation *rec, rb_err *e)
{
    fprintf(f, "## rnnbench report: run %lld", r->run.id);
    if (r->run.label) {
        fputs(" (", f);
        cell(f, r->run.label);
        fputc(')', f);
    }
    if (r->n_runs > 1)
        fprintf(f, " and %d more run%s, combined", r->n_runs - 1, r->n_runs > 2 ? "s" : "");
    fprintf(f, "\n\n%s, %s; %zu results on %d targets.\n\n", r->run.started_at, r->run.status,
            r->n_results, r->n_devices);
    write_banner(f, r);
    write_explore(f, r);
    fputs("**", f);
    cell(f, rec->headline);
    fputs("**\n\n", f);
    cell(f, rec->provenance);
    write_serving(f, r, rec);
    fputs(
        "\n\n### Ranking over the matrix\n\n"
        "| rank | target | device | latency | best on | eligible / ran | vs the best (geomean) |\n"
        "|---|---|---|---|---|---|---|\n",
        f);
    for (int i = 0; i < rec->n_overall; i++) {
        const rb_overall_entry *o = &rec->overall[i];
        const rb_rep_device *d = &r->devices[o->device];
        if (o->rank)
            fprintf(f, "| %d | ", o->rank);
        else
            fputs("| - | ", f);
        cell(f, d->target);
        fputs(" | ", f);
        cell(f, d->name);
        fprintf(f, " | %s | %d | %d / %d | ", d->method, o->wins, o->eligible, o->ran);
        if (isfinite(o->geomean))
            fprintf(f, "%.3gx", o->geomean);
        fputs(" |\n", f);
    }
    if (r->n_missing) {
        fputs("\n### Not available\n\n", f);
        for (int i = 0; i < r->n_missing; i++) {
            fputs("- `", f);
            cell(f, r->missing[i].target);
            fputs("`: ", f);
            cell(f, r->missing[i].why ? r->missing[i].why : "not available on the host");
            fputc('\n', f);
        }
    }
    fprintf(f,
            "\n### Per workload (%s)\n\n| workload | winner | why | not ranked |\n"
            "|---|---|---|---|\n",
            rb_objective_name(rec->opts.objective));
    for (size_t k = 0; k < rec->n_workloads; k++) {
        const rb_workload_rec *w = &rec->w[k];
        fputs("| `", f);
        cell(f, r->results[w->first].w.key);
        fputs("` | ", f);
        if (w->n_eligible) {
            const rb_rank_entry *top = &w->entries[0];
            cell(f, r->devices[r->results[top->result].device].target);
            if (w->n_eligible > 1 && w->entries[1].tie)
                fputs(" (tie)", f);
            fputs(" | ", f);
            cell(f, top->reason);
        } else {
            fputs("none | ", f);
        }
        fputs(" | ", f);
        for (size_t i = (size_t)w->n_eligible; i < w->count; i++) {
            cell(f, w->entries[i].reason);
            fputs(i + 1 < w->count ? "; " : "", f);
        }
        fputs(" |\n", f);
    }
    write_cells(f, r);
    if (r->n_results)
        write_results(f, r);
    int header = 0;
    for (size_t i = 0; i < r->n_accuracy; i++) {
        const rb_rep_accuracy *a = &r->accuracy[i], *cpu = NULL;
        const char *ref = rec ? rec->opts.reference : "cpu";
        if (strcmp(a->phase, "eval") ||
            rb_rep_eval_row(r, NULL, a->target, a->numerics, ref, &cpu, NULL) != a)
            continue; /* the newest evaluated model, one row per target and format */
        if (!header++)
            fprintf(f,
                    "\n### Text classification (%s, %s, epoch %d): test accuracy per "
                    "target\n\n| target | numerics | accuracy | macro-F1 | drop vs %s | "
                    "agreement |\n|---|---|---|---|---|---|\n",
                    a->task, a->model, a->epoch, ref);
        fputs("| ", f);
        cell(f, a->target);
        fputs(" | ", f);
        cell(f, a->numerics);
        fprintf(f, " | %.4f | %.4f | %+.4f | %.4f |\n", a->accuracy, a->macro_f1,
                cpu->accuracy - a->accuracy, a->agreement);
    }
    fputs("\nLatency is labelled measured, simulated or modeled per target; energy sources: "
          "rapl, nvml (measured), model (modeled). Measured results whose 95% intervals of "
          "the median overlap are ties.\n",
          f);
    return ferror(f) ? rb_errf(e, RB_ERUNTIME, "report: writing Markdown failed") : 0;
}
