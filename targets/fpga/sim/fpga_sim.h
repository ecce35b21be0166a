/* fpga_sim.h — C API over the Verilated LSTM accelerator (targets/fpga/rtl).
 *
 * The RTL is built into this binary once per hardware configuration
 * (CMake: RB_FPGA_<SMALL|LARGE|SMALL8|CUSTOM>_*), each a separate Verilated
 * model; one rb_fpga_sim is one instance of one of them.  Latency is counted
 * clock cycles of the simulated design (fpga_hw.h has the cycle formula);
 * arithmetic is bit-exact with golden.h (targets/fpga/SPEC.md).
 *
 * Compiled only when CMake found Verilator (RB_HAVE_VERILATOR); the header
 * itself is plain C11 and safe to include either way.  Errors: functions
 * return a negative RB_E* code (rb_err.h) and write a message into err
 * (err may be NULL).  An instance is not thread-safe; distinct instances
 * may run on distinct threads. */
#ifndef RB_FPGA_SIM_H
#define RB_FPGA_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "../fpga_hw.h"
#include "../golden.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rb_fpga_sim rb_fpga_sim;

typedef struct rb_fpga_counters {
    uint64_t cycles;       /* start to done: all T timesteps, layers, the whole batch */
    uint64_t stall_cycles; /* of those, cycles the MAC array waited for off-chip weights */
    uint64_t useful_macs;  /* sum_l G*H*K_l * B * T (padding lanes, and the gru's zeroed
                              halves of its n rows, not counted) */
    uint64_t load_cycles;  /* model loading of the last rb_fpga_sim_load */
    int weights_onchip;    /* 1: weights in on-chip memory, 0: streamed every timestep */
} rb_fpga_counters;

/* config: a name from rb_fpga_hw_configs (fpga_hw.h); RB_EUNAVAIL in err when
 * this build did not verilate it.  NULL on error. */
rb_fpga_sim *rb_fpga_sim_new(const char *config, char *err, size_t errlen);
void rb_fpga_sim_free(rb_fpga_sim *s);
const rb_fpga_hw *rb_fpga_sim_hw(const rb_fpga_sim *s);
/* Off-chip bandwidth for streamed weights, bytes per cycle (> 0), quantized
 * to 1/256 byte; the default is hw->offchip_bpc. */
int rb_fpga_sim_set_offchip_bpc(rb_fpga_sim *s, double bytes_per_cycle);
/* Load packed weights and biases through the load port (on chip) or into the
 * off-chip memory (streamed; biases still through the port).  *load_cycles
 * (may be NULL): load-port cycles, counted by the RTL for what goes on chip,
 * the same beats for what goes off chip. */
int rb_fpga_sim_load(rb_fpga_sim *s, const rb_fx_model *fx, uint64_t *load_cycles, char *err,
                     size_t errlen);
/* Run timesteps [0,T) with batch B on the loaded model.  x [T,B,I]; h0, c0
 * [L,B,H] or NULL for zeros; y [T,B,H] (may be NULL).  c (may be NULL) gets
 * the counters.  Inputs are written and outputs read outside the counted
 * window. */
int rb_fpga_sim_run(rb_fpga_sim *s, int T, int B, const int16_t *x, const int16_t *h0,
                    const int16_t *c0, int16_t *y, rb_fpga_counters *c, char *err, size_t errlen);
/* Final states of the last run, [L,B,H] each (either may be NULL; c_n
 * written for the lstm only). */
int rb_fpga_sim_state(rb_fpga_sim *s, int16_t *h_n, int16_t *c_n, char *err, size_t errlen);

/* RTL unit harness (rtl/fpga_units.sv), for tests: the blocks of the
 * accelerator evaluated in simulation, in the number format of configuration
 * hw (one harness model per configuration).  Values must be in the format's
 * range.  RB_ERUNTIME when the harness was built for another format.
 * Activation unit: tanh_q and sigmoid_q of x[0..n). */
int rb_fpga_unit_act(const rb_fpga_hw *hw, const int16_t *x, int16_t *tanh_y, int16_t *sig_y,
                     size_t n);
/* A 4-lane MAC array with batch 2, driven as the accelerator drives it:
 * w [4][k] rows, v [2][k] vectors, bias[4] -> pre [2][4] (batch-major), the
 * narrowed pre-activations sat(rshr(sum + bias << F, F)). */
int rb_fpga_unit_mac(const rb_fpga_hw *hw, const int16_t *w, const int16_t *v, int k,
                     const int16_t bias[4], int16_t pre[8]);
/* One cell update for n units in a stream: pre [n][4] (lstm i,f,g,o; gru
 * r, z, n_x, n_h as rb_fx_gru_unit takes them; the rnn uses pre[.][2]),
 * c [n] (lstm: the cell state; gru: h_{t-1}) -> c_next [n] (lstm: c'; gru:
 * the n pre-activation r * n_h + n_x, sat), h [n]. */
int rb_fpga_unit_cell(const rb_fpga_hw *hw, rb_cell cell, const int16_t *pre, const int16_t *c,
                      int16_t *c_next, int16_t *h, size_t n);

#ifdef __cplusplus
}
#endif

#endif
