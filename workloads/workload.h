/* workload.h — one point of the workload matrix: what is run, not where.
 *
 * The number format is deliberately absent: it belongs to the device
 * configuration (fp32 on cpu/gpu, fixed point on the fpga, the ASIC preset's
 * datatype) and is stored with each result. */
#ifndef RB_WORKLOAD_H
#define RB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

typedef enum { RB_CELL_LSTM = 0, RB_CELL_RNN = 1 } rb_cell;
typedef enum { RB_MODE_INFER = 0, RB_MODE_TRAIN = 1 } rb_mode;

#define RB_KEY_MAX 96

typedef struct rb_workload {
    rb_cell cell;
    rb_mode mode;
    int seq;              /* T */
    int batch;            /* B */
    int input;            /* I (already resolved when the matrix said "input = hidden") */
    int hidden;           /* H */
    int layers;           /* L */
    int input_proj;       /* 1: the first layer multiplies x by W_ih (the normal case).
                       0: DeepBench-style: x arrives already projected, shape
                       [T,B,G*H], and only the recurrent part is computed. */
    char key[RB_KEY_MAX]; /* canonical, e.g. lstm_infer_t25_b4_i512_h512_l1 */
} rb_workload;

/* Gates per cell: 4 for LSTM (i,f,g,o as PyTorch), 1 for the tanh RNN. */
int rb_cell_gates(rb_cell c);
const char *rb_cell_name(rb_cell c);
const char *rb_mode_name(rb_mode m);
int rb_cell_parse(const char *s, rb_cell *out); /* 0 or -1 */
int rb_mode_parse(const char *s, rb_mode *out); /* 0 or -1 */

/* Fill w->key from the other fields. */
void rb_workload_make_key(rb_workload *w);
/* A whole point from its axes, key included. */
rb_workload rb_workload_of(rb_cell cell, rb_mode mode, int seq, int batch, int input, int hidden,
                           int layers, int input_proj);

/* Width of one timestep of the input tensor x: I, or G*H without input projection. */
int rb_workload_x_width(const rb_workload *w);

/* The FLOP formulas, in one place (DESIGN.md "FLOP counting"):
 *   per layer, inference: 2 * G*H * (I_l + H) * B * T, with G = 4 (LSTM) or 1 (RNN),
 *   I_l = I for the first layer and H after it.  Without input projection the
 *   first layer counts 2*G*H*H*B*T (DeepBench's 8*H^2*B*T for an LSTM).
 *   Training step ~ 3x the forward (backward ~ 2x forward).
 * Elementwise gate math is not counted, as benchdnn and DeepBench do not. */
double rb_workload_flops(const rb_workload *w);

/* The problem a training result's gradients are checked on.  The fp64
 * reference backward runs at about 1 GFLOP/s; past RB_TRAIN_CHECK_FLOP
 * (~10 s of it) the check keeps the model (cell, input, hidden, layers,
 * projection: every weight shape, so every GEMM's H and I) and shortens the
 * problem to T <= RB_TRAIN_CHECK_T steps and B <= 2 rows, which still runs
 * the recurrence and the batched paths.  Returns 1 when *check is reduced,
 * 0 when it is w itself. */
#define RB_TRAIN_CHECK_FLOP 1e10
#define RB_TRAIN_CHECK_T 4
int rb_train_check_workload(const rb_workload *w, rb_workload *check);

/* Bytes a run of this workload needs on the host: fp32 weights, input, gate
 * buffers and outputs for the target, plus the fp64 reference's copies.  Used
 * to refuse absurd sizes before anything is allocated. */
uint64_t rb_workload_mem_bytes(const rb_workload *w);

#endif
