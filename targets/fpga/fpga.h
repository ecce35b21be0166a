/* fpga.h — the fpga adapter's internal interface (not used outside targets/fpga/).
 *
 * fpga_config.c  --fpga-config / --fpga-clock-mhz / --fpga-sim into an fpga_config
 * fpga.c         the target: quantize, simulate (full or sampled), check, report
 * golden.c       the bit-exact fixed-point model (SPEC.md)
 * sim/           the Verilator shim over the RTL in rtl/ */
#ifndef RB_FPGA_H
#define RB_FPGA_H

#include "../target.h"
#include "golden.h"
#include "sim/fpga_sim.h"

typedef enum { FPGA_SIM_AUTO = 0, FPGA_SIM_FULL, FPGA_SIM_SAMPLED } fpga_sim_mode;

/* Above this many predicted cycles, auto simulates only a few timesteps:
 * about a second of simulation at the small configuration's speed. */
#define RB_FPGA_FULL_SIM_BUDGET 2000000ull
/* Timesteps sampled mode simulates (it needs two deltas to check that every
 * step costs the same, which the design guarantees). */
#define RB_FPGA_SAMPLED_STEPS 3

typedef struct fpga_config {
    const rb_fpga_hw *hw;      /* a configuration built into this binary */
    double clock_mhz;
    double offchip_bpc;        /* bytes per cycle for weights that do not fit on chip */
    fpga_sim_mode sim;
    char source[288];          /* "built-in small" or the user's file */
} fpga_config;

/* From the target's options; RB_EINPUT naming the option or file line that is wrong. */
int rb_fpga_config(const rb_target *t, fpga_config *out, rb_err *e);
const char *rb_fpga_sim_mode_name(fpga_sim_mode m);

#endif
