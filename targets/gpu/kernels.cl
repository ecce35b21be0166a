/* kernels.cl — the gpu target's own OpenCL C kernels (OpenCL C 1.2).
 *
 * The GEMMs are CLBlast's; these are what surrounds them: the fused gate
 * nonlinearities and state update of one timestep.  (The peak-rate probe is
 * in probe.cl, so a broken kernels.cl fails results, not the probe.)  Built without -cl-fast-relaxed-math:
 * exp and tanh keep their OpenCL-specified accuracy (a few ulp), which the
 * fp32 bound against the reference needs.
 *
 * Layout matches the host: gate pre-activations are [B, G*H] per step with
 * PyTorch's gate order (i, f, g, o for the LSTM); h, c are [B, H]. */

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
                       __global const float *bias, __global float *h, const int h_off,
                       const int H)
{
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= H)
        return;
    h[h_off + b * H + j] = tanh(pre[pre_off + b * H + j] + rec[b * H + j] + bias[j]);
}
