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
#endif
