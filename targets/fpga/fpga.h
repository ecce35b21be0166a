/* fpga.h — the fpga adapter's internal interface (not used outside targets/fpga/).
 *
 * fpga_config.c  --fpga-config / --fpga-clock-mhz / --fpga-sim into an fpga_config
 * fpga.c         the target: quantize, simulate (full or sampled), check, report
 * fpga_passes.c  reversed and bidirectional stacks as passes the RTL can run
 * golden.c       the bit-exact fixed-point model (SPEC.md)
 * sim/           the Verilator shim over the RTL in rtl/ */
#ifndef RB_FPGA_H
#define RB_FPGA_H

#include "../target.h"
#include "golden.h"
#include "sim/fpga_sim.h"

typedef enum { FPGA_SIM_AUTO = 0, FPGA_SIM_FULL, FPGA_SIM_SAMPLED } fpga_sim_mode;

/* Above this many predicted cycles x MAC lanes, auto simulates only a few
 * timesteps.  Verilator's cost per cycle grows with the lanes (measured here:
 * small, 16 lanes, ~5 M cycles/s; large, 256 lanes, ~0.11 M cycles/s: both
 * ~30-80 M lane-cycles/s), so this is about half a second of simulation
 * whichever configuration runs. */
#define RB_FPGA_FULL_SIM_LANE_CYCLES 20000000ull
/* Sampled mode simulates 1 and then 2 timesteps: their difference is the cost
 * of a step, which the design makes the same for every step. */
#define RB_FPGA_SAMPLED_STEPS 2

typedef struct fpga_config {
    const rb_fpga_hw *hw; /* a configuration built into this binary */
    double clock_mhz;
    double offchip_bpc; /* bytes per cycle for weights that do not fit on chip */
    fpga_sim_mode sim;
    char source[288]; /* "built-in small" or the user's file */
} fpga_config;

/* One pass of the accelerator (fpga_passes.c): layers [layer0, layer0 +
 * layers) of direction dir as a plain stack the RTL runs in one go, over
 * the time-reversed sequence when reverse is set. */
typedef struct fpga_pass {
    int layer0, layers, dir, reverse;
    int unit0;        /* its first unit, layer0 * D + dir */
    int width;        /* its input's width: I for layer 0, D*H after */
    rb_fx_model view; /* the plain stack: aliases the model's weights, never freed */
} fpga_pass;

/* The passes of fx in the order they run, into out[rb_fx_units(fx)];
 * returns how many (1 for a plain stack). */
int rb_fpga_plan(const rb_fx_model *fx, fpga_pass *out);
/* "layer 1 reverse direction", "layers 0-2 reversed" ... into buf; returns buf. */
const char *rb_fpga_pass_name(const rb_fx_model *fx, const fpga_pass *p, char *buf, size_t len);

/* The host's buffers between passes: none for a plain stack. */
typedef struct fpga_bufs {
    int16_t *px, *py; /* a pass's input [T, B, width] and output [T, B, H] */
    int16_t *lay[2];  /* layer outputs [T, B, D*H] between stages */
} fpga_bufs;
int rb_fpga_bufs_alloc(fpga_bufs *b, const rb_fx_model *fx, const fpga_pass *pass, int n, int T,
                       int B, rb_err *e);
void rb_fpga_bufs_free(fpga_bufs *b); /* safe on a zeroed or freed one */

/* Called after the golden model ran pass k: its input x [T, B, width] in
 * the order the pass runs it, h0/c0 ([layers, B, H] or NULL) and golden
 * output y [T, B, H], for the RTL to run and be checked against.  Nonzero
 * stops the forward. */
typedef int (*rb_fpga_pass_fn)(void *ctx, int k, const int16_t *x, const int16_t *h0,
                               const int16_t *c0, const int16_t *y, rb_err *e);
/* The whole forward of fx (rb_fx_forward's arguments, h0/c0 [L*D, B, H])
 * as its passes: the golden model of each pass, fn on it (may be NULL),
 * and the host's reversing and concatenation between them.  Gives the bits
 * of rb_fx_forward; the tests hold it to that. */
int rb_fpga_passes_forward(const rb_fx_model *fx, const fpga_pass *pass, int n, int T, int B,
                           const int16_t *x, const int16_t *h0, const int16_t *c0, int16_t *y,
                           fpga_bufs *buf, rb_fpga_pass_fn fn, void *ctx, rb_err *e);

/* From the target's options; RB_EINPUT naming the option or file line that is wrong. */
int rb_fpga_config(const rb_target *t, fpga_config *out, rb_err *e);
const char *rb_fpga_sim_mode_name(fpga_sim_mode m);
/* "small, large, small8": the configurations built in, for messages. */
const char *rb_fpga_config_names(char *buf, size_t len);

#endif
