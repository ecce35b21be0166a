#include "workload.h"

#include <stdio.h>
#include <string.h>

int rb_cell_gates(rb_cell c) { return c == RB_CELL_LSTM ? 4 : c == RB_CELL_GRU ? 3 : 1; }
const char *rb_cell_name(rb_cell c)
{
    return c == RB_CELL_LSTM ? "lstm" : c == RB_CELL_GRU ? "gru" : "rnn";
}
const char *rb_mode_name(rb_mode m) { return m == RB_MODE_INFER ? "infer" : "train"; }

int rb_cell_parse(const char *s, rb_cell *out)
{
    if (!strcmp(s, "lstm")) {
        *out = RB_CELL_LSTM;
        return 0;
    }
    if (!strcmp(s, "rnn")) {
        *out = RB_CELL_RNN;
        return 0;
    }
    if (!strcmp(s, "gru")) {
        *out = RB_CELL_GRU;
        return 0;
    }
    return -1;
}

int rb_mode_parse(const char *s, rb_mode *out)
{
    if (!strcmp(s, "infer")) {
        *out = RB_MODE_INFER;
        return 0;
    }
    if (!strcmp(s, "train")) {
        *out = RB_MODE_TRAIN;
        return 0;
    }
    return -1;
}

const char *rb_feature_name(unsigned bit)
{
    switch (bit) {
    case RB_FEAT_REVERSE: return "reverse";
    case RB_FEAT_BIDIR: return "bidirectional";
    case RB_FEAT_PEEPHOLES: return "peepholes";
    case RB_FEAT_CLIP: return "clip";
    case RB_FEAT_INPUT_FORGET: return "input_forget";
    case RB_FEAT_SEQ_LENS: return "sequence_lens";
    case RB_FEAT_STATEFUL: return "stateful";
    case RB_FEAT_RESET_BEFORE: return "linear_before_reset=0";
    default: return "?";
    }
}

const char *rb_features_str(unsigned f, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned bit = 1; bit & RB_FEAT_ALL; bit <<= 1)
        if ((f & bit) && len < n)
            len +=
                (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "", rb_feature_name(bit));
    return buf;
}

int rb_workload_dirs(const rb_workload *w) { return w->dirs == 2 ? 2 : 1; }
int rb_workload_y_width(const rb_workload *w) { return rb_workload_dirs(w) * w->hidden; }

void rb_workload_make_key(rb_workload *w)
{
    char scn[64];
    rb_serve_spec_suffix(&w->serve, scn, sizeof scn);
    snprintf(w->key, sizeof w->key, "%s_%s_t%d_b%d_i%d_h%d_l%d%s%s%s%s%s", rb_cell_name(w->cell),
             rb_mode_name(w->mode), w->seq, w->batch, w->input, w->hidden, w->layers,
             w->input_proj ? "" : "_noproj", rb_workload_dirs(w) == 2 ? "_bi" : "",
             w->model[0] ? "_" : "", w->model, scn);
}

rb_workload rb_workload_of(rb_cell cell, rb_mode mode, int seq, int batch, int input, int hidden,
                           int layers, int input_proj)
{
    rb_workload w;
    memset(&w, 0, sizeof w);
    w.cell = cell;
    w.mode = mode;
    w.seq = seq;
    w.batch = batch;
    w.input = input;
    w.hidden = hidden;
    w.layers = layers;
    w.input_proj = input_proj;
    w.dirs = 1;
    rb_workload_make_key(&w);
    return w;
}

int rb_workload_x_width(const rb_workload *w)
{
    return w->input_proj ? w->input : rb_cell_gates(w->cell) * w->hidden;
}

double rb_workload_flops(const rb_workload *w)
{
    double G = rb_cell_gates(w->cell), H = w->hidden, BT = (double)w->batch * w->seq;
    double D = rb_workload_dirs(w);
    double first_in = w->input_proj ? w->input : 0;
    double f = D * 2.0 * G * H * (first_in + H) * BT;
    f += (w->layers - 1) * D * 2.0 * G * H * (D * H + H) * BT;
    return w->mode == RB_MODE_TRAIN ? 3.0 * f : f;
}

int rb_train_check_workload(const rb_workload *w, rb_workload *check)
{
    *check = *w;
    check->mode = RB_MODE_TRAIN;
    rb_workload_make_key(check);
    if (rb_workload_flops(check) <= RB_TRAIN_CHECK_FLOP)
        return 0;
    if (check->seq > RB_TRAIN_CHECK_T)
        check->seq = RB_TRAIN_CHECK_T;
    if (check->batch > 2)
        check->batch = 2;
    rb_workload_make_key(check);
    return 1;
}

uint64_t rb_workload_mem_bytes(const rb_workload *w)
{
    /* double, not uint64_t: absurd sizes must produce a huge estimate, not wrap. */
    /* a server keeps an instance loaded per batch size up to max_batch */
    double sizes = w->serve.scenario ? w->serve.max_batch : 1;
    double G = rb_cell_gates(w->cell), H = w->hidden, I = w->input, T = w->seq,
           B = sizes > w->batch ? sizes : w->batch, X = rb_workload_x_width(w), D = rb_workload_dirs(w), L = w->layers * D /* units */;
    /* weights: W_ih, W_hh, two biases (and peepholes) per layer and direction;
     * the target keeps a packed copy */
    double wts = D * G * H * (I + H + 5) + (L - D) * G * H * (D * H + H + 5);
    double x = T * B * X;
    double gates = T * B * G * H;        /* precomputed input projection, one layer at a time */
    double seqs = 2 * T * B * H * D * D; /* layer input/output ping-pong, per direction too */
    double state = 2 * L * B * H;
    double fp32 = 2 * wts + x + gates + seqs + state + T * B * H * D /* target output */;
    double fp64 = wts + x + gates + seqs + state; /* reference */
    double bytes = 4 * fp32 + 8 * fp64 + 4 * 2 * wts * (sizes - 1);
    if (w->mode == RB_MODE_TRAIN) {
        /* the target: activations kept for BPTT (gates, cell states and
         * outputs of every step and layer), gradients at the gates and the
         * outputs, gradients and Adam's two moments; and the training target;
         * the cpu target's packed operands of the backward's products (the
         * weights once more, chunks of h and x) */
        /* (the GRU keeps W_hn h + b_hn where the LSTM keeps c, and a second
         * gradient at its gates, the recurrent side's) */
        double gru = w->cell == RB_CELL_GRU;
        bytes += 4 * (L * T * B * (G * H + 2 * H) + T * B * ((1 + gru) * G * H + 3 * H) + 3 * wts);
        bytes += 4 * (wts + 512 * (H + (X > H ? X : H)));
        /* the fp64 reference backward on the checked problem: the same
         * activations plus each layer's input, and the gradients */
        rb_workload c;
        rb_train_check_workload(w, &c);
        double cTB = (double)c.seq * c.batch;
        bytes += 8 * (L * cTB * (G * H + 3 * H + (X > H ? X : H)) + 2 * cTB * H + wts);
        if (c.seq != w->seq || c.batch != w->batch) /* the full-size forward check is skipped */
            bytes -= 8 * (x + gates + seqs);
    }
    return bytes >= 1.8e19 ? UINT64_MAX : (uint64_t)bytes;
}
