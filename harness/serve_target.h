/* serve_target.h — a target instance serving a scenario: per-batch-size
 * loads for the load generator (measured targets) and per-batch-size
 * service times for the event simulation (simulated and modeled ones). */
#ifndef RB_SERVE_TARGET_H
#define RB_SERVE_TARGET_H

#include "../targets/target.h"

typedef struct rb_serve_size {
    rb_target t; /* an instance loaded for batches of this size */
    rb_workload w;
    float *x, *y;
    float *zeros; /* streaming: [L*D, n, H] states that start a stream */
    long steps;   /* streaming: forwards so far (a stream restarts every stream_len) */
    int loaded;
    double device_s; /* its own latency for one batch; < 0 until asked */
    double energy_j; /* its own energy for one batch (< 0: none), with device_s */
    const char *energy_source;
} rb_serve_size;

typedef struct rb_serve_target {
    rb_instance in;
    int threads;
    const rb_model *m; /* the weights (seeded or imported), not owned */
    rb_workload w;     /* the point; batch is the batch's size */
    int max_batch;
    /* streaming: a query is one timestep and a load runs one step per call
     * (stateful where the target keeps states); a stream restarts from
     * zeros every stream_len = the point's seq steps.  0: a query is the
     * whole sequence. */
    int stream_len;
    rb_serve_size *size; /* [max_batch + 1] */
} rb_serve_target;

int rb_serve_target_init(rb_serve_target *s, const rb_instance *in, int threads, const rb_model *m,
                         const rb_workload *w, int max_batch, rb_err *e);
void rb_serve_target_free(rb_serve_target *s);
/* Load every batch size and run each once, so that nothing of the first
 * use lands in a served query's latency. */
int rb_serve_target_warm(rb_serve_target *s, rb_err *e);
/* rb_service_fn: the target's own latency for a batch of n (simulated or
 * modeled; RB_EINPUT for a measured target, which gives none). */
int rb_serve_target_service(void *ctx, int n, double *seconds, rb_err *e);
/* The target's own energy for a batch of n (asked with its service time):
 * joules and source, or -1 when it gives none. */
double rb_serve_target_energy(const rb_serve_target *s, int n, const char **source);
/* rb_batch_run_fn: a forward of a batch of n on the target, now. */
int rb_serve_target_run(void *ctx, int n, rb_err *e);
/* Streaming on a target that keeps states (RB_FEAT_STATEFUL): the point's
 * input x [T, 1, width] fed one step per call from zero states, the outputs
 * into y [T, 1, D*H], to be checked against the whole sequence's reference.
 * RB_EUNAVAIL for a target that computes a whole sequence per call. */
int rb_serve_target_stream(rb_serve_target *s, const float *x, float *y, rb_err *e);

#endif
