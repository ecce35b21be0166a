/* fpga_hw.h — one hardware configuration of the fpga accelerator and what
 * follows from it without simulating: whether a model and run shape fit,
 * the packed weight words, and the cycle formula of rtl/README.md.
 *
 * Plain C, compiled with or without Verilator: `rnnbench explore` estimates
 * candidate configurations everywhere, and the Verilator shim
 * (sim/fpga_sim.cpp) checks and predicts with these same functions.
 * The configurations CMake describes (RB_FPGA_PARAMS in CMakeLists.txt) are
 * in fpga_hw_table.c. */
#ifndef RB_FPGA_HW_H
#define RB_FPGA_HW_H

#include <stddef.h>
#include <stdint.h>

#include "golden.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rb_fpga_hw {
    const char *name;      /* "small", "large", "small8", "custom" */
    const char *describes; /* the class of part it resembles and why these sizes */
    rb_fx_fmt fmt;         /* the number format of the datapath (DATA_W, FRAC) */
    int lanes;             /* MAC lanes: weights multiplied per cycle */
    int vlanes;            /* update-engine units per cycle; host-port beat = vlanes values */
    int max_b, max_h, max_i, max_l;          /* batch, hidden, input, layers */
    long wmem_words, xmem_words, ymem_words; /* on-chip weights / input / output buffers, values */
    int oc_fifo;                             /* off-chip weight FIFO depth, LANES-wide words */
    double clock_hz;    /* clock the class of part typically closes at: cycles -> seconds */
    double offchip_bpc; /* default off-chip bandwidth, bytes per cycle */
} rb_fpga_hw;

/* The configurations this build describes (*out: an array, CMake's
 * RB_FPGA_PARAMS, plus "custom" when the build verilates one); their count.
 * Whether each one's RTL was verilated is the simulator's business
 * (rb_fpga_sim_new refuses one that was not). */
int rb_fpga_hw_configs(const rb_fpga_hw **out);
/* The configuration called name, or NULL. */
const rb_fpga_hw *rb_fpga_hw_find(const char *name);

/* Write the RTL parameters of hw as synth.sh's RB_SYNTH_PARAMS and the
 * summaries' params= line have them ("DATA_W=16 FRAC=12 LANES=16 ..."). */
void rb_fpga_hw_params(const rb_fpga_hw *hw, char *buf, size_t len);
/* Are hw's RTL parameters ones the RTL accepts (rtl/README.md: powers of
 * two, 4 * VLANES <= LANES, the format's range ...)?  0, or RB_EINPUT
 * naming the first that is not. */
int rb_fpga_hw_valid(const rb_fpga_hw *hw, char *err, size_t errlen);

/* MAC lanes per unit, R: 4 for the lstm (i, f, g, o) and the gru (r, z,
 * and the n row twice: its input product and its recurrent product in
 * lanes of their own, since r scales only the second), 1 for the rnn.
 * The RTL's rows of a layer are R*H, lane row q = j*R + g of unit j. */
int rb_fpga_lane_rows(rb_cell cell);
/* What lane row q of unit u (layer u of a plain stack) holds: its weight in
 * column k and its bias.  The lstm's and rnn's are the packed rows of
 * golden.h; the gru's lane rows r, z, n_x, n_h are its packed rows r, z,
 * then row n with the recurrent columns zeroed and bias b_in, then row n
 * with the input columns zeroed and bias b_hn. */
int16_t rb_fpga_lane_weight(const rb_fx_model *fx, int u, long q, long k);
int16_t rb_fpga_lane_bias(const rb_fx_model *fx, int u, long q);
/* Blocks of LANES lane rows per layer: ceil(R*H / LANES). */
long rb_fpga_row_blocks(const rb_fpga_hw *hw, const rb_fx_model *fx);
/* Weight words (LANES values each) of one timestep: sum over layers of
 * ceil(R*H / LANES) * K_l.  The weights stay on chip when
 * words * lanes <= wmem_words, else they are streamed every timestep. */
long rb_fpga_weight_words(const rb_fpga_hw *hw, const rb_fx_model *fx);
/* Would this model and run shape fit the configuration?  0, or RB_EINPUT with
 * the limit that is exceeded (or the number format that differs) named in
 * err.  T, B <= 0 skip the run checks.  The RTL runs a plain stack (one
 * direction, forward in time: rb_fx_is_plain); other models are refused
 * here and run as passes of plain stacks by the adapter (fpga_passes.c). */
int rb_fpga_hw_check(const rb_fpga_hw *hw, const rb_fx_model *fx, int T, int B, char *err,
                     size_t errlen);
/* The fpga code's error convention: a message into err (err may be NULL,
 * errlen 0) like snprintf, and code returned. */
int rb_fpga_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Bytes per cycle -> the DMA's credit units (1/256 byte per cycle), as the
 * RTL's CSR holds them. */
uint32_t rb_fpga_bpc_q(double bytes_per_cycle);

/* Cycles predicted by the documented formula (rtl/README.md), without
 * simulating.  Exact for on-chip weights; for streamed weights exact in the
 * bandwidth-bound and in the compute-bound regime, a lower bound in between. */
uint64_t rb_fpga_cycles_formula(const rb_fpga_hw *hw, const rb_fx_model *fx, int T, int B,
                                double offchip_bpc);

#ifdef __cplusplus
}
#endif

#endif
