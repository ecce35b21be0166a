/* cmd_run.c — `rnnbench run`: expand the matrix, measure every point on every
 * available target, store each result as it finishes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "estimate.h"
#include "clock.h"
#include "host.h"
#include "run_config.h"
#include "shard.h"
#include "signals.h"
#include "store.h"

static const char run_help[] =
    "Usage: rnnbench run [options]\n"
    "\n"
    "Run every workload point on every selected target, check each output against\n"
    "the fp64 reference, and store the results in the database as they finish.\n"
    "Without --matrix or axis options, runs workloads/default.ini.\n"
    "\n"
    "A train point times one training step per call: forward, backpropagation\n"
    "through time, and an Adam update (lr 1e-3, clip 5) against an MSE loss to a\n"
    "seeded target; its first step's gradients are checked against the fp64\n"
    "reference backward.  Targets without training report 'unsupported'.\n"
    "\n"
    "What to run:\n"
    "  --targets LIST      targets to use (default: all; unavailable ones are reported\n"
    "                      and skipped)\n"
    "  --matrix FILE       workload matrix (INI); the workload axes override its axes\n"
    "\n"
    "How to measure:\n"
    "  --reps N|auto       timed repetitions, at least (default 10); auto: 100, what a\n"
    "                      p99 needs, within 10 s of timed calls per point (a p99\n"
    "                      from fewer is marked ~max)\n"
    "  --min-time S        keep repeating until the timed calls add up to S seconds\n"
    "                      (default 0.5)\n"
    "  --max-reps N        timed repetitions, at most (default 100000)\n"
    "  --warmup N          untimed warm-up calls, >= 1; the first is reported as\n"
    "                      first-run latency (default 2)\n"
    "  --timeout-s S       give up on one result after S seconds, checked between calls\n"
    "                      (default 600)\n"
    "  --threads N         worker threads per target (default: all CPUs)\n"
    "  --seed N            seed for weights and inputs (default 1)\n"
    "  --power T=W[@WHAT]  the power of target or instance T as you know it, and what\n"
    "                      it covers (cpu=95W@wall; repeatable): its energy is then W\n"
    "                      times the latency, source \"user\", instead of a meter's\n"
    "                      or the model's\n"
    "\n"
    "Serving (points with a --scenario):\n"
    "  --duration-s S      each load lasts S seconds at its rate (default 1)\n"
    "  --min-queries N     and has at least N queries (default 1000)\n"
    "  --serve-threads N   a measured target's threads while the load generator runs\n"
    "                      (default: all CPUs but one, which the issuer spins on)\n"
    "  --price T=X/h       what one device of target or instance T costs per hour\n"
    "                      (repeatable; stored as a user figure): the report gives the\n"
    "                      cost per million queries at the load within the bound\n"
    "\n"
    "Bookkeeping:\n"
    "  --label TEXT        label stored with the run (e.g. nightly)\n"
    "  --resume ID         finish interrupted run ID: same settings, skips stored results\n"
    "  --shard I/N         run shard I (from 0) of N: a share of the (point, target)\n"
    "                      pairs, balanced by estimated time, that N processes on N\n"
    "                      machines agree on without talking; `rnnbench merge` joins\n"
    "                      their databases.  Run again on the same --db, it resumes\n"
    "                      the shard.  --shard slurm: I and N from a Slurm job array\n"
    "  --dry-run           list the points with estimated memory and time (each\n"
    "                      target timed briefly on calibration calls); run nothing\n";

static const char run_help_tail[] =
    "\n"
    "Exit status: 0 all results ok (or unsupported by their target), 2 bad usage or\n"
    "input, 3 a result failed, timed out or did not match the reference, the run was\n"
    "interrupted, or no target was available.\n";

enum {
    OPT_TARGETS = RB_OPT_FIRST_FREE,
    OPT_MATRIX,
    OPT_REPS,
    OPT_MIN_TIME,
    OPT_MAX_REPS,
    OPT_WARMUP,
    OPT_TIMEOUT,
    OPT_THREADS,
    OPT_SEED,
    OPT_LABEL,
    OPT_RESUME,
    OPT_DRY_RUN,
    OPT_DURATION,
    OPT_MIN_QUERIES,
    OPT_SERVE_THREADS,
    OPT_PRICE,
    OPT_POWER,
    OPT_SHARD,
};

#define MAX_GIVEN 32

/* What a person knows of a device and gives on the command line: --price
 * T=X/h (one device's price, for the serving plan's cost) and --power T=W
 * (its power, e.g. measured at the wall, for energy instead of the model). */
typedef enum { GIVEN_PRICE, GIVEN_POWER } given_kind;
static const struct {
    const char *opt, *unit, *example;
} given_def[] = {{"price", "/h", "cpu=0.40/h"}, {"power", "W", "cpu=95W@wall"}};

typedef struct given {
    given_kind kind;
    char who[RB_INSTANCE_NAME_MAX]; /* a target ("cpu") or an instance ("fpga:large") */
    double v;
    char boundary[16]; /* power: what it covers ("wall"), after '@'; "" not said */
    int used;
} given;

typedef struct run_args {
    const char *targets, *matrix, *db, *label, *shard;
    rb_cli_axes axes;
    rb_cli_topts topts; /* shorthand flags, applied to the instances of --targets */
    long resume;
    int dry_run, quiet, settings_given;
    rb_run_config cfg;
    int *owner;    /* --shard: the shard of each (point, target), rb_shard_plan */
    double *load;  /* and each shard's estimate */
    int n_given;
    given given[MAX_GIVEN];
} run_args;

/* "T=X/h" or "T=WW[@BOUNDARY]" (the unit may be left out); the last '='
 * splits, as an instance's options have their own
 * ("asic:tpu-v1?clock_mhz=500=1.20/h"). */
static int parse_given(run_args *a, given_kind kind, const char *arg, rb_err *e)
{
    const char *eq = strrchr(arg, '='), *opt = given_def[kind].opt, *unit = given_def[kind].unit;
    if (a->n_given == MAX_GIVEN)
        return rb_errf(e, RB_EINPUT, "--%s: at most %d prices and powers", opt, MAX_GIVEN);
    given *g = &a->given[a->n_given];
    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof g->who)
        return rb_errf(e, RB_EINPUT, "--%s '%s': expected TARGET=%s%s, e.g. %s", opt, arg,
                       kind == GIVEN_PRICE ? "PRICE" : "WATTS", unit, given_def[kind].example);
    char num[64];
    size_t n = strlen(eq + 1), un = strlen(unit);
    const char *at = kind == GIVEN_POWER ? strchr(eq + 1, '@') : NULL;
    g->boundary[0] = '\0';
    if (at) {
        if (!at[1] || strlen(at + 1) >= sizeof g->boundary)
            return rb_errf(e, RB_EINPUT,
                           "--power '%s': after '@', what the power covers in a word (wall, "
                           "board, package, chip)",
                           arg);
        snprintf(g->boundary, sizeof g->boundary, "%s", at + 1);
        n = (size_t)(at - (eq + 1));
    }
    if (n >= un && !strncmp(eq + 1 + n - un, unit, un))
        n -= un;
    snprintf(num, sizeof num, "%.*s", (int)(n < sizeof num - 1 ? n : sizeof num - 1), eq + 1);
    int rc = rb_cli_double(opt, num, kind == GIVEN_POWER ? 1e-6 : 0, 1e9, &g->v, e);
    if (rc)
        return rc;
    g->kind = kind;
    snprintf(g->who, sizeof g->who, "%.*s", (int)(eq - arg), arg);
    a->n_given++;
    return 0;
}

/* Each device's price and power, from the first given naming its instance,
 * else its target.  A price is a resource of the device, source "user"; a
 * power replaces the power model's (rb_device_info.power_source says
 * whose), and energy is then that power times the latency. */
static void apply_given(run_args *a, rb_target *t)
{
    for (int kind = 0; kind < 2; kind++)
        for (int pass = 0, done = 0; pass < 2 && !done; pass++)
            for (int k = 0; k < a->n_given && !done; k++) {
                given *g = &a->given[k];
                if (g->kind != (given_kind)kind ||
                    strcmp(g->who, pass ? t->ops->name : t->instance))
                    continue;
                rb_device_info *d = &t->info;
                if (kind == GIVEN_POWER) {
                    d->power_w = g->v;
                    snprintf(d->power_source, sizeof d->power_source,
                             RB_POWER_USER "%g W, given with --power", g->v);
                    snprintf(d->power_boundary, sizeof d->power_boundary, "%s",
                             g->boundary[0] ? g->boundary : "as given");
                } else if (d->n_resources < RB_DEVICE_MAX_RESOURCES)
                    d->resources[d->n_resources++] =
                        (rb_metric){"price_per_hour", g->v, "per h", RB_ESRC_USER};
                g->used = done = 1;
            }
}

static int run_option(void *args, int opt, const char *arg, rb_err *e)
{
    run_args *a = args;
    rb_measure_opts *m = &a->cfg.measure;
    long v = 0;
    int rc = 0;
    switch (opt) {
    case OPT_TARGETS: a->targets = arg; break;
    case OPT_MATRIX: a->matrix = arg; break;
    case OPT_REPS:
        if (!strcmp(arg, "auto")) {
            m->min_reps = RB_REPS_AUTO;
            m->budget_s = RB_REPS_AUTO_BUDGET_S;
            break;
        }
        rc = rb_cli_long("reps", arg, 1, 10000000, &v, e);
        m->min_reps = (int)v;
        m->budget_s = 0;
        break;
    case OPT_MAX_REPS:
        rc = rb_cli_long("max-reps", arg, 1, 10000000, &v, e);
        m->max_reps = (int)v;
        break;
    case OPT_WARMUP:
        rc = rb_cli_long("warmup", arg, 1, 100000, &v, e);
        m->warmup = (int)v;
        break;
    case OPT_THREADS:
        rc = rb_cli_long("threads", arg, 1, 4096, &v, e);
        a->cfg.threads = (int)v;
        break;
    case OPT_SEED:
        rc = rb_cli_long("seed", arg, 0, 0x7fffffffL, &v, e);
        a->cfg.seed = (uint64_t)v;
        break;
    case OPT_MIN_TIME: rc = rb_cli_double("min-time", arg, 0, 86400, &m->min_time_s, e); break;
    case OPT_TIMEOUT: rc = rb_cli_double("timeout-s", arg, 0.001, 1e7, &m->timeout_s, e); break;
    case OPT_RESUME: rc = rb_cli_long("resume", arg, 1, 0x7fffffffL, &a->resume, e); break;
    case OPT_DURATION:
        rc = rb_cli_double("duration-s", arg, 0.001, 86400, &m->serve_duration_s, e);
        break;
    case OPT_MIN_QUERIES:
        rc = rb_cli_long("min-queries", arg, 1, 10000000, &v, e);
        m->serve_min_queries = (int)v;
        break;
    case OPT_SERVE_THREADS:
        rc = rb_cli_long("serve-threads", arg, 1, 4096, &v, e);
        m->serve_threads = (int)v;
        break;
    case OPT_PRICE: rc = parse_given(a, GIVEN_PRICE, arg, e); break;
    case OPT_POWER: rc = parse_given(a, GIVEN_POWER, arg, e); break;
    case OPT_LABEL: a->label = arg; break;
    case OPT_SHARD: a->shard = arg; break;
    case OPT_DRY_RUN: a->dry_run = 1; break;
    default: return rb_errf(e, RB_EINPUT, "unknown option");
    }
    /* what --resume takes from the stored run instead */
    if (opt != OPT_RESUME)
        a->settings_given = 1;
    return rc;
}

static const struct option run_options[] = {{"targets", required_argument, 0, OPT_TARGETS},
                                            {"matrix", required_argument, 0, OPT_MATRIX},
                                            {"reps", required_argument, 0, OPT_REPS},
                                            {"min-time", required_argument, 0, OPT_MIN_TIME},
                                            {"max-reps", required_argument, 0, OPT_MAX_REPS},
                                            {"warmup", required_argument, 0, OPT_WARMUP},
                                            {"timeout-s", required_argument, 0, OPT_TIMEOUT},
                                            {"threads", required_argument, 0, OPT_THREADS},
                                            {"seed", required_argument, 0, OPT_SEED},
                                            {"label", required_argument, 0, OPT_LABEL},
                                            {"resume", required_argument, 0, OPT_RESUME},
                                            {"dry-run", no_argument, 0, OPT_DRY_RUN},
                                            {"duration-s", required_argument, 0, OPT_DURATION},
                                            {"min-queries", required_argument, 0, OPT_MIN_QUERIES},
                                            {"serve-threads", required_argument, 0,
                                             OPT_SERVE_THREADS},
                                            {"price", required_argument, 0, OPT_PRICE},
                                            {"power", required_argument, 0, OPT_POWER},
                                            {"shard", required_argument, 0, OPT_SHARD},
                                            {0, 0, 0, 0}};

/* RB_CLI_GO, or the exit status to return at once (--help, usage error). */
static int parse_args(run_args *a, int argc, char **argv)
{
    rb_measure_opts defaults = RB_MEASURE_DEFAULTS;
    a->cfg.measure = defaults;
    a->cfg.seed = 1;
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_run, argc, argv, a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    a->db = com.db;
    a->quiet = com.quiet;
    a->axes = com.axes;
    a->topts = com.topts;
    if (com.axes.given || !com.axes.input_proj || com.topts.n)
        a->settings_given = 1;
    if (a->cfg.measure.max_reps < a->cfg.measure.min_reps)
        return rb_cli_usage("run", "--max-reps %d is below --reps %d", a->cfg.measure.max_reps,
                            a->cfg.measure.min_reps);
    if (a->resume && a->settings_given)
        return rb_cli_usage("run", "--resume takes every setting from the stored run; give only "
                                   "--db and -q");
    return RB_CLI_GO;
}

/* One rb_target per configured target; unavailable ones are kept (probed = 0)
 * so they can be reported. */
typedef struct probed {
    rb_target t;
    int ok;
    int code; /* probe's error code when !ok */
    int64_t device_id;
    char why[1024];
} probed;

static int probe_all(const rb_run_config *cfg, probed *p)
{
    int ok = 0;
    for (int i = 0; i < cfg->n_targets; i++) {
        rb_err e = {0};
        rb_target_init_instance(&p[i].t, &cfg->targets[i], cfg->threads);
        p[i].code = rb_target_probe(&p[i].t, &e);
        p[i].ok = !p[i].code;
        if (!p[i].ok)
            snprintf(p[i].why, sizeof p[i].why, "%s", e.msg);
        ok += p[i].ok;
    }
    return ok;
}

static void close_all(const rb_run_config *cfg, probed *p)
{
    for (int i = 0; i < cfg->n_targets; i++)
        rb_target_close(&p[i].t);
}

/* What the run would do and how long it would take here: each target is
 * timed briefly on calibration calls first (estimate.h), so the figures are
 * this machine's, and points a target would refuse say so instead of
 * getting a time. */
static int dry_run(const rb_run_config *cfg, probed *p, double probe_s, double *total,
                   rb_err *e)
{
    const rb_measure_opts *mo = &cfg->measure;
    rb_call_model cm[RB_MAX_TARGETS];
    double ref[2];
    char mem[32], how[160];
    rb_calibration *cal = NULL;
    fprintf(stderr, "rnnbench run: calibrating: the fp64 reference");
    int rc = rb_calibration_new(cfg->seed, &cal, ref, e);
    for (int i = 0; i < cfg->n_targets && !rc; i++)
        if (p[i].ok) {
            fprintf(stderr, ", %s", p[i].t.instance);
            rc = rb_estimate_calibrate(&p[i].t, cal, &cm[i], e);
        }
    fprintf(stderr, "\n");
    rb_calibration_free(cal);
    if (rc)
        return rc;
    for (int i = 0; i < cfg->n_targets; i++)
        if (p[i].ok)
            printf("%s: %s, from %d calibration calls\n", p[i].t.instance,
                   rb_estimate_describe(&cm[i], how, sizeof how), cm[i].calls);
    int kw = rb_cli_key_width(&cfg->points, 44);
    printf("%-*s %10s %11s %10s", kw, "workload", "GFLOP/call", "est. memory", "reference");
    for (int i = 0; i < cfg->n_targets; i++)
        if (p[i].ok)
            printf(" %12.12s", p[i].t.instance);
    printf("\n");
    double total_s = probe_s, per[RB_MAX_TARGETS] = {0}; /* a run probes as this one did */
    int unsupported[RB_MAX_TARGETS] = {0};
    char why[RB_MAX_TARGETS][512];
    for (size_t k = 0; k < cfg->points.n; k++) {
        const rb_workload *w = &cfg->points.points[k];
        double r = rb_estimate_reference_s(ref, w);
        total_s += r;
        printf("%-*s %10.4g %11s %9.2fs", kw, w->key, rb_workload_flops(w) * 1e-9,
               rb_fmt_bytes((double)rb_workload_mem_bytes(w), mem, sizeof mem), r);
        for (int i = 0; i < cfg->n_targets; i++) {
            if (!p[i].ok)
                continue;
            double s;
            rb_err pe = {0};
            rc = rb_estimate_point(&p[i].t, &cm[i], w, mo, &s, &pe);
            if (rc == RB_EUNAVAIL) {
                if (!unsupported[i]++)
                    snprintf(why[i], sizeof why[i], "%.500s", pe.msg);
                printf(" %12s", "unsupported");
                continue;
            }
            if (rc)
                return rb_errf(e, rc, "%s", pe.msg);
            total_s += s;
            per[i] += s;
            printf(" %11.2fs", s);
        }
        printf("\n");
    }
    for (int i = 0; i < cfg->n_targets; i++)
        if (!p[i].ok)
            printf("%s\n", p[i].why);
        else if (unsupported[i])
            printf("%s: %d point%s unsupported, e.g. %s\n", p[i].t.instance, unsupported[i],
                   unsupported[i] > 1 ? "s" : "", why[i]);
    printf("%zu points; estimated total %.0f s (probing %.1f s, ", cfg->points.n, total_s,
           probe_s);
    for (int i = 0, first = 1; i < cfg->n_targets; i++)
        if (p[i].ok) {
            printf("%s%s %.0f s", first ? "" : ", ", p[i].t.instance, per[i]);
            first = 0;
        }
    printf("; timed on calibration calls here: a busy machine, or one calibrated while busy, "
           "differs)\n");
    *total = total_s;
    return 0;
}

/* Another process holding the database past the busy timeout (a long
 * `sqlite3` session, a backup) must not cost a finished measurement: the
 * write is tried again for RB_STORE_RETRY_S seconds (default 120), saying
 * so, before the run stops (and says how to resume it). */
static int store_result(rb_store *st, const rb_result *r, rb_err *e)
{
    int rc = rb_store_result(st, r, e);
    const char *v = getenv("RB_STORE_RETRY_S");
    double budget = v && *v ? atof(v) : 120, t0 = rb_now_s();
    for (int tries = 2; rc == RB_EBUSY && rb_now_s() - t0 < budget && !rb_interrupted(); tries++) {
        fprintf(stderr, "rnnbench run: %s; the result is kept, trying again (attempt %d)\n", e->msg,
                tries);
        struct timespec pause = {0, 100 * 1000 * 1000}; /* with a busy timeout of 0 too */
        nanosleep(&pause, NULL);
        rc = rb_store_result(st, r, e);
    }
    return rc;
}

/* Served points have their own columns: latency of every query, the load
 * served and the largest within the bound. */
static void print_header(int tw, int kw, int served)
{
    if (served)
        printf("%-*s %-*s %10s %10s %10s %10s %10s %-26s %9s %s\n", tw, "target", kw, "workload",
               "p50_ms", "p99_ms", "QPS", "max_QPS", ">SLO", "J/query (source)", "max_rel",
               "status");
    else
        printf("%-*s %-*s %10s %14s %7s %9s %11s %-26s %9s %s\n", tw, "target", kw, "workload",
               "median_ms", "p99_ms", "n", "GFLOP/s", "seq/s", "energy_J (source)", "max_rel",
               "status");
}

/* The p99 and the repetitions behind it: "~max" marks a p99 that too few
 * repetitions leave at the sample's maximum, "1 det" a deterministic
 * target's one evaluation. */
static void p99_and_n(const rb_result *r, char *p99, size_t pn, char *reps, size_t rn)
{
    int det = r->latency_source && strcmp(r->latency_source, RB_SRC_MEASURED);
    int ok = rb_figure_supported(RB_FIG_p99_ms, r->reps, det, NULL, 0);
    snprintf(p99, pn, "%.4g%s", r->p99_ms, ok ? "" : " ~max");
    snprintf(reps, rn, det && r->reps == 1 ? "1 det" : "%d", r->reps);
}

/* "-" for a figure not known */
static const char *fig(char *buf, size_t n, double v, const char *fmt)
{
    if (isfinite(v))
        snprintf(buf, n, fmt, v);
    else
        snprintf(buf, n, "-");
    return buf;
}

static void print_result(const rb_target *t, const rb_result *r, int tw, int kw)
{
    char energy[40] = "-", status[600];
    if (r->energy_j >= 0)
        snprintf(energy, sizeof energy, "%.3g (%s%s%.12s)", r->energy_j, r->energy_source,
                 r->energy_boundary ? ", " : "", r->energy_boundary ? r->energy_boundary : "");
    /* a message that starts with the status ("unsupported: peepholes") says it already */
    size_t sl = strlen(r->status);
    if (!strncmp(r->message, r->status, sl) && r->message[sl] == ':')
        snprintf(status, sizeof status, "%s", r->message);
    else
        snprintf(status, sizeof status, "%s%s%s", r->status, r->message[0] ? ": " : "", r->message);
    char a[32], b[32], c[32], d[32];
    if (r->reps && r->w->serve.scenario)
        printf("%-*s %-*s %10.4g %10.4g %10s %10s %10s %-26s %9.2g %s\n", tw, t->instance, kw,
               r->w->key, r->median_ms, r->p99_ms, fig(a, sizeof a, r->achieved_qps, "%.4g"),
               fig(b, sizeof b, r->max_qps, "%.4g"),
               fig(c, sizeof c, 100 * r->over_slo_frac, "%.3g%%"), energy, r->err_max_rel,
               status);
    else if (r->reps) {
        char p99[32], n[16];
        p99_and_n(r, p99, sizeof p99, n, sizeof n);
        printf("%-*s %-*s %10.4g %14s %7s %9.2f %11.1f %-26s %9.2g %s\n", tw, t->instance, kw,
               r->w->key, r->median_ms, p99, n, r->gflops, r->throughput_sps, energy,
               r->err_max_rel, status);
    } else
        printf("%-*s %-*s %10s %14s %7s %9s %11s %-26s %9s %s\n", tw, t->instance, kw, r->w->key, "-",
               "-", "-", "-", "-", "-", fig(d, sizeof d, r->err_max_rel, "%.2g"), status);
    fflush(stdout);
}

static void progress(int quiet, size_t done, size_t total, const char *target, const char *key,
                     double started)
{
    if (quiet || !isatty(STDERR_FILENO))
        return;
    double el = rb_now_s() - started;
    char eta[32] = "--:--";
    if (done) {
        int s = (int)(el / done * (total - done));
        snprintf(eta, sizeof eta, "%d:%02d", s / 60, s % 60);
    }
    fprintf(stderr, "\r\033[K[%zu/%zu] %s %s  ETA %s", done + 1, total, target, key, eta);
}

static void progress_clear(int quiet)
{
    if (!quiet && isatty(STDERR_FILENO))
        fprintf(stderr, "\r\033[K");
}

/* Build the run configuration from the command line, or from the stored run. */
static int configure(run_args *a, rb_store **st, rb_err *e)
{
    rb_run_config *cfg = &a->cfg;
    if (a->resume) {
        char *status = NULL, *json = NULL;
        /* opening for writing would create the file: a typo in --db must not */
        if (access(a->db, F_OK))
            return rb_errf(e, RB_EINPUT,
                           "no database %s: --resume %ld continues a run stored in it", a->db,
                           a->resume);
        int rc = rb_store_open(st, a->db, 0, e);
        if (!rc)
            rc = rb_store_run_get(*st, a->resume, &status, &json, e);
        if (!rc && !strcmp(status, "complete"))
            rc = rb_errf(e, RB_EINPUT, "run %ld is already complete: nothing to resume", a->resume);
        else if (!rc && !strcmp(status, "running"))
            rc = rb_errf(e, RB_EINPUT, "run %ld is still running in another process", a->resume);
        if (!rc)
            rc = rb_run_config_from_json(cfg, json, e);
        free(status);
        free(json);
        return rc;
    }
    if (!cfg->threads)
        cfg->threads = rb_host_default_threads();
    int rc = rb_cli_instances("--targets", a->targets, &a->topts, cfg->targets, &cfg->n_targets,
                              RB_MAX_TARGETS, e);
    if (!rc)
        rc =
            rb_cli_workloads(a->matrix, &a->axes, &cfg->points, cfg->source, sizeof cfg->source, e);
    if (!rc && a->shard)
        rc = rb_shard_parse(a->shard, &cfg->shard, e);
    return rc;
}

/* --shard: this shard's share of the work (a->owner), and the run it
 * continues when the database holds it already: a requeued job runs the
 * same command again.  *done: the shard is complete there (its run id). */
static int plan_shard(run_args *a, probed *p, rb_store **st, int64_t *done, rb_err *e)
{
    rb_run_config *c = &a->cfg;
    *done = 0;
    if (!c->shard.count)
        return 0;
    char stored[sizeof c->shard.plan];
    memcpy(stored, c->shard.plan, sizeof stored);
    a->owner = malloc((c->points.n * (size_t)c->n_targets + 1) * sizeof *a->owner);
    a->load = malloc((size_t)c->shard.count * sizeof *a->load);
    if (!a->owner || !a->load)
        return rb_errf(e, RB_ENOMEM, "--shard: out of memory");
    rb_target *tp[RB_MAX_TARGETS];
    for (int i = 0; i < c->n_targets; i++)
        tp[i] = p[i].ok ? &p[i].t : NULL;
    int rc = rb_shard_plan(c, tp, a->owner, a->load, e);
    if (rc)
        return rc;
    c->shard_owner = a->owner;
    if (a->dry_run)
        return 0;
    if (a->resume) {
        if (strcmp(stored, c->shard.plan))
            return rb_errf(e, RB_EINPUT,
                           "run %ld is shard %d/%d of plan %s, but this rnnbench splits its work "
                           "as plan %s (another version?): finish it with the rnnbench that "
                           "began it",
                           a->resume, c->shard.index, c->shard.count, stored, c->shard.plan);
        return 0;
    }
    if (access(a->db, F_OK))
        return 0; /* a new database */
    int64_t id;
    char *status = NULL, *json = NULL;
    if (!*st && (rc = rb_store_open(st, a->db, 0, e)))
        return rc;
    if ((rc = rb_store_shard_run(*st, c->shard.plan, c->shard.index, &id, e)) || !id)
        return rc;
    rc = rb_store_run_get(*st, id, &status, &json, e);
    free(json);
    if (!rc && !strcmp(status, "complete"))
        *done = id;
    else if (!rc && !strcmp(status, "running"))
        rc = rb_errf(e, RB_EINPUT, "shard %d/%d is running in another process (run %lld of %s)",
                     c->shard.index, c->shard.count, (long long)id, a->db);
    else if (!rc) {
        fprintf(stderr, "rnnbench run: shard %d/%d was %s in %s: resuming run %lld\n",
                c->shard.index, c->shard.count, status, a->db, (long long)id);
        a->resume = id;
    }
    free(status);
    return rc;
}

/* --dry-run --shard: the partition's estimate per shard, and what it makes
 * of this machine's estimate of the whole run (total_s): the fleet's wall
 * time is its longest shard's. */
static void print_shards(run_args *a, double total_s)
{
    rb_run_config *c = &a->cfg;
    const int ns = c->shard.count;
    const double *load = a->load;
    double sum = 0, max = 0;
    size_t mine = 0, n = c->points.n * (size_t)c->n_targets;
    for (size_t j = 0; j < n; j++)
        mine += a->owner[j] == c->shard.index;
    for (int i = 0; i < ns; i++)
        sum += load[i], max = fmax(max, load[i]);
    printf("--shard %d/%d (plan %s): %zu of %zu (point, target) pairs; by the partition's "
           "fixed-coefficient estimate (not this machine's) the shards take",
           c->shard.index, ns, c->shard.plan, mine, n);
    for (int i = 0; i < ns && i < 16; i++)
        printf(" %.3g", load[i]);
    printf("%s s: max / mean %.2f\n", ns > 16 ? " ..." : "", sum > 0 ? max / (sum / ns) : 1);
    printf("on %d machines like this one: about %.0f s, the longest shard's share (%.1f %%) of "
           "the %.0f s estimated for one\n",
           ns, sum > 0 ? total_s * max / sum : total_s, sum > 0 ? 100 * max / sum : 100,
           total_s);
}

/* Results by status, for the run's last line. */
static const char *const tally_status[] = {RB_STATUS_OK,       RB_STATUS_FAILED,
                                           RB_STATUS_MISMATCH, RB_STATUS_TIMEOUT,
                                           RB_STATUS_UNSUPPORTED, RB_STATUS_INTERRUPTED};
#define N_TALLY (int)(sizeof tally_status / sizeof tally_status[0])

typedef struct tally {
    int count[N_TALLY];
    int skipped;
} tally;

/* One energy meter per available target, chosen once after probing; says on
 * stderr what each target's energy figures will be and, for the model, why
 * they are not a measurement. */
static void choose_meters(const rb_run_config *cfg, probed *p, rb_energy_meter *meter)
{
    for (int i = 0; i < cfg->n_targets; i++) {
        char why[512];
        if (!p[i].ok)
            continue;
        const rb_device_info *d = &p[i].t.info;
        if (rb_power_is_user(d)) {
            /* a meter, if any, still runs: its average power is stored beside */
            rb_energy_meter_for(d, &meter[i], why, sizeof why);
            fprintf(stderr, "rnnbench run: %s energy: %s, times the latency\n", p[i].t.instance,
                    d->power_source);
        } else if (rb_energy_meter_for(d, &meter[i], why, sizeof why))
            fprintf(stderr, "rnnbench run: %s energy: %s\n", p[i].t.instance, meter[i].detail);
        else if (d->power_w > 0)
            fprintf(stderr, "rnnbench run: %s energy: %s, not measured: %s\n", p[i].t.instance,
                    d->power_source[0] ? d->power_source : "model", why);
        else
            fprintf(stderr, "rnnbench run: %s energy: unknown unless the target reports it: %s\n",
                    p[i].t.instance, why);
    }
}

/* Measure every point on every available target; returns RB_EINTR if stopped. */
static int measure_points(run_args *a, rb_store *st, int64_t run_id, probed *p,
                          rb_energy_meter *meter, tally *tl, rb_err *e)
{
    rb_run_config *cfg = &a->cfg;
    size_t total = cfg->points.n * (size_t)cfg->n_targets, done = 0;
    if (a->owner) /* --shard: this shard's pairs only */
        for (size_t j = 0, n = total; j < n; j++)
            total -= a->owner[j] != cfg->shard.index;
    double started = rb_now_s();
    int header = -1, rc = 0; /* the kind of the last header printed (served or not) */
    const int kw = rb_cli_key_width(&cfg->points, 40);
    int tw = 6; /* the target column: as wide as the longest instance name */
    for (int i = 0; i < cfg->n_targets; i++)
        tw = (int)strlen(p[i].t.instance) > tw ? (int)strlen(p[i].t.instance) : tw;

    for (size_t k = 0; k < cfg->points.n && !rc; k++) {
        const rb_workload *w = &cfg->points.points[k];
        int todo[RB_MAX_TARGETS] = {0}, any = 0;
        for (int i = 0; i < cfg->n_targets; i++) {
            int has = 0;
            if (a->owner && a->owner[k * cfg->n_targets + i] != cfg->shard.index)
                continue;
            if (p[i].ok && a->resume &&
                (rc = rb_store_has_result(st, run_id, p[i].t.instance, w->key, &has, e)))
                return rc;
            todo[i] = p[i].ok && !has;
            tl->skipped += p[i].ok && has;
            any |= todo[i];
        }
        if (!any) {
            for (int i = 0; i < cfg->n_targets; i++)
                done += !a->owner || a->owner[k * cfg->n_targets + i] == cfg->shard.index;
            continue;
        }
        rb_point pt;
        const rb_net *net = rb_matrix_net(&cfg->points, w);
        if (w->model[0] && !net)
            return rb_errf(e, RB_EINPUT, "%s: its model %s is not loaded", w->key, w->model);
        if ((rc = rb_point_prepare(&pt, w, net ? &net->model : NULL, cfg->seed, 0, e)))
            return rc;
        for (int i = 0; i < cfg->n_targets && !rc; i++) {
            if (!a->owner || a->owner[k * cfg->n_targets + i] == cfg->shard.index)
                done++;
            if (!todo[i])
                continue;
            progress(a->quiet, done - 1, total, p[i].t.instance, w->key, started);
            rb_result r;
            double t0 = rb_now_s();
            rc = w->serve.scenario ? rb_measure_serving(&p[i].t, &cfg->targets[i], &pt,
                                                        &cfg->measure, &meter[i], &r, e)
                                   : rb_measure(&p[i].t, &pt, &cfg->measure, &meter[i], &r, e);
            progress_clear(a->quiet);
            if (!rc) {
                /* what the point cost this run, for checking --dry-run's estimate */
                rb_result_metric(&r, "wall_ms", (rb_now_s() - t0) * 1e3, "ms", RB_SRC_MEASURED);
                r.run_id = run_id;
                r.device_id = p[i].device_id;
                rc = store_result(st, &r, e);
            }
            if (!rc) {
                int served = w->serve.scenario != RB_SCN_NONE;
                if (header != served)
                    print_header(tw, kw, header = served);
                print_result(&p[i].t, &r, tw, kw);
                for (int s = 0; s < N_TALLY; s++)
                    tl->count[s] += !strcmp(r.status, tally_status[s]);
            }
            rb_result_free(&r);
        }
        rb_point_free(&pt);
    }
    return rc;
}

static int run_points(run_args *a, rb_store *st, int64_t run_id, probed *p, tally *tl, rb_err *e)
{
    rb_energy_meter meter[RB_MAX_TARGETS] = {{0}};
    choose_meters(&a->cfg, p, meter);
    int rc = measure_points(a, st, run_id, p, meter, tl, e);
    for (int i = 0; i < a->cfg.n_targets; i++)
        rb_energy_meter_close(&meter[i]);
    return rc;
}

static int rb_cmd_run(int argc, char **argv)
{
    static const char *cmd = "run";
    run_args a;
    memset(&a, 0, sizeof a);
    rb_err e = {0};
    rb_store *st = NULL;
    probed p[RB_MAX_TARGETS];
    memset(p, 0, sizeof p);
    int rc = parse_args(&a, argc, argv);
    if (rc != RB_CLI_GO)
        return rc;
    rc = configure(&a, &st, &e);
    if (!rc)
        rc = rb_cli_check_memory(&a.cfg.points, &e);
    if (rc)
        goto fail;
    if (!a.cfg.points.n) {
        rc = rb_errf(&e, RB_EINPUT, "%s expands to no workload points", a.cfg.source);
        goto fail;
    }

    double probe_t0 = rb_now_s();
    int available = probe_all(&a.cfg, p);
    double probe_s = rb_now_s() - probe_t0;
    int64_t shard_done;
    if ((rc = plan_shard(&a, p, &st, &shard_done, &e)))
        goto fail;
    if (shard_done) {
        fprintf(stderr, "rnnbench run: shard %d/%d is complete in %s (run %lld): nothing to run\n",
                a.cfg.shard.index, a.cfg.shard.count, a.db, (long long)shard_done);
        close_all(&a.cfg, p);
        rb_store_close(st);
        rb_matrix_free(&a.cfg.points);
        free(a.owner);
        free(a.load);
        return RB_EXIT_OK;
    }
    for (int i = 0; i < a.cfg.n_targets; i++)
        if (p[i].code == RB_EINPUT) { /* e.g. --gpu-device naming no device: the user's mistake */
            rc = rb_errf(&e, RB_EINPUT, "%s", p[i].why);
            goto fail;
        }
    for (int i = 0; i < a.cfg.n_targets; i++)
        apply_given(&a, &p[i].t);
    for (int k = 0; k < a.n_given; k++)
        if (!a.given[k].used) {
            char names[512] = "";
            for (int i = 0; i < a.cfg.n_targets; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         i ? ", " : "", p[i].t.instance);
            rc = rb_errf(&e, RB_EINPUT, "--%s %s: no target of this run is %s (it runs: %s)",
                         given_def[a.given[k].kind].opt, a.given[k].who, a.given[k].who, names);
            goto fail;
        }
    if (a.dry_run) {
        double total_s = 0;
        rc = dry_run(&a.cfg, p, probe_s, &total_s, &e);
        if (rc)
            goto fail;
        if (a.owner)
            print_shards(&a, total_s);
        close_all(&a.cfg, p);
        free(a.owner);
    free(a.load);
        rb_matrix_free(&a.cfg.points);
        rb_store_close(st);
        return RB_EXIT_OK;
    }
    for (int i = 0; i < a.cfg.n_targets; i++)
        if (!p[i].ok) {
            fprintf(stderr, "rnnbench run: %s\n", p[i].why);
            a.cfg.unavailable_why[i] = p[i].why; /* for the report */
        }
    if (!available) {
        rc = rb_errf(&e, RB_EUNAVAIL, "none of the selected targets is available here");
        goto fail;
    }

    rb_warnings warn = {0};
    rb_host_reliability(&warn, a.cfg.threads, a.cfg.measure.min_reps);
    for (int i = 0; i < warn.n; i++)
        fprintf(stderr, "rnnbench run: warning: %s\n", warn.msg[i]);

    int64_t run_id = a.resume;
    if (!st && (rc = rb_store_open(&st, a.db, 0, &e)))
        goto fail;
    if (a.resume) {
        rc = rb_store_run_reopen(st, run_id, &e);
    } else {
        char *host = rb_host_json(), *config = rb_run_config_to_json(&a.cfg),
             *warnings = rb_warnings_json(&warn), *cmdline = rb_cli_command_line(argc, argv);
        rb_run_info ri = {a.label, RB_GIT_SHA, cmdline, host, config, warnings, RB_VERSION};
        rc = rb_store_run_begin(st, &ri, &run_id, &e);
        free(host);
        free(config);
        free(warnings);
        free(cmdline);
    }
    for (int i = 0; i < a.cfg.n_targets && !rc; i++) {
        if (!p[i].ok)
            continue;
        if (a.resume)
            rc = rb_store_device_find(st, run_id, p[i].t.instance, &p[i].device_id, &e);
        if (!a.resume || rc == RB_EINPUT)
            rc = rb_cli_store_device(st, run_id, &p[i].t, &p[i].device_id, &e);
    }
    if (rc)
        goto fail;

    fprintf(stderr, "rnnbench run: run %lld: %zu points x %d targets from %s, into %s\n",
            (long long)run_id, a.cfg.points.n, available, a.cfg.source, a.db);
    rb_signals_install();
    tally tl = {0};
    rc = run_points(&a, st, run_id, p, &tl, &e);
    close_all(&a.cfg, p);
    /* a lock that outlasted the retries stopped the run, as Ctrl-C would */
    const char *status = rc == RB_EINTR || rc == RB_EBUSY ? "interrupted"
                         : rc                             ? "failed"
                                                          : "complete";
    rb_err fe = {0};
    if (rb_store_run_finish(st, run_id, status, &fe) && !rc) {
        e = fe;
        rc = fe.code;
    }
    rb_store_close(st);
    st = NULL;
    rb_matrix_free(&a.cfg.points);
    free(a.owner);
    free(a.load);
    /* every status met, by name: "6 ok, 9 unsupported" (unsupported points
     * are not failures: the default matrix has fpga points too big for it) */
    char counts[256];
    size_t at = (size_t)snprintf(counts, sizeof counts, "%d ok", tl.count[0]);
    for (int k = 1; k < N_TALLY; k++)
        if (tl.count[k] && at < sizeof counts)
            at += (size_t)snprintf(counts + at, sizeof counts - at, ", %d %s", tl.count[k],
                                   tally_status[k]);
    fprintf(stderr, "rnnbench run: run %lld %s: %s%s\n", (long long)run_id, status, counts,
            tl.skipped ? " (resumed: earlier results kept)" : "");
    if (rc == RB_EINTR) {
        fprintf(stderr,
                "rnnbench run: interrupted; finished results are stored. Continue with: "
                "rnnbench run --db %s --resume %lld\n",
                a.db, (long long)run_id);
        return RB_EXIT_FAILURE;
    }
    if (rc == RB_EBUSY) {
        fprintf(stderr,
                "rnnbench run: %s\nrnnbench run: finished results are stored. Continue with: "
                "rnnbench run --db %s --resume %lld\n",
                e.msg, a.db, (long long)run_id);
        return RB_EXIT_FAILURE;
    }
    if (rc)
        return rb_cli_fail(cmd, &e);
    int bad = tl.count[1] + tl.count[2] + tl.count[3]; /* failed, mismatch, timeout */
    return bad ? RB_EXIT_FAILURE : RB_EXIT_OK;

fail:
    close_all(&a.cfg, p);
    rb_store_close(st);
    rb_matrix_free(&a.cfg.points);
    free(a.owner);
    free(a.load);
    return rb_cli_fail(cmd, &e);
}

const rb_command rb_command_run = {
    .name = "run",
    .summary = "run the workload matrix on the targets and store the results",
    .help = run_help,
    .help_tail = run_help_tail,
    .uses = RB_USE_DB | RB_USE_QUIET | RB_USE_AXES | RB_USE_SERVING | RB_USE_TARGET_FLAGS,
    .options = run_options,
    .option = run_option,
    .main = rb_cmd_run,
};
