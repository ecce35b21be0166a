/* cmd_explore.c — `rnnbench explore`: size the accelerator to build for a
 * workload and a latency bound (explore.c estimates, explore_confirm.c
 * confirms; what is worth keeping goes to results.db like any run). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../targets/fpga/fpga_power.h"
#include "../workloads/files.h"
#include "command.h"
#include "explore.h"
#include "explore_accuracy.h"
#include "explore_confirm.h"
#include "host.h"
#include "signals.h"

static const char explore_help[] =
    "Usage: rnnbench explore --target fpga|asic --sweep KEY=LIST... [workload axes]\n"
    "                        [--slo-ms S] [--qps Q] [--objective resources|area|power|energy]\n"
    "                        [--part NAME] [--preset NAME] [--confirm front|chosen|none]\n"
    "\n"
    "Which accelerator to build: every combination of the swept parameters is a\n"
    "candidate, estimated without simulating it.  fpga: a configuration of the\n"
    "accelerator's RTL, its cycles by the formula the RTL is tested to match cycle for\n"
    "cycle, resources by a model fitted to Yosys syntheses (targets/fpga/synth/sweep/),\n"
    "power by the documented power model.  asic: a preset made from a base preset and\n"
    "the swept values, through the analytical model (cycles, energy by component) and\n"
    "the area model (targets/asic/MODEL.md).  The Pareto front of latency, power and\n"
    "resources (area) is listed, and the cheapest candidate by --objective that fits and\n"
    "meets the bound is chosen, with the cheaper one that misses it.  fpga candidates on\n"
    "the front and the choice are then confirmed: the RTL built with their parameters\n"
    "(Verilator, cached under the build directory), simulated on every point and\n"
    "checked bit for bit against the golden model, and synthesized with Yosys; their\n"
    "figures replace the estimates.  Every figure says whether it is estimated,\n"
    "confirmed or modeled.\n"
    "\n"
    "  --target fpga|asic  what to size\n"
    "  --sweep KEY=LIST    values of one parameter (repeatable; a key not swept keeps\n"
    "                      the base configuration's value: fpga `small`, asic --preset)\n"
    "                      fpga: lanes (powers of 2, at least 16), clock_mhz,\n"
    "                        onchip_kib (weight memory, rounded down to LANES x a power\n"
    "                        of 2 values), format (qI.F: q3.12, q2.5, ...), offchip_bpc\n"
    "                      asic: array (N, or RxC), clock_mhz, sram_kib (weight memory),\n"
    "                        format (int8, int16, fp16, bf16, fp32), offchip_gbs; the\n"
    "                        memories' bandwidth scales with the array and datatype\n"
    "  --slo-ms S          the latency bound: each point's latency, or with --qps its\n"
    "                      p99 under that load (none: every candidate meets it)\n"
    "  --qps Q             queries per second the accelerator serves: Poisson arrivals\n"
    "                      of one-sequence queries, batched up to 8 (an event\n"
    "                      simulation of 4000 queries, the same for every candidate)\n"
    "  --objective NAME    what the choice minimises: resources (fpga: the largest share\n"
    "                      of the part's LUTs, FFs, DSPs, block RAMs) or area (asic:\n"
    "                      mm^2; either name, default), power, or energy (per call)\n"
    "  --part NAME         fpga: the FPGA candidates must fit (default xc7z020)\n"
    "  --activity A        fpga: switching activity of the power model (default 0.125)\n"
    "  --preset NAME       asic: the base preset (default edge-npu; `rnnbench list`)\n"
    "  --max-area-mm2 A    asic: candidates larger than this do not fit\n"
    "  --preset-out FILE   asic: write the chosen candidate as a preset file, for\n"
    "                      `rnnbench run --targets asic --asic-preset FILE`\n"
    "  --task-model DIR    a model `rnnbench train --save DIR` wrote: its test accuracy\n"
    "                      with the recurrent stack in each swept format (fpga: the golden\n"
    "                      model, bit for bit the RTL's; asic: the emulated datatype)\n"
    "                      against fp64; without workload axes, its shape is the point\n"
    "  --inputs DIR --labels FILE\n"
    "                      with one imported --model: its accuracy on these labelled\n"
    "                      inputs (as `rnnbench eval` takes them) in each swept format\n"
    "  --max-accuracy-drop D\n"
    "                      formats losing more accuracy than D (0.02 or 2%) against fp64\n"
    "                      are refused (needs --task-model, or --model with --labels)\n"
    "  --confirm WHICH     fpga: front (default: the front and the choice), chosen, none\n"
    "  --jobs N            compile jobs of a confirming build (default: the CPUs)\n"
    "  --cache DIR         where confirming builds go (default: $RB_FPGA_CONFIRM_CACHE,\n"
    "                      else <build dir>/fpga-confirm)\n"
    "  --label TEXT        label of the stored run\n"
    "  --no-store          print only; write nothing to the database\n"
    "  Without workload axes the point is lstm, T 25, B 1, I = H = 256.\n";

static const char explore_tail[] =
    "\n"
    "Exit status: 0 a candidate was chosen (and every confirmation agreed); 1 none\n"
    "meets the constraints; 2 bad usage; 3 a confirmation disagreed with its\n"
    "estimate, or a run-time failure.\n"
    "\n"
    "Examples:\n"
    "  rnnbench explore --target fpga --hidden 256 --seq 25 --slo-ms 5 --qps 200 \\\n"
    "      --part xc7z045 --sweep lanes=16,32,64,128 --sweep clock_mhz=150,200,300 \\\n"
    "      --sweep onchip_kib=256,1024,4096 --sweep format=q3.12,q2.5\n"
    "  rnnbench explore --target asic --hidden 512 --seq 25 --slo-ms 1 \\\n"
    "      --sweep array=16,32,64,128 --sweep sram_kib=512,2048 --sweep format=int8,bf16\n";

enum {
    OPT_TARGET = RB_OPT_FIRST_FREE,
    OPT_SWEEP,
    OPT_SLO,
    OPT_QPS,
    OPT_OBJECTIVE,
    OPT_PART,
    OPT_ACTIVITY,
    OPT_CONFIRM,
    OPT_JOBS,
    OPT_CACHE,
    OPT_LABEL,
    OPT_NO_STORE,
    OPT_PRESET,
    OPT_MAX_AREA,
    OPT_TASK_MODEL,
    OPT_MAX_DROP,
    OPT_PRESET_OUT,
    OPT_INPUTS,
    OPT_LABELS
};

static const struct option explore_options[] = {
    {"target", required_argument, 0, OPT_TARGET},
    {"sweep", required_argument, 0, OPT_SWEEP},
    {"slo-ms", required_argument, 0, OPT_SLO},
    {"qps", required_argument, 0, OPT_QPS},
    {"objective", required_argument, 0, OPT_OBJECTIVE},
    {"part", required_argument, 0, OPT_PART},
    {"activity", required_argument, 0, OPT_ACTIVITY},
    {"confirm", required_argument, 0, OPT_CONFIRM},
    {"jobs", required_argument, 0, OPT_JOBS},
    {"cache", required_argument, 0, OPT_CACHE},
    {"label", required_argument, 0, OPT_LABEL},
    {"no-store", no_argument, 0, OPT_NO_STORE},
    {"preset", required_argument, 0, OPT_PRESET},
    {"max-area-mm2", required_argument, 0, OPT_MAX_AREA},
    {"task-model", required_argument, 0, OPT_TASK_MODEL},
    {"max-accuracy-drop", required_argument, 0, OPT_MAX_DROP},
    {"preset-out", required_argument, 0, OPT_PRESET_OUT},
    {"inputs", required_argument, 0, OPT_INPUTS},
    {"labels", required_argument, 0, OPT_LABELS},
    {0, 0, 0, 0},
};

typedef enum { CONFIRM_FRONT, CONFIRM_CHOSEN, CONFIRM_NONE } confirm_which;

#define MAX_SWEEPS 16

typedef struct explore_args {
    const char *target, *cache, *label, *preset, *task_model, *preset_out, *inputs, *labels;
    rb_eval_set *set;                  /* an imported model's labelled inputs */
    long acc_n;                        /* documents or inputs the accuracy is over */
    int n_synth;                       /* candidates synthesized, and the resource model's */
    double res_err[RB_NRES];           /* largest relative error against them, per resource */
    const rb_task_saved *task;         /* loaded from task_model */
    const char *sweep_arg[MAX_SWEEPS]; /* parsed once the target is known */
    int n_sweeps;
    rb_explore_spec spec;
    confirm_which confirm;
    long jobs;
    int no_store;
    char sweeps[2048]; /* the --sweep options as given, for the stored run */
} explore_args;

static int explore_option(void *args, int opt, const char *arg, rb_err *e)
{
    explore_args *a = args;
    double d;
    int rc;
    switch (opt) {
    case OPT_TARGET: a->target = arg; return 0;
    case OPT_SWEEP: {
        if (a->n_sweeps == MAX_SWEEPS)
            return rb_errf(e, RB_EINPUT, "more than %d --sweep options", MAX_SWEEPS);
        a->sweep_arg[a->n_sweeps++] = arg;
        size_t at = strlen(a->sweeps);
        snprintf(a->sweeps + at, sizeof a->sweeps - at, "%s%s", at ? " " : "", arg);
        return 0;
    }
    case OPT_PRESET: a->preset = arg; return 0;
    case OPT_TASK_MODEL: a->task_model = arg; return 0;
    case OPT_PRESET_OUT: a->preset_out = arg; return 0;
    case OPT_INPUTS: a->inputs = arg; return 0;
    case OPT_LABELS: a->labels = arg; return 0;
    case OPT_MAX_DROP: return rb_cli_fraction("max-accuracy-drop", arg, &a->spec.max_acc_drop, e);
    case OPT_MAX_AREA:
        return rb_cli_double("max-area-mm2", arg, 1e-9, 1e9, &a->spec.max_area_mm2, e);
    case OPT_SLO:
        if ((rc = rb_cli_double("slo-ms", arg, 1e-6, 1e9, &d, e)))
            return rc;
        a->spec.slo_s = d / 1e3;
        return 0;
    case OPT_QPS: return rb_cli_double("qps", arg, 1e-3, 1e9, &a->spec.qps, e);
    case OPT_ACTIVITY: return rb_cli_double("activity", arg, 0, 1, &a->spec.activity, e);
    case OPT_OBJECTIVE:
        if (rb_explore_objective_parse(arg, &a->spec.objective))
            return rb_errf(e, RB_EINPUT, "--objective '%s': resources (area), power or energy",
                           arg);
        return 0;
    case OPT_PART:
        if (!(a->spec.part = rb_fpga_part_find(arg))) {
            char names[256];
            return rb_errf(e, RB_EINPUT, "--part '%s': one of %s", arg,
                           rb_fpga_part_names(names, sizeof names));
        }
        return 0;
    case OPT_CONFIRM:
        if (!strcmp(arg, "front"))
            a->confirm = CONFIRM_FRONT;
        else if (!strcmp(arg, "chosen"))
            a->confirm = CONFIRM_CHOSEN;
        else if (!strcmp(arg, "none"))
            a->confirm = CONFIRM_NONE;
        else
            return rb_errf(e, RB_EINPUT, "--confirm '%s': front, chosen or none", arg);
        return 0;
    case OPT_JOBS: return rb_cli_long("jobs", arg, 1, 1024, &a->jobs, e);
    case OPT_CACHE: a->cache = arg; return 0;
    case OPT_LABEL: a->label = arg; return 0;
    case OPT_NO_STORE: a->no_store = 1; return 0;
    }
    return rb_errf(e, RB_EINPUT, "unknown option");
}

static const char *state_name(rb_explore_state s)
{
    return s == RB_XS_CONFIRMED ? "confirmed" : s == RB_XS_DISAGREES ? "DISAGREES" : "estimated";
}

static const char *role(const rb_explore *x, long i)
{
    return i == x->chosen      ? "chosen"
           : i == x->near_miss ? (x->chosen >= 0 ? "cheaper, misses" : "nearest")
                               : "";
}

static void print_header(const rb_explore_spec *sp, FILE *f)
{
    fprintf(f, "\n%-28s %10s %8s %7s %10s ", "candidate", sp->qps > 0 ? "p99 ms" : "ms",
            sp->slo_s > 0 ? "bound" : "", "W", "mJ/call");
    if (sp->target == RB_XT_FPGA)
        fprintf(f, "%7s %5s %6s %6s %-10s %-10s\n", "LUT", "DSP", "BRAM36", "util", "cycles",
                "resources");
    else
        fprintf(f, "%8s %8s %8s %8s\n", "mm^2", "MAC mJ", "SRAM mJ", "DRAM mJ");
}

static void print_row(const explore_args *a, const rb_explore *x, long i, FILE *f)
{
    const rb_explore_cand *c = &x->c[i];
    const rb_explore_spec *sp = &a->spec;
    fprintf(f, "%-28s %10.4g %8s %7.3f %10.4g ", c->name, c->worst_s * 1e3,
            sp->slo_s > 0 ? (c->meets ? "meets" : "misses") : "", c->power_w, c->energy_j * 1e3);
    if (sp->target == RB_XT_FPGA)
        fprintf(f, "%7.0f %5.0f %6.0f %5.0f%% %-10s %-10s %s\n", c->res[RB_RES_LUT],
                c->res[RB_RES_DSP], c->res[RB_RES_BRAM36], c->size * 100, state_name(c->sim_state),
                state_name(c->synth_state), role(x, i));
    else
        fprintf(f, "%8.3g %8.3g %8.3g %8.3g %s\n", c->size, c->e_part[0] * 1e3, c->e_part[1] * 1e3,
                c->e_part[2] * 1e3, role(x, i));
}

/* An fpga candidate's device: its parameters, resources (estimated or
 * synthesized) and what confirmation found. */
static void fpga_device(const rb_explore_spec *sp, const rb_explore_cand *c, rb_device_info *d,
                        cJSON *o)
{
    char fmt[16], params[256];
    rb_fx_fmt_name(c->hw.fmt, fmt, sizeof fmt);
    rb_fpga_hw_params(&c->hw, params, sizeof params);
    snprintf(d->name, sizeof d->name, "fpga candidate: %d lanes at %g MHz, %g KiB of weights, %s",
             c->hw.lanes, c->hw.clock_hz / 1e6, c->hw.wmem_words * c->hw.fmt.bits / 8192.0, fmt);
    snprintf(d->type, sizeof d->type, "fpga");
    snprintf(d->numerics, sizeof d->numerics, "fixed %s", fmt);
    d->peak_flops = 2.0 * c->hw.lanes * c->hw.clock_hz;
    cJSON_AddStringToObject(o, "params", params);
    cJSON_AddNumberToObject(o, "utilization", c->size);
    cJSON_AddStringToObject(o, "utilization_of", rb_fpga_res_names[c->util_res]);
    cJSON_AddStringToObject(o, "part", sp->part->name);
    cJSON_AddStringToObject(o, "cycles", state_name(c->sim_state));
    cJSON_AddStringToObject(o, "resources", state_name(c->synth_state));
    if (c->confirm_note[0])
        cJSON_AddStringToObject(o, "note", c->confirm_note);
    for (int r = 0; r < RB_NRES; r++) {
        rb_metric *m = &d->resources[d->n_resources++];
        snprintf(m->name, sizeof m->name, "%s", rb_fpga_res_names[r]);
        m->value = c->res[r];
        snprintf(m->source, sizeof m->source, "%s",
                 c->synth_state == RB_XS_CONFIRMED ? "synthesized" : "estimated");
    }
}

/* An asic candidate's device: its preset's figures and its modeled area. */
static void asic_device(const rb_explore_spec *sp, const rb_explore_cand *c, rb_device_info *d,
                        cJSON *o)
{
    rb_asic_preset p;
    rb_explore_asic_preset(sp, c, &p);
    char num[32];
    rb_asic_numerics_name(&p.num, num, sizeof num);
    snprintf(d->name, sizeof d->name,
             "asic candidate: %dx%d %s MACs at %g MHz, %g KiB of weight "
             "SRAM (from %s)",
             p.rows, p.cols, rb_asic_dtype_name(p.num.dtype), p.clock_mhz,
             p.weight_sram_bytes / 1024, sp->asic_base->name);
    snprintf(d->type, sizeof d->type, "asic");
    snprintf(d->numerics, sizeof d->numerics, "%s", num);
    d->peak_flops = 2.0 * p.rows * p.cols * p.clock_mhz * 1e6;
    d->mem_bw = p.offchip_gbs * 1e9;
    cJSON_AddStringToObject(o, "base", sp->asic_base->name);
    cJSON_AddNumberToObject(o, "area_mm2", c->size);
    cJSON_AddStringToObject(o, "area_how", c->area.how);
    if (sp->max_area_mm2 > 0)
        cJSON_AddNumberToObject(o, "max_area_mm2", sp->max_area_mm2);
    cJSON_AddStringToObject(o, "cycles", "modeled");
    cJSON_AddStringToObject(o, "resources", "modeled");
    const struct {
        const char *name;
        double v;
    } area[] = {{"area_mm2", c->area.total_mm2},
                {"mac_array_mm2", c->area.mac_array_mm2},
                {"sram_mm2", c->area.sram_mm2},
                {"vector_mm2", c->area.vector_mm2}};
    for (size_t i = 0; i < sizeof area / sizeof area[0]; i++) {
        rb_metric *m = &d->resources[d->n_resources++];
        snprintf(m->name, sizeof m->name, "%s", area[i].name);
        m->value = area[i].v;
        snprintf(m->unit, sizeof m->unit, "mm2");
        snprintf(m->source, sizeof m->source, "modeled");
    }
}

static void add_metric(rb_result *r, const char *name, double v, const char *unit, const char *src)
{
    rb_metric *m = &r->metrics[r->n_metrics++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->value = v;
    snprintf(m->unit, sizeof m->unit, "%s", unit);
    snprintf(m->source, sizeof m->source, "%s", src);
}

/* One candidate as a device of the run, its points as results. */
static int store_candidate(rb_store *st, int64_t run_id, const explore_args *a, const rb_explore *x,
                           long i, rb_err *e)
{
    const rb_explore_cand *c = &x->c[i];
    const rb_explore_spec *sp = &a->spec;
    const int fpga = sp->target == RB_XT_FPGA;
    rb_device_info d = {0};
    cJSON *ex = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(ex, "explore");
    cJSON_AddBoolToObject(o, "front", c->front);
    cJSON_AddBoolToObject(o, "chosen", i == x->chosen);
    cJSON_AddBoolToObject(o, "near_miss", i == x->near_miss);
    cJSON_AddBoolToObject(o, "meets", c->meets);
    if (sp->slo_s > 0)
        cJSON_AddNumberToObject(o, "slo_ms", sp->slo_s * 1e3);
    if (sp->qps > 0)
        cJSON_AddNumberToObject(o, "qps", sp->qps);
    cJSON_AddStringToObject(o, "objective", rb_explore_objective_name(sp->target, sp->objective));
    char summary[512];
    rb_explore_describe(sp, c, summary, sizeof summary);
    cJSON_AddStringToObject(o, "summary", summary);
    if (isfinite(c->accuracy)) {
        cJSON_AddNumberToObject(o, "accuracy", c->accuracy);
        cJSON_AddNumberToObject(o, "accuracy_fp64", sp->acc_ref);
    }
    if (fpga)
        fpga_device(sp, c, &d, o);
    else
        asic_device(sp, c, &d, o);
    d.power_w = c->power_w;
    snprintf(d.power_source, sizeof d.power_source, "%s", c->power_how);
    snprintf(d.power_boundary, sizeof d.power_boundary, RB_BOUNDARY_CHIP);
    char *js = cJSON_PrintUnformatted(ex);
    cJSON_Delete(ex);
    snprintf(d.extra_json, sizeof d.extra_json, "%s", js ? js : "");
    free(js);
    const char *method = c->sim_state == RB_XS_CONFIRMED ? RB_SRC_SIMULATED : RB_SRC_MODELED;
    char inst[96];
    snprintf(inst, sizeof inst, "%s:%s", fpga ? "fpga" : "asic", c->name);
    rb_device_id who = {fpga ? "fpga" : "asic", inst, NULL};
    int64_t dev;
    int rc = rb_store_device(st, run_id, &who, method, &d, &dev, e);
    for (int p = 0; p < sp->n_points && !rc; p++) {
        rb_result r;
        rb_result_init(&r);
        r.run_id = run_id;
        r.device_id = dev;
        r.w = sp->points[p];
        snprintf(r.numerics, sizeof r.numerics, "%s", d.numerics);
        r.status = RB_STATUS_OK;
        r.threads = 1;
        r.reps = 1;
        r.median_ms = c->lat_s[p] * 1e3;
        r.throughput_sps = r.w->batch / c->lat_s[p];
        if (sp->qps > 0) {
            r.p99_ms = c->p99_s[p] * 1e3;
            r.offered_qps = sp->qps;
        }
        r.latency_source = method;
        r.energy_j = c->energy_pt[p];
        r.energy_source = RB_ESRC_MODEL;
        r.energy_boundary = RB_BOUNDARY_CHIP;
        add_metric(&r, "cycles", (double)c->cycles[p], "cycles", method);
        if (isfinite(c->accuracy))
            add_metric(&r, "task_accuracy", c->accuracy, "ratio", "eval");
        snprintf(r.message, sizeof r.message, "explore: %s%s%s",
                 fpga ? state_name(c->sim_state) : "modeled", c->confirm_note[0] ? "; " : "",
                 c->confirm_note);
        rc = rb_store_result(st, &r, e);
    }
    if (!rc && isfinite(c->accuracy)) {
        /* the format's accuracy, as `rnnbench eval` stores a target's */
        const rb_task_saved *t = a->task;
        rb_tc_scores maj = {0};
        if (t)
            rb_tc_majority(&t->d, &maj);
        const char *src = t ? a->task_model : a->spec.points[0]->model;
        const char *base = strrchr(src, '/');
        rb_accuracy_row row = {.task = t ? t->meta.task : "imported",
                               .model = base && base[1] ? base + 1 : src,
                               .cell = rb_cell_name(a->spec.points[0]->cell),
                               .phase = "eval",
                               .split = t ? "test" : a->inputs,
                               .numerics = d.numerics,
                               .epoch = t ? t->meta.epoch : 0,
                               .n = a->acc_n,
                               .accuracy = c->accuracy,
                               .macro_f1 = NAN,
                               .loss = NAN,
                               .baseline_accuracy = t ? maj.accuracy : NAN,
                               .baseline_macro_f1 = t ? maj.macro_f1 : NAN,
                               .agreement = NAN};
        rc = rb_store_accuracy(st, run_id, dev, &row, e);
    }
    return rc;
}

static int store_run(const explore_args *a, const rb_explore *x, const char *db, int argc,
                     char **argv, int64_t *run_id, rb_err *e)
{
    rb_store *st = NULL;
    int rc = rb_store_open(&st, db, 0, e);
    if (rc)
        return rc;
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "command", "explore");
    cJSON_AddStringToObject(cfg, "target", a->target);
    cJSON_AddStringToObject(cfg, "sweep", a->sweeps);
    cJSON_AddNumberToObject(cfg, "candidates", (double)x->n);
    if (a->n_synth) { /* the fitted resource model against what was synthesized */
        cJSON *err = cJSON_AddObjectToObject(cfg, "resource_model_error");
        cJSON_AddNumberToObject(err, "syntheses", a->n_synth);
        for (int r = 0; r < RB_NRES; r++)
            cJSON_AddNumberToObject(err, rb_fpga_res_names[r], a->res_err[r]);
    }
    if (a->spec.slo_s > 0)
        cJSON_AddNumberToObject(cfg, "slo_ms", a->spec.slo_s * 1e3);
    if (a->spec.qps > 0)
        cJSON_AddNumberToObject(cfg, "qps", a->spec.qps);
    if (a->spec.target == RB_XT_FPGA)
        cJSON_AddStringToObject(cfg, "part", a->spec.part->name);
    else
        cJSON_AddStringToObject(cfg, "preset", a->spec.asic_base->name);
    char *cj = cJSON_PrintUnformatted(cfg);
    cJSON_Delete(cfg);
    char *host = rb_host_json(), *cmdline = rb_cli_command_line(argc, argv);
    rb_run_info ri = {a->label, RB_GIT_SHA, cmdline, host, cj, "[]", RB_VERSION};
    rc = rb_store_run_begin(st, &ri, run_id, e);
    free(host);
    free(cmdline);
    free(cj);
    /* what is worth a report: the front, the choice and the near miss */
    for (long i = 0; i < x->n && !rc; i++)
        if (x->c[i].front || i == x->chosen || i == x->near_miss)
            rc = store_candidate(st, *run_id, a, x, i, e);
    if (!rc)
        rc = rb_store_run_finish(st, *run_id, "complete", e);
    rb_store_close(st);
    return rc;
}

/* The chosen asic candidate as a preset file (--preset-out). */
static int write_preset(const explore_args *a, const rb_explore_cand *c, FILE *out, rb_err *e)
{
    rb_asic_preset p;
    rb_explore_asic_preset(&a->spec, c, &p);
    FILE *f = rb_fopen_out(a->preset_out, e);
    if (!f)
        return e->code;
    char source[400];
    snprintf(source, sizeof source, "rnnbench explore from the %s preset (%.160s)",
             a->spec.asic_base->name, a->sweeps);
    fprintf(f, "; %s: made by rnnbench explore\n", p.name);
    int bad = rb_asic_preset_write(f, &p, source);
    if (fclose(f) || bad)
        return rb_errf(e, RB_ERUNTIME, "cannot write %s", a->preset_out);
    fprintf(out, "preset written to %s (rnnbench run --targets asic --asic-preset %s)\n",
            a->preset_out, a->preset_out);
    return 0;
}

/* Confirm the fpga front and choice (explore_confirm.c), say what was
 * found, and settle the choice again on the confirmed figures. */
static int confirm(explore_args *a, rb_explore *x, int quiet, int *disagree, FILE *out, rb_err *e)
{
    rb_confirm_env env;
    rb_confirm_env_init(&env, a->cache, a->jobs ? (int)a->jobs : rb_host_ncpus(),
                        quiet ? NULL : stderr);
    double est[RB_NRES], *worst = a->res_err;
    int nsynth = 0, nsim = 0, rc = 0, n = 0;
    rb_explore_cand **sel = malloc((size_t)x->n * sizeof *sel);
    if (!sel)
        return rb_errf(e, RB_ENOMEM, "out of memory");
    for (long i = 0; i < x->n; i++)
        if (!x->c[i].refused[0] &&
            (i == x->chosen || (a->confirm == CONFIRM_FRONT && x->c[i].front)))
            sel[n++] = &x->c[i];
    if (rb_explore_confirm_prefetch(sel, n, &env) == RB_EINTR)
        rc = rb_errf(e, RB_EINTR, "interrupted");
    for (int i = 0; i < n && !rc; i++) {
        rb_explore_cand *c = sel[i];
        rc = rb_explore_confirm(&a->spec, c, &env, est, e);
        nsim += c->sim_state != RB_XS_ESTIMATED;
        *disagree |= c->sim_state == RB_XS_DISAGREES;
        if (c->synth_state == RB_XS_CONFIRMED) {
            nsynth++;
            for (int r = 0; r < RB_NRES; r++)
                if (c->res[r] > 0 && fabs(est[r] / c->res[r] - 1) > fabs(worst[r]))
                    worst[r] = est[r] / c->res[r] - 1;
        }
    }
    free(sel);
    a->n_synth = nsynth;
    if (rc)
        return rc;
    rb_explore_settle(&a->spec, x);
    fprintf(out, "confirmed: %d simulated, %d synthesized\n", nsim, nsynth);
    if (env.no_sim[0])
        fprintf(out, "not simulated here: %s\n", env.no_sim);
    if (env.no_synth[0])
        fprintf(out, "not synthesized here: %s\n", env.no_synth);
    if (nsynth) {
        fprintf(out, "resource model against these syntheses, largest error:");
        for (int r = 0; r < RB_NRES; r++)
            fprintf(out, " %s %+.1f%%", rb_fpga_res_names[r], worst[r] * 100);
        fputc('\n', out);
    }
    return 0;
}

/* The target, its base and the sweep, once the options are all read. */
static int setup(explore_args *a, rb_asic_preset *base, rb_err *e)
{
    if (!a->target)
        return rb_errf(e, RB_EINPUT, "say what to size: --target fpga or --target asic");
    if (!strcmp(a->target, "fpga"))
        a->spec.target = RB_XT_FPGA;
    else if (!strcmp(a->target, "asic"))
        a->spec.target = RB_XT_ASIC;
    else
        return rb_errf(e, RB_EINPUT, "--target '%s': fpga or asic", a->target);
    if (a->spec.target == RB_XT_ASIC) {
        int rc = rb_asic_preset_load(a->preset ? a->preset : "edge-npu", base, e);
        if (rc)
            return rc;
        a->spec.asic_base = base;
    } else if (a->preset || a->preset_out)
        return rb_errf(e, RB_EINPUT,
                       "--preset and --preset-out are the asic's: fpga candidates "
                       "start from `small`");
    if (a->preset_out && rb_out_path_ok(a->preset_out, e))
        return RB_EINPUT;
    for (int i = 0; i < a->n_sweeps; i++) {
        int rc = rb_explore_sweep_add(&a->spec.sweep, a->spec.target, a->sweep_arg[i], e);
        if (rc)
            return rc;
    }
    if (a->spec.max_acc_drop >= 0 && !a->task_model && !a->labels)
        return rb_errf(e, RB_EINPUT,
                       "--max-accuracy-drop needs the model to measure it on: --task-model DIR, "
                       "or --model FILE --inputs DIR --labels FILE");
    if (!a->inputs != !a->labels)
        return rb_errf(e, RB_EINPUT, "--inputs and --labels go together");
    if (a->labels && a->task_model)
        return rb_errf(e, RB_EINPUT, "one model's accuracy: --task-model, or --inputs/--labels");
    return 0;
}

/* A format's scores (format < 0: fp64) on the trained or the imported model. */
static int score(const explore_args *a, double format, rb_tc_scores *sc, rb_err *e)
{
    return a->task ? rb_explore_accuracy(a->task, &a->spec, format, 16, sc, e)
                   : rb_explore_accuracy_imported(a->set, &a->spec, format, sc, e);
}

/* The model's accuracy in fp64 and in every format the sweep has (or the
 * base's), into the spec; said on out. */
static int measure_accuracy(explore_args *a, FILE *out, rb_err *e)
{
    rb_explore_spec *sp = &a->spec;
    int fk = sp->target == RB_XT_FPGA ? RB_XK_FPGA_FORMAT : RB_XK_ASIC_FORMAT;
    if (sp->sweep.n[fk]) {
        sp->n_acc = sp->sweep.n[fk];
        memcpy(sp->acc_fmt, sp->sweep.v[fk], sizeof sp->acc_fmt);
    } else {
        const rb_fpga_hw *small = rb_fpga_hw_find("small");
        sp->n_acc = 1;
        sp->acc_fmt[0] = sp->target == RB_XT_FPGA
                             ? (double)(small->fmt.bits * 100 + small->fmt.frac)
                             : (double)sp->asic_base->num.dtype;
    }
    rb_tc_scores sc;
    int rc = score(a, -1, &sc, e);
    if (rc)
        return rc;
    sp->acc_ref = sc.accuracy;
    a->acc_n = (long)sc.n;
    fprintf(out, "%s, %zu %s: accuracy %.3f in fp64", a->task ? a->task->meta.task : a->inputs,
            sc.n, a->task ? "test documents" : "labelled inputs", sc.accuracy);
    for (int i = 0; i < sp->n_acc && !rc; i++) {
        if ((rc = score(a, sp->acc_fmt[i], &sc, e)))
            break;
        sp->acc[i] = sc.accuracy;
        char name[16];
        if (sp->target == RB_XT_FPGA)
            snprintf(name, sizeof name, "Q%d.%d",
                     (int)sp->acc_fmt[i] / 100 - 1 - (int)sp->acc_fmt[i] % 100,
                     (int)sp->acc_fmt[i] % 100);
        else
            snprintf(name, sizeof name, "%s", rb_asic_dtype_name((rb_asic_dtype)sp->acc_fmt[i]));
        fprintf(out, ", %s %.3f (%+.3f)", name, sc.accuracy, sc.accuracy - sp->acc_ref);
    }
    fputc('\n', out);
    return rc;
}

/* --inputs/--labels: the one imported model the points come from. */
static int open_labelled(explore_args *a, const rb_cli_axes *ax, rb_err *e)
{
    if (!a->labels)
        return 0;
    if (ax->axes.n_model != 1)
        return rb_errf(e, RB_EINPUT,
                       "--inputs and --labels score one imported model: give it with --model FILE");
    return rb_eval_set_open(ax->axes.model[0], a->inputs, a->labels, &a->set, e);
}

/* The workload points: the axes, else the trained model's shape, else one
 * default point. */
static int load_points(explore_args *a, rb_cli_axes *ax, rb_matrix *m, rb_err *e)
{
    if (!ax->given && a->task) {
        const rb_tc_meta *t = &a->task->meta;
        char v[5][32];
        snprintf(v[0], sizeof v[0], "%d", t->seq);
        snprintf(v[1], sizeof v[1], "%d", t->embed);
        snprintf(v[2], sizeof v[2], "%d", t->hidden);
        snprintf(v[3], sizeof v[3], "%d", t->layers);
        snprintf(v[4], sizeof v[4], "%s", t->cell);
        const char *keys[] = {"seq", "input", "hidden", "layers", "cell"};
        for (int i = 0; i < 5; i++)
            if (rb_axes_set(&ax->axes, keys[i], v[i], e))
                return e->code;
    } else if (!ax->given) {
        rb_axes_set(&ax->axes, "hidden", "256", e);
        rb_axes_set(&ax->axes, "seq", "25", e);
    }
    int rc = rb_matrix_from_axes(m, &ax->axes, ax->input_proj, e);
    if (rc)
        return rc;
    if (m->n > RB_EXPLORE_MAX_POINTS)
        return rb_errf(e, RB_EINPUT, "%zu workload points: explore sizes for at most %d", m->n,
                       RB_EXPLORE_MAX_POINTS);
    for (size_t i = 0; i < m->n; i++)
        a->spec.points[a->spec.n_points++] = &m->points[i];
    return 0;
}

/* What fitting means: " an xc7z020", " in 50 mm^2", or "" (no bound). */
static const char *fits_what(const rb_explore_spec *sp, char buf[96])
{
    buf[0] = 0;
    if (sp->target == RB_XT_FPGA)
        snprintf(buf, 96, " an %s", sp->part->name);
    else if (sp->max_area_mm2 > 0)
        snprintf(buf, 96, " in %g mm^2", sp->max_area_mm2);
    return buf;
}

/* The front, the choice and the cheaper candidate that misses the bound. */
static void print_outcome(const explore_args *a, const rb_explore *x, FILE *out)
{
    const rb_explore_spec *sp = &a->spec;
    char fits[96];
    print_header(sp, out);
    for (long i = 0; i < x->n; i++)
        if (x->c[i].front || i == x->chosen || i == x->near_miss)
            print_row(a, x, i, out);
    char line[512];
    if (x->chosen >= 0) {
        rb_explore_describe(sp, &x->c[x->chosen], line, sizeof line);
        fprintf(out, "\nchosen: %s\n", line);
    } else
        fprintf(out, "\nno candidate fits%s and meets the bound\n", fits_what(sp, fits));
    if (x->near_miss >= 0) {
        rb_explore_describe(sp, &x->c[x->near_miss], line, sizeof line);
        fprintf(out, "%s: %s\n", x->chosen >= 0 ? "cheaper" : "nearest", line);
    }
}

/* How many candidates were refused, do not fit or miss, and why each was
 * refused (every reason once, with its count). */
static void print_counts(const explore_args *a, const rb_explore *x, FILE *out)
{
    const rb_explore_spec *sp = &a->spec;
    const int fpga = sp->target == RB_XT_FPGA;
    char fits[96];
    fprintf(out,
            "%ld candidates: %ld refused (%s), %ld do not fit%s, %ld miss the bound; %ld on the "
            "Pareto front\n",
            x->n, x->n_refused, fpga ? "the RTL's rules or the points' needs" : "the model's rules",
            x->n_unfit, fits_what(sp, fits), x->n_missed, x->n_front);
    for (long i = 0, shown = 0; i < x->n && shown < 6; i++) {
        const char *why = x->c[i].refused;
        long same = 0, first = 1;
        for (long j = 0; j < i && first; j++)
            first = strcmp(x->c[j].refused, why) != 0;
        if (!why[0] || !first)
            continue;
        for (long j = i; j < x->n; j++)
            same += !strcmp(x->c[j].refused, why);
        fprintf(out, "  refused (%ld): %s\n", same, why);
        shown++;
    }
}

static int explore_main(int argc, char **argv)
{
    static rb_asic_preset base; /* static: large; lives as long as the spec */
    static rb_task_saved task;
    explore_args a = {0};
    a.spec.max_acc_drop = -1;
    a.spec.objective = RB_OBJ_SIZE;
    a.spec.part = rb_fpga_part_find("xc7z020");
    a.spec.activity = RB_FPGA_DEFAULT_ACTIVITY;
    a.spec.resmodel_dir = RB_SOURCE_DIR "/targets/fpga/synth/sweep";
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_explore, argc, argv, &a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    rb_err e = {0};
    int rc = setup(&a, &base, &e);
    if (rc)
        return rc == RB_EINPUT ? rb_cli_usage("explore", "%s", e.msg) : rb_cli_fail("explore", &e);
    if (a.task_model && (rc = rb_task_load_saved(a.task_model, &task, &e)))
        return rb_cli_fail("explore", &e);
    a.task = a.task_model ? &task : NULL;
    rb_matrix m = {0};
    rb_explore x = {0};
    x.chosen = -1;
    int disagree = 0;
    FILE *out = stdout;
    rb_signals_install();
    if ((rc = load_points(&a, &com.axes, &m, &e)) || (rc = open_labelled(&a, &com.axes, &e)) ||
        ((a.task || a.set) && (rc = measure_accuracy(&a, out, &e))) ||
        (rc = rb_explore_run(&a.spec, &x, &e)))
        goto done;
    print_counts(&a, &x, out);
    if (a.spec.target == RB_XT_FPGA && a.confirm != CONFIRM_NONE &&
        (rc = confirm(&a, &x, com.quiet, &disagree, out, &e)))
        goto done;
    print_outcome(&a, &x, out);
    if (a.preset_out && x.chosen >= 0 && (rc = write_preset(&a, &x.c[x.chosen], out, &e)))
        goto done;
    if (!a.no_store) {
        int64_t run_id = 0;
        if (!(rc = store_run(&a, &x, com.db, argc, argv, &run_id, &e)))
            fprintf(out, "stored as run %lld in %s (rnnbench report --run %lld --html)\n",
                    (long long)run_id, com.db, (long long)run_id);
    }
done:
    rb_explore_free(&x);
    rb_matrix_free(&m);
    if (a.task)
        rb_task_saved_free(&task);
    rb_eval_set_free(a.set);
    if (rc)
        return rb_cli_fail("explore", &e);
    return disagree ? 3 : x.chosen < 0 ? 1 : 0;
}

const rb_command rb_command_explore = {
    .name = "explore",
    .summary = "size an accelerator for a workload and a latency bound (design-space sweep)",
    .help = explore_help,
    .help_tail = explore_tail,
    .uses = RB_USE_DB | RB_USE_QUIET | RB_USE_AXES,
    .options = explore_options,
    .option = explore_option,
    .main = explore_main,
};
