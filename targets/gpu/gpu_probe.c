/* gpu_probe.c — find the OpenCL device, open a session on it, measure its
 * peak fp32 rate, and close it again. */
#ifdef RB_HAVE_OPENCL
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"

extern const char rb_gpu_probe_cl[]; /* embedded from probe.cl */

static double event_s(cl_event ev)
{
    cl_ulong t0 = 0, t1 = 0;
    if (clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) ||
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL))
        return -1;
    return (double)(t1 - t0) * 1e-9;
}

/* Run peak_fma with more rounds until one launch takes >= 10 ms, so launch
 * overhead is negligible; FLOP/s from the profiling event of that launch. */
static int measure_peak(gpu_session *s, double *flops, char *note, size_t n, rb_err *e)
{
    cl_program prog;
    int ret = rb_gpu_build(s, "probe.cl", rb_gpu_probe_cl, &prog, e);
    if (ret)
        return ret;
    cl_int rc;
    cl_kernel k = clCreateKernel(prog, "peak_fma", &rc);
    cl_uint cus = rb_gpu_info_uint(s->dev.device, CL_DEVICE_MAX_COMPUTE_UNITS);
    size_t global = (size_t)(cus ? cus : 1) * 2048;
    cl_mem buf = rc == CL_SUCCESS
                     ? clCreateBuffer(s->ctx, CL_MEM_WRITE_ONLY, global * sizeof(float), NULL, &rc)
                     : NULL;
    double secs = 0;
    int iters = 16;
    for (int tries = 0; rc == CL_SUCCESS && tries < 12; tries++) {
        float kk = 0.999f;
        cl_event ev = NULL;
        rc = clSetKernelArg(k, 0, sizeof buf, &buf);
        rc |= clSetKernelArg(k, 1, sizeof iters, &iters);
        rc |= clSetKernelArg(k, 2, sizeof kk, &kk);
        if (rc == CL_SUCCESS)
            rc = clEnqueueNDRangeKernel(s->queue, k, 1, NULL, &global, NULL, 0, NULL, &ev);
        if (rc == CL_SUCCESS)
            rc = clWaitForEvents(1, &ev);
        secs = rc == CL_SUCCESS ? event_s(ev) : -1;
        if (ev)
            clReleaseEvent(ev);
        if (secs >= 0.01 || iters >= (1 << 22))
            break;
        iters *= secs > 0 && secs < 0.0005 ? 16 : 4;
    }
    if (buf)
        clReleaseMemObject(buf);
    if (k)
        clReleaseKernel(k);
    clReleaseProgram(prog);
    if (rc != CL_SUCCESS || secs <= 0)
        return rb_errf(e, RB_EUNAVAIL, "gpu: the peak-rate probe kernel failed: %s (%d)",
                       rb_gpu_errname(rc), rc);
    *flops = (double)global * iters * 32.0 / secs;
    snprintf(note, n,
             "measured: probe.cl peak_fma, %zu work-items x %d rounds of 32 FLOP in %.1f ms",
             global, iters, secs * 1e3);
    return 0;
}

static void release_session(gpu_session *s)
{
    if (!s)
        return;
    rb_gpu_release_kernels(s);
    if (s->queue)
        clReleaseCommandQueue(s->queue);
    if (s->ctx)
        clReleaseContext(s->ctx);
    free(s);
}

void rb_gpu_close(rb_target *t)
{
    release_session(t->session);
    t->session = NULL;
}

/* The energy model where nothing is measured (NVML replaces it on NVIDIA):
 * a CPU device gets the cpu target's 8 W per core; a GPU its measured peak
 * divided by 20 GFLOP/J, a typical fp32 efficiency of recent GPUs at full
 * load.  Rough on purpose, and always stored as "model". */
static void power_model(rb_device_info *out, cl_uint cus)
{
    if (!strcmp(out->type, "cpu")) {
        out->power_w = 8.0 * (cus ? cus : 1);
        snprintf(out->power_source, sizeof out->power_source,
                 "model: 8 W per compute unit (CPU device, as the cpu target)");
        snprintf(out->power_boundary, sizeof out->power_boundary, RB_BOUNDARY_PACKAGE);
    } else if (out->peak_flops > 0) {
        out->power_w = out->peak_flops / 20e9;
        snprintf(out->power_source, sizeof out->power_source,
                 "model: measured peak / 20 GFLOP per J");
        snprintf(out->power_boundary, sizeof out->power_boundary, RB_BOUNDARY_BOARD);
    }
}

int rb_gpu_probe(rb_target *t, rb_device_info *out, rb_err *e)
{
    gpu_dev devs[RB_GPU_MAX_DEVICES];
    int n = rb_gpu_devices(devs, RB_GPU_MAX_DEVICES, e), idx;
    if (n < 0)
        return n;
    int ret = rb_gpu_select(devs, n, rb_target_opt(t, "device"), &idx, e);
    if (ret)
        return ret;
    gpu_session *s = calloc(1, sizeof *s);
    if (!s)
        return rb_errf(e, RB_ENOMEM, "gpu: out of memory");
    s->dev = devs[idx];
    s->type = rb_gpu_info_ulong(s->dev.device, CL_DEVICE_TYPE);
    s->global_mem = rb_gpu_info_ulong(s->dev.device, CL_DEVICE_GLOBAL_MEM_SIZE);
    s->max_alloc = rb_gpu_info_ulong(s->dev.device, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
    cl_int rc;
    s->ctx = clCreateContext(NULL, 1, &s->dev.device, NULL, NULL, &rc);
    if (rc == CL_SUCCESS)
        s->queue = clCreateCommandQueue(s->ctx, s->dev.device, CL_QUEUE_PROFILING_ENABLE, &rc);
    if (rc != CL_SUCCESS) {
        release_session(s);
        return rb_errf(e, RB_EUNAVAIL, "gpu: cannot open OpenCL device #%d: %s (%d)", idx,
                       rb_gpu_errname(rc), rc);
    }
    double peak = 0;
    char note[160];
    if ((ret = measure_peak(s, &peak, note, sizeof note, e))) {
        release_session(s);
        return ret;
    }
    rb_gpu_describe(&s->dev, out, note);
    out->peak_flops = peak;
    power_model(out, rb_gpu_info_uint(s->dev.device, CL_DEVICE_MAX_COMPUTE_UNITS));
    t->session = s;
    return 0;
}

int rb_gpu_enumerate(rb_target *t, rb_device_info *out, int max, rb_err *e)
{
    gpu_dev devs[RB_GPU_MAX_DEVICES];
    int n = rb_gpu_devices(devs, RB_GPU_MAX_DEVICES, e);
    for (int i = 0; i < n && i < max; i++)
        rb_gpu_describe(&devs[i], &out[i], NULL);
    return n;
}
#endif
