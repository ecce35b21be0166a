/* params.c — offsets of the flat parameter layout (see params.h). */
#include "params.h"

#include <string.h>

static size_t pad(size_t n) { return (n + RB_PARAM_ALIGN - 1) / RB_PARAM_ALIGN * RB_PARAM_ALIGN; }

size_t rb_param_count(const rb_model *m, int u, rb_param_kind k)
{
    size_t gh = (size_t)rb_cell_gates(m->cell) * (size_t)m->hidden;
    switch (k) {
    case RB_P_W_IH: return gh * (size_t)m->layer[u].in;
    case RB_P_W_HH: return gh * (size_t)m->hidden;
    case RB_P_PEEP: return m->layer[u].p ? 3 * (size_t)m->hidden : 0;
    default: return gh;
    }
}

/* Padded size of one whole unit. */
static size_t unit_total(const rb_model *m, int u)
{
    size_t n = 0;
    for (int k = RB_P_W_IH; k <= RB_P_PEEP; k++)
        n += pad(rb_param_count(m, u, (rb_param_kind)k));
    return n;
}

size_t rb_param_off(const rb_model *m, int u, rb_param_kind k)
{
    size_t off = 0;
    /* The units of the first layer have one size, all later ones another:
     * no loop over L. */
    int D = m->dirs == 2 ? 2 : 1, units = rb_model_units(m);
    if (u < D)
        off = (size_t)u * unit_total(m, 0);
    else
        off = (size_t)D * unit_total(m, 0) + (size_t)(u - D) * unit_total(m, units > D ? D : 0);
    for (int j = RB_P_W_IH; j < (int)k; j++)
        off += pad(rb_param_count(m, u, (rb_param_kind)j));
    return off;
}

size_t rb_param_total(const rb_model *m)
{
    int units = rb_model_units(m);
    return units ? rb_param_off(m, units - 1, RB_P_PEEP) +
                       pad(rb_param_count(m, units - 1, RB_P_PEEP))
                 : 0;
}

const char *rb_param_kind_name(rb_param_kind k)
{
    static const char *names[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole"};
    return names[k];
}

static float *tensor(const rb_model *m, int u, rb_param_kind k)
{
    const rb_layer *ly = &m->layer[u];
    float *p[] = {ly->w_ih, ly->w_hh, ly->b_ih, ly->b_hh, ly->p};
    return p[k];
}

void rb_model_flatten(const rb_model *m, float *flat)
{
    memset(flat, 0, rb_param_total(m) * sizeof *flat);
    for (int u = 0; u < rb_model_units(m); u++)
        for (int k = RB_P_W_IH; k <= RB_P_PEEP; k++) {
            size_t n = rb_param_count(m, u, (rb_param_kind)k);
            if (n)
                memcpy(flat + rb_param_off(m, u, (rb_param_kind)k), tensor(m, u, (rb_param_kind)k),
                       n * sizeof *flat);
        }
}

void rb_model_unflatten(rb_model *m, const float *flat)
{
    for (int u = 0; u < rb_model_units(m); u++)
        for (int k = RB_P_W_IH; k <= RB_P_PEEP; k++) {
            size_t n = rb_param_count(m, u, (rb_param_kind)k);
            if (n)
                memcpy(tensor(m, u, (rb_param_kind)k), flat + rb_param_off(m, u, (rb_param_kind)k),
                       n * sizeof *flat);
        }
}
