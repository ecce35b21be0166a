/* estimate.h — how long a run will take, for `run --dry-run`.
 *
 * Peak FLOP/s says little about a 25-step LSTM: a kernel launch per step,
 * a memory-bound matrix-vector product at batch 1, an RTL simulator's speed
 * and a fixed-point golden model all cost more than the arithmetic.  So each
 * target is timed here, briefly, on a few small calibration calls, and a
 * call's time is fitted as a + b*steps + c*flops + d*bytes + e*sim over the work the
 * target says each call does (rb_target_work): the fit extrapolates to the
 * run's points.  The harness's own parts are modeled from what it does: the
 * repetitions rb_measure would run at that call time, loading, the fp64
 * reference (timed on the same calibration points), a server's rate search
 * (the search itself, run on the event simulation with the fitted service
 * times, each of its loads lasting as long as a live one would). */
#ifndef RB_ESTIMATE_H
#define RB_ESTIMATE_H
#include "../targets/target.h"
#include "measure.h"

typedef struct rb_call_model {
    double call[5]; /* a call: call[0] + [1]*steps + [2]*flops + [3]*bytes + [4]*sim, seconds */
    double load[2]; /* loading a point: load[0] + load[1]*parameters */
    int once;       /* deterministic: a point is one checked call (rb_measure) */
    int calls;      /* calibration calls that ran */
} rb_call_model;

/* The calibration points, prepared once (weights, input, fp64 reference)
 * for every target; making them fits the reference's time per point:
 * ref[0] + ref[1]*flops. */
typedef struct rb_calibration rb_calibration;
int rb_calibration_new(uint64_t seed, rb_calibration **out, double ref[2], rb_err *e);
void rb_calibration_free(rb_calibration *c); /* NULL is fine */

/* Time t (probed) on the calibration points and fit m: a second or two per
 * target, most of it in the slowest target's largest calibration call. */
int rb_estimate_calibrate(rb_target *t, rb_calibration *cal, rb_call_model *m, rb_err *e);

/* The reference's time for one point (the training check's problem for a train point). */
double rb_estimate_reference_s(const double ref[2], const rb_workload *w);

/* Seconds for point w on t as `run` would spend them (load, warm-up,
 * repetitions or the serving scenario's loads), reference not included;
 * RB_EUNAVAIL with the reason when the run would store it unsupported.
 * t NULL: the work of a timestep loop doing the FLOPs and reading W_hh at
 * every step from memory (no cache), nothing refused: what every machine
 * computes alike (shard.h). */
int rb_estimate_point(rb_target *t, const rb_call_model *m, const rb_workload *w,
                      const rb_measure_opts *o, double *seconds, rb_err *e);

/* The fitted model in words: "0.01 ms + 2.1 us/step + 38 GFLOP/s". */
const char *rb_estimate_describe(const rb_call_model *m, char *buf, size_t n);
#endif
