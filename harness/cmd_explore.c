/* cmd_explore.c — `rnnbench explore`: size the accelerator to build for a
 * workload and a latency bound (explore.c estimates, explore_confirm.c
 * confirms; what is worth keeping goes to results.db like any run). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../targets/fpga/fpga_power.h"
#include "command.h"
#include "explore.h"
#include "explore_confirm.h"
#include "host.h"
#include "signals.h"

static const char explore_help[] =
    "Usage: rnnbench explore --target fpga --sweep KEY=LIST... [workload axes]\n"
    "                        [--slo-ms S] [--qps Q] [--objective resources|power|energy]\n"
    "                        [--part NAME] [--confirm front|chosen|none] [--db FILE]\n"
    "\n"
    "Which accelerator to build: every combination of the swept parameters is a\n"
    "candidate configuration of the fpga accelerator, estimated without simulating\n"
    "it: cycles by the formula the RTL is tested to match cycle for cycle, resources\n"
    "by a model fitted to Yosys syntheses (targets/fpga/synth/sweep/), power by the\n"
    "documented power model.  The Pareto front of latency, power and resources is\n"
    "listed, and the cheapest candidate by --objective that fits the part and meets\n"
    "the bound is chosen, with the cheaper one that misses it.  The front and the\n"
    "choice are then confirmed: the RTL built with their parameters (Verilator,\n"
    "cached under the build directory), simulated on every point and checked bit\n"
    "for bit against the golden model, and synthesized with Yosys; their figures\n"
    "replace the estimates.  Every figure says whether it is estimated or confirmed.\n"
    "\n"
    "  --target fpga       what to size (the asic side is not built yet)\n"
    "  --sweep KEY=LIST    values of one parameter (repeatable; a key not swept keeps\n"
    "                      the `small` configuration's value):\n"
    "                        lanes        MAC lanes (powers of 2, at least 16)\n"
    "                        clock_mhz    clock\n"
    "                        onchip_kib   on-chip weight memory (rounded down to what\n"
    "                                     the RTL can build: LANES x a power of 2 values)\n"
    "                        format       number formats, qI.F (q3.12, q2.5, ...)\n"
    "                        offchip_bpc  off-chip bandwidth, bytes per cycle\n"
    "  --slo-ms S          the latency bound: each point's latency, or with --qps its\n"
    "                      p99 under that load (none: every candidate meets it)\n"
    "  --qps Q             queries per second the accelerator serves: Poisson arrivals\n"
    "                      of one-sequence queries, batched up to 8 (an event\n"
    "                      simulation of 4000 queries, the same for every candidate)\n"
    "  --objective NAME    what the choice minimises: resources (the largest share of\n"
    "                      the part's LUTs, FFs, DSPs, block RAMs; default), power,\n"
    "                      or energy (per call of the points)\n"
    "  --part NAME         the FPGA candidates must fit (default xc7z020)\n"
    "  --activity A        switching activity of the power model (default 0.125)\n"
    "  --confirm WHICH     front (default: the front and the choice), chosen, or none\n"
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
    "Example:\n"
    "  rnnbench explore --target fpga --hidden 256 --seq 25 --slo-ms 5 --qps 200 \\\n"
    "      --sweep lanes=16,32,64,128 --sweep clock_mhz=150,200,300 \\\n"
    "      --sweep onchip_kib=256,1024,4096 --sweep format=q3.12,q2.5\n";

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
    OPT_NO_STORE
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
    {0, 0, 0, 0},
};

typedef enum { CONFIRM_FRONT, CONFIRM_CHOSEN, CONFIRM_NONE } confirm_which;

typedef struct explore_args {
    const char *target, *cache, *label;
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
        size_t at = strlen(a->sweeps);
        snprintf(a->sweeps + at, sizeof a->sweeps - at, "%s%s", at ? " " : "", arg);
        return rb_explore_sweep_add(&a->spec.sweep, arg, e);
    }
    case OPT_SLO:
        if ((rc = rb_cli_double("slo-ms", arg, 1e-6, 1e9, &d, e)))
            return rc;
        a->spec.slo_s = d / 1e3;
        return 0;
    case OPT_QPS: return rb_cli_double("qps", arg, 1e-3, 1e9, &a->spec.qps, e);
    case OPT_ACTIVITY: return rb_cli_double("activity", arg, 0, 1, &a->spec.activity, e);
    case OPT_OBJECTIVE:
        if (rb_explore_objective_parse(arg, &a->spec.objective))
            return rb_errf(e, RB_EINPUT, "--objective '%s': resources, power or energy", arg);
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

static void print_row(const explore_args *a, const rb_explore *x, long i, FILE *f)
{
    const rb_explore_cand *c = &x->c[i];
    const rb_explore_spec *sp = &a->spec;
    char bound[32] = "";
    if (sp->slo_s > 0)
        snprintf(bound, sizeof bound, "%s", c->meets ? "meets" : "misses");
    fprintf(f, "%-26s %10.4g %8s %7.3f %10.4g %7.0f %5.0f %6.0f %5.0f%% %-10s %-10s %s\n", c->name,
            c->worst_s * 1e3, bound, c->power_w, c->energy_j * 1e3, c->res[RB_RES_LUT],
            c->res[RB_RES_DSP], c->res[RB_RES_BRAM36], c->util * 100, state_name(c->sim_state),
            state_name(c->synth_state),
            i == x->chosen      ? "chosen"
            : i == x->near_miss ? (x->chosen >= 0 ? "cheaper, misses" : "nearest")
                                : "");
}

/* One candidate as a device of the run, its points as results. */
static int store_candidate(rb_store *st, int64_t run_id, const explore_args *a, const rb_explore *x,
                           long i, rb_err *e)
{
    const rb_explore_cand *c = &x->c[i];
    const rb_explore_spec *sp = &a->spec;
    rb_device_info d = {0};
    char inst[96], fmt[16], params[256];
    snprintf(inst, sizeof inst, "fpga:%s", c->name);
    rb_fx_fmt_name(c->hw.fmt, fmt, sizeof fmt);
    rb_fpga_hw_params(&c->hw, params, sizeof params);
    snprintf(d.name, sizeof d.name, "fpga candidate: %d lanes at %g MHz, %g KiB of weights, %s",
             c->hw.lanes, c->hw.clock_hz / 1e6, c->hw.wmem_words * c->hw.fmt.bits / 8192.0, fmt);
    snprintf(d.type, sizeof d.type, "fpga");
    snprintf(d.numerics, sizeof d.numerics, "fixed %s", fmt);
    d.peak_flops = 2.0 * c->hw.lanes * c->hw.clock_hz;
    d.power_w = c->power_w;
    snprintf(d.power_source, sizeof d.power_source, "%s", c->power_how);
    snprintf(d.power_boundary, sizeof d.power_boundary, RB_BOUNDARY_CHIP);
    cJSON *ex = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(ex, "explore");
    cJSON_AddStringToObject(o, "params", params);
    cJSON_AddBoolToObject(o, "front", c->front);
    cJSON_AddBoolToObject(o, "chosen", i == x->chosen);
    cJSON_AddBoolToObject(o, "near_miss", i == x->near_miss);
    cJSON_AddBoolToObject(o, "meets", c->meets);
    cJSON_AddNumberToObject(o, "utilization", c->util);
    cJSON_AddStringToObject(o, "utilization_of", rb_fpga_res_names[c->util_res]);
    cJSON_AddStringToObject(o, "part", sp->part->name);
    if (sp->slo_s > 0)
        cJSON_AddNumberToObject(o, "slo_ms", sp->slo_s * 1e3);
    if (sp->qps > 0)
        cJSON_AddNumberToObject(o, "qps", sp->qps);
    cJSON_AddStringToObject(o, "objective", rb_explore_objective_name(sp->objective));
    char summary[512];
    rb_explore_describe(sp, c, summary, sizeof summary);
    cJSON_AddStringToObject(o, "summary", summary);
    cJSON_AddStringToObject(o, "cycles", state_name(c->sim_state));
    cJSON_AddStringToObject(o, "resources", state_name(c->synth_state));
    if (c->confirm_note[0])
        cJSON_AddStringToObject(o, "note", c->confirm_note);
    char *js = cJSON_PrintUnformatted(ex);
    cJSON_Delete(ex);
    snprintf(d.extra_json, sizeof d.extra_json, "%s", js ? js : "");
    free(js);
    for (int r = 0; r < RB_NRES; r++) {
        rb_metric *m = &d.resources[d.n_resources++];
        snprintf(m->name, sizeof m->name, "%s", rb_fpga_res_names[r]);
        m->value = c->res[r];
        snprintf(m->source, sizeof m->source, "%s",
                 c->synth_state == RB_XS_CONFIRMED ? "synthesized" : "estimated");
    }
    const char *method = c->sim_state == RB_XS_CONFIRMED ? RB_SRC_SIMULATED : RB_SRC_MODELED;
    rb_device_id who = {"fpga", inst, NULL};
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
        r.energy_j = c->power_w * c->lat_s[p];
        r.energy_source = RB_ESRC_MODEL;
        r.energy_boundary = RB_BOUNDARY_CHIP;
        rb_metric *m = &r.metrics[r.n_metrics++];
        snprintf(m->name, sizeof m->name, "cycles");
        m->value = (double)c->cycles[p];
        snprintf(m->source, sizeof m->source, "%s", method);
        snprintf(r.message, sizeof r.message, "explore: %s%s%s", state_name(c->sim_state),
                 c->confirm_note[0] ? "; " : "", c->confirm_note);
        rc = rb_store_result(st, &r, e);
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
    cJSON_AddStringToObject(cfg, "target", "fpga");
    cJSON_AddStringToObject(cfg, "sweep", a->sweeps);
    cJSON_AddNumberToObject(cfg, "candidates", (double)x->n);
    if (a->spec.slo_s > 0)
        cJSON_AddNumberToObject(cfg, "slo_ms", a->spec.slo_s * 1e3);
    if (a->spec.qps > 0)
        cJSON_AddNumberToObject(cfg, "qps", a->spec.qps);
    cJSON_AddStringToObject(cfg, "part", a->spec.part->name);
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

static int explore_main(int argc, char **argv)
{
    explore_args a = {0};
    a.spec.objective = RB_OBJ_RESOURCES;
    a.spec.part = rb_fpga_part_find("xc7z020");
    a.spec.activity = RB_FPGA_DEFAULT_ACTIVITY;
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_explore, argc, argv, &a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (!a.target)
        return rb_cli_usage("explore", "say what to size: --target fpga");
    if (strcmp(a.target, "fpga"))
        return rb_cli_usage("explore",
                            "--target '%s': only fpga can be explored so far (the "
                            "asic side is not built yet)",
                            a.target);
    rb_err e = {0};
    /* the workload points */
    rb_cli_axes *ax = &com.axes;
    if (!ax->given) {
        rb_axes_set(&ax->axes, "hidden", "256", &e);
        rb_axes_set(&ax->axes, "seq", "25", &e);
    }
    rb_matrix m = {0};
    int rc = rb_matrix_from_axes(&m, &ax->axes, ax->input_proj, &e);
    if (rc)
        return rb_cli_fail("explore", &e);
    if (m.n > RB_EXPLORE_MAX_POINTS) {
        rb_matrix_free(&m);
        return rb_cli_usage("explore", "%zu workload points: explore sizes for at most %d", m.n,
                            RB_EXPLORE_MAX_POINTS);
    }
    for (size_t i = 0; i < m.n; i++)
        a.spec.points[a.spec.n_points++] = &m.points[i];

    rb_signals_install();
    rb_explore x;
    rc = rb_explore_fpga(&a.spec, RB_SOURCE_DIR "/targets/fpga/synth/sweep", &x, &e);
    if (rc) {
        rb_matrix_free(&m);
        return rb_cli_fail("explore", &e);
    }
    FILE *out = stdout;
    fprintf(out,
            "%ld candidates: %ld refused by the RTL's rules or the points' needs, %ld do "
            "not fit an %s, %ld miss the bound; %ld on the Pareto front\n",
            x.n, x.n_refused, x.n_unfit, a.spec.part->name, x.n_missed, x.n_front);
    /* confirmation */
    int disagree = 0;
    if (a.confirm != CONFIRM_NONE) {
        rb_confirm_env env;
        rb_confirm_env_init(&env, a.cache, a.jobs ? (int)a.jobs : rb_host_ncpus(),
                            com.quiet ? NULL : stderr);
        double est[RB_NRES], worst[RB_NRES] = {0};
        int nsynth = 0, nsim = 0;
        for (long i = 0; i < x.n && !rc; i++) {
            rb_explore_cand *c = &x.c[i];
            if (c->refused[0] || !(i == x.chosen || (a.confirm == CONFIRM_FRONT && c->front)))
                continue;
            rc = rb_explore_confirm(&a.spec, c, &env, est, &e);
            nsim += c->sim_state != RB_XS_ESTIMATED;
            disagree |= c->sim_state == RB_XS_DISAGREES;
            if (c->synth_state == RB_XS_CONFIRMED) {
                nsynth++;
                for (int r = 0; r < RB_NRES; r++)
                    if (c->res[r] > 0 && fabs(est[r] / c->res[r] - 1) > fabs(worst[r]))
                        worst[r] = est[r] / c->res[r] - 1;
            }
        }
        if (!rc) {
            rb_explore_settle(&a.spec, &x);
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
        }
    }
    if (!rc) {
        fprintf(out, "\n%-26s %10s %8s %7s %10s %7s %5s %6s %6s %-10s %-10s\n", "candidate",
                a.spec.qps > 0 ? "p99 ms" : "ms", a.spec.slo_s > 0 ? "bound" : "", "W", "mJ/call",
                "LUT", "DSP", "BRAM36", "util", "cycles", "resources");
        for (long i = 0; i < x.n; i++)
            if (x.c[i].front || i == x.chosen || i == x.near_miss)
                print_row(&a, &x, i, out);
        char line[512];
        if (x.chosen >= 0) {
            rb_explore_describe(&a.spec, &x.c[x.chosen], line, sizeof line);
            fprintf(out, "\nchosen: %s\n", line);
        } else
            fprintf(out, "\nno candidate fits an %s and meets the bound\n", a.spec.part->name);
        if (x.near_miss >= 0) {
            rb_explore_describe(&a.spec, &x.c[x.near_miss], line, sizeof line);
            fprintf(out, "%s: %s\n", x.chosen >= 0 ? "cheaper" : "nearest", line);
        }
        if (!a.no_store) {
            int64_t run_id = 0;
            if (!(rc = store_run(&a, &x, com.db, argc, argv, &run_id, &e)))
                fprintf(out, "stored as run %lld in %s (rnnbench report --run %lld --html)\n",
                        (long long)run_id, com.db, (long long)run_id);
        }
    }
    rb_explore_free(&x);
    rb_matrix_free(&m);
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
