/* explore.h — design-space exploration: which accelerator to build for a
 * workload and a latency bound (`rnnbench explore`, cmd_explore.c).
 *
 * A sweep (KEY=LIST per hardware parameter) spans candidate
 * configurations of the fpga accelerator or of the asic model; each is
 * estimated without simulating:
 *   fpga  cycles by the formula the RTL is tested to match (fpga_hw.c),
 *         resources by the model fitted to Yosys syntheses
 *         (fpga_resmodel.c), power by the documented power model
 *         (fpga_power.c);                                  explore_fpga.c
 *   asic  a preset made from a base preset and the swept values, through
 *         the analytical model (cycles, energy by component) and the area
 *         model (targets/asic/MODEL.md);                   explore_asic.c
 * The candidates best in some trade-off (the Pareto front of latency, power
 * and resources or area) and the one chosen are what a report shows; the
 * fpga ones can then be confirmed (explore_confirm.c): simulated and
 * synthesized for real, their figures replacing the estimates. */
#ifndef RB_EXPLORE_H
#define RB_EXPLORE_H

#include <stdio.h>

#include "../targets/asic/asic.h"
#include "../targets/fpga/fpga_hw.h"
#include "../targets/fpga/fpga_resmodel.h"
#include "../workloads/workload.h"
#include "serving.h"

#define RB_EXPLORE_MAX_VALUES 32 /* values of one swept key */
#define RB_EXPLORE_MAX_POINTS 16 /* workload points one exploration sizes for */
#define RB_EXPLORE_MAX_CANDIDATES 20000
#define RB_EXPLORE_MAX_KEYS 8

typedef enum { RB_XT_FPGA, RB_XT_ASIC } rb_explore_target;

/* The swept parameters of a target, each a list of values; a key not
 * swept keeps the base configuration's value.  The keys' order is the
 * target's table (rb_explore_keys). */
enum { RB_XK_FPGA_LANES, RB_XK_FPGA_CLOCK, RB_XK_FPGA_ONCHIP, RB_XK_FPGA_FORMAT, RB_XK_FPGA_BPC };
enum { RB_XK_ASIC_ARRAY, RB_XK_ASIC_CLOCK, RB_XK_ASIC_SRAM, RB_XK_ASIC_FORMAT, RB_XK_ASIC_GBS };
typedef struct rb_explore_sweep {
    int n[RB_EXPLORE_MAX_KEYS];
    /* fpga format: bits * 100 + frac; asic format: rb_asic_dtype; asic array:
     * rows * 100000 + cols */
    double v[RB_EXPLORE_MAX_KEYS][RB_EXPLORE_MAX_VALUES];
} rb_explore_sweep;

typedef struct rb_explore_key {
    const char *name, *help;
} rb_explore_key;
/* The target's keys (their count in *n). */
const rb_explore_key *rb_explore_keys(rb_explore_target t, int *n);
/* Add one --sweep KEY=LIST; RB_EINPUT naming the key or value when wrong. */
int rb_explore_sweep_add(rb_explore_sweep *s, rb_explore_target t, const char *kv, rb_err *e);
/* Candidates the sweep spans (the product of its lists' lengths). */
long rb_explore_sweep_size(const rb_explore_sweep *s);

/* What the choice minimises: the fpga's share of the part's resources or
 * the asic's area (one objective, named for each), power or energy. */
typedef enum { RB_OBJ_SIZE, RB_OBJ_POWER, RB_OBJ_ENERGY } rb_explore_objective;
int rb_explore_objective_parse(const char *s, rb_explore_objective *o); /* 0 or -1 */
const char *rb_explore_objective_name(rb_explore_target t, rb_explore_objective o);

/* An FPGA the candidates are placed on, for utilization (Xilinx data sheets). */
typedef struct rb_fpga_part {
    const char *name, *family, *source;
    double cap[RB_NRES]; /* LUT, FF, DSP, BRAM36, LUTRAM (SLICEM LUTs), CARRY4 */
} rb_fpga_part;
const rb_fpga_part *rb_fpga_part_find(const char *name);
const char *rb_fpga_part_names(char *buf, size_t len);

typedef struct rb_explore_spec {
    rb_explore_target target;
    rb_explore_sweep sweep;
    const rb_workload *points[RB_EXPLORE_MAX_POINTS];
    int n_points;
    double slo_s; /* 0: none */
    double qps;   /* 0: each point's own latency is what the bound applies to */
    rb_explore_objective objective;
    /* fpga */
    const rb_fpga_part *part;
    double activity;           /* switching activity of the power model */
    const char *resmodel_dir;  /* the syntheses the resource model is fitted to */
    /* asic */
    const rb_asic_preset *asic_base; /* what a candidate is made from */
    double max_area_mm2;             /* 0: no bound */
    /* accuracy of a trained model per number format (explore_accuracy.c),
     * in the sweep's format codes; n_acc 0: not known */
    int n_acc;
    double acc_fmt[RB_EXPLORE_MAX_VALUES], acc[RB_EXPLORE_MAX_VALUES];
    double acc_ref;      /* the fp64 reference's */
    double max_acc_drop; /* < 0: no bound */
} rb_explore_spec;

/* Where a candidate's figures came from. */
typedef enum { RB_XS_ESTIMATED, RB_XS_CONFIRMED, RB_XS_DISAGREES } rb_explore_state;

/* The asic parameters a candidate sets on its base preset. */
typedef struct rb_explore_asic {
    int rows, cols;
    double clock_mhz, weight_sram_bytes, offchip_gbs;
    rb_asic_dtype dtype;
} rb_explore_asic;

typedef struct rb_explore_cand {
    char name[64];     /* "l32/200MHz/256KiB/Q3.12", "a128/700MHz/8192KiB/bf16" */
    char refused[256]; /* non-empty: not a configuration that can be built, or
                          one that cannot run the points (the reason) */
    rb_fpga_hw hw;     /* fpga */
    double res[RB_NRES];
    int util_res;       /* the fpga resource of the largest share */
    rb_explore_asic ax; /* asic */
    rb_asic_area area;
    double e_part[5]; /* asic: mean energy per call by component: mac, on-chip,
                         off-chip, vector, static (J) */
    double accuracy; /* of its number format (NaN: not known) */
    double power_w;
    char power_how[96];
    double size;                            /* fpga: share of the part; asic: mm^2 */
    uint64_t cycles[RB_EXPLORE_MAX_POINTS]; /* one call of each point */
    double lat_s[RB_EXPLORE_MAX_POINTS];    /* that call's latency */
    double p99_s[RB_EXPLORE_MAX_POINTS];    /* under the spec's load (qps > 0) */
    double energy_pt[RB_EXPLORE_MAX_POINTS]; /* energy of that call (J) */
    double worst_s;                         /* the figure the bound applies to */
    double energy_j;                        /* mean energy per call of the points */
    double cost;                            /* the objective's value */
    int fits, meets; /* fits the part (area bound); meets the latency bound */
    int front;       /* on the Pareto front of (worst_s, power_w, size) */
    rb_explore_state sim_state, synth_state;
    char confirm_note[256]; /* what confirmation found (or why it did not run) */
} rb_explore_cand;

typedef struct rb_explore {
    rb_explore_cand *c;
    long n;
    long chosen;    /* index, or -1: none meets the constraints */
    long near_miss; /* the cheapest candidate that misses a constraint, or -1 */
    long n_refused, n_unfit, n_missed, n_front;
    rb_fpga_resmodel rm;
} rb_explore;

/* Evaluate every candidate of spec's sweep (estimates only), mark the front
 * and choose. */
int rb_explore_run(const rb_explore_spec *spec, rb_explore *x, rb_err *e);
/* Redo the derived figures (power, size, cost, front and choice over all)
 * after confirmation replaced some of a candidate's figures. */
void rb_explore_settle(const rb_explore_spec *spec, rb_explore *x);
void rb_explore_free(rb_explore *x);

/* The candidate's figures as one line for people (the reasons of a choice). */
void rb_explore_describe(const rb_explore_spec *spec, const rb_explore_cand *c, char *buf,
                         size_t len);
/* The candidate's number format as the sweep codes it. */
double rb_explore_format_code(const rb_explore_spec *sp, const rb_explore_cand *c);
/* The asic candidate's preset: the base with the candidate's parameters. */
void rb_explore_asic_preset(const rb_explore_spec *spec, const rb_explore_cand *c,
                            rb_asic_preset *p);

/* ---- what the targets' files give the core (explore_fpga.c, explore_asic.c) */
/* The swept values of candidate i (mixed radix over the keys), dflt where
 * a key is not swept. */
void rb_explore_values(const rb_explore_sweep *s, long i, const double *dflt, int nkeys,
                       double *v);
/* Does the point need a feature the target does not run (an imported
 * model's peepholes, clip, linear_before_reset=0 ...)?  1 with
 * "unsupported: <feature> (<key>)" in why, as the target's load says it. */
int rb_explore_unsupported(const char *target, const rb_workload *w, char *why, size_t len);
/* The batch a point runs at: its own, or the server's largest under load. */
int rb_explore_point_batch(const rb_explore_spec *sp, const rb_workload *w);
/* p99 of the load's trace through a server with service time fn(ctx, n). */
int rb_explore_p99(const rb_trace *tr, rb_hist *h, int max_b, rb_service_fn fn, void *ctx,
                   double *p99_s, rb_err *e);
int rb_xfpga_prepare(const rb_explore_spec *sp, rb_explore *x, rb_err *e);
void rb_xfpga_make(const rb_explore_spec *sp, long i, rb_explore_cand *c);
int rb_xfpga_estimate(const rb_explore_spec *sp, const rb_explore *x, rb_explore_cand *c,
                      const rb_trace *tr, rb_hist *h, rb_err *e);
void rb_xfpga_derive(const rb_explore_spec *sp, rb_explore_cand *c);
void rb_xfpga_label(const rb_explore_spec *sp, const rb_explore_cand *c, char *buf, size_t len);
void rb_xasic_make(const rb_explore_spec *sp, long i, rb_explore_cand *c);
int rb_xasic_estimate(const rb_explore_spec *sp, rb_explore_cand *c, const rb_trace *tr,
                      rb_hist *h, rb_err *e);
void rb_xasic_label(const rb_explore_cand *c, char *buf, size_t len);

#endif
