/* gpu_lstm.c — LSTM / tanh-RNN inference on an OpenCL device.
 *
 * The same plan as the cpu target: per layer one CLBlast GEMM projects the
 * inputs of all T steps, then each step runs the recurrent product (CLBlast
 * GEMV for B = 1, GEMM otherwise) and one fused kernel (kernels.cl) for the
 * gates and the state update.  Everything stays on the device between steps
 * and layers; a forward call moves x in and y out, and that is what the
 * host-side latency includes.  The device time of the call (first command's
 * start to last command's end, from profiling events) is reported beside it.
 *
 * load() uploads the weights and allocates every buffer; forward() allocates
 * nothing. */
#ifdef RB_HAVE_OPENCL
#include <clblast_c.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"

typedef struct gpu_layer {
    int in;        /* columns of w_ih; 0: the input is already projected */
    cl_mem w_ih;   /* [G*H, in], PyTorch's layout */
    cl_mem w_hh;   /* [G*H, H] */
    cl_mem bias;   /* b_ih + b_hh, [G*H] */
} gpu_layer;

typedef struct gpu_state {
    rb_cell cell;
    int G, H, T, B, L, X;
    gpu_layer *layer;
    cl_mem x;       /* [T*B, X] */
    cl_mem gates;   /* [T*B, G*H] input projection of the current layer */
    cl_mem rec;     /* [B, G*H] recurrent product of one step */
    cl_mem seq[2];  /* [T*B, H] outputs of the layers before the last */
    cl_mem y;       /* [T*B, H] output of the last layer */
    cl_mem h0, c0;  /* [L, B, H] initial states, zero unless the batch gives them */
    cl_mem c;       /* [B, H] LSTM cell state */
    int states_dirty; /* h0/c0 hold a batch's states rather than zeros */
    double load_bytes;
} gpu_state;

static int cl_fail(rb_err *e, const char *what, cl_int rc)
{
    int code = rc == CL_MEM_OBJECT_ALLOCATION_FAILURE || rc == CL_OUT_OF_RESOURCES ||
                       rc == CL_OUT_OF_HOST_MEMORY
                   ? RB_ENOMEM
                   : RB_ERUNTIME;
    return rb_errf(e, code, "gpu: %s: %s (%d)", what, rb_gpu_errname(rc), rc);
}

static int blast_fail(rb_err *e, const char *what, CLBlastStatusCode st)
{
    return rb_errf(e, RB_ERUNTIME, "gpu: CLBlast %s: %s (%d)", what,
                   rb_gpu_clblast_errname(st), (int)st);
}

void rb_gpu_unload(rb_target *t)
{
    gpu_state *s = t->priv;
    if (!s)
        return;
    cl_mem *all[] = {&s->x, &s->gates, &s->rec, &s->seq[0], &s->seq[1], &s->y, &s->h0, &s->c0,
                     &s->c};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (*all[i])
            clReleaseMemObject(*all[i]);
    for (int l = 0; s->layer && l < s->L; l++) {
        if (s->layer[l].w_ih)
            clReleaseMemObject(s->layer[l].w_ih);
        if (s->layer[l].w_hh)
            clReleaseMemObject(s->layer[l].w_hh);
        if (s->layer[l].bias)
            clReleaseMemObject(s->layer[l].bias);
    }
    free(s->layer);
    free(s);
    t->priv = NULL;
}

/* A device buffer of n floats, filled from host (or zeros when host is NULL). */
static int buffer(gpu_session *ss, gpu_state *s, cl_mem *out, size_t n, const float *host,
                  const char *what, rb_err *e)
{
    size_t bytes = n * sizeof(float);
    if (bytes > ss->max_alloc)
        return rb_errf(e, RB_ENOMEM,
                       "gpu: %s needs a %.1f MiB buffer but the device allows %.1f MiB per buffer",
                       what, bytes / 1048576.0, ss->max_alloc / 1048576.0);
    cl_int rc;
    *out = clCreateBuffer(ss->ctx, CL_MEM_READ_WRITE, bytes ? bytes : sizeof(float), NULL, &rc);
    if (rc != CL_SUCCESS)
        return cl_fail(e, what, rc);
    if (host) {
        rc = clEnqueueWriteBuffer(ss->queue, *out, CL_TRUE, 0, bytes, host, 0, NULL, NULL);
        s->load_bytes += (double)bytes;
    } else {
        float zero = 0;
        rc = clEnqueueFillBuffer(ss->queue, *out, &zero, sizeof zero, 0, bytes, 0, NULL, NULL);
    }
    return rc == CL_SUCCESS ? 0 : cl_fail(e, what, rc);
}

/* kernels.cl is compiled at the first load of the session, so a broken
 * kernel source fails results (with its build log), not the probe. */
static int ensure_kernels(gpu_session *ss, rb_err *e)
{
    if (ss->program)
        return 0;
    char *src = rb_gpu_kernels_source(e);
    if (!src)
        return e->code;
    int ret = rb_gpu_build(ss, "kernels.cl", src, &ss->program, e);
    free(src);
    if (ret)
        return ret;
    cl_int rc;
    ss->lstm_cell = clCreateKernel(ss->program, "lstm_cell", &rc);
    if (rc == CL_SUCCESS)
        ss->rnn_cell = clCreateKernel(ss->program, "rnn_cell", &rc);
    if (rc != CL_SUCCESS) {
        /* keep nothing half-made: the next load tries again and says the same */
        if (ss->lstm_cell)
            clReleaseKernel(ss->lstm_cell);
        clReleaseProgram(ss->program);
        ss->program = NULL;
        ss->lstm_cell = NULL;
        return cl_fail(e, "kernels.cl lacks lstm_cell or rnn_cell", rc);
    }
    return 0;
}

static double device_bytes(const rb_workload *w)
{
    double G = rb_cell_gates(w->cell), H = w->hidden, T = w->seq, B = w->batch,
           L = w->layers, X = rb_workload_x_width(w), I = w->input_proj ? w->input : 0;
    double weights = G * H * (I + H + 1) + (L - 1) * G * H * (2 * H + 1);
    return 4.0 * (weights + T * B * (X + G * H + 3 * H) + B * G * H + 2 * L * B * H + B * H);
}

int rb_gpu_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e)
{
    gpu_session *ss = t->session;
    int ret = ensure_kernels(ss, e);
    if (ret)
        return ret;
    double need = device_bytes(w);
    if (need > (double)ss->global_mem)
        return rb_errf(e, RB_ENOMEM, "gpu: %s needs about %.1f MiB of device memory; the device "
                                     "has %.1f MiB",
                       w->key, need / 1048576.0, ss->global_mem / 1048576.0);
    size_t G = (size_t)rb_cell_gates(w->cell), H = (size_t)w->hidden, T = (size_t)w->seq,
           B = (size_t)w->batch, L = (size_t)w->layers, X = (size_t)rb_workload_x_width(w);
    /* kernel offsets are int */
    if (T * B * G * H > INT_MAX || T * B * X > INT_MAX)
        return rb_errf(e, RB_EINPUT, "gpu: %s is too large for 32-bit kernel offsets", w->key);

    gpu_state *s = calloc(1, sizeof *s);
    gpu_layer *layers = calloc(L, sizeof *layers);
    if (!s || !layers) {
        free(s);
        free(layers);
        return rb_errf(e, RB_ENOMEM, "gpu: out of host memory");
    }
    s->cell = m->cell;
    s->G = (int)G;
    s->H = (int)H;
    s->T = (int)T;
    s->B = (int)B;
    s->L = (int)L;
    s->X = (int)X;
    s->layer = layers;
    t->priv = s;
    float *bias = malloc(G * H * sizeof *bias);
    if (!bias)
        return rb_errf(e, RB_ENOMEM, "gpu: out of host memory");
    for (size_t l = 0; l < L && !ret; l++) {
        const rb_layer *src = &m->layer[l];
        gpu_layer *d = &s->layer[l];
        d->in = src->in;
        for (size_t j = 0; j < G * H; j++)
            bias[j] = src->b_ih[j] + src->b_hh[j];
        if (d->in)
            ret = buffer(ss, s, &d->w_ih, G * H * (size_t)d->in, src->w_ih, "W_ih", e);
        if (!ret)
            ret = buffer(ss, s, &d->w_hh, G * H * H, src->w_hh, "W_hh", e);
        if (!ret)
            ret = buffer(ss, s, &d->bias, G * H, bias, "bias", e);
    }
    free(bias);
    if (!ret)
        ret = buffer(ss, s, &s->x, T * B * X, NULL, "x", e);
    if (!ret && (s->layer[0].in || L > 1))
        ret = buffer(ss, s, &s->gates, T * B * G * H, NULL, "gates", e);
    if (!ret)
        ret = buffer(ss, s, &s->rec, B * G * H, NULL, "rec", e);
    for (size_t k = 0; k < 2 && k + 1 < L && !ret; k++)
        ret = buffer(ss, s, &s->seq[k], T * B * H, NULL, "layer outputs", e);
    if (!ret)
        ret = buffer(ss, s, &s->y, T * B * H, NULL, "y", e);
    if (!ret)
        ret = buffer(ss, s, &s->h0, L * B * H, NULL, "h0", e);
    if (!ret)
        ret = buffer(ss, s, &s->c0, L * B * H, NULL, "c0", e);
    if (!ret)
        ret = buffer(ss, s, &s->c, B * H, NULL, "c", e);
    if (!ret) {
        cl_int rc = clFinish(ss->queue);
        if (rc != CL_SUCCESS)
            ret = cl_fail(e, "uploading weights", rc);
    }
    return ret; /* on failure the wrapper calls rb_gpu_unload */
}

/* h0/c0: the batch's, or zeros (re-zeroed only after a batch that had them). */
static cl_int set_states(gpu_session *ss, gpu_state *s, const rb_batch *in)
{
    size_t bytes = (size_t)s->L * s->B * s->H * sizeof(float);
    float zero = 0;
    cl_int rc = CL_SUCCESS;
    const float *src[2] = {in->h0, s->cell == RB_CELL_LSTM ? in->c0 : NULL};
    cl_mem dst[2] = {s->h0, s->c0};
    for (int k = 0; k < 2 && rc == CL_SUCCESS; k++) {
        if (src[k])
            rc = clEnqueueWriteBuffer(ss->queue, dst[k], CL_FALSE, 0, bytes, src[k], 0, NULL, NULL);
        else if (s->states_dirty)
            rc = clEnqueueFillBuffer(ss->queue, dst[k], &zero, sizeof zero, 0, bytes, 0, NULL,
                                     NULL);
    }
    s->states_dirty = in->h0 || (in->c0 && s->cell == RB_CELL_LSTM);
    return rc;
}

/* rec[B, G*H] = h[B, H] x W_hh^T, with h at element offset h_off of hbuf. */
static CLBlastStatusCode recurrent(gpu_session *ss, gpu_state *s, const gpu_layer *ly, cl_mem hbuf,
                                   size_t h_off)
{
    const size_t H = (size_t)s->H, GH = (size_t)s->G * s->H;
    if (s->B == 1)
        return CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, GH, H, 1.0f, ly->w_hh, 0, H,
                            hbuf, h_off, 1, 0.0f, s->rec, 0, 1, &ss->queue, NULL);
    return CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes,
                        (size_t)s->B, GH, H, 1.0f, hbuf, h_off, H, ly->w_hh, 0, H, 0.0f, s->rec,
                        0, GH, &ss->queue, NULL);
}

static cl_int cell(gpu_session *ss, gpu_state *s, const gpu_layer *ly, cl_mem pre, int pre_off,
                   cl_mem out, int h_off)
{
    cl_kernel k = s->cell == RB_CELL_LSTM ? ss->lstm_cell : ss->rnn_cell;
    int a = 0, H = s->H;
    cl_int rc = clSetKernelArg(k, a++, sizeof pre, &pre);
    rc |= clSetKernelArg(k, a++, sizeof pre_off, &pre_off);
    rc |= clSetKernelArg(k, a++, sizeof s->rec, &s->rec);
    rc |= clSetKernelArg(k, a++, sizeof ly->bias, &ly->bias);
    if (s->cell == RB_CELL_LSTM)
        rc |= clSetKernelArg(k, a++, sizeof s->c, &s->c);
    rc |= clSetKernelArg(k, a++, sizeof out, &out);
    rc |= clSetKernelArg(k, a++, sizeof h_off, &h_off);
    rc |= clSetKernelArg(k, a++, sizeof H, &H);
    if (rc != CL_SUCCESS)
        return CL_INVALID_KERNEL_ARGS;
    size_t global[2] = {(size_t)s->H, (size_t)s->B};
    return clEnqueueNDRangeKernel(ss->queue, k, 2, NULL, global, NULL, 0, NULL, NULL);
}

/* One layer over all T steps, reading `in` and writing `out` ([T*B, H]). */
static int run_layer(gpu_session *ss, gpu_state *s, int l, cl_mem in, cl_mem out, rb_err *e)
{
    const gpu_layer *ly = &s->layer[l];
    const size_t H = (size_t)s->H, B = (size_t)s->B, GH = (size_t)s->G * H,
                 TB = (size_t)s->T * B, BH = B * H;
    cl_mem pre = in;
    if (ly->in) {
        CLBlastStatusCode st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo,
                                            CLBlastTransposeYes, TB, GH, (size_t)ly->in, 1.0f, in,
                                            0, (size_t)ly->in, ly->w_ih, 0, (size_t)ly->in, 0.0f,
                                            s->gates, 0, GH, &ss->queue, NULL);
        if (st != CLBlastSuccess)
            return blast_fail(e, "input projection", st);
        pre = s->gates;
    }
    cl_int rc = CL_SUCCESS;
    if (s->cell == RB_CELL_LSTM)
        rc = clEnqueueCopyBuffer(ss->queue, s->c0, s->c, (size_t)l * BH * sizeof(float), 0,
                                 BH * sizeof(float), 0, NULL, NULL);
    for (int t = 0; t < s->T && rc == CL_SUCCESS; t++) {
        /* h_{t-1}: this layer's initial state, then its own previous output */
        CLBlastStatusCode st = t == 0 ? recurrent(ss, s, ly, s->h0, (size_t)l * BH)
                                      : recurrent(ss, s, ly, out, (size_t)(t - 1) * BH);
        if (st != CLBlastSuccess)
            return blast_fail(e, "recurrent product", st);
        rc = cell(ss, s, ly, pre, (int)((size_t)t * B * GH), out, (int)((size_t)t * BH));
    }
    return rc == CL_SUCCESS ? 0 : cl_fail(e, "cell kernel", rc);
}

static double span_s(cl_event first, cl_event last)
{
    cl_ulong t0 = 0, t1 = 0;
    if (clGetEventProfilingInfo(first, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) ||
        clGetEventProfilingInfo(last, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) || t1 < t0)
        return -1;
    return (double)(t1 - t0) * 1e-9;
}

int rb_gpu_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *smp, rb_err *e)
{
    gpu_session *ss = t->session;
    gpu_state *s = t->priv;
    const size_t xbytes = (size_t)s->T * s->B * s->X * sizeof(float),
                 ybytes = (size_t)s->T * s->B * s->H * sizeof(float);
    cl_event first = NULL, last = NULL;
    int ret = 0;
    cl_int rc = clEnqueueWriteBuffer(ss->queue, s->x, CL_FALSE, 0, xbytes, in->x, 0, NULL, &first);
    if (rc == CL_SUCCESS)
        rc = set_states(ss, s, in);
    if (rc != CL_SUCCESS)
        ret = cl_fail(e, "uploading the input", rc);
    cl_mem src = s->x;
    for (int l = 0; l < s->L && !ret; l++) {
        cl_mem dst = l == s->L - 1 ? s->y : s->seq[l % 2];
        ret = run_layer(ss, s, l, src, dst, e);
        src = dst;
    }
    if (!ret) {
        rc = clEnqueueReadBuffer(ss->queue, s->y, CL_TRUE, 0, ybytes, out->data, 0, NULL, &last);
        if (rc != CL_SUCCESS)
            ret = cl_fail(e, "reading the output", rc);
    }
    if (ret)
        clFinish(ss->queue); /* leave nothing in flight behind a failed call */
    if (!ret) {
        /* The latency users wait for is the host's (the harness measures it);
         * the device's own span is stored beside it. */
        double dev = span_s(first, last);
        if (dev >= 0)
            rb_sample_metric(smp, "device_ms", dev * 1e3, "ms", RB_SRC_MEASURED);
        rb_sample_metric(smp, "load_bytes", s->load_bytes, "B", RB_SRC_MEASURED);
        rb_sample_metric(smp, "io_bytes", (double)(xbytes + ybytes), "B", RB_SRC_MEASURED);
    }
    if (first)
        clReleaseEvent(first);
    if (last)
        clReleaseEvent(last);
    return ret;
}
#endif
