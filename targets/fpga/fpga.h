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

/* From the target's options; RB_EINPUT naming the option or file line that is wrong. */
int rb_fpga_config(const rb_target *t, fpga_config *out, rb_err *e);
const char *rb_fpga_sim_mode_name(fpga_sim_mode m);
/* "small, large, small8": the configurations built in, for messages. */
const char *rb_fpga_config_names(char *buf, size_t len);

#endif
