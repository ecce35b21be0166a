/* asic.h — the asic adapter's internal interface (not used outside targets/asic/).
 *
 * asic_preset.c    preset INI files into an rb_asic_preset (--asic-preset)
 * asic_energy.c    per-operation energies: the preset's, else Horowitz's 45 nm
 *                  table scaled to the preset's node and voltage
 * asic_model.c     the analytical model: cycles, bounds, traffic, energy
 * asic_numerics.c  the emulated forward in the preset's datatype
 * asic.c           the target
 * Every formula is in MODEL.md, with a worked example. */
#ifndef RB_ASIC_H
#define RB_ASIC_H

#include <stddef.h>
#include <stdio.h>

#include "../../workloads/rb_err.h"
#include "../../workloads/workload.h"
#include "asic_numerics.h"

/* Where the input product x_t W_ih runs: inside every step, one product
 * over [x_t; h_{t-1}] (fused, the default); before the recurrence, one
 * product over all T*B rows (hoisted); or whichever of the two the model
 * finds faster for the workload (auto). */
typedef enum { RB_ASIC_FUSED = 0, RB_ASIC_HOISTED, RB_ASIC_AUTO } rb_asic_schedule;
const char *rb_asic_schedule_name(rb_asic_schedule s);
/* "fused", "hoisted" or "auto" into *out; -1 for anything else. */
int rb_asic_schedule_parse(const char *v, rb_asic_schedule *out);

/* Per-operation energies in pJ; a negative value means "not given". */
typedef struct rb_asic_energies {
    double mac;              /* one multiply-accumulate in the datatype and accumulator */
    double weight_sram_byte; /* per byte read from the on-chip weight memory */
    double act_sram_byte;    /* per byte read or written in the activation memory */
    double acc_sram_byte;    /* per byte read or written in the accumulator memory */
    double offchip_byte;     /* per byte moved to or from off-chip memory */
    double vector_op;        /* one fp32 operation of the vector (pointwise) unit */
} rb_asic_energies;

typedef struct rb_asic_preset {
    char name[64];
    char describes[256];
    char source[320]; /* "built-in tpu-v1 (.../tpu-v1.ini)" or the user's file */
    int rows, cols;   /* MAC array: rows = input (reduction) dim, cols = outputs */
    double clock_mhz;
    rb_asic_numerics num;      /* datatype, accumulator, weight quantization */
    int vector_lanes;          /* pointwise fp32 operations per cycle */
    int weight_double_buffer;  /* the next tile's weights shift in behind the current
                                  one's (1, the default) or after it (SCALE-Sim's timing) */
    rb_asic_schedule schedule; /* where the input product runs (MODEL.md "Schedules") */
    /* Memories.  Weights have their own on-chip memory (0 bytes: none, every
     * weight is streamed from off-chip each timestep); activations (x, h, c)
     * theirs; accumulators theirs (partial sums of the array). */
    double weight_sram_bytes, weight_sram_bpc; /* capacity, bytes per cycle */
    double act_sram_bytes, act_sram_bpc;
    double acc_sram_bytes;
    double offchip_gbs;          /* GB/s (1e9 bytes/s) */
    double node_nm, vdd;         /* technology, for scaling the default energies */
    double static_w;             /* static (leakage and always-on) power */
    rb_asic_energies energy;     /* as the preset gave them (< 0: not given) */
    rb_asic_energies energy_use; /* what the model uses: given, else the scaled default */
    /* per field of energy_use: "preset" or "horowitz45 x0.622" (how it was obtained) */
    char energy_from[6][40];
} rb_asic_preset;

/* --asic-preset: a name from targets/asic/presets/ (or $RB_ASIC_PRESET_DIR),
 * or a path to an INI file.  RB_EINPUT naming the file, line and key that is
 * missing or wrong.  Fills energy_use and energy_from (asic_energy.c). */
int rb_asic_preset_load(const char *name_or_path, rb_asic_preset *p, rb_err *e);
/* Write p as a preset file rb_asic_preset_load reads back to the same
 * preset (energies not given stay out); source: its citation line. */
int rb_asic_preset_write(FILE *f, const rb_asic_preset *p, const char *source);
/* The presets shipped in the preset folder, comma-separated, for messages. */
const char *rb_asic_preset_names(char *buf, size_t len);

/* Fill p->energy_use and p->energy_from from p->energy and the defaults. */
void rb_asic_energy_defaults(rb_asic_preset *p);
/* The defaults, exposed for tests and MODEL.md: Horowitz's 45 nm figures
 * (pJ) with this file's rules for widths and types the table lacks, before
 * node scaling. */
double rb_asic_e45_mac(const rb_asic_numerics *n);
double rb_asic_e45_sram_byte(double capacity_bytes);
double rb_asic_e45_vector_op(void);
double rb_asic_e_dram_byte(void);
/* (node / 45 nm) x (vdd / 0.9 V)^2: the factor from the table's process. */
double rb_asic_node_scale(double node_nm, double vdd);

/* The bound that set a layer-step's matrix time, and the vector unit's time. */
enum {
    RB_ASIC_BOUND_ARRAY = 0,
    RB_ASIC_BOUND_WEIGHTS,
    RB_ASIC_BOUND_ACTS,
    RB_ASIC_BOUND_VECTOR,
    RB_ASIC_NBOUNDS
};

/* What the model predicts for one forward call of a workload (MODEL.md). */
typedef struct rb_asic_result {
    int weights_resident; /* all units' weights fit the weight memory */
    int acts_spill;       /* the activation working set does not fit: it goes off chip */
    int step_spill;       /* nor does one product's operand with the state: every
                             re-read of the operand goes off chip */
    int hoisted;          /* the schedule used: 1 hoisted, 0 fused */
    int preacts_spill;    /* hoisted: the pre-activations do not fit on chip and go
                             out and back over the link */
    int by_auto;          /* the preset's schedule is auto: this one was the faster */
    double other_cycles;  /* by_auto: the cycles of the schedule not chosen */
    double cycles;
    double latency_s;
    double macs;                          /* useful multiply-accumulates */
    double utilization;                   /* macs / (rows x cols x cycles) */
    double bound_cycles[RB_ASIC_NBOUNDS]; /* cycles attributed to each bound */
    double weight_bytes;                  /* weights of all units (D per layer), one copy */
    double act_bytes;     /* the activation working set (hoisted: with a unit's pre-activations) */
    double offchip_bytes; /* every byte over the off-chip link in the call */
    double onchip_bytes;  /* weight, activation and accumulator memory traffic */
    double vector_ops;
    double load_s; /* model loading: weights into on-chip memory (0 if streamed) */
    /* energy, joules */
    double e_mac, e_onchip, e_offchip, e_vector, e_static, e_total;
} rb_asic_result;

/* The model for workload w on preset p.  RB_EINPUT for a shape it cannot
 * describe (no layers, non-positive sizes). */
int rb_asic_model(const rb_asic_preset *p, const rb_workload *w, rb_asic_result *r, rb_err *e);

/* Die area (asic_area.c, MODEL.md "Area"). */
typedef struct rb_asic_area {
    double mac_array_mm2, vector_mm2, sram_mm2, total_mm2;
    char how[160];
} rb_asic_area;
/* Die area of what the model counts: the MAC array (rows x cols MACs of the
 * datatype and accumulator), the vector unit (vector_lanes fp32
 * multiply-add units) and the on-chip memories (weight + activation +
 * accumulator SRAM); no I/O, PHYs, control or wiring overhead beyond what the
 * coefficients hold.  how: one line saying where the figures come from. */
void rb_asic_area_of(const rb_asic_preset *p, rb_asic_area *a);
/* The coefficients, exposed for tests and MODEL.md: bare areas at 45 nm in
 * um^2 (Horowitz's table with asic_energy.c's rules for what it lacks; the
 * 6T cell over the array efficiency), before node scaling and overhead. */
double rb_asic_a45_mac_um2(const rb_asic_numerics *n);
double rb_asic_a45_vector_lane_um2(void);
double rb_asic_a45_sram_bit_um2(void);
/* (node / 45 nm)^2: the factor from the table's process. */
double rb_asic_area_node_scale(double node_nm);
/* The overhead factors, logic and SRAM: TPU v1's published component areas
 * over this model's bare figures for them. */
double rb_asic_area_logic_factor(void);
double rb_asic_area_sram_factor(void);

#endif
