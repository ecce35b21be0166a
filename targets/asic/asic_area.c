/* asic_area.c — die area of what the asic model counts.
 *
 * Bare arithmetic and bit cells at 45 nm, scaled to the preset's node, times
 * one overhead factor per component class fitted to Google TPU v1's floor
 * plan (MODEL.md, "Area"):
 *   - logic: the 45 nm areas that the widely reproduced "cost of
 *     operations" table sets beside M. Horowitz's ISSCC 2014 energies
 *     (asic_energy.c), in um^2: integer add 36 (8-bit), 67 (16), 137 (32); integer multiply 282
 *     (8), 3495 (32); fp16 add 1360, multiply 1640; fp32 add 4184, multiply
 *     7700 (provenance: MODEL.md, "Area").  For what the table lacks, the
 *     rules of asic_energy.c:
 *       integer multiply area grows with the square of the width (w^2
 *       partial-product cells), anchored at 8 bits: int16 = 4 x 282 = 1128
 *       (the rule overestimates the table's own 32 bits, 4512 against 3495);
 *       integer add area grows linearly between the 8- and 32-bit entries
 *       (the table's 16-bit 67 lies 4 % under the line, 69.7);
 *       bf16 is fp16 with an 8-bit instead of an 11-bit significand: multiply
 *       x (8/11)^2 = 867, add x 8/11 = 989;
 *       a MAC is one multiply in the datatype plus one add at the accumulator
 *       width (an integer add, or fp16/fp32 for acc_bits 16/32);
 *       a vector lane is an fp32 multiply and an fp32 add (11 884);
 *   - SRAM: Intel's 45 nm 6T bit cell, 0.346 um^2 (Intel's 153 Mbit 45 nm
 *     SRAM test chip, January 2006; the cell of Mistry et al., IEDM 2007),
 *     divided by an array efficiency of 0.45: that test chip's cells over
 *     its die (153 Mbit x 0.346 um^2 = 53-56 mm^2 of a 119 mm^2 die,
 *     0.44-0.47, for decimal or binary megabits);
 *   - node: every area x (node_nm / 45)^2, logic and SRAM alike (below about
 *     20 nm SRAM scales worse than that: MODEL.md, "Area", limitations);
 *   - overhead: what a real array adds to its bare arithmetic (pipeline
 *     registers, weight registers, clocking, wiring) and a real memory to its
 *     cells (banking, ports, periphery, wiring) is one factor per class,
 *     each the published area of TPU v1's component over this file's bare
 *     figure for it (Jouppi et al., ISCA 2017: die <= 331 mm^2 in 28 nm;
 *     Figure 2's floor plan: Matrix Multiply Unit 24 %, Unified Buffer 29 %,
 *     Accumulators 6 %).  The vector unit takes the logic factor. */
#include <stdio.h>

#include "asic.h"

/* the 45 nm table beside Horowitz's ISSCC 2014 energies, um^2 */
#define A_INT8_ADD 36.0
#define A_INT32_ADD 137.0
#define A_INT8_MUL 282.0
#define A_FP16_ADD 1360.0
#define A_FP16_MUL 1640.0
#define A_FP32_ADD 4184.0
#define A_FP32_MUL 7700.0

/* Intel 45 nm 6T SRAM cell, um^2, and the array efficiency (cells / area) */
#define A_SRAM_CELL 0.346
#define SRAM_EFFICIENCY 0.45

/* Google TPU v1 (Jouppi et al., ISCA 2017) */
#define TPU1_NODE_NM 28.0
#define TPU1_DIE_MM2 331.0               /* the paper's bound on the die: <= 331 mm^2 */
#define TPU1_MMU_FRAC 0.24               /* Figure 2: Matrix Multiply Unit */
#define TPU1_BUF_FRAC (0.29 + 0.06)      /* Figure 2: Unified Buffer + Accumulators */
#define TPU1_MACS (256.0 * 256.0)        /* int8 multiply, 32-bit accumulate */
#define TPU1_SRAM_BYTES (28.0 * 1048576) /* 24 MiB Unified Buffer + 4 MiB accumulators */

static double int_mul(int bits) { return A_INT8_MUL * (bits / 8.0) * (bits / 8.0); }

static double int_add(int bits)
{
    return A_INT8_ADD + (bits - 8) * (A_INT32_ADD - A_INT8_ADD) / 24.0;
}

static double fp_add(int bits) { return bits <= 16 ? A_FP16_ADD : A_FP32_ADD; }

double rb_asic_a45_mac_um2(const rb_asic_numerics *n)
{
    const double bf16_mul = A_FP16_MUL * (8.0 / 11) * (8.0 / 11);
    const double bf16_add = A_FP16_ADD * 8.0 / 11;
    switch (n->dtype) {
    case RB_ASIC_INT8:
    case RB_ASIC_INT16: return int_mul(rb_asic_dtype_bits(n->dtype)) + int_add(n->acc_bits);
    case RB_ASIC_FP16: return A_FP16_MUL + fp_add(n->acc_bits);
    case RB_ASIC_BF16: return bf16_mul + (n->acc_bits <= 16 ? bf16_add : A_FP32_ADD);
    case RB_ASIC_FP32: break;
    }
    return A_FP32_MUL + A_FP32_ADD;
}

double rb_asic_a45_vector_lane_um2(void) { return A_FP32_MUL + A_FP32_ADD; }

double rb_asic_a45_sram_bit_um2(void) { return A_SRAM_CELL / SRAM_EFFICIENCY; }

double rb_asic_area_node_scale(double node_nm) { return (node_nm / 45.0) * (node_nm / 45.0); }

double rb_asic_area_logic_factor(void)
{
    const rb_asic_numerics n = {.dtype = RB_ASIC_INT8, .acc_bits = 32};
    double bare_mm2 =
        TPU1_MACS * rb_asic_a45_mac_um2(&n) * 1e-6 * rb_asic_area_node_scale(TPU1_NODE_NM);
    return TPU1_MMU_FRAC * TPU1_DIE_MM2 / bare_mm2;
}

double rb_asic_area_sram_factor(void)
{
    double bare_mm2 = TPU1_SRAM_BYTES * 8 * rb_asic_a45_sram_bit_um2() * 1e-6 *
                      rb_asic_area_node_scale(TPU1_NODE_NM);
    return TPU1_BUF_FRAC * TPU1_DIE_MM2 / bare_mm2;
}

void rb_asic_area_of(const rb_asic_preset *p, rb_asic_area *a)
{
    const double s = rb_asic_area_node_scale(p->node_nm) * 1e-6; /* um^2 at 45 nm -> mm^2 */
    const double kl = rb_asic_area_logic_factor(), ks = rb_asic_area_sram_factor();
    double bytes = p->weight_sram_bytes + p->act_sram_bytes + p->acc_sram_bytes;
    a->mac_array_mm2 = (double)p->rows * p->cols * rb_asic_a45_mac_um2(&p->num) * s * kl;
    a->vector_mm2 = p->vector_lanes * rb_asic_a45_vector_lane_um2() * s * kl;
    a->sram_mm2 = bytes * 8 * rb_asic_a45_sram_bit_um2() * s * ks;
    a->total_mm2 = a->mac_array_mm2 + a->vector_mm2 + a->sram_mm2;
    snprintf(a->how, sizeof a->how,
             "horowitz45 areas, 6T 0.346 um2/0.45, x%.3g for %g nm; TPU v1 overheads: logic "
             "x%.3g, SRAM x%.3g",
             rb_asic_area_node_scale(p->node_nm), p->node_nm, kl, ks);
}
