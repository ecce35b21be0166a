/* explore_fpga.c — the fpga accelerator's candidates (explore.h): small's
 * parameters with the swept ones, sized for the points, estimated by the
 * cycle formula, the fitted resource model and the power model. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../targets/fpga/fpga_power.h"
#include "explore.h"

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

/* The fx shape of a point (no weights: the formula and the checks need none). */
static int point_shape(const rb_workload *w, rb_fx_fmt f, rb_fx_model *fx, char *why, size_t len)
{
    memset(fx, 0, sizeof *fx);
    if (rb_explore_unsupported("fpga", w, why, len))
        return -1;
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

/* Candidate i of the sweep: small's parameters with the swept ones, its
 * buffers and limits sized to hold the points. */
void rb_xfpga_make(const rb_explore_spec *sp, long i, rb_explore_cand *c)
{
    const rb_explore_sweep *s = &sp->sweep;
    const rb_fpga_hw *base = rb_fpga_hw_find("small");
    rb_fpga_hw *hw = &c->hw;
    memset(c, 0, sizeof *c);
    *hw = *base;
    hw->name = "custom";
    double v[5];
    const double dflt[5] = {base->lanes, base->clock_hz / 1e6,
                            base->wmem_words * base->fmt.bits / 8192.0,
                            base->fmt.bits * 100 + base->fmt.frac, base->offchip_bpc};
    rb_explore_values(s, i, dflt, 5, v);
    hw->lanes = (int)v[RB_XK_FPGA_LANES];
    hw->vlanes = hw->lanes / 4 < 4 ? 4 : hw->lanes / 4;
    hw->clock_hz = v[RB_XK_FPGA_CLOCK] * 1e6;
    hw->fmt = (rb_fx_fmt){(int)v[RB_XK_FPGA_FORMAT] / 100, (int)v[RB_XK_FPGA_FORMAT] % 100};
    hw->offchip_bpc = v[RB_XK_FPGA_BPC];
    /* on-chip weight memory: the KiB in values of the format, rounded down
     * to LANES x a power of 2 as the RTL needs */
    long values = (long)(v[RB_XK_FPGA_ONCHIP] * 8192.0 / hw->fmt.bits), rows = 1;
    while (rows * 2 * hw->lanes <= values)
        rows *= 2;
    hw->wmem_words = rows * hw->lanes;
    long need_b = 2, need_h = 1, need_i = 1, need_l = 2, need_x = 1, need_y = 1;
    for (int p = 0; p < sp->n_points; p++) {
        const rb_workload *w = sp->points[p];
        long B = rb_explore_point_batch(sp, w), vl = hw->vlanes;
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
    if (s->n[RB_XK_FPGA_BPC])
        snprintf(c->name + strlen(c->name), sizeof c->name - strlen(c->name), "/%gB",
                 hw->offchip_bpc);
    if (values < hw->lanes)
        snprintf(c->refused, sizeof c->refused, "%g KiB holds less than one row of %d lanes",
                 v[RB_XK_FPGA_ONCHIP], hw->lanes);
    else
        rb_fpga_hw_valid(hw, c->refused, sizeof c->refused);
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

/* Power and the share of the part from res[]. */
void rb_xfpga_derive(const rb_explore_spec *sp, rb_explore_cand *c)
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
    c->size = 0;
    const int counted[] = {RB_RES_LUT, RB_RES_FF, RB_RES_DSP, RB_RES_BRAM36, RB_RES_LUTRAM};
    for (size_t k = 0; k < sizeof counted / sizeof counted[0]; k++) {
        int r = counted[k];
        double u = used[r] / sp->part->cap[r];
        if (u > c->size) {
            c->size = u;
            c->util_res = r;
        }
    }
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

/* Resources, then cycles, latency and (under load) p99 of every point;
 * refused[] when one cannot run. */
int rb_xfpga_estimate(const rb_explore_spec *sp, const rb_explore *x, rb_explore_cand *c,
                      const rb_trace *tr, rb_hist *h, rb_err *e)
{
    estimate_resources(x, c);
    for (int p = 0; p < sp->n_points; p++) {
        const rb_workload *w = sp->points[p];
        rb_fx_model fx;
        if (point_shape(w, c->hw.fmt, &fx, c->refused, sizeof c->refused) ||
            rb_fpga_hw_check(&c->hw, &fx, w->seq, rb_explore_point_batch(sp, w), c->refused,
                             sizeof c->refused))
            return 0;
        c->cycles[p] = rb_fpga_cycles_formula(&c->hw, &fx, w->seq, w->batch, c->hw.offchip_bpc);
        c->lat_s[p] = (double)c->cycles[p] / c->hw.clock_hz;
        if (sp->qps > 0) {
            serve_ctx sc = {.hw = &c->hw, .fx = fx, .T = w->seq};
            int rc = rb_explore_p99(tr, h, c->hw.max_b, service, &sc, &c->p99_s[p], e);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int rb_xfpga_prepare(const rb_explore_spec *sp, rb_explore *x, rb_err *e)
{
    return rb_fpga_resmodel_fit(sp->resmodel_dir, &x->rm, e);
}

void rb_xfpga_label(const rb_explore_spec *sp, const rb_explore_cand *c, char *buf, size_t len)
{
    const rb_fpga_hw *hw = &c->hw;
    snprintf(buf, len, "%d lanes at %g MHz, Q%d.%d, %g KiB on chip", hw->lanes, hw->clock_hz / 1e6,
             hw->fmt.bits - 1 - hw->fmt.frac, hw->fmt.frac, hw->wmem_words * hw->fmt.bits / 8192.0);
    (void)sp;
}
