/* asic_model.c — the analytical model of an LSTM/RNN on a MAC-array
 * accelerator: cycles, the bound that sets them, memory traffic, energy.
 *
 * MODEL.md states every formula with a worked example; the names here are
 * its names.  The array is weight-stationary (the TPU's arrangement): a
 * tile of rows x cols weights is shifted in (rows cycles, double-buffered
 * behind the previous tile, the first one in the open) and the batch's B
 * input vectors stream through it.  Every timestep and layer is the same
 * work, so the model computes one layer-step per layer and multiplies by T.
 * A bidirectional layer is two units, each with its own weights, one after
 * the other on the array (the second reads the same input backwards in
 * time); later layers read both directions' h, 2H wide.  Rows past their length (sequence lengths) are
 * computed and discarded, as a batched array does: the work is all T steps. */
#include <math.h>
#include <string.h>

#include "asic.h"

/* Vector-unit operations per hidden unit and batch element (MODEL.md):
 * per gate row 2 (merge the input and recurrent accumulators with the bias)
 * + 1 activation; per LSTM unit f*c + i*g (2), tanh(c') and o*tanh (2); and
 * one conversion to store h.  Peepholes add one multiply-add per gate they
 * feed (i, f, o), a clip one clamp per gate row; input_forget's 1 - i
 * replaces the forget gate's activation, at the same count. */
static int vector_ops_per_unit(const rb_workload *w)
{
    int G = rb_cell_gates(w->cell);
    int ops = w->cell == RB_CELL_LSTM ? 4 * 3 + 4 + 1 : 1 * 3 + 1;
    if (w->cell == RB_CELL_LSTM && (w->features & RB_FEAT_PEEPHOLES))
        ops += 3;
    if (w->features & RB_FEAT_CLIP)
        ops += G;
    return ops;
}

static double ceil_div(double a, double b) { return ceil(a / b); }

int rb_asic_model(const rb_asic_preset *p, const rb_workload *w, rb_asic_result *r, rb_err *e)
{
    memset(r, 0, sizeof *r);
    if (w->seq < 1 || w->batch < 1 || w->hidden < 1 || w->layers < 1 ||
        (w->input_proj && w->input < 1))
        return rb_errf(e, RB_EINPUT, "asic model: %s has a non-positive size", w->key);
    if (p->rows < 1 || p->cols < 1 || !(p->clock_mhz > 0) || p->vector_lanes < 1 ||
        !(p->act_sram_bpc > 0) || !(p->offchip_gbs > 0))
        return rb_errf(e, RB_EINPUT, "asic model: preset %s is not complete", p->name);
    const double R = p->rows, C = p->cols, B = w->batch, T = w->seq, H = w->hidden;
    const int D = rb_workload_dirs(w), vops = vector_ops_per_unit(w);
    const double G = rb_cell_gates(w->cell), f = p->clock_mhz * 1e6;
    const double bw = rb_asic_dtype_bits(p->num.dtype) / 8.0, acc_b = p->num.acc_bits / 8.0;
    const double offchip_bpc = p->offchip_gbs * 1e9 / f;
    const double c_bytes = w->cell == RB_CELL_LSTM ? 4.0 : 0.0; /* fp32 cell state */
    const rb_asic_energies *E = &p->energy_use;

    /* Weights of every unit (D per layer); resident if they all fit the
     * weight memory. */
    double wtotal = 0;
    for (int l = 0; l < w->layers; l++) {
        double kih = l > 0 ? D * H : w->input_proj ? w->input : 0;
        wtotal += D * G * H * (kih + H) * bw;
    }
    r->weight_bytes = wtotal;
    r->weights_resident = p->weight_sram_bytes > 0 && wtotal <= p->weight_sram_bytes;
    r->load_s = r->weights_resident ? wtotal / (p->offchip_gbs * 1e9) : 0;
    const double wbpc = r->weights_resident ? p->weight_sram_bpc : offchip_bpc;

    /* Activation working set: the input and output sequences (y is D*H
     * wide), h (two copies: the step being read and the one being written)
     * and c of every unit. */
    const double xw = w->input_proj ? w->input : G * H; /* width of x */
    const double io_bytes = B * T * (xw + D * H) * bw;
    const double working = io_bytes + w->layers * D * B * H * (2 * bw + c_bytes);
    r->act_bytes = working;
    r->acts_spill = working > p->act_sram_bytes;

    double step_cycles = 0, onchip_pj = 0, offchip_bytes = 0;
    for (int u = 0; u < w->layers * D; u++) {
        const int l = u / D;
        const double kih = l > 0 ? D * H : w->input_proj ? w->input : 0, K = kih + H;
        const double nk = ceil_div(K, R), nn = ceil_div(G * H, C);
        const double wbytes = G * H * K * bw;
        /* inputs re-read for every output tile; pre-projected x read once
         * (layer 0 without input projection); h written; c read and written */
        const double xpre = (l == 0 && !w->input_proj) ? B * G * H * bw : 0;
        const double abytes = nn * B * K * bw + xpre + B * H * bw + 2 * B * H * c_bytes;
        const double accbytes = 2 * nk * B * G * H * acc_b;
        /* Where the activation bytes go.  A sequence that does not fit still
         * runs from on-chip memory step by step while one layer-step's
         * operand [x_t; h_{t-1}] and the state (h twice, c) fit: the operand
         * arrives once and h_t leaves once over the link, the n_n re-reads
         * and c stay on chip.  Only a step that does not fit re-reads its
         * operand from off chip. */
        const int step_fits = B * K * bw + B * H * (2 * bw + c_bytes) <= p->act_sram_bytes;
        double a_on_link = 0, a_on_chip = abytes;
        if (r->acts_spill && step_fits) {
            a_on_link = B * K * bw + xpre + B * H * bw;
        } else if (r->acts_spill) {
            a_on_link = abytes;
            a_on_chip = 0;
            r->step_spill = 1;
        }

        const double t[RB_ASIC_BOUND_VECTOR] = {
            /* array: the first tile's weights shift in (R), each later tile's
             * behind the one in use (max(B, R) each), the last tile's B
             * vectors, then fill and drain (R + C - 2); without the double
             * buffer every tile loads, computes and drains in turn */
            p->weight_double_buffer ? R + (nk * nn - 1) * fmax(B, R) + B + R + C - 2
                                    : nk * nn * (2 * R + C + B - 2) - 1,
            wbytes / wbpc, /* weights from their memory */
            /* activations: the link and the on-chip memory work side by side */
            fmax(a_on_link / offchip_bpc, a_on_chip / p->act_sram_bpc),
        };
        int bound = RB_ASIC_BOUND_ARRAY;
        for (int k = 1; k < RB_ASIC_BOUND_VECTOR; k++)
            if (t[k] > t[bound])
                bound = k;
        const double tvec = ceil_div(B * H * vops, p->vector_lanes);
        step_cycles += t[bound] + tvec;
        r->bound_cycles[bound] += T * t[bound];
        r->bound_cycles[RB_ASIC_BOUND_VECTOR] += T * tvec;

        r->macs += G * H * K * B * T;
        r->vector_ops += B * H * vops * T;
        if (r->weights_resident) {
            onchip_pj += T * wbytes * E->weight_sram_byte;
            r->onchip_bytes += T * wbytes;
        } else {
            offchip_bytes += T * wbytes;
        }
        offchip_bytes += T * a_on_link;
        onchip_pj += T * a_on_chip * E->act_sram_byte;
        r->onchip_bytes += T * a_on_chip;
        onchip_pj += T * accbytes * E->acc_sram_byte;
        r->onchip_bytes += T * accbytes;
    }
    /* x in and y out cross the link once; the timed window excludes them
     * (double-buffered in a deployment), the energy does not. */
    offchip_bytes += io_bytes;
    r->offchip_bytes = offchip_bytes;
    r->cycles = T * step_cycles;
    r->latency_s = r->cycles / f;
    r->utilization = r->macs / (R * C * r->cycles);
    r->e_mac = r->macs * E->mac * 1e-12;
    r->e_onchip = onchip_pj * 1e-12;
    r->e_offchip = offchip_bytes * E->offchip_byte * 1e-12;
    r->e_vector = r->vector_ops * E->vector_op * 1e-12;
    r->e_static = p->static_w * r->latency_s;
    r->e_total = r->e_mac + r->e_onchip + r->e_offchip + r->e_vector + r->e_static;
    return 0;
}
