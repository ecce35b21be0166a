/* gpu_step.c — one unit of the stack over all T steps on an OpenCL device:
 * the input projection of every step in one CLBlast GEMM, then per step the
 * recurrent product (GEMV for B = 1, GEMM otherwise) and one fused cell
 * kernel (kernels.cl).  Inference and the training forward share it; the
 * latter keeps what BPTT needs (gpu_record).
 *
 * The GRU takes the same two launches per step: one product gives W_hh h
 * for its r, z and n rows, and its kernel keeps the n row's part apart from
 * the input projection, since r scales it.  Only reset_before (ONNX
 * linear_before_reset = 0) takes four: there W_hn multiplies r (.) h, and r
 * is known only once the r row's product of the same step is done, so the
 * product splits in two: the r and z rows, a kernel making r (.) h, the n
 * row on it (a third of the work), then the cell kernel. */
#ifdef RB_HAVE_OPENCL
#include <clblast_c.h>

#include "gpu.h"

cl_int rb_gpu_launch(gpu_session *ss, gpu_kernel k, cl_uint dims, size_t g0, size_t g1)
{
    size_t global[2] = {g0, g1};
    return clEnqueueNDRangeKernel(ss->queue, ss->kernel[k], dims, NULL, global, NULL, 0, NULL,
                                  NULL);
}

/* Columns [row0, row0 + rows) of rec[B, G*H] = h[B, H] x W_hh^T over those
 * rows of W_hh, with h at element offset h_off of hbuf. */
static CLBlastStatusCode recurrent(gpu_session *ss, gpu_state *s, const gpu_layer *ly, size_t row0,
                                   size_t rows, cl_mem hbuf, size_t h_off)
{
    const size_t H = (size_t)s->H, GH = (size_t)s->G * s->H, w = ly->off[RB_P_W_HH] + row0 * H;
    if (s->B == 1)
        return CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, rows, H, 1.0f, s->params, w,
                            H, hbuf, h_off, 1, 0.0f, s->rec, row0, 1, &ss->queue, NULL);
    return CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes,
                        (size_t)s->B, rows, H, 1.0f, hbuf, h_off, H, s->params, w, H, 0.0f, s->rec,
                        row0, GH, &ss->queue, NULL);
}

/* Where the GRU's b_hn lies in the flat weights. */
static int bhn_off(const gpu_state *s, const gpu_layer *ly)
{
    return (int)(ly->off[RB_P_B_HH] + 2 * (size_t)s->H);
}

/* The fused pass of step t of a plain unit: pre-activations at pre_off of
 * pre, h_t to h_off of out; with rec (a training LSTM) also the gates and
 * c_t of the step.  Training runs the plain stack only (target.h), so no
 * unit it sees is reversed and step 0 is the first. */
static cl_int cell(gpu_session *ss, gpu_state *s, int u, int t, cl_mem pre, int pre_off, cl_mem out,
                   int h_off, const gpu_record *rec)
{
    const gpu_layer *ly = &s->layer[u];
    const int lstm = s->cell == RB_CELL_LSTM, H = s->H, BH = s->B * s->H;
    cl_kernel k = ss->kernel[!lstm ? GPU_K_RNN_CELL
                             : rec ? GPU_K_LSTM_CELL_TRAIN
                                   : GPU_K_LSTM_CELL];
    cl_uint a = 0;
    cl_int rc = clSetKernelArg(k, a++, sizeof pre, &pre);
    rc |= clSetKernelArg(k, a++, sizeof pre_off, &pre_off);
    rc |= clSetKernelArg(k, a++, sizeof s->rec, &s->rec);
    rc |= clSetKernelArg(k, a++, sizeof ly->bias, &ly->bias);
    if (lstm && rec) {
        /* c_{t-1}: this layer's c0 at step 0, else the stored c of step t-1 */
        int c0_off = u * BH, first = t == 0, c_off = (int)rec->cs_off + t * BH,
            cp_off = first ? 0 : c_off - BH, act_off = (int)rec->act_off + t * s->G * BH;
        rc |= clSetKernelArg(k, a++, sizeof s->c0, &s->c0);
        rc |= clSetKernelArg(k, a++, sizeof c0_off, &c0_off);
        rc |= clSetKernelArg(k, a++, sizeof first, &first);
        rc |= clSetKernelArg(k, a++, sizeof rec->cs, &rec->cs);
        rc |= clSetKernelArg(k, a++, sizeof cp_off, &cp_off);
        rc |= clSetKernelArg(k, a++, sizeof c_off, &c_off);
        rc |= clSetKernelArg(k, a++, sizeof out, &out);
        rc |= clSetKernelArg(k, a++, sizeof h_off, &h_off);
        rc |= clSetKernelArg(k, a++, sizeof rec->act, &rec->act);
        rc |= clSetKernelArg(k, a++, sizeof act_off, &act_off);
    } else {
        if (lstm)
            rc |= clSetKernelArg(k, a++, sizeof s->c, &s->c);
        rc |= clSetKernelArg(k, a++, sizeof out, &out);
        rc |= clSetKernelArg(k, a++, sizeof h_off, &h_off);
    }
    rc |= clSetKernelArg(k, a++, sizeof H, &H);
    if (rc != CL_SUCCESS)
        return CL_INVALID_KERNEL_ARGS;
    size_t global[2] = {(size_t)s->H, (size_t)s->B};
    return clEnqueueNDRangeKernel(ss->queue, k, 2, NULL, global, NULL, 0, NULL, NULL);
}

/* The fused pass of step t of a plain GRU unit: h_{t-1} at hp_off of hp,
 * h_t to h_off of out; with rec (training) also r, z, n and W_hn h_{t-1} +
 * b_hn of the step. */
static cl_int gru_cell(gpu_session *ss, gpu_state *s, const gpu_layer *ly, int t, cl_mem pre,
                       int pre_off, cl_mem hp, int hp_off, cl_mem out, int h_off,
                       const gpu_record *rec)
{
    const int H = s->H, BH = s->B * s->H, bhn = bhn_off(s, ly);
    const gpu_kernel id = rec ? GPU_K_GRU_CELL_TRAIN : GPU_K_GRU_CELL;
    cl_kernel k = ss->kernel[id];
    cl_uint a = 0;
    cl_int rc = clSetKernelArg(k, a++, sizeof pre, &pre);
    rc |= clSetKernelArg(k, a++, sizeof pre_off, &pre_off);
    rc |= clSetKernelArg(k, a++, sizeof s->rec, &s->rec);
    rc |= clSetKernelArg(k, a++, sizeof ly->bias, &ly->bias);
    rc |= clSetKernelArg(k, a++, sizeof s->params, &s->params);
    rc |= clSetKernelArg(k, a++, sizeof bhn, &bhn);
    rc |= clSetKernelArg(k, a++, sizeof hp, &hp);
    rc |= clSetKernelArg(k, a++, sizeof hp_off, &hp_off);
    rc |= clSetKernelArg(k, a++, sizeof out, &out);
    rc |= clSetKernelArg(k, a++, sizeof h_off, &h_off);
    if (rec) {
        int act_off = (int)rec->act_off + t * s->G * BH, g_off = (int)rec->cs_off + t * BH;
        rc |= clSetKernelArg(k, a++, sizeof rec->act, &rec->act);
        rc |= clSetKernelArg(k, a++, sizeof act_off, &act_off);
        rc |= clSetKernelArg(k, a++, sizeof rec->cs, &rec->cs);
        rc |= clSetKernelArg(k, a++, sizeof g_off, &g_off);
    }
    rc |= clSetKernelArg(k, a++, sizeof H, &H);
    if (rc != CL_SUCCESS)
        return CL_INVALID_KERNEL_ARGS;
    return rb_gpu_launch(ss, id, 2, (size_t)H, (size_t)s->B);
}

/* The fused pass of step t for an imported model (kernels.cl's *_cell_ext):
 * h_t into the unit's state s->hs and to y_off of out, rows D*H apart. */
static cl_int cell_ext(gpu_session *ss, gpu_state *s, const gpu_layer *ly, int t, cl_mem pre,
                       int pre_off, cl_mem out, int y_off)
{
    const int lstm = s->cell == RB_CELL_LSTM, gru = s->cell == RB_CELL_GRU, H = s->H,
              y_ld = s->D * s->H;
    cl_kernel k = ss->kernel[lstm  ? GPU_K_LSTM_CELL_EXT
                             : gru ? GPU_K_GRU_CELL_EXT
                                   : GPU_K_RNN_CELL_EXT];
    cl_uint a = 0;
    cl_int rc = clSetKernelArg(k, a++, sizeof pre, &pre);
    rc |= clSetKernelArg(k, a++, sizeof pre_off, &pre_off);
    rc |= clSetKernelArg(k, a++, sizeof s->rec, &s->rec);
    rc |= clSetKernelArg(k, a++, sizeof ly->bias, &ly->bias);
    if (lstm || gru) {
        /* the peepholes, or the GRU's b_hn, are read where they lie in the flat weights */
        const int off = lstm ? ly->peep_off : bhn_off(s, ly);
        rc |= clSetKernelArg(k, a++, sizeof s->params, &s->params);
        rc |= clSetKernelArg(k, a++, sizeof off, &off);
    }
    rc |= clSetKernelArg(k, a++, sizeof s->clip, &s->clip);
    if (lstm) {
        rc |= clSetKernelArg(k, a++, sizeof s->coupled, &s->coupled);
        rc |= clSetKernelArg(k, a++, sizeof s->c, &s->c);
    }
    if (gru)
        rc |= clSetKernelArg(k, a++, sizeof s->reset_before, &s->reset_before);
    rc |= clSetKernelArg(k, a++, sizeof s->lens, &s->lens);
    rc |= clSetKernelArg(k, a++, sizeof s->lens_on, &s->lens_on);
    rc |= clSetKernelArg(k, a++, sizeof t, &t);
    rc |= clSetKernelArg(k, a++, sizeof s->hs, &s->hs);
    rc |= clSetKernelArg(k, a++, sizeof out, &out);
    rc |= clSetKernelArg(k, a++, sizeof y_off, &y_off);
    rc |= clSetKernelArg(k, a++, sizeof y_ld, &y_ld);
    rc |= clSetKernelArg(k, a++, sizeof H, &H);
    if (rc != CL_SUCCESS)
        return CL_INVALID_KERNEL_ARGS;
    size_t global[2] = {(size_t)s->H, (size_t)s->B};
    return clEnqueueNDRangeKernel(ss->queue, k, 2, NULL, global, NULL, 0, NULL, NULL);
}

/* reset_before, between the r and z rows' product and the cell kernel of a
 * step: r (.) h_{t-1} into s->rh, then the n row's product on it.  W_hn
 * multiplies r (.) h_{t-1}, and r needs this step's W_hr h_{t-1}, so the n
 * row cannot join the r and z rows' product: it is a second one, over H
 * rows of W_hh instead of 3H, once r is known. */
static int gru_reset(gpu_session *ss, gpu_state *s, const gpu_layer *ly, cl_mem pre, int pre_off,
                     rb_err *e)
{
    cl_kernel k = ss->kernel[GPU_K_GRU_RESET];
    const int H = s->H;
    cl_uint a = 0;
    cl_int rc = clSetKernelArg(k, a++, sizeof pre, &pre);
    rc |= clSetKernelArg(k, a++, sizeof pre_off, &pre_off);
    rc |= clSetKernelArg(k, a++, sizeof s->rec, &s->rec);
    rc |= clSetKernelArg(k, a++, sizeof ly->bias, &ly->bias);
    rc |= clSetKernelArg(k, a++, sizeof s->clip, &s->clip);
    rc |= clSetKernelArg(k, a++, sizeof s->hs, &s->hs);
    rc |= clSetKernelArg(k, a++, sizeof s->rh, &s->rh);
    rc |= clSetKernelArg(k, a++, sizeof H, &H);
    rc = rc != CL_SUCCESS ? CL_INVALID_KERNEL_ARGS
                          : rb_gpu_launch(ss, GPU_K_GRU_RESET, 2, (size_t)H, (size_t)s->B);
    if (rc != CL_SUCCESS)
        return rb_gpu_cl_fail(e, "gru_reset kernel", rc);
    CLBlastStatusCode st = recurrent(ss, s, ly, 2 * (size_t)H, (size_t)H, s->rh, 0);
    return st == CLBlastSuccess ? 0 : rb_gpu_blast_fail(e, "the n row's recurrent product", st);
}

int rb_gpu_run_layer(gpu_session *ss, gpu_state *s, int u, cl_mem in, size_t in_off, cl_mem out,
                     size_t out_off, const gpu_record *rec, rb_err *e)
{
    const gpu_layer *ly = &s->layer[u];
    const size_t H = (size_t)s->H, B = (size_t)s->B, GH = (size_t)s->G * H, TB = (size_t)s->T * B,
                 BH = B * H, row = (size_t)s->D * H;
    const int lstm = s->cell == RB_CELL_LSTM, gru = s->cell == RB_CELL_GRU, ext = s->ext && !rec;
    /* reset_before comes with ext (it is a feature), and training takes no feature */
    const size_t rows = s->reset_before ? 2 * H : GH;
    cl_mem pre = in;
    size_t pre_off = in_off;
    if (ly->in) {
        CLBlastStatusCode st = CLBlastSgemm(
            CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, TB, GH, (size_t)ly->in,
            1.0f, in, in_off, (size_t)ly->in, s->params, ly->off[RB_P_W_IH], (size_t)ly->in, 0.0f,
            s->gates, 0, GH, &ss->queue, NULL);
        if (st != CLBlastSuccess)
            return rb_gpu_blast_fail(e, "input projection", st);
        pre = s->gates;
        pre_off = 0;
    }
    cl_int rc = CL_SUCCESS;
    if (lstm && !rec) /* inference updates one cell state in place */
        rc = clEnqueueCopyBuffer(ss->queue, s->c0, s->c, u * BH * sizeof(float), 0,
                                 BH * sizeof(float), 0, NULL, NULL);
    /* The ext kernels keep h in a state of its own: a row past its length
     * outputs zeros, so the output cannot be the next step's h. */
    if (ext && rc == CL_SUCCESS)
        rc = clEnqueueCopyBuffer(ss->queue, s->h0, s->hs, u * BH * sizeof(float), 0,
                                 BH * sizeof(float), 0, NULL, NULL);
    for (int k = 0; k < s->T && rc == CL_SUCCESS; k++) {
        const int t = ly->reverse ? s->T - 1 - k : k, prev = ly->reverse ? t + 1 : t - 1;
        /* the previous h: the ext kernels' own state; else the unit's initial
         * state, then its output of the step before (t + 1 when reversed) */
        const cl_mem hp = ext ? s->hs : k == 0 ? s->h0 : out;
        const size_t hp_off = ext ? 0 : k == 0 ? u * BH : out_off + prev * B * row;
        CLBlastStatusCode st = recurrent(ss, s, ly, 0, rows, hp, hp_off);
        if (st != CLBlastSuccess)
            return rb_gpu_blast_fail(e, "recurrent product", st);
        const int pt = (int)(pre_off + (size_t)t * B * GH), yt = (int)(out_off + t * B * row);
        int ret = s->reset_before ? gru_reset(ss, s, ly, pre, pt, e) : 0;
        if (ret)
            return ret;
        rc = ext   ? cell_ext(ss, s, ly, t, pre, pt, out, yt)
             : gru ? gru_cell(ss, s, ly, t, pre, pt, hp, (int)hp_off, out, yt, rec)
                   : cell(ss, s, u, t, pre, pt, out, yt, lstm ? rec : NULL);
    }
    return rc == CL_SUCCESS ? 0 : rb_gpu_cl_fail(e, "cell kernel", rc);
}
#endif
