/* gpu_lstm.c — LSTM / GRU / tanh-RNN inference on an OpenCL device.
 *
 * The same plan as the cpu target: per layer one CLBlast GEMM projects the
 * inputs of all T steps, then each step runs the recurrent product (CLBlast
 * GEMV for B = 1, GEMM otherwise) and one fused kernel (kernels.cl) for the
 * gates and the state update (gpu_step.c).  Everything stays on the device
 * between steps and layers; a forward call moves x in and y out, and that is
 * what the host-side latency includes.  The device time of the call (first
 * command's start to last command's end, from profiling events) is reported
 * beside it.
 *
 * load() uploads the weights and allocates every buffer; forward() allocates
 * nothing.  The weights live in one flat buffer of the params.h layout that
 * CLBlast addresses by element offsets; the fused bias b_ih + b_hh of each
 * unit is a buffer of its own, as the cell kernels read it.  The GRU's n row
 * cannot fuse (r scales W_hn h + b_hn but not W_in x + b_in): its fused row
 * is b_in alone, and its b_hn goes up into the flat weights, where the
 * kernels read it.
 *
 * Imported models (model.h) run on the same GEMMs: a reversed unit walks
 * the steps backwards, the two units of a bidirectional layer write their
 * halves of one output, and peepholes, clip, input_forget, the GRU's
 * reset_before and row lengths (or a bidirectional layer, whose output rows
 * are 2H apart) take the *_cell_ext kernels, which keep h in a state of its
 * own; a plain stack runs exactly the kernels it ran before. */
#ifdef RB_HAVE_OPENCL
#include <clblast_c.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"

int rb_gpu_cl_fail(rb_err *e, const char *what, cl_int rc)
{
    int code = rc == CL_MEM_OBJECT_ALLOCATION_FAILURE || rc == CL_OUT_OF_RESOURCES ||
                       rc == CL_OUT_OF_HOST_MEMORY
                   ? RB_ENOMEM
                   : RB_ERUNTIME;
    return rb_errf(e, code, "gpu: %s: %s (%d)", what, rb_gpu_errname(rc), rc);
}

int rb_gpu_blast_fail(rb_err *e, const char *what, CLBlastStatusCode st)
{
    return rb_errf(e, RB_ERUNTIME, "gpu: CLBlast %s: %s (%d)", what, rb_gpu_clblast_errname(st),
                   (int)st);
}

void rb_gpu_unload(rb_target *t)
{
    gpu_state *s = t->priv;
    if (!s)
        return;
    rb_gpu_train_free(s);
    cl_mem *all[] = {&s->params, &s->x,  &s->gates, &s->rec, &s->seq[0], &s->seq[1], &s->y,
                     &s->h0,     &s->c0, &s->c,     &s->hs,  &s->lens,   &s->rh};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (*all[i])
            clReleaseMemObject(*all[i]);
    for (int u = 0; s->layer && u < s->L * s->D; u++)
        if (s->layer[u].bias)
            clReleaseMemObject(s->layer[u].bias);
    free(s->layer);
    free(s);
    t->priv = NULL;
}

int rb_gpu_buffer(gpu_session *ss, gpu_state *s, cl_mem *out, size_t n, const float *host,
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
        return rb_gpu_cl_fail(e, what, rc);
    s->mem_bytes += (double)(bytes ? bytes : sizeof(float));
    if (host) {
        rc = clEnqueueWriteBuffer(ss->queue, *out, CL_TRUE, 0, bytes, host, 0, NULL, NULL);
        s->load_bytes += (double)bytes;
    } else {
        float zero = 0;
        rc = clEnqueueFillBuffer(ss->queue, *out, &zero, sizeof zero, 0, bytes, 0, NULL, NULL);
    }
    return rc == CL_SUCCESS ? 0 : rb_gpu_cl_fail(e, what, rc);
}

/* Device memory of a load: the flat weights, the fused biases, the
 * inference buffers (with the ext kernels' state and lengths, and a reset_before
 * GRU's r (.) h), and what training adds. */
static double device_bytes(const rb_model *m, const rb_workload *w)
{
    double G = rb_cell_gates(w->cell), H = w->hidden, T = w->seq, B = w->batch,
           U = (double)w->layers * rb_workload_dirs(w), DH = rb_workload_y_width(w),
           X = rb_workload_x_width(w);
    double bytes = 4.0 * ((double)rb_param_total(m) + U * G * H + T * B * (X + G * H + 3 * DH) +
                          B * G * H + 2 * U * B * H + 3 * B * H + B);
    return w->mode == RB_MODE_TRAIN ? bytes + rb_gpu_train_bytes(m, w) : bytes;
}

/* The weights into the flat buffer, the fused biases into theirs.  For
 * inference only the matrices, peepholes and the GRU's b_hn go up (the rest
 * of b_ih and b_hh is read only through the fused bias); training uploads
 * the whole flat array, the separate biases included, since Adam updates
 * them. */
static int upload_weights(gpu_session *ss, gpu_state *s, const rb_model *m, int train, rb_err *e)
{
    size_t GH = (size_t)s->G * s->H;
    float *host = malloc((train ? s->n_params : GH) * sizeof *host);
    if (!host)
        return rb_errf(e, RB_ENOMEM, "gpu: out of host memory");
    int ret = 0;
    if (train) {
        rb_model_flatten(m, host);
        ret = rb_gpu_buffer(ss, s, &s->params, s->n_params, host, "weights", e);
    } else {
        ret = rb_gpu_buffer(ss, s, &s->params, s->n_params, NULL, "weights", e);
        static const char *const what[4] = {"uploading W_ih", "uploading W_hh",
                                            "uploading the peepholes", "uploading b_hn"};
        const size_t H = (size_t)s->H, gru = s->cell == RB_CELL_GRU;
        for (int u = 0; u < s->L * s->D && !ret; u++) {
            const rb_layer *src = &m->layer[u];
            const gpu_layer *d = &s->layer[u];
            size_t n[4] = {GH * (size_t)d->in, GH * H, src->p ? 3 * H : 0, gru * H};
            size_t off[4] = {d->off[RB_P_W_IH], d->off[RB_P_W_HH], (size_t)d->peep_off,
                             d->off[RB_P_B_HH] + 2 * H};
            const float *from[4] = {src->w_ih, src->w_hh, src->p, src->b_hh + 2 * H};
            for (int k = 0; k < 4 && !ret; k++) {
                if (!n[k])
                    continue;
                cl_int rc =
                    clEnqueueWriteBuffer(ss->queue, s->params, CL_TRUE, off[k] * sizeof(float),
                                         n[k] * sizeof(float), from[k], 0, NULL, NULL);
                if (rc != CL_SUCCESS)
                    ret = rb_gpu_cl_fail(e, what[k], rc);
                s->load_bytes += (double)(n[k] * sizeof(float));
            }
        }
    }
    const size_t fused = (size_t)rb_gpu_fused_rows(s);
    for (int u = 0; u < s->L * s->D && !ret; u++) {
        const rb_layer *src = &m->layer[u];
        for (size_t j = 0; j < GH; j++)
            host[j] = j < fused ? src->b_ih[j] + src->b_hh[j] : src->b_ih[j];
        ret = rb_gpu_buffer(ss, s, &s->layer[u].bias, GH, host, "bias", e);
    }
    free(host);
    return ret;
}

int rb_gpu_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e)
{
    gpu_session *ss = t->session;
    int ret = rb_gpu_ensure_kernels(ss, e);
    if (ret)
        return ret;
    double need = device_bytes(m, w);
    if (need > (double)ss->global_mem)
        return rb_errf(e, RB_ENOMEM,
                       "gpu: %s needs about %.1f MiB of device memory; the device "
                       "has %.1f MiB",
                       w->key, need / 1048576.0, ss->global_mem / 1048576.0);
    const int train = w->mode == RB_MODE_TRAIN;
    size_t G = (size_t)rb_cell_gates(w->cell), H = (size_t)w->hidden, T = (size_t)w->seq,
           B = (size_t)w->batch, L = (size_t)w->layers, X = (size_t)rb_workload_x_width(w),
           P = rb_param_total(m), D = (size_t)rb_workload_dirs(w), U = L * D;
    /* kernel offsets are int; training addresses every layer's steps in one buffer */
    if (T * B * G * H * (train ? L : 1) > INT_MAX || T * B * X > INT_MAX ||
        T * B * D * H > INT_MAX || P > INT_MAX)
        return rb_errf(e, RB_EINPUT, "gpu: %s is too large for 32-bit kernel offsets", w->key);

    gpu_state *s = calloc(1, sizeof *s);
    gpu_layer *layers = calloc(U, sizeof *layers);
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
    s->D = (int)D;
    s->clip = m->clip;
    s->coupled = m->input_forget;
    s->reset_before = m->cell == RB_CELL_GRU && m->reset_before;
    /* A reversed unit only walks the other way; everything else the plain
     * kernels do not know takes the *_cell_ext kernels. */
    s->ext = ((rb_model_features(m) | w->features) &
              ~(unsigned)(RB_FEAT_REVERSE | RB_FEAT_STATEFUL)) != 0;
    s->stateful = (w->features & RB_FEAT_STATEFUL) != 0;
    s->layer = layers;
    s->n_params = P;
    t->priv = s;
    for (size_t u = 0; u < U; u++) {
        const rb_layer *src = &m->layer[u];
        gpu_layer *d = &s->layer[u];
        d->in = src->in;
        d->reverse = src->reverse;
        d->peep_off = src->p ? (int)rb_param_off(m, (int)u, RB_P_PEEP) : -1;
        for (int k = RB_P_W_IH; k <= RB_P_B_HH; k++)
            d->off[k] = rb_param_off(m, (int)u, (rb_param_kind)k);
    }
    ret = upload_weights(ss, s, m, train, e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &s->x, T * B * X, NULL, "x", e);
    if (!ret && (s->layer[0].in || L > 1))
        ret = rb_gpu_buffer(ss, s, &s->gates, T * B * G * H, NULL, "gates", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &s->rec, B * G * H, NULL, "rec", e);
    for (size_t k = 0; k < 2 && k + 1 < L && !ret; k++)
        ret = rb_gpu_buffer(ss, s, &s->seq[k], T * B * D * H, NULL, "layer outputs", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &s->y, T * B * D * H, NULL, "y", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &s->h0, U * B * H, NULL, "h0", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &s->c0, U * B * H, NULL, "c0", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &s->c, B * H, NULL, "c", e);
    if (!ret && s->ext)
        ret = rb_gpu_buffer(ss, s, &s->hs, B * H, NULL, "h state", e);
    /* rb_gpu_buffer counts floats: B of them hold the B lengths, which the
     * kernels read as OpenCL's 32-bit int */
    _Static_assert(sizeof(int) == sizeof(float), "row lengths are uploaded as 32-bit ints");
    if (!ret && s->ext)
        ret = rb_gpu_buffer(ss, s, &s->lens, B, NULL, "row lengths", e);
    if (!ret && s->reset_before)
        ret = rb_gpu_buffer(ss, s, &s->rh, B * H, NULL, "r (.) h", e);
    if (!ret && train)
        ret = rb_gpu_train_alloc(ss, s, e);
    cl_int rc = clFinish(ss->queue);
    if (!ret && rc != CL_SUCCESS)
        ret = rb_gpu_cl_fail(e, "uploading weights", rc);
    return ret; /* on failure the wrapper calls rb_gpu_unload */
}

/* h0/c0: the batch's, or zeros (re-zeroed only after a batch that had them). */
cl_int rb_gpu_set_states(gpu_session *ss, gpu_state *s, const rb_batch *in)
{
    size_t bytes = (size_t)s->L * s->D * s->B * s->H * sizeof(float);
    float zero = 0;
    cl_int rc = CL_SUCCESS;
    const float *src[2] = {in->h0, s->cell == RB_CELL_LSTM ? in->c0 : NULL};
    cl_mem dst[2] = {s->h0, s->c0};
    for (int k = 0; k < 2 && rc == CL_SUCCESS; k++) {
        if (src[k])
            rc = clEnqueueWriteBuffer(ss->queue, dst[k], CL_FALSE, 0, bytes, src[k], 0, NULL, NULL);
        else if (s->states_dirty && !s->stateful) /* stateful: continue from the kept */
            rc =
                clEnqueueFillBuffer(ss->queue, dst[k], &zero, sizeof zero, 0, bytes, 0, NULL, NULL);
    }
    s->states_dirty = in->h0 || (in->c0 && s->cell == RB_CELL_LSTM);
    return rc;
}

double rb_gpu_span_s(cl_event first, cl_event last)
{
    cl_ulong t0 = 0, t1 = 0;
    if (clGetEventProfilingInfo(first, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) ||
        clGetEventProfilingInfo(last, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) || t1 < t0)
        return -1;
    return (double)(t1 - t0) * 1e-9;
}

/* RB_FEAT_STATEFUL: unit u's last h and c become its h0 and c0 (the
 * queue is in order: the unit read its h0 before these copies run).  The
 * last h is the ext kernels' own state, else the output rows of the unit's
 * last step, [B, H] strided by the layer's output width. */
static int keep_states(gpu_session *ss, gpu_state *s, int u, cl_mem out, size_t out_off, rb_err *e)
{
    const size_t H = (size_t)s->H, B = (size_t)s->B, BH = B * H, row = (size_t)s->D * H,
                 f = sizeof(float);
    cl_int rc;
    if (s->ext)
        rc = clEnqueueCopyBuffer(ss->queue, s->hs, s->h0, 0, u * BH * f, BH * f, 0, NULL, NULL);
    else {
        size_t last = s->layer[u].reverse ? 0 : (size_t)s->T - 1;
        size_t src_org[3] = {(out_off + last * B * row) * f, 0, 0}, dst_org[3] = {u * BH * f, 0, 0},
               region[3] = {H * f, B, 1};
        rc = clEnqueueCopyBufferRect(ss->queue, out, s->h0, src_org, dst_org, region, row * f, 0,
                                     H * f, 0, 0, NULL, NULL);
    }
    if (rc == CL_SUCCESS && s->cell == RB_CELL_LSTM)
        rc = clEnqueueCopyBuffer(ss->queue, s->c, s->c0, 0, u * BH * f, BH * f, 0, NULL, NULL);
    return rc == CL_SUCCESS ? 0 : rb_gpu_cl_fail(e, "keeping the states", rc);
}

int rb_gpu_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *smp, rb_err *e)
{
    gpu_session *ss = t->session;
    gpu_state *s = t->priv;
    const size_t xbytes = (size_t)s->T * s->B * s->X * sizeof(float),
                 ybytes = (size_t)s->T * s->B * s->D * s->H * sizeof(float);
    cl_event first = NULL, last = NULL;
    int ret = 0;
    cl_int rc = clEnqueueWriteBuffer(ss->queue, s->x, CL_FALSE, 0, xbytes, in->x, 0, NULL, &first);
    if (rc == CL_SUCCESS)
        rc = rb_gpu_set_states(ss, s, in);
    /* without lengths the kernels ignore the buffer: nothing to restore */
    s->lens_on = s->lens && in->lens;
    if (rc == CL_SUCCESS && s->lens_on)
        rc = clEnqueueWriteBuffer(ss->queue, s->lens, CL_FALSE, 0, (size_t)s->B * sizeof(int),
                                  in->lens, 0, NULL, NULL);
    if (rc == CL_SUCCESS && s->B == 1) {
        /* CLBlast's Sgemv reads y even with beta = 0: a NaN left in rec by
         * one bad input would poison every later call of this load */
        float zero = 0;
        rc = clEnqueueFillBuffer(ss->queue, s->rec, &zero, sizeof zero, 0,
                                 (size_t)s->G * s->H * sizeof(float), 0, NULL, NULL);
    }
    if (rc != CL_SUCCESS)
        ret = rb_gpu_cl_fail(e, "uploading the input", rc);
    /* a bidirectional layer's units write their halves of each output row */
    cl_mem src = s->x;
    for (int l = 0; l < s->L && !ret; l++) {
        cl_mem dst = l == s->L - 1 ? s->y : s->seq[l % 2];
        for (int d = 0; d < s->D && !ret; d++) {
            ret = rb_gpu_run_layer(ss, s, l * s->D + d, src, 0, dst, (size_t)d * s->H, NULL, e);
            if (!ret && s->stateful)
                ret = keep_states(ss, s, l * s->D + d, dst, (size_t)d * s->H, e);
        }
        src = dst;
    }
    if (!ret) {
        rc = clEnqueueReadBuffer(ss->queue, s->y, CL_TRUE, 0, ybytes, out->data, 0, NULL, &last);
        if (rc != CL_SUCCESS)
            ret = rb_gpu_cl_fail(e, "reading the output", rc);
    }
    if (ret)
        clFinish(ss->queue); /* leave nothing in flight behind a failed call */
    if (!ret) {
        /* The latency users wait for is the host's (the harness measures it);
         * the device's own span is stored beside it. */
        double dev = rb_gpu_span_s(first, last);
        if (dev >= 0)
            rb_sample_metric(smp, "device_ms", dev * 1e3, "ms", RB_SRC_MEASURED);
        rb_sample_metric(smp, "load_bytes", s->load_bytes, "B", RB_SRC_MEASURED);
        rb_sample_metric(smp, "mem_bytes", s->mem_bytes, "B", RB_SRC_MEASURED);
        rb_sample_metric(smp, "io_bytes", (double)(xbytes + ybytes), "B", RB_SRC_MEASURED);
    }
    if (first)
        clReleaseEvent(first);
    if (last)
        clReleaseEvent(last);
    return ret;
}
#endif
