/* asic_model.c — the analytical model of an LSTM, GRU or RNN on a MAC-array
 * accelerator: cycles, the bound that sets them, memory traffic, energy.
 *
 * MODEL.md states every formula with a worked example; the names here are
 * its names.  The array is weight-stationary (the TPU's arrangement): a
 * tile of rows x cols weights is shifted in (rows cycles, double-buffered
 * behind the previous tile, the first one in the open) and the rows of the
 * operand stream through it.  Every timestep is the same work, so the model
 * computes one layer-step per unit and multiplies by T.  Two schedules
 * (the preset's `schedule`): fused, one product per layer-step over
 * [x_t; h_{t-1}]; hoisted, the input product of every timestep at once
 * (one product over T*B rows per unit and call) before the recurrence,
 * whose steps then multiply h_{t-1} only.  A bidirectional layer is two
 * units, each with its own weights, one after the other on the array (the
 * second reads the same input backwards in time); later layers read both
 * directions' h, 2H wide.  Rows past their length (sequence lengths) are
 * computed and discarded, as a batched array does: the work is all T steps.
 * A GRU's n row needs W_in x and W_hn h apart (r scales the second), so its
 * fused layer-step is two products: [x_t; h_{t-1}] through the r and z rows
 * and x_t alone through the n rows, then h_{t-1} through W_hn. */
#include <math.h>
#include <string.h>

#include "asic.h"

/* Vector-unit operations per hidden unit and batch element (MODEL.md):
 * per gate row 2 (merge the input and recurrent accumulators with the bias)
 * + 1 activation; per LSTM unit f*c + i*g (2), tanh(c') and o*tanh (2); per
 * GRU unit r*(W_hn h + b_hn) + (W_in x + b_in) (1: a multiply-add; the n
 * row's two merges keep its two sums apart at the same 2 operations), and
 * (1 - z)*n + z*h (3); and one conversion to store h.  Peepholes add one
 * multiply-add per gate they feed (i, f, o), a clip one clamp per gate row;
 * input_forget's 1 - i replaces the forget gate's activation, at the same
 * count. */
static int vector_ops_per_unit(const rb_workload *w)
{
    int G = rb_cell_gates(w->cell);
    int ops = w->cell == RB_CELL_LSTM  ? 4 * 3 + 4 + 1
              : w->cell == RB_CELL_GRU ? 3 * 3 + 1 + 3 + 1
                                       : 1 * 3 + 1;
    if (w->cell == RB_CELL_LSTM && (w->features & RB_FEAT_PEEPHOLES))
        ops += 3;
    if (w->features & RB_FEAT_CLIP)
        ops += G;
    return ops;
}

static double ceil_div(double a, double b) { return ceil(a / b); }

/* What every product shares: the preset's figures in the model's units. */
typedef struct model_ctx {
    const rb_asic_preset *p;
    double R, C;     /* array rows and columns */
    double b, a;     /* bytes per value, per accumulator */
    double bpc_off;  /* the off-chip link, bytes per cycle */
    double acc_rows; /* rows a weight tile serves before its partial sums fill
                        the accumulator memory */
    int resident;    /* every weight in the weight memory */
} model_ctx;

/* The weights of one product, K x N: the first N0 columns reduce over all
 * K rows, the other N - N0 over the first K1 only (zeros below).  N0 = N but
 * for a GRU's fused product: its r and z columns reduce over [x; h], its n
 * columns over x alone (K1 = K_ih).  A column tile holding only such short
 * columns skips the row tiles below K1 (all zero, never loaded); one shared
 * with full columns runs every row tile. */
typedef struct pshape {
    double K, N, N0, K1;
} pshape;

static pshape dense(double K, double N) { return (pshape){K, N, N, K}; }

/* Column tiles of full depth and of short depth. */
static void col_tiles(const model_ctx *x, const pshape *s, double *full, double *part)
{
    *full = ceil_div(s->N0, x->C);
    *part = ceil_div(s->N, x->C) - *full;
}

/* Operand values per row that the array reads: each column tile reads the
 * rows of its depth (the operand is fed again for every output tile). */
static double rereads(const model_ctx *x, const pshape *s)
{
    double full, part;
    col_tiles(x, s, &full, &part);
    return full * s->K + part * s->K1;
}

/* One product on the array, run `reps` times a call: M operand rows through
 * the weights of s, with its activation traffic already split between the
 * link (a_link) and the activation memory (a_chip), and `vec` cycles of
 * vector work after it.  Adds its cycles, bound, traffic and on-chip energy
 * to r; returns the cycles of one run. */
static double product(const model_ctx *x, double M, const pshape *s, double a_link, double a_chip,
                      double vec, double reps, rb_asic_result *r, double *onchip_pj)
{
    const rb_asic_preset *p = x->p;
    const rb_asic_energies *E = &p->energy_use;
    const double R = x->R, C = x->C;
    /* tiles, (non-zero) weights and the partial sums' passes: n_k per
     * output column, that of its column tile (short columns sharing a tile
     * with full ones take every pass) */
    double full, part;
    col_tiles(x, s, &full, &part);
    const double nk = ceil_div(s->K, R), nk1 = ceil_div(s->K1, R);
    const double tiles = nk * full + nk1 * part, wcount = s->N0 * s->K + (s->N - s->N0) * s->K1;
    const double mixed = fmin(s->N - s->N0, full * C - s->N0); /* short columns in full tiles */
    const double acc_cols = nk * (s->N0 + mixed) + nk1 * (s->N - s->N0 - mixed);
    /* rows in blocks the accumulator memory holds; each block takes the
     * weights through the array again */
    const double nm = ceil_div(M, x->acc_rows), Mb = ceil_div(M, nm);
    const double wbytes = nm * wcount * x->b;
    const double w_link = x->resident ? 0 : wbytes, w_chip = wbytes - w_link;
    /* the link carries streamed weights and activations together: its time
     * is charged to whichever of the two moves more bytes over it */
    const double link = (w_link + a_link) / x->bpc_off;
    const int link_w = w_link >= a_link;
    const double t[RB_ASIC_BOUND_VECTOR] = {
        /* array, per block: the first tile's weights shift in (R), each
         * later tile's behind the one in use (max(Mb, R) each), the last
         * tile's Mb rows, then fill and drain (R + C - 2); without the
         * double buffer every tile loads, computes and drains in turn */
        nm * (p->weight_double_buffer ? R + (tiles - 1) * fmax(Mb, R) + Mb + R + C - 2
                                      : tiles * (2 * R + C + Mb - 2) - 1),
        fmax(x->resident ? w_chip / p->weight_sram_bpc : 0, link_w ? link : 0),
        fmax(a_chip / p->act_sram_bpc, link_w ? 0 : link),
    };
    int bound = RB_ASIC_BOUND_ARRAY;
    for (int k = 1; k < RB_ASIC_BOUND_VECTOR; k++)
        if (t[k] > t[bound])
            bound = k;
    r->bound_cycles[bound] += reps * t[bound];
    r->bound_cycles[RB_ASIC_BOUND_VECTOR] += reps * vec;
    r->macs += reps * wcount * M;
    const double accbytes = 2 * M * acc_cols * x->a;
    r->offchip_bytes += reps * (w_link + a_link);
    r->onchip_bytes += reps * (w_chip + a_chip + accbytes);
    *onchip_pj += reps * (w_chip * E->weight_sram_byte + a_chip * E->act_sram_byte +
                          accbytes * E->acc_sram_byte);
    return t[bound] + vec;
}

/* Where a product's activation bytes go (MODEL.md "Capacity"): all on chip
 * while the call's activations fit; when only the product's own operand
 * (once) and state fit, the operand arrives once and its outputs leave
 * once over the link while the n_n re-reads stay on chip; else every byte
 * crosses the link.  `all` is every activation byte of the product, `once`
 * what must cross the link when the product fits, `need` its working set. */
static void place(const model_ctx *x, double all, double once, double need, int spill,
                  double *a_link, double *a_chip, rb_asic_result *r)
{
    *a_link = 0;
    *a_chip = all;
    if (!spill)
        return;
    if (need <= x->p->act_sram_bytes) {
        *a_link = once;
    } else {
        *a_link = all;
        *a_chip = 0;
        r->step_spill = 1;
    }
}

/* The model for one schedule (hoisted: 1). */
static void model_schedule(const rb_asic_preset *p, const rb_workload *w, int hoisted,
                           rb_asic_result *r)
{
    memset(r, 0, sizeof *r);
    const double B = w->batch, T = w->seq, H = w->hidden;
    const int D = rb_workload_dirs(w), vops = vector_ops_per_unit(w);
    const double G = rb_cell_gates(w->cell), f = p->clock_mhz * 1e6;
    const double c_bytes = w->cell == RB_CELL_LSTM ? 4.0 : 0.0; /* fp32 cell state */
    const rb_asic_energies *E = &p->energy_use;
    model_ctx x = {.p = p, .R = p->rows, .C = p->cols};
    x.b = rb_asic_dtype_bits(p->num.dtype) / 8.0;
    x.a = p->num.acc_bits / 8.0;
    x.bpc_off = p->offchip_gbs * 1e9 / f;
    x.acc_rows = fmax(1, floor(p->acc_sram_bytes / (x.C * x.a)));

    /* Weights of every unit (D per layer); resident if they all fit the
     * weight memory. */
    double wtotal = 0;
    for (int l = 0; l < w->layers; l++) {
        double kih = l > 0 ? D * H : w->input_proj ? w->input : 0;
        wtotal += D * G * H * (kih + H) * x.b;
    }
    r->weight_bytes = wtotal;
    r->weights_resident = x.resident = p->weight_sram_bytes > 0 && wtotal <= p->weight_sram_bytes;
    r->load_s = r->weights_resident ? wtotal / (p->offchip_gbs * 1e9) : 0;

    /* Activation working set: the input and output sequences (y is D*H
     * wide; hoisted, a middle layer's whole output sequence too, as the
     * next layer's operand), h (two copies: the step being read and the one
     * being written) and c of every unit.  Hoisted, the pre-activations of
     * the input product (T*B*G*H at the accumulator's width) wait in the
     * activation memory for their steps: with the rest if they fit. */
    const double xw = w->input_proj ? w->input : G * H; /* width of x */
    const double io_bytes = B * T * (xw + D * H) * x.b;
    const double in_max = hoisted && w->layers > 1 ? fmax(xw, D * H) : xw;
    const double state = w->layers * D * B * H * (2 * x.b + c_bytes);
    const double working = B * T * (in_max + D * H) * x.b + state;
    r->act_bytes = working;
    r->acts_spill = working > p->act_sram_bytes;
    r->hoisted = hoisted;

    double cycles = 0, onchip_pj = 0;
    const double vec = ceil_div(B * H * vops, p->vector_lanes); /* a step's, per unit */
    for (int u = 0; u < w->layers * D; u++) {
        const int l = u / D;
        const double kih = l > 0 ? D * H : w->input_proj ? w->input : 0;
        /* a unit without input projection runs the same in both schedules */
        const int hoist = hoisted && kih > 0;
        /* a GRU step that multiplies x_t itself cannot sum W_hn h_{t-1} into
         * W_in x_t's accumulators (r scales it alone): a product of its own */
        const int split = w->cell == RB_CELL_GRU && kih > 0 && !hoist;
        const double pre = T * B * G * H * x.a; /* hoisted: the pre-activations */
        const int pre_spill = hoist && (r->acts_spill || working + pre > p->act_sram_bytes);
        double a_link, a_chip;
        if (hoist) {
            /* the input product over all T*B rows, once a call */
            r->preacts_spill |= pre_spill;
            r->act_bytes = fmax(r->act_bytes, working + pre);
            const pshape in_w = dense(kih, G * H);
            const double opnd = T * B * kih * x.b;
            place(&x, T * B * rereads(&x, &in_w) * x.b, opnd, opnd, r->acts_spill, &a_link, &a_chip,
                  r);
            if (pre_spill)
                a_link += pre; /* written out, read back by the steps */
            else
                a_chip += pre;
            cycles += product(&x, T * B, &in_w, a_link, a_chip, 0, 1, r, &onchip_pj);
        }
        /* a step: one product over [x_t; h_{t-1}] (K = I + H) fused, over
         * h_{t-1} alone hoisted, its pre-activations merged in by the vector
         * unit; layer 0 without input projection reads its pre-projected x.
         * A split GRU step's first product takes the r and z rows over
         * [x_t; h_{t-1}] and the n rows over x_t alone. */
        const double K = hoist ? H : kih + H;
        const pshape step = split ? (pshape){K, 3 * H, 2 * H, kih} : dense(K, G * H);
        const double xpre = (l == 0 && !w->input_proj) ? B * G * H * x.b : 0;
        /* beside the gates the vector unit reads an LSTM's fp32 c and
         * writes it back, and a GRU's h_{t-1} (for z * h) */
        const double h_out = B * H * x.b;
        const double upd = w->cell == RB_CELL_GRU ? B * H * x.b : 2 * B * H * c_bytes;
        const double need = B * K * x.b + B * H * (2 * x.b + c_bytes);
        place(&x, B * rereads(&x, &step) * x.b + xpre + h_out + upd, B * K * x.b + xpre + h_out,
              need, r->acts_spill, &a_link, &a_chip, r);
        if (hoist) {
            const double step_pre = B * G * H * x.a;
            if (pre_spill)
                a_link += step_pre;
            else
                a_chip += step_pre;
        }
        double t_step = product(&x, B, &step, a_link, a_chip, split ? 0 : vec, T, r, &onchip_pj);
        if (split) {
            /* W_hn h_{t-1}: its operand came with [x_t; h_{t-1}] (nothing
             * more crosses the link while the step fits); the vector unit
             * runs once both products are done */
            const pshape hn = dense(H, H);
            place(&x, B * rereads(&x, &hn) * x.b, 0, need, r->acts_spill, &a_link, &a_chip, r);
            t_step += product(&x, B, &hn, a_link, a_chip, vec, T, r, &onchip_pj);
        }
        cycles += T * t_step;
        r->vector_ops += B * H * vops * T;
    }
    /* x in and y out cross the link once; the timed window excludes them
     * (double-buffered in a deployment), the energy does not. */
    r->offchip_bytes += io_bytes;
    r->cycles = cycles;
    r->latency_s = r->cycles / f;
    r->utilization = r->macs / (x.R * x.C * r->cycles);
    r->e_mac = r->macs * E->mac * 1e-12;
    r->e_onchip = onchip_pj * 1e-12;
    r->e_offchip = r->offchip_bytes * E->offchip_byte * 1e-12;
    r->e_vector = r->vector_ops * E->vector_op * 1e-12;
    r->e_static = p->static_w * r->latency_s;
    r->e_total = r->e_mac + r->e_onchip + r->e_offchip + r->e_vector + r->e_static;
}

int rb_asic_model(const rb_asic_preset *p, const rb_workload *w, rb_asic_result *r, rb_err *e)
{
    memset(r, 0, sizeof *r);
    if (w->seq < 1 || w->batch < 1 || w->hidden < 1 || w->layers < 1 ||
        (w->input_proj && w->input < 1))
        return rb_errf(e, RB_EINPUT, "asic model: %s has a non-positive size", w->key);
    if (p->rows < 1 || p->cols < 1 || !(p->clock_mhz > 0) || p->vector_lanes < 1 ||
        !(p->act_sram_bpc > 0) || !(p->offchip_gbs > 0) || !(p->acc_sram_bytes > 0))
        return rb_errf(e, RB_EINPUT, "asic model: preset %s is not complete", p->name);
    if (p->schedule != RB_ASIC_AUTO) {
        model_schedule(p, w, p->schedule == RB_ASIC_HOISTED, r);
        return 0;
    }
    /* auto: the faster of the two for this workload, fused on a tie; the
     * other's cycles kept so that the choice can be stated */
    rb_asic_result fused, hoisted;
    model_schedule(p, w, 0, &fused);
    model_schedule(p, w, 1, &hoisted);
    int pick = hoisted.cycles < fused.cycles;
    *r = pick ? hoisted : fused;
    r->by_auto = 1;
    r->other_cycles = pick ? fused.cycles : hoisted.cycles;
    return 0;
}
