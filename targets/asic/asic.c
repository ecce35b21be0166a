/* asic.c — the asic target: an accelerator that is not on the desk,
 * predicted by an analytical model (asic_model.c, MODEL.md) from a preset,
 * with real outputs from an emulated forward in the preset's datatype
 * (asic_numerics.c), checked against the reference like every target.
 *
 * Latency and energy are modeled, and stored so (latency source "modeled",
 * energy source "model", with the breakdown and the active bound as
 * metrics); nothing here is a measurement.  The model and the emulation are
 * deterministic: a repeated call with the same input reuses the outputs. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../target.h"
#include "asic.h"

typedef struct asic_state {
    rb_asic_qmodel *q;
    rb_asic_result r;
    rb_workload w;
    float *x, *h0, *c0; /* the last call's input, to recognise a repeat */
    int *lens;          /* and its row lengths */
    int have_h0, have_c0, have_lens, cached;
    float *y;
} asic_state;

static rb_asic_preset *preset_of(rb_target *t) { return t->session; }

static void close_session(rb_target *t)
{
    free(t->session);
    t->session = NULL;
}

static void add_resource(rb_device_info *d, const char *name, double v, const char *unit,
                         const char *source)
{
    if (d->n_resources >= RB_DEVICE_MAX_RESOURCES)
        return;
    rb_metric *m = &d->resources[d->n_resources++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->value = v;
    snprintf(m->unit, sizeof m->unit, "%s", unit);
    snprintf(m->source, sizeof m->source, "%s", source);
}

static void describe(const rb_asic_preset *p, rb_device_info *out)
{
    char num[sizeof out->numerics];
    rb_asic_numerics_name(&p->num, num, sizeof num);
    snprintf(out->name, sizeof out->name, "asic %s: %dx%d %s MACs, %.0f MHz (analytical model)",
             p->name, p->rows, p->cols, rb_asic_dtype_name(p->num.dtype), p->clock_mhz);
    snprintf(out->type, sizeof out->type, "asic");
    snprintf(out->numerics, sizeof out->numerics, "%s", num);
    out->peak_flops = 2.0 * p->rows * p->cols * p->clock_mhz * 1e6;
    out->mem_bw = p->offchip_gbs * 1e9;
    out->power_w = p->static_w;
    snprintf(out->power_source, sizeof out->power_source,
             "model: preset static power; dynamic energy per result (MODEL.md)");
    snprintf(out->power_boundary, sizeof out->power_boundary, RB_BOUNDARY_CHIP);
    add_resource(out, "MACS", (double)p->rows * p->cols, "", "preset");
    add_resource(out, "WEIGHT_SRAM", p->weight_sram_bytes, "bytes", "preset");
    add_resource(out, "ACT_SRAM", p->act_sram_bytes, "bytes", "preset");
    add_resource(out, "ACC_SRAM", p->acc_sram_bytes, "bytes", "preset");
    /* the area model's (MODEL.md "Area"): per MAC and per SRAM bit, fitted
     * to TPU v1's floor plan */
    rb_asic_area area;
    rb_asic_area_of(p, &area);
    add_resource(out, "AREA_MM2", area.total_mm2, "mm2", "modeled");

    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "preset", p->name);
    cJSON_AddStringToObject(x, "describes", p->describes);
    cJSON_AddStringToObject(x, "source", p->source);
    cJSON_AddNumberToObject(x, "rows", p->rows);
    cJSON_AddNumberToObject(x, "cols", p->cols);
    cJSON_AddNumberToObject(x, "clock_mhz", p->clock_mhz);
    cJSON_AddStringToObject(x, "datatype", rb_asic_dtype_name(p->num.dtype));
    cJSON_AddNumberToObject(x, "acc_bits", p->num.acc_bits);
    cJSON_AddNumberToObject(x, "vector_lanes", p->vector_lanes);
    cJSON_AddBoolToObject(x, "weight_double_buffer", p->weight_double_buffer);
    cJSON_AddStringToObject(x, "schedule", rb_asic_schedule_name(p->schedule));
    cJSON_AddNumberToObject(x, "weight_sram_bytes_per_cycle", p->weight_sram_bpc);
    cJSON_AddNumberToObject(x, "act_sram_bytes_per_cycle", p->act_sram_bpc);
    cJSON_AddNumberToObject(x, "offchip_gb_per_s", p->offchip_gbs);
    cJSON_AddNumberToObject(x, "node_nm", p->node_nm);
    cJSON_AddNumberToObject(x, "vdd", p->vdd);
    cJSON_AddNumberToObject(x, "static_w", p->static_w);
    /* the energies the model uses, and where each came from */
    static const char *const names[6] = {"mac_pj",
                                         "weight_sram_pj_per_byte",
                                         "act_sram_pj_per_byte",
                                         "acc_sram_pj_per_byte",
                                         "offchip_pj_per_byte",
                                         "vector_op_pj"};
    const double *use = &p->energy_use.mac;
    cJSON *en = cJSON_AddObjectToObject(x, "energy");
    for (int i = 0; i < 6; i++) {
        cJSON *o = cJSON_AddObjectToObject(en, names[i]);
        cJSON_AddNumberToObject(o, "value", use[i]);
        cJSON_AddStringToObject(o, "from", p->energy_from[i]);
    }
    char *json = cJSON_PrintUnformatted(x);
    cJSON_Delete(x);
    if (json && strlen(json) < sizeof out->extra_json)
        memcpy(out->extra_json, json, strlen(json) + 1);
    free(json);
}

static int probe(rb_target *t, rb_device_info *out, rb_err *e)
{
    rb_asic_preset *p = calloc(1, sizeof *p);
    if (!p)
        return rb_errf(e, RB_ENOMEM, "asic: out of memory");
    int rc = rb_asic_preset_load(rb_target_opt(t, "preset"), p, e);
    if (rc) {
        free(p);
        return rc;
    }
    const char *sched = rb_target_opt(t, "schedule"); /* the choices are checked */
    if (sched)
        rb_asic_schedule_parse(sched, &p->schedule);
    t->session = p;
    describe(p, out);
    return 0;
}

static void unload(rb_target *t)
{
    asic_state *s = t->priv;
    if (!s)
        return;
    rb_asic_qmodel_free(s->q);
    free(s->x);
    free(s->h0);
    free(s->c0);
    free(s->lens);
    free(s->y);
    free(s);
    t->priv = NULL;
}

static int load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e)
{
    const rb_asic_preset *p = preset_of(t);
    asic_state *s = calloc(1, sizeof *s);
    if (!s)
        return rb_errf(e, RB_ENOMEM, "asic: out of memory");
    t->priv = s;
    s->w = *w;
    int rc = rb_asic_model(p, w, &s->r, e);
    if (rc)
        return rc;
    /* RB_EUNAVAIL (an accumulator too narrow for the dot product) is a
     * property of the hardware: the harness stores it as unsupported */
    if ((rc = rb_asic_qmodel_new(&s->q, m, &p->num, w->seq, w->batch, e)))
        return rc;
    size_t nx = (size_t)w->seq * w->batch * rb_workload_x_width(w);
    size_t ns = (size_t)w->layers * rb_workload_dirs(w) * w->batch * w->hidden,
           ny = (size_t)w->seq * w->batch * rb_workload_y_width(w);
    s->x = malloc(nx * sizeof *s->x);
    s->h0 = malloc(ns * sizeof *s->h0);
    s->c0 = malloc(ns * sizeof *s->c0);
    s->lens = malloc((size_t)w->batch * sizeof *s->lens);
    s->y = malloc(ny * sizeof *s->y);
    if (!s->x || !s->h0 || !s->c0 || !s->lens || !s->y)
        return rb_errf(e, RB_ENOMEM, "asic: out of memory for %s", w->key);
    return 0;
}

/* Remember the input; 1 when it is the previous call's. */
static int same_input(asic_state *s, const rb_batch *in)
{
    size_t nx = (size_t)s->w.seq * s->w.batch * rb_workload_x_width(&s->w);
    size_t ns = (size_t)s->w.layers * rb_workload_dirs(&s->w) * s->w.batch * s->w.hidden;
    size_t nb = (size_t)s->w.batch;
    int same = s->cached && s->have_h0 == !!in->h0 && s->have_c0 == !!in->c0 &&
               s->have_lens == !!in->lens && !memcmp(s->x, in->x, nx * sizeof *s->x) &&
               (!in->h0 || !memcmp(s->h0, in->h0, ns * sizeof *s->h0)) &&
               (!in->c0 || !memcmp(s->c0, in->c0, ns * sizeof *s->c0)) &&
               (!in->lens || !memcmp(s->lens, in->lens, nb * sizeof *s->lens));
    if (!same) {
        memcpy(s->x, in->x, nx * sizeof *s->x);
        if (in->h0)
            memcpy(s->h0, in->h0, ns * sizeof *s->h0);
        if (in->c0)
            memcpy(s->c0, in->c0, ns * sizeof *s->c0);
        if (in->lens)
            memcpy(s->lens, in->lens, nb * sizeof *s->lens);
        s->have_h0 = !!in->h0;
        s->have_c0 = !!in->c0;
        s->have_lens = !!in->lens;
    }
    return same;
}

static int forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *smp, rb_err *e)
{
    const rb_asic_preset *p = preset_of(t);
    asic_state *s = t->priv;
    size_t ny = (size_t)s->w.seq * s->w.batch * rb_workload_y_width(&s->w);
    if (!same_input(s, in)) {
        s->cached = 0;
        int rc = rb_asic_forward(s->q, in, s->y, e);
        if (rc)
            return rc;
        s->cached = 1;
    }
    memcpy(out->data, s->y, ny * sizeof *out->data);

    const rb_asic_result *r = &s->r;
    smp->device_s = r->latency_s;
    smp->time_source = RB_SRC_MODELED;
    smp->energy_j = r->e_total;
    smp->energy_source = RB_ESRC_MODEL;
    rb_sample_metric(smp, "cycles", r->cycles, "cycles", RB_SRC_MODELED);
    rb_sample_metric(smp, "clock_mhz", p->clock_mhz, "MHz", RB_SRC_MODELED);
    rb_sample_metric(smp, "utilization", r->utilization, "ratio", RB_SRC_MODELED);
    static const char *const bound[RB_ASIC_NBOUNDS] = {"bound_array_frac", "bound_weights_frac",
                                                       "bound_acts_frac", "bound_vector_frac"};
    for (int k = 0; k < RB_ASIC_NBOUNDS; k++)
        rb_sample_metric(smp, bound[k], r->bound_cycles[k] / r->cycles, "ratio", RB_SRC_MODELED);
    rb_sample_metric(smp, "weights_resident", r->weights_resident, "bool", RB_SRC_MODELED);
    rb_sample_metric(smp, "acts_offchip", r->acts_spill, "bool", RB_SRC_MODELED);
    rb_sample_metric(smp, "step_acts_offchip", r->step_spill, "bool", RB_SRC_MODELED);
    /* the schedule this result used; under auto, what the other would take */
    rb_sample_metric(smp, "schedule_hoisted", r->hoisted, "bool", RB_SRC_MODELED);
    if (r->by_auto)
        rb_sample_metric(smp, "schedule_auto_other_cycles", r->other_cycles, "cycles",
                         RB_SRC_MODELED);
    if (r->hoisted)
        rb_sample_metric(smp, "preacts_offchip", r->preacts_spill, "bool", RB_SRC_MODELED);
    rb_sample_metric(smp, "offchip_bytes", r->offchip_bytes, "bytes", RB_SRC_MODELED);
    /* on-chip memory in use: what of the weights and of the activations
     * the SRAMs hold (the rest streams from off chip) */
    rb_sample_metric(smp, "mem_bytes",
                     fmin(r->weight_bytes, p->weight_sram_bytes) +
                         fmin(r->act_bytes, p->act_sram_bytes),
                     "bytes", RB_SRC_MODELED);
    rb_sample_metric(smp, "load_ms", r->load_s * 1e3, "ms", RB_SRC_MODELED);
    rb_sample_metric(smp, "energy_mac_j", r->e_mac, "J", RB_ESRC_MODEL);
    rb_sample_metric(smp, "energy_onchip_j", r->e_onchip, "J", RB_ESRC_MODEL);
    rb_sample_metric(smp, "energy_offchip_j", r->e_offchip, "J", RB_ESRC_MODEL);
    rb_sample_metric(smp, "energy_vector_j", r->e_vector, "J", RB_ESRC_MODEL);
    rb_sample_metric(smp, "energy_static_j", r->e_static, "J", RB_ESRC_MODEL);
    return 0;
}

static const char *const schedules[] = {"fused", "hoisted", "auto", NULL};
static const rb_target_option asic_options[] = {
    {.name = "preset",
     .metavar = "PRESET",
     .def = "tpu-v1",
     .positional = 1,
     .flag = "asic-preset",
     .offers = rb_asic_preset_names,
     .help = "asic accelerator: a preset from targets/asic/presets or an\n"
             "INI file of your own (MODEL.md \"Presets\")"},
    {.name = "schedule",
     .metavar = "SCHEDULE",
     .choices = schedules,
     .help = "where the input product runs: fused, hoisted or\n"
             "auto, the faster per workload (MODEL.md \"Schedules\";\n"
             "default: the preset's)"},
    {0},
};

const rb_target_ops rb_target_asic_ops = {
    .name = "asic",
    .method = RB_SRC_MODELED,
    .description = "LSTM/GRU/RNN ASIC, analytical model from presets (MODEL.md), outputs emulated "
                   "in the preset's datatype",
    .probe = probe,
    .load = load,
    .forward = forward,
    .unload = unload,
    .close = close_session,
    .options = asic_options,
    /* The emulation runs every one in the preset's datatype (the elementwise
     * ones in the fp32 vector unit) and the analytical model counts both
     * directions' units (MODEL.md).  Not stateful: a whole sequence per
     * call.  Not the GRU's reset_before (linear_before_reset = 0): its
     * r (.) h would be a vector-unit pass between two products of one
     * step, which neither the model nor the emulation describes. */
    .features = RB_FEAT_ALL & ~(unsigned)(RB_FEAT_STATEFUL | RB_FEAT_RESET_BEFORE),
    .cells = RB_CELLS_ALL,
};
