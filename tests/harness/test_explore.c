/* test_explore.c — the design-space exploration's estimates and choice
 * (harness/explore.c): the sweep's keys and refusals, the candidates' sizing
 * by the RTL's rules, cycles against the formula worked by hand from
 * rtl/README.md, the p99 of a lightly loaded server against its service
 * time, and the Pareto front and the choice against brute force. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../harness/explore.h"
#include "../rb_test.h"

#define SWEEP_DIR RB_SOURCE_DIR "/targets/fpga/synth/sweep"

static void add(rb_explore_spec *sp, const char *kv)
{
    rb_err e = {0};
    CHECK_INT(rb_explore_sweep_add(&sp->sweep, sp->target, kv, &e), 0);
}

static void test_sweep_parse(void)
{
    rb_explore_sweep s = {0};
    rb_err e = {0};
    CHECK_INT(rb_explore_sweep_add(&s, RB_XT_FPGA, "lanes=16,32 64", &e), 0);
    CHECK_INT(s.n[RB_XK_FPGA_LANES], 3);
    CHECK_INT(rb_explore_sweep_add(&s, RB_XT_FPGA, "format=q3.12,Q2.5", &e), 0);
    CHECK_INT((int)s.v[RB_XK_FPGA_FORMAT][0], 1612);
    CHECK_INT((int)s.v[RB_XK_FPGA_FORMAT][1], 805);
    CHECK_INT((int)rb_explore_sweep_size(&s), 6);
    CHECK_INT(rb_explore_sweep_add(&s, RB_XT_FPGA, "lanes=8", &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "given twice");
    CHECK_INT(rb_explore_sweep_add(&s, RB_XT_FPGA, "colour=red", &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "KEY=LIST");
    CHECK_INT(rb_explore_sweep_add(&s, RB_XT_FPGA, "clock_mhz=200,abc", &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "'abc'");
    CHECK_INT(rb_explore_sweep_add(&s, RB_XT_FPGA, "onchip_kib=-1", &e), RB_EINPUT);
    rb_explore_sweep t = {0};
    CHECK_INT(rb_explore_sweep_add(&t, RB_XT_FPGA, "format=q9.9", &e), RB_EINPUT); /* 19 bits */
    CHECK_INT(rb_explore_sweep_add(&t, RB_XT_FPGA, "lanes=12.5", &e), RB_EINPUT);
    CHECK_INT(rb_explore_sweep_add(&t, RB_XT_FPGA, "clock_mhz=100,100", &e), RB_EINPUT);
    CHECK_INT(rb_explore_sweep_add(&t, RB_XT_FPGA, "clock_mhz=", &e), RB_EINPUT);
}

static rb_workload point(rb_cell cell, int T, int B, int I, int H, int L)
{
    return rb_workload_of(cell, RB_MODE_INFER, T, B, I, H, L, 1);
}

/* rtl/README.md "Cycles": per layer-step nb * K * B + D + 10, nb =
 * ceil(G*H / LANES), K = I + H, D = B * LANES / (G * VLANES), weights on chip. */
static void test_cycles_by_hand(void)
{
    rb_workload w = point(RB_CELL_LSTM, 4, 2, 16, 32, 1);
    rb_explore_spec sp = {.n_points = 1, .activity = 0.125, .resmodel_dir = SWEEP_DIR,
                          .max_acc_drop = -1};
    sp.points[0] = &w;
    sp.part = rb_fpga_part_find("xc7z020");
    add(&sp, "lanes=8,16,32");
    add(&sp, "onchip_kib=100");
    rb_explore x;
    rb_err e = {0};
    CHECK_INT(rb_explore_run(&sp, &x, &e), 0);
    CHECK_INT((int)x.n, 3);
    /* 8 lanes: VLANES >= 4 and 4 * VLANES <= LANES cannot both hold */
    CHECK_STR_HAS(x.c[0].refused, "LANES=8");
    CHECK_INT((int)x.n_refused, 1);
    /* 100 KiB of Q3.12 is 51200 values: 16 lanes x 2048 rows = 32768 (64 KiB) */
    CHECK_INT((int)x.c[1].hw.wmem_words, 32768);
    CHECK(!strcmp(x.c[1].name, "l16/200MHz/64KiB/Q3.12"));
    CHECK_INT((int)x.c[1].hw.vlanes, 4);
    CHECK_INT((int)x.c[2].hw.vlanes, 8);
    rb_explore_free(&x);
    /* less memory than one row of lanes: refused, not rounded up */
    sp.sweep = (rb_explore_sweep){0};
    add(&sp, "lanes=64");
    add(&sp, "onchip_kib=0.1");
    CHECK_INT(rb_explore_run(&sp, &x, &e), 0);
    CHECK_STR_HAS(x.c[0].refused, "less than one row of 64 lanes");
    rb_explore_free(&x);
    sp.sweep = (rb_explore_sweep){0};
    add(&sp, "lanes=8,16,32");
    add(&sp, "onchip_kib=100");
    CHECK_INT(rb_explore_run(&sp, &x, &e), 0);
    /* 16 lanes: nb 8, K 48, D 2 -> 4 * (8*48*2 + 2 + 10) = 3120 cycles;
     * 32 lanes: nb 4, D 2 -> 4 * (4*48*2 + 12) = 1584 */
    CHECK_INT((int)x.c[1].cycles[0], 3120);
    CHECK_INT((int)x.c[2].cycles[0], 1584);
    CHECK_NEAR(x.c[1].lat_s[0], 3120 / 200e6, 1e-15);
    /* power: the model's on the estimated resources; more lanes, more power */
    CHECK(x.c[1].power_w > 0 && x.c[2].power_w > x.c[1].power_w);
    CHECK_NEAR(x.c[1].energy_j, x.c[1].power_w * x.c[1].lat_s[0], 1e-18);
    rb_explore_free(&x);

    /* a point the accelerator cannot run is every candidate's refusal, named */
    rb_workload train = rb_workload_of(RB_CELL_LSTM, RB_MODE_TRAIN, 4, 1, 16, 32, 1, 1);
    sp.points[0] = &train;
    CHECK_INT(rb_explore_run(&sp, &x, &e), 0);
    CHECK_STR_HAS(x.c[1].refused, "inference only");
    CHECK_INT((int)x.n_refused, 3);
    CHECK_INT((int)x.chosen, -1);
    rb_explore_free(&x);
}

/* Sizing: the buffers and limits grow (powers of 2) to hold the points. */
static void test_sizing(void)
{
    rb_workload w = point(RB_CELL_RNN, 100, 4, 700, 600, 3);
    rb_explore_spec sp = {.n_points = 1, .activity = 0.125, .resmodel_dir = SWEEP_DIR};
    sp.points[0] = &w;
    sp.part = rb_fpga_part_find("xc7z045");
    rb_explore x;
    rb_err e = {0};
    CHECK_INT(rb_explore_run(&sp, &x, &e), 0);
    const rb_fpga_hw *hw = &x.c[0].hw;
    CHECK_INT(hw->max_h, 1024);
    CHECK_INT(hw->max_i, 1024);
    CHECK_INT(hw->max_l, 4);
    CHECK_INT((int)hw->xmem_words, 524288); /* 100 * 4 * 700 = 280000 */
    CHECK_INT((int)hw->ymem_words, 262144); /* 100 * 4 * 600 = 240000 */
    CHECK_INT(x.c[0].refused[0], 0);
    rb_explore_free(&x);
}

/* At 1 query/s nothing queues: the p99 is one query's service time. */
static void test_light_load(void)
{
    rb_workload w = point(RB_CELL_LSTM, 10, 1, 64, 64, 1);
    rb_explore_spec sp = {.n_points = 1, .activity = 0.125, .resmodel_dir = SWEEP_DIR, .qps = 1};
    sp.points[0] = &w;
    sp.part = rb_fpga_part_find("xc7z020");
    add(&sp, "lanes=16,64");
    rb_explore x;
    rb_err e = {0};
    CHECK_INT(rb_explore_run(&sp, &x, &e), 0);
    for (int i = 0; i < 2; i++) /* within the latency histogram's resolution */
        CHECK_NEAR(x.c[i].p99_s[0] / x.c[i].lat_s[0], 1.0, 0.01);
    rb_explore_free(&x);
}

static int dominates(const rb_explore_cand *a, const rb_explore_cand *b)
{
    return a->worst_s <= b->worst_s && a->power_w <= b->power_w && a->size <= b->size &&
           (a->worst_s < b->worst_s || a->power_w < b->power_w || a->size < b->size);
}

/* The front and the choice over a real sweep, against their definitions. */
static void test_front_and_choice(void)
{
    rb_workload w = point(RB_CELL_LSTM, 25, 1, 256, 256, 1);
    rb_explore_objective objs[] = {RB_OBJ_SIZE, RB_OBJ_POWER, RB_OBJ_ENERGY};
    for (int o = 0; o < 3; o++) {
        rb_explore_spec sp = {
            .n_points = 1, .activity = 0.125, .resmodel_dir = SWEEP_DIR, .slo_s = 2e-3, .objective = objs[o]};
        sp.points[0] = &w;
        sp.part = rb_fpga_part_find("xc7z045");
        add(&sp, "lanes=16,32,64,128,256");
        add(&sp, "clock_mhz=100,200,300");
        add(&sp, "onchip_kib=128,512,2048");
        add(&sp, "format=q3.12,q2.5");
        rb_explore x;
        rb_err e = {0};
        CHECK_INT(rb_explore_run(&sp, &x, &e), 0);
        CHECK_INT((int)x.n, 90);
        long front = 0, bad = 0, best = -1;
        for (long i = 0; i < x.n; i++) {
            const rb_explore_cand *c = &x.c[i];
            if (c->refused[0] || !c->fits) {
                bad += c->front;
                continue;
            }
            int dom = 0;
            for (long j = 0; j < x.n; j++)
                dom |= !x.c[j].refused[0] && x.c[j].fits && dominates(&x.c[j], c);
            bad += dom == c->front;
            front += c->front;
            if (c->meets && (best < 0 || c->cost < x.c[best].cost))
                best = i;
        }
        CHECK_INT((int)bad, 0);
        CHECK_INT((int)front, (int)x.n_front);
        CHECK(front > 1);
        CHECK(best >= 0 && x.chosen >= 0);
        CHECK_NEAR(x.c[x.chosen].cost, x.c[best].cost, 0);
        CHECK(x.c[x.chosen].front); /* a cheapest feasible one is never dominated */
        if (x.near_miss >= 0) {
            CHECK(!x.c[x.near_miss].meets);
            CHECK(x.c[x.near_miss].cost < x.c[x.chosen].cost);
        }
        char line[512];
        rb_explore_describe(&sp, &x.c[x.chosen], line, sizeof line);
        CHECK_STR_HAS(line, "of an xc7z045's");
        printf("  %s: %ld candidates, front %ld, chosen %s\n", rb_explore_objective_name(RB_XT_FPGA, objs[o]),
               x.n, front, x.c[x.chosen].name);
        rb_explore_free(&x);
    }
}

/* asic: a candidate that sweeps nothing is its base preset, figure for
 * figure; a swept datatype drops the base's own MAC energy for the scaled
 * default, and a base without weight memory gets one fed at twice the row. */
static void test_asic(void)
{
    static rb_asic_preset base;
    rb_err e = {0};
    CHECK_INT(rb_asic_preset_load("tpu-v1", &base, &e), 0);
    rb_workload w = point(RB_CELL_LSTM, 25, 1, 512, 512, 1);
    rb_explore_spec sp = {.target = RB_XT_ASIC, .n_points = 1, .asic_base = &base,
                          .max_acc_drop = -1};
    sp.points[0] = &w;
    rb_explore x;
    CHECK_INT(rb_explore_run(&sp, &x, &e), 0);
    CHECK_INT((int)x.n, 1);
    rb_asic_result r;
    CHECK_INT(rb_asic_model(&base, &w, &r, &e), 0);
    CHECK_NEAR(x.c[0].lat_s[0], r.latency_s, 0);
    CHECK_NEAR(x.c[0].energy_j, r.e_total, 0);
    CHECK_NEAR(x.c[0].power_w, r.e_total / r.latency_s, 1e-12);
    rb_asic_area area;
    rb_asic_area_of(&base, &area);
    CHECK_NEAR(x.c[0].size, area.total_mm2, 0);
    CHECK(!strcmp(x.c[0].name, "a256/700MHz/0KiB/int8"));
    rb_explore_free(&x);

    sp.sweep = (rb_explore_sweep){0};
    add(&sp, "format=int8,bf16");
    add(&sp, "array=64,128x256");
    add(&sp, "sram_kib=4096");
    CHECK_INT(rb_explore_run(&sp, &x, &e), 0);
    CHECK_INT((int)x.n, 4);
    rb_asic_preset p;
    rb_explore_asic_preset(&sp, &x.c[3], &p); /* 128x256 bf16 */
    CHECK_INT(p.rows, 128);
    CHECK_INT(p.cols, 256);
    CHECK_INT(p.num.dtype, RB_ASIC_BF16);
    CHECK_STR_HAS(p.energy_from[0], "horowitz45");
    CHECK_NEAR(p.weight_sram_bpc, 2.0 * 256 * 2, 1e-9); /* tpu-v1 has no weight memory */
    CHECK(x.c[0].lat_s[0] > 2 * x.c[1].lat_s[0]);      /* 64x64 int8 vs 128x256: 8x the MACs */
    rb_explore_free(&x);
}

int main(void)
{
    test_sweep_parse();
    test_cycles_by_hand();
    test_sizing();
    test_light_load();
    test_front_and_choice();
    test_asic();
    return rb_test_done("test_explore");
}
