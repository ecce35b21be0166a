/* model.c — weights of an LSTM / GRU / RNN stack: allocation, seeded init, .npy I/O.
 *
 * Seeded init order (part of the reproducibility contract: changing it
 * changes every seeded result):  for layer 0..L-1: weight_ih (absent without
 * input projection), weight_hh, bias_ih, bias_hh, each in row-major order,
 * all drawn from one rb_rng seeded with `seed`.  rb_make_input uses a
 * different stream (seed mixed with a constant) so that passing the same
 * seed for weights and input does not make x equal to the first weights. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"
#include "rng.h"

#define INPUT_STREAM 0x5851F42D4C957F2Dull

/* n rows x m cols of floats, or 0 if that overflows size_t. */
static size_t float_bytes(size_t rows, size_t cols)
{
    if (cols && rows > SIZE_MAX / sizeof(float) / cols)
        return 0;
    return rows * cols * sizeof(float);
}

static float *alloc_floats(size_t rows, size_t cols, const char *what, int layer, rb_err *e)
{
    size_t bytes = float_bytes(rows, cols);
    float *p = bytes ? calloc(1, bytes) : NULL;
    if (!p) {
        if (bytes)
            rb_errf(e, RB_ENOMEM, "cannot allocate %zu bytes for %s_l%d ([%zu, %zu] float32)",
                    bytes, what, layer, rows, cols);
        else
            rb_errf(e, RB_ENOMEM, "%s_l%d: size [%zu, %zu] overflows", what, layer, rows, cols);
    }
    return p;
}

int rb_model_units(const rb_model *m) { return m->layers * (m->dirs == 2 ? 2 : 1); }

unsigned rb_model_features(const rb_model *m)
{
    unsigned f = m->dirs == 2 ? RB_FEAT_BIDIR : 0;
    if (m->clip > 0)
        f |= RB_FEAT_CLIP;
    if (m->input_forget)
        f |= RB_FEAT_INPUT_FORGET;
    if (m->reset_before)
        f |= RB_FEAT_RESET_BEFORE;
    for (int u = 0; m->layer && u < rb_model_units(m); u++) {
        if (m->layer[u].p)
            f |= RB_FEAT_PEEPHOLES;
        if (m->layer[u].reverse && m->dirs != 2)
            f |= RB_FEAT_REVERSE;
    }
    return f;
}

int rb_model_alloc(rb_model *m, const rb_workload *w, rb_err *e)
{
    memset(m, 0, sizeof *m);
    if (w->cell != RB_CELL_LSTM && w->cell != RB_CELL_RNN && w->cell != RB_CELL_GRU)
        return rb_errf(e, RB_EINPUT, "model: unknown cell type %d", (int)w->cell);
    if (w->hidden <= 0 || w->layers <= 0 || (w->input_proj && w->input <= 0))
        return rb_errf(e, RB_EINPUT,
                       "model: sizes must be positive (input %d, hidden %d, layers %d)", w->input,
                       w->hidden, w->layers);
    int peep = (w->features & RB_FEAT_PEEPHOLES) != 0;
    if (peep && w->cell != RB_CELL_LSTM)
        return rb_errf(e, RB_EINPUT, "model: peepholes exist only in an LSTM");
    if ((w->features & RB_FEAT_RESET_BEFORE) && w->cell != RB_CELL_GRU)
        return rb_errf(e, RB_EINPUT, "model: linear_before_reset exists only in a GRU");

    m->cell = w->cell;
    m->input = w->input;
    m->hidden = w->hidden;
    m->layers = w->layers;
    m->input_proj = w->input_proj ? 1 : 0;
    m->dirs = rb_workload_dirs(w);
    m->reset_before = (w->features & RB_FEAT_RESET_BEFORE) != 0;
    int units = rb_model_units(m);
    m->layer = calloc((size_t)units, sizeof *m->layer);
    if (!m->layer) {
        rb_errf(e, RB_ENOMEM, "cannot allocate %zu bytes for %d layer descriptors",
                (size_t)units * sizeof *m->layer, units);
        memset(m, 0, sizeof *m);
        return RB_ENOMEM;
    }

    size_t gh = (size_t)rb_cell_gates(w->cell) * (size_t)w->hidden, h = (size_t)w->hidden;
    for (int u = 0; u < units; u++) {
        rb_layer *ly = &m->layer[u];
        int l = u / m->dirs;
        ly->in = l > 0 ? m->dirs * w->hidden : (m->input_proj ? w->input : 0);
        ly->reverse = m->dirs == 2 ? u % 2 : (w->features & RB_FEAT_REVERSE) != 0;
        if (ly->in && !(ly->w_ih = alloc_floats(gh, (size_t)ly->in, "weight_ih", l, e)))
            goto fail;
        if (!(ly->w_hh = alloc_floats(gh, h, "weight_hh", l, e)) ||
            !(ly->b_ih = alloc_floats(gh, 1, "bias_ih", l, e)) ||
            !(ly->b_hh = alloc_floats(gh, 1, "bias_hh", l, e)) ||
            (peep && !(ly->p = alloc_floats(3 * h, 1, "peephole", l, e))))
            goto fail;
    }
    return 0;
fail:
    rb_model_free(m);
    return RB_ENOMEM;
}

static void fill_uniform(rb_rng *r, float *p, size_t n, float k)
{
    for (size_t i = 0; i < n; i++)
        p[i] = rb_rng_uniform(r, -k, k);
}

void rb_model_init_seeded(rb_model *m, uint64_t seed)
{
    rb_rng r = {seed};
    float k = (float)(1.0 / sqrt((double)m->hidden));
    size_t gh = (size_t)rb_cell_gates(m->cell) * (size_t)m->hidden, h = (size_t)m->hidden;
    for (int u = 0; u < rb_model_units(m); u++) {
        rb_layer *ly = &m->layer[u];
        if (ly->w_ih)
            fill_uniform(&r, ly->w_ih, gh * (size_t)ly->in, k);
        fill_uniform(&r, ly->w_hh, gh * h, k);
        fill_uniform(&r, ly->b_ih, gh, k);
        fill_uniform(&r, ly->b_hh, gh, k);
        if (ly->p)
            fill_uniform(&r, ly->p, 3 * h, k);
    }
}

void rb_model_free(rb_model *m)
{
    if (!m)
        return;
    for (int u = 0; m->layer && u < rb_model_units(m); u++) {
        free(m->layer[u].w_ih);
        free(m->layer[u].w_hh);
        free(m->layer[u].b_ih);
        free(m->layer[u].b_hh);
        free(m->layer[u].p);
    }
    free(m->layer);
    memset(m, 0, sizeof *m);
}

int rb_model_copy(rb_model *dst, const rb_model *src, const rb_workload *w, rb_err *e)
{
    int rc = rb_model_alloc(dst, w, e);
    if (rc)
        return rc;
    if (rb_model_units(dst) != rb_model_units(src) || dst->hidden != src->hidden ||
        dst->input != src->input || dst->cell != src->cell) {
        rb_model_free(dst);
        return rb_errf(e, RB_EINPUT, "model: %s does not describe the model to copy", w->key);
    }
    size_t gh = (size_t)rb_cell_gates(src->cell) * (size_t)src->hidden, h = (size_t)src->hidden;
    for (int u = 0; u < rb_model_units(src); u++) {
        const rb_layer *s = &src->layer[u];
        rb_layer *d = &dst->layer[u];
        if (s->w_ih)
            memcpy(d->w_ih, s->w_ih, gh * (size_t)s->in * sizeof *d->w_ih);
        memcpy(d->w_hh, s->w_hh, gh * h * sizeof *d->w_hh);
        memcpy(d->b_ih, s->b_ih, gh * sizeof *d->b_ih);
        memcpy(d->b_hh, s->b_hh, gh * sizeof *d->b_hh);
        if (s->p && d->p)
            memcpy(d->p, s->p, 3 * h * sizeof *d->p);
        d->reverse = s->reverse;
    }
    dst->clip = src->clip;
    dst->input_forget = src->input_forget;
    dst->reset_before = src->reset_before;
    return 0;
}

const char *rb_model_param_name(char *buf, size_t n, const rb_model *m, const char *kind, int unit)
{
    int d = m->dirs == 2 ? 2 : 1;
    snprintf(buf, n, "%s_l%d%s", kind, unit / d, d == 2 && unit % 2 ? "_reverse" : "");
    return buf;
}

/* The parameters of one layer in file order, with their shapes. */
typedef struct param_ref {
    const char *kind;
    float *data;
    int ndim;
    size_t shape[2];
} param_ref;

static int layer_params(const rb_model *m, int u, param_ref out[5])
{
    const rb_layer *ly = &m->layer[u];
    size_t gh = (size_t)rb_cell_gates(m->cell) * (size_t)m->hidden;
    int n = 0;
    if (ly->w_ih)
        out[n++] = (param_ref){"weight_ih", ly->w_ih, 2, {gh, (size_t)ly->in}};
    out[n++] = (param_ref){"weight_hh", ly->w_hh, 2, {gh, (size_t)m->hidden}};
    out[n++] = (param_ref){"bias_ih", ly->b_ih, 1, {gh, 0}};
    out[n++] = (param_ref){"bias_hh", ly->b_hh, 1, {gh, 0}};
    if (ly->p)
        out[n++] = (param_ref){"peephole", ly->p, 1, {3 * (size_t)m->hidden, 0}};
    return n;
}

static int param_path(char *buf, size_t n, const char *dir, const rb_model *m, const param_ref *p,
                      int unit, rb_err *e)
{
    char name[64];
    rb_model_param_name(name, sizeof name, m, p->kind, unit);
    int len = snprintf(buf, n, "%s/%s.npy", dir, name);
    if (len < 0 || (size_t)len >= n)
        return rb_errf(e, RB_EINPUT, "%s: directory path too long", dir);
    return 0;
}

/* Call fn on every parameter of every layer with its file path in dir. */
static int each_param(const rb_model *m, const char *dir,
                      int (*fn)(const param_ref *, const char *path, rb_err *), rb_err *e)
{
    for (int u = 0; u < rb_model_units(m); u++) {
        param_ref ps[5];
        int n = layer_params(m, u, ps);
        for (int i = 0; i < n; i++) {
            char path[4096];
            int rc = param_path(path, sizeof path, dir, m, &ps[i], u, e);
            if (rc == 0)
                rc = fn(&ps[i], path, e);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int save_param(const param_ref *p, const char *path, rb_err *e)
{
    return rb_npy_write_f32(path, p->data, p->ndim, p->shape, e);
}

int rb_model_save_npy(const rb_model *m, const char *dir, rb_err *e)
{
    return each_param(m, dir, save_param, e);
}

static void shape_str(char *buf, size_t n, int ndim, const size_t *shape)
{
    size_t len = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < ndim && len < n; d++)
        len += (size_t)snprintf(buf + len, n - len, d ? ", %zu" : "%zu", shape[d]);
    if (len < n)
        snprintf(buf + len, n - len, "]");
}

static int load_param(const param_ref *p, const char *path, rb_err *e)
{
    size_t count = p->shape[0] * (p->ndim == 2 ? p->shape[1] : 1);
    rb_npy a;
    /* Room for a float64 file of the right size; anything bigger is wrong anyway. */
    int rc = rb_npy_read_f32(path, &a, count * sizeof(double), e);
    if (rc != 0)
        return rc;
    int same = a.ndim == p->ndim;
    for (int d = 0; same && d < p->ndim; d++)
        same = a.shape[d] == p->shape[d];
    if (!same) {
        char got[256], want[64];
        shape_str(got, sizeof got, a.ndim, a.shape);
        shape_str(want, sizeof want, p->ndim, p->shape);
        rb_npy_free(&a);
        return rb_errf(e, RB_EINPUT, "%s: shape %s, but the model needs %s", path, got, want);
    }
    rc = rb_npy_check_finite(&a, path, e);
    if (!rc)
        memcpy(p->data, a.f32, count * sizeof(float));
    rb_npy_free(&a);
    return rc;
}

int rb_model_load_npy(rb_model *m, const char *dir, rb_err *e)
{
    return each_param(m, dir, load_param, e);
}

float *rb_make_input(const rb_workload *w, uint64_t seed, rb_err *e)
{
    int width = rb_workload_x_width(w);
    if (w->seq <= 0 || w->batch <= 0 || width <= 0) {
        rb_errf(e, RB_EINPUT, "input: sizes must be positive (seq %d, batch %d, width %d)", w->seq,
                w->batch, width);
        return NULL;
    }
    size_t rows = (size_t)w->seq * (size_t)w->batch;
    size_t bytes = float_bytes(rows, (size_t)width);
    float *x = bytes ? malloc(bytes) : NULL;
    if (!x) {
        rb_errf(e, RB_ENOMEM, "cannot allocate %zu bytes for the input [%d, %d, %d]", bytes, w->seq,
                w->batch, width);
        return NULL;
    }
    rb_rng r = {seed ^ INPUT_STREAM};
    fill_uniform(&r, x, rows * (size_t)width, 1.0f);
    return x;
}
