/* fpga_hw.c — what a hardware configuration implies without simulating it
 * (fpga_hw.h): the fit checks, the packed weight words and the cycle
 * formula of rtl/README.md, which the RTL tests hold the Verilated design to
 * cycle for cycle. */
#include "fpga_hw.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

int rb_fpga_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static long ceil_div(long a, long b) { return (a + b - 1) / b; }
static int pow2(long v) { return v > 0 && (v & (v - 1)) == 0; }

void rb_fpga_hw_params(const rb_fpga_hw *hw, char *buf, size_t len)
{
    snprintf(buf, len,
             "DATA_W=%d FRAC=%d LANES=%d VLANES=%d WMEM_WORDS=%ld XMEM_WORDS=%ld YMEM_WORDS=%ld "
             "MAX_B=%d MAX_H=%d MAX_I=%d MAX_L=%d OC_FIFO=%d",
             hw->fmt.bits, hw->fmt.frac, hw->lanes, hw->vlanes, hw->wmem_words, hw->xmem_words,
             hw->ymem_words, hw->max_b, hw->max_h, hw->max_i, hw->max_l, hw->oc_fifo);
}

int rb_fpga_hw_valid(const rb_fpga_hw *hw, char *err, size_t errlen)
{
    const char *n = hw->name ? hw->name : "fpga";
    if (hw->fmt.bits < RB_FX_MIN_BITS || hw->fmt.bits > RB_FX_MAX_BITS || hw->fmt.frac < 1 ||
        hw->fmt.frac > hw->fmt.bits - 2)
        return rb_fpga_fail(err, errlen, RB_EINPUT,
                            "%s: DATA_W=%d FRAC=%d: the format needs 8 <= DATA_W <= 16 and "
                            "1 <= FRAC <= DATA_W - 2",
                            n, hw->fmt.bits, hw->fmt.frac);
    if (!pow2(hw->vlanes) || hw->vlanes < 4)
        return rb_fpga_fail(err, errlen, RB_EINPUT, "%s: VLANES=%d is not a power of 2 >= 4", n,
                            hw->vlanes);
    if (!pow2(hw->lanes) || hw->lanes < 4 * hw->vlanes)
        return rb_fpga_fail(err, errlen, RB_EINPUT,
                            "%s: LANES=%d must be a power of 2 >= 4 x VLANES = %d (so at least 16)",
                            n, hw->lanes, 4 * hw->vlanes);
    if (hw->wmem_words % hw->lanes || !pow2(hw->wmem_words / hw->lanes))
        return rb_fpga_fail(err, errlen, RB_EINPUT,
                            "%s: WMEM_WORDS=%ld is not LANES x a power of 2", n, hw->wmem_words);
    if (hw->xmem_words % hw->vlanes || !pow2(hw->xmem_words / hw->vlanes) ||
        hw->ymem_words % hw->vlanes || !pow2(hw->ymem_words / hw->vlanes))
        return rb_fpga_fail(err, errlen, RB_EINPUT,
                            "%s: XMEM_WORDS=%ld and YMEM_WORDS=%ld must be VLANES x a power of 2",
                            n, hw->xmem_words, hw->ymem_words);
    if (!pow2(hw->max_b) || hw->max_b < 2 || !pow2(hw->max_l) || hw->max_l < 2 ||
        !pow2(hw->max_h) || 4L * hw->max_h < hw->lanes || !pow2(hw->max_i))
        return rb_fpga_fail(
            err, errlen, RB_EINPUT,
            "%s: MAX_B=%d MAX_H=%d MAX_I=%d MAX_L=%d must be powers of 2, MAX_B and "
            "MAX_L >= 2, 4 x MAX_H >= LANES",
            n, hw->max_b, hw->max_h, hw->max_i, hw->max_l);
    if (!pow2(hw->oc_fifo))
        return rb_fpga_fail(err, errlen, RB_EINPUT, "%s: OC_FIFO=%d is not a power of 2", n,
                            hw->oc_fifo);
    if (!(hw->clock_hz > 0) || !(hw->offchip_bpc > 0))
        return rb_fpga_fail(err, errlen, RB_EINPUT,
                            "%s: the clock and the off-chip bandwidth must be > 0", n);
    return 0;
}

int rb_fpga_lane_rows(rb_cell cell) { return cell == RB_CELL_RNN ? 1 : 4; }

int16_t rb_fpga_lane_weight(const rb_fx_model *fx, int u, long q, long k)
{
    if (fx->cell != RB_CELL_GRU)
        return fx->w[u][q * rb_fx_k(fx, u) + k];
    const long K = rb_fx_k(fx, u), in = K - fx->hidden, j = q / 4, g = q % 4;
    /* n_x takes the input columns of row n, n_h its recurrent ones */
    if ((g == 2 && k >= in) || (g == 3 && k < in))
        return 0;
    return fx->w[u][(j * 3 + (g < 3 ? g : 2)) * K + k];
}

int16_t rb_fpga_lane_bias(const rb_fx_model *fx, int u, long q)
{
    if (fx->cell != RB_CELL_GRU)
        return fx->b[u][q];
    const long j = q / 4, g = q % 4;
    return g == 3 ? fx->bn[u][j] : fx->b[u][j * 3 + g];
}

long rb_fpga_row_blocks(const rb_fpga_hw *hw, const rb_fx_model *fx)
{
    return ceil_div((long)rb_fpga_lane_rows(fx->cell) * fx->hidden, hw->lanes);
}

long rb_fpga_weight_words(const rb_fpga_hw *hw, const rb_fx_model *fx)
{
    long words = 0, nb = rb_fpga_row_blocks(hw, fx);
    for (int l = 0; l < fx->layers; l++)
        words += nb * rb_fx_k(fx, l);
    return words;
}

int rb_fpga_hw_check(const rb_fpga_hw *hw, const rb_fx_model *fx, int T, int B, char *err,
                     size_t errlen)
{
    const char *n = hw->name;
    if (fx->fmt.bits != hw->fmt.bits || fx->fmt.frac != hw->fmt.frac) {
        char a[16], b[16];
        return rb_fpga_fail(
            err, errlen, RB_EINPUT, "fpga %s: the model is quantized to %s, the datapath is %s", n,
            rb_fx_fmt_name(fx->fmt, a, sizeof a), rb_fx_fmt_name(hw->fmt, b, sizeof b));
    }
    if (fx->cell != RB_CELL_LSTM && fx->cell != RB_CELL_RNN && fx->cell != RB_CELL_GRU)
        return rb_fpga_fail(err, errlen, RB_EINPUT,
                            "fpga %s: only the lstm, gru and rnn cells are built", n);
    if (fx->gates != rb_cell_gates(fx->cell))
        return rb_fpga_fail(err, errlen, RB_EINPUT, "fpga %s: %d gates do not match the cell", n,
                            fx->gates);
    if (!rb_fx_is_plain(fx))
        return rb_fpga_fail(err, errlen, RB_EINPUT,
                            "fpga %s: the accelerator runs one direction forward in time; a "
                            "bidirectional or reversed stack runs as passes of plain stacks (the "
                            "adapter's fpga_passes.c)",
                            n);
    if (fx->layers < 1 || fx->layers > hw->max_l)
        return rb_fpga_fail(err, errlen, RB_EINPUT, "fpga %s: %d layers exceed MAX_L = %d", n,
                            fx->layers, hw->max_l);
    if (fx->hidden < 1 || fx->hidden > hw->max_h)
        return rb_fpga_fail(err, errlen, RB_EINPUT, "fpga %s: hidden %d exceeds MAX_H = %d", n,
                            fx->hidden, hw->max_h);
    if (fx->input < 1 || fx->input > hw->max_i)
        return rb_fpga_fail(err, errlen, RB_EINPUT, "fpga %s: input %d exceeds MAX_I = %d", n,
                            fx->input, hw->max_i);
    if (T <= 0 || B <= 0)
        return 0;
    if (B > hw->max_b)
        return rb_fpga_fail(err, errlen, RB_EINPUT, "fpga %s: batch %d exceeds MAX_B = %d", n, B,
                            hw->max_b);
    long v = hw->vlanes;
    long xw = (long)T * B * (ceil_div(fx->input, v) * v);
    long yw = (long)T * B * (ceil_div(fx->hidden, v) * v);
    if (xw > hw->xmem_words)
        return rb_fpga_fail(
            err, errlen, RB_EINPUT,
            "fpga %s: the input sequence needs %ld values (T %d x B %d x I %d rounded up to "
            "%ld), more than the input buffer XMEM_WORDS = %ld; run fewer timesteps at a "
            "time",
            n, xw, T, B, fx->input, v, hw->xmem_words);
    if (yw > hw->ymem_words)
        return rb_fpga_fail(
            err, errlen, RB_EINPUT,
            "fpga %s: the output sequence needs %ld values (T %d x B %d x H %d rounded up "
            "to %ld), more than the output buffer YMEM_WORDS = %ld; run fewer timesteps "
            "at a time",
            n, yw, T, B, fx->hidden, v, hw->ymem_words);
    long words = rb_fpga_weight_words(hw, fx);
    if ((double)words * T >= 2147483648.0)
        return rb_fpga_fail(
            err, errlen, RB_EINPUT,
            "fpga %s: %ld streamed weight words x %d timesteps overflow the DMA counter", n, words,
            T);
    return 0;
}

uint32_t rb_fpga_bpc_q(double bpc)
{
    double q = floor(bpc * 256.0 + 0.5);
    return q < 1 ? 1u : q > 4e9 ? 4000000000u : (uint32_t)q;
}

/* The formula of rtl/README.md ("Cycles").  A layer-step (t, l) issues nb
 * blocks of A = K_l * B accumulation cycles back to back; the update engine
 * drains a block in D = B * LANES / (R * VLANES) cycles while the next one
 * accumulates (R = rb_fpga_lane_rows: 4 for the lstm and the gru, 1 for the
 * rnn); the next layer-step starts once the last h' is written:
 *     cycles(t, l) = nb * K_l * B + D + 10
 * (10 = 2 cycles for the last k-step's operands and product to reach the
 * accumulators, then after the D drain cycles 8 from reading the last unit
 * group to writing its h': 2 through the bank's read port, 6 through the cell).
 * Blocks never wait for an accumulator bank: with nb >= 2, R*H > LANES, so
 * K_l > LANES/R + 1 and D <= A - 2, the drain fits inside the next block.
 * The gru costs what an lstm of the same H does: its 3 gates take 4 lanes
 * per unit (the n row's two products apart), so at most 3/4 of the lanes
 * do useful work. */
uint64_t rb_fpga_cycles_formula(const rb_fpga_hw *hw, const rb_fx_model *fx, int T, int B,
                                double offchip_bpc)
{
    if (T < 1 || B < 1)
        return 0;
    const uint64_t nb = (uint64_t)rb_fpga_row_blocks(hw, fx);
    const uint64_t D =
        (uint64_t)B * hw->lanes / ((uint64_t)rb_fpga_lane_rows(fx->cell) * hw->vlanes);
    uint64_t step = 0; /* one timestep, all layers */
    for (int l = 0; l < fx->layers; l++)
        step += nb * (uint64_t)rb_fx_k(fx, l) * (uint64_t)B + D + 10;
    uint64_t onchip = step * (uint64_t)T;
    long words = rb_fpga_weight_words(hw, fx);
    if (words * hw->lanes <= hw->wmem_words)
        return onchip;
    /* Streamed: the link delivers word m at ceil((m+1) * cost / bpc) - 1 and
     * the MAC array can use it two cycles later. */
    const uint64_t cost = (uint64_t)hw->lanes * (uint64_t)hw->fmt.bits * 32;
    const uint64_t q = rb_fpga_bpc_q(offchip_bpc);
    const uint64_t N = (uint64_t)words * (uint64_t)T;
    uint64_t compute_bound = onchip + (cost + q - 1) / q + 1;
    uint64_t bw_bound = (N * cost + q - 1) / q + (uint64_t)B + D + 11;
    return compute_bound > bw_bound ? compute_bound : bw_bound;
}
