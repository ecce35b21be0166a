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

typedef struct rb_metric {
    char name[48];
    double value;
    char unit[16];
    char source[16]; /* RB_SRC_* or RB_ESRC_* */
} rb_metric;

#define RB_DEVICE_MAX_RESOURCES 12

typedef struct rb_device_info {
    char name[160];       /* what a person recognises: "AMD EPYC 7B13 (2 threads)" */
    char type[16];        /* "cpu" | "gpu" | "fpga" | "asic" */
    char numerics[32];    /* number format of results: "fp32", "fixed q4.12" ... */
    double peak_flops;    /* FLOP/s in that format; 0 = unknown */
    double mem_bw;        /* bytes/s; 0 = unknown */
    double power_w;       /* power figure used by the energy model; 0 = unknown */
    char power_source[96];/* how power_w was obtained, e.g. "model: 8 W per thread" */
    char extra_json[2048];/* adapter-specific JSON object text, e.g. OpenBLAS config; "" = none */
    char bus_id[32];      /* PCI bus id as NVML writes it ("00000000:65:00.0") when known, else "" */
    /* Hardware cost: FPGA LUT/FF/DSP/BRAM from synthesis, ASIC area from a
     * model ... each with its own source; stored in the resources table. */
    int n_resources;
    rb_metric resources[RB_DEVICE_MAX_RESOURCES];
} rb_device_info;


#define RB_SAMPLE_MAX_METRICS 16

/* What one forward/train call reports beyond the harness's own wall clock. */
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
    float *dx;    /* NULL, or [T, B, width]: dLoss/dx, for an embedding on the host */
    rb_optim opt;
    /* out */
    double loss_value; /* what loss() returned */
    double grad_norm;  /* global L2 norm of the stack's gradients before clipping */
} rb_train_io;

typedef struct rb_target rb_target;

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
    /* out: [T, B, H] float32, output of the last layer. */
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
} rb_target_ops;

#define RB_TARGET_MAX_OPTS 8

struct rb_target {
    const rb_target_ops *ops;
    int threads;          /* requested worker threads, 0 = adapter default */
    rb_device_info info;  /* filled by probe */
    int available;        /* 1 after a successful rb_target_probe */
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
    void *session;        /* adapter state from probe to close: outlives loads, so device
                             contexts and compiled kernels are made once per process */
    void *priv;           /* adapter state between load and unload */
};

/* Registry (registry.c): every adapter, available or not, in a fixed order. */
size_t rb_target_count(void);
const rb_target_ops *rb_target_at(size_t i);
const rb_target_ops *rb_target_find(const char *name);

/* Checked wrappers: validate arguments and results, keep `loaded` honest. */
void rb_target_init(rb_target *t, const rb_target_ops *ops, int threads);
int rb_target_probe(rb_target *t, rb_err *e);
int rb_target_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e);
int rb_target_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *s, rb_err *e);
int rb_target_train_step(rb_target *t, const rb_batch *in, rb_train_io *io, rb_sample *s,
                         rb_err *e);
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
