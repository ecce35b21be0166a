/* test_fpga_rtl.c — the accelerator's RTL (targets/fpga/rtl, simulated with
 * Verilator through targets/fpga/sim/fpga_sim.h) against the C golden model.
 *
 * Units, in every configuration's number format: the activation unit for
 * every input, the MAC array and the lstm, rnn and gru cell updates on
 * random vectors with saturation and negatives.  Whole accelerator:
 * bit-exact with rb_fx_forward over random shapes of every cell on every
 * configuration, weights on chip and streamed.  Cycles: a tiny case against
 * arithmetic written out here (lstm, rnn, gru), the documented formula
 * against simulation, stalls of a streamed model against traffic /
 * bandwidth, independence of the data, and the MAC-lane utilization of an
 * H = 256 LSTM and GRU.  Reversed and bidirectional stacks: their passes on
 * the RTL bit-exact with the golden model's literal semantics, through the
 * shim and through the target.  Built without Verilator, it says so and
 * passes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../targets/fpga/golden.h"
#include "../rb_test.h"

#ifdef RB_HAVE_VERILATOR
#include "../../targets/fpga/fpga.h"
#include "../../targets/fpga/sim/fpga_sim.h"
#include "../../workloads/reference.h"
#include "../rb_test_workload.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
/* Magnitudes below are written for 16-bit values, as fractions of the
 * range (32768 = all of it, 4096 = an eighth): uniform in [-m, m], m = mag
 * scaled to the format's width, clamped to the format's range.  The tests'
 * saturating and near-zero cases stay that in every format. */
static int16_t rnd_val(rb_fx_fmt f, int mag)
{
    int32_t m = mag >> (16 - f.bits);
    if (m < 1)
        m = 1;
    int32_t v = (int32_t)(rnd() % (2u * (uint32_t)m + 1u)) - m;
    return (int16_t)(v > rb_fx_max(f) ? rb_fx_max(f) : v);
}
static int rnd_in(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A quantized model with random weights in [-wmag, wmag], biases in [-bmag, bmag]. */
static void fx_make(rb_fx_model *fx, rb_fx_fmt f, rb_cell cell, int I, int H, int L, int wmag,
                    int bmag)
{
    memset(fx, 0, sizeof *fx);
    fx->fmt = f;
    fx->cell = cell;
    fx->gates = rb_cell_gates(cell);
    fx->input = I;
    fx->hidden = H;
    fx->w = calloc((size_t)L, sizeof *fx->w);
    fx->b = calloc((size_t)L, sizeof *fx->b);
    fx->bn = cell == RB_CELL_GRU ? calloc((size_t)L, sizeof *fx->bn) : NULL;
    fx->layers = L;
    size_t rows = (size_t)fx->gates * H;
    for (int l = 0; l < L; l++) {
        size_t K = (size_t)rb_fx_k(fx, l);
        fx->w[l] = malloc(rows * K * sizeof **fx->w);
        fx->b[l] = malloc(rows * sizeof **fx->b);
        for (size_t i = 0; i < rows * K; i++)
            fx->w[l][i] = rnd_val(f, wmag);
        for (size_t i = 0; i < rows; i++)
            fx->b[l][i] = rnd_val(f, bmag);
        if (fx->bn) { /* the gru's n rows' recurrent biases, kept apart */
            fx->bn[l] = malloc((size_t)H * sizeof **fx->bn);
            for (int j = 0; j < H; j++)
                fx->bn[l][j] = rnd_val(f, bmag);
        }
    }
}

static int16_t *rnd_vec(rb_fx_fmt f, size_t n, int mag)
{
    int16_t *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = rnd_val(f, mag);
    return v;
}

/* ------------------------------------------------------------------ units */

static void test_act_exhaustive(const rb_fpga_hw *hw)
{
    const rb_fx_fmt f = hw->fmt;
    size_t n = (size_t)1 << f.bits;
    int16_t *x = malloc(n * sizeof *x), *yt = malloc(n * sizeof *yt), *ys = malloc(n * sizeof *ys);
    for (size_t i = 0; i < n; i++)
        x[i] = (int16_t)(rb_fx_min(f) + (int32_t)i);
    CHECK_INT(rb_fpga_unit_act(hw, x, yt, ys, n), 0);
    int bad_t = 0, bad_s = 0;
    for (size_t i = 0; i < n; i++) {
        if (yt[i] != rb_fx_tanh(f, x[i]) && bad_t++ < 5)
            fprintf(stderr, "%s tanh(%d): rtl %d golden %d\n", hw->name, x[i], yt[i],
                    rb_fx_tanh(f, x[i]));
        if (ys[i] != rb_fx_sigmoid(f, x[i]) && bad_s++ < 5)
            fprintf(stderr, "%s sigmoid(%d): rtl %d golden %d\n", hw->name, x[i], ys[i],
                    rb_fx_sigmoid(f, x[i]));
    }
    CHECK_INT(bad_t, 0);
    CHECK_INT(bad_s, 0);
    free(x);
    free(yt);
    free(ys);
}

static void check_mac_vectors(const rb_fpga_hw *hw, const int16_t *w, const int16_t *v, int k,
                              const int16_t bias[4])
{
    int16_t pre[8];
    CHECK_INT(rb_fpga_unit_mac(hw, w, v, k, bias, pre), 0);
    for (int b = 0; b < 2; b++)
        for (int r = 0; r < 4; r++)
            CHECK_INT(pre[b * 4 + r],
                      rb_fx_preact(hw->fmt, w + (size_t)r * k, v + (size_t)b * k, k, bias[r]));
}

static void check_mac(const rb_fpga_hw *hw, int k, int wmag, int vmag, int bmag)
{
    int16_t *w = rnd_vec(hw->fmt, (size_t)4 * k, wmag), *v = rnd_vec(hw->fmt, (size_t)2 * k, vmag);
    int16_t bias[4];
    for (int r = 0; r < 4; r++)
        bias[r] = rnd_val(hw->fmt, bmag);
    check_mac_vectors(hw, w, v, k, bias);
    free(w);
    free(v);
}

static void test_mac(const rb_fpga_hw *hw)
{
    static const int ks[] = {1, 2, 3, 17, 64, 301, 1024};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        check_mac(hw, ks[i], 2000, 4096, 4096);    /* mostly in range */
        check_mac(hw, ks[i], 32768, 32768, 32768); /* saturates both ways */
        check_mac(hw, ks[i], 300, 300, 100);       /* small, rounding near zero */
    }
    /* extremes: every product min * min = 2^(2*bits-2), K = 4096: 2^(2*bits+10),
     * far past 32 bits for 16-bit values */
    const int16_t lo = (int16_t)rb_fx_min(hw->fmt), hi = (int16_t)rb_fx_max(hw->fmt);
    int k = 4096;
    int16_t *w = malloc((size_t)4 * k * sizeof *w), *v = malloc((size_t)2 * k * sizeof *v);
    for (int i = 0; i < 4 * k; i++)
        w[i] = i % 4 == 1 ? hi : lo;
    for (int i = 0; i < 2 * k; i++)
        v[i] = i < k ? lo : hi;
    int16_t bias[4] = {lo, hi, 0, -1};
    check_mac_vectors(hw, w, v, k, bias);
    free(w);
    free(v);
}

static void test_cell(const rb_fpga_hw *hw)
{
    const rb_fx_fmt f = hw->fmt;
    size_t n = 50000;
    int16_t *pre = malloc(4 * n * sizeof *pre), *c = malloc(n * sizeof *c);
    int16_t *cn = malloc(n * sizeof *cn), *h = malloc(n * sizeof *h);
    for (size_t i = 0; i < n; i++) {
        int mag = i % 3 == 0 ? 32768 : i % 3 == 1 ? 8192 : 600; /* saturating, typical, small */
        for (int g = 0; g < 4; g++)
            pre[4 * i + g] = rnd_val(f, mag);
        c[i] = rnd_val(f, i % 2 ? 32768 : 8192);
    }
    CHECK_INT(rb_fpga_unit_cell(hw, RB_CELL_LSTM, pre, c, cn, h, n), 0);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        int16_t cg = c[i];
        int16_t hg = rb_fx_lstm_unit(f, pre + 4 * i, &cg);
        if ((cn[i] != cg || h[i] != hg) && bad++ < 5)
            fprintf(stderr, "%s lstm unit %zu: rtl c %d h %d, golden c %d h %d\n", hw->name, i,
                    cn[i], h[i], cg, hg);
    }
    CHECK_INT(bad, 0);
    CHECK_INT(rb_fpga_unit_cell(hw, RB_CELL_RNN, pre, c, cn, h, n), 0);
    bad = 0;
    for (size_t i = 0; i < n; i++)
        if (h[i] != rb_fx_tanh(f, pre[4 * i + 2]) && bad++ < 5)
            fprintf(stderr, "%s rnn unit %zu: rtl %d golden %d\n", hw->name, i, h[i],
                    rb_fx_tanh(f, pre[4 * i + 2]));
    CHECK_INT(bad, 0);
    /* the gru: pre = r, z, n_x, n_h and c = h_{t-1}; c_next is the n
     * pre-activation sat(n_x + rshr(r * n_h)), h the new h */
    CHECK_INT(rb_fpga_unit_cell(hw, RB_CELL_GRU, pre, c, cn, h, n), 0);
    bad = 0;
    for (size_t i = 0; i < n; i++) {
        const int16_t *p = pre + 4 * i;
        int16_t npre =
            rb_fx_sat(f, p[2] + rb_fx_rshr((int64_t)rb_fx_sigmoid(f, p[0]) * p[3], f.frac));
        int16_t hg = rb_fx_gru_unit(f, p, c[i]);
        if ((cn[i] != npre || h[i] != hg) && bad++ < 5)
            fprintf(stderr, "%s gru unit %zu: rtl n_pre %d h %d, golden n_pre %d h %d\n", hw->name,
                    i, cn[i], h[i], npre, hg);
    }
    CHECK_INT(bad, 0);
    free(pre);
    free(c);
    free(cn);
    free(h);
}

/* Only the built-in configurations have a unit harness, found by name and
 * checked to compute in the configuration's format: another name, or the
 * name with another format, has none. */
static void test_units_lookup(const rb_fpga_hw *hw)
{
    rb_fpga_hw other = *hw;
    int16_t x = 0, t = 1, sg = 0;
    other.name = "custom";
    CHECK_INT(rb_fpga_unit_act(&other, &x, &t, &sg, 1), RB_ERUNTIME);
    other = *hw;
    other.fmt.frac--;
    CHECK_INT(rb_fpga_unit_act(&other, &x, &t, &sg, 1), RB_ERUNTIME);
    CHECK_INT(rb_fpga_unit_act(hw, &x, &t, &sg, 1), 0);
    CHECK_INT(t, 0);
    CHECK_INT(sg, rb_fx_one(hw->fmt) / 2);
}

/* -------------------------------------------------------- whole accelerator */

typedef struct run_result {
    rb_fpga_counters c;
    int mismatches;
    int rc;
} run_result;

/* Run the model on the simulator and on the golden model, compare y, h_n, c_n. */
static run_result run_and_compare(rb_fpga_sim *s, const rb_fx_model *fx, int T, int B, int xmag,
                                  int with_state, const char *what)
{
    run_result r;
    memset(&r, 0, sizeof r);
    int L = fx->layers, H = fx->hidden, I = fx->input;
    size_t nx = (size_t)T * B * I, ny = (size_t)T * B * H, ns = (size_t)L * B * H;
    const rb_fx_fmt f = fx->fmt;
    int16_t *x = rnd_vec(f, nx, xmag);
    int16_t *h0 = with_state ? rnd_vec(f, ns, 4096) : NULL;
    int16_t *c0 = with_state ? rnd_vec(f, ns, 8192) : NULL;
    int16_t *y = calloc(ny, sizeof *y), *yg = calloc(ny, sizeof *yg);
    int16_t *hn = calloc(ns, sizeof *hn), *hng = calloc(ns, sizeof *hng);
    int16_t *cn = calloc(ns, sizeof *cn), *cng = calloc(ns, sizeof *cng);
    char err[512] = "";
    rb_err e;
    r.rc = rb_fpga_sim_run(s, T, B, x, h0, c0, y, &r.c, err, sizeof err);
    if (r.rc) {
        fprintf(stderr, "%s: run failed: %s\n", what, err);
        r.mismatches = -1;
        goto out;
    }
    CHECK_INT(rb_fpga_sim_state(s, hn, cn, err, sizeof err), 0);
    CHECK_INT(rb_fx_forward(fx, T, B, x, h0, c0, yg, hng, cng, &e), 0);
    for (size_t i = 0; i < ny; i++)
        if (y[i] != yg[i] && r.mismatches++ < 3)
            fprintf(stderr, "%s: y[%zu] rtl %d golden %d\n", what, i, y[i], yg[i]);
    for (size_t i = 0; i < ns; i++) {
        if (hn[i] != hng[i] && r.mismatches++ < 3)
            fprintf(stderr, "%s: h_n[%zu] rtl %d golden %d\n", what, i, hn[i], hng[i]);
        if (fx->cell == RB_CELL_LSTM && cn[i] != cng[i] && r.mismatches++ < 3)
            fprintf(stderr, "%s: c_n[%zu] rtl %d golden %d\n", what, i, cn[i], cng[i]);
    }
out:
    free(x);
    free(h0);
    free(c0);
    free(y);
    free(yg);
    free(hn);
    free(hng);
    free(cn);
    free(cng);
    return r;
}

static uint64_t useful_macs(const rb_fx_model *fx, int T, int B)
{
    uint64_t m = 0;
    for (int l = 0; l < fx->layers; l++)
        m += (uint64_t)fx->gates * fx->hidden * rb_fx_k(fx, l);
    return m * (uint64_t)B * (uint64_t)T;
}

/* A run with the weights on chip: bit for bit, no stall, the useful MACs
 * and the cycles of the formula. */
static void check_onchip(const run_result *r, const rb_fpga_hw *hw, const rb_fx_model *fx, int T,
                         int B)
{
    CHECK_INT(r->rc, 0);
    CHECK_INT(r->mismatches, 0);
    CHECK_INT(r->c.weights_onchip, 1);
    CHECK_INT(r->c.stall_cycles, 0);
    CHECK_INT(r->c.useful_macs, useful_macs(fx, T, B));
    CHECK_INT(r->c.cycles, rb_fpga_cycles_formula(hw, fx, T, B, hw->offchip_bpc));
}

static rb_fpga_sim *sim_new(const char *cfg)
{
    char err[512] = "";
    rb_fpga_sim *s = rb_fpga_sim_new(cfg, err, sizeof err);
    if (!s)
        fprintf(stderr, "rb_fpga_sim_new(%s): %s\n", cfg, err);
    CHECK(s != NULL);
    return s;
}

static int load(rb_fpga_sim *s, const rb_fx_model *fx, uint64_t *lc)
{
    char err[512] = "";
    int rc = rb_fpga_sim_load(s, fx, lc, err, sizeof err);
    if (rc)
        fprintf(stderr, "load: %s\n", err);
    return rc;
}

/* Random shapes, both cells, 1-3 layers, I != H, batch up to the limit. */
static void test_forward_random(const char *cfg, int cases)
{
    rb_fpga_sim *s = sim_new(cfg);
    if (!s)
        return;
    const rb_fpga_hw *hw = rb_fpga_sim_hw(s);
    for (int i = 0; i < cases; i++) {
        rb_cell cell = i % 3 == 2 ? RB_CELL_RNN : RB_CELL_LSTM;
        int L = rnd_in(1, 3), I = rnd_in(1, 40), H = rnd_in(1, 48);
        int B = i % 4 == 0 ? hw->max_b : rnd_in(1, hw->max_b < 9 ? hw->max_b : 9);
        int T = rnd_in(1, 10);
        if (i == 1) { /* wide enough for several blocks and a partial one */
            I = 70;
            H = hw->lanes + 3;
        }
        int wmag = i % 5 == 4 ? 32768 : 1500; /* every fifth case saturates hard */
        rb_fx_model fx;
        fx_make(&fx, hw->fmt, cell, I, H, L, wmag, 4096);
        char what[160];
        snprintf(what, sizeof what, "%s %s I%d H%d L%d B%d T%d w%d", cfg,
                 cell == RB_CELL_LSTM ? "lstm" : "rnn", I, H, L, B, T, wmag);
        if (load(s, &fx, NULL) == 0) {
            run_result r = run_and_compare(s, &fx, T, B, i % 5 == 4 ? 32768 : 4096, i % 2, what);
            check_onchip(&r, hw, &fx, T, B);
        } else {
            CHECK(0);
        }
        rb_fx_model_free(&fx);
    }
    rb_fpga_sim_free(s);
}

/* The tiny case, by hand (rtl/README.md "Cycles"): small configuration,
 * 16 lanes, 4 units per update cycle.  LSTM I = 3, H = 5: G*H = 20 packed
 * rows = 2 blocks (16 + 4 rows); layer 0 K = 8, layer 1 K = 10.  B = 2:
 *   A0 = K0*B = 16, A1 = 20 cycles of accumulation per block,
 *   D = B * LANES / (G * VLANES) = 2 * 16 / 16 = 2 cycles of drain per block,
 *   a layer-step costs nb*A + D + 10 (D <= A - 2, so blocks go back to back):
 *   layer 0: 2*16 + 2 + 10 = 44, layer 1: 2*20 + 2 + 10 = 52.
 * T = 3: one layer 132 cycles, two layers 3 * (44 + 52) = 288.
 * Useful MACs: G*H*K*B*T = 20*8*2*3 = 960 (+ 20*10*2*3 = 1200 for layer 1). */
static void test_tiny_cycles(void)
{
    rb_fpga_sim *s = sim_new("small");
    if (!s)
        return;
    const rb_fpga_hw *hw = rb_fpga_sim_hw(s);
    CHECK_INT(hw->lanes, 16);
    CHECK_INT(hw->vlanes, 4);
    for (int L = 1; L <= 2; L++) {
        rb_fx_model fx;
        fx_make(&fx, hw->fmt, RB_CELL_LSTM, 3, 5, L, 4000, 4000);
        CHECK_INT(load(s, &fx, NULL), 0);
        run_result r = run_and_compare(s, &fx, 3, 2, 4096, 0, "tiny");
        CHECK_INT(r.mismatches, 0);
        CHECK_INT(r.c.cycles, L == 1 ? 132 : 288);
        CHECK_INT(r.c.useful_macs, L == 1 ? 960 : 960 + 1200);
        CHECK_INT(r.c.stall_cycles, 0);
        /* an rnn of the same size: G*H = 5 rows = 1 block, D = 2*16/4 = 8,
         * A0 = 16, A1 = 20: 16 + 8 + 10 = 34 and 20 + 8 + 10 = 38 */
        rb_fx_model_free(&fx);
        fx_make(&fx, hw->fmt, RB_CELL_RNN, 3, 5, L, 4000, 4000);
        CHECK_INT(load(s, &fx, NULL), 0);
        r = run_and_compare(s, &fx, 3, 2, 4096, 0, "tiny rnn");
        CHECK_INT(r.mismatches, 0);
        CHECK_INT(r.c.cycles, L == 1 ? 3 * 34 : 3 * (34 + 38));
        rb_fx_model_free(&fx);
        /* a gru of the same size takes 4 lanes per unit like the lstm (r, z,
         * and the n row's input and recurrent products apart): 20 lane rows,
         * 2 blocks, D = 2, so the lstm's 132 and 288 cycles; useful MACs count
         * its 3 gates: 3*5*8*2*3 = 720 (+ 3*5*10*2*3 = 900 for layer 1) */
        fx_make(&fx, hw->fmt, RB_CELL_GRU, 3, 5, L, 4000, 4000);
        CHECK_INT(load(s, &fx, NULL), 0);
        r = run_and_compare(s, &fx, 3, 2, 4096, 1, "tiny gru");
        CHECK_INT(r.mismatches, 0);
        CHECK_INT(r.c.cycles, L == 1 ? 132 : 288);
        CHECK_INT(r.c.useful_macs, L == 1 ? 720 : 720 + 900);
        CHECK_INT(r.c.cycles, rb_fpga_cycles_formula(hw, &fx, 3, 2, hw->offchip_bpc));
        rb_fx_model_free(&fx);
    }
    /* load: 2 blocks x 8 k-words x 4 beats + 2 bias words x 4 beats = 72 cycles */
    rb_fx_model fx;
    fx_make(&fx, hw->fmt, RB_CELL_LSTM, 3, 5, 1, 4000, 4000);
    uint64_t lc = 0;
    CHECK_INT(load(s, &fx, &lc), 0);
    CHECK_INT(lc, 72);
    rb_fx_model_free(&fx);
    /* the gru's the same: its lane rows are as many as the lstm's */
    fx_make(&fx, hw->fmt, RB_CELL_GRU, 3, 5, 1, 4000, 4000);
    CHECK_INT(load(s, &fx, &lc), 0);
    CHECK_INT(lc, 72);
    rb_fx_model_free(&fx);
    rb_fpga_sim_free(s);
}

/* The gru on the RTL, bit-exact with rb_fx_forward (y, h_n) on shapes
 * chosen to reach every corner: H below, at and above a block, not a
 * multiple of the lanes nor of the units per cycle, I != H, several layers,
 * B = 1 .. MAX_B, h0 given or not, saturating weights and inputs; then
 * random ones.  Cycles by the formula, MACs by the gru's 3 gates. */
static void test_forward_gru(const char *cfg, int random_cases)
{
    rb_fpga_sim *s = sim_new(cfg);
    if (!s)
        return;
    const rb_fpga_hw *hw = rb_fpga_sim_hw(s);
    const struct {
        int I, H, L, B, T, wmag, xmag, state;
    } fixed[] = {
        {3, 5, 1, 1, 3, 1500, 4096, 0},
        {7, 13, 2, 3, 4, 1500, 4096, 1},
        {70, hw->lanes + 3, 1, 2, 3, 1500, 4096, 1}, /* several blocks and a partial one */
        {20, 24, 3, hw->max_b, 3, 1500, 4096, 1},
        {16, 20, 2, 2, 6, 32768, 32768, 1}, /* saturates both ways */
        {1, 1, 1, 1, 2, 4000, 4096, 1},
        {40, 9, 4, 5, 2, 1500, 4096, 0},
    };
    const int nfixed = (int)(sizeof fixed / sizeof fixed[0]);
    for (int i = 0; i < nfixed + random_cases; i++) {
        int I, H, L, B, T, wmag, xmag, state;
        if (i < nfixed) {
            I = fixed[i].I, H = fixed[i].H, L = fixed[i].L, B = fixed[i].B, T = fixed[i].T;
            wmag = fixed[i].wmag, xmag = fixed[i].xmag, state = fixed[i].state;
        } else {
            L = rnd_in(1, 3), I = rnd_in(1, 40), H = rnd_in(1, 48), T = rnd_in(1, 8);
            B = rnd_in(1, hw->max_b < 9 ? hw->max_b : 9);
            wmag = i % 5 == 4 ? 32768 : 1500;
            xmag = i % 5 == 4 ? 32768 : 4096;
            state = i % 2;
        }
        rb_fx_model fx;
        fx_make(&fx, hw->fmt, RB_CELL_GRU, I, H, L, wmag, 4096);
        char what[160];
        snprintf(what, sizeof what, "%s gru I%d H%d L%d B%d T%d w%d", cfg, I, H, L, B, T, wmag);
        if (load(s, &fx, NULL) == 0) {
            run_result r = run_and_compare(s, &fx, T, B, xmag, state, what);
            check_onchip(&r, hw, &fx, T, B);
            if (i < nfixed)
                printf("  %s: %llu cycles, RTL == golden\n", what, (unsigned long long)r.c.cycles);
        } else {
            CHECK(0);
        }
        rb_fx_model_free(&fx);
    }
    rb_fpga_sim_free(s);
}

/* Two random inputs (and weights) of the same shape: the same cycles. */
static void test_data_independence(void)
{
    rb_fpga_sim *s = sim_new("small");
    if (!s)
        return;
    const rb_fpga_hw *hw = rb_fpga_sim_hw(s);
    for (int cell = 0; cell < RB_CELL_COUNT; cell++) {
        uint64_t cyc[2], stall[2];
        for (int pass = 0; pass < 2; pass++) {
            rb_fx_model fx;
            fx_make(&fx, hw->fmt, (rb_cell)cell, 23, 37, 2, pass ? 32768 : 500, pass ? 32768 : 100);
            CHECK_INT(load(s, &fx, NULL), 0);
            run_result r = run_and_compare(s, &fx, 4, 3, pass ? 32768 : 100, pass, "independence");
            CHECK_INT(r.mismatches, 0);
            cyc[pass] = r.c.cycles;
            stall[pass] = r.c.stall_cycles;
            rb_fx_model_free(&fx);
        }
        CHECK_INT(cyc[0], cyc[1]);
        CHECK_INT(stall[0], stall[1]);
    }
    rb_fpga_sim_free(s);
}

/* A model bigger than the on-chip weight memory streams its weights every
 * timestep.  Bandwidth-bound (bpc * B < word bytes): the run ends when the
 * link has delivered T * words * bytes_per_word, so
 *   cycles = ceil(T * words * word_bytes / bpc) + B + D + 11
 * (the last word's k-step, the last block's drain and write-back), and the
 * stall cycles are exactly what that adds to the on-chip schedule. */
static void test_streamed(const char *cfg, rb_cell cell, int I, int H, int T, int B,
                          double slow_bpc)
{
    rb_fpga_sim *s = sim_new(cfg);
    if (!s)
        return;
    const rb_fpga_hw *hw = rb_fpga_sim_hw(s);
    rb_fx_model fx;
    fx_make(&fx, hw->fmt, cell, I, H, 1, 1500, 4096); /* lstm or gru: 4 lanes per unit */
    long words = rb_fpga_weight_words(hw, &fx);
    CHECK(words * hw->lanes > hw->wmem_words);
    uint64_t lc = 0;
    CHECK_INT(load(s, &fx, &lc), 0);
    /* load: the same beats as on chip: words * LANES/VLANES, plus the biases */
    long nb = (4L * H + hw->lanes - 1) / hw->lanes;
    CHECK_INT(lc, (words + nb) * (hw->lanes / hw->vlanes));

    /* the on-chip schedule of this shape, for the stall count */
    rb_fpga_hw big = *hw;
    big.wmem_words = words * hw->lanes;
    uint64_t onchip = rb_fpga_cycles_formula(&big, &fx, T, B, 1.0);
    long A = (long)(I + H) * B, D = (long)B * hw->lanes / (4 * hw->vlanes);
    CHECK_INT(onchip, (uint64_t)T * (uint64_t)(nb * A + D + 10));

    /* bandwidth-bound */
    CHECK_INT(rb_fpga_sim_set_offchip_bpc(s, slow_bpc), 0);
    char what[128];
    snprintf(what, sizeof what, "%s %s streamed I%d H%d B%d bpc %g", cfg, rb_cell_name(cell), I, H,
             B, slow_bpc);
    run_result r = run_and_compare(s, &fx, T, B, 4096, 1, what);
    CHECK_INT(r.mismatches, 0);
    CHECK_INT(r.c.weights_onchip, 0);
    const uint64_t word_bytes = (uint64_t)hw->lanes * (uint64_t)hw->fmt.bits / 8;
    uint64_t bytes = (uint64_t)T * (uint64_t)words * word_bytes;
    uint64_t q = (uint64_t)(slow_bpc * 256 + 0.5); /* bpc in 1/256 byte */
    uint64_t expect = (bytes * 256 + q - 1) / q + (uint64_t)B + (uint64_t)D + 11;
    CHECK_INT(r.c.cycles, expect);
    CHECK_INT(r.c.stall_cycles, expect - onchip);
    CHECK_INT(r.c.cycles, rb_fpga_cycles_formula(hw, &fx, T, B, slow_bpc));
    CHECK_INT(r.c.useful_macs, useful_macs(&fx, T, B));
    printf("  %s: %llu cycles, %llu stalled (%.1f%%), %.2f MB of weights per timestep\n", what,
           (unsigned long long)r.c.cycles, (unsigned long long)r.c.stall_cycles,
           100.0 * r.c.stall_cycles / r.c.cycles, (double)words * (double)word_bytes / 1e6);

    /* compute-bound: a link faster than the MAC array consumes words; only
     * the first word's latency shows, ceil(word_bytes / bpc) + 1 cycles */
    double fast = 4.0 * (double)word_bytes / B;
    CHECK_INT(rb_fpga_sim_set_offchip_bpc(s, fast), 0);
    snprintf(what, sizeof what, "%s %s streamed I%d H%d B%d bpc %g", cfg, rb_cell_name(cell), I, H,
             B, fast);
    r = run_and_compare(s, &fx, T, B, 4096, 0, what);
    CHECK_INT(r.mismatches, 0);
    uint64_t first = (word_bytes * 256 + (uint64_t)(fast * 256) - 1) / (uint64_t)(fast * 256);
    CHECK_INT(r.c.stall_cycles, first + 1);
    CHECK_INT(r.c.cycles, onchip + first + 1);
    CHECK_INT(r.c.cycles, rb_fpga_cycles_formula(hw, &fx, T, B, fast));
    rb_fx_model_free(&fx);
    rb_fpga_sim_free(s);
}

/* Streamed, two layers, across the boundary between the regimes (the link
 * delivers a word per B cycles at bpc = word_bytes / B = 16 here): the
 * formula is a lower bound everywhere and exact away from the boundary. */
static void test_streamed_regimes(void)
{
    rb_fpga_sim *s = sim_new("small");
    if (!s)
        return;
    const rb_fpga_hw *hw = rb_fpga_sim_hw(s);
    static const double bpcs[] = {6, 12, 15, 15.9, 16, 16.1, 17, 20, 32};
    for (int ci = 0; ci < 3; ci++) {
        static const rb_cell cells[] = {RB_CELL_LSTM, RB_CELL_RNN, RB_CELL_GRU};
        const rb_cell cell = cells[ci];
        rb_fx_model fx;
        /* rnn: 1 lane per unit, so more units */
        int H = cell == RB_CELL_RNN ? 600 : 160, I = cell == RB_CELL_RNN ? 90 : 40;
        if (H > hw->max_h)
            H = hw->max_h;
        fx_make(&fx, hw->fmt, cell, I, H, 2, 1500, 4096);
        CHECK(rb_fpga_weight_words(hw, &fx) * hw->lanes > hw->wmem_words);
        CHECK_INT(load(s, &fx, NULL), 0);
        for (size_t i = 0; i < sizeof bpcs / sizeof bpcs[0]; i++) {
            CHECK_INT(rb_fpga_sim_set_offchip_bpc(s, bpcs[i]), 0);
            char what[96];
            snprintf(what, sizeof what, "%s L2 I%d H%d B2 T3 bpc %g", rb_cell_name(cell), I, H,
                     bpcs[i]);
            run_result r = run_and_compare(s, &fx, 3, 2, 4096, 1, what);
            CHECK_INT(r.mismatches, 0);
            uint64_t f = rb_fpga_cycles_formula(hw, &fx, 3, 2, bpcs[i]);
            CHECK(r.c.cycles >= f);
            printf("  %s: %llu cycles, formula %llu (%+.3f%%), %llu stalled\n", what,
                   (unsigned long long)r.c.cycles, (unsigned long long)f,
                   100.0 * ((double)r.c.cycles - (double)f) / (double)f,
                   (unsigned long long)r.c.stall_cycles);
            if (bpcs[i] <= 12 || bpcs[i] >= 20)
                CHECK_INT(r.c.cycles, f);
        }
        rb_fx_model_free(&fx);
    }
    rb_fpga_sim_free(s);
}

/* Utilization of an on-chip H = 256 LSTM and GRU (compute-bound): a design
 * property.  The gru keeps its n row's input and recurrent products in two
 * lanes, each idle (multiplying zeros) in the other's columns: 3 of 4 lanes
 * do useful work, so its utilization is 3/4 of the lstm's. */
static void test_utilization_of(rb_cell cell)
{
    const rb_fpga_hw *hws;
    int n = rb_fpga_hw_configs(&hws);
    for (int i = 0; i < n; i++) {
        const rb_fpga_hw *hw = &hws[i];
        rb_fx_model fx;
        /* the largest H <= 256 whose weights stay on chip */
        int H = 256;
        for (;;) {
            fx_make(&fx, hw->fmt, cell, H, H, 1, 1500, 4096);
            if (rb_fpga_weight_words(hw, &fx) * hw->lanes <= hw->wmem_words || H <= 32)
                break;
            rb_fx_model_free(&fx);
            H /= 2;
        }
        rb_fpga_sim *s = sim_new(hw->name);
        if (!s) {
            rb_fx_model_free(&fx);
            continue;
        }
        CHECK_INT(load(s, &fx, NULL), 0);
        for (int B = 1; B <= 4; B *= 4) {
            char what[96];
            snprintf(what, sizeof what, "%s %s H%d B%d", hw->name, rb_cell_name(cell), H, B);
            run_result r = run_and_compare(s, &fx, 5, B, 4096, 0, what);
            CHECK_INT(r.mismatches, 0);
            CHECK_INT(r.c.weights_onchip, 1);
            double util = (double)r.c.useful_macs / ((double)hw->lanes * r.c.cycles);
            printf("  utilization %s T5: %.4f (%llu cycles)\n", what, util,
                   (unsigned long long)r.c.cycles);
            if (H >= 256)
                CHECK(util >= (cell == RB_CELL_GRU ? 0.75 * 0.90 : 0.90));
            /* what the adapter reports: useful MACs of the cell's gates over
             * lane-cycles, the gru's 3 gates */
            CHECK_INT(r.c.useful_macs, (uint64_t)rb_cell_gates(cell) * H * 2 * H * B * 5);
            CHECK(util <= (cell == RB_CELL_GRU ? 0.75 : 1.0));
        }
        rb_fpga_sim_free(s);
        rb_fx_model_free(&fx);
    }
}

static void test_utilization(void)
{
    test_utilization_of(RB_CELL_LSTM);
    test_utilization_of(RB_CELL_GRU);
}

/* Simulation speed of the small configuration (printed, not asserted: it is
 * a property of the machine as much as of the design). */
static void test_speed(void)
{
    rb_fpga_sim *s = sim_new("small");
    if (!s)
        return;
    const rb_fpga_hw *hw = rb_fpga_sim_hw(s);
    static const int Hs[] = {128, 256};
    for (int i = 0; i < 2; i++) {
        rb_fx_model fx;
        fx_make(&fx, hw->fmt, RB_CELL_LSTM, Hs[i], Hs[i], 1, 1500, 4096);
        CHECK_INT(load(s, &fx, NULL), 0);
        int T = 5, B = 4;
        int16_t *x = rnd_vec(hw->fmt, (size_t)T * B * Hs[i], 4096);
        rb_fpga_counters c;
        char err[256];
        double t0 = now_s();
        CHECK_INT(rb_fpga_sim_run(s, T, B, x, NULL, NULL, NULL, &c, err, sizeof err), 0);
        double dt = now_s() - t0;
        printf("  speed small lstm H%d B%d T%d (%s): %llu cycles in %.3f s = %.2f M cycles/s "
               "(incl. host-port transfers)\n",
               Hs[i], B, T, c.weights_onchip ? "on chip" : "streamed", (unsigned long long)c.cycles,
               dt, c.cycles / dt / 1e6);
        free(x);
        rb_fx_model_free(&fx);
    }
    rb_fpga_sim_free(s);
}

/* ----------------------------------------------- directions, as passes */

/* A reversed or bidirectional stack: PyTorch-style seeded weights, so the
 * error against the fp64 reference means what test_fpga_golden's does. */
typedef struct dstack {
    const char *what;
    rb_cell cell;
    int T, B, I, H, L, dirs, with_state;
} dstack;

static const dstack k_dstacks[] = {
    {"lstm reverse", RB_CELL_LSTM, 6, 3, 20, 24, 2, 1, 1},
    {"lstm bidirectional", RB_CELL_LSTM, 6, 3, 20, 24, 2, 2, 1},
    {"rnn bidirectional", RB_CELL_RNN, 7, 2, 9, 40, 2, 2, 0},
    {"gru reverse", RB_CELL_GRU, 6, 3, 20, 24, 2, 1, 1},
    {"gru bidirectional", RB_CELL_GRU, 5, 2, 11, 21, 3, 2, 1},
};

typedef struct dstate {
    rb_workload w;
    rb_model m;
    float *x, *h0, *c0;
} dstate;

static int dstate_init(dstate *d, const dstack *c, uint64_t seed)
{
    rb_err e = {0};
    memset(d, 0, sizeof *d);
    d->w = rb_test_workload(c->cell, c->T, c->B, c->I, c->H, c->L, 1);
    d->w.dirs = c->dirs;
    d->w.features = c->dirs == 2 ? RB_FEAT_BIDIR : RB_FEAT_REVERSE;
    rb_workload_make_key(&d->w);
    if (rb_model_alloc(&d->m, &d->w, &e))
        return -1;
    rb_model_init_seeded(&d->m, seed);
    d->x = rb_make_input(&d->w, seed + 1, &e);
    if (c->with_state) {
        rb_workload ws = rb_test_workload(c->cell, c->L * c->dirs, c->B, c->H, c->H, 1, 1);
        d->h0 = rb_make_input(&ws, seed + 2, &e);
        d->c0 = c->cell == RB_CELL_LSTM ? rb_make_input(&ws, seed + 3, &e) : NULL;
    }
    return d->x ? 0 : -1;
}

static void dstate_free(dstate *d)
{
    rb_model_free(&d->m);
    free(d->x);
    free(d->h0);
    free(d->c0);
}

/* The shim's side of a pass: load its plain stack, run every step, the
 * bits of the golden model's pass, the cycles of the formula. */
typedef struct pass_ctx {
    rb_fpga_sim *sim;
    const rb_fpga_hw *hw;
    const fpga_pass *pass;
    int T, B, mismatches, rc;
    uint64_t cycles, macs;
} pass_ctx;

static int rtl_pass(void *ctx, int k, const int16_t *x, const int16_t *h0, const int16_t *c0,
                    const int16_t *yg, rb_err *e)
{
    pass_ctx *p = ctx;
    const rb_fx_model *v = &p->pass[k].view;
    size_t ny = (size_t)p->T * p->B * v->hidden;
    int16_t *y = calloc(ny, sizeof *y);
    rb_fpga_counters c;
    char err[512] = "";
    (void)e;
    if ((p->rc = load(p->sim, v, NULL)) == 0 &&
        (p->rc = rb_fpga_sim_run(p->sim, p->T, p->B, x, h0, c0, y, &c, err, sizeof err)) == 0) {
        for (size_t i = 0; i < ny; i++)
            p->mismatches += y[i] != yg[i];
        uint64_t f = rb_fpga_cycles_formula(p->hw, v, p->T, p->B, p->hw->offchip_bpc);
        CHECK_INT(c.cycles, f);
        CHECK_INT(c.useful_macs, useful_macs(v, p->T, p->B));
        printf("    pass %d (layers %d..%d, direction %d%s, input %d wide): %llu cycles\n", k + 1,
               p->pass[k].layer0, p->pass[k].layer0 + p->pass[k].layers - 1, p->pass[k].dir,
               p->pass[k].reverse ? ", reversed" : "", v->input, (unsigned long long)c.cycles);
        p->cycles += c.cycles;
        p->macs += c.useful_macs;
    } else if (err[0]) {
        fprintf(stderr, "pass %d: %s\n", k + 1, err);
    }
    free(y);
    return p->rc;
}

/* Each pass on the RTL bit-exact with its golden pass, the whole
 * (reversing and concatenating on the host) bit-exact with the golden
 * model's unit-by-unit semantics. */
static void test_directions_shim(const char *cfg)
{
    rb_fpga_sim *s = sim_new(cfg);
    if (!s)
        return;
    const rb_fpga_hw *hw = rb_fpga_sim_hw(s);
    for (size_t k = 0; k < sizeof k_dstacks / sizeof k_dstacks[0]; k++) {
        const dstack *c = &k_dstacks[k];
        dstate d;
        rb_fx_model fx;
        rb_err e = {0};
        CHECK_INT(dstate_init(&d, c, 40 + k), 0);
        CHECK_INT(rb_fx_model_from(&fx, &d.m, hw->fmt, &e), 0);
        size_t nx = (size_t)c->T * c->B * c->I, ns = (size_t)c->L * c->dirs * c->B * c->H;
        size_t ny = (size_t)c->T * c->B * c->dirs * c->H;
        int16_t *xq = malloc(nx * sizeof *xq), *h0q = calloc(ns, sizeof *h0q);
        int16_t *c0q = calloc(ns, sizeof *c0q), *y = malloc(ny * sizeof *y);
        int16_t *yg = malloc(ny * sizeof *yg);
        rb_fx_quant_array(hw->fmt, d.x, xq, nx);
        if (d.h0)
            rb_fx_quant_array(hw->fmt, d.h0, h0q, ns);
        if (d.c0)
            rb_fx_quant_array(hw->fmt, d.c0, c0q, ns);
        fpga_pass pass[8];
        fpga_bufs bufs;
        int n = rb_fpga_plan(&fx, pass);
        pass_ctx ctx = {s, hw, pass, c->T, c->B, 0, 0, 0, 0};
        printf("  %s %s T=%d B=%d I=%d H=%d L=%d: %d passes\n", cfg, c->what, c->T, c->B, c->I,
               c->H, c->L, n);
        CHECK_INT(rb_fpga_bufs_alloc(&bufs, &fx, pass, n, c->T, c->B, &e), 0);
        CHECK_INT(rb_fpga_passes_forward(&fx, pass, n, c->T, c->B, xq, h0q, c0q, y, &bufs, rtl_pass,
                                         &ctx, &e),
                  0);
        CHECK_INT(ctx.rc, 0);
        CHECK_INT(ctx.mismatches, 0);
        CHECK_INT(rb_fx_forward(&fx, c->T, c->B, xq, h0q, c0q, yg, NULL, NULL, &e), 0);
        CHECK(memcmp(y, yg, ny * sizeof *y) == 0);
        /* every unit's MACs: 2 * MACs is the workload's FLOP count */
        CHECK_INT(2 * ctx.macs, (uint64_t)rb_workload_flops(&d.w));
        printf("    RTL == golden bit for bit (%zu outputs), %llu cycles in all\n", ny,
               (unsigned long long)ctx.cycles);
        rb_fpga_bufs_free(&bufs);
        free(xq);
        free(h0q);
        free(c0q);
        free(y);
        free(yg);
        rb_fx_model_free(&fx);
        dstate_free(&d);
    }
    rb_fpga_sim_free(s);
}

static double metric(const rb_sample *smp, const char *name)
{
    for (int i = 0; i < smp->n_metrics; i++)
        if (!strcmp(smp->metrics[i].name, name))
            return smp->metrics[i].value;
    return -1;
}

/* Through the target, in both simulation modes: the output is the golden
 * model's literal semantics, dequantized; cycles are the passes' summed
 * (the formula's, sampled or not); the error against the fp64 reference is
 * what test_fpga_golden bounds. */
static void test_directions_target(void)
{
    static const char *const modes[] = {"full", "sampled"};
    const rb_fpga_hw *hw = rb_fpga_hw_find("small");
    for (size_t k = 0; k < sizeof k_dstacks / sizeof k_dstacks[0]; k++) {
        const dstack *c = &k_dstacks[k];
        dstate d;
        rb_err e = {0};
        CHECK_INT(dstate_init(&d, c, 60 + k), 0);
        size_t nx = (size_t)c->T * c->B * c->I, ns = (size_t)c->L * c->dirs * c->B * c->H;
        size_t ny = (size_t)c->T * c->B * c->dirs * c->H;
        rb_fx_model fx;
        CHECK_INT(rb_fx_model_from(&fx, &d.m, hw->fmt, &e), 0);
        int16_t *xq = malloc(nx * sizeof *xq), *h0q = NULL, *c0q = NULL;
        int16_t *yg = malloc(ny * sizeof *yg);
        rb_fx_quant_array(hw->fmt, d.x, xq, nx);
        if (d.h0) {
            h0q = malloc(ns * sizeof *h0q);
            rb_fx_quant_array(hw->fmt, d.h0, h0q, ns);
        }
        if (d.c0) {
            c0q = malloc(ns * sizeof *c0q);
            rb_fx_quant_array(hw->fmt, d.c0, c0q, ns);
        }
        CHECK_INT(rb_fx_forward(&fx, c->T, c->B, xq, h0q, c0q, yg, NULL, NULL, &e), 0);
        fpga_pass pass[8];
        int n = rb_fpga_plan(&fx, pass);
        uint64_t want = 0;
        for (int p = 0; p < n; p++)
            want += rb_fpga_cycles_formula(hw, &pass[p].view, c->T, c->B, hw->offchip_bpc);
        double *ref = malloc(ny * sizeof *ref);
        rb_batch in = {c->T, c->B, c->I, d.x, d.h0, d.c0, NULL};
        CHECK_INT(rb_ref_forward(&d.m, &in, ref, NULL, NULL, &e), 0);
        float *y = malloc(ny * sizeof *y);
        rb_tensor out = {y, 3, {(size_t)c->T, (size_t)c->B, (size_t)c->dirs * c->H, 0}};
        for (int mi = 0; mi < 2; mi++) {
            rb_target t;
            rb_sample smp;
            rb_target_init(&t, rb_target_find("fpga"), 1);
            rb_target_set_opt(&t, "config", "small");
            rb_target_set_opt(&t, "sim", modes[mi]);
            int rc = rb_target_probe(&t, &e);
            if (!rc)
                rc = rb_target_load(&t, &d.m, &d.w, &e);
            if (!rc)
                rc = rb_target_forward(&t, &in, &out, &smp, &e);
            CHECK_INT(rc, 0);
            if (rc) {
                fprintf(stderr, "fpga %s %s: %s\n", c->what, modes[mi], e.msg);
                rb_target_close(&t);
                continue;
            }
            int same = 1;
            double worst = 0;
            for (size_t i = 0; i < ny; i++) {
                same &= y[i] == (float)rb_fx_dequant(hw->fmt, yg[i]);
                worst = fabs(y[i] - ref[i]) > worst ? fabs(y[i] - ref[i]) : worst;
            }
            double lsb = 1.0 / rb_fx_one(hw->fmt);
            double bound = lsb * rb_fx_quality_bound_lsb(c->cell);
            printf("  target fpga:small %-18s sim %-7s %s: %.0f passes, %.0f cycles (passes' "
                   "formula %llu), reload %.0f, load %.0f; max |y - ref| %.6f (%.1f LSB, bound "
                   "%.0f)\n",
                   c->what, modes[mi], d.w.key, metric(&smp, "passes"), metric(&smp, "cycles"),
                   (unsigned long long)want, metric(&smp, "reload_cycles"),
                   metric(&smp, "load_cycles"), worst, worst / lsb, bound / lsb);
            CHECK(same);
            CHECK(worst <= bound);
            CHECK_INT(metric(&smp, "passes"), n);
            CHECK_INT(metric(&smp, "cycles"), want);
            CHECK_INT(metric(&smp, "sim_sampled"), mi);
            CHECK_INT(metric(&smp, "reload_cycles"), n > 1 ? metric(&smp, "load_cycles") : 0);
            /* the latency: the passes' compute and the weight rewrites between them */
            CHECK_NEAR(smp.device_s, ((double)want + metric(&smp, "reload_cycles")) / hw->clock_hz,
                       1e-12);
            rb_target_close(&t);
        }
        free(y);
        free(ref);
        free(xq);
        free(h0q);
        free(c0q);
        free(yg);
        rb_fx_model_free(&fx);
        dstate_free(&d);
    }
}

/* What stays unsupported, by name: a later bidirectional layer whose 2H-wide
 * input exceeds MAX_I, and the features the cell and the RTL do not have. */
static void test_directions_refused(void)
{
    const rb_fpga_hw *hw = rb_fpga_hw_find("small");
    static const struct {
        rb_cell cell;
        int H, dirs;
        unsigned feat;
        const char *want;
    } cases[] = {
        {RB_CELL_LSTM, 300, 2, RB_FEAT_BIDIR,
         "input 600 exceeds MAX_I = 512 (pass 3 of 4, layer 1 forward "
         "direction, whose input is both directions' outputs, 2H wide)"},
        {RB_CELL_LSTM, 16, 1, RB_FEAT_PEEPHOLES, "unsupported: peepholes"},
        {RB_CELL_LSTM, 16, 1, RB_FEAT_CLIP, "unsupported: clip"},
        {RB_CELL_LSTM, 16, 1, RB_FEAT_INPUT_FORGET, "unsupported: input_forget"},
        {RB_CELL_LSTM, 16, 2, RB_FEAT_BIDIR | RB_FEAT_SEQ_LENS, "unsupported: sequence_lens"},
        /* the gru whose r multiplies h before W_hn is not built */
        {RB_CELL_GRU, 16, 1, RB_FEAT_RESET_BEFORE, "unsupported: linear_before_reset=0"},
        {RB_CELL_GRU, 300, 2, RB_FEAT_BIDIR, "input 600 exceeds MAX_I = 512 (pass 3 of 4"},
    };
    CHECK_INT(hw->max_i, 512);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rb_workload w = rb_test_workload(cases[k].cell, 4, 2, 8, cases[k].H, 2, 1);
        w.dirs = cases[k].dirs;
        w.features = cases[k].feat;
        rb_workload_make_key(&w);
        rb_model m;
        rb_err e = {0};
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        m.clip = cases[k].feat & RB_FEAT_CLIP ? 1.0f : 0.0f;
        m.input_forget = (cases[k].feat & RB_FEAT_INPUT_FORGET) != 0;
        rb_target t;
        rb_target_init(&t, rb_target_find("fpga"), 1);
        rb_target_set_opt(&t, "config", "small");
        CHECK_INT(rb_target_probe(&t, &e), 0);
        CHECK_INT(rb_target_load(&t, &m, &w, &e), RB_EUNAVAIL);
        CHECK_STR_HAS(e.msg, cases[k].want);
        printf("  refused %s: %s\n", w.key, e.msg);
        rb_target_close(&t);
        rb_model_free(&m);
    }
}

static void test_limits(void)
{
    const rb_fpga_hw *hw = rb_fpga_hw_find("small");
    CHECK(hw != NULL);
    CHECK(rb_fpga_hw_find("nonesuch") == NULL);
    char err[512] = "";
    CHECK(rb_fpga_sim_new("nonesuch", err, sizeof err) == NULL);
    CHECK_STR_HAS(err, "small");
    rb_fx_model fx;
    fx_make(&fx, hw->fmt, RB_CELL_LSTM, 4, hw->max_h + 1, 1, 10, 10);
    CHECK_INT(rb_fpga_hw_check(hw, &fx, 1, 1, err, sizeof err), RB_EINPUT);
    CHECK_STR_HAS(err, "MAX_H");
    rb_fx_model_free(&fx);
    fx_make(&fx, hw->fmt, RB_CELL_LSTM, 4, 8, hw->max_l + 1, 10, 10);
    CHECK_INT(rb_fpga_hw_check(hw, &fx, 1, 1, err, sizeof err), RB_EINPUT);
    CHECK_STR_HAS(err, "MAX_L");
    rb_fx_model_free(&fx);
    fx_make(&fx, hw->fmt, RB_CELL_LSTM, hw->max_i + 1, 8, 1, 10, 10);
    CHECK_INT(rb_fpga_hw_check(hw, &fx, 1, 1, err, sizeof err), RB_EINPUT);
    CHECK_STR_HAS(err, "MAX_I");
    rb_fx_model_free(&fx);
    fx_make(&fx, hw->fmt, RB_CELL_LSTM, 64, 8, 1, 10, 10);
    CHECK_INT(rb_fpga_hw_check(hw, &fx, 1, hw->max_b + 1, err, sizeof err), RB_EINPUT);
    CHECK_STR_HAS(err, "MAX_B");
    CHECK_INT(rb_fpga_hw_check(hw, &fx, (int)(hw->xmem_words / 64) + 1, 1, err, sizeof err),
              RB_EINPUT);
    CHECK_STR_HAS(err, "XMEM_WORDS");
    CHECK_INT(rb_fpga_hw_check(hw, &fx, 2, 2, err, sizeof err), 0);
    /* a model quantized to another format than the datapath's */
    fx.fmt.frac--;
    char want[96], a[16], b[16];
    snprintf(want, sizeof want, "quantized to %s, the datapath is %s",
             rb_fx_fmt_name(fx.fmt, a, sizeof a), rb_fx_fmt_name(hw->fmt, b, sizeof b));
    CHECK_INT(rb_fpga_hw_check(hw, &fx, 2, 2, err, sizeof err), RB_EINPUT);
    CHECK_STR_HAS(err, want);
    fx.fmt.frac++;
    rb_fpga_sim *s = sim_new("small");
    if (s) {
        int16_t x[64] = {0};
        CHECK_INT(rb_fpga_sim_run(s, 1, 1, x, NULL, NULL, NULL, NULL, err, sizeof err), RB_EINPUT);
        CHECK_STR_HAS(err, "no model");
        CHECK_INT(load(s, &fx, NULL), 0);
        CHECK_INT(rb_fpga_sim_run(s, 1, hw->max_b + 1, x, NULL, NULL, NULL, NULL, err, sizeof err),
                  RB_EINPUT);
        CHECK_STR_HAS(err, "MAX_B");
        CHECK(rb_fpga_sim_set_offchip_bpc(s, 0) < 0);
        rb_fpga_sim_free(s);
    }
    rb_fx_model_free(&fx);
}
#endif

int main(void)
{
#ifndef RB_HAVE_VERILATOR
    printf("test_fpga_rtl: built without Verilator, nothing to test\n");
    return rb_test_done("test_fpga_rtl");
#else
    const rb_fpga_hw *hws;
    int n = rb_fpga_hw_configs(&hws);
    for (int i = 0; i < n; i++) {
        char fmt[16];
        printf("  config %s: %s, %d lanes, %d units/cycle, %ld on-chip weight values: %s\n",
               hws[i].name, rb_fx_fmt_name(hws[i].fmt, fmt, sizeof fmt), hws[i].lanes,
               hws[i].vlanes, hws[i].wmem_words, hws[i].describes);
    }
    for (int i = 0; i < n; i++) { /* the units in each configuration's format */
        test_units_lookup(&hws[i]);
        test_act_exhaustive(&hws[i]);
        test_mac(&hws[i]);
        test_cell(&hws[i]);
    }
    test_limits();
    test_tiny_cycles();
    test_data_independence();
    test_forward_random("small", 40);
    test_forward_random("large", 12);
    test_forward_random("small8", 30);
    test_forward_gru("small", 20);
    test_forward_gru("large", 6);
    test_forward_gru("small8", 15);
    test_streamed("small", RB_CELL_LSTM, 64, 192, 2, 2, 4.0);
    test_streamed("large", RB_CELL_LSTM, 1152, 1024, 1, 1, 256.0);
    test_streamed("small8", RB_CELL_LSTM, 64, 256, 2, 2, 4.0);
    test_streamed("small", RB_CELL_GRU, 64, 192, 2, 2, 4.0);
    test_streamed("small8", RB_CELL_GRU, 64, 256, 2, 3, 4.0);
    test_streamed_regimes();
    test_utilization();
    test_directions_shim("small");
    test_directions_shim("small8");
    test_directions_shim("large");
    test_directions_target();
    test_directions_refused();
    test_speed();
    return rb_test_done("test_fpga_rtl");
#endif
}
