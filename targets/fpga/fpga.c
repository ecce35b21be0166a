/* fpga.c — the fpga target: an LSTM/GRU/RNN accelerator in SystemVerilog
 * (rtl/), simulated cycle-accurately with Verilator.
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
 * Reversed and bidirectional stacks (imported models) run as passes of
 * plain stacks, the only thing the RTL runs (fpga_passes.c): the cycles and
 * the latency are the passes' start-to-done cycles summed.  The host's work
 * between passes (reversing sequences in time, concatenating the two
 * directions into the next layer's input) is not counted as device time,
 * as the host's writes of x and reads of y are not.  Rewriting the weights
 * between passes, which this RTL needs (its weight memory holds one pass:
 * it has no base register to keep several resident), is device time on
 * every call: the latency includes it, and reload_cycles says how much.
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
    fpga_pass *pass; /* the plan: [npass] passes (one for a plain stack) */
    int npass;
    uint64_t *pass_load;      /* load-port cycles of each pass's weights and biases */
    int resident;             /* the pass whose weights the RTL holds, -1 for none */
    fpga_bufs bufs;           /* the host's buffers between passes */
    uint64_t load_cycles;     /* the whole model's: every pass's, summed */
    int16_t *x, *h0, *c0, *y; /* quantized input and golden output of the last call */
    int have_h0, have_c0;
    int cached;           /* the last call's results below are valid for x/h0/c0 */
    rb_fpga_counters ctr; /* cycles for all T, every pass summed (measured or extrapolated) */
    int sampled, steps_simulated;
    double sim_wall_s;   /* host time the RTL simulation took */
    uint64_t sim_cycles; /* cycles it simulated (all runs of a sampled call) */
    fpga_session *ss;    /* for the pass callback */
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
        snprintf(out->power_boundary, sizeof out->power_boundary, RB_BOUNDARY_CHIP);
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
    free(s->pass);
    free(s->pass_load);
    rb_fpga_bufs_free(&s->bufs);
    free(s->x);
    free(s->h0);
    free(s->c0);
    free(s->y);
    free(s);
    t->priv = NULL;
}

/* A pass beyond the configuration: which one, and why it is that wide. */
static int pass_unfit(const fpga_state *s, int k, const char *why, rb_err *e)
{
    const fpga_pass *p = &s->pass[k];
    if (s->npass == 1 && !p->reverse)
        return rb_errf(e, RB_EUNAVAIL, "%s does not fit: %s", s->w.key, why);
    char name[64];
    rb_fpga_pass_name(&s->fx, p, name, sizeof name);
    return rb_errf(e, RB_EUNAVAIL, "%s does not fit: %s (pass %d of %d, %s%s)", s->w.key, why,
                   k + 1, s->npass, name,
                   p->layer0 > 0 && rb_fx_dirs(&s->fx) == 2
                       ? ", whose input is both directions' outputs, 2H wide"
                       : "");
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
    s->ss = ss;
    s->resident = -1;
    /* RB_EUNAVAIL without input projection */
    int rc = rb_fx_model_from(&s->fx, m, hw->fmt, e);
    if (rc)
        return rc;
    int units = rb_fx_units(&s->fx);
    s->pass = calloc((size_t)units, sizeof *s->pass);
    s->pass_load = calloc((size_t)units, sizeof *s->pass_load);
    if (!s->pass || !s->pass_load)
        return rb_errf(e, RB_ENOMEM, "fpga: out of memory for %s", w->key);
    s->npass = rb_fpga_plan(&s->fx, s->pass);
    /* Sizes beyond the configuration are a property of the hardware, not a
     * failure: the result says "unsupported" and which limit.  The time axis
     * only has to fit for full simulation (sampled needs a few steps). */
    char err[512] = "";
    for (int k = 0; k < s->npass; k++)
        if (rb_fpga_hw_check(hw, &s->pass[k].view, RB_FPGA_SAMPLED_STEPS, w->batch, err,
                             sizeof err))
            return pass_unfit(s, k, err, e);
    const int D = rb_fx_dirs(&s->fx);
    size_t nx = (size_t)w->seq * w->batch * w->input,
           ns = (size_t)w->layers * D * w->batch * w->hidden,
           ny = (size_t)w->seq * w->batch * D * w->hidden;
    s->x = malloc(nx * sizeof *s->x);
    s->h0 = malloc(ns * sizeof *s->h0);
    s->c0 = malloc(ns * sizeof *s->c0);
    s->y = malloc(ny * sizeof *s->y);
    if (!s->x || !s->h0 || !s->c0 || !s->y)
        return rb_errf(e, RB_ENOMEM, "fpga: out of memory for %s", w->key);
    if ((rc = rb_fpga_bufs_alloc(&s->bufs, &s->fx, s->pass, s->npass, w->seq, w->batch, e)))
        return rc;
    /* Every pass's weights go through the load port once: the model's
     * loading.  The last pass's stay in the RTL. */
    for (int k = 0; k < s->npass; k++) {
        if (rb_fpga_sim_load(ss->sim, &s->pass[k].view, &s->pass_load[k], err, sizeof err))
            return rb_errf(e, RB_ERUNTIME, "fpga: loading the model into the RTL failed: %s", err);
        s->load_cycles += s->pass_load[k];
        s->resident = k;
    }
    return 0;
}

/* One pass of work() as load() and run_all() would see it: refused where
 * load() refuses it, else the simulated lane-cycles of a call, and of the
 * weight writes a call repeats when the RTL holds only one pass. */
static int pass_work(const fpga_session *ss, const rb_fx_model *view, const rb_workload *w,
                     int npass, double *sim, rb_err *e)
{
    const rb_fpga_hw *hw = ss->cfg.hw;
    const int T = w->seq, B = w->batch;
    char err[512] = "";
    if (rb_fpga_hw_check(hw, view, RB_FPGA_SAMPLED_STEPS, B, err, sizeof err))
        return rb_errf(e, RB_EUNAVAIL, "%s does not fit: %s", w->key, err);
    uint64_t all = rb_fpga_cycles_formula(hw, view, T, B, ss->cfg.offchip_bpc);
    int full = ss->cfg.sim == FPGA_SIM_FULL ||
               (ss->cfg.sim == FPGA_SIM_AUTO && !rb_fpga_hw_check(hw, view, T, B, NULL, 0) &&
                all * (uint64_t)hw->lanes <= RB_FPGA_FULL_SIM_LANE_CYCLES);
    double cycles = full || T <= RB_FPGA_SAMPLED_STEPS
                        ? (double)all
                        : (double)rb_fpga_cycles_formula(hw, view, RB_FPGA_SAMPLED_STEPS - 1, B,
                                                         ss->cfg.offchip_bpc) +
                              (double)rb_fpga_cycles_formula(hw, view, RB_FPGA_SAMPLED_STEPS, B,
                                                             ss->cfg.offchip_bpc);
    *sim += cycles * hw->lanes;
    if (npass > 1)
        *sim += (double)rb_fpga_weight_words(hw, view) * hw->lanes;
    return 0;
}

/* --dry-run's cost of a call: the golden model's arithmetic (the default
 * flops) plus the RTL simulation of each pass (fpga_passes.c's plan from
 * the shapes: one pass, or two per layer when bidirectional). */
static int work(rb_target *t, const rb_workload *w, rb_call_work *c, rb_err *e)
{
    const fpga_session *ss = t->session;
    if (!w->input_proj)
        return rb_errf(e, RB_EUNAVAIL, "the fpga accelerator has no mode without input projection");
    rb_fx_model view = {.fmt = ss->cfg.hw->fmt,
                        .cell = w->cell,
                        .input = w->input,
                        .hidden = w->hidden,
                        .layers = w->layers,
                        .gates = rb_cell_gates(w->cell)};
    if (rb_workload_dirs(w) == 1)
        return pass_work(ss, &view, w, 1, &c->sim, e);
    view.layers = 1;
    for (int l = 0; l < w->layers; l++) {
        view.input = l ? 2 * w->hidden : w->input;
        for (int d = 0; d < 2; d++) {
            int rc = pass_work(ss, &view, w, 2 * w->layers, &c->sim, e);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Quantize the batch; returns 1 when it is the same as the last call's. */
static int same_input(fpga_state *s, const rb_batch *in)
{
    size_t nx = (size_t)s->w.seq * s->w.batch * s->w.input,
           ns = (size_t)rb_fx_units(&s->fx) * s->w.batch * s->w.hidden;
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

/* Simulate the first `steps` timesteps of pass k (x, h0, c0 as the pass
 * runs them) and check them against its golden output y. */
static int simulate(fpga_state *s, int k, int steps, const int16_t *x, const int16_t *h0,
                    const int16_t *c0, const int16_t *yg, rb_fpga_counters *c, rb_err *e)
{
    const fpga_pass *p = &s->pass[k];
    const int T = s->w.seq, H = s->w.hidden;
    size_t per_step = (size_t)s->w.batch * H;
    int16_t *y = malloc((size_t)steps * per_step * sizeof *y);
    if (!y)
        return rb_errf(e, RB_ENOMEM, "fpga: out of memory");
    char err[512] = "";
    double t0 = now_s();
    int rc = rb_fpga_sim_run(s->ss->sim, steps, s->w.batch, x, h0, c0, y, c, err, sizeof err);
    s->sim_wall_s += now_s() - t0;
    if (rc) {
        free(y);
        return rb_errf(e, RB_ERUNTIME, "fpga: RTL simulation failed: %s", err);
    }
    s->sim_cycles += c->cycles;
    for (size_t i = 0; i < (size_t)steps * per_step; i++)
        if (y[i] != yg[i]) {
            /* in the workload's terms: its time step, and unit j of the last layer of the pass */
            size_t st = i / per_step, b = (i % per_step) / H, j = i % H;
            size_t t = p->reverse ? (size_t)T - 1 - st : st;
            char where[80] = "";
            if (s->npass > 1 || p->reverse) {
                char name[64];
                snprintf(where, sizeof where, " (%s)", rb_fpga_pass_name(&s->fx, p, name, 64));
            }
            rc = rb_errf(e, RB_ERUNTIME,
                         "fpga: RTL and golden model disagree at t=%zu b=%zu unit %zu%s: RTL %d, "
                         "golden %d (a bug in the RTL or the golden model)",
                         t, b, j, where, y[i], yg[i]);
            break;
        }
    free(y);
    return rc;
}

/* rb_fpga_passes_forward's callback: pass k on the RTL, after the golden
 * model ran it; its counters are added to the call's. */
static int run_pass(void *ctx, int k, const int16_t *x, const int16_t *h0, const int16_t *c0,
                    const int16_t *yg, rb_err *e)
{
    fpga_state *s = ctx;
    fpga_session *ss = s->ss;
    const rb_fx_model *view = &s->pass[k].view;
    const int T = s->w.seq;
    char err[512] = "";
    if (s->resident != k) {
        /* the RTL holds one pass's weights: write this pass's (reload_cycles) */
        s->resident = -1;
        if (rb_fpga_sim_load(ss->sim, view, NULL, err, sizeof err))
            return rb_errf(e, RB_ERUNTIME, "fpga: loading pass %d into the RTL failed: %s", k + 1,
                           err);
        s->resident = k;
    }
    rb_fpga_counters c;
    int rc;
    if (!s->sampled) {
        if ((rc = simulate(s, k, T, x, h0, c0, yg, &c, e)))
            return rc;
    } else {
        /* Runs of one and two steps: their difference is the cost of a step. */
        rb_fpga_counters a;
        const int n = RB_FPGA_SAMPLED_STEPS;
        if ((rc = simulate(s, k, n - 1, x, h0, c0, yg, &a, e)) ||
            (rc = simulate(s, k, n, x, h0, c0, yg, &c, e)))
            return rc;
        uint64_t step = c.cycles - a.cycles, stall = c.stall_cycles - a.stall_cycles;
        c.cycles += (uint64_t)(T - n) * step;
        c.stall_cycles += (uint64_t)(T - n) * stall;
        c.useful_macs = c.useful_macs / (uint64_t)n * (uint64_t)T;
        /* With weights on chip the formula is exact: the extrapolation must agree. */
        uint64_t predicted =
            rb_fpga_cycles_formula(ss->cfg.hw, view, T, s->w.batch, ss->cfg.offchip_bpc);
        if (c.weights_onchip && c.cycles != predicted)
            return rb_errf(e, RB_ERUNTIME,
                           "fpga: sampled simulation extrapolates %llu cycles but the design's "
                           "formula gives %llu: the design is not step-periodic (use --fpga-sim "
                           "full)",
                           (unsigned long long)c.cycles, (unsigned long long)predicted);
    }
    s->ctr.cycles += c.cycles;
    s->ctr.stall_cycles += c.stall_cycles;
    s->ctr.useful_macs += c.useful_macs;
    s->ctr.weights_onchip &= c.weights_onchip;
    return 0;
}

static int run_all(fpga_session *ss, fpga_state *s, rb_err *e)
{
    const int T = s->w.seq, B = s->w.batch;
    const rb_fpga_hw *hw = ss->cfg.hw;
    fpga_sim_mode mode = ss->cfg.sim;
    /* the whole sequence must fit the input/output buffers to simulate it
     * all: every pass's */
    int unfit = -1;
    uint64_t predicted = 0;
    for (int k = 0; k < s->npass; k++) {
        if (unfit < 0 && rb_fpga_hw_check(hw, &s->pass[k].view, T, B, NULL, 0))
            unfit = k;
        predicted += rb_fpga_cycles_formula(hw, &s->pass[k].view, T, B, ss->cfg.offchip_bpc);
    }
    if (mode == FPGA_SIM_FULL && unfit >= 0) {
        char err[512] = "";
        rb_fpga_hw_check(hw, &s->pass[unfit].view, T, B, err, sizeof err);
        return rb_errf(e, RB_EINPUT, "fpga: --fpga-sim full cannot hold %s: %s (sampled can)",
                       s->w.key, err);
    }
    if (mode == FPGA_SIM_AUTO)
        mode = unfit < 0 && predicted * (uint64_t)hw->lanes <= RB_FPGA_FULL_SIM_LANE_CYCLES
                   ? FPGA_SIM_FULL
                   : FPGA_SIM_SAMPLED;
    s->sim_wall_s = 0;
    s->sim_cycles = 0;
    memset(&s->ctr, 0, sizeof s->ctr);
    s->ctr.weights_onchip = 1;
    s->ctr.load_cycles = s->load_cycles;
    s->sampled = mode == FPGA_SIM_SAMPLED && T > RB_FPGA_SAMPLED_STEPS;
    s->steps_simulated = s->sampled ? RB_FPGA_SAMPLED_STEPS : T;
    return rb_fpga_passes_forward(&s->fx, s->pass, s->npass, T, B, s->x, s->h0, s->c0, s->y,
                                  &s->bufs, run_pass, s, e);
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
    size_t ny = (size_t)s->w.seq * s->w.batch * rb_workload_y_width(&s->w);
    for (size_t i = 0; i < ny; i++)
        out->data[i] = (float)rb_fx_dequant(s->fx.fmt, s->y[i]);

    const rb_fpga_hw *hw = ss->cfg.hw;
    double hz = ss->cfg.clock_mhz * 1e6;
    /* a multi-pass inference rewrites the weights before each pass on this
     * RTL: that is time the device spends on every call, so it is latency */
    double reload = s->npass > 1 ? (double)s->load_cycles : 0;
    smp->device_s = ((double)s->ctr.cycles + reload) / hz;
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
    /* on-chip memory in use: the resident pass's packed weights when they
     * stay on chip (the x/y buffers are the configuration's, not counted) */
    if (s->ctr.weights_onchip && s->resident >= 0)
        rb_sample_metric(smp, "mem_bytes",
                         (double)rb_fpga_weight_words(hw, &s->pass[s->resident].view) * hw->lanes *
                             ((hw->fmt.bits + 7) / 8),
                         "bytes", RB_SRC_SIMULATED);
    rb_sample_metric(smp, "sim_sampled", s->sampled, "bool", RB_SRC_SIMULATED);
    rb_sample_metric(smp, "sim_steps_rtl", s->steps_simulated, "steps", RB_SRC_SIMULATED);
    if (s->sim_wall_s > 0)
        rb_sample_metric(smp, "sim_cycles_per_s", (double)s->sim_cycles / s->sim_wall_s, "cycles/s",
                         RB_SRC_MEASURED);
    if (!rb_fx_is_plain(&s->fx)) {
        /* cycles above are the passes' compute, summed; rewriting the RTL's
         * one weight memory between passes is this, per inference */
        rb_sample_metric(smp, "passes", s->npass, "passes", RB_SRC_SIMULATED);
        rb_sample_metric(smp, "reload_cycles", reload, "cycles", RB_SRC_SIMULATED);
    }
    return 0;
}

const rb_target_ops rb_target_fpga_ops = {
    .name = "fpga",
    .method = RB_SRC_SIMULATED,
    .description =
        "LSTM/GRU/RNN accelerator RTL (SystemVerilog) simulated cycle-accurately by Verilator",
    .probe = probe,
    .load = load,
    .forward = forward,
    .unload = unload,
    .close = close_session,
    .work = work,
    .options = fpga_options,
    /* as passes of the plain stack the RTL runs (fpga_passes.c); the cell
     * has no peepholes, clip or coupled forget gate, the gru's r scales
     * W_hn h + b_hn (PyTorch's; reset_before is not built), and the RTL has
     * no row lengths */
    .features = RB_FEAT_REVERSE | RB_FEAT_BIDIR,
    .cells = RB_CELLS_ALL,
};
#else
const rb_target_ops rb_target_fpga_ops = {
    .name = "fpga",
    .method = RB_SRC_SIMULATED,
    .description =
        "LSTM/GRU/RNN accelerator RTL (SystemVerilog) simulated cycle-accurately by Verilator",
    .unavailable = "built without Verilator: run scripts/setup.sh (it installs verilator and "
                   "yosys) and rebuild",
    .options = fpga_options,
};
#endif
