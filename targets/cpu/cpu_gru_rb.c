/* cpu_gru_rb.c — the GRU with ONNX's linear_before_reset = 0.
 *
 * There n = tanh(W_in x + b_in + W_hn (r (.) h) + b_hn): the n rows'
 * recurrent product takes r (.) h, which exists only once r does, so a step
 * is two products with a pass between them and cannot be the fused kernel's
 * single tile-and-epilogue.  It is an imported model's variant (PyTorch has
 * only the other), run forward only and on one thread, on the same kernel's
 * plain products: W_hh's r and z rows as one [2H, H] matrix, W_hn as
 * another (packed by rb_cpu_weights_changed). */
#include <math.h>
#include <string.h>

#include "cpu.h"

static float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }
static float clip(float v, float k) { return k > 0 ? (v > k ? k : v < -k ? -k : v) : v; }

void rb_cpu_gru_rb_steps(const cpu_state *s, const cpu_layer *ly, const float *x, const float *pre,
                         const float *h0, const int *lens, float *y)
{
    const int B = s->B, H = s->H, T = s->T;
    const size_t BH = (size_t)B * H, GH = 3 * (size_t)H;
    float *rz = s->rb_work, *rh = rz + 2 * BH, *hn = rh + BH, *zs = hn + BH;
    const float *bias_hn = ly->b_hh + 2 * (size_t)H;
    if (ly->in) { /* the input projection of all steps, as the fused path does it */
        rb_rec_step proj = {
            .B = T * B, .H = H, .G = 3, .K = ly->in, .w = ly->wi_pk, .h = x, .out = s->gates};
        s->kernel->step(&proj, 0, s->panels);
    }
    const float *h = h0 ? h0 : s->zeros;
    const int P2 = rb_cpu_rec_panels(s->kernel, 1, 2 * H), P1 = rb_cpu_rec_panels(s->kernel, 1, H);
    for (int k = 0; k < T; k++) {
        int t = ly->reverse ? T - 1 - k : k;
        const float *p = pre + (size_t)t * B * GH;
        float *yt = y + (size_t)t * BH;
        /* with lengths h ping-pongs in h_state (held rows keep theirs) */
        float *hnext = lens ? s->h_state + (size_t)((k + 1) % 2) * BH : yt;
        rb_rec_step a = {.B = B, .H = 2 * H, .G = 1, .K = H, .w = ly->wh_pk, .h = h, .out = rz};
        s->kernel->step(&a, 0, P2);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                size_t o = (size_t)b * H + j;
                const float *pb = p + (size_t)b * GH, *rb = rz + (size_t)b * 2 * H;
                float r = sigmoid(clip(rb[j] + pb[j] + ly->bias[j], s->clip));
                zs[o] = sigmoid(clip(rb[H + j] + pb[H + j] + ly->bias[H + j], s->clip));
                rh[o] = r * h[o];
            }
        rb_rec_step n = {.B = B, .H = H, .G = 1, .K = H, .w = ly->wn_pk, .h = rh, .out = hn};
        s->kernel->step(&n, 0, P1);
        for (int b = 0; b < B; b++) {
            const float *pb = p + (size_t)b * GH;
            for (int j = 0; j < H; j++) {
                size_t o = (size_t)b * H + j;
                if (lens && t >= lens[b]) { /* past the row's end: output 0, h stays */
                    yt[o] = 0;
                    hnext[o] = h[o];
                    continue;
                }
                float nv =
                    tanhf(clip(pb[2 * H + j] + ly->bias[2 * H + j] + hn[o] + bias_hn[j], s->clip));
                float hv = nv + zs[o] * (h[o] - nv);
                yt[o] = hv;
                hnext[o] = hv;
            }
        }
        h = hnext;
    }
}
