/* gpu_program.c — compiling the .cl sources for the session's device.
 *
 * Kernels are built at run time by the device's own compiler (that is how
 * OpenCL works: one binary runs on any vendor's device).  When the compiler
 * rejects them the build log is the only useful diagnostic, so it goes into
 * the error message, and from there into the failed result's message. */
#ifdef RB_HAVE_OPENCL
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"

extern const char rb_gpu_kernels_cl[]; /* embedded from kernels.cl by scripts/embed.cmake */

/* The start of the log, on one line, so it fits a result's message. */
static void squeeze(char *log)
{
    char *w = log;
    for (const char *r = log; *r; r++) {
        char c = *r == '\n' || *r == '\t' ? ' ' : *r;
        if (c == ' ' && w > log && w[-1] == ' ')
            continue;
        *w++ = c;
    }
    *w = '\0';
}

int rb_gpu_build(gpu_session *s, const char *what, const char *source, cl_program *out, rb_err *e)
{
    cl_int rc;
    cl_program p = clCreateProgramWithSource(s->ctx, 1, &source, NULL, &rc);
    if (rc != CL_SUCCESS)
        return rb_errf(e, RB_ERUNTIME, "gpu: cannot create the %s program: %s (%d)", what,
                       rb_gpu_errname(rc), rc);
    /* No -cl-fast-relaxed-math: the fp32 bound needs exp/tanh at their specified accuracy. */
    rc = clBuildProgram(p, 1, &s->dev.device, "-cl-std=CL1.2", NULL, NULL);
    if (rc != CL_SUCCESS) {
        char log[2048] = "";
        size_t got = 0;
        clGetProgramBuildInfo(p, s->dev.device, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, &got);
        log[sizeof log - 1] = '\0';
        squeeze(log);
        clReleaseProgram(p);
        return rb_errf(e, RB_ERUNTIME, "gpu: %s failed to build (%s); build log: %s", what,
                       rb_gpu_errname(rc), log[0] ? log : "(empty)");
    }
    *out = p;
    return 0;
}

char *rb_gpu_kernels_source(rb_err *e)
{
    const char *path = getenv("RB_GPU_KERNELS");
    if (!path || !*path) {
        char *copy = strdup(rb_gpu_kernels_cl);
        if (!copy)
            rb_errf(e, RB_ENOMEM, "gpu: out of memory");
        return copy;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        rb_errf(e, RB_EINPUT, "gpu: RB_GPU_KERNELS=%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    long n = -1;
    if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && n < (1L << 24) && !fseek(f, 0, SEEK_SET) &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
    } else {
        free(buf);
        buf = NULL;
        rb_errf(e, RB_EINPUT, "gpu: RB_GPU_KERNELS=%s: cannot read it (or larger than 16 MiB)",
                path);
    }
    fclose(f);
    return buf;
}

/* Names of kernels.cl's kernels, indexed by gpu_kernel. */
static const char *const kernel_names[GPU_K_COUNT] = {
    [GPU_K_LSTM_CELL] = "lstm_cell",
    [GPU_K_RNN_CELL] = "rnn_cell",
    [GPU_K_LSTM_CELL_EXT] = "lstm_cell_ext",
    [GPU_K_RNN_CELL_EXT] = "rnn_cell_ext",
    [GPU_K_LSTM_CELL_TRAIN] = "lstm_cell_train",
    [GPU_K_LSTM_BWD] = "lstm_bwd",
    [GPU_K_RNN_BWD] = "rnn_bwd",
    [GPU_K_GRU_CELL] = "gru_cell",
    [GPU_K_GRU_CELL_EXT] = "gru_cell_ext",
    [GPU_K_GRU_RESET] = "gru_reset",
    [GPU_K_GRU_CELL_TRAIN] = "gru_cell_train",
    [GPU_K_GRU_BWD] = "gru_bwd",
    [GPU_K_SUMSQ] = "sumsq_partial",
    [GPU_K_NORM] = "grad_norm",
    [GPU_K_ADAM] = "adam",
    [GPU_K_BIAS_SUM] = "bias_sum",
};

void rb_gpu_release_kernels(gpu_session *s)
{
    for (int k = 0; k < GPU_K_COUNT; k++)
        if (s->kernel[k])
            clReleaseKernel(s->kernel[k]);
    memset(s->kernel, 0, sizeof s->kernel);
    if (s->program)
        clReleaseProgram(s->program);
    s->program = NULL;
}

/* The largest power of two <= n (n >= 1). */
static size_t pow2_floor(size_t n)
{
    size_t p = 1;
    while (p * 2 <= n)
        p *= 2;
    return p;
}

int rb_gpu_ensure_kernels(gpu_session *s, rb_err *e)
{
    if (s->program)
        return 0;
    char *src = rb_gpu_kernels_source(e);
    if (!src)
        return e->code;
    int ret = rb_gpu_build(s, "kernels.cl", src, &s->program, e);
    free(src);
    if (ret)
        return ret;
    cl_int rc = CL_SUCCESS;
    const char *what = NULL;
    for (int k = 0; k < GPU_K_COUNT && rc == CL_SUCCESS; k++) {
        s->kernel[k] = clCreateKernel(s->program, kernel_names[k], &rc);
        what = kernel_names[k];
    }
    /* The reductions' work-group: up to 256, as far as both kernels allow. */
    size_t wg = 256;
    for (int r = GPU_K_SUMSQ; r <= GPU_K_NORM && rc == CL_SUCCESS; r++) {
        size_t most = 0;
        rc = clGetKernelWorkGroupInfo(s->kernel[r], s->dev.device, CL_KERNEL_WORK_GROUP_SIZE,
                                      sizeof most, &most, NULL);
        what = kernel_names[r];
        wg = rc == CL_SUCCESS && most && most < wg ? most : wg;
    }
    if (rc != CL_SUCCESS) {
        /* keep nothing half-made: the next load tries again and says the same */
        rb_gpu_release_kernels(s);
        return rb_errf(e, RB_ERUNTIME, "gpu: kernels.cl: kernel %s: %s (%d)%s", what,
                       rb_gpu_errname(rc), rc,
                       rc == CL_INVALID_KERNEL_NAME ? " (the source lacks it)" : "");
    }
    s->reduce_wg = pow2_floor(wg);
    return 0;
}
#endif
