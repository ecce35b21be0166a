/* asic_energy.c — per-operation energies for the asic model.
 *
 * A preset's own figures win.  Where it gives none, the defaults come from
 * M. Horowitz, "Computing's energy problem (and what we can do about it)",
 * ISSCC 2014, Figure 1.1.9 (45 nm, 0.9 V), with these rules (MODEL.md,
 * "Energy"):
 *   - integer multiply energy grows with the square of the width (an array
 *     multiplier has w^2 partial-product cells; the table's 8-bit 0.2 pJ and
 *     32-bit 3.1 pJ differ by 15.5x for 4x the width), anchored at 8 bits;
 *     integer add energy grows linearly between the table's 8-bit 0.03 pJ
 *     and 32-bit 0.1 pJ (a ripple/prefix adder's cells grow with w);
 *   - bf16 is fp16 with an 8-bit instead of an 11-bit significand: the
 *     significand multiplier dominates a multiply (x (8/11)^2 of fp16's
 *     1.1 pJ), alignment and normalization dominate an add (x 8/11 of 0.4 pJ);
 *   - a MAC is one multiply in the datatype plus one add at the accumulator
 *     width (an integer add, or fp16/fp32 for acc_bits 16/32);
 *   - SRAM: 64-bit reads of 10 pJ (8 KB), 20 pJ (32 KB), 100 pJ (1 MB), per
 *     byte /8, interpolated log-log in capacity; smaller than 8 KB costs the
 *     8 KB figure, larger than 1 MB is built of 1 MB banks and costs the 1 MB
 *     figure (the wires to a far bank are not modeled); a write costs a read;
 *   - DRAM: 1.3-2.6 nJ per 64-bit access: the middle, 1.95 nJ, 244 pJ/byte;
 *     not scaled with the logic node (it is the DRAM's energy);
 *   - a vector-unit operation is an fp32 multiply-add (3.7 + 0.9 pJ);
 *   - logic and SRAM energy scale to the preset's process by C V^2 with the
 *     capacitance proportional to the feature size: (node/45) (vdd/0.9)^2. */
#include <math.h>
#include <stdio.h>

#include "asic.h"

/* Horowitz ISSCC 2014, 45 nm, 0.9 V, pJ */
#define H_INT8_MUL 0.2
#define H_INT8_ADD 0.03
#define H_INT32_ADD 0.1
#define H_FP16_MUL 1.1
#define H_FP16_ADD 0.4
#define H_FP32_MUL 3.7
#define H_FP32_ADD 0.9
#define H_DRAM_64BIT 1950.0 /* middle of 1.3-2.6 nJ */

static double int_mul(int bits) { return H_INT8_MUL * (bits / 8.0) * (bits / 8.0); }

static double int_add(int bits)
{
    return H_INT8_ADD + (bits - 8) * (H_INT32_ADD - H_INT8_ADD) / 24.0;
}

static double fp_add(int bits) { return bits <= 16 ? H_FP16_ADD : H_FP32_ADD; }

double rb_asic_e45_mac(const rb_asic_numerics *n)
{
    const double bf16_mul = H_FP16_MUL * (8.0 / 11) * (8.0 / 11);
    const double bf16_add = H_FP16_ADD * 8.0 / 11;
    switch (n->dtype) {
    case RB_ASIC_INT8:
    case RB_ASIC_INT16: return int_mul(rb_asic_dtype_bits(n->dtype)) + int_add(n->acc_bits);
    case RB_ASIC_FP16: return H_FP16_MUL + fp_add(n->acc_bits);
    case RB_ASIC_BF16: return bf16_mul + (n->acc_bits <= 16 ? bf16_add : H_FP32_ADD);
    case RB_ASIC_FP32: break;
    }
    return H_FP32_MUL + H_FP32_ADD;
}

double rb_asic_e45_sram_byte(double capacity_bytes)
{
    /* (capacity, pJ per 64-bit read) */
    static const double pts[3][2] = {{8192, 10}, {32768, 20}, {1048576, 100}};
    double c = capacity_bytes;
    if (c <= pts[0][0])
        return pts[0][1] / 8;
    if (c >= pts[2][0])
        return pts[2][1] / 8;
    int i = c <= pts[1][0] ? 0 : 1;
    double t = log(c / pts[i][0]) / log(pts[i + 1][0] / pts[i][0]);
    return exp(log(pts[i][1]) + t * (log(pts[i + 1][1]) - log(pts[i][1]))) / 8;
}

double rb_asic_e45_vector_op(void) { return H_FP32_MUL + H_FP32_ADD; }

double rb_asic_e_dram_byte(void) { return H_DRAM_64BIT / 8; }

double rb_asic_node_scale(double node_nm, double vdd)
{
    return node_nm / 45.0 * (vdd / 0.9) * (vdd / 0.9);
}

/* One field: the preset's figure if it gave one, else the default. */
static void pick(double given, double dflt, const char *how, double *use, char *from, size_t len)
{
    if (given >= 0) {
        *use = given;
        snprintf(from, len, "preset");
    } else {
        *use = dflt;
        snprintf(from, len, "%s", how);
    }
}

void rb_asic_energy_defaults(rb_asic_preset *p)
{
    const double k = rb_asic_node_scale(p->node_nm, p->vdd);
    char how[40];
    snprintf(how, sizeof how, "horowitz45 x%.3g", k);
    const rb_asic_energies *g = &p->energy;
    rb_asic_energies *u = &p->energy_use;
    pick(g->mac, rb_asic_e45_mac(&p->num) * k, how, &u->mac, p->energy_from[0], 40);
    pick(g->weight_sram_byte, rb_asic_e45_sram_byte(p->weight_sram_bytes) * k, how,
         &u->weight_sram_byte, p->energy_from[1], 40);
    pick(g->act_sram_byte, rb_asic_e45_sram_byte(p->act_sram_bytes) * k, how, &u->act_sram_byte,
         p->energy_from[2], 40);
    pick(g->acc_sram_byte, rb_asic_e45_sram_byte(p->acc_sram_bytes) * k, how, &u->acc_sram_byte,
         p->energy_from[3], 40);
    pick(g->offchip_byte, rb_asic_e_dram_byte(), "horowitz45 DRAM", &u->offchip_byte,
         p->energy_from[4], 40);
    pick(g->vector_op, rb_asic_e45_vector_op() * k, how, &u->vector_op, p->energy_from[5], 40);
}
