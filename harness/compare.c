/* compare.c — verdicts from two sides' figures, and their three formats. */
#include "compare.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "regress_stats.h"
#include "../workloads/utf8.h"

static const char *const k_verdicts[] = {"same", "changed", "improved", "regressed"};

const char *rb_verdict_name(rb_verdict v) { return (unsigned)v < 4 ? k_verdicts[v] : "?"; }

/* Deterministic figures outside the figure table: how far each may move
 * before it is a regression.  (The table's own say it in their line:
 * simulated or modeled latency and modeled energy are exact functions of
 * the design and the workload, 1e-9 absorbs printing; the error against the
 * reference moves with the BLAS kernels of the machine.)  Cycles are exact;
 * task accuracy may move by half a point. */
static const rb_tolerance k_default_tol[] = {
    {"cycles", 0, 0},
    {"accuracy", 0, 0.005},
    {"macro_f1", 0, 0.005},
};

void rb_cmp_opts_default(rb_cmp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = 0.05;
    o->alpha = 0.05;
}

rb_tolerance rb_cmp_tolerance(const rb_cmp_opts *o, const char *metric)
{
    for (int i = o->n_tol - 1; i >= 0; i--)
        if (!strcmp(o->tol[i].metric, metric))
            return o->tol[i];
    for (size_t i = 0; i < sizeof k_default_tol / sizeof k_default_tol[0]; i++)
        if (!strcmp(k_default_tol[i].metric, metric))
            return k_default_tol[i];
    rb_tolerance t = {"", 1e-9, 0};
    int fig = rb_figure_find(metric, 0);
    if (fig >= 0) {
        t.rel = rb_figure_table[fig].tol_rel;
        t.abs = rb_figure_table[fig].tol_abs;
    }
    snprintf(t.metric, sizeof t.metric, "%s", metric);
    return t;
}

int rb_cmp_compared(const char *metric)
{
    for (size_t i = 0; i < sizeof k_default_tol / sizeof k_default_tol[0]; i++)
        if (!strcmp(k_default_tol[i].metric, metric))
            return 1;
    int fig = rb_figure_find(metric, 0);
    return fig >= 0 && rb_figure_table[fig].cmp;
}

const char *rb_cmp_compared_names(char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < RB_N_FIGURES && at < n; i++)
        if (rb_figure_table[i].cmp)
            at += (size_t)snprintf(buf + at, n - at, "%s, ", rb_figure_table[i].name);
    for (size_t i = 0; i < sizeof k_default_tol / sizeof k_default_tol[0] && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s", k_default_tol[i].metric,
                               i + 1 < sizeof k_default_tol / sizeof k_default_tol[0] ? ", " : "");
    return buf;
}

int rb_cmp_parse_tolerances(rb_cmp_opts *o, const char *spec, rb_err *e)
{
    const char *p = spec;
    while (*p) {
        size_t len = strcspn(p, ",");
        char item[64];
        if (len >= sizeof item)
            return rb_errf(e, RB_EINPUT, "--tolerance: '%.*s' is too long", (int)len, p);
        memcpy(item, p, len);
        item[len] = 0;
        char *eq = strchr(item, '='), *end = NULL;
        double v = eq ? strtod(eq + 1, &end) : NAN;
        int pct = end && *end == '%';
        if (!eq || eq == item || end == eq + 1 || (*end && !(pct && !end[1])) || !(v >= 0))
            return rb_errf(e, RB_EINPUT,
                           "--tolerance: '%s': expected METRIC=X (absolute) or METRIC=X%% "
                           "(relative), X >= 0",
                           item);
        if (o->n_tol == RB_CMP_MAX_TOL)
            return rb_errf(e, RB_EINPUT, "--tolerance: at most %d metrics", RB_CMP_MAX_TOL);
        *eq = 0;
        if (!rb_cmp_compared(item)) {
            char names[512];
            return rb_errf(e, RB_EINPUT,
                           "--tolerance: '%s' is not a figure compare judges (%s): a typo would "
                           "silently leave the default",
                           item, rb_cmp_compared_names(names, sizeof names));
        }
        rb_tolerance *t = &o->tol[o->n_tol++];
        snprintf(t->metric, sizeof t->metric, "%.23s", item);
        t->rel = pct ? v / 100 : 0;
        t->abs = pct ? 0 : v;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* A result that ran ok and does not any more is the plainest regression. */
static void judge_status(rb_cmp_row *r)
{
    int was = !strcmp(r->base->text, "ok"), now = !strcmp(r->cand->text, "ok");
    if (!strcmp(r->base->text, r->cand->text))
        return;
    r->verdict = was ? RB_CMP_REGRESSED : now ? RB_CMP_IMPROVED : RB_CMP_CHANGED;
    snprintf(r->note, sizeof r->note, "status %s -> %s", r->base->text, r->cand->text);
}

static void judge_deterministic(rb_cmp_row *r, const rb_cmp_opts *o)
{
    double b = r->base->value, c = r->cand->value, d = c - b;
    r->change = b != 0 ? d / fabs(b) : (d == 0 ? 0 : INFINITY);
    if (d == 0)
        return;
    rb_tolerance t = rb_cmp_tolerance(o, r->base->metric);
    double allowed = fmax(t.rel * fabs(b), t.abs);
    int worse = r->base->higher_is_better ? d < 0 : d > 0;
    if (fabs(d) <= allowed) {
        r->verdict = RB_CMP_CHANGED;
        snprintf(r->note, sizeof r->note, "within its tolerance (%g%s)",
                 t.rel > 0 ? 100 * t.rel : t.abs, t.rel > 0 ? "%" : "");
    } else {
        r->verdict = worse ? RB_CMP_REGRESSED : RB_CMP_IMPROVED;
        snprintf(r->note, sizeof r->note, "deterministic: beyond its tolerance (%g%s)",
                 t.rel > 0 ? 100 * t.rel : t.abs, t.rel > 0 ? "%" : "");
    }
}

static void judge_measured(rb_cmp_row *r, const rb_cmp_opts *o)
{
    const rb_figure *b = r->base, *c = r->cand;
    r->change = b->value > 0 ? (c->value - b->value) / b->value : NAN;
    if (!b->n && !c->n) {
        /* measured once as a whole (a served load's rate, its largest rate
         * within the bound): no repetitions to test, the threshold alone */
        r->notable = 1;
        int worse = b->higher_is_better ? r->change < 0 : r->change > 0;
        if (fabs(r->change) > o->threshold)
            r->verdict = worse ? RB_CMP_REGRESSED : RB_CMP_IMPROVED;
        snprintf(r->note, sizeof r->note,
                 "measured once, no repetitions to test: judged by the %g%% threshold alone",
                 100 * o->threshold);
        return;
    }
    r->few = b->n < RB_CMP_FEW || c->n < RB_CMP_FEW;
    if (!b->samples || !c->samples || b->n < 1 || c->n < 1) {
        r->notable = 1;
        snprintf(r->note, sizeof r->note,
                 "not tested: the raw repetitions are missing on the %s "
                 "side",
                 !b->samples || b->n < 1 ? "base" : "candidate");
        return;
    }
    rb_mwu u;
    if (rb_mwu_test(b->samples, (size_t)b->n, c->samples, (size_t)c->n, &u))
        return;
    r->p = u.p;
    int significant = u.p < o->alpha;
    int worse = b->higher_is_better ? r->change < 0 : r->change > 0;
    if (significant && fabs(r->change) > o->threshold)
        r->verdict = worse ? RB_CMP_REGRESSED : RB_CMP_IMPROVED;
    else if (significant)
        snprintf(r->note, sizeof r->note, "significant, but within the %g%% threshold",
                 100 * o->threshold);
    if (r->few) {
        size_t l = strlen(r->note);
        snprintf(r->note + l, sizeof r->note - l, "%sfewer than %d repetitions (%d vs %d)",
                 l ? "; " : "", RB_CMP_FEW, b->n, c->n);
    }
}


/* A measured change on a loaded machine, or on a result whose own interval
 * is wide, may be the machine's: say so beside the verdict. */
static void mark_suspect(rb_cmp_row *r, const rb_figset *base, const rb_figset *cand)
{
    if (r->base->kind != RB_FIG_MEASURED || r->cand->kind != RB_FIG_MEASURED ||
        (r->verdict != RB_CMP_REGRESSED && r->verdict != RB_CMP_IMPROVED))
        return;
    char why[160] = "";
    size_t at = 0;
    const char *side[2] = {"base", "candidate"};
    const rb_figset *set[2] = {base, cand};
    const rb_figure *fig[2] = {r->base, r->cand};
    for (int k = 0; k < 2; k++) {
        if (set[k]->loaded && at < sizeof why)
            at += (size_t)snprintf(why + at, sizeof why - at, "%s%s run loaded", at ? ", " : "",
                                   side[k]);
        if (fig[k]->noise > RB_NOISY_REL && at < sizeof why)
            at += (size_t)snprintf(why + at, sizeof why - at, "%s%s noisy (CI %.0f%% of median)",
                                   at ? ", " : "", side[k], 100 * fig[k]->noise);
    }
    if (!at)
        return;
    r->suspect = 1;
    size_t l = strlen(r->note);
    snprintf(r->note + l, sizeof r->note - l, "%ssuspect: %s", l ? "; " : "", why);
}

int rb_compare_sets(const rb_figset *base, const rb_figset *cand, const rb_cmp_opts *o,
                    rb_comparison *out, rb_err *e)
{
    memset(out, 0, sizeof *out);
    out->base = base;
    out->cand = cand;
    out->opts = *o;
    out->rows = calloc(base->n + cand->n + 1, sizeof *out->rows);
    if (!out->rows)
        return rb_errf(e, RB_ENOMEM, "compare: out of memory");
    /* both sides are sorted by key: one merge pass pairs them */
    size_t i = 0, j = 0, nb = 0, nc = 0;
    rb_cmp_row *only = calloc(base->n + cand->n + 1, sizeof *only);
    if (!only) {
        free(out->rows);
        return rb_errf(e, RB_ENOMEM, "compare: out of memory");
    }
    while (i < base->n || j < cand->n) {
        int c = i == base->n ? 1 : j == cand->n ? -1 : rb_figure_cmp(&base->f[i], &cand->f[j]);
        rb_cmp_row r = {.change = NAN, .p = NAN};
        /* a deterministic-only baseline leaves measured figures out on purpose */
        if (c < 0 && base->f[i].kind == RB_FIG_MEASURED && cand->no_measured) {
            i++;
            out->skipped++;
            continue;
        }
        if (c > 0 && cand->f[j].kind == RB_FIG_MEASURED && base->no_measured) {
            j++;
            out->skipped++;
            continue;
        }
        if (c < 0) {
            r.base = &base->f[i++];
            only[nb++] = r;
            continue;
        }
        if (c > 0) {
            r.cand = &cand->f[j++];
            only[base->n + nc++] = r;
            continue;
        }
        r.base = &base->f[i++];
        r.cand = &cand->f[j++];
        if (!strcmp(r.base->metric, "status"))
            judge_status(&r);
        else if (r.base->kind == RB_FIG_MEASURED && r.cand->kind == RB_FIG_MEASURED)
            judge_measured(&r, o);
        else if (r.base->kind == RB_FIG_DETERMINISTIC && r.cand->kind == RB_FIG_DETERMINISTIC)
            judge_deterministic(&r, o);
        else
            r.notable = snprintf(r.note, sizeof r.note,
                                 "not compared: %s on one side, %s on "
                                 "the other",
                                 r.base->source, r.cand->source) > 0;
        r.device_differs = strcmp(r.base->device, r.cand->device) != 0;
        mark_suspect(&r, base, cand);
        out->suspect_regressed += r.suspect && r.verdict == RB_CMP_REGRESSED;
        out->count[r.verdict]++;
        out->few += r.few;
        out->rows[out->n++] = r;
    }
    memcpy(out->rows + out->n, only, nb * sizeof *only);
    out->n += nb;
    memcpy(out->rows + out->n, only + base->n, nc * sizeof *only);
    out->n += nc;
    out->only_base = nb;
    out->only_cand = nc;
    free(only);
    return 0;
}

void rb_comparison_free(rb_comparison *c)
{
    free(c->rows);
    memset(c, 0, sizeof *c);
}

/* ---- formats ------------------------------------------------------------------- */

int rb_cmp_format_parse(const char *s, rb_cmp_format *out)
{
    static const char *const names[] = {"table", "md", "json"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i])) {
            *out = (rb_cmp_format)i;
            return 0;
        }
    return -1;
}

static void fmt_value(const rb_figure *f, char *b, size_t n)
{
    if (!f)
        snprintf(b, n, "-");
    else if (!strcmp(f->metric, "status"))
        snprintf(b, n, "%s", f->text);
    else
        snprintf(b, n, "%.6g", f->value);
}

static void fmt_change(const rb_cmp_row *r, char *b, size_t n)
{
    if (!isfinite(r->change))
        snprintf(b, n, "-");
    else
        snprintf(b, n, "%+.2f%%", 100 * r->change);
}

static void fmt_p(const rb_cmp_row *r, char *b, size_t n)
{
    if (isfinite(r->p))
        snprintf(b, n, "%.3g", r->p);
    else
        snprintf(b, n, r->base && r->base->kind == RB_FIG_DETERMINISTIC ? "det." : "-");
}

static const rb_figure *either(const rb_cmp_row *r) { return r->base ? r->base : r->cand; }

/* A row's printed figures, the same in the table and in Markdown. */
typedef struct cells {
    char base[32], cand[32], change[24], p[16];
} cells;

static void row_cells(const rb_cmp_row *r, cells *c)
{
    fmt_value(r->base, c->base, sizeof c->base);
    fmt_value(r->cand, c->cand, sizeof c->cand);
    fmt_change(r, c->change, sizeof c->change);
    fmt_p(r, c->p, sizeof c->p);
}

static int listed(const rb_cmp_row *r, int all)
{
    return all || !r->base || !r->cand || r->verdict != RB_CMP_SAME || r->few || r->notable;
}

static void summary(FILE *f, const rb_comparison *c)
{
    fprintf(f,
            "%zu regressed, %zu improved, %zu changed within tolerance, %zu unchanged; "
            "%zu only in base, %zu only in candidate",
            c->count[RB_CMP_REGRESSED], c->count[RB_CMP_IMPROVED], c->count[RB_CMP_CHANGED],
            c->count[RB_CMP_SAME], c->only_base, c->only_cand);
    if (c->skipped)
        fprintf(f,
                " (%zu measured figures not compared: the baseline holds deterministic "
                "figures only)",
                c->skipped);
    if (c->suspect_regressed)
        fprintf(f, "; %zu of the regressions suspect (a loaded run or a noisy result)",
                c->suspect_regressed);
}

/* Each side's recorded warnings: a verdict on a loaded machine is read with them. */
static void side_warnings(FILE *f, const rb_comparison *c, const char *prefix,
                          void (*text)(FILE *, const char *))
{
    const rb_figset *set[2] = {c->base, c->cand};
    const char *name[2] = {"base", "candidate"};
    for (int k = 0; k < 2; k++)
        if (set[k]->warnings[0]) {
            fprintf(f, "%s%s run warned: ", prefix, name[k]);
            text(f, set[k]->warnings);
            fputc('\n', f);
        }
}

/* "cpu fp32: AMD EPYC (2 threads) vs AMD EPYC (1 thread)", once per pair of
 * devices (rows come sorted by target and config, so repeats are adjacent). */
static void device_notes(FILE *f, const rb_comparison *c, const char *prefix,
                         void (*text)(FILE *, const char *))
{
    const rb_cmp_row *last = NULL;
    for (size_t i = 0; i < c->n; i++) {
        const rb_cmp_row *r = &c->rows[i];
        if (!r->device_differs)
            continue;
        if (last && !strcmp(last->base->device, r->base->device) &&
            !strcmp(last->cand->device, r->cand->device) &&
            !strcmp(last->base->target, r->base->target))
            continue;
        fprintf(f, "%sthe devices differ for ", prefix);
        text(f, r->base->target);
        fputc(' ', f);
        text(f, r->base->config);
        fputs(": ", f);
        text(f, r->base->device);
        fputs(" (base) vs ", f);
        text(f, r->cand->device);
        fputs(" (candidate)\n", f);
        last = r;
    }
}

static void write_table(FILE *f, const rb_comparison *c, int all)
{
    fprintf(f, "base:      %s\ncandidate: %s\n", c->base->what, c->cand->what);
    side_warnings(f, c, "warning: ", rb_term_text);
    fprintf(f,
            "measured figures: Mann-Whitney U at alpha %g and a median change beyond %g%%; "
            "deterministic figures: any change shown, beyond its tolerance a regression\n\n",
            c->opts.alpha, 100 * c->opts.threshold);
    fprintf(f, "%-9s %-6s %-26s %-44s %-11s %12s %12s %9s %8s  %s\n", "verdict", "target", "config",
            "workload", "metric", "base", "candidate", "change", "p", "note");
    for (size_t i = 0; i < c->n; i++) {
        const rb_cmp_row *r = &c->rows[i];
        if (!listed(r, all))
            continue;
        const rb_figure *g = either(r);
        cells x;
        row_cells(r, &x);
        const char *v = !r->base   ? "cand only"
                        : !r->cand ? "base only"
                                   : rb_verdict_name(r->verdict);
        fprintf(f, "%-9s %-6s %-26.26s %-44s %-11s %12s %12s %9s %8s  %s\n",
                r->verdict == RB_CMP_REGRESSED ? (r->suspect ? "REGRESSED?" : "REGRESSED")
                : r->suspect                   ? "improved?"
                                               : v, g->target, g->config, g->workload,
                g->metric, x.base, x.cand, x.change, x.p, r->note);
    }
    fputs("\n", f);
    summary(f, c);
    fputs("\n", f);
    if (c->few)
        fprintf(f,
                "warning: %zu measured figures have fewer than %d repetitions on a side: the "
                "test has little power there (run with --reps %d or more)\n",
                c->few, RB_CMP_FEW, RB_CMP_FEW);
    device_notes(f, c, "note: ", rb_term_text);
}

static void write_md(FILE *f, const rb_comparison *c, int all)
{
    fprintf(f, "## rnnbench compare: %s\n\n",
            c->count[RB_CMP_REGRESSED] ? "regressions found" : "no regression");
    fputs("Base: ", f);
    rb_md_text(f, c->base->what);
    fputs(" — candidate: ", f);
    rb_md_text(f, c->cand->what);
    fputs(".\n\n", f);
    side_warnings(f, c, "> **Warning:** ", rb_md_text);
    fputs("**", f);
    summary(f, c);
    fprintf(f,
            ".** Measured figures: Mann-Whitney U at alpha %g and a median change beyond "
            "%g%%; deterministic ones: beyond their tolerance.\n\n",
            c->opts.alpha, 100 * c->opts.threshold);
    int header = 0;
    for (size_t i = 0; i < c->n; i++) {
        const rb_cmp_row *r = &c->rows[i];
        if (!listed(r, all))
            continue;
        if (!header++)
            fputs("| verdict | target | config | workload | metric | base | candidate | change | "
                  "p | note |\n|---|---|---|---|---|---|---|---|---|---|\n",
                  f);
        const rb_figure *g = either(r);
        cells x;
        row_cells(r, &x);
        const char *v = !r->base                         ? "candidate only"
                        : !r->cand                       ? "base only"
                        : r->verdict == RB_CMP_REGRESSED ? (r->suspect ? "**regressed?**"
                                                                       : "**regressed**")
                        : r->suspect ? "improved?"
                                     : rb_verdict_name(r->verdict);
        fprintf(f, "| %s | ", v);
        rb_md_text(f, g->target);
        fputs(" | ", f);
        rb_md_text(f, g->config);
        fputs(" | `", f);
        rb_md_text(f, g->workload);
        fputs("` | ", f);
        rb_md_text(f, g->metric);
        fprintf(f, " | %s | %s | %s | %s | ", x.base, x.cand, x.change, x.p);
        rb_md_text(f, r->note);
        fputs(" |\n", f);
    }
    if (c->few)
        fprintf(f, "\n%zu measured figures have fewer than %d repetitions on a side.\n", c->few,
                RB_CMP_FEW);
    fputs("\n", f);
    device_notes(f, c, "- ", rb_md_text);
}

static cJSON *fig_json(const rb_figure *g)
{
    if (!g)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    if (!strcmp(g->metric, "status"))
        cJSON_AddStringToObject(o, "status", g->text);
    else
        cJSON_AddNumberToObject(o, "value", g->value);
    cJSON_AddStringToObject(o, "unit", g->unit);
    cJSON_AddStringToObject(o, "source", g->source);
    cJSON_AddStringToObject(o, "kind", g->kind == RB_FIG_MEASURED ? "measured" : "deterministic");
    cJSON_AddStringToObject(o, "device", g->device);
    if (g->kind == RB_FIG_MEASURED)
        cJSON_AddNumberToObject(o, "n", g->n);
    return o;
}

static int write_json(FILE *f, const rb_comparison *c, int all)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "base", c->base->what);
    cJSON_AddStringToObject(o, "candidate", c->cand->what);
    cJSON_AddNumberToObject(o, "threshold", c->opts.threshold);
    cJSON_AddNumberToObject(o, "alpha", c->opts.alpha);
    cJSON *s = cJSON_AddObjectToObject(o, "summary");
    for (int v = 0; v < 4; v++)
        cJSON_AddNumberToObject(s, k_verdicts[v], (double)c->count[v]);
    cJSON_AddNumberToObject(s, "only_base", (double)c->only_base);
    cJSON_AddNumberToObject(s, "only_candidate", (double)c->only_cand);
    cJSON_AddNumberToObject(s, "few_repetitions", (double)c->few);
    cJSON_AddNumberToObject(s, "measured_not_in_baseline", (double)c->skipped);
    cJSON_AddNumberToObject(s, "suspect_regressed", (double)c->suspect_regressed);
    cJSON_AddBoolToObject(o, "regression", c->count[RB_CMP_REGRESSED] > 0);
    cJSON_AddStringToObject(o, "base_warnings", c->base->warnings);
    cJSON_AddStringToObject(o, "candidate_warnings", c->cand->warnings);
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    for (size_t i = 0; i < c->n; i++) {
        const rb_cmp_row *r = &c->rows[i];
        if (!listed(r, all))
            continue;
        const rb_figure *g = either(r);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "verdict",
                                !r->base   ? "candidate_only"
                                : !r->cand ? "base_only"
                                           : rb_verdict_name(r->verdict));
        cJSON_AddStringToObject(x, "target", g->target);
        cJSON_AddStringToObject(x, "config", g->config);
        cJSON_AddStringToObject(x, "workload", g->workload);
        cJSON_AddStringToObject(x, "metric", g->metric);
        cJSON_AddItemToObject(x, "base", fig_json(r->base));
        cJSON_AddItemToObject(x, "candidate", fig_json(r->cand));
        if (isfinite(r->change))
            cJSON_AddNumberToObject(x, "change", r->change);
        if (isfinite(r->p))
            cJSON_AddNumberToObject(x, "p", r->p);
        if (r->note[0])
            cJSON_AddStringToObject(x, "note", r->note);
        if (r->device_differs)
            cJSON_AddBoolToObject(x, "device_differs", 1);
        if (r->suspect)
            cJSON_AddBoolToObject(x, "suspect", 1);
        cJSON_AddItemToArray(rows, x);
    }
    char *t = rb_json_utf8(cJSON_Print(o));
    cJSON_Delete(o);
    int bad = !t || fprintf(f, "%s\n", t) < 0;
    free(t);
    return bad;
}

int rb_comparison_write(FILE *f, const rb_comparison *c, rb_cmp_format fmt, int all, rb_err *e)
{
    int bad = 0;
    if (fmt == RB_CMP_FMT_JSON)
        bad = write_json(f, c, all);
    else if (fmt == RB_CMP_FMT_MD)
        write_md(f, c, all);
    else
        write_table(f, c, all);
    if (bad || ferror(f))
        return rb_errf(e, RB_ERUNTIME, "compare: writing the output failed");
    return 0;
}
