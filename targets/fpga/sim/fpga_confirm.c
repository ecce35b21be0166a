/* fpga_confirm.c — rb-fpga-confirm: simulate one configuration's RTL on a
 * random model of a given shape and say whether it agrees with what was
 * predicted for it.
 *
 * `rnnbench explore` estimates candidate configurations with the cycle
 * formula (fpga_hw.c); for the ones it confirms it builds this program with
 * the candidate's parameters (CMake RB_FPGA_BUILD=custom) and runs it: the
 * Verilated design's counted cycles must equal the formula's, and its
 * outputs and final states must equal the golden model's bit for bit.
 * Random weights are enough for both: nothing in the control depends on
 * data values (rtl/README.md), and bit-exactness is checked on whatever
 * values arrive.
 *
 *   rb-fpga-confirm --config NAME --cell lstm|gru|rnn --input I --hidden H
 *                   [--layers L] [--steps T] [--batch B] [--bpc X] [--seed S]
 *
 * Prints one JSON object.  Exit 0: cycles and bits agree; 1: they do not
 * (the object says where); 2: bad usage or a shape the configuration
 * refuses (the message says which limit); 3: the simulation failed. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fpga_sim.h"

static const char usage[] =
    "usage: rb-fpga-confirm --config NAME --cell lstm|gru|rnn --input I --hidden H\n"
    "                       [--layers L] [--steps T] [--batch B] [--bpc BYTES_PER_CYCLE]\n"
    "                       [--seed S]\n";

/* xorshift64*: reproducible values from the seed, whatever the libc */
static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static int16_t *random_values(rb_fx_fmt f, size_t n, double scale, uint64_t *s)
{
    int16_t *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = rb_fx_quant(f, scale * uniform(s));
    return v;
}

static int parse_int(const char *opt, const char *v, long min, long max, long *out)
{
    char *end;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || x < min || x > max) {
        fprintf(stderr, "rb-fpga-confirm: %s wants an integer in [%ld, %ld]\n", opt, min, max);
        return -1;
    }
    *out = x;
    return 0;
}

static int fail(int code, const char *msg)
{
    fputs("{\"error\": \"", stdout);
    for (const char *p = msg; *p; p++) {
        if (*p == '"' || *p == '\\')
            putchar('\\');
        putchar((unsigned char)*p < 0x20 ? ' ' : *p);
    }
    fputs("\"}\n", stdout);
    fprintf(stderr, "rb-fpga-confirm: %s\n", msg);
    return code;
}

int main(int argc, char **argv)
{
    const char *config = NULL, *cell = NULL;
    long I = 0, H = 0, L = 1, T = 4, B = 1, seed = 1;
    double bpc = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(o, "--config"))
            config = v;
        else if (!strcmp(o, "--cell"))
            cell = v;
        else if (!strcmp(o, "--input"))
            bad = parse_int(o, v, 1, 65536, &I);
        else if (!strcmp(o, "--hidden"))
            bad = parse_int(o, v, 1, 65536, &H);
        else if (!strcmp(o, "--layers"))
            bad = parse_int(o, v, 1, 64, &L);
        else if (!strcmp(o, "--steps"))
            bad = parse_int(o, v, 1, 1000000, &T);
        else if (!strcmp(o, "--batch"))
            bad = parse_int(o, v, 1, 4096, &B);
        else if (!strcmp(o, "--seed"))
            bad = parse_int(o, v, 0, 1L << 30, &seed);
        else if (!strcmp(o, "--bpc")) {
            char *end;
            bpc = v ? strtod(v, &end) : 0;
            if (!v || *end || !(bpc > 0) || bpc > 1e6)
                bad = (fprintf(stderr, "rb-fpga-confirm: --bpc wants bytes per cycle > 0\n"), -1);
        } else {
            fprintf(stderr, "rb-fpga-confirm: unknown option '%s'\n%s", o, usage);
            return 2;
        }
        if (bad || !v)
            return bad ? 2 : (fprintf(stderr, "rb-fpga-confirm: %s wants a value\n", o), 2);
        i++;
    }
    rb_cell kind;
    if (!config || !cell || rb_cell_parse(cell, &kind) || !I || !H) {
        fputs(usage, stderr);
        return 2;
    }
    /* only the lstm has a cell state to compare */
    const int lstm = kind == RB_CELL_LSTM;

    char err[512];
    rb_fpga_sim *sim = rb_fpga_sim_new(config, err, sizeof err);
    if (!sim)
        return fail(3, err);
    const rb_fpga_hw *hw = rb_fpga_sim_hw(sim);
    if (bpc > 0 && rb_fpga_sim_set_offchip_bpc(sim, bpc)) {
        rb_fpga_sim_free(sim);
        return fail(2, "--bpc: not a bandwidth the DMA takes");
    }
    bpc = bpc > 0 ? bpc : hw->offchip_bpc;

    /* PyTorch's initialisation, U(-1/sqrt(H), 1/sqrt(H)), as trained
     * weights of this size would roughly be; inputs in (-1, 1) */
    uint64_t s = 0x9E3779B97F4A7C15ULL ^ (uint64_t)seed;
    rb_fx_model fx = {.fmt = hw->fmt,
                      .cell = kind,
                      .input = (int)I,
                      .hidden = (int)H,
                      .layers = (int)L,
                      .gates = rb_cell_gates(kind)};
    int rc = rb_fpga_hw_check(hw, &fx, (int)T, (int)B, err, sizeof err);
    if (rc) {
        rb_fpga_sim_free(sim);
        return fail(2, err);
    }
    int16_t *w[64] = {0}, *b[64] = {0}, *bn[64] = {0};
    fx.w = w;
    fx.b = b;
    fx.bn = kind == RB_CELL_GRU ? bn : NULL; /* the n rows' recurrent biases */
    const double scale = 1.0 / sqrt((double)H);
    const size_t G = (size_t)fx.gates, xn = (size_t)(T * B * I), yn = (size_t)(T * B * H),
                 sn = (size_t)(L * B * H);
    int16_t *x = random_values(hw->fmt, xn, 1.0, &s);
    int16_t *y = malloc(yn * sizeof *y), *y_ref = malloc(yn * sizeof *y);
    int16_t *h = malloc(sn * sizeof *h), *h_ref = malloc(sn * sizeof *h);
    int16_t *c = malloc(sn * sizeof *c), *c_ref = malloc(sn * sizeof *c);
    int ok = x && y && y_ref && h && h_ref && c && c_ref;
    for (long l = 0; ok && l < L; l++) {
        w[l] = random_values(hw->fmt, G * (size_t)H * (size_t)rb_fx_k(&fx, (int)l), scale, &s);
        b[l] = random_values(hw->fmt, G * (size_t)H, scale, &s);
        ok = w[l] && b[l];
        if (ok && fx.bn)
            ok = (bn[l] = random_values(hw->fmt, (size_t)H, scale, &s)) != NULL;
    }
    rb_fpga_counters cnt = {0};
    rb_err e = {0};
    uint64_t load = 0;
    if (!ok)
        rc = fail(3, "out of memory");
    else if (rb_fpga_sim_load(sim, &fx, &load, err, sizeof err) ||
             rb_fpga_sim_run(sim, (int)T, (int)B, x, NULL, NULL, y, &cnt, err, sizeof err) ||
             rb_fpga_sim_state(sim, h, lstm ? c : NULL, err, sizeof err))
        rc = fail(3, err);
    else if (rb_fx_forward(&fx, (int)T, (int)B, x, NULL, NULL, y_ref, h_ref, lstm ? c_ref : NULL,
                           &e))
        rc = fail(3, e.msg);
    else {
        size_t bad = 0, first = (size_t)-1;
        for (size_t i = 0; i < yn; i++)
            if (y[i] != y_ref[i] && bad++ == 0)
                first = i;
        for (size_t i = 0; i < sn; i++)
            bad += (h[i] != h_ref[i]) + (lstm && c[i] != c_ref[i]);
        uint64_t formula = rb_fpga_cycles_formula(hw, &fx, (int)T, (int)B, bpc);
        char params[256];
        rb_fpga_hw_params(hw, params, sizeof params);
        printf("{\"config\": \"%s\", \"params\": \"%s\", \"cell\": \"%s\", \"input\": %ld, "
               "\"hidden\": %ld, \"layers\": %ld, \"steps\": %ld, \"batch\": %ld, "
               "\"offchip_bpc\": %g, \"cycles\": %llu, \"formula_cycles\": %llu, "
               "\"stall_cycles\": %llu, \"load_cycles\": %llu, \"useful_macs\": %llu, "
               "\"weights_onchip\": %d, \"values_compared\": %zu, \"mismatches\": %zu, "
               "\"first_mismatch\": %lld}\n",
               hw->name, params, cell, I, H, L, T, B, bpc, (unsigned long long)cnt.cycles,
               (unsigned long long)formula, (unsigned long long)cnt.stall_cycles,
               (unsigned long long)load, (unsigned long long)cnt.useful_macs, cnt.weights_onchip,
               yn + (lstm ? 2 : 1) * sn, bad, first == (size_t)-1 ? -1LL : (long long)first);
        rc = bad || cnt.cycles != formula ? 1 : 0;
    }
    for (long l = 0; l < L; l++) {
        free(w[l]);
        free(b[l]);
        free(bn[l]);
    }
    free(x);
    free(y);
    free(y_ref);
    free(h);
    free(h_ref);
    free(c);
    free(c_ref);
    rb_fpga_sim_free(sim);
    return rc;
}
