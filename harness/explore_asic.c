/* explore_asic.c — the asic model's candidates (explore.h): a base preset
 * with the swept array, clock, weight memory, datatype and off-chip
 * bandwidth, through the analytical model (cycles, energy by component) and
 * the area model (targets/asic/MODEL.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "explore.h"

void rb_explore_asic_preset(const rb_explore_spec *sp, const rb_explore_cand *c, rb_asic_preset *p)
{
    const rb_asic_preset *b = sp->asic_base;
    const rb_explore_asic *a = &c->ax;
    *p = *b;
    snprintf(p->name, sizeof p->name, "%s", c->name);
    snprintf(p->describes, sizeof p->describes, "explored from %s: %dx%d %s MACs, %g MHz", b->name,
             a->rows, a->cols, rb_asic_dtype_name(a->dtype), a->clock_mhz);
    p->rows = a->rows;
    p->cols = a->cols;
    p->clock_mhz = a->clock_mhz;
    p->weight_sram_bytes = a->weight_sram_bytes;
    p->offchip_gbs = a->offchip_gbs;
    p->num.dtype = a->dtype;
    p->num.acc_bits = a->dtype == b->num.dtype    ? b->num.acc_bits
                      : a->dtype == RB_ASIC_INT16 ? 48
                                                  : 32;
    /* the memories feed the array: their bandwidth scales with its width
     * and the datatype's bytes, as the base preset sized them */
    double bytes = rb_asic_dtype_bits(a->dtype) / (double)rb_asic_dtype_bits(b->num.dtype);
    p->weight_sram_bpc = b->weight_sram_bpc * a->cols / b->cols * bytes;
    p->act_sram_bpc = b->act_sram_bpc * a->rows / b->rows * bytes;
    /* a base without a weight memory (edge-npu streams its weights) gives a
     * new one twice the row the array takes in per cycle, dc-bf16's rule */
    if (!(p->weight_sram_bpc > 0))
        p->weight_sram_bpc = 2.0 * a->cols * rb_asic_dtype_bits(a->dtype) / 8;
    /* an energy the base preset gave for its own datatype or memory size
     * does not describe another: the scaled defaults take its place */
    if (a->dtype != b->num.dtype)
        p->energy.mac = -1;
    if (a->weight_sram_bytes != b->weight_sram_bytes)
        p->energy.weight_sram_byte = -1;
    rb_asic_energy_defaults(p);
}

void rb_xasic_make(const rb_explore_spec *sp, long i, rb_explore_cand *c)
{
    const rb_asic_preset *b = sp->asic_base;
    memset(c, 0, sizeof *c);
    const double dflt[5] = {b->rows * 100000.0 + b->cols, b->clock_mhz, b->weight_sram_bytes / 1024,
                            b->num.dtype, b->offchip_gbs};
    double v[5];
    rb_explore_values(&sp->sweep, i, dflt, 5, v);
    rb_explore_asic *a = &c->ax;
    a->rows = (int)(v[RB_XK_ASIC_ARRAY] / 100000);
    a->cols = (int)fmod(v[RB_XK_ASIC_ARRAY], 100000);
    a->clock_mhz = v[RB_XK_ASIC_CLOCK];
    a->weight_sram_bytes = v[RB_XK_ASIC_SRAM] * 1024;
    a->dtype = (rb_asic_dtype)v[RB_XK_ASIC_FORMAT];
    a->offchip_gbs = v[RB_XK_ASIC_GBS];
    if (a->rows == a->cols)
        snprintf(c->name, sizeof c->name, "a%d/%gMHz/%gKiB/%s", a->rows, a->clock_mhz,
                 v[RB_XK_ASIC_SRAM], rb_asic_dtype_name(a->dtype));
    else
        snprintf(c->name, sizeof c->name, "a%dx%d/%gMHz/%gKiB/%s", a->rows, a->cols, a->clock_mhz,
                 v[RB_XK_ASIC_SRAM], rb_asic_dtype_name(a->dtype));
    if (sp->sweep.n[RB_XK_ASIC_GBS])
        snprintf(c->name + strlen(c->name), sizeof c->name - strlen(c->name), "/%gGBs",
                 a->offchip_gbs);
}

typedef struct serve_ctx {
    const rb_asic_preset *p;
    rb_workload w;
    double t[RB_SERVE_MAX_BATCH + 1]; /* service time per batch size, 0: not yet */
} serve_ctx;

static int service(void *ctx, int n, double *seconds, rb_err *e)
{
    serve_ctx *s = ctx;
    if (!s->t[n]) {
        rb_workload w = s->w;
        w.batch = n;
        rb_asic_result r;
        int rc = rb_asic_model(s->p, &w, &r, e);
        if (rc)
            return rc;
        s->t[n] = r.latency_s;
    }
    *seconds = s->t[n];
    return 0;
}

int rb_xasic_estimate(const rb_explore_spec *sp, rb_explore_cand *c, const rb_trace *tr, rb_hist *h,
                      rb_err *e)
{
    rb_asic_preset p;
    rb_explore_asic_preset(sp, c, &p);
    rb_err pe = {0};
    if (rb_asic_numerics_check(&p.num, &pe)) {
        snprintf(c->refused, sizeof c->refused, "%.250s", pe.msg);
        return 0;
    }
    rb_asic_area_of(&p, &c->area);
    c->size = c->area.total_mm2;
    c->power_w = 0;
    for (int k = 0; k < sp->n_points; k++) {
        const rb_workload *w = sp->points[k];
        rb_asic_result r;
        if (w->mode != RB_MODE_INFER) {
            snprintf(c->refused, sizeof c->refused, "the model times inference (%.100s)", w->key);
            return 0;
        }
        if (rb_explore_unsupported("asic", w, c->refused, sizeof c->refused))
            return 0;
        if (rb_asic_model(&p, w, &r, &pe)) {
            snprintf(c->refused, sizeof c->refused, "%.250s", pe.msg);
            return 0;
        }
        c->cycles[k] = (uint64_t)llround(r.cycles);
        c->lat_s[k] = r.latency_s;
        c->energy_pt[k] = r.e_total;
        const double part[5] = {r.e_mac, r.e_onchip, r.e_offchip, r.e_vector, r.e_static};
        for (int i = 0; i < 5; i++)
            c->e_part[i] += part[i] / sp->n_points;
        /* the chip's power while it runs the point: its energy over its time */
        c->power_w = fmax(c->power_w, r.e_total / r.latency_s);
        if (sp->qps > 0) {
            serve_ctx sc = {.p = &p, .w = *w};
            int rc =
                rb_explore_p99(tr, h, RB_SCN_DEFAULT_SERVER_BATCH, service, &sc, &c->p99_s[k], e);
            if (rc)
                return rc;
        }
    }
    snprintf(c->power_how, sizeof c->power_how,
             "model: energy per call / latency, the busiest point (MODEL.md)");
    return 0;
}

void rb_xasic_label(const rb_explore_cand *c, char *buf, size_t len)
{
    const rb_explore_asic *a = &c->ax;
    snprintf(buf, len, "%dx%d %s MACs at %g MHz, %g KiB of weight SRAM", a->rows, a->cols,
             rb_asic_dtype_name(a->dtype), a->clock_mhz, a->weight_sram_bytes / 1024);
}
