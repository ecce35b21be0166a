/* gpu.h — the OpenCL adapter's internal interface (not used outside targets/gpu/).
 *
 * gpu_cl.c       error names, device queries, enumeration and --gpu-device selection
 * gpu_probe.c    probe / enumerate / close: the session (context, queue, programs)
 * gpu_program.c  building the .cl sources (build log on failure), creating the kernels
 * gpu_lstm.c     load / forward / unload: the weights, the buffers, a forward call
 *                (LSTM, GRU and tanh RNN alike)
 * gpu_step.c     one layer over all steps: CLBlast GEMMs + the fused cell kernels
 * gpu_train.c    train_step / params: BPTT, the gradient norm and Adam on the device */
#ifndef RB_GPU_H
#define RB_GPU_H

#include <CL/cl.h>
#include <clblast_c.h>

#include "../../workloads/params.h"
#include "../target.h"

#define RB_GPU_MAX_DEVICES 16

/* One OpenCL device as the ICD loader shows it. */
typedef struct gpu_dev {
    cl_platform_id platform;
    cl_device_id device;
} gpu_dev;

/* kernels.cl's kernels, in the order of ensure_kernels' name table. */
typedef enum gpu_kernel {
    GPU_K_LSTM_CELL,       /* inference steps */
    GPU_K_RNN_CELL,        /* inference and training steps */
    GPU_K_LSTM_CELL_EXT,   /* inference steps of imported models (model.h) */
    GPU_K_RNN_CELL_EXT,    /* the same for the tanh RNN */
    GPU_K_LSTM_CELL_TRAIN, /* a training step keeping gates and cell state */
    GPU_K_LSTM_BWD,        /* BPTT through one step */
    GPU_K_RNN_BWD,
    GPU_K_GRU_CELL,       /* inference steps of a plain GRU unit */
    GPU_K_GRU_CELL_EXT,   /* inference steps of imported models, reset_before's included */
    GPU_K_GRU_RESET,      /* reset_before: r (.) h before the n row's product */
    GPU_K_GRU_CELL_TRAIN, /* a training step keeping r, z, n and W_hn h + b_hn */
    GPU_K_GRU_BWD,
    GPU_K_SUMSQ,    /* gradient norm, first pass: per-work-group sums of squares */
    GPU_K_NORM,     /* second pass: one work-group, sqrt of the total */
    GPU_K_ADAM,     /* clipping and Adam over the flat parameters */
    GPU_K_BIAS_SUM, /* fused bias = b_ih + b_hh after an update */
    GPU_K_COUNT
} gpu_kernel;

/* Lives from probe to close: making a context and compiling kernels (CLBlast
 * compiles its own per context) costs far more than a workload, so every
 * workload of a run reuses them. */
typedef struct gpu_session {
    gpu_dev dev;
    cl_device_type type;
    cl_ulong global_mem, max_alloc;
    cl_context ctx;
    cl_command_queue queue;        /* in order, profiling enabled */
    cl_program program;            /* kernels.cl, built at the first load */
    cl_kernel kernel[GPU_K_COUNT]; /* kernels.cl's (names in gpu_program.c) */
    size_t reduce_wg;              /* work-group size of the norm reductions, a power of two */
} gpu_session;

const char *rb_gpu_errname(cl_int code);
const char *rb_gpu_clblast_errname(int status);

/* Every device of every platform, in a stable order; count, or RB_EUNAVAIL
 * with the reason (no platform, no device). */
int rb_gpu_devices(gpu_dev *out, int max, rb_err *e);
/* Pick by selector: "" = first GPU, else the first device; a number = that
 * index; anything else = the only device whose "platform: name" contains it
 * (case-insensitive).  RB_EINPUT naming the choices when nothing matches. */
int rb_gpu_select(const gpu_dev *devs, int n, const char *selector, int *index, rb_err *e);
/* Fill what can be read without running anything (peak_flops stays 0);
 * peak_note, when given, says how the caller measured the peak. */
void rb_gpu_describe(const gpu_dev *d, rb_device_info *out, const char *peak_note);

/* clGetDeviceInfo of a string / scalar, "" or 0 on failure. */
void rb_gpu_info_str(cl_device_id d, cl_device_info what, char *buf, size_t n);
cl_ulong rb_gpu_info_ulong(cl_device_id d, cl_device_info what);
cl_uint rb_gpu_info_uint(cl_device_id d, cl_device_info what);

/* Build `source` for the session's device.  On a compiler error: RB_ERUNTIME
 * with the start of the device's build log in the message. */
int rb_gpu_build(gpu_session *s, const char *what, const char *source, cl_program *out, rb_err *e);
/* kernels.cl's text: $RB_GPU_KERNELS (a path, for kernel work and tests)
 * when set, else the copy embedded at build time.  Caller frees. */
char *rb_gpu_kernels_source(rb_err *e);
/* Build kernels.cl and create its kernels, once per session (at the first
 * load, so a broken kernel source fails results, with its build log, not
 * the probe); on failure nothing is kept and the next load tries again. */
int rb_gpu_ensure_kernels(gpu_session *s, rb_err *e);
/* Release kernels.cl's kernels and program (safe when there are none). */
void rb_gpu_release_kernels(gpu_session *s);

/* Errors named after what failed: the OpenCL call or the CLBlast routine. */
int rb_gpu_cl_fail(rb_err *e, const char *what, cl_int rc);
int rb_gpu_blast_fail(rb_err *e, const char *what, CLBlastStatusCode st);
/* Seconds from first's start to last's end (profiling events), < 0 if unknown. */
double rb_gpu_span_s(cl_event first, cl_event last);

/* What load() prepares (gpu_lstm.c).  Every weight lives in one flat buffer
 * of the params.h layout, addressed by element offsets (which CLBlast
 * takes), so that training clips and updates them in one pass and the params
 * op copies them in one transfer. */
typedef struct gpu_layer {
    int in;        /* columns of w_ih; 0: the input is already projected */
    size_t off[4]; /* params.h offsets of w_ih, w_hh, b_ih, b_hh */
    int peep_off;  /* params.h offset of the peepholes [3H], -1 without */
    int reverse;   /* runs from the last step to the first */
    cl_mem bias;   /* b_ih + b_hh, [G*H]: one add per gate instead of two; the
                      GRU's n row holds b_in alone (its b_hn sits inside r's product) */
} gpu_layer;

typedef struct gpu_train gpu_train;

typedef struct gpu_state {
    rb_cell cell;
    int G, H, T, B, L, X;
    int D;            /* directions: layer l is units l*D .. l*D+D-1 */
    float clip;       /* model.h: 0 for none */
    int coupled;      /* input_forget */
    int reset_before; /* GRU: r (.) h before W_hn, a second product per step */
    int ext;          /* steps run the *_cell_ext kernels (any feature but reverse) */
    gpu_layer *layer; /* [L*D] units */
    cl_mem params;    /* [n_params] every weight, params.h layout */
    size_t n_params;
    cl_mem x;         /* [T*B, X] */
    cl_mem gates;     /* [T*B, G*H] input projection of the current unit */
    cl_mem rec;       /* [B, G*H] recurrent product of one step */
    cl_mem seq[2];    /* [T*B, D*H] outputs of the layers before the last */
    cl_mem y;         /* [T*B, D*H] output of the last layer */
    cl_mem h0, c0;    /* [L*D, B, H] initial states, zero unless the batch gives them */
    cl_mem c;         /* [B, H] LSTM cell state */
    cl_mem hs;        /* [B, H] h of the ext kernels, apart from the output (ext only) */
    cl_mem lens;      /* [B] ints: the batch's row lengths (ext only) */
    cl_mem rh;        /* [B, H] r (.) h_{t-1} of a reset_before GRU step */
    int lens_on;      /* this forward's batch gave lengths */
    int states_dirty; /* h0/c0 hold a batch's states rather than zeros */
    int stateful;     /* RB_FEAT_STATEFUL: h0/c0 keep each unit's last states */
    double load_bytes;
    double mem_bytes; /* every buffer of the load: the device memory it holds */
    gpu_train *train; /* NULL unless loaded for training */
} gpu_state;

/* Rows of a unit's fused bias that hold b_ih + b_hh: all G*H, but the GRU's
 * first 2H (r, z); its n row holds b_in alone. */
static inline int rb_gpu_fused_rows(const gpu_state *s)
{
    return s->cell == RB_CELL_GRU ? 2 * s->H : s->G * s->H;
}

/* A device buffer of n floats, filled from host (or zeros when host is NULL);
 * the bytes written count as load_bytes. */
int rb_gpu_buffer(gpu_session *ss, gpu_state *s, cl_mem *out, size_t n, const float *host,
                  const char *what, rb_err *e);
/* Enqueue a kernel over a 1- or 2-dimensional range (local size chosen by the driver). */
cl_int rb_gpu_launch(gpu_session *ss, gpu_kernel k, cl_uint dims, size_t g0, size_t g1);
/* Upload the batch's h0/c0 or restore zeros (non-blocking). */
cl_int rb_gpu_set_states(gpu_session *ss, gpu_state *s, const rb_batch *in);

/* What a training forward keeps of a layer's steps: the activated gates
 * [T*B, G*H] at act_off of act, and at cs_off of cs [T*B, H] the LSTM's
 * cell states or the GRU's W_hn h_{t-1} + b_hn.  The RNN needs only the
 * layer's outputs. */
typedef struct gpu_record {
    cl_mem act, cs;
    size_t act_off, cs_off;
} gpu_record;

/* Unit u (model.h) over all T steps, from the last to the first when it is
 * reversed: reads [T*B, in] (or the pre-activations) at in_off of `in`,
 * writes [T*B, H] at out_off of `out`, rows D*H apart (a bidirectional
 * layer's units share one output, out_off d*H).  rec is NULL for inference;
 * for a training forward of an LSTM or GRU (a plain stack) it says where the
 * gates and cell states (gpu_record) go. */
int rb_gpu_run_layer(gpu_session *ss, gpu_state *s, int u, cl_mem in, size_t in_off, cl_mem out,
                     size_t out_off, const gpu_record *rec, rb_err *e);

/* Training (gpu_train.c): device bytes it adds to a load, the state a
 * train-mode load allocates, the step and the params op. */
double rb_gpu_train_bytes(const rb_model *m, const rb_workload *w);
int rb_gpu_train_alloc(gpu_session *ss, gpu_state *s, rb_err *e);
void rb_gpu_train_free(gpu_state *s);
int rb_gpu_train_step(rb_target *t, const rb_batch *in, rb_train_io *io, rb_sample *smp, rb_err *e);
int rb_gpu_params(rb_target *t, float *weights, float *grads, rb_err *e);

int rb_gpu_probe(rb_target *t, rb_device_info *out, rb_err *e);
int rb_gpu_enumerate(rb_target *t, rb_device_info *out, int max, rb_err *e);
void rb_gpu_close(rb_target *t);
int rb_gpu_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e);
int rb_gpu_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *smp, rb_err *e);
void rb_gpu_unload(rb_target *t);

#endif
