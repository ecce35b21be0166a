/* fpga.c — placeholder for the FPGA accelerator simulated from RTL.
 *
 * Listed so `rnnbench list` shows the target and why it cannot run yet; the
 * checked wrappers turn `unavailable` into RB_EUNAVAIL before any NULL
 * operation could be called. */
#include "../target.h"

const rb_target_ops rb_target_fpga_ops = {
    .name = "fpga",
    .method = RB_SRC_SIMULATED,
    .description = "FPGA LSTM accelerator, fixed point, simulated with Verilator",
    .unavailable = "not implemented yet: the Verilator-simulated accelerator is issue #5",
};
