/* probe.cl — measures the device's fp32 FMA rate for `rnnbench list` and the
 * results' "fraction of peak" (stored as measured, with how).
 *
 * Each work-item runs 8 independent FMA chains (enough to hide FMA latency)
 * for `iters` rounds of 16 FMAs = 32 FLOP.  With k < 1 the values converge
 * instead of overflowing, and the sum is written so no work can be dropped. */
__kernel void peak_fma(__global float *out, const int iters, const float k)
{
    const int id = get_global_id(0);
    float a0 = id, a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5, a6 = a0 + 6,
          a7 = a0 + 7;
    for (int i = 0; i < iters; i++) {
        a0 = fma(a0, k, k); a1 = fma(a1, k, k); a2 = fma(a2, k, k); a3 = fma(a3, k, k);
        a4 = fma(a4, k, k); a5 = fma(a5, k, k); a6 = fma(a6, k, k); a7 = fma(a7, k, k);
        a0 = fma(a0, k, k); a1 = fma(a1, k, k); a2 = fma(a2, k, k); a3 = fma(a3, k, k);
        a4 = fma(a4, k, k); a5 = fma(a5, k, k); a6 = fma(a6, k, k); a7 = fma(a7, k, k);
    }
    out[id] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}
