/* write_json.c — `rnnbench report --json`: the run, its devices, one object
 * per result with every stored figure and its metrics (value, unit, source),
 * and the recommendation.  Written with cJSON one object at a time, so a
 * run of 100 000 results never holds one tree of all of them. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_util.h"
#include "../workloads/utf8.h"

/* Keys are string literals or live as long as the item (cJSON's "CS"
 * variants do not copy them), and numbers are written as raw text by
 * rb_rep_fmt, without printf (cJSON's own printing tries 15 digits and checks
 * them with sscanf): a report of 10^5 results has millions of both. */

/* A number as JSON text into t (32 bytes): null when unknown (JSON has no
 * NaN), a whole number exactly, else 10 significant digits like the CSV
 * (the database keeps every bit; no measurement here is better than 1e-10). */
static const char *num_text(double v, char *t)
{
    if (!isfinite(v))
        return "null";
    if (v == floor(v) && fabs(v) < 1e15) { /* counts, sizes, ids */
        char *p = t + 31;
        long long n = (long long)fabs(v);
        *p = 0;
        do
            *--p = (char)('0' + n % 10);
        while ((n /= 10));
        if (v < 0)
            *--p = '-';
        return p;
    }
    return rb_rep_fmt(v, t); /* 10 significant digits, as the CSV */
}

static void num(cJSON *o, const char *k, double v)
{
    char t[32];
    cJSON_AddItemToObjectCS(o, k,
                            isfinite(v) ? cJSON_CreateRaw(num_text(v, t)) : cJSON_CreateNull());
}

static void str(cJSON *o, const char *k, const char *v)
{
    cJSON_AddItemToObjectCS(o, k, v && *v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

/* The short strings every result repeats (target, device, sources, units,
 * status ...) are escaped by cJSON once and then inserted as raw JSON:
 * escaping them anew costs more than everything else in a result. */
#define SYM_SLOTS 256
typedef struct sym_cache {
    struct {
        char key[168];
        char esc[384];
    } e[SYM_SLOTS];
    int used[SYM_SLOTS];
} sym_cache;

/* v as a quoted, escaped JSON string from the cache (escaped by cJSON the
 * first time), or NULL when it cannot be cached (empty, too long, full). */
static const char *sym_text(sym_cache *c, const char *v)
{
    if (!v || !*v || !c || strlen(v) >= sizeof c->e[0].key)
        return NULL;
    unsigned h = 2166136261u; /* FNV-1a */
    for (const char *p = v; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (unsigned i = 0; i < SYM_SLOTS; i++) {
        unsigned at = (h + i) % SYM_SLOTS;
        if (c->used[at] && !strcmp(c->e[at].key, v))
            return c->e[at].esc;
        if (!c->used[at]) {
            cJSON *t = cJSON_CreateString(v);
            char *q = t ? cJSON_PrintUnformatted(t) : NULL;
            cJSON_Delete(t);
            const char *res = NULL;
            if (q && strlen(q) < sizeof c->e[at].esc) {
                snprintf(c->e[at].key, sizeof c->e[at].key, "%s", v);
                snprintf(c->e[at].esc, sizeof c->e[at].esc, "%s", q);
                c->used[at] = 1;
                res = c->e[at].esc;
            }
            cJSON_free(q);
            return res;
        }
    }
    return NULL;
}

static void sym(cJSON *o, const char *k, const char *v, sym_cache *c)
{
    const char *esc = sym_text(c, v);
    if (esc)
        cJSON_AddItemToObjectCS(o, k, cJSON_CreateRaw(esc));
    else
        str(o, k, v);
}

/* A result's metrics object as JSON text, {"name": {"value": .., "unit": ..,
 * "source": ..}, ...}, from cJSON-escaped names and strings: the biggest part
 * of a result, built without a node per field.  NULL when a string could not
 * come from the cache (the caller then builds the tree). */
static char *metrics_text(const rb_rep_result *x, sym_cache *c)
{
    size_t cap = 2 + (size_t)x->n_metrics * (3 * 384 + 64), at = 0;
    char *b = cJSON_malloc(cap);
    if (!b)
        return NULL;
    b[at++] = '{';
    for (int k = 0; k < x->n_metrics; k++) {
        const rb_rep_metric *m = &x->metrics[k];
        const char *n = sym_text(c, m->name), *u = sym_text(c, m->unit),
                   *s = sym_text(c, m->source);
        char t[32];
        if (!n || (m->unit[0] && !u) || (m->source[0] && !s)) {
            cJSON_free(b);
            return NULL;
        }
        at += (size_t)snprintf(b + at, cap - at, "%s%s:{\"value\":%s,\"unit\":%s,\"source\":%s}",
                               k ? "," : "", n, num_text(m->value, t), u ? u : "null",
                               s ? s : "null");
    }
    b[at++] = '}';
    b[at] = 0;
    return b;
}

/* Print one item and free it, through one buffer reused from call to call;
 * 0 or -1 (out of memory). */
typedef struct out_buf {
    char *p;
    int len;
} out_buf;

static int emit_buf(FILE *f, cJSON *o, out_buf *b)
{
    int ok = 0;
    while (o && !(ok = cJSON_PrintPreallocated(o, b->p, b->len, 0))) {
        int len = b->len ? 2 * b->len : 1 << 16;
        char *p = realloc(b->p, (size_t)len);
        if (!p)
            break;
        b->p = p;
        b->len = len;
    }
    cJSON_Delete(o);
    if (!ok)
        return -1;
    rb_json_fputs(b->p, f);
    return 0;
}

static int emit(FILE *f, cJSON *o)
{
    out_buf b = {0};
    int rc = emit_buf(f, o, &b);
    free(b.p);
    return rc;
}

static cJSON *run_json(const rb_report *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)r->run.id);
    str(o, "label", r->run.label);
    str(o, "started_at", r->run.started_at);
    str(o, "finished_at", r->run.finished_at);
    str(o, "status", r->run.status);
    str(o, "git_sha", r->run.git_sha);
    str(o, "version", r->run.version);
    str(o, "command_line", r->run.command_line);
    cJSON *h = r->run.host_json ? cJSON_Parse(r->run.host_json) : NULL;
    cJSON_AddItemToObject(o, "host", h ? h : cJSON_CreateNull());
    cJSON *w = r->run.warnings_json ? cJSON_Parse(r->run.warnings_json) : NULL;
    cJSON_AddItemToObject(o, "warnings", w ? w : cJSON_CreateArray());
    return o;
}

static cJSON *device_json(const rb_rep_device *d)
{
    cJSON *o = cJSON_CreateObject();
    str(o, "target", d->target);
    cJSON_AddNumberToObject(o, "run", (double)d->run_id);
    str(o, "name", d->name);
    str(o, "type", d->type);
    str(o, "method", d->method);
    str(o, "numerics", d->numerics);
    num(o, "peak_flops", d->peak_flops);
    num(o, "mem_bw", d->mem_bw);
    num(o, "power_w", d->power_w);
    str(o, "power_source", d->power_source);
    cJSON *x = d->extra_json ? cJSON_Parse(d->extra_json) : NULL;
    cJSON_AddItemToObject(o, "extra", x ? x : cJSON_CreateNull());
    cJSON *res = cJSON_AddObjectToObject(o, "resources");
    for (int i = 0; i < d->n_resources; i++) {
        cJSON *m = cJSON_AddObjectToObject(res, d->resources[i].name);
        num(m, "value", d->resources[i].value);
        str(m, "unit", d->resources[i].unit);
        str(m, "source", d->resources[i].source);
    }
    return o;
}

static cJSON *result_json(const rb_report *r, const rb_recommendation *rec, size_t i, sym_cache *c)
{
    const rb_rep_result *x = &r->results[i];
    cJSON *o = cJSON_CreateObject();
    num(o, "result_id", (double)x->id);
    sym(o, "target", r->devices[x->device].target, c);
    sym(o, "device", r->devices[x->device].name, c);
    sym(o, "method", r->devices[x->device].method, c);
    str(o, "workload", x->w.key);
    sym(o, "cell", rb_cell_name(x->w.cell), c);
    sym(o, "mode", rb_mode_name(x->w.mode), c);
    num(o, "seq", x->w.seq);
    num(o, "batch", x->w.batch);
    num(o, "input", x->w.input);
    num(o, "hidden", x->w.hidden);
    num(o, "layers", x->w.layers);
    num(o, "input_proj", x->w.input_proj);
    num(o, "flops", x->flops);
    sym(o, "numerics", x->numerics, c);
    sym(o, "status", x->status, c);
    str(o, "message", x->message);
    num(o, "reps", x->reps);
    cJSON *un = NULL; /* the quantiles too few repetitions support, and why */
    for (int k = 0; k < RB_N_FIGURES; k++) {
        char note[48];
        num(o, rb_figure_table[k].name, x->fig[k]);
        if (isfinite(x->fig[k]) &&
            !rb_figure_supported(k, x->reps, strcmp(x->latency_source, "measured") != 0, note,
                                 sizeof note)) {
            if (!un)
                un = cJSON_AddObjectToObject(o, "unsupported_quantiles");
            cJSON_AddStringToObject(un, rb_figure_table[k].name, note);
        }
    }
    num(o, "energy_per_seq_j", rb_rep_energy_per_seq(x));
    num(o, "power_w", rb_rep_power_w(x));
    sym(o, "latency_source", x->latency_source, c);
    sym(o, "energy_source", x->energy_source, c);
    sym(o, "energy_boundary", x->energy_boundary, c);
    char *mt = metrics_text(x, c);
    cJSON *m = mt ? cJSON_CreateRaw(mt) : cJSON_CreateObject();
    cJSON_free(mt);
    cJSON_AddItemToObjectCS(o, "metrics", m);
    for (int k = 0; !mt && k < x->n_metrics; k++) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddItemToObjectCS(m, x->metrics[k].name, v); /* the report outlives the item */
        num(v, "value", x->metrics[k].value);
        sym(v, "unit", x->metrics[k].unit, c);
        sym(v, "source", x->metrics[k].source, c);
    }
    const rb_rank_entry *en = rb_rep_entry_of(rec, i);
    if (en) {
        cJSON *k = cJSON_CreateObject();
        cJSON_AddItemToObjectCS(o, "ranking", k);
        num(k, "value", en->value);
        num(k, "rank", en->rank);
        cJSON_AddItemToObjectCS(k, "tie", cJSON_CreateBool(en->tie));
        cJSON_AddItemToObjectCS(k, "eligible", cJSON_CreateBool(en->eligible));
        str(k, "reason", en->reason);
    }
    return o;
}

static cJSON *recommendation_json(const rb_report *r, const rb_recommendation *rec)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "objective", rb_objective_name(rec->opts.objective));
    cJSON *c = cJSON_AddObjectToObject(o, "constraints");
    num(c, "slo_ms", rec->opts.slo_ms);
    num(c, "max_power_w", rec->opts.max_power_w);
    num(c, "max_error", rec->opts.max_error);
    num(c, "max_accuracy_drop", rec->opts.max_accuracy_drop);
    cJSON_AddStringToObject(o, "headline", rec->headline);
    cJSON_AddStringToObject(o, "provenance", rec->provenance);
    cJSON *ov = cJSON_AddArrayToObject(o, "overall");
    for (int i = 0; i < rec->n_overall; i++) {
        const rb_overall_entry *e = &rec->overall[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "target", r->devices[e->device].target);
        cJSON_AddNumberToObject(x, "rank", e->rank);
        cJSON_AddNumberToObject(x, "wins", e->wins);
        cJSON_AddNumberToObject(x, "eligible", e->eligible);
        cJSON_AddNumberToObject(x, "ran", e->ran);
        num(x, "geomean_vs_best", e->geomean);
        cJSON_AddStringToObject(x, "reason", e->reason);
        cJSON_AddItemToArray(ov, x);
    }
    if (rec->n_serve) {
        cJSON *sv = cJSON_AddObjectToObject(o, "serving");
        num(sv, "qps", rec->opts.qps);
        cJSON_AddStringToObject(sv, "headline", rec->serving);
        cJSON *rows = cJSON_AddArrayToObject(sv, "plan");
        for (size_t k = 0; k < rec->n_serve; k++) {
            const rb_serve_plan_row *p = &rec->serve[k];
            const rb_rep_result *x = &r->results[p->result];
            cJSON *y = cJSON_CreateObject();
            cJSON_AddStringToObject(y, "workload", x->w.key);
            cJSON_AddStringToObject(y, "target", r->devices[x->device].target);
            cJSON_AddNumberToObject(y, "rank", p->rank);
            num(y, "max_qps", p->capacity_qps);
            if (p->devices)
                cJSON_AddNumberToObject(y, "devices", p->devices);
            num(y, "p99_ms", p->p99_ms);
            num(y, "j_per_1000_queries", p->j_per_1000);
            num(y, "price_per_hour", p->price_per_h);
            num(y, "cost_per_million_queries", p->cost_per_m);
            cJSON_AddStringToObject(y, "latency_source", x->latency_source);
            cJSON_AddItemToArray(rows, y);
        }
    }
    cJSON *mi = cJSON_AddArrayToObject(o, "unavailable");
    for (int i = 0; i < r->n_missing; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "target", r->missing[i].target);
        str(x, "why", r->missing[i].why);
        cJSON_AddItemToArray(mi, x);
    }
    return o;
}

/* Each result's tree is built and freed at once: its nodes come from an
 * arena that is rewound after every result instead of ~100 malloc/free
 * pairs (cJSON's allocation hooks; the defaults are put back before
 * returning). */
typedef struct arena {
    char *p;
    size_t used, cap;
    int failed;
} arena;

static arena *g_arena; /* only while rb_report_write_json's results loop runs */

static void *arena_malloc(size_t n)
{
    arena *a = g_arena;
    n = (n + 15) & ~(size_t)15;
    if (a->used + n > a->cap) { /* a result bigger than the arena: the heap */
        a->failed = 1;
        return NULL;
    }
    void *p = a->p + a->used;
    a->used += n;
    return p;
}

static void arena_free(void *p) { (void)p; /* released all at once by rewinding */ }

int rb_report_write_json(FILE *f, const rb_report *r, const rb_recommendation *rec, rb_err *e)
{
    int bad = 0;
    fputs("{\"schema_version\":1,\"run\":", f);
    bad |= emit(f, run_json(r));
    fputs(",\"devices\":[", f);
    for (int i = 0; i < r->n_devices; i++) {
        fputs(i ? "," : "", f);
        bad |= emit(f, device_json(&r->devices[i]));
    }
    fputs("],\"recommendation\":", f);
    bad |= rec ? emit(f, recommendation_json(r, rec)) : (fputs("null", f), 0);
    fputs(",\"results\":[", f);
    out_buf ob = {0};
    sym_cache *syms = calloc(1, sizeof *syms); /* NULL: every string escaped anew */
    arena ar = {malloc(1 << 20), 0, 1 << 20, 0};
    cJSON_Hooks hooks = {arena_malloc, arena_free};
    for (size_t i = 0; i < r->n_results && !bad; i++) {
        fputs(i ? ",\n" : "\n", f);
        cJSON *o = NULL;
        if (ar.p) { /* in the arena; if it does not fit, again on the heap */
            g_arena = &ar;
            ar.used = 0;
            ar.failed = 0;
            cJSON_InitHooks(&hooks);
            o = result_json(r, rec, i, syms);
            if (ar.failed || !o) {
                o = NULL; /* nothing to free: the arena holds it */
                cJSON_InitHooks(NULL);
            }
        }
        if (!o) {
            cJSON_InitHooks(NULL);
            bad |= emit_buf(f, result_json(r, rec, i, syms), &ob);
            continue;
        }
        int ok = 0;
        while (!(ok = cJSON_PrintPreallocated(o, ob.p, ob.len, 0))) {
            int len = ob.len ? 2 * ob.len : 1 << 16;
            char *p = realloc(ob.p, (size_t)len);
            if (!p)
                break;
            ob.p = p;
            ob.len = len;
        }
        cJSON_Delete(o); /* frees into the arena: nothing */
        cJSON_InitHooks(NULL);
        bad |= !ok;
        if (ok)
            rb_json_fputs(ob.p, f);
    }
    cJSON_InitHooks(NULL);
    g_arena = NULL;
    free(ar.p);
    free(ob.p);
    free(syms);
    fputs("],\"accuracy\":[", f);
    for (size_t i = 0; i < r->n_accuracy && !bad; i++) {
        const rb_rep_accuracy *a = &r->accuracy[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "run", (double)a->run_id);
        cJSON_AddStringToObject(o, "target", a->target);
        cJSON_AddStringToObject(o, "numerics", a->numerics);
        cJSON_AddStringToObject(o, "task", a->task);
        cJSON_AddStringToObject(o, "model", a->model);
        cJSON_AddStringToObject(o, "cell", a->cell);
        cJSON_AddStringToObject(o, "phase", a->phase);
        cJSON_AddStringToObject(o, "split", a->split);
        cJSON_AddNumberToObject(o, "epoch", a->epoch);
        cJSON_AddNumberToObject(o, "n", (double)a->n);
        num(o, "accuracy", a->accuracy);
        num(o, "macro_f1", a->macro_f1);
        num(o, "loss", a->loss);
        num(o, "baseline_accuracy", a->baseline_accuracy);
        num(o, "baseline_macro_f1", a->baseline_macro_f1);
        num(o, "agreement", a->agreement);
        fputs(i ? "," : "", f);
        bad |= emit(f, o);
    }
    fputs("]}\n", f);
    if (bad)
        return rb_errf(e, RB_ENOMEM, "report: out of memory writing JSON");
    return ferror(f) ? rb_errf(e, RB_ERUNTIME, "report: writing the JSON failed") : 0;
}
