/* gpu_train.c — one training step on an OpenCL device: forward keeping what
 * BPTT needs, the host loss, backpropagation through time, the gradient
 * norm, clipping and Adam, as the cpu target's cpu_train.c computes them.
 *
 * The same plan as the cpu target: per layer, one fused elementwise kernel
 * per step (kernels.cl) and one small product carrying the gradient to
 * h_{t-1}; then the weight gradients as three GEMMs over all T*B positions
 * (dW_hh, dW_ih, and the bias as a GEMV with a vector of ones).  The GRU's
 * gradient at its recurrent side's pre-activations differs from the input
 * side's in the n row (r scales W_hn h + b_hn): its kernel writes both; the
 * product to h_{t-1}, dW_hh and db_hh take the recurrent one, and the
 * kernel leaves z (.) dh in dh for that product to add to.  The host
 * waits twice per step: for y, which the loss needs, and at the end, for the
 * norm it reports.  Everything between is queued without a round trip: the
 * norm and the clip scale are reduced on the device, where the Adam kernel
 * reads them. */
#ifdef RB_HAVE_OPENCL
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"

struct gpu_train {
    cl_mem grads, m, v; /* [n_params] gradients and Adam's moments, params.h layout */
    cl_mem act;         /* [L][T*B, G*H] activated gates of every step (LSTM, GRU) */
    cl_mem cs;          /* [L][T*B, H] cell states (LSTM); W_hn h + b_hn (GRU) */
    cl_mem hs;          /* [L][T*B, H] every layer's outputs */
    cl_mem dA;          /* [T*B, G*H] gradient at the gate pre-activations of one layer */
    cl_mem dAh;         /* [T*B, G*H] the GRU's at its recurrent side's (dA elsewhere) */
    cl_mem dY[2];       /* [T*B, H] gradient at a layer's output, ping-pong */
    cl_mem dx;          /* [T*B, X] dL/dx when layer 0 has an input projection */
    cl_mem dh, dc;      /* [B, H] gradients reaching h_{t-1}, c_{t-1} */
    cl_mem ones;        /* [T*B] for the bias gradient as a GEMV */
    cl_mem partial;     /* [groups] sums of squares, one per work-group */
    cl_mem norm;        /* [2] the gradient norm and its clip scale */
    size_t groups;
    float *y, *dy; /* [T*B, H] host copies for the loss */
    long step;     /* Adam's step count */
    int failed;    /* the last step failed: its gradients may hold NaN */
};

/* Work-groups of the norm's first pass: a few per compute unit, no more
 * than the gradient needs. */
static size_t norm_groups(const gpu_session *ss, size_t n)
{
    size_t cus = rb_gpu_info_uint(ss->dev.device, CL_DEVICE_MAX_COMPUTE_UNITS);
    size_t g = 4 * (cus ? cus : 1), need = (n + ss->reduce_wg - 1) / ss->reduce_wg;
    g = g > 1024 ? 1024 : g;
    g = g < need ? g : need;
    return g ? g : 1;
}

double rb_gpu_train_bytes(const rb_model *m, const rb_workload *w)
{
    double G = rb_cell_gates(w->cell), H = w->hidden, TB = (double)w->seq * w->batch, B = w->batch,
           L = w->layers, gru = w->cell == RB_CELL_GRU, keeps = w->cell == RB_CELL_LSTM || gru,
           dx = w->input_proj ? rb_workload_x_width(w) : 0;
    return 4.0 * (3.0 * (double)rb_param_total(m) + L * TB * (keeps * (G * H + H) + H) +
                  TB * ((1 + gru) * G * H + 2 * H + 1 + dx) + 2 * B * H + 1024 + 2);
}

void rb_gpu_train_free(gpu_state *s)
{
    gpu_train *tr = s->train;
    if (!tr)
        return;
    cl_mem all[] = {tr->grads, tr->m,     tr->v,  tr->act, tr->cs, tr->hs,   tr->dA,      tr->dAh,
                    tr->dY[0], tr->dY[1], tr->dx, tr->dh,  tr->dc, tr->ones, tr->partial, tr->norm};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i])
            clReleaseMemObject(all[i]);
    free(tr->y);
    free(tr->dy);
    free(tr);
    s->train = NULL;
}

int rb_gpu_train_alloc(gpu_session *ss, gpu_state *s, rb_err *e)
{
    gpu_train *tr = calloc(1, sizeof *tr);
    if (!tr)
        return rb_errf(e, RB_ENOMEM, "gpu: out of host memory for training state");
    s->train = tr;
    const size_t P = s->n_params, TB = (size_t)s->T * s->B, H = (size_t)s->H, GH = (size_t)s->G * H,
                 L = (size_t)s->L, BH = (size_t)s->B * H;
    const int lstm = s->cell == RB_CELL_LSTM, gru = s->cell == RB_CELL_GRU;
    tr->groups = norm_groups(ss, P);
    tr->y = malloc(TB * H * sizeof *tr->y);
    tr->dy = malloc(TB * H * sizeof *tr->dy);
    if (!tr->y || !tr->dy)
        return rb_errf(e, RB_ENOMEM, "gpu: out of host memory for training state");
    /* zeros everywhere: the padding of the gradient array is never written
     * and must not count in the norm or move in the update */
    int ret = rb_gpu_buffer(ss, s, &tr->grads, P, NULL, "gradients", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &tr->m, P, NULL, "Adam's first moment", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &tr->v, P, NULL, "Adam's second moment", e);
    if (!ret && (lstm || gru))
        ret = rb_gpu_buffer(ss, s, &tr->act, L * TB * GH, NULL, "stored gates", e);
    if (!ret && (lstm || gru))
        ret = rb_gpu_buffer(ss, s, &tr->cs, L * TB * H, NULL, "stored cell states", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &tr->hs, L * TB * H, NULL, "stored layer outputs", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &tr->dA, TB * GH, NULL, "gate gradients", e);
    if (!ret && gru)
        ret = rb_gpu_buffer(ss, s, &tr->dAh, TB * GH, NULL, "recurrent gate gradients", e);
    for (int k = 0; k < 2 && !ret; k++)
        ret = rb_gpu_buffer(ss, s, &tr->dY[k], TB * H, NULL, "output gradients", e);
    if (!ret && s->layer[0].in)
        ret = rb_gpu_buffer(ss, s, &tr->dx, TB * (size_t)s->X, NULL, "input gradient", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &tr->dh, BH, NULL, "dh", e);
    if (!ret && lstm)
        ret = rb_gpu_buffer(ss, s, &tr->dc, BH, NULL, "dc", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &tr->ones, TB, NULL, "ones", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &tr->partial, tr->groups, NULL, "norm partials", e);
    if (!ret)
        ret = rb_gpu_buffer(ss, s, &tr->norm, 2, NULL, "norm", e);
    if (!ret) {
        float one = 1.0f;
        cl_int rc = clEnqueueFillBuffer(ss->queue, tr->ones, &one, sizeof one, 0,
                                        TB * sizeof(float), 0, NULL, NULL);
        if (rc != CL_SUCCESS)
            ret = rb_gpu_cl_fail(e, "filling the ones vector", rc);
    }
    return ret; /* the caller finishes the queue; unload frees what exists */
}

/* A 1-dimensional work size covering n, rounded up so the driver can pick
 * a full work-group (the kernels skip the excess). */
static size_t cover(size_t n) { return (n + 63) / 64 * 64; }

/* The training forward: x and the states up, every layer into hs keeping
 * gates and cell states, the last layer's output read back into tr->y.
 * *first / *last: the profiling events of the first and the last command. */
static int forward(gpu_session *ss, gpu_state *s, const rb_batch *in, cl_event *first,
                   cl_event *last, rb_err *e)
{
    gpu_train *tr = s->train;
    const size_t TB = (size_t)s->T * s->B, H = (size_t)s->H, GH = (size_t)s->G * H;
    cl_int rc = clEnqueueWriteBuffer(ss->queue, s->x, CL_FALSE, 0, TB * s->X * sizeof(float), in->x,
                                     0, NULL, first);
    if (rc == CL_SUCCESS)
        rc = rb_gpu_set_states(ss, s, in);
    if (rc != CL_SUCCESS)
        return rb_gpu_cl_fail(e, "uploading the input", rc);
    for (int l = 0; l < s->L; l++) {
        gpu_record rec = {tr->act, tr->cs, (size_t)l * TB * GH, (size_t)l * TB * H};
        int ret = l ? rb_gpu_run_layer(ss, s, l, tr->hs, (size_t)(l - 1) * TB * H, tr->hs,
                                       (size_t)l * TB * H, &rec, e)
                    : rb_gpu_run_layer(ss, s, l, s->x, 0, tr->hs, 0, &rec, e);
        if (ret)
            return ret;
    }
    const size_t last_off = (size_t)(s->L - 1) * TB * H * sizeof(float);
    rc = clEnqueueReadBuffer(ss->queue, tr->hs, CL_TRUE, last_off, TB * H * sizeof(float), tr->y, 0,
                             NULL, last);
    return rc == CL_SUCCESS ? 0 : rb_gpu_cl_fail(e, "reading the output", rc);
}

/* The GRU's arguments of gru_bwd from *a on, between dh_next and dA: what
 * the forward kept of step t, h_{t-1} (the layer's h0 at step 0, else its
 * output of step t-1) and dAh; *a ends past them. */
static cl_int gru_bwd_args(gpu_state *s, cl_kernel k, cl_uint *a, int l, int t)
{
    gpu_train *tr = s->train;
    const int BH = s->B * s->H, TBH = s->T * BH, GBH = s->G * BH;
    int act_off = l * s->T * GBH + t * GBH, g_off = l * TBH + t * BH, h0_off = l * BH,
        first = t == 0, hp_off = first ? 0 : g_off - BH;
    cl_uint i = *a;
    cl_int rc = clSetKernelArg(k, i++, sizeof tr->act, &tr->act);
    rc |= clSetKernelArg(k, i++, sizeof act_off, &act_off);
    rc |= clSetKernelArg(k, i++, sizeof tr->cs, &tr->cs);
    rc |= clSetKernelArg(k, i++, sizeof g_off, &g_off);
    rc |= clSetKernelArg(k, i++, sizeof s->h0, &s->h0);
    rc |= clSetKernelArg(k, i++, sizeof h0_off, &h0_off);
    rc |= clSetKernelArg(k, i++, sizeof first, &first);
    rc |= clSetKernelArg(k, i++, sizeof tr->hs, &tr->hs);
    rc |= clSetKernelArg(k, i++, sizeof hp_off, &hp_off);
    rc |= clSetKernelArg(k, i++, sizeof tr->dAh, &tr->dAh);
    *a = i;
    return rc;
}

/* Arguments of one step's backward kernel (lstm_bwd, gru_bwd or rnn_bwd). */
static cl_int bwd_args(gpu_state *s, cl_kernel k, int l, int t, cl_mem dY)
{
    gpu_train *tr = s->train;
    const int H = s->H, BH = s->B * s->H, TBH = s->T * BH, GBH = s->G * BH;
    int dy_off = t * BH, dA_off = t * GBH;
    cl_uint a = 0;
    cl_int rc = clSetKernelArg(k, a++, sizeof dY, &dY);
    rc |= clSetKernelArg(k, a++, sizeof dy_off, &dy_off);
    rc |= clSetKernelArg(k, a++, sizeof tr->dh, &tr->dh);
    if (s->cell == RB_CELL_LSTM) {
        /* c_{t-1}: the layer's c0 at step 0, else the stored c of step t-1 */
        int act_off = l * s->T * GBH + t * GBH, c0_off = l * BH, first = t == 0,
            c_off = l * TBH + t * BH, cp_off = first ? 0 : c_off - BH;
        rc |= clSetKernelArg(k, a++, sizeof tr->act, &tr->act);
        rc |= clSetKernelArg(k, a++, sizeof act_off, &act_off);
        rc |= clSetKernelArg(k, a++, sizeof s->c0, &s->c0);
        rc |= clSetKernelArg(k, a++, sizeof c0_off, &c0_off);
        rc |= clSetKernelArg(k, a++, sizeof first, &first);
        rc |= clSetKernelArg(k, a++, sizeof tr->cs, &tr->cs);
        rc |= clSetKernelArg(k, a++, sizeof cp_off, &cp_off);
        rc |= clSetKernelArg(k, a++, sizeof c_off, &c_off);
        rc |= clSetKernelArg(k, a++, sizeof tr->dc, &tr->dc);
    } else if (s->cell == RB_CELL_GRU) {
        rc |= gru_bwd_args(s, k, &a, l, t);
    } else {
        int h_off = l * TBH + t * BH;
        rc |= clSetKernelArg(k, a++, sizeof tr->hs, &tr->hs);
        rc |= clSetKernelArg(k, a++, sizeof h_off, &h_off);
    }
    rc |= clSetKernelArg(k, a++, sizeof tr->dA, &tr->dA);
    rc |= clSetKernelArg(k, a++, sizeof dA_off, &dA_off);
    rc |= clSetKernelArg(k, a++, sizeof H, &H);
    return rc != CL_SUCCESS ? CL_INVALID_KERNEL_ARGS : CL_SUCCESS;
}

/* The recurrent side's gate gradients: the GRU's own, dA for the others. */
static cl_mem rec_grad(const gpu_state *s)
{
    return s->cell == RB_CELL_GRU ? s->train->dAh : s->train->dA;
}

/* dh[B, H] = dA_t[B, G*H] x W_hh (recurrent side's dA_t): the gradient
 * reaching h_{t-1}; the GRU's adds to the z (.) dh its kernel left there. */
static CLBlastStatusCode to_prev_h(gpu_session *ss, gpu_state *s, const gpu_layer *ly, int t)
{
    gpu_train *tr = s->train;
    const size_t H = (size_t)s->H, GH = (size_t)s->G * H, B = (size_t)s->B, w = ly->off[RB_P_W_HH],
                 dA_off = (size_t)t * B * GH;
    const float beta = s->cell == RB_CELL_GRU ? 1.0f : 0.0f;
    if (B == 1)
        return CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes, GH, H, 1.0f, s->params, w,
                            H, rec_grad(s), dA_off, 1, beta, tr->dh, 0, 1, &ss->queue, NULL);
    return CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, B, H, GH,
                        1.0f, rec_grad(s), dA_off, GH, s->params, w, H, beta, tr->dh, 0, H,
                        &ss->queue, NULL);
}

/* Layer l's weight gradients from its gate gradients of every step, and the
 * gradient at its input into dX unless NULL. */
static int weight_grads(gpu_session *ss, gpu_state *s, int l, int has_h0, cl_mem dX, rb_err *e)
{
    gpu_train *tr = s->train;
    const gpu_layer *ly = &s->layer[l];
    const size_t H = (size_t)s->H, B = (size_t)s->B, GH = (size_t)s->G * H, TB = (size_t)s->T * B,
                 BH = B * H, in = (size_t)ly->in;
    const cl_mem dAh = rec_grad(s);
    float zero = 0;
    cl_int rc;
    const size_t g_ih = ly->off[RB_P_W_IH], g_hh = ly->off[RB_P_W_HH], g_bih = ly->off[RB_P_B_IH],
                 g_bhh = ly->off[RB_P_B_HH];
    const size_t hs_off = (size_t)l * TB * H;
    CLBlastStatusCode st = CLBlastSuccess;
    /* dW_hh = sum_t dA_t^T h_{t-1}: steps 1.. against outputs 0..T-2 in one
     * GEMM, step 0 against h0 (nothing when h0 is zero); dA of the
     * recurrent side */
    if (s->T > 1)
        st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeYes, CLBlastTransposeNo, GH, H,
                          TB - B, 1.0f, dAh, B * GH, GH, tr->hs, hs_off, H, 0.0f, tr->grads, g_hh,
                          H, &ss->queue, NULL);
    else if ((rc = clEnqueueFillBuffer(ss->queue, tr->grads, &zero, sizeof zero,
                                       g_hh * sizeof(float), GH * H * sizeof(float), 0, NULL,
                                       NULL)) != CL_SUCCESS)
        return rb_gpu_cl_fail(e, "clearing dW_hh", rc);
    if (st == CLBlastSuccess && has_h0)
        st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeYes, CLBlastTransposeNo, GH, H, B,
                          1.0f, dAh, 0, GH, s->h0, (size_t)l * BH, H, 1.0f, tr->grads, g_hh, H,
                          &ss->queue, NULL);
    if (st != CLBlastSuccess)
        return rb_gpu_blast_fail(e, "dW_hh", st);
    /* the layer's input: x for layer 0, the previous layer's stored output otherwise */
    cl_mem x = l ? tr->hs : s->x;
    const size_t x_off = l ? (size_t)(l - 1) * TB * H : 0;
    if (in && (st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeYes, CLBlastTransposeNo, GH,
                                 in, TB, 1.0f, tr->dA, 0, GH, x, x_off, in, 0.0f, tr->grads, g_ih,
                                 in, &ss->queue, NULL)) != CLBlastSuccess)
        return rb_gpu_blast_fail(e, "dW_ih", st);
    /* db_ih sums dA over every step, db_hh the recurrent side's: a copy of
     * db_ih but for the GRU */
    st = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes, TB, GH, 1.0f, tr->dA, 0, GH,
                      tr->ones, 0, 1, 0.0f, tr->grads, g_bih, 1, &ss->queue, NULL);
    if (st == CLBlastSuccess && dAh != tr->dA)
        st = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes, TB, GH, 1.0f, dAh, 0, GH,
                          tr->ones, 0, 1, 0.0f, tr->grads, g_bhh, 1, &ss->queue, NULL);
    if (st != CLBlastSuccess)
        return rb_gpu_blast_fail(e, "bias gradient", st);
    if (dAh == tr->dA &&
        (rc = clEnqueueCopyBuffer(ss->queue, tr->grads, tr->grads, g_bih * sizeof(float),
                                  g_bhh * sizeof(float), GH * sizeof(float), 0, NULL, NULL)) !=
            CL_SUCCESS)
        return rb_gpu_cl_fail(e, "copying the bias gradient", rc);
    if (dX && in &&
        (st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, TB, in,
                           GH, 1.0f, tr->dA, 0, GH, s->params, g_ih, in, 0.0f, dX, 0, in,
                           &ss->queue, NULL)) != CLBlastSuccess)
        return rb_gpu_blast_fail(e, "gradient to the layer's input", st);
    return 0;
}

/* Layer l backwards: dY [T*B, H] in; its weight gradients into tr->grads;
 * dX [T*B, in] out unless NULL (for layer 0 without input projection dL/dx
 * is tr->dA itself).  has_h0: the batch gave initial states. */
static int backward_layer(gpu_session *ss, gpu_state *s, int l, int has_h0, cl_mem dY, cl_mem dX,
                          rb_err *e)
{
    gpu_train *tr = s->train;
    const gpu_layer *ly = &s->layer[l];
    const size_t H = (size_t)s->H, B = (size_t)s->B, BH = B * H;
    const int lstm = s->cell == RB_CELL_LSTM, gru = s->cell == RB_CELL_GRU;
    const gpu_kernel kb = lstm ? GPU_K_LSTM_BWD : gru ? GPU_K_GRU_BWD : GPU_K_RNN_BWD;
    float zero = 0;
    cl_int rc = clEnqueueFillBuffer(ss->queue, tr->dh, &zero, sizeof zero, 0, BH * sizeof(float), 0,
                                    NULL, NULL);
    if (rc == CL_SUCCESS && lstm)
        rc = clEnqueueFillBuffer(ss->queue, tr->dc, &zero, sizeof zero, 0, BH * sizeof(float), 0,
                                 NULL, NULL);
    if (rc != CL_SUCCESS)
        return rb_gpu_cl_fail(e, "clearing the recurrent gradients", rc);
    for (int t = s->T - 1; t >= 0; t--) {
        rc = bwd_args(s, ss->kernel[kb], l, t, dY);
        if (rc == CL_SUCCESS)
            rc = rb_gpu_launch(ss, kb, 2, cover(H), B);
        if (rc != CL_SUCCESS)
            return rb_gpu_cl_fail(e,
                                  lstm  ? "lstm_bwd kernel"
                                  : gru ? "gru_bwd kernel"
                                        : "rnn_bwd kernel",
                                  rc);
        CLBlastStatusCode st = t > 0 ? to_prev_h(ss, s, ly, t) : CLBlastSuccess;
        if (st != CLBlastSuccess)
            return rb_gpu_blast_fail(e, "gradient to h_{t-1}", st);
    }
    return weight_grads(ss, s, l, has_h0, dX, e);
}

/* dy up, every layer backwards, and dL/dx into io->dx (read without
 * waiting: the step's last wait covers it).  *first: the dy upload's event. */
static int backward(gpu_session *ss, gpu_state *s, const rb_batch *in, rb_train_io *io,
                    cl_event *first, rb_err *e)
{
    gpu_train *tr = s->train;
    const size_t TB = (size_t)s->T * s->B, H = (size_t)s->H;
    cl_int rc = clEnqueueWriteBuffer(ss->queue, tr->dY[0], CL_FALSE, 0, TB * H * sizeof(float),
                                     tr->dy, 0, NULL, first);
    if (rc != CL_SUCCESS)
        return rb_gpu_cl_fail(e, "uploading dL/dy", rc);
    int cur = 0;
    for (int l = s->L - 1; l >= 0; l--) {
        cl_mem dX = l ? tr->dY[!cur] : io->dx ? tr->dx : NULL;
        int ret = backward_layer(ss, s, l, in->h0 != NULL, tr->dY[cur], dX, e);
        if (ret)
            return ret;
        cur = !cur;
    }
    if (!io->dx)
        return 0;
    /* without an input projection x was the pre-activation itself */
    cl_mem dx = s->layer[0].in ? tr->dx : tr->dA;
    rc = clEnqueueReadBuffer(ss->queue, dx, CL_FALSE, 0, TB * s->X * sizeof(float), io->dx, 0, NULL,
                             NULL);
    return rc == CL_SUCCESS ? 0 : rb_gpu_cl_fail(e, "reading dL/dx", rc);
}

/* The gradient norm and its clip scale into tr->norm, in two reductions. */
static cl_int grad_norm(gpu_session *ss, gpu_state *s, const rb_optim *o)
{
    gpu_train *tr = s->train;
    const int n = (int)s->n_params, groups = (int)tr->groups;
    const size_t wg = ss->reduce_wg, global = tr->groups * wg;
    cl_kernel k1 = ss->kernel[GPU_K_SUMSQ], k2 = ss->kernel[GPU_K_NORM];
    cl_int rc = clSetKernelArg(k1, 0, sizeof tr->grads, &tr->grads);
    rc |= clSetKernelArg(k1, 1, sizeof n, &n);
    rc |= clSetKernelArg(k1, 2, sizeof tr->partial, &tr->partial);
    rc |= clSetKernelArg(k1, 3, wg * sizeof(float), NULL);
    rc |= clSetKernelArg(k2, 0, sizeof tr->partial, &tr->partial);
    rc |= clSetKernelArg(k2, 1, sizeof groups, &groups);
    rc |= clSetKernelArg(k2, 2, sizeof tr->norm, &tr->norm);
    rc |= clSetKernelArg(k2, 3, wg * sizeof(float), NULL);
    /* the clip as the host's double (for a device with fp64) and as a float */
    cl_ulong clip_bits;
    memcpy(&clip_bits, &o->clip, sizeof clip_bits);
    const float clip_f = (float)o->clip;
    rc |= clSetKernelArg(k2, 4, sizeof clip_bits, &clip_bits);
    rc |= clSetKernelArg(k2, 5, sizeof clip_f, &clip_f);
    if (rc != CL_SUCCESS)
        return CL_INVALID_KERNEL_ARGS;
    rc = clEnqueueNDRangeKernel(ss->queue, k1, 1, NULL, &global, &wg, 0, NULL, NULL);
    if (rc == CL_SUCCESS)
        rc = clEnqueueNDRangeKernel(ss->queue, k2, 1, NULL, &wg, &wg, 0, NULL, NULL);
    return rc;
}

/* Adam step `step` over every parameter, clipped by the scale grad_norm
 * left on the device; then the fused biases again.  Bias corrections in
 * fp64, as rb_adam_step. */
static cl_int update(gpu_session *ss, gpu_state *s, const rb_optim *o, long step)
{
    gpu_train *tr = s->train;
    const int n = (int)s->n_params;
    const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps,
                step_size = (float)(o->lr / (1.0 - pow(o->beta1, (double)step))),
                inv_bc2 = (float)(1.0 / sqrt(1.0 - pow(o->beta2, (double)step)));
    cl_kernel k = ss->kernel[GPU_K_ADAM];
    cl_uint a = 0;
    cl_int rc = clSetKernelArg(k, a++, sizeof s->params, &s->params);
    rc |= clSetKernelArg(k, a++, sizeof tr->grads, &tr->grads);
    rc |= clSetKernelArg(k, a++, sizeof tr->m, &tr->m);
    rc |= clSetKernelArg(k, a++, sizeof tr->v, &tr->v);
    rc |= clSetKernelArg(k, a++, sizeof n, &n);
    rc |= clSetKernelArg(k, a++, sizeof tr->norm, &tr->norm);
    rc |= clSetKernelArg(k, a++, sizeof b1, &b1);
    rc |= clSetKernelArg(k, a++, sizeof b2, &b2);
    rc |= clSetKernelArg(k, a++, sizeof eps, &eps);
    rc |= clSetKernelArg(k, a++, sizeof step_size, &step_size);
    rc |= clSetKernelArg(k, a++, sizeof inv_bc2, &inv_bc2);
    if (rc != CL_SUCCESS)
        return CL_INVALID_KERNEL_ARGS;
    rc = rb_gpu_launch(ss, GPU_K_ADAM, 1, cover(s->n_params), 1);
    const int GH = s->G * s->H, fused = rb_gpu_fused_rows(s);
    k = ss->kernel[GPU_K_BIAS_SUM];
    for (int l = 0; l < s->L && rc == CL_SUCCESS; l++) {
        const gpu_layer *ly = &s->layer[l];
        int bih = (int)ly->off[RB_P_B_IH], bhh = (int)ly->off[RB_P_B_HH];
        rc = clSetKernelArg(k, 0, sizeof s->params, &s->params);
        rc |= clSetKernelArg(k, 1, sizeof bih, &bih);
        rc |= clSetKernelArg(k, 2, sizeof bhh, &bhh);
        rc |= clSetKernelArg(k, 3, sizeof ly->bias, &ly->bias);
        rc |= clSetKernelArg(k, 4, sizeof GH, &GH);
        rc |= clSetKernelArg(k, 5, sizeof fused, &fused);
        rc = rc != CL_SUCCESS ? CL_INVALID_KERNEL_ARGS
                              : rb_gpu_launch(ss, GPU_K_BIAS_SUM, 1, cover((size_t)GH), 1);
    }
    return rc;
}

/* Zero-fill each of bufs[0..n) that exists, whole. */
static cl_int clear(gpu_session *ss, const cl_mem *bufs, size_t n)
{
    const float zero = 0;
    cl_int rc = CL_SUCCESS;
    for (size_t i = 0; i < n && rc == CL_SUCCESS; i++) {
        size_t bytes = 0;
        if (!bufs[i])
            continue;
        rc = clGetMemObjectInfo(bufs[i], CL_MEM_SIZE, sizeof bytes, &bytes, NULL);
        if (rc == CL_SUCCESS)
            rc = clEnqueueFillBuffer(ss->queue, bufs[i], &zero, sizeof zero, 0, bytes, 0, NULL,
                                     NULL);
    }
    return rc;
}

static void release(cl_event *ev, int n)
{
    for (int i = 0; i < n; i++)
        if (ev[i])
            clReleaseEvent(ev[i]);
}

int rb_gpu_train_step(rb_target *t, const rb_batch *in, rb_train_io *io, rb_sample *smp, rb_err *e)
{
    gpu_session *ss = t->session;
    gpu_state *s = t->priv;
    gpu_train *tr = s ? s->train : NULL;
    if (!tr)
        return rb_errf(e, RB_ERUNTIME, "gpu: train_step without training state");
    /* CLBlast's products read their output even with beta = 0, so a NaN left
     * there by a failed step would poison every later step: the failed one
     * cleared the step's own buffers, and its gradients (which params still
     * reports) go here. */
    int ret = 0;
    if (tr->failed) {
        cl_int rc = clear(ss, &tr->grads, 1);
        if (rc != CL_SUCCESS)
            ret = rb_gpu_cl_fail(e, "clearing the gradients of the failed step", rc);
        tr->failed = 0;
    }
    /* fwd_first, fwd_last (y read), bwd_first (dy write), bwd_last (norm read) */
    cl_event ev[4] = {NULL, NULL, NULL, NULL};
    float norm[2] = {0, 0};
    if (!ret)
        ret = forward(ss, s, in, &ev[0], &ev[1], e);
    if (!ret && (ret = io->loss(io->ctx, tr->y, tr->dy, &io->loss_value, e)) != 0)
        rb_err_prefix(e, "gpu: loss: "); /* the loss's own code, whatever e holds */
    if (!ret)
        ret = backward(ss, s, in, io, &ev[2], e);
    cl_int rc = CL_SUCCESS;
    if (!ret && (rc = grad_norm(ss, s, &io->opt)) != CL_SUCCESS)
        ret = rb_gpu_cl_fail(e, "gradient norm kernels", rc);
    /* the update is queued before the norm comes back: the kernel clips by
     * the norm it finds on the device and skips a non-finite one */
    if (!ret && (rc = update(ss, s, &io->opt, tr->step + 1)) != CL_SUCCESS)
        ret = rb_gpu_cl_fail(e, "Adam and bias kernels", rc);
    if (!ret && (rc = clEnqueueReadBuffer(ss->queue, tr->norm, CL_FALSE, 0, sizeof norm[0], norm, 0,
                                          NULL, &ev[3])) != CL_SUCCESS)
        ret = rb_gpu_cl_fail(e, "reading the gradient norm", rc);
    /* one wait for the norm, dL/dx and the update; on failure it leaves
     * nothing in flight */
    rc = clFinish(ss->queue);
    if (!ret && rc != CL_SUCCESS)
        ret = rb_gpu_cl_fail(e, "training step", rc);
    if (!ret) {
        io->grad_norm = norm[0];
        if (!isfinite(io->grad_norm))
            ret = rb_errf(e, RB_ERUNTIME,
                          "gpu: training diverged: the gradient norm is %g at step %ld (loss %g); "
                          "lower the learning rate",
                          io->grad_norm, tr->step + 1, io->loss_value);
    }
    if (!ret) {
        tr->step++;
        /* the device's time without the host's loss between the two halves */
        double fwd = rb_gpu_span_s(ev[0], ev[1]), bwd = rb_gpu_span_s(ev[2], ev[3]);
        if (fwd >= 0 && bwd >= 0)
            rb_sample_metric(smp, "device_ms", (fwd + bwd) * 1e3, "ms", RB_SRC_MEASURED);
        rb_sample_metric(smp, "loss", io->loss_value, "", RB_SRC_MEASURED);
        rb_sample_metric(smp, "grad_norm", io->grad_norm, "", RB_SRC_MEASURED);
    }
    if (ret) {
        /* the buffers products write, so a NaN cannot outlive this step */
        cl_mem bufs[] = {s->rec, s->gates, tr->dY[0], tr->dY[1], tr->dx, tr->dh};
        clear(ss, bufs, sizeof bufs / sizeof bufs[0]);
        clFinish(ss->queue);
        tr->failed = 1;
    }
    release(ev, 4);
    return ret;
}

int rb_gpu_params(rb_target *t, float *weights, float *grads, rb_err *e)
{
    gpu_session *ss = t->session;
    gpu_state *s = t->priv;
    if (!s || !s->train)
        return rb_errf(e, RB_ERUNTIME, "gpu: params without training state");
    const size_t bytes = s->n_params * sizeof(float);
    cl_int rc = CL_SUCCESS;
    if (weights)
        rc = clEnqueueReadBuffer(ss->queue, s->params, CL_FALSE, 0, bytes, weights, 0, NULL, NULL);
    if (grads && rc == CL_SUCCESS)
        rc = clEnqueueReadBuffer(ss->queue, s->train->grads, CL_FALSE, 0, bytes, grads, 0, NULL,
                                 NULL);
    cl_int fin = clFinish(ss->queue);
    rc = rc != CL_SUCCESS ? rc : fin;
    return rc == CL_SUCCESS ? 0 : rb_gpu_cl_fail(e, "reading the parameters", rc);
}
#endif
