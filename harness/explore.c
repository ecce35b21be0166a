/* explore.c — the sweep, the front and the choice, whatever the target
 * (explore.h); the targets' candidates are explore_fpga.c's and
 * explore_asic.c's. */
#include "explore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../targets/target.h"
#include "../workloads/decimal.h"

static const rb_explore_key k_fpga_keys[] = {
    {"lanes", "MAC lanes (powers of 2, at least 16)"},
    {"clock_mhz", "clock"},
    {"onchip_kib", "on-chip weight memory (rounded down to what the RTL can build: LANES x a "
                   "power of 2 values)"},
    {"format", "number formats, qI.F (q3.12, q2.5, ...)"},
    {"offchip_bpc", "off-chip bandwidth, bytes per cycle"},
};
static const rb_explore_key k_asic_keys[] = {
    {"array", "MAC array, N (N x N) or RxC (rows: the reduction, cols: the outputs)"},
    {"clock_mhz", "clock"},
    {"sram_kib", "on-chip weight memory"},
    {"format", "datatypes: int8, int16, fp16, bf16, fp32"},
    {"offchip_gbs", "off-chip bandwidth, GB/s"},
};

const rb_explore_key *rb_explore_keys(rb_explore_target t, int *n)
{
    if (t == RB_XT_FPGA) {
        *n = (int)(sizeof k_fpga_keys / sizeof k_fpga_keys[0]);
        return k_fpga_keys;
    }
    *n = (int)(sizeof k_asic_keys / sizeof k_asic_keys[0]);
    return k_asic_keys;
}

/* "q3.12" -> bits 16, frac 12, as bits * 100 + frac */
static int parse_qformat(const char *s, double *out)
{
    int i, f, n = 0;
    if ((s[0] != 'q' && s[0] != 'Q') || sscanf(s + 1, "%d.%d%n", &i, &f, &n) != 2 || s[1 + n] ||
        i < 0 || f < 1)
        return -1;
    rb_fx_fmt fmt = {i + f + 1, f};
    rb_err e;
    if (rb_fx_fmt_check(fmt, &e))
        return -1;
    *out = fmt.bits * 100 + fmt.frac;
    return 0;
}

/* "128" -> 128 x 128, "128x64" -> rows 128, cols 64: rows * 100000 + cols */
static int parse_array(const char *s, double *out)
{
    int r, c, n = 0;
    if (sscanf(s, "%d%n", &r, &n) != 1)
        return -1;
    c = r;
    if (s[n] == 'x' && sscanf(s + n + 1, "%d%n", &c, &n) == 1)
        n += (int)(strchr(s, 'x') - s) + 1;
    if (s[n] || r < 1 || c < 1 || r > 8192 || c > 8192)
        return -1;
    *out = r * 100000.0 + c;
    return 0;
}

static int parse_value(rb_explore_target t, int k, const char *s, double *v)
{
    if (t == RB_XT_FPGA && k == RB_XK_FPGA_FORMAT)
        return parse_qformat(s, v);
    if (t == RB_XT_ASIC && k == RB_XK_ASIC_ARRAY)
        return parse_array(s, v);
    if (t == RB_XT_ASIC && k == RB_XK_ASIC_FORMAT) {
        rb_asic_dtype d;
        if (rb_asic_dtype_parse(s, &d))
            return -1;
        *v = d;
        return 0;
    }
    if (rb_parse_decimal(s, v, NULL) || !(*v > 0) || *v > 1e9)
        return -1;
    return t == RB_XT_FPGA && k == RB_XK_FPGA_LANES && *v != floor(*v) ? -1 : 0;
}

int rb_explore_sweep_add(rb_explore_sweep *s, rb_explore_target t, const char *kv, rb_err *e)
{
    int nk;
    const rb_explore_key *keys = rb_explore_keys(t, &nk);
    const char *eq = strchr(kv, '=');
    int k = 0;
    while (
        eq && k < nk &&
        (strlen(keys[k].name) != (size_t)(eq - kv) || strncmp(kv, keys[k].name, (size_t)(eq - kv))))
        k++;
    if (!eq || k == nk) {
        char names[160] = "";
        for (int i = 0; i < nk; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                     keys[i].name);
        return rb_errf(e, RB_EINPUT, "--sweep '%s': want KEY=LIST with KEY one of %s", kv, names);
    }
    if (s->n[k])
        return rb_errf(e, RB_EINPUT, "--sweep %s given twice", keys[k].name);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", eq + 1);
    for (char *save = NULL, *tk = strtok_r(buf, ", ", &save); tk;
         tk = strtok_r(NULL, ", ", &save)) {
        if (s->n[k] == RB_EXPLORE_MAX_VALUES)
            return rb_errf(e, RB_EINPUT, "--sweep %s: more than %d values", keys[k].name,
                           RB_EXPLORE_MAX_VALUES);
        double v;
        if (parse_value(t, k, tk, &v))
            return rb_errf(e, RB_EINPUT, "--sweep %s: '%s' is not one of its values (%s)",
                           keys[k].name, tk, keys[k].help);
        for (int j = 0; j < s->n[k]; j++)
            if (s->v[k][j] == v)
                return rb_errf(e, RB_EINPUT, "--sweep %s: '%s' given twice", keys[k].name, tk);
        s->v[k][s->n[k]++] = v;
    }
    if (!s->n[k])
        return rb_errf(e, RB_EINPUT, "--sweep %s: no values", keys[k].name);
    return 0;
}

long rb_explore_sweep_size(const rb_explore_sweep *s)
{
    long n = 1;
    for (int k = 0; k < RB_EXPLORE_MAX_KEYS; k++)
        n *= s->n[k] ? s->n[k] : 1;
    return n;
}

void rb_explore_values(const rb_explore_sweep *s, long i, const double *dflt, int nkeys, double *v)
{
    for (int k = 0; k < nkeys; k++) {
        v[k] = s->n[k] ? s->v[k][i % s->n[k]] : dflt[k];
        i /= s->n[k] ? s->n[k] : 1;
    }
}

static const char *const k_objectives[] = {"resources", "power", "energy"};

const char *rb_explore_objective_name(rb_explore_target t, rb_explore_objective o)
{
    return o == RB_OBJ_SIZE && t == RB_XT_ASIC ? "area" : k_objectives[o];
}

int rb_explore_objective_parse(const char *s, rb_explore_objective *o)
{
    if (!strcmp(s, "area")) {
        *o = RB_OBJ_SIZE;
        return 0;
    }
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, k_objectives[i])) {
            *o = (rb_explore_objective)i;
            return 0;
        }
    return -1;
}

int rb_explore_unsupported(const char *target, const rb_workload *w, char *why, size_t len)
{
    const rb_target_ops *ops = rb_target_find(target);
    unsigned missing = w->features & ~(ops ? ops->features : 0);
    if (!missing)
        return 0;
    char names[128];
    snprintf(why, len, "unsupported: %s (%.100s)", rb_features_str(missing, names, sizeof names),
             w->key);
    return 1;
}

int rb_explore_point_batch(const rb_explore_spec *sp, const rb_workload *w)
{
    return sp->qps > 0 ? RB_SCN_DEFAULT_SERVER_BATCH : w->batch;
}

int rb_explore_p99(const rb_trace *tr, rb_hist *h, int max_b, rb_service_fn fn, void *ctx,
                   double *p99_s, rb_err *e)
{
    rb_batch_policy pol = {
        .max_batch = max_b < RB_SCN_DEFAULT_SERVER_BATCH ? max_b : RB_SCN_DEFAULT_SERVER_BATCH};
    rb_serve_result r = {.lat = h};
    int rc = rb_serve_simulate(RB_SCN_SERVER, tr, &pol, fn, ctx, &r, e);
    if (!rc)
        *p99_s = rb_hist_quantile(h, 0.99);
    return rc;
}

/* The bound, the objective and the figures every target shares. */
static void derive(const rb_explore_spec *sp, rb_explore_cand *c)
{
    if (sp->target == RB_XT_FPGA)
        rb_xfpga_derive(sp, c);
    c->worst_s = 0;
    c->energy_j = 0;
    for (int p = 0; p < sp->n_points; p++) {
        double t = sp->qps > 0 ? c->p99_s[p] : c->lat_s[p];
        c->worst_s = fmax(c->worst_s, t);
        if (sp->target == RB_XT_FPGA) /* the model's power over the call */
            c->energy_pt[p] = c->power_w * c->lat_s[p];
        c->energy_j += c->energy_pt[p] / sp->n_points;
    }
    c->fits = sp->target == RB_XT_FPGA ? c->size <= 1.0
                                       : !(sp->max_area_mm2 > 0) || c->size <= sp->max_area_mm2;
    c->meets = !(sp->slo_s > 0) || c->worst_s <= sp->slo_s;
    c->cost = sp->objective == RB_OBJ_POWER    ? c->power_w
              : sp->objective == RB_OBJ_ENERGY ? c->energy_j
                                               : c->size;
}

static int dominates(const rb_explore_cand *a, const rb_explore_cand *b)
{
    return a->worst_s <= b->worst_s && a->power_w <= b->power_w && a->size <= b->size &&
           (a->worst_s < b->worst_s || a->power_w < b->power_w || a->size < b->size);
}

static int better(const rb_explore_cand *a, const rb_explore_cand *b)
{
    if (a->cost != b->cost)
        return a->cost < b->cost;
    if (a->worst_s != b->worst_s)
        return a->worst_s < b->worst_s;
    return a->power_w < b->power_w;
}

void rb_explore_settle(const rb_explore_spec *sp, rb_explore *x)
{
    x->chosen = x->near_miss = -1;
    x->n_refused = x->n_unfit = x->n_missed = x->n_front = 0;
    for (long i = 0; i < x->n; i++) {
        rb_explore_cand *c = &x->c[i];
        c->front = 0;
        if (c->refused[0]) {
            x->n_refused++;
            continue;
        }
        derive(sp, c);
        x->n_unfit += !c->fits;
        x->n_missed += c->fits && !c->meets;
    }
    /* the front: candidates that fit and that no other one beats in latency,
     * power and resources at once */
    for (long i = 0; i < x->n; i++) {
        rb_explore_cand *c = &x->c[i];
        if (c->refused[0] || !c->fits)
            continue;
        int dom = 0;
        for (long j = 0; j < x->n && !dom; j++)
            dom = j != i && !x->c[j].refused[0] && x->c[j].fits && dominates(&x->c[j], c);
        c->front = !dom;
        x->n_front += c->front;
        if (c->meets && (x->chosen < 0 || better(c, &x->c[x->chosen])))
            x->chosen = i;
    }
    /* what the bound costs: the next cheaper candidate than the choice,
     * which misses it (with no choice, the one nearest the bound) */
    for (long i = 0; i < x->n; i++) {
        rb_explore_cand *c = &x->c[i];
        if (c->refused[0] || !c->fits || c->meets)
            continue;
        long m = x->near_miss;
        if (x->chosen >= 0 ? c->cost < x->c[x->chosen].cost &&
                                 (m < 0 || c->cost > x->c[m].cost ||
                                  (c->cost == x->c[m].cost && c->worst_s < x->c[m].worst_s))
                           : m < 0 || c->worst_s < x->c[m].worst_s)
            x->near_miss = i;
    }
}

double rb_explore_format_code(const rb_explore_spec *sp, const rb_explore_cand *c)
{
    return sp->target == RB_XT_FPGA ? (double)(c->hw.fmt.bits * 100 + c->hw.fmt.frac)
                                    : (double)c->ax.dtype;
}

/* The candidate's accuracy, and its refusal when its format loses more than
 * the bound allows. */
static void accuracy(const rb_explore_spec *sp, rb_explore_cand *c)
{
    c->accuracy = NAN;
    for (int i = 0; i < sp->n_acc; i++)
        if (sp->acc_fmt[i] == rb_explore_format_code(sp, c))
            c->accuracy = sp->acc[i];
    double drop = sp->acc_ref - c->accuracy;
    if (sp->max_acc_drop >= 0 && isfinite(drop) && drop > sp->max_acc_drop)
        snprintf(c->refused, sizeof c->refused,
                 "its format's test accuracy %.3f is %.3f below fp64's %.3f (the bound: %.3f)",
                 c->accuracy, drop, sp->acc_ref, sp->max_acc_drop);
}

int rb_explore_run(const rb_explore_spec *sp, rb_explore *x, rb_err *e)
{
    memset(x, 0, sizeof *x);
    x->chosen = x->near_miss = -1;
    long n = rb_explore_sweep_size(&sp->sweep);
    if (n > RB_EXPLORE_MAX_CANDIDATES)
        return rb_errf(e, RB_EINPUT,
                       "the sweep spans %ld candidates, more than %d: sweep fewer values", n,
                       RB_EXPLORE_MAX_CANDIDATES);
    if (sp->n_points < 1)
        return rb_errf(e, RB_EINPUT, "no workload point to size the accelerator for");
    int rc = sp->target == RB_XT_FPGA ? rb_xfpga_prepare(sp, x, e) : 0;
    if (rc)
        return rc;
    if (!(x->c = calloc((size_t)n, sizeof *x->c)))
        return rb_errf(e, RB_ENOMEM, "out of memory for %ld candidates", n);
    x->n = n;
    rb_trace tr = {0};
    rb_hist *h = NULL;
    if (sp->qps > 0) {
        /* one arrival trace for every candidate: they are compared on the
         * same queries */
        if (!(h = malloc(sizeof *h)))
            rc = rb_errf(e, RB_ENOMEM, "out of memory");
        else
            rc = rb_trace_poisson(&tr, sp->qps, 4000, 1, e);
    }
    if (rc) {
        free(h);
        rb_explore_free(x);
        return rc;
    }
    for (long i = 0; i < n && !rc; i++) {
        rb_explore_cand *c = &x->c[i];
        if (sp->target == RB_XT_FPGA)
            rb_xfpga_make(sp, i, c);
        else
            rb_xasic_make(sp, i, c);
        if (!c->refused[0])
            accuracy(sp, c);
        if (!c->refused[0])
            rc = sp->target == RB_XT_FPGA ? rb_xfpga_estimate(sp, x, c, &tr, h, e)
                                          : rb_xasic_estimate(sp, c, &tr, h, e);
    }
    rb_trace_free(&tr);
    free(h);
    if (rc) {
        rb_explore_free(x);
        return rc;
    }
    rb_explore_settle(sp, x);
    return 0;
}

void rb_explore_free(rb_explore *x)
{
    free(x->c);
    x->c = NULL;
    x->n = 0;
}

void rb_explore_describe(const rb_explore_spec *sp, const rb_explore_cand *c, char *buf, size_t len)
{
    char label[160];
    if (sp->target == RB_XT_FPGA)
        rb_xfpga_label(sp, c, label, sizeof label);
    else
        rb_xasic_label(c, label, sizeof label);
    int at = snprintf(buf, len, "%s: ", label);
    if (sp->qps > 0)
        at += snprintf(buf + at, len - (size_t)at, "%.3g ms p99 at %g q/s", c->worst_s * 1e3,
                       sp->qps);
    else
        at += snprintf(buf + at, len - (size_t)at, "%.3g ms", c->worst_s * 1e3);
    if (sp->target == RB_XT_FPGA)
        at += snprintf(buf + at, len - (size_t)at, ", %.2f W, %.0f %% of an %s's %s", c->power_w,
                       c->size * 100, sp->part->name,
                       c->util_res == RB_RES_DSP      ? "DSPs"
                       : c->util_res == RB_RES_BRAM36 ? "block RAMs"
                       : c->util_res == RB_RES_FF     ? "flip-flops"
                                                      : "LUTs");
    else
        at += snprintf(buf + at, len - (size_t)at, ", %.2f W, %.3g mJ per call, %.3g mm^2",
                       c->power_w, c->energy_j * 1e3, c->size);
    if (sp->target == RB_XT_ASIC)
        at += snprintf(buf + at, len - (size_t)at, " (modeled)");
    else
        at += snprintf(buf + at, len - (size_t)at, " (cycles %s, resources %s)",
                       c->sim_state == RB_XS_CONFIRMED   ? "simulated"
                       : c->sim_state == RB_XS_DISAGREES ? "DISAGREE with the simulation"
                                                         : "estimated",
                       c->synth_state == RB_XS_CONFIRMED ? "synthesized" : "estimated");
    if (isfinite(c->accuracy))
        at += snprintf(buf + at, len - (size_t)at, "; test accuracy %.3f (fp64 %.3f)", c->accuracy,
                       sp->acc_ref);
    if (sp->slo_s > 0 && !c->meets)
        snprintf(buf + at, len - (size_t)at, "; misses the %g ms bound by %.0f %%", sp->slo_s * 1e3,
                 (c->worst_s / sp->slo_s - 1) * 100);
}
