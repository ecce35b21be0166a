/* target.h — the one interface between the harness and where an RNN runs.
 *
 * Modelled on fio's ioengines: each adapter is one `rb_target_ops` in its own
 * folder, listed once in registry.c; the harness calls adapters only through
 * the checked wrappers at the bottom of this file.  An adapter compiled
 * without its dependency still exists and says why it is unavailable
 * (stress-ng's rule), so `rnnbench list` can explain it. */
#ifndef RB_TARGET_H
#define RB_TARGET_H

#include <stddef.h>
#include <string.h>

#include "../workloads/loss.h"
#include "../workloads/model.h"
#include "../workloads/optim.h"
#include "../workloads/rb_err.h"
#include "../workloads/workload.h"

/* Where a figure came from.  Provenance belongs to each figure, not to the
 * target: an FPGA result has simulated latency and modeled energy. */
#define RB_SRC_MEASURED "measured"
#define RB_SRC_SIMULATED "simulated"
#define RB_SRC_MODELED "modeled"
#define RB_ESRC_RAPL "rapl"
#define RB_ESRC_NVML "nvml"
#define RB_ESRC_MODEL "model"
#define RB_ESRC_USER "user" /* a figure a person gave (--power, --price) */
/* rb_device_info.power_source of a power a person gave (--power): energy
 * from it is RB_ESRC_USER, ahead of meters and models. */
#define RB_POWER_USER "user: "
#define RB_BOUNDARY_CHIP "chip"       /* the accelerator die (fpga, asic models) */
#define RB_BOUNDARY_PACKAGE "package" /* a CPU socket (RAPL's package zone, the cpu model) */
#define RB_BOUNDARY_BOARD "board"     /* a GPU card (NVML's counter, the gpu model) */

/* Energy counters a device can be measured by (rb_device_info.energy_counters). */
#define RB_ENERGY_RAPL 1u /* the host CPU package's RAPL counters */
#define RB_ENERGY_NVML 2u /* an NVIDIA board's counter through NVML (bus_id or name finds it) */

typedef struct rb_metric {
    char name[48];
    double value;
    char unit[16];
    char source[16]; /* RB_SRC_* or RB_ESRC_* */
} rb_metric;

#define RB_DEVICE_MAX_RESOURCES 12

typedef struct rb_device_info {
    char name[160];        /* what a person recognises: "AMD EPYC 7B13 (2 threads)" */
    char type[16];         /* "cpu" | "gpu" | "fpga" | "asic" */
    char numerics[32];     /* number format of results: "fp32", "fixed q4.12" ... */
    double peak_flops;     /* FLOP/s in that format; 0 = unknown */
    double mem_bw;         /* bytes/s; 0 = unknown */
    double power_w;        /* power figure used by the energy model; 0 = unknown */
    char power_source[96]; /* how power_w was obtained, e.g. "model: 8 W per thread" */
    /* What power_w, and energy the target reports itself, covers: one of
     * RB_BOUNDARY_* ("chip", "package", "board") or a person's word
     * (--power T=W@wall); every stored energy figure carries its boundary. */
    char power_boundary[16];
    char extra_json[2048]; /* adapter-specific JSON object text, e.g. the cpu's kernels; "" = none */
    char bus_id[32]; /* PCI bus id as NVML writes it ("00000000:65:00.0") when known, else "" */
    /* Which energy counters measure this device (RB_ENERGY_*), set by the
     * target's probe: the harness picks the meter from these alone. */
    unsigned energy_counters;
    /* Hardware cost: FPGA LUT/FF/DSP/BRAM from synthesis, ASIC area from a
     * model ... each with its own source; stored in the resources table. */
    int n_resources;
    rb_metric resources[RB_DEVICE_MAX_RESOURCES];
} rb_device_info;


#define RB_SAMPLE_MAX_METRICS 24

/* What one forward/train call reports beyond the harness's own wall clock. */
/* Was d's power given by a person (--power) rather than the target's model? */
static inline int rb_power_is_user(const rb_device_info *d)
{
    return strncmp(d->power_source, RB_POWER_USER, sizeof RB_POWER_USER - 1) == 0;
}

typedef struct rb_sample {
    double device_s;         /* < 0: none; else the latency the target vouches for */
    const char *time_source; /* RB_SRC_* for device_s */
    double energy_j;         /* < 0: none */
    const char *energy_source;
    int n_metrics;
    rb_metric metrics[RB_SAMPLE_MAX_METRICS];
} rb_sample;

void rb_sample_reset(rb_sample *s);
/* Adds or overwrites a named metric; silently drops past RB_SAMPLE_MAX_METRICS. */
void rb_sample_metric(rb_sample *s, const char *name, double value, const char *unit,
                      const char *source);

typedef struct rb_tensor {
    float *data;
    int ndim;
    size_t shape[4];
} rb_tensor;

size_t rb_tensor_count(const rb_tensor *t);

/* What a training step needs beyond the batch, and what it reports back.
 * The step is: forward through the whole stack keeping what BPTT needs;
 * loss(ctx, y, dy) on the host with the last layer's output; BPTT from dy;
 * clip the stack's gradients to opt.clip by their global norm; one Adam
 * step on every parameter of the stack (optim.h).  Clipping covers the
 * target's parameters only: a host-side head clips its own. */
typedef struct rb_train_io {
    rb_loss_fn loss;
    void *ctx;
    float *dx; /* NULL, or [T, B, width]: dLoss/dx, for an embedding on the host */
    rb_optim opt;
    /* out */
    double loss_value; /* what loss() returned */
    double grad_norm;  /* global L2 norm of the stack's gradients before clipping */
} rb_train_io;

typedef struct rb_target rb_target;

/* What one call of a workload costs a target, in units that --dry-run
 * turns into seconds with a short calibration of that target on this
 * machine (harness/estimate.c): the time of a call is fitted as
 * a + b*steps + c*flops + d*bytes + e*sim over calibration calls. */
typedef struct rb_call_work {
    double steps; /* serial steps: kernel launches, turns of a timestep loop */
    double flops; /* arithmetic done by the host or the device */
    double bytes; /* weight bytes read from beyond the caches: W_hh at every step */
    double sim;   /* lane-cycles of an RTL simulation (0 for anything else) */
} rb_call_work;

/* One option of a target (fio's struct fio_option, stress-ng's per-stressor
 * options): the harness builds getopt, --help, `rnnbench list`, instance
 * names and the stored configuration from these tables and names no option
 * itself.  Values are text; the generic checks below run before anything is
 * probed, the adapter reads the value with rb_target_opt and checks the rest
 * (an INI file's contents, a device that must exist) in probe. */
typedef enum { RB_TOPT_TEXT = 0, RB_TOPT_INT, RB_TOPT_NUMBER } rb_topt_kind;

typedef struct rb_target_option {
    const char *name; /* key: config, clock_mhz ... */
    rb_topt_kind kind;
    const char *metavar; /* CONFIG, MHZ ... */
    const char *def;     /* the default as a person reads it ("small", "the configuration's") */
    const char *help;    /* what it sets; lines of at most ~55 columns, joined by \n */
    double min, max;     /* RB_TOPT_INT / RB_TOPT_NUMBER: the accepted range */
    const char *const *choices; /* RB_TOPT_TEXT: the only values, NULL-terminated; NULL: any */
    int positional;             /* set by TARGET:NAME (at most one per target) */
    const char *flag;           /* the shorthand flag without "--" (fpga-config), or NULL */
    int aside;                  /* how the target works, not what it is (the fpga's simulation
                            mode): kept in the spec, left out of the instance's name, so
                            results pair across runs whatever it was */
    /* Optional: the names this option offers (presets found on disk, built-in
     * configurations), comma-separated, for `rnnbench list`; NULL if none. */
    const char *(*offers)(char *buf, size_t n);
} rb_target_option;

typedef struct rb_target_ops {
    const char *name;        /* "cpu" */
    const char *method;      /* how its latency is obtained: RB_SRC_* */
    const char *description; /* one line for `rnnbench list` */
    /* Non-NULL when the adapter was compiled without what it needs: the reason,
     * e.g. "built without OpenCL (install ocl-icd-opencl-dev and rebuild)". */
    const char *unavailable;
    /* Is it usable here?  Fills *out.  RB_EUNAVAIL with a reason if not. */
    int (*probe)(rb_target *, rb_device_info *out, rb_err *);
    /* Put weights on the device and allocate every buffer the workload needs,
     * so forward() allocates nothing.  Time spent here is "model loading". */
    int (*load)(rb_target *, const rb_model *, const rb_workload *, rb_err *);
    /* out: [T, B, D*H] float32, output of the last layer.  Loaded with
     * RB_FEAT_STATEFUL, a batch without h0 (c0) starts from each unit's last
     * states of the previous call (zeros after load), kept on the device. */
    int (*forward)(rb_target *, const rb_batch *in, rb_tensor *out, rb_sample *, rb_err *);
    /* One training step (see rb_train_io); NULL if unsupported.  Only after
     * a load of a workload whose mode is train, which allocates what BPTT
     * and Adam keep; forward() still works on such a load. */
    int (*train_step)(rb_target *, const rb_batch *in, rb_train_io *io, rb_sample *, rb_err *);
    /* Required with train_step.  Copy the current weights and/or the last
     * step's gradients (before clipping) into flat arrays of the params.h
     * layout; either pointer may be NULL. */
    int (*params)(rb_target *, float *weights, float *grads, rb_err *);
    void (*unload)(rb_target *);
    /* Optional.  Every device this adapter could use here (out[0..max)), in
     * the order --<target>-device INDEX counts them; returns how many exist. */
    int (*enumerate)(rb_target *, rb_device_info *out, int max, rb_err *);
    /* Optional.  Free what probe set up for the whole session (contexts,
     * compiled programs); called once the harness is done with the target. */
    void (*close)(rb_target *);
    /* The options it takes, terminated by an entry with name NULL; NULL: none. */
    const rb_target_option *options;
    /* Optional, for --dry-run: what one call of w costs (rb_call_work),
     * judged from the shapes alone, nothing loaded; RB_EUNAVAIL with the
     * reason load() would give when w does not fit.  NULL: a timestep loop
     * over every layer doing rb_workload_flops (rb_target_work). */
    int (*work)(rb_target *, const rb_workload *, rb_call_work *, rb_err *);
    /* The RB_FEAT_* (workload.h) its forward runs; a workload needing any
     * other is refused at load as "unsupported: <feature>", for this target
     * only.  Training is the plain stack's whatever this says. */
    unsigned features;
    /* The cells it runs, RB_CELL_BIT()s (workload.h); a point of another is
     * refused as "unsupported: cell gru", for this target only. */
    unsigned cells;
} rb_target_ops;

#define RB_TARGET_MAX_OPTS 8
#define RB_INSTANCE_NAME_MAX 128

/* A target instance: a target plus the option values given for it, one
 * device of a run (`fpga:large`, `asic:edge-npu`, `gpu:1?...`).  Spec syntax:
 * TARGET[:NAME][?KEY=VALUE[&KEY=VALUE...]], NAME setting the target's
 * positional option.  Its canonical name lists every given option in the
 * options table's order, so two specs that mean the same are one instance. */
typedef struct rb_instance {
    const rb_target_ops *ops;
    int n;
    struct {
        const rb_target_option *opt;
        char value[224];
    } set[RB_TARGET_MAX_OPTS];
} rb_instance;

/* Parse a spec; RB_EINPUT naming the spec and what is accepted. */
int rb_instance_parse(const char *spec, rb_instance *out, rb_err *e);
/* Set option key unless the instance sets it already (shorthand flags);
 * RB_EINPUT for an unknown key or a bad value. */
int rb_instance_default(rb_instance *in, const char *key, const char *value, rb_err *e);
/* The canonical name (see above) into buf: what results pair by. */
const char *rb_instance_name(const rb_instance *in, char *buf, size_t n);
/* The name with the options set aside too: a spec that makes the same
 * instance again (what a run stores for --resume). */
const char *rb_instance_spec(const rb_instance *in, char *buf, size_t n);
/* Every option of t with its value (given, else the default; null where the
 * target decides) as a JSON object text; caller frees. */
char *rb_target_options_json(const rb_target *t);
/* Check one value against the option's kind, range and choices; the
 * message names it as label ("--fpga-sim"), or "TARGET option KEY". */
int rb_target_option_check(const rb_target_ops *ops, const rb_target_option *o, const char *value,
                           const char *label, rb_err *e);
/* The option named key of a target, or NULL. */
const rb_target_option *rb_target_option_find(const rb_target_ops *ops, const char *key);

struct rb_target {
    const rb_target_ops *ops;
    char instance[RB_INSTANCE_NAME_MAX]; /* "fpga:large?clock_mhz=250"; the target's name when
                                            no option was given */
    int threads;                         /* requested worker threads, 0 = adapter default */
    rb_device_info info;                 /* filled by probe */
    /* The RB_FEAT_* this instance runs: ops->features, unless probe narrows
     * it (a backend that runs less, as cpu:onednn).  Load refuses the rest. */
    unsigned features;
    int available;                       /* 1 after a successful rb_target_probe */
    int loaded;
    rb_workload workload; /* what load() prepared for; valid while loaded */
    /* Adapter options from the command line (--gpu-device -> "device" for the
     * gpu target, --fpga-clock-mhz -> "clock_mhz" for the fpga, ...): each
     * adapter reads its own keys with rb_target_opt and validates them in probe. */
    int n_opts;
    struct {
        char key[32];
        char value[224];
    } opts[RB_TARGET_MAX_OPTS];
    void *session; /* adapter state from probe to close: outlives loads, so device
                             contexts and compiled kernels are made once per process */
    void *priv;    /* adapter state between load and unload */
};

/* Registry (registry.c): every adapter, available or not, in a fixed order. */
size_t rb_target_count(void);
const rb_target_ops *rb_target_at(size_t i);
const rb_target_ops *rb_target_find(const char *name);

/* Checked wrappers: validate arguments and results, keep `loaded` honest. */
void rb_target_init(rb_target *t, const rb_target_ops *ops, int threads);
/* rb_target_init for an instance: its options and its name. */
void rb_target_init_instance(rb_target *t, const rb_instance *in, int threads);
int rb_target_probe(rb_target *t, rb_err *e);
int rb_target_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e);
int rb_target_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *s, rb_err *e);
int rb_target_train_step(rb_target *t, const rb_batch *in, rb_train_io *io, rb_sample *s,
                         rb_err *e);
/* What one call of w costs t (see rb_call_work), or RB_EUNAVAIL with the
 * reason a run would store it as unsupported: a feature or training the
 * target lacks, a size beyond it.  Probe first; loads nothing. */
int rb_target_work(rb_target *t, const rb_workload *w, rb_call_work *out, rb_err *e);
/* Does the adapter implement training at all? */
int rb_target_can_train(const rb_target *t);
/* Weights and/or gradients of a target loaded for training (params.h layout). */
int rb_target_params(rb_target *t, float *weights, float *grads, rb_err *e);
void rb_target_unload(rb_target *t);
/* Set (or replace) an adapter option; RB_EINPUT when the table is full. */
int rb_target_set_opt(rb_target *t, const char *key, const char *value);
/* The option's value, or NULL when it was not given. */
const char *rb_target_opt(const rb_target *t, const char *key);
/* All devices the adapter sees (probe first); count or a negative code. */
int rb_target_enumerate(rb_target *t, rb_device_info *out, int max, rb_err *e);
/* Unload, then release the session.  Safe to call more than once. */
void rb_target_close(rb_target *t);

#endif
