/* fpga_hw_table.c — the hardware configurations this build describes.
 *
 * The numbers come from CMake (RB_FPGA_PARAMS: RB_FPGA_<SMALL|LARGE|SMALL8>_*,
 * and RB_FPGA_CUSTOM_* when the build verilates a configuration of one's
 * own), the same ones Verilator gets as -G parameters where the RTL is
 * verilated; the simulator reads them back from the model and refuses one
 * that disagrees.  Compiled with or without Verilator, so a build without it
 * still knows what each configuration is (explore estimates from them). */
#include <string.h>

#include "fpga_hw.h"

#define RB_FPGA_HW(N, name, describes)                                                             \
    {                                                                                              \
        name, describes, {RB_FPGA_##N##_DATA_W, RB_FPGA_##N##_FRAC}, RB_FPGA_##N##_LANES,          \
            RB_FPGA_##N##_VLANES, RB_FPGA_##N##_MAX_B, RB_FPGA_##N##_MAX_H, RB_FPGA_##N##_MAX_I,   \
            RB_FPGA_##N##_MAX_L, RB_FPGA_##N##_WMEM_WORDS, RB_FPGA_##N##_XMEM_WORDS,               \
            RB_FPGA_##N##_YMEM_WORDS, RB_FPGA_##N##_OC_FIFO, RB_FPGA_##N##_CLOCK_MHZ * 1e6,        \
            RB_FPGA_##N##_OFFCHIP_BPC                                                              \
    }
static const rb_fpga_hw k_hw[] = {
    RB_FPGA_HW(SMALL, "small",
               "edge-class part: resembles a Zynq-7020 / Artix-7 class FPGA (a few hundred DSP "
               "slices, about 0.5 MB of block RAM, one 32-bit DDR3 channel)"),
    RB_FPGA_HW(LARGE, "large",
               "datacenter-class part: resembles an Alveo U250 class card (thousands of DSP "
               "slices, tens of MB of block and UltraRAM, four DDR4 channels)"),
    RB_FPGA_HW(SMALL8, "small8",
               "the edge-class part of 'small' with an 8-bit datapath: the same lanes, clock and "
               "memory bytes, to show what 8 bits cost in accuracy and save in resources"),
#ifdef RB_FPGA_CUSTOM_LANES
    RB_FPGA_HW(CUSTOM, "custom",
               "a configuration of one's own (CMake RB_FPGA_CUSTOM_*; `rnnbench explore` "
               "builds one to confirm a candidate)"),
#endif
};

int rb_fpga_hw_configs(const rb_fpga_hw **out)
{
    if (out)
        *out = k_hw;
    return (int)(sizeof k_hw / sizeof k_hw[0]);
}

const rb_fpga_hw *rb_fpga_hw_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof k_hw / sizeof k_hw[0]; i++)
        if (!strcmp(k_hw[i].name, name))
            return &k_hw[i];
    return NULL;
}
