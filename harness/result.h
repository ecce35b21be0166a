/* result.h — one finished (or failed) measurement, as the store writes it and
 * reports read it back. */
#ifndef RB_RESULT_H
#define RB_RESULT_H

#include <stdint.h>

#include "../targets/target.h"

/* result status values stored in results.status */
#define RB_STATUS_OK "ok"
#define RB_STATUS_MISMATCH "mismatch" /* ran, but error vs reference above tolerance */
#define RB_STATUS_FAILED "failed"
#define RB_STATUS_TIMEOUT "timeout"
#define RB_STATUS_UNSUPPORTED "unsupported" /* e.g. train on a target without train_step */
#define RB_STATUS_INTERRUPTED "interrupted"

typedef struct rb_stats {
    int n;
    double median, p10, p90, p99, mean, stddev, min, max;
    double ci_lo, ci_hi; /* 95% confidence interval of the median (order statistics) */
} rb_stats;

typedef struct rb_result {
    int64_t run_id;
    int64_t device_id;
    const rb_workload *w;
    char numerics[32];
    const char *status;
    char message[512];
    int threads;
    int warmup;                 /* warm-up repetitions run (excluded from stats) */
    double first_ms;            /* the very first call: cold caches, first-touch */
    double warmup_mean_ms;      /* mean of the warm-up calls */
    double load_ms;             /* target load(): weights to device */
    rb_stats lat;               /* in milliseconds, over `samples_ms` */
    const char *latency_source; /* RB_SRC_* */
    double throughput_sps;      /* sequences/s = B / median */
    double gflops;              /* rb_workload_flops / median */
    double energy_j;            /* per call; < 0 = none */
    const char *energy_source;  /* RB_ESRC_*; NULL when energy_j < 0 */
    double err_max_abs, err_max_rel, err_tol;
    double *samples_ms; /* [lat.n] */
    rb_metric metrics[2 * RB_SAMPLE_MAX_METRICS];
    int n_metrics;
} rb_result;

#endif
