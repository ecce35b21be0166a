/* shard.h — one run's work split over N processes (`run --shard I/N`).
 *
 * The work is every (point, target instance) pair of the run.  Each shard
 * computes the same partition on its own, from the run's configuration
 * alone — the points, the instances, the measurement options and N — so
 * that N processes on N machines agree on it without talking: the costs
 * are the dry-run's model with fixed coefficients (not calibrated on the
 * machine, which would differ between them), and the assignment is greedy
 * (longest first, each to the shard that ends least loaded, counting the
 * fp64 reference once per point per shard), ties broken by position.
 * Shards of one partition share its plan id: `merge` gathers them into one
 * run. */
#ifndef RB_SHARD_H
#define RB_SHARD_H

#include "../workloads/rb_err.h"
#include "run_config.h"

/* "I/N" (0 <= I < N <= RB_SHARD_MAX) or "slurm": I and N from a Slurm job
 * array (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT).
 * RB_EINPUT saying what is wrong. */
int rb_shard_parse(const char *spec, rb_shard *out, rb_err *e);

/* The partition of c's work into c->shard.count shards: owner[k * n_targets
 * + i] is the shard of point k on target i (c->points.n * n_targets ints),
 * and c->shard.plan its id.  probed (n_targets, may be NULL, entries may
 * be NULL): the probed targets, whose refusals a simulated or modeled one
 * knows from the shapes.  load (count doubles, may be NULL): each shard's
 * estimated seconds.  RB_ENOMEM. */
int rb_shard_plan(rb_run_config *c, rb_target *const *probed, int *owner, double *load, rb_err *e);

/* The fixed-coefficient estimate of point w on a target of this kind
 * (measured or not), reference not included, seconds. */
double rb_shard_cost(const rb_target_ops *ops, const rb_workload *w, const rb_measure_opts *o);

#endif
