/* test_asic_model.c — the asic target's analytical model and preset files.
 *
 * The closed-form cases are worked out by hand in the comments from
 * MODEL.md's formulas, not by calling the code under test; the shipped
 * presets are loaded and checked against the figures their files cite; the
 * model's monotonicity and its switch from compute- to memory-bound are
 * properties it must have whatever the preset. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../targets/asic/asic.h"
#include "../rb_test.h"
#include "../rb_test_workload.h"

static char tmpdir[64];

static const char *write_preset(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s.ini", tmpdir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

/* A 2x2 int8 array at 1 MHz, on-chip bandwidths 4 bytes per cycle, the
 * off-chip link 4 kB/s, the energies given so that each term can be checked
 * on its own. */
static const char *k_tiny =
    "[preset]\nname = tiny\ndescribes = a 2x2 array for hand arithmetic\n"
    "[array]\nrows = 2\ncols = 2\nclock_mhz = 1\ndatatype = int8\nacc_bits = 32\n"
    "vector_lanes = 1\n"
    "[memory]\nweight_sram_bytes = 1 KiB\nweight_sram_bytes_per_cycle = 4\n"
    "act_sram_bytes = 1024\nact_sram_bytes_per_cycle = 4\nacc_sram_bytes = 64\n"
    "offchip_gb_per_s = 0.000004\n"
    "[technology]\nnode_nm = 45\nvdd = 0.9\nstatic_w = 1\n"
    "[energy]\nmac_pj = 1\nweight_sram_pj_per_byte = 2\nact_sram_pj_per_byte = 3\n"
    "acc_sram_pj_per_byte = 4\noffchip_pj_per_byte = 100\nvector_op_pj = 5\n";

/* k_tiny with one line replaced: "old" by "new". */
static const char *tiny_with(const char *old, const char *repl)
{
    static char buf[2048];
    const char *at = strstr(k_tiny, old);
    CHECK(at != NULL);
    if (!at)
        return k_tiny;
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - k_tiny), k_tiny, repl, at + strlen(old));
    return buf;
}

static void load_tiny(rb_asic_preset *p, const char *text)
{
    rb_err e = {0};
    int rc = rb_asic_preset_load(write_preset("tiny", text), p, &e);
    if (rc)
        fprintf(stderr, "%s\n", e.msg);
    CHECK_INT(rc, 0);
}

static void test_tiny_by_hand(void)
{
    rb_asic_preset p;
    load_tiny(&p, k_tiny);
    CHECK_INT(p.rows, 2);
    CHECK(p.weight_sram_bytes == 1024); /* "1 KiB" */
    CHECK(p.energy_use.mac == 1 && !strcmp(p.energy_from[0], "preset"));

    /* RNN, I = 1, H = 2, L = 1, B = 1, T = 1.  G = 1, K = 3:
     *   n_k = ceil(3/2) = 2, n_n = ceil(2/2) = 1
     *   array   = rows + (n_k n_n - 1) max(B, rows) + B + rows + cols - 2
     *           = 2 + 1 * 2 + 1 + 2 + 2 - 2 = 7 (the first tile's weights
     *             shift in, the second's behind the first's one vector)
     *   weights = G H K bytes = 6 (resident: 6 <= 1024) / 4 B/cycle = 1.5
     *   acts    = n_n B K + B H = 3 + 2 = 5 bytes / 4 = 1.25
     *   vector  = ceil(B H * 4 ops / 1 lane) = 8
     *   cycles  = max(7, 1.5, 1.25) + 8 = 15 -> 15 us at 1 MHz
     *   MACs = G H K B T = 6; utilization 6 / (4 * 15) = 0.1
     * energy, pJ: MACs 6 x 1; on chip: weights 6 x 2 + acts 5 x 3 +
     *   accumulators 2 n_k B G H x 4 bytes = 32 x 4 -> 12 + 15 + 128 = 155;
     *   off chip: x and y, B T (I + H) = 3 bytes x 100 = 300; vector 8 x 5 = 40;
     *   static 1 W x 15 us = 15 uJ.  Loading: 6 bytes at 4000 B/s = 1.5 ms. */
    rb_workload w = rb_test_workload(RB_CELL_RNN, 1, 1, 1, 2, 1, 1);
    rb_asic_result r;
    rb_err e = {0};
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_NEAR(r.cycles, 15, 0);
    CHECK_NEAR(r.latency_s, 15e-6, 1e-18);
    CHECK_NEAR(r.macs, 6, 0);
    CHECK_NEAR(r.utilization, 0.1, 1e-15);
    CHECK_INT(r.weights_resident, 1);
    CHECK_INT(r.acts_spill, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ARRAY], 7, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_VECTOR], 8, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_WEIGHTS] + r.bound_cycles[RB_ASIC_BOUND_ACTS], 0, 0);
    CHECK_NEAR(r.onchip_bytes, 6 + 5 + 32, 0);
    CHECK_NEAR(r.offchip_bytes, 3, 0);
    CHECK_NEAR(r.vector_ops, 8, 0);
    CHECK_NEAR(r.e_mac, 6e-12, 1e-24);
    CHECK_NEAR(r.e_onchip, 155e-12, 1e-22);
    CHECK_NEAR(r.e_offchip, 300e-12, 1e-22);
    CHECK_NEAR(r.e_vector, 40e-12, 1e-22);
    CHECK_NEAR(r.e_static, 15e-6, 1e-18);
    CHECK_NEAR(r.e_total, 15e-6 + 501e-12, 1e-18);
    CHECK_NEAR(r.load_s, 1.5e-3, 1e-15);

    /* The same shape as an LSTM, T = 3, B = 2: G = 4, K = 3, n_k = 2, n_n = 4
     *   array   = 2 + 7 * max(2, 2) + 2 + 2 + 2 - 2 = 20 (B = rows: the
     *             first tile's load costs what its overlap saves)
     *   weights = 4 * 2 * 3 = 24 bytes / 4 = 6
     *   acts    = n_n B K + B H + 2 B H * 4 (fp32 c, read and written)
     *           = 24 + 4 + 32 = 60 bytes / 4 = 15
     *   vector  = B H * 17 ops = 68 cycles
     *   per step 20 + 68 = 88; T = 3: 264 cycles.  MACs = 4*2*3*2*3 = 144 */
    w = rb_test_workload(RB_CELL_LSTM, 3, 2, 1, 2, 1, 1);
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_NEAR(r.cycles, 264, 0);
    CHECK_NEAR(r.macs, 144, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ARRAY], 60, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_VECTOR], 204, 0);

    /* Weights streamed (no weight memory) over 500 B/s = 0.0005 B/cycle:
     * the RNN's 6 bytes take 12000 cycles, far more than the array's 8;
     * then the vector unit's 8.  Off chip: the weights and x, y. */
    rb_asic_preset q = p;
    q.weight_sram_bytes = 0;
    q.offchip_gbs = 0.0000005;
    w = rb_test_workload(RB_CELL_RNN, 1, 1, 1, 2, 1, 1);
    CHECK_INT(rb_asic_model(&q, &w, &r, &e), 0);
    CHECK_INT(r.weights_resident, 0);
    CHECK_NEAR(r.cycles, 12000 + 8, 1e-6);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_WEIGHTS], 12000, 1e-6);
    CHECK_NEAR(r.offchip_bytes, 6 + 3, 0);
    CHECK_NEAR(r.e_offchip, 900e-12, 1e-22);
    CHECK_NEAR(r.load_s, 0, 0);
}

/* A bidirectional stack is two units a layer, by hand on the tiny array.
 * RNN, I = 1, H = 2, L = 2, B = 1, T = 1, both directions:
 *   layer 0, each unit: K = 1 + 2 = 3, the one-direction case above:
 *     array 7, weights 6 bytes / 4 = 1.5, acts 5 / 4 = 1.25, vector 8: 15
 *   layer 1, each unit: K = 2H + H = 6 (it reads both directions' h):
 *     n_k = 3, n_n = 1, array = 2 + 2 * max(1, 2) + 1 + 2 + 2 - 2 = 9,
 *     weights 12 bytes / 4 = 3, acts n_n B K + B H = 6 + 2 = 8 bytes / 4 = 2,
 *     vector 8: 17
 *   cycles = 15 + 15 + 17 + 17 = 64 (one direction: 15 + 15 = 30)
 *   MACs = 2 * (2 * 3) + 2 * (2 * 6) = 36, half the FLOP formula's 72
 *   weights 6 + 6 + 12 + 12 = 36 bytes, resident
 *   working set: x and y B T (I + D H) = 1 + 4 = 5 bytes, h of 4 units
 *     4 * B H * 2 = 16: 21 <= 1024, no spill
 * on chip: weights 36, acts 5 + 5 + 8 + 8 = 26, accumulators 2 n_k B G H a:
 *   32 + 32 + 48 + 48 = 160 -> 222 bytes; energy 36 x 2 + 26 x 3 + 160 x 4 =
 *   790 pJ; off chip x and y: 5 bytes, 500 pJ; vector 4 units * 8 = 32 ops,
 *   160 pJ; MACs 36 pJ; static 1 W x 64 us. */
static void test_bidirectional(void)
{
    rb_asic_preset p;
    load_tiny(&p, k_tiny);
    rb_workload w = rb_test_workload(RB_CELL_RNN, 1, 1, 1, 2, 2, 1);
    w.dirs = 2;
    w.features = RB_FEAT_BIDIR;
    rb_workload_make_key(&w);
    rb_asic_result r;
    rb_err e = {0};
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_NEAR(r.cycles, 64, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ARRAY], 7 + 7 + 9 + 9, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_VECTOR], 32, 0);
    CHECK_NEAR(r.macs, 36, 0);
    CHECK_NEAR(2 * r.macs, rb_workload_flops(&w), 0);
    CHECK_NEAR(r.weight_bytes, 36, 0);
    CHECK_INT(r.weights_resident, 1);
    CHECK_INT(r.acts_spill, 0);
    CHECK_NEAR(r.onchip_bytes, 222, 0);
    CHECK_NEAR(r.offchip_bytes, 5, 0);
    CHECK_NEAR(r.vector_ops, 32, 0);
    CHECK_NEAR(r.e_onchip, 790e-12, 1e-22);
    CHECK_NEAR(r.e_offchip, 500e-12, 1e-22);
    CHECK_NEAR(r.e_total, 64e-6 + (36 + 790 + 500 + 160) * 1e-12, 1e-18);
    CHECK_NEAR(r.load_s, 36 / 4000.0, 1e-15);
    printf("  tiny rnn I1 H2 L2 bidirectional: %.0f cycles, %.0f MACs, %.0f weight bytes, "
           "%.4g J\n",
           r.cycles, r.macs, r.weight_bytes, r.e_total);

    /* Against one direction on shipped presets: a one-layer bidirectional
     * stack is twice the units, so twice the cycles, MACs, weights, on-chip
     * traffic and vector work; its output is 2H wide.  Resident and not
     * spilling either way (the memories made large), so no bound moves. */
    static const char *const presets[] = {"tpu-v1", "edge-npu", "dc-bf16"};
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        CHECK_INT(rb_asic_preset_load(presets[i], &p, &e), 0);
        p.weight_sram_bytes = 1e12;
        p.weight_sram_bpc = p.weight_sram_bpc > 0 ? p.weight_sram_bpc : 1024;
        p.act_sram_bytes = 1e12;
        for (int cell = 0; cell < 2; cell++) {
            rb_workload w1 =
                rb_test_workload(cell ? RB_CELL_RNN : RB_CELL_LSTM, 25, 4, 256, 512, 1, 1);
            rb_workload w2 = w1;
            w2.dirs = 2;
            w2.features = RB_FEAT_BIDIR;
            rb_workload_make_key(&w2);
            rb_asic_result r1, r2;
            CHECK_INT(rb_asic_model(&p, &w1, &r1, &e), 0);
            CHECK_INT(rb_asic_model(&p, &w2, &r2, &e), 0);
            CHECK_NEAR(r2.cycles, 2 * r1.cycles, 1e-9 * r1.cycles);
            CHECK_NEAR(r2.latency_s, 2 * r1.latency_s, 1e-9 * r1.latency_s);
            CHECK_NEAR(r2.macs, 2 * r1.macs, 0);
            CHECK_NEAR(r2.weight_bytes, 2 * r1.weight_bytes, 0);
            CHECK_NEAR(r2.onchip_bytes, 2 * r1.onchip_bytes, 1e-9 * r1.onchip_bytes);
            CHECK_NEAR(r2.vector_ops, 2 * r1.vector_ops, 0);
            CHECK_NEAR(r2.e_mac + r2.e_onchip + r2.e_vector + r2.e_static,
                       2 * (r1.e_mac + r1.e_onchip + r1.e_vector + r1.e_static), 1e-9 * r1.e_total);
            double bw = rb_asic_dtype_bits(p.num.dtype) / 8.0;
            CHECK_NEAR(r2.offchip_bytes - r1.offchip_bytes, 4.0 * 25 * 512 * bw, 0);
            /* two layers: the second's units read 2H, K = 3H */
            rb_workload w3 = w2;
            w3.layers = 2;
            rb_workload_make_key(&w3);
            rb_workload w4 = w2; /* its second layer alone: a first layer of input 2H */
            w4.input = 2 * 512;
            rb_workload_make_key(&w4);
            rb_asic_result r3, r4;
            CHECK_INT(rb_asic_model(&p, &w3, &r3, &e), 0);
            CHECK_INT(rb_asic_model(&p, &w4, &r4, &e), 0);
            CHECK_NEAR(r3.cycles, r2.cycles + r4.cycles, 1e-9 * r3.cycles);
            CHECK_NEAR(r3.macs, r2.macs + r4.macs, 0);
            CHECK_NEAR(2 * r3.macs, rb_workload_flops(&w3), 0);
            CHECK_NEAR(r3.weight_bytes, r2.weight_bytes + r4.weight_bytes, 0);
            printf("  %-8s %s H512 B4 T25: one direction %.4g s %.4g J, bidirectional %.4g s "
                   "%.4g J, 2 layers %.4g s %.4g J\n",
                   presets[i], rb_cell_name(w1.cell), r1.latency_s, r1.e_total, r2.latency_s,
                   r2.e_total, r3.latency_s, r3.e_total);
        }
    }
}

/* The GRU by hand on the tiny preset (MODEL.md "Worked example 5"): I = 1,
 * H = 2, L = 1, B = 1.  G = 3, K = 3.  Fused, a step is two products:
 *   [x; h] through r, z (K = 3, N = 4) and x through n (K = 1, N = 2):
 *     tiles 2 * 2 + 1 * 1 = 5, array 2 + 4 * max(1, 2) + 1 + 2 + 2 - 2 = 13;
 *     weights 4 * 3 + 2 * 1 = 14 bytes / 4 = 3.5; acts: the operand re-read
 *     per column tile 2 * 3 + 1 * 1 = 7, h out 2, h_{t-1} for z * h 2:
 *     11 / 4 = 2.75 -> 13
 *   h through W_hn (K = 2, N = 2): 1 tile, array 2 + 1 + 2 + 2 - 2 = 5;
 *     weights 4 / 4 = 1, acts 2 / 4 = 0.5 -> 5
 *   vector B H * 14 = 28
 *   step 13 + 5 + 28 = 46 (the LSTM of this shape: 19 + 34 = 53)
 *   MACs 14 + 4 = 18 = G H K B: 3/4 of the LSTM's 24
 * On chip: weights 18, acts 11 + 2 = 13, accumulators 2 B a (n_k N per
 * block): 8 (2 * 4 + 1 * 2) = 80 and 8 (1 * 2) = 16 -> 127 bytes;
 * energy 18 x 2 + 13 x 3 + 96 x 4 = 459 pJ; off chip x and y 3 bytes, 300
 * pJ; vector 28 x 5 = 140 pJ; MACs 18 pJ; static 46 us x 1 W.
 * Hoisted, T = 1: the input product (K = 1, N = 6, 3 tiles) 2 + 2 * 2 + 1
 * + 2 = 9 (acts: operand 3 + pre-activations 6 * 4 = 27 / 4 = 6.75); a
 * step (K = 2, N = 6, 3 tiles) 9 (acts 3 * 2 + 2 + 2 + 24 = 34 / 4 =
 * 8.5), + 28: 9 + 37 = 46, the fused figure (auto keeps fused on a tie).
 * T = 20: 20 rows in three blocks of 7 (the accumulators hold 8): array
 * 3 * (2 + 2 * 7 + 7 + 2 + 2 - 2) = 75, but the activations bound it:
 * operand 3 * 20 + pre-activations 20 * 24 = 540 / 4 = 135; then 20 * 37:
 * 875 against fused 20 * 46 = 920. */
static void test_gru_by_hand(void)
{
    rb_asic_preset p;
    load_tiny(&p, k_tiny);
    rb_workload w = rb_test_workload(RB_CELL_GRU, 1, 1, 1, 2, 1, 1);
    rb_asic_result r;
    rb_err e = {0};
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_NEAR(r.cycles, 46, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ARRAY], 13 + 5, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_VECTOR], 28, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_WEIGHTS] + r.bound_cycles[RB_ASIC_BOUND_ACTS], 0, 0);
    CHECK_NEAR(r.macs, 18, 0);
    CHECK_NEAR(2 * r.macs, rb_workload_flops(&w), 0);
    CHECK_NEAR(r.utilization, 18.0 / (4 * 46), 1e-15);
    CHECK_NEAR(r.weight_bytes, 18, 0);
    CHECK_INT(r.weights_resident, 1);
    CHECK_NEAR(r.onchip_bytes, 18 + 13 + 96, 0);
    CHECK_NEAR(r.offchip_bytes, 3, 0);
    CHECK_NEAR(r.vector_ops, 28, 0);
    CHECK_NEAR(r.e_mac, 18e-12, 1e-24);
    CHECK_NEAR(r.e_onchip, 459e-12, 1e-22);
    CHECK_NEAR(r.e_offchip, 300e-12, 1e-22);
    CHECK_NEAR(r.e_vector, 140e-12, 1e-22);
    CHECK_NEAR(r.e_total, 46e-6 + (18 + 459 + 300 + 140) * 1e-12, 1e-18);
    CHECK_NEAR(r.load_s, 18 / 4000.0, 1e-15);
    rb_asic_result lstm;
    w.cell = RB_CELL_LSTM;
    CHECK_INT(rb_asic_model(&p, &w, &lstm, &e), 0);
    CHECK_NEAR(lstm.cycles, 53, 0);
    CHECK_NEAR(r.macs, 0.75 * lstm.macs, 0);

    w.cell = RB_CELL_GRU;
    p.schedule = RB_ASIC_HOISTED;
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_NEAR(r.cycles, 46, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ARRAY], 9 + 9, 0);
    CHECK_NEAR(r.macs, 18, 0);
    p.schedule = RB_ASIC_AUTO;
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_INT(r.hoisted, 0);
    CHECK_NEAR(r.other_cycles, 46, 0);
    w = rb_test_workload(RB_CELL_GRU, 20, 1, 1, 2, 1, 1);
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_INT(r.hoisted, 1);
    CHECK_NEAR(r.cycles, 875, 0);
    CHECK_NEAR(r.other_cycles, 920, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ACTS], 135, 0);
    CHECK_NEAR(r.macs, 18 * 20, 0);
    CHECK_NEAR(r.vector_ops, 28 * 20, 0);
    printf("  tiny gru I1 H2: fused 46 cycles a step (lstm 53); T = 20 hoisted %.0f, fused %.0f\n",
           r.cycles, r.other_cycles);

    /* A column tile shared by z and n columns runs every row tile (its n
     * columns' h rows are zeros); only tiles of n columns alone skip them.
     * 4 columns, H = 1: r, z, n in one column tile, K = 2 in one row tile:
     *   first product 1 tile (not 2): array 2 + 1 + 2 + 4 - 2 = 7; weights
     *     2 * 2 + 1 = 5 bytes / 4; acts re-reads 2 + h out 1 + h_{t-1} 1 =
     *     4 / 4; accumulators 2 B a n_k (2 + 1) = 24 bytes
     *   W_hn: 1 tile, array 7; weights 1, acts 1, accumulators 8
     *   vector 14: 7 + 7 + 14 = 28; MACs 5 + 1 = 6; on chip 6 + 5 + 32 = 43 */
    load_tiny(&p, tiny_with("cols = 2\n", "cols = 4\n"));
    w = rb_test_workload(RB_CELL_GRU, 1, 1, 1, 1, 1, 1);
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_NEAR(r.cycles, 28, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ARRAY], 14, 0);
    CHECK_NEAR(r.macs, 6, 0);
    CHECK_NEAR(r.onchip_bytes, 43, 0);

    /* Without input projection nothing is fused with x: one product over
     * h (K = 2, N = 6, 3 tiles: array 9) in either schedule; acts: re-reads
     * 3 * 2, the pre-projected x 6, h out 2, h_{t-1} 2: 16 / 4 = 4; + 28 */
    load_tiny(&p, k_tiny);
    w = rb_test_workload(RB_CELL_GRU, 1, 1, 0, 2, 1, 0);
    for (int s = 0; s < 2; s++) {
        p.schedule = s ? RB_ASIC_HOISTED : RB_ASIC_FUSED;
        CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
        CHECK_NEAR(r.cycles, 9 + 28, 0);
        CHECK_NEAR(r.macs, 12, 0);
    }
}

/* The GRU on real presets, by hand and against the LSTM.
 * tpu-v1, H = I = 1024, B = 1, T = 25 (worked example 2's shape): weights
 * stream at 48.57 B/cycle, w = 4 MiB / 48.57 = 86 353.3 cycles.  Fused, the
 * first product takes 2H (I + H) + H I = 5 MiB (1.25 w), W_hn 1 MiB (0.25
 * w), both weight-bound; vector ceil(1024 * 14 / 256) = 56: a step is
 * 1.5 w + 56 where the LSTM's is 2 w + 68.  Hoisted: W_ih (3 MiB) once,
 * then W_hh (3 MiB) a step: 0.75 w + 25 (0.75 w + 56).
 * edge-npu, H = I = 256, B = 64, fused (worked example 3's shape): the
 * sequence (64 * 25 * 512 + 64 * 256 * 2 = 851 968 bytes) spills, a step
 * (64 * 512 + 64 * 256 * 2 = 65 536) fits; per step off chip the weights,
 * 3 * 256 * 512 = 393 216 bytes, the operand once 32 768 and h once
 * 16 384, nothing for W_hn (its operand is on chip).  The first product:
 * 32 * 32 + 16 * 16 = 1 280 tiles, link (327 680 + 49 152) / 4 = 94 208
 * (array 81 966, acts (64 * (32 * 512 + 16 * 256) + 2 * 16 384) / 32 =
 * 41 984); W_hn: 256 tiles, array 16 + 255 * 64 + 64 + 30 = 16 430 (its
 * 65 536 weight bytes take 16 384); vector 64 * 256 * 14 / 16 = 14 336:
 * 124 974 a step (the LSTM: 160 768).  With 48 KiB of activation memory
 * the step spills (65 536 > 49 152): every re-read crosses the link,
 * 64 * (32 * 512 + 16 * 256) + 2 * 16 384 = 1 343 488 and 64 * 16 * 256 =
 * 262 144 beside the weights. */
static void test_gru_presets(void)
{
    rb_asic_preset p;
    rb_asic_result r, l;
    rb_err e = {0};
    CHECK_INT(rb_asic_preset_load("tpu-v1", &p, &e), 0);
    const double wcyc = 4194304 / (34e9 / 700e6);
    rb_workload w = rb_test_workload(RB_CELL_GRU, 25, 1, 1024, 1024, 1, 1);
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_NEAR(r.cycles, 25 * (1.5 * wcyc + 56), 1e-3);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_WEIGHTS], 25 * 1.5 * wcyc, 1e-3);
    CHECK_NEAR(r.offchip_bytes, 25 * 6291456.0 + 25 * 2048, 0);
    p.schedule = RB_ASIC_HOISTED;
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_NEAR(r.cycles, 0.75 * wcyc + 25 * (0.75 * wcyc + 56), 1e-3);
    printf("  tpu-v1 gru H1024 B1 T25: hoisted %.0f cycles, fused %.0f (lstm %.0f, %.0f)\n",
           r.cycles, 25 * (1.5 * wcyc + 56), wcyc + 25 * (wcyc + 68), 25 * (2 * wcyc + 68));

    CHECK_INT(rb_asic_preset_load("edge-npu", &p, &e), 0);
    p.schedule = RB_ASIC_FUSED;
    w = rb_test_workload(RB_CELL_GRU, 25, 64, 256, 256, 1, 1);
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_INT(r.acts_spill, 1);
    CHECK_INT(r.step_spill, 0);
    CHECK_NEAR(r.cycles, 25 * 124974.0, 1e-6);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_WEIGHTS], 25 * 94208.0, 1e-6);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ARRAY], 25 * 16430.0, 1e-6);
    CHECK_NEAR(r.offchip_bytes, 25 * (393216.0 + 49152) + 64 * 25 * 512, 1e-6);
    p.act_sram_bytes = 48 * 1024;
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_INT(r.step_spill, 1);
    CHECK_NEAR(r.offchip_bytes, 25 * (393216.0 + 1343488 + 262144) + 64 * 25 * 512, 1e-6);

    /* Against the LSTM of the same shape, every preset and schedule: 3/4 of
     * the MACs and the weights, 14/17 of the vector work (17/21 with a
     * clip, one clamp per gate row), fewer cycles; twice as much with both
     * directions.  Resident (memories made large) or as shipped. */
    static const char *const presets[] = {"tpu-v1", "edge-npu", "dc-bf16"};
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        for (int big = 0; big < 2; big++)
            for (int s = 0; s < 2; s++) {
                CHECK_INT(rb_asic_preset_load(presets[i], &p, &e), 0);
                p.schedule = s ? RB_ASIC_HOISTED : RB_ASIC_FUSED;
                if (big) {
                    p.weight_sram_bytes = 1e12;
                    p.weight_sram_bpc = p.weight_sram_bpc > 0 ? p.weight_sram_bpc : 1024;
                    p.act_sram_bytes = 1e12;
                }
                for (int clip = 0; clip < 2; clip++) {
                    rb_workload wg = rb_test_workload(RB_CELL_GRU, 25, 4, 256, 512, 2, 1);
                    wg.features = clip ? RB_FEAT_CLIP : 0;
                    rb_workload wl = wg;
                    wl.cell = RB_CELL_LSTM;
                    CHECK_INT(rb_asic_model(&p, &wg, &r, &e), 0);
                    CHECK_INT(rb_asic_model(&p, &wl, &l, &e), 0);
                    CHECK_NEAR(r.macs, 0.75 * l.macs, 0);
                    CHECK_NEAR(2 * r.macs, rb_workload_flops(&wg), 0);
                    CHECK_NEAR(r.weight_bytes, 0.75 * l.weight_bytes, 0);
                    CHECK_NEAR(r.vector_ops * (clip ? 21 : 17), l.vector_ops * (clip ? 17 : 14), 0);
                    CHECK(r.cycles < l.cycles);
                    CHECK(r.e_total < l.e_total);
                    rb_workload w2 = wg;
                    w2.layers = 1;
                    w2.dirs = 2;
                    w2.features |= RB_FEAT_BIDIR;
                    rb_workload w1 = w2;
                    w1.dirs = 1;
                    w1.features &= ~(unsigned)RB_FEAT_BIDIR;
                    rb_asic_result r1, r2;
                    CHECK_INT(rb_asic_model(&p, &w1, &r1, &e), 0);
                    CHECK_INT(rb_asic_model(&p, &w2, &r2, &e), 0);
                    if (big)
                        CHECK_NEAR(r2.cycles, 2 * r1.cycles, 1e-9 * r1.cycles);
                    CHECK_NEAR(r2.macs, 2 * r1.macs, 0);
                    if (!clip && !big)
                        printf("  %-8s %s gru H512 I256 B4 T25 L2: %.4g s %.4g J (lstm %.4g s "
                               "%.4g J)\n",
                               presets[i], s ? "hoisted" : "fused  ", r.latency_s, r.e_total,
                               l.latency_s, l.e_total);
                }
            }
}

/* Where the weights stop fitting on chip, the bound moves to the weights. */
static void test_compute_memory_switch(void)
{
    rb_asic_preset p;
    rb_err e = {0};
    CHECK_INT(rb_asic_preset_load("dc-bf16", &p, &e), 0);
    /* bf16 LSTM weights: 4 H (I + H) x 2 bytes; the 8 MiB weight memory holds
     * H = I = 512 (4 MiB) but not 1024 (16 MiB).  With its HBM (500 B/cycle)
     * a streamed 128x128 tile (32 KiB, 65.5 cycles) still hides behind the
     * array's 128 cycles per tile; over a 50 GB/s link (71 B/cycle, 459
     * cycles per tile) it does not. */
    p.offchip_gbs = 50;
    rb_asic_result small, big;
    rb_workload w = rb_test_workload(RB_CELL_LSTM, 10, 128, 512, 512, 1, 1);
    CHECK_INT(rb_asic_model(&p, &w, &small, &e), 0);
    w = rb_test_workload(RB_CELL_LSTM, 10, 128, 1024, 1024, 1, 1);
    CHECK_INT(rb_asic_model(&p, &w, &big, &e), 0);
    CHECK_INT(small.weights_resident, 1);
    CHECK_INT(big.weights_resident, 0);
    CHECK(small.bound_cycles[RB_ASIC_BOUND_ARRAY] > small.bound_cycles[RB_ASIC_BOUND_WEIGHTS]);
    CHECK(big.bound_cycles[RB_ASIC_BOUND_WEIGHTS] > big.bound_cycles[RB_ASIC_BOUND_ARRAY]);
    CHECK(big.utilization < small.utilization);
    printf("  dc-bf16 lstm B128: H512 resident %.3f util, H1024 streamed %.3f util\n",
           small.utilization, big.utilization);

    /* TPU v1 keeps no weights on chip: weight-bound until a weight tile's
     * 64 KiB at 34 GB/s (1349.6 cycles at 700 MHz) is shorter than the batch
     * it serves, the ridge the design parameters imply (no fitting). */
    CHECK_INT(rb_asic_preset_load("tpu-v1", &p, &e), 0);
    for (int B = 256; B <= 2048; B *= 2) {
        w = rb_test_workload(RB_CELL_LSTM, 2, B, 1024, 1024, 1, 1);
        rb_asic_result r;
        CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
        int weights = r.bound_cycles[RB_ASIC_BOUND_WEIGHTS] > r.bound_cycles[RB_ASIC_BOUND_ARRAY];
        CHECK_INT(weights, B < 1350);
        printf("  tpu-v1 lstm H1024 B%-4d: %s-bound, utilization %.3f\n", B,
               weights ? "weight" : "array", r.utilization);
    }
}

/* More bandwidth is never slower; in the compute-bound regime doubling a
 * batch that fills whole tiles never lowers throughput. */
static void test_monotone(void)
{
    static const char *const presets[] = {"tpu-v1", "edge-npu", "dc-bf16"};
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        rb_asic_preset p;
        rb_err e = {0};
        CHECK_INT(rb_asic_preset_load(presets[i], &p, &e), 0);
        static const int Hs[] = {64, 256, 1024};
        int ok_bw = 1, ok_batch = 1;
        for (size_t h = 0; h < 3; h++)
            for (int cell = 0; cell < 2; cell++) {
                rb_workload w =
                    rb_test_workload(cell ? RB_CELL_RNN : RB_CELL_LSTM, 5, 4, Hs[h], Hs[h], 2, 1);
                rb_asic_result r;
                double last = 1e300;
                for (double bw = 0.5; bw < 5000; bw *= 2) {
                    rb_asic_preset q = p;
                    q.offchip_gbs = bw;
                    q.act_sram_bpc = p.act_sram_bpc * bw / 8;
                    CHECK_INT(rb_asic_model(&q, &w, &r, &e), 0);
                    ok_bw &= r.latency_s <= last;
                    last = r.latency_s;
                }
                /* compute-bound: weights resident, batch in whole multiples of
                 * the rows; the weight memory made big enough to hold them */
                rb_asic_preset q = p;
                q.weight_sram_bytes = 1e12;
                q.weight_sram_bpc = 1e6;
                q.act_sram_bpc = 1e6;
                q.act_sram_bytes = 1e12;
                double last_tp = 0;
                for (int B = p.rows; B <= 8 * p.rows; B *= 2) {
                    w.batch = B;
                    CHECK_INT(rb_asic_model(&q, &w, &r, &e), 0);
                    double tp = B / r.latency_s;
                    ok_batch &= tp >= last_tp;
                    last_tp = tp;
                }
            }
        CHECK(ok_bw);
        CHECK(ok_batch);
    }
}

/* The shipped presets hold the figures their files cite. */
static void test_shipped_presets(void)
{
    rb_asic_preset p;
    rb_err e = {0};
    CHECK_INT(rb_asic_preset_load("tpu-v1", &p, &e), 0);
    CHECK_INT(p.rows, 256);
    CHECK_INT(p.cols, 256);
    CHECK(p.clock_mhz == 700);
    CHECK(p.num.dtype == RB_ASIC_INT8 && p.num.acc_bits == 32);
    CHECK(p.weight_sram_bytes == 0);
    CHECK(p.act_sram_bytes == 24.0 * 1048576);
    CHECK(p.acc_sram_bytes == 4.0 * 1048576);
    CHECK(p.offchip_gbs == 34);
    CHECK(p.node_nm == 28);
    CHECK_STR_HAS(p.source, "built-in tpu-v1");
    /* peak: 256 x 256 x 2 x 700 MHz = 91.75 TOPS ([Jouppi17]: 92) */
    CHECK_NEAR(2.0 * p.rows * p.cols * p.clock_mhz * 1e6, 91.75e12, 0.01e12);
    /* defaults scaled to 28 nm at 0.9 V: x 28/45; int8 MAC = 0.2 + 0.1 pJ */
    CHECK_NEAR(p.energy_use.mac, 0.3 * 28 / 45, 1e-12);
    CHECK_STR_HAS(p.energy_from[0], "horowitz45 x0.622");
    CHECK_NEAR(p.energy_use.offchip_byte, 1950.0 / 8, 1e-9);

    CHECK_INT(rb_asic_preset_load("edge-npu", &p, &e), 0);
    CHECK_INT(p.rows * p.cols, 256);
    CHECK(p.num.weight_quant == RB_ASIC_PER_CHANNEL);
    CHECK_INT(rb_asic_preset_load("dc-bf16", &p, &e), 0);
    CHECK(p.num.dtype == RB_ASIC_BF16);
    CHECK(p.energy_use.offchip_byte == 31.2 && !strcmp(p.energy_from[4], "preset"));

    char names[256];
    CHECK_STR_HAS(rb_asic_preset_names(names, sizeof names), "dc-bf16, edge-npu, tpu-v1");
}

/* A sequence that spills runs step by step from on-chip memory while a
 * layer-step fits (MODEL.md "Worked example 3"): edge-npu, LSTM H = I =
 * 256, B = 64.  K = 512, n_k = 32, n_n = 64, bpc_off = 2 GB/s / 500 MHz = 4:
 *   array   = 16 + 2047 * 64 + 64 + 16 + 16 - 2 = 131 118
 *   acts: the sequence, 64 * 25 * 512 + 64 * 256 * 6 = 917 504 bytes, spills;
 *     the step, 64 * 512 + 64 * 256 * 6 = 131 072, fits 512 KiB: over the
 *     link the operand once and h once, 32 768 + 16 384 = 49 152 bytes; on
 *     chip 64 * 64 * 512 + 16 384 + 131 072 = 2 244 608 / 32 = 70 144
 *   the link carries those and the weights, 4 * 256 * 512 = 524 288 bytes:
 *     573 440 / 4 = 143 360 cycles, charged to the weights (the more bytes)
 *   vector  = 64 * 256 * 17 / 16 = 17 408
 * step 160 768, the same at every T.  Once the step spills too (64 KiB of
 * activation memory), every re-read crosses the link beside the weights:
 * (524 288 + 2 244 608) / 4 = 692 224 cycles, charged to the activations.
 * Issue 19 found the old rule charged every re-read to the link at 512 KiB
 * already (578 560 a step). */
static void test_step_fits(void)
{
    rb_asic_preset p;
    rb_asic_result r, r4;
    rb_err e = {0};
    CHECK_INT(rb_asic_preset_load("edge-npu", &p, &e), 0);
    p.schedule = RB_ASIC_FUSED;
    rb_workload w = rb_test_workload(RB_CELL_LSTM, 25, 64, 256, 256, 1, 1);
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_INT(r.acts_spill, 1);
    CHECK_INT(r.step_spill, 0);
    CHECK_NEAR(r.cycles, 25 * 160768.0, 1e-6);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ACTS], 0, 0);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_WEIGHTS], 25 * 143360.0, 1e-6);
    /* off chip: weights every step, operand and h every step, x and y once */
    CHECK_NEAR(r.offchip_bytes, 25 * (524288.0 + 49152) + 64 * 25 * 512, 1e-6);
    w = rb_test_workload(RB_CELL_LSTM, 100, 64, 256, 256, 1, 1);
    CHECK_INT(rb_asic_model(&p, &w, &r4, &e), 0);
    CHECK_NEAR(r4.cycles, 4 * r.cycles, 1e-6);

    p.act_sram_bytes = 64 * 1024;
    w = rb_test_workload(RB_CELL_LSTM, 25, 64, 256, 256, 1, 1);
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_INT(r.step_spill, 1);
    CHECK_NEAR(r.cycles, 25 * (692224.0 + 17408), 1e-6);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ACTS], 25 * 692224.0, 1e-6);
}

/* The schedules by hand (MODEL.md "Schedules"), on the tiny preset with a
 * wide activation memory (64 B/cycle) so that the array sets the time.  An
 * RNN, I = 1, H = 2, B = 1; the accumulator memory (64 bytes) holds
 * 64 / (2 * 4) = 8 rows of partial sums.
 *   fused, a step: K = 3, n_k = 2: array 2 + 1 * 2 + 1 + 2 + 2 - 2 = 7,
 *     vector 2 * 4 = 8: 15 cycles a step.
 *   hoisted, a step: K = 2, n_k = 1: array 2 + 1 + 2 + 2 - 2 = 5, + 8 = 13;
 *     the input product over T rows: T = 1, 2 + 1 + 2 = 5 cycles; T = 20,
 *     three blocks of 7 rows (20 > 8), 3 * (2 + 7 + 2) = 33.
 *   T = 1: fused 15, hoisted 18; T = 20: fused 300, hoisted 33 + 260 = 293.
 * Hoisted at T = 20, the on-chip energy term by term (pJ): weights 3 * 2
 * bytes (the input weights once per block) + 20 * 4, x 2; activations the
 * operand 20 bytes + the pre-activations 20 * 2 * 4 = 160 written, then a
 * step reads h 2, writes h 2, reads its 8 pre-activation bytes: 20 * 12, x
 * 3; accumulators 2 * 20 * 2 * 4 = 320 + 20 * 16, x 4. */
static void test_schedules(void)
{
    rb_asic_preset p;
    rb_asic_result r;
    rb_err e = {0};
    load_tiny(&p, tiny_with("act_sram_bytes_per_cycle = 4\n", "act_sram_bytes_per_cycle = 64\n"));
    CHECK_INT(p.schedule, RB_ASIC_FUSED); /* the default */
    static const struct {
        int T;
        double fused, hoisted;
    } cases[] = {{1, 15, 18}, {20, 300, 293}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rb_workload w = rb_test_workload(RB_CELL_RNN, cases[i].T, 1, 1, 2, 1, 1);
        p.schedule = RB_ASIC_FUSED;
        CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
        CHECK_NEAR(r.cycles, cases[i].fused, 1e-9);
        CHECK_INT(r.hoisted, 0);
        p.schedule = RB_ASIC_HOISTED;
        CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
        CHECK_NEAR(r.cycles, cases[i].hoisted, 1e-9);
        CHECK_INT(r.hoisted, 1);
        CHECK_INT(r.by_auto, 0);
        CHECK_NEAR(r.macs, 3.0 * 2 * cases[i].T, 0); /* the same work either way */
        if (cases[i].T == 20) {
            CHECK_NEAR(r.e_onchip, ((6 + 80) * 2 + (180 + 240) * 3 + (320 + 320) * 4) * 1e-12,
                       1e-22);
            CHECK_INT(r.preacts_spill, 0);
        }
        p.schedule = RB_ASIC_AUTO;
        CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
        int hoisted = cases[i].hoisted < cases[i].fused;
        CHECK_INT(r.hoisted, hoisted);
        CHECK_INT(r.by_auto, 1);
        CHECK_NEAR(r.cycles, hoisted ? cases[i].hoisted : cases[i].fused, 1e-9);
        CHECK_NEAR(r.other_cycles, hoisted ? cases[i].fused : cases[i].hoisted, 1e-9);
    }

    /* TPU v1, H = I = 1024, B = 1, T = 25 (issue 19): fused streams the
     * 8 MiB of [W_ih; W_hh] every step, 4 319 366 cycles (worked example 2);
     * hoisted streams W_ih once, 4 MiB / 48.57 B/cycle = 86 355 cycles, then
     * W_hh every step, 86 355 + 68 vector: 2 246 921 in all. */
    CHECK_INT(rb_asic_preset_load("tpu-v1", &p, &e), 0);
    CHECK_INT(p.schedule, RB_ASIC_FUSED);
    rb_workload w = rb_test_workload(RB_CELL_LSTM, 25, 1, 1024, 1024, 1, 1);
    const double wcyc = 4194304 / (34e9 / 700e6);
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_NEAR(r.cycles, 25 * (2 * wcyc + 68), 1e-3);
    p.schedule = RB_ASIC_AUTO;
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_INT(r.hoisted, 1);
    CHECK_NEAR(r.cycles, wcyc + 25 * (wcyc + 68), 1e-3);
    CHECK_NEAR(r.other_cycles, 25 * (2 * wcyc + 68), 1e-3);
    CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_WEIGHTS], 26 * wcyc, 1e-3);
    printf("  tpu-v1 lstm H1024 B1 T25: fused %.0f cycles, hoisted %.0f\n", r.other_cycles,
           r.cycles);

    /* edge-npu, H = I = 256, B = 64, T = 25 hoisted: the pre-activations,
     * 25 * 64 * 1024 * 4 = 6 553 600 bytes, do not fit 512 KiB: out once,
     * back a step at a time.  The accumulator memory (16 KiB) holds 256 rows
     * of 16 columns, so the 1 600 rows go through W_ih in 7 blocks.  Off
     * chip: W_ih 7 times, the operand x once (409 600 bytes fit), the
     * pre-activations out; per step W_hh, h in and out (2 * 16 384) and
     * the pre-activations back (262 144); x and y once.  More than fused
     * saves: auto keeps fused. */
    CHECK_INT(rb_asic_preset_load("edge-npu", &p, &e), 0);
    w = rb_test_workload(RB_CELL_LSTM, 25, 64, 256, 256, 1, 1);
    p.schedule = RB_ASIC_HOISTED;
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_INT(r.preacts_spill, 1);
    CHECK_NEAR(r.offchip_bytes,
               7 * 262144.0 + 409600 + 6553600 + 25 * (262144.0 + 32768 + 262144) + 64 * 25 * 512,
               1e-6);
    double hoisted = r.cycles;
    p.schedule = RB_ASIC_AUTO;
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_INT(r.hoisted, 0);
    CHECK_NEAR(r.cycles, 25 * 160768.0, 1e-6);
    CHECK_NEAR(r.other_cycles, hoisted, 1e-6);
}

/* weight_double_buffer = false: each tile loads, computes and drains in
 * turn, n_k n_n (2R + C + B - 2) - 1 cycles a layer-step (SCALE-Sim v2's
 * closed form for the same weight-stationary mapping), against the
 * double-buffered R + (n - 1) max(B, R) + B + R + C - 2.  Memories and the
 * vector unit are made fast enough that the array is the bound. */
static void test_no_double_buffer(void)
{
    static const char *fast =
        "[preset]\nname = fast\ndescribes = an array-bound 4x8 array\n"
        "[array]\nrows = 4\ncols = 8\nclock_mhz = 1\ndatatype = int8\nacc_bits = 32\n"
        "vector_lanes = 1048576\n"
        "[memory]\nweight_sram_bytes = 1 GiB\nweight_sram_bytes_per_cycle = 1e6\n"
        "act_sram_bytes = 1 GiB\nact_sram_bytes_per_cycle = 1e6\nacc_sram_bytes = 1 MiB\n"
        "offchip_gb_per_s = 1\n"
        "[technology]\nnode_nm = 45\nvdd = 0.9\nstatic_w = 1\n";
    const int shapes[][4] = {/* cell (0 LSTM, 1 RNN), B, I, H */
                             {1, 1, 1, 2},
                             {1, 3, 5, 8},
                             {0, 2, 7, 4},
                             {0, 16, 12, 9},
                             {1, 40, 30, 30}};
    for (int dbuf = 0; dbuf < 2; dbuf++) {
        rb_asic_preset p;
        char text[1024];
        snprintf(text, sizeof text, "%s", fast);
        if (!dbuf) /* the key at the end of the [array] section */
            snprintf(text, sizeof text, "%.*sweight_double_buffer = false\n%s",
                     (int)(strstr(fast, "[memory]") - fast), fast, strstr(fast, "[memory]"));
        load_tiny(&p, text);
        CHECK_INT(p.weight_double_buffer, dbuf);
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            int rnn = shapes[i][0], B = shapes[i][1], I = shapes[i][2], H = shapes[i][3];
            rb_workload w = rb_test_workload(rnn ? RB_CELL_RNN : RB_CELL_LSTM, 2, B, I, H, 1, 1);
            rb_asic_result r;
            rb_err e = {0};
            CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
            double R = 4, C = 8, G = rnn ? 1 : 4, n = ceil((I + H) / R) * ceil(G * H / C);
            double array =
                dbuf ? R + (n - 1) * fmax(B, R) + B + R + C - 2 : n * (2 * R + C + B - 2) - 1;
            CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ARRAY], 2 * array, 1e-9);
        }
    }
}

/* SCALE-Sim v2 itself (tests/fixtures/scalesim/: its cycles for five
 * layer-step GEMMs on a 16x16 weight-stationary array, M = B, K = I + H,
 * N = 4H): the model without the weight double buffer gives exactly its
 * cycles.  Each topology row becomes an LSTM with I = H and T = 1. */
static void test_scalesim(void)
{
    static const char *a16 =
        "[preset]\nname = a16\ndescribes = SCALE-Sim's 16x16 array\n"
        "[array]\nrows = 16\ncols = 16\nclock_mhz = 1\ndatatype = int8\nacc_bits = 32\n"
        "vector_lanes = 1048576\nweight_double_buffer = false\n"
        "[memory]\nweight_sram_bytes = 1 GiB\nweight_sram_bytes_per_cycle = 1e6\n"
        "act_sram_bytes = 1 GiB\nact_sram_bytes_per_cycle = 1e6\nacc_sram_bytes = 1 MiB\n"
        "offchip_gb_per_s = 1\n"
        "[technology]\nnode_nm = 45\nvdd = 0.9\nstatic_w = 1\n";
    rb_asic_preset p;
    load_tiny(&p, a16);
    FILE *topo = fopen(RB_SOURCE_DIR "/tests/fixtures/scalesim/topology.csv", "r"),
         *rep = fopen(RB_SOURCE_DIR "/tests/fixtures/scalesim/COMPUTE_REPORT.csv", "r");
    CHECK(topo && rep);
    char lt[256], lr[256];
    int rows = 0;
    /* both files: a header line, then one line per layer in the same order */
    if (topo && rep && fgets(lt, sizeof lt, topo) && fgets(lr, sizeof lr, rep))
        while (fgets(lt, sizeof lt, topo) && fgets(lr, sizeof lr, rep)) {
            char name[64];
            int M, N, K, id;
            double cycles;
            CHECK_INT(sscanf(lt, "%63[^,],%d,%d,%d", name, &M, &N, &K), 4);
            CHECK_INT(sscanf(lr, "%d, %lf", &id, &cycles), 2);
            CHECK_INT(K, N / 2); /* I = H: K = 2H, N = 4H */
            rb_workload w = rb_test_workload(RB_CELL_LSTM, 1, M, N / 4, N / 4, 1, 1);
            rb_asic_result r;
            rb_err e = {0};
            CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
            printf("  SCALE-Sim %-8s M %2d N %3d K %2d: %5.0f cycles, model %5.0f\n", name, M, N, K,
                   cycles, r.bound_cycles[RB_ASIC_BOUND_ARRAY]);
            CHECK_NEAR(r.bound_cycles[RB_ASIC_BOUND_ARRAY], cycles, 0);
            rows++;
        }
    CHECK_INT(rows, 5);
    if (topo)
        fclose(topo);
    if (rep)
        fclose(rep);
}

/* TPU v1's LSTM0 (Jouppi et al., ISCA 2017, Tables 1 and 3): 52 M int8
 * weights at batch 64, measured at 3.7 TOPS.  The paper gives no layer
 * shapes; this stands in six LSTM layers of I = H = 1040 (8 * 1040^2 * 6 =
 * 51.9 M weights), T = 10.  The model, from the published design parameters
 * alone, must land within +-30 % of the measurement (it gives ~4.25). */
static void test_tpu_lstm0(void)
{
    rb_asic_preset p;
    rb_asic_result r;
    rb_err e = {0};
    CHECK_INT(rb_asic_preset_load("tpu-v1", &p, &e), 0);
    rb_workload w = rb_test_workload(RB_CELL_LSTM, 10, 64, 1040, 1040, 6, 1);
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    CHECK_NEAR(r.weight_bytes, 8.0 * 1040 * 1040 * 6, 0);
    double tops = 2 * r.macs / r.latency_s / 1e12;
    CHECK_INT(p.schedule, RB_ASIC_FUSED);
    CHECK(tops >= 0.7 * 3.7 && tops <= 1.3 * 3.7);
    /* hoisted, W_ih streams once a call: about twice the throughput, out of
     * the paper's range (MODEL.md "Schedules") */
    p.schedule = RB_ASIC_HOISTED;
    CHECK_INT(rb_asic_model(&p, &w, &r, &e), 0);
    double hoisted = 2 * r.macs / r.latency_s / 1e12;
    printf("  tpu-v1 LSTM0 stand-in (6 x H 1040, B 64, T 10): %.2f TOPS fused (paper: 3.7), "
           "%.2f hoisted\n",
           tops, hoisted);
    CHECK(hoisted > 1.3 * 3.7);
}

/* Horowitz's table and the rules for what it lacks (MODEL.md "Energy"). */
static void test_energy_table(void)
{
    rb_asic_numerics n = {RB_ASIC_INT8, 32, RB_ASIC_PER_TENSOR};
    CHECK_NEAR(rb_asic_e45_mac(&n), 0.3, 1e-12); /* 0.2 + 0.1 */
    n.dtype = RB_ASIC_INT16;
    n.acc_bits = 48; /* 0.2 x 4 + (0.03 + 40 x 0.07/24) */
    CHECK_NEAR(rb_asic_e45_mac(&n), 0.8 + 0.03 + 40 * 0.07 / 24, 1e-12);
    n.dtype = RB_ASIC_FP16;
    n.acc_bits = 32;
    CHECK_NEAR(rb_asic_e45_mac(&n), 1.1 + 0.9, 1e-12);
    n.acc_bits = 16;
    CHECK_NEAR(rb_asic_e45_mac(&n), 1.1 + 0.4, 1e-12);
    n.dtype = RB_ASIC_BF16;
    n.acc_bits = 32; /* 1.1 x (8/11)^2 + 0.9 */
    CHECK_NEAR(rb_asic_e45_mac(&n), 1.1 * 64 / 121 + 0.9, 1e-12);
    n.acc_bits = 16;
    CHECK_NEAR(rb_asic_e45_mac(&n), 1.1 * 64 / 121 + 0.4 * 8 / 11, 1e-12);
    n.dtype = RB_ASIC_FP32;
    CHECK_NEAR(rb_asic_e45_mac(&n), 4.6, 1e-12);
    /* SRAM per byte: the table's points, between them log-log, outside clamped */
    CHECK_NEAR(rb_asic_e45_sram_byte(8192), 10.0 / 8, 1e-12);
    CHECK_NEAR(rb_asic_e45_sram_byte(32768), 20.0 / 8, 1e-12);
    CHECK_NEAR(rb_asic_e45_sram_byte(1048576), 100.0 / 8, 1e-12);
    CHECK_NEAR(rb_asic_e45_sram_byte(16384), sqrt(10.0 * 20.0) / 8, 1e-12); /* the midpoint */
    CHECK_NEAR(rb_asic_e45_sram_byte(100), 10.0 / 8, 1e-12);
    CHECK_NEAR(rb_asic_e45_sram_byte(24.0 * 1048576), 100.0 / 8, 1e-12);
    CHECK_NEAR(rb_asic_node_scale(45, 0.9), 1, 1e-15);
    CHECK_NEAR(rb_asic_node_scale(16, 0.8), 16.0 / 45 * (0.8 / 0.9) * (0.8 / 0.9), 1e-15);
}

static void expect_bad(const char *what, const char *text, const char *msg)
{
    rb_asic_preset p;
    rb_err e = {0};
    int rc = rb_asic_preset_load(write_preset("bad", text), &p, &e);
    if (rc != RB_EINPUT || !strstr(e.msg, msg))
        fprintf(stderr, "%s: rc %d, message '%s', expected '%s'\n", what, rc, e.msg, msg);
    CHECK_INT(rc, RB_EINPUT);
    CHECK_STR_HAS(e.msg, msg);
}

static void test_bad_presets(void)
{
    /* line numbers: k_tiny's [array] rows line is line 5 */
    expect_bad("missing key", tiny_with("rows = 2\n", ""), "missing [array] rows");
    expect_bad("unknown key", tiny_with("rows = 2\n", "rows = 2\nspeed = 3\n"),
               "bad.ini:6: [array] speed: unknown key");
    expect_bad("not a number", tiny_with("rows = 2\n", "rows = two\n"),
               "bad.ini:5: [array] rows = 'two': expected a whole number in [1, 65536]");
    expect_bad("zero", tiny_with("clock_mhz = 1\n", "clock_mhz = 0\n"),
               "[array] clock_mhz = '0': expected a number in [1, 10000]");
    expect_bad("negative size", tiny_with("act_sram_bytes = 1024\n", "act_sram_bytes = -5\n"),
               "[memory] act_sram_bytes = '-5'");
    expect_bad("bad unit", tiny_with("act_sram_bytes = 1024\n", "act_sram_bytes = 4 parsecs\n"),
               "KiB");
    expect_bad("datatype", tiny_with("datatype = int8\n", "datatype = int4\n"),
               "expected int8, int16, fp16, bf16 or fp32");
    expect_bad("quant", tiny_with("vector_lanes = 1\n", "vector_lanes = 1\nweight_quant = rows\n"),
               "expected per-tensor or per-channel");
    expect_bad("twice", tiny_with("rows = 2\n", "rows = 2\nrows = 4\n"), "given twice");
    expect_bad("schedule", tiny_with("vector_lanes = 1\n", "vector_lanes = 1\nschedule = lazy\n"),
               "[array] schedule = 'lazy': expected fused, hoisted or auto");
    expect_bad("double buffer",
               tiny_with("vector_lanes = 1\n", "vector_lanes = 1\nweight_double_buffer = 1\n"),
               "expected true or false");
    expect_bad("int16 acc",
               tiny_with("datatype = int8\nacc_bits = 32\n", "datatype = int16\nacc_bits = 16\n"),
               "bad.ini: [array]");
    expect_bad("weights without bandwidth", tiny_with("weight_sram_bytes_per_cycle = 4\n", ""),
               "weight_sram_bytes_per_cycle is not given");
    expect_bad("first error wins", tiny_with("rows = 2\n", "rows = x\ncols = y\n"),
               "bad.ini:5: [array] rows = 'x'");
    rb_asic_preset p;
    rb_err e = {0};
    CHECK_INT(rb_asic_preset_load("no-such-preset", &p, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "no such preset (built in: dc-bf16, edge-npu, tpu-v1)");
    CHECK_INT(rb_asic_preset_load("/nonexistent/x.ini", &p, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "cannot read it");
}

/* rb_asic_preset_write: every shipped preset written and read back is the
 * same preset (its energies as given, the model's figures equal). */
static void test_preset_roundtrip(void)
{
    const char *names[] = {"tpu-v1", "edge-npu", "dc-bf16"};
    rb_workload w = rb_workload_of(RB_CELL_LSTM, RB_MODE_INFER, 25, 4, 512, 512, 2, 1);
    for (int i = 0; i < 3; i++) {
        static rb_asic_preset a, b;
        rb_err e = {0};
        char path[300];
        snprintf(path, sizeof path, "%s/roundtrip.ini", tmpdir);
        CHECK_INT(rb_asic_preset_load(names[i], &a, &e), 0);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f)
            continue;
        CHECK_INT(rb_asic_preset_write(f, &a, "test"), 0);
        fclose(f);
        CHECK_INT(rb_asic_preset_load(path, &b, &e), 0);
        CHECK(!strcmp(a.name, b.name) && a.rows == b.rows && a.cols == b.cols &&
              a.num.dtype == b.num.dtype && a.num.acc_bits == b.num.acc_bits &&
              a.num.weight_quant == b.num.weight_quant && a.schedule == b.schedule &&
              a.weight_double_buffer == b.weight_double_buffer);
        const double *ea = &a.energy.mac, *eb = &b.energy.mac;
        for (int k = 0; k < 6; k++)
            CHECK_NEAR(ea[k], eb[k], 1e-12 * fabs(ea[k]));
        rb_asic_result ra, rbr;
        CHECK_INT(rb_asic_model(&a, &w, &ra, &e), 0);
        CHECK_INT(rb_asic_model(&b, &w, &rbr, &e), 0);
        CHECK_NEAR(rbr.cycles, ra.cycles, 1e-9 * ra.cycles);
        CHECK_NEAR(rbr.e_total, ra.e_total, 1e-9 * ra.e_total);
        unlink(path);
    }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rb_asic_model.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_tiny_by_hand();
    test_bidirectional();
    test_gru_by_hand();
    test_gru_presets();
    test_compute_memory_switch();
    test_step_fits();
    test_schedules();
    test_no_double_buffer();
    test_scalesim();
    test_tpu_lstm0();
    test_monotone();
    test_shipped_presets();
    test_energy_table();
    test_bad_presets();
    test_preset_roundtrip();
    char path[256];
    snprintf(path, sizeof path, "%s/tiny.ini", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/bad.ini", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    return rb_test_done("test_asic_model");
}
