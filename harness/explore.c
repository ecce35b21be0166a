/* explore.c — candidates of a sweep, their estimates, the Pareto front and
 * the choice (explore.h). */
#include "explore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../targets/fpga/fpga_power.h"
#include "../workloads/decimal.h"
#include "serving.h"

const char *const rb_explore_key_names[RB_XK_N] = {"lanes", "clock_mhz", "onchip_kib", "format",
                                                   "offchip_bpc"};

/* "q3.12" -> bits 16, frac 12, as bits * 100 + frac */
static int parse_format(const char *s, double *out)
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

int rb_explore_sweep_add(rb_explore_sweep *s, const char *kv, rb_err *e)
{
    const char *eq = strchr(kv, '=');
    int k = 0;
    while (eq && k < RB_XK_N &&
           (strlen(rb_explore_key_names[k]) != (size_t)(eq - kv) ||
            strncmp(kv, rb_explore_key_names[k], (size_t)(eq - kv))))
        k++;
    if (!eq || k == RB_XK_N)
        return rb_errf(e, RB_EINPUT,
                       "--sweep '%s': want KEY=LIST with KEY one of lanes, clock_mhz, onchip_kib, "
                       "format, offchip_bpc",
                       kv);
    if (s->n[k])
        return rb_errf(e, RB_EINPUT, "--sweep %s given twice", rb_explore_key_names[k]);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", eq + 1);
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (s->n[k] == RB_EXPLORE_MAX_VALUES)
            return rb_errf(e, RB_EINPUT, "--sweep %s: more than %d values", rb_explore_key_names[k],
                           RB_EXPLORE_MAX_VALUES);
        double v;
        int bad = k == RB_XK_FORMAT ? parse_format(t, &v)
                                    : rb_parse_decimal(t, &v, NULL) || !(v > 0) || v > 1e9 ||
                                          (k == RB_XK_LANES && v != floor(v));
        if (bad)
            return rb_errf(e, RB_EINPUT, "--sweep %s: '%s' is not %s", rb_explore_key_names[k], t,
                           k == RB_XK_FORMAT
                               ? "a format qI.F with 8 to 16 bits and 1 <= F <= bits - 2"
                           : k == RB_XK_LANES ? "a whole number of lanes"
                                              : "a number > 0");
        for (int j = 0; j < s->n[k]; j++)
            if (s->v[k][j] == v)
                return rb_errf(e, RB_EINPUT, "--sweep %s: '%s' given twice",
                               rb_explore_key_names[k], t);
        s->v[k][s->n[k]++] = v;
    }
    if (!s->n[k])
        return rb_errf(e, RB_EINPUT, "--sweep %s: no values", rb_explore_key_names[k]);
    return 0;
}

long rb_explore_sweep_size(const rb_explore_sweep *s)
{
    long n = 1;
    for (int k = 0; k < RB_XK_N; k++)
        n *= s->n[k] ? s->n[k] : 1;
    return n;
}

static const char *const k_objectives[] = {"resources", "power", "energy"};

const char *rb_explore_objective_name(rb_explore_objective o) { return k_objectives[o]; }

int rb_explore_objective_parse(const char *s, rb_explore_objective *o)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, k_objectives[i])) {
            *o = (rb_explore_objective)i;
            return 0;
        }
    return -1;
}

/* Capacities from the data sheets: LUTs, flip-flops, DSP48E1 slices and
 * 36 Kb block RAMs as listed; LUTRAM = distributed RAM bits / 64 (one
 * SLICEM LUT holds 64 bits); CARRY4 = slices (one per slice). */
static const rb_fpga_part k_parts[] = {
    {"xc7z020",
     "Zynq-7000",
     "Xilinx DS190 (Zynq-7000 SoC overview), Z-7020",
     {53200, 106400, 220, 140, 17400, 13300}},
    {"xc7a200t",
     "Artix-7",
     "Xilinx DS180 (7 series overview), XC7A200T",
     {134600, 269200, 740, 365, 46200, 33650}},
    {"xc7z045",
     "Zynq-7000",
     "Xilinx DS190 (Zynq-7000 SoC overview), Z-7045",
     {218600, 437200, 900, 545, 70400, 54650}},
};

const rb_fpga_part *rb_fpga_part_find(const char *name)
{
    for (size_t i = 0; i < sizeof k_parts / sizeof k_parts[0]; i++)
        if (!strcmp(k_parts[i].name, name))
            return &k_parts[i];
    return NULL;
}

const char *rb_fpga_part_names(char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof k_parts / sizeof k_parts[0] && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", k_parts[i].name);
    return buf;
}

static long pow2_at_least(long v)
{
    long p = 1;
    while (p < v)
        p *= 2;
    return p;
}

static double value(const rb_explore_sweep *s, int k, long idx, double dflt)
{
    return s->n[k] ? s->v[k][idx % s->n[k]] : dflt;
}

/* The fx shape of a point (no weights: the formula and the checks need none). */
static int point_shape(const rb_workload *w, rb_fx_fmt f, rb_fx_model *fx, char *why, size_t len)
{
    memset(fx, 0, sizeof *fx);
    if (w->cell != RB_CELL_LSTM && w->cell != RB_CELL_RNN)
        return snprintf(why, len, "the accelerator computes lstm and rnn cells, not %s",
                        rb_cell_name(w->cell)),
               -1;
    if (w->mode != RB_MODE_INFER)
        return snprintf(why, len, "the accelerator runs inference only (%.100s)", w->key), -1;
    if (!w->input_proj)
        return snprintf(why, len, "the accelerator always multiplies x by W_ih (%.100s)", w->key),
               -1;
    if (rb_workload_dirs(w) != 1)
        return snprintf(why, len,
                        "explore sizes one-direction stacks; a bidirectional one runs as passes "
                        "(%.100s)",
                        w->key),
               -1;
    fx->fmt = f;
    fx->cell = w->cell;
    fx->input = w->input;
    fx->hidden = w->hidden;
    fx->layers = w->layers;
    fx->gates = rb_cell_gates(w->cell);
    return 0;
}

/* The batch a point runs at: its own, or the server's largest under load. */
static int point_batch(const rb_explore_spec *sp, const rb_workload *w)
{
    return sp->qps > 0 ? RB_SCN_DEFAULT_SERVER_BATCH : w->batch;
}

/* Candidate i of the sweep: small's parameters with the swept ones, its
 * buffers and limits sized to hold the points. */
static void make_candidate(const rb_explore_spec *sp, long i, rb_explore_cand *c)
{
    const rb_explore_sweep *s = &sp->sweep;
    const rb_fpga_hw *base = rb_fpga_hw_find("small");
    rb_fpga_hw *hw = &c->hw;
    memset(c, 0, sizeof *c);
    *hw = *base;
    hw->name = "custom";
    long at = i;
    double v[RB_XK_N];
    double dflt[RB_XK_N] = {base->lanes, base->clock_hz / 1e6,
                            base->wmem_words * base->fmt.bits / 8192.0,
                            base->fmt.bits * 100 + base->fmt.frac, base->offchip_bpc};
    for (int k = 0; k < RB_XK_N; k++) {
        v[k] = value(s, k, at, dflt[k]);
        at /= s->n[k] ? s->n[k] : 1;
    }
    hw->lanes = (int)v[RB_XK_LANES];
    hw->vlanes = hw->lanes / 4 < 4 ? 4 : hw->lanes / 4;
    hw->clock_hz = v[RB_XK_CLOCK_MHZ] * 1e6;
    hw->fmt = (rb_fx_fmt){(int)v[RB_XK_FORMAT] / 100, (int)v[RB_XK_FORMAT] % 100};
    hw->offchip_bpc = v[RB_XK_OFFCHIP_BPC];
    /* on-chip weight memory: the KiB in values of the format, rounded down
     * to LANES x a power of 2 as the RTL needs */
    long values = (long)(v[RB_XK_ONCHIP_KIB] * 8192.0 / hw->fmt.bits), rows = 1;
    while (rows * 2 * hw->lanes <= values)
        rows *= 2;
    hw->wmem_words = rows * hw->lanes;
    long need_b = 2, need_h = 1, need_i = 1, need_l = 2, need_x = 1, need_y = 1;
    for (int p = 0; p < sp->n_points; p++) {
        const rb_workload *w = sp->points[p];
        long B = point_batch(sp, w), vl = hw->vlanes;
        need_b = B > need_b ? B : need_b;
        need_h = w->hidden > need_h ? w->hidden : need_h;
        need_i = w->input > need_i ? w->input : need_i;
        need_l = w->layers > need_l ? w->layers : need_l;
        long x = (long)w->seq * B * ((w->input + vl - 1) / vl * vl);
        long y = (long)w->seq * B * ((w->hidden + vl - 1) / vl * vl);
        need_x = x > need_x ? x : need_x;
        need_y = y > need_y ? y : need_y;
    }
#define GROW(field, need)                                                                          \
    hw->field = pow2_at_least(need) > hw->field ? pow2_at_least(need) : hw->field
    GROW(max_b, need_b);
    GROW(max_h, need_h);
    GROW(max_h, (hw->lanes + 3) / 4);
    GROW(max_i, need_i);
    GROW(max_l, need_l);
    GROW(xmem_words, need_x);
    GROW(ymem_words, need_y);
#undef GROW
    snprintf(c->name, sizeof c->name, "l%d/%gMHz/%gKiB/Q%d.%d", hw->lanes, hw->clock_hz / 1e6,
             hw->wmem_words * hw->fmt.bits / 8192.0, hw->fmt.bits - 1 - hw->fmt.frac, hw->fmt.frac);
    if (s->n[RB_XK_OFFCHIP_BPC])
        snprintf(c->name + strlen(c->name), sizeof c->name - strlen(c->name), "/%gB",
                 hw->offchip_bpc);
    if (rb_fpga_hw_valid(hw, c->refused, sizeof c->refused))
        return;
    if (hw->wmem_words < hw->lanes)
        snprintf(c->refused, sizeof c->refused, "%g KiB holds less than one row of %d lanes",
                 v[RB_XK_ONCHIP_KIB], hw->lanes);
}

/* Block RAMs of the memories the resource model does not see (x, y, h, c:
 * the sweep holds them at small's sizes): one RAMB36 per 32 Kib, as Yosys
 * maps them (the map.u_xmem ... lines of targets/fpga/synth/sweep/). */
static double buffer_brams(const rb_fpga_hw *hw)
{
    double bits = hw->fmt.bits;
    double words[] = {hw->xmem_words, hw->ymem_words,
                      (double)hw->max_l * 2 * hw->max_b * hw->max_h, /* h: two banks */
                      (double)hw->max_l * hw->max_b * hw->max_h};
    double n = 0;
    for (int i = 0; i < 4; i++)
        n += ceil(words[i] * bits / 32768.0);
    return n;
}

static void estimate_resources(const rb_explore *x, rb_explore_cand *c)
{
    rb_fpga_shape sh = {c->hw.lanes, c->hw.fmt.bits, (double)c->hw.wmem_words};
    for (int r = 0; r < RB_NRES; r++)
        c->res[r] = fmax(0, round(rb_fpga_resmodel_predict(&x->rm, &sh, r)));
    /* the sweep's syntheses had small's buffers: add what this one's differ by */
    rb_fpga_hw swept = *rb_fpga_hw_find("small");
    swept.fmt = c->hw.fmt;
    c->res[RB_RES_BRAM36] += buffer_brams(&c->hw) - buffer_brams(&swept);
}

/* Power, utilization, cost and the constraints from res[] and the latencies. */
static void derive(const rb_explore_spec *sp, rb_explore_cand *c)
{
    rb_metric m[RB_NRES];
    for (int r = 0; r < RB_NRES; r++) {
        memset(&m[r], 0, sizeof m[r]);
        snprintf(m[r].name, sizeof m[r].name, "%s", rb_fpga_res_names[r]);
        m[r].value = c->res[r];
    }
    c->power_w = rb_fpga_power_w(m, RB_NRES, c->hw.clock_hz / 1e6, sp->activity, c->power_how,
                                 sizeof c->power_how);
    /* LUTs used as logic and as memory share the part's LUTs */
    double used[RB_NRES];
    memcpy(used, c->res, sizeof used);
    used[RB_RES_LUT] += used[RB_RES_LUTRAM];
    c->util = 0;
    const int counted[] = {RB_RES_LUT, RB_RES_FF, RB_RES_DSP, RB_RES_BRAM36, RB_RES_LUTRAM};
    for (size_t k = 0; k < sizeof counted / sizeof counted[0]; k++) {
        int r = counted[k];
        double u = used[r] / sp->part->cap[r];
        if (u > c->util) {
            c->util = u;
            c->util_res = r;
        }
    }
    c->worst_s = 0;
    c->energy_j = 0;
    for (int p = 0; p < sp->n_points; p++) {
        double t = sp->qps > 0 ? c->p99_s[p] : c->lat_s[p];
        c->worst_s = fmax(c->worst_s, t);
        c->energy_j += c->power_w * c->lat_s[p] / sp->n_points;
    }
    c->fits = c->util <= 1.0;
    c->meets = !(sp->slo_s > 0) || c->worst_s <= sp->slo_s;
    c->cost = sp->objective == RB_OBJ_POWER    ? c->power_w
              : sp->objective == RB_OBJ_ENERGY ? c->energy_j
                                               : c->util;
}

typedef struct serve_ctx {
    const rb_fpga_hw *hw;
    rb_fx_model fx;
    int T;
    double t[RB_SERVE_MAX_BATCH + 1]; /* service time per batch size, 0: not yet */
} serve_ctx;

static int service(void *ctx, int n, double *seconds, rb_err *e)
{
    (void)e;
    serve_ctx *s = ctx;
    if (!s->t[n])
        s->t[n] = (double)rb_fpga_cycles_formula(s->hw, &s->fx, s->T, n, s->hw->offchip_bpc) /
                  s->hw->clock_hz;
    *seconds = s->t[n];
    return 0;
}

/* Cycles, latency and (under load) p99 of every point; refused[] when one
 * cannot run. */
static int estimate_points(const rb_explore_spec *sp, const rb_trace *tr, rb_hist *h,
                           rb_explore_cand *c, rb_err *e)
{
    for (int p = 0; p < sp->n_points; p++) {
        const rb_workload *w = sp->points[p];
        rb_fx_model fx;
        if (point_shape(w, c->hw.fmt, &fx, c->refused, sizeof c->refused) ||
            rb_fpga_hw_check(&c->hw, &fx, w->seq, point_batch(sp, w), c->refused,
                             sizeof c->refused))
            return 0;
        c->cycles[p] = rb_fpga_cycles_formula(&c->hw, &fx, w->seq, w->batch, c->hw.offchip_bpc);
        c->lat_s[p] = (double)c->cycles[p] / c->hw.clock_hz;
        if (sp->qps > 0) {
            serve_ctx sc = {.hw = &c->hw, .fx = fx, .T = w->seq};
            rb_batch_policy pol = {.max_batch = c->hw.max_b < RB_SCN_DEFAULT_SERVER_BATCH
                                                    ? c->hw.max_b
                                                    : RB_SCN_DEFAULT_SERVER_BATCH};
            rb_serve_result r = {.lat = h};
            int rc = rb_serve_simulate(RB_SCN_SERVER, tr, &pol, service, &sc, &r, e);
            if (rc)
                return rc;
            c->p99_s[p] = rb_hist_quantile(h, 0.99);
        }
    }
    return 0;
}

static int dominates(const rb_explore_cand *a, const rb_explore_cand *b)
{
    return a->worst_s <= b->worst_s && a->power_w <= b->power_w && a->util <= b->util &&
           (a->worst_s < b->worst_s || a->power_w < b->power_w || a->util < b->util);
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
    /* the cheapest that misses the bound and costs less than the choice
     * (or, with no choice, the one nearest the bound): what the bound costs */
    for (long i = 0; i < x->n; i++) {
        rb_explore_cand *c = &x->c[i];
        if (c->refused[0] || !c->fits || c->meets)
            continue;
        int cheaper = x->chosen < 0 || c->cost < x->c[x->chosen].cost;
        if (!cheaper)
            continue;
        long m = x->near_miss;
        if (m < 0 || (x->chosen >= 0 ? better(c, &x->c[m]) : c->worst_s < x->c[m].worst_s))
            x->near_miss = i;
    }
}

int rb_explore_fpga(const rb_explore_spec *sp, const char *resmodel_dir, rb_explore *x, rb_err *e)
{
    memset(x, 0, sizeof *x);
    x->chosen = x->near_miss = -1;
    long n = rb_explore_sweep_size(&sp->sweep);
    if (n > RB_EXPLORE_MAX_CANDIDATES)
        return rb_errf(e, RB_EINPUT,
                       "the sweep spans %ld candidates, more than %d: sweep fewer "
                       "values",
                       n, RB_EXPLORE_MAX_CANDIDATES);
    if (sp->n_points < 1)
        return rb_errf(e, RB_EINPUT, "no workload point to size the accelerator for");
    int rc = rb_fpga_resmodel_fit(resmodel_dir, &x->rm, e);
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
            return rb_errf(e, RB_ENOMEM, "out of memory");
        if ((rc = rb_trace_poisson(&tr, sp->qps, 4000, 1, e))) {
            free(h);
            return rc;
        }
    }
    for (long i = 0; i < n && !rc; i++) {
        rb_explore_cand *c = &x->c[i];
        make_candidate(sp, i, c);
        if (c->refused[0])
            continue;
        estimate_resources(x, c);
        rc = estimate_points(sp, &tr, h, c, e);
    }
    rb_trace_free(&tr);
    free(h);
    if (rc)
        return rc;
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
    const rb_fpga_hw *hw = &c->hw;
    int at = snprintf(buf, len, "%d lanes at %g MHz, Q%d.%d, %g KiB on chip: ", hw->lanes,
                      hw->clock_hz / 1e6, hw->fmt.bits - 1 - hw->fmt.frac, hw->fmt.frac,
                      hw->wmem_words * hw->fmt.bits / 8192.0);
    if (sp->qps > 0)
        at += snprintf(buf + at, len - (size_t)at, "%.3g ms p99 at %g q/s", c->worst_s * 1e3,
                       sp->qps);
    else
        at += snprintf(buf + at, len - (size_t)at, "%.3g ms", c->worst_s * 1e3);
    at += snprintf(buf + at, len - (size_t)at, ", %.2f W, %.0f %% of an %s's %s", c->power_w,
                   c->util * 100, sp->part->name,
                   c->util_res == RB_RES_DSP      ? "DSPs"
                   : c->util_res == RB_RES_BRAM36 ? "block RAMs"
                   : c->util_res == RB_RES_FF     ? "flip-flops"
                                                  : "LUTs");
    at += snprintf(buf + at, len - (size_t)at, " (cycles %s, resources %s)",
                   c->sim_state == RB_XS_CONFIRMED   ? "simulated"
                   : c->sim_state == RB_XS_DISAGREES ? "DISAGREE with the simulation"
                                                     : "estimated",
                   c->synth_state == RB_XS_CONFIRMED ? "synthesized" : "estimated");
    if (sp->slo_s > 0 && !c->meets)
        snprintf(buf + at, len - (size_t)at, "; misses the %g ms bound by %.0f %%", sp->slo_s * 1e3,
                 (c->worst_s / sp->slo_s - 1) * 100);
}
