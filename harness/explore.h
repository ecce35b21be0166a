/* explore.h — design-space exploration: which accelerator to build for a
 * workload and a latency bound (`rnnbench explore`, cmd_explore.c).
 *
 * A sweep (KEY=LIST per hardware parameter) spans candidate
 * configurations; each is estimated without simulating: cycles by the
 * formula the RTL is tested to match (fpga_hw.c), resources by the model
 * fitted to Yosys syntheses (fpga_resmodel.c), power by the documented
 * power model (fpga_power.c).  The candidates that are best in some
 * trade-off (the Pareto front of latency, power and resources) and the one
 * chosen can then be confirmed (explore_confirm.c): simulated and
 * synthesized for real, their figures replacing the estimates. */
#ifndef RB_EXPLORE_H
#define RB_EXPLORE_H

#include <stdio.h>

#include "../targets/fpga/fpga_hw.h"
#include "../targets/fpga/fpga_resmodel.h"
#include "../workloads/workload.h"

#define RB_EXPLORE_MAX_VALUES 32 /* values of one swept key */
#define RB_EXPLORE_MAX_POINTS 16 /* workload points one exploration sizes for */
#define RB_EXPLORE_MAX_CANDIDATES 100000

/* The swept parameters of the fpga accelerator, each a list of values;
 * a key not swept takes `small`'s value. */
enum { RB_XK_LANES, RB_XK_CLOCK_MHZ, RB_XK_ONCHIP_KIB, RB_XK_FORMAT, RB_XK_OFFCHIP_BPC, RB_XK_N };
typedef struct rb_explore_sweep {
    int n[RB_XK_N];
    double v[RB_XK_N][RB_EXPLORE_MAX_VALUES]; /* format: bits * 100 + frac */
} rb_explore_sweep;

/* The keys' names and what each means (for --help and errors). */
extern const char *const rb_explore_key_names[RB_XK_N];
/* Add one --sweep KEY=LIST; RB_EINPUT naming the key or value when wrong. */
int rb_explore_sweep_add(rb_explore_sweep *s, const char *kv, rb_err *e);
/* Candidates the sweep spans (the product of its lists' lengths). */
long rb_explore_sweep_size(const rb_explore_sweep *s);

typedef enum { RB_OBJ_RESOURCES, RB_OBJ_POWER, RB_OBJ_ENERGY } rb_explore_objective;
int rb_explore_objective_parse(const char *s, rb_explore_objective *o); /* 0 or -1 */
const char *rb_explore_objective_name(rb_explore_objective o);

/* An FPGA the candidates are placed on, for utilization (Xilinx data sheets). */
typedef struct rb_fpga_part {
    const char *name, *family, *source;
    double cap[RB_NRES]; /* LUT, FF, DSP, BRAM36, LUTRAM (SLICEM LUTs), CARRY4 */
} rb_fpga_part;
const rb_fpga_part *rb_fpga_part_find(const char *name);
const char *rb_fpga_part_names(char *buf, size_t len);

typedef struct rb_explore_spec {
    rb_explore_sweep sweep;
    const rb_workload *points[RB_EXPLORE_MAX_POINTS];
    int n_points;
    double slo_s; /* 0: none */
    double qps;   /* 0: each point's own latency is what the bound applies to */
    rb_explore_objective objective;
    const rb_fpga_part *part;
    double activity; /* switching activity of the power model */
} rb_explore_spec;

/* Where a candidate's figures came from. */
typedef enum { RB_XS_ESTIMATED, RB_XS_CONFIRMED, RB_XS_DISAGREES } rb_explore_state;

typedef struct rb_explore_cand {
    rb_fpga_hw hw;
    char name[64];     /* "l32/200MHz/256KiB/Q3.12" */
    char refused[256]; /* non-empty: not a configuration the RTL can be built as,
                          or one that cannot run the points (the reason) */
    double res[RB_NRES];
    double power_w;
    char power_how[96];
    double util;                            /* largest share of the part's resources */
    int util_res;                           /* which resource that is */
    uint64_t cycles[RB_EXPLORE_MAX_POINTS]; /* one call of each point */
    double lat_s[RB_EXPLORE_MAX_POINTS];    /* that call's latency */
    double p99_s[RB_EXPLORE_MAX_POINTS];    /* under the spec's load (qps > 0) */
    double worst_s;                         /* the figure the bound applies to */
    double energy_j;                        /* mean energy per call of the points */
    double cost;                            /* the objective's value */
    int fits, meets;                        /* fits the part; meets the latency bound */
    int front;                              /* on the Pareto front of (worst_s, power_w, util) */
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
 * and choose.  resmodel_dir: the syntheses the resource model is fitted to. */
int rb_explore_fpga(const rb_explore_spec *spec, const char *resmodel_dir, rb_explore *x,
                    rb_err *e);
/* Redo a candidate's derived figures (power, utilization, cost, front and
 * choice over all) after confirmation replaced some of its figures. */
void rb_explore_settle(const rb_explore_spec *spec, rb_explore *x);
void rb_explore_free(rb_explore *x);

/* The candidate's figures as one line for people (the reasons of a choice). */
void rb_explore_describe(const rb_explore_spec *spec, const rb_explore_cand *c, char *buf,
                         size_t len);

#endif
