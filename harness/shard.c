/* shard.c — the partition of a run's work over N shards (shard.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/textclass/strtab.h"
#include "estimate.h"
#include "shard.h"

int rb_shard_parse(const char *spec, rb_shard *out, rb_err *e)
{
    memset(out, 0, sizeof *out);
    char buf[64];
    if (spec && !strcmp(spec, "slurm")) {
        const char *id = getenv("SLURM_ARRAY_TASK_ID"), *min = getenv("SLURM_ARRAY_TASK_MIN"),
                   *count = getenv("SLURM_ARRAY_TASK_COUNT");
        if (!id || !count)
            return rb_errf(e, RB_EINPUT,
                           "--shard slurm: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are not "
                           "set: run it in a Slurm job array (sbatch --array=0-N), or give --shard "
                           "I/N");
        long i = strtol(id, NULL, 10) - (min ? strtol(min, NULL, 10) : 0);
        snprintf(buf, sizeof buf, "%ld/%s", i, count);
        spec = buf;
    }
    char *end;
    long i = spec ? strtol(spec, &end, 10) : -1, n = -1;
    if (spec && end != spec && *end == '/' && end[1] >= '0' && end[1] <= '9') {
        const char *at = end + 1;
        n = strtol(at, &end, 10);
        if (*end)
            n = -1;
    }
    if (n < 1 || n > RB_SHARD_MAX || i < 0 || i >= n)
        return rb_errf(e, RB_EINPUT,
                       "--shard '%s': expected I/N with 0 <= I < N <= %d (shard I of N, counted "
                       "from 0), or slurm",
                       spec ? spec : "", RB_SHARD_MAX);
    out->index = (int)i;
    out->count = (int)n;
    return 0;
}

/* The dry-run's call model (estimate.h) on the project's reference machine
 * (2 cores of an AMD EPYC): seconds a call = a + b*steps + flops/rate +
 * W_hh bytes read at every step / bw; the cpu's and gpu's as `run
 * --dry-run` calibrates them on workloads/default.ini, the fpga's and
 * asic's fitted to what its points took there (wall_ms: the calibration's
 * simulation term, which this model lacks, made its rates 10x too slow).
 * Only the ratios between targets and shapes matter for a partition; fixed,
 * so that every machine computes the same one. */
static const struct nominal {
    const char *target;
    double a, b, rate, bw;
} k_nominal[] = {
    {"cpu", 7e-8, 6e-8, 102e9, 12.3e9},
    {"gpu", 1.2e-4, 4.2e-5, 4.35e9, 1.61e9},
    {"fpga", 1.06e-4, 0, 1e9, 1e30},
    {"asic", 2.66e-4, 0, 24e9, 1e30},
};
/* the fp64 reference of a point, done once by each shard that runs it */
static double reference_s(const rb_workload *w) { return 1e-4 + rb_workload_flops(w) / 2.7e9; }

double rb_shard_cost(const rb_target_ops *ops, const rb_workload *w, const rb_measure_opts *o)
{
    const struct nominal *n = &k_nominal[0]; /* a target not in the table: like the cpu */
    for (size_t i = 0; i < sizeof k_nominal / sizeof k_nominal[0]; i++)
        if (!strcmp(ops->name, k_nominal[i].target))
            n = &k_nominal[i];
    rb_call_model m = {.call = {n->a, n->b, 1 / n->rate, 1 / n->bw, 0},
                       .load = {1e-3, 0},
                       .once = strcmp(ops->method, RB_SRC_MEASURED) != 0};
    double s = 0;
    rb_err e = {0};
    return rb_estimate_point(NULL, &m, w, o, &s, &e) ? 1e-3 : s;
}

typedef struct item {
    double cost;
    int index; /* point * n_targets + target */
} item;

static int by_cost(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return x->index - y->index;
}

/* The plan id: what the partition depends on, hashed. */
static int plan_id(const rb_run_config *c, char out[17], rb_err *e)
{
    size_t cap = 256, len = 0;
    char *s = malloc(cap);
    for (int pass = 0; s && pass < 1 + c->n_targets + (int)c->points.n; pass++) {
        char piece[512];
        if (pass == 0)
            snprintf(piece, sizeof piece, "%d;%llu;%d;%d;%d;%.17g;%.17g;%.17g;%.17g;",
                     c->shard.count, (unsigned long long)c->seed, c->measure.warmup,
                     c->measure.min_reps, c->measure.max_reps, c->measure.min_time_s,
                     c->measure.timeout_s, c->measure.budget_s, c->measure.serve_duration_s);
        else if (pass <= c->n_targets)
            rb_instance_spec(&c->targets[pass - 1], piece, sizeof piece - 1), strcat(piece, ";");
        else
            snprintf(piece, sizeof piece, "%s;", c->points.points[pass - 1 - c->n_targets].key);
        size_t l = strlen(piece);
        if (len + l + 1 > cap) {
            char *t = realloc(s, cap = 2 * (len + l + 1));
            if (!t) {
                free(s);
                s = NULL;
                break;
            }
            s = t;
        }
        memcpy(s + len, piece, l + 1);
        len += l;
    }
    if (!s)
        return rb_errf(e, RB_ENOMEM, "--shard: out of memory");
    snprintf(out, 17, "%016llx", (unsigned long long)rb_tc_fnv1a(s, len));
    free(s);
    return 0;
}

/* What a pair costs: a point that a simulated or modeled target refuses
 * (its work() says so from the shapes: an fpga configuration's largest
 * batch) is stored at once.  Such targets are software, the same on every
 * machine with this build; a measured target's refusals are left out, as
 * its probe depends on the machine. */
static double pair_cost(rb_target *t, const rb_target_ops *ops, const rb_workload *w,
                        const rb_measure_opts *o)
{
    if (t && t->available && strcmp(ops->method, RB_SRC_MEASURED)) {
        rb_call_work cw;
        rb_err e = {0};
        if (rb_target_work(t, w, &cw, &e) == RB_EUNAVAIL)
            return 1e-3;
    }
    return rb_shard_cost(ops, w, o);
}

int rb_shard_plan(rb_run_config *c, rb_target *const *probed, int *owner, double *load, rb_err *e)
{
    const int nt = c->n_targets, ns = c->shard.count;
    const size_t np = c->points.n, n = np * (size_t)nt;
    item *it = malloc((n ? n : 1) * sizeof *it);
    double *sum = calloc((size_t)ns, sizeof *sum);
    /* the last point each shard was given a target of, per point: a shard
     * that already runs point k pays no second reference for it */
    int *has = malloc((n ? np : 1) * (size_t)ns * sizeof *has);
    if (!it || !sum || !has) {
        free(it);
        free(sum);
        free(has);
        return rb_errf(e, RB_ENOMEM, "--shard: out of memory for %zu items", n);
    }
    memset(has, 0, (n ? np : 1) * (size_t)ns * sizeof *has);
    for (size_t k = 0; k < np; k++)
        for (int i = 0; i < nt; i++) {
            item *x = &it[k * nt + i];
            x->index = (int)(k * nt + i);
            x->cost = pair_cost(probed ? probed[i] : NULL, c->targets[i].ops, &c->points.points[k],
                                &c->measure);
        }
    qsort(it, n, sizeof *it, by_cost);
    for (size_t j = 0; j < n; j++) {
        const size_t k = (size_t)it[j].index / nt;
        const double ref = reference_s(&c->points.points[k]);
        int best = 0;
        double best_end = INFINITY;
        for (int s = 0; s < ns; s++) {
            double end = sum[s] + it[j].cost + (has[k * ns + s] ? 0 : ref);
            if (end < best_end)
                best_end = end, best = s;
        }
        sum[best] = best_end;
        has[k * ns + best] = 1;
        owner[it[j].index] = best;
    }
    if (load)
        memcpy(load, sum, (size_t)ns * sizeof *load);
    free(it);
    free(sum);
    free(has);
    return plan_id(c, c->shard.plan, e);
}
