/* recommend.c — from results to a decision: per workload, the targets
 * ranked under the objective and constraints, each with a sentence built
 * from the numbers; over the matrix, the target to recommend.
 *
 * Honesty rules (issue #7, DESIGN.md):
 *   - measured results whose 95 % intervals of the median overlap are a tie,
 *     not a win (latency and throughput: the figures that have intervals);
 *   - a comparison that rests on a simulated or modeled figure (no interval)
 *     says so and states the margin;
 *   - every excluded target is listed with what excluded it: its status and
 *     message, the constraint it missed and by how much, or the figure that
 *     is unknown. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_util.h"

static const char *const k_objectives[] = {"latency", "throughput", "energy", "perf-per-watt"};

const char *rb_objective_name(rb_objective o) { return (unsigned)o < 4 ? k_objectives[o] : "?"; }

int rb_objective_parse(const char *s, rb_objective *out)
{
    for (int i = 0; s && i < 4; i++)
        if (!strcmp(s, k_objectives[i])) {
            *out = (rb_objective)i;
            return 0;
        }
    return -1;
}

void rb_report_opts_default(rb_report_opts *o)
{
    o->objective = RB_OBJ_LATENCY;
    o->slo_ms = o->max_power_w = o->max_error = o->max_accuracy_drop = o->qps = o->max_memory_mb =
        NAN;
    snprintf(o->reference, sizeof o->reference, "cpu");
}

int rb_objective_higher_better(rb_objective o)
{
    return o == RB_OBJ_THROUGHPUT || o == RB_OBJ_PERF_PER_WATT;
}

static double positive(double v) { return isfinite(v) && v > 0 ? v : NAN; }

double rb_objective_value(rb_objective o, const rb_rep_result *r)
{
    switch (o) {
    case RB_OBJ_LATENCY: return positive(r->median_ms);
    case RB_OBJ_THROUGHPUT:
        return isfinite(r->throughput_sps) ? positive(r->throughput_sps)
                                           : positive(r->w.batch / (r->median_ms * 1e-3));
    case RB_OBJ_ENERGY: return positive(r->energy_j / r->w.batch);
    case RB_OBJ_PERF_PER_WATT: return positive(r->flops / r->energy_j * 1e-9);
    }
    return NAN;
}

/* The 95 % interval of the objective, when the figure has one: measured
 * latency (the median's order-statistic interval) and throughput from it. */
static int interval(rb_objective o, const rb_rep_result *r, double *lo, double *hi)
{
    if (strcmp(r->latency_source, "measured") || !(r->ci_lo_ms > 0) || !(r->ci_hi_ms > 0))
        return 0;
    if (o == RB_OBJ_LATENCY) {
        *lo = r->ci_lo_ms;
        *hi = r->ci_hi_ms;
        return 1;
    }
    if (o == RB_OBJ_THROUGHPUT) {
        *lo = r->w.batch / (r->ci_hi_ms * 1e-3);
        *hi = r->w.batch / (r->ci_lo_ms * 1e-3);
        return 1;
    }
    return 0;
}

/* Whether the objective's figure of r is a measurement. */
static int measured(rb_objective o, const rb_rep_result *r)
{
    if (o == RB_OBJ_LATENCY || o == RB_OBJ_THROUGHPUT)
        return !strcmp(r->latency_source, "measured");
    return !strcmp(r->energy_source, "rapl") || !strcmp(r->energy_source, "nvml");
}

static const char *figure_source(rb_objective o, const rb_rep_result *r)
{
    if (o == RB_OBJ_LATENCY || o == RB_OBJ_THROUGHPUT)
        return r->latency_source[0] ? r->latency_source : "unknown";
    return measured(o, r) ? "measured" : r->energy_source[0] ? "modeled" : "unknown";
}

/* snprintf for sentences that may be cut at the buffer's end: that is
 * intended (the parts are bounded, the whole is not), so no truncation
 * warning is wanted. */
static void clipf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void clipf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

/* ---- numbers as a person reads them ---------------------------------------------- */

static const char *fmt_ms(double ms, char *b, size_t n)
{
    if (!isfinite(ms))
        snprintf(b, n, "?");
    else if (ms >= 1000)
        snprintf(b, n, "%.3g s", ms / 1000);
    else if (ms >= 1)
        snprintf(b, n, "%.3g ms", ms);
    else if (ms >= 1e-3)
        snprintf(b, n, "%.3g us", ms * 1e3);
    else
        snprintf(b, n, "%.3g ns", ms * 1e6);
    return b;
}

static const char *fmt_j(double j, char *b, size_t n)
{
    if (!isfinite(j))
        snprintf(b, n, "?");
    else if (j >= 1)
        snprintf(b, n, "%.3g J", j);
    else if (j >= 1e-3)
        snprintf(b, n, "%.3g mJ", j * 1e3);
    else if (j >= 1e-6)
        snprintf(b, n, "%.3g uJ", j * 1e6);
    else
        snprintf(b, n, "%.3g nJ", j * 1e9);
    return b;
}

/* The objective's value with its unit. */
static const char *fmt_value(rb_objective o, double v, char *b, size_t n)
{
    char t[32];
    switch (o) {
    case RB_OBJ_LATENCY: snprintf(b, n, "median %s", fmt_ms(v, t, sizeof t)); break;
    case RB_OBJ_THROUGHPUT: snprintf(b, n, "%.3g seq/s", v); break;
    case RB_OBJ_ENERGY: snprintf(b, n, "%s per sequence", fmt_j(v, t, sizeof t)); break;
    case RB_OBJ_PERF_PER_WATT: snprintf(b, n, "%.3g GFLOP/s per W", v); break;
    }
    return b;
}

/* "1.9x faster than", "3.1x less energy per sequence than" ... */
static const char *better_phrase(rb_objective o)
{
    switch (o) {
    case RB_OBJ_LATENCY: return "faster than";
    case RB_OBJ_THROUGHPUT: return "the throughput of";
    case RB_OBJ_ENERGY: return "less energy per sequence than";
    case RB_OBJ_PERF_PER_WATT: return "the performance per watt of";
    }
    return "";
}

static const char *worse_phrase(rb_objective o)
{
    switch (o) {
    case RB_OBJ_LATENCY: return "slower than";
    case RB_OBJ_THROUGHPUT: return "less throughput than";
    case RB_OBJ_ENERGY: return "more energy per sequence than";
    case RB_OBJ_PERF_PER_WATT: return "less performance per watt than";
    }
    return "";
}

/* how many times better a is than b (>= 1 when a is better) */
static double ratio(rb_objective o, double a, double b)
{
    return rb_objective_higher_better(o) ? a / b : b / a;
}

/* ---- energy boundaries -------------------------------------------------------------- */

/* A result of device d with an energy figure: its source and boundary. */
static const rb_rep_result *energy_result(const rb_report *rep, int d)
{
    for (size_t i = 0; i < rep->n_results; i++)
        if (rep->results[i].device == d && rep->results[i].energy_source[0])
            return &rep->results[i];
    return NULL;
}

/* " Energy boundaries differ: cpu package, asic chip: ..." when the ranked
 * targets' energy figures cover different parts of a system; "" else. */
static void boundaries_note(const rb_report *rep, const rb_recommendation *rec, char *b, size_t n)
{
    char list[120] = "";
    size_t at = 0;
    int differ = 0;
    const char *first = NULL;
    for (int i = 0; i < rec->n_overall; i++) {
        const rb_rep_result *x =
            rec->overall[i].eligible ? energy_result(rep, rec->overall[i].device) : NULL;
        if (!x || !x->energy_boundary[0])
            continue;
        differ |= first && strcmp(first, x->energy_boundary);
        first = first ? first : x->energy_boundary;
        if (at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s %s", at ? ", " : "",
                                   rep->devices[rec->overall[i].device].target, x->energy_boundary);
    }
    snprintf(b, n, "%s%.120s%s", differ ? " Energy boundaries differ (" : "", differ ? list : "",
             differ ? "): the figures cover different parts of a system, so their ratio is not "
                      "like for like."
                    : "");
}

/* ---- eligibility ------------------------------------------------------------------ */

static double p99_of(const rb_rep_result *r)
{
    return isfinite(r->p99_ms) ? r->p99_ms : r->median_ms;
}

/* " (≈ max, n = 10)" when the p99 a constraint is judged on rests on too
 * few repetitions to be one; "" otherwise. */
static const char *p99_basis(const rb_rep_result *r, char *buf, size_t n)
{
    char note[48];
    buf[0] = '\0';
    if (isfinite(r->p99_ms) &&
        !rb_figure_supported(RB_FIG_p99_ms, r->reps, strcmp(r->latency_source, "measured") != 0,
                             note, sizeof note))
        snprintf(buf, n, " (%s)", note);
    return buf;
}

static double power_of(const rb_rep_result *r) { return r->energy_j / (r->median_ms * 1e-3); }

/* An evaluation: a trained classifier on its test split, or an imported
 * model on labelled inputs (task "imported"). */
static int is_eval_test(const rb_rep_accuracy *a)
{
    return !strcmp(a->phase, "eval") && (!strcmp(a->split, "test") || !strcmp(a->task, "imported"));
}

int rb_rep_eval_applies(const rb_rep_accuracy *a, const rb_workload *w)
{
    if (!w)
        return 1;
    if (w->model[0] || !strcmp(a->task, "imported"))
        return !strcmp(a->model, w->model);
    /* rb_tc_model_name: cell_hH_lL_eE_tT */
    char cell[8];
    int H, L, E, T;
    if (sscanf(a->model, "%7[a-z]_h%d_l%d_e%d_t%d", cell, &H, &L, &E, &T) != 5)
        return 0;
    return !strcmp(cell, rb_cell_name(w->cell)) && H == w->hidden && L == w->layers &&
           E == w->input && w->input_proj && rb_workload_dirs(w) == 1;
}

const rb_rep_accuracy *rb_rep_eval_row(const rb_report *r, const rb_workload *w, const char *target,
                                       const char *numerics, const char *reference,
                                       const rb_rep_accuracy **cpu, int *any)
{
    /* the model of the newest evaluation, and when it was last trained here:
     * an evaluation from before that is of other weights under the same name */
    const rb_rep_accuracy *newest = NULL, *mine = NULL;
    long long trained = 0;
    for (size_t i = 0; i < r->n_accuracy; i++)
        if (is_eval_test(&r->accuracy[i]) && rb_rep_eval_applies(&r->accuracy[i], w) &&
            (!newest || r->accuracy[i].run_id > newest->run_id))
            newest = &r->accuracy[i];
    *cpu = NULL;
    if (any)
        *any = newest != NULL;
    if (!newest)
        return NULL;
    for (size_t i = 0; i < r->n_accuracy; i++) {
        const rb_rep_accuracy *a = &r->accuracy[i];
        if (!strcmp(a->phase, "train") && !strcmp(a->task, newest->task) &&
            !strcmp(a->model, newest->model) && a->run_id > trained)
            trained = a->run_id;
    }
    for (size_t i = 0; i < r->n_accuracy; i++) {
        const rb_rep_accuracy *a = &r->accuracy[i];
        if (!is_eval_test(a) || strcmp(a->task, newest->task) || strcmp(a->model, newest->model) ||
            a->run_id < trained)
            continue;
        if (!strcmp(a->target, target) && !strcmp(a->numerics, numerics))
            mine = a;
        if (!strcmp(a->target, reference))
            *cpu = a;
    }
    return *cpu ? mine : NULL;
}

/* The accuracy constraint: 1 if met, else 0 with the reason. */
static int accuracy_ok(const rb_report_opts *o, const rb_report *rep, const rb_rep_result *r,
                       char *why, size_t n)
{
    if (!isfinite(o->max_accuracy_drop))
        return 1;
    const char *target = rep->devices[r->device].target;
    int any;
    const rb_rep_accuracy *cpu,
        *a = rb_rep_eval_row(rep, &r->w, target, r->numerics, o->reference, &cpu, &any);
    if (!any)
        return 1; /* no evaluated model of this workload's: the limit says nothing about it */
    if (!a || !isfinite(a->accuracy) || !isfinite(cpu->accuracy)) {
        snprintf(why, n,
                 "task accuracy unknown against the %g drop limit (no `rnnbench eval` of "
                 "the newest evaluated model on %s in %s)",
                 o->max_accuracy_drop, target, r->numerics);
        return 0;
    }
    double drop = cpu->accuracy - a->accuracy;
    if (drop > o->max_accuracy_drop) {
        snprintf(why, n,
                 "%s test accuracy %.3f in %s is %.3f below the %s's %s %.3f, over the "
                 "%g drop limit",
                 a->task, a->accuracy, a->numerics, drop, o->reference, cpu->numerics,
                 cpu->accuracy, o->max_accuracy_drop);
        return 0;
    }
    return 1;
}

/* 1 if r may be ranked; else 0 with the reason in why. */
static int eligible(const rb_report_opts *o, const rb_report *rep, const rb_rep_result *r,
                    char *why, size_t n)
{
    char a[32], b[32];
    if (strcmp(r->status, "ok")) {
        if (!strcmp(r->status, "mismatch"))
            snprintf(why, n, "mismatch: error %.3g over its bound %.3g", r->err_max_rel,
                     r->err_tol);
        else
            snprintf(why, n, "%s%s%.200s", r->status, r->message ? ": " : "",
                     r->message ? r->message : "");
        return 0;
    }
    if (!isfinite(rb_objective_value(o->objective, r))) {
        snprintf(why, n, "no %s figure",
                 o->objective == RB_OBJ_LATENCY || o->objective == RB_OBJ_THROUGHPUT ? "latency"
                                                                                     : "energy");
        return 0;
    }
    if (isfinite(o->slo_ms) && p99_of(r) > o->slo_ms) {
        double over = p99_of(r) / o->slo_ms;
        char basis[64];
        p99_basis(r, basis, sizeof basis);
        if (over < 3)
            snprintf(why, n, "p99 %s%s misses the %s limit by %.0f%%",
                     fmt_ms(p99_of(r), a, sizeof a), basis, fmt_ms(o->slo_ms, b, sizeof b),
                     100 * (over - 1));
        else
            snprintf(why, n, "p99 %s%s misses the %s limit %.3gx over",
                     fmt_ms(p99_of(r), a, sizeof a), basis, fmt_ms(o->slo_ms, b, sizeof b), over);
        return 0;
    }
    if (isfinite(o->max_power_w)) {
        double p = power_of(r);
        if (!isfinite(p)) {
            snprintf(why, n, "power unknown (no energy figure) against the %g W limit",
                     o->max_power_w);
            return 0;
        }
        if (p > o->max_power_w) {
            if (p / o->max_power_w < 3)
                snprintf(why, n, "draws %.3g W, over the %g W limit by %.0f%%", p, o->max_power_w,
                         100 * (p / o->max_power_w - 1));
            else
                snprintf(why, n, "draws %.3g W, %.3gx the %g W limit", p, p / o->max_power_w,
                         o->max_power_w);
            return 0;
        }
    }
    if (isfinite(o->max_memory_mb)) {
        if (!isfinite(r->peak_mem_mb)) {
            snprintf(why, n, "memory unknown (no peak memory figure) against the %g MB limit",
                     o->max_memory_mb);
            return 0;
        }
        if (r->peak_mem_mb > o->max_memory_mb) {
            snprintf(why, n, "peak memory %.3g MB, over the %g MB limit", r->peak_mem_mb,
                     o->max_memory_mb);
            return 0;
        }
    }
    if (isfinite(o->max_error)) {
        if (!isfinite(r->err_max_abs)) {
            snprintf(why, n, "error vs the reference unknown against the %g limit", o->max_error);
            return 0;
        }
        if (r->err_max_abs > o->max_error) {
            snprintf(why, n, "max error %.3g over the %g limit", r->err_max_abs, o->max_error);
            return 0;
        }
    }
    return accuracy_ok(o, rep, r, why, n);
}

/* ", p99 1.2 ms within the 5 ms limit, max error 2e-3 (fixed Q3.12)" */
static void constraints_note(const rb_report_opts *o, const rb_report *rep, const rb_rep_result *r,
                             char *b, size_t n)
{
    char t[32], u[32], basis[64];
    size_t at = 0;
    const rb_rep_accuracy *cpu = NULL,
                          *a = isfinite(o->max_accuracy_drop)
                                   ? rb_rep_eval_row(rep, &r->w, rep->devices[r->device].target,
                                                     r->numerics, o->reference, &cpu, NULL)
                                   : NULL;
    b[0] = 0;
    if (isfinite(o->slo_ms))
        at += (size_t)snprintf(b + at, n - at, ", p99 %s%s within the %s limit",
                               fmt_ms(p99_of(r), t, sizeof t), p99_basis(r, basis, sizeof basis),
                               fmt_ms(o->slo_ms, u, sizeof u));
    if (at < n && isfinite(o->max_power_w))
        at += (size_t)snprintf(b + at, n - at, ", %.3g W within the %g W limit", power_of(r),
                               o->max_power_w);
    if (at < n && a)
        at += (size_t)snprintf(b + at, n - at,
                               ", %s accuracy %.3f (%.3f below the %s's) within "
                               "the %g drop limit",
                               a->task, a->accuracy, cpu->accuracy - a->accuracy, o->reference,
                               o->max_accuracy_drop);
    else if (at < n && isfinite(o->max_accuracy_drop))
        at += (size_t)snprintf(b + at, n - at,
                               ", no evaluation of this workload's model (the %g accuracy drop "
                               "limit says nothing about it)",
                               o->max_accuracy_drop);
    if (at < n && isfinite(r->err_max_abs))
        snprintf(b + at, n - at, ", max error %.2g (%s)", r->err_max_abs, r->numerics);
}

typedef struct sort_ctx {
    const rb_report *rep;
    rb_objective o;
} sort_ctx;

/* Eligible first, best value first, then by target name (a stable order). */
static int by_value_then_target(const void *pa, const void *pb, void *ctx)
{
    const rb_rank_entry *a = pa, *b = pb;
    const sort_ctx *c = ctx;
    if (a->eligible != b->eligible)
        return b->eligible - a->eligible;
    if (a->eligible && a->value != b->value) {
        int lt = a->value < b->value;
        return rb_objective_higher_better(c->o) ? (lt ? 1 : -1) : (lt ? -1 : 1);
    }
    const rb_rep_device *da = &c->rep->devices[c->rep->results[a->result].device];
    const rb_rep_device *db = &c->rep->devices[c->rep->results[b->result].device];
    return strcmp(da->target, db->target);
}

static const char *target_of(const rb_report *r, size_t res)
{
    return r->devices[r->results[res].device].target;
}

/* Rank one workload's results and write each entry's sentence. */
static void rank_workload(const rb_report *rep, const rb_report_opts *o, rb_workload_rec *w)
{
    for (size_t i = 0; i < w->count; i++) {
        rb_rank_entry *en = &w->entries[i];
        en->result = w->first + i;
        const rb_rep_result *r = &rep->results[en->result];
        en->value = rb_objective_value(o->objective, r);
        en->eligible = eligible(o, rep, r, en->reason, sizeof en->reason);
        w->n_eligible += en->eligible;
    }
    sort_ctx c = {rep, o->objective};
    if (w->count > 1)
        qsort_r(w->entries, w->count, sizeof *w->entries, by_value_then_target, &c);

    for (int i = 0; i < w->n_eligible; i++) {
        rb_rank_entry *en = &w->entries[i];
        const rb_rep_result *r = &rep->results[en->result];
        double lo, hi, plo, phi;
        if (i == 0) {
            en->rank = 1;
        } else {
            const rb_rep_result *p = &rep->results[w->entries[i - 1].result];
            en->tie = interval(o->objective, r, &lo, &hi) &&
                      interval(o->objective, p, &plo, &phi) && lo <= phi && plo <= hi;
            en->rank = en->tie ? w->entries[i - 1].rank : i + 1;
        }
    }
    /* sentences: the winner against the runner-up, the others against the winner */
    for (int i = 0; i < w->n_eligible; i++) {
        rb_rank_entry *en = &w->entries[i];
        const rb_rep_result *r = &rep->results[en->result];
        char val[64], oval[64], cons[320], cmp[240] = "";
        fmt_value(o->objective, en->value, val, sizeof val);
        const rb_rank_entry *other =
            i == 0 ? (w->n_eligible > 1 ? &w->entries[1] : NULL) : &w->entries[0];
        if (!other) {
            snprintf(cmp, sizeof cmp, ", the only target that qualifies");
        } else {
            const rb_rep_result *orr = &rep->results[other->result];
            fmt_value(o->objective, other->value, oval, sizeof oval);
            double x = ratio(o->objective, en->value, other->value);
            int tied = (i == 0 ? w->entries[1].tie : en->rank == 1);
            if (tied)
                snprintf(cmp, sizeof cmp, ", tied with %s (%s; the 95%% intervals overlap)",
                         target_of(rep, other->result), oval);
            else if (i == 0)
                snprintf(cmp, sizeof cmp, ", %.2gx %s %s (%s)", x, better_phrase(o->objective),
                         target_of(rep, other->result), oval);
            else
                snprintf(cmp, sizeof cmp, ", %.2gx %s %s (%s)", 1 / x, worse_phrase(o->objective),
                         target_of(rep, other->result), oval);
            if (!tied && (!measured(o->objective, r) || !measured(o->objective, orr))) {
                size_t l = strlen(cmp);
                snprintf(cmp + l, sizeof cmp - l,
                         "; a %s figure against a %s one, no interval: "
                         "the margin is %.0f%%",
                         figure_source(o->objective, r), figure_source(o->objective, orr),
                         100 * fabs(1 - (i == 0 ? x : 1 / x)));
                if (i == 0)
                    w->rests_on_model = 1;
            }
        }
        constraints_note(o, rep, r, cons, sizeof cons);
        clipf(en->reason, sizeof en->reason, "%s: %s%s%s", target_of(rep, en->result), val, cmp,
              cons);
    }
    /* the excluded: "target: why" */
    for (size_t i = (size_t)w->n_eligible; i < w->count; i++) {
        rb_rank_entry *en = &w->entries[i];
        char why[sizeof en->reason];
        snprintf(why, sizeof why, "%s", en->reason);
        snprintf(en->reason, sizeof en->reason, "%.80s: not ranked: %.300s",
                 target_of(rep, en->result), why);
    }
}

void rb_recommendation_free(rb_recommendation *rec)
{
    if (!rec)
        return;
    for (size_t i = 0; rec->w && i < rec->n_workloads; i++)
        free(rec->w[i].entries);
    free(rec->w);
    free(rec->overall);
    free(rec->serve);
    memset(rec, 0, sizeof *rec);
}

static int cmp_overall(const void *pa, const void *pb)
{
    const rb_overall_entry *a = pa, *b = pb;
    if ((a->eligible > 0) != (b->eligible > 0))
        return a->eligible > 0 ? -1 : 1;
    if (a->wins != b->wins)
        return b->wins - a->wins;
    if (isfinite(a->geomean) && isfinite(b->geomean) && a->geomean != b->geomean)
        return a->geomean < b->geomean ? -1 : 1;
    if (a->eligible != b->eligible)
        return b->eligible - a->eligible;
    return a->device - b->device;
}

/* The most frequent reason a device was not ranked, for the overall table. */
static const char *common_exclusion(const rb_recommendation *rec, int device, const rb_report *rep,
                                    int *count)
{
    const char *best = NULL;
    *count = 0;
    for (size_t k = 0; k < rec->n_workloads; k++)
        for (size_t i = 0; i < rec->w[k].count; i++) {
            const rb_rank_entry *en = &rec->w[k].entries[i];
            if (en->eligible || rep->results[en->result].device != device)
                continue;
            (*count)++;
            if (!best)
                best = strstr(en->reason, "not ranked: ");
        }
    return best ? best + strlen("not ranked: ") : NULL;
}

/* " To meet it, asic:edge-npu needs 1.3x lower latency on lstm_... (its
 * worst): 82 % of its time is bound by off-chip weight traffic, so at least
 * 1.5x the off-chip bandwidth." — what would let a device the p99 bound
 * keeps out qualify on every workload, in the terms of the hardware: the
 * fpga's clock (its latency is cycles / clock), the asic model's resource
 * that bounds most of its cycles (Amdahl: the rest unchanged, so "at
 * least"), a faster device for a measured one.  "" when the bound is not
 * what keeps it out. */
/* The device's result that misses the p99 bound the most, and by what
 * factor (*f); NULL when none misses it. */
static const rb_rep_result *worst_miss(const rb_report *rep, int device, const rb_report_opts *o,
                                       double *f)
{
    const rb_rep_result *worst = NULL;
    *f = 1;
    for (size_t i = 0; isfinite(o->slo_ms) && i < rep->n_results; i++) {
        const rb_rep_result *r = &rep->results[i];
        if (r->device == device && !strcmp(r->status, "ok") && p99_of(r) / o->slo_ms > *f) {
            *f = p99_of(r) / o->slo_ms;
            worst = r;
        }
    }
    return worst;
}

static void qualify_hint(const rb_report *rep, int device, const rb_report_opts *o, char *b,
                         size_t n)
{
    b[0] = '\0';
    double f;
    const rb_rep_result *worst = worst_miss(rep, device, o, &f);
    if (!worst)
        return;
    const rb_rep_device *dv = &rep->devices[device];
    char what[240];
    double clock = rb_rep_metric_value(worst, "clock_mhz");
    static const struct {
        const char *metric, *resource;
    } bounds[] = {{"bound_array_frac", "MAC array throughput"},
                  {"bound_weights_frac", "off-chip weight bandwidth"},
                  {"bound_acts_frac", "activation bandwidth"},
                  {"bound_vector_frac", "vector unit throughput"}};
    int k = -1;
    double p = 0;
    for (int j = 0; j < (int)(sizeof bounds / sizeof bounds[0]); j++) {
        double v = rb_rep_metric_value(worst, bounds[j].metric);
        if (isfinite(v) && v > p)
            p = v, k = j;
    }
    if (k >= 0 && 1 / f > 1 - p)
        snprintf(what, sizeof what, "%.0f %% of its time is bound by %s, so at least %.2gx the %s",
                 100 * p, bounds[k].resource, p / (1 / f - (1 - p)), bounds[k].resource);
    else if (k >= 0)
        snprintf(what, sizeof what,
                 "more than its %s alone can give (it bounds %.0f %% of the time): a faster "
                 "clock or a larger design",
                 bounds[k].resource, 100 * p);
    else if (!strcmp(dv->type, "fpga") && isfinite(clock))
        snprintf(what, sizeof what, "a clock of %.0f MHz instead of %.0f, or %.2gx the MAC lanes",
                 ceil(clock * f), clock, f);
    else
        snprintf(what, sizeof what, "a device %.2gx as fast on it", f);
    clipf(b, n,
          " To meet p99 ≤ %g ms everywhere, %s needs %.2gx lower latency on %s (its worst): %s.",
          o->slo_ms, dv->target, f, worst->w.key, what);
}

/* " Its median latency: 96.7 us (modeled)." — the winner's own figure for
 * the objective over the workloads it is ranked on (a range when several),
 * with what it rests on. */
static void winner_figure(const rb_report *rep, const rb_recommendation *rec, int device, char *b,
                          size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    const char *src = NULL;
    int mixed = 0, count = 0;
    for (size_t k = 0; k < rec->n_workloads; k++)
        for (size_t i = 0; i < rec->w[k].count; i++) {
            const rb_rank_entry *en = &rec->w[k].entries[i];
            const rb_rep_result *r = &rep->results[en->result];
            if (!en->eligible || r->device != device)
                continue;
            lo = fmin(lo, en->value);
            hi = fmax(hi, en->value);
            const char *fs = figure_source(rec->opts.objective, r);
            mixed |= src && strcmp(src, fs);
            src = fs;
            count++;
        }
    b[0] = '\0';
    if (!count)
        return;
    static const char *const what[] = {"median latency", "throughput", "energy",
                                       "performance per watt"},
                             *const unit[] = {"", " seq/s", " per sequence", " GFLOP/s per W"};
    const rb_objective o = rec->opts.objective;
    char a[48], z[48];
    for (int k = 0; k < 2; k++) {
        char *t = k ? z : a;
        double v = k ? hi : lo;
        if (o == RB_OBJ_LATENCY)
            fmt_ms(v, t, sizeof a);
        else if (o == RB_OBJ_ENERGY)
            fmt_j(v, t, sizeof a);
        else
            snprintf(t, sizeof a, "%.3g", v);
    }
    if (count == 1 || !strcmp(a, z))
        clipf(b, n, " Its %s: %s%s (%s).", what[o], a, unit[o], mixed ? "mixed" : src);
    else
        clipf(b, n, " Its %s: %s to %s%s over its %d ranked workloads (%s).", what[o], a, z,
              unit[o], count, mixed ? "partly measured" : src);
}

/* " Runner-up: cpu, at 3.4x the winner's latency": the next ranked target and its
 * distance; else the first one not ranked and what keeps it out (what it
 * would take to qualify: "p99 26 ms misses the 20 ms limit by 31%"). */
static void runner_up(const rb_report *rep, const rb_recommendation *rec, char *b, size_t n)
{
    b[0] = '\0';
    for (int i = 1; i < rec->n_overall; i++) {
        const rb_overall_entry *ov = &rec->overall[i];
        const char *target = rep->devices[ov->device].target;
        char hint[400];
        qualify_hint(rep, ov->device, &rec->opts, hint, sizeof hint);
        if (ov->eligible) {
            clipf(b, n, " Runner-up: %s, at %.3gx the winner's %s (geometric mean).%s", target,
                  ov->geomean, rb_objective_name(rec->opts.objective), hint);
            return;
        }
        int nex;
        const char *why = common_exclusion(rec, ov->device, rep, &nex);
        if (why) {
            clipf(b, n, " Not ranked: %s, %.160s.%s", target, why, hint);
            return;
        }
    }
}

int rb_recommend(const rb_report *rep, const rb_report_opts *o, rb_recommendation *rec, rb_err *e)
{
    memset(rec, 0, sizeof *rec);
    rec->opts = *o;
    /* results are ordered by workload: one group per key */
    size_t groups = 0;
    for (size_t i = 0; i < rep->n_results; i++)
        groups += i == 0 || strcmp(rep->results[i].w.key, rep->results[i - 1].w.key);
    rec->w = calloc(groups ? groups : 1, sizeof *rec->w);
    rec->overall = calloc(rep->n_devices ? (size_t)rep->n_devices : 1, sizeof *rec->overall);
    if (!rec->w || !rec->overall) {
        rb_recommendation_free(rec);
        return rb_errf(e, RB_ENOMEM, "report: out of memory for %zu workloads", groups);
    }
    size_t g = 0;
    for (size_t i = 0; i < rep->n_results; g++) {
        size_t j = i + 1;
        while (j < rep->n_results && !strcmp(rep->results[j].w.key, rep->results[i].w.key))
            j++;
        rb_workload_rec *w = &rec->w[g];
        w->first = i;
        w->count = j - i;
        if (!(w->entries = calloc(w->count, sizeof *w->entries))) {
            rec->n_workloads = g;
            rb_recommendation_free(rec);
            return rb_errf(e, RB_ENOMEM, "report: out of memory");
        }
        rank_workload(rep, o, w);
        i = j;
    }
    rec->n_workloads = groups;

    /* over the matrix */
    rec->n_overall = rep->n_devices;
    for (int d = 0; d < rep->n_devices; d++) {
        rb_overall_entry *ov = &rec->overall[d];
        ov->device = d;
        double logsum = 0;
        for (size_t k = 0; k < rec->n_workloads; k++) {
            const rb_workload_rec *w = &rec->w[k];
            for (size_t i = 0; i < w->count; i++) {
                const rb_rank_entry *en = &w->entries[i];
                if (rep->results[en->result].device != d)
                    continue;
                ov->ran++;
                if (!en->eligible)
                    continue;
                ov->eligible++;
                ov->wins += en->rank == 1;
                logsum += log(ratio(o->objective, w->entries[0].value, en->value));
            }
        }
        ov->geomean = ov->eligible ? exp(logsum / ov->eligible) : NAN;
    }
    if (rec->n_overall > 1)
        qsort(rec->overall, (size_t)rec->n_overall, sizeof *rec->overall, cmp_overall);
    int any_model = 0;
    for (int i = 0; i < rec->n_overall; i++) {
        rb_overall_entry *ov = &rec->overall[i];
        ov->rank = ov->eligible ? i + 1 : 0;
        const rb_rep_device *dv = &rep->devices[ov->device];
        int nex;
        const char *why = common_exclusion(rec, ov->device, rep, &nex);
        size_t at;
        if (!ov->eligible) {
            snprintf(ov->reason, sizeof ov->reason,
                     "%s: not ranked on any of its %d workloads%s%.300s", dv->target, ov->ran,
                     why ? "; e.g. " : "", why ? why : "");
            continue;
        }
        at = (size_t)snprintf(ov->reason, sizeof ov->reason, "%s: best on %d of %zu workloads",
                              dv->target, ov->wins, rec->n_workloads);
        if (ov->geomean > 1.0005 && at < sizeof ov->reason)
            at += (size_t)snprintf(ov->reason + at, sizeof ov->reason - at,
                                   "; on its %d eligible workloads %.2gx the best's %s on "
                                   "geometric mean",
                                   ov->eligible, ov->geomean, rb_objective_name(o->objective));
        if (nex && at < sizeof ov->reason)
            at += (size_t)snprintf(ov->reason + at, sizeof ov->reason - at,
                                   "; not ranked on %d (e.g. %.160s)", nex, why ? why : "?");
        if (strcmp(dv->method, "measured") && at < sizeof ov->reason)
            snprintf(ov->reason + at, sizeof ov->reason - at, "; its latency is %s", dv->method);
    }

    /* the decision */
    const char *obj = rb_objective_name(o->objective);
    char cons[200] = "";
    size_t at = 0;
    if (isfinite(o->slo_ms))
        at += (size_t)snprintf(cons + at, sizeof cons - at, "%sp99 ≤ %g ms", at ? ", " : "",
                               o->slo_ms);
    if (isfinite(o->max_power_w))
        at += (size_t)snprintf(cons + at, sizeof cons - at, "%spower ≤ %g W", at ? ", " : "",
                               o->max_power_w);
    if (isfinite(o->max_memory_mb))
        at += (size_t)snprintf(cons + at, sizeof cons - at, "%smemory ≤ %g MB", at ? ", " : "",
                               o->max_memory_mb);
    if (isfinite(o->max_error))
        at += (size_t)snprintf(cons + at, sizeof cons - at, "%smax error ≤ %g", at ? ", " : "",
                               o->max_error);
    if (isfinite(o->max_accuracy_drop) && at < sizeof cons)
        snprintf(cons + at, sizeof cons - at, "%saccuracy drop ≤ %g", at ? ", " : "",
                 o->max_accuracy_drop);
    const rb_overall_entry *top = rec->n_overall ? &rec->overall[0] : NULL;
    if (!top || !top->eligible) {
        /* the closest to the p99 bound, and what it would take */
        int closest = -1;
        double best = INFINITY, f;
        for (int d = 0; d < rep->n_devices; d++)
            if (worst_miss(rep, d, o, &f) && f < best)
                best = f, closest = d;
        char hint[400] = "";
        if (closest >= 0)
            qualify_hint(rep, closest, o, hint, sizeof hint);
        clipf(rec->headline, sizeof rec->headline,
              "No target qualifies under the %s objective%s%s: see why each was not ranked.%s", obj,
              cons[0] ? " with " : "", cons, hint);
    } else {
        const rb_rep_device *dv = &rep->devices[top->device];
        /* the reason without its "target: " prefix */
        const char *why = top->reason + strlen(dv->target);
        why += strncmp(why, ": ", 2) ? 0 : 2;
        char next[640], fig[200];
        runner_up(rep, rec, next, sizeof next);
        winner_figure(rep, rec, top->device, fig, sizeof fig);
        clipf(rec->headline, sizeof rec->headline, "Recommended for %s%s%s: %s (%s): %s.%s%s",
              obj, cons[0] ? " with " : "", cons, dv->target, dv->name, why, fig, next);
        for (size_t k = 0; k < rec->n_workloads; k++)
            any_model |= rec->w[k].rests_on_model;
    }
    const char *src = !top || !top->eligible ? NULL : rep->devices[top->device].method;
    if (src && (o->objective == RB_OBJ_ENERGY || o->objective == RB_OBJ_PERF_PER_WATT)) {
        char bounds[200];
        const rb_rep_result *te = energy_result(rep, top->device);
        size_t hl = strlen(rec->headline);
        if (te && hl < sizeof rec->headline)
            snprintf(rec->headline + hl, sizeof rec->headline - hl, " Energy from: %s, %s.",
                     te->energy_source,
                     te->energy_boundary[0] ? te->energy_boundary : "boundary not recorded");
        boundaries_note(rep, rec, bounds, sizeof bounds);
        snprintf(rec->provenance, sizeof rec->provenance,
                 "The ranking compares energy figures; each one's source (rapl, nvml: measured; "
                 "model: modeled; user: given) and boundary are in the tables.%s%s",
                 any_model ? " Some wins rest on modeled energy: no interval, the margin is stated."
                           : "",
                 bounds);
    } else if (src)
        snprintf(rec->provenance, sizeof rec->provenance,
                 "The recommended target's latency is %s.%s", src,
                 any_model ? " Some wins rest on a simulated or modeled figure: no interval, "
                             "the margin is stated."
                           : " Measured wins are judged with 95% intervals; overlaps are ties.");
    return rb_serving_plan(rep, rec, e);
}
