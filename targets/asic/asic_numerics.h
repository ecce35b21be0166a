/* asic_numerics.h — the asic target's emulated forward in a preset's datatype.
 *
 * The analytical model (asic_model.h) says how long and how much energy; this
 * says what the hardware would compute, so every asic result carries real
 * outputs and an error against the fp32 reference like every other target.
 *
 * The scheme (MODEL.md, "Numerics"), the one common on int8 / bf16 RNN
 * accelerators: the matrix unit multiplies in the preset's datatype and
 * accumulates in its accumulator width; the vector unit (bias, gates, cell
 * state) works in fp32; h is stored in the datatype between steps and
 * layers, and the outputs y are those stored values.
 *   int8, int16  symmetric, no zero point.  Weights: one scale per tensor
 *                (W_ih and W_hh each) or one per output row (per-channel),
 *                s = max|w| / qmax, qmax = 127 or 32767 (an all-zero row or
 *                tensor gets s = 1).  x: one scale for the whole input
 *                sequence of the call, s_x = max|x| / qmax (calibrated on the
 *                data at hand).  h: s_h = 1 / qmax (h is in [-1, 1]).
 *                q = clamp(round_half_even(v / s), -qmax, qmax).  The input
 *                projection and the recurrent product are two integer matrix
 *                products, each dequantized with its own scales:
 *                pre = s_wih*s_x*acc_ih + s_whh*s_h*acc_hh + (b_ih + b_hh).
 *                Sums are exact (the accumulator is checked wide enough for
 *                the longest dot product when the model is prepared).
 *   fp16, bf16   weights, x and h rounded to the type (round to nearest even;
 *                fp16 overflows to inf and keeps subnormals); products are
 *                exact in fp32; accumulation in fp32 (acc_bits 32, summation
 *                order that of OpenBLAS, not the array's: a rounding-level
 *                difference) or in the datatype itself (acc_bits 16: every
 *                partial sum rounded, sequentially over k).
 *   fp32         plain fp32 (sgemm), the cpu target's arithmetic.
 * Without input projection (DeepBench-style workloads) x is already [T, B,
 * G*H] of pre-activations and is added in fp32.
 * The GRU (PyTorch's, linear_before_reset = 1) runs the same products; its
 * n row's input and recurrent sums stay apart into the vector unit, which
 * computes n = tanh(W_in x + b_in + r (.) (W_hn h + b_hn)) and
 * h' = (1 - z) (.) n + z (.) h in fp32 from the stored h_{t-1}.  A GRU
 * with reset_before (linear_before_reset = 0) is refused (RB_EINPUT).
 * What imported models add (model.h) runs in the same scheme: a bidirectional
 * layer is two units, each quantized like a layer, whose stored h fill the
 * two halves of the layer's output (the next layer's input, 2H wide, with
 * h's fixed scale); a reversed unit walks its steps backwards; peepholes (an
 * elementwise product with c), clip and input_forget are vector-unit work,
 * so in fp32 with the peephole weights kept fp32 like the bias; with row
 * lengths a row past its end stores a zero output and keeps its h and c,
 * and x's int scale is calibrated on the steps the rows run. */
#ifndef RB_ASIC_NUMERICS_H
#define RB_ASIC_NUMERICS_H

#include <stddef.h>

#include "../../workloads/model.h"
#include "../../workloads/rb_err.h"

typedef enum {
    RB_ASIC_INT8 = 0,
    RB_ASIC_INT16,
    RB_ASIC_FP16,
    RB_ASIC_BF16,
    RB_ASIC_FP32,
} rb_asic_dtype;

typedef enum { RB_ASIC_PER_TENSOR = 0, RB_ASIC_PER_CHANNEL } rb_asic_quant;

typedef struct rb_asic_numerics {
    rb_asic_dtype dtype;
    int acc_bits;               /* int types: 16..64; fp16/bf16: 16 or 32; fp32: 32 */
    rb_asic_quant weight_quant; /* int types only */
} rb_asic_numerics;

const char *rb_asic_dtype_name(rb_asic_dtype d);            /* "int8", "bf16", ... */
int rb_asic_dtype_parse(const char *s, rb_asic_dtype *out); /* 0 or -1 */
int rb_asic_dtype_bits(rb_asic_dtype d);                    /* 8, 16 or 32 */
int rb_asic_dtype_is_int(rb_asic_dtype d);
/* 0, or RB_EINPUT naming what is wrong (an acc_bits the datatype cannot have). */
int rb_asic_numerics_check(const rb_asic_numerics *n, rb_err *e);
/* "int8 per-channel, int32 acc", "bf16, fp32 acc", "fp32": for rb_device_info.numerics.
 * Never "fp32" for a reduced-precision datatype (the harness checks fp32
 * results against the fp32 bound and treats the others as quality figures). */
const char *rb_asic_numerics_name(const rb_asic_numerics *n, char *buf, size_t len);

/* Round to the nearest bf16 / fp16 value (ties to even), returned as a float. */
float rb_asic_round_bf16(float x);
float rb_asic_round_fp16(float x);

/* A model prepared for the emulated forward: quantized or rounded weights
 * and every buffer a forward of up to max_T x max_B needs. */
typedef struct rb_asic_qmodel rb_asic_qmodel;

/* RB_EUNAVAIL when the accumulator cannot hold the longest dot product
 * exactly (qmax^2 * K > 2^(acc_bits-1) - 1 for the int types: codes are
 * symmetric, never -2^(bits-1)), with the numbers in the message; RB_ENOMEM;
 * RB_EINPUT for bad arguments. */
int rb_asic_qmodel_new(rb_asic_qmodel **out, const rb_model *m, const rb_asic_numerics *n,
                       int max_T, int max_B, rb_err *e);
void rb_asic_qmodel_free(rb_asic_qmodel *q); /* NULL is fine */

/* y: [T, B, D*H], the last layer's stored h (dequantized), the forward
 * direction first in each row.  in->seq <= max_T, in->batch <= max_B;
 * h0/c0 [L*D, B, H] by unit; in->lens honoured.  Allocates nothing. */
int rb_asic_forward(rb_asic_qmodel *q, const rb_batch *in, float *y, rb_err *e);

/* Worst max |y - ref| measured for PyTorch-style init over the tested shapes
 * (tests/targets/test_asic_numerics.c, which asserts it); like the fpga's, a
 * quality figure the harness reports, not a gate.  fp32 results are checked
 * by the harness against the fp32 bound instead. */
double rb_asic_quality_bound(const rb_asic_numerics *n);

#endif
