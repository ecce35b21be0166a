/* cpu.c — the CPU target: fp32 LSTM/GRU/RNN inference and training on
 * rnnbench's own kernels, or oneDNN's primitives (cpu:onednn).
 *
 * cpu_probe.c describes the machine, cpu_lstm.c packs weights and runs the
 * forward pass, cpu_rec*.c is its kernel (the products with the gates
 * fused), cpu_pool.c the threads that share a layer, cpu_cell.c the
 * backward's elementwise work of a step, cpu_train.c the training step,
 * cpu_onednn.c the second backend. */
#include "cpu.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int rb_cpu_threads(const rb_target *t)
{
    if (t->threads > 0)
        return t->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int rb_cpu_onednn(const rb_target *t)
{
    const char *b = rb_target_opt(t, "backend");
    return b && !strcmp(b, "onednn");
}

/* The software stack: rnnbench's own kernels, or oneDNN's RNN primitives
 * (cpu_onednn.c) — both on the same CPU, so a person sees which is faster
 * per workload. */
static const char *const backends[] = {"rnnbench", "onednn", NULL};
static const char *const isas[] = {"auto", "avx512", "avx2", "generic", NULL};
static const rb_target_option cpu_options[] = {
    {.name = "backend",
     .metavar = "BACKEND",
     .def = "rnnbench",
     .choices = backends,
     .positional = 1,
     .help = "rnnbench | onednn: rnnbench's own kernels, or oneDNN's\n"
             "RNN primitives (cpu:onednn, inference and training)"},
    {.name = "isa",
     .metavar = "ISA",
     .def = "auto",
     .choices = isas,
     .help = "auto | avx512 | avx2 | generic: the compilation of the\n"
             "recurrent kernel (auto: the widest this CPU runs); what\n"
             "the model costs on a CPU without AVX-512, on the same machine"},
    {0},
};

static int probe(rb_target *t, rb_device_info *out, rb_err *e)
{
    int rc = rb_cpu_probe(t, out, e);
    if (rc)
        return rc;
    if (!rb_cpu_onednn(t))
        return 0;
    const char *isa = rb_target_opt(t, "isa");
    if (isa && strcmp(isa, "auto"))
        return rb_errf(e, RB_EINPUT,
                       "cpu:onednn: option isa selects rnnbench's own kernels; "
                       "oneDNN picks its own");
#ifdef RB_HAVE_ONEDNN
    char v[48];
    size_t n = strlen(out->name);
    snprintf(out->name + n, sizeof out->name - n, ", %s", rb_onednn_version(v, sizeof v));
    /* what oneDNN's primitives compute: the plain stack */
    t->features = 0;
    return 0;
#else
    return rb_errf(e, RB_EUNAVAIL,
                   "cpu:onednn: built without oneDNN (scripts/setup.sh installs libdnnl-dev; "
                   "then rebuild)");
#endif
}

#ifdef RB_HAVE_ONEDNN
#define BY_BACKEND(t, onednn, own) (rb_cpu_onednn(t) ? (onednn) : (own))
#else
#define BY_BACKEND(t, onednn, own) (own)
#endif

static int load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e)
{
    return BY_BACKEND(t, rb_onednn_load(t, m, w, e), rb_cpu_load(t, m, w, e));
}

static int forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *s, rb_err *e)
{
    return BY_BACKEND(t, rb_onednn_forward(t, in, out, s, e), rb_cpu_forward(t, in, out, s, e));
}

static int train_step(rb_target *t, const rb_batch *in, rb_train_io *io, rb_sample *s, rb_err *e)
{
    return BY_BACKEND(t, rb_onednn_train_step(t, in, io, s, e), rb_cpu_train_step(t, in, io, s, e));
}

static int params(rb_target *t, float *weights, float *grads, rb_err *e)
{
    return BY_BACKEND(t, rb_onednn_params(t, weights, grads, e),
                      rb_cpu_params(t, weights, grads, e));
}

/* --dry-run: cpu:onednn refuses what its load refuses; the work itself is
 * the default (a timestep loop doing the FLOPs). */
static int work(rb_target *t, const rb_workload *w, rb_call_work *c, rb_err *e)
{
    (void)c;
#ifdef RB_HAVE_ONEDNN
    if (rb_cpu_onednn(t))
        return rb_onednn_refuses(w, e);
#else
    (void)t, (void)w, (void)e;
#endif
    return 0;
}

static void unload(rb_target *t)
{
#ifdef RB_HAVE_ONEDNN
    if (rb_cpu_onednn(t)) {
        rb_onednn_unload(t);
        return;
    }
#endif
    rb_cpu_unload(t);
}

const rb_target_ops rb_target_cpu_ops = {
    .name = "cpu",
    .method = RB_SRC_MEASURED,
    .description = "host CPU, fp32 on rnnbench's AVX-512/AVX2 kernels (inference and "
                   "training) or oneDNN (cpu:onednn), measured wall time",
    .probe = probe,
    .load = load,
    .forward = forward,
    .train_step = train_step,
    .params = params,
    .unload = unload,
    .work = work,
    .options = cpu_options,
    .features = RB_FEAT_ALL,
    .cells = RB_CELLS_ALL,
};
