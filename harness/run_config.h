/* run_config.h — everything a run needs to be resumed, as stored in
 * runs.config_json: the targets, the expanded points and the measurement
 * options.  A resumed run uses exactly these, whatever the command line or
 * the matrix file now says. */
#ifndef RB_RUN_CONFIG_H
#define RB_RUN_CONFIG_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "../workloads/matrix.h"
#include "cli.h"
#include "measure.h"

#define RB_MAX_TARGETS 16

/* A run that is one shard of a larger one (shard.h); count 0: not sharded. */
#define RB_SHARD_MAX 10000
typedef struct rb_shard {
    int index, count; /* 0 <= index < count */
    char plan[17];    /* the partition's id: 16 hex digits */
} rb_shard;

typedef struct rb_run_config {
    rb_instance targets[RB_MAX_TARGETS]; /* the instances, shorthand flags applied */
    int n_targets;
    rb_matrix points;
    char source[1024]; /* where the points came from (matrix path or "command-line axes") */
    rb_measure_opts measure;
    int threads;
    uint64_t seed;
    rb_shard shard;
    const int *shard_owner; /* the partition (rb_shard_plan), stored for `merge`; not owned */
    /* Why targets[i] was unavailable when the run began (NULL: it was not),
     * not owned; stored for the report, not read back by --resume (which
     * probes again). */
    const char *unavailable_why[RB_MAX_TARGETS];
} rb_run_config;

/* A workload point's fields as members of o (run configs, dump's meta.json). */
void rb_workload_to_json(cJSON *o, const rb_workload *w);

char *rb_run_config_to_json(const rb_run_config *c); /* caller frees */
int rb_run_config_from_json(rb_run_config *c, const char *json, rb_err *e);

#endif
