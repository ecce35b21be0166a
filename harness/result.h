/* result.h — one finished (or failed) measurement, as the store writes it and
 * reports read it back. */
#ifndef RB_RESULT_H
#define RB_RESULT_H

#include <stdint.h>

#include "../reports/figure_table.h"
#include "../targets/target.h"
#include "serving.h"

/* result status values stored in results.status */
#define RB_STATUS_OK "ok"
#define RB_STATUS_MISMATCH "mismatch" /* ran, but error vs reference above tolerance */
#define RB_STATUS_FAILED "failed"
#define RB_STATUS_TIMEOUT "timeout"
#define RB_STATUS_UNSUPPORTED "unsupported" /* e.g. train on a target without train_step */
#define RB_STATUS_INTERRUPTED "interrupted"

/* One load a served point was run at: the maximum-rate search's probes,
 * or the one offered rate. */
typedef struct rb_load_point {
    double offered_qps, achieved_qps, p50_ms, p99_ms;
    size_t queries;
} rb_load_point;
#define RB_MAX_LOAD_POINTS 64

/* What a serving scenario's result holds beyond the figures. */
typedef struct rb_served {
    rb_hist lat; /* every query's latency at the reported load */
    uint64_t batch_count[RB_SERVE_MAX_BATCH + 1];
    rb_load_point load[RB_MAX_LOAD_POINTS];
    int n_load;
    int threads; /* the measured target's threads while the load generator ran */
} rb_served;

typedef struct rb_result {
    int64_t run_id;
    int64_t device_id;
    const rb_workload *w;
    char numerics[32];
    const char *status;
    char message[512];
    int threads;
    int warmup;                 /* warm-up repetitions run (excluded from the figures) */
    int reps;                   /* timed repetitions behind the figures */
    RB_FIGURE_FIELDS;           /* reports/figure_table.h; NaN: not known */
    const char *latency_source; /* RB_SRC_* */
    const char *energy_source;  /* RB_ESRC_*; NULL when energy_j is not known */
    const char *energy_boundary; /* what energy_j covers (RB_BOUNDARY_* or a person's word) */
    double *samples_ms;         /* [reps] */
    rb_metric metrics[2 * RB_SAMPLE_MAX_METRICS];
    int n_metrics;
    rb_served *served; /* a serving scenario's; NULL otherwise (owned) */
} rb_result;

/* A result of nothing yet: zeros, no figure known. */
void rb_result_init(rb_result *r);

#endif
