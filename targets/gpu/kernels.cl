/* kernels.cl — the gpu target's own OpenCL C kernels (OpenCL C 1.2).
 *
 * The GEMMs are CLBlast's; these are what surrounds them: the fused gate
 * nonlinearities and state update of one timestep (with a variant for
 * imported models' peepholes, clip, coupling and row lengths), their
 * backward for BPTT, and the training step's gradient norm, Adam update and
 * bias sum.  (The peak-rate probe is in probe.cl, so a broken kernels.cl
 * fails results, not the probe.)  Built without -cl-fast-relaxed-math: exp
 * and tanh keep their OpenCL-specified accuracy (a few ulp), which the fp32
 * bound against the reference needs.
 *
 * Layout matches the host: gate pre-activations are [B, G*H] per step with
 * PyTorch's gate order (i, f, g, o for the LSTM, r, z, n for the GRU); h, c
 * are [B, H]. */

#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable /* for the clip scale only */
#endif

static float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

/* One LSTM step for all (unit j, batch row b):
 *   a = pre[t] + rec + bias;  c' = f*c + i*g;  h' = o*tanh(c')
 * pre_off is the element offset of step t in the projected inputs (or in x
 * when the layer has no input projection); h_off that of step t in the
 * layer's output sequence, which doubles as the next step's h. */
__kernel void lstm_cell(__global const float *pre, const int pre_off, __global const float *rec,
                        __global const float *bias, __global float *c, __global float *h,
                        const int h_off, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    const int G4 = 4 * H;
    __global const float *p = pre + pre_off + b * G4;
    __global const float *r = rec + b * G4;
    const float ig = sigmoid(p[j] + r[j] + bias[j]);
    const float fg = sigmoid(p[H + j] + r[H + j] + bias[H + j]);
    const float gg = tanh(p[2 * H + j] + r[2 * H + j] + bias[2 * H + j]);
    const float og = sigmoid(p[3 * H + j] + r[3 * H + j] + bias[3 * H + j]);
    const float cn = fg * c[b * H + j] + ig * gg;
    c[b * H + j] = cn;
    h[h_off + b * H + j] = og * tanh(cn);
}

/* One tanh-RNN step: h' = tanh(pre[t] + rec + bias). */
__kernel void rnn_cell(__global const float *pre, const int pre_off, __global const float *rec,
                       __global const float *bias, __global float *h, const int h_off, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    h[h_off + b * H + j] = tanh(pre[pre_off + b * H + j] + rec[b * H + j] + bias[j]);
}

/* ONNX's clip: bounds a pre-activation to [-k, k] when k > 0.  Written so
 * that a NaN passes (both tests fail) and reaches the comparison with the
 * reference, where fmin/fmax would turn it into a number. */
static float clip_pre(const float v, const float k)
{
    return k > 0.0f ? (v > k ? k : v < -k ? -k : v) : v;
}

/* lstm_cell for what imported models add (model.h), kept apart so that the
 * plain kernel's arithmetic stays as it is.  Peepholes at peep + peep_off
 * [3H] (i, f, o; none when peep_off < 0) see c_{t-1} for i and f and the new
 * c_t for o; every pre-activation is clipped when clip > 0; f = 1 - i when
 * coupled.  h_t goes both to the unit's state hs [B, H], which the next
 * step's product reads, and to its columns of the layer output, rows y_ld
 * apart (2H in a bidirectional layer).  With lens_on, a row at or past its
 * length outputs zeros and keeps its h and c. */
__kernel void lstm_cell_ext(__global const float *pre, const int pre_off, __global const float *rec,
                            __global const float *bias, __global const float *peep,
                            const int peep_off, const float clip, const int coupled,
                            __global float *c, __global const int *lens, const int lens_on,
                            const int t, __global float *hs, __global float *y, const int y_off,
                            const int y_ld, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    __global float *yb = y + y_off + b * y_ld;
    if (lens_on && t >= lens[b]) {
        yb[j] = 0.0f;
        return;
    }
    const int G4 = 4 * H, u = b * H + j;
    __global const float *p = pre + pre_off + b * G4;
    __global const float *r = rec + b * G4;
    const float cp = c[u];
    float ai = p[j] + r[j] + bias[j];
    float af = p[H + j] + r[H + j] + bias[H + j];
    const float ag = p[2 * H + j] + r[2 * H + j] + bias[2 * H + j];
    float ao = p[3 * H + j] + r[3 * H + j] + bias[3 * H + j];
    if (peep_off >= 0) {
        ai += peep[peep_off + j] * cp;
        af += peep[peep_off + H + j] * cp;
    }
    const float ig = sigmoid(clip_pre(ai, clip));
    const float fg = coupled ? 1.0f - ig : sigmoid(clip_pre(af, clip));
    const float gg = tanh(clip_pre(ag, clip));
    const float cn = fg * cp + ig * gg;
    c[u] = cn;
    if (peep_off >= 0)
        ao += peep[peep_off + 2 * H + j] * cn;
    const float hn = sigmoid(clip_pre(ao, clip)) * tanh(cn);
    hs[u] = hn;
    yb[j] = hn;
}

/* rnn_cell for imported models: the pre-activation clipped when clip > 0,
 * h_t into the state hs and the layer output as lstm_cell_ext, and rows
 * past their length likewise held. */
__kernel void rnn_cell_ext(__global const float *pre, const int pre_off, __global const float *rec,
                           __global const float *bias, const float clip, __global const int *lens,
                           const int lens_on, const int t, __global float *hs, __global float *y,
                           const int y_off, const int y_ld, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    __global float *yb = y + y_off + b * y_ld;
    if (lens_on && t >= lens[b]) {
        yb[j] = 0.0f;
        return;
    }
    const int u = b * H + j;
    const float hn = tanh(clip_pre(pre[pre_off + u] + rec[u] + bias[j], clip));
    hs[u] = hn;
    yb[j] = hn;
}

/* The GRU (model.h), gate rows r, z, n as PyTorch's nn.GRU.  The n row's
 * recurrent part W_hn h + b_hn stays apart from its input part W_in x + b_in
 * because r scales it: rec holds W_hh h for all three rows, the fused bias
 * b_ih + b_hh for r and z but only b_in for n, and b_hn is read where it
 * lies in the flat weights (bhn + bhn_off).  gru_gates is the step of one
 * (b, j), with p and q its rows of the input and recurrent parts: it
 * returns h' and leaves r, z, n in a[0..2] and W_hn h + b_hn in *ghn, which
 * BPTT needs. */
static float gru_gates(__global const float *p, __global const float *q, __global const float *bias,
                       const float bhn, const int j, const int H, const float clip, const float hp,
                       float *a, float *ghn)
{
    const float r = sigmoid(clip_pre(p[j] + q[j] + bias[j], clip));
    const float z = sigmoid(clip_pre(p[H + j] + q[H + j] + bias[H + j], clip));
    const float g = q[2 * H + j] + bhn;
    const float n = tanh(clip_pre(p[2 * H + j] + bias[2 * H + j] + r * g, clip));
    a[0] = r;
    a[1] = z;
    a[2] = n;
    *ghn = g;
    return (1.0f - z) * n + z * hp;
}

/* One GRU step of a plain unit: h_{t-1} at hp + hp_off (the unit's h0, or
 * its output of the step before), h_t to h + h_off. */
__kernel void gru_cell(__global const float *pre, const int pre_off, __global const float *rec,
                       __global const float *bias, __global const float *bhn, const int bhn_off,
                       __global const float *hp, const int hp_off, __global float *h,
                       const int h_off, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    const int G3 = 3 * H, u = b * H + j;
    float a[3], g;
    h[h_off + u] = gru_gates(pre + pre_off + b * G3, rec + b * G3, bias, bhn[bhn_off + j], j, H,
                             0.0f, hp[hp_off + u], a, &g);
}

/* gru_cell for imported models, as lstm_cell_ext: clip, rows past their
 * length held, h in the state hs and in the layer output, rows y_ld apart.
 * With reset_before (ONNX linear_before_reset = 0) gru_reset has already
 * applied r, so rec's n row holds W_hn (r (.) h_{t-1}) and r is not needed
 * again. */
__kernel void gru_cell_ext(__global const float *pre, const int pre_off, __global const float *rec,
                           __global const float *bias, __global const float *bhn, const int bhn_off,
                           const float clip, const int reset_before, __global const int *lens,
                           const int lens_on, const int t, __global float *hs, __global float *y,
                           const int y_off, const int y_ld, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    __global float *yb = y + y_off + b * y_ld;
    if (lens_on && t >= lens[b]) {
        yb[j] = 0.0f;
        return;
    }
    const int G3 = 3 * H, u = b * H + j;
    __global const float *p = pre + pre_off + b * G3;
    __global const float *q = rec + b * G3;
    const float hp = hs[u];
    float hn, a[3], g;
    if (reset_before) {
        const float z = sigmoid(clip_pre(p[H + j] + q[H + j] + bias[H + j], clip));
        const float n =
            tanh(clip_pre(p[2 * H + j] + bias[2 * H + j] + q[2 * H + j] + bhn[bhn_off + j], clip));
        hn = (1.0f - z) * n + z * hp;
    } else {
        hn = gru_gates(p, q, bias, bhn[bhn_off + j], j, H, clip, hp, a, &g);
    }
    hs[u] = hn;
    yb[j] = hn;
}

/* reset_before's first pass of a step: r from the r row (rec's r and z rows
 * hold W_hh h_{t-1}), and rh = r (.) h_{t-1}, the vector the n row's own
 * product then multiplies by W_hn. */
__kernel void gru_reset(__global const float *pre, const int pre_off, __global const float *rec,
                        __global const float *bias, const float clip, __global const float *hs,
                        __global float *rh, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    const int G3 = 3 * H, u = b * H + j;
    const float r = sigmoid(clip_pre(pre[pre_off + b * G3 + j] + rec[b * G3 + j] + bias[j], clip));
    rh[u] = r * hs[u];
}

/* A training step of the GRU: gru_cell keeping r, z, n at act + act_off
 * ([B, 3H] like pre) and W_hn h_{t-1} + b_hn at ghn + g_off ([B, H]). */
__kernel void gru_cell_train(__global const float *pre, const int pre_off,
                             __global const float *rec, __global const float *bias,
                             __global const float *bhn, const int bhn_off, __global const float *hp,
                             const int hp_off, __global float *h, const int h_off,
                             __global float *act, const int act_off, __global float *ghn,
                             const int g_off, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    const int G3 = 3 * H, u = b * H + j;
    float a[3], g;
    h[h_off + u] = gru_gates(pre + pre_off + b * G3, rec + b * G3, bias, bhn[bhn_off + j], j, H,
                             0.0f, hp[hp_off + u], a, &g);
    __global float *k = act + act_off + b * G3;
    k[j] = a[0];
    k[H + j] = a[1];
    k[2 * H + j] = a[2];
    ghn[g_off + u] = g;
}

/* A training step of the LSTM: as lstm_cell, but c_{t-1} is read from the
 * stored sequence (or from c0 at step 0, prev_in_c0 != 0) and the activated
 * gates and c_t are kept for BPTT, as the cpu target's rb_cpu_lstm_cell with
 * act does.  c0 + c0_off and cs + cp_off are [B, H]; act + act_off is
 * [B, G*H] like pre; cs + c_off and h + h_off receive step t's c and h. */
__kernel void lstm_cell_train(__global const float *pre, const int pre_off,
                              __global const float *rec, __global const float *bias,
                              __global const float *c0, const int c0_off, const int prev_in_c0,
                              __global float *cs, const int cp_off, const int c_off,
                              __global float *h, const int h_off, __global float *act,
                              const int act_off, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    const int G4 = 4 * H, u = b * H + j;
    __global const float *p = pre + pre_off + b * G4;
    __global const float *r = rec + b * G4;
    __global float *a = act + act_off + b * G4;
    const float ig = sigmoid(p[j] + r[j] + bias[j]);
    const float fg = sigmoid(p[H + j] + r[H + j] + bias[H + j]);
    const float gg = tanh(p[2 * H + j] + r[2 * H + j] + bias[2 * H + j]);
    const float og = sigmoid(p[3 * H + j] + r[3 * H + j] + bias[3 * H + j]);
    a[j] = ig;
    a[H + j] = fg;
    a[2 * H + j] = gg;
    a[3 * H + j] = og;
    const float cp = prev_in_c0 ? c0[c0_off + u] : cs[cp_off + u];
    const float cn = fg * cp + ig * gg;
    cs[c_off + u] = cn;
    h[h_off + u] = og * tanh(cn);
}

/* BPTT through one LSTM step (the cpu target's rb_cpu_lstm_bwd): dh = dy_t +
 * dh_next is the gradient reaching h_t; dc holds the one reaching c_t from
 * step t+1 and is replaced by the one reaching c_{t-1}; dA + dA_off [B, G*H]
 * receives the gradient at the gate pre-activations.  act, c_t (cs + c_off)
 * and c_{t-1} (cs + cp_off, or c0 + c0_off at step 0) are what the forward
 * stored. */
__kernel void lstm_bwd(__global const float *dy, const int dy_off, __global const float *dh_next,
                       __global const float *act, const int act_off, __global const float *c0,
                       const int c0_off, const int prev_in_c0, __global const float *cs,
                       const int cp_off, const int c_off, __global float *dc, __global float *dA,
                       const int dA_off, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    const int G4 = 4 * H, u = b * H + j;
    __global const float *a = act + act_off + b * G4;
    __global float *d = dA + dA_off + b * G4;
    const float ig = a[j], fg = a[H + j], gg = a[2 * H + j], og = a[3 * H + j];
    const float dh = dy[dy_off + u] + dh_next[u];
    const float tc = tanh(cs[c_off + u]);
    const float cp = prev_in_c0 ? c0[c0_off + u] : cs[cp_off + u];
    const float dct = dc[u] + dh * og * (1.0f - tc * tc);
    d[j] = dct * gg * ig * (1.0f - ig);
    d[H + j] = dct * cp * fg * (1.0f - fg);
    d[2 * H + j] = dct * ig * (1.0f - gg * gg);
    d[3 * H + j] = dh * tc * og * (1.0f - og);
    dc[u] = dct * fg;
}

/* BPTT through one tanh-RNN step: dA = (dy_t + dh_next) * (1 - h_t^2). */
__kernel void rnn_bwd(__global const float *dy, const int dy_off, __global const float *dh_next,
                      __global const float *h, const int h_off, __global float *dA,
                      const int dA_off, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    const int u = b * H + j;
    const float hv = h[h_off + u];
    dA[dA_off + u] = (dy[dy_off + u] + dh_next[u]) * (1.0f - hv * hv);
}

/* BPTT through one GRU step (reference_bwd.c's gru_backward): dh = dy_t +
 * dh_next reaches h_t.  dA + dA_off [B, 3H] receives the gradient at the
 * input side's pre-activations (r, z, n), dAh + dA_off at the recurrent
 * side's, whose n row is scaled by r; dh_next becomes z (.) dh, the part
 * reaching h_{t-1} directly, to which the host then adds dAh W_hh.  act
 * and ghn are what gru_cell_train kept; h_{t-1} is hs + hp_off, or h0 +
 * h0_off at step 0. */
__kernel void gru_bwd(__global const float *dy, const int dy_off, __global float *dh_next,
                      __global const float *act, const int act_off, __global const float *ghn,
                      const int g_off, __global const float *h0, const int h0_off,
                      const int prev_in_h0, __global const float *hs, const int hp_off,
                      __global float *dAh, __global float *dA, const int dA_off, const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    const int G3 = 3 * H, u = b * H + j;
    __global const float *a = act + act_off + b * G3;
    __global float *d = dA + dA_off + b * G3;
    __global float *dr = dAh + dA_off + b * G3;
    const float r = a[j], z = a[H + j], n = a[2 * H + j];
    const float dh = dy[dy_off + u] + dh_next[u];
    const float hp = prev_in_h0 ? h0[h0_off + u] : hs[hp_off + u];
    const float dn = dh * (1.0f - z) * (1.0f - n * n);
    const float da_r = dn * ghn[g_off + u] * r * (1.0f - r);
    const float da_z = dh * (hp - n) * z * (1.0f - z);
    d[j] = dr[j] = da_r;
    d[H + j] = dr[H + j] = da_z;
    d[2 * H + j] = dn;
    dr[2 * H + j] = dn * r;
    dh_next[u] = dh * z;
}

/* Tree sum of scratch[0..local size) into scratch[0]; the size is a power of two. */
static void local_sum(__local float *scratch)
{
    const int lid = get_local_id(0);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = get_local_size(0) / 2; k > 0; k >>= 1) {
        if (lid < k)
            scratch[lid] += scratch[lid + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/* The gradient norm, first pass: work-group w writes partial[w], the sum of
 * g[i]^2 over its work-items' strided elements.  Each work-item sums with
 * Kahan's compensation so a long stride loop keeps fp32 close to the fp64
 * norm the cpu target computes. */
__kernel void sumsq_partial(__global const float *g, const int n, __global float *partial,
                            __local float *scratch)
{
    float s = 0.0f, comp = 0.0f;
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        const float y = g[i] * g[i] - comp;
        const float t = s + y;
        comp = (t - s) - y;
        s = t;
    }
    scratch[get_local_id(0)] = s;
    local_sum(scratch);
    if (get_local_id(0) == 0)
        partial[get_group_id(0)] = scratch[0];
}

/* The factor clipping multiplies the gradients by, rb_clip_scale's rule:
 * clip / (norm + 1e-6) when below 1, else 1; none when clip <= 0.  Where the
 * device has fp64 it is computed exactly as the host does, from the bits of
 * the host's double clip; elsewhere in fp32 (within an ulp or two). */
static float clip_scale(const float norm, const ulong clip_bits, const float clip_f)
{
#ifdef cl_khr_fp64
    const double clip = as_double(clip_bits);
    if (!(clip > 0.0))
        return 1.0f;
    const double c = clip / ((double)norm + 1e-6);
    return c < 1.0 ? (float)c : 1.0f;
#else
    (void)clip_bits;
    if (!(clip_f > 0.0f))
        return 1.0f;
    const float c = clip_f / (norm + 1e-6f);
    return c < 1.0f ? c : 1.0f;
#endif
}

/* Second pass, one work-group: out[0] = sqrt(sum of partial[0..n)), the
 * gradient norm, and out[1] the clip scale for it. */
__kernel void grad_norm(__global const float *partial, const int n, __global float *out,
                        __local float *scratch, const ulong clip_bits, const float clip_f)
{
#pragma OPENCL FP_CONTRACT OFF
    float s = 0.0f;
    for (int i = get_local_id(0); i < n; i += get_local_size(0))
        s += partial[i];
    scratch[get_local_id(0)] = s;
    local_sum(scratch);
    if (get_local_id(0) == 0) {
        const float nv = sqrt(scratch[0]);
        out[0] = nv;
        out[1] = clip_scale(nv, clip_bits, clip_f);
    }
}

/* Clipping and one Adam step over the flat parameters, element for element
 * the formula of rb_adam_step (workloads/optim.c), fp32 with the bias
 * corrections step_size = lr / (1 - b1^step) and inv_bc2 = 1 / sqrt(1 -
 * b2^step) computed in fp64 on the host.  norm is grad_norm's output, read
 * here so the host need not wait for it: [0] the norm, [1] the clip scale.
 * A non-finite norm leaves everything untouched; the host, reading the
 * norm, reports the divergence. */
__kernel void adam(__global float *p, __global const float *g, __global float *m, __global float *v,
                   const int n, __global const float *norm, const float b1, const float b2,
                   const float eps, const float step_size, const float inv_bc2)
{
#pragma OPENCL FP_CONTRACT OFF
    const int i = get_global_id(0);
    if (i >= n || !isfinite(norm[0]))
        return;
    const float gi = g[i] * norm[1];
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (sqrt(vi) * inv_bc2 + eps);
}

/* One layer's fused bias: bias[j] = p[bih_off + j] + p[bhh_off + j] for
 * the first `fused` rows, b_ih alone after them (the GRU's n row, whose
 * b_hn the cell kernels add inside r's product). */
__kernel void bias_sum(__global const float *p, const int bih_off, const int bhh_off,
                       __global float *bias, const int n, const int fused)
{
    const int j = get_global_id(0);
    if (j < n)
        bias[j] = j < fused ? p[bih_off + j] + p[bhh_off + j] : p[bih_off + j];
}
