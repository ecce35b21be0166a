/* workload.h — one point of the workload matrix: what is run, not where.
 *
 * The number format is deliberately absent: it belongs to the device
 * configuration (fp32 on cpu/gpu, fixed point on the fpga, the ASIC preset's
 * datatype) and is stored with each result. */
#ifndef RB_WORKLOAD_H
#define RB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

typedef enum { RB_CELL_LSTM = 0, RB_CELL_RNN = 1, RB_CELL_GRU = 2 } rb_cell;
#define RB_CELL_COUNT 3
/* Sets of cells, for what a target runs (rb_target_ops.cells). */
#define RB_CELL_BIT(c) (1u << (unsigned)(c))
#define RB_CELLS_ALL ((1u << RB_CELL_COUNT) - 1)
typedef enum { RB_MODE_INFER = 0, RB_MODE_TRAIN = 1 } rb_mode;

#define RB_KEY_MAX 256
#define RB_MODEL_ID_MAX 64

/* What a point needs beyond the plain stack the axes describe: imported
 * models bring these (ONNX LSTM/RNN attributes).  A target declares which it
 * runs (rb_target_ops.features); the others are "unsupported: <name>" for
 * that target only. */
enum {
    RB_FEAT_REVERSE = 1u << 0,      /* layers run from the last step to the first */
    RB_FEAT_BIDIR = 1u << 1,        /* every layer runs both ways, outputs concatenated */
    RB_FEAT_PEEPHOLES = 1u << 2,    /* LSTM peephole weights P */
    RB_FEAT_CLIP = 1u << 3,         /* pre-activations clipped to [-clip, clip] */
    RB_FEAT_INPUT_FORGET = 1u << 4, /* LSTM forget gate coupled: f = 1 - i */
    RB_FEAT_SEQ_LENS = 1u << 5,     /* a length per batch row (rb_batch.lens) */
    /* A forward without h0/c0 continues from the state the previous one
     * ended in (zeros after load): a stream fed a step per call keeps its
     * state on the device, as a streaming service does. */
    RB_FEAT_STATEFUL = 1u << 6,
    /* GRU: the reset gate multiplies h before W_hn (ONNX linear_before_reset
     * = 0, ONNX's default); without it, PyTorch's r (.) (W_hn h + b_hn). */
    RB_FEAT_RESET_BEFORE = 1u << 7,
    RB_FEAT_ALL = (1u << 8) - 1
};
/* The name of one feature bit ("peepholes"), for "unsupported: peepholes". */
const char *rb_feature_name(unsigned bit);
/* Comma-separated names of every bit in f into buf ("" for none); returns buf. */
const char *rb_features_str(unsigned f, char *buf, size_t n);

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
    int dirs;             /* 2: bidirectional; 0 or 1: one direction (see rb_workload_dirs) */
    unsigned features;    /* RB_FEAT_*; 0 for a stack described by its axes */
    /* "" for a seeded stack; an imported model's "name-hash" (its file's name
     * and a short hash of its content), which the key ends with, so results
     * of one file pair across runs and those of a changed file do not. */
    char model[RB_MODEL_ID_MAX];
    /* how queries reach it: RB_SCN_NONE (zero) for one call at a time; a
     * serving scenario's point has batch 1 (a query is one sequence) */
    rb_serve_spec serve;
} rb_workload;

/* Directions: 1 or 2 (a zero-initialised workload has one). */
int rb_workload_dirs(const rb_workload *w);
/* Width of one timestep of the output: dirs * H. */
int rb_workload_y_width(const rb_workload *w);

/* Gates per cell: 4 for LSTM (i,f,g,o as PyTorch), 3 for the GRU (r,z,n
 * as PyTorch), 1 for the tanh RNN. */
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
 *   per layer and direction, inference: 2 * G*H * (I_l + H) * B * T, with G = 4
 *   (LSTM), 3 (GRU) or 1 (RNN), I_l = I for the first layer and D*H after it (D = 2
 *   directions when bidirectional).  Without input projection the
 *   first layer counts 2*G*H*H*B*T (DeepBench's 8*H^2*B*T for an LSTM,
 *   6*H^2*B*T for a GRU: its reset gate scales the recurrent product's
 *   result, which adds no multiply-add to count).
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
