/* fpga.c — the fpga target: an LSTM accelerator in SystemVerilog (rtl/),
 * simulated cycle-accurately with Verilator.
 *
 * Latency is counted clock cycles / clock (simulated); outputs are the
 * accelerator's fixed-point results, dequantized, so their error against the
 * fp32 reference is the quality cost of the number format (stored, not
 * hidden).  Every timestep the RTL simulates is checked bit for bit against
 * the C golden model (golden.c); a difference fails the result.
 *
 * Simulation modes (--fpga-sim): full runs every timestep in RTL.  sampled
 * runs the first one and two timesteps and extrapolates the cycle count —
 * valid because the design has no data-dependent control, so every timestep
 * costs the same (cross-checked against the exact cycle formula when the
 * weights are on chip, and by test against full simulation); the outputs of
 * all timesteps then come from the golden model.  auto picks full below
 * RB_FPGA_FULL_SIM_LANE_CYCLES of predicted work.
 *
 * The simulation is deterministic: a repeated call with the same input
 * reuses the first call's result instead of simulating again. */
#include "../target.h"

#ifdef RB_HAVE_VERILATOR
#include "fpga.h"
#endif

/* The options, in both builds: one built without Verilator still shows them. */
static const char *const sim_modes[] = {"auto", "full", "sampled", NULL};
static const rb_target_option fpga_options[] = {
    {
        .name = "config",
        .metavar = "CONFIG",
        .def = "small",
        .positional = 1,
        .flag = "fpga-config",
        .help = "fpga hardware: small, large, small8, or an INI file of\n"
                "run-time parameters (base = small|large|small8,\n"
                "clock_mhz, offchip_bytes_per_cycle)",
#ifdef RB_HAVE_VERILATOR
        .offers = rb_fpga_config_names,
#endif
    },
    {.name = "clock_mhz",
     .kind = RB_TOPT_NUMBER,
     .metavar = "MHZ",
     .min = 1,
     .max = 2000,
     .flag = "fpga-clock-mhz",
     .help = "fpga clock in MHz (default: the configuration's)"},
    {.name = "sim",
     .metavar = "MODE",
     .def = "auto",
     .choices = sim_modes,
     .flag = "fpga-sim",
     .aside = 1,
     .help = "full | sampled | auto: simulate every timestep in RTL, or the\n"
             "first few and extrapolate the cycles (outputs from the\n"
             "bit-exact golden model); auto: full below a cycle budget"},
    {0},
};

#ifdef RB_HAVE_VERILATOR
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fpga.h"
#include "fpga_power.h"

typedef struct fpga_session {
    fpga_config cfg;
    rb_fpga_sim *sim;
} fpga_session;

typedef struct fpga_state {
    rb_fx_model fx;
    rb_workload w;
    uint64_t load_cycles;
    int16_t *x, *h0, *c0, *y; /* quantized input and golden output of the last call */
    int have_h0, have_c0;
    int cached;           /* the last call's results below are valid for x/h0/c0 */
    rb_fpga_counters ctr; /* cycles for all T (measured or extrapolated) */
    int sampled, steps_simulated;
    double sim_wall_s;   /* host time the RTL simulation took */
    uint64_t sim_cycles; /* cycles it simulated (all runs of a sampled call) */
} fpga_state;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void close_session(rb_target *t)
{
    fpga_session *ss = t->session;
    if (ss && ss->sim)
        rb_fpga_sim_free(ss->sim);
    free(ss);
    t->session = NULL;
}

static int probe(rb_target *t, rb_device_info *out, rb_err *e)
{
    fpga_session *ss = calloc(1, sizeof *ss);
    if (!ss)
        return rb_errf(e, RB_ENOMEM, "fpga: out of memory");
    int rc = rb_fpga_config(t, &ss->cfg, e);
    char err[512] = "";
    if (!rc && !(ss->sim = rb_fpga_sim_new(ss->cfg.hw->name, err, sizeof err)))
        rc = rb_errf(e, RB_EUNAVAIL, "fpga: cannot start the %s simulation: %s", ss->cfg.hw->name,
                     err);
    if (!rc && rb_fpga_sim_set_offchip_bpc(ss->sim, ss->cfg.offchip_bpc))
        rc = rb_errf(e, RB_EINPUT, "fpga: off-chip bandwidth %g B/cycle refused",
                     ss->cfg.offchip_bpc);
    if (rc) {
        t->session = ss;
        close_session(t);
        return rc;
    }
    t->session = ss;
    const rb_fpga_hw *hw = ss->cfg.hw;
    char fmt[16];
    rb_fx_fmt_name(hw->fmt, fmt, sizeof fmt);
    snprintf(out->name, sizeof out->name,
             "fpga %s: %d MAC lanes, %s, %.0f MHz (simulated RTL, Verilator)", hw->name, hw->lanes,
             fmt, ss->cfg.clock_mhz);
    snprintf(out->type, sizeof out->type, "fpga");
    snprintf(out->numerics, sizeof out->numerics, "fixed %s", fmt);
    out->peak_flops = 2.0 * hw->lanes * ss->cfg.clock_mhz * 1e6; /* one MAC per lane per cycle */
    out->mem_bw = ss->cfg.offchip_bpc * ss->cfg.clock_mhz * 1e6;
    /* Synthesized resources (targets/fpga/synth/<config>.resources, for the
     * CMake-default parameters: a rebuild with other ones gets none rather
     * than the defaults' counts) and the modeled power at this clock: energy
     * is then power x simulated latency, stored with source "model". */
    rb_err re = {0};
    char params[256];
    snprintf(params, sizeof params,
             "DATA_W=%d FRAC=%d LANES=%d VLANES=%d WMEM_WORDS=%ld XMEM_WORDS=%ld YMEM_WORDS=%ld "
             "MAX_B=%d MAX_H=%d MAX_I=%d MAX_L=%d OC_FIFO=%d",
             hw->fmt.bits, hw->fmt.frac, hw->lanes, hw->vlanes, hw->wmem_words, hw->xmem_words,
             hw->ymem_words, hw->max_b, hw->max_h, hw->max_i, hw->max_l, hw->oc_fifo);
    int nr = rb_fpga_resources(hw->name, params, out->resources, RB_DEVICE_MAX_RESOURCES, &re);
    if (nr > 0) {
        out->n_resources = nr;
        out->power_w =
            rb_fpga_power_w(out->resources, nr, ss->cfg.clock_mhz, RB_FPGA_DEFAULT_ACTIVITY,
                            out->power_source, sizeof out->power_source);
    } else {
        snprintf(out->power_source, sizeof out->power_source, "unknown: %.80s", re.msg);
    }
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "config", hw->name);
    cJSON_AddStringToObject(x, "source", ss->cfg.source);
    cJSON_AddStringToObject(x, "resembles", hw->describes ? hw->describes : "");
    cJSON_AddStringToObject(x, "format", fmt);
    cJSON_AddNumberToObject(x, "data_bits", hw->fmt.bits);
    cJSON_AddNumberToObject(x, "frac_bits", hw->fmt.frac);
    cJSON_AddNumberToObject(x, "lanes", hw->lanes);
    cJSON_AddNumberToObject(x, "update_lanes", hw->vlanes);
    cJSON_AddNumberToObject(x, "clock_mhz", ss->cfg.clock_mhz);
    cJSON_AddNumberToObject(x, "offchip_bytes_per_cycle", ss->cfg.offchip_bpc);
    cJSON_AddNumberToObject(x, "wmem_words", (double)hw->wmem_words);
    cJSON_AddNumberToObject(x, "xmem_words", (double)hw->xmem_words);
    cJSON_AddNumberToObject(x, "max_batch", hw->max_b);
    cJSON_AddNumberToObject(x, "max_hidden", hw->max_h);
    cJSON_AddNumberToObject(x, "max_input", hw->max_i);
    cJSON_AddNumberToObject(x, "max_layers", hw->max_l);
    cJSON_AddStringToObject(x, "sim", rb_fpga_sim_mode_name(ss->cfg.sim));
    cJSON_AddStringToObject(x, "resources",
                            nr > 0 ? "synthesized by Yosys: targets/fpga/synth" : re.msg);
    char *json = cJSON_PrintUnformatted(x);
    cJSON_Delete(x);
    if (json && strlen(json) < sizeof out->extra_json)
        memcpy(out->extra_json, json, strlen(json) + 1);
    free(json);
    return 0;
}

static void unload(rb_target *t)
{
    fpga_state *s = t->priv;
    if (!s)
        return;
    rb_fx_model_free(&s->fx);
    free(s->x);
    free(s->h0);
    free(s->c0);
    free(s->y);
    free(s);
    t->priv = NULL;
}

static int load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e)
{
    fpga_session *ss = t->session;
    const rb_fpga_hw *hw = ss->cfg.hw;
    fpga_state *s = calloc(1, sizeof *s);
    if (!s)
        return rb_errf(e, RB_ENOMEM, "fpga: out of memory");
    t->priv = s;
    s->w = *w;
    /* RB_EUNAVAIL without input projection */
    int rc = rb_fx_model_from(&s->fx, m, hw->fmt, e);
    if (rc)
        return rc;
    /* Sizes beyond the configuration are a property of the hardware, not a
     * failure: the result says "unsupported" and which limit.  The time axis
     * only has to fit for full simulation (sampled needs a few steps). */
    char err[512] = "";
    if (rb_fpga_sim_check(hw, &s->fx, RB_FPGA_SAMPLED_STEPS, w->batch, err, sizeof err))
        return rb_errf(e, RB_EUNAVAIL, "%s does not fit: %s", w->key, err);
    size_t nx = (size_t)w->seq * w->batch * w->input, ns = (size_t)w->layers * w->batch * w->hidden,
           ny = (size_t)w->seq * w->batch * w->hidden;
    s->x = malloc(nx * sizeof *s->x);
    s->h0 = malloc(ns * sizeof *s->h0);
    s->c0 = malloc(ns * sizeof *s->c0);
    s->y = malloc(ny * sizeof *s->y);
    if (!s->x || !s->h0 || !s->c0 || !s->y)
        return rb_errf(e, RB_ENOMEM, "fpga: out of memory for %s", w->key);
    if (rb_fpga_sim_load(ss->sim, &s->fx, &s->load_cycles, err, sizeof err))
        return rb_errf(e, RB_ERUNTIME, "fpga: loading the model into the RTL failed: %s", err);
    return 0;
}

/* Quantize the batch; returns 1 when it is the same as the last call's. */
static int same_input(fpga_state *s, const rb_batch *in)
{
    size_t nx = (size_t)s->w.seq * s->w.batch * s->w.input,
           ns = (size_t)s->w.layers * s->w.batch * s->w.hidden;
    const rb_fx_fmt f = s->fx.fmt;
    int same = s->cached && s->have_h0 == !!in->h0 && s->have_c0 == !!in->c0;
    int16_t q;
    for (size_t i = 0; i < nx; i++) {
        q = rb_fx_quant(f, in->x[i]);
        same &= q == s->x[i];
        s->x[i] = q;
    }
    for (size_t i = 0; i < ns; i++) {
        q = in->h0 ? rb_fx_quant(f, in->h0[i]) : 0;
        same &= q == s->h0[i];
        s->h0[i] = q;
        q = in->c0 ? rb_fx_quant(f, in->c0[i]) : 0;
        same &= q == s->c0[i];
        s->c0[i] = q;
    }
    s->have_h0 = !!in->h0;
    s->have_c0 = !!in->c0;
    return same;
}

/* Simulate `steps` timesteps and check them against the golden output. */
static int simulate(fpga_session *ss, fpga_state *s, int steps, rb_fpga_counters *c, rb_err *e)
{
    size_t per_step = (size_t)s->w.batch * s->w.hidden;
    int16_t *y = malloc((size_t)steps * per_step * sizeof *y);
    if (!y)
        return rb_errf(e, RB_ENOMEM, "fpga: out of memory");
    char err[512] = "";
    double t0 = now_s();
    int rc = rb_fpga_sim_run(ss->sim, steps, s->w.batch, s->x, s->h0, s->c0, y, c, err, sizeof err);
    s->sim_wall_s += now_s() - t0;
    if (rc) {
        free(y);
        return rb_errf(e, RB_ERUNTIME, "fpga: RTL simulation failed: %s", err);
    }
    s->sim_cycles += c->cycles;
    for (size_t i = 0; i < (size_t)steps * per_step; i++)
        if (y[i] != s->y[i]) {
            size_t t = i / per_step, b = (i % per_step) / s->w.hidden, j = i % s->w.hidden;
            rc = rb_errf(e, RB_ERUNTIME,
                         "fpga: RTL and golden model disagree at t=%zu b=%zu unit %zu: RTL %d, "
                         "golden %d (a bug in the RTL or the golden model)",
                         t, b, j, y[i], s->y[i]);
            break;
        }
    free(y);
    return rc;
}

static int run_all(fpga_session *ss, fpga_state *s, rb_err *e)
{
    const int T = s->w.seq;
    int rc = rb_fx_forward(&s->fx, T, s->w.batch, s->x, s->h0, s->c0, s->y, NULL, NULL, e);
    if (rc)
        return rc;
    fpga_sim_mode mode = ss->cfg.sim;
    /* the whole sequence must fit the input/output buffers to simulate it all */
    int whole_fits = !rb_fpga_sim_check(ss->cfg.hw, &s->fx, T, s->w.batch, NULL, 0);
    if (mode == FPGA_SIM_FULL && !whole_fits) {
        char err[512] = "";
        rb_fpga_sim_check(ss->cfg.hw, &s->fx, T, s->w.batch, err, sizeof err);
        return rb_errf(e, RB_EINPUT, "fpga: --fpga-sim full cannot hold %s: %s (sampled can)",
                       s->w.key, err);
    }
    uint64_t predicted =
        rb_fpga_cycles_formula(ss->cfg.hw, &s->fx, T, s->w.batch, ss->cfg.offchip_bpc);
    if (mode == FPGA_SIM_AUTO)
        mode = whole_fits && predicted * (uint64_t)ss->cfg.hw->lanes <= RB_FPGA_FULL_SIM_LANE_CYCLES
                   ? FPGA_SIM_FULL
                   : FPGA_SIM_SAMPLED;
    s->sim_wall_s = 0;
    s->sim_cycles = 0;
    if (mode == FPGA_SIM_FULL || T <= RB_FPGA_SAMPLED_STEPS) {
        s->sampled = 0;
        s->steps_simulated = T;
        return simulate(ss, s, T, &s->ctr, e);
    }
    /* Runs of one and two steps: their difference is the cost of a step. */
    rb_fpga_counters a, c;
    const int n = RB_FPGA_SAMPLED_STEPS;
    if ((rc = simulate(ss, s, n - 1, &a, e)) || (rc = simulate(ss, s, n, &c, e)))
        return rc;
    uint64_t step = c.cycles - a.cycles, stall = c.stall_cycles - a.stall_cycles;
    s->ctr = c;
    s->ctr.cycles = c.cycles + (uint64_t)(T - n) * step;
    s->ctr.stall_cycles = c.stall_cycles + (uint64_t)(T - n) * stall;
    s->ctr.useful_macs = c.useful_macs / (uint64_t)n * (uint64_t)T;
    /* With weights on chip the formula is exact: the extrapolation must agree. */
    if (c.weights_onchip && s->ctr.cycles != predicted)
        return rb_errf(e, RB_ERUNTIME,
                       "fpga: sampled simulation extrapolates %llu cycles but the design's "
                       "formula gives %llu: the design is not step-periodic (use --fpga-sim full)",
                       (unsigned long long)s->ctr.cycles, (unsigned long long)predicted);
    s->sampled = 1;
    s->steps_simulated = n;
    return 0;
}

static int forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *smp, rb_err *e)
{
    fpga_session *ss = t->session;
    fpga_state *s = t->priv;
    if (!same_input(s, in)) {
        s->cached = 0;
        int rc = run_all(ss, s, e);
        if (rc)
            return rc;
        s->cached = 1;
    }
    size_t ny = (size_t)s->w.seq * s->w.batch * s->w.hidden;
    for (size_t i = 0; i < ny; i++)
        out->data[i] = (float)rb_fx_dequant(s->fx.fmt, s->y[i]);

    const rb_fpga_hw *hw = ss->cfg.hw;
    double hz = ss->cfg.clock_mhz * 1e6;
    smp->device_s = (double)s->ctr.cycles / hz;
    smp->time_source = RB_SRC_SIMULATED;
    rb_sample_metric(smp, "cycles", (double)s->ctr.cycles, "cycles",
                     s->sampled ? RB_SRC_MODELED : RB_SRC_SIMULATED);
    rb_sample_metric(smp, "clock_mhz", ss->cfg.clock_mhz, "MHz", RB_SRC_MODELED);
    rb_sample_metric(smp, "load_cycles", (double)s->load_cycles, "cycles", RB_SRC_SIMULATED);
    rb_sample_metric(smp, "load_ms", (double)s->load_cycles / hz * 1e3, "ms", RB_SRC_SIMULATED);
    rb_sample_metric(smp, "stall_cycles", (double)s->ctr.stall_cycles, "cycles",
                     s->sampled ? RB_SRC_MODELED : RB_SRC_SIMULATED);
    rb_sample_metric(
        smp, "lane_utilization",
        s->ctr.cycles ? (double)s->ctr.useful_macs / ((double)hw->lanes * s->ctr.cycles) : 0,
        "ratio", s->sampled ? RB_SRC_MODELED : RB_SRC_SIMULATED);
    rb_sample_metric(smp, "weights_onchip", s->ctr.weights_onchip, "bool", RB_SRC_SIMULATED);
    rb_sample_metric(smp, "sim_sampled", s->sampled, "bool", RB_SRC_SIMULATED);
    rb_sample_metric(smp, "sim_steps_rtl", s->steps_simulated, "steps", RB_SRC_SIMULATED);
    if (s->sim_wall_s > 0)
        rb_sample_metric(smp, "sim_cycles_per_s", (double)s->sim_cycles / s->sim_wall_s, "cycles/s",
                         RB_SRC_MEASURED);
    return 0;
}

const rb_target_ops rb_target_fpga_ops = {
    .name = "fpga",
    .method = RB_SRC_SIMULATED,
    .description = "LSTM accelerator RTL (SystemVerilog) simulated cycle-accurately by Verilator",
    .probe = probe,
    .load = load,
    .forward = forward,
    .unload = unload,
    .close = close_session,
    .options = fpga_options,
};
#else
const rb_target_ops rb_target_fpga_ops = {
    .name = "fpga",
    .method = RB_SRC_SIMULATED,
    .description = "LSTM accelerator RTL (SystemVerilog) simulated cycle-accurately by Verilator",
    .unavailable = "built without Verilator: run scripts/setup.sh (it installs verilator and "
                   "yosys) and rebuild",
    .options = fpga_options,
};
#endif
