/* gpu.h — the OpenCL adapter's internal interface (not used outside targets/gpu/).
 *
 * gpu_cl.c       error names, device queries, enumeration and --gpu-device selection
 * gpu_probe.c    probe / enumerate / close: the session (context, queue, programs)
 * gpu_program.c  building the .cl sources, with the driver's build log on failure
 * gpu_lstm.c     load / forward / unload: CLBlast GEMMs + the fused cell kernels */
#ifndef RB_GPU_H
#define RB_GPU_H

#include <CL/cl.h>

#include "../target.h"

#define RB_GPU_MAX_DEVICES 16

/* One OpenCL device as the ICD loader shows it. */
typedef struct gpu_dev {
    cl_platform_id platform;
    cl_device_id device;
} gpu_dev;

/* Lives from probe to close: making a context and compiling kernels (CLBlast
 * compiles its own per context) costs far more than a workload, so every
 * workload of a run reuses them. */
typedef struct gpu_session {
    gpu_dev dev;
    cl_device_type type;
    cl_ulong global_mem, max_alloc;
    cl_context ctx;
    cl_command_queue queue; /* in order, profiling enabled */
    cl_program program;     /* kernels.cl, built at the first load */
    cl_kernel lstm_cell, rnn_cell;
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

int rb_gpu_probe(rb_target *t, rb_device_info *out, rb_err *e);
int rb_gpu_enumerate(rb_target *t, rb_device_info *out, int max, rb_err *e);
void rb_gpu_close(rb_target *t);
int rb_gpu_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e);
int rb_gpu_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *smp, rb_err *e);
void rb_gpu_unload(rb_target *t);

#endif
