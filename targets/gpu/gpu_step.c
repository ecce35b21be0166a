/* gpu_step.c — one unit of the stack over all T steps on an OpenCL device:
 * the input projection of every step in one CLBlast GEMM, then per step the
 * recurrent product (GEMV for B = 1, GEMM otherwise) and one fused cell
 * kernel (kernels.cl).  Inference and the training forward share it; the
 * latter keeps what BPTT needs (gpu_record). */
#ifdef RB_HAVE_OPENCL
#include <clblast_c.h>

#include "gpu.h"

cl_int rb_gpu_launch(gpu_session *ss, gpu_kernel k, cl_uint dims, size_t g0, size_t g1)
{
    size_t global[2] = {g0, g1};
    return clEnqueueNDRangeKernel(ss->queue, ss->kernel[k], dims, NULL, global, NULL, 0, NULL,
                                  NULL);
}

/* rec[B, G*H] = h[B, H] x W_hh^T, with h at element offset h_off of hbuf. */
static CLBlastStatusCode recurrent(gpu_session *ss, gpu_state *s, const gpu_layer *ly, cl_mem hbuf,
                                   size_t h_off)
{
    const size_t H = (size_t)s->H, GH = (size_t)s->G * s->H, w = ly->off[RB_P_W_HH];
    if (s->B == 1)
        return CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, GH, H, 1.0f, s->params, w, H,
                            hbuf, h_off, 1, 0.0f, s->rec, 0, 1, &ss->queue, NULL);
    return CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes,
                        (size_t)s->B, GH, H, 1.0f, hbuf, h_off, H, s->params, w, H, 0.0f, s->rec, 0,
                        GH, &ss->queue, NULL);
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

/* The fused pass of step t for an imported model (kernels.cl's *_cell_ext):
 * h_t into the unit's state s->hs and to y_off of out, rows D*H apart. */
static cl_int cell_ext(gpu_session *ss, gpu_state *s, const gpu_layer *ly, int t, cl_mem pre,
                       int pre_off, cl_mem out, int y_off)
{
    const int lstm = s->cell == RB_CELL_LSTM, H = s->H, y_ld = s->D * s->H;
    cl_kernel k = ss->kernel[lstm ? GPU_K_LSTM_CELL_EXT : GPU_K_RNN_CELL_EXT];
    cl_uint a = 0;
    cl_int rc = clSetKernelArg(k, a++, sizeof pre, &pre);
    rc |= clSetKernelArg(k, a++, sizeof pre_off, &pre_off);
    rc |= clSetKernelArg(k, a++, sizeof s->rec, &s->rec);
    rc |= clSetKernelArg(k, a++, sizeof ly->bias, &ly->bias);
    if (lstm) {
        /* the peepholes are read where they lie in the flat weights */
        rc |= clSetKernelArg(k, a++, sizeof s->params, &s->params);
        rc |= clSetKernelArg(k, a++, sizeof ly->peep_off, &ly->peep_off);
    }
    rc |= clSetKernelArg(k, a++, sizeof s->clip, &s->clip);
    if (lstm) {
        rc |= clSetKernelArg(k, a++, sizeof s->coupled, &s->coupled);
        rc |= clSetKernelArg(k, a++, sizeof s->c, &s->c);
    }
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

int rb_gpu_run_layer(gpu_session *ss, gpu_state *s, int u, cl_mem in, size_t in_off, cl_mem out,
                     size_t out_off, const gpu_record *rec, rb_err *e)
{
    const gpu_layer *ly = &s->layer[u];
    const size_t H = (size_t)s->H, B = (size_t)s->B, GH = (size_t)s->G * H, TB = (size_t)s->T * B,
                 BH = B * H, row = (size_t)s->D * H;
    const int lstm = s->cell == RB_CELL_LSTM, ext = s->ext && !rec;
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
        CLBlastStatusCode st = ext      ? recurrent(ss, s, ly, s->hs, 0)
                               : k == 0 ? recurrent(ss, s, ly, s->h0, u * BH)
                                        : recurrent(ss, s, ly, out, out_off + prev * B * row);
        if (st != CLBlastSuccess)
            return rb_gpu_blast_fail(e, "recurrent product", st);
        const int pt = (int)(pre_off + (size_t)t * B * GH), yt = (int)(out_off + t * B * row);
        rc = ext ? cell_ext(ss, s, ly, t, pre, pt, out, yt)
                 : cell(ss, s, u, t, pre, pt, out, yt, lstm ? rec : NULL);
    }
    return rc == CL_SUCCESS ? 0 : rb_gpu_cl_fail(e, "cell kernel", rc);
}
#endif
