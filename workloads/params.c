/* params.c — offsets of the flat parameter layout (see params.h). */
#include "params.h"

#include <string.h>

static size_t pad(size_t n) { return (n + RB_PARAM_ALIGN - 1) / RB_PARAM_ALIGN * RB_PARAM_ALIGN; }

size_t rb_param_count(const rb_model *m, int layer, rb_param_kind k)
{
    size_t gh = (size_t)rb_cell_gates(m->cell) * (size_t)m->hidden;
    switch (k) {
    case RB_P_W_IH: return gh * (size_t)m->layer[layer].in;
    case RB_P_W_HH: return gh * (size_t)m->hidden;
    default: return gh;
    }
}

/* Padded size of one whole layer. */
static size_t layer_total(const rb_model *m, int layer)
{
    size_t n = 0;
    for (int k = RB_P_W_IH; k <= RB_P_B_HH; k++)
        n += pad(rb_param_count(m, layer, (rb_param_kind)k));
    return n;
}

size_t rb_param_off(const rb_model *m, int layer, rb_param_kind k)
{
    size_t off = 0;
    /* Layers after the first all have the same size: no loop over L. */
    if (layer > 0)
        off = layer_total(m, 0) + (size_t)(layer - 1) * layer_total(m, m->layers > 1 ? 1 : 0);
    for (int j = RB_P_W_IH; j < (int)k; j++)
        off += pad(rb_param_count(m, layer, (rb_param_kind)j));
    return off;
}

size_t rb_param_total(const rb_model *m)
{
    return m->layers ? rb_param_off(m, m->layers - 1, RB_P_B_HH) +
                           pad(rb_param_count(m, m->layers - 1, RB_P_B_HH))
                     : 0;
}

const char *rb_param_kind_name(rb_param_kind k)
{
    static const char *names[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    return names[k];
}

static float *tensor(const rb_model *m, int l, rb_param_kind k)
{
    const rb_layer *ly = &m->layer[l];
    float *p[] = {ly->w_ih, ly->w_hh, ly->b_ih, ly->b_hh};
    return p[k];
}

void rb_model_flatten(const rb_model *m, float *flat)
{
    memset(flat, 0, rb_param_total(m) * sizeof *flat);
    for (int l = 0; l < m->layers; l++)
        for (int k = RB_P_W_IH; k <= RB_P_B_HH; k++) {
            size_t n = rb_param_count(m, l, (rb_param_kind)k);
            if (n)
                memcpy(flat + rb_param_off(m, l, (rb_param_kind)k), tensor(m, l, (rb_param_kind)k),
                       n * sizeof *flat);
        }
}

void rb_model_unflatten(rb_model *m, const float *flat)
{
    for (int l = 0; l < m->layers; l++)
        for (int k = RB_P_W_IH; k <= RB_P_B_HH; k++) {
            size_t n = rb_param_count(m, l, (rb_param_kind)k);
            if (n)
                memcpy(tensor(m, l, (rb_param_kind)k), flat + rb_param_off(m, l, (rb_param_kind)k),
                       n * sizeof *flat);
        }
}
